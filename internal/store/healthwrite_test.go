package store_test

import (
	"context"
	"errors"
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
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error { return tx.InsertCurrents(ctx, []*health.Current{c}) }); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetCurrent(ctx, c.Account)
		if err != nil || got.Computed != 55.25 || got.Version != 2 || !got.Time.Equal(at) || got.Change == nil || *got.Change != 1.5 ||
			got.Change30d != nil || got.Trend != health.TrendImproving || got.Digest != "abc" || got.OverrideID != nil {
			t.Fatalf("read back %+v, %v", got, err)
		}
	})
}
