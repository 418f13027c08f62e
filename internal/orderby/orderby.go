// Package orderby parses AIP-132 order_by strings such as
// "create_time desc, display_name" against a list of sortable fields.
package orderby

import (
	"fmt"
	"slices"
	"strings"
)

// Limits on order_by. They keep sort keys (and so page cursors) small and the
// storage query simple; the id tie-breaker is added by storage on top.
const (
	// MaxTerms is the most fields an order_by may name.
	MaxTerms = 4
	// MaxLen is the longest order_by accepted, in bytes.
	MaxLen = 500
)

// Term is one sort field and its direction; ascending unless Desc.
type Term struct {
	Field string
	Desc  bool
}

// Error reports an invalid order_by. Msg is the detail; Error prefixes it with
// "order_by: " so the text can be returned to API clients as is.
type Error struct{ Msg string }

// Error returns "order_by: " followed by Msg.
func (e *Error) Error() string { return "order_by: " + e.Msg }

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Parse parses orderBy, a comma-separated list of field names each optionally
// followed by "asc" or "desc" (lowercase, as in AIP-132), against the allowed
// field names. Whitespace around words is insignificant. Empty (or blank) text
// returns (nil, nil) so the caller can apply its default order. Errors are of
// type *Error.
func Parse(orderBy string, allowed []string) ([]Term, error) {
	if len(orderBy) > MaxLen {
		return nil, errorf("must be at most %d bytes", MaxLen)
	}
	if strings.TrimSpace(orderBy) == "" {
		return nil, nil
	}
	parts := strings.Split(orderBy, ",")
	terms := make([]Term, 0, min(len(parts), MaxTerms))
	for i, part := range parts {
		words := strings.Fields(part)
		switch len(words) {
		case 0:
			return nil, errorf("term %d is empty; separate fields with single commas", i+1)
		case 1, 2:
		default:
			return nil, errorf("term %q has too many words; expected a field name optionally followed by asc or desc", strings.TrimSpace(part))
		}
		if len(terms) == MaxTerms {
			return nil, errorf("at most %d fields may be given", MaxTerms)
		}
		t := Term{Field: words[0]}
		if len(words) == 2 {
			switch words[1] {
			case "asc":
			case "desc":
				t.Desc = true
			default:
				return nil, errorf("unknown direction %q after %q; use asc or desc", words[1], words[0])
			}
		}
		if !slices.Contains(allowed, t.Field) {
			return nil, unknownField(t.Field, allowed)
		}
		for _, prev := range terms {
			if prev.Field == t.Field {
				return nil, errorf("field %q is named more than once", t.Field)
			}
		}
		terms = append(terms, t)
	}
	return terms, nil
}

func unknownField(field string, allowed []string) error {
	if len(allowed) == 0 {
		return errorf("unknown field %q; this collection cannot be ordered", field)
	}
	s := slices.Clone(allowed)
	slices.Sort(s)
	s = slices.Compact(s)
	return errorf("unknown field %q; allowed fields: %s", field, strings.Join(s, ", "))
}

// String returns the canonical spelling of terms ("create_time desc,
// display_name": single spaces, ascending implied). Page-token fingerprints use
// it so that equivalent spellings of the same order share tokens.
func String(terms []Term) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.Field)
		if t.Desc {
			b.WriteString(" desc")
		}
	}
	return b.String()
}
