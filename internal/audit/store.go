package audit

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/page"
)

// Store persists audit data. Every write of a use case happens in one WithAuditTx call.
type Store interface {
	WithAuditTx(ctx context.Context, fn func(tx Tx) error) error
	Reader
}

// CaseFilter narrows ListCases; empty fields do not filter.
type CaseFilter struct {
	State, Department, Standard, Source, Severity, Auditor string
	Account                                                *uuid.UUID
	GreenChannel                                           *bool
	OverdueAt                                              *time.Time // only cases past their deadline at this moment
}

// Reader reads audit data. Missing rows are ErrNotFound.
type Reader interface {
	GetAuditDepartment(ctx context.Context, id string) (*Department, error)
	ListAuditDepartments(ctx context.Context) ([]*Department, error)
	GetAuditStandard(ctx context.Context, id string) (*Standard, error)
	ListAuditStandards(ctx context.Context) ([]*Standard, error)
	GetAuditPolicy(ctx context.Context) (*Policy, error)
	GetAuditCase(ctx context.Context, id uuid.UUID) (*Case, error)
	// ListCases lists cases, newest first.
	ListAuditCases(ctx context.Context, f CaseFilter, size int, after *page.Cursor) ([]*Case, *page.Cursor, error)
	// Events returns a case's timeline, oldest first.
	AuditEvents(ctx context.Context, id uuid.UUID) ([]Event, error)
	// ListAuditEvents returns a page of a case's timeline, oldest first.
	ListAuditEvents(ctx context.Context, id uuid.UUID, size int, after *page.Cursor) ([]Event, *page.Cursor, error)
	// ReportAuditCases returns the cases of live accounts that have an OPENED or
	// STATE_CHANGED event in [start, end), and those open or being investigated now.
	ReportAuditCases(ctx context.Context, start, end time.Time) ([]*Case, error)
	// AuditEventsOf returns the timelines of the cases before until, oldest first.
	AuditEventsOf(ctx context.Context, ids []uuid.UUID, until time.Time) (map[uuid.UUID][]Event, error)
	// AuditSuccessor returns the case opened to continue id (a reopen after the grace
	// window), or nil.
	AuditSuccessor(ctx context.Context, id uuid.UUID) (*uuid.UUID, error)
	// AuditAccountExists reports whether a live account has the id.
	AuditAccountExists(ctx context.Context, id uuid.UUID) (bool, error)
}

// Tx is an audit transaction.
type Tx interface {
	Reader
	SaveAuditDepartment(ctx context.Context, d *Department, create bool) error
	SaveAuditStandard(ctx context.Context, s *Standard, create bool) error
	SaveAuditPolicy(ctx context.Context, p *Policy) error
	InsertAuditCase(ctx context.Context, c *Case) error
	// LockCase returns a case locked until commit.
	LockAuditCase(ctx context.Context, id uuid.UUID) (*Case, error)
	UpdateAuditCase(ctx context.Context, c *Case) error
	AppendAuditEvents(ctx context.Context, es []Event) error
	// OpenWarningCase returns the account's newest case from source that is not closed
	// and opened at or after since, or ErrNotFound. It serialises callers per account.
	OpenWarningAuditCase(ctx context.Context, account uuid.UUID, source string, since time.Time) (*Case, error)
	// LiveAuditCaseIDs returns the ids of the cases open or being investigated that f
	// selects.
	LiveAuditCaseIDs(ctx context.Context, f LiveCases) ([]uuid.UUID, error)
	RecordActivity(ctx context.Context, e activity.Entry) error
}

// LiveCases selects, among the cases open or being investigated, those whose deadline
// a configuration change may move. Set one field.
type LiveCases struct {
	Department   string // owned by the department now or before (a reassignment away)
	Standard     string // raised against the standard
	GreenChannel bool   // on the green channel
}
