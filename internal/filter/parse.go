package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse parses filter text into a tree whose Compare values are the literal
// strings written by the user. Empty or all-whitespace text returns
// (nil, nil). All errors are *Error.
//
// Grammar (AIP-160 subset; OR binds tighter than AND, juxtaposition is AND):
//
//	expr    = factor { [ "AND" ] factor }
//	factor  = term { "OR" term }
//	term    = ( "NOT" | "-" ) term | "(" expr ")" | field op value
func Parse(text string) (Expr, error) {
	if len(text) > maxLength {
		return nil, errorf(maxLength, "filter is too long (%d bytes; the limit is %d)", len(text), maxLength)
	}
	if !utf8.ValidString(text) {
		return nil, errorf(firstInvalidUTF8(text), "filter is not valid UTF-8")
	}
	p := &parser{src: text}
	p.skipSpace()
	if p.eof() {
		return nil, nil
	}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	// parseExpr stops only at the end of input or at a ")".
	if !p.eof() {
		return nil, errorf(p.pos, `unbalanced parentheses: unexpected ")" with no matching "("`)
	}
	return e, nil
}

func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(s)
}

// parser is a recursive-descent parser working directly on the text, because
// tokenisation depends on context: `:` and `-` are operators or negation in
// some places and ordinary characters of bare values in others.
type parser struct {
	src         string
	pos         int
	depth       int // current parentheses + NOT nesting
	comparisons int
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isLetterOrDigit(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isIdentByte reports bytes of field paths (and of AND/OR/NOT keywords).
func isIdentByte(c byte) bool { return isLetterOrDigit(c) || c == '_' || c == '.' }

// isBareByte reports bytes of unquoted values; the set admits timestamps,
// signed numbers, enum names and trailing wildcards.
func isBareByte(c byte) bool {
	return isLetterOrDigit(c) || strings.IndexByte("_-.:+*", c) >= 0
}

func isKeyword(w string) bool { return w == "AND" || w == "OR" || w == "NOT" }

// wordAt returns the run of identifier bytes starting at i.
func (p *parser) wordAt(i int) string {
	j := i
	for j < len(p.src) && isIdentByte(p.src[j]) {
		j++
	}
	return p.src[i:j]
}

// enter records one more level of parentheses or NOT, bounding recursion.
func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxDepth {
		return errorf(pos, "filter is nested too deeply (more than %d levels of parentheses and NOT)", maxDepth)
	}
	return nil
}

// describe names the token at i for error messages.
func (p *parser) describe(i int) string {
	if i >= len(p.src) {
		return "end of filter"
	}
	c := p.src[i]
	switch {
	case c == '"' || c == '\'':
		return "a quoted string"
	case isBareByte(c):
		j := i
		for j < len(p.src) && isBareByte(p.src[j]) {
			j++
		}
		w := p.src[i:j]
		if isKeyword(w) {
			return w
		}
		if len(w) > 30 { // bare bytes are ASCII, so any cut is a rune boundary
			w = w[:30] + "..."
		}
		return strconv.Quote(w)
	case strings.IndexByte("=!<>", c) >= 0 && i+1 < len(p.src) && p.src[i+1] == '=':
		return strconv.Quote(p.src[i : i+2])
	}
	r, _ := utf8.DecodeRuneInString(p.src[i:])
	return strconv.Quote(string(r))
}

// clip shortens user text echoed in messages so that a long value does not
// drown the message; inputs are at most maxLength bytes anyway.
func clip(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

func after(what string) string {
	if what == "" {
		return ""
	}
	return " after " + what
}

func (p *parser) parseExpr() (Expr, error) {
	var terms []Expr
	ctx := ""
	for {
		f, err := p.parseFactor(ctx)
		if err != nil {
			return nil, err
		}
		if a, ok := f.(*And); ok {
			terms = append(terms, a.Terms...)
		} else {
			terms = append(terms, f)
		}
		p.skipSpace()
		if p.eof() || p.src[p.pos] == ')' {
			break
		}
		ctx = ""
		c := p.src[p.pos]
		if w := p.wordAt(p.pos); w == "AND" {
			p.pos += len(w)
			ctx = "AND"
		} else if !(c == '(' || c == '-' || isIdentByte(c)) {
			return nil, errorf(p.pos, "unexpected %s; expected AND, OR, another comparison or the end of the filter", strings.TrimPrefix(p.describe(p.pos), "a "))
		}
		// Anything else starting a term is juxtaposition, meaning AND.
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &And{Terms: terms}, nil
}

func (p *parser) parseFactor(ctx string) (Expr, error) {
	var terms []Expr
	for {
		t, err := p.parseTerm(ctx)
		if err != nil {
			return nil, err
		}
		if o, ok := t.(*Or); ok {
			terms = append(terms, o.Terms...)
		} else {
			terms = append(terms, t)
		}
		p.skipSpace()
		if p.wordAt(p.pos) != "OR" {
			break
		}
		p.pos += len("OR")
		ctx = "OR"
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &Or{Terms: terms}, nil
}

func (p *parser) parseTerm(ctx string) (Expr, error) {
	p.skipSpace()
	start := p.pos
	if p.eof() {
		return nil, errorf(start, "unexpected end of filter%s; expected a comparison such as field = \"value\"", after(ctx))
	}
	c := p.src[start]
	switch {
	case c == '(':
		if err := p.enter(start); err != nil {
			return nil, err
		}
		p.pos++
		p.skipSpace()
		if p.eof() {
			return nil, errorf(start, `unbalanced parentheses: "(" is never closed`)
		}
		if p.src[p.pos] == ')' {
			return nil, errorf(start, "empty parentheses")
		}
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if p.eof() {
			return nil, errorf(start, `unbalanced parentheses: "(" is never closed`)
		}
		p.pos++ // the ")" that stopped parseExpr
		p.depth--
		return e, nil
	case c == '-':
		if start+1 >= len(p.src) || isSpace(p.src[start+1]) {
			return nil, errorf(start, `"-" must be directly followed by the comparison or "(" it negates, as in -labels:"vip"`)
		}
		if err := p.enter(start); err != nil {
			return nil, err
		}
		p.pos++
		x, err := p.parseTerm(`"-"`)
		if err != nil {
			return nil, err
		}
		p.depth--
		return &Not{X: x}, nil
	case isIdentByte(c):
		w := p.wordAt(start)
		switch w {
		case "NOT":
			if err := p.enter(start); err != nil {
				return nil, err
			}
			p.pos += len(w)
			x, err := p.parseTerm("NOT")
			if err != nil {
				return nil, err
			}
			p.depth--
			return &Not{X: x}, nil
		case "AND", "OR":
			return nil, errorf(start, "unexpected %s%s; expected a comparison such as field = \"value\"", w, after(ctx))
		}
		p.pos += len(w)
		return p.parseComparison(w, start)
	case c == '"' || c == '\'':
		return nil, errorf(start, "unexpected quoted string%s; expected a field name (comparisons have the form field = \"value\")", after(ctx))
	case c == ')':
		return nil, errorf(start, "unexpected \")\"%s; expected a comparison such as field = \"value\"", after(ctx))
	}
	return nil, errorf(start, "unexpected %s%s; expected a comparison such as field = \"value\"", p.describe(start), after(ctx))
}

// parseComparison parses the operator and value after the field path path,
// which starts at start and has already been consumed.
func (p *parser) parseComparison(path string, start int) (Expr, error) {
	field, key, err := splitPath(path, start)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	opPos := p.pos
	op, n := p.opAt(opPos)
	if n == 0 {
		if p.eof() {
			return nil, errorf(opPos, "missing operator after field %q; expected one of =, !=, <, <=, >, >=, :", clip(path))
		}
		hint := ""
		if up := strings.ToUpper(path); up != path && isKeyword(up) {
			hint = " (boolean operators must be uppercase: " + up + ")"
		}
		return nil, errorf(opPos, "expected an operator (=, !=, <, <=, >, >=, :) after field %q, found %s%s", clip(path), p.describe(opPos), hint)
	}
	p.pos += n
	p.skipSpace()
	valPos := p.pos
	var (
		val      string
		wildcard bool
	)
	switch {
	case p.eof():
		return nil, errorf(valPos, "missing value after operator %q for field %q", op.String(), path)
	case p.src[valPos] == '"' || p.src[valPos] == '\'':
		val, wildcard, err = p.readString()
		if err != nil {
			return nil, err
		}
	case isBareByte(p.src[valPos]):
		for !p.eof() && isBareByte(p.src[p.pos]) {
			p.pos++
		}
		val = p.src[valPos:p.pos]
		if isKeyword(val) {
			return nil, errorf(valPos, "missing value after operator %q for field %q, found %s (quote it to use it as a value)", op.String(), path, val)
		}
		wildcard = strings.HasSuffix(val, "*")
	default:
		hint := ""
		if strings.IndexByte("()=!<>:", p.src[valPos]) < 0 {
			hint = " (quote values that contain other characters)"
		}
		return nil, errorf(valPos, "missing value after operator %q for field %q, found %s%s", op.String(), path, p.describe(valPos), hint)
	}
	p.comparisons++
	if p.comparisons > maxComparisons {
		return nil, errorf(start, "too many comparisons (the limit is %d)", maxComparisons)
	}
	return &Compare{Field: field, Key: key, Op: op, Value: val, Pos: start, wildcard: wildcard}, nil
}

// splitPath splits "field" or "field.key"; deeper paths are not supported.
func splitPath(path string, start int) (field, key string, err error) {
	switch strings.Count(path, ".") {
	case 0:
		return path, "", nil
	case 1:
		field, key, _ = strings.Cut(path, ".")
		if field != "" && key != "" {
			return field, key, nil
		}
		return "", "", errorf(start, "invalid field name %q", clip(path))
	}
	return "", "", errorf(start, "field path %q has more than one \".\"; only a single map key (field.key) is supported", clip(path))
}

// opAt returns the operator at i and its length, or n == 0 if there is none.
func (p *parser) opAt(i int) (op Op, n int) {
	if i >= len(p.src) {
		return 0, 0
	}
	next := byte(0)
	if i+1 < len(p.src) {
		next = p.src[i+1]
	}
	switch p.src[i] {
	case '=':
		return OpEQ, 1
	case ':':
		return OpHas, 1
	case '!':
		if next == '=' {
			return OpNE, 2
		}
	case '<':
		if next == '=' {
			return OpLE, 2
		}
		return OpLT, 1
	case '>':
		if next == '=' {
			return OpGE, 2
		}
		return OpGT, 1
	}
	return 0, 0
}

// readString reads a quoted string at p.pos and resolves its escapes.
// wildcard reports whether the result ends in a `*` that was not escaped.
func (p *parser) readString() (s string, wildcard bool, err error) {
	start := p.pos
	quote := p.src[start]
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return "", false, errorf(start, "unterminated string (missing closing %c)", quote)
		}
		c := p.src[p.pos]
		switch c {
		case quote:
			p.pos++
			return b.String(), wildcard, nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return "", false, errorf(start, "unterminated string (missing closing %c)", quote)
			}
			switch e := p.src[p.pos+1]; e {
			case '"', '\'', '\\', '*':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				r, _ := utf8.DecodeRuneInString(p.src[p.pos+1:])
				return "", false, errorf(p.pos, `invalid escape sequence %q in string; supported escapes are \" \' \\ \n \t \*`, `\`+string(r))
			}
			wildcard = false
			p.pos += 2
		default:
			b.WriteByte(c)
			wildcard = c == '*'
			p.pos++
		}
	}
}
