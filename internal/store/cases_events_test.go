package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// InsertCaseEventOnce stores an event once: a second insert with the same id is a
// no-op (not a unique violation, which would abort a PostgreSQL transaction), and the
// transaction goes on.
func TestInsertCaseEventOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		c := uuid.Must(uuid.NewV7())
		at := time.Date(2026, 6, 1, 13, 0, 0, 0, time.UTC)
		e := &cases.Event{ID: cases.ExpiryEventID(c, 1, at), Case: c, Time: at, Actor: "system", Action: cases.ActionExpire,
			From: cases.Published, To: cases.Published, Version: 1, Comment: "expired"}
		var got []bool
		if err := st.WithCaseTx(ctx, func(tx cases.Tx) error {
			for range 2 {
				ok, err := tx.InsertCaseEventOnce(ctx, e)
				if err != nil {
					return err
				}
				got = append(got, ok)
			}
			// still usable after the conflict
			return tx.InsertCaseEvent(ctx, &cases.Event{ID: uuid.Must(uuid.NewV7()), Case: c, Time: at, Actor: "x", Action: cases.ActionCreate})
		}); err != nil {
			t.Fatal(err)
		}
		if ok, err := func() (ok bool, err error) {
			err = st.WithCaseTx(ctx, func(tx cases.Tx) error { ok, err = tx.InsertCaseEventOnce(ctx, e); return err })
			return ok, err
		}(); err != nil || ok {
			t.Fatalf("insert in a later transaction = %v, %v; want false", ok, err)
		}
		if got[0] != true || got[1] != false {
			t.Fatalf("inserted = %v, want [true false]", got)
		}
		evs, _, err := st.ListCaseEvents(ctx, c, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].ID != e.ID || !evs[0].Time.Equal(at) || evs[0].Comment != "expired" || evs[0].Version != 1 {
			t.Fatalf("events %+v", evs)
		}
	})
}
