package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/furrowhq/furrow/internal/testdb"
)

// The statement cache prepares in the background, so a transaction holding the only
// free connection is never left waiting for a second one; a full cache starts over.
func TestStmtCache(t *testing.T) {
	db := testdb.Open(t, "postgres")
	db.SetMaxOpenConns(1)
	s := New(db)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const query = "SELECT $1::int + 1"
	err := s.withTx(ctx, func(q queries) error {
		rows, err := q.hotQuery(ctx, query, 41) // not prepared yet: sent as it is
		if err != nil {
			return err
		}
		defer rows.Close()
		var n int
		if !rows.Next() {
			return fmt.Errorf("no row: %v", rows.Err())
		}
		if err := rows.Scan(&n); err != nil || n != 42 {
			return fmt.Errorf("got %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("a query in a transaction on a one-connection pool: %v", err)
	}
	for s.stmts.stmt(query) == nil { // prepared once the connection is free
		if ctx.Err() != nil {
			t.Fatal("never prepared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	err = s.withTx(ctx, func(q queries) error {
		var n int
		rows, err := q.hotQuery(ctx, query, 1)
		if err != nil {
			return err
		}
		defer rows.Close()
		rows.Next()
		if err := rows.Scan(&n); err != nil || n != 2 {
			return fmt.Errorf("prepared: got %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxStmts {
		s.stmts.prepare(fmt.Sprintf("SELECT %d", i))
	}
	s.stmts.mu.Lock()
	n := len(s.stmts.m)
	s.stmts.mu.Unlock()
	if n != 1 {
		t.Errorf("after %d more statements the cache holds %d, want 1 (a full cache starts over)", maxStmts, n)
	}
}
