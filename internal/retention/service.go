package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/page"
)

// Store errors, shared with the archive's store.
var (
	ErrNotFound = account.ErrNotFound
	ErrStale    = account.ErrStale
)

// Options tune the service.
type Options struct {
	// SweepEvery re-evaluates every account this often, so time-based rules (silence,
	// renewals, contract ends) and health changes are picked up (0: never).
	SweepEvery time.Duration
	// BatchSize is how many accounts one evaluation transaction handles (default 500).
	BatchSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service implements retention labels and alerts.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a Service over store.
func NewService(store Store, opts Options) *Service {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

func (s *Service) clock() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func accountNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "account %q not found", account.AccountName(id)).WithResource(account.AccountName(id))
}

// ---- Policy ----

// EnsureDefault stores the default policy unless one exists.
func (s *Service) EnsureDefault(ctx context.Context) error {
	return s.store.WithRetentionTx(ctx, func(tx Tx) error {
		return tx.InsertPolicy(ctx, &Policy{Definition: DefaultDefinition(), Revision: 1, UpdatedBy: "system", UpdateTime: s.clock()})
	})
}

// Policy returns the policy in force.
func (s *Service) Policy(ctx context.Context) (*Policy, error) {
	p, err := s.store.GetPolicy(ctx)
	if errors.Is(err, ErrNotFound) {
		return &Policy{Definition: DefaultDefinition()}, nil // not stored yet: the default applies
	}
	return p, err
}

// UpdatePolicy replaces the policy's definition. revision, when not 0, must be the
// current one (ABORTED otherwise). Accounts are re-evaluated by the next sweep or
// change.
func (s *Service) UpdatePolicy(ctx context.Context, d Definition, revision int64) (*Policy, error) {
	if ps := d.Validate(); len(ps) > 0 {
		vs := make([]failure.Violation, len(ps))
		for i, p := range ps {
			vs[i] = failure.Violation{Field: p.Field, Description: p.Description}
		}
		return nil, failure.InvalidFields(vs)
	}
	var out *Policy
	err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
		if err := tx.InsertPolicy(ctx, &Policy{Definition: DefaultDefinition(), Revision: 1, UpdatedBy: "system", UpdateTime: s.clock()}); err != nil {
			return err
		}
		cur, err := tx.GetPolicy(ctx)
		if err != nil {
			return err
		}
		if revision != 0 && revision != cur.Revision {
			return failure.Newf(failure.Aborted, "the retention policy changed since it was read (etag %q, now %q)", strconv.FormatInt(revision, 10), strconv.FormatInt(cur.Revision, 10)).WithReason("ETAG_MISMATCH")
		}
		now := s.clock()
		p := &Policy{Definition: d, Revision: cur.Revision + 1, UpdatedBy: auth.CallerFrom(ctx).Actor(), UpdateTime: now}
		if err := tx.SavePolicy(ctx, p, cur.Revision); err != nil {
			if errors.Is(err, ErrStale) {
				return failure.Newf(failure.Aborted, "the retention policy changed concurrently; read it again").WithReason("ETAG_MISMATCH")
			}
			return err
		}
		out = p
		return tx.RecordActivity(ctx, activity.New(ctx, now, PolicyName, "update", uuid.Nil, nil))
	})
	return out, err
}

// ---- Labels ----

// GetLabel returns an account's current label. NOT_FOUND when the account does not
// exist or was never evaluated.
func (s *Service) GetLabel(ctx context.Context, acc uuid.UUID) (*State, error) {
	if ok, err := s.store.AccountExists(ctx, acc); err != nil || !ok {
		return nil, cmpErr(err, accountNotFound(acc))
	}
	st, err := s.store.GetState(ctx, acc)
	if errors.Is(err, ErrNotFound) {
		return nil, failure.Newf(failure.NotFound, "account %q has not been evaluated yet; call :evaluate or wait for the sweep", account.AccountName(acc)).
			WithResource(LabelName(acc))
	}
	return st, err
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// ListLabels lists current labels (label "" for all), in account id order.
func (s *Service) ListLabels(ctx context.Context, label string, size int32, token string) (*listing.Page[*State], error) {
	return listing.Plain(ctx, "retention_labels", label, size, token, func(ctx context.Context, n int, after *page.Cursor) ([]*State, *page.Cursor, error) {
		return s.store.ListStates(ctx, label, n, after)
	})
}

// History lists an account's label changes, newest first.
func (s *Service) History(ctx context.Context, acc uuid.UUID, size int32, token string) (*listing.Page[*Change], error) {
	if ok, err := s.store.AccountExists(ctx, acc); err != nil || !ok {
		return nil, cmpErr(err, accountNotFound(acc))
	}
	return listing.Plain(ctx, "label_changes", acc.String(), size, token, func(ctx context.Context, n int, after *page.Cursor) ([]*Change, *page.Cursor, error) {
		return s.store.ListChanges(ctx, acc, n, after)
	})
}

// Evaluate applies the rules to one account now and returns its state.
func (s *Service) Evaluate(ctx context.Context, acc uuid.UUID) (*State, error) {
	var out *State
	err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
		sts, err := s.apply(ctx, tx, []uuid.UUID{acc}, s.clock(), nil)
		if err != nil {
			return err
		}
		if out = sts[acc]; out == nil {
			return accountNotFound(acc)
		}
		return nil
	})
	return out, err
}

// SetManual sets a manual label, which wins over the rules until expire (nil: until
// cleared).
func (s *Service) SetManual(ctx context.Context, acc uuid.UUID, label, reason string, expire *time.Time) (*State, error) {
	now := s.clock()
	if expire != nil && !expire.After(now) {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "expire_time", Description: "must be in the future"}})
	}
	var out *State
	err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
		m := &Manual{Label: label, Reason: reason, By: auth.CallerFrom(ctx).Actor(), SetTime: now, ExpireTime: expire}
		sts, err := s.apply(ctx, tx, []uuid.UUID{acc}, now, func(*State) (*Manual, string, string) { return m, CauseManual, reason })
		if err != nil {
			return err
		}
		if out = sts[acc]; out == nil {
			return accountNotFound(acc)
		}
		return tx.RecordActivity(ctx, activity.New(ctx, now, LabelName(acc), "set_manual", acc, nil))
	})
	return out, err
}

// ClearManual removes a manual label: the rules decide again. FAILED_PRECONDITION when
// there is none.
func (s *Service) ClearManual(ctx context.Context, acc uuid.UUID, reason string) (*State, error) {
	now := s.clock()
	var out *State
	err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
		var had bool
		sts, err := s.apply(ctx, tx, []uuid.UUID{acc}, now, func(cur *State) (*Manual, string, string) {
			had = cur != nil && cur.Manual != nil
			return nil, CauseManualCleared, reason
		})
		if err != nil {
			return err
		}
		if out = sts[acc]; out == nil {
			return accountNotFound(acc)
		}
		if !had {
			return failure.Newf(failure.FailedPrecondition, "account %q has no manual retention label", account.AccountName(acc)).WithReason("NO_MANUAL_LABEL")
		}
		e := activity.New(ctx, now, LabelName(acc), "clear_manual", acc, nil)
		return tx.RecordActivity(ctx, e)
	})
	return out, err
}

// manualChange tells apply what to do with an account's manual label: the label to
// keep (nil: none), and the cause and reason to record if the label in effect changes.
type manualChange func(cur *State) (m *Manual, cause, reason string)

// apply evaluates the accounts at t in tx and records what changed: the state, a label
// change with its cause, and an alert on entering AT_RISK. change, when given, sets or
// clears the manual label first. It returns the new states of the accounts that exist.
func (s *Service) apply(ctx context.Context, tx Tx, ids []uuid.UUID, t time.Time, change manualChange) (map[uuid.UUID]*State, error) {
	pol, err := tx.GetPolicy(ctx)
	if errors.Is(err, ErrNotFound) {
		pol, err = &Policy{Definition: DefaultDefinition()}, nil
	}
	if err != nil {
		return nil, err
	}
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	// Lock first, then read: an evaluation never saves facts older than the state it
	// replaces.
	curs, err := tx.LockStates(ctx, ids)
	if err != nil {
		return nil, err
	}
	facts, err := tx.Facts(ctx, ids, t, pol.Measures())
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*State, len(ids))
	for _, id := range ids {
		f := facts[id]
		if f == nil {
			continue // no such account (or deleted)
		}
		cur := curs[id]
		o := Evaluate(&pol.Definition, f, t)
		next := &State{Account: id, RuleLabel: o.Label, RuleKey: o.RuleKey, Facts: o.Facts, EvaluateTime: t}
		cause, reason := CauseRule, ""
		if cur != nil {
			next.Manual = cur.Manual
		}
		if next.Manual != nil && next.Manual.ExpireTime != nil && !next.Manual.ExpireTime.After(t) {
			next.Manual, cause, reason = nil, CauseManualExpired, "the manual label expired"
		}
		if change != nil {
			next.Manual, cause, reason = change(cur)
			if next.Manual != nil && f.LastDeal == nil {
				return nil, failure.Newf(failure.FailedPrecondition, "account %q is not a customer (no closed deal): only customers have a retention label",
					account.AccountName(id)).WithReason("NOT_A_CUSTOMER")
			}
		}
		next.Label = next.RuleLabel
		if next.Manual != nil {
			next.Label = next.Manual.Label
		}
		from := ""
		if cur != nil {
			from = cur.Label
			next.Since = cur.Since
		}
		moved := cur == nil || from != next.Label
		if moved {
			next.Since = t
		}
		// Every move of the label, and every manual act even when the label stays, is
		// history.
		if moved || change != nil {
			c := &Change{ID: newID(), Account: id, From: from, To: next.Label, Time: t, Cause: cause}
			switch cause {
			case CauseRule:
				c.RuleKey, c.Facts, c.Actor = o.RuleKey, o.Facts, "system"
			case CauseManualExpired:
				c.Actor, c.Reason = "system", reason
			default:
				c.Actor, c.Reason = auth.CallerFrom(ctx).Actor(), reason
			}
			c.WinBack = cause == CauseRule && from == Churned && next.Label != Churned && next.Label != "" && boughtAgain(cur, f)
			if cur != nil || next.Label != "" { // a prospect's first evaluation is not a change
				if err := tx.InsertChange(ctx, c); err != nil {
					return nil, err
				}
			}
			if moved && next.Label == AtRisk {
				if err := s.raiseAlert(ctx, tx, pol, id, f.Owner, c.ID, t); err != nil {
					return nil, err
				}
			}
		}
		if err := tx.SaveState(ctx, next); err != nil {
			return nil, err
		}
		out[id] = next
	}
	return out, nil
}

// boughtAgain reports whether the account closed a deal after the one it churned on:
// what makes leaving CHURNED a win-back (rather than, say, a changed policy).
func boughtAgain(cur *State, f *Facts) bool {
	if cur == nil || f.LastDeal == nil {
		return false
	}
	last, err := time.Parse(time.DateOnly, cur.Facts["last_deal_date"])
	return err == nil && f.LastDeal.After(last)
}

// raiseAlert opens an alert for the account's owner unless one is open already.
func (s *Service) raiseAlert(ctx context.Context, tx Tx, pol *Policy, acc uuid.UUID, owner string, change uuid.UUID, t time.Time) error {
	if _, err := tx.OpenAlert(ctx, acc); err == nil {
		return nil // still being handled: no second alert
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	steps := make([]Step, len(pol.Playbook))
	for i, p := range pol.Playbook {
		steps[i] = Step{Title: p}
	}
	a := &Alert{ID: newID(), Account: acc, Change: change, Owner: owner, State: AlertOpen, DueTime: t.AddDate(0, 0, pol.AlertDueDays),
		Steps: steps, CreateTime: t, UpdateTime: t, Revision: 1}
	if err := tx.InsertAlert(ctx, a); err != nil {
		return err
	}
	sys := auth.WithCaller(ctx, auth.System)
	return tx.RecordActivity(ctx, activity.New(sys, t, AlertName(a.ID), "create", acc, nil))
}

// ---- Alerts ----

func alertNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "retention alert %q not found", AlertName(id)).WithResource(AlertName(id))
}

// GetAlert returns an alert.
func (s *Service) GetAlert(ctx context.Context, id uuid.UUID) (*Alert, error) {
	a, err := s.store.GetAlert(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, alertNotFound(id)
	}
	return a, err
}

// ListAlerts lists alerts by due time, soonest first.
func (s *Service) ListAlerts(ctx context.Context, f AlertFilter, size int32, token string) (*listing.Page[*Alert], error) {
	scope := f.Owner + "\x00" + f.State + "\x00" + strconv.FormatBool(f.Unassigned)
	if f.Account != nil {
		scope += "\x00" + f.Account.String()
	}
	if f.DueBefore != nil {
		scope += "\x00" + f.DueBefore.UTC().Format(time.RFC3339Nano)
	}
	return listing.Plain(ctx, "retention_alerts", scope, size, token, func(ctx context.Context, n int, after *page.Cursor) ([]*Alert, *page.Cursor, error) {
		return s.store.ListAlerts(ctx, f, n, after)
	})
}

// AlertAction is a move of an alert's workflow.
type AlertAction struct {
	Kind      string // "acknowledge", "work", "close"
	Revision  int64  // 0: any
	Note      string
	DoneSteps []int // start: steps now done (0-based)
	Outcome   string
}

// allowed lists the states each action may start from.
var allowed = map[string][]string{
	"acknowledge": {AlertOpen},
	"work":        {AlertOpen, AlertAcknowledged, AlertInProgress},
	"close":       {AlertOpen, AlertAcknowledged, AlertInProgress},
}

// ActOnAlert moves an alert: acknowledge (OPEN → ACKNOWLEDGED), work on it
// (→ IN_PROGRESS, marking steps done) and close it with an outcome. Any other move is
// FAILED_PRECONDITION; a stale revision is ABORTED.
func (s *Service) ActOnAlert(ctx context.Context, id uuid.UUID, act AlertAction) (*Alert, error) {
	var out *Alert
	err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
		a, err := tx.LockAlert(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return alertNotFound(id)
		}
		if err != nil {
			return err
		}
		if act.Revision != 0 && act.Revision != a.Revision {
			return failure.Newf(failure.Aborted, "retention alert %q changed since it was read", AlertName(id)).WithReason("ETAG_MISMATCH")
		}
		if !slices.Contains(allowed[act.Kind], a.State) {
			return failure.Newf(failure.FailedPrecondition, "retention alert %q is %s: it cannot %s", AlertName(id), a.State, act.Kind).WithReason("ALERT_STATE")
		}
		now := s.clock()
		by := auth.CallerFrom(ctx).Actor()
		switch act.Kind {
		case "acknowledge":
			a.State, a.AcknowledgeBy, a.AcknowledgedAt = AlertAcknowledged, by, &now
		case "work":
			for _, i := range act.DoneSteps {
				if i < 0 || i >= len(a.Steps) {
					return failure.InvalidFields([]failure.Violation{{Field: "done_steps", Description: fmt.Sprintf("step %d does not exist (the alert has %d)", i, len(a.Steps))}})
				}
				a.Steps[i].Done = true
			}
			if a.AcknowledgedAt == nil {
				a.AcknowledgeBy, a.AcknowledgedAt = by, &now
			}
			a.State = AlertInProgress
		case "close":
			a.State, a.Outcome, a.ClosedBy, a.CloseTime = AlertClosed, act.Outcome, by, &now
		}
		if act.Note != "" {
			a.Note = act.Note
		}
		a.UpdateTime, a.Revision = now, a.Revision+1
		if err := tx.UpdateAlert(ctx, a); err != nil {
			return err
		}
		out = a
		return tx.RecordActivity(ctx, activity.New(ctx, now, AlertName(id), act.Kind, a.Account, nil))
	})
	return out, err
}

// ---- Background work ----

const (
	activityCursor = "retention.activity"
	sweepCursor    = "retention.sweep"
)

// ProcessChanges re-evaluates the accounts changed in the activity log (deals,
// interactions, the account itself) and those whose manual label expired. It returns
// how many accounts it evaluated.
func (s *Service) ProcessChanges(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		more := false
		err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
			now := s.clock()
			ids, err := tx.FollowInputs(ctx, activityCursor, s.opts.BatchSize)
			if err != nil {
				return err
			}
			more = ids != nil // entries were read: there may be more
			expired, err := tx.ExpiredManual(ctx, now, s.opts.BatchSize)
			if err != nil {
				return err
			}
			ids = append(ids, expired...)
			if len(ids) == 0 {
				return nil
			}
			sts, err := s.apply(ctx, tx, ids, now, nil)
			total += len(sts)
			return err
		})
		if err != nil || !more {
			return total, err
		}
	}
	return total, ctx.Err()
}

// Touch re-evaluates the given accounts now (health calls it when grades change).
func (s *Service) Touch(ctx context.Context, ids []uuid.UUID) error {
	for part := range slices.Chunk(ids, s.opts.BatchSize) {
		if err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
			_, err := s.apply(ctx, tx, part, s.clock(), nil)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// Sweep re-evaluates every live account when SweepEvery has passed since the last
// sweep (force: now). It reports how many accounts it evaluated.
func (s *Service) Sweep(ctx context.Context, force bool) (int, error) {
	if !force && s.opts.SweepEvery <= 0 {
		return 0, nil
	}
	now := s.clock()
	due := force
	if !force {
		if err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
			last, err := tx.LockCursor(ctx, sweepCursor)
			if err != nil || (last != 0 && now.Sub(time.UnixMicro(last)) < s.opts.SweepEvery) {
				return err
			}
			due = true // this replica sweeps; the others see the moved cursor
			return tx.SetCursor(ctx, sweepCursor, now.UnixMicro())
		}); err != nil || !due {
			return 0, err
		}
	}
	total := 0
	var after *uuid.UUID
	for ctx.Err() == nil {
		ids, err := s.store.LiveAccounts(ctx, after, s.opts.BatchSize)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		if err := s.store.WithRetentionTx(ctx, func(tx Tx) error {
			_, err := s.apply(ctx, tx, ids, s.clock(), nil)
			return err
		}); err != nil {
			return total, err
		}
		total += len(ids)
		after = &ids[len(ids)-1]
	}
	return total, ctx.Err()
}

// Work runs the background work until ctx ends, every interval.
func (s *Service) Work(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.ProcessChanges(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "retention: evaluating changed accounts", "err", err)
		}
		if _, err := s.Sweep(ctx, false); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "retention: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
