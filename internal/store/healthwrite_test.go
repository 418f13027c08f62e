package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// scoreOf returns the score current row c points at, with contributions.
func scoreOf(c *health.Current, cs ...health.Contribution) *health.Score {
	return &health.Score{ID: c.ScoreID, Account: c.Account, Scorecard: c.Scorecard, ScorecardVersion: c.Version, ComputeTime: c.Time,
		Result: health.Result{Score: c.Computed, Grade: c.Grade, Contributions: cs}}
}

// TestInsertCurrentsMeetsARow: InsertCurrents is for accounts that had no current row
// when read. When another transaction has written one since, it writes none of its
// rows and says so, and the transaction's earlier writes survive (PostgreSQL; SQLite
// has one writer, so no row can appear there between a read and a write).
func TestInsertCurrentsMeetsARow(t *testing.T) {
	db := testdb.Open(t, "postgres")
	ctx := context.Background()
	st := store.New(db)
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	card := uuid.New()
	cur := func(acc uuid.UUID, at time.Time, score float64) *health.Current {
		return &health.Current{Account: acc, ScoreID: uuid.New(), Scorecard: card, Version: 1, Computed: score, Grade: health.GradeGreen,
			Time: at, Effective: score, EffGrade: health.GradeGreen, Digest: "d"}
	}
	insert := func(tx health.Tx, cs ...*health.Current) error {
		scores := make([]*health.Score, len(cs))
		for i, c := range cs {
			scores[i] = scoreOf(c)
		}
		return tx.InsertCurrents(ctx, cs, scores)
	}
	taken, fresh, before := uuid.New(), uuid.New(), uuid.New()
	if err := st.WithHealthTx(ctx, func(tx health.Tx) error { return insert(tx, cur(taken, t0, 71)) }); err != nil {
		t.Fatal(err)
	}
	earlier := cur(before, t0.Add(time.Minute), 80)
	if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
		if err := insert(tx, earlier); err != nil {
			return err
		}
		err := insert(tx, cur(fresh, t0.Add(time.Minute), 80), cur(taken, t0.Add(time.Minute), 81))
		if !errors.Is(err, health.ErrCurrentMoved) {
			t.Errorf("InsertCurrents over an existing row: %v, want ErrCurrentMoved", err)
		}
		return nil // the transaction is still usable: commit what came before
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := st.GetCurrent(ctx, taken); err != nil || c.Computed != 71 {
		t.Errorf("the existing row = %+v, %v; want it untouched (71)", c, err)
	}
	if c, err := st.GetCurrent(ctx, fresh); err == nil {
		t.Errorf("a row of the refused batch was written: %+v", c)
	}
	if got, err := st.GetScore(ctx, before, earlier.ScoreID); err != nil || got.Score != 80 {
		t.Errorf("score written before = %+v, %v", got, err)
	}
}

// TestInsertCurrents writes new rows on both databases; a score that is not the one
// its row points at is refused.
func TestInsertCurrents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		change := 1.5
		c := &health.Current{Account: uuid.New(), ScoreID: uuid.New(), Scorecard: uuid.New(), Version: 2, Computed: 55.25, Grade: health.GradeYellow,
			Time: at, Change: &change, Trend: health.TrendImproving, Effective: 55.25, EffGrade: health.GradeYellow, Digest: "abc"}
		change30, override, expire := -0.25, uuid.New(), at.Add(36*time.Hour+time.Microsecond)
		o := &health.Current{Account: uuid.New(), ScoreID: uuid.New(), Scorecard: uuid.New(), Version: 1, Computed: 1.0 / 3, Grade: health.GradeRed,
			Time: at, Change30d: &change30, Trend: health.TrendDeclining, Effective: 90, EffGrade: health.GradeGreen, Digest: "d\\ig\test\r\n",
			OverrideID: &override, OverrideExpire: &expire}
		wrong := scoreOf(c)
		wrong.ID = uuid.New()
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			return tx.InsertCurrents(ctx, []*health.Current{c, o}, []*health.Score{wrong, scoreOf(o)})
		}); err == nil || !strings.Contains(err.Error(), "is not the one current row") {
			t.Fatalf("InsertCurrents with another score: %v", err)
		}
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			return tx.InsertCurrents(ctx, []*health.Current{c, o}, []*health.Score{scoreOf(c), scoreOf(o)})
		}); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetCurrent(ctx, o.Account)
		if err != nil || got.Computed != 1.0/3 || got.Change != nil || got.Change30d == nil || *got.Change30d != -0.25 || got.Digest != o.Digest ||
			got.OverrideID == nil || *got.OverrideID != override || got.OverrideExpire == nil || !got.OverrideExpire.Equal(expire) ||
			got.Effective != 90 || got.EffGrade != health.GradeGreen || got.Trend != health.TrendDeclining {
			t.Fatalf("read back %+v, %v", got, err)
		}
		got, err = st.GetCurrent(ctx, c.Account)
		if err != nil || got.Computed != 55.25 || got.Version != 2 || !got.Time.Equal(at) || got.Change == nil || *got.Change != 1.5 ||
			got.Change30d != nil || got.Trend != health.TrendImproving || got.Digest != "abc" || got.OverrideID != nil {
			t.Fatalf("read back %+v, %v", got, err)
		}
	})
}

// TestScoresRoundTrip writes first scores into current rows, then replaces them, with
// floats that must come back bit for bit, enough rows to be sent in several chunks,
// with and without a job. Every score reads back from where it lives (the replaced
// ones from the history), its contributions named by the scorecard version's measures.
func TestScoresRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		job := uuid.New()
		at := time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC)
		later := at.Add(time.Hour)
		card := &health.Scorecard{ID: uuid.New(), DisplayName: "c", Version: 3, VersionCreateTime: at, CreateTime: at, UpdateTime: at,
			Definition: health.Definition{Measures: []health.Measure{{Key: "usage", Group: "product\tusage"}, {Key: "trust", Group: "relation\nship"}}}}
		raw := 0.1 + 0.2
		scoreAt := func(acc uuid.UUID, i int, t time.Time, j *uuid.UUID) (*health.Current, *health.Score) {
			cs := []health.Contribution{
				{Measure: "usage", Group: "product\tusage", Raw: &raw, Normalized: 1e-300, Weight: 15, Points: -2.5e17},
				{Measure: "trust", Group: "relation\nship", Normalized: float64(i) / 3, Weight: 0.1, Missing: true, Skipped: i%2 == 0},
			}
			s := &health.Score{ID: uuid.New(), Account: acc, Scorecard: card.ID, ScorecardVersion: 3, ComputeTime: t, Job: j,
				Result: health.Result{Score: float64(i) / 7, Grade: health.GradeRed, Contributions: cs}}
			c := &health.Current{Account: acc, ScoreID: s.ID, Scorecard: card.ID, Version: 3, Computed: s.Score, Grade: s.Grade, Time: t,
				Effective: s.Score, EffGrade: s.Grade, Digest: s.ID.String()}
			return c, s
		}
		const n = 4000
		var firstC, nextC []*health.Current
		var first, next []*health.Score
		for i := range n {
			var j *uuid.UUID
			if i < 2500 { // a pass writes for one job or none
				j = &job
			}
			c, s := scoreAt(uuid.New(), i, at, j)
			firstC, first = append(firstC, c), append(first, s)
			c, s = scoreAt(c.Account, i+1, later, nil)
			nextC, next = append(nextC, c), append(next, s)
		}
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			return errors.Join(tx.InsertScorecard(ctx, card), tx.InsertCurrents(ctx, firstC[:2500], first[:2500]), tx.InsertCurrents(ctx, firstC[2500:], first[2500:]))
		}); err != nil {
			t.Fatal(err)
		}
		check := func(want *health.Score) {
			t.Helper()
			got, err := st.GetScore(ctx, want.Account, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Account != want.Account || got.Scorecard != card.ID || got.ScorecardVersion != 3 || got.Score != want.Score ||
				got.Grade != want.Grade || !got.ComputeTime.Equal(want.ComputeTime) || (got.Job == nil) != (want.Job == nil) || (got.Job != nil && *got.Job != job) {
				t.Fatalf("read back %+v, want %+v", got, want)
			}
			if !reflect.DeepEqual(got.Contributions, want.Contributions) {
				t.Fatalf("contributions read back %+v, want %+v", got.Contributions, want.Contributions)
			}
		}
		sample := func(i int) bool { return i%7 == 0 || i == n-1 } // one read per row would take a while on SQLite
		for i := range n {
			if sample(i) {
				check(first[i])
			}
		}
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error { return tx.ReplaceCurrents(ctx, nextC, next) }); err != nil {
			t.Fatal(err)
		}
		// Replacing with an earlier moment fails: the new score would be lost. Nothing
		// is archived.
		stale, staleScore := scoreAt(firstC[0].Account, 99, at.Add(time.Minute), nil)
		fresh, freshScore := scoreAt(firstC[1].Account, 98, later.Add(time.Hour), nil)
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			err := tx.ReplaceCurrents(ctx, []*health.Current{fresh, stale}, []*health.Score{freshScore, staleScore})
			if err == nil || !strings.Contains(err.Error(), "1 of 2 current rows to replace were computed for that moment or later") {
				t.Errorf("replacing with an earlier moment: %v", err)
			}
			return nil // commit the rest: the stale row must be as it was
		}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if sample(i) {
				check(first[i])
				check(next[i])
			}
		}
		acc := firstC[0].Account
		if got, err := st.GetScore(ctx, uuid.New(), next[0].ID); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a score read under another account: %+v, %v", got, err)
		}
		// History pages newest first across both tables.
		p1, cursor, err := st.ListScores(ctx, acc, 1, nil)
		if err != nil || len(p1) != 1 || p1[0].ID != next[0].ID || cursor == nil {
			t.Fatalf("first page %+v, %v, %v", p1, cursor, err)
		}
		p2, cursor, err := st.ListScores(ctx, acc, 1, cursor)
		if err != nil || len(p2) != 1 || p2[0].ID != first[0].ID || cursor != nil {
			t.Fatalf("second page %+v, %v, %v", p2, cursor, err)
		}
		if all, _, err := st.ListScores(ctx, acc, 10, nil); err != nil || len(all) != 2 {
			t.Fatalf("all scores %+v, %v (the stale replacement must not have archived a copy)", all, err)
		}
		if all, _, err := st.ListScores(ctx, firstC[1].Account, 10, nil); err != nil || len(all) != 3 || all[0].ID != freshScore.ID {
			t.Fatalf("scores of the account replaced beside the stale one: %+v, %v", all, err)
		}
		for _, tc := range []struct {
			at   time.Time
			want *health.Score
		}{{at.Add(-time.Second), nil}, {at, first[0]}, {later.Add(-time.Microsecond), first[0]}, {later, next[0]}, {later.Add(time.Hour), next[0]}} {
			got, err := st.ScoreAt(ctx, acc, tc.at)
			if tc.want == nil {
				if !errors.Is(err, account.ErrNotFound) {
					t.Errorf("ScoreAt(%s) = %+v, %v; want none", tc.at, got, err)
				}
				continue
			}
			if err != nil || got.ID != tc.want.ID {
				t.Errorf("ScoreAt(%s) = %+v, %v; want %s", tc.at, got, err, tc.want.ID)
			}
			m, err := st.ScoresAt(ctx, []uuid.UUID{acc, firstC[1].Account}, tc.at)
			if err != nil || len(m) != 2 || m[acc] != tc.want.Score {
				t.Errorf("ScoresAt(%s) = %v, %v; want %v", tc.at, m, err, tc.want.Score)
			}
		}
		// A row that does not match its version's measures is an error, not a guess.
		bad, badScore := scoreAt(uuid.New(), 1, at, nil)
		badScore.Contributions = badScore.Contributions[:1]
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			return tx.InsertCurrents(ctx, []*health.Current{bad}, []*health.Score{badScore})
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := st.GetScore(ctx, bad.Account, bad.ScoreID); err == nil || !strings.Contains(err.Error(), "1 contributions for the 2 measures") {
			t.Errorf("a row with too few contributions read back: %+v, %v", got, err)
		}
	})
}

// TestUpdateCurrents rewrites a row's trend and override and keeps its score's
// contributions; a row that points at another score, or none, is an error.
func TestUpdateCurrents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		card := &health.Scorecard{ID: uuid.New(), DisplayName: "c", Version: 1, VersionCreateTime: at, CreateTime: at, UpdateTime: at,
			Definition: health.Definition{Measures: []health.Measure{{Key: "m", Group: "g"}}}}
		c := &health.Current{Account: uuid.New(), ScoreID: uuid.New(), Scorecard: card.ID, Version: 1, Computed: 40, Grade: health.GradeYellow,
			Time: at, Effective: 40, EffGrade: health.GradeYellow, Digest: "x"}
		raw := 2.5
		s := scoreOf(c, health.Contribution{Measure: "m", Group: "g", Raw: &raw, Normalized: 50, Weight: 1, Points: 40})
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			return errors.Join(tx.InsertScorecard(ctx, card), tx.InsertCurrents(ctx, []*health.Current{c}, []*health.Score{s}))
		}); err != nil {
			t.Fatal(err)
		}
		o := uuid.New()
		d := 3.0
		c.Change30d, c.Trend, c.Effective, c.EffGrade, c.OverrideID = &d, health.TrendImproving, 90, health.GradeGreen, &o
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error { return tx.UpdateCurrents(ctx, []*health.Current{c}) }); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetCurrent(ctx, c.Account)
		if err != nil || got.Effective != 90 || got.Trend != health.TrendImproving || got.OverrideID == nil || *got.OverrideID != o || got.Change30d == nil {
			t.Fatalf("read back %+v, %v", got, err)
		}
		if sc, err := st.GetScore(ctx, c.Account, c.ScoreID); err != nil || !reflect.DeepEqual(sc.Contributions, s.Contributions) {
			t.Fatalf("score after the update %+v, %v", sc, err)
		}
		other := *c
		other.ScoreID = uuid.New()
		missing := *c
		missing.Account = uuid.New()
		for _, bad := range []*health.Current{&other, &missing} {
			if err := st.WithHealthTx(ctx, func(tx health.Tx) error { return tx.UpdateCurrents(ctx, []*health.Current{c, bad}) }); err == nil ||
				!strings.Contains(err.Error(), "1 of 2 current rows") {
				t.Errorf("UpdateCurrents of %+v: %v", bad, err)
			}
		}
	})
}
