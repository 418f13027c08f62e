package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// TestInsertCurrentsMeetsARow: InsertCurrents is for accounts that had no current row
// when read. When another transaction wrote one since, the rows are upserted instead
// (a later row replaces, an earlier one does not), and the transaction's earlier
// writes survive the fallback.
func TestInsertCurrentsMeetsARow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		card := uuid.New()
		cur := func(acc uuid.UUID, at time.Time, score float64) *health.Current {
			return &health.Current{Account: acc, ScoreID: uuid.New(), Scorecard: card, Version: 1, Computed: score, Grade: health.GradeGreen,
				Time: at, Trend: "", Effective: score, EffGrade: health.GradeGreen, Digest: "d"}
		}
		taken, late, fresh := uuid.New(), uuid.New(), uuid.New()
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			return tx.UpsertCurrents(ctx, []*health.Current{cur(taken, t0, 71), cur(late, t0.Add(time.Hour), 72)})
		}); err != nil {
			t.Fatal(err)
		}
		score := &health.Score{ID: uuid.New(), Account: fresh, Scorecard: card, ScorecardVersion: 1, ComputeTime: t0.Add(time.Minute),
			Result: health.Result{Score: 80, Grade: health.GradeGreen}}
		if err := st.WithHealthTx(ctx, func(tx health.Tx) error {
			if err := tx.InsertScores(ctx, []*health.Score{score}); err != nil {
				return err
			}
			return tx.InsertCurrents(ctx, []*health.Current{cur(fresh, t0.Add(time.Minute), 80), cur(taken, t0.Add(time.Minute), 81), cur(late, t0.Add(time.Minute), 82)})
		}); err != nil {
			t.Fatalf("InsertCurrents over existing rows: %v", err)
		}
		for acc, want := range map[uuid.UUID]float64{fresh: 80, taken: 81, late: 72} {
			c, err := st.GetCurrent(ctx, acc)
			if err != nil || c.Computed != want {
				t.Errorf("current of %s = %+v, %v; want score %v", acc, c, err, want)
			}
		}
		if got, err := st.GetScore(ctx, score.ID); err != nil || got.Score != 80 {
			t.Errorf("history row written before the fallback = %+v, %v", got, err)
		}
	})
}
