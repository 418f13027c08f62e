package survey

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/page"
)

// Store persists survey data. Every write of a use case happens in one WithSurveyTx
// call.
type Store interface {
	WithSurveyTx(ctx context.Context, fn func(tx Tx) error) error
	Reader
}

// AccountInfo is what checking a caller's access to an account needs.
type AccountInfo struct {
	Deleted  bool
	Partners []string // partners the account is linked to
}

// Reader reads survey data. Missing rows are ErrNotFound.
type Reader interface {
	// SurveyAccounts returns the accounts that exist among ids (deleted ones too).
	SurveyAccounts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]AccountInfo, error)
	GetResponse(ctx context.Context, account, id uuid.UUID) (*Response, error)
	// ListResponses lists an account's responses (of kind, when set), newest first.
	ListResponses(ctx context.Context, account uuid.UUID, kind string, size int, after *page.Cursor) ([]*Response, *page.Cursor, error)
	// ResponseCounts counts the non-excluded responses of live accounts in seg with
	// times in [from, to), by kind and score.
	ResponseCounts(ctx context.Context, from, to time.Time, seg Segment) (Counts, error)
	// ContactAccounts returns the account of each contact that exists among ids.
	ContactAccounts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error)
	// LastSurveyed returns when the contact and when any contact of the account was
	// last surveyed (invited, or answered NPS or CSAT); nil when never.
	LastSurveyed(ctx context.Context, account, contact uuid.UUID) (contactLast, accountLast *time.Time, err error)
}

// Tx is a survey transaction.
type Tx interface {
	Reader
	// InsertResponses stores the responses whose (account, source, response_id) is
	// new and returns how many it stored.
	InsertResponses(ctx context.Context, rs []*Response) (int, error)
	// ResponsesByKey returns the stored responses with the keys of rs.
	ResponsesByKey(ctx context.Context, rs []*Response) ([]*Response, error)
	SetExclusion(ctx context.Context, account, id uuid.UUID, e *Exclusion) error
	// LockSurveys serialises invitations to one account's contacts until commit.
	LockSurveys(ctx context.Context, account uuid.UUID) error
	InvitationByID(ctx context.Context, account uuid.UUID, invitationID string) (*Invitation, error)
	InsertInvitation(ctx context.Context, inv *Invitation) error
	RecordActivity(ctx context.Context, e activity.Entry) error
}
