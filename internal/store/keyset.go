package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

// Keyset pagination: rows are ordered by the requested columns plus the id, and the
// next page starts after the last row's values of those columns. Pages stay stable
// under inserts and cost the same at any depth (no OFFSET).

type keyKind int

const (
	keyString keyKind = iota
	keyTime
	keyBool
	keyUUID
	keyInt
	keyFloat
)

// sortCol is an orderable field.
type sortCol struct {
	col  string
	kind keyKind
}

// keyTerm is one column of a resolved ordering.
type keyTerm struct {
	col  string
	kind keyKind
	desc bool
}

// resolveOrder maps order_by terms to columns and adds the id as tie-breaker, in the
// direction of the first term.
func resolveOrder(terms []orderby.Term, cols map[string]sortCol) []keyTerm {
	out := make([]keyTerm, 0, len(terms)+1)
	for _, t := range terms {
		c := cols[t.Field]
		out = append(out, keyTerm{col: c.col, kind: c.kind, desc: t.Desc})
	}
	if len(out) > 0 && out[len(out)-1].col == "id" {
		return out // already unique
	}
	desc := len(terms) > 0 && terms[0].Desc
	return append(out, keyTerm{col: "id", kind: keyUUID, desc: desc})
}

// orderAndSeek orders s by ks and, with a cursor, keeps the rows after it.
func orderAndSeek(s *sql.Selector, ks []keyTerm, after *page.Cursor) error {
	for _, k := range ks {
		if k.desc {
			s.OrderBy(sql.Desc(s.C(k.col)))
		} else {
			s.OrderBy(sql.Asc(s.C(k.col)))
		}
	}
	if after == nil {
		return nil
	}
	if len(after.Keys) != len(ks) {
		return account.ErrBadCursor
	}
	vals := make([]any, len(ks))
	for i, k := range ks {
		v, err := decodeKey(k.kind, after.Keys[i])
		if err != nil {
			return account.ErrBadCursor
		}
		vals[i] = v
	}
	if sameDirection(ks) {
		// A row-value comparison, (a, b, id) > ($1, $2, $3), is an index range on
		// PostgreSQL and SQLite; the equivalent OR chain below makes PostgreSQL scan the
		// index from the start and filter, so deep pages would cost more and more.
		op := ">"
		if ks[0].desc {
			op = "<"
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(")
			for i, k := range ks {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(s.C(k.col))
			}
			b.WriteString(") " + op + " (")
			b.Args(vals...)
			b.WriteString(")")
		}))
		return nil
	}
	ors := make([]*sql.Predicate, 0, len(ks))
	for i, k := range ks {
		ands := make([]*sql.Predicate, 0, i+1)
		for j := 0; j < i; j++ {
			ands = append(ands, sql.EQ(s.C(ks[j].col), vals[j]))
		}
		if k.desc {
			ands = append(ands, sql.LT(s.C(k.col), vals[i]))
		} else {
			ands = append(ands, sql.GT(s.C(k.col), vals[i]))
		}
		ors = append(ors, sql.And(ands...))
	}
	s.Where(sql.Or(ors...))
	return nil
}

func sameDirection(ks []keyTerm) bool {
	for _, k := range ks[1:] {
		if k.desc != ks[0].desc {
			return false
		}
	}
	return true
}

func decodeKey(k keyKind, s string) (any, error) {
	switch k {
	case keyTime:
		return time.Parse(time.RFC3339Nano, s)
	case keyBool:
		switch s {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return nil, fmt.Errorf("bad bool %q", s)
	case keyUUID:
		return uuid.Parse(s)
	case keyInt:
		return strconv.ParseInt(s, 10, 64)
	case keyFloat:
		return strconv.ParseFloat(s, 64)
	}
	return s, nil
}

func encodeKey(v any) string {
	switch v := v.(type) {
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case uuid.UUID:
		return v.String()
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return v
	}
	panic(fmt.Sprintf("store: no key encoding for %T", v))
}

// cut trims rows fetched with limit size+1 to size and returns the cursor after the
// last kept row when there are more.
func cut[T any](rows []T, size int, ks []keyTerm, value func(T, string) any) ([]T, *page.Cursor) {
	if len(rows) <= size {
		return rows, nil
	}
	rows = rows[:size]
	last := rows[size-1]
	c := &page.Cursor{Keys: make([]string, len(ks))}
	for i, k := range ks {
		c.Keys[i] = encodeKey(value(last, k.col))
	}
	return rows, c
}

// colKind says how a filter field maps to SQL.
type colKind int

const (
	colPlain    colKind = iota // a column compared as is
	colEnum                    // a column holding enum names without their prefix
	colDate                    // a date column, filtered with YYYY-MM-DD
	colLabels                  // membership in account_labels
	colExternal                // account_external_ids by system
	colDealKind                // a deal's kind: is_first, or its stored kind ("" = REPURCHASE when won)
	colAccount                 // a column of the row's account (accounts.id = the row's id), prefix stripped
	colNotNull                 // a boolean: whether the column is set
	colRef                     // a UUID column compared with a resource name, prefix "kind/"
)

// colSpec maps a filter field to SQL.
type colSpec struct {
	col    string
	kind   colKind
	prefix string // colEnum: the API enum prefix to strip
}

// wherePredicate translates a checked filter into a predicate over s. The values are
// always bound as arguments: filter text never becomes SQL.
func wherePredicate(s *sql.Selector, e filter.Expr, cols map[string]colSpec) *sql.Predicate {
	switch n := e.(type) {
	case *filter.And:
		ps := make([]*sql.Predicate, len(n.Terms))
		for i, t := range n.Terms {
			ps[i] = wherePredicate(s, t, cols)
		}
		return sql.And(ps...)
	case *filter.Or:
		ps := make([]*sql.Predicate, len(n.Terms))
		for i, t := range n.Terms {
			ps[i] = wherePredicate(s, t, cols)
		}
		return sql.Or(ps...)
	case *filter.Not:
		return sql.Not(wherePredicate(s, n.X, cols))
	case *filter.Compare:
		spec := cols[n.Field]
		switch spec.kind {
		case colLabels:
			t := sql.Table("account_labels")
			sub := sql.Dialect(s.Dialect()).Select(t.C("account_id")).From(t).
				Where(sql.And(sql.ColumnsEQ(t.C("account_id"), s.C("id")), sql.EQ(t.C("label"), n.Value)))
			return sql.Exists(sub)
		case colExternal:
			t := sql.Table("account_external_ids")
			conds := []*sql.Predicate{sql.ColumnsEQ(t.C("account_id"), s.C("id")), sql.EQ(t.C("system"), n.Key)}
			if n.Op != filter.OpHas {
				conds = append(conds, sql.EQ(t.C("external_id"), n.Value))
			}
			sub := sql.Dialect(s.Dialect()).Select(t.C("account_id")).From(t).Where(sql.And(conds...))
			if n.Op == filter.OpNE {
				return sql.NotExists(sub)
			}
			return sql.Exists(sub)
		}
		switch spec.kind {
		case colAccount:
			v := n.Value
			if str, ok := v.(string); ok && spec.prefix != "" {
				v = strings.TrimPrefix(str, spec.prefix)
			}
			a := sql.Table("accounts")
			sub := sql.Dialect(s.Dialect()).Select(a.C("id")).From(a).
				Where(compare(a.C(spec.col), n.Op, v))
			return sql.In(s.C("id"), sub)
		case colNotNull:
			set := n.Value.(bool)
			if n.Op == filter.OpNE {
				set = !set
			}
			if set {
				return sql.NotNull(s.C(spec.col))
			}
			return sql.IsNull(s.C(spec.col))
		case colRef:
			id, err := uuid.Parse(strings.TrimPrefix(n.Value.(string), spec.prefix))
			if err != nil || !strings.HasPrefix(n.Value.(string), spec.prefix) {
				// Not a name of this kind: matches nothing (or everything, for !=).
				return sql.P(func(b *sql.Builder) {
					if n.Op == filter.OpNE {
						b.WriteString("1 = 1")
					} else {
						b.WriteString("1 = 0")
					}
				})
			}
			if n.Op == filter.OpNE {
				return sql.NEQ(s.C(spec.col), id)
			}
			return sql.EQ(s.C(spec.col), id)
		}
		if spec.kind == colDealKind {
			p := dealKindPredicate(s, strings.TrimPrefix(n.Value.(string), spec.prefix))
			if n.Op == filter.OpNE {
				return sql.Not(p)
			}
			return p
		}
		v := n.Value
		switch spec.kind {
		case colEnum, colPlain:
			if str, ok := v.(string); ok && spec.prefix != "" {
				v = strings.TrimPrefix(str, spec.prefix)
			}
		case colDate:
			// The domain checked it is a calendar date; dates are stored at midnight UTC.
			d, err := time.Parse("2006-01-02", v.(string))
			if err != nil {
				panic(fmt.Sprintf("store: unchecked date %q reached the store", v))
			}
			v = d
		}
		return compare(s.C(spec.col), n.Op, v)
	}
	panic(fmt.Sprintf("store: unhandled filter node %T", e))
}

// compare is column c op v.
func compare(c string, op filter.Op, v any) *sql.Predicate {
	switch op {
	case filter.OpEQ:
		return sql.EQ(c, v)
	case filter.OpNE:
		return sql.NEQ(c, v)
	case filter.OpLT:
		return sql.LT(c, v)
	case filter.OpLE:
		return sql.LTE(c, v)
	case filter.OpGT:
		return sql.GT(c, v)
	case filter.OpGE:
		return sql.GTE(c, v)
	case filter.OpPrefix:
		return sql.HasPrefixFold(c, v.(string))
	}
	panic(fmt.Sprintf("store: unhandled filter operator %v", op))
}

// dealKindPredicate matches deals of an API kind: the first purchase is marked, and a
// won deal stored without a kind is a repurchase.
func dealKindPredicate(s *sql.Selector, kind string) *sql.Predicate {
	switch kind {
	case account.KindFirstPurchase:
		return sql.EQ(s.C("is_first"), true)
	case account.KindRepurchase:
		return sql.And(sql.EQ(s.C("is_first"), false), sql.Or(
			sql.EQ(s.C("kind"), kind),
			sql.And(sql.EQ(s.C("kind"), ""), sql.EQ(s.C("status"), account.StatusWon))))
	}
	return sql.And(sql.EQ(s.C("is_first"), false), sql.EQ(s.C("kind"), kind))
}
