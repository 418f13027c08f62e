package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/page"
)

// Partner sync: partners push their records in batches keyed by their own ids, and pull
// back what changed in Furrow from a change feed.

// SyncRecord is one partner record.
type SyncRecord struct {
	ExternalID string
	Account    Account // only PartnerFields are read
	Contacts   []SyncContact
	Deals      []SyncDeal
	// Invalid, set by the transport when part of the record could not be read (an
	// impossible date), fails the record with it.
	Invalid error
}

// SyncContact is a contact of a record.
type SyncContact struct {
	ExternalID string
	Contact    Contact
}

// SyncDeal is a deal of a record.
type SyncDeal struct {
	ExternalID string
	Deal       Deal
}

// Sync outcomes.
const (
	Created   = "CREATED"
	Updated   = "UPDATED"
	Unchanged = "UNCHANGED"
	Failed    = "FAILED"
)

// SyncResult is what a batch did with one record.
type SyncResult struct {
	ExternalID string         `json:"external_id"`
	Outcome    string         `json:"outcome"`
	Account    uuid.UUID      `json:"account"`
	Error      *failure.Error `json:"error,omitempty"`
}

// AccountChange is an entry of the change feed and the account as it is now.
type AccountChange struct {
	Entry   activity.Entry
	Account *Account
}

// syncPartner decides which partner a sync call acts for: a partner key acts for its
// own (naming another is PERMISSION_DENIED), an admin names one.
func (s *Service) syncPartner(ctx context.Context, requested string) (string, error) {
	c := auth.CallerFrom(ctx)
	if c.IsPartner() {
		if requested != "" && requested != c.Partner {
			return "", failure.Newf(failure.PermissionDenied, "this key acts for partners/%s, not partners/%s", c.Partner, requested).WithReason("OTHER_PARTNER")
		}
		return c.Partner, nil
	}
	if requested == "" {
		return "", failure.InvalidFields([]failure.Violation{{Field: "partner", Description: "partner is required: name the partner whose records these are"}})
	}
	ok, err := s.store.PartnerExists(ctx, requested)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", failure.Newf(failure.NotFound, "partner %q not found", "partners/"+requested)
	}
	return requested, nil
}

// MaxBatch is the most records one BatchUpsertAccounts call takes.
const MaxBatch = 1000

// BatchUpsertAccounts creates or updates a partner's records. Every record succeeds or
// fails alone; with a requestID, a retry returns the stored results.
func (s *Service) BatchUpsertAccounts(ctx context.Context, requestedPartner, requestID string, recs []SyncRecord) ([]SyncResult, error) {
	partner, err := s.syncPartner(ctx, requestedPartner)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || len(recs) > MaxBatch {
		return nil, failure.InvalidFields([]failure.Violation{{Field: "records", Description: fmt.Sprintf("a batch has 1 to %d records, got %d", MaxBatch, len(recs))}})
	}
	ids := make([]string, len(recs))
	seen := map[string]bool{}
	for i, r := range recs {
		if seen[r.ExternalID] {
			return nil, failure.InvalidFields([]failure.Violation{{Field: fmt.Sprintf("records[%d].external_id", i), Description: fmt.Sprintf("external_id %q appears twice in the batch", r.ExternalID)}})
		}
		seen[r.ExternalID], ids[i] = true, r.ExternalID
	}
	digest, err := batchDigest(recs)
	if err != nil {
		return nil, err
	}
	var results []SyncResult
	err = s.store.WithTx(ctx, func(tx Tx) error {
		if requestID != "" {
			stored, err := tx.SyncBatch(ctx, partner, requestID)
			if err == nil {
				results, err = replayBatch(stored, digest, requestID)
				return err
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		existing, err := tx.AccountsByExternalID(ctx, partner, ids)
		if err != nil {
			return err
		}
		accountIDs := make([]uuid.UUID, 0, len(existing))
		for _, a := range existing {
			accountIDs = append(accountIDs, a.ID)
		}
		contacts, deals, err := tx.SyncedChildren(ctx, accountIDs)
		if err != nil {
			return err
		}
		now := s.clock()
		var log []activity.Entry
		results = make([]SyncResult, len(recs))
		for i := range recs {
			b := &syncBatch{s: s, tx: tx, partner: partner, now: now, index: i}
			res, entries, err := b.record(ctx, &recs[i], existing[recs[i].ExternalID], contacts, deals)
			if err != nil {
				return err
			}
			results[i] = res
			log = append(log, entries...)
		}
		if requestID != "" {
			stored, err := json.Marshal(storedBatch{Digest: digest, Results: results})
			if err != nil {
				return err
			}
			if err := tx.InsertSyncBatch(ctx, partner, requestID, stored, now); err != nil {
				return err
			}
		}
		// Last, so the activity log's lock is held only from here to the commit.
		return tx.RecordActivities(ctx, log)
	})
	if err != nil && requestID != "" && !failure.Is(err, failure.FailedPrecondition) {
		// A concurrent retry of the same batch may have committed first.
		if stored, serr := s.store.SyncBatch(ctx, partner, requestID); serr == nil {
			if prev, perr := replayBatch(stored, digest, requestID); perr == nil {
				return prev, nil
			}
		}
	}
	return results, err
}

// storedBatch is what a batch's request id keeps: its results, and a digest of its
// records so that a reused request id with other records is refused, not answered
// with the old results.
type storedBatch struct {
	Digest  string       `json:"digest"`
	Results []SyncResult `json:"results"`
}

func batchDigest(recs []SyncRecord) (string, error) {
	b, err := json.Marshal(recs)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func replayBatch(stored []byte, digest, requestID string) ([]SyncResult, error) {
	var sb storedBatch
	if err := json.Unmarshal(stored, &sb); err != nil {
		return nil, err
	}
	if sb.Digest != digest {
		return nil, failure.Newf(failure.FailedPrecondition,
			"request_id %q was already used for a different batch; use a new request_id for new records", requestID).WithReason("REQUEST_ALREADY_USED")
	}
	return sb.Results, nil
}

// syncBatch is the state of one record's upsert.
type syncBatch struct {
	s       *Service
	tx      Tx
	partner string
	now     time.Time
	index   int
}

// record upserts one record inside a savepoint; a failure of the record's own making
// rolls it back and becomes its FAILED result, anything else fails the batch.
func (b *syncBatch) record(ctx context.Context, r *SyncRecord, cur *Account, contacts map[uuid.UUID]map[string]*Contact, deals map[uuid.UUID]map[string]*Deal) (SyncResult, []activity.Entry, error) {
	res := SyncResult{ExternalID: r.ExternalID}
	if cur != nil {
		res.Account = cur.ID
	}
	sp := "furrow_rec_" + strconv.Itoa(b.index)
	if err := b.tx.Savepoint(ctx, sp); err != nil {
		return res, nil, err
	}
	outcome, entries, err := b.upsert(ctx, r, cur, contacts, deals, &res)
	if f, ok := failure.As(err); ok || errors.Is(err, ErrUnique) || errors.Is(err, ErrStale) {
		if rerr := b.tx.RollbackTo(ctx, sp); rerr != nil {
			return res, nil, rerr
		}
		switch {
		case errors.Is(err, ErrStale), ok && f.Reason == "STALE_ETAG":
			f = failure.Newf(failure.Aborted, "the account, or one of its contacts or deals, changed in Furrow while this batch ran; send the record again").WithReason("CONCURRENT_CHANGE")
		case !ok:
			f = failure.Newf(failure.AlreadyExists, "the record duplicates another account").WithReason("DUPLICATE")
		}
		if cur == nil {
			res.Account = uuid.Nil // rolled back: it does not exist
		}
		res.Outcome, res.Error = Failed, f
		return res, nil, b.tx.Release(ctx, sp)
	}
	if err != nil {
		return res, nil, err
	}
	res.Outcome = outcome
	return res, entries, b.tx.Release(ctx, sp)
}

// checkChildIDs refuses a record that names a contact or deal twice.
func (b *syncBatch) checkChildIDs(r *SyncRecord) error {
	seen := map[string]bool{}
	for j, c := range r.Contacts {
		if seen[c.ExternalID] {
			return failure.InvalidFields([]failure.Violation{{Field: b.prefix(fmt.Sprintf("contacts[%d].external_id", j)), Description: fmt.Sprintf("contact external_id %q appears twice in the record", c.ExternalID)}})
		}
		seen[c.ExternalID] = true
	}
	clear(seen)
	for j, d := range r.Deals {
		if seen[d.ExternalID] {
			return failure.InvalidFields([]failure.Violation{{Field: b.prefix(fmt.Sprintf("deals[%d].external_id", j)), Description: fmt.Sprintf("deal external_id %q appears twice in the record", d.ExternalID)}})
		}
		seen[d.ExternalID] = true
	}
	return nil
}

func (b *syncBatch) prefix(what string) string { return fmt.Sprintf("records[%d].%s", b.index, what) }

func (b *syncBatch) upsert(ctx context.Context, r *SyncRecord, cur *Account, contacts map[uuid.UUID]map[string]*Contact, deals map[uuid.UUID]map[string]*Deal, res *SyncResult) (string, []activity.Entry, error) {
	if r.Invalid != nil {
		return "", nil, r.Invalid
	}
	if err := b.checkChildIDs(r); err != nil {
		return "", nil, err
	}
	var next Account
	if cur != nil {
		if cur.Deleted() {
			return "", nil, failure.Newf(failure.FailedPrecondition, "account %q of this record was deleted in Furrow", cur.Name()).WithReason("ACCOUNT_DELETED").WithResource(cur.Name())
		}
		next = *cur
		next.Labels, next.ExternalIDs = slices.Clone(cur.Labels), maps.Clone(cur.ExternalIDs)
	} else {
		next = Account{ActivityStatus: "NEW", FunnelStage: FunnelStages[0], ExternalIDs: map[string]string{}}
	}
	in := r.Account
	next.DisplayName, next.TaxID, next.Domain, next.Industry, next.Region, next.Size = in.DisplayName, in.TaxID, in.Domain, in.Industry, in.Region, in.Size
	next.ExternalIDs[b.partner] = r.ExternalID
	normalizeAccount(&next)
	if err := failure.InvalidFields(validateAccount(&next, b.prefix("account."))); err != nil {
		return "", nil, err
	}
	var entries []activity.Entry
	changedAccount := cur == nil || !accountEqual(cur, &next)
	if changedAccount {
		if cur == nil || next.Keys() != cur.Keys() {
			if err := b.tx.LockKeys(ctx, next.Keys()); err != nil {
				return "", nil, err
			}
			if err := b.s.checkDuplicate(ctx, b.tx, &next); err != nil {
				return "", nil, err
			}
		}
		if cur == nil {
			next.ID, next.CreateTime, next.UpdateTime, next.Revision = newID(), b.now, b.now, 1
			res.Account = next.ID
			if err := b.tx.InsertAccount(ctx, &next); err != nil {
				return "", nil, err
			}
			if err := b.tx.InsertStageChange(ctx, &StageChange{ID: newID(), AccountID: next.ID, ToStage: next.FunnelStage, ChangeTime: b.now}); err != nil {
				return "", nil, err
			}
			entries = append(entries, activity.New(ctx, b.now, next.Name(), "create", next.ID, nil))
		} else {
			next.UpdateTime, next.Revision = b.now, cur.Revision+1
			if err := b.s.writeAccount(ctx, b.tx, &next, cur.Revision); err != nil {
				return "", nil, err
			}
			entries = append(entries, activity.New(ctx, b.now, next.Name(), "update", next.ID, changedAccountFields(cur, &next)))
		}
	}
	ce, err := b.contacts(ctx, &next, cur == nil, r.Contacts, contacts[next.ID])
	if err != nil {
		return "", nil, err
	}
	de, err := b.deals(ctx, &next, r.Deals, deals[next.ID])
	if err != nil {
		return "", nil, err
	}
	entries = append(append(entries, ce...), de...)
	switch {
	case cur == nil:
		return Created, entries, nil
	case len(entries) > 0:
		return Updated, entries, nil
	}
	return Unchanged, nil, nil
}

// contacts upserts a record's contacts by external id. New ones are inserted in one
// statement; an account without a primary contact gets its first new one.
func (b *syncBatch) contacts(ctx context.Context, a *Account, isNew bool, in []SyncContact, have map[string]*Contact) ([]activity.Entry, error) {
	var add []*Contact
	var entries []activity.Entry
	hasPrimary := !isNew && a.PrimaryContact != uuid.Nil
	for j, sc := range in {
		c := sc.Contact
		c.ExternalID = sc.ExternalID
		normalizeContact(&c)
		if err := failure.InvalidFields(validateContact(&c, b.prefix(fmt.Sprintf("contacts[%d].contact.", j)))); err != nil {
			return nil, err
		}
		if old := have[sc.ExternalID]; old != nil {
			next := *old
			next.DisplayName, next.Title, next.Email, next.Phone = c.DisplayName, c.Title, c.Email, c.Phone
			next.SeniorityLevel, next.DecisionRole, next.Attitude = c.SeniorityLevel, c.DecisionRole, c.Attitude
			if next == *old {
				continue
			}
			next.UpdateTime, next.Revision = b.now, old.Revision+1
			if err := b.tx.UpdateContact(ctx, &next, old.Revision); err != nil {
				return nil, err
			}
			entries = append(entries, activity.New(ctx, b.now, next.Name(), "contact.update", a.ID, nil))
			continue
		}
		c.ID, c.AccountID, c.CreateTime, c.UpdateTime, c.Revision = newID(), a.ID, b.now, b.now, 1
		c.Primary = !hasPrimary && len(add) == 0
		add = append(add, &c)
		entries = append(entries, activity.New(ctx, b.now, c.Name(), "contact.create", a.ID, nil))
	}
	if len(add) == 0 {
		return entries, nil
	}
	if err := b.tx.InsertContacts(ctx, add); err != nil {
		return nil, err
	}
	if add[0].Primary {
		if err := b.tx.InsertPrimaryContactChange(ctx, &PrimaryContactChange{ID: newID(), AccountID: a.ID, ToContact: add[0].ID, Reason: "first contact", ChangeTime: b.now}); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// deals upserts a record's deals by external id with the usual kind rules, then marks
// the account's first purchase once.
func (b *syncBatch) deals(ctx context.Context, a *Account, in []SyncDeal, have map[string]*Deal) ([]activity.Entry, error) {
	if len(in) == 0 {
		return nil, nil
	}
	var add []*Deal
	var entries []activity.Entry
	// The account's won deals after this record, to check given kinds against.
	won := map[uuid.UUID]*Deal{}
	for _, d := range have {
		if d.Status == StatusWon {
			won[d.ID] = d
		}
	}
	var planned []*Deal
	for j, sd := range in {
		d := sd.Deal
		if d.Status == "" {
			d.Status = StatusWon
		}
		if err := failure.InvalidFields(validateDeal(&d, b.prefix(fmt.Sprintf("deals[%d].deal.", j)))); err != nil {
			return nil, err
		}
		d.ExternalID = sd.ExternalID
		if old := have[sd.ExternalID]; old != nil {
			d.ID, d.AccountID, d.CreateTime, d.Revision, d.First = old.ID, a.ID, old.CreateTime, old.Revision, old.First
		} else {
			d.ID, d.AccountID, d.CreateTime, d.UpdateTime, d.Revision = newID(), a.ID, b.now, b.now, 1
		}
		delete(won, d.ID)
		if d.Status == StatusWon {
			won[d.ID] = &d
		}
		planned = append(planned, &d)
	}
	// Check each given kind against the first purchase the account will have.
	var first *Deal
	for _, d := range won {
		if first == nil || before(d, first) {
			first = d
		}
	}
	changed := false
	for _, d := range planned {
		var other *Deal
		if first != nil && first.ID != d.ID {
			other = first
		}
		kind, err := settleKind(d, other, d.Kind != "")
		if err != nil {
			return nil, err
		}
		d.Kind = kind
		if old := have[d.ExternalID]; old != nil {
			cmp := *d
			cmp.UpdateTime = old.UpdateTime
			if cmp == *old {
				continue
			}
			d.UpdateTime, d.Revision = b.now, old.Revision+1
			if err := b.tx.UpdateDeal(ctx, d, old.Revision); err != nil {
				return nil, err
			}
			changed = true
			entries = append(entries, activity.New(ctx, b.now, d.Name(), "deal.update", a.ID, nil))
			continue
		}
		add = append(add, d)
		entries = append(entries, activity.New(ctx, b.now, d.Name(), "deal.create", a.ID, nil))
	}
	if len(add) > 0 {
		if err := b.tx.InsertDeals(ctx, add); err != nil {
			return nil, err
		}
		changed = true
	}
	if changed {
		if err := b.tx.MarkFirstDeal(ctx, a.ID); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// ListAccountChanges returns changes to the partner's accounts after cursor, oldest
// first, and the cursor to resume from.
func (s *Service) ListAccountChanges(ctx context.Context, requestedPartner, cursor string, size int32) ([]AccountChange, string, error) {
	partner := ""
	// An admin without a partner follows every account; anyone else, one partner's.
	if requestedPartner != "" || auth.CallerFrom(ctx).IsPartner() {
		var err error
		if partner, err = s.syncPartner(ctx, requestedPartner); err != nil {
			return nil, "", err
		}
	}
	fp := page.Fingerprint("account-changes", partner)
	var after int64
	c, ok, err := page.Decode(cursor, fp)
	if err == nil && ok {
		after, err = strconv.ParseInt(c.Keys[0], 10, 64)
	}
	if err != nil {
		return nil, "", failure.InvalidFields([]failure.Violation{{Field: "cursor", Description: "cursor is not one this feed returned for this partner"}})
	}
	limit := 100
	if size > 0 {
		limit = min(int(size), 1000)
	}
	entries, err := s.store.AccountChanges(ctx, partner, after, limit)
	if err != nil {
		return nil, "", err
	}
	ids := make([]uuid.UUID, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, e.Account)
	}
	accounts, err := s.store.GetAccounts(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]AccountChange, 0, len(entries))
	for _, e := range entries {
		out = append(out, AccountChange{Entry: e, Account: accounts[e.Account]})
		after = e.ID
	}
	return out, page.Encode(fp, page.Cursor{Keys: []string{strconv.FormatInt(after, 10)}}), nil
}
