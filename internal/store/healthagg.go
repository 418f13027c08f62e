package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
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
// distinct window, and the latest value of LAST measures looked up per group), each
// derived event source by one more.
func (q queries) Aggregate(ctx context.Context, b health.Batch, asOf time.Time, qs []health.EventQuery) (map[uuid.UUID][]health.EventAgg, error) {
	out := make(map[uuid.UUID][]health.EventAgg, len(b.IDs))
	if len(b.IDs) == 0 || len(qs) == 0 {
		return out, nil
	}
	windows := 0
	for _, eq := range qs {
		windows += len(eq.Froms)
	}
	// Accounts' aggregates and their counts and sums come from shared blocks rather
	// than an allocation each (a batch files thousands), and the account last filed is
	// looked up first: a compact row files all its account's groups in a row.
	var (
		aggBlock []health.EventAgg
		numBlock []int64
		lastID   uuid.UUID
		lastAggs []health.EventAgg
	)
	get := func(id uuid.UUID) []health.EventAgg {
		if lastAggs != nil && id == lastID {
			return lastAggs
		}
		aggs, ok := out[id]
		if !ok {
			if len(aggBlock) < len(qs) {
				aggBlock, numBlock = make([]health.EventAgg, len(qs)*aggBlockAccounts), make([]int64, 2*windows*aggBlockAccounts)
			}
			aggs, aggBlock = aggBlock[:len(qs):len(qs)], aggBlock[len(qs):]
			for i := range qs {
				n := len(qs[i].Froms)
				aggs[i].Counts, aggs[i].Sums, numBlock = numBlock[:n:n], numBlock[n:2*n:2*n], numBlock[2*n:]
			}
			out[id] = aggs
		}
		lastID, lastAggs = id, aggs
		return aggs
	}
	signals := map[string]int{} // measure → query index
	for qi, eq := range qs {
		if q.eventSource(eq.Source, &sqlArgs{}).signal {
			signals[eq.Source] = qi
			continue
		}
		if err := q.aggregate(ctx, b, asOf, []health.EventQuery{eq}, func(_ string) int { return qi }, get); err != nil {
			return nil, err
		}
	}
	if len(signals) > 0 {
		var sigQs []health.EventQuery // in plan order: the same statement every batch
		for _, eq := range qs {
			if _, ok := signals[eq.Source]; ok {
				sigQs = append(sigQs, eq)
			}
		}
		if err := q.aggregate(ctx, b, asOf, sigQs, func(m string) int { return signals[m] }, get); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// aggBlockAccounts is how many accounts' aggregates Aggregate allocates at once: a
// block under 32 KiB for a scorecard's ten or so sources. A block for the whole batch
// (3.5 MB) measured slower, its time going to the first stores into it.
const aggBlockAccounts = 32

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
		if !a.pg {
			// PostgreSQL drops other measures' groups after grouping (aggregateCompact):
			// testing every row's measure cost a fifth of the query.
			src.where = a.inStrings("measure", keys)
		}
	}
	var (
		froms   []time.Time // the distinct windows of all of qs
		sumOf   [][]string  // per window: the sources that read its sum
		latests []string    // the sources whose latest time is read
		lasts   []string    // per LAST source: when its latest event's value is read
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
		if eq.Latest || eq.Last {
			latests = append(latests, eq.Source)
		}
		if eq.Last && src.signal {
			cond := "measure = " + a.add(eq.Source)
			if !eq.LastSince.IsZero() {
				cond += " AND mt > " + a.add(eq.LastSince.UTC()) // an older latest event is no data
			}
			lasts = append(lasts, "("+cond+")")
		}
	}
	var cols strings.Builder
	fmt.Fprintf(&cols, "account_id, %s AS measure, MAX(%s) AS mt", map[bool]string{true: "measure", false: "''"}[src.signal], src.timeExpr)
	sumCol := make([]int, len(froms)) // window → its sum's column among the values, or -1
	nvals := 0
	for k, from := range froms {
		// FILTER skips the rows outside the window; a CASE per row cost twice as much.
		p := a.add(from.UTC())
		fmt.Fprintf(&cols, ", COUNT(*) FILTER (WHERE %s > %s) AS c%d", src.timeExpr, p, k)
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
		sum := "SUM(CAST(%s AS DOUBLE PRECISION)) FILTER (WHERE %s) AS s%d"
		if !a.pg {
			sum = "TOTAL(%s) FILTER (WHERE %s) AS s%d"
		}
		fmt.Fprintf(&cols, ", "+sum, src.valueExpr, cond, k)
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
	// The outer query returns the latest time only where a measure reads it (decoding a
	// time costs the client more than any other column), and looks up the latest
	// value of a LAST measure by the group's latest time: one probe of the scoring
	// index per group, where a separate ranked query scanned the batch's signals again.
	outer := []string{"account_id", "measure"}
	switch {
	case len(latests) == len(qs):
		outer = append(outer, "mt")
	case len(latests) == 0:
		outer = append(outer, "NULL")
	default:
		outer = append(outer, "CASE WHEN "+a.inStrings("measure", latests)+" THEN mt END")
	}
	var layout []aggField // what outer's columns after the latest time are
	for k := range froms {
		outer = append(outer, fmt.Sprintf("c%d", k))
		layout = append(layout, aggField{'c', k})
		if sumCol[k] >= 0 {
			outer = append(outer, fmt.Sprintf("s%d", k))
			layout = append(layout, aggField{'s', k})
		}
	}
	if len(lasts) > 0 {
		layout = append(layout, aggField{kind: 'l'})
		outer = append(outer, "CASE WHEN "+strings.Join(lasts, " OR ")+" THEN (SELECT s.value_micros FROM signals s "+
			"WHERE s.account_id = g.account_id AND s.measure = g.measure AND s.time = g.mt "+
			"ORDER BY s.value_micros DESC, s.id DESC LIMIT 1) END") // ties: the order of the scoring index
	}
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
	// g is one (account, source) group's values, filed under its account.
	g := aggGroup{counts: make([]int64, len(froms)), sums: make([]float64, len(froms)), layout: layout}
	file := func(id uuid.UUID) {
		ag := &get(id)[qi(g.source)]
		ag.Any = true
		if g.hasLatest {
			ag.Latest = g.latest
		}
		for wi, k := range windowAt[g.source] {
			ag.Counts[wi] = g.counts[k]
			if sumCol[k] >= 0 {
				ag.Sums[wi] = clampMicros(g.sums[k])
			}
		}
		switch {
		case !src.signal:
			ag.LastValue = 1_000_000 // a derived event counts 1
		case g.hasLast:
			ag.LastValue = g.last
		}
	}
	if a.pg {
		return q.aggregateCompact(ctx, a, query, outer, keys, &g, file)
	}
	query = "SELECT " + strings.Join(outer, ", ") + " FROM (" + query + ") g"
	rows, err := q.c.QueryContext(ctx, query, a.args...)
	if err != nil {
		return mapErr(fmt.Errorf("aggregate %s: %w", src.table, err))
	}
	defer rows.Close()
	// Typed destinations: scanning into interfaces allocated per value.
	sums := make([]sql.NullFloat64, len(froms))
	var (
		id      uuid.UUID
		measure sql.RawBytes
		latest  any // SQLite returns MAX(time) as text
		last    sql.NullInt64
	)
	dest := []any{&id, &measure, &latest}
	for k := range froms {
		dest = append(dest, &g.counts[k])
		if sumCol[k] >= 0 {
			dest = append(dest, &sums[k])
		}
	}
	if len(lasts) > 0 {
		dest = append(dest, &last)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return mapErr(err)
		}
		g.source, g.hasLatest, g.hasLast, g.last = string(measure), latest != nil, last.Valid, last.Int64
		if g.hasLatest {
			if g.latest, err = asTime(latest); err != nil {
				return err
			}
		}
		for k := range sums {
			g.sums[k] = sums[k].Float64
		}
		file(id)
	}
	return mapErr(rows.Err())
}

// aggGroup is one (account, source) row of a grouped aggregate query.
type aggGroup struct {
	source    string // the signal measure; "" for a derived source
	latest    time.Time
	hasLatest bool
	counts    []int64   // per distinct window
	sums      []float64 // per distinct window that has a sum column
	last      int64
	hasLast   bool
	layout    []aggField
}

// aggField is a value column of a grouped aggregate query: the count ('c') or sum
// ('s') of distinct window k, or the latest value ('l').
type aggField struct {
	kind byte
	k    int
}

// parse reads a compact group (aggregateCompact's format) into g.
func (g *aggGroup) parse(row []byte, keys []string) error {
	field := func() []byte {
		f, rest, _ := bytes.Cut(row, []byte{','})
		row = rest
		return f
	}
	src, err := parseInt(field())
	if err != nil {
		return err
	}
	g.source = ""
	if len(keys) > 0 {
		if src < 0 || src >= int64(len(keys)) {
			return fmt.Errorf("source %d out of range", src)
		}
		g.source = keys[src]
	}
	g.hasLatest = false
	if f := field(); len(f) > 0 {
		sec, frac, _ := bytes.Cut(f, []byte{'.'})
		neg := len(sec) > 0 && sec[0] == '-'
		s, err := parseInt(sec)
		if err != nil {
			return err
		}
		var micros int64
		for i := range 6 { // the fraction's microseconds, zero-padded
			micros *= 10
			if i < len(frac) {
				if frac[i] < '0' || frac[i] > '9' {
					return fmt.Errorf("bad time %q", f)
				}
				micros += int64(frac[i] - '0')
			}
		}
		if neg {
			micros = -micros
		}
		g.latest, g.hasLatest = time.Unix(s, micros*1000).UTC(), true
	}
	g.hasLast = false
	for _, c := range g.layout {
		f := field()
		switch c.kind {
		case 'c':
			if g.counts[c.k], err = parseInt(f); err != nil {
				return err
			}
		case 's':
			g.sums[c.k] = 0
			if len(f) > 0 {
				if g.sums[c.k], err = strconv.ParseFloat(string(f), 64); err != nil {
					return err
				}
			}
		case 'l':
			if len(f) > 0 {
				if g.last, err = parseInt(f); err != nil {
					return err
				}
				g.hasLast = true
			}
		}
	}
	return nil
}

// pgUUIDBytes selects account_id as its 16 bytes on PostgreSQL: lib/pq reads a bytea
// in place (in the binary results its prepared statements get), where it formats a
// uuid as text, which the scan then parses back (a recompute reads one per account
// and query).
const pgUUIDBytes = "uuid_send(account_id)"

// uuidDest scans a uuid column into id without the string google/uuid's Scan makes
// of the driver's text: a recompute scans one per account and query.
type uuidDest struct{ id *uuid.UUID }

func (d uuidDest) Scan(src any) error {
	if b, ok := src.([]byte); ok && len(b) == 36 {
		id, err := uuid.ParseBytes(b)
		if err != nil {
			return fmt.Errorf("uuid %q: %w", b, err)
		}
		*d.id = id
		return nil
	}
	return d.id.Scan(src)
}

// parseInt parses a decimal integer without the allocation strconv's string costs.
func parseInt(b []byte) (int64, error) {
	if len(b) > 18 { // may not fit: let strconv check
		return strconv.ParseInt(string(b), 10, 64)
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, fmt.Errorf("bad integer %q", b)
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad integer %q", b)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// aggregateCompact runs a grouped aggregate query on PostgreSQL with its groups folded
// into one text per account: "source,latest,count,sum,…,last;…" (a source by its
// index in keys, the latest time as epoch seconds, NULL as empty). The client then
// decodes a row per account instead of one per account and source, which cost it
// more than anything else in a recompute.
func (q queries) aggregateCompact(ctx context.Context, a *sqlArgs, inner string, outer, keys []string, g *aggGroup, file func(uuid.UUID)) error {
	source := "0"
	if len(keys) > 0 {
		var b strings.Builder
		b.WriteString("CASE measure")
		for i, k := range keys {
			fmt.Fprintf(&b, " WHEN %s THEN %d", a.add(k), i)
		}
		b.WriteString(" END")
		source = b.String()
	}
	parts := []string{source, "','", "EXTRACT(EPOCH FROM " + outer[2] + ")"}
	if outer[2] == "NULL" {
		parts[2] = "NULL"
	}
	for _, col := range outer[3:] {
		parts = append(parts, "','", col)
	}
	var query string
	if len(keys) > 0 {
		only := " FILTER (WHERE " + a.inStrings("measure", keys) + ")" // measures no scorecard reads
		query = "SELECT " + pgUUIDBytes + ", string_agg(concat(" + strings.Join(parts, ", ") + "), ';')" + only + " FROM (" + inner + ") g GROUP BY account_id"
	} else {
		// A derived source has one group per account already: a second aggregate would
		// only cost (and, hashed over a batch's unordered rows, spill to disk).
		query = "SELECT " + pgUUIDBytes + ", concat(" + strings.Join(parts, ", ") + ") FROM (" + inner + ") g"
	}
	rows, err := q.hotQuery(ctx, query, a.args...)
	if err != nil {
		return mapErr(fmt.Errorf("aggregate: %w", err))
	}
	defer rows.Close()
	var (
		id   uuid.UUID
		text sql.RawBytes
	)
	for rows.Next() {
		if err := rows.Scan(uuidDest{&id}, &text); err != nil {
			return mapErr(err)
		}
		for len(text) > 0 {
			var row []byte
			row, text, _ = bytes.Cut(text, []byte{';'})
			if err := g.parse(row, keys); err != nil {
				return fmt.Errorf("aggregate row %q: %w", row, err)
			}
			file(id)
		}
	}
	return mapErr(rows.Err())
}

// CountsOf implements health.Reader. Levels are counted one FILTER each (the levels
// are a fixed set): COUNT(DISTINCT …) sorted every account's contacts.
func (q queries) CountsOf(ctx context.Context, b health.Batch) (map[uuid.UUID]health.Counts, error) {
	out := make(map[uuid.UUID]health.Counts, len(b.IDs))
	if len(b.IDs) == 0 {
		return out, nil
	}
	a := &sqlArgs{pg: q.postgres()}
	cols := []string{"account_id", "COUNT(*)"}
	if a.pg {
		cols[0] = pgUUIDBytes
	}
	exec := -1
	for i, level := range account.SeniorityLevels {
		cols = append(cols, "COUNT(*) FILTER (WHERE seniority_level = "+a.add(level)+")")
		if level == "EXECUTIVE" {
			exec = i
		}
	}
	query := "SELECT " + strings.Join(cols, ", ") + " FROM contacts WHERE " + a.accounts("account_id", b) + " GROUP BY account_id"
	rows, err := q.hotQuery(ctx, query, a.args...)
	if err != nil {
		return nil, mapErr(fmt.Errorf("contact counts: %w", err))
	}
	defer rows.Close()
	var (
		id     uuid.UUID
		total  int64
		levels = make([]int64, len(account.SeniorityLevels))
		dest   = []any{uuidDest{&id}, &total}
	)
	for i := range levels {
		dest = append(dest, &levels[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, mapErr(err)
		}
		c := health.Counts{Contacts: total}
		for i, n := range levels {
			if n > 0 {
				c.Levels++
			}
			if i == exec {
				c.Executives = n
			}
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
