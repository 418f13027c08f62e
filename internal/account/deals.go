package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/orderby"
)

// Deal statuses.
const (
	StatusOpen = "OPEN"
	StatusWon  = "WON"
	StatusLost = "LOST"
)

// DealStatuses are the statuses of a deal.
var DealStatuses = []string{StatusOpen, StatusWon, StatusLost}

// DealFilter is the schema of ListDeals filters; close_date compares as YYYY-MM-DD.
var DealFilter = filter.Schema{
	"kind":          {Kind: filter.Enum, Values: enumValues("DEAL_KIND_", DealKinds)},
	"status":        {Kind: filter.Enum, Values: enumValues("DEAL_STATUS_", DealStatuses)},
	"product":       {Kind: filter.String},
	"currency_code": {Kind: filter.String},
	"close_date":    {Kind: filter.String},
}

// The first purchase is not trusted from callers: it is the account's earliest won deal
// by (close_date, id), as the analytics define it. The store keeps it marked (Deal.First)
// in the same transaction as every deal write; a deal's stored Kind is its kind as a
// later purchase ("" meaning REPURCHASE).

func dealName(account, id uuid.UUID) string { return AccountName(account) + "/deals/" + id.String() }

// before reports whether a sorts before b in first-purchase order.
func before(a, b *Deal) bool {
	if !a.CloseDate.Equal(b.CloseDate) {
		return a.CloseDate.Before(b.CloseDate)
	}
	return bytes.Compare(a.ID[:], b.ID[:]) < 0
}

// present sets the kind callers see: FIRST_PURCHASE for the first purchase, REPURCHASE
// for a won deal with no other kind.
func present(d *Deal) *Deal {
	switch {
	case d.First:
		d.Kind = KindFirstPurchase
	case d.Kind == "" && d.Status == StatusWon:
		d.Kind = KindRepurchase
	}
	return d
}

// settleKind checks a deal's kind against whether it will be the account's first
// purchase (other is the earliest other won deal, or nil) and returns the kind to store.
// explicit says the caller chose the kind; an inferred kind is never an error.
func settleKind(d *Deal, other *Deal, explicit bool) (string, error) {
	first := d.Status == StatusWon && (other == nil || before(d, other))
	if !explicit || d.Kind == "" {
		if d.Kind == KindFirstPurchase {
			return "", nil
		}
		return d.Kind, nil
	}
	switch {
	case first && d.Kind != KindFirstPurchase:
		return "", failure.Newf(failure.FailedPrecondition,
			"this deal would be the account's earliest won deal, so it is its first purchase: its kind is FIRST_PURCHASE (or leave it unspecified), not %s", d.Kind).
			WithReason("DEAL_KIND_MISMATCH")
	case !first && d.Kind == KindFirstPurchase && other != nil:
		return "", failure.Newf(failure.FailedPrecondition,
			"the account's first purchase is %q, which closed on %s; a deal that is not the earliest won deal is a repurchase, upsell, renewal or referral",
			other.Name(), other.CloseDate.Format("2006-01-02")).WithReason("DEAL_KIND_MISMATCH").WithResource(other.Name())
	case !first && d.Kind == KindFirstPurchase:
		return "", failure.Newf(failure.FailedPrecondition, "only a won deal can be a first purchase; this one is %s", d.Status).
			WithReason("DEAL_KIND_MISMATCH")
	case d.Kind == KindFirstPurchase:
		return "", nil
	}
	return d.Kind, nil
}

func earliestWon(ctx context.Context, tx Tx, account, exclude uuid.UUID) (*Deal, error) {
	f, err := tx.FirstDeal(ctx, account, exclude)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return f, err
}

// writeDeal stores d (insert or update), re-marks the account's first purchase and
// returns the deal as callers see it.
func writeDeal(ctx context.Context, tx Tx, d *Deal, prev int64, etag string) (*Deal, error) {
	var err error
	if prev == 0 {
		err = tx.InsertDeal(ctx, d)
	} else {
		err = tx.UpdateDeal(ctx, d, prev)
	}
	if errors.Is(err, ErrStale) {
		return nil, staleEtag(d.Name(), etag, "newer")
	}
	if err != nil {
		return nil, err
	}
	if err := tx.MarkFirstDeal(ctx, d.AccountID); err != nil {
		return nil, err
	}
	out, err := tx.GetDeal(ctx, d.AccountID, d.ID)
	if err != nil {
		return nil, err
	}
	return present(out), nil
}

// CreateDeal records a deal, checking a given kind against the account's history.
func (s *Service) CreateDeal(ctx context.Context, account uuid.UUID, in Deal, requestID string) (*Deal, error) {
	d := in
	if d.Status == "" {
		d.Status = StatusWon
	}
	if err := failure.InvalidFields(validateDeal(&d, "deal.")); err != nil {
		return nil, err
	}
	now := s.clock()
	d.ID, d.AccountID, d.CreateTime, d.UpdateTime, d.Revision, d.First = newID(), account, now, now, 1, false
	scope := requestScope(ctx, "deal:"+account.String())
	var out *Deal
	err := s.store.WithTx(ctx, func(tx Tx) error {
		if _, err := lockLive(ctx, tx, account, ""); err != nil {
			return err
		}
		if id, err := tx.LookupRequest(ctx, scope, requestID); err == nil && requestID != "" {
			prev, err := tx.GetDeal(ctx, account, id)
			out, err = replayed(prev, err, requestID, dealName(account, id))
			if out != nil {
				present(out)
			}
			return err
		}
		other, err := earliestWon(ctx, tx, account, uuid.Nil)
		if err != nil {
			return err
		}
		if d.Kind, err = settleKind(&d, other, true); err != nil {
			return err
		}
		if out, err = writeDeal(ctx, tx, &d, 0, ""); err != nil {
			return err
		}
		if requestID != "" {
			if err := tx.InsertRequest(ctx, scope, requestID, d.ID, now); err != nil {
				return err
			}
		}
		return s.log(ctx, tx, now, d.Name(), "deal.create", account, nil)
	})
	if err != nil {
		if prev, ok := replayChild(ctx, s, account, scope, requestID, func(id uuid.UUID) (*Deal, error) { return s.store.GetDeal(ctx, account, id) }); ok {
			return present(prev), nil
		}
	}
	return out, err
}

// GetDeal returns a deal.
func (s *Service) GetDeal(ctx context.Context, account, id uuid.UUID) (*Deal, error) {
	if err := s.checkVisible(ctx, account); err != nil {
		return nil, err
	}
	d, err := s.store.GetDeal(ctx, account, id)
	if err != nil {
		return nil, childNotFound(err, "deal", dealName(account, id))
	}
	return present(d), nil
}

// ListDeals lists an account's deals.
func (s *Service) ListDeals(ctx context.Context, account uuid.UUID, r ListRequest) (*Page[*Deal], error) {
	if _, err := s.getAccount(ctx, s.store, account); err != nil {
		return nil, err
	}
	p, fp, err := listing.Parse(r, DealFilter, []string{"close_date", "create_time"}, []orderby.Term{{Field: "close_date", Desc: true}}, AccountName(account)+"/deals")
	if err != nil {
		return nil, err
	}
	if err := checkDateFilter(p.Filter); err != nil {
		return nil, err
	}
	items, next, err := s.store.ListDeals(ctx, account, p)
	for _, d := range items {
		present(d)
	}
	return listing.Finish(items, next, fp, err)
}

// checkDateFilter requires close_date filter values to be calendar dates (YYYY-MM-DD).
func checkDateFilter(e filter.Expr) error {
	var bad error
	var walk func(filter.Expr)
	walk = func(e filter.Expr) {
		switch n := e.(type) {
		case *filter.And:
			for _, t := range n.Terms {
				walk(t)
			}
		case *filter.Or:
			for _, t := range n.Terms {
				walk(t)
			}
		case *filter.Not:
			walk(n.X)
		case *filter.Compare:
			if v, ok := n.Value.(string); ok && n.Field == "close_date" && (n.Op == filter.OpPrefix || !isDate(v)) {
				bad = failure.InvalidFields([]failure.Violation{{Field: "filter", Description: fmt.Sprintf("close_date compares with a calendar date written YYYY-MM-DD, got %q", v)}})
			}
		}
	}
	walk(e)
	return bad
}

func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

var dealMaskable = []string{"amount", "close_date", "kind", "product", "status"}

// UpdateDeal changes a deal's fields named by mask, with the same kind checks.
func (s *Service) UpdateDeal(ctx context.Context, account, id uuid.UUID, patch Deal, mask []string, etag string) (*Deal, error) {
	mask, err := expandMask(mask, dealMaskable, "update_mask")
	if err != nil {
		return nil, err
	}
	name := dealName(account, id)
	var out *Deal
	err = s.store.WithTx(ctx, func(tx Tx) error {
		cur, err := lockChild(ctx, tx, account, etag, "deal", name, func() (*Deal, error) { return tx.GetDeal(ctx, account, id) })
		if err != nil {
			return err
		}
		next := *cur
		explicit := false
		for _, f := range mask {
			switch f {
			case "amount":
				next.Amount = patch.Amount
			case "close_date":
				next.CloseDate = patch.CloseDate
			case "kind":
				next.Kind, explicit = patch.Kind, true
			case "product":
				next.Product = patch.Product
			case "status":
				next.Status = patch.Status
				if next.Status == "" {
					next.Status = StatusWon
				}
			}
		}
		if err := failure.InvalidFields(validateDeal(&next, "deal.")); err != nil {
			return err
		}
		other, err := earliestWon(ctx, tx, account, id)
		if err != nil {
			return err
		}
		if next.Kind, err = settleKind(&next, other, explicit); err != nil {
			return err
		}
		if next == *cur {
			out = present(cur)
			return nil
		}
		next.UpdateTime, next.Revision = s.clock(), cur.Revision+1
		if out, err = writeDeal(ctx, tx, &next, cur.Revision, etag); err != nil {
			return err
		}
		return s.log(ctx, tx, next.UpdateTime, next.Name(), "deal.update", account, mask)
	})
	return out, err
}

// DeleteDeal deletes a deal; if it was the first purchase, the next earliest won deal
// becomes the first purchase.
func (s *Service) DeleteDeal(ctx context.Context, account, id uuid.UUID, etag string) error {
	return s.store.WithTx(ctx, func(tx Tx) error {
		if _, err := lockChild(ctx, tx, account, etag, "deal", dealName(account, id), func() (*Deal, error) { return tx.GetDeal(ctx, account, id) }); err != nil {
			return err
		}
		if err := tx.DeleteDeal(ctx, account, id); err != nil {
			return err
		}
		if err := tx.MarkFirstDeal(ctx, account); err != nil {
			return err
		}
		return s.log(ctx, tx, s.clock(), dealName(account, id), "deal.delete", account, nil)
	})
}
