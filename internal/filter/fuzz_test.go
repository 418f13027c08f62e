package filter

import (
	"errors"
	"testing"
)

// FuzzParse checks that arbitrary input never panics, that all errors are
// *Error, and that Format is a faithful printer: re-parsing its output gives
// the same tree (positions aside) for both parsed and checked trees.
func FuzzParse(f *testing.F) {
	for _, tc := range parseTests {
		f.Add(tc.in)
	}
	for _, tc := range parseErrorTests {
		if len(tc.in) <= maxLength+1 {
			f.Add(tc.in)
		}
	}
	for _, tc := range checkTests {
		f.Add(tc.in)
	}
	for _, tc := range checkErrorTests {
		f.Add(tc.in)
	}
	for _, tc := range formatTests {
		f.Add(tc.in)
	}
	s := sampleSchema()

	f.Fuzz(func(t *testing.T, in string) {
		e, err := Parse(in)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q): error %T is not *Error: %v", in, err, err)
			}
			if e != nil {
				t.Fatalf("Parse(%q): tree returned with error", in)
			}
			return
		}
		if e == nil {
			return
		}
		checkShape(t, in, e)

		// Round trip of the parsed tree. Format may legitimately be longer
		// than the input (it quotes values and spells out AND), so output
		// over the length limit is not re-parsed.
		text := Format(e)
		if len(text) <= maxLength {
			e2, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(Format(Parse(%q))) = Parse(%q): %v", in, text, err)
			}
			if dump(e2) != dump(e) {
				t.Fatalf("round trip of %q via %q changed the tree:\n %s\n %s", in, text, dump(e), dump(e2))
			}
			if text2 := Format(e2); text2 != text {
				t.Fatalf("Format not stable for %q: %q then %q", in, text, text2)
			}
		}

		c, err := Check(e, s)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Check(%q): error %T is not *Error: %v", in, err, err)
			}
			return
		}
		checkShape(t, in, c)
		if again, err := Check(c, s); err != nil || dump(again) != dump(c) {
			t.Fatalf("Check(Check(%q)) = %s, %v; want %s", in, dump(again), err, dump(c))
		}
		text = Format(c)
		if len(text) <= maxLength {
			c2, err := ParseAndCheck(text, s)
			if err != nil {
				t.Fatalf("ParseAndCheck(Format(checked %q)) = ParseAndCheck(%q): %v", in, text, err)
			}
			if dump(c2) != dump(c) {
				t.Fatalf("checked round trip of %q via %q changed the tree:\n %s\n %s", in, text, dump(c), dump(c2))
			}
		}
	})
}

// checkShape asserts the structural invariants promised to the storage
// layer: And/Or have at least two terms and are flattened, no nil nodes.
func checkShape(t *testing.T, in string, e Expr) {
	t.Helper()
	switch x := e.(type) {
	case *And:
		if len(x.Terms) < 2 {
			t.Fatalf("%q: AND with %d terms", in, len(x.Terms))
		}
		for _, term := range x.Terms {
			if _, ok := term.(*And); ok {
				t.Fatalf("%q: AND directly inside AND: %s", in, dump(e))
			}
			checkShape(t, in, term)
		}
	case *Or:
		if len(x.Terms) < 2 {
			t.Fatalf("%q: OR with %d terms", in, len(x.Terms))
		}
		for _, term := range x.Terms {
			if _, ok := term.(*Or); ok {
				t.Fatalf("%q: OR directly inside OR: %s", in, dump(e))
			}
			checkShape(t, in, term)
		}
	case *Not:
		if x.X == nil {
			t.Fatalf("%q: NOT of nil", in)
		}
		checkShape(t, in, x.X)
	case *Compare:
		if x.Field == "" || x.Op < OpEQ || x.Op > OpPrefix || x.Pos < 0 || x.Pos >= len(in) {
			t.Fatalf("%q: bad comparison %s at %d", in, dump(x), x.Pos)
		}
	default:
		t.Fatalf("%q: unexpected node %T", in, e)
	}
}
