// Command migrategen writes a versioned migration for each dialect from the difference
// between ent/schema and the migrations already committed (replayed on a throw-away dev
// database), or with -check fails when the schema has changes no migration holds.
//
//	go run ./cmd/migrategen -name add_accounts
//	go run ./cmd/migrategen -check
//	go run ./cmd/migrategen -rehash   (after adding data statements to a new migration by hand)
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/furrowhq/furrow/ent/migrate"

	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"
)

func main() {
	name := flag.String("name", "", "name of the new migration (letters, digits, underscores)")
	check := flag.Bool("check", false, "fail if ent/schema has changes that no migration holds; write nothing")
	dir := flag.String("dir", "ent/migrate/migrations", "migrations folder (one subfolder per dialect)")
	pgURL := flag.String("dev-postgres", envOr("FURROW_DEV_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=10"),
		"PostgreSQL server on which a throw-away dev database is created")
	rehashOnly := flag.Bool("rehash", false, "rewrite each dialect's atlas.sum after a migration was edited by hand; write nothing else")
	flag.Parse()
	if *rehashOnly {
		for _, d := range []string{dialect.SQLite, dialect.Postgres} {
			if err := rehash(filepath.Join(*dir, folder(d))); err != nil {
				log.Fatalf("migrategen: %s: %v", d, err)
			}
		}
		return
	}
	if !*check && *name == "" {
		log.Fatal("migrategen: -name or -check is required")
	}
	if *check {
		*name = "check"
	}
	ctx := context.Background()
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		target := filepath.Join(*dir, folder(d))
		out := target
		if *check {
			tmp, err := os.MkdirTemp("", "migrategen-check-")
			if err != nil {
				log.Fatal(err)
			}
			defer os.RemoveAll(tmp)
			if err := copyDir(target, tmp); err != nil {
				log.Fatal(err)
			}
			out = tmp
		}
		wrote, err := generate(ctx, d, out, *name, *pgURL)
		if err != nil {
			log.Fatalf("migrategen: %s: %v", d, err)
		}
		switch {
		case *check && len(wrote) > 0:
			content, _ := os.ReadFile(filepath.Join(out, wrote[0]))
			log.Fatalf("migrategen: ent/schema has changes that no %s migration holds; run `make migration NAME=...`:\n%s", d, content)
		case *check:
			fmt.Printf("%s: migrations match ent/schema\n", d)
		case len(wrote) == 0:
			fmt.Printf("%s: no changes\n", d)
		default:
			fmt.Printf("%s: wrote %s\n", d, strings.Join(wrote, ", "))
		}
	}
}

// generate diffs ent/schema against the migrations in dir replayed on a fresh dev
// database of dialect d, writes the difference as a goose file, and returns the names of
// the new files.
func generate(ctx context.Context, d, dir, name, pgURL string) ([]string, error) {
	before, err := sqlFiles(dir)
	if err != nil {
		return nil, err
	}
	db, cleanup, err := devDB(ctx, d, pgURL)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	gdir, err := sqltool.NewGooseDir(dir)
	if err != nil {
		return nil, err
	}
	err = migrate.NewSchema(entsql.OpenDB(d, db)).NamedDiff(ctx, name,
		schema.WithDir(gdir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(sqltool.GooseFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil && !errors.Is(err, atlasmigrate.ErrNoPlan) {
		return nil, err
	}
	after, err := sqlFiles(dir)
	if err != nil {
		return nil, err
	}
	var added []string
	for f := range after {
		if !before[f] {
			added = append(added, f)
		}
	}
	if d == dialect.SQLite && len(added) > 0 {
		if err := markNoTransaction(dir, added); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// markNoTransaction marks SQLite table rebuilds `-- +goose NO TRANSACTION`: atlas turns
// foreign keys off around a rebuild, which SQLite ignores inside a transaction.
func markNoTransaction(dir string, files []string) error {
	changed := false
	for _, f := range files {
		p := filepath.Join(dir, f)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, []byte("PRAGMA foreign_keys = off")) || bytes.Contains(b, []byte("+goose NO TRANSACTION")) {
			continue
		}
		if err := os.WriteFile(p, append([]byte("-- +goose NO TRANSACTION\n"), b...), 0o644); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return rehash(dir)
}

// rehash rewrites dir's atlas.sum from its files.
func rehash(dir string) error {
	ld, err := atlasmigrate.NewLocalDir(dir)
	if err != nil {
		return err
	}
	sum, err := ld.Checksum()
	if err != nil {
		return err
	}
	return atlasmigrate.WriteSumFile(ld, sum)
}

func devDB(ctx context.Context, d, pgURL string) (*sql.DB, func(), error) {
	if d == dialect.SQLite {
		tmp, err := os.MkdirTemp("", "migrategen-")
		if err != nil {
			return nil, nil, err
		}
		db, err := sql.Open("sqlite", "file:"+filepath.Join(tmp, "dev.db")+"?_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close(); os.RemoveAll(tmp) }, nil
	}
	admin, err := sql.Open("postgres", pgURL)
	if err != nil {
		return nil, nil, err
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("PostgreSQL dev server (-dev-postgres / FURROW_DEV_DATABASE_URL) unreachable: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "furrow_migrategen_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, nil, err
	}
	u, _ := url.Parse(pgURL)
	u.Path = "/" + name
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return nil, nil, err
	}
	return db, func() {
		db.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}, nil
}

func sqlFiles(dir string) (map[string]bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	m := map[string]bool{}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".sql") {
			m[e.Name()] = true
		}
	}
	return m, nil
}

func copyDir(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// folder mirrors migrations.Folder, which this command cannot import: that package
// embeds the files this command writes, and does not compile before they exist.
func folder(d string) string {
	if d == dialect.SQLite {
		return "sqlite"
	}
	return d
}
