// Package store persists the customer archive with ent, on SQLite or PostgreSQL. It
// implements the Store interfaces the domain packages declare, maps ent and driver
// errors to the domain's errors, and converts between ent rows and domain values.
package store

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
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
	// prepared statements; conn is its connection, for COPY's data (copyRows).
	tx    *stdsql.Tx
	conn  *stdsql.Conn
	stmts *stmtCache
	names *nameCache
}

// New returns a Store over db.
func New(db *database.DB) *Store {
	client := ent.NewClient(ent.Driver(entsql.OpenDB(db.Dialect, db.DB)))
	stmts := &stmtCache{db: db.DB, m: map[string]*stdsql.Stmt{}, pending: map[string]bool{}}
	names := &nameCache{m: map[versionKey][]measureName{}}
	return &Store{queries: queries{c: client, dialect: db.Dialect, stmts: stmts, names: names}, client: client, db: db.DB}
}

// Client returns the ent client, for tools (seed, benchmarks) that write in bulk.
func (s *Store) Client() *ent.Client { return s.client }

var _ account.Store = (*Store)(nil)

// WithTx runs fn in a transaction; it is rolled back when fn fails or panics.
func (s *Store) WithTx(ctx context.Context, fn func(tx account.Tx) error) error {
	return s.withTx(ctx, func(q queries) error { return fn(&txQueries{q}) })
}

// withTx runs fn in a database/sql transaction, with an ent client over it (ent's own
// transactions hide the *sql.Tx and its connection, which COPY needs).
func (s *Store) withTx(ctx context.Context, fn func(q queries) error) (err error) {
	conn, tx, err := s.begin(ctx)
	if err != nil {
		return mapErr(fmt.Errorf("begin transaction: %w", err))
	}
	defer conn.Close() // back to the pool once the transaction ended
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	client := ent.NewClient(ent.Driver(txDriver{entsql.NewDriver(s.dialect, entsql.Conn{ExecQuerier: tx})}))
	if err := fn(queries{c: client, dialect: s.dialect, tx: tx, conn: conn, stmts: s.stmts, names: s.names}); err != nil {
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

// begin takes a connection and begins a transaction on it. After a server restart
// the pool's idle connections are dead, and BEGIN fails on each, which discards it;
// unlike DB.BeginTx, Conn.BeginTx does not then try another. So begin does, while
// idle connections that may all be stale remain.
func (s *Store) begin(ctx context.Context) (*stdsql.Conn, *stdsql.Tx, error) {
	stale := s.db.Stats().Idle
	for attempt := 0; ; attempt++ {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err == nil {
			return conn, tx, nil
		}
		_ = conn.Close()
		if !lostConn(err) || attempt >= stale || ctx.Err() != nil {
			return nil, nil, err
		}
	}
}

// lostConn reports whether err says the connection is gone: lib/pq reports that as
// driver.ErrBadConn, the socket's error, or the server's fatal error (a terminated
// backend), and discards the connection in each case.
func lostConn(err error) bool {
	var netErr net.Error
	var pqErr *pq.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &netErr) || errors.As(err, &pqErr) && pqErr.Fatal()
}

// stmtCache holds the statements a recompute sends every batch, prepared: database/sql
// prepares each once per connection, and PostgreSQL then parses it once and plans it
// once when a generic plan is as good (parsing and planning were a tenth of the
// server's time for a recompute that found nothing changed).
type stmtCache struct {
	db      *stdsql.DB
	mu      sync.Mutex
	m       map[string]*stdsql.Stmt
	pending map[string]bool
}

// maxStmts bounds the cache: statements are per scorecard plan and job filter, which
// change rarely; a full cache starts over.
const maxStmts = 64

// stmt returns query prepared, or nil when it is not yet. A statement is prepared in
// the background, on a connection of its own: a caller inside a transaction already
// holds one, and waiting for a second could wait forever with every connection held
// by such callers.
func (c *stmtCache) stmt(query string) *stdsql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if !c.pending[query] {
		c.pending[query] = true
		go c.prepare(query)
	}
	return nil
}

func (c *stmtCache) prepare(query string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := c.db.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		// Sent unprepared meanwhile; tried again in a minute, not on every call.
		time.AfterFunc(time.Minute, func() { c.mu.Lock(); delete(c.pending, query); c.mu.Unlock() })
		return
	}
	delete(c.pending, query)
	if len(c.m) >= maxStmts {
		for q, old := range c.m {
			delete(c.m, q)
			// Closed later: a caller may have just taken it from the cache. (A statement
			// a transaction uses is closed when the transaction ends.)
			time.AfterFunc(time.Minute, func() { _ = old.Close() })
		}
	}
	c.m[query] = st
}

// nameCache holds scorecard versions' measure names (queries.measureNames).
type nameCache struct {
	mu sync.Mutex
	m  map[versionKey][]measureName
}

type versionKey struct {
	id      uuid.UUID
	version int
}

// maxVersions bounds the cache; a full cache starts over.
const maxVersions = 1024

func (c *nameCache) get(k versionKey) ([]measureName, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	names, ok := c.m[k]
	return names, ok
}

func (c *nameCache) put(k versionKey, names []measureName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxVersions {
		clear(c.m)
	}
	c.m[k] = names
}

// hotQuery runs a query every scoring batch sends: prepared on PostgreSQL once the
// cache has it. (SQLite's statements differ in their number of placeholders, and
// parsing is cheap there.)
func (q queries) hotQuery(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	if !q.postgres() || q.stmts == nil {
		return q.c.QueryContext(ctx, query, args...)
	}
	st := q.stmts.stmt(query)
	switch {
	case st == nil:
		return q.c.QueryContext(ctx, query, args...)
	case q.tx != nil:
		st = q.tx.StmtContext(ctx, st) // closed with the transaction
	}
	return st.QueryContext(ctx, args...)
}

// txDriver is an ent driver over a transaction the store began. ent's own nested
// transactions (an update with edges) join it, as they join an ent transaction. (So
// would a client.Tx call, which an ent transaction refuses; the store makes none.)
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
