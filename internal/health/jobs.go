package health

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/listing"
)

// jobLease is how long a worker holds a job between batches; a worker that dies lets it
// lapse and another resumes.
const jobLease = 30 * time.Second

// StartRecompute queues a recompute of the live accounts matching filterText (ListAccounts
// syntax).
func (s *Service) StartRecompute(ctx context.Context, filterText string) (*Job, error) {
	f, err := filter.ParseAndCheck(filterText, account.AccountFilter)
	if err != nil {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "filter", Description: err.Error()}})
	}
	total, err := s.store.CountAccounts(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	j := &Job{ID: newID(), Filter: filterText, State: JobRunning, ComputeTime: now, Total: total,
		Creator: auth.CallerFrom(ctx).Actor(), CreateTime: now, UpdateTime: now}
	err = s.store.WithHealthTx(ctx, func(tx Tx) error { return insertJob(ctx, tx, j) })
	if err != nil {
		return nil, err
	}
	return j, nil
}

func insertJob(ctx context.Context, tx Tx, j *Job) error {
	if err := tx.InsertJob(ctx, j); err != nil {
		return err
	}
	return tx.RecordActivity(ctx, activity.New(ctx, j.CreateTime, JobName(j.ID), "create", uuid.Nil, nil))
}

// queueRecompute queues a recompute of every live account in tx.
func (s *Service) queueRecompute(ctx context.Context, tx Tx, now time.Time) error {
	total, err := tx.CountAccounts(ctx, nil)
	if err != nil {
		return err
	}
	return insertJob(ctx, tx, &Job{ID: newID(), State: JobRunning, ComputeTime: now, Total: total,
		Creator: auth.CallerFrom(ctx).Actor(), CreateTime: now, UpdateTime: now})
}

// recomputeCursor holds when the last scheduled recompute was queued (Unix µs).
const recomputeCursor = "health.recompute"

// ScheduleRecompute queues a recompute of every account when RecomputeEvery has passed
// since the last scheduled one and no job is running; replicas take turns on the
// cursor row, so one job is queued. It reports whether it queued one.
func (s *Service) ScheduleRecompute(ctx context.Context) (bool, error) {
	if s.opts.RecomputeEvery <= 0 {
		return false, nil
	}
	now := s.clock()
	queued := false
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		last, err := tx.LockCursor(ctx, recomputeCursor)
		if err != nil || (last != 0 && now.Sub(time.UnixMicro(last)) < s.opts.RecomputeEvery) {
			return err
		}
		if last == 0 {
			// A new installation: creating its default scorecard queued a recompute
			// already; the period starts now.
			return tx.SetCursor(ctx, recomputeCursor, now.UnixMicro())
		}
		if n, err := tx.RunningJobs(ctx); err != nil || n > 0 {
			return err // a recompute is under way: check again later
		}
		if err := s.queueRecompute(ctx, tx, now); err != nil {
			return err
		}
		queued = true
		return tx.SetCursor(ctx, recomputeCursor, now.UnixMicro())
	})
	return queued, err
}

func jobNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "recompute job %q not found", JobName(id)).WithResource(JobName(id))
}

// GetJob returns a recompute job.
func (s *Service) GetJob(ctx context.Context, id uuid.UUID) (*Job, error) {
	j, err := s.store.GetJob(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, jobNotFound(id)
	}
	return j, err
}

// ListJobs lists recompute jobs, newest first.
func (s *Service) ListJobs(ctx context.Context, size int32, token string) (*listing.Page[*Job], error) {
	return listing.Plain(ctx, "recompute_jobs", "", size, token, s.store.ListJobs)
}

// CancelJob stops a running job after its current batch.
func (s *Service) CancelJob(ctx context.Context, id uuid.UUID) (*Job, error) {
	var out *Job
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		j, err := tx.LockJob(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return jobNotFound(id)
		}
		if err != nil {
			return err
		}
		if j.State != JobRunning {
			return failure.Newf(failure.FailedPrecondition, "recompute job %q already ended (%s)", JobName(id), j.State).WithReason("JOB_ENDED")
		}
		now := s.clock()
		j.CancelRequested = true
		if j.LeaseExpire == nil || !j.LeaseExpire.After(now) {
			// No worker holds it: it ends now.
			j.State, j.EndTime = JobCancelled, &now
		}
		j.UpdateTime = now
		if err := tx.UpdateJob(ctx, j); err != nil {
			return err
		}
		out = j
		return tx.RecordActivity(ctx, activity.New(ctx, now, JobName(id), "cancel", uuid.Nil, nil))
	})
	return out, err
}

// RunJobs claims and runs queued jobs until none is left; owner names this worker.
// It returns the number of jobs it ran to an end.
func (s *Service) RunJobs(ctx context.Context, owner string) (int, error) {
	n := 0
	for ctx.Err() == nil {
		var j *Job
		err := s.store.WithHealthTx(ctx, func(tx Tx) error {
			now := s.clock()
			var err error
			j, err = tx.ClaimJob(ctx, owner, now, now.Add(jobLease))
			return err
		})
		if errors.Is(err, ErrNotFound) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if j.CancelRequested { // asked while its worker was gone
			if err := s.finishJob(ctx, j.ID, owner, false, nil); err != nil {
				return n, err
			}
			n++
			continue
		}
		if err := s.runJob(ctx, owner, j); err != nil {
			return n, err
		}
		n++
	}
	return n, ctx.Err()
}

// errJobStopped means the job was cancelled or taken over while a batch ran.
var errJobStopped = errors.New("recompute job stopped")

// runJob processes j in batches of accounts, up to Options.Parallel at once (the
// database works on one batch while Go scores another). Each batch's scores commit
// with the job's counts; the cursor moves past a batch once it and every earlier batch
// committed. A worker that dies loses only the batches in flight: the next one resumes
// at the cursor, and accounts a later batch already scored carry the job's moment, so
// they are skipped, not scored twice.
func (s *Service) runJob(ctx context.Context, owner string, j *Job) error {
	f, err := filter.ParseAndCheck(j.Filter, account.AccountFilter)
	if err != nil {
		return s.endJob(ctx, j.ID, JobFailed, "the job's filter no longer parses: "+err.Error())
	}
	cards, err := s.store.Scorecards(ctx)
	if err != nil {
		return err
	}
	var (
		mu       sync.Mutex
		firstErr error
		lastID   = map[int]uuid.UUID{} // batch → its last account
		done     = map[int]bool{}
		safe     int // batches 1..safe have committed
		wg       sync.WaitGroup
		slots    = make(chan struct{}, s.opts.Parallel)
		after    = j.Cursor
	)
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return firstErr != nil }
	// The accounts are read a round ahead (a batch per worker) of the batch started, so
	// that the last round can share out what is left evenly: a last full batch, alone
	// while the other workers idle, made a pass over 100,000 accounts 4 % longer.
	var (
		pending   []*Target
		readAfter = j.Cursor
		exhausted bool
		share     int // the last round's batch size, once known
		round     = s.opts.BatchSize * s.opts.Parallel
	)
	for seq := 1; ctx.Err() == nil && !failed(); seq++ {
		if !exhausted && len(pending) < round {
			// Accounts created after the job's moment did not exist then: not its to score.
			more, err := s.store.JobTargets(ctx, f, j.ComputeTime, readAfter, round-len(pending))
			if err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
				break
			}
			exhausted = len(more) < round-len(pending)
			if len(more) > 0 {
				readAfter = &more[len(more)-1].ID
			}
			pending = append(pending, more...)
		}
		if len(pending) == 0 {
			break
		}
		n := s.opts.BatchSize
		if exhausted && len(pending) < round {
			if share == 0 {
				share = (len(pending) + s.opts.Parallel - 1) / s.opts.Parallel
				if share < max(1, s.opts.BatchSize/4) {
					// A small remainder stays whole: batches of a few accounts cost more
					// per account than sharing saves (and a batch of one locks first).
					share = s.opts.BatchSize
				}
			}
			n = share
		}
		n = min(n, len(pending))
		ts := pending[:n:n]
		pending = pending[n:]
		last := ts[len(ts)-1].ID
		after = &last
		mu.Lock()
		lastID[seq] = last
		mu.Unlock()
		slots <- struct{}{}
		wg.Add(1)
		go func(seq int, ts []*Target) {
			defer wg.Done()
			defer func() { <-slots }()
			var regraded []uuid.UUID
			err := s.store.WithHealthTx(ctx, func(tx Tx) error {
				if err := tx.Rederivable(ctx); err != nil {
					return err
				}
				st, err := s.scoreWith(ctx, tx, cards, ts, f == nil, j.ComputeTime, &j.ID)
				if err != nil {
					return err
				}
				regraded = st.Regraded
				mu.Lock()
				c := safe
				for c+1 == seq || done[c+1] {
					c++ // this batch, if it is next, and those after it already done
				}
				var cursor *uuid.UUID
				if id, ok := lastID[c]; ok {
					cursor = &id
				}
				mu.Unlock()
				now := s.clock()
				ok, err := tx.AdvanceJob(ctx, j.ID, owner, Stats{Processed: st.Processed - st.Done, Changed: st.Changed, NoData: st.NoData},
					cursor, now, now.Add(jobLease))
				if err == nil && !ok {
					err = errJobStopped
				}
				return err
			})
			if err == nil {
				s.notify(ctx, regraded...)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmp.Or(firstErr, err)
				return
			}
			done[seq] = true
			for done[safe+1] {
				safe++
			}
		}(seq, ts)
	}
	wg.Wait()
	switch {
	case errors.Is(firstErr, errJobStopped):
		return s.finishJob(ctx, j.ID, owner, false, nil)
	case firstErr != nil && ctx.Err() == nil:
		if failure.Is(firstErr, failure.Unavailable) || failure.Is(firstErr, failure.Aborted) {
			return firstErr // contention: the lease lapses and the job is retried
		}
		if f, ok := failure.As(firstErr); ok {
			return s.endJob(ctx, j.ID, JobFailed, f.Msg)
		}
		// Anything else would fail again on every retry and hold up the jobs behind
		// it: the job ends, the cause goes to the log.
		if err := s.endJob(ctx, j.ID, JobFailed, "a batch of accounts could not be scored; the server log has the cause"); err != nil {
			return errors.Join(firstErr, err)
		}
		return firstErr
	case ctx.Err() != nil:
		return ctx.Err() // shutting down: the lease lapses and the job resumes elsewhere
	}
	return s.finishJob(ctx, j.ID, owner, true, after)
}

// finishJob ends a job this worker holds: CANCELLED if that was asked, else SUCCEEDED
// when every batch is done (complete).
func (s *Service) finishJob(ctx context.Context, id uuid.UUID, owner string, complete bool, cursor *uuid.UUID) error {
	return s.store.WithHealthTx(ctx, func(tx Tx) error {
		j, err := tx.LockJob(ctx, id)
		if err != nil {
			return err
		}
		if j.State != JobRunning || j.LeaseOwner != owner {
			return nil // another worker holds it now
		}
		now := s.clock()
		switch {
		case j.CancelRequested:
			j.State = JobCancelled
		case complete:
			j.State = JobSucceeded
			if cursor != nil {
				j.Cursor = cursor
			}
		default:
			return nil
		}
		j.EndTime, j.UpdateTime, j.LeaseOwner, j.LeaseExpire = &now, now, "", nil
		return tx.UpdateJob(ctx, j)
	})
}

func (s *Service) endJob(ctx context.Context, id uuid.UUID, state, msg string) error {
	return s.store.WithHealthTx(ctx, func(tx Tx) error {
		j, err := tx.LockJob(ctx, id)
		if err != nil {
			return err
		}
		now := s.clock()
		j.State, j.Error, j.EndTime, j.UpdateTime, j.LeaseOwner = state, msg, &now, now, ""
		return tx.UpdateJob(ctx, j)
	})
}

// activityCursor is the health worker's cursor in the activity log.
const activityCursor = "health.activity"

// dirtyRetry is how long an account whose rescore failed waits before the next try, so
// it cannot hold up the others.
const dirtyRetry = 10 * time.Minute

// ProcessDirty lifts expired overrides, follows the activity log for changes to the
// archive that feed derived measures, and rescores the accounts whose debounce has
// passed. A batch that fails is retried one account at a time; an account that fails
// alone is postponed by dirtyRetry and its error returned (after the others are done).
// It returns how many accounts it rescored.
func (s *Service) ProcessDirty(ctx context.Context) (int, error) {
	now := s.clock()
	var errs []error
	if err := s.liftExpired(ctx, now); err != nil {
		errs = append(errs, err)
	}
	// Changes to contacts, deals, interactions and accounts: rescore after the debounce.
	for {
		n := 0
		err := s.store.WithHealthTx(ctx, func(tx Tx) error {
			ids, err := tx.FollowActivity(ctx, activityCursor, 1000)
			if err != nil || len(ids) == 0 {
				return err
			}
			n = len(ids)
			return tx.MarkDirty(ctx, ids, now.Add(s.opts.Debounce))
		})
		if err != nil {
			errs = append(errs, err)
			break
		}
		if n == 0 {
			break
		}
	}
	total := 0
	for ctx.Err() == nil {
		claimed, err := s.rescoreDirty(ctx, now, nil)
		if err != nil {
			if failure.Is(err, failure.Unavailable) || failure.Is(err, failure.Aborted) {
				errs = append(errs, err)
				break
			}
			// Find the account that fails, without holding up the rest.
			ids, derr := s.store.DueDirty(ctx, now, s.opts.BatchSize)
			if derr != nil {
				errs = append(errs, err, derr)
				break
			}
			claimed = 0
			for _, id := range ids {
				n, err := s.rescoreDirty(ctx, now, []uuid.UUID{id})
				claimed += n
				if err == nil {
					continue
				}
				errs = append(errs, fmt.Errorf("rescoring account %s (retried in %s): %w", id, dirtyRetry, err))
				if perr := s.store.WithHealthTx(ctx, func(tx Tx) error {
					return tx.PostponeDirty(ctx, []uuid.UUID{id}, now.Add(dirtyRetry))
				}); perr != nil {
					errs = append(errs, perr)
				}
			}
			total += claimed
			continue
		}
		total += claimed
		if claimed < s.opts.BatchSize {
			break
		}
	}
	return total, errors.Join(errs...)
}

// rescoreDirty claims due accounts (only, when given, the ids) and rescores them in one
// transaction.
func (s *Service) rescoreDirty(ctx context.Context, now time.Time, only []uuid.UUID) (int, error) {
	claimed := 0
	var regraded []uuid.UUID
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		ids, err := tx.ClaimDirty(ctx, now, s.opts.BatchSize, only)
		if err != nil || len(ids) == 0 {
			return err
		}
		claimed = len(ids)
		ts, err := tx.Targets(ctx, ids)
		if err != nil {
			return err
		}
		live := make([]*Target, 0, len(ids))
		for _, id := range ids {
			if t := ts[id]; t != nil && t.DeleteTime == nil {
				live = append(live, t)
			}
		}
		if len(live) == 0 {
			return nil
		}
		st, err := s.scoreTargets(ctx, tx, live, false, now, nil)
		regraded = st.Regraded
		return err
	})
	if err != nil {
		return 0, err
	}
	s.notify(ctx, regraded...)
	return claimed, nil
}

// liftExpired ends the overrides whose expiry has passed and restores the computed
// scores.
func (s *Service) liftExpired(ctx context.Context, now time.Time) error {
	var lifted []uuid.UUID
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		lifted = lifted[:0]
		expired, err := tx.ExpiredOverrides(ctx, now, 1000)
		if err != nil {
			return err
		}
		for _, cur := range expired {
			o, err := tx.GetOverride(ctx, *cur.OverrideID)
			if err != nil {
				return err
			}
			cur.OverrideID, cur.OverrideExpire = nil, nil
			cur.Effective, cur.EffGrade = cur.Computed, cur.Grade
			if err := tx.UpdateCurrents(ctx, []*Current{cur}); err != nil {
				return err
			}
			if err := endExpired(ctx, tx, o, now); err != nil {
				return err
			}
			lifted = append(lifted, cur.Account)
		}
		return nil
	})
	if err == nil {
		s.notify(ctx, lifted...)
	}
	return err
}

// Work runs the background work until ctx ends: queued recompute jobs and debounced
// rescoring, every interval. Errors are logged and retried on the next tick.
func (s *Service) Work(ctx context.Context, owner string, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	jobs := make(chan struct{}, 1)
	go func() { // jobs run beside the dirty sweep, so a long job does not delay rescoring
		for {
			select {
			case <-ctx.Done():
				return
			case <-jobs:
				if _, err := s.RunJobs(ctx, owner); err != nil && ctx.Err() == nil {
					log.ErrorContext(ctx, "health: recompute jobs", "err", err)
				}
			}
		}
	}()
	for {
		select {
		case jobs <- struct{}{}:
		default:
		}
		if _, err := s.ProcessDirty(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "health: rescoring changed accounts", "err", err)
		}
		if _, err := s.ScheduleRecompute(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "health: scheduling the periodic recompute", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// String describes a job for logs.
func (j *Job) String() string {
	return fmt.Sprintf("%s (%s, %d/%d)", JobName(j.ID), j.State, j.Processed, j.Total)
}
