package survey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/page"
)

// ErrNotFound is the store's missing-row error, shared with the archive's store.
var ErrNotFound = account.ErrNotFound

// Options tune the service.
type Options struct {
	// ContactDays is how long after a contact was surveyed it may not be again
	// (default 30); AccountDays likewise for any contact of the same account (default 7).
	ContactDays, AccountDays int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Warn, when set, is called in the transaction that stores a new detractor answer or
	// complaint (an early warning), so what it raises (an audit case) commits with it.
	Warn func(ctx context.Context, tx Tx, r *Response) error
}

// Service implements customer research's use cases.
type Service struct {
	store Store
	opts  Options
}

// NewService returns a Service over store.
func NewService(store Store, opts Options) *Service {
	if opts.ContactDays <= 0 {
		opts.ContactDays = 30
	}
	if opts.AccountDays <= 0 {
		opts.AccountDays = 7
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

// visible reports whether the caller may see an account: partner keys only their own.
func visible(ctx context.Context, a AccountInfo) bool {
	c := auth.CallerFrom(ctx)
	return !a.Deleted && (!c.IsPartner() || slices.Contains(a.Partners, c.Partner))
}

func (s *Service) checkAccount(ctx context.Context, r Reader, id uuid.UUID) error {
	as, err := r.SurveyAccounts(ctx, []uuid.UUID{id})
	if err != nil {
		return err
	}
	if a, ok := as[id]; !ok || !visible(ctx, a) {
		return accountNotFound(id)
	}
	return nil
}

// BatchCreateResponses stores up to 1000 responses, all or none. A response whose
// (account, source, response_id) is stored already is not stored again: the stored one
// is returned. Each must come from a contact of its account.
func (s *Service) BatchCreateResponses(ctx context.Context, in []*Response) (out []*Response, created int, err error) {
	now := s.clock()
	var vs []failure.Violation
	var accounts, contacts []uuid.UUID
	seen := map[[3]string]bool{}
	for i, r := range in {
		f := fmt.Sprintf("responses[%d]", i)
		switch r.Kind {
		case KindNPS:
			if r.Score == nil || *r.Score < 0 || *r.Score > 10 {
				vs = append(vs, failure.Violation{Field: f + ".score", Description: "an NPS answer needs a score from 0 to 10"})
			}
		case KindCSAT:
			if r.Score == nil || *r.Score < 1 || *r.Score > 5 {
				vs = append(vs, failure.Violation{Field: f + ".score", Description: "a CSAT answer needs a score from 1 to 5"})
			}
		case KindComplaint:
			if r.Score != nil {
				vs = append(vs, failure.Violation{Field: f + ".score", Description: "a complaint has no score"})
			}
		default:
			vs = append(vs, failure.Violation{Field: f + ".kind", Description: "must be NPS, CSAT or COMPLAINT"})
		}
		if r.Time.After(now.Add(24 * time.Hour)) {
			vs = append(vs, failure.Violation{Field: f + ".time", Description: "time is more than a day in the future"})
		}
		k := [3]string{r.Account.String(), r.Source, r.ResponseID}
		if seen[k] {
			vs = append(vs, failure.Violation{Field: f + ".response_id", Description: fmt.Sprintf("response_id %q appears twice for the same account and source", r.ResponseID)})
		}
		seen[k] = true
		if !slices.Contains(accounts, r.Account) {
			accounts = append(accounts, r.Account)
		}
		if !slices.Contains(contacts, r.Contact) {
			contacts = append(contacts, r.Contact)
		}
	}
	if err := failure.InvalidFields(vs); err != nil {
		return nil, 0, err
	}
	err = s.store.WithSurveyTx(ctx, func(tx Tx) error {
		as, err := tx.SurveyAccounts(ctx, accounts)
		if err != nil {
			return err
		}
		for _, id := range accounts {
			if a, ok := as[id]; !ok || !visible(ctx, a) {
				return accountNotFound(id)
			}
		}
		owners, err := tx.ContactAccounts(ctx, contacts)
		if err != nil {
			return err
		}
		for i, r := range in {
			if owner, ok := owners[r.Contact]; !ok || owner != r.Account {
				return failure.InvalidFields([]failure.Violation{{Field: fmt.Sprintf("responses[%d].contact", i),
					Description: fmt.Sprintf("contact %s is not a contact of %s", r.Contact, account.AccountName(r.Account))}})
			}
			r.ID, r.CreateTime, r.Exclusion = newID(), now, nil
		}
		if created, err = tx.InsertResponses(ctx, in); err != nil {
			return err
		}
		stored, err := tx.ResponsesByKey(ctx, in)
		if err != nil {
			return err
		}
		byKey := make(map[[3]string]*Response, len(stored))
		for _, r := range stored {
			byKey[[3]string{r.Account.String(), r.Source, r.ResponseID}] = r
		}
		out = make([]*Response, len(in))
		for i, r := range in {
			if out[i] = byKey[[3]string{r.Account.String(), r.Source, r.ResponseID}]; out[i] == nil {
				return fmt.Errorf("survey response %s/%s/%s not found after insert", r.Account, r.Source, r.ResponseID)
			}
		}
		if created == 0 {
			return nil
		}
		// Warnings in account order: each takes its account's lock, so two batches never
		// wait on each other crosswise.
		var warn []*Response
		for i, r := range out {
			if r.ID == in[i].ID && r.Detractor() && s.opts.Warn != nil { // stored by this call
				warn = append(warn, r)
			}
		}
		slices.SortStableFunc(warn, func(a, b *Response) int { return slices.Compare(a.Account[:], b.Account[:]) })
		for _, r := range warn {
			if err := s.opts.Warn(ctx, tx, r); err != nil {
				return err
			}
		}
		// One entry per account: health and retention follow the log and re-evaluate.
		for _, id := range accounts {
			if err := tx.RecordActivity(ctx, activity.New(ctx, now, account.AccountName(id)+"/surveyResponses", "create", id, nil)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, created, err
}

func responseNotFound(acc, id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "survey response %q not found", ResponseName(acc, id)).WithResource(ResponseName(acc, id))
}

// GetResponse returns a response.
func (s *Service) GetResponse(ctx context.Context, acc, id uuid.UUID) (*Response, error) {
	if err := s.checkAccount(ctx, s.store, acc); err != nil {
		return nil, err
	}
	r, err := s.store.GetResponse(ctx, acc, id)
	if errors.Is(err, ErrNotFound) {
		return nil, responseNotFound(acc, id)
	}
	return r, err
}

// ListResponses lists an account's responses (of kind, when set), newest first.
func (s *Service) ListResponses(ctx context.Context, acc uuid.UUID, kind string, size int32, token string) (*listing.Page[*Response], error) {
	if err := s.checkAccount(ctx, s.store, acc); err != nil {
		return nil, err
	}
	return listing.Plain(ctx, "survey_responses", acc.String()+"\x00"+kind, size, token,
		func(ctx context.Context, n int, after *page.Cursor) ([]*Response, *page.Cursor, error) {
			return s.store.ListResponses(ctx, acc, kind, n, after)
		})
}

// SetExcluded leaves a response out of figures (exclude true, with a reason) or takes
// it back in. FAILED_PRECONDITION when it already is as asked.
func (s *Service) SetExcluded(ctx context.Context, acc, id uuid.UUID, exclude bool, reason string) (*Response, error) {
	reason = strings.TrimSpace(reason)
	if exclude && reason == "" {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "reason", Description: "say why the response is excluded"}})
	}
	var out *Response
	err := s.store.WithSurveyTx(ctx, func(tx Tx) error {
		if err := s.checkAccount(ctx, tx, acc); err != nil {
			return err
		}
		r, err := tx.GetResponse(ctx, acc, id)
		if errors.Is(err, ErrNotFound) {
			return responseNotFound(acc, id)
		}
		if err != nil {
			return err
		}
		if (r.Exclusion != nil) == exclude {
			state := "included"
			if exclude {
				state = "excluded"
			}
			return failure.Newf(failure.FailedPrecondition, "survey response %q is already %s", ResponseName(acc, id), state).WithReason("EXCLUSION_UNCHANGED")
		}
		now := s.clock()
		action := "include"
		r.Exclusion = nil
		if exclude {
			action = "exclude"
			r.Exclusion = &Exclusion{Reason: reason, By: auth.CallerFrom(ctx).Actor(), Time: now}
		}
		if err := tx.SetExclusion(ctx, acc, id, r.Exclusion); err != nil {
			return err
		}
		out = r
		return tx.RecordActivity(ctx, activity.New(ctx, now, ResponseName(acc, id), action, acc, nil))
	})
	return out, err
}

// Report is a period's figures beside the previous period's (the same length, just
// before).
type Report struct {
	Period, Previous Period
	Current, Prior   Figures
	Segment          Segment
}

// MaxPeriodDays bounds a report's period.
const MaxPeriodDays = 3660

// GetReport computes NPS and CSAT for a period and segment, with the previous period
// for the trend. Deleted accounts and excluded responses are left out.
func (s *Service) GetReport(ctx context.Context, p Period, seg Segment) (*Report, error) {
	if !p.Start.Before(p.End) {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "period", Description: "start must be before end"}})
	}
	if p.End.Sub(p.Start) > MaxPeriodDays*24*time.Hour {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "period", Description: fmt.Sprintf("a period spans at most %d days", MaxPeriodDays)}})
	}
	prev := Period{Start: p.Start.Add(-p.End.Sub(p.Start)), End: p.Start}
	cur, err := s.store.ResponseCounts(ctx, p.Start, p.End, seg)
	if err != nil {
		return nil, err
	}
	before, err := s.store.ResponseCounts(ctx, prev.Start, prev.End, seg)
	if err != nil {
		return nil, err
	}
	return &Report{Period: p, Previous: prev, Current: Compute(cur), Prior: Compute(before), Segment: seg}, nil
}

// CheckEligibility says whether the contact may be surveyed now, and why not.
func (s *Service) CheckEligibility(ctx context.Context, acc, contact uuid.UUID) (*Eligibility, error) {
	if err := s.checkAccount(ctx, s.store, acc); err != nil {
		return nil, err
	}
	if err := s.checkContact(ctx, s.store, acc, contact, "contact"); err != nil {
		return nil, err
	}
	return s.eligibility(ctx, s.store, acc, contact, s.clock())
}

// checkContact fails unless contact is a contact of acc (NOT_FOUND, as a wrong child
// name is).
func (s *Service) checkContact(ctx context.Context, r Reader, acc, contact uuid.UUID, field string) error {
	owners, err := r.ContactAccounts(ctx, []uuid.UUID{contact})
	if err != nil {
		return err
	}
	if owners[contact] != acc {
		name := account.ContactName(acc, contact)
		return failure.Newf(failure.NotFound, "contact %q not found", name).WithResource(name)
	}
	return nil
}

func (s *Service) eligibility(ctx context.Context, r Reader, acc, contact uuid.UUID, now time.Time) (*Eligibility, error) {
	cl, al, err := r.LastSurveyed(ctx, acc, contact)
	if err != nil {
		return nil, err
	}
	e := &Eligibility{Eligible: true, NextTime: now}
	refuse := func(reason string, last time.Time, days int, who string) {
		until := last.AddDate(0, 0, days)
		if !until.After(now) {
			return
		}
		e.Eligible = false
		e.Refusals = append(e.Refusals, Refusal{Reason: reason, Until: until,
			Detail: fmt.Sprintf("%s was surveyed at %s; the next survey is allowed from %s (%d days)", who, last.Format(time.RFC3339), until.Format(time.RFC3339), days)})
		if until.After(e.NextTime) {
			e.NextTime = until
		}
	}
	if cl != nil {
		refuse(ContactThrottled, *cl, s.opts.ContactDays, "the contact")
	}
	if al != nil {
		refuse(AccountThrottled, *al, s.opts.AccountDays, "a contact of the account")
	}
	return e, nil
}

// RecordInvitation records that a contact is being surveyed, if the throttles allow:
// FAILED_PRECONDITION says why not. Sending the same invitation_id again returns the
// invitation already recorded (created false).
func (s *Service) RecordInvitation(ctx context.Context, inv *Invitation) (out *Invitation, created bool, err error) {
	err = s.store.WithSurveyTx(ctx, func(tx Tx) error {
		if err := s.checkAccount(ctx, tx, inv.Account); err != nil {
			return err
		}
		if err := tx.LockSurveys(ctx, inv.Account); err != nil {
			return err
		}
		owners, err := tx.ContactAccounts(ctx, []uuid.UUID{inv.Contact})
		if err != nil {
			return err
		}
		if owners[inv.Contact] != inv.Account {
			return failure.InvalidFields([]failure.Violation{{Field: "invitation.contact", Description: fmt.Sprintf("contact %s is not a contact of %s", inv.Contact, account.AccountName(inv.Account))}})
		}
		if prior, err := tx.InvitationByID(ctx, inv.Account, inv.InvitationID); err == nil {
			if prior.Contact != inv.Contact {
				return failure.Newf(failure.AlreadyExists, "invitation_id %q was used for another contact of %s", inv.InvitationID, account.AccountName(inv.Account)).
					WithReason("INVITATION_ID_REUSED")
			}
			out = prior // a resend
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.clock()
		e, err := s.eligibility(ctx, tx, inv.Account, inv.Contact, now)
		if err != nil {
			return err
		}
		if !e.Eligible {
			details := make([]string, len(e.Refusals))
			for i, r := range e.Refusals {
				details[i] = r.Detail
			}
			return failure.Newf(failure.FailedPrecondition, "not surveyed: %s", strings.Join(details, "; ")).WithReason(e.Refusals[0].Reason)
		}
		inv.ID, inv.Time, inv.Creator = newID(), now, auth.CallerFrom(ctx).Actor()
		if err := tx.InsertInvitation(ctx, inv); err != nil {
			return err
		}
		out, created = inv, true
		return tx.RecordActivity(ctx, activity.New(ctx, now, account.AccountName(inv.Account)+"/surveyInvitations/"+inv.ID.String(), "create", inv.Account, nil))
	})
	return out, created, err
}
