package main

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/lib/pq"

	"github.com/furrowhq/furrow/internal/database"
)

// With -sync-sql the partner-sync server's database handle counts and times every
// statement it sends, by statement shape, so the report can say how many statements a
// record costs and where the wall time goes. The wrapper sits between database/sql and
// lib/pq and passes everything through: the server sends the same messages as without
// it. Times are wall times seen by the server's driver (round trips, PostgreSQL's
// execution and reading the rows), so with one client they add up to most of a pass.

// pqConn is what lib/pq's connections implement, all of which the wrapper passes on.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// pqRows is what lib/pq's result sets implement.
type pqRows interface {
	driver.Rows
	driver.RowsNextResultSet
	driver.RowsColumnTypeScanType
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypePrecisionScale
}

// stmtStat is the count and total wall time of one statement shape.
type stmtStat struct {
	calls int64
	time  time.Duration
}

// sqlTrace is what a tracer saw between two resets.
type sqlTrace struct {
	stats map[string]stmtStat
}

// tracer collects statement statistics from every connection of a pool.
type tracer struct {
	mu    sync.Mutex
	stats map[string]stmtStat
	keys  sync.Map // statement text → shape, computed once per distinct text
}

func (t *tracer) add(shape string, d time.Duration) { t.record(shape, 1, d) }

// addTime adds d to shape's time without counting a call (reading rows).
func (t *tracer) addTime(shape string, d time.Duration) { t.record(shape, 0, d) }

func (t *tracer) record(shape string, calls int64, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stats == nil {
		t.stats = map[string]stmtStat{}
	}
	s := t.stats[shape]
	s.calls += calls
	s.time += d
	t.stats[shape] = s
}

func (t *tracer) reset() {
	t.mu.Lock()
	t.stats = map[string]stmtStat{}
	t.mu.Unlock()
}

func (t *tracer) snapshot() *sqlTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := &sqlTrace{stats: make(map[string]stmtStat, len(t.stats))}
	for k, v := range t.stats {
		out.stats[k] = v
	}
	return out
}

var (
	reParam    = regexp.MustCompile(`\$\d+`)
	reNumber   = regexp.MustCompile(`\b\d+\b|_\d+\b`)
	reInList   = regexp.MustCompile(`\((?:\?, )+\?\)`)
	reValues   = regexp.MustCompile(`VALUES .*?( RETURNING|$)`)
	reSelect   = regexp.MustCompile(`^SELECT .*? FROM `)
	reInsert   = regexp.MustCompile(`^INSERT INTO (\S+) \([^)]*\)`)
	reUpdate   = regexp.MustCompile(`^UPDATE (\S+) SET .*? WHERE `)
	reSpaces   = regexp.MustCompile(`\s+`)
	reCallName = regexp.MustCompile(`"[a-z_]+"\.`)
)

// shape returns a statement's shape: its text with parameters, numbers, value and IN
// lists and column lists elided, so every execution of one query in the code has the
// same shape whatever its arguments or row count.
func (t *tracer) shape(query string) string {
	if v, ok := t.keys.Load(query); ok {
		return v.(string)
	}
	s := reSpaces.ReplaceAllString(strings.TrimSpace(query), " ")
	s = reParam.ReplaceAllString(s, "?")
	s = reNumber.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "_") {
			return "_N"
		}
		return "N"
	})
	s = reInList.ReplaceAllString(s, "(…)")
	s = reValues.ReplaceAllString(s, "VALUES …$1")
	s = reSelect.ReplaceAllString(s, "SELECT … FROM ")
	s = reInsert.ReplaceAllString(s, "INSERT INTO $1 (…)")
	s = reUpdate.ReplaceAllString(s, "UPDATE $1 SET … WHERE ")
	s = reCallName.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, `"`, "")
	t.keys.Store(query, s)
	return s
}

// openTraced opens dbURL like database.Open does (lib/pq, time zone UTC, a 10 s
// connect timeout, 32 connections) with every statement going through t.
func openTraced(ctx context.Context, dbURL string, t *tracer) (*database.DB, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("connect_timeout", "10")
	q.Set("timezone", "UTC")
	u.RawQuery = q.Encode()
	c, err := pq.NewConnector(u.String())
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(tracedConnector{c: c, t: t})
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &database.DB{DB: db, Dialect: dialect.Postgres}, nil
}

type tracedConnector struct {
	c driver.Connector
	t *tracer
}

func (c tracedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := cn.(pqConn)
	if !ok {
		cn.Close()
		return nil, fmt.Errorf("bench: %T does not implement what lib/pq's connections do", cn)
	}
	return &tracedConn{pqConn: pc, t: c.t}, nil
}

func (c tracedConnector) Driver() driver.Driver { return c.c.Driver() }

type tracedConn struct {
	pqConn
	t *tracer
}

func (c *tracedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	t0 := time.Now()
	r, err := c.pqConn.ExecContext(ctx, query, args)
	c.t.add(c.t.shape(query), time.Since(t0))
	return r, err
}

func (c *tracedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	t0 := time.Now()
	r, err := c.pqConn.QueryContext(ctx, query, args)
	shape := c.t.shape(query)
	c.t.add(shape, time.Since(t0))
	if err != nil {
		return r, err
	}
	if pr, ok := r.(pqRows); ok {
		return &tracedRows{pqRows: pr, t: c.t, shape: shape}, nil
	}
	return r, nil
}

// PrepareContext traces prepared statements too: the store prepares the reads every
// recompute batch sends, and writes rows with COPY (a prepared statement that takes
// chunks of rows, then an Exec that ends it).
func (c *tracedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.pqConn.PrepareContext(ctx, query)
	if err != nil {
		return st, err
	}
	return &tracedStmt{Stmt: st, t: c.t, shape: c.t.shape(query)}, nil
}

type tracedStmt struct {
	driver.Stmt
	t     *tracer
	shape string
}

// values turns positional arguments into what a driver's pre-context methods take.
func values(args []driver.NamedValue) []driver.Value {
	vs := make([]driver.Value, len(args))
	for i, a := range args {
		vs[i] = a.Value
	}
	return vs
}

func (s *tracedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	t0 := time.Now()
	var r driver.Result
	var err error
	if ec, ok := s.Stmt.(driver.StmtExecContext); ok {
		r, err = ec.ExecContext(ctx, args)
	} else {
		//lint:ignore SA1019 lib/pq's COPY statement implements only Exec.
		r, err = s.Stmt.Exec(values(args))
	}
	s.t.add(s.shape, time.Since(t0))
	return r, err
}

// CopyData forwards the rows of a COPY (the store formats them itself); its time is
// the statement's.
func (s *tracedStmt) CopyData(ctx context.Context, line string) (driver.Result, error) {
	cd, ok := s.Stmt.(interface {
		CopyData(context.Context, string) (driver.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("bench: %T does not take COPY data", s.Stmt)
	}
	t0 := time.Now()
	r, err := cd.CopyData(ctx, line)
	s.t.add(s.shape, time.Since(t0))
	return r, err
}

func (s *tracedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	t0 := time.Now()
	var r driver.Rows
	var err error
	if qc, ok := s.Stmt.(driver.StmtQueryContext); ok {
		r, err = qc.QueryContext(ctx, args)
	} else {
		//lint:ignore SA1019 as Exec.
		r, err = s.Stmt.Query(values(args))
	}
	s.t.add(s.shape, time.Since(t0))
	if err != nil {
		return r, err
	}
	if pr, ok := r.(pqRows); ok {
		return &tracedRows{pqRows: pr, t: s.t, shape: s.shape}, nil
	}
	return r, nil
}

func (c *tracedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	t0 := time.Now()
	tx, err := c.pqConn.BeginTx(ctx, opts)
	c.t.add("BEGIN", time.Since(t0))
	if err != nil {
		return tx, err
	}
	return &tracedTx{Tx: tx, t: c.t}, nil
}

type tracedTx struct {
	driver.Tx
	t *tracer
}

func (tx *tracedTx) Commit() error {
	t0 := time.Now()
	err := tx.Tx.Commit()
	tx.t.add("COMMIT", time.Since(t0))
	return err
}

func (tx *tracedTx) Rollback() error {
	t0 := time.Now()
	err := tx.Tx.Rollback()
	tx.t.add("ROLLBACK", time.Since(t0))
	return err
}

// tracedRows adds the time spent reading rows to their statement's.
type tracedRows struct {
	pqRows
	t     *tracer
	shape string
	spent time.Duration
}

func (r *tracedRows) Next(dest []driver.Value) error {
	t0 := time.Now()
	err := r.pqRows.Next(dest)
	r.spent += time.Since(t0)
	return err
}

func (r *tracedRows) Close() error {
	t0 := time.Now()
	err := r.pqRows.Close()
	r.t.addTime(r.shape, r.spent+time.Since(t0))
	return err
}

// print writes the statements, most time first, per record of a pass of records.
func (s *sqlTrace) print(w io.Writer, records int) {
	var calls int64
	var total time.Duration
	for _, v := range s.stats {
		calls += v.calls
		total += v.time
	}
	fmt.Fprintf(w, "  %8s %8s %8s %7s  %s\n", "calls", "per rec", "time", "avg", "statement")
	for _, k := range sortedKeys(s.stats, func(v stmtStat) int64 { return int64(v.time) }) {
		v := s.stats[k]
		if len(k) > 150 {
			k = k[:150] + "…"
		}
		fmt.Fprintf(w, "  %8d %8.2f %7.2fs %6.0fµs  %s\n", v.calls, float64(v.calls)/float64(records), v.time.Seconds(),
			float64(v.time)/float64(v.calls)/float64(time.Microsecond), k)
	}
	fmt.Fprintf(w, "  %8d %8.2f %7.2fs          total\n", calls, float64(calls)/float64(records), total.Seconds())
}

// sortedKeys returns m's keys ordered by by, descending.
func sortedKeys[K comparable, V any](m map[K]V, by func(V) int64) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b K) int { return cmp.Compare(by(m[b]), by(m[a])) })
	return keys
}
