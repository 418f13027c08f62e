package account

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

// Service implements the archive's use cases.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store. now may be nil (time.Now).
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// clock returns the current time at the precision both databases keep (microseconds),
// so what a call returns equals what a later read returns.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Listing types, shared with other domains.
type (
	// ListRequest is a List call's paging, filtering and ordering as sent.
	ListRequest = listing.Request
	// ListParams are a checked List request.
	ListParams = listing.Params
	// Page is one page of a List.
	Page[T any] = listing.Page[T]
)

// ErrBadCursor means a page cursor's keys do not parse.
var ErrBadCursor = listing.ErrBadCursor

// enumValues lists an enum's filter spellings: "KEY" and "REVENUE_TIER_KEY".
func enumValues(prefix string, vs []string) []string {
	out := slices.Clone(vs)
	for _, v := range vs {
		out = append(out, prefix+v)
	}
	return out
}

// AccountFilter is the schema of ListAccounts filters. Enum filters accept the API's
// full enum names or the short ones; the store strips the prefix.
var AccountFilter = filter.Schema{
	"display_name":    {Kind: filter.String},
	"tax_id":          {Kind: filter.String},
	"domain":          {Kind: filter.String},
	"industry":        {Kind: filter.String},
	"region":          {Kind: filter.String},
	"owner":           {Kind: filter.String},
	"first_owner":     {Kind: filter.String},
	"size":            {Kind: filter.Enum, Values: enumValues("COMPANY_SIZE_", Sizes)},
	"revenue_tier":    {Kind: filter.Enum, Values: enumValues("REVENUE_TIER_", RevenueTiers)},
	"strategic_role":  {Kind: filter.Enum, Values: enumValues("STRATEGIC_ROLE_", StrategicRoles)},
	"activity_status": {Kind: filter.Enum, Values: enumValues("ACTIVITY_STATUS_", ActivityStatuses)},
	"funnel_stage":    {Kind: filter.Enum, Values: enumValues("FUNNEL_STAGE_", FunnelStages)},
	"labels":          {Kind: filter.StringList},
	"external_ids":    {Kind: filter.Map},
	"create_time":     {Kind: filter.Timestamp},
	"update_time":     {Kind: filter.Timestamp},
}

// AccountOrder lists the fields ListAccounts can order by.
var AccountOrder = []string{"display_name", "create_time", "update_time"}

// historyPage lists a history collection of an existing account.
func historyPage[T any](ctx context.Context, s *Service, account uuid.UUID, kind string, size int32, token string,
	list func(context.Context, uuid.UUID, int, *page.Cursor) ([]T, *page.Cursor, error)) (*Page[T], error) {
	if _, err := s.getAccount(ctx, s.store, account); err != nil {
		return nil, err
	}
	return listing.Plain(ctx, kind, account.String(), size, token, func(ctx context.Context, n int, after *page.Cursor) ([]T, *page.Cursor, error) {
		return list(ctx, account, n, after)
	})
}

func (s *Service) getAccount(ctx context.Context, r Reader, id uuid.UUID) (*Account, error) {
	a, err := r.GetAccount(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !visible(ctx, a)) {
		return nil, accountNotFound(id)
	}
	return a, err
}

func accountNotFound(id uuid.UUID) error {
	return failure.Newf(failure.NotFound, "account %q not found", AccountName(id)).WithResource(AccountName(id))
}

// visible reports whether ctx's caller may see a: a partner sees only the accounts
// linked to it by an external id of its system. To a partner, any other account does
// not exist (NOT_FOUND), so nothing leaks.
func visible(ctx context.Context, a *Account) bool {
	c := auth.CallerFrom(ctx)
	return !c.IsPartner() || a.ExternalIDs[c.Partner] != ""
}

// PartnerFields are the account fields partners may set (directly or by sync); the
// others are managed by people in Furrow.
var PartnerFields = []string{"display_name", "tax_id", "domain", "industry", "region", "size"}

// checkPartnerWrite refuses a partner caller's write of fields it does not own.
func checkPartnerWrite(ctx context.Context, fields []string) error {
	if !auth.CallerFrom(ctx).IsPartner() {
		return nil
	}
	for _, f := range fields {
		if !slices.Contains(PartnerFields, f) {
			return failure.Newf(failure.PermissionDenied, "%s is managed in Furrow and cannot be set by a partner; partners may set %s",
				f, strings.Join(PartnerFields, ", ")).WithReason("FIELD_NOT_PARTNER_SETTABLE")
		}
	}
	return nil
}

// lockLive locks a live account for a write, checking the caller's etag if given.
func lockLive(ctx context.Context, tx Tx, id uuid.UUID, etag string) (*Account, error) {
	a, err := tx.LockAccount(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !visible(ctx, a)) {
		return nil, accountNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if etag != "" && !etagMatches(etag, a.Etag()) {
		return nil, staleEtag(a.Name(), etag, a.Etag())
	}
	if a.Deleted() {
		return nil, failure.Newf(failure.FailedPrecondition, "account %q is deleted; undelete it first", a.Name()).
			WithReason("ACCOUNT_DELETED").WithResource(a.Name())
	}
	return a, nil
}

func staleEtag(name, given, current string) error {
	return failure.Newf(failure.Aborted, "%s was changed by someone else (etag %q is stale, current is %q): read it again and retry", name, given, current).
		WithReason("STALE_ETAG").WithResource(name)
}

// GetAccount returns an account, deleted or not.
func (s *Service) GetAccount(ctx context.Context, id uuid.UUID) (*Account, error) {
	return s.getAccount(ctx, s.store, id)
}

// ListAccounts lists accounts.
func (s *Service) ListAccounts(ctx context.Context, r ListRequest) (*Page[*Account], error) {
	p, fp, err := listing.Parse(r, AccountFilter, AccountOrder, []orderby.Term{{Field: "create_time"}}, "accounts")
	if err != nil {
		return nil, err
	}
	if c := auth.CallerFrom(ctx); c.IsPartner() {
		p.Partner = c.Partner
	}
	items, next, err := s.store.ListAccounts(ctx, p)
	return listing.Finish(items, next, fp, err)
}

// CreateAccount creates an account; with a requestID, a retry returns the first result.
func (s *Service) CreateAccount(ctx context.Context, in Account, requestID string) (*Account, error) {
	a := in
	a.Labels = slices.Clone(in.Labels)
	a.ExternalIDs = cloneMap(in.ExternalIDs)
	a.Owner, a.FirstOwner, a.DeleteTime, a.PrimaryContact = "", "", nil, uuid.Nil
	if a.ActivityStatus == "" {
		a.ActivityStatus = "NEW"
	}
	if a.FunnelStage == "" {
		a.FunnelStage = FunnelStages[0]
	}
	normalizeAccount(&a)
	if err := failure.InvalidFields(validateAccount(&a, "account.")); err != nil {
		return nil, err
	}
	if c := auth.CallerFrom(ctx); c.IsPartner() {
		if err := checkPartnerWrite(ctx, setAccountFields(&in)); err != nil {
			return nil, err
		}
		if a.ExternalIDs[c.Partner] == "" {
			return nil, failure.InvalidFields([]failure.Violation{{Field: "account.external_ids", Description: fmt.Sprintf(
				"a partner's accounts carry its id for them: external_ids[%q] is required", c.Partner)}})
		}
		for sys := range a.ExternalIDs {
			if sys != c.Partner {
				return nil, failure.Newf(failure.PermissionDenied, "a partner sets only its own external id (%q), not %q", c.Partner, sys).
					WithReason("FIELD_NOT_PARTNER_SETTABLE")
			}
		}
	}
	now := s.clock()
	a.ID, a.CreateTime, a.UpdateTime, a.Revision = newID(), now, now, 1
	var out *Account
	err := s.store.WithTx(ctx, func(tx Tx) error {
		if prev, err := s.replay(ctx, tx, requestScope(ctx, "account"), requestID); err != nil || prev != nil {
			out = prev
			return err
		}
		if err := tx.LockKeys(ctx, a.Keys()); err != nil {
			return err
		}
		if err := s.checkDuplicate(ctx, tx, &a); err != nil {
			return err
		}
		if err := tx.InsertAccount(ctx, &a); err != nil {
			return err
		}
		if err := tx.InsertStageChange(ctx, &StageChange{ID: newID(), AccountID: a.ID, ToStage: a.FunnelStage, ChangeTime: now}); err != nil {
			return err
		}
		if requestID != "" {
			if err := tx.InsertRequest(ctx, requestScope(ctx, "account"), requestID, a.ID, now); err != nil {
				return err
			}
		}
		out = &a
		return s.log(ctx, tx, now, a.Name(), "create", a.ID, nil)
	})
	if err != nil && requestID != "" {
		// A concurrent retry of the same request may have committed while this one ran
		// (and made it look like a duplicate): return that result.
		if prev, rerr := s.replay(ctx, s.store, requestScope(ctx, "account"), requestID); rerr == nil && prev != nil {
			return prev, nil
		}
	}
	if errors.Is(err, ErrUnique) {
		// A concurrent create of a duplicate won the race: name it.
		if derr := s.checkDuplicate(ctx, s.store, &a); derr != nil {
			return nil, derr
		}
		return nil, failure.Newf(failure.AlreadyExists, "an account with the same tax id, domain or external id already exists").WithReason("DUPLICATE_ACCOUNT")
	}
	return out, err
}

// replay returns the account an earlier create with requestID made, if any.
func (s *Service) replay(ctx context.Context, r Reader, scope, requestID string) (*Account, error) {
	if requestID == "" {
		return nil, nil
	}
	id, err := r.LookupRequest(ctx, scope, requestID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.getAccount(ctx, r, id)
}

// requestScope scopes request ids (AIP-155) to the caller: a request id is a client's
// own, and one caller's retry must never return what another created.
func requestScope(ctx context.Context, kind string) string {
	return kind + ":" + auth.CallerFrom(ctx).Name
}

// checkDuplicate fails with AlreadyExists, naming the account, when a live account other
// than a duplicates it.
func (s *Service) checkDuplicate(ctx context.Context, r Reader, a *Account) error {
	dup, err := r.FindDuplicate(ctx, a)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return duplicateError(ctx, a, dup)
}

// duplicateError says that a duplicates dup.
func duplicateError(ctx context.Context, a, dup *Account) error {
	k := a.Keys()
	if !visible(ctx, dup) {
		// Do not name an account the caller may not see.
		return failure.Newf(failure.AlreadyExists, "an account with the same tax id, domain or name already exists in Furrow; ask an admin to link it to your partner id").
			WithReason("DUPLICATE_ACCOUNT")
	}
	dk := dup.Keys()
	// Quote the existing account's own values: they may be spelled differently.
	var why string
	switch {
	case k.TaxID != "" && k.TaxID == dk.TaxID:
		why = fmt.Sprintf("the same tax id (%q)", dup.TaxID)
	case k.Domain != "" && k.Domain == dk.Domain:
		why = fmt.Sprintf("the same domain (%q)", dup.Domain)
	case sharedExternalID(a.ExternalIDs, dup.ExternalIDs) != "":
		sys := sharedExternalID(a.ExternalIDs, dup.ExternalIDs)
		why = fmt.Sprintf("the same %s id (%q)", sys, dup.ExternalIDs[sys])
	default:
		why = "the same name"
	}
	return failure.Newf(failure.AlreadyExists, "account %q (%s) has %s; a customer is recorded once", dup.Name(), dup.DisplayName, why).
		WithReason("DUPLICATE_ACCOUNT").WithResource(dup.Name())
}

// accountMaskable are the fields UpdateAccount may change.
var accountMaskable = []string{"display_name", "tax_id", "domain", "industry", "region", "size", "labels",
	"external_ids", "revenue_tier", "strategic_role", "activity_status", "funnel_stage"}

// UpdateAccount applies the fields of patch named by mask ("*" for all) to account id.
func (s *Service) UpdateAccount(ctx context.Context, id uuid.UUID, patch Account, mask []string, etag string) (*Account, error) {
	mask, err := expandMask(mask, accountMaskable, "update_mask")
	if err != nil {
		return nil, err
	}
	if err := checkPartnerWrite(ctx, mask); err != nil {
		return nil, err
	}
	var out *Account
	err = s.store.WithTx(ctx, func(tx Tx) error {
		cur, err := lockLive(ctx, tx, id, etag)
		if err != nil {
			return err
		}
		next := *cur
		for _, f := range mask {
			applyAccountField(&next, &patch, f)
		}
		normalizeAccount(&next)
		if err := failure.InvalidFields(validateAccount(&next, "account.")); err != nil {
			return err
		}
		if accountEqual(cur, &next) {
			out = cur
			return nil
		}
		if next.Keys() != cur.Keys() || !maps.Equal(next.ExternalIDs, cur.ExternalIDs) {
			if err := tx.LockKeys(ctx, next.Keys()); err != nil {
				return err
			}
			if err := s.checkDuplicate(ctx, tx, &next); err != nil {
				return err
			}
		}
		now := s.clock()
		next.UpdateTime, next.Revision = now, cur.Revision+1
		if next.FunnelStage != cur.FunnelStage {
			if err := tx.InsertStageChange(ctx, &StageChange{ID: newID(), AccountID: id, FromStage: cur.FunnelStage, ToStage: next.FunnelStage, ChangeTime: now}); err != nil {
				return err
			}
		}
		if err := s.writeAccount(ctx, tx, cur, &next); err != nil {
			return err
		}
		out = &next
		return s.log(ctx, tx, now, next.Name(), "update", id, changedAccountFields(cur, &next))
	})
	if errors.Is(err, ErrUnique) {
		return nil, failure.Newf(failure.AlreadyExists, "another account already has this tax id, domain or external id").WithReason("DUPLICATE_ACCOUNT")
	}
	return out, err
}

// log records a change in the activity log, in the change's transaction. It is the
// last write of every use case: on PostgreSQL it takes the lock that orders the log.
func (s *Service) log(ctx context.Context, tx Tx, now time.Time, resource, action string, account uuid.UUID, changed []string) error {
	return tx.RecordActivity(ctx, activity.New(ctx, now, resource, action, account, changed))
}

// setAccountFields lists the fields set (non-zero) in a, for checking what a partner sends.
func setAccountFields(a *Account) []string {
	var out []string
	add := func(set bool, f string) {
		if set {
			out = append(out, f)
		}
	}
	add(len(a.Labels) > 0, "labels")
	add(a.RevenueTier != "", "revenue_tier")
	add(a.StrategicRole != "", "strategic_role")
	add(a.ActivityStatus != "", "activity_status")
	add(a.FunnelStage != "", "funnel_stage")
	return out
}

// changedAccountFields lists the API fields that differ between a and b.
func changedAccountFields(a, b *Account) []string {
	var out []string
	add := func(changed bool, f string) {
		if changed {
			out = append(out, f)
		}
	}
	add(a.DisplayName != b.DisplayName, "display_name")
	add(a.TaxID != b.TaxID, "tax_id")
	add(a.Domain != b.Domain, "domain")
	add(a.Industry != b.Industry, "industry")
	add(a.Region != b.Region, "region")
	add(a.Size != b.Size, "size")
	add(!slices.Equal(a.Labels, b.Labels), "labels")
	add(!maps.Equal(a.ExternalIDs, b.ExternalIDs), "external_ids")
	add(a.RevenueTier != b.RevenueTier, "revenue_tier")
	add(a.StrategicRole != b.StrategicRole, "strategic_role")
	add(a.ActivityStatus != b.ActivityStatus, "activity_status")
	add(a.FunnelStage != b.FunnelStage, "funnel_stage")
	return out
}

func (s *Service) writeAccount(ctx context.Context, tx Tx, old, next *Account) error {
	err := tx.UpdateAccount(ctx, old, next)
	if errors.Is(err, ErrStale) {
		return staleEtag(next.Name(), old.Etag(), "newer")
	}
	return err
}

func applyAccountField(dst, src *Account, f string) {
	switch f {
	case "display_name":
		dst.DisplayName = src.DisplayName
	case "tax_id":
		dst.TaxID = src.TaxID
	case "domain":
		dst.Domain = src.Domain
	case "industry":
		dst.Industry = src.Industry
	case "region":
		dst.Region = src.Region
	case "size":
		dst.Size = src.Size
	case "labels":
		dst.Labels = slices.Clone(src.Labels)
	case "external_ids":
		dst.ExternalIDs = cloneMap(src.ExternalIDs)
	case "revenue_tier":
		dst.RevenueTier = src.RevenueTier
	case "strategic_role":
		dst.StrategicRole = src.StrategicRole
	case "activity_status":
		dst.ActivityStatus = src.ActivityStatus
	case "funnel_stage":
		dst.FunnelStage = src.FunnelStage
	}
}

func accountEqual(a, b *Account) bool {
	return a.DisplayName == b.DisplayName && a.TaxID == b.TaxID && a.Domain == b.Domain &&
		a.Industry == b.Industry && a.Region == b.Region && a.Size == b.Size &&
		slices.Equal(a.Labels, b.Labels) && maps.Equal(a.ExternalIDs, b.ExternalIDs) &&
		a.RevenueTier == b.RevenueTier && a.StrategicRole == b.StrategicRole &&
		a.ActivityStatus == b.ActivityStatus && a.FunnelStage == b.FunnelStage
}

// DeleteAccount soft-deletes an account.
func (s *Service) DeleteAccount(ctx context.Context, id uuid.UUID, etag string) (*Account, error) {
	var out *Account
	err := s.store.WithTx(ctx, func(tx Tx) error {
		a, err := tx.LockAccount(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return failure.Newf(failure.NotFound, "account %q not found", AccountName(id)).WithResource(AccountName(id))
		}
		if err != nil {
			return err
		}
		if etag != "" && !etagMatches(etag, a.Etag()) {
			return staleEtag(a.Name(), etag, a.Etag())
		}
		if a.Deleted() {
			return failure.Newf(failure.FailedPrecondition, "account %q is already deleted", a.Name()).WithReason("ACCOUNT_DELETED").WithResource(a.Name())
		}
		next := *a
		now := s.clock()
		next.DeleteTime, next.UpdateTime, next.Revision = &now, now, a.Revision+1
		if err := s.writeAccount(ctx, tx, a, &next); err != nil {
			return err
		}
		out = &next
		return s.log(ctx, tx, now, next.Name(), "delete", id, nil)
	})
	return out, err
}

// UndeleteAccount restores a soft-deleted account.
func (s *Service) UndeleteAccount(ctx context.Context, id uuid.UUID, etag string) (*Account, error) {
	var out *Account
	err := s.store.WithTx(ctx, func(tx Tx) error {
		a, err := tx.LockAccount(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return failure.Newf(failure.NotFound, "account %q not found", AccountName(id)).WithResource(AccountName(id))
		}
		if err != nil {
			return err
		}
		if etag != "" && !etagMatches(etag, a.Etag()) {
			return staleEtag(a.Name(), etag, a.Etag())
		}
		if !a.Deleted() {
			return failure.Newf(failure.FailedPrecondition, "account %q is not deleted", a.Name()).WithResource(a.Name())
		}
		if err := tx.LockKeys(ctx, a.Keys()); err != nil {
			return err
		}
		if err := s.checkDuplicate(ctx, tx, a); err != nil {
			return err
		}
		next := *a
		now := s.clock()
		next.DeleteTime, next.UpdateTime, next.Revision = nil, now, a.Revision+1
		if err := s.writeAccount(ctx, tx, a, &next); err != nil {
			return err
		}
		out = &next
		return s.log(ctx, tx, now, next.Name(), "undelete", id, nil)
	})
	if errors.Is(err, ErrUnique) {
		return nil, failure.Newf(failure.AlreadyExists, "a live account now has this account's tax id, domain or external id").WithReason("DUPLICATE_ACCOUNT")
	}
	return out, err
}

// ClaimAccount registers the first owner of an unowned account.
func (s *Service) ClaimAccount(ctx context.Context, id uuid.UUID, owner, reason, etag string) (*Account, error) {
	owner = strings.TrimSpace(owner)
	if owner == "" {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "owner", Description: "owner is required"}})
	}
	var out *Account
	err := s.store.WithTx(ctx, func(tx Tx) error {
		a, err := lockLive(ctx, tx, id, etag)
		if err != nil {
			return err
		}
		if a.Owner != "" {
			return failure.Newf(failure.FailedPrecondition, "account %q is already owned by %q; a customer has one owner: use TransferAccount to move it", a.Name(), a.Owner).
				WithReason("ACCOUNT_ALREADY_OWNED").WithResource(a.Name())
		}
		now := s.clock()
		next := *a
		next.Owner, next.UpdateTime, next.Revision = owner, now, a.Revision+1
		if next.FirstOwner == "" {
			next.FirstOwner = owner
		}
		if err := tx.InsertOwnershipPeriod(ctx, &OwnershipPeriod{ID: newID(), AccountID: id, Owner: owner, StartTime: now, Kind: OwnershipClaim, Reason: strings.TrimSpace(reason)}); err != nil {
			return err
		}
		if err := s.writeAccount(ctx, tx, a, &next); err != nil {
			return err
		}
		out = &next
		return s.log(ctx, tx, now, next.Name(), "claim", id, []string{"owner", "first_owner"})
	})
	return out, err
}

// TransferAccount moves an owned account to newOwner.
func (s *Service) TransferAccount(ctx context.Context, id uuid.UUID, newOwner, reason, etag string) (*Account, error) {
	newOwner, reason = strings.TrimSpace(newOwner), strings.TrimSpace(reason)
	var vs []failure.Violation
	if newOwner == "" {
		vs = append(vs, failure.Violation{Field: "new_owner", Description: "new_owner is required"})
	}
	if reason == "" {
		vs = append(vs, failure.Violation{Field: "reason", Description: "reason is required: it explains the transfer in the ownership history"})
	}
	if err := failure.InvalidFields(vs); err != nil {
		return nil, err
	}
	var out *Account
	err := s.store.WithTx(ctx, func(tx Tx) error {
		a, err := lockLive(ctx, tx, id, etag)
		if err != nil {
			return err
		}
		if a.Owner == "" {
			return failure.Newf(failure.FailedPrecondition, "account %q has no owner yet: use ClaimAccount", a.Name()).
				WithReason("ACCOUNT_NOT_OWNED").WithResource(a.Name())
		}
		if a.Owner == newOwner {
			return failure.Newf(failure.FailedPrecondition, "account %q is already owned by %q", a.Name(), newOwner).WithResource(a.Name())
		}
		now := s.clock()
		if err := tx.EndOwnershipPeriod(ctx, id, now); err != nil {
			return err
		}
		if err := tx.InsertOwnershipPeriod(ctx, &OwnershipPeriod{ID: newID(), AccountID: id, Owner: newOwner, StartTime: now, Kind: OwnershipTransfer, Reason: reason}); err != nil {
			return err
		}
		next := *a
		next.Owner, next.UpdateTime, next.Revision = newOwner, now, a.Revision+1
		if err := s.writeAccount(ctx, tx, a, &next); err != nil {
			return err
		}
		out = &next
		return s.log(ctx, tx, now, next.Name(), "transfer", id, []string{"owner"})
	})
	return out, err
}

// ListOwnershipHistory lists an account's ownership periods, oldest first.
func (s *Service) ListOwnershipHistory(ctx context.Context, id uuid.UUID, size int32, token string) (*Page[*OwnershipPeriod], error) {
	return historyPage(ctx, s, id, "ownership", size, token, s.store.ListOwnershipPeriods)
}

// ListStageChanges lists an account's funnel stage changes, oldest first.
func (s *Service) ListStageChanges(ctx context.Context, id uuid.UUID, size int32, token string) (*Page[*StageChange], error) {
	return historyPage(ctx, s, id, "stages", size, token, s.store.ListStageChanges)
}

// expandMask checks mask against the maskable fields; "*" means all of them.
func expandMask(mask, maskable []string, field string) ([]string, error) {
	if slices.Contains(mask, "*") {
		if len(mask) > 1 {
			return nil, failure.InvalidFields([]failure.Violation{{Field: field, Description: "`*` cannot be combined with other paths"}})
		}
		return maskable, nil
	}
	for _, p := range mask {
		if !slices.Contains(maskable, p) {
			return nil, failure.InvalidFields([]failure.Violation{{Field: field, Description: fmt.Sprintf("%q cannot be updated; updatable fields: %s", p, strings.Join(maskable, ", "))}})
		}
	}
	if len(mask) == 0 {
		return nil, failure.InvalidFields([]failure.Violation{{Field: field, Description: "no field to update"}})
	}
	return mask, nil
}

// sharedExternalID returns a system in which a and b have the same id, or "".
func sharedExternalID(a, b map[string]string) string {
	for sys, id := range a {
		if b[sys] == id {
			return sys
		}
	}
	return ""
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
