package account

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"

	"github.com/furrowhq/furrow/internal/page"
)

// Errors a Store returns; the service turns them into failures for callers.
var (
	ErrNotFound = errors.New("not found")
	// ErrStale means a row changed since it was read (its revision moved).
	ErrStale = errors.New("revision changed")
	// ErrUnique means a write broke a uniqueness constraint (a concurrent duplicate).
	ErrUnique = errors.New("unique constraint")
)

// Store persists the archive. Every write of a use case happens in one WithTx call.
type Store interface {
	// WithTx runs fn in a transaction, committed when fn returns nil.
	WithTx(ctx context.Context, fn func(tx Tx) error) error
	Reader
}

// Reader reads the archive (inside or outside a transaction).
type Reader interface {
	GetAccount(ctx context.Context, id uuid.UUID) (*Account, error)
	ListAccounts(ctx context.Context, p ListParams) ([]*Account, *page.Cursor, error)
	// FindDuplicate returns a live account other than a itself that a would duplicate:
	// same normalised tax id, same normalised domain, an external id in common, or, when
	// a has neither tax id nor domain, the same normalised name. ErrNotFound if none.
	FindDuplicate(ctx context.Context, a *Account) (*Account, error)
	ListOwnershipPeriods(ctx context.Context, account uuid.UUID, size int, after *page.Cursor) ([]*OwnershipPeriod, *page.Cursor, error)
	ListStageChanges(ctx context.Context, account uuid.UUID, size int, after *page.Cursor) ([]*StageChange, *page.Cursor, error)
	ListPrimaryContactChanges(ctx context.Context, account uuid.UUID, size int, after *page.Cursor) ([]*PrimaryContactChange, *page.Cursor, error)

	GetContact(ctx context.Context, account, id uuid.UUID) (*Contact, error)
	ListContacts(ctx context.Context, account uuid.UUID, p ListParams) ([]*Contact, *page.Cursor, error)
	CountContacts(ctx context.Context, account uuid.UUID) (int, error)

	GetDeal(ctx context.Context, account, id uuid.UUID) (*Deal, error)
	ListDeals(ctx context.Context, account uuid.UUID, p ListParams) ([]*Deal, *page.Cursor, error)
	// FirstDeal returns the account's earliest won deal by (close_date, id) other than
	// exclude, or ErrNotFound.
	FirstDeal(ctx context.Context, account, exclude uuid.UUID) (*Deal, error)

	GetInteraction(ctx context.Context, account, id uuid.UUID) (*Interaction, error)
	ListInteractions(ctx context.Context, account uuid.UUID, p ListParams) ([]*Interaction, *page.Cursor, error)

	// LookupRequest returns the resource a create with (scope, requestID) made, or ErrNotFound.
	LookupRequest(ctx context.Context, scope, requestID string) (uuid.UUID, error)

	// PartnerExists reports whether partner id exists.
	PartnerExists(ctx context.Context, id string) (bool, error)
	// GetAccounts returns the accounts with the given ids (missing ones are absent).
	GetAccounts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Account, error)
	// AccountChanges returns activity log entries after id after, oldest first, of the
	// accounts linked to partner.
	AccountChanges(ctx context.Context, partner string, after int64, limit int) ([]activity.Entry, error)
	// AccountsByExternalID returns the accounts linked to partner by the given external
	// ids, by external id (a live account rather than a deleted one).
	AccountsByExternalID(ctx context.Context, partner string, ids []string) (map[string]*Account, error)
	// SyncedChildren returns the contacts and deals with an external id of the given
	// accounts, by account and external id.
	SyncedChildren(ctx context.Context, accounts []uuid.UUID) (map[uuid.UUID]map[string]*Contact, map[uuid.UUID]map[string]*Deal, error)
	// CandidateDuplicates returns the live accounts whose normalised tax id, domain or
	// name is one of those given: one query for a whole batch.
	CandidateDuplicates(ctx context.Context, taxIDs, domains, names []string) ([]*Account, error)
	// SyncBatch returns the stored results of a batch (partner, requestID), or ErrNotFound.
	SyncBatch(ctx context.Context, partner, requestID string) ([]byte, error)
}

// Tx is a transaction: reads see its writes.
type Tx interface {
	Reader
	// LockAccount reads the account and locks it until the transaction ends, so that
	// concurrent changes of one account (claims, primary contact, first purchase)
	// happen one after the other.
	LockAccount(ctx context.Context, id uuid.UUID) (*Account, error)
	// LockKeys serialises, until the transaction ends, writers of accounts with the same
	// normalised name, so concurrent duplicate checks by name cannot both pass (tax ids,
	// domains and external ids have unique indexes).
	LockKeys(ctx context.Context, k Keys) error
	// LockNames is LockKeys for many names at once, taken in a fixed order so that two
	// batches never wait for each other in a cycle.
	LockNames(ctx context.Context, names []string) error
	InsertAccount(ctx context.Context, a *Account) error
	// UpdateAccount writes next over old (as read in this transaction), provided the
	// stored revision is still old's (else ErrStale).
	UpdateAccount(ctx context.Context, old, next *Account) error
	InsertOwnershipPeriod(ctx context.Context, p *OwnershipPeriod) error
	// EndOwnershipPeriod closes the account's open period at t.
	EndOwnershipPeriod(ctx context.Context, account uuid.UUID, t time.Time) error
	InsertStageChange(ctx context.Context, c *StageChange) error
	InsertPrimaryContactChange(ctx context.Context, c *PrimaryContactChange) error

	InsertContact(ctx context.Context, c *Contact) error
	UpdateContact(ctx context.Context, c *Contact, prevRevision int64) error
	DeleteContact(ctx context.Context, account, id uuid.UUID) error
	// SetPrimary makes contact id the account's only primary contact.
	SetPrimary(ctx context.Context, account, id uuid.UUID, t time.Time) error

	InsertDeal(ctx context.Context, d *Deal) error
	UpdateDeal(ctx context.Context, d *Deal, prevRevision int64) error
	DeleteDeal(ctx context.Context, account, id uuid.UUID) error
	// MarkFirstDeal marks the account's earliest won deal as its first purchase, and no other.
	MarkFirstDeal(ctx context.Context, account uuid.UUID) error

	InsertInteraction(ctx context.Context, i *Interaction) error
	UpdateInteraction(ctx context.Context, i *Interaction, prevRevision int64) error
	DeleteInteraction(ctx context.Context, account, id uuid.UUID) error

	InsertRequest(ctx context.Context, scope, requestID string, resource uuid.UUID, t time.Time) error
	// Savepoint, RollbackTo and Release scope one record of a batch, so a failed record
	// writes nothing and the batch goes on.
	Savepoint(ctx context.Context, name string) error
	RollbackTo(ctx context.Context, name string) error
	Release(ctx context.Context, name string) error
	// InsertAccounts, InsertStageChanges, InsertContacts, InsertPrimaryContactChanges and
	// InsertDeals insert new rows in bulk.
	InsertAccounts(ctx context.Context, as []*Account) error
	InsertStageChanges(ctx context.Context, cs []*StageChange) error
	InsertPrimaryContactChanges(ctx context.Context, cs []*PrimaryContactChange) error
	InsertContacts(ctx context.Context, cs []*Contact) error
	InsertDeals(ctx context.Context, ds []*Deal) error
	InsertSyncBatch(ctx context.Context, partner, requestID string, results []byte, t time.Time) error
	// RecordActivities appends entries in bulk, in order.
	RecordActivities(ctx context.Context, es []activity.Entry) error
	// RecordActivity appends e to the activity log. Entries are numbered in commit
	// order, so it must be the transaction's last write.
	RecordActivity(ctx context.Context, e activity.Entry) error
}
