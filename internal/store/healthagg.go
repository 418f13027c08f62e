package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/health"
)

// The aggregates health scoring reads are plain SQL: one grouped query per event
// source and batch of accounts, so the database does the counting and Go receives one
// row per account. Sums are integer micro-units: exact, whatever order rows come in.

// sqlArgs builds a statement's placeholders for the store's dialect.
type sqlArgs struct {
	pg   bool
	args []any
}

func (a *sqlArgs) add(v any) string {
	a.args = append(a.args, v)
	if a.pg {
		return fmt.Sprintf("$%d", len(a.args))
	}
	return fmt.Sprintf("?%d", len(a.args)) // numbered: a statement may use them out of order
}

// in renders "col IN (ids)" (PostgreSQL: one array parameter).
func (a *sqlArgs) in(col string, ids []uuid.UUID) string {
	if a.pg {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = id.String()
		}
		return col + " = ANY(" + a.add(pq.Array(s)) + "::uuid[])"
	}
	ps := make([]string, len(ids))
	for i, id := range ids {
		ps[i] = a.add(id)
	}
	return col + " IN (" + strings.Join(ps, ", ") + ")"
}

// eventSource is where a source's events live.
type eventSource struct {
	table, timeExpr, valueExpr, where string
	signal                            bool
}

func (q queries) eventSource(source string, a *sqlArgs) eventSource {
	dealTime := "close_date"
	if q.postgres() {
		dealTime = "(close_date::timestamp AT TIME ZONE 'UTC')" // a date column: midnight UTC
	}
	switch source {
	case health.SourceInteractions:
		return eventSource{table: "interactions", timeExpr: "occur_time", valueExpr: "1000000"}
	case health.SourceWonDeals:
		return eventSource{table: "deals", timeExpr: dealTime, valueExpr: "1000000", where: "status = " + a.add(account.StatusWon)}
	case health.SourceRepurchases:
		return eventSource{table: "deals", timeExpr: dealTime, valueExpr: "1000000",
			where: "status = " + a.add(account.StatusWon) + " AND NOT is_first"}
	}
	return eventSource{table: "signals", timeExpr: "time", valueExpr: "value_micros", where: "measure = " + a.add(source), signal: true}
}

// Aggregate implements health.Reader.
func (q queries) Aggregate(ctx context.Context, ids []uuid.UUID, asOf time.Time, qs []health.EventQuery) (map[uuid.UUID][]health.EventAgg, error) {
	out := make(map[uuid.UUID][]health.EventAgg, len(ids))
	if len(ids) == 0 || len(qs) == 0 {
		return out, nil
	}
	get := func(id uuid.UUID) []health.EventAgg {
		aggs, ok := out[id]
		if !ok {
			aggs = make([]health.EventAgg, len(qs))
			for i := range qs {
				aggs[i].Counts = make([]int64, len(qs[i].Froms))
				aggs[i].Sums = make([]int64, len(qs[i].Froms))
			}
			out[id] = aggs
		}
		return aggs
	}
	for qi, eq := range qs {
		a := &sqlArgs{pg: q.postgres()}
		src := q.eventSource(eq.Source, a)
		var cols strings.Builder
		fmt.Fprintf(&cols, "account_id, MAX(%s)", src.timeExpr)
		for _, from := range eq.Froms {
			p := a.add(from.UTC())
			fmt.Fprintf(&cols, ", CAST(SUM(CASE WHEN %s > %s THEN 1 ELSE 0 END) AS BIGINT)", src.timeExpr, p)
			p = a.add(from.UTC())
			fmt.Fprintf(&cols, ", CAST(SUM(CASE WHEN %s > %s THEN %s ELSE 0 END) AS BIGINT)", src.timeExpr, p, src.valueExpr)
		}
		where := []string{a.in("account_id", ids), src.timeExpr + " <= " + a.add(asOf.UTC())}
		if src.where != "" {
			where = append(where, src.where)
		}
		query := "SELECT " + cols.String() + " FROM " + src.table + " WHERE " + strings.Join(where, " AND ") + " GROUP BY account_id"
		rows, err := q.c.QueryContext(ctx, query, a.args...)
		if err != nil {
			return nil, mapErr(fmt.Errorf("aggregate %s: %w", eq.Source, err))
		}
		n := len(eq.Froms)
		for rows.Next() {
			var id uuid.UUID
			var latest any
			vals := make([]int64, 2*n)
			dest := []any{&id, &latest}
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			t, err := asTime(latest)
			if err != nil {
				rows.Close()
				return nil, err
			}
			ag := &get(id)[qi]
			ag.Any, ag.Latest = true, t
			for i := 0; i < n; i++ {
				ag.Counts[i], ag.Sums[i] = vals[2*i], vals[2*i+1]
			}
			if !src.signal {
				ag.LastValue = 1_000_000 // a derived event counts 1
			}
		}
		if err := rows.Close(); err != nil {
			return nil, mapErr(err)
		}
		if err := rows.Err(); err != nil {
			return nil, mapErr(err)
		}
		if eq.Last && src.signal {
			if err := q.lastValues(ctx, ids, asOf, eq.Source, qi, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// lastValues fills the latest signal value (by time, then id) per account.
func (q queries) lastValues(ctx context.Context, ids []uuid.UUID, asOf time.Time, measure string, qi int, out map[uuid.UUID][]health.EventAgg) error {
	a := &sqlArgs{pg: q.postgres()}
	query := "SELECT account_id, value_micros FROM (SELECT account_id, value_micros, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY time DESC, id DESC) AS rn FROM signals WHERE " +
		a.in("account_id", ids) + " AND measure = " + a.add(measure) + " AND time <= " + a.add(asOf.UTC()) + ") latest WHERE rn = 1"
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return mapErr(fmt.Errorf("latest %s: %w", measure, err))
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return mapErr(err)
		}
		if aggs := out[id]; aggs != nil {
			aggs[qi].LastValue = v
		}
	}
	return mapErr(rows.Err())
}

// CountsOf implements health.Reader.
func (q queries) CountsOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]health.Counts, error) {
	out := make(map[uuid.UUID]health.Counts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	a := &sqlArgs{pg: q.postgres()}
	query := "SELECT account_id, COUNT(*), COUNT(DISTINCT CASE WHEN seniority_level <> '' THEN seniority_level END), " +
		"CAST(SUM(CASE WHEN seniority_level = " + a.add("EXECUTIVE") + " THEN 1 ELSE 0 END) AS BIGINT) FROM contacts WHERE " +
		a.in("account_id", ids) + " GROUP BY account_id"
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return nil, mapErr(fmt.Errorf("contact counts: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var c health.Counts
		if err := rows.Scan(&id, &c.Contacts, &c.Levels, &c.Executives); err != nil {
			return nil, mapErr(err)
		}
		out[id] = c
	}
	return out, mapErr(rows.Err())
}

// asTime reads a time an aggregate returned: PostgreSQL gives a time, SQLite the text
// the driver stored.
func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		return parseSQLiteTime(t)
	case []byte:
		return parseSQLiteTime(string(t))
	case driver.Valuer:
		return time.Time{}, fmt.Errorf("unexpected time value %T", v)
	}
	return time.Time{}, fmt.Errorf("unexpected time value %T", v)
}

func parseSQLiteTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unexpected time text %q", s)
}
