package health

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/page"
)

// Batch is the accounts a scoring pass reads, in id order. Dense means they are every
// live account from the first to the last (an unfiltered recompute's batch), so a
// store may read the id range instead of looking each one up.
type Batch struct {
	IDs   []uuid.UUID
	Dense bool
}

// Store persists health data. Every write of a use case happens in one WithTx call.
type Store interface {
	WithHealthTx(ctx context.Context, fn func(tx Tx) error) error
	Reader
}

// Reader reads health data (inside or outside a transaction). Missing rows are
// ErrNotFound.
type Reader interface {
	// Targets returns the accounts with the given ids (deleted ones too), with the
	// partners they are linked to.
	Targets(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Target, error)
	// JobTargets returns up to limit live accounts created by createdBy and matching f
	// (nil: all) with ids after after (nil: from the start), in id order.
	JobTargets(ctx context.Context, f filter.Expr, createdBy time.Time, after *uuid.UUID, limit int) ([]*Target, error)
	// CountAccounts counts the live accounts matching f.
	CountAccounts(ctx context.Context, f filter.Expr) (int64, error)

	ListSignals(ctx context.Context, account uuid.UUID, p listing.Params) ([]*Signal, *page.Cursor, error)
	// SignalsByKey returns the stored signals with the given (account, source,
	// signal_id) keys.
	SignalsByKey(ctx context.Context, keys []*Signal) ([]*Signal, error)

	GetScorecard(ctx context.Context, id uuid.UUID, version int) (*Scorecard, error)
	ListScorecards(ctx context.Context, size int, after *page.Cursor) ([]*Scorecard, *page.Cursor, error)
	ListScorecardVersions(ctx context.Context, id uuid.UUID, size int, after *page.Cursor) ([]*Scorecard, *page.Cursor, error)
	// Scorecards returns every scorecard at its current version, oldest first.
	Scorecards(ctx context.Context) ([]*Scorecard, error)

	GetCurrent(ctx context.Context, account uuid.UUID) (*Current, error)
	ListCurrents(ctx context.Context, p listing.Params) ([]*Current, *page.Cursor, error)
	// GetScore returns one of the account's scores, the current one or an older one.
	GetScore(ctx context.Context, account, id uuid.UUID) (*Score, error)
	// ScoreAt returns the account's latest score computed at or before t.
	ScoreAt(ctx context.Context, account uuid.UUID, t time.Time) (*Score, error)
	// ScoresAt returns, per account, the latest computed score at or before t.
	ScoresAt(ctx context.Context, ids []uuid.UUID, t time.Time) (map[uuid.UUID]float64, error)
	ListScores(ctx context.Context, account uuid.UUID, size int, after *page.Cursor) ([]*Score, *page.Cursor, error)
	GetOverride(ctx context.Context, id uuid.UUID) (*Override, error)
	// GetOverrides returns the overrides with the given ids, one query for a page or batch.
	GetOverrides(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Override, error)
	// OverrideAt returns the account's override in effect at t.
	OverrideAt(ctx context.Context, account uuid.UUID, t time.Time) (*Override, error)

	// Aggregate answers qs for each account of b at asOf (events after asOf are not
	// counted); accounts without any event of a query get a zero EventAgg there. It
	// may return accounts outside b too (a dense batch is read as a range).
	Aggregate(ctx context.Context, b Batch, asOf time.Time, qs []EventQuery) (map[uuid.UUID][]EventAgg, error)
	// Currents reads the current rows of a batch without locking them.
	Currents(ctx context.Context, b Batch) (map[uuid.UUID]*Current, error)
	// CountsOf returns the accounts' current derived counts.
	CountsOf(ctx context.Context, b Batch) (map[uuid.UUID]Counts, error)

	// DueDirty returns up to limit accounts due for a rescore at t, soonest first.
	DueDirty(ctx context.Context, t time.Time, limit int) ([]uuid.UUID, error)

	GetJob(ctx context.Context, id uuid.UUID) (*Job, error)
	ListJobs(ctx context.Context, size int, after *page.Cursor) ([]*Job, *page.Cursor, error)
}

// Tx is a transaction: reads see its writes.
type Tx interface {
	Reader
	// InsertSignals stores signals whose key is new and returns how many it stored.
	InsertSignals(ctx context.Context, ss []*Signal) (int, error)

	InsertScorecard(ctx context.Context, c *Scorecard) error
	// LockScorecard reads a scorecard for update.
	LockScorecard(ctx context.Context, id uuid.UUID) (*Scorecard, error)
	// UpdateScorecard writes c's head; with newVersion, also c.Definition as version
	// c.Version. The row must still be at revision old (else ErrStale).
	UpdateScorecard(ctx context.Context, c *Scorecard, old int64, newVersion bool) error
	// ClearDefault makes no scorecard the default.
	ClearDefault(ctx context.Context) error

	// LockCurrents and LockCurrent read current rows for update: a scoring pass and a
	// person's override of the same account take turns, so neither undoes the other.
	LockCurrents(ctx context.Context, b Batch) (map[uuid.UUID]*Current, error)
	LockCurrent(ctx context.Context, account uuid.UUID) (*Current, error)
	// Savepoint marks the transaction's state; RollbackTo undoes what came after it,
	// row locks included; Release keeps it and forgets the mark.
	Savepoint(ctx context.Context, name string) error
	RollbackTo(ctx context.Context, name string) error
	Release(ctx context.Context, name string) error
	// Rederivable marks the transaction as writing only what a re-run derives again
	// (a recompute job's batch, cursor included): the database may acknowledge its
	// commit before it is durable. A crash then loses the last batches whole, cursor
	// and all, and the job redoes them.
	Rederivable(ctx context.Context) error
	// PreferIndexes tells the database to look rows up by index for the rest of the
	// transaction (scoring reads batches of accounts by id).
	PreferIndexes(ctx context.Context) error
	// An account's current row holds its latest score: scores[i] is the new score
	// cs[i] points at. InsertCurrents writes the current rows of accounts that had none
	// when read. If another transaction has written one since, it writes none of them
	// and returns ErrCurrentMoved (PostgreSQL; a SQLite transaction is the only writer
	// from its start, so none can).
	InsertCurrents(ctx context.Context, cs []*Current, scores []*Score) error
	// ReplaceCurrents rewrites current rows with new scores; the scores they held
	// become history.
	ReplaceCurrents(ctx context.Context, cs []*Current, scores []*Score) error
	// UpdateCurrents rewrites current rows that keep their score (trend, override).
	UpdateCurrents(ctx context.Context, cs []*Current) error
	InsertOverride(ctx context.Context, o *Override) error
	// EndOverride ends an override at t, by whom and why.
	EndOverride(ctx context.Context, id uuid.UUID, t time.Time, by, reason string) error
	// ExpiredOverrides returns current rows whose override expired at or before t.
	ExpiredOverrides(ctx context.Context, t time.Time, limit int) ([]*Current, error)

	// MarkDirty asks for the accounts to be rescored once due passes (an earlier
	// pending due time is kept).
	MarkDirty(ctx context.Context, ids []uuid.UUID, due time.Time) error
	// ClaimDirty removes and returns up to limit accounts due at t (only those in only,
	// when given); other replicas skip the rows claimed.
	ClaimDirty(ctx context.Context, t time.Time, limit int, only []uuid.UUID) ([]uuid.UUID, error)
	// PostponeDirty makes the accounts due at due.
	PostponeDirty(ctx context.Context, ids []uuid.UUID, due time.Time) error
	// FollowActivity returns the accounts changed in the activity log after the
	// worker cursor name (contacts, deals, interactions, the account itself) and moves
	// the cursor past up to limit entries; the cursor row is locked until commit.
	FollowActivity(ctx context.Context, name string, limit int) ([]uuid.UUID, error)

	InsertJob(ctx context.Context, j *Job) error
	LockJob(ctx context.Context, id uuid.UUID) (*Job, error)
	UpdateJob(ctx context.Context, j *Job) error
	// AdvanceJob adds a batch's counts to a job this owner holds, renews its lease to
	// until and moves its cursor forward to cursor (never back; nil leaves it). False
	// when the job is no longer running for owner or a cancel was asked.
	AdvanceJob(ctx context.Context, id uuid.UUID, owner string, add Stats, cursor *uuid.UUID, now, until time.Time) (bool, error)
	// ClaimJob leases the oldest running job whose lease is free or lapsed at t to
	// owner until until; ErrNotFound if none.
	ClaimJob(ctx context.Context, owner string, t, until time.Time) (*Job, error)

	// LockCursor returns a worker cursor's position (0 when new), locked until commit
	// so replicas take turns; SetCursor moves it.
	LockCursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, position int64) error
	// RunningJobs counts the jobs not ended yet.
	RunningJobs(ctx context.Context) (int, error)

	RecordActivity(ctx context.Context, e activity.Entry) error
}
