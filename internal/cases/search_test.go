package cases_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/furrowhq/furrow/internal/cases"
)

// FuzzParseQuery holds the query parser to what the stores rely on when they put its
// output into a tsquery or an FTS5 query: tokens are only letters and digits, never
// empty, at most 64 characters, and at most 16 terms.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"客户满意度", "pick warehouse", "'; DROP TABLE cases; --", `"a" OR b*`, "ｗｍｓ 仓", "a:* & !b", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := cases.ParseQuery(q)
		if len(terms) > 16 {
			t.Fatalf("%d terms", len(terms))
		}
		for _, term := range terms {
			if len(term.Tokens) == 0 {
				t.Fatalf("empty term in %q", q)
			}
			for _, tok := range term.Tokens {
				if tok == "" || len([]rune(tok)) > 64 {
					t.Fatalf("bad token %q", tok)
				}
				for _, r := range tok {
					if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
						t.Fatalf("token %q of %q holds %q", tok, q, r)
					}
				}
			}
		}
		if fts := cases.FTSQuery(terms); strings.Count(fts, `"`)%2 != 0 {
			t.Fatalf("unbalanced FTS5 query %s", fts)
		}
		if tsq := cases.TSQuery(terms); strings.Count(tsq, "'")%2 != 0 {
			t.Fatalf("unbalanced tsquery %s", tsq)
		}
	})
}
