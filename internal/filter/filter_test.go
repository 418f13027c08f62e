package filter

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleSchema is the schema used by the Check and fuzz tests.
func sampleSchema() Schema {
	return Schema{
		"display_name":   {Kind: String},
		"industry":       {Kind: String},
		"revenue_tier":   {Kind: Enum, Values: []string{"KEY", "GENERAL", "SMALL"}},
		"create_time":    {Kind: Timestamp},
		"employee_count": {Kind: Int},
		"score":          {Kind: Float},
		"deleted":        {Kind: Bool},
		"labels":         {Kind: StringList},
		"external_ids":   {Kind: Map},
	}
}

// dump renders a tree compactly for assertions: comparisons as
// field[key]OPvalue, a "(w)" suffix marking an unescaped trailing wildcard,
// and typed values as type(value).
func dump(e Expr) string {
	switch x := e.(type) {
	case nil:
		return "<nil>"
	case *And:
		return "AND(" + dumpAll(x.Terms) + ")"
	case *Or:
		return "OR(" + dumpAll(x.Terms) + ")"
	case *Not:
		return "NOT(" + dump(x.X) + ")"
	case *Compare:
		s := x.Field
		if x.Key != "" {
			s += "[" + x.Key + "]"
		}
		s += x.Op.String()
		switch v := x.Value.(type) {
		case string:
			s += fmt.Sprintf("%q", v)
		case time.Time:
			s += "time(" + v.Format(time.RFC3339Nano) + " " + v.Location().String() + ")"
		case nil:
			s += "nil"
		default:
			s += fmt.Sprintf("%T(%v)", v, v)
		}
		if x.wildcard {
			s += "(w)"
		}
		return s
	}
	return fmt.Sprintf("?%T", e)
}

func dumpAll(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = dump(e)
	}
	return strings.Join(parts, ", ")
}

var parseTests = []struct {
	in   string
	want string
}{
	// Basic comparisons, spacing and quoting.
	{`display_name = "Acme"`, `display_name="Acme"`},
	{`display_name="Acme"`, `display_name="Acme"`},
	{"  display_name\t=\n'Acme'  ", `display_name="Acme"`},
	{`a != x`, `a!="x"`},
	{`a < x`, `a<"x"`},
	{`a <= x`, `a<="x"`},
	{`a > x`, `a>"x"`},
	{`a >= x`, `a>="x"`},
	{`a:x`, `a:"x"`},
	{`a : x`, `a:"x"`},
	{`a:b:c`, `a:"b:c"`},
	{`a = ""`, `a=""`},
	{`a = "héllo wörld ✓"`, `a="héllo wörld ✓"`},
	{`a = NOTHING`, `a="NOTHING"`},
	{`a = "AND"`, `a="AND"`},
	{`NOTE = 1`, `NOTE="1"`},
	{`ORACLE = 1 OR ANDY = 2`, `OR(ORACLE="1", ANDY="2")`},
	{`a_1 = x_y-z.w+v`, `a_1="x_y-z.w+v"`},

	// Escapes.
	{`a = "q\"uote\\ \n\t 'single'"`, `a="q\"uote\\ \n\t 'single'"`},
	{`a = 'it\'s "x"'`, `a="it's \"x\""`},
	{`a = "semi\*literal"`, `a="semi*literal"`},

	// Bare timestamps and numbers.
	{`create_time > 2026-01-02T03:04:05Z`, `create_time>"2026-01-02T03:04:05Z"`},
	{`create_time>=2026-01-02T03:04:05.123+01:00`, `create_time>="2026-01-02T03:04:05.123+01:00"`},
	{`employee_count < -3`, `employee_count<"-3"`},
	{`employee_count=+3`, `employee_count="+3"`},

	// Wildcards: only an unescaped trailing * is marked.
	{`a = "acme*"`, `a="acme*"(w)`},
	{`a = acme*`, `a="acme*"(w)`},
	{`a = "acme\*"`, `a="acme*"`},
	{`a = "ac*me"`, `a="ac*me"`},
	{`a = "acme\\*"`, `a="acme\\*"(w)`},
	{`a = "acme\**"`, `a="acme**"(w)`},
	{`a = *`, `a="*"(w)`},

	// Map keys.
	{`external_ids.crm = "x"`, `external_ids[crm]="x"`},
	{`external_ids:crm`, `external_ids:"crm"`},

	// Boolean structure, precedence and flattening.
	{`a = 1 AND b = 2`, `AND(a="1", b="2")`},
	{`a=1 AND b=2 OR c=3`, `AND(a="1", OR(b="2", c="3"))`},
	{`a=1 OR b=2 AND c=3`, `AND(OR(a="1", b="2"), c="3")`},
	{`a=1 OR b=2 OR c=3`, `OR(a="1", b="2", c="3")`},
	{`a=1 AND b=2 AND c=3`, `AND(a="1", b="2", c="3")`},
	{`a=1 AND (b=2 AND c=3) AND d=4`, `AND(a="1", b="2", c="3", d="4")`},
	{`(a=1 OR b=2) OR (c=3 OR d=4)`, `OR(a="1", b="2", c="3", d="4")`},
	{`a=1 OR (b=2 c=3)`, `OR(a="1", AND(b="2", c="3"))`},
	{`(a=1 OR b=2) c=3`, `AND(OR(a="1", b="2"), c="3")`},
	{`((a=1))`, `a="1"`},
	{`( a=1 )`, `a="1"`},
	{`a = "x"` + "\n AND\tb = 'y'", `AND(a="x", b="y")`},

	// Juxtaposition.
	{`a=1 b=2`, `AND(a="1", b="2")`},
	{`a=1 b=2 OR c=3`, `AND(a="1", OR(b="2", c="3"))`},
	{`a=1 b=2 AND c=3`, `AND(a="1", b="2", c="3")`},
	{`(a=1)(b=2)`, `AND(a="1", b="2")`},
	{`a="x"b="y"`, `AND(a="x", b="y")`},

	// Negation.
	{`NOT a=1`, `NOT(a="1")`},
	{`-labels:"vip"`, `NOT(labels:"vip")`},
	{`-labels:vip`, `NOT(labels:"vip")`},
	{`NOT a=1 OR b=2`, `OR(NOT(a="1"), b="2")`},
	{`NOT (a=1 OR b=2)`, `NOT(OR(a="1", b="2"))`},
	{`NOT(a=1)`, `NOT(a="1")`},
	{`-(a=1 b=2)`, `NOT(AND(a="1", b="2"))`},
	{`NOT NOT a=1`, `NOT(NOT(a="1"))`},
	{`--a=1`, `NOT(NOT(a="1"))`},
	{`a=1 AND-b=2`, `AND(a="1", NOT(b="2"))`},
	{`a = 1 NOT b = 2`, `AND(a="1", NOT(b="2"))`},
	{`a = 1 -b = 2`, `AND(a="1", NOT(b="2"))`},
	{`a = -1`, `a="-1"`},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		e, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got := dump(e); got != tc.want {
			t.Errorf("Parse(%q)\n got  %s\n want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", " ", "\t\n\r  "} {
		e, err := Parse(in)
		if e != nil || err != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, nil", in, e, err)
		}
	}
}

func TestParseExactTree(t *testing.T) {
	e, err := Parse(`a = "x*" OR -external_ids.crm != 'y'`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Or{Terms: []Expr{
		&Compare{Field: "a", Op: OpEQ, Value: "x*", Pos: 0, wildcard: true},
		&Not{X: &Compare{Field: "external_ids", Key: "crm", Op: OpNE, Value: "y", Pos: 13}},
	}}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got %s, want %s", dump(e), dump(want))
	}
}

func nested(open, inner, closing string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(closing, n)
}

func repeatJoin(s string, n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = s
	}
	return strings.Join(parts, sep)
}

var parseErrorTests = []struct {
	in   string
	want string // substring of the message
	pos  int
}{
	// Strings and escapes.
	{`a = "abc`, `unterminated string (missing closing ")`, 4},
	{`a = 'abc`, `unterminated string (missing closing ')`, 4},
	{`a = "abc\`, `unterminated string`, 4},
	{`a = "a\qb"`, `invalid escape sequence "\\q" in string; supported escapes are`, 6},
	{`a = "a\é"`, `invalid escape sequence "\\é"`, 6},

	// Missing pieces.
	{`a =`, `missing value after operator "=" for field "a"`, 3},
	{`a:`, `missing value after operator ":" for field "a"`, 2},
	{`a = )`, `missing value after operator "=" for field "a", found ")"`, 4},
	{`a = (b)`, `missing value after operator "=" for field "a", found "("`, 4},
	{`a = AND b = 1`, `missing value after operator "=" for field "a", found AND (quote it`, 4},
	{`a == 1`, `missing value after operator "=" for field "a", found "="`, 3},
	{`a = é`, `found "é" (quote values`, 4},
	{`a`, `missing operator after field "a"`, 1},
	{`a b`, `expected an operator (=, !=, <, <=, >, >=, :) after field "a", found "b"`, 2},
	{`a ! b`, `after field "a", found "!"`, 2},
	{`a=1 and b=2`, `after field "and", found "b" (boolean operators must be uppercase: AND)`, 8},
	{`a=1 or b=2`, `(boolean operators must be uppercase: OR)`, 7},

	// Unexpected tokens.
	{`a=1 AND`, `unexpected end of filter after AND; expected a comparison`, 7},
	{`a=1 OR`, `unexpected end of filter after OR`, 6},
	{`NOT`, `unexpected end of filter after NOT`, 3},
	{`AND a=1`, `unexpected AND; expected a comparison`, 0},
	{`a=1 OR OR b=1`, `unexpected OR after OR`, 7},
	{`a=1 AND AND b=1`, `unexpected AND after AND`, 8},
	{`a=1 AND OR b=1`, `unexpected OR after AND`, 8},
	{`"x"`, `unexpected quoted string; expected a field name`, 0},
	{`a=1 "x"`, `unexpected quoted string; expected AND, OR, another comparison`, 4},
	{`a = 1 , b = 2`, `unexpected ","; expected AND, OR`, 6},
	{`#`, `unexpected "#"; expected a comparison`, 0},
	{`a=1 AND )`, `unexpected ")" after AND`, 8},
	{`é = 1`, `unexpected "é"`, 0},
	{`- a=1`, `"-" must be directly followed by the comparison or "(" it negates`, 0},
	{`a=1 -`, `"-" must be directly followed`, 4},
	{`a=1 AND >= 2`, `unexpected ">=" after AND`, 8},

	// Field paths.
	{`a.b.c = 1`, `field path "a.b.c" has more than one "."`, 0},
	{`x AND a..b = 1`, `expected an operator`, 2},
	{`a..b = 1`, `field path "a..b" has more than one "."`, 0},
	{`a. = 1`, `invalid field name "a."`, 0},
	{`.a = 1`, `invalid field name ".a"`, 0},

	// Parentheses.
	{`(a=1`, `unbalanced parentheses: "(" is never closed`, 0},
	{`a=1 AND (b=2 OR (c=3)`, `unbalanced parentheses: "(" is never closed`, 8},
	{`(`, `unbalanced parentheses: "(" is never closed`, 0},
	{`a=1)`, `unbalanced parentheses: unexpected ")" with no matching "("`, 3},
	{`(a=1))`, `unbalanced parentheses: unexpected ")"`, 5},
	{`)`, `unexpected ")"; expected a comparison`, 0},
	{`()`, `empty parentheses`, 0},
	{`a=1 AND ( )`, `empty parentheses`, 8},
	{`NOT ()`, `empty parentheses`, 4},

	// Limits and encoding.
	{strings.Repeat("a", maxLength+1), `filter is too long (2001 bytes; the limit is 2000)`, 2000},
	{"a = \"\xff\"", `filter is not valid UTF-8`, 5},
	{"a = \xc3", `filter is not valid UTF-8`, 4},
	{repeatJoin("a=1", maxComparisons+1, " "), `too many comparisons (the limit is 50)`, 200},
	{repeatJoin("a=1", maxComparisons+1, " OR "), `too many comparisons`, 350},
	{nested("(", "a=1", ")", maxDepth+1), `filter is nested too deeply (more than 20 levels`, 20},
	{nested("NOT ", "a=1", "", maxDepth+1), `nested too deeply`, 80},
	{nested("-", "a=1", "", maxDepth+1), `nested too deeply`, 20},
	{nested("-(", "a=1", ")", 11), `nested too deeply`, 20},
	{nested("(", "a=1", ")", 100000), `filter is too long`, 2000},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorTests {
		e, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%.60q) = %s; want error containing %q", tc.in, dump(e), tc.want)
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("Parse(%.60q): error %T is not *Error", tc.in, err)
			continue
		}
		if !strings.Contains(fe.Msg, tc.want) {
			t.Errorf("Parse(%.60q): message %q does not contain %q", tc.in, fe.Msg, tc.want)
		}
		if fe.Pos != tc.pos {
			t.Errorf("Parse(%.60q): Pos = %d, want %d (%v)", tc.in, fe.Pos, tc.pos, err)
		}
		if e != nil {
			t.Errorf("Parse(%.60q): non-nil tree with error", tc.in)
		}
	}
}

func TestParseAtLimits(t *testing.T) {
	for _, in := range []string{
		`a = "` + strings.Repeat("x", maxLength-6) + `"`,
		repeatJoin("a=1", maxComparisons, " "),
		nested("(", "a=1", ")", maxDepth),
		nested("NOT ", "a=1", "", maxDepth),
		nested("-(", "a=1", ")", maxDepth/2),
	} {
		if len(in) > maxLength {
			t.Fatalf("test input too long: %d", len(in))
		}
		if _, err := Parse(in); err != nil {
			t.Errorf("Parse(%.60q): %v", in, err)
		}
	}
}

func TestErrorString(t *testing.T) {
	_, err := Parse(`a = "x`)
	if got, want := err.Error(), `filter: unterminated string (missing closing ") (at position 4)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestOpString(t *testing.T) {
	want := map[Op]string{OpEQ: "=", OpNE: "!=", OpLT: "<", OpLE: "<=", OpGT: ">", OpGE: ">=", OpHas: ":", OpPrefix: "prefix", 0: "Op(0)", 99: "Op(99)"}
	for op, s := range want {
		if op.String() != s {
			t.Errorf("Op(%d).String() = %q, want %q", int(op), op.String(), s)
		}
	}
}

var checkTests = []struct {
	in   string
	want string
}{
	// String.
	{`display_name = "Acme"`, `display_name="Acme"`},
	{`display_name != Acme`, `display_name!="Acme"`},
	{`display_name < "B"`, `display_name<"B"`},
	{`display_name <= "B"`, `display_name<="B"`},
	{`display_name > "B"`, `display_name>"B"`},
	{`display_name >= "B"`, `display_name>="B"`},
	{`display_name = "Acme*"`, `display_name prefix "Acme"`},
	{`display_name = Acme*`, `display_name prefix "Acme"`},
	{`display_name = "*"`, `display_name prefix ""`},
	{`display_name = "Acme**"`, `display_name prefix "Acme*"`},
	{`display_name = "Acme\**"`, `display_name prefix "Acme*"`},
	{`display_name = "Acme\*"`, `display_name="Acme*"`},
	{`display_name = "Ac*me"`, `display_name="Ac*me"`},
	{`display_name = "A\\*"`, `display_name prefix "A\\"`},

	// Enum.
	{`revenue_tier = KEY`, `revenue_tier="KEY"`},
	{`revenue_tier != "GENERAL"`, `revenue_tier!="GENERAL"`},

	// Timestamp: quoted or bare, converted to UTC, every comparison op.
	{`create_time = 2026-01-02T03:04:05Z`, `create_time=time(2026-01-02T03:04:05Z UTC)`},
	{`create_time != "2026-01-02T03:04:05Z"`, `create_time!=time(2026-01-02T03:04:05Z UTC)`},
	{`create_time < 2026-01-02T03:04:05+01:00`, `create_time<time(2026-01-02T02:04:05Z UTC)`},
	{`create_time <= '2026-01-02T03:04:05.5-02:30'`, `create_time<=time(2026-01-02T05:34:05.5Z UTC)`},
	{`create_time > 2026-01-02T03:04:05.123456789Z`, `create_time>time(2026-01-02T03:04:05.123456789Z UTC)`},
	{`create_time >= 1970-01-01T00:00:00Z`, `create_time>=time(1970-01-01T00:00:00Z UTC)`},
	{`create_time >= 0001-01-01T00:00:00Z`, `create_time>=time(0001-01-01T00:00:00Z UTC)`},
	{`create_time <= 9999-12-31T23:59:59.999999999Z`, `create_time<=time(9999-12-31T23:59:59.999999999Z UTC)`},

	// Int.
	{`employee_count = 10`, `employee_count=int64(10)`},
	{`employee_count != -3`, `employee_count!=int64(-3)`},
	{`employee_count < "7"`, `employee_count<int64(7)`},
	{`employee_count <= 9223372036854775807`, `employee_count<=int64(9223372036854775807)`},
	{`employee_count > -9223372036854775808`, `employee_count>int64(-9223372036854775808)`},
	{`employee_count >= +5`, `employee_count>=int64(5)`},

	// Float.
	{`score < 39.5`, `score<float64(39.5)`},
	{`score >= -2`, `score>=float64(-2)`},
	{`score != "1e2"`, `score!=float64(100)`},

	// Bool.
	{`deleted = true`, `deleted=bool(true)`},
	{`deleted != false`, `deleted!=bool(false)`},

	// StringList.
	{`labels:vip`, `labels:"vip"`},
	{`labels:"vip\*"`, `labels:"vip*"`},
	{`labels:"a b"`, `labels:"a b"`},

	// Map.
	{`external_ids.crm = "x"`, `external_ids[crm]="x"`},
	{`external_ids.crm != x`, `external_ids[crm]!="x"`},
	{`external_ids:crm`, `external_ids[crm]:nil`},
	{`external_ids:"my key"`, `external_ids[my key]:nil`},
	{`external_ids.crm = "x\*"`, `external_ids[crm]="x*"`},

	// Structure is preserved.
	{`NOT (deleted = true OR labels:vip) employee_count > 5`, `AND(NOT(OR(deleted=bool(true), labels:"vip")), employee_count>int64(5))`},
	{`-display_name = A* OR industry = "Retail"`, `OR(NOT(display_name prefix "A"), industry="Retail")`},
}

func TestCheck(t *testing.T) {
	s := sampleSchema()
	for _, tc := range checkTests {
		e, err := ParseAndCheck(tc.in, s)
		if err != nil {
			t.Errorf("ParseAndCheck(%q): unexpected error %v", tc.in, err)
			continue
		}
		got := strings.ReplaceAll(dump(e), "prefix", " prefix ")
		if got != tc.want {
			t.Errorf("ParseAndCheck(%q)\n got  %s\n want %s", tc.in, got, tc.want)
		}
	}
}

func TestCheckTypes(t *testing.T) {
	e, err := ParseAndCheck(`create_time > 2026-01-02T03:04:05+01:00 employee_count = 3 deleted = true`, sampleSchema())
	if err != nil {
		t.Fatal(err)
	}
	terms := e.(*And).Terms
	ts, ok := terms[0].(*Compare).Value.(time.Time)
	if !ok || ts.Location() != time.UTC || !ts.Equal(time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC)) {
		t.Errorf("timestamp value = %#v", terms[0].(*Compare).Value)
	}
	if v, ok := terms[1].(*Compare).Value.(int64); !ok || v != 3 {
		t.Errorf("int value = %#v", terms[1].(*Compare).Value)
	}
	if v, ok := terms[2].(*Compare).Value.(bool); !ok || !v {
		t.Errorf("bool value = %#v", terms[2].(*Compare).Value)
	}
}

const allFields = "create_time, deleted, display_name, employee_count, external_ids, industry, labels, revenue_tier"

var checkErrorTests = []struct {
	in   string
	want string
	pos  int
}{
	{`colour = "red"`, `unknown field "colour"; filterable fields are: ` + allFields, 0},
	{`deleted = true AND colour = 1`, `unknown field "colour"`, 19},
	{`colour.x = 1`, `unknown field "colour.x"; filterable fields are: create_time,`, 0},
	{`Display_Name = "x"`, `unknown field "Display_Name"`, 0},

	// String.
	{`display_name:"x"`, `operator ":" is not supported for field "display_name" (string); allowed operators are: =, !=, <, <=, >, >=`, 0},
	{`display_name != "Acme*"`, `wildcard "*" is only supported with "=" on field "display_name"; use NOT display_name = "Acme*" to exclude a prefix`, 0},
	{`display_name > Acme*`, `wildcard "*" is only supported with "=" on field "display_name"; write \* inside quotes for a literal *`, 0},
	{`display_name.first = "x"`, `field "display_name" is a string, not a map, so "display_name.first" is not a valid field`, 0},

	// Enum.
	{`revenue_tier = "key"`, `invalid value "key" for field "revenue_tier"; allowed values are: GENERAL, KEY, SMALL`, 0},
	{`revenue_tier = KEY*`, `invalid value "KEY*" for field "revenue_tier"`, 0},
	{`revenue_tier < KEY`, `operator "<" is not supported for field "revenue_tier" (enum); allowed operators are: =, !=`, 0},
	{`revenue_tier:KEY`, `operator ":" is not supported for field "revenue_tier"`, 0},

	// Timestamp.
	{`create_time > yesterday`, `invalid value "yesterday" for field "create_time"; expected an RFC 3339 timestamp`, 0},
	{`create_time = "2026-01-02"`, `invalid value "2026-01-02" for field "create_time"`, 0},
	{`create_time = "2026-01-02T03:04:05"`, `expected an RFC 3339 timestamp`, 0},
	{`create_time = "2026-13-02T03:04:05Z"`, `expected an RFC 3339 timestamp`, 0},
	{`create_time > 0000-01-01T00:00:00+01:00`, `timestamp for field "create_time" is out of range; years must be 0001 to 9999 in UTC`, 0},
	{`create_time > 9999-12-31T23:59:59-01:00`, `timestamp for field "create_time" is out of range`, 0},
	{`create_time > 0000-01-01T00:00:00Z`, `is out of range`, 0},
	{`create_time:2026-01-02T03:04:05Z`, `operator ":" is not supported for field "create_time" (timestamp); allowed operators are: =, !=, <, <=, >, >=`, 0},

	// Int.
	{`employee_count = ten`, `invalid value "ten" for field "employee_count"; expected an integer`, 0},
	{`score = high`, `invalid value "high" for field "score"; expected a number such as 42 or 39.5`, 0},
	{`score = NaN`, `invalid value "NaN" for field "score"; expected a number`, 0},
	{`score = 1e999`, `invalid value "1e999" for field "score"; expected a number`, 0},
	{`score:5`, `field "score"`, 0},
	{`employee_count = 1.5`, `invalid value "1.5" for field "employee_count"; expected an integer`, 0},
	{`employee_count = 5*`, `invalid value "5*"`, 0},
	{`employee_count = 9223372036854775808`, `expected an integer between -9223372036854775808 and 9223372036854775807`, 0},
	{`employee_count:5`, `operator ":" is not supported for field "employee_count" (integer)`, 0},

	// Bool.
	{`deleted = yes`, `invalid value "yes" for field "deleted"; expected true or false`, 0},
	{`deleted = TRUE`, `invalid value "TRUE" for field "deleted"; expected true or false`, 0},
	{`deleted < true`, `operator "<" is not supported for field "deleted" (boolean); allowed operators are: =, !=`, 0},

	// StringList.
	{`labels = vip`, `operator "=" is not supported for field "labels" (a string list); use labels:"value"`, 0},
	{`labels:vip*`, `wildcard "*" is only supported with "=" on string fields, not for field "labels"`, 0},

	// Map.
	{`external_ids = "x"`, `operator "=" is not supported for map field "external_ids"; use external_ids.<key> = "value", external_ids.<key> != "value", or external_ids:<key>`, 0},
	{`external_ids.crm:x`, `operator ":" is not supported for map field "external_ids"`, 0},
	{`external_ids.crm < x`, `operator "<" is not supported for map field "external_ids"`, 0},
	{`external_ids:""`, `missing map key for field "external_ids"`, 0},
	{`external_ids:crm*`, `wildcard "*" is only supported with "=" on string fields, not for field "external_ids"`, 0},
	{`external_ids.crm = "x*"`, `wildcard "*" is only supported with "=" on string fields`, 0},

	// Errors inside structure carry the comparison's position.
	{`industry = x AND (NOT deleted = maybe)`, `invalid value "maybe" for field "deleted"`, 22},
}

func TestCheckErrors(t *testing.T) {
	s := sampleSchema()
	for _, tc := range checkErrorTests {
		e, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		c, err := Check(e, s)
		if err == nil {
			t.Errorf("Check(%q) = %s; want error containing %q", tc.in, dump(c), tc.want)
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("Check(%q): error %T is not *Error", tc.in, err)
			continue
		}
		if !strings.Contains(fe.Msg, tc.want) {
			t.Errorf("Check(%q): message %q does not contain %q", tc.in, fe.Msg, tc.want)
		}
		if fe.Pos != tc.pos {
			t.Errorf("Check(%q): Pos = %d, want %d", tc.in, fe.Pos, tc.pos)
		}
	}
}

func TestCheckEmptySchema(t *testing.T) {
	_, err := ParseAndCheck(`a = 1`, Schema{})
	if err == nil || !strings.Contains(err.Error(), `unknown field "a"; this resource has no filterable fields`) {
		t.Errorf("got %v", err)
	}
}

func TestCheckEnumValuesListedSorted(t *testing.T) {
	s := Schema{"state": {Kind: Enum, Values: []string{"ZULU", "ALPHA"}}}
	_, err := ParseAndCheck(`state = X`, s)
	if err == nil || !strings.Contains(err.Error(), "allowed values are: ALPHA, ZULU") {
		t.Errorf("got %v", err)
	}
	if s["state"].Values[0] != "ZULU" {
		t.Error("Check reordered the schema's Values")
	}
}

func TestCheckDottedSchemaField(t *testing.T) {
	s := Schema{"address.city": {Kind: String}, "tags": {Kind: Map}}
	e, err := ParseAndCheck(`address.city = "Oslo" tags.env = prod`, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dump(e), `AND(address.city="Oslo", tags[env]="prod")`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := Format(e), `address.city = "Oslo" AND tags.env = "prod"`; got != want {
		t.Errorf("Format = %s, want %s", got, want)
	}
	if _, err := ParseAndCheck(`address.town = "Oslo"`, s); err == nil || !strings.Contains(err.Error(), `unknown field "address.town"`) {
		t.Errorf("got %v", err)
	}
}

func TestCheckNilAndInvalidTrees(t *testing.T) {
	s := sampleSchema()
	if e, err := Check(nil, s); e != nil || err != nil {
		t.Errorf("Check(nil) = %v, %v", e, err)
	}
	if e, err := ParseAndCheck("  ", s); e != nil || err != nil {
		t.Errorf("ParseAndCheck(blank) = %v, %v", e, err)
	}
	deep := Expr(&Compare{Field: "deleted", Op: OpEQ, Value: "true"})
	for range 1000 {
		deep = &Not{X: deep}
	}
	many := &And{}
	for range maxComparisons + 1 {
		many.Terms = append(many.Terms, &Compare{Field: "deleted", Op: OpEQ, Value: "true"})
	}
	for _, e := range []Expr{
		(*Compare)(nil),
		(*And)(nil),
		&And{},
		&Or{Terms: []Expr{nil}},
		&Not{},
		&Not{X: (*Or)(nil)},
		&Compare{Field: "deleted", Op: OpEQ, Value: 42},
		&Compare{Field: "deleted", Op: Op(99), Value: "true"},
		&Compare{Field: "display_name", Op: OpHas, Value: "x"},
		&Compare{Field: "x", Op: OpEQ, Value: "1"},
		&Compare{Field: "odd", Op: OpEQ, Value: "1"},
		deep,
		many,
	} {
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Check(%s) panicked: %v", dump(e), r)
				}
			}()
			_, err = Check(e, Schema{"deleted": {Kind: Bool}, "display_name": {Kind: String}, "odd": {Kind: Kind(42)}})
		}()
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("Check(%.80s) error = %v, want *Error", dump(e), err)
		}
	}
}

func TestCheckDoesNotModifyInputAndIsIdempotent(t *testing.T) {
	s := sampleSchema()
	in := `display_name = "Ac*" external_ids:crm create_time > 2026-01-02T03:04:05+01:00 employee_count = 1 deleted = true labels:x external_ids.a = b revenue_tier = KEY`
	e, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	before := dump(e)
	c, err := Check(e, s)
	if err != nil {
		t.Fatal(err)
	}
	if dump(e) != before {
		t.Errorf("Check modified its input:\n before %s\n after  %s", before, dump(e))
	}
	c2, err := Check(c, s)
	if err != nil {
		t.Fatalf("Check of checked tree: %v", err)
	}
	if dump(c2) != dump(c) {
		t.Errorf("Check not idempotent:\n once  %s\n twice %s", dump(c), dump(c2))
	}
}

var formatTests = []struct {
	in      string
	parsed  string // Format(Parse(in))
	checked string // Format(ParseAndCheck(in, sampleSchema())); "" if the input does not check
}{
	{`display_name="Acme"`, `display_name = "Acme"`, `display_name = "Acme"`},
	{`display_name = Acme*`, `display_name = "Acme*"`, `display_name = "Acme*"`},
	{`display_name = "Acme\*"`, `display_name = "Acme\*"`, `display_name = "Acme\*"`},
	{`display_name = "Ac*me"`, `display_name = "Ac*me"`, `display_name = "Ac*me"`},
	{`display_name = "A\**"`, `display_name = "A\**"`, `display_name = "A\**"`},
	{`display_name = 'q"\\\n\t'`, `display_name = "q\"\\\n\t"`, `display_name = "q\"\\\n\t"`},
	{`labels:vip`, `labels:"vip"`, `labels:"vip"`},
	{`-labels:vip`, `NOT labels:"vip"`, `NOT labels:"vip"`},
	{`external_ids:crm`, `external_ids:"crm"`, `external_ids:"crm"`},
	{`external_ids.crm!=x`, `external_ids.crm != "x"`, `external_ids.crm != "x"`},
	{`employee_count>5`, `employee_count > "5"`, `employee_count > 5`},
	{`deleted=true`, `deleted = "true"`, `deleted = true`},
	{`revenue_tier=KEY`, `revenue_tier = "KEY"`, `revenue_tier = "KEY"`},
	{`create_time>2026-01-02T03:04:05.10+01:00`, `create_time > "2026-01-02T03:04:05.10+01:00"`, `create_time > "2026-01-02T02:04:05.1Z"`},
	{`a=1 b=2 OR c=3`, `a = "1" AND b = "2" OR c = "3"`, ``},
	{`(a=1 OR b=2) c=3`, `a = "1" OR b = "2" AND c = "3"`, ``},
	{`a=1 OR (b=2 c=3)`, `a = "1" OR (b = "2" AND c = "3")`, ``},
	{`-(a=1 OR b=2)`, `NOT (a = "1" OR b = "2")`, ``},
	{`NOT (a=1 b=2)`, `NOT (a = "1" AND b = "2")`, ``},
	{`--a=1`, `NOT NOT a = "1"`, ``},
	{`((a=1))`, `a = "1"`, ``},
}

func TestFormat(t *testing.T) {
	s := sampleSchema()
	for _, tc := range formatTests {
		e, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := Format(e); got != tc.parsed {
			t.Errorf("Format(Parse(%q)) = %s, want %s", tc.in, got, tc.parsed)
		}
		if tc.checked == "" {
			continue
		}
		c, err := Check(e, s)
		if err != nil {
			t.Errorf("Check(%q): %v", tc.in, err)
			continue
		}
		if got := Format(c); got != tc.checked {
			t.Errorf("Format(Check(%q)) = %s, want %s", tc.in, got, tc.checked)
		}
	}
	if Format(nil) != "" {
		t.Error("Format(nil) != \"\"")
	}
}

func TestLongUserTextIsClippedInMessages(t *testing.T) {
	for _, in := range []string{
		`deleted = ` + strings.Repeat("x", 1000),
		`revenue_tier = "` + strings.Repeat("é", 500) + `"`,
		strings.Repeat("f", 1000) + ` = 1`,
		strings.Repeat("f", 1000),
	} {
		_, err := ParseAndCheck(in, sampleSchema())
		if err == nil {
			t.Fatalf("ParseAndCheck(%.40q): no error", in)
		}
		msg := err.Error()
		if len(msg) > 400 || !strings.Contains(msg, `..."`) || !strings.Contains(msg, "filter: ") {
			t.Errorf("ParseAndCheck(%.40q): message not clipped: %.500s", in, msg)
		}
	}
}
