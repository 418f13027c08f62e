package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// TestCurrentScoreMigration: the migration that moved an account's latest score into
// its current row keeps every score readable. Rows are written in the layout before it
// (every score in health_scores, in both earlier contribution forms), then migrated,
// reverted and migrated again.
func TestCurrentScoreMigration(t *testing.T) {
	// api_key_person, the migration before current_score_in_current_row, per dialect
	before := map[string]int64{dialect.SQLite: 20261202060606, dialect.Postgres: 20261202060612}
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := database.Open(ctx, testdb.URL(t, d))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.MigrateTo(ctx, before[d]); err != nil {
				t.Fatal(err)
			}
			acc, card, job := uuid.New(), uuid.New(), uuid.New()
			old, cur := uuid.New(), uuid.New()
			t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
			t1 := t0.Add(24 * time.Hour)
			p := func(i int) string {
				if d == dialect.Postgres {
					return fmt.Sprintf("$%d", i)
				}
				return "?"
			}
			insertScore := "INSERT INTO health_scores (id, account_id, scorecard_id, scorecard_version, score, grade, contributions, compute_time, job_id) VALUES (" +
				p(1) + ", " + p(2) + ", " + p(3) + ", 1, " + p(4) + ", 'RED', " + p(5) + ", " + p(6) + ", " + p(7) + ")"
			for _, r := range []struct {
				id    uuid.UUID
				score float64
				cs    string
				at    time.Time
				job   any
			}{
				{old, 30, `[{"measure":"usage","group":"product","raw":2,"normalized":30,"weight":1,"points":30}]`, t0, nil},
				{cur, 35, "usage|product|3|35|1|35|", t1, job},
			} {
				if _, err := db.ExecContext(ctx, insertScore, r.id, acc, card, r.score, r.cs, r.at, r.job); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO account_healths (id, score_id, scorecard_id, scorecard_version, computed_score, computed_grade, compute_time, score, grade) VALUES ("+
				p(1)+", "+p(2)+", "+p(3)+", 1, 35, 'RED', "+p(4)+", 35, 'RED')", acc, cur, card, t1); err != nil {
				t.Fatal(err)
			}
			history := func(want int, when string) {
				t.Helper()
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM health_scores").Scan(&n); err != nil || n != want {
					t.Fatalf("history rows %s: %d, %v; want %d", when, n, err, want)
				}
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			history(1, "after the migration (the current score moved out)")
			// Down puts the current score back into the history and drops the columns;
			// up again moves it out again.
			if err := db.MigrateTo(ctx, before[d]); err != nil {
				t.Fatal(err)
			}
			history(2, "after reverting the migration")
			if _, err := db.ExecContext(ctx, "SELECT contributions FROM account_healths"); err == nil {
				t.Error("account_healths.contributions is still there after reverting")
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			history(1, "after migrating again")
			st := store.New(db)
			ss, _, err := st.ListScores(ctx, acc, 10, nil)
			if err != nil || len(ss) != 2 {
				t.Fatalf("scores after the migration: %+v, %v", ss, err)
			}
			if s := ss[0]; s.ID != cur || s.Score != 35 || !s.ComputeTime.Equal(t1) || s.Job == nil || *s.Job != job ||
				len(s.Contributions) != 1 || s.Contributions[0].Measure != "usage" || *s.Contributions[0].Raw != 3 {
				t.Errorf("current score %+v", s)
			}
			if s := ss[1]; s.ID != old || s.Score != 30 || s.Job != nil || len(s.Contributions) != 1 || s.Contributions[0].Points != 30 {
				t.Errorf("older score %+v", s)
			}
		})
	}
}
