package filter

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Check verifies every Compare in e against s and returns a new tree (e is
// not modified) whose Compare values are typed for the storage layer:
//
//   - String: string; = != < <= > >=, and `=` with an unescaped trailing
//     `*` becomes OpPrefix with the `*` removed (`\*` stays a literal).
//   - Enum: string, one of Field.Values; = !=.
//   - Timestamp: time.Time in UTC, from RFC 3339; = != < <= > >=.
//   - Int: int64; = != < <= > >=.
//   - Bool: bool from true/false; = !=.
//   - StringList: string; only `:` (has element).
//   - Map: `field.key = v` / `!=` (Value string, Key set), or `field:key`
//     (OpHas, Key set, Value nil).
//
// A dotted path that is not a map key resolves to a schema entry with the
// full dotted name, so schemas may also expose nested fields such as
// "address.city". An unescaped trailing `*` where no prefix match exists
// (other String operators, StringList, Map) is rejected rather than silently
// taken literally. Check accepts its own output, so checking twice is
// harmless. All errors are *Error naming the field and what is allowed.
func Check(e Expr, s Schema) (Expr, error) {
	if e == nil {
		return nil, nil
	}
	c := &checker{s: s}
	return c.check(e, 0)
}

type checker struct {
	s           Schema
	comparisons int
}

func (c *checker) check(e Expr, depth int) (Expr, error) {
	if depth > maxCheckDepth {
		return nil, errorf(0, "filter is nested too deeply")
	}
	switch x := e.(type) {
	case *And:
		if x != nil && len(x.Terms) > 0 {
			terms, err := c.checkAll(x.Terms, depth)
			if err != nil {
				return nil, err
			}
			return &And{Terms: terms}, nil
		}
	case *Or:
		if x != nil && len(x.Terms) > 0 {
			terms, err := c.checkAll(x.Terms, depth)
			if err != nil {
				return nil, err
			}
			return &Or{Terms: terms}, nil
		}
	case *Not:
		if x != nil && x.X != nil {
			y, err := c.check(x.X, depth+1)
			if err != nil {
				return nil, err
			}
			return &Not{X: y}, nil
		}
	case *Compare:
		if x != nil {
			c.comparisons++
			if c.comparisons > maxComparisons {
				return nil, errorf(x.Pos, "too many comparisons (the limit is %d)", maxComparisons)
			}
			return c.checkCompare(x)
		}
	}
	// Only hand-built trees get here: nil nodes or empty And/Or.
	return nil, errorf(0, "invalid filter expression")
}

func (c *checker) checkAll(terms []Expr, depth int) ([]Expr, error) {
	out := make([]Expr, len(terms))
	for i, t := range terms {
		if t == nil {
			return nil, errorf(0, "invalid filter expression")
		}
		var err error
		if out[i], err = c.check(t, depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// The operator sets are functions rather than package variables so that no
// caller can modify them.
func comparisonOps() []Op { return []Op{OpEQ, OpNE, OpLT, OpLE, OpGT, OpGE} }
func equalityOps() []Op   { return []Op{OpEQ, OpNE} }

func (c *checker) checkCompare(x *Compare) (Expr, error) {
	out := *x
	out.wildcard = false
	f, ok := c.s[x.Field]
	if x.Key != "" && !(ok && f.Kind == Map) {
		full := x.Field + "." + x.Key
		g, fullOK := c.s[full]
		switch {
		case fullOK && g.Kind != Map:
			f, out.Field, out.Key = g, full, ""
		case ok:
			return nil, errorf(x.Pos, "field %q is %s, not a map, so %q is not a valid field; only map fields take a key (field.key)", x.Field, kindName(f.Kind), full)
		default:
			return nil, c.unknown(x.Pos, full)
		}
	} else if !ok {
		return nil, c.unknown(x.Pos, x.Field)
	}
	name := out.Field

	str, isStr := x.Value.(string)
	badType := func() error {
		return errorf(x.Pos, "invalid value of type %T for field %q", x.Value, name)
	}
	noWildcard := func() error {
		return errorf(x.Pos, "wildcard \"*\" is only supported with \"=\" on string fields, not for field %q; write \\* inside quotes for a literal *", name)
	}

	switch f.Kind {
	case String:
		if !isStr {
			return nil, badType()
		}
		switch {
		case x.Op == OpPrefix:
			// Already checked.
		case x.wildcard && x.Op == OpEQ:
			out.Op, out.Value = OpPrefix, strings.TrimSuffix(str, "*")
		case x.wildcard && x.Op == OpNE:
			return nil, errorf(x.Pos, "wildcard \"*\" is only supported with \"=\" on field %q; use NOT %s = %q to exclude a prefix, or write \\* for a literal *", name, name, clip(str))
		case x.wildcard && slices.Contains(comparisonOps(), x.Op):
			return nil, errorf(x.Pos, "wildcard \"*\" is only supported with \"=\" on field %q; write \\* inside quotes for a literal *", name)
		case !slices.Contains(comparisonOps(), x.Op):
			return nil, c.badOp(x, name, f.Kind, comparisonOps())
		}
	case Enum:
		if !slices.Contains(equalityOps(), x.Op) {
			return nil, c.badOp(x, name, f.Kind, equalityOps())
		}
		if !isStr {
			return nil, badType()
		}
		if !slices.Contains(f.Values, str) {
			allowed := slices.Sorted(slices.Values(f.Values))
			return nil, errorf(x.Pos, "invalid value %q for field %q; allowed values are: %s", clip(str), name, listOrNone(allowed))
		}
	case Timestamp:
		if !slices.Contains(comparisonOps(), x.Op) {
			return nil, c.badOp(x, name, f.Kind, comparisonOps())
		}
		switch v := x.Value.(type) {
		case string:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, errorf(x.Pos, "invalid value %q for field %q; expected an RFC 3339 timestamp such as 2026-01-02T15:04:05Z", clip(v), name)
			}
			out.Value = t.UTC()
		case time.Time:
			out.Value = v.UTC()
		default:
			return nil, badType()
		}
		// An offset can push a valid 0000 or 9999 time outside the years
		// that RFC 3339 (and Format) can write in UTC.
		if y := out.Value.(time.Time).Year(); y < 1 || y > 9999 {
			return nil, errorf(x.Pos, "timestamp for field %q is out of range; years must be 0001 to 9999 in UTC", name)
		}
	case Int:
		if !slices.Contains(comparisonOps(), x.Op) {
			return nil, c.badOp(x, name, f.Kind, comparisonOps())
		}
		switch v := x.Value.(type) {
		case string:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				what := "an integer"
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					what = "an integer between -9223372036854775808 and 9223372036854775807"
				}
				return nil, errorf(x.Pos, "invalid value %q for field %q; expected %s", clip(v), name, what)
			}
			out.Value = n
		case int64:
		default:
			return nil, badType()
		}
	case Float:
		if !slices.Contains(comparisonOps(), x.Op) {
			return nil, c.badOp(x, name, f.Kind, comparisonOps())
		}
		switch v := x.Value.(type) {
		case string:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
				return nil, errorf(x.Pos, "invalid value %q for field %q; expected a number such as 42 or 39.5", clip(v), name)
			}
			out.Value = n
		case float64:
		default:
			return nil, badType()
		}
	case Bool:
		if !slices.Contains(equalityOps(), x.Op) {
			return nil, c.badOp(x, name, f.Kind, equalityOps())
		}
		switch v := x.Value.(type) {
		case string:
			switch v {
			case "true":
				out.Value = true
			case "false":
				out.Value = false
			default:
				return nil, errorf(x.Pos, "invalid value %q for field %q; expected true or false", clip(v), name)
			}
		case bool:
		default:
			return nil, badType()
		}
	case StringList:
		if x.Op != OpHas {
			return nil, errorf(x.Pos, "operator %q is not supported for field %q (a string list); use %s:\"value\" to match lists containing a value", x.Op.String(), name, name)
		}
		if !isStr {
			return nil, badType()
		}
		if x.wildcard {
			return nil, noWildcard()
		}
	case Map:
		usage := func() error {
			return errorf(x.Pos, "operator %q is not supported for map field %q; use %s.<key> = \"value\", %s.<key> != \"value\", or %s:<key> to test that a key is present", x.Op.String(), name, name, name, name)
		}
		switch {
		case x.Key != "" && x.Op == OpHas && x.Value == nil:
			// Already checked key-presence test.
		case x.Key != "":
			if !slices.Contains(equalityOps(), x.Op) {
				return nil, usage()
			}
			if !isStr {
				return nil, badType()
			}
			if x.wildcard {
				return nil, noWildcard()
			}
		case x.Op == OpHas:
			if !isStr {
				return nil, badType()
			}
			if str == "" {
				return nil, errorf(x.Pos, "missing map key for field %q; use %s:<key>", name, name)
			}
			if x.wildcard {
				return nil, noWildcard()
			}
			out.Key, out.Value = str, nil
		default:
			return nil, usage()
		}
	default:
		return nil, errorf(x.Pos, "field %q has an unsupported kind %d in the schema", name, int(f.Kind))
	}
	return &out, nil
}

func (c *checker) unknown(pos int, name string) error {
	fields := slices.Sorted(maps.Keys(c.s))
	if len(fields) == 0 {
		return errorf(pos, "unknown field %q; this resource has no filterable fields", clip(name))
	}
	return errorf(pos, "unknown field %q; filterable fields are: %s", clip(name), strings.Join(fields, ", "))
}

func (c *checker) badOp(x *Compare, name string, k Kind, allowed []Op) error {
	ops := make([]string, len(allowed))
	for i, o := range allowed {
		ops[i] = o.String()
	}
	return errorf(x.Pos, "operator %q is not supported for field %q (%s); allowed operators are: %s", x.Op.String(), name, kindNoun(k), strings.Join(ops, ", "))
}

func listOrNone(vs []string) string {
	if len(vs) == 0 {
		return "(none)"
	}
	return strings.Join(vs, ", ")
}

// kindNoun names k for messages.
func kindNoun(k Kind) string {
	switch k {
	case String:
		return "string"
	case Enum:
		return "enum"
	case Timestamp:
		return "timestamp"
	case Int:
		return "integer"
	case Float:
		return "number"
	case Bool:
		return "boolean"
	case StringList:
		return "string list"
	case Map:
		return "map"
	}
	return "unknown kind"
}

// kindName names k with an article, for messages.
func kindName(k Kind) string {
	n := kindNoun(k)
	if strings.IndexByte("aeiou", n[0]) >= 0 {
		return "an " + n
	}
	return "a " + n
}
