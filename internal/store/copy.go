package store

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/google/uuid"
)

// copyRows writes n rows into table with PostgreSQL's COPY, row(i, w) appending row
// i's values in cols order. table and cols are the store's own names. The rows are
// formatted here, in COPY's text format, and handed to the driver in chunks: passing
// each row's values through database/sql (conversion, escaping, a lock per row) cost
// more than formatting them (a first recompute writes 200,000 rows).
func (q txQueries) copyRows(ctx context.Context, table string, cols []string, n int, row func(i int, w *copyWriter)) error {
	if q.conn == nil {
		return errors.New("store: COPY outside a transaction")
	}
	// Raw closes its connection when f panics or reports a bad connection, and that
	// close waits for the open transaction, which nothing would end: a panic is
	// carried out of Raw and raised after it, and a bad connection reported as a plain
	// error (the transaction's rollback then discards the connection).
	var panicked any
	err := q.conn.Raw(func(dc any) (err error) {
		defer func() {
			if p := recover(); p != nil {
				panicked, err = p, errors.New("store: COPY panicked")
			}
			if errors.Is(err, driver.ErrBadConn) {
				err = fmt.Errorf("store: COPY into %s: the connection was lost: %v", table, err)
			}
		}()
		return copyRaw(ctx, dc, table, cols, n, row)
	})
	if panicked != nil {
		panic(panicked)
	}
	return mapErr(err)
}

// copyRaw sends the COPY on the driver's connection dc.
func copyRaw(ctx context.Context, dc any, table string, cols []string, n int, row func(i int, w *copyWriter)) error {
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("store: the driver's connection (%T) cannot prepare COPY", dc)
	}
	st, err := pc.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return err
	}
	closed := false
	closeSt := func() error {
		if closed {
			return nil
		}
		closed = true
		return st.Close()
	}
	// A row that panics leaves the COPY open: it is ended, or the transaction's
	// rollback would talk over it (lib/pq reads the COPY's replies in the background).
	defer closeSt()
	cd, ok := st.(copyDataer)
	if !ok {
		return errors.Join(fmt.Errorf("store: the driver's statement (%T) cannot send COPY data", st), closeSt())
	}
	w := copyWriter{b: make([]byte, 0, copyChunk+4096)}
	send := func() error {
		if len(w.b) == 0 {
			return nil
		}
		// The driver ends each chunk with a newline. It copies the text before
		// returning, so the chunk is lent, not converted: a copy of 64 KiB per chunk
		// cost a first recompute 2 % of its Go time.
		_, err := cd.CopyData(ctx, unsafe.String(unsafe.SliceData(w.b), len(w.b)-1))
		w.b = w.b[:0]
		return err
	}
	for i := range n {
		row(i, &w)
		w.b = append(w.b, '\n')
		w.sep = false
		if len(w.b) >= copyChunk {
			if err := send(); err != nil {
				return errors.Join(err, closeSt())
			}
		}
	}
	if err := send(); err != nil {
		return errors.Join(err, closeSt())
	}
	if err := endCopy(ctx, st); err != nil {
		return errors.Join(err, closeSt())
	}
	return closeSt()
}

// endCopy executes st without arguments, which ends a COPY and reports any row's
// error.
func endCopy(ctx context.Context, st driver.Stmt) error {
	if ec, ok := st.(driver.StmtExecContext); ok {
		_, err := ec.ExecContext(ctx, nil)
		return err
	}
	//lint:ignore SA1019 lib/pq's COPY statement implements only Exec.
	_, err := st.Exec(nil)
	return err
}

// copyDataer is lib/pq's COPY statement: it takes rows already in COPY's text format.
// copyRaw lends it each chunk's bytes (unsafe.String): lib/pq (v1.12.3) appends the
// line to its own buffer before CopyData returns and keeps no reference to it. Check
// that again when upgrading lib/pq.
type copyDataer interface {
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// copyChunk is how much row text copyRows hands the driver at once.
const copyChunk = 64 << 10

// copyWriter appends one row's fields in COPY's text format (tab-separated, \N for
// NULL, backslash escapes).
type copyWriter struct {
	b   []byte
	sep bool // a field was written in this row
}

func (w *copyWriter) next() {
	if w.sep {
		w.b = append(w.b, '\t')
	}
	w.sep = true
}

func (w *copyWriter) null() { w.next(); w.b = append(w.b, `\N`...) }

func (w *copyWriter) uuid(id uuid.UUID) {
	w.next()
	var s [36]byte
	hex.Encode(s[:8], id[:4])
	s[8] = '-'
	hex.Encode(s[9:13], id[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], id[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], id[8:10])
	s[23] = '-'
	hex.Encode(s[24:], id[10:])
	w.b = append(w.b, s[:]...)
}

func (w *copyWriter) int(v int64) { w.next(); w.b = strconv.AppendInt(w.b, v, 10) }

// float writes f exactly (PostgreSQL reads the shortest form back bit for bit).
func (w *copyWriter) float(f float64) {
	w.next()
	switch {
	case math.IsInf(f, 1):
		w.b = append(w.b, "Infinity"...)
	case math.IsInf(f, -1):
		w.b = append(w.b, "-Infinity"...)
	default:
		w.b = appendFloat(w.b, f)
	}
}

func (w *copyWriter) bool(v bool) {
	w.next()
	if v {
		w.b = append(w.b, 't')
	} else {
		w.b = append(w.b, 'f')
	}
}

// time writes t in UTC at PostgreSQL's microsecond precision.
func (w *copyWriter) time(t time.Time) {
	w.next()
	w.b = t.UTC().AppendFormat(w.b, pgTimeLayout)
}

// pgTimeLayout is a time as PostgreSQL reads it, at microsecond precision.
const pgTimeLayout = "2006-01-02 15:04:05.999999Z07:00"

func (w *copyWriter) text(s string) { w.next(); w.b = appendCopyEscaped(w.b, s) }

// textBytes is text for bytes.
func (w *copyWriter) textBytes(s []byte) { w.next(); w.b = appendCopyEscaped(w.b, s) }

// raw writes s as it is: a value the caller formatted and escaped (see copyText).
func (w *copyWriter) raw(s string) { w.next(); w.b = append(w.b, s...) }

// sharedText is the COPY text of a value many rows share, made once.
type sharedText[T comparable] struct {
	k  T
	s  string
	ok bool
}

func (c *sharedText[T]) get(k T, format func(T) string) string {
	if !c.ok || c.k != k {
		c.k, c.s, c.ok = k, copyText(format(k)), true
	}
	return c.s
}

// copyText is s escaped for COPY, for a value many rows share (written with raw).
func copyText(s string) string { return string(appendCopyEscaped(nil, s)) }

// appendCopyEscaped appends s with COPY's text-format escapes.
func appendCopyEscaped[S string | []byte](b []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var e byte
		switch s[i] {
		case '\\':
			e = '\\'
		case '\n':
			e = 'n'
		case '\r':
			e = 'r'
		case '\t':
			e = 't'
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, '\\', e)
		start = i + 1
	}
	return append(b, s[start:]...)
}
