package filter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format prints e as canonical filter text that Parse reads back to the same
// tree (and Check, for a checked tree, to the same typed tree). It is meant
// for logs, page tokens and tests. Strings, enums and timestamps are always
// quoted; integers and booleans are bare. Parentheses appear only where
// needed (an AND inside an OR, or an AND/OR under NOT), so the output is
// never nested deeper than the text it was parsed from. Nil yields "".
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e)
	return b.String()
}

func format(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case *And:
		if x == nil {
			return
		}
		for i, t := range x.Terms {
			if i > 0 {
				b.WriteString(" AND ")
			}
			// OR binds tighter than AND and nested ANDs flatten, so no
			// term needs parentheses here.
			format(b, t)
		}
	case *Or:
		if x == nil {
			return
		}
		for i, t := range x.Terms {
			if i > 0 {
				b.WriteString(" OR ")
			}
			if _, ok := t.(*And); ok {
				formatParen(b, t)
			} else {
				format(b, t)
			}
		}
	case *Not:
		if x == nil {
			return
		}
		b.WriteString("NOT ")
		switch x.X.(type) {
		case *And, *Or:
			formatParen(b, x.X)
		default:
			format(b, x.X)
		}
	case *Compare:
		if x != nil {
			formatCompare(b, x)
		}
	}
}

func formatParen(b *strings.Builder, e Expr) {
	b.WriteByte('(')
	format(b, e)
	b.WriteByte(')')
}

func formatCompare(b *strings.Builder, x *Compare) {
	b.WriteString(x.Field)
	if x.Op == OpHas && x.Key != "" && x.Value == nil {
		// Checked map key-presence test: the key is the value in the text.
		b.WriteByte(':')
		quote(b, x.Key, false)
		return
	}
	if x.Key != "" {
		b.WriteByte('.')
		b.WriteString(x.Key)
	}
	switch x.Op {
	case OpHas:
		b.WriteByte(':')
	case OpPrefix:
		b.WriteString(" = ")
	default:
		b.WriteByte(' ')
		b.WriteString(x.Op.String())
		b.WriteByte(' ')
	}
	switch v := x.Value.(type) {
	case string:
		switch {
		case x.Op == OpPrefix:
			quote(b, v, true)
		case x.wildcard:
			quote(b, strings.TrimSuffix(v, "*"), true)
		default:
			quote(b, v, false)
		}
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case time.Time:
		quote(b, v.UTC().Format(time.RFC3339Nano), false)
	case nil:
		b.WriteString(`""`)
	default:
		quote(b, fmt.Sprint(v), false)
	}
}

// quote writes s as a double-quoted filter string. A trailing `*` in s is
// escaped so it stays literal; wildcard appends an unescaped `*`.
func quote(b *strings.Builder, s string, wildcard bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '*':
			if i == len(s)-1 {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if wildcard {
		b.WriteByte('*')
	}
	b.WriteByte('"')
}
