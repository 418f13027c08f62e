package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/analytics"
)

// The analytics aggregates are plain SQL: the database counts and sums (integers per
// currency, never a row per deal), the domain does the exact arithmetic. Every query
// runs on the scope of a segment (live accounts matching it) and reads only WON deals.
//
// Dates and instants: deals.close_date is a DATE on PostgreSQL (compared with a
// 'YYYY-MM-DD'::date parameter, so the session time zone never matters) and a UTC
// midnight timestamp on SQLite (compared with a time parameter, stored in the same text
// form). Instants (create_time, occur_time, change_time) are UTC timestamps on both.

// AnalyticsStore implements analytics.Store.
type AnalyticsStore struct{ q queries }

// Analytics returns the store of the analytics aggregates.
func (s *Store) Analytics() *AnalyticsStore { return &AnalyticsStore{q: s.queries} }

var _ analytics.Store = (*AnalyticsStore)(nil)

// date renders a calendar-date parameter compared with deals.close_date.
func (a *sqlArgs) date(t time.Time) string {
	if a.pg {
		return a.add(t.UTC().Format(time.DateOnly)) + "::date"
	}
	return a.add(t.UTC())
}

// instant renders an instant parameter compared with a timestamp column.
func (a *sqlArgs) instant(t time.Time) string { return a.add(t.UTC()) }

// int renders an integer parameter typed as BIGINT (PostgreSQL cannot infer the type of
// a parameter that is only a CASE result).
func (a *sqlArgs) int(v int64) string { return "CAST(" + a.add(v) + " AS BIGINT)" }

// scope renders the segment's conditions on accounts aliased a.
func (a *sqlArgs) scope(s analytics.Segment) string {
	w := []string{"a.delete_time IS NULL"}
	for _, c := range []struct{ col, v string }{
		{"a.revenue_tier", s.Tier}, {"a.region", s.Region}, {"a.industry", s.Industry}, {"a.owner", s.Owner},
	} {
		if c.v != "" {
			w = append(w, c.col+" = "+a.add(c.v))
		}
	}
	return strings.Join(w, " AND ")
}

// scopedDeals renders "deals d JOIN accounts a ... WHERE scope AND won" for FROM.
func (a *sqlArgs) scopedDeals(s analytics.Segment) string {
	return "deals d JOIN accounts a ON a.id = d.account_id WHERE " + a.scope(s) + " AND d.status = " + a.add(account.StatusWon)
}

func (q queries) query(ctx context.Context, what, query string, args []any) (*sql.Rows, error) {
	rows, err := q.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(fmt.Errorf("analytics %s: %w", what, err))
	}
	return rows, nil
}

// row runs a query of one row and scans it into dest.
func (q queries) row(ctx context.Context, query string, args ...any) rowScanner {
	return rowScanner{q: q, ctx: ctx, query: query, args: args}
}

type rowScanner struct {
	q     queries
	ctx   context.Context
	query string
	args  []any
}

func (r rowScanner) Scan(dest ...any) error {
	rows, err := r.q.c.QueryContext(r.ctx, r.query, r.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// bigSum parses a SUM: numeric text on PostgreSQL, an integer on SQLite; NULL is 0.
func bigSum(s sql.NullString) (*big.Int, error) {
	if !s.Valid {
		return new(big.Int), nil
	}
	v, ok := new(big.Int).SetString(s.String, 10)
	if !ok {
		return nil, fmt.Errorf("analytics: unexpected sum %q", s.String)
	}
	return v, nil
}

// PeriodDeals implements analytics.Store.
func (s *AnalyticsStore) PeriodDeals(ctx context.Context, seg analytics.Segment, from, to time.Time) (*analytics.PeriodDeals, error) {
	out := &analytics.PeriodDeals{ByCurrency: map[string]*analytics.CurrencyDeals{}}
	a := &sqlArgs{pg: s.q.postgres()}
	where := a.scopedDeals(seg) + " AND d.close_date >= " + a.date(from) + " AND d.close_date < " + a.date(to)
	// One pass: the period's deals per (account, currency, first), then per (currency,
	// first) with the distinct customers and repurchasers counted from the same rows.
	rows, err := s.q.query(ctx, "period deals", "WITH pa AS (SELECT d.account_id, d.currency_code, d.is_first, COUNT(*) AS n, SUM(d.amount_minor) AS total FROM "+where+
		" GROUP BY d.account_id, d.currency_code, d.is_first) "+
		"SELECT currency_code, is_first, SUM(n), SUM(total), (SELECT COUNT(DISTINCT account_id) FROM pa), "+
		"(SELECT COUNT(DISTINCT account_id) FROM pa WHERE NOT is_first) FROM pa GROUP BY currency_code, is_first", a.args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			cur   string
			first bool
			n     int64
			sum   sql.NullString
		)
		if err := rows.Scan(&cur, &first, &n, &sum, &out.Customers, &out.Repurchasers); err != nil {
			return nil, mapErr(err)
		}
		v, err := bigSum(sum)
		if err != nil {
			return nil, err
		}
		d := out.ByCurrency[cur]
		if d == nil {
			d = &analytics.CurrencyDeals{FirstSum: new(big.Int), RepSum: new(big.Int)}
			out.ByCurrency[cur] = d
		}
		if first {
			d.FirstCount, d.FirstSum = d.FirstCount+n, d.FirstSum.Add(d.FirstSum, v)
		} else {
			d.RepCount, d.RepSum = d.RepCount+n, d.RepSum.Add(d.RepSum, v)
		}
	}
	return out, mapErr(rows.Err())
}

// Currencies implements analytics.Store.
func (s *AnalyticsStore) Currencies(ctx context.Context, seg analytics.Segment, end time.Time) ([]string, error) {
	a := &sqlArgs{pg: s.q.postgres()}
	rows, err := s.q.query(ctx, "currencies", "SELECT DISTINCT d.currency_code FROM "+a.scopedDeals(seg)+
		" AND d.close_date < "+a.date(end), a.args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, c)
	}
	sort.Strings(out)
	return out, mapErr(rows.Err())
}

// AccountStates implements analytics.Store: one statement that folds every scope
// account's deals (per currency, then per account) and interactions before the end into
// a few values, classifies each account (pooled, key, cadence, at risk at start and end,
// churned at start and end, won back) and counts the classes, and lists the currencies
// met on the way. Only the counts and the list leave the database.
func (s *AnalyticsStore) AccountStates(ctx context.Context, seg analytics.Segment, q analytics.StateQuery) (*analytics.StateCounts, error) {
	query, args := s.AccountStatesSQL(seg, q)
	var out analytics.StateCounts
	var vals [9]sql.NullInt64
	var currencies sql.NullString
	if err := s.q.row(ctx, query, args...).Scan(&vals[0], &vals[1], &vals[2], &vals[3], &vals[4], &vals[5], &vals[6], &vals[7], &vals[8], &currencies); err != nil {
		return nil, mapErr(fmt.Errorf("analytics account states: %w", err))
	}
	for i, p := range []*int64{&out.Pooled, &out.Key, &out.High, &out.Mid, &out.Low, &out.AtRisk, &out.Recovered, &out.Churned, &out.WonBack} {
		*p = vals[i].Int64 // SUM of no rows is NULL: 0
	}
	if currencies.String != "" {
		out.Currencies = strings.Split(currencies.String, ",")
		sort.Strings(out.Currencies)
	}
	return &out, nil
}

// stateQuery is AccountStates' statement.
func stateQuery(a *sqlArgs, seg analytics.Segment, q analytics.StateQuery) string {
	start, end := a.date(q.Start), a.date(q.End)
	// dc: per account and currency, the key window's sum and the dates that matter.
	dc := "dc AS (SELECT d.account_id, d.currency_code, " +
		"SUM(CASE WHEN d.close_date >= " + a.date(q.KeyFrom) + " THEN d.amount_minor ELSE 0 END) AS w, " +
		"MAX(d.close_date) AS last_end, " +
		"MAX(CASE WHEN d.close_date < " + start + " THEN d.close_date END) AS last_start, " +
		"MAX(CASE WHEN d.close_date >= " + start + " THEN 1 ELSE 0 END) AS in_period " +
		"FROM " + a.scopedDeals(seg) + " AND d.close_date < " + end + " GROUP BY d.account_id, d.currency_code)"
	// Q7: Σ window sum × the currency's integer factor (rate × scale), compared with the
	// scaled threshold: exact (NUMERIC on PostgreSQL; SQLite's 64-bit integers, far from
	// overflow at real amounts). Currencies without a rate count 0.
	currencies := make([]string, 0, len(q.KeyFactors))
	for c := range q.KeyFactors {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	var factor strings.Builder
	factor.WriteString("CASE currency_code")
	for _, c := range currencies {
		fmt.Fprintf(&factor, " WHEN %s THEN %s", a.add(c), a.int(q.KeyFactors[c]))
	}
	factor.WriteString(" ELSE 0 END")
	w := "w"
	if a.pg {
		w = "CAST(w AS NUMERIC)"
	}
	dk := "dk AS (SELECT account_id, SUM(" + w + " * " + factor.String() + ") AS key_total, MAX(last_end) AS last_end, " +
		"MAX(last_start) AS last_start, MAX(in_period) AS in_period FROM dc GROUP BY account_id)"
	startTS, endTS := a.instant(q.Start), a.instant(q.End)
	// Interactions matter only from the earliest instant a rule compares with: an
	// account whose last interaction is older is silent at both ends either way, so the
	// scan stops there (the (account_id, occur_time) index bounds it on both sides).
	from := q.SilentBeforeStart
	for _, t := range []time.Time{q.SilentBeforeEnd, q.CadenceFrom} {
		if t.Before(from) {
			from = t
		}
	}
	ik := "ik AS (SELECT i.account_id, MAX(i.occur_time) AS last_end, " +
		"MAX(CASE WHEN i.occur_time < " + startTS + " THEN i.occur_time END) AS last_start, " +
		"SUM(CASE WHEN i.occur_time >= " + a.instant(q.CadenceFrom) + " THEN 1 ELSE 0 END) AS n " +
		"FROM interactions i JOIN accounts a ON a.id = i.account_id WHERE " + a.scope(seg) +
		" AND i.occur_time >= " + a.instant(from) + " AND i.occur_time < " + endTS + " GROUP BY i.account_id)"
	existsAtStart := "a.create_time < " + startTS
	perAccount := "s AS (SELECT " +
		"CASE WHEN dk.account_id IS NULL THEN 1 ELSE 0 END AS pooled, " +
		"CASE WHEN dk.key_total >= " + a.int(q.KeyThreshold) + " THEN 1 ELSE 0 END AS k, " +
		"COALESCE(ik.n, 0) AS n, " +
		"CASE WHEN dk.last_end IS NOT NULL AND (ik.last_end IS NULL OR ik.last_end < " + a.instant(q.SilentBeforeEnd) + ") THEN 1 ELSE 0 END AS risk_end, " +
		"CASE WHEN " + existsAtStart + " AND dk.last_start IS NOT NULL AND (ik.last_start IS NULL OR ik.last_start < " + a.instant(q.SilentBeforeStart) + ") THEN 1 ELSE 0 END AS risk_start, " +
		"CASE WHEN dk.last_end IS NOT NULL AND dk.last_end < " + a.date(q.ChurnBeforeEnd) + " THEN 1 ELSE 0 END AS churn_end, " +
		"CASE WHEN " + existsAtStart + " AND dk.last_start IS NOT NULL AND dk.last_start < " + a.date(q.ChurnBeforeStart) + " AND dk.in_period = 1 THEN 1 ELSE 0 END AS won_back " +
		"FROM accounts a LEFT JOIN dk ON dk.account_id = a.id LEFT JOIN ik ON ik.account_id = a.id " +
		"WHERE " + a.scope(seg) + " AND a.create_time < " + endTS + ")"
	high := a.int(q.CadenceHighMin)
	list := "(SELECT string_agg(DISTINCT currency_code, ',') FROM dc)"
	if !a.pg {
		list = "(SELECT group_concat(DISTINCT currency_code) FROM dc)"
	}
	return "WITH " + dc + ", " + dk + ", " + ik + ", " + perAccount + " " +
		"SELECT SUM(pooled), SUM(k), SUM(CASE WHEN k = 1 AND n >= " + high + " THEN 1 ELSE 0 END), " +
		"SUM(CASE WHEN k = 1 AND n >= 1 AND n < " + high + " THEN 1 ELSE 0 END), " +
		"SUM(CASE WHEN k = 1 AND n = 0 THEN 1 ELSE 0 END), " +
		"SUM(risk_end), SUM(CASE WHEN risk_start = 1 AND risk_end = 0 THEN 1 ELSE 0 END), " +
		"SUM(churn_end), SUM(won_back), " + list + " FROM s"
}

// WindowDeals implements analytics.Store.
func (s *AnalyticsStore) WindowDeals(ctx context.Context, seg analytics.Segment, from, to time.Time) ([]analytics.WindowDeals, error) {
	a := &sqlArgs{pg: s.q.postgres()}
	rows, err := s.q.query(ctx, "window deals", "SELECT currency_code, SUM(n), COUNT(*), SUM(total) FROM (SELECT d.currency_code, d.account_id, COUNT(*) AS n, SUM(d.amount_minor) AS total FROM "+
		a.scopedDeals(seg)+" AND d.close_date >= "+a.date(from)+" AND d.close_date < "+a.date(to)+" GROUP BY d.currency_code, d.account_id) c GROUP BY currency_code", a.args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []analytics.WindowDeals
	for rows.Next() {
		var w analytics.WindowDeals
		var sum sql.NullString
		if err := rows.Scan(&w.Currency, &w.Deals, &w.Customers, &sum); err != nil {
			return nil, mapErr(err)
		}
		if w.Sum, err = bigSum(sum); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, mapErr(rows.Err())
}

// funnelEntries renders the CTEs of a funnel: e, each scope account's earliest entry
// per stage before the end, and c, the cohort (its first stage's entry in the period).
func funnelEntries(a *sqlArgs, seg analytics.Segment, start, end time.Time, first string) string {
	return "WITH e AS (SELECT sc.account_id, sc.to_stage AS stage, MIN(sc.change_time) AS t " +
		"FROM stage_changes sc JOIN accounts a ON a.id = sc.account_id WHERE " + a.scope(seg) +
		" AND sc.change_time < " + a.instant(end) + " GROUP BY sc.account_id, sc.to_stage), " +
		"c AS (SELECT account_id FROM e WHERE stage = " + a.add(first) + " AND t >= " + a.instant(start) + ")"
}

// micros renders an exact instant in microseconds since the epoch of a time column.
func micros(pg bool, col string) string {
	if pg {
		return "CAST(EXTRACT(EPOCH FROM " + col + ") * 1000000 AS BIGINT)"
	}
	// SQLite keeps times as text, "2006-01-02 15:04:05.999999999-07:00": whole seconds
	// from strftime (which applies the offset), the fraction's first 6 digits as text.
	rest := "substr(" + col + ", 21)"
	n := "CASE WHEN instr(" + rest + ", '+') > 0 THEN instr(" + rest + ", '+') - 1 WHEN instr(" + rest + ", '-') > 0 THEN instr(" + rest +
		", '-') - 1 WHEN instr(" + rest + ", 'Z') > 0 THEN instr(" + rest + ", 'Z') - 1 ELSE length(" + rest + ") END"
	frac := "CASE WHEN substr(" + col + ", 20, 1) = '.' THEN CAST(substr(substr(" + rest + ", 1, " + n + ") || '000000', 1, 6) AS INTEGER) ELSE 0 END"
	return "(CAST(strftime('%s', " + col + ") AS INTEGER) * 1000000 + " + frac + ")"
}

// Funnel implements analytics.Store: one statement returns the reached counts per stage
// and, per stage, the number of cohort accounts that left it with the middle one or two
// of their times in it (microseconds): a window function picks them, so only those rows
// leave the database.
func (s *AnalyticsStore) Funnel(ctx context.Context, seg analytics.Segment, start, end time.Time, stages []string) (*analytics.FunnelAgg, error) {
	out := &analytics.FunnelAgg{Reached: map[string]int64{}, Left: map[string]int64{}, Middle: map[string][]int64{}}
	query, args := s.FunnelSQL(seg, start, end, stages)
	rows, err := s.q.query(ctx, "funnel", query, args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st                string
			kind, cnt, us, rn int64
		)
		if err := rows.Scan(&kind, &st, &cnt, &us, &rn); err != nil {
			return nil, mapErr(err)
		}
		if kind == 0 {
			out.Reached[st] = cnt
			continue
		}
		out.Left[st] = cnt
		out.Middle[st] = append(out.Middle[st], us)
	}
	out.Cohort = out.Reached[stages[0]]
	return out, mapErr(rows.Err())
}

// funnelQuery is Funnel's statement: rows (0, stage, reached, 0, 0) and (1, stage,
// left, microseconds, rank) for the middle times.
func funnelQuery(a *sqlArgs, seg analytics.Segment, start, end time.Time, stages []string) string {
	var next strings.Builder
	next.WriteString("CASE s.stage")
	for i := 0; i+1 < len(stages); i++ {
		fmt.Fprintf(&next, " WHEN %s THEN %s", a.add(stages[i]), a.add(stages[i+1]))
	}
	next.WriteString(" END")
	return funnelEntries(a, seg, start, end, stages[0]) + ", " +
		"d AS (SELECT s.stage, " + micros(a.pg, "n.t") + " - " + micros(a.pg, "s.t") + " AS us " +
		"FROM e s JOIN c ON c.account_id = s.account_id JOIN e n ON n.account_id = s.account_id AND n.stage = " + next.String() +
		" WHERE n.t >= s.t), " +
		"r AS (SELECT stage, us, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY us) AS rn, COUNT(*) OVER (PARTITION BY stage) AS cnt FROM d) " +
		"SELECT 0 AS kind, e.stage AS stage, COUNT(*) AS cnt, 0 AS us, 0 AS rn FROM e JOIN c ON c.account_id = e.account_id GROUP BY e.stage " +
		"UNION ALL SELECT 1, stage, cnt, us, rn FROM r WHERE rn = (cnt + 1) / 2 OR rn = (cnt + 2) / 2 " +
		"ORDER BY kind, stage, rn"
}

// AccountStatesSQL returns AccountStates' statement and arguments, for benchmarks that
// time it alone.
func (s *AnalyticsStore) AccountStatesSQL(seg analytics.Segment, q analytics.StateQuery) (string, []any) {
	a := &sqlArgs{pg: s.q.postgres()}
	query := stateQuery(a, seg, q)
	return query, a.args
}

// FunnelSQL returns Funnel's statement and arguments, for benchmarks that time it
// alone.
func (s *AnalyticsStore) FunnelSQL(seg analytics.Segment, start, end time.Time, stages []string) (string, []any) {
	a := &sqlArgs{pg: s.q.postgres()}
	query := funnelQuery(a, seg, start, end, stages)
	return query, a.args
}
