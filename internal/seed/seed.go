// Package seed loads a realistic demo dataset — Chinese and English organisations with
// contacts, deals, follow-ups, owners and funnel history — through the account service,
// so that every domain rule applies to it as it would to a real client's writes.
package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/failure"
)

// Options configure a seed run.
type Options struct {
	Accounts int   // how many accounts (default 300)
	Seed     int64 // random seed; the same seed gives the same dataset (default 1)
}

// Stats count what a run created (or found already there).
type Stats struct {
	Accounts, Skipped, Contacts, Deals, Interactions, Claims, Transfers int
}

// Run loads a realistic demo dataset through the domain service, so every rule applies
// (duplicates, deal kinds, primary contacts, ownership history). Running it twice is
// safe: accounts that already exist (ALREADY_EXISTS on create) are skipped with their children.
//
// Dates (deal close dates, interaction times) are drawn relative to the current UTC
// day, so runs on the same day with the same seed give the same dataset.
func Run(ctx context.Context, svc *account.Service, opt Options) (Stats, error) {
	if opt.Accounts <= 0 {
		opt.Accounts = 300
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	var st Stats
	for i, p := range makePlans(opt.Accounts, opt.Seed, time.Now()) {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := apply(ctx, svc, &p, &st); err != nil {
			return st, fmt.Errorf("seed account %d of %d (%s): %w", i+1, opt.Accounts, p.account.DisplayName, err)
		}
	}
	return st, nil
}

// apply writes one plan: the account, its funnel walk, ownership, contacts, deals and
// interactions.
func apply(ctx context.Context, svc *account.Service, p *plan, st *Stats) error {
	a, err := svc.CreateAccount(ctx, p.account, "")
	if failure.Is(err, failure.AlreadyExists) {
		st.Skipped++
		return nil
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	st.Accounts++

	// Walk the funnel one stage at a time, so the stage history reads like a real one.
	for s := 1; s <= p.stage; s++ {
		next := account.FunnelStages[s]
		if a, err = svc.UpdateAccount(ctx, a.ID, account.Account{FunnelStage: next}, []string{"funnel_stage"}, a.Etag()); err != nil {
			return fmt.Errorf("move to funnel stage %s: %w", next, err)
		}
	}

	if p.owner != "" {
		if a, err = svc.ClaimAccount(ctx, a.ID, p.owner, p.claimReason, a.Etag()); err != nil {
			return fmt.Errorf("claim for %s: %w", p.owner, err)
		}
		st.Claims++
		if p.transferTo != "" {
			if a, err = svc.TransferAccount(ctx, a.ID, p.transferTo, p.transferReason, a.Etag()); err != nil {
				return fmt.Errorf("transfer to %s: %w", p.transferTo, err)
			}
			st.Transfers++
		}
	}

	ids := make([]uuid.UUID, 0, len(p.contacts))
	for _, c := range p.contacts {
		out, err := svc.CreateContact(ctx, a.ID, c, "")
		if err != nil {
			return fmt.Errorf("create contact %s: %w", c.DisplayName, err)
		}
		ids = append(ids, out.ID)
		st.Contacts++
	}
	if p.newPrimary > 0 {
		if _, err := svc.SetPrimaryContact(ctx, a.ID, ids[p.newPrimary], p.primaryReason); err != nil {
			return fmt.Errorf("set primary contact %s: %w", p.contacts[p.newPrimary].DisplayName, err)
		}
	}

	for _, d := range p.deals {
		if _, err := svc.CreateDeal(ctx, a.ID, d, ""); err != nil {
			return fmt.Errorf("create %s deal closed %s: %w", d.Kind, d.CloseDate.Format(time.DateOnly), err)
		}
		st.Deals++
	}

	for _, in := range p.interactions {
		if _, err := svc.CreateInteraction(ctx, a.ID, in, ""); err != nil {
			return fmt.Errorf("create %s interaction of %s: %w", in.Kind, in.OccurTime.Format(time.RFC3339), err)
		}
		st.Interactions++
	}
	return nil
}
