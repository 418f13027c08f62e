package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

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
	taken, fresh := uuid.New(), uuid.New()
	if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
		return tx.InsertCurrents(ctx, []*health.Current{cur(taken, t0, 71)})
	}); err != nil {
		t.Fatal(err)
	}
	score := &health.Score{ID: uuid.New(), Account: fresh, Scorecard: card, ScorecardVersion: 1, ComputeTime: t0.Add(time.Minute),
		Result: health.Result{Score: 80, Grade: health.GradeGreen}}
	if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
		if err := tx.InsertScores(ctx, []*health.Score{score}); err != nil {
			return err
		}
		err := tx.InsertCurrents(ctx, []*health.Current{cur(fresh, t0.Add(time.Minute), 80), cur(taken, t0.Add(time.Minute), 81)})
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
	if got, err := st.GetScore(ctx, score.ID); err != nil || got.Score != 80 {
		t.Errorf("history row written before = %+v, %v", got, err)
	}
}

// TestInsertCurrents writes new rows on both databases.
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
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error { return tx.InsertCurrents(ctx, []*health.Current{c, o}) }); err != nil {
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

// TestInsertScoresRoundTrip writes history rows with floats that must come back bit
// for bit, enough of them to be sent in several chunks, with and without a job, and
// reads every one back, its contributions named by the scorecard version's measures.
func TestInsertScoresRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		job := uuid.New()
		at := time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC)
		card := &health.Scorecard{ID: uuid.New(), DisplayName: "c", Version: 3, VersionCreateTime: at, CreateTime: at, UpdateTime: at,
			Definition: health.Definition{Measures: []health.Measure{{Key: "usage", Group: "product\tusage"}, {Key: "trust", Group: "relation\nship"}}}}
		raw := 0.1 + 0.2
		var ss []*health.Score
		for i := range 4000 {
			cs := []health.Contribution{
				{Measure: "usage", Group: "product\tusage", Raw: &raw, Normalized: 1e-300, Weight: 15, Points: -2.5e17},
				{Measure: "trust", Group: "relation\nship", Normalized: float64(i) / 3, Weight: 0.1, Missing: true, Skipped: i%2 == 0},
			}
			s := &health.Score{ID: uuid.New(), Account: uuid.New(), Scorecard: card.ID, ScorecardVersion: 3, ComputeTime: at,
				Result: health.Result{Score: float64(i) / 7, Grade: health.GradeRed, Contributions: cs}}
			if i < 2500 { // a call writes for one job or none
				s.Job = &job
			}
			ss = append(ss, s)
		}
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			return errors.Join(tx.InsertScorecard(ctx, card), tx.InsertScores(ctx, ss[:2500]), tx.InsertScores(ctx, ss[2500:]))
		}); err != nil {
			t.Fatal(err)
		}
		for i, want := range ss {
			if i%7 != 0 && i != len(ss)-1 {
				continue // a sample: one read per row would take a while on SQLite
			}
			got, err := st.GetScore(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Account != want.Account || got.Scorecard != card.ID || got.ScorecardVersion != 3 || got.Score != want.Score ||
				got.Grade != want.Grade || !got.ComputeTime.Equal(at) || (got.Job == nil) != (want.Job == nil) || (got.Job != nil && *got.Job != job) {
				t.Fatalf("read back %+v, want %+v", got, want)
			}
			if !reflect.DeepEqual(got.Contributions, want.Contributions) {
				t.Fatalf("contributions read back %+v, want %+v", got.Contributions, want.Contributions)
			}
		}
		// A row that does not match its version's measures is an error, not a guess.
		bad := &health.Score{ID: uuid.New(), Account: uuid.New(), Scorecard: card.ID, ScorecardVersion: 3, ComputeTime: at,
			Result: health.Result{Grade: health.GradeRed, Contributions: []health.Contribution{{Weight: 1}}}}
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error { return tx.InsertScores(ctx, []*health.Score{bad}) }); err != nil {
			t.Fatal(err)
		}
		if got, err := st.GetScore(ctx, bad.ID); err == nil || !strings.Contains(err.Error(), "1 contributions for the 2 measures") {
			t.Errorf("a row with too few contributions read back: %+v, %v", got, err)
		}
	})
}
