// Package store persists the customer archive with ent, on SQLite or PostgreSQL. It
// implements the Store interfaces the domain packages declare, maps ent and driver
// errors to the domain's errors, and converts between ent rows and domain values.
package store

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"

	"github.com/furrowhq/furrow/ent"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
)

// Store is the ent-backed store.
type Store struct {
	queries
	client *ent.Client
	db     *stdsql.DB
}

// queries are the reads and writes shared by the store and its transactions.
type queries struct {
	c       *ent.Client
	dialect string
	// tx is the transaction c runs in (nil outside one), for what ent cannot send:
	// PostgreSQL's COPY.
	tx *stdsql.Tx
}

// New returns a Store over db.
func New(db *database.DB) *Store {
	client := ent.NewClient(ent.Driver(entsql.OpenDB(db.Dialect, db.DB)))
	return &Store{queries: queries{c: client, dialect: db.Dialect}, client: client, db: db.DB}
}

// Client returns the ent client, for tools (seed, benchmarks) that write in bulk.
func (s *Store) Client() *ent.Client { return s.client }

var _ account.Store = (*Store)(nil)

// WithTx runs fn in a transaction; it is rolled back when fn fails or panics.
func (s *Store) WithTx(ctx context.Context, fn func(tx account.Tx) error) error {
	return s.withTx(ctx, func(q queries) error { return fn(&txQueries{q}) })
}

// withTx runs fn in a database/sql transaction, with an ent client over it (ent's own
// transactions hide the *sql.Tx, which COPY needs).
func (s *Store) withTx(ctx context.Context, fn func(q queries) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(fmt.Errorf("begin transaction: %w", err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	client := ent.NewClient(ent.Driver(txDriver{entsql.NewDriver(s.dialect, entsql.Conn{ExecQuerier: tx})}))
	if err := fn(queries{c: client, dialect: s.dialect, tx: tx}); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// txDriver is an ent driver over a transaction the store began. ent's own nested
// transactions (an update with edges) join it, as they join an ent transaction.
type txDriver struct{ *entsql.Driver }

// Tx implements dialect.Driver.
func (d txDriver) Tx(context.Context) (dialect.Tx, error) { return nestedTx(d), nil }

// nestedTx leaves commit and rollback to the store's transaction.
type nestedTx struct{ *entsql.Driver }

func (nestedTx) Commit() error   { return nil }
func (nestedTx) Rollback() error { return nil }

// txQueries are queries inside a transaction.
type txQueries struct{ queries }

var _ account.Tx = (*txQueries)(nil)

// mapErr turns ent's and the drivers' errors into the domain's.
func mapErr(err error) error {
	var sqliteErr interface{ Code() int }
	var pqErr *pq.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &sqliteErr) && (sqliteErr.Code()&0xff == sqliteBusy || sqliteErr.Code()&0xff == sqliteLocked):
		// Another writer held the database past busy_timeout: retryable, not our bug.
		return &failure.Error{Kind: failure.Unavailable, Msg: "the database is busy; retry shortly", Reason: "DATABASE_BUSY"}
	case errors.As(err, &pqErr) && (pqErr.Code == "40001" || pqErr.Code == "40P01"):
		return &failure.Error{Kind: failure.Aborted, Msg: "a concurrent change conflicted with this one; retry", Reason: "CONCURRENT_CHANGE"}
	case ent.IsNotFound(err):
		return fmt.Errorf("%w: %v", account.ErrNotFound, err)
	case ent.IsConstraintError(err):
		return fmt.Errorf("%w: %v", account.ErrUnique, err)
	}
	return err
}

// SQLite result codes (the low byte of extended codes).
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

func (q queries) postgres() bool { return q.dialect == dialect.Postgres }
