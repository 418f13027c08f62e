// Package filter parses and type-checks the subset of the AIP-160 filtering
// language accepted by Furrow's List RPCs.
//
// Filter text is untrusted user input, so Parse bounds its work (input
// length, number of comparisons, nesting depth) and reports every problem as
// an *Error with a byte position instead of panicking. Check then resolves
// each comparison against a per-resource Schema so that the storage layer
// receives a small, fully typed tree it can translate to SQL directly.
package filter

import "fmt"

// Limits on untrusted input. They are far above what a hand-written filter
// needs and keep parsing cost and recursion depth small.
const (
	maxLength      = 2000
	maxComparisons = 50
	maxDepth       = 20
	// maxCheckDepth bounds Check's recursion over trees that did not come
	// from Parse; a parsed tree is never more than about 2*maxDepth+3 deep.
	maxCheckDepth = 3*maxDepth + 4
)

// Expr is a node of a parsed filter: *And, *Or, *Not or *Compare. Nodes are
// always pointers so that a type switch on a value type fails to compile
// rather than silently never matching.
type Expr interface{ isExpr() }

// And is the conjunction of two or more terms; nested Ands are flattened.
type And struct{ Terms []Expr }

// Or is the disjunction of two or more terms; nested Ors are flattened.
type Or struct{ Terms []Expr }

// Not negates X; it is produced by both `NOT x` and `-x`.
type Not struct{ X Expr }

// Compare is a single `field OP value` comparison.
type Compare struct {
	// Field is the field name; for map fields it is the map itself
	// ("external_ids" in `external_ids.crm = "x"`).
	Field string
	// Key is the map key for Map fields ("crm" above) and "" otherwise.
	Key string
	// Op is the comparison operator.
	Op Op
	// Value is the literal text (unquoted, escapes resolved) after Parse and
	// a typed value after Check: string, time.Time, int64, bool, or nil for
	// a map key-presence test.
	Value any
	// Pos is the byte offset of the field name in the input, for messages.
	Pos int

	// wildcard records that Value ends in a `*` that was written unescaped,
	// which Check turns into OpPrefix on String fields. It cannot be
	// recovered from Value because escapes are already resolved there.
	wildcard bool
}

func (*And) isExpr()     {}
func (*Or) isExpr()      {}
func (*Not) isExpr()     {}
func (*Compare) isExpr() {}

// Op is a comparison operator.
type Op int

// Comparison operators. OpPrefix is never produced by Parse: Check derives it
// from `=` with an unescaped trailing `*` on a String field.
const (
	OpEQ     Op = iota + 1 // =
	OpNE                   // !=
	OpLT                   // <
	OpLE                   // <=
	OpGT                   // >
	OpGE                   // >=
	OpHas                  // :
	OpPrefix               // = "abc*" on String fields
)

// String returns the operator as written in filter text; OpPrefix has no
// operator of its own and is shown as "prefix".
func (o Op) String() string {
	switch o {
	case OpEQ:
		return "="
	case OpNE:
		return "!="
	case OpLT:
		return "<"
	case OpLE:
		return "<="
	case OpGT:
		return ">"
	case OpGE:
		return ">="
	case OpHas:
		return ":"
	case OpPrefix:
		return "prefix"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Kind is the type of a filterable field, which decides the allowed
// operators and how values are typed by Check.
type Kind int

// Field kinds.
const (
	String     Kind = iota + 1 // string; = != < <= > >=, and = "abc*" for prefix
	Enum                       // one of Field.Values; = !=
	Timestamp                  // RFC 3339 time; = != < <= > >=
	Int                        // int64; = != < <= > >=
	Bool                       // true/false; = !=
	StringList                 // repeated string; : (has element)
	Map                        // map[string]string; field.key = v, field.key != v, field:key
	Float                      // float64; = != < <= > >= (finite decimal numbers)
)

// Field describes one filterable field of a resource.
type Field struct {
	// Kind is the field's type.
	Kind Kind
	// Values lists the allowed values of an Enum field (exact,
	// case-sensitive, e.g. "KEY", "GENERAL").
	Values []string
}

// Schema maps each filterable field name, as written in the filter, to its
// description.
type Schema map[string]Field

// Error is a user-facing filter error; Msg is meant to be shown to the caller
// of the List RPC as is.
type Error struct {
	// Pos is the byte offset in the filter text the problem refers to.
	Pos int
	// Msg describes the problem and, where possible, what is allowed.
	Msg string
}

// Error returns "filter: <msg> (at position N)".
func (e *Error) Error() string {
	return fmt.Sprintf("filter: %s (at position %d)", e.Msg, e.Pos)
}

func errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ParseAndCheck parses text and checks it against s; empty text yields
// (nil, nil), meaning "no filter".
func ParseAndCheck(text string, s Schema) (Expr, error) {
	e, err := Parse(text)
	if err != nil {
		return nil, err
	}
	return Check(e, s)
}
