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
	"strings"
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
	slowPath := false
	batch := func(tx Tx) error {
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
		b := &syncBatch{s: s, tx: tx, partner: partner, now: s.clock(), contacts: contacts, deals: deals, claimed: map[string]int{}}
		if err := b.prepare(ctx, recs, existing); err != nil {
			return err
		}
		var log []activity.Entry
		if slowPath {
			results, log, err = b.runSlow(ctx, recs, existing)
		} else {
			results, log, err = b.run(ctx, recs, existing)
		}
		if err != nil {
			return err
		}
		now := b.now
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
	}
	err = s.store.WithTx(ctx, batch)
	if errors.Is(err, errSlowPath) {
		slowPath = true
		err = s.store.WithTx(ctx, batch)
	}
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

// syncBatch is the state of one batch.
type syncBatch struct {
	s        *Service
	tx       Tx
	partner  string
	now      time.Time
	contacts map[uuid.UUID]map[string]*Contact
	deals    map[uuid.UUID]map[string]*Deal
	// keys claimed by accounts this batch creates or changes, to catch two records of
	// one batch that duplicate each other (the store cannot see unwritten rows).
	claimed map[string]int
	// existing accounts with the batch's tax ids, domains and names, read at once.
	byTax, byDomain, byName map[string]*Account
}

// prepare locks the names of the accounts the batch creates or re-keys and reads every
// account they could duplicate, in two statements instead of three per record.
// Records whose keys did not change need neither.
func (b *syncBatch) prepare(ctx context.Context, recs []SyncRecord, existing map[string]*Account) error {
	var taxes, domains, names []string
	for i := range recs {
		a := recs[i].Account
		a.DisplayName, a.TaxID, a.Domain = strings.TrimSpace(a.DisplayName), strings.TrimSpace(a.TaxID), strings.TrimSpace(a.Domain)
		k := a.Keys()
		if cur := existing[recs[i].ExternalID]; cur != nil && cur.Keys() == k {
			continue
		}
		if k.TaxID != "" {
			taxes = append(taxes, k.TaxID)
		}
		if k.Domain != "" {
			domains = append(domains, k.Domain)
		}
		if k.Name != "" {
			names = append(names, k.Name)
		}
	}
	if err := b.tx.LockNames(ctx, names); err != nil {
		return err
	}
	found, err := b.tx.CandidateDuplicates(ctx, taxes, domains, names)
	if err != nil {
		return err
	}
	b.byTax, b.byDomain, b.byName = map[string]*Account{}, map[string]*Account{}, map[string]*Account{}
	for _, a := range found {
		k := a.Keys()
		for m, key := range map[*map[string]*Account]string{&b.byTax: k.TaxID, &b.byDomain: k.Domain, &b.byName: k.Name} {
			if key != "" && ((*m)[key] == nil || a.CreateTime.Before((*m)[key].CreateTime)) {
				(*m)[key] = a
			}
		}
	}
	return nil
}

// duplicate finds the account a would duplicate among those prepare read (tax id, then
// domain, then, without either, the name), as FindDuplicate would.
func (b *syncBatch) duplicate(a *Account) *Account {
	k := a.Keys()
	pick := func(d *Account) *Account {
		if d != nil && d.ID != a.ID {
			return d
		}
		return nil
	}
	if d := pick(b.byTax[k.TaxID]); k.TaxID != "" && d != nil {
		return d
	}
	if d := pick(b.byDomain[k.Domain]); k.Domain != "" && d != nil {
		return d
	}
	if k.TaxID == "" && k.Domain == "" {
		return pick(b.byName[k.Name])
	}
	return nil
}

// plan is what one record will write. Plans are made without writing, so that a batch
// can write all its records' rows in a few bulk statements.
type plan struct {
	index          int
	outcome        string
	account        uuid.UUID
	newAccount     *Account
	stage          *StageChange
	update         *Account
	prev           *Account
	newContacts    []*Contact
	contactUpdates []*Contact
	primaryChange  *PrimaryContactChange
	newDeals       []*Deal
	dealUpdates    []*Deal
	markFirst      bool
	entries        []activity.Entry
}

// errSlowPath asks for the batch to be run again record by record: a bulk write met a
// concurrent change (a unique key taken, a row changed) that only a per-record
// savepoint can pin on one record.
var errSlowPath = errors.New("sync: retry record by record")

// run plans every record and writes the plans in bulk. Records that fail planning fail
// alone (they write nothing); a failure while writing returns errSlowPath.
func (b *syncBatch) run(ctx context.Context, recs []SyncRecord, existing map[string]*Account) ([]SyncResult, []activity.Entry, error) {
	results := make([]SyncResult, len(recs))
	var plans []*plan
	for i := range recs {
		p, err := b.plan(ctx, i, &recs[i], existing[recs[i].ExternalID])
		res, ok, err := b.result(recs[i].ExternalID, existing[recs[i].ExternalID], p, err)
		if err != nil {
			return nil, nil, err
		}
		results[i] = res
		if ok {
			plans = append(plans, p)
		}
	}
	if err := b.apply(ctx, plans); err != nil {
		if errors.Is(err, ErrUnique) || errors.Is(err, ErrStale) || failure.Is(err, failure.Aborted) {
			return nil, nil, errSlowPath
		}
		return nil, nil, err
	}
	var log []activity.Entry
	for _, p := range plans {
		log = append(log, p.entries...)
	}
	return results, log, nil
}

// runSlow writes each record on its own, inside a savepoint: a record that fails for
// any reason of its own is rolled back alone.
func (b *syncBatch) runSlow(ctx context.Context, recs []SyncRecord, existing map[string]*Account) ([]SyncResult, []activity.Entry, error) {
	results := make([]SyncResult, len(recs))
	var log []activity.Entry
	for i := range recs {
		sp := "furrow_rec_" + strconv.Itoa(i)
		if err := b.tx.Savepoint(ctx, sp); err != nil {
			return nil, nil, err
		}
		p, err := b.plan(ctx, i, &recs[i], existing[recs[i].ExternalID])
		if err == nil {
			err = b.apply(ctx, []*plan{p})
		}
		res, ok, err := b.result(recs[i].ExternalID, existing[recs[i].ExternalID], p, err)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			if err := b.tx.RollbackTo(ctx, sp); err != nil {
				return nil, nil, err
			}
		} else {
			log = append(log, p.entries...)
		}
		results[i] = res
		if err := b.tx.Release(ctx, sp); err != nil {
			return nil, nil, err
		}
	}
	return results, log, nil
}

// result turns a record's plan or error into its result; ok reports success. Errors
// that are not the record's own (the database failing) are returned.
func (b *syncBatch) result(ext string, cur *Account, p *plan, err error) (SyncResult, bool, error) {
	res := SyncResult{ExternalID: ext}
	if err == nil {
		res.Outcome, res.Account = p.outcome, p.account
		return res, true, nil
	}
	f, ok := failure.As(err)
	switch {
	case errors.Is(err, ErrStale), ok && f.Reason == "STALE_ETAG":
		f = failure.Newf(failure.Aborted, "the account, or one of its contacts or deals, changed in Furrow while this batch ran; send the record again").WithReason("CONCURRENT_CHANGE")
	case errors.Is(err, ErrUnique):
		f = failure.Newf(failure.AlreadyExists, "the record duplicates another account").WithReason("DUPLICATE")
	case !ok:
		return res, false, err
	}
	if cur != nil {
		res.Account = cur.ID // a failed new record names no account: none was made
	}
	res.Outcome, res.Error = Failed, f
	return res, false, nil
}

func prefix(i int, what string) string { return fmt.Sprintf("records[%d].%s", i, what) }

// checkChildIDs refuses a record that names a contact or deal twice.
func checkChildIDs(i int, r *SyncRecord) error {
	seen := map[string]bool{}
	for j, c := range r.Contacts {
		if seen[c.ExternalID] {
			return failure.InvalidFields([]failure.Violation{{Field: prefix(i, fmt.Sprintf("contacts[%d].external_id", j)), Description: fmt.Sprintf("contact external_id %q appears twice in the record", c.ExternalID)}})
		}
		seen[c.ExternalID] = true
	}
	clear(seen)
	for j, d := range r.Deals {
		if seen[d.ExternalID] {
			return failure.InvalidFields([]failure.Violation{{Field: prefix(i, fmt.Sprintf("deals[%d].external_id", j)), Description: fmt.Sprintf("deal external_id %q appears twice in the record", d.ExternalID)}})
		}
		seen[d.ExternalID] = true
	}
	return nil
}

// claim records the duplicate-detection keys of an account the batch writes, failing
// when an earlier record of the batch took them.
func (b *syncBatch) claim(i int, k Keys) error {
	var ks []string
	if k.TaxID != "" {
		ks = append(ks, "tax:"+k.TaxID)
	}
	if k.Domain != "" {
		ks = append(ks, "domain:"+k.Domain)
	}
	if k.TaxID == "" && k.Domain == "" && k.Name != "" {
		ks = append(ks, "name:"+k.Name)
	}
	for _, key := range ks {
		if j, ok := b.claimed[key]; ok && j != i {
			return failure.Newf(failure.AlreadyExists, "the record duplicates records[%d] of this batch (same %s)", j, strings.SplitN(key, ":", 2)[0]).WithReason("DUPLICATE")
		}
	}
	for _, key := range ks {
		b.claimed[key] = i
	}
	return nil
}

// plan decides what record i writes, reading but never writing.
func (b *syncBatch) plan(ctx context.Context, i int, r *SyncRecord, cur *Account) (*plan, error) {
	if r.Invalid != nil {
		return nil, r.Invalid
	}
	if err := checkChildIDs(i, r); err != nil {
		return nil, err
	}
	p := &plan{index: i}
	var next Account
	if cur != nil {
		if cur.Deleted() {
			return nil, failure.Newf(failure.FailedPrecondition, "account %q of this record was deleted in Furrow", cur.Name()).WithReason("ACCOUNT_DELETED").WithResource(cur.Name())
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
	if err := failure.InvalidFields(validateAccount(&next, prefix(i, "account."))); err != nil {
		return nil, err
	}
	if cur == nil || next.Keys() != cur.Keys() {
		if err := b.claim(i, next.Keys()); err != nil {
			return nil, err
		}
		// The names are locked and the candidates read (prepare); this partner's
		// external id is known free, since the batch read every account holding one.
		if dup := b.duplicate(&next); dup != nil {
			return nil, duplicateError(ctx, &next, dup)
		}
	}
	switch {
	case cur == nil:
		next.ID, next.CreateTime, next.UpdateTime, next.Revision = newID(), b.now, b.now, 1
		p.newAccount = &next
		p.stage = &StageChange{ID: newID(), AccountID: next.ID, ToStage: next.FunnelStage, ChangeTime: b.now}
		p.entries = append(p.entries, activity.New(ctx, b.now, next.Name(), "create", next.ID, nil))
	case !accountEqual(cur, &next):
		next.UpdateTime, next.Revision = b.now, cur.Revision+1
		p.update, p.prev = &next, cur
		p.entries = append(p.entries, activity.New(ctx, b.now, next.Name(), "update", next.ID, changedAccountFields(cur, &next)))
	}
	p.account = next.ID
	if err := b.planContacts(ctx, p, &next, cur == nil, r.Contacts); err != nil {
		return nil, err
	}
	if err := b.planDeals(ctx, p, &next, cur == nil, r.Deals); err != nil {
		return nil, err
	}
	switch {
	case cur == nil:
		p.outcome = Created
	case len(p.entries) > 0:
		p.outcome = Updated
	default:
		p.outcome, p.entries = Unchanged, nil
	}
	return p, nil
}

// planContacts plans a record's contacts by external id; a new account's first contact
// becomes its primary contact.
func (b *syncBatch) planContacts(ctx context.Context, p *plan, a *Account, isNew bool, in []SyncContact) error {
	have := b.contacts[a.ID]
	hasPrimary := !isNew && a.PrimaryContact != uuid.Nil
	for j, sc := range in {
		c := sc.Contact
		c.ExternalID = sc.ExternalID
		normalizeContact(&c)
		if err := failure.InvalidFields(validateContact(&c, prefix(p.index, fmt.Sprintf("contacts[%d].contact.", j)))); err != nil {
			return err
		}
		if old := have[sc.ExternalID]; old != nil {
			next := *old
			next.DisplayName, next.Title, next.Email, next.Phone = c.DisplayName, c.Title, c.Email, c.Phone
			next.SeniorityLevel, next.DecisionRole, next.Attitude = c.SeniorityLevel, c.DecisionRole, c.Attitude
			if next == *old {
				continue
			}
			next.UpdateTime, next.Revision = b.now, old.Revision+1
			p.contactUpdates = append(p.contactUpdates, &next)
			p.entries = append(p.entries, activity.New(ctx, b.now, next.Name(), "contact.update", a.ID, nil))
			continue
		}
		c.ID, c.AccountID, c.CreateTime, c.UpdateTime, c.Revision = newID(), a.ID, b.now, b.now, 1
		if !hasPrimary && len(p.newContacts) == 0 {
			c.Primary = true
			p.primaryChange = &PrimaryContactChange{ID: newID(), AccountID: a.ID, ToContact: c.ID, Reason: "first contact", ChangeTime: b.now}
		}
		p.newContacts = append(p.newContacts, &c)
		p.entries = append(p.entries, activity.New(ctx, b.now, c.Name(), "contact.create", a.ID, nil))
	}
	return nil
}

// planDeals plans a record's deals by external id, with the usual kind rules. For a new
// account the first purchase is marked in the plan; otherwise it is re-marked after the
// writes.
func (b *syncBatch) planDeals(ctx context.Context, p *plan, a *Account, isNew bool, in []SyncDeal) error {
	if len(in) == 0 {
		return nil
	}
	have := b.deals[a.ID]
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
		if err := failure.InvalidFields(validateDeal(&d, prefix(p.index, fmt.Sprintf("deals[%d].deal.", j)))); err != nil {
			return err
		}
		d.ExternalID = sd.ExternalID
		if old := have[sd.ExternalID]; old != nil {
			d.ID, d.AccountID, d.CreateTime, d.UpdateTime, d.Revision, d.First = old.ID, a.ID, old.CreateTime, old.UpdateTime, old.Revision, old.First
		} else {
			d.ID, d.AccountID, d.CreateTime, d.UpdateTime, d.Revision = newID(), a.ID, b.now, b.now, 1
		}
		delete(won, d.ID)
		if d.Status == StatusWon {
			won[d.ID] = &d
		}
		planned = append(planned, &d)
	}
	var first *Deal
	for _, d := range won {
		if first == nil || before(d, first) {
			first = d
		}
	}
	for _, d := range planned {
		var other *Deal
		if first != nil && first.ID != d.ID {
			other = first
		}
		kind, err := settleKind(d, other, d.Kind != "")
		if err != nil {
			return err
		}
		d.Kind = kind
		if old := have[d.ExternalID]; old != nil {
			if *d == *old {
				continue
			}
			d.UpdateTime, d.Revision = b.now, old.Revision+1
			p.dealUpdates = append(p.dealUpdates, d)
			p.markFirst = true
			p.entries = append(p.entries, activity.New(ctx, b.now, d.Name(), "deal.update", a.ID, nil))
			continue
		}
		if isNew {
			d.First = first != nil && first.ID == d.ID
		} else {
			p.markFirst = true
		}
		p.newDeals = append(p.newDeals, d)
		p.entries = append(p.entries, activity.New(ctx, b.now, d.Name(), "deal.create", a.ID, nil))
	}
	return nil
}

// apply writes plans: new rows in bulk, updates one by one.
func (b *syncBatch) apply(ctx context.Context, plans []*plan) error {
	var accounts []*Account
	var stages []*StageChange
	var contacts []*Contact
	var primaries []*PrimaryContactChange
	var deals []*Deal
	for _, p := range plans {
		if p.newAccount != nil {
			accounts, stages = append(accounts, p.newAccount), append(stages, p.stage)
		}
		contacts = append(contacts, p.newContacts...)
		deals = append(deals, p.newDeals...)
		if p.primaryChange != nil {
			primaries = append(primaries, p.primaryChange)
		}
	}
	if err := b.tx.InsertAccounts(ctx, accounts); err != nil {
		return err
	}
	if err := b.tx.InsertStageChanges(ctx, stages); err != nil {
		return err
	}
	if err := b.tx.InsertContacts(ctx, contacts); err != nil {
		return err
	}
	if err := b.tx.InsertPrimaryContactChanges(ctx, primaries); err != nil {
		return err
	}
	if err := b.tx.InsertDeals(ctx, deals); err != nil {
		return err
	}
	for _, p := range plans {
		if p.update != nil {
			if err := b.tx.UpdateAccount(ctx, p.prev, p.update); err != nil {
				return err
			}
		}
		for _, c := range p.contactUpdates {
			if err := b.tx.UpdateContact(ctx, c, c.Revision-1); err != nil {
				return err
			}
		}
		for _, d := range p.dealUpdates {
			if err := b.tx.UpdateDeal(ctx, d, d.Revision-1); err != nil {
				return err
			}
		}
		if p.markFirst {
			if err := b.tx.MarkFirstDeal(ctx, p.account); err != nil {
				return err
			}
		}
	}
	return nil
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
