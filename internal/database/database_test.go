package database_test

import (
	"context"
	"strings"
	"testing"

	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/testdb"
)

// TestMigrations applies the committed migrations to an empty database of each dialect:
// the first run applies them all, the second applies nothing, and nothing is pending.
func TestMigrations(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := database.Open(ctx, testdb.URL(t, d))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Dialect != d {
				t.Errorf("dialect = %q, want %q", db.Dialect, d)
			}
			pending, err := db.Pending(ctx)
			if err != nil || pending == 0 {
				t.Fatalf("pending before = %d, %v", pending, err)
			}
			n, err := db.Migrate(ctx)
			if err != nil || n != pending {
				t.Fatalf("first migrate applied %d of %d: %v", n, pending, err)
			}
			n, err = db.Migrate(ctx)
			if err != nil || n != 0 {
				t.Fatalf("second migrate applied %d: %v", n, err)
			}
			if p, _ := db.Pending(ctx); p != 0 {
				t.Errorf("pending after = %d", p)
			}
			var count int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM accounts").Scan(&count); err != nil || count != 0 {
				t.Errorf("accounts table: %d, %v", count, err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ url, want string }{
		{"mysql://x", "want postgres://"},
		{"sqlite:", "needs a file path"},
		{"postgres://nobody:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=1", "xxxxx"},
	} {
		_, err := database.Open(ctx, c.url)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", c.url, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) leaks the password: %v", c.url, err)
		}
	}
}
