package store

import (
	"context"
	stdsql "database/sql"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/testdb"
)

// within fails t when fn has not returned after a while: the failures below used to
// hang forever.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still running after 20s", what)
	}
}

// killBackends ends every other connection to the database db is on, as a server
// restart would, and waits until they are gone.
func killBackends(ctx context.Context, db *stdsql.DB) error {
	var name string
	if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
		return err
	}
	admin, err := stdsql.Open("postgres", testdb.PostgresAdminURL())
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		return err
	}
	for range 100 {
		var left int
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name).Scan(&left); err != nil || left == 0 {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the backends outlived pg_terminate_backend")
}

// copyTestRow writes a history row for copyRows.
func copyTestRow(w *copyWriter) {
	w.uuid(uuid.New())
	w.uuid(uuid.New())
	w.uuid(uuid.New())
	w.int(1)
	w.float(50)
	w.text("YELLOW")
	w.text("")
	w.time(time.Now())
	w.null()
}

// A COPY whose row function panics, or whose connection is lost half way, returns
// (the panic is raised again), and the store goes on working. database/sql's Conn.Raw
// closes the connection in both cases, which waited for the open transaction forever.
func TestCopyFailures(t *testing.T) {
	db := testdb.Open(t, "postgres")
	ctx := context.Background()
	s := New(db)
	within(t, "a panicking row", func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the row's panic", p)
			}
		}()
		_ = s.withTx(ctx, func(q queries) error {
			return txQueries{q}.copyRows(ctx, "health_scores", scoreCols, 10, func(i int, w *copyWriter) {
				if i == 5 {
					panic("boom")
				}
				copyTestRow(w)
			})
		})
	})
	within(t, "a lost connection", func() {
		err := s.withTx(ctx, func(q queries) error {
			return txQueries{q}.copyRows(ctx, "health_scores", scoreCols, 20000, func(i int, w *copyWriter) {
				if i == 1000 {
					if err := killBackends(ctx, db.DB); err != nil {
						t.Error(err) // not Fatal: this runs inside the COPY
					}
				}
				copyTestRow(w)
			})
		})
		if err == nil {
			t.Error("a COPY over a lost connection succeeded")
		}
	})
	var n int
	if err := s.withTx(ctx, func(q queries) error {
		if err := (txQueries{q}).copyRows(ctx, "health_scores", scoreCols, 3, func(_ int, w *copyWriter) { copyTestRow(w) }); err != nil {
			return err
		}
		return q.tx.QueryRowContext(ctx, "SELECT count(*) FROM health_scores").Scan(&n)
	}); err != nil || n != 3 {
		t.Fatalf("after the failures: %d rows, %v; want the 3 just written", n, err)
	}
}

// After a restart every pooled connection is dead; a transaction still begins (on a
// new one), as DB.BeginTx would.
func TestBeginAfterRestart(t *testing.T) {
	db := testdb.Open(t, "postgres")
	ctx := context.Background()
	s := New(db)
	// Four idle connections in the pool.
	var conns []*stdsql.Conn
	for range 4 {
		c, err := db.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	if err := killBackends(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	var one int
	err := s.withTx(ctx, func(q queries) error { return q.tx.QueryRowContext(ctx, "SELECT 1").Scan(&one) })
	if err != nil || one != 1 {
		t.Fatalf("a transaction after a restart: %v", err)
	}
}
