package store

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/furrowhq/furrow/ent"
	entaccount "github.com/furrowhq/furrow/ent/account"
	"github.com/furrowhq/furrow/ent/accountexternalid"
	"github.com/furrowhq/furrow/ent/accounthealth"
	entactivity "github.com/furrowhq/furrow/ent/activity"
	"github.com/furrowhq/furrow/ent/healthdirty"
	"github.com/furrowhq/furrow/ent/healthoverride"
	"github.com/furrowhq/furrow/ent/recomputejob"
	"github.com/furrowhq/furrow/ent/scorecard"
	"github.com/furrowhq/furrow/ent/scorecardversion"
	"github.com/furrowhq/furrow/ent/signal"
	"github.com/furrowhq/furrow/ent/workercursor"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

var _ health.Store = (*Store)(nil)

// WithHealthTx runs fn in a transaction.
func (s *Store) WithHealthTx(ctx context.Context, fn func(tx health.Tx) error) error {
	return s.withTx(ctx, func(q queries) error { return fn(&txQueries{q}) })
}

var _ health.Tx = (*txQueries)(nil)

// chunks splits ids into slices of at most n.
func chunks[T any](xs []T, n int) [][]T {
	var out [][]T
	for len(xs) > n {
		out = append(out, xs[:n])
		xs = xs[n:]
	}
	if len(xs) > 0 {
		out = append(out, xs)
	}
	return out
}

// ---- Accounts seen by health ----

func (q queries) Targets(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*health.Target, error) {
	out := make(map[uuid.UUID]*health.Target, len(ids))
	for _, part := range chunks(ids, 1000) {
		rows, err := q.c.Account.Query().Where(entaccount.IDIn(part...)).
			Select(entaccount.FieldID, entaccount.FieldRevenueTier, entaccount.FieldIndustry, entaccount.FieldDeleteTime).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			out[r.ID] = &health.Target{ID: r.ID, Tier: r.RevenueTier, Industry: r.Industry, DeleteTime: r.DeleteTime}
		}
		links, err := q.c.AccountExternalID.Query().Where(accountexternalid.AccountIDIn(part...)).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, l := range links {
			if t := out[l.AccountID]; t != nil {
				t.Partners = append(t.Partners, l.System)
			}
		}
	}
	return out, nil
}

func (q queries) accountsMatching(f filter.Expr) *ent.AccountQuery {
	return q.c.Account.Query().Where(func(s *sql.Selector) { liveMatching(s, f) })
}

// liveMatching restricts s, over accounts, to the live ones matching f (nil: all).
func liveMatching(s *sql.Selector, f filter.Expr) {
	s.Where(sql.IsNull(s.C(entaccount.FieldDeleteTime)))
	if f != nil {
		s.Where(wherePredicate(s, f, accountFilterCols))
	}
}

// JobTargets reads plain rows: a recompute pages through every account, and ent's
// generic scanning cost it a tenth of its CPU.
func (q queries) JobTargets(ctx context.Context, f filter.Expr, createdBy time.Time, after *uuid.UUID, limit int) ([]*health.Target, error) {
	t := sql.Table(entaccount.Table)
	s := sql.Dialect(q.dialect).Select(t.C(entaccount.FieldID), t.C(entaccount.FieldRevenueTier), t.C(entaccount.FieldIndustry)).From(t)
	liveMatching(s, f)
	s.Where(sql.LTE(s.C(entaccount.FieldCreateTime), createdBy.UTC()))
	if after != nil {
		s.Where(sql.GT(s.C(entaccount.FieldID), *after))
	}
	query, args := s.OrderBy(s.C(entaccount.FieldID)).Limit(limit).Query()
	rows, err := q.hotQuery(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := make([]*health.Target, 0, limit)
	for rows.Next() {
		t := &health.Target{}
		if err := rows.Scan(uuidDest{&t.ID}, &t.Tier, &t.Industry); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

func (q queries) CountAccounts(ctx context.Context, f filter.Expr) (int64, error) {
	n, err := q.accountsMatching(f).Count(ctx)
	return int64(n), mapErr(err)
}

// ---- Signals ----

var signalFilterCols = map[string]colSpec{
	"measure": {col: signal.FieldMeasure},
	"source":  {col: signal.FieldSource},
	"time":    {col: signal.FieldTime},
}

var signalSortCols = map[string]sortCol{"time": {col: signal.FieldTime, kind: keyTime}}

func toSignal(r *ent.Signal) *health.Signal {
	return &health.Signal{ID: r.ID, Account: r.AccountID, Measure: r.Measure, ValueMicros: r.ValueMicros, Time: r.Time.UTC(),
		Source: r.Source, SignalID: r.SignalID, CreateTime: r.CreateTime.UTC()}
}

func (q queries) ListSignals(ctx context.Context, acc uuid.UUID, p listing.Params) ([]*health.Signal, *page.Cursor, error) {
	ks := resolveOrder([]orderby.Term{{Field: "time", Desc: true}}, signalSortCols)
	var seekErr error
	rows, err := q.c.Signal.Query().Where(signal.AccountID(acc), func(s *sql.Selector) {
		if p.Filter != nil {
			s.Where(wherePredicate(s, p.Filter, signalFilterCols))
		}
		seekErr = orderAndSeek(s, ks, p.After)
	}).Limit(p.Size + 1).All(ctx)
	if seekErr != nil {
		return nil, nil, seekErr
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := cut(rows, p.Size, ks, func(r *ent.Signal, col string) any {
		if col == signal.FieldTime {
			return r.Time.UTC()
		}
		return r.ID
	})
	out := make([]*health.Signal, len(rows))
	for i, r := range rows {
		out[i] = toSignal(r)
	}
	return out, next, nil
}

func (q queries) SignalsByKey(ctx context.Context, keys []*health.Signal) ([]*health.Signal, error) {
	byAccount := map[uuid.UUID][]string{}
	for _, k := range keys {
		byAccount[k.Account] = append(byAccount[k.Account], k.SignalID)
	}
	want := map[[3]string]bool{}
	for _, k := range keys {
		want[[3]string{k.Account.String(), k.Source, k.SignalID}] = true
	}
	var out []*health.Signal
	for acc, sids := range byAccount {
		for _, part := range chunks(sids, 1000) {
			rows, err := q.c.Signal.Query().Where(signal.AccountID(acc), signal.SignalIDIn(part...)).All(ctx)
			if err != nil {
				return nil, mapErr(err)
			}
			for _, r := range rows {
				if want[[3]string{r.AccountID.String(), r.Source, r.SignalID}] {
					out = append(out, toSignal(r))
				}
			}
		}
	}
	return out, nil
}

// InsertSignals inserts in one statement per 500 rows, skipping stored keys.
func (q txQueries) InsertSignals(ctx context.Context, ss []*health.Signal) (int, error) {
	total := 0
	for _, part := range chunks(ss, 500) {
		a := &sqlArgs{pg: q.postgres()}
		vals := make([]string, len(part))
		for i, s := range part {
			vals[i] = "(" + strings.Join([]string{a.add(s.ID), a.add(s.Account), a.add(s.Measure), a.add(s.ValueMicros),
				a.add(s.Time.UTC()), a.add(s.Source), a.add(s.SignalID), a.add(s.CreateTime.UTC())}, ", ") + ")"
		}
		res, err := q.c.ExecContext(ctx, "INSERT INTO signals (id, account_id, measure, value_micros, time, source, signal_id, create_time) VALUES "+
			strings.Join(vals, ", ")+" ON CONFLICT (account_id, source, signal_id) DO NOTHING", a.args...)
		if err != nil {
			return 0, mapErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, mapErr(err)
		}
		total += int(n)
	}
	return total, nil
}

// ---- Scorecards ----

func toScorecard(r *ent.Scorecard, v *ent.ScorecardVersion) (*health.Scorecard, error) {
	c := &health.Scorecard{ID: r.ID, DisplayName: r.DisplayName, Description: r.Description, IsDefault: r.IsDefault,
		Tiers: r.SegmentTiers, Industries: r.SegmentIndustries, Version: v.Version, VersionCreateTime: v.CreateTime.UTC(),
		CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision}
	if err := json.Unmarshal([]byte(v.Definition), &c.Definition); err != nil {
		return nil, fmt.Errorf("scorecard %s version %d: %w", r.ID, v.Version, err)
	}
	return c, nil
}

func (q queries) GetScorecard(ctx context.Context, id uuid.UUID, version int) (*health.Scorecard, error) {
	r, err := q.c.Scorecard.Get(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	if version <= 0 {
		version = r.Version
	}
	v, err := q.c.ScorecardVersion.Query().Where(scorecardversion.ScorecardID(id), scorecardversion.Version(version)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toScorecard(r, v)
}

// withVersions attaches each head's current version.
func (q queries) withVersions(ctx context.Context, rows []*ent.Scorecard) ([]*health.Scorecard, error) {
	out := make([]*health.Scorecard, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ps := make([]*sql.Predicate, len(rows))
	for i, r := range rows {
		ps[i] = sql.And(sql.EQ(scorecardversion.FieldScorecardID, r.ID), sql.EQ(scorecardversion.FieldVersion, r.Version))
	}
	vs, err := q.c.ScorecardVersion.Query().Where(func(s *sql.Selector) { s.Where(sql.Or(ps...)) }).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	byID := map[uuid.UUID]*ent.ScorecardVersion{}
	for _, v := range vs {
		byID[v.ScorecardID] = v
	}
	for _, r := range rows {
		v := byID[r.ID]
		if v == nil {
			return nil, fmt.Errorf("scorecard %s has no version %d", r.ID, r.Version)
		}
		c, err := toScorecard(r, v)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

var scorecardSortCols = map[string]sortCol{"create_time": {col: scorecard.FieldCreateTime, kind: keyTime}}

func (q queries) ListScorecards(ctx context.Context, size int, after *page.Cursor) ([]*health.Scorecard, *page.Cursor, error) {
	ks := resolveOrder([]orderby.Term{{Field: "create_time"}}, scorecardSortCols)
	var seekErr error
	rows, err := q.c.Scorecard.Query().Where(func(s *sql.Selector) { seekErr = orderAndSeek(s, ks, after) }).Limit(size + 1).All(ctx)
	if seekErr != nil {
		return nil, nil, seekErr
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := cut(rows, size, ks, func(r *ent.Scorecard, col string) any {
		if col == scorecard.FieldCreateTime {
			return r.CreateTime.UTC()
		}
		return r.ID
	})
	out, err := q.withVersions(ctx, rows)
	return out, next, err
}

func (q queries) Scorecards(ctx context.Context) ([]*health.Scorecard, error) {
	rows, err := q.c.Scorecard.Query().Order(ent.Asc(scorecard.FieldCreateTime), ent.Asc(scorecard.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return q.withVersions(ctx, rows)
}

func (q queries) ListScorecardVersions(ctx context.Context, id uuid.UUID, size int, after *page.Cursor) ([]*health.Scorecard, *page.Cursor, error) {
	head, err := q.c.Scorecard.Get(ctx, id)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	query := q.c.ScorecardVersion.Query().Where(scorecardversion.ScorecardID(id))
	if after != nil {
		if len(after.Keys) != 1 {
			return nil, nil, account.ErrBadCursor
		}
		var v int
		if _, err := fmt.Sscan(after.Keys[0], &v); err != nil {
			return nil, nil, account.ErrBadCursor
		}
		query.Where(scorecardversion.VersionLT(v))
	}
	vs, err := query.Order(ent.Desc(scorecardversion.FieldVersion)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	var next *page.Cursor
	if len(vs) > size {
		vs = vs[:size]
		next = &page.Cursor{Keys: []string{fmt.Sprint(vs[size-1].Version)}}
	}
	out := make([]*health.Scorecard, len(vs))
	for i, v := range vs {
		if out[i], err = toScorecard(head, v); err != nil {
			return nil, nil, err
		}
	}
	return out, next, nil
}

func (q txQueries) insertVersion(ctx context.Context, c *health.Scorecard) error {
	def, err := json.Marshal(c.Definition)
	if err != nil {
		return err
	}
	return mapErr(q.c.ScorecardVersion.Create().SetID(uuid.Must(uuid.NewV7())).SetScorecardID(c.ID).SetVersion(c.Version).
		SetDefinition(string(def)).SetCreateTime(c.VersionCreateTime).Exec(ctx))
}

func (q txQueries) InsertScorecard(ctx context.Context, c *health.Scorecard) error {
	err := q.c.Scorecard.Create().SetID(c.ID).SetCreateTime(c.CreateTime).SetUpdateTime(c.UpdateTime).SetRevision(c.Revision).
		SetDisplayName(c.DisplayName).SetDescription(c.Description).SetIsDefault(c.IsDefault).
		SetSegmentTiers(c.Tiers).SetSegmentIndustries(c.Industries).SetVersion(c.Version).Exec(ctx)
	if err != nil {
		return mapErr(err)
	}
	return q.insertVersion(ctx, c)
}

func (q txQueries) LockScorecard(ctx context.Context, id uuid.UUID) (*health.Scorecard, error) {
	query := q.c.Scorecard.Query().Where(scorecard.ID(id))
	if q.postgres() {
		query = query.ForUpdate()
	}
	r, err := query.Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := q.withVersions(ctx, []*ent.Scorecard{r})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (q txQueries) UpdateScorecard(ctx context.Context, c *health.Scorecard, old int64, newVersion bool) error {
	n, err := q.c.Scorecard.Update().Where(scorecard.ID(c.ID), scorecard.Revision(old)).
		SetUpdateTime(c.UpdateTime).SetRevision(c.Revision).SetDisplayName(c.DisplayName).SetDescription(c.Description).
		SetIsDefault(c.IsDefault).SetSegmentTiers(c.Tiers).SetSegmentIndustries(c.Industries).SetVersion(c.Version).Save(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrStale
	}
	if newVersion {
		return q.insertVersion(ctx, c)
	}
	return nil
}

func (q txQueries) ClearDefault(ctx context.Context) error {
	return mapErr(q.c.Scorecard.Update().Where(scorecard.IsDefault(true)).SetIsDefault(false).Exec(ctx))
}

// ---- Scores ----

// Scores are read from the history and the current rows alike: an account's latest
// score lives in its current row (written there by InsertCurrents or ReplaceCurrents),
// the ones it replaced in health_scores. scoreUnion is both as one relation with
// health_scores' columns, each side filtered by its own condition.
func scoreUnion(hist, cur string) string {
	return "SELECT " + strings.Join(scoreCols, ", ") + " FROM health_scores WHERE " + hist +
		" UNION ALL SELECT score_id, id, scorecard_id, scorecard_version, computed_score, computed_grade, contributions, compute_time, job_id" +
		" FROM account_healths WHERE " + cur
}

// scanScores reads scoreCols rows.
func (q queries) scanScores(ctx context.Context, query string, args []any) ([]*health.Score, error) {
	rows, err := q.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*health.Score
	for rows.Next() {
		s := &health.Score{}
		var (
			contributions string
			at            any
			job           uuid.NullUUID
		)
		if err := rows.Scan(&s.ID, &s.Account, &s.Scorecard, &s.ScorecardVersion, &s.Score, &s.Grade, &contributions, &at, &job); err != nil {
			return nil, mapErr(err)
		}
		if s.ComputeTime, err = asTime(at); err != nil {
			return nil, err
		}
		if job.Valid {
			s.Job = &job.UUID
		}
		if s.Contributions, err = q.contributions(ctx, s, contributions); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, mapErr(rows.Err())
}

// contributions decodes score s's stored contributions, naming the measures from its
// scorecard version when the text does not.
func (q queries) contributions(ctx context.Context, s *health.Score, text string) ([]health.Contribution, error) {
	cs, named, err := decodeContributions(text)
	if err != nil {
		return nil, fmt.Errorf("score %s: %w", s.ID, err)
	}
	if named || len(cs) == 0 {
		return cs, nil
	}
	names, err := q.measureNames(ctx, s.Scorecard, s.ScorecardVersion)
	if err != nil {
		return nil, fmt.Errorf("score %s: %w", s.ID, err)
	}
	if len(names) != len(cs) {
		return nil, fmt.Errorf("score %s: %d contributions for the %d measures of scorecard %s version %d", s.ID, len(cs), len(names), s.Scorecard, s.ScorecardVersion)
	}
	for i := range cs {
		cs[i].Measure, cs[i].Group = names[i].key, names[i].group
	}
	return cs, nil
}

// measureName is a scorecard measure's key and group.
type measureName struct{ key, group string }

// measureNames returns the measures of a scorecard version, in order: history rows
// store contributions by position. A version never changes once created (an edit
// makes a new one), so they are cached.
func (q queries) measureNames(ctx context.Context, id uuid.UUID, version int) ([]measureName, error) {
	k := versionKey{id, version}
	if names, ok := q.names.get(k); ok {
		return names, nil
	}
	v, err := q.c.ScorecardVersion.Query().Where(scorecardversion.ScorecardID(id), scorecardversion.Version(version)).Only(ctx)
	if err != nil {
		return nil, mapErr(fmt.Errorf("scorecard %s version %d: %w", id, version, err))
	}
	var def health.Definition
	if err := json.Unmarshal([]byte(v.Definition), &def); err != nil {
		return nil, fmt.Errorf("scorecard %s version %d: %w", id, version, err)
	}
	names := make([]measureName, len(def.Measures))
	for i, m := range def.Measures {
		names[i] = measureName{m.Key, m.Group}
	}
	if q.tx == nil { // a version read inside a transaction might yet roll back
		q.names.put(k, names)
	}
	return names, nil
}

// currentFields are the columns toCurrent reads: not the score's contributions, which
// the score's readers fetch.
var currentFields = slices.DeleteFunc(slices.Clone(accounthealth.Columns), func(c string) bool {
	return c == accounthealth.FieldContributions || c == accounthealth.FieldJobID
})

func toCurrent(r *ent.AccountHealth) *health.Current {
	c := &health.Current{Account: r.ID, ScoreID: r.ScoreID, Scorecard: r.ScorecardID, Version: r.ScorecardVersion,
		Computed: r.ComputedScore, Grade: r.ComputedGrade, Time: r.ComputeTime.UTC(), Trend: r.Trend,
		Effective: r.Score, EffGrade: r.Grade, OverrideID: r.OverrideID, Digest: r.Digest}
	if r.HasChange {
		v := r.Change
		c.Change = &v
	}
	if r.HasChange30d {
		v := r.Change30d
		c.Change30d = &v
	}
	if r.OverrideExpireTime != nil {
		t := r.OverrideExpireTime.UTC()
		c.OverrideExpire = &t
	}
	return c
}

func (q queries) GetCurrent(ctx context.Context, acc uuid.UUID) (*health.Current, error) {
	r, err := q.c.AccountHealth.Query().Where(accounthealth.ID(acc)).Select(currentFields...).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toCurrent(r), nil
}

func (q queries) Currents(ctx context.Context, b health.Batch) (map[uuid.UUID]*health.Current, error) {
	return q.currents(ctx, b, false)
}

func (q txQueries) LockCurrents(ctx context.Context, b health.Batch) (map[uuid.UUID]*health.Current, error) {
	return q.currents(ctx, b, true)
}

func (q txQueries) LockCurrent(ctx context.Context, acc uuid.UUID) (*health.Current, error) {
	cs, err := q.currents(ctx, health.Batch{IDs: []uuid.UUID{acc}}, true)
	if err != nil {
		return nil, err
	}
	if c := cs[acc]; c != nil {
		return c, nil
	}
	return nil, account.ErrNotFound
}

func (q queries) currents(ctx context.Context, b health.Batch, lock bool) (map[uuid.UUID]*health.Current, error) {
	out := make(map[uuid.UUID]*health.Current, len(b.IDs))
	for _, part := range chunks(b.IDs, 1000) {
		// Plain SQL and typed scans: a recompute reads a current row per account, and
		// ent's generic scanning cost it an eighth of its CPU.
		a := &sqlArgs{pg: q.postgres()}
		var where string
		if b.Dense && len(part) > 1 {
			where = "id >= " + a.add(part[0]) + " AND id <= " + a.add(part[len(part)-1]) // one index range
		} else {
			where = a.in("id", part)
		}
		query := "SELECT id, score_id, scorecard_id, scorecard_version, computed_score, computed_grade, compute_time, change, has_change, " +
			"change_30d, has_change_30d, trend, score, grade, digest, override_id, override_expire_time FROM account_healths WHERE " + where
		if lock && q.postgres() {
			// In id order, so two passes over overlapping accounts lock alike and
			// never deadlock. (SQLite has one writer at a time.)
			query += " ORDER BY id FOR UPDATE"
		}
		if err := q.scanCurrents(ctx, query, a.args, !lock, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanCurrents runs query, prepared when hot. (Locking reads are not: an override's
// lock of one row shares their text, and a plan PostgreSQL settled on outside a
// scoring transaction, while the table was small, could be a whole-table scan.)
func (q queries) scanCurrents(ctx context.Context, query string, args []any, hot bool, out map[uuid.UUID]*health.Current) error {
	run := q.c.QueryContext
	if hot {
		run = q.hotQuery
	}
	rows, err := run(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		c := &health.Current{}
		var (
			change, change30       float64
			hasChange, hasChange30 bool
			computeTime, expire    any
			override               uuid.NullUUID
		)
		if err := rows.Scan(&c.Account, &c.ScoreID, &c.Scorecard, &c.Version, &c.Computed, &c.Grade, &computeTime, &change, &hasChange,
			&change30, &hasChange30, &c.Trend, &c.Effective, &c.EffGrade, &c.Digest, &override, &expire); err != nil {
			return mapErr(err)
		}
		if c.Time, err = asTime(computeTime); err != nil {
			return err
		}
		if hasChange {
			c.Change = &change
		}
		if hasChange30 {
			c.Change30d = &change30
		}
		if override.Valid {
			c.OverrideID = &override.UUID
		}
		if expire != nil {
			t, err := asTime(expire)
			if err != nil {
				return err
			}
			c.OverrideExpire = &t
		}
		out[c.Account] = c
	}
	return mapErr(rows.Err())
}

var currentFilterCols = map[string]colSpec{
	"score":                {col: accounthealth.FieldScore},
	"computed_score":       {col: accounthealth.FieldComputedScore},
	"change":               {col: accounthealth.FieldChange},
	"change_30d":           {col: accounthealth.FieldChange30d},
	"grade":                {col: accounthealth.FieldGrade, kind: colEnum, prefix: "HEALTH_GRADE_"},
	"computed_grade":       {col: accounthealth.FieldComputedGrade, kind: colEnum, prefix: "HEALTH_GRADE_"},
	"trend":                {col: accounthealth.FieldTrend, kind: colEnum, prefix: "HEALTH_TREND_"},
	"overridden":           {col: accounthealth.FieldOverrideID, kind: colNotNull},
	"scorecard":            {col: accounthealth.FieldScorecardID, kind: colRef, prefix: "scorecards/"},
	"compute_time":         {col: accounthealth.FieldComputeTime},
	"account.revenue_tier": {col: entaccount.FieldRevenueTier, kind: colAccount, prefix: "REVENUE_TIER_"},
	"account.industry":     {col: entaccount.FieldIndustry, kind: colAccount},
	"account.region":       {col: entaccount.FieldRegion, kind: colAccount},
	"account.owner":        {col: entaccount.FieldOwner, kind: colAccount},
}

var currentSortCols = map[string]sortCol{
	"score":        {col: accounthealth.FieldScore, kind: keyFloat},
	"change":       {col: accounthealth.FieldChange, kind: keyFloat},
	"change_30d":   {col: accounthealth.FieldChange30d, kind: keyFloat},
	"compute_time": {col: accounthealth.FieldComputeTime, kind: keyTime},
}

func (q queries) ListCurrents(ctx context.Context, p listing.Params) ([]*health.Current, *page.Cursor, error) {
	ks := resolveOrder(p.Order, currentSortCols)
	var seekErr error
	rows, err := q.c.AccountHealth.Query().Where(func(s *sql.Selector) {
		// Correlated, so a page ordered by score reads index rows and probes each
		// account, instead of hashing every live account first.
		a := sql.Table(entaccount.Table)
		s.Where(sql.NotExists(sql.Dialect(s.Dialect()).Select(a.C(entaccount.FieldID)).From(a).
			Where(sql.And(sql.ColumnsEQ(a.C(entaccount.FieldID), s.C(accounthealth.FieldID)), sql.NotNull(a.C(entaccount.FieldDeleteTime))))))
		if p.Partner != "" {
			t := sql.Table(accountexternalid.Table)
			s.Where(sql.In(s.C(accounthealth.FieldID), sql.Dialect(s.Dialect()).Select(t.C(accountexternalid.FieldAccountID)).From(t).
				Where(sql.EQ(t.C(accountexternalid.FieldSystem), p.Partner))))
		}
		if p.Filter != nil {
			s.Where(wherePredicate(s, p.Filter, currentFilterCols))
		}
		seekErr = orderAndSeek(s, ks, p.After)
	}).Limit(p.Size + 1).Select(currentFields...).All(ctx)
	if seekErr != nil {
		return nil, nil, seekErr
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := cut(rows, p.Size, ks, func(r *ent.AccountHealth, col string) any {
		switch col {
		case accounthealth.FieldScore:
			return r.Score
		case accounthealth.FieldChange:
			return r.Change
		case accounthealth.FieldChange30d:
			return r.Change30d
		case accounthealth.FieldComputeTime:
			return r.ComputeTime.UTC()
		}
		return r.ID
	})
	out := make([]*health.Current, len(rows))
	for i, r := range rows {
		out[i] = toCurrent(r)
	}
	return out, next, nil
}

func (q queries) GetScore(ctx context.Context, acc, id uuid.UUID) (*health.Score, error) {
	a := &sqlArgs{pg: q.postgres()}
	hist := "id = " + a.add(id) + " AND account_id = " + a.add(acc)
	ss, err := q.scanScores(ctx, scoreUnion(hist, "id = "+a.add(acc)+" AND score_id = "+a.add(id)), a.args)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, account.ErrNotFound
	}
	return ss[0], nil
}

func (q queries) ScoreAt(ctx context.Context, acc uuid.UUID, t time.Time) (*health.Score, error) {
	a := &sqlArgs{pg: q.postgres()}
	hist := "account_id = " + a.add(acc) + " AND compute_time <= " + a.add(t.UTC())
	cur := "id = " + a.add(acc) + " AND compute_time <= " + a.add(t.UTC())
	ss, err := q.scanScores(ctx, "SELECT * FROM ("+scoreUnion(hist, cur)+") s ORDER BY compute_time DESC, id DESC LIMIT 1", a.args)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, account.ErrNotFound
	}
	return ss[0], nil
}

func (q queries) ScoresAt(ctx context.Context, ids []uuid.UUID, t time.Time) (map[uuid.UUID]float64, error) {
	out := make(map[uuid.UUID]float64, len(ids))
	for _, part := range chunks(ids, 1000) {
		a := &sqlArgs{pg: q.postgres()}
		// The latest history row at or before t per account: its time from a grouped
		// subquery. The current row, when computed by t, is later than all of them; it
		// is compared all the same, and ties (same microsecond) go to the larger id.
		inner := "SELECT account_id, MAX(compute_time) AS mt FROM health_scores WHERE " + a.in("account_id", part) +
			" AND compute_time <= " + a.add(t.UTC()) + " GROUP BY account_id"
		query := "SELECT h.account_id, h.id, h.score, h.compute_time FROM health_scores h JOIN (" + inner +
			") m ON h.account_id = m.account_id AND h.compute_time = m.mt" +
			" UNION ALL SELECT id, score_id, computed_score, compute_time FROM account_healths WHERE " + a.in("id", part) +
			" AND compute_time <= " + a.add(t.UTC())
		rows, err := q.c.QueryContext(ctx, query, a.args...)
		if err != nil {
			return nil, mapErr(err)
		}
		type pick struct {
			at time.Time
			id string
		}
		best := map[uuid.UUID]pick{}
		for rows.Next() {
			var acc, id uuid.UUID
			var score float64
			var at any
			if err := rows.Scan(&acc, &id, &score, &at); err != nil {
				rows.Close()
				return nil, mapErr(err)
			}
			p := pick{id: id.String()}
			if p.at, err = asTime(at); err != nil {
				rows.Close()
				return nil, err
			}
			if b, ok := best[acc]; !ok || p.at.After(b.at) || p.at.Equal(b.at) && p.id > b.id {
				best[acc], out[acc] = p, score
			}
		}
		if err := rows.Close(); err != nil {
			return nil, mapErr(err)
		}
	}
	return out, nil
}

// ListScores lists an account's scores newest first. Its cursor holds the last row's
// time and id (the keyset encoding lists share).
func (q queries) ListScores(ctx context.Context, acc uuid.UUID, size int, after *page.Cursor) ([]*health.Score, *page.Cursor, error) {
	a := &sqlArgs{pg: q.postgres()}
	hist, cur := "account_id = "+a.add(acc), "id = "+a.add(acc)
	if after != nil {
		if len(after.Keys) != 2 {
			return nil, nil, account.ErrBadCursor
		}
		at, err1 := decodeKey(keyTime, after.Keys[0])
		id, err2 := decodeKey(keyUUID, after.Keys[1])
		if err1 != nil || err2 != nil {
			return nil, nil, account.ErrBadCursor
		}
		// Row values: an index range on (account_id, compute_time, id).
		hist += " AND (compute_time, id) < (" + a.add(at.(time.Time).UTC()) + ", " + a.add(id) + ")"
		cur += " AND (compute_time, score_id) < (" + a.add(at.(time.Time).UTC()) + ", " + a.add(id) + ")"
	}
	ss, err := q.scanScores(ctx, "SELECT * FROM ("+scoreUnion(hist, cur)+") s ORDER BY compute_time DESC, id DESC LIMIT "+strconv.Itoa(size+1), a.args)
	if err != nil {
		return nil, nil, err
	}
	ks := []keyTerm{{col: "compute_time", kind: keyTime, desc: true}, {col: "id", kind: keyUUID, desc: true}}
	ss, next := cut(ss, size, ks, func(s *health.Score, col string) any {
		if col == "compute_time" {
			return s.ComputeTime
		}
		return s.ID
	})
	return ss, next, nil
}

func toOverride(r *ent.HealthOverride) *health.Override {
	o := &health.Override{ID: r.ID, Account: r.AccountID, Score: r.Score, Grade: r.Grade, Reason: r.Reason, Actor: r.Actor,
		SetTime: r.SetTime.UTC(), ExpireTime: utcPtr(r.ExpireTime), EndTime: utcPtr(r.EndTime), EndedBy: r.EndedBy, EndReason: r.EndReason}
	return o
}

func (q queries) GetOverrides(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*health.Override, error) {
	out := make(map[uuid.UUID]*health.Override, len(ids))
	for _, part := range chunks(ids, 1000) {
		rows, err := q.c.HealthOverride.Query().Where(healthoverride.IDIn(part...)).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			out[r.ID] = toOverride(r)
		}
	}
	return out, nil
}

func (q queries) GetOverride(ctx context.Context, id uuid.UUID) (*health.Override, error) {
	r, err := q.c.HealthOverride.Get(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	return toOverride(r), nil
}

func (q queries) OverrideAt(ctx context.Context, acc uuid.UUID, t time.Time) (*health.Override, error) {
	r, err := q.c.HealthOverride.Query().Where(healthoverride.AccountID(acc), healthoverride.SetTimeLTE(t.UTC())).
		Order(ent.Desc(healthoverride.FieldSetTime), ent.Desc(healthoverride.FieldID)).First(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	o := toOverride(r)
	if !o.ActiveAt(t) {
		return nil, account.ErrNotFound
	}
	return o, nil
}

var scoreCols = []string{"id", "account_id", "scorecard_id", "scorecard_version", "score", "grade", "contributions", "compute_time", "job_id"}

// Contributions are stored compactly, one "raw|normalized|weight|points|flags" per
// measure of the scorecard version, in its order, joined by ";" (raw empty when missing;
// flags "m" missing, "s" skipped). A recompute writes hundreds of thousands of them:
// JSON cost twice the bytes and the time, and the measures' keys and groups, which the
// version names, were 60 % of the text. Floats are written in their shortest exact
// form, so they read back bit for bit. Rows written before carry the names
// ("measure|group|raw|…") or are JSON; both still read.
func encodeContributions(cs []health.Contribution) []byte {
	return appendContributions(make([]byte, 0, 24*len(cs)), cs)
}

// appendContributions appends encodeContributions' text to b.
func appendContributions(b []byte, cs []health.Contribution) []byte {
	for i, c := range cs {
		if i > 0 {
			b = append(b, ';')
		}
		if c.Raw != nil {
			b = appendFloat(b, *c.Raw)
		}
		for _, f := range []float64{c.Normalized, c.Weight, c.Points} {
			b = append(b, '|')
			b = appendFloat(b, f)
		}
		b = append(b, '|')
		if c.Missing {
			b = append(b, 'm')
		}
		if c.Skipped {
			b = append(b, 's')
		}
	}
	return b
}

// appendFloat appends f in its shortest exact form ('g'). Whole numbers below 10⁶,
// most counts, weights and bands, take the integer path: the same text, a fifth of
// the time (a first recompute formats four floats per measure and account).
func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e6 && (f != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// decodeContributions reads what encodeContributions (or an earlier version) wrote;
// named tells whether the text carried the measures' keys and groups.
func decodeContributions(s string) (cs []health.Contribution, named bool, err error) {
	if strings.HasPrefix(s, "[") {
		err := json.Unmarshal([]byte(s), &cs)
		return cs, true, err
	}
	if s == "" {
		return nil, true, nil
	}
	parts := strings.Split(s, ";")
	cs = make([]health.Contribution, len(parts))
	for i, p := range parts {
		f := strings.Split(p, "|")
		if len(f) != 5 && len(f) != 7 || i > 0 && named != (len(f) == 7) {
			return nil, false, fmt.Errorf("contribution %d: %d fields", i, len(f))
		}
		if len(f) == 7 { // measure|group|raw|normalized|weight|points|flags
			cs[i].Measure, cs[i].Group, named = f[0], f[1], true
			f = f[2:]
		}
		c := &cs[i]
		c.Missing, c.Skipped = strings.Contains(f[4], "m"), strings.Contains(f[4], "s")
		if f[0] != "" {
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return nil, false, fmt.Errorf("contribution %d: %w", i, err)
			}
			c.Raw = &v
		}
		for k, dst := range []*float64{&c.Normalized, &c.Weight, &c.Points} {
			v, err := strconv.ParseFloat(f[1+k], 64)
			if err != nil {
				return nil, false, fmt.Errorf("contribution %d: %w", i, err)
			}
			*dst = v
		}
	}
	return cs, named, nil
}

// currentCols are account_healths' columns but the score's own (currentScoreCols), in
// the order the writes send them, with their PostgreSQL array types.
var currentCols = []struct{ name, pgType string }{
	{"id", "uuid"}, {"score_id", "uuid"}, {"scorecard_id", "uuid"}, {"scorecard_version", "bigint"}, {"computed_score", "float8"},
	{"computed_grade", "text"}, {"compute_time", "timestamptz"}, {"change", "float8"}, {"has_change", "bool"}, {"change_30d", "float8"},
	{"has_change_30d", "bool"}, {"trend", "text"}, {"score", "float8"}, {"grade", "text"}, {"digest", "text"},
	{"override_id", "uuid"}, {"override_expire_time", "timestamptz"},
}

// currentRow is c's values in currentCols order (NULL as nil).
func currentRow(c *health.Current) []any {
	var change, change30 float64
	if c.Change != nil {
		change = *c.Change
	}
	if c.Change30d != nil {
		change30 = *c.Change30d
	}
	var override, expire any
	if c.OverrideID != nil {
		override = *c.OverrideID
	}
	if c.OverrideExpire != nil {
		expire = c.OverrideExpire.UTC()
	}
	return []any{c.Account, c.ScoreID, c.Scorecard, int64(c.Version), c.Computed, c.Grade, c.Time.UTC(), change, c.Change != nil,
		change30, c.Change30d != nil, c.Trend, c.Effective, c.EffGrade, c.Digest, override, expire}
}

// currentScoreCols are the columns a current row holds for its score beyond
// currentCols' (as health_scores holds them).
var currentScoreCols = []struct{ name, pgType string }{{"contributions", "text"}, {"job_id", "uuid"}}

// scoreRow is c's values in currentCols order, then its score s's currentScoreCols.
func scoreRow(c *health.Current, s *health.Score) []any {
	var job any
	if s.Job != nil {
		job = *s.Job
	}
	return append(currentRow(c), string(encodeContributions(s.Contributions)), job)
}

// currentCopier writes scoreRow(c, s) for COPY, field by field: through currentRow,
// boxing each value cost a first recompute a tenth of its Go CPU. A pass's rows share
// their scorecard, moment and job, whose text is made once. (TestCurrentCopier holds
// it to scoreRow's values.)
type currentCopier struct {
	card, job     sharedText[uuid.UUID]
	at            sharedText[time.Time]
	contributions []byte
}

func (cc *currentCopier) row(w *copyWriter, c *health.Current, s *health.Score) {
	w.uuid(c.Account)
	w.uuid(c.ScoreID)
	w.raw(cc.card.get(c.Scorecard, uuid.UUID.String))
	w.int(int64(c.Version))
	w.float(c.Computed)
	w.text(c.Grade)
	w.raw(cc.at.get(c.Time, pgTime))
	for _, d := range []*float64{c.Change, c.Change30d} {
		if d != nil {
			w.float(*d)
		} else {
			w.float(0)
		}
		w.bool(d != nil)
	}
	w.text(c.Trend)
	w.float(c.Effective)
	w.text(c.EffGrade)
	w.text(c.Digest)
	if c.OverrideID != nil {
		w.uuid(*c.OverrideID)
	} else {
		w.null()
	}
	if c.OverrideExpire != nil {
		w.time(*c.OverrideExpire)
	} else {
		w.null()
	}
	cc.contributions = appendContributions(cc.contributions[:0], s.Contributions)
	w.textBytes(cc.contributions)
	if s.Job != nil {
		w.raw(cc.job.get(*s.Job, uuid.UUID.String))
	} else {
		w.null()
	}
}

// pgTime is t as copyWriter.time writes it.
func pgTime(t time.Time) string { return t.UTC().Format(pgTimeLayout) }

// checkScores checks that scores[i] is the score cs[i] points at.
func checkScores(cs []*health.Current, scores []*health.Score) error {
	if len(cs) != len(scores) {
		return fmt.Errorf("store: %d current rows with %d scores", len(cs), len(scores))
	}
	for i, c := range cs {
		if s := scores[i]; s.ID != c.ScoreID || s.Account != c.Account || !s.ComputeTime.Equal(c.Time) {
			return fmt.Errorf("store: score %s is not the one current row %s points at", s.ID, c.Account)
		}
	}
	return nil
}

func colNames(cols ...[]struct{ name, pgType string }) []string {
	var names []string
	for _, cs := range cols {
		for _, c := range cs {
			names = append(names, c.name)
		}
	}
	return names
}

// InsertCurrents implements health.Tx: on PostgreSQL with COPY, inside a savepoint
// that a row another transaction inserted meanwhile rolls back; on SQLite with
// multi-row VALUES. (SQLite transactions begin immediate, as writers: no row can be
// written between their reads and writes.) A first score is this one row: it reaches
// the history only once replaced.
func (q txQueries) InsertCurrents(ctx context.Context, cs []*health.Current, scores []*health.Score) error {
	if err := checkScores(cs, scores); err != nil || len(cs) == 0 {
		return err
	}
	names := colNames(currentCols, currentScoreCols)
	if !q.postgres() {
		_, err := q.writeCurrents(ctx, append(slices.Clone(currentCols), currentScoreCols...), scoreRows(cs, scores), "")
		return err
	}
	if _, err := q.c.ExecContext(ctx, "SAVEPOINT new_currents"); err != nil {
		return mapErr(err)
	}
	var cc currentCopier
	err := q.copyRows(ctx, "account_healths", names, len(cs), func(i int, w *copyWriter) { cc.row(w, cs[i], scores[i]) })
	if err == nil {
		_, err = q.c.ExecContext(ctx, "RELEASE SAVEPOINT new_currents")
		return mapErr(err)
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" { // unique_violation
		return err
	}
	if _, rerr := q.c.ExecContext(ctx, "ROLLBACK TO SAVEPOINT new_currents"); rerr != nil {
		return errors.Join(err, mapErr(rerr))
	}
	return health.ErrCurrentMoved
}

// ReplaceCurrents implements health.Tx: each row's score moves into the history (one
// INSERT … SELECT, nothing crosses the wire), then the row is rewritten with its new
// score. A row already computed for the new score's moment or later is left as it is,
// and the call fails (its caller read and locked it as older).
func (q txQueries) ReplaceCurrents(ctx context.Context, cs []*health.Current, scores []*health.Score) error {
	if err := checkScores(cs, scores); err != nil || len(cs) == 0 {
		return err
	}
	for _, part := range chunks(cs, 1000) {
		// A pass scores one moment; the archive is one statement per moment in part.
		byTime := map[time.Time][]uuid.UUID{}
		var times []time.Time
		for _, c := range part {
			t := c.Time.UTC()
			if _, ok := byTime[t]; !ok {
				times = append(times, t)
			}
			byTime[t] = append(byTime[t], c.Account)
		}
		for _, t := range times {
			a := &sqlArgs{pg: q.postgres()}
			if _, err := q.c.ExecContext(ctx, "INSERT INTO health_scores ("+strings.Join(scoreCols, ", ")+
				") SELECT score_id, id, scorecard_id, scorecard_version, computed_score, computed_grade, contributions, compute_time, job_id"+
				" FROM account_healths WHERE "+a.in("id", byTime[t])+" AND compute_time < "+a.add(t), a.args...); err != nil {
				return mapErr(err)
			}
		}
	}
	n, err := q.writeCurrents(ctx, append(slices.Clone(currentCols), currentScoreCols...), scoreRows(cs, scores), "<")
	if err == nil && n != int64(len(cs)) {
		// The caller locked rows it read as older: a row already this new would drop
		// its new score (the archive skipped it too), so say so rather than lose it.
		err = fmt.Errorf("store: %d of %d current rows to replace were computed for that moment or later", int64(len(cs))-n, len(cs))
	}
	return err
}

func scoreRows(cs []*health.Current, scores []*health.Score) [][]any {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = scoreRow(c, scores[i])
	}
	return rows
}

// UpdateCurrents implements health.Tx: the rows keep their score (and its
// contributions); a row that is missing or now points at another score is an error.
func (q txQueries) UpdateCurrents(ctx context.Context, cs []*health.Current) error {
	names := colNames(currentCols)
	set := make([]string, 0, len(names)-1)
	for _, n := range names[1:] {
		set = append(set, n+" = n."+n)
	}
	for _, part := range chunks(cs, 1000) {
		var n int64
		if q.postgres() {
			args, params := pgArrays(currentCols, part, currentRow)
			var err error
			if n, err = q.execCount(ctx, "UPDATE account_healths AS h SET "+strings.Join(set, ", ")+" FROM unnest("+strings.Join(params, ", ")+
				") AS n("+strings.Join(names, ", ")+") WHERE h.id = n.id AND h.score_id = n.score_id", args...); err != nil {
				return err
			}
		} else {
			// One statement a row: SQLite runs in process, and UPDATE … FROM VALUES
			// would name its columns column1, column2, ….
			stmt := "UPDATE account_healths SET " + strings.Join(names[1:], " = ?, ") + " = ? WHERE id = ? AND score_id = ?"
			for _, c := range part {
				row := currentRow(c)
				k, err := q.execCount(ctx, stmt, append(row[1:], c.Account, c.ScoreID)...)
				if err != nil {
					return err
				}
				n += k
			}
		}
		if n != int64(len(part)) {
			return fmt.Errorf("store: %d of %d current rows to update are missing or point at another score", int64(len(part))-n, len(part))
		}
	}
	return nil
}

// execCount runs a write and returns how many rows it wrote.
func (q txQueries) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.c.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n, mapErr(err)
}

// pgArrays renders rows as one array parameter per column, typed.
func pgArrays[T any](cols []struct{ name, pgType string }, part []T, row func(T) []any) ([]any, []string) {
	arrays := make([][]stdsql.NullString, len(cols))
	for i := range arrays {
		arrays[i] = make([]stdsql.NullString, len(part))
	}
	for r, x := range part {
		for i, v := range row(x) {
			arrays[i][r] = arrayText(v)
		}
	}
	args := make([]any, len(cols))
	params := make([]string, len(cols))
	for i, c := range cols {
		args[i] = pq.Array(arrays[i])
		params[i] = fmt.Sprintf("$%d::%s[]", i+1, c.pgType)
	}
	return args, params
}

// writeCurrents inserts whole rows of cols and returns how many it wrote: on
// PostgreSQL one statement of column arrays per 1000 rows, on SQLite multi-row VALUES.
// With op ("<"), an existing row is replaced when computed for an earlier moment, else
// kept (not counted); without, it is an error.
func (q txQueries) writeCurrents(ctx context.Context, cols []struct{ name, pgType string }, rows [][]any, op string) (written int64, err error) {
	names := colNames(cols)
	var upsert string
	if op != "" {
		set := make([]string, 0, len(names)-1)
		for _, n := range names[1:] {
			set = append(set, n+" = excluded."+n)
		}
		upsert = " ON CONFLICT (id) DO UPDATE SET " + strings.Join(set, ", ") + " WHERE account_healths.compute_time " + op + " excluded.compute_time"
	}
	for _, part := range chunks(rows, 1000) {
		var query string
		var args []any
		if q.postgres() {
			var params []string
			args, params = pgArrays(cols, part, func(r []any) []any { return r })
			query = "INSERT INTO account_healths (" + strings.Join(names, ", ") + ") SELECT * FROM unnest(" + strings.Join(params, ", ") + ")"
		} else {
			a := &sqlArgs{}
			vals := make([]string, len(part))
			for r, row := range part {
				ps := make([]string, len(row))
				for i, v := range row {
					ps[i] = a.add(v)
				}
				vals[r] = "(" + strings.Join(ps, ", ") + ")"
			}
			query, args = "INSERT INTO account_healths ("+strings.Join(names, ", ")+") VALUES "+strings.Join(vals, ", "), a.args
		}
		n, err := q.execCount(ctx, query+upsert, args...)
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// arrayText renders a value as a PostgreSQL array element.
func arrayText(v any) stdsql.NullString {
	switch v := v.(type) {
	case nil:
		return stdsql.NullString{}
	case uuid.UUID:
		return stdsql.NullString{String: v.String(), Valid: true}
	case time.Time:
		return stdsql.NullString{String: v.UTC().Format(time.RFC3339Nano), Valid: true}
	case float64:
		return stdsql.NullString{String: strconv.FormatFloat(v, 'g', -1, 64), Valid: true}
	case int64:
		return stdsql.NullString{String: strconv.FormatInt(v, 10), Valid: true}
	case bool:
		return stdsql.NullString{String: strconv.FormatBool(v), Valid: true}
	case string:
		return stdsql.NullString{String: v, Valid: true}
	}
	panic(fmt.Sprintf("store: no array encoding for %T", v))
}

// PreferIndexes steers PostgreSQL to the indexes for the rest of a scoring
// transaction. Its queries look up a batch of accounts by id; while a first recompute
// fills the health tables, their statistics still say "empty" and the planner would
// scan them whole for every batch, a cost that grows with every batch. JIT is off too:
// the grouped signals query's estimate crosses jit_above_cost, and compiling it took
// longer (60–80 ms) than running it (10 ms).
func (q txQueries) PreferIndexes(ctx context.Context) error {
	if !q.postgres() {
		return nil
	}
	_, err := q.c.ExecContext(ctx, "SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
	return mapErr(err)
}

// Rederivable implements health.Tx: synchronous_commit off skips waiting for the WAL
// flush at COMMIT (on PostgreSQL; SQLite has no such setting here). Commits still
// reach disk in order, so a crash can only drop the newest whole transactions.
func (q txQueries) Rederivable(ctx context.Context) error {
	if !q.postgres() {
		return nil
	}
	_, err := q.c.ExecContext(ctx, "SET LOCAL synchronous_commit = off")
	return mapErr(err)
}

func (q txQueries) InsertOverride(ctx context.Context, o *health.Override) error {
	return mapErr(q.c.HealthOverride.Create().SetID(o.ID).SetAccountID(o.Account).SetNillableScore(o.Score).SetGrade(o.Grade).
		SetReason(o.Reason).SetActor(o.Actor).SetSetTime(o.SetTime).SetNillableExpireTime(utcPtr(o.ExpireTime)).Exec(ctx))
}

func (q txQueries) EndOverride(ctx context.Context, id uuid.UUID, t time.Time, by, reason string) error {
	return mapErr(q.c.HealthOverride.UpdateOneID(id).SetEndTime(t.UTC()).SetEndedBy(by).SetEndReason(reason).Exec(ctx))
}

func (q txQueries) LockCursor(ctx context.Context, name string) (int64, error) {
	if err := q.c.WorkerCursor.Create().SetID(name).OnConflictColumns(workercursor.FieldID).DoNothing().Exec(ctx); err != nil && !isNoRows(err) {
		return 0, mapErr(err)
	}
	query := q.c.WorkerCursor.Query().Where(workercursor.ID(name))
	if q.postgres() {
		query = query.ForUpdate()
	}
	cur, err := query.Only(ctx)
	if err != nil {
		return 0, mapErr(err)
	}
	return cur.Position, nil
}

func (q txQueries) SetCursor(ctx context.Context, name string, position int64) error {
	return mapErr(q.c.WorkerCursor.UpdateOneID(name).SetPosition(position).Exec(ctx))
}

func (q txQueries) RunningJobs(ctx context.Context) (int, error) {
	n, err := q.c.RecomputeJob.Query().Where(recomputejob.State(health.JobRunning)).Count(ctx)
	return n, mapErr(err)
}

func (q txQueries) ExpiredOverrides(ctx context.Context, t time.Time, limit int) ([]*health.Current, error) {
	query := q.c.AccountHealth.Query().Where(accounthealth.OverrideExpireTimeLTE(t.UTC())).Order(ent.Asc(accounthealth.FieldID)).Limit(limit)
	if q.postgres() {
		query = query.ForUpdate()
	}
	rows, err := query.Select(currentFields...).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]*health.Current, len(rows))
	for i, r := range rows {
		out[i] = toCurrent(r)
	}
	return out, nil
}

// ---- Dirty accounts and the activity feed ----

func (q txQueries) MarkDirty(ctx context.Context, ids []uuid.UUID, due time.Time) error {
	for _, part := range chunks(ids, 500) {
		a := &sqlArgs{pg: q.postgres()}
		vals := make([]string, len(part))
		for i, id := range part {
			vals[i] = "(" + a.add(id) + ", " + a.add(due.UTC()) + ")"
		}
		if _, err := q.c.ExecContext(ctx, "INSERT INTO health_dirties (id, due_time) VALUES "+strings.Join(vals, ", ")+
			" ON CONFLICT (id) DO NOTHING", a.args...); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (q txQueries) ClaimDirty(ctx context.Context, t time.Time, limit int, only []uuid.UUID) ([]uuid.UUID, error) {
	a := &sqlArgs{pg: q.postgres()}
	pick := "SELECT id FROM health_dirties WHERE due_time <= " + a.add(t.UTC())
	if len(only) > 0 {
		pick += " AND " + a.in("id", only)
	}
	pick += " ORDER BY due_time LIMIT " + a.add(limit)
	if q.postgres() {
		pick += " FOR UPDATE SKIP LOCKED" // other replicas take other rows
	}
	rows, err := q.c.QueryContext(ctx, "DELETE FROM health_dirties WHERE id IN ("+pick+") RETURNING id", a.args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, id)
	}
	slices.SortFunc(out, func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) })
	return out, mapErr(rows.Err())
}

func (q txQueries) PostponeDirty(ctx context.Context, ids []uuid.UUID, due time.Time) error {
	return mapErr(q.c.HealthDirty.Update().Where(healthdirty.IDIn(ids...)).SetDueTime(due.UTC()).Exec(ctx))
}

func (q queries) DueDirty(ctx context.Context, t time.Time, limit int) ([]uuid.UUID, error) {
	ids, err := q.c.HealthDirty.Query().Where(healthdirty.DueTimeLTE(t.UTC())).Order(ent.Asc(healthdirty.FieldDueTime)).
		Limit(limit).IDs(ctx)
	return ids, mapErr(err)
}

// archiveChange matches the activity resources whose changes feed derived measures or
// the choice of scorecard (and retention rules): an account and its contacts, deals,
// interactions and survey responses.
var archiveChange = regexp.MustCompile(`^accounts/[0-9a-f-]{36}(/(contacts|deals|interactions|surveyResponses)/[0-9a-f-]{36}|/surveyResponses)?$`)

func (q txQueries) FollowActivity(ctx context.Context, name string, limit int) ([]uuid.UUID, error) {
	return q.follow(ctx, name, limit, archiveChange)
}

// retentionInput matches the activity resources whose changes feed retention rules: the
// archive's, and signals (usage rules read them).
var retentionInput = regexp.MustCompile(`^accounts/[0-9a-f-]{36}(/(contacts|deals|interactions|surveyResponses)/[0-9a-f-]{36}|/surveyResponses|/signals)?$`)

// FollowInputs implements retention.Tx.
func (q txQueries) FollowInputs(ctx context.Context, name string, limit int) ([]uuid.UUID, error) {
	return q.follow(ctx, name, limit, retentionInput)
}

// follow returns the accounts of the activity entries after the named cursor whose
// resource matches re, and moves the cursor past the entries read.
func (q txQueries) follow(ctx context.Context, name string, limit int, re *regexp.Regexp) ([]uuid.UUID, error) {
	position, err := q.LockCursor(ctx, name) // one replica follows at a time
	if err != nil {
		return nil, err
	}
	rows, err := q.c.Activity.Query().Where(entactivity.IDGT(position), entactivity.AccountIDNotNil()).
		Order(ent.Asc(entactivity.FieldID)).Limit(limit).
		Select(entactivity.FieldID, entactivity.FieldResource, entactivity.FieldAccountID).All(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var out []uuid.UUID
	for _, r := range rows {
		if r.AccountID != nil && re.MatchString(r.Resource) && !slices.Contains(out, *r.AccountID) {
			out = append(out, *r.AccountID)
		}
	}
	if err := q.c.WorkerCursor.UpdateOneID(name).SetPosition(rows[len(rows)-1].ID).Exec(ctx); err != nil {
		return nil, mapErr(err)
	}
	if out == nil {
		out = []uuid.UUID{} // entries read, none relevant: the caller keeps following
	}
	return out, nil
}

// isNoRows reports ent's "no rows in result set" from an ON CONFLICT DO NOTHING that
// inserted nothing (PostgreSQL returns no id).
func isNoRows(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no rows in result set")
}

// ---- Jobs ----

func toJob(r *ent.RecomputeJob) *health.Job {
	return &health.Job{ID: r.ID, Filter: r.Filter, State: r.State, ComputeTime: r.ComputeTime.UTC(), Total: r.TotalAccounts,
		Processed: r.ProcessedAccounts, Changed: r.ChangedScores, NoData: r.NoDataAccounts, Error: r.Error, Creator: r.Creator,
		Cursor: r.Cursor, CancelRequested: r.CancelRequested, LeaseOwner: r.LeaseOwner, LeaseExpire: utcPtr(r.LeaseExpireTime),
		CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), EndTime: utcPtr(r.EndTime)}
}

func (q queries) GetJob(ctx context.Context, id uuid.UUID) (*health.Job, error) {
	r, err := q.c.RecomputeJob.Get(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	return toJob(r), nil
}

func (q queries) ListJobs(ctx context.Context, size int, after *page.Cursor) ([]*health.Job, *page.Cursor, error) {
	query := q.c.RecomputeJob.Query()
	if after != nil {
		if len(after.Keys) != 1 {
			return nil, nil, account.ErrBadCursor
		}
		id, err := uuid.Parse(after.Keys[0])
		if err != nil {
			return nil, nil, account.ErrBadCursor
		}
		query.Where(recomputejob.IDLT(id))
	}
	rows, err := query.Order(ent.Desc(recomputejob.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	var next *page.Cursor
	if len(rows) > size {
		rows = rows[:size]
		next = &page.Cursor{Keys: []string{rows[size-1].ID.String()}}
	}
	out := make([]*health.Job, len(rows))
	for i, r := range rows {
		out[i] = toJob(r)
	}
	return out, next, nil
}

func (q txQueries) InsertJob(ctx context.Context, j *health.Job) error {
	return mapErr(q.c.RecomputeJob.Create().SetID(j.ID).SetFilter(j.Filter).SetState(j.State).SetComputeTime(j.ComputeTime).
		SetTotalAccounts(j.Total).SetCreator(j.Creator).SetCreateTime(j.CreateTime).SetUpdateTime(j.UpdateTime).Exec(ctx))
}

func (q txQueries) LockJob(ctx context.Context, id uuid.UUID) (*health.Job, error) {
	query := q.c.RecomputeJob.Query().Where(recomputejob.ID(id))
	if q.postgres() {
		query = query.ForUpdate()
	}
	r, err := query.Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toJob(r), nil
}

func (q txQueries) UpdateJob(ctx context.Context, j *health.Job) error {
	u := q.c.RecomputeJob.UpdateOneID(j.ID).SetState(j.State).SetTotalAccounts(j.Total).SetProcessedAccounts(j.Processed).
		SetChangedScores(j.Changed).SetNoDataAccounts(j.NoData).SetError(j.Error).SetCancelRequested(j.CancelRequested).
		SetLeaseOwner(j.LeaseOwner).SetUpdateTime(j.UpdateTime)
	if j.Cursor != nil {
		u.SetCursor(*j.Cursor)
	}
	if j.LeaseExpire != nil {
		u.SetLeaseExpireTime(j.LeaseExpire.UTC())
	} else {
		u.ClearLeaseExpireTime()
	}
	if j.EndTime != nil {
		u.SetEndTime(j.EndTime.UTC())
	}
	return mapErr(u.Exec(ctx))
}

func (q txQueries) AdvanceJob(ctx context.Context, id uuid.UUID, owner string, add health.Stats, cursor *uuid.UUID, now, until time.Time) (bool, error) {
	a := &sqlArgs{pg: q.postgres()}
	set := "processed_accounts = processed_accounts + " + a.add(add.Processed) +
		", changed_scores = changed_scores + " + a.add(add.Changed) +
		", no_data_accounts = no_data_accounts + " + a.add(add.NoData) +
		", update_time = " + a.add(now.UTC()) + ", lease_expire_time = " + a.add(until.UTC())
	if cursor != nil {
		c := a.add(*cursor)
		set += ", cursor = CASE WHEN cursor IS NULL OR cursor < " + c + " THEN " + c + " ELSE cursor END"
	}
	res, err := q.c.ExecContext(ctx, "UPDATE recompute_jobs SET "+set+" WHERE id = "+a.add(id)+" AND state = "+a.add(health.JobRunning)+
		" AND lease_owner = "+a.add(owner)+" AND NOT cancel_requested", a.args...)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err)
}

func (q txQueries) ClaimJob(ctx context.Context, owner string, t, until time.Time) (*health.Job, error) {
	query := q.c.RecomputeJob.Query().Where(recomputejob.State(health.JobRunning),
		recomputejob.Or(recomputejob.LeaseExpireTimeIsNil(), recomputejob.LeaseExpireTimeLTE(t.UTC()))).
		Order(ent.Asc(recomputejob.FieldID))
	if q.postgres() {
		query = query.ForUpdate(sql.WithLockAction(sql.SkipLocked))
	}
	r, err := query.First(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	j := toJob(r)
	j.LeaseOwner, j.LeaseExpire, j.UpdateTime = owner, &until, t
	if err := q.UpdateJob(ctx, j); err != nil {
		return nil, err
	}
	return j, nil
}
