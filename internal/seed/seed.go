// Package seed loads a realistic demo dataset — Chinese and English organisations with
// contacts, deals, follow-ups, owners and funnel history — through the account service,
// so that every domain rule applies to it as it would to a real client's writes. It
// then sends a year of health signals through the health service and scores every
// account, so a fresh installation shows a spread of health grades. With the survey,
// audit and cases services it also stores customers' survey answers, the audit cases
// their warnings raise, and best-practice cases (library.go).
package seed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/page"
	"github.com/furrowhq/furrow/internal/retention"
	"github.com/furrowhq/furrow/internal/survey"
)

// Options configure a seed run.
type Options struct {
	Accounts int   // how many accounts (default 300)
	Seed     int64 // random seed; the same seed gives the same dataset (default 1)
	// Retention, when set, labels every account after scoring (a forced sweep).
	Retention *retention.Service
	// Surveys, when set, stores survey responses (NPS, CSAT, complaints) of the
	// customers this run creates; with Audits, their early warnings open audit cases,
	// a few of which are expedited or followed to a close. Cases, when set, writes
	// best-practice cases for some of those customers (library.go).
	Surveys *survey.Service
	Audits  *audit.Service
	Cases   *cases.Service
}

// Stats count what a run created (or found already there), and the health grades the
// seeded accounts have after the run's recompute.
type Stats struct {
	Accounts, Skipped, Contacts, Deals, Interactions, Claims, Transfers int
	// Signals counts the signals stored by this run; a rerun sends the same signal ids,
	// which the health service keeps as first stored, so it stores none.
	Signals int
	// Green, Yellow and Red count the seeded accounts by computed grade.
	Green, Yellow, Red int
	// Labels counts the seeded accounts by retention label (with Options.Retention;
	// "" is accounts that are not customers).
	Labels map[string]int
	// Responses counts the survey responses stored; AuditCases the audit cases their
	// warnings opened, GreenChannel and ClosedAudits how many of those were expedited
	// or closed; Cases and PublishedCases the best-practice cases written and
	// published.
	Responses, AuditCases, GreenChannel, ClosedAudits int
	Cases, PublishedCases                             int
}

// signalBatch is the most signals one BatchCreateSignals call takes.
const signalBatch = 1000

// Run loads a realistic demo dataset through the domain services, so every rule applies
// (duplicates, deal kinds, primary contacts, ownership history). Running it twice is
// safe: accounts that already exist (ALREADY_EXISTS on create) are skipped with their
// children.
//
// Then it sends each account's health signals through hs (source "seed", with ids that
// are the same on every run: an earlier run's account gets them again and the service
// stores none twice), and scores every live account with a recompute job run here to
// its end. The default scorecard is created when the installation has no scorecard.
//
// Dates (deal close dates, interaction and signal times) are drawn relative to the
// current UTC day, so runs on the same day with the same seed give the same dataset.
func Run(ctx context.Context, svc *account.Service, hs *health.Service, opt Options) (Stats, error) {
	return run(ctx, svc, hs, opt, time.Now())
}

// run is Run with the dataset drawn relative to now's UTC day.
func run(ctx context.Context, svc *account.Service, hs *health.Service, opt Options, now time.Time) (Stats, error) {
	if hs == nil {
		return Stats{}, errors.New("seed: no health service")
	}
	if opt.Accounts <= 0 {
		opt.Accounts = 300
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	var st Stats
	plans := makePlans(opt.Accounts, opt.Seed, now)
	ids := make([]uuid.UUID, len(plans))
	var fresh []seeded // the accounts this run created, for the research data
	for i := range plans {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		p := &plans[i]
		before := st.Accounts
		id, contacts, err := apply(ctx, svc, p, &st)
		if err != nil {
			return st, fmt.Errorf("seed account %d of %d (%s): %w", i+1, opt.Accounts, p.account.DisplayName, err)
		}
		ids[i] = id
		if st.Accounts > before {
			fresh = append(fresh, seeded{id: id, contacts: contacts, plan: p})
		}
	}
	if err := signalAndScore(ctx, hs, plans, ids, &st); err != nil {
		return st, fmt.Errorf("seed health: %w", err)
	}
	// Research before retention labels: complaints and detractors feed them.
	if err := research(ctx, opt, fresh, now.UTC().Truncate(24*time.Hour), &st); err != nil {
		return st, fmt.Errorf("seed research and cases: %w", err)
	}
	if opt.Retention != nil {
		if err := label(ctx, opt.Retention, ids, &st); err != nil {
			return st, fmt.Errorf("seed retention labels: %w", err)
		}
	}
	return st, nil
}

// label evaluates every account's retention label now and counts the seeded ones'.
func label(ctx context.Context, rs *retention.Service, ids []uuid.UUID, st *Stats) error {
	if err := rs.EnsureDefault(ctx); err != nil {
		return err
	}
	if _, err := rs.Sweep(ctx, true); err != nil {
		return err
	}
	st.Labels = map[string]int{}
	for _, id := range ids {
		if id == uuid.Nil {
			continue
		}
		s, err := rs.GetLabel(ctx, id)
		if err != nil {
			return err
		}
		st.Labels[s.Label]++
	}
	return nil
}

// signalAndScore sends the plans' signals for the accounts in ids (uuid.Nil: none),
// then recomputes every score and counts the seeded accounts' grades.
func signalAndScore(ctx context.Context, hs *health.Service, plans []plan, ids []uuid.UUID, st *Stats) error {
	if err := hs.EnsureDefault(ctx); err != nil {
		return fmt.Errorf("default scorecard: %w", err)
	}
	batch := make([]*health.Signal, 0, signalBatch)
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, created, err := hs.BatchCreateSignals(ctx, batch)
		if err != nil {
			return fmt.Errorf("create signals: %w", err)
		}
		st.Signals += created
		batch = batch[:0]
		return nil
	}
	seeded := make(map[uuid.UUID]bool, len(ids))
	for i, id := range ids {
		if id == uuid.Nil {
			continue
		}
		seeded[id] = true
		for _, s := range plans[i].signals {
			s.Account = id
			batch = append(batch, &s)
			if len(batch) == signalBatch {
				if err := send(); err != nil {
					return err
				}
			}
		}
	}
	if err := send(); err != nil {
		return err
	}

	job, err := hs.StartRecompute(ctx, "")
	if err != nil {
		return fmt.Errorf("start recompute: %w", err)
	}
	if err := awaitJob(ctx, hs, job.ID); err != nil {
		return err
	}

	// Count the seeded accounts' grades.
	token := ""
	for {
		p, err := hs.ListHealthScores(ctx, listing.Request{PageSize: page.MaxSize, PageToken: token})
		if err != nil {
			return fmt.Errorf("list health scores: %w", err)
		}
		for _, sc := range p.Items {
			if !seeded[sc.Account] {
				continue
			}
			switch sc.Computed.Grade {
			case health.GradeGreen:
				st.Green++
			case health.GradeYellow:
				st.Yellow++
			case health.GradeRed:
				st.Red++
			}
		}
		if token = p.NextPageToken; token == "" {
			return nil
		}
	}
}

// awaitJob runs queued recompute jobs here until job id has ended. A server on the same
// database may have claimed it first: then this waits for that server to finish it.
func awaitJob(ctx context.Context, hs *health.Service, id uuid.UUID) error {
	for {
		if _, err := hs.RunJobs(ctx, "seed"); err != nil {
			return fmt.Errorf("run recompute: %w", err)
		}
		j, err := hs.GetJob(ctx, id)
		if err != nil {
			return fmt.Errorf("recompute job: %w", err)
		}
		switch j.State {
		case health.JobSucceeded:
			return nil
		case health.JobRunning:
		default:
			return fmt.Errorf("recompute job %s ended %s: %s", health.JobName(id), j.State, j.Error)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// existing returns the id of the account a create reported as a duplicate (err) when
// it is the one p describes (an earlier run's), else uuid.Nil: a real account that
// happens to share a name, tax id or domain gets no demo signals.
func existing(ctx context.Context, svc *account.Service, p *plan, err error) (uuid.UUID, error) {
	f, _ := failure.As(err)
	id, perr := uuid.Parse(strings.TrimPrefix(f.Resource, "accounts/"))
	if perr != nil {
		return uuid.Nil, nil
	}
	a, err := svc.GetAccount(ctx, id)
	if failure.Is(err, failure.NotFound) {
		return uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("read existing account: %w", err)
	}
	if account.NormalizeName(a.DisplayName) != account.NormalizeName(p.account.DisplayName) {
		return uuid.Nil, nil
	}
	return id, nil
}

// apply writes one plan: the account, its funnel walk, ownership, contacts, deals and
// interactions. It returns the account's id: the new account's, an earlier run's
// account's when the plan's account exists, or uuid.Nil for an unrelated duplicate;
// and the ids of the contacts it created.
func apply(ctx context.Context, svc *account.Service, p *plan, st *Stats) (uuid.UUID, []uuid.UUID, error) {
	a, err := svc.CreateAccount(ctx, p.account, "")
	if failure.Is(err, failure.AlreadyExists) {
		st.Skipped++
		id, err := existing(ctx, svc, p, err)
		return id, nil, err
	}
	if err != nil {
		return uuid.Nil, nil, fmt.Errorf("create account: %w", err)
	}
	st.Accounts++

	// Walk the funnel one stage at a time, so the stage history reads like a real one.
	for s := 1; s <= p.stage; s++ {
		next := account.FunnelStages[s]
		if a, err = svc.UpdateAccount(ctx, a.ID, account.Account{FunnelStage: next}, []string{"funnel_stage"}, a.Etag()); err != nil {
			return uuid.Nil, nil, fmt.Errorf("move to funnel stage %s: %w", next, err)
		}
	}

	if p.owner != "" {
		if a, err = svc.ClaimAccount(ctx, a.ID, p.owner, p.claimReason, a.Etag()); err != nil {
			return uuid.Nil, nil, fmt.Errorf("claim for %s: %w", p.owner, err)
		}
		st.Claims++
		if p.transferTo != "" {
			if a, err = svc.TransferAccount(ctx, a.ID, p.transferTo, p.transferReason, a.Etag()); err != nil {
				return uuid.Nil, nil, fmt.Errorf("transfer to %s: %w", p.transferTo, err)
			}
			st.Transfers++
		}
	}

	ids := make([]uuid.UUID, 0, len(p.contacts))
	for _, c := range p.contacts {
		out, err := svc.CreateContact(ctx, a.ID, c, "")
		if err != nil {
			return uuid.Nil, nil, fmt.Errorf("create contact %s: %w", c.DisplayName, err)
		}
		ids = append(ids, out.ID)
		st.Contacts++
	}
	if p.newPrimary > 0 {
		if _, err := svc.SetPrimaryContact(ctx, a.ID, ids[p.newPrimary], p.primaryReason); err != nil {
			return uuid.Nil, nil, fmt.Errorf("set primary contact %s: %w", p.contacts[p.newPrimary].DisplayName, err)
		}
	}

	for _, d := range p.deals {
		if _, err := svc.CreateDeal(ctx, a.ID, d, ""); err != nil {
			return uuid.Nil, nil, fmt.Errorf("create %s deal closed %s: %w", d.Kind, d.CloseDate.Format(time.DateOnly), err)
		}
		st.Deals++
	}

	for _, in := range p.interactions {
		if _, err := svc.CreateInteraction(ctx, a.ID, in, ""); err != nil {
			return uuid.Nil, nil, fmt.Errorf("create %s interaction of %s: %w", in.Kind, in.OccurTime.Format(time.RFC3339), err)
		}
		st.Interactions++
	}
	return a.ID, ids, nil
}
