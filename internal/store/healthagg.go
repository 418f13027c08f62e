package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
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

// accounts renders "col in the batch": the id range for a dense batch (one index range
// instead of a lookup per account), else the ids.
func (a *sqlArgs) accounts(col string, b health.Batch) string {
	if b.Dense && len(b.IDs) > 1 {
		return col + " BETWEEN " + a.add(b.IDs[0]) + " AND " + a.add(b.IDs[len(b.IDs)-1])
	}
	return a.in(col, b.IDs)
}

// inStrings renders "col IN (values)".
func (a *sqlArgs) inStrings(col string, vs []string) string {
	if a.pg {
		return col + " = ANY(" + a.add(pq.Array(vs)) + ")"
	}
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = a.add(v)
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
	case health.SourceDetractors:
		return eventSource{table: "survey_responses", timeExpr: "time", valueExpr: "1000000",
			where: "NOT is_excluded AND (kind = " + a.add("COMPLAINT") + " OR (kind = " + a.add("NPS") + " AND score <= 6))"}
	case health.SourceRepurchases:
		return eventSource{table: "deals", timeExpr: dealTime, valueExpr: "1000000",
			where: "status = " + a.add(account.StatusWon) + " AND NOT is_first"}
	}
	return eventSource{table: "signals", timeExpr: "time", valueExpr: "value_micros", where: "measure = " + a.add(source), signal: true}
}

// Aggregate implements health.Reader. Every signal measure of the batch is read by one
// grouped query (one pass over the accounts' index range, with a count and a sum per
// distinct window), each derived event source by one more; latest values by one
// ranked query.
func (q queries) Aggregate(ctx context.Context, b health.Batch, asOf time.Time, qs []health.EventQuery) (map[uuid.UUID][]health.EventAgg, error) {
	out := make(map[uuid.UUID][]health.EventAgg, len(b.IDs))
	if len(b.IDs) == 0 || len(qs) == 0 {
		return out, nil
	}
	windows := 0
	for _, eq := range qs {
		windows += len(eq.Froms)
	}
	get := func(id uuid.UUID) []health.EventAgg {
		aggs, ok := out[id]
		if !ok {
			// One allocation for all of an account's counts and sums: a batch creates
			// thousands of these.
			aggs = make([]health.EventAgg, len(qs))
			nums := make([]int64, 2*windows)
			for i := range qs {
				n := len(qs[i].Froms)
				aggs[i].Counts, aggs[i].Sums, nums = nums[:n:n], nums[n:2*n:2*n], nums[2*n:]
			}
			out[id] = aggs
		}
		return aggs
	}
	signals := map[string]int{} // measure → query index
	var lasts []health.EventQuery
	for qi, eq := range qs {
		if q.eventSource(eq.Source, &sqlArgs{}).signal {
			signals[eq.Source] = qi
			if eq.Last {
				lasts = append(lasts, eq)
			}
			continue
		}
		if err := q.aggregate(ctx, b, asOf, []health.EventQuery{eq}, func(_ string) int { return qi }, get); err != nil {
			return nil, err
		}
	}
	if len(signals) > 0 {
		var sigQs []health.EventQuery
		for _, qi := range signals {
			sigQs = append(sigQs, qs[qi])
		}
		if err := q.aggregate(ctx, b, asOf, sigQs, func(m string) int { return signals[m] }, get); err != nil {
			return nil, err
		}
	}
	if len(lasts) > 0 {
		if err := q.lastValues(ctx, b, asOf, lasts, signals, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// aggregate runs one grouped query for qs, which share a table (several signal
// measures, or one derived source), and files each row under the query index qi(source).
func (q queries) aggregate(ctx context.Context, b health.Batch, asOf time.Time, qs []health.EventQuery,
	qi func(source string) int, get func(uuid.UUID) []health.EventAgg) error {
	a := &sqlArgs{pg: q.postgres()}
	var src eventSource
	var keys []string
	if len(qs) == 1 {
		src = q.eventSource(qs[0].Source, a)
	} else {
		src = eventSource{table: "signals", timeExpr: "time", valueExpr: "value_micros", signal: true}
	}
	if src.signal {
		for _, eq := range qs {
			keys = append(keys, eq.Source)
		}
		src.where = a.inStrings("measure", keys)
	}
	var (
		froms []time.Time // the distinct windows of all of qs
		sumOf [][]string  // per window: the sources that read its sum
	)
	for _, eq := range qs {
		for i, f := range eq.Froms {
			k := slices.IndexFunc(froms, f.Equal)
			if k < 0 {
				k = len(froms)
				froms, sumOf = append(froms, f), append(sumOf, nil)
			}
			if eq.Sums[i] {
				sumOf[k] = append(sumOf[k], eq.Source)
			}
		}
	}
	var cols strings.Builder
	fmt.Fprintf(&cols, "account_id, %s, MAX(%s)", map[bool]string{true: "measure", false: "''"}[src.signal], src.timeExpr)
	sumCol := make([]int, len(froms)) // window → its sum's column among the values, or -1
	nvals := 0
	for k, from := range froms {
		// FILTER skips the rows outside the window; a CASE per row cost twice as much.
		p := a.add(from.UTC())
		fmt.Fprintf(&cols, ", COUNT(*) FILTER (WHERE %s > %s)", src.timeExpr, p)
		nvals++
		sumCol[k] = -1
		if len(sumOf[k]) == 0 {
			continue // only counted: a sum per row saved
		}
		cond := src.timeExpr + " > " + p
		if src.signal && len(sumOf[k]) < len(qs) {
			cond += " AND " + a.inStrings("measure", sumOf[k])
		}
		// Sums are added as doubles: exact and order-independent up to 2^53 micro-units
		// (integers add exactly below that on both databases), cheaper than
		// PostgreSQL's numeric sum of bigints, and a larger sum never overflows and
		// fails the batch.
		sum := "SUM(CAST(%s AS DOUBLE PRECISION)) FILTER (WHERE %s)"
		if !a.pg {
			sum = "TOTAL(%s) FILTER (WHERE %s)"
		}
		fmt.Fprintf(&cols, ", "+sum, src.valueExpr, cond)
		sumCol[k] = nvals
		nvals++
	}
	where := []string{a.accounts("account_id", b), src.timeExpr + " <= " + a.add(asOf.UTC())}
	if src.where != "" {
		where = append(where, src.where)
	}
	group := "account_id"
	if src.signal {
		group += ", measure"
	}
	query := "SELECT " + cols.String() + " FROM " + src.table + " WHERE " + strings.Join(where, " AND ") + " GROUP BY " + group
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return mapErr(fmt.Errorf("aggregate %s: %w", src.table, err))
	}
	defer rows.Close()
	// windowAt[source][wi] is the distinct window of query source's window wi.
	windowAt := make(map[string][]int, len(qs))
	for _, eq := range qs {
		key := eq.Source
		if !src.signal {
			key = ""
		}
		for _, f := range eq.Froms {
			windowAt[key] = append(windowAt[key], slices.IndexFunc(froms, f.Equal))
		}
	}
	// Typed destinations: scanning into interfaces allocated per value.
	counts := make([]int64, len(froms))
	sums := make([]sql.NullFloat64, len(froms))
	var (
		id      uuid.UUID
		measure sql.RawBytes
		latest  time.Time
		latestS any // SQLite returns MAX(time) as text
	)
	dest := []any{&id, &measure, &latest}
	if !a.pg {
		dest[2] = &latestS
	}
	for k := range froms {
		dest = append(dest, &counts[k])
		if sumCol[k] >= 0 {
			dest = append(dest, &sums[k])
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return mapErr(err)
		}
		t := latest.UTC()
		if !a.pg {
			if t, err = asTime(latestS); err != nil {
				return err
			}
		}
		i := qi(string(measure))
		ag := &get(id)[i]
		ag.Any, ag.Latest = true, t
		for wi, k := range windowAt[string(measure)] {
			ag.Counts[wi] = counts[k]
			if sumCol[k] >= 0 {
				ag.Sums[wi] = clampMicros(sums[k].Float64)
			}
		}
		if !src.signal {
			ag.LastValue = 1_000_000 // a derived event counts 1
		}
	}
	return mapErr(rows.Err())
}

// lastValues fills the latest value of each signal measure of lasts per account: the
// last by (time, value, id), the order of the scoring index, which PostgreSQL then
// reads backwards without sorting. Only events since a measure's LastSince are read:
// an older latest event is no data.
func (q queries) lastValues(ctx context.Context, b health.Batch, asOf time.Time, lasts []health.EventQuery, qi map[string]int, out map[uuid.UUID][]health.EventAgg) error {
	a := &sqlArgs{pg: q.postgres()}
	var all []string // measures read over their whole history
	var since []string
	for _, eq := range lasts {
		if eq.LastSince.IsZero() {
			all = append(all, eq.Source)
		} else {
			since = append(since, "(measure = "+a.add(eq.Source)+" AND time > "+a.add(eq.LastSince.UTC())+")")
		}
	}
	if len(all) > 0 {
		since = append(since, a.inStrings("measure", all))
	}
	where := a.accounts("account_id", b) + " AND (" + strings.Join(since, " OR ") + ") AND time <= " + a.add(asOf.UTC())
	query := "SELECT account_id, measure, value_micros FROM (SELECT account_id, measure, value_micros, " +
		"ROW_NUMBER() OVER (PARTITION BY account_id, measure ORDER BY time DESC, value_micros DESC, id DESC) AS rn FROM signals WHERE " +
		where + ") latest WHERE rn = 1"
	if q.postgres() {
		query = "SELECT DISTINCT ON (account_id, measure) account_id, measure, value_micros FROM signals WHERE " + where +
			" ORDER BY account_id DESC, measure DESC, time DESC, value_micros DESC, id DESC"
	}
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return mapErr(fmt.Errorf("latest values: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var measure string
		var v int64
		if err := rows.Scan(&id, &measure, &v); err != nil {
			return mapErr(err)
		}
		if aggs := out[id]; aggs != nil {
			aggs[qi[measure]].LastValue = v
		}
	}
	return mapErr(rows.Err())
}

// CountsOf implements health.Reader.
func (q queries) CountsOf(ctx context.Context, b health.Batch) (map[uuid.UUID]health.Counts, error) {
	out := make(map[uuid.UUID]health.Counts, len(b.IDs))
	if len(b.IDs) == 0 {
		return out, nil
	}
	a := &sqlArgs{pg: q.postgres()}
	query := "SELECT account_id, COUNT(*), COUNT(DISTINCT CASE WHEN seniority_level <> '' THEN seniority_level END), " +
		"CAST(SUM(CASE WHEN seniority_level = " + a.add("EXECUTIVE") + " THEN 1 ELSE 0 END) AS BIGINT) FROM contacts WHERE " +
		a.accounts("account_id", b) + " GROUP BY account_id"
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

// clampMicros turns a sum into micro-units, saturating instead of overflowing.
func clampMicros(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
