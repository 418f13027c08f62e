package cases

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/page"
)

// Store is what the cases service needs from persistence.
type Store interface {
	WithCaseTx(ctx context.Context, fn func(tx Tx) error) error
	Reader
}

// Filter narrows ListCases.
type Filter struct {
	View            string      // ViewLatest or ViewPublished
	Query           []QueryTerm // full-text terms, all must match; nil: no search
	Industry        string      // list keys; "" does not filter
	ProblemCategory string
	Product         string
	Tag             string
	Account         *uuid.UUID
	State           string   // working state (ViewLatest)
	Scopes          []string // ViewPublished: acknowledgement scopes allowed; nil: any
	Now             time.Time
}

// ExpiredAck is a version whose acknowledgement expired.
type ExpiredAck struct {
	Case       uuid.UUID
	Version    int
	State      string
	ExpireTime time.Time
}

// Reader reads cases. Missing rows are ErrNotFound.
type Reader interface {
	// GetCase returns a case with its working and published versions.
	GetCase(ctx context.Context, id uuid.UUID) (*Case, error)
	// ListCases lists cases matching f: with a query by rank, best first (cursor: rank,
	// id), otherwise newest first (cursor: id); with their working and published
	// versions.
	ListCases(ctx context.Context, f Filter, size int, after *page.Cursor) ([]*Case, *page.Cursor, error)
	// ListCaseEvents lists a case's history, oldest first.
	ListCaseEvents(ctx context.Context, id uuid.UUID, size int, after *page.Cursor) ([]*Event, *page.Cursor, error)
	// ListTerms lists the entries of one admin-managed list in key order.
	ListTerms(ctx context.Context, kind string, size int, after *page.Cursor) ([]*Term, *page.Cursor, error)
	// MissingTerms returns the keys of kind that are not in its list.
	MissingTerms(ctx context.Context, kind string, keys []string) ([]string, error)
	// AccountExists reports whether a live account has the id.
	AccountExists(ctx context.Context, id uuid.UUID) (bool, error)
	// ContactAccount returns the account of a contact, or ErrNotFound.
	ContactAccount(ctx context.Context, contact uuid.UUID) (uuid.UUID, error)
	// LookupRequest returns the resource a create with (scope, requestID) made, or
	// ErrNotFound.
	LookupRequest(ctx context.Context, scope, requestID string) (uuid.UUID, error)
}

// Tx is a cases transaction.
type Tx interface {
	Reader
	// LockCase returns a case, locked until commit.
	LockCase(ctx context.Context, id uuid.UUID) (*Case, error)
	// InsertCase stores a new case row (its versions are inserted separately).
	InsertCase(ctx context.Context, c *Case) error
	// UpdateCase saves the case row when its revision is still prev (else ErrStale).
	UpdateCase(ctx context.Context, c *Case, prev int64) error
	// InsertVersion stores a new version with its terms and search document.
	InsertVersion(ctx context.Context, v *Version) error
	// SaveVersion replaces a version's content, terms and search document.
	SaveVersion(ctx context.Context, v *Version) error
	// RevokeAcknowledgements marks the acknowledgement of the versions revoked.
	RevokeAcknowledgements(ctx context.Context, versions []uuid.UUID, t time.Time, by, reason string) error
	InsertCaseEvent(ctx context.Context, e *Event) error
	// InsertCaseEventOnce inserts e unless an event with its id is stored already, and
	// reports whether it inserted it; never a unique-violation error.
	InsertCaseEventOnce(ctx context.Context, e *Event) (bool, error)
	// ExpiredAcknowledgements returns up to limit working or published versions whose
	// acknowledgement expired at or before t, is not revoked, and has no
	// ActionExpire history entry yet; on PostgreSQL their cases are locked, skipping
	// cases another transaction holds.
	ExpiredAcknowledgements(ctx context.Context, t time.Time, limit int) ([]ExpiredAck, error)
	InsertTerm(ctx context.Context, t *Term) error // ErrUnique when the key is taken
	// DeleteTerm removes an entry; ErrNotFound when there is none.
	DeleteTerm(ctx context.Context, kind, key string) error
	InsertRequest(ctx context.Context, scope, requestID string, resource uuid.UUID, t time.Time) error
	RecordActivity(ctx context.Context, e activity.Entry) error
}
