package store

import (
	"strconv"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/page"
)

// Lists in a fixed (time, id) order, newest or oldest first, page with a cursor of the
// last row's time and id: these helpers encode it, decode it and turn it into the
// predicate that resumes after it.

func timeIDCursor(c *page.Cursor) (time.Time, uuid.UUID, error) {
	if len(c.Keys) != 2 {
		return time.Time{}, uuid.Nil, account.ErrBadCursor
	}
	us, err := strconv.ParseInt(c.Keys[0], 10, 64)
	if err != nil {
		return time.Time{}, uuid.Nil, account.ErrBadCursor
	}
	id, err := uuid.Parse(c.Keys[1])
	if err != nil {
		return time.Time{}, uuid.Nil, account.ErrBadCursor
	}
	return time.UnixMicro(us).UTC(), id, nil
}

func newTimeIDCursor(t time.Time, id uuid.UUID) *page.Cursor {
	return &page.Cursor{Keys: []string{strconv.FormatInt(t.UnixMicro(), 10), id.String()}}
}

// afterTimeID returns the predicate for the rows after cursor c in (timeCol, idCol)
// order, descending when desc: a seek on the index, not an offset.
func afterTimeID(c *page.Cursor, timeCol, idCol string, desc bool) (func(*sql.Selector), error) {
	t, id, err := timeIDCursor(c)
	if err != nil {
		return nil, err
	}
	past := sql.GT
	if desc {
		past = sql.LT
	}
	return func(s *sql.Selector) {
		s.Where(sql.Or(past(s.C(timeCol), t), sql.And(sql.EQ(s.C(timeCol), t), past(s.C(idCol), id))))
	}, nil
}

// timeIDPage trims rows, read with one extra, to a page of size and returns the cursor
// of the next page (nil on the last).
func timeIDPage[T any](rows []T, size int, key func(T) (time.Time, uuid.UUID)) ([]T, *page.Cursor) {
	if len(rows) <= size {
		return rows, nil
	}
	rows = rows[:size]
	return rows, newTimeIDCursor(key(rows[size-1]))
}
