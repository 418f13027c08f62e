package health_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/survey"
	"github.com/furrowhq/furrow/internal/testdb"
)

// These tests run health scoring against the real store, on SQLite and PostgreSQL,
// with the committed migrations applied.

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	ctx      context.Context
	clk      *clock
	accounts *account.Service
	health   *health.Service
}

func newEnv(db *database.DB) *env {
	clk := &clock{t: t0}
	st := store.New(db)
	ctx := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/test", Role: auth.Admin})
	return &env{ctx: ctx, clk: clk, accounts: account.NewService(st, clk.now),
		health: health.NewService(st, health.Options{Now: clk.now, Debounce: time.Minute, BatchSize: 3})}
}

func (e *env) account(t *testing.T, name, tier, industry string) uuid.UUID {
	t.Helper()
	a, err := e.accounts.CreateAccount(e.ctx, account.Account{DisplayName: name, RevenueTier: tier, Industry: industry}, "")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return a.ID
}

func (e *env) signal(t *testing.T, acc uuid.UUID, measure string, value float64, at time.Time, id string) {
	t.Helper()
	_, _, err := e.health.BatchCreateSignals(e.ctx, []*health.Signal{{Account: acc, Measure: measure, ValueMicros: int64(math.Round(value * 1e6)), Time: at, Source: "test", SignalID: id}})
	if err != nil {
		t.Fatalf("BatchCreateSignals: %v", err)
	}
}

// accountsWithLogins creates n accounts, acc0 to acc<n-1>, each with a logins signal
// (10 × its number) an hour before t0.
func (e *env) accountsWithLogins(t *testing.T, n int) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = e.account(t, fmt.Sprint("acc", i), "", "")
		e.signal(t, ids[i], "logins", float64(10*i), t0.Add(-time.Hour), "1")
	}
	return ids
}

// wantOnlyScore fails unless each of ids has exactly one score, computed at at.
func (e *env) wantOnlyScore(t *testing.T, ids []uuid.UUID, at time.Time) {
	t.Helper()
	for _, id := range ids {
		hist, err := e.health.ListHealthScoreHistory(e.ctx, id, 10, "")
		if err != nil || len(hist.Items) != 1 || !hist.Items[0].ComputeTime.Equal(at) {
			t.Fatalf("history of %s = %+v, %v (want exactly one score, at %s)", id, hist, err, at)
		}
	}
}

// card creates testCard as the default and runs the recompute job its creation queued.
func (e *env) card(t *testing.T) *health.Scorecard {
	t.Helper()
	c, err := e.health.CreateScorecard(e.ctx, testCard())
	if err != nil {
		t.Fatalf("CreateScorecard: %v", err)
	}
	if n, err := e.health.RunJobs(e.ctx, "setup"); err != nil || n != 1 {
		t.Fatalf("the job CreateScorecard queued: ran %d, %v", n, err)
	}
	return c
}

func wantKind(t *testing.T, err error, k failure.Kind) *failure.Error {
	t.Helper()
	f, ok := failure.As(err)
	if !ok || f.Kind != k {
		t.Fatalf("error = %v (%T), want failure kind %d", err, err, k)
	}
	return f
}

// testCard is a small scorecard with one measure per aggregation.
func testCard() *health.Scorecard {
	return &health.Scorecard{DisplayName: "Test", IsDefault: true, Definition: health.Definition{
		Bands: health.GradeBands{YellowFrom: 40, GreenFrom: 70},
		Measures: []health.Measure{
			{Key: "logins_sum", Group: "product_usage", Source: "logins", Aggregation: health.AggSum, WindowDays: 30, Linear: &health.Linear{Low: 0, High: 100}, Weight: 1, Missing: health.MissingSkip},
			{Key: "logins_avg", Group: "product_usage", Source: "logins", Aggregation: health.AggAverage, WindowDays: 30, Linear: &health.Linear{Low: 0, High: 50}, Weight: 1, Missing: health.MissingSkip},
			{Key: "logins_last", Group: "product_usage", Source: "logins", Aggregation: health.AggLast, WindowDays: 30, Linear: &health.Linear{Low: 0, High: 40}, Weight: 1, Missing: health.MissingSkip},
			{Key: "logins_count", Group: "product_usage", Source: "logins", Aggregation: health.AggCount, WindowDays: 7, Bands: []health.Band{{Min: 0, Points: 10}, {Min: 1, Points: 50}, {Min: 2, Points: 90}}, Weight: 1, Missing: health.MissingSkip},
			{Key: "recency", Group: "relationship", Source: health.SourceInteractions, Aggregation: health.AggDaysSince, Linear: &health.Linear{Low: 0, High: 100}, Inverted: true, Weight: 1, Missing: health.MissingZero},
			{Key: "levels", Group: "relationship", Source: health.SourceContactLevels, Aggregation: health.AggLast, Linear: &health.Linear{Low: 0, High: 3}, Weight: 1, Missing: health.MissingZero},
			{Key: "trust", Group: "relationship", Source: "trust", Aggregation: health.AggLast, WindowDays: 365, Linear: &health.Linear{Low: 1, High: 5}, Weight: 2, Missing: health.MissingFixed, MissingPoints: 50},
		},
	}}
}

func contribution(t *testing.T, h *health.HealthScore, key string) health.Contribution {
	t.Helper()
	for _, c := range h.Computed.Contributions {
		if c.Measure == key {
			return c
		}
	}
	t.Fatalf("no contribution %q in %+v", key, h.Computed.Contributions)
	return health.Contribution{}
}

func TestScoreAggregationsAndNormalisations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		card := e.card(t)
		acc := e.account(t, "Acme", "KEY", "software")
		// logins: 10 (40 days ago: outside the 30-day window), 20 (10 days ago), 30 (3 days ago), 5.5 (1 day ago).
		e.signal(t, acc, "logins", 10, t0.AddDate(0, 0, -40), "a")
		e.signal(t, acc, "logins", 20, t0.AddDate(0, 0, -10), "b")
		e.signal(t, acc, "logins", 30, t0.AddDate(0, 0, -3), "c")
		e.signal(t, acc, "logins", 5.5, t0.AddDate(0, 0, -1), "d")
		e.signal(t, acc, "logins", 1000, t0.Add(time.Hour), "future") // after the moment scored: not counted
		if _, err := e.accounts.CreateInteraction(e.ctx, acc, account.Interaction{Kind: "CALL", OccurTime: t0.AddDate(0, 0, -25), Summary: "call"}, ""); err != nil {
			t.Fatal(err)
		}
		for i, level := range []string{"EXECUTIVE", "MANAGER", "MANAGER"} {
			if _, err := e.accounts.CreateContact(e.ctx, acc, account.Contact{DisplayName: fmt.Sprint("c", i), SeniorityLevel: level}, ""); err != nil {
				t.Fatal(err)
			}
		}
		h, err := e.health.ComputeHealthScore(e.ctx, acc)
		if err != nil {
			t.Fatalf("ComputeHealthScore: %v", err)
		}
		want := map[string]struct{ raw, norm float64 }{
			"logins_sum":   {55.5, 55.5},
			"logins_avg":   {18.5, 37},
			"logins_last":  {5.5, 13.75},
			"logins_count": {2, 90},        // 3 days and 1 day ago are within 7 days
			"recency":      {25, 75},       // 25 days since the call, inverted over 0..100
			"levels":       {2, 200.0 / 3}, // EXECUTIVE and MANAGER
			"trust":        {-1, 50},       // missing: fixed 50 points
		}
		var total float64
		for k, w := range want {
			c := contribution(t, h, k)
			if k == "trust" {
				if !c.Missing || c.Skipped || c.Raw != nil || c.Normalized != 50 {
					t.Errorf("trust = %+v, want missing with fixed 50 points", c)
				}
			} else if c.Raw == nil || *c.Raw != w.raw || math.Abs(c.Normalized-w.norm) > 1e-9 {
				t.Errorf("%s: raw %v normalized %v, want %v %v", k, c.Raw, c.Normalized, w.raw, w.norm)
			}
			total += w.norm * c.Weight
		}
		wantScore := math.Round(total/8*100) / 100
		if h.Computed.Score != wantScore || h.Score != wantScore {
			t.Errorf("score = %v (effective %v), want %v", h.Computed.Score, h.Score, wantScore)
		}
		if h.Computed.Grade != health.GradeYellow || h.Computed.Scorecard != card.ID || h.Computed.ScorecardVersion != 1 {
			t.Errorf("grade/scorecard = %s %s v%d", h.Computed.Grade, h.Computed.Scorecard, h.Computed.ScorecardVersion)
		}
		var sum float64
		for _, c := range h.Computed.Contributions {
			sum += c.Points
		}
		if math.Abs(sum-h.Computed.Score) > 0.005 {
			t.Errorf("contributions add up to %v, score %v", sum, h.Computed.Score)
		}
	})
}

// TestLastValues pins LAST: the latest event by time, ties to the larger value; a
// latest event before the window is no data even when an older one was inside a
// longer window of another measure; a job's batch reads them as one account does.
func TestLastValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		tie := e.account(t, "Tie", "KEY", "software")
		e.signal(t, tie, "trust", 3, t0.AddDate(0, 0, -5), "t1")
		e.signal(t, tie, "trust", 4, t0.AddDate(0, 0, -5), "t2") // same time: the larger value
		e.signal(t, tie, "trust", 1, t0.AddDate(0, 0, -50), "t0")
		e.signal(t, tie, "trust", 5, t0.Add(time.Minute), "late")     // after the moment scored
		e.signal(t, tie, "logins", 7, t0.AddDate(0, 0, -40), "l1")    // outside logins_last's 30 days
		e.signal(t, tie, "not_scored", 1, t0.AddDate(0, 0, -1), "n1") // a measure no scorecard reads
		old := e.account(t, "Old", "KEY", "software")
		e.signal(t, old, "trust", 5, t0.AddDate(0, 0, -400), "t0") // outside trust's 365 days
		e.signal(t, old, "logins", 9, t0.AddDate(0, 0, -2), "l1")
		check := func(h *health.HealthScore, acc uuid.UUID) {
			t.Helper()
			trust, last := contribution(t, h, "trust"), contribution(t, h, "logins_last")
			switch acc {
			case tie:
				if trust.Raw == nil || *trust.Raw != 4 {
					t.Errorf("tie: trust = %+v, want raw 4 (the larger of two at the latest time)", trust)
				}
				if !last.Skipped || last.Raw != nil {
					t.Errorf("tie: logins_last = %+v, want skipped (latest login 40 days ago)", last)
				}
			case old:
				if trust.Raw != nil || !trust.Missing || trust.Normalized != 50 {
					t.Errorf("old: trust = %+v, want missing (latest 400 days ago)", trust)
				}
				if last.Raw == nil || *last.Raw != 9 {
					t.Errorf("old: logins_last = %+v, want raw 9", last)
				}
			}
		}
		for _, acc := range []uuid.UUID{tie, old} {
			h, err := e.health.ComputeHealthScore(e.ctx, acc)
			if err != nil {
				t.Fatal(err)
			}
			check(h, acc)
		}
		// The same through a job, whose batch reads every account's range at once.
		e.clk.t = e.clk.t.Add(time.Second)
		if _, err := e.health.StartRecompute(e.ctx, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.health.RunJobs(e.ctx, "test"); err != nil {
			t.Fatal(err)
		}
		for _, acc := range []uuid.UUID{tie, old} {
			h, err := e.health.GetHealthScore(e.ctx, acc, nil)
			if err != nil {
				t.Fatal(err)
			}
			check(h, acc)
		}
	})
}

func TestSignalsIdempotentAndScoped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		acc := e.account(t, "Acme", "", "")
		in := func() []*health.Signal {
			return []*health.Signal{
				{Account: acc, Measure: "logins", ValueMicros: 3e6, Time: t0.Add(-time.Hour), Source: "app", SignalID: "1"},
				{Account: acc, Measure: "logins", ValueMicros: 4e6, Time: t0.Add(-time.Minute), Source: "app", SignalID: "2"},
			}
		}
		out, created, err := e.health.BatchCreateSignals(e.ctx, in())
		if err != nil || created != 2 || len(out) != 2 {
			t.Fatalf("first batch: created %d, %d signals, %v", created, len(out), err)
		}
		again := in()
		again[1].ValueMicros = 99e6 // a resend with another value keeps the first
		out2, created, err := e.health.BatchCreateSignals(e.ctx, again)
		if err != nil || created != 0 || out2[1].ID != out[1].ID || out2[1].ValueMicros != 4e6 {
			t.Fatalf("resend: created %d, %+v, %v", created, out2, err)
		}
		p, err := e.health.ListSignals(e.ctx, acc, listing.Request{Filter: `measure = "logins"`})
		if err != nil || len(p.Items) != 2 || p.Items[0].SignalID != "2" {
			t.Fatalf("ListSignals = %+v, %v (want 2, newest first)", p, err)
		}
		// A batch with an unknown account writes nothing.
		_, _, err = e.health.BatchCreateSignals(e.ctx, []*health.Signal{
			{Account: acc, Measure: "logins", ValueMicros: 1, Time: t0, Source: "app", SignalID: "3"},
			{Account: uuid.Must(uuid.NewV7()), Measure: "logins", ValueMicros: 1, Time: t0, Source: "app", SignalID: "4"},
		})
		wantKind(t, err, failure.NotFound)
		if p, _ := e.health.ListSignals(e.ctx, acc, listing.Request{}); len(p.Items) != 2 {
			t.Errorf("after a failed batch: %d signals, want 2", len(p.Items))
		}
		// Partners send signals only for their own accounts.
		pctx := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/p", Role: auth.Partner, Partner: "crm"})
		_, _, err = e.health.BatchCreateSignals(pctx, []*health.Signal{{Account: acc, Measure: "logins", ValueMicros: 1, Time: t0, Source: "crm", SignalID: "x"}})
		wantKind(t, err, failure.NotFound)
		// Sums beyond int64 micro-units saturate instead of failing the rescore.
		var huge []*health.Signal
		for i := range 12 {
			huge = append(huge, &health.Signal{Account: acc, Measure: "logins", ValueMicros: 1e18, Time: t0.Add(-time.Duration(i+1) * time.Minute), Source: "app", SignalID: fmt.Sprint("h", i)})
		}
		if _, _, err := e.health.BatchCreateSignals(e.ctx, huge); err != nil {
			t.Fatal(err)
		}
		e.card(t)
		if _, err := e.health.ComputeHealthScore(e.ctx, acc); err != nil {
			t.Fatalf("score with huge sums: %v", err)
		}
		// The future is refused.
		_, _, err = e.health.BatchCreateSignals(e.ctx, []*health.Signal{{Account: acc, Measure: "logins", ValueMicros: 1, Time: t0.Add(48 * time.Hour), Source: "app", SignalID: "f"}})
		wantKind(t, err, failure.Invalid)
	})
}

func TestDeterministic(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		a, b := e.account(t, "A", "", ""), e.account(t, "B", "", "")
		values := []float64{0.1, 0.2, 0.3, 1e-6, 123456.789012, 7.7, 0.000003}
		var sa, sb []*health.Signal
		for i, v := range values {
			at := t0.Add(-time.Duration(i+1) * time.Hour)
			sa = append(sa, &health.Signal{Account: a, Measure: "logins", ValueMicros: int64(math.Round(v * 1e6)), Time: at, Source: "s", SignalID: fmt.Sprint(i)})
		}
		for i := len(values) - 1; i >= 0; i-- { // the same signals, stored in the other order
			at := t0.Add(-time.Duration(i+1) * time.Hour)
			sb = append(sb, &health.Signal{Account: b, Measure: "logins", ValueMicros: int64(math.Round(values[i] * 1e6)), Time: at, Source: "s", SignalID: fmt.Sprint(i)})
		}
		for _, batch := range [][]*health.Signal{sa, sb} {
			if _, _, err := e.health.BatchCreateSignals(e.ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		ha, err := e.health.ComputeHealthScore(e.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := e.health.ComputeHealthScore(e.ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(ha.Computed.Score) != math.Float64bits(hb.Computed.Score) {
			t.Fatalf("same signals, different scores: %v vs %v", ha.Computed.Score, hb.Computed.Score)
		}
		for i := range ha.Computed.Contributions {
			x, y := ha.Computed.Contributions[i], hb.Computed.Contributions[i]
			if math.Float64bits(x.Points) != math.Float64bits(y.Points) || math.Float64bits(x.Normalized) != math.Float64bits(y.Normalized) {
				t.Errorf("%s: %+v vs %+v", x.Measure, x, y)
			}
		}
		// Recomputing at the same moment writes nothing new: the same result.
		again, err := e.health.ComputeHealthScore(e.ctx, a)
		if err != nil || again.Computed.ID != ha.Computed.ID {
			t.Errorf("recompute at the same moment made a new score: %v %v", again.Computed.ID, err)
		}
	})
}

func TestVersioningHistoryAsOfAndTrend(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		card := e.card(t)
		acc := e.account(t, "Acme", "", "")
		e.signal(t, acc, "logins", 10, t0.Add(-time.Hour), "1")
		first, err := e.health.ComputeHealthScore(e.ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		if first.Change != nil || first.Trend != "" {
			t.Errorf("first score has a change: %+v", first)
		}
		// Edit the scorecard: a new version; the old score keeps version 1.
		next := testCard()
		next.Definition.Measures[0].Linear.High = 20
		upd, err := e.health.UpdateScorecard(e.ctx, card.ID, health.ScorecardPatch{Card: next, Mask: []string{"measures"}, Etag: card.Revision})
		if err != nil || upd.Version != 2 {
			t.Fatalf("UpdateScorecard: version %v, %v", upd, err)
		}
		if _, err := e.health.UpdateScorecard(e.ctx, card.ID, health.ScorecardPatch{Card: next, Mask: []string{"display_name"}, Etag: card.Revision}); err == nil {
			t.Fatal("stale etag accepted")
		} else {
			wantKind(t, err, failure.Aborted)
		}
		jobs, _ := e.health.ListJobs(e.ctx, 10, "")
		if len(jobs.Items) != 2 || jobs.Items[0].State != health.JobRunning || jobs.Items[0].Total != 1 {
			t.Fatalf("a new version queues a recompute: jobs = %v", jobs.Items)
		}
		renamed, err := e.health.UpdateScorecard(e.ctx, card.ID, health.ScorecardPatch{Card: &health.Scorecard{DisplayName: "Renamed"}, Mask: []string{"display_name"}})
		if err != nil || renamed.Version != 2 || renamed.DisplayName != "Renamed" {
			t.Fatalf("rename made a version or failed: %+v %v", renamed, err)
		}
		if jobs, _ = e.health.ListJobs(e.ctx, 10, ""); len(jobs.Items) != 2 {
			t.Errorf("a rename queued a recompute: %d jobs", len(jobs.Items))
		}
		v1, err := e.health.GetScorecard(e.ctx, card.ID, 1)
		if err != nil || v1.Definition.Measures[0].Linear.High != 100 {
			t.Fatalf("version 1 = %+v, %v", v1, err)
		}
		e.clk.t = t0.AddDate(0, 0, 31)
		second, err := e.health.ComputeHealthScore(e.ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		if second.Computed.ScorecardVersion != 2 || second.Computed.ID == first.Computed.ID {
			t.Fatalf("second score = %+v", second.Computed)
		}
		if second.Change == nil || *second.Change != math.Round((second.Computed.Score-first.Computed.Score)*100)/100 {
			t.Errorf("change = %v, scores %v → %v", second.Change, first.Computed.Score, second.Computed.Score)
		}
		if second.Change30d == nil || *second.Change30d != *second.Change {
			t.Errorf("change_30d = %v, want %v (the score 30 days before was the first)", second.Change30d, second.Change)
		}
		// as_of: the first score, between the two.
		at := t0.AddDate(0, 0, 10)
		old, err := e.health.GetHealthScore(e.ctx, acc, &at)
		if err != nil || old.Computed.ID != first.Computed.ID || old.Computed.ScorecardVersion != 1 {
			t.Fatalf("as_of = %+v, %v", old, err)
		}
		before := t0.Add(-time.Hour)
		_, err = e.health.GetHealthScore(e.ctx, acc, &before)
		wantKind(t, err, failure.NotFound)
		hist, err := e.health.ListHealthScoreHistory(e.ctx, acc, 1, "")
		if err != nil || len(hist.Items) != 1 || hist.Items[0].ID != second.Computed.ID || hist.NextPageToken == "" {
			t.Fatalf("history page 1 = %+v, %v", hist, err)
		}
		hist, err = e.health.ListHealthScoreHistory(e.ctx, acc, 1, hist.NextPageToken)
		if err != nil || len(hist.Items) != 1 || hist.Items[0].ID != first.Computed.ID {
			t.Fatalf("history page 2 = %+v, %v", hist, err)
		}
		// The default cannot be unset directly.
		_, err = e.health.UpdateScorecard(e.ctx, card.ID, health.ScorecardPatch{Card: &health.Scorecard{}, Mask: []string{"is_default"}})
		wantKind(t, err, failure.FailedPrecondition)
	})
}

// TestChange30d follows change_30d through its three sources: no score 30 days back
// (the account's first score is newer), the current score (computed before then), and
// the history (the score changed since).
func TestChange30d(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		acc := e.account(t, "Acme", "", "")
		scoreAt := func(day int, logins float64) *health.HealthScore {
			t.Helper()
			e.clk.t = t0.AddDate(0, 0, day)
			e.signal(t, acc, "logins", logins, e.clk.t.Add(-time.Minute), fmt.Sprint("day", day))
			h, err := e.health.ComputeHealthScore(e.ctx, acc)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		first := scoreAt(0, 10)
		second := scoreAt(10, 30) // the first score is 10 days old: nothing 30 days back
		if second.Change == nil || second.Change30d != nil {
			t.Fatalf("day 10: change %v, change_30d %v; want a change and no change_30d", second.Change, second.Change30d)
		}
		third := scoreAt(20, 40)
		if third.Change == nil || third.Change30d != nil {
			t.Fatalf("day 20: change %v, change_30d %v; want a change and no change_30d", third.Change, third.Change30d)
		}
		// Day 45: 30 days back is day 15, when the day-10 score was in effect.
		fourth := scoreAt(45, 5)
		want := math.Round((fourth.Computed.Score-second.Computed.Score)*100) / 100
		if fourth.Change30d == nil || *fourth.Change30d != want {
			t.Fatalf("day 45: change_30d %v, want %v (against day 10's %v)", fourth.Change30d, want, second.Computed.Score)
		}
		// Day 80: 30 days back is day 50; the day-45 score is current and older than that.
		e.clk.t = t0.AddDate(0, 0, 80)
		fifth, err := e.health.ComputeHealthScore(e.ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		want = math.Round((fifth.Computed.Score-fourth.Computed.Score)*100) / 100
		if fifth.Change30d == nil || *fifth.Change30d != want {
			t.Fatalf("day 80: change_30d %v, want %v", fifth.Change30d, want)
		}
		if first.Computed.Score == second.Computed.Score || second.Computed.Score == fourth.Computed.Score {
			t.Fatalf("scores did not move: %v %v %v", first.Computed.Score, second.Computed.Score, fourth.Computed.Score)
		}
	})
}

func TestOverride(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		acc := e.account(t, "Acme", "", "")
		_, err := e.health.OverrideHealthScore(e.ctx, acc, &health.Override{Grade: health.GradeRed, Reason: "x"})
		wantKind(t, err, failure.FailedPrecondition) // nothing computed yet
		e.signal(t, acc, "logins", 90, t0.Add(-time.Hour), "1")
		computed, err := e.health.ComputeHealthScore(e.ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		score := 12.5
		expire := t0.Add(24 * time.Hour)
		h, err := e.health.OverrideHealthScore(e.ctx, acc, &health.Override{Score: &score, Reason: "churn call with CFO", ExpireTime: &expire})
		if err != nil {
			t.Fatal(err)
		}
		if h.Score != 12.5 || h.Grade != health.GradeRed || h.Computed.Score != computed.Computed.Score || h.Override == nil || h.Override.Actor != "apiKeys/test" {
			t.Fatalf("overridden = %+v", h)
		}
		p, err := e.health.ListHealthScores(e.ctx, listing.Request{Filter: "grade = RED AND overridden = true"})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("list overridden RED = %+v, %v", p, err)
		}
		// Recompute keeps the override.
		e.clk.t = t0.Add(time.Hour)
		e.signal(t, acc, "logins", 1, t0.Add(30*time.Minute), "2")
		if h, err = e.health.ComputeHealthScore(e.ctx, acc); err != nil || h.Score != 12.5 || h.Override == nil {
			t.Fatalf("after recompute = %+v, %v", h, err)
		}
		// It expires: lists show the computed score at once, and the sweep restores it
		// in the stored row.
		e.clk.t = t0.Add(25 * time.Hour)
		p, err = e.health.ListHealthScores(e.ctx, listing.Request{})
		if err != nil || len(p.Items) != 1 || p.Items[0].Override != nil || p.Items[0].Score != p.Items[0].Computed.Score {
			t.Fatalf("listed after expiry, before the sweep = %+v, %v", p.Items, err)
		}
		if _, err := e.health.ProcessDirty(e.ctx); err != nil {
			t.Fatal(err)
		}
		h, err = e.health.GetHealthScore(e.ctx, acc, nil)
		if err != nil || h.Override != nil || h.Score != h.Computed.Score {
			t.Fatalf("after expiry = %+v, %v", h, err)
		}
		// as_of inside the override's life shows it.
		at := t0.Add(2 * time.Hour)
		h, err = e.health.GetHealthScore(e.ctx, acc, &at)
		if err != nil || h.Override == nil || h.Score != 12.5 || h.Override.EndReason != "expired" || h.Override.EndedBy != "system" {
			t.Fatalf("as_of during the override = %+v (%+v), %v", h, h.Override, err)
		}
		_, err = e.health.ClearHealthScoreOverride(e.ctx, acc, "")
		wantKind(t, err, failure.FailedPrecondition)
		// The audit trail has the override and its expiry.
		log, err := activity.NewService(store.New(db)).List(e.ctx, listing.Request{Filter: fmt.Sprintf("resource = %q", health.ScoreName(acc))})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range log.Items {
			actions = append(actions, a.Action+"/"+a.Actor)
		}
		if !slices.Contains(actions, "override/apiKeys/test") || !slices.Contains(actions, "expire_override/system") {
			t.Errorf("activity for the score = %v", actions)
		}

		// A job that scores a moment before an override was set keeps the override.
		e.signal(t, acc, "logins", 40, e.clk.t.Add(-time.Minute), "3")
		job, err := e.health.StartRecompute(e.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.t = e.clk.t.Add(time.Minute)
		if _, err := e.health.OverrideHealthScore(e.ctx, acc, &health.Override{Grade: health.GradeGreen, Reason: "renewal signed"}); err != nil {
			t.Fatal(err)
		}
		e.clk.t = e.clk.t.Add(time.Minute)
		if _, err := e.health.RunJobs(e.ctx, "w"); err != nil {
			t.Fatal(err)
		}
		h, err = e.health.GetHealthScore(e.ctx, acc, nil)
		if err != nil || h.Override == nil || h.Grade != health.GradeGreen || !h.Computed.ComputeTime.Equal(job.ComputeTime) {
			t.Fatalf("after a job that began before the override = %+v, %v", h, err)
		}
	})
}

func TestRecomputeJobResumes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		ids := e.accountsWithLogins(t, 8)
		e.account(t, "no signals", "", "") // scored too: the card's missing-data rules give points
		e.clk.t = t0.Add(time.Minute)
		job, err := e.health.StartRecompute(e.ctx, "")
		if err != nil || job.Total != 9 || job.State != health.JobRunning {
			t.Fatalf("StartRecompute = %+v, %v", job, err)
		}
		// A worker that dies after the first batch (batch size 3).
		crashCtx, crash := context.WithCancel(e.ctx)
		calls := 0
		st := store.New(db)
		dying := health.NewService(&crashAfter{Store: st, crash: crash, commits: &calls, after: 2}, health.Options{Now: e.clk.now, BatchSize: 3, Parallel: 1})
		if _, err := dying.RunJobs(crashCtx, "worker-1"); !errors.Is(err, context.Canceled) {
			t.Fatalf("dying worker: %v", err)
		}
		mid, _ := e.health.GetJob(e.ctx, job.ID)
		if mid.Processed != 3 || mid.State != health.JobRunning {
			t.Fatalf("after the crash: %+v", mid)
		}
		// Another worker waits for the lease to lapse, then resumes from the cursor.
		if n, err := e.health.RunJobs(e.ctx, "worker-2"); err != nil || n != 0 {
			t.Fatalf("leased job taken early: %d %v", n, err)
		}
		e.clk.t = t0.Add(2 * time.Minute)
		if n, err := e.health.RunJobs(e.ctx, "worker-2"); err != nil || n != 1 {
			t.Fatalf("resume: %d %v", n, err)
		}
		done, _ := e.health.GetJob(e.ctx, job.ID)
		if done.State != health.JobSucceeded || done.Processed != 9 || done.Changed != 9 || done.NoData != 0 {
			t.Fatalf("done = %s changed %d no data %d", done, done.Changed, done.NoData)
		}
		e.wantOnlyScore(t, ids, job.ComputeTime)
		// A cancelled job stops.
		j2, _ := e.health.StartRecompute(e.ctx, `display_name = "acc1"`)
		if j2.Total != 1 {
			t.Errorf("filtered total = %d", j2.Total)
		}
		c, err := e.health.CancelJob(e.ctx, j2.ID)
		if err != nil || c.State != health.JobCancelled {
			t.Fatalf("cancel = %+v, %v", c, err)
		}
		_, err = e.health.CancelJob(e.ctx, j2.ID)
		wantKind(t, err, failure.FailedPrecondition)
		_, err = e.health.StartRecompute(e.ctx, "nope = 1")
		wantKind(t, err, failure.Invalid)
	})
}

// TestRecomputeResumesTwoWorkers: a job run by two workers at once, reading ahead,
// dies after some batches committed (in whatever order they finished); the job
// resumes from its cursor and ends with every account scored exactly once.
func TestRecomputeResumesTwoWorkers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		ids := e.accountsWithLogins(t, 11)
		e.clk.t = t0.Add(time.Minute)
		job, err := e.health.StartRecompute(e.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		crashCtx, crash := context.WithCancel(e.ctx)
		calls := 0
		dying := health.NewService(&crashAfter{Store: store.New(db), crash: crash, commits: &calls, after: 3},
			health.Options{Now: e.clk.now, BatchSize: 2, Parallel: 2})
		if _, err := dying.RunJobs(crashCtx, "worker-1"); !errors.Is(err, context.Canceled) {
			t.Fatalf("dying worker: %v", err)
		}
		if mid, _ := e.health.GetJob(e.ctx, job.ID); mid.State != health.JobRunning || mid.Processed >= 11 {
			t.Fatalf("after the crash: %s", mid)
		}
		e.clk.t = t0.Add(2 * time.Minute) // the lease lapses
		resumed := health.NewService(store.New(db), health.Options{Now: e.clk.now, BatchSize: 2, Parallel: 2})
		if n, err := resumed.RunJobs(e.ctx, "worker-2"); err != nil || n != 1 {
			t.Fatalf("resume: %d %v", n, err)
		}
		done, _ := e.health.GetJob(e.ctx, job.ID)
		if done.State != health.JobSucceeded || done.Processed != 11 || done.Changed != 11 {
			t.Fatalf("done = %s, changed %d", done, done.Changed)
		}
		e.wantOnlyScore(t, ids, job.ComputeTime)
	})
}

// TestRecomputeSharesLastRound: what is left for the last round of a job is shared
// evenly by its workers' batches, rather than a last full batch running alone.
func TestRecomputeSharesLastRound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		ids := e.accountsWithLogins(t, 10)
		e.clk.t = t0.Add(time.Minute)
		job, err := e.health.StartRecompute(e.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		rec := &batchRecorder{Store: store.New(db)}
		svc := health.NewService(rec, health.Options{Now: e.clk.now, BatchSize: 4, Parallel: 2})
		if n, err := svc.RunJobs(e.ctx, "w"); err != nil || n != 1 {
			t.Fatalf("RunJobs = %d, %v", n, err)
		}
		// A batch of 4 while two batches' worth or more is left; then the 6 left, in two
		// (not 4 and 2). The batches run at once: their order is not known.
		slices.Sort(rec.sizes)
		if !slices.Equal(rec.sizes, []int{3, 3, 4}) {
			t.Errorf("batch sizes = %v, want 3, 3 and 4", rec.sizes)
		}
		done, _ := e.health.GetJob(e.ctx, job.ID)
		if done.State != health.JobSucceeded || done.Processed != 10 || done.Changed != 10 {
			t.Fatalf("job = %s", done)
		}
		e.wantOnlyScore(t, ids, job.ComputeTime)
		// A remainder under a quarter batch a worker stays whole: 10 accounts in batches
		// of 50 are one batch, not two of 5.
		e.clk.t = t0.Add(2 * time.Minute)
		if _, err := e.health.StartRecompute(e.ctx, ""); err != nil {
			t.Fatal(err)
		}
		rec.sizes = nil
		whole := health.NewService(rec, health.Options{Now: e.clk.now, BatchSize: 50, Parallel: 2})
		if n, err := whole.RunJobs(e.ctx, "w"); err != nil || n != 1 {
			t.Fatalf("RunJobs = %d, %v", n, err)
		}
		if !slices.Equal(rec.sizes, []int{10}) {
			t.Errorf("batch sizes = %v, want one batch of 10", rec.sizes)
		}
	})
}

// TestRecomputeManyInOneBatch: a batch of 70 accounts (the store and the engine file
// them in blocks of 32) gives every account its own aggregates: each one's raw values
// are its own signals'.
func TestRecomputeManyInOneBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		type want struct{ sum, count, last, trust float64 }
		wants := map[uuid.UUID]want{}
		for i := range 70 {
			id := e.account(t, fmt.Sprint("acc", i), "", "")
			var w want
			for k := range i%4 + 1 { // the latest is the last sent: hours apart
				v := float64(i + k + 1)
				e.signal(t, id, "logins", v, t0.Add(-time.Duration(10-k)*time.Hour), fmt.Sprint("l", k))
				w.sum, w.count, w.last = w.sum+v, w.count+1, v
			}
			if i%2 == 0 {
				w.trust = float64(i%5 + 1)
				e.signal(t, id, "trust", w.trust, t0.Add(-48*time.Hour), "t")
			}
			wants[id] = w
		}
		e.clk.t = t0.Add(time.Minute)
		if _, err := e.health.StartRecompute(e.ctx, ""); err != nil {
			t.Fatal(err)
		}
		one := health.NewService(store.New(db), health.Options{Now: e.clk.now, BatchSize: 100, Parallel: 1})
		if n, err := one.RunJobs(e.ctx, "w"); err != nil || n != 1 {
			t.Fatalf("RunJobs = %d, %v", n, err)
		}
		for id, w := range wants {
			h, err := e.health.GetHealthScore(e.ctx, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			raw := func(key string) float64 {
				c := contribution(t, h, key)
				if c.Raw == nil {
					return 0
				}
				return *c.Raw
			}
			if got := (want{raw("logins_sum"), raw("logins_count"), raw("logins_last"), raw("trust")}); got != w {
				t.Errorf("account %s: sum, count (7 days), last, trust = %v, want %v", id, got, w)
			}
		}
	})
}

// batchRecorder records the size of every batch scored through it, in the order the
// batches read their aggregates.
type batchRecorder struct {
	health.Store
	mu    sync.Mutex
	sizes []int
}

func (r *batchRecorder) WithHealthTx(ctx context.Context, fn func(tx health.Tx) error) error {
	return r.Store.WithHealthTx(ctx, func(tx health.Tx) error { return fn(&recordingTx{Tx: tx, r: r}) })
}

type recordingTx struct {
	health.Tx
	r *batchRecorder
}

func (t *recordingTx) Aggregate(ctx context.Context, b health.Batch, asOf time.Time, qs []health.EventQuery) (map[uuid.UUID][]health.EventAgg, error) {
	t.r.mu.Lock()
	t.r.sizes = append(t.r.sizes, len(b.IDs))
	t.r.mu.Unlock()
	return t.Tx.Aggregate(ctx, b, asOf, qs)
}

// TestFilteredRecompute runs a job over a filtered set: only live matching accounts
// get a score at its moment (batches of them are not a dense id range).
func TestFilteredRecompute(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		var keys []uuid.UUID
		for i := range 4 {
			keys = append(keys, e.account(t, fmt.Sprint("key", i), "KEY", ""))
		}
		small := e.account(t, "small", "SMALL", "")
		gone := e.account(t, "gone", "KEY", "")
		if _, err := e.accounts.DeleteAccount(e.ctx, gone, ""); err != nil {
			t.Fatal(err)
		}
		e.clk.t = t0.Add(time.Minute)
		for i, id := range append([]uuid.UUID{small}, keys...) {
			e.signal(t, id, "logins", float64(5*(i+1)), e.clk.t.Add(-time.Second), "1")
		}
		e.clk.t = t0.Add(2 * time.Minute)
		job, err := e.health.StartRecompute(e.ctx, "revenue_tier = KEY")
		if err != nil || job.Total != 4 {
			t.Fatalf("StartRecompute = %+v, %v", job, err)
		}
		if n, err := e.health.RunJobs(e.ctx, "test"); err != nil || n != 1 {
			t.Fatalf("RunJobs: %d, %v", n, err)
		}
		done, _ := e.health.GetJob(e.ctx, job.ID)
		if done.State != health.JobSucceeded || done.Processed != 4 || done.Changed != 4 {
			t.Fatalf("done = %s, changed %d", done, done.Changed)
		}
		for _, id := range keys {
			h, err := e.health.GetHealthScore(e.ctx, id, nil)
			if err != nil || !h.Computed.ComputeTime.Equal(job.ComputeTime) || contribution(t, h, "logins_sum").Raw == nil {
				t.Fatalf("KEY account %s: %+v, %v (want scored by the job, logins counted)", id, h, err)
			}
		}
		// The other two were created after the scorecard's own job: never scored.
		for _, id := range []uuid.UUID{small, gone} {
			_, err := e.health.GetHealthScore(e.ctx, id, nil)
			wantKind(t, err, failure.NotFound)
		}
	})
}

// crashAfter is a store whose transactions start failing (and cancel the worker) after
// a number of commits: a worker dying half way.
type crashAfter struct {
	*store.Store
	crash   context.CancelFunc
	mu      sync.Mutex
	commits *int
	after   int
}

func (c *crashAfter) WithHealthTx(ctx context.Context, fn func(tx health.Tx) error) error {
	c.mu.Lock()
	if *c.commits >= c.after {
		c.mu.Unlock()
		c.crash()
		return context.Canceled
	}
	*c.commits++
	c.mu.Unlock()
	return c.Store.WithHealthTx(ctx, fn)
}

func TestDirtyAccountsRescoredAfterDebounce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		acc := e.account(t, "Acme", "", "")
		e.signal(t, acc, "logins", 10, t0.Add(-time.Hour), "1")
		e.signal(t, acc, "logins", 20, t0.Add(-time.Minute), "2")
		if n, err := e.health.ProcessDirty(e.ctx); err != nil || n != 0 {
			t.Fatalf("before the debounce: %d %v", n, err)
		}
		e.clk.t = t0.Add(2 * time.Minute)
		if n, err := e.health.ProcessDirty(e.ctx); err != nil || n != 1 {
			t.Fatalf("after the debounce: %d %v (want one rescore for two signals)", n, err)
		}
		h, err := e.health.GetHealthScore(e.ctx, acc, nil)
		if err != nil || *contribution(t, h, "logins_sum").Raw != 30 {
			t.Fatalf("rescored = %+v, %v", h, err)
		}
		// An interaction (an archive change) marks the account through the activity log.
		if _, err := e.accounts.CreateInteraction(e.ctx, acc, account.Interaction{Kind: "CALL", OccurTime: e.clk.t, Summary: "hi"}, ""); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.health.ProcessDirty(e.ctx); n != 0 {
			t.Fatalf("rescored before the debounce")
		}
		e.clk.t = e.clk.t.Add(2 * time.Minute)
		if n, err := e.health.ProcessDirty(e.ctx); err != nil || n != 1 {
			t.Fatalf("interaction rescore: %d %v", n, err)
		}
		h, _ = e.health.GetHealthScore(e.ctx, acc, nil)
		if c := contribution(t, h, "recency"); c.Raw == nil || *c.Raw != 0 {
			t.Errorf("recency after the interaction = %+v", c)
		}
	})
}

func TestListHealthScores(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		tiers := []string{"KEY", "GENERAL", "KEY", "SMALL", "KEY"}
		var last uuid.UUID
		for i, tier := range tiers {
			acc := e.account(t, fmt.Sprint("acc", i), tier, "software")
			last = acc
			e.signal(t, acc, "logins", float64(30*i), t0.Add(-time.Hour), "1")
			if _, err := e.health.ComputeHealthScore(e.ctx, acc); err != nil {
				t.Fatal(err)
			}
		}
		// A deleted account's score is not listed.
		if _, err := e.accounts.DeleteAccount(e.ctx, last, ""); err != nil {
			t.Fatal(err)
		}
		var scores []float64
		token := ""
		for {
			p, err := e.health.ListHealthScores(e.ctx, listing.Request{PageSize: 3, PageToken: token, OrderBy: "score desc"})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range p.Items {
				scores = append(scores, h.Score)
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if len(scores) != 4 || scores[0] < scores[1] || scores[1] < scores[2] || scores[2] < scores[3] {
			t.Fatalf("scores desc = %v", scores)
		}
		p, err := e.health.ListHealthScores(e.ctx, listing.Request{Filter: `account.revenue_tier = KEY AND score > 30.5`})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("KEY and score > 30.5 = %+v, %v", p, err)
		}
		_, err = e.health.ListHealthScores(e.ctx, listing.Request{Filter: `score > "abc"`})
		wantKind(t, err, failure.Invalid)
	})
}

// TestTwoWorkers runs two workers (as two replicas would) over the same database: the
// job is leased by one of them and the debounced rescores are claimed once each, so
// every account gets exactly one history row.
func TestTwoWorkers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		var ids []uuid.UUID
		for i := range 12 {
			id := e.account(t, fmt.Sprint("acc", i), "", "")
			ids = append(ids, id)
			e.signal(t, id, "logins", float64(i), t0.Add(-time.Hour), "1")
		}
		other := health.NewService(store.New(db), health.Options{Now: e.clk.now, Debounce: time.Minute, BatchSize: 3})
		run := func(f func(*health.Service) error) {
			errs := make(chan error, 2)
			for _, s := range []*health.Service{e.health, other} {
				go func() { errs <- f(s) }()
			}
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
		}
		// The signals' debounce has passed: both sweep at once.
		e.clk.t = t0.Add(2 * time.Minute)
		run(func(s *health.Service) error { _, err := s.ProcessDirty(e.ctx); return err })
		e.clk.t = t0.Add(3 * time.Minute)
		job, err := e.health.StartRecompute(e.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.t = t0.Add(4 * time.Minute)
		run(func(s *health.Service) error { _, err := s.RunJobs(e.ctx, fmt.Sprintf("%p", s)); return err })
		done, _ := e.health.GetJob(e.ctx, job.ID)
		if done.State != health.JobSucceeded || done.Processed != 12 {
			t.Fatalf("job = %s", done)
		}
		for _, id := range ids {
			hist, err := e.health.ListHealthScoreHistory(e.ctx, id, 10, "")
			if err != nil || len(hist.Items) != 1 {
				t.Fatalf("history of %s: %d rows, %v (want exactly one: the job found it unchanged)", id, len(hist.Items), err)
			}
		}
	})
}

func TestScheduleRecompute(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		e.account(t, "Acme", "", "")
		daily := health.NewService(store.New(db), health.Options{Now: e.clk.now, RecomputeEvery: 24 * time.Hour})
		other := health.NewService(store.New(db), health.Options{Now: e.clk.now, RecomputeEvery: 24 * time.Hour})
		// A new installation: the period starts now (creating the default scorecard
		// queued a recompute already).
		if queued, err := daily.ScheduleRecompute(e.ctx); err != nil || queued {
			t.Fatalf("first schedule: %v %v", queued, err)
		}
		e.clk.t = t0.Add(23 * time.Hour)
		if queued, _ := other.ScheduleRecompute(e.ctx); queued {
			t.Fatal("queued before the period passed")
		}
		e.clk.t = t0.Add(25 * time.Hour)
		if queued, err := other.ScheduleRecompute(e.ctx); err != nil || !queued {
			t.Fatalf("after a day: %v %v", queued, err)
		}
		if queued, _ := daily.ScheduleRecompute(e.ctx); queued {
			t.Fatal("a second replica queued another recompute")
		}
		if _, err := other.RunJobs(e.ctx, "w"); err != nil {
			t.Fatal(err)
		}
		h, err := e.health.ListHealthScores(e.ctx, listing.Request{})
		if err != nil || len(h.Items) != 1 || !h.Items[0].Computed.ComputeTime.Equal(e.clk.t) {
			t.Fatalf("scores = %+v, %v", h, err)
		}
		// Off when RecomputeEvery is 0.
		e.clk.t = t0.Add(100 * time.Hour)
		if queued, _ := e.health.ScheduleRecompute(e.ctx); queued {
			t.Error("scheduled with RecomputeEvery 0")
		}
	})
}

// TestSegmentsAndDerivedMeasures checks scorecard choice by segment on the database and
// the derived measures from deals and contacts.
func TestSegmentsAndDerivedMeasures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		keyCard := &health.Scorecard{DisplayName: "Key accounts", Tiers: []string{"KEY"}, Definition: health.Definition{
			Bands: health.GradeBands{YellowFrom: 40, GreenFrom: 70},
			Measures: []health.Measure{
				{Key: "won", Group: "relationship", Source: health.SourceWonDeals, Aggregation: health.AggCount, WindowDays: 365, Linear: &health.Linear{Low: 0, High: 4}, Weight: 1, Missing: health.MissingZero},
				{Key: "repurchases", Group: "relationship", Source: health.SourceRepurchases, Aggregation: health.AggCount, WindowDays: 365, Linear: &health.Linear{Low: 0, High: 2}, Weight: 1, Missing: health.MissingZero},
				{Key: "contacts", Group: "relationship", Source: health.SourceContacts, Aggregation: health.AggLast, Linear: &health.Linear{Low: 0, High: 4}, Weight: 1, Missing: health.MissingZero},
				{Key: "executives", Group: "relationship", Source: health.SourceExecutiveContacts, Aggregation: health.AggLast, Linear: &health.Linear{Low: 0, High: 1}, Weight: 1, Missing: health.MissingZero},
			},
		}}
		kc, err := e.health.CreateScorecard(e.ctx, keyCard)
		if err != nil {
			t.Fatal(err)
		}
		key, small := e.account(t, "Key Co", "KEY", "retail"), e.account(t, "Small Co", "SMALL", "retail")
		day := func(d int) time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -d) }
		for i, d := range []int{400, 100, 30} { // the first is the first purchase, outside the window
			if _, err := e.accounts.CreateDeal(e.ctx, key, account.Deal{Amount: account.Money{CurrencyCode: "CNY", MinorUnits: 100}, CloseDate: day(d), Product: fmt.Sprint("p", i)}, ""); err != nil {
				t.Fatal(err)
			}
		}
		for i, level := range []string{"EXECUTIVE", "EXECUTIVE", "OPERATOR"} {
			if _, err := e.accounts.CreateContact(e.ctx, key, account.Contact{DisplayName: fmt.Sprint("c", i), SeniorityLevel: level}, ""); err != nil {
				t.Fatal(err)
			}
		}
		h, err := e.health.ComputeHealthScore(e.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if h.Computed.Scorecard != kc.ID {
			t.Fatalf("KEY account scored by %s, want the segment scorecard", h.Computed.Scorecard)
		}
		for k, want := range map[string]float64{"won": 2, "repurchases": 2, "contacts": 3, "executives": 2} {
			if c := contribution(t, h, k); c.Raw == nil || *c.Raw != want {
				t.Errorf("%s = %v, want %v", k, c.Raw, want)
			}
		}
		e.signal(t, small, "logins", 3, t0.Add(-time.Hour), "1")
		hs, err := e.health.ComputeHealthScore(e.ctx, small)
		if err != nil || hs.Computed.Scorecard == kc.ID {
			t.Fatalf("SMALL account = %+v, %v (want the default scorecard)", hs, err)
		}
		p, err := e.health.ListHealthScores(e.ctx, listing.Request{Filter: "scorecard = \"" + health.ScorecardName(kc.ID) + "\""})
		if err != nil || len(p.Items) != 1 || p.Items[0].Account != key {
			t.Fatalf("list by scorecard = %+v, %v", p, err)
		}
		// Signals by time range.
		e.signal(t, small, "logins", 4, t0.AddDate(0, 0, -10), "2")
		sp, err := e.health.ListSignals(e.ctx, small, listing.Request{Filter: fmt.Sprintf("time >= %q AND time < %q",
			t0.AddDate(0, 0, -11).Format(time.RFC3339), t0.AddDate(0, 0, -9).Format(time.RFC3339))})
		if err != nil || len(sp.Items) != 1 || sp.Items[0].SignalID != "2" {
			t.Fatalf("signals in a time range = %+v, %v", sp, err)
		}
	})
}

// failingTx fails every scoring transaction after the first (the claim) with a plain
// error, as a bug or bad data would.
type failingTx struct {
	*store.Store
	mu    sync.Mutex
	calls int
}

func (f *failingTx) WithHealthTx(ctx context.Context, fn func(tx health.Tx) error) error {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if n == 2 {
		return errors.New("boom")
	}
	return f.Store.WithHealthTx(ctx, fn)
}

// TestFailingJobEnds checks a job whose batch fails for a lasting reason ends FAILED
// instead of holding up the jobs behind it, and that a job cancelled while no worker
// held it ends when next claimed.
func TestFailingJobEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.card(t)
		e.account(t, "Acme", "", "")
		job, err := e.health.StartRecompute(e.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		bad := health.NewService(&failingTx{Store: store.New(db)}, health.Options{Now: e.clk.now, Parallel: 1})
		if _, err := bad.RunJobs(e.ctx, "w"); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("RunJobs = %v, want the batch's error", err)
		}
		got, _ := e.health.GetJob(e.ctx, job.ID)
		if got.State != health.JobFailed || got.Error == "" || strings.Contains(got.Error, "boom") {
			t.Fatalf("failed job = %s %q", got, got.Error)
		}
		// Cancelled while leased by a worker that then went away: ends at the next claim.
		j2, _ := e.health.StartRecompute(e.ctx, "")
		crashCtx, crash := context.WithCancel(e.ctx)
		calls := 0
		dying := health.NewService(&crashAfter{Store: store.New(db), crash: crash, commits: &calls, after: 1}, health.Options{Now: e.clk.now, Parallel: 1})
		_, _ = dying.RunJobs(crashCtx, "gone")
		if c, err := e.health.CancelJob(e.ctx, j2.ID); err != nil || c.State != health.JobRunning || !c.CancelRequested {
			t.Fatalf("cancel while leased = %+v, %v", c, err)
		}
		e.clk.t = e.clk.t.Add(time.Minute)
		if _, err := e.health.RunJobs(e.ctx, "w2"); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.health.GetJob(e.ctx, j2.ID); got.State != health.JobCancelled {
			t.Fatalf("after the lease lapsed = %s", got)
		}
	})
}

// TestGradeChangeHook: OnGradeChange hears of accounts whose grade in effect changed, from
// a recompute job and an override, and not of rescores that change no grade.
func TestGradeChangeHook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		var mu sync.Mutex
		heard := map[uuid.UUID]int{}
		e.health = health.NewService(store.New(db), health.Options{Now: e.clk.now, Debounce: time.Minute, BatchSize: 3,
			OnGradeChange: func(_ context.Context, ids []uuid.UUID) {
				mu.Lock()
				defer mu.Unlock()
				for _, id := range ids {
					heard[id]++
				}
			}})
		var ids []uuid.UUID
		for i := range 4 {
			id := e.account(t, fmt.Sprint("acc", i), "", "")
			ids = append(ids, id)
			e.signal(t, id, "logins", float64(10*i), t0.Add(-time.Hour), "1")
		}
		e.card(t) // its job grades every account for the first time
		for _, id := range ids {
			if heard[id] != 1 {
				t.Fatalf("after the first job heard %v, want each account once", heard)
			}
		}
		// Nothing changed: another job regrades nobody.
		e.clk.t = e.clk.t.Add(time.Minute)
		if _, err := e.health.StartRecompute(e.ctx, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.health.RunJobs(e.ctx, "w"); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if heard[id] != 1 {
				t.Fatalf("an unchanged recompute was heard: %v", heard)
			}
		}
		if _, err := e.health.OverrideHealthScore(e.ctx, ids[0], &health.Override{Grade: health.GradeRed, Reason: "x"}); err != nil {
			t.Fatal(err)
		}
		if heard[ids[0]] != 2 {
			t.Fatalf("the override was not heard: %v", heard)
		}
	})
}

// TestSurveyDetractorsMeasure: furrow.survey_detractors counts NPS answers of 0–6 and
// complaints in the window, not passives, promoters, CSAT or excluded responses.
func TestSurveyDetractorsMeasure(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		card := &health.Scorecard{DisplayName: "Voice", IsDefault: true, Definition: health.Definition{
			Bands: health.GradeBands{YellowFrom: 40, GreenFrom: 70},
			Measures: []health.Measure{{Key: "detractors", Group: "relationship", Source: health.SourceDetractors, Aggregation: health.AggCount,
				WindowDays: 90, Bands: []health.Band{{Min: 0, Points: 100}, {Min: 1, Points: 40}, {Min: 2, Points: 0}}, Weight: 1, Missing: health.MissingZero}},
		}}
		if _, err := e.health.CreateScorecard(e.ctx, card); err != nil {
			t.Fatal(err)
		}
		acc := e.account(t, "Acme", "", "")
		c, err := e.accounts.CreateContact(e.ctx, acc, account.Contact{DisplayName: "Li Wei"}, "")
		if err != nil {
			t.Fatal(err)
		}
		surveys := survey.NewService(store.New(db), survey.Options{Now: e.clk.now})
		n := func(v int) *int { return &v }
		at := t0.AddDate(0, 0, -5)
		out, _, err := surveys.BatchCreateResponses(e.ctx, []*survey.Response{
			{Account: acc, Contact: c.ID, Kind: survey.KindNPS, Score: n(5), Time: at, ResponseID: "1"},
			{Account: acc, Contact: c.ID, Kind: survey.KindComplaint, Time: at, ResponseID: "2"},
			{Account: acc, Contact: c.ID, Kind: survey.KindNPS, Score: n(6), Time: at, ResponseID: "3"},  // excluded below
			{Account: acc, Contact: c.ID, Kind: survey.KindNPS, Score: n(7), Time: at, ResponseID: "4"},  // a passive
			{Account: acc, Contact: c.ID, Kind: survey.KindCSAT, Score: n(1), Time: at, ResponseID: "5"}, // not NPS
			{Account: acc, Contact: c.ID, Kind: survey.KindNPS, Score: n(0), Time: t0.AddDate(0, 0, -100), ResponseID: "6"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := surveys.SetExcluded(e.ctx, acc, out[2].ID, true, "test"); err != nil {
			t.Fatal(err)
		}
		h, err := e.health.ComputeHealthScore(e.ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		if c := contribution(t, h, "detractors"); c.Raw == nil || *c.Raw != 2 || c.Normalized != 0 {
			t.Fatalf("detractors = %+v, want 2 (normalised 0)", c)
		}
	})
}

// raceStore runs hook once, in its own transactions, when a scoring transaction goes
// to lock the current rows it is about to write: as if a person's override landed
// between the batch's plain read and its write.
type raceStore struct {
	health.Store
	hook       func() // runs once, before a batch locks the rows it will write
	insertHook func() // runs once, before a batch inserts first current rows
	relockHook func() // runs once, before a batch's second lock of current rows
	locks      int
}

func (r *raceStore) WithHealthTx(ctx context.Context, fn func(tx health.Tx) error) error {
	return r.Store.WithHealthTx(ctx, func(tx health.Tx) error { return fn(&raceTx{Tx: tx, r: r}) })
}

type raceTx struct {
	health.Tx
	r *raceStore
}

func (t *raceTx) LockCurrents(ctx context.Context, b health.Batch) (map[uuid.UUID]*health.Current, error) {
	t.r.locks++
	if h := t.r.hook; h != nil {
		t.r.hook = nil
		h()
	} else if h := t.r.relockHook; h != nil && t.r.locks > 1 {
		t.r.relockHook = nil
		h()
	}
	return t.Tx.LockCurrents(ctx, b)
}

func (t *raceTx) InsertCurrents(ctx context.Context, cs []*health.Current, scores []*health.Score) error {
	if h := t.r.insertHook; h != nil && len(cs) > 0 {
		t.r.insertHook = nil
		h()
	}
	return t.Tx.InsertCurrents(ctx, cs, scores)
}

// newRace sets up a race on PostgreSQL: account acc with a signal and a second account
// (two accounts a batch, as a batch of one locks first: one worker, so that the job's
// last round is not shared out into batches of one), and a service over rs whose
// hooks run inside a batch.
func newRace(t *testing.T) (e *env, acc uuid.UUID, rs *raceStore, racing *health.Service) {
	db := testdb.Open(t, "postgres")
	e = newEnv(db)
	e.card(t)
	acc = e.account(t, "Acme", "", "")
	e.account(t, "Globex", "", "")
	e.signal(t, acc, "logins", 90, t0.Add(-time.Hour), "1")
	rs = &raceStore{Store: store.New(db)}
	return e, acc, rs, health.NewService(rs, health.Options{Now: e.clk.now, BatchSize: 3, Parallel: 1})
}

// TestFirstScoresMeet: a job batch finds an account without a current row, and another
// transaction gives it one before the batch inserts its own (absent rows cannot be
// locked). The batch scores again against that row: its score follows the other as the
// account's second, with a change. PostgreSQL only, as below.
func TestFirstScoresMeet(t *testing.T) {
	e, acc, rs, racing := newRace(t)
	e.signal(t, acc, "logins", 30, t0.Add(45*time.Minute), "2") // counted by the job only
	e.clk.t = t0.Add(time.Hour)
	job, err := racing.StartRecompute(e.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var other *health.HealthScore
	rs.insertHook = func() {
		e.clk.t = t0.Add(30 * time.Minute) // a moment before the job's
		defer func() { e.clk.t = t0.Add(time.Hour) }()
		if other, err = e.health.ComputeHealthScore(e.ctx, acc); err != nil {
			t.Errorf("compute while the batch runs: %v", err)
		}
	}
	if _, err := racing.RunJobs(e.ctx, "w"); err != nil {
		t.Fatal(err)
	}
	if rs.insertHook != nil || other == nil {
		t.Fatal("the batch never inserted first current rows")
	}
	h, err := e.health.GetHealthScore(e.ctx, acc, nil)
	if err != nil || !h.Computed.ComputeTime.Equal(job.ComputeTime) {
		t.Fatalf("after the race = %+v, %v; want the job's score", h, err)
	}
	want := math.Round((h.Computed.Score-other.Computed.Score)*100) / 100
	if h.Change == nil || *h.Change != want || want == 0 {
		t.Errorf("change = %v, want %v (against the score that got in first)", h.Change, want)
	}
	hist, err := e.health.ListHealthScoreHistory(e.ctx, acc, 10, "")
	if err != nil || len(hist.Items) != 2 {
		t.Fatalf("history = %d rows, %v; want 2", len(hist.Items), err)
	}
	done, _ := racing.GetJob(e.ctx, job.ID)
	if done.State != health.JobSucceeded || done.Processed != 2 {
		t.Fatalf("job = %s", done)
	}
}

// TestMovedRowReleasesLocks: when a row a batch locks to write has moved since it was
// read, the batch gives back the locks it took before locking the whole batch in order.
// Holding them while waiting for others' could deadlock with another batch doing the
// same; here another transaction must be able to lock one at that moment.
func TestMovedRowReleasesLocks(t *testing.T) {
	e, acc, rs, racing := newRace(t)
	other := e.account(t, "Initech", "", "")
	e.signal(t, other, "logins", 40, t0.Add(-time.Hour), "o1")
	for _, id := range []uuid.UUID{acc, other} {
		if _, err := e.health.ComputeHealthScore(e.ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.t = t0.Add(time.Hour)
	e.signal(t, acc, "logins", 5, t0.Add(30*time.Minute), "2")
	e.signal(t, other, "logins", 7, t0.Add(30*time.Minute), "o2")
	rs.hook = func() { // acc moves between the batch's read and its lock
		if _, err := e.health.OverrideHealthScore(e.ctx, acc, &health.Override{Grade: health.GradeGreen, Reason: "renewal signed"}); err != nil {
			t.Errorf("override while the batch runs: %v", err)
		}
	}
	probed := false
	rs.relockHook = func() {
		probed = true
		ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
		defer cancel()
		err := rs.Store.WithHealthTx(ctx, func(tx health.Tx) error {
			_, err := tx.LockCurrents(ctx, health.Batch{IDs: []uuid.UUID{other}})
			return err
		})
		if err != nil {
			t.Errorf("locking a row the batch had locked before it found another moved: %v (want the lock given back)", err)
		}
	}
	if _, err := racing.StartRecompute(e.ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := racing.RunJobs(e.ctx, "w"); err != nil {
		t.Fatal(err)
	}
	if !probed {
		t.Fatal("the batch never locked its rows a second time")
	}
	for _, id := range []uuid.UUID{acc, other} {
		h, err := e.health.GetHealthScore(e.ctx, id, nil)
		if err != nil || !h.Computed.ComputeTime.Equal(e.clk.t) {
			t.Fatalf("after the race %s = %+v, %v; want the job's score", id, h, err)
		}
	}
}

// TestOverrideBetweenReadAndWrite: a batch reads current rows without locking them and
// locks only those it writes; an override that lands in between is kept (the batch
// scores again, locking first), and the new score is still written. PostgreSQL only:
// SQLite has one writer at a time, so nothing can land in between there.
func TestOverrideBetweenReadAndWrite(t *testing.T) {
	e, acc, rs, racing := newRace(t)
	if _, err := e.health.ComputeHealthScore(e.ctx, acc); err != nil {
		t.Fatal(err)
	}
	e.clk.t = t0.Add(time.Hour)
	e.signal(t, acc, "logins", 5, t0.Add(30*time.Minute), "2")
	rs.hook = func() {
		if _, err := e.health.OverrideHealthScore(e.ctx, acc, &health.Override{Grade: health.GradeGreen, Reason: "renewal signed"}); err != nil {
			t.Errorf("override while the batch runs: %v", err)
		}
	}
	if _, err := racing.StartRecompute(e.ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := racing.RunJobs(e.ctx, "w"); err != nil {
		t.Fatal(err)
	}
	if rs.hook != nil {
		t.Fatal("the batch never locked rows to write them")
	}
	h, err := e.health.GetHealthScore(e.ctx, acc, nil)
	if err != nil || h.Override == nil || h.Grade != health.GradeGreen || !h.Computed.ComputeTime.Equal(e.clk.t) {
		t.Fatalf("after a batch raced by an override = %+v (override %+v), %v", h, h.Override, err)
	}
	hist, err := e.health.ListHealthScoreHistory(e.ctx, acc, 10, "")
	if err != nil || len(hist.Items) != 2 {
		t.Fatalf("history = %d rows, %v; want 2 (one per compute)", len(hist.Items), err)
	}
}
