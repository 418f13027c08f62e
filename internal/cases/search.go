package cases

import (
	"strconv"
	"strings"
	"unicode"
)

// Full-text search works the same on PostgreSQL and SQLite because the tokens are made
// here, not by the database: text is normalised (full-width forms folded, lower case) and split into
// words (runs of letters and digits of alphabetic scripts) and, for Chinese, Japanese
// and Korean text, which has no spaces, overlapping bigrams of each run followed by
// the run's last character. A query word matches words it prefixes; a CJK query of two
// or more characters matches its bigrams as a phrase (so "客户满意" finds exactly that
// substring), a single CJK character matches every bigram it starts. The stores index
// the tokens (PostgreSQL: a weighted tsvector with a GIN index; SQLite: FTS5) and rank
// matches (ts_rank, bm25) with title above problem above solution above results.

// maxToken caps a token's length in characters (longer words are cut).
const maxToken = 64

// Field weights: title, problem, solution, results.
var (
	FieldWeights  = [4]float64{10, 4, 2, 1}
	FieldWeightPG = [4]byte{'A', 'B', 'C', 'D'}
)

// isCJK reports whether r is a CJK letter (radicals and other symbols of those
// scripts are separators, as FTS5's unicode61 tokenizer treats them).
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) && isWordRune(r)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// foldWidth maps full-width ASCII forms (common in Chinese text: "ＥＲＰ", "１２") to
// ASCII.
func foldWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

// segment is a run of text: a word, or a run of CJK characters.
type segment struct {
	text string
	cjk  bool
}

func segments(text string) []segment {
	text = strings.ToLower(strings.Map(foldWidth, text))
	var out []segment
	var cur []rune
	curCJK := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, segment{string(cur), curCJK})
			cur = cur[:0]
		}
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			if !curCJK {
				flush()
			}
			curCJK = true
			cur = append(cur, r)
		case isWordRune(r):
			if curCJK {
				flush()
			}
			curCJK = false
			cur = append(cur, r)
		default:
			flush()
			curCJK = false
		}
	}
	flush()
	return out
}

func cut(s string) string {
	if r := []rune(s); len(r) > maxToken {
		return string(r[:maxToken])
	}
	return s
}

// Tokens returns the search tokens of text, in order.
func Tokens(text string) []string {
	var out []string
	for _, s := range segments(text) {
		if !s.cjk {
			out = append(out, cut(s.text))
			continue
		}
		rs := []rune(s.text)
		for i := 0; i+1 < len(rs); i++ {
			out = append(out, string(rs[i:i+2]))
		}
		out = append(out, string(rs[len(rs)-1]))
	}
	return out
}

// SearchFields returns the four indexed texts of a version's content: title,
// problem, solution, and results (metric, unit, period and method of each).
func SearchFields(c *Content) [4]string {
	var rs strings.Builder
	for _, r := range c.Results {
		rs.WriteString(r.Metric)
		rs.WriteByte(' ')
		rs.WriteString(r.Unit)
		rs.WriteByte(' ')
		rs.WriteString(r.Period)
		rs.WriteByte(' ')
		rs.WriteString(r.Method)
		rs.WriteString(" \n ")
	}
	return [4]string{c.Title, c.Problem, c.Solution, rs.String()}
}

// QueryTerm is one term of a search query: tokens that must occur in this order,
// adjacent (a phrase), the last one as a prefix when Prefix is set.
type QueryTerm struct {
	Tokens []string
	Prefix bool
}

// ParseQuery splits a search query into terms, all of which must match. It returns
// no terms when the query has no letters or digits.
func ParseQuery(q string) []QueryTerm {
	var out []QueryTerm
	for _, s := range segments(q) {
		if !s.cjk {
			out = append(out, QueryTerm{Tokens: []string{cut(s.text)}, Prefix: true})
			continue
		}
		rs := []rune(s.text)
		if len(rs) == 1 {
			out = append(out, QueryTerm{Tokens: []string{s.text}, Prefix: true})
			continue
		}
		t := QueryTerm{}
		for i := 0; i+1 < len(rs); i++ {
			t.Tokens = append(t.Tokens, string(rs[i:i+2]))
		}
		out = append(out, t)
	}
	if len(out) > 16 {
		out = out[:16]
	}
	return out
}

// TSVector renders the fields as a PostgreSQL tsvector literal: each token with its
// positions and the weight of its field (positions restart far apart per field, so
// phrases do not match across fields; PostgreSQL caps positions at 16383).
func TSVector(fields [4]string) string {
	type occ struct {
		pos    []int
		weight byte
	}
	lex := map[string]*occ{}
	var order []string
	pos := 0
	for f, text := range fields {
		pos += 10 // a gap between fields
		for _, t := range Tokens(text) {
			pos++
			p := min(pos, 16383)
			o := lex[t]
			if o == nil {
				o = &occ{weight: FieldWeightPG[f]}
				lex[t] = o
				order = append(order, t)
			}
			if len(o.pos) < 256 && (len(o.pos) == 0 || o.pos[len(o.pos)-1] != p) {
				o.pos = append(o.pos, p)
			}
		}
	}
	var b strings.Builder
	for i, t := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteLexeme(t))
		b.WriteByte(':')
		o := lex[t]
		for j, p := range o.pos {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(p))
			b.WriteByte(o.weight)
		}
	}
	return b.String()
}

// TSQuery renders terms as a PostgreSQL tsquery literal: terms joined with &, phrase
// tokens with <->, prefixes with :*.
func TSQuery(terms []QueryTerm) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		toks := make([]string, len(t.Tokens))
		for j, k := range t.Tokens {
			toks[j] = quoteLexeme(k)
			if t.Prefix && j == len(t.Tokens)-1 {
				toks[j] += ":*"
			}
		}
		parts[i] = strings.Join(toks, " <-> ")
		if len(toks) > 1 {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " & ")
}

// FTSQuery renders terms as an SQLite FTS5 query: phrases in double quotes, prefixes
// with *, terms joined with AND.
func FTSQuery(terms []QueryTerm) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + strings.ReplaceAll(strings.Join(t.Tokens, " "), `"`, `""`) + `"`
		if t.Prefix {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " AND ")
}

// FTSColumn renders a field's tokens for an FTS5 column (space-separated; FTS5's
// unicode61 tokenizer splits them back exactly, since tokens are letters and digits).
func FTSColumn(text string) string { return strings.Join(Tokens(text), " ") }

func quoteLexeme(t string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(t) + "'"
}
