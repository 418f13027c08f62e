// Package database opens Furrow's database (embedded SQLite or PostgreSQL) and applies
// the committed migrations.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/pressly/goose/v3"

	"github.com/furrowhq/furrow/ent/migrate/migrations"

	_ "github.com/lib/pq"  // registers "postgres"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// DefaultURL is the zero-setup database: an SQLite file in the working directory.
const DefaultURL = "sqlite:furrow.db"

// DB is an open database and its ent dialect.
type DB struct {
	*sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
}

// Open opens rawURL: `postgres://...` (or `postgresql://`) for PostgreSQL through lib/pq,
// `sqlite:PATH` or `file:PATH` for SQLite. An empty URL means DefaultURL.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	var (
		driver, dsn, d string
	)
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("database url: %w", err)
		}
		q := u.Query()
		// lib/pq otherwise waits forever for an unreachable server.
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", "10")
		}
		// Dates and timestamps compare in UTC whatever the server's default zone is.
		if q.Get("timezone") == "" {
			q.Set("timezone", "UTC")
		}
		u.RawQuery = q.Encode()
		driver, dsn, d = "postgres", u.String(), dialect.Postgres
	case strings.HasPrefix(rawURL, "sqlite:"), strings.HasPrefix(rawURL, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
		if path == "" {
			return nil, errors.New("database url: sqlite: needs a file path, e.g. sqlite:furrow.db")
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		// Foreign keys are off by default in SQLite; WAL lets readers run beside the
		// writer; busy_timeout makes concurrent writers wait instead of failing.
		dsn = "file:" + path + sep +
			"_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_time_format=sqlite&_txlock=immediate"
		if !strings.Contains(path, "busy_timeout") {
			dsn += "&_pragma=busy_timeout(10000)"
		}
		driver, d = "sqlite", dialect.SQLite
	default:
		return nil, fmt.Errorf("database url %q: want postgres://... or sqlite:PATH", redact(rawURL))
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if d == dialect.Postgres {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// WAL readers never wait for the writer; writers queue on busy_timeout. The pool
		// is large enough that queued writers do not starve readers of connections.
		db.SetMaxOpenConns(16)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", d, redact(rawURL), err)
	}
	return &DB{DB: db, Dialect: d}, nil
}

// Migrate applies the committed migrations that db has not applied yet and returns how
// many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("apply migrations: %w", err)
	}
	return len(res), nil
}

// MigrateTo brings db to migration version (a migration file's number): up, applying
// the migrations to it, or down, reverting those after it. Tests of a data migration
// start from the schema before it, and check its way back.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	at, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("migration version: %w", err)
	}
	if at > version {
		if _, err := p.DownTo(ctx, version); err != nil {
			return fmt.Errorf("revert migrations down to %d: %w", version, err)
		}
		return nil
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("apply migrations up to %d: %w", version, err)
	}
	return nil
}

// Pending returns how many committed migrations db has not applied.
func (db *DB) Pending(ctx context.Context) (int, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("migration status: %w", err)
	}
	n := 0
	for _, s := range st {
		if s.State == goose.StatePending {
			n++
		}
	}
	return n, nil
}

func (db *DB) migrator() (*goose.Provider, error) {
	gd := goose.DialectSQLite3
	if db.Dialect == dialect.Postgres {
		gd = goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations.FS, migrations.Folder(db.Dialect))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gd, db.DB, sub)
}

// redact hides a password in a database URL for messages and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
