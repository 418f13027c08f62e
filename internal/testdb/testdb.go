// Package testdb gives tests real databases with the committed migrations applied: a
// temporary SQLite file, and a fresh PostgreSQL database created for the test and
// dropped after it.
//
// PostgreSQL is found at FURROW_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable): a server where the role
// may create databases. If it cannot be reached, tests fail with a message saying so;
// they never skip silently.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	_ "github.com/lib/pq" // PostgreSQL driver

	"github.com/furrowhq/furrow/internal/database"
)

// DefaultPostgresURL is where tests look for PostgreSQL unless FURROW_TEST_DATABASE_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Dialects are the databases every storage test runs on.
var Dialects = []string{dialect.SQLite, dialect.Postgres}

// PostgresAdminURL returns the URL of the PostgreSQL server tests use.
func PostgresAdminURL() string {
	if v := os.Getenv("FURROW_TEST_DATABASE_URL"); v != "" {
		return v
	}
	return DefaultPostgresURL
}

// URL returns the URL of a new, empty database of dialect d, removed when t ends.
func URL(t testing.TB, d string) string {
	t.Helper()
	if d == dialect.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "furrow.db")
	}
	admin := PostgresAdminURL()
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("testdb: PostgreSQL URL %q: %v", admin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("testdb: cannot reach PostgreSQL at %s: %v\n"+
			"Tests need a real PostgreSQL server: start it (.ci/run does) or point FURROW_TEST_DATABASE_URL at one.", admin, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "furrow_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("testdb: drop database %s: %v", name, err)
		}
		db.Close()
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// Open returns a migrated database of dialect d, closed and removed when t ends.
func Open(t testing.TB, d string) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, URL(t, d))
	if err != nil {
		t.Fatalf("testdb: open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("testdb: migrate %s: %v", d, err)
	}
	return db
}

// Each runs fn as a subtest on a fresh migrated database of every dialect.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(Name(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Name is a dialect's short name for subtests.
func Name(d string) string {
	if d == dialect.SQLite {
		return "sqlite"
	}
	return "postgres"
}
