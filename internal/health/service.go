package health

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

// Store errors, shared with the archive's store.
var (
	ErrNotFound = account.ErrNotFound
	ErrStale    = account.ErrStale
	ErrUnique   = account.ErrUnique
	// ErrCurrentMoved: a current row another transaction wrote got in the way of
	// InsertCurrents (which then wrote nothing).
	ErrCurrentMoved = errors.New("an account's current health row was written meanwhile")
)

// Options tune the service.
type Options struct {
	// Debounce is how long after a change an account is rescored, so a burst of
	// signals makes one recompute (default 30s).
	Debounce time.Duration
	// BatchSize is how many accounts a recompute transaction scores (default 1000).
	BatchSize int
	// RecomputeEvery queues a recompute of every account this often, so windows and
	// days-since measures move with time (0: never).
	RecomputeEvery time.Duration
	// Parallel is how many batches of a job are scored at once (default 2).
	Parallel int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnGradeChange, when set, is told (after commit) which accounts' grade in effect
	// changed, so rules that read grades (retention labels) follow at once.
	OnGradeChange func(ctx context.Context, ids []uuid.UUID)
}

// Service implements health scoring's use cases.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a Service over store.
func NewService(store Store, opts Options) *Service {
	if opts.Debounce == 0 {
		opts.Debounce = 30 * time.Second
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 2
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

// clock returns now at the precision both databases keep (microseconds).
func (s *Service) clock() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func accountNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "account %q not found", account.AccountName(id)).WithResource(account.AccountName(id))
}

// visible reports whether ctx's caller may see t: partners see only the accounts
// linked to them.
func visible(ctx context.Context, t *Target) bool {
	c := auth.CallerFrom(ctx)
	return !c.IsPartner() || slices.Contains(t.Partners, c.Partner)
}

// liveTarget returns an account the caller may see, or NOT_FOUND.
func (s *Service) liveTarget(ctx context.Context, r Reader, id uuid.UUID) (*Target, error) {
	ts, err := r.Targets(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	t := ts[id]
	if t == nil || t.DeleteTime != nil || !visible(ctx, t) {
		return nil, accountNotFound(id)
	}
	return t, nil
}

// EnsureDefault creates the default scorecard on an installation that has none. Safe
// to call from several replicas at once: the database allows one default.
func (s *Service) EnsureDefault(ctx context.Context) error {
	cards, err := s.store.Scorecards(ctx)
	if err != nil || len(cards) > 0 {
		return err
	}
	c := DefaultScorecard()
	now := s.clock()
	c.ID, c.Version, c.VersionCreateTime, c.CreateTime, c.UpdateTime, c.Revision = newID(), 1, now, now, now, 1
	err = s.store.WithHealthTx(ctx, func(tx Tx) error {
		if err := tx.InsertScorecard(ctx, &c); err != nil {
			return err
		}
		if err := tx.RecordActivity(ctx, activity.New(ctx, now, ScorecardName(c.ID), "create", uuid.Nil, nil)); err != nil {
			return err
		}
		return s.queueRecompute(ctx, tx, now) // an upgraded installation's accounts get scores
	})
	if errors.Is(err, ErrUnique) {
		return nil // another replica made it
	}
	return err
}

// ---- Signals ----

// BatchCreateSignals stores signals, all or none; a signal whose key is stored is
// returned as stored. The accounts are marked for a debounced rescore.
func (s *Service) BatchCreateSignals(ctx context.Context, in []*Signal) (out []*Signal, created int, err error) {
	now := s.clock()
	var vs []failure.Violation
	ids := make([]uuid.UUID, 0, len(in))
	seen := map[[3]string]bool{}
	for i, sg := range in {
		if sg.Time.After(now.Add(24 * time.Hour)) {
			vs = append(vs, failure.Violation{Field: fmt.Sprintf("signals[%d].time", i), Description: "time is more than a day in the future"})
		}
		k := [3]string{sg.Account.String(), sg.Source, sg.SignalID}
		if seen[k] {
			vs = append(vs, failure.Violation{Field: fmt.Sprintf("signals[%d].signal_id", i), Description: fmt.Sprintf("signal_id %q appears twice for the same account and source", sg.SignalID)})
		}
		seen[k] = true
		if !slices.Contains(ids, sg.Account) {
			ids = append(ids, sg.Account)
		}
	}
	if err := failure.InvalidFields(vs); err != nil {
		return nil, 0, err
	}
	err = s.store.WithHealthTx(ctx, func(tx Tx) error {
		ts, err := tx.Targets(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			t := ts[id]
			if t == nil || t.DeleteTime != nil || !visible(ctx, t) {
				return accountNotFound(id)
			}
		}
		for _, sg := range in {
			sg.ID, sg.CreateTime = newID(), now
		}
		if created, err = tx.InsertSignals(ctx, in); err != nil {
			return err
		}
		stored, err := tx.SignalsByKey(ctx, in)
		if err != nil {
			return err
		}
		byKey := make(map[[3]string]*Signal, len(stored))
		for _, sg := range stored {
			byKey[[3]string{sg.Account.String(), sg.Source, sg.SignalID}] = sg
		}
		out = make([]*Signal, len(in))
		for i, sg := range in {
			out[i] = byKey[[3]string{sg.Account.String(), sg.Source, sg.SignalID}]
			if out[i] == nil {
				return fmt.Errorf("signal %s/%s/%s not found after insert", sg.Account, sg.Source, sg.SignalID)
			}
		}
		if created == 0 {
			return nil
		}
		if err := tx.MarkDirty(ctx, ids, now.Add(s.opts.Debounce)); err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.RecordActivity(ctx, activity.New(ctx, now, account.AccountName(id)+"/signals", "create", id, nil)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, created, err
}

// SignalFilter is the schema of ListSignals filters.
var SignalFilter = filter.Schema{
	"measure": {Kind: filter.String},
	"source":  {Kind: filter.String},
	"time":    {Kind: filter.Timestamp},
}

// ListSignals lists an account's signals, newest first.
func (s *Service) ListSignals(ctx context.Context, acc uuid.UUID, r listing.Request) (*listing.Page[*Signal], error) {
	if _, err := s.liveTarget(ctx, s.store, acc); err != nil {
		return nil, err
	}
	p, fp, err := listing.Parse(r, SignalFilter, nil, nil, account.AccountName(acc)+"/signals")
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.ListSignals(ctx, acc, p)
	return listing.Finish(items, next, fp, err)
}

// ---- Scorecards ----

// CreateScorecard creates a scorecard at version 1; made the default, it takes over
// from the previous default.
func (s *Service) CreateScorecard(ctx context.Context, c *Scorecard) (*Scorecard, error) {
	if err := checkScorecard(c); err != nil {
		return nil, err
	}
	now := s.clock()
	c.ID, c.Version, c.VersionCreateTime, c.CreateTime, c.UpdateTime, c.Revision = newID(), 1, now, now, now, 1
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		if c.IsDefault {
			if err := tx.ClearDefault(ctx); err != nil {
				return err
			}
		}
		if err := tx.InsertScorecard(ctx, c); err != nil {
			return err
		}
		if err := tx.RecordActivity(ctx, activity.New(ctx, now, ScorecardName(c.ID), "create", uuid.Nil, nil)); err != nil {
			return err
		}
		return s.queueRecompute(ctx, tx, now)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func scorecardNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "scorecard %q not found", ScorecardName(id)).WithResource(ScorecardName(id))
}

// GetScorecard returns a scorecard at its current version, or at version (> 0).
func (s *Service) GetScorecard(ctx context.Context, id uuid.UUID, version int) (*Scorecard, error) {
	c, err := s.store.GetScorecard(ctx, id, version)
	if errors.Is(err, ErrNotFound) {
		if version > 0 {
			if _, err := s.store.GetScorecard(ctx, id, 0); err == nil {
				return nil, failure.Newf(failure.NotFound, "scorecard %q has no version %d", ScorecardName(id), version).WithResource(ScorecardName(id))
			}
		}
		return nil, scorecardNotFound(id)
	}
	return c, err
}

// ListScorecards lists the scorecards, oldest first.
func (s *Service) ListScorecards(ctx context.Context, size int32, token string) (*listing.Page[*Scorecard], error) {
	return listing.Plain(ctx, "scorecards", "", size, token, s.store.ListScorecards)
}

// ListScorecardVersions lists a scorecard's versions, newest first.
func (s *Service) ListScorecardVersions(ctx context.Context, id uuid.UUID, size int32, token string) (*listing.Page[*Scorecard], error) {
	if _, err := s.GetScorecard(ctx, id, 0); err != nil {
		return nil, err
	}
	return listing.Plain(ctx, "scorecard_versions", id.String(), size, token,
		func(ctx context.Context, n int, after *page.Cursor) ([]*Scorecard, *page.Cursor, error) {
			return s.store.ListScorecardVersions(ctx, id, n, after)
		})
}

// ScorecardPatch is an update: the fields named in Mask take their values from Card.
type ScorecardPatch struct {
	Card *Scorecard
	Mask []string // display_name, description, is_default, segment, measures, grade_bands
	Etag int64    // 0: no check
}

// UpdateScorecard applies a patch. A change of measures or grade bands makes a new
// version.
func (s *Service) UpdateScorecard(ctx context.Context, id uuid.UUID, p ScorecardPatch) (*Scorecard, error) {
	var out *Scorecard
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		old, err := tx.LockScorecard(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return scorecardNotFound(id)
		}
		if err != nil {
			return err
		}
		if p.Etag != 0 && p.Etag != old.Revision {
			return failure.Newf(failure.Aborted, "scorecard %q changed since it was read (etag %d, now %d); read it again", ScorecardName(id), p.Etag, old.Revision).WithReason("ETAG_MISMATCH")
		}
		next := *old
		next.Definition = Definition{Measures: slices.Clone(old.Definition.Measures), Bands: old.Definition.Bands}
		var changed []string
		for _, f := range p.Mask {
			switch f {
			case "display_name":
				next.DisplayName = p.Card.DisplayName
			case "description":
				next.Description = p.Card.Description
			case "is_default":
				next.IsDefault = p.Card.IsDefault
			case "segment":
				next.Tiers, next.Industries = p.Card.Tiers, p.Card.Industries
			case "measures":
				next.Definition.Measures = p.Card.Definition.Measures
			case "grade_bands":
				next.Definition.Bands = p.Card.Definition.Bands
			default:
				continue
			}
			changed = append(changed, f)
		}
		if old.IsDefault && !next.IsDefault {
			return failure.Newf(failure.FailedPrecondition, "scorecard %q is the default; make another scorecard the default instead", ScorecardName(id)).WithReason("DEFAULT_REQUIRED")
		}
		if err := checkScorecard(&next); err != nil {
			return err
		}
		newVersion := !definitionEqual(&old.Definition, &next.Definition)
		now := s.clock()
		if newVersion {
			next.Version, next.VersionCreateTime = old.Version+1, now
		}
		if !newVersion && next.DisplayName == old.DisplayName && next.Description == old.Description &&
			next.IsDefault == old.IsDefault && slices.Equal(next.Tiers, old.Tiers) && slices.Equal(next.Industries, old.Industries) {
			out = old // nothing changed: no write
			return nil
		}
		if next.IsDefault && !old.IsDefault {
			if err := tx.ClearDefault(ctx); err != nil {
				return err
			}
		}
		next.UpdateTime, next.Revision = now, old.Revision+1
		if err := tx.UpdateScorecard(ctx, &next, old.Revision, newVersion); err != nil {
			return err
		}
		out = &next
		if err := tx.RecordActivity(ctx, activity.New(ctx, now, ScorecardName(id), "update", uuid.Nil, changed)); err != nil {
			return err
		}
		if newVersion || next.IsDefault != old.IsDefault || !slices.Equal(next.Tiers, old.Tiers) || !slices.Equal(next.Industries, old.Industries) {
			return s.queueRecompute(ctx, tx, now) // scores follow the scorecard
		}
		return nil
	})
	return out, err
}

func definitionEqual(a, b *Definition) bool {
	if a.Bands != b.Bands || len(a.Measures) != len(b.Measures) {
		return false
	}
	for i := range a.Measures {
		x, y := a.Measures[i], b.Measures[i]
		if (x.Linear == nil) != (y.Linear == nil) || (x.Linear != nil && *x.Linear != *y.Linear) || !slices.Equal(x.Bands, y.Bands) {
			return false
		}
		x.Linear, y.Linear, x.Bands, y.Bands = nil, nil, nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// ---- Scores ----

// GetHealthScore returns an account's score now, or at asOf.
func (s *Service) GetHealthScore(ctx context.Context, acc uuid.UUID, asOf *time.Time) (*HealthScore, error) {
	if _, err := s.liveTarget(ctx, s.store, acc); err != nil {
		return nil, err
	}
	now := s.clock()
	noScore := func() error {
		return failure.Newf(failure.NotFound, "account %q has no health score yet", account.AccountName(acc)).WithResource(ScoreName(acc))
	}
	if asOf != nil && asOf.Before(now) {
		sc, err := s.store.ScoreAt(ctx, acc, *asOf)
		if errors.Is(err, ErrNotFound) {
			return nil, failure.Newf(failure.NotFound, "account %q had no health score at %s", account.AccountName(acc), asOf.UTC().Format(time.RFC3339)).WithResource(ScoreName(acc))
		}
		if err != nil {
			return nil, err
		}
		hs := &HealthScore{Account: acc, Computed: *sc}
		if prev, err := s.store.ScoreAt(ctx, acc, sc.ComputeTime.Add(-time.Microsecond)); err == nil {
			d := round2(sc.Score - prev.Score)
			hs.Change = &d
		}
		if old, err := s.store.ScoresAt(ctx, []uuid.UUID{acc}, sc.ComputeTime.AddDate(0, 0, -30)); err == nil {
			if v, ok := old[acc]; ok {
				d := round2(sc.Score - v)
				hs.Change30d = &d
			}
		}
		hs.Trend = trend(hs.Change, hs.Change30d)
		o, err := s.store.OverrideAt(ctx, acc, *asOf)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		card, err := s.store.GetScorecard(ctx, sc.Scorecard, sc.ScorecardVersion)
		if err != nil {
			return nil, err
		}
		hs.Score, hs.Grade = effective(sc.Score, sc.Grade, card.Definition.Bands, o)
		if o != nil {
			hs.Override = o
		}
		return hs, nil
	}
	cur, err := s.store.GetCurrent(ctx, acc)
	if errors.Is(err, ErrNotFound) {
		return nil, noScore()
	}
	if err != nil {
		return nil, err
	}
	return s.present(ctx, cur, now)
}

// present turns a current row into what callers read.
func (s *Service) present(ctx context.Context, cur *Current, now time.Time) (*HealthScore, error) {
	sc, err := s.store.GetScore(ctx, cur.Account, cur.ScoreID)
	if err != nil {
		return nil, fmt.Errorf("score %s of account %s: %w", cur.ScoreID, cur.Account, err)
	}
	hs := &HealthScore{Account: cur.Account, Score: cur.Effective, Grade: cur.EffGrade, Computed: *sc,
		Change: cur.Change, Change30d: cur.Change30d, Trend: cur.Trend}
	if cur.OverrideID != nil {
		o, err := s.store.GetOverride(ctx, *cur.OverrideID)
		if err != nil {
			return nil, err
		}
		if o.ActiveAt(now) {
			hs.Override = o
		} else { // expired, not swept yet
			hs.Score, hs.Grade = sc.Score, sc.Grade
		}
	}
	return hs, nil
}

// effective is the score and grade in effect under override o (nil: none).
func effective(score float64, grade string, bands GradeBands, o *Override) (float64, string) {
	if o == nil {
		return score, grade
	}
	if o.Score != nil {
		score, grade = *o.Score, bands.Grade(*o.Score)
	}
	if o.Grade != "" {
		grade = o.Grade
	}
	return score, grade
}

// ScoreFilter is the schema of ListHealthScores filters.
var ScoreFilter = filter.Schema{
	"score":                {Kind: filter.Float},
	"computed_score":       {Kind: filter.Float},
	"change":               {Kind: filter.Float},
	"change_30d":           {Kind: filter.Float},
	"grade":                {Kind: filter.Enum, Values: gradeValues},
	"computed_grade":       {Kind: filter.Enum, Values: gradeValues},
	"trend":                {Kind: filter.Enum, Values: []string{TrendImproving, TrendStable, TrendDeclining, "HEALTH_TREND_" + TrendImproving, "HEALTH_TREND_" + TrendStable, "HEALTH_TREND_" + TrendDeclining}},
	"overridden":           {Kind: filter.Bool},
	"scorecard":            {Kind: filter.String},
	"compute_time":         {Kind: filter.Timestamp},
	"account.revenue_tier": account.AccountFilter["revenue_tier"],
	"account.industry":     {Kind: filter.String},
	"account.region":       {Kind: filter.String},
	"account.owner":        {Kind: filter.String},
}

var gradeValues = []string{GradeRed, GradeYellow, GradeGreen, "HEALTH_GRADE_" + GradeRed, "HEALTH_GRADE_" + GradeYellow, "HEALTH_GRADE_" + GradeGreen}

var defaultScoreOrder = []orderby.Term{{Field: "score"}}

// ScoreOrder lists the fields ListHealthScores can order by.
var ScoreOrder = []string{"score", "change", "change_30d", "compute_time"}

// ListHealthScores lists current scores (lowest first by default). Partners see their
// accounts only.
func (s *Service) ListHealthScores(ctx context.Context, r listing.Request) (*listing.Page[*HealthScore], error) {
	r.ShowDeleted = false
	p, fp, err := listing.Parse(r, ScoreFilter, ScoreOrder, defaultScoreOrder, "healthScores")
	if err != nil {
		return nil, err
	}
	if c := auth.CallerFrom(ctx); c.IsPartner() {
		p.Partner = c.Partner
	}
	items, next, err := s.store.ListCurrents(ctx, p)
	if err != nil {
		return listing.Finish[*HealthScore](nil, nil, fp, err)
	}
	now := s.clock()
	byID := make(map[uuid.UUID]*Current, len(items))
	for _, cur := range items {
		byID[cur.Account] = cur
	}
	overrides, err := s.store.GetOverrides(ctx, overrideIDs(byID))
	if err != nil {
		return nil, err
	}
	out := make([]*HealthScore, len(items))
	for i, cur := range items {
		out[i] = &HealthScore{Account: cur.Account, Score: cur.Effective, Grade: cur.EffGrade, Change: cur.Change, Change30d: cur.Change30d, Trend: cur.Trend,
			Computed: Score{ID: cur.ScoreID, Account: cur.Account, Scorecard: cur.Scorecard, ScorecardVersion: cur.Version,
				Result: Result{Score: cur.Computed, Grade: cur.Grade}, ComputeTime: cur.Time}}
		if cur.OverrideID != nil {
			if o := overrides[*cur.OverrideID]; o != nil && o.ActiveAt(now) {
				out[i].Override = o
			} else { // expired, not swept yet: the computed score is in effect
				out[i].Score, out[i].Grade = cur.Computed, cur.Grade
			}
		}
	}
	return listing.Finish(out, next, fp, nil)
}

// ListHealthScoreHistory lists an account's computed scores, newest first.
func (s *Service) ListHealthScoreHistory(ctx context.Context, acc uuid.UUID, size int32, token string) (*listing.Page[*Score], error) {
	if _, err := s.liveTarget(ctx, s.store, acc); err != nil {
		return nil, err
	}
	return listing.Plain(ctx, "health_history", acc.String(), size, token,
		func(ctx context.Context, n int, after *page.Cursor) ([]*Score, *page.Cursor, error) {
			return s.store.ListScores(ctx, acc, n, after)
		})
}

// ComputeHealthScore scores one account now.
func (s *Service) ComputeHealthScore(ctx context.Context, acc uuid.UUID) (*HealthScore, error) {
	now := s.clock()
	var t *Target
	var st Stats
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		var err error
		if t, err = s.liveTarget(ctx, tx, acc); err != nil {
			return err
		}
		st, err = s.scoreTargets(ctx, tx, []*Target{t}, false, now, nil)
		if err != nil {
			return err
		}
		if st.NoData == 1 {
			return failure.Newf(failure.FailedPrecondition, "account %q has no data for any measure of its scorecard, so it has no score", account.AccountName(acc)).WithReason("NO_HEALTH_DATA")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, st.Regraded...)
	return s.GetHealthScore(ctx, acc, nil)
}

// OverrideHealthScore sets a person's score or grade for an account.
func (s *Service) OverrideHealthScore(ctx context.Context, acc uuid.UUID, o *Override) (*HealthScore, error) {
	now := s.clock()
	if o.ExpireTime != nil && !o.ExpireTime.After(now) {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "override.expire_time", Description: "expire_time must be in the future"}})
	}
	o.Reason = strings.TrimSpace(o.Reason)
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		if _, err := s.liveTarget(ctx, tx, acc); err != nil {
			return err
		}
		cur, err := tx.LockCurrent(ctx, acc)
		if errors.Is(err, ErrNotFound) {
			return failure.Newf(failure.FailedPrecondition, "account %q has no computed health score to override yet; compute one first", account.AccountName(acc)).WithReason("NO_HEALTH_SCORE")
		}
		if err != nil {
			return err
		}
		card, err := tx.GetScorecard(ctx, cur.Scorecard, cur.Version)
		if err != nil {
			return err
		}
		if cur.OverrideID != nil {
			if err := tx.EndOverride(ctx, *cur.OverrideID, now, auth.CallerFrom(ctx).Actor(), "replaced"); err != nil {
				return err
			}
		}
		o.ID, o.Account, o.Actor, o.SetTime = newID(), acc, auth.CallerFrom(ctx).Actor(), now
		if o.Grade == "" {
			o.Grade = card.Definition.Bands.Grade(*o.Score)
		}
		if err := tx.InsertOverride(ctx, o); err != nil {
			return err
		}
		cur.Effective, cur.EffGrade = effective(cur.Computed, cur.Grade, card.Definition.Bands, o)
		cur.OverrideID, cur.OverrideExpire = &o.ID, o.ExpireTime
		if err := tx.UpdateCurrents(ctx, []*Current{cur}); err != nil {
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, now, ScoreName(acc), "override", acc, overrideFields(o)))
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, acc) // the grade in effect may have changed
	return s.GetHealthScore(ctx, acc, nil)
}

func overrideFields(o *Override) []string {
	f := []string{"grade", "reason"}
	if o.Score != nil {
		f = append(f, "score")
	}
	if o.ExpireTime != nil {
		f = append(f, "expire_time")
	}
	return f
}

// ClearHealthScoreOverride ends the override in effect, keeping reason with it.
func (s *Service) ClearHealthScoreOverride(ctx context.Context, acc uuid.UUID, reason string) (*HealthScore, error) {
	if reason = strings.TrimSpace(reason); reason == "" {
		reason = "cleared"
	}
	now := s.clock()
	err := s.store.WithHealthTx(ctx, func(tx Tx) error {
		if _, err := s.liveTarget(ctx, tx, acc); err != nil {
			return err
		}
		cur, err := tx.LockCurrent(ctx, acc)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		var o *Override
		if err == nil && cur.OverrideID != nil {
			if o, err = tx.GetOverride(ctx, *cur.OverrideID); err != nil {
				return err
			}
		}
		if o == nil || !o.ActiveAt(now) {
			return failure.Newf(failure.FailedPrecondition, "account %q has no health score override in effect", account.AccountName(acc)).WithReason("NO_OVERRIDE")
		}
		if err := clearOverride(ctx, tx, cur, now, auth.CallerFrom(ctx).Actor(), reason); err != nil {
			return err
		}
		return tx.RecordActivity(ctx, activity.New(ctx, now, ScoreName(acc), "clear_override", acc, []string{"reason"}))
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, acc) // the grade in effect may have changed
	return s.GetHealthScore(ctx, acc, nil)
}

// clearOverride ends cur's override at t and restores the computed score.
func clearOverride(ctx context.Context, tx Tx, cur *Current, t time.Time, by, reason string) error {
	if err := tx.EndOverride(ctx, *cur.OverrideID, t, by, reason); err != nil {
		return err
	}
	cur.OverrideID, cur.OverrideExpire = nil, nil
	cur.Effective, cur.EffGrade = cur.Computed, cur.Grade
	return tx.UpdateCurrents(ctx, []*Current{cur})
}

// ---- Scoring ----

// Stats count what a scoring pass did. Done counts accounts already scored at exactly
// the moment (by the same job, before a restart), which are not counted again.
type Stats struct {
	Processed, Changed, NoData, Done int64
	Regraded                         []uuid.UUID // accounts whose grade in effect changed
}

// notify tells OnGradeChange about accounts whose grade in effect changed.
func (s *Service) notify(ctx context.Context, ids ...uuid.UUID) {
	if s.opts.OnGradeChange != nil && len(ids) > 0 {
		s.opts.OnGradeChange(ctx, ids)
	}
}

// scoreTargets scores accounts at asOf in tx and writes what changed: a new score when
// the result differs from the current one (the current row holds it; the one it
// replaces becomes history), and the current row when anything else (the trend, say)
// differs. jobID tags the scores of a recompute job.
func (s *Service) scoreTargets(ctx context.Context, tx Tx, ts []*Target, dense bool, asOf time.Time, jobID *uuid.UUID) (Stats, error) {
	return s.scoreWith(ctx, tx, nil, ts, dense, asOf, jobID)
}

// scoreWith is scoreTargets with the scorecards given (nil: read them in tx). A job
// reads them once: a scorecard changed while it runs queues another job anyway.
func (s *Service) scoreWith(ctx context.Context, tx Tx, cards []*Scorecard, ts []*Target, dense bool, asOf time.Time, jobID *uuid.UUID) (Stats, error) {
	return s.scoreLocking(ctx, tx, cards, ts, dense, asOf, jobID, len(ts) == 1)
}

// scoreLocking scores ts. With lockFirst it reads the current rows for update, so a
// person's override of the same account waits for it (and it for them). Without, it
// reads them plainly and locks only the rows it is about to write, checking they did
// not move since it read them; if one did, it scores the batch again the locking way.
// Most rows of a recompute do not change, and locking them all cost the unchanged pass
// a row lock (a heap write) per account.
func (s *Service) scoreLocking(ctx context.Context, tx Tx, cards []*Scorecard, ts []*Target, dense bool, asOf time.Time, jobID *uuid.UUID, lockFirst bool) (Stats, error) {
	st := Stats{Processed: int64(len(ts))}
	if err := tx.PreferIndexes(ctx); err != nil {
		return st, err
	}
	if cards == nil {
		var err error
		if cards, err = tx.Scorecards(ctx); err != nil {
			return st, err
		}
	}
	if len(cards) == 0 {
		return st, failure.Newf(failure.FailedPrecondition, "there is no scorecard; create one").WithReason("NO_SCORECARD")
	}
	ids := make([]uuid.UUID, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	defs := make([]*Definition, len(cards))
	for i, c := range cards {
		defs[i] = &c.Definition
	}
	plan := NewPlan(asOf, defs...)
	batch := Batch{IDs: ids, Dense: dense}
	aggs, err := tx.Aggregate(ctx, batch, asOf, plan.Queries)
	if err != nil {
		return st, err
	}
	counts, err := tx.CountsOf(ctx, batch)
	if err != nil {
		return st, err
	}
	var currents map[uuid.UUID]*Current
	if lockFirst {
		currents, err = tx.LockCurrents(ctx, batch)
	} else {
		currents, err = tx.Currents(ctx, batch)
	}
	if err != nil {
		return st, err
	}
	overrides, err := tx.GetOverrides(ctx, overrideIDs(currents))
	if err != nil {
		return st, err
	}
	// The score in effect 30 days back: a current score computed before then is it;
	// an account whose only score was computed since has none; only accounts whose
	// score changed since need the history.
	monthAgo := asOf.AddDate(0, 0, -30)
	old := map[uuid.UUID]float64{}
	var changedSince []uuid.UUID
	for id, c := range currents {
		switch {
		case !c.Time.After(monthAgo):
			old[id] = c.Computed
		case c.Change != nil:
			changedSince = append(changedSince, id)
		}
	}
	if len(changedSince) > 0 {
		hist, err := tx.ScoresAt(ctx, changedSince, monthAgo)
		if err != nil {
			return st, err
		}
		maps.Copy(old, hist)
	}
	var (
		upserts   []*Current
		newScores []*Score // upserts[i]'s new score, nil when it keeps its score
		// Overrides are people's decisions in force now, whatever moment a job scores.
		now     = s.clock()
		expired []*Override
	)
	for _, t := range ts {
		card := Choose(cards, *t)
		if card == nil {
			return st, failure.Newf(failure.FailedPrecondition, "no scorecard applies to account %q and there is no default scorecard", account.AccountName(t.ID)).WithReason("NO_SCORECARD")
		}
		in := Inputs{Events: aggs[t.ID], Counts: counts[t.ID]}
		r, ok := plan.Evaluate(&card.Definition, &in, asOf)
		if !ok {
			st.NoData++
			continue
		}
		cur := currents[t.ID]
		if cur != nil && !asOf.After(cur.Time) {
			if cur.Time.Equal(asOf) {
				st.Done++ // this job, before a restart: counted then
			}
			continue // scored at this moment or later already
		}
		digest := r.Digest(card.ID, card.Version)
		next := &Current{Account: t.ID, Scorecard: card.ID, Version: card.Version, Digest: digest}
		var sc *Score // a new score, when the result changed
		if cur != nil && cur.Digest == digest {
			next.ScoreID, next.Computed, next.Grade, next.Time, next.Change = cur.ScoreID, cur.Computed, cur.Grade, cur.Time, cur.Change
		} else {
			sc = &Score{ID: newID(), Account: t.ID, Scorecard: card.ID, ScorecardVersion: card.Version, Result: r, ComputeTime: asOf, Job: jobID}
			next.ScoreID, next.Computed, next.Grade, next.Time = sc.ID, r.Score, r.Grade, asOf
			if cur != nil {
				d := round2(r.Score - cur.Computed)
				next.Change = &d
			}
			st.Changed++
		}
		if v, ok := old[t.ID]; ok {
			d := round2(next.Computed - v)
			next.Change30d = &d
		}
		next.Trend = trend(next.Change, next.Change30d)
		next.Effective, next.EffGrade = next.Computed, next.Grade
		if cur != nil && cur.OverrideID != nil {
			o := overrides[*cur.OverrideID]
			if o == nil {
				return st, fmt.Errorf("override %s of account %s is missing", *cur.OverrideID, t.ID)
			}
			if o.ActiveAt(now) {
				next.OverrideID, next.OverrideExpire = cur.OverrideID, cur.OverrideExpire
				next.Effective, next.EffGrade = effective(next.Computed, next.Grade, card.Definition.Bands, o)
			} else if o.EndTime == nil {
				expired = append(expired, o) // lapsed before the sweep came by
			}
		}
		if cur != nil && sameCurrent(cur, next) {
			continue
		}
		if cur == nil || cur.EffGrade != next.EffGrade {
			st.Regraded = append(st.Regraded, t.ID)
		}
		upserts, newScores = append(upserts, next), append(newScores, sc)
	}
	// Accounts scored for the first time are inserted, the cheaper write (a whole first
	// recompute is made of them): one row each, the current row holding the score.
	// Their rows could not be locked, being absent: one that another transaction
	// inserted since is found by InsertCurrents, before anything is written, and the
	// batch is scored again against it, as for a row that moved.
	var (
		fresh, replaced, rescored []*Current
		freshScores, rescoredNew  []*Score
		kept                      []*Current
	)
	for i, c := range upserts {
		sc := newScores[i]
		switch {
		case currents[c.Account] == nil:
			fresh, freshScores = append(fresh, c), append(freshScores, sc)
		case sc != nil:
			replaced, rescored, rescoredNew = append(replaced, c), append(rescored, c), append(rescoredNew, sc)
		default:
			replaced, kept = append(replaced, c), append(kept, c)
		}
	}
	// Scoring again the locking way first gives back the row locks taken here: holding
	// some while waiting for the rest could deadlock with another batch doing the same.
	again := func() (Stats, error) { return s.scoreLocking(ctx, tx, cards, ts, dense, asOf, jobID, true) }
	optimistic := !lockFirst && len(replaced) > 0
	if optimistic {
		if err := tx.Savepoint(ctx, "optimistic_locks"); err != nil {
			return st, err
		}
		again = func() (Stats, error) {
			if err := tx.RollbackTo(ctx, "optimistic_locks"); err != nil {
				return st, err
			}
			return s.scoreLocking(ctx, tx, cards, ts, dense, asOf, jobID, true)
		}
		ids := make([]uuid.UUID, len(replaced))
		for i, c := range replaced {
			ids[i] = c.Account
		}
		locked, err := tx.LockCurrents(ctx, Batch{IDs: ids})
		if err != nil {
			return st, err
		}
		for _, id := range ids {
			if !sameRow(currents[id], locked[id]) {
				return again() // moved under us
			}
		}
	}
	if err := tx.InsertCurrents(ctx, fresh, freshScores); errors.Is(err, ErrCurrentMoved) {
		return again()
	} else if err != nil {
		return st, err
	}
	if optimistic { // the locks are kept now: the rest needs no subtransaction
		if err := tx.Release(ctx, "optimistic_locks"); err != nil {
			return st, err
		}
	}
	if err := tx.ReplaceCurrents(ctx, rescored, rescoredNew); err != nil {
		return st, err
	}
	if err := tx.UpdateCurrents(ctx, kept); err != nil {
		return st, err
	}
	for _, o := range expired {
		if err := endExpired(ctx, tx, o, now); err != nil {
			return st, err
		}
	}
	return st, nil
}

// endExpired records that override o lapsed at its expiry (seen at now).
func endExpired(ctx context.Context, tx Tx, o *Override, now time.Time) error {
	if err := tx.EndOverride(ctx, o.ID, *o.ExpireTime, "system", "expired"); err != nil {
		return err
	}
	// The expiry is nobody's act, whoever's request happened to find it.
	sys := auth.WithCaller(ctx, auth.System)
	return tx.RecordActivity(ctx, activity.New(sys, now, ScoreName(o.Account), "expire_override", o.Account, nil))
}

// overrideIDs returns the overrides the current rows point at.
func overrideIDs(cs map[uuid.UUID]*Current) []uuid.UUID {
	var ids []uuid.UUID
	for _, c := range cs {
		if c.OverrideID != nil {
			ids = append(ids, *c.OverrideID)
		}
	}
	return ids
}

// sameRow reports whether two reads of an account's current row found it unchanged
// (both absent counts as unchanged: InsertCurrents catches a row that appears later).
func sameRow(a, b *Current) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	eqF := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	eqU := func(x, y *uuid.UUID) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.ScoreID == b.ScoreID && a.Scorecard == b.Scorecard && a.Version == b.Version && a.Computed == b.Computed &&
		a.Grade == b.Grade && a.Time.Equal(b.Time) && eqF(a.Change, b.Change) && eqF(a.Change30d, b.Change30d) &&
		a.Trend == b.Trend && a.Effective == b.Effective && a.EffGrade == b.EffGrade && eqU(a.OverrideID, b.OverrideID) &&
		a.Digest == b.Digest && eqT(a.OverrideExpire, b.OverrideExpire)
}

func sameCurrent(a, b *Current) bool {
	eq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.ScoreID == b.ScoreID && a.Trend == b.Trend && eq(a.Change, b.Change) && eq(a.Change30d, b.Change30d) &&
		a.Effective == b.Effective && a.EffGrade == b.EffGrade && (a.OverrideID == nil) == (b.OverrideID == nil)
}
