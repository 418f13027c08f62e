package orderby

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var fields = []string{"update_time", "create_time", "display_name", "name", "size"}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []Term
	}{
		{"", nil},
		{"   ", nil},
		{"\t\n", nil},
		{"name", []Term{{"name", false}}},
		{"name asc", []Term{{"name", false}}},
		{"name desc", []Term{{"name", true}}},
		{"  name   desc  ", []Term{{"name", true}}},
		{"name\tdesc", []Term{{"name", true}}},
		{"create_time desc, display_name", []Term{{"create_time", true}, {"display_name", false}}},
		{"create_time desc,display_name", []Term{{"create_time", true}, {"display_name", false}}},
		{"create_time desc ,\n display_name asc", []Term{{"create_time", true}, {"display_name", false}}},
		{"size, name desc, create_time, update_time desc", []Term{{"size", false}, {"name", true}, {"create_time", false}, {"update_time", true}}},
		{"name" + strings.Repeat(" ", MaxLen-len("name")), []Term{{"name", false}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, fields)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tt.in, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		allowed  []string
		msg      string // substring of Error()
	}{
		{"unknown field", "colour", fields, `unknown field "colour"; allowed fields: create_time, display_name, name, size, update_time`},
		{"case matters", "Name", fields, `unknown field "Name"`},
		{"unknown among known", "name, colour desc", fields, `unknown field "colour"`},
		{"no fields allowed", "name", nil, `unknown field "name"; this collection cannot be ordered`},
		{"duplicate", "name, name desc", fields, `field "name" is named more than once`},
		{"duplicate later", "size, name, size", fields, `field "size" is named more than once`},
		{"bad direction", "name descending", fields, `unknown direction "descending"`},
		{"uppercase direction", "name DESC", fields, `unknown direction "DESC"`},
		{"direction only", "desc", fields, `unknown field "desc"`},
		{"too many words", "name desc asc", fields, `too many words`},
		{"sql style", "name desc nulls last", fields, `too many words`},
		{"empty middle", "name,,size", fields, `term 2 is empty`},
		{"empty trailing", "name,", fields, `term 2 is empty`},
		{"empty leading", ", name", fields, `term 1 is empty`},
		{"only comma", ",", fields, `term 1 is empty`},
		{"blank term", "name, ,size", fields, `term 2 is empty`},
		{"five terms", "name, size, create_time, update_time, display_name", fields, `at most 4 fields`},
		{"too long", "name" + strings.Repeat(" ", MaxLen-len("name")+1), fields, `at most 500 bytes`},
		{"no space before desc", "name,desc", fields, `unknown field "desc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in, tt.allowed)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %v, %v; want *Error", tt.in, got, err)
			}
			if got != nil {
				t.Errorf("terms %v returned with error", got)
			}
			if !strings.HasPrefix(err.Error(), "order_by: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Error() = %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

func TestParseDoesNotModifyAllowed(t *testing.T) {
	allowed := slices.Clone(fields)
	_, _ = Parse("colour", allowed)
	if !slices.Equal(allowed, fields) {
		t.Errorf("allowed reordered to %v", allowed)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		terms []Term
		want  string
	}{
		{nil, ""},
		{[]Term{}, ""},
		{[]Term{{"name", false}}, "name"},
		{[]Term{{"name", true}}, "name desc"},
		{[]Term{{"create_time", true}, {"display_name", false}}, "create_time desc, display_name"},
	}
	for _, tt := range tests {
		if got := String(tt.terms); got != tt.want {
			t.Errorf("String(%v) = %q, want %q", tt.terms, got, tt.want)
		}
	}
}

// TestCanonical checks that equivalent spellings share one canonical form,
// which is what lets them share page tokens.
func TestCanonical(t *testing.T) {
	groups := [][]string{
		{"create_time desc, display_name", "create_time desc,display_name", " create_time  desc ,display_name asc ", "create_time\tdesc,\ndisplay_name"},
		{"name", "name asc", " name ", "name\tasc"},
	}
	for _, g := range groups {
		var want string
		for i, in := range g {
			terms, err := Parse(in, fields)
			if err != nil {
				t.Fatalf("Parse(%q): %v", in, err)
			}
			got := String(terms)
			if i == 0 {
				want = got
				if got != in {
					t.Errorf("String(Parse(%q)) = %q, want it unchanged", in, got)
				}
			} else if got != want {
				t.Errorf("String(Parse(%q)) = %q, want %q", in, got, want)
			}
		}
	}
	a, _ := Parse("name desc", fields)
	b, _ := Parse("name", fields)
	if String(a) == String(b) {
		t.Error("different directions share a canonical form")
	}
}

func FuzzOrderBy(f *testing.F) {
	for _, s := range []string{"", "name", "create_time desc, display_name", "a,,b", "name desc asc", " size asc ,name\tdesc", "x y z", ",", "name DESC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		terms, err := Parse(in, fields)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || terms != nil {
				t.Fatalf("Parse(%q) = %v, %v; want nil, *Error", in, terms, err)
			}
			return
		}
		if len(terms) > MaxTerms {
			t.Fatalf("Parse(%q) returned %d terms", in, len(terms))
		}
		s := String(terms)
		again, err := Parse(s, fields)
		if err != nil {
			t.Fatalf("Parse(String(Parse(%q))) = Parse(%q): %v", in, s, err)
		}
		if !slices.Equal(terms, again) {
			t.Fatalf("Parse(%q) = %v but Parse(%q) = %v", in, terms, s, again)
		}
		if String(again) != s {
			t.Fatalf("String not idempotent: %q then %q", s, String(again))
		}
	})
}
