package retention

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/page"
)

// Store persists retention data. Every write of a use case happens in one
// WithRetentionTx call.
type Store interface {
	WithRetentionTx(ctx context.Context, fn func(tx Tx) error) error
	Reader
}

// AlertFilter narrows ListAlerts; empty fields do not filter.
type AlertFilter struct {
	Owner      string
	Unassigned bool // only alerts of accounts that had no owner
	State      string
	Account    *uuid.UUID
	DueBefore  *time.Time
}

// Reader reads retention data. Missing rows are ErrNotFound.
type Reader interface {
	GetPolicy(ctx context.Context) (*Policy, error)
	GetState(ctx context.Context, account uuid.UUID) (*State, error)
	// ListStates lists current labels in account id order ("" label: all).
	ListStates(ctx context.Context, label string, size int, after *page.Cursor) ([]*State, *page.Cursor, error)
	// ListChanges lists an account's label changes, newest first.
	ListChanges(ctx context.Context, account uuid.UUID, size int, after *page.Cursor) ([]*Change, *page.Cursor, error)
	GetAlert(ctx context.Context, id uuid.UUID) (*Alert, error)
	// ListAlerts lists alerts by due time, soonest first.
	ListAlerts(ctx context.Context, f AlertFilter, size int, after *page.Cursor) ([]*Alert, *page.Cursor, error)
	// LiveAccounts returns up to limit live accounts after after (nil: from the
	// start), in id order.
	LiveAccounts(ctx context.Context, after *uuid.UUID, limit int) ([]uuid.UUID, error)
	// AccountExists reports whether a live account has the id.
	AccountExists(ctx context.Context, id uuid.UUID) (bool, error)
}

// Tx is a retention transaction.
type Tx interface {
	Reader
	// InsertPolicy stores p unless a policy exists; SavePolicy replaces it when its
	// revision is still revision (else ErrStale).
	InsertPolicy(ctx context.Context, p *Policy) error
	SavePolicy(ctx context.Context, p *Policy, revision int64) error
	// Facts reads what the rules need about the accounts at t.
	Facts(ctx context.Context, ids []uuid.UUID, t time.Time, measures []string) (map[uuid.UUID]*Facts, error)
	// LockStates returns the accounts' current states, locked until commit.
	LockStates(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*State, error)
	SaveState(ctx context.Context, s *State) error
	InsertChange(ctx context.Context, c *Change) error
	InsertAlert(ctx context.Context, a *Alert) error
	// OpenAlert returns the account's alert that is not closed, or ErrNotFound.
	OpenAlert(ctx context.Context, account uuid.UUID) (*Alert, error)
	LockAlert(ctx context.Context, id uuid.UUID) (*Alert, error)
	UpdateAlert(ctx context.Context, a *Alert) error
	// ExpiredManual returns up to limit accounts whose manual label expired by t.
	ExpiredManual(ctx context.Context, t time.Time, limit int) ([]uuid.UUID, error)
	// FollowInputs returns the accounts whose rule inputs changed in the activity log
	// (the account, its deals, interactions, signals, survey responses) after the named
	// cursor, and moves it; nil when the log was read to its end.
	FollowInputs(ctx context.Context, name string, limit int) ([]uuid.UUID, error)
	LockCursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, position int64) error
	RecordActivity(ctx context.Context, e activity.Entry) error
}
