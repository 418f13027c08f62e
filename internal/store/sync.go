package store

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/furrowhq/furrow/ent"
	entaccount "github.com/furrowhq/furrow/ent/account"
	"github.com/furrowhq/furrow/ent/accountexternalid"
	"github.com/furrowhq/furrow/ent/contact"
	"github.com/furrowhq/furrow/ent/deal"
	"github.com/furrowhq/furrow/ent/partner"
	"github.com/furrowhq/furrow/ent/predicate"
	"github.com/furrowhq/furrow/ent/syncbatch"
	"github.com/furrowhq/furrow/internal/account"
)

// chunk is the most rows one bulk statement carries (PostgreSQL allows 65,535
// parameters per statement; CreateBulk does not split).
const chunk = 1000

func (q queries) PartnerExists(ctx context.Context, id string) (bool, error) {
	ok, err := q.c.Partner.Query().Where(partner.ID(id)).Exist(ctx)
	return ok, mapErr(err)
}

func (q queries) GetAccounts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*account.Account, error) {
	out := make(map[uuid.UUID]*account.Account, len(ids))
	for start := 0; start < len(ids); start += chunk {
		rows, err := withDetails(q.c.Account.Query().Where(entaccount.IDIn(ids[start:min(start+chunk, len(ids))]...))).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			out[r.ID] = toAccount(r)
		}
	}
	return out, nil
}

func (q queries) AccountsByExternalID(ctx context.Context, partnerID string, ids []string) (map[string]*account.Account, error) {
	out := make(map[string]*account.Account, len(ids))
	for start := 0; start < len(ids); start += chunk {
		// Deleted accounts too: a record of a deleted account must fail, not create a
		// second account. A live account wins over a deleted one with the same id.
		rows, err := withDetails(q.c.Account.Query().Where(
			entaccount.HasExternalIdsWith(accountexternalid.System(partnerID), accountexternalid.ExternalIDIn(ids[start:min(start+chunk, len(ids))]...)),
		)).All(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, r := range rows {
			a := toAccount(r)
			ext := a.ExternalIDs[partnerID]
			if prev := out[ext]; prev == nil || prev.Deleted() {
				out[ext] = a
			}
		}
	}
	return out, nil
}

func (q queries) SyncedChildren(ctx context.Context, accounts []uuid.UUID) (map[uuid.UUID]map[string]*account.Contact, map[uuid.UUID]map[string]*account.Deal, error) {
	cs := map[uuid.UUID]map[string]*account.Contact{}
	ds := map[uuid.UUID]map[string]*account.Deal{}
	for start := 0; start < len(accounts); start += chunk {
		ids := accounts[start:min(start+chunk, len(accounts))]
		crows, err := q.c.Contact.Query().Where(contact.AccountIDIn(ids...), contact.ExternalIDNEQ("")).All(ctx)
		if err != nil {
			return nil, nil, mapErr(err)
		}
		for _, r := range crows {
			if cs[r.AccountID] == nil {
				cs[r.AccountID] = map[string]*account.Contact{}
			}
			cs[r.AccountID][r.ExternalID] = toContact(r)
		}
		// All deals, not only synced ones: the first-purchase check needs every won deal.
		drows, err := q.c.Deal.Query().Where(deal.AccountIDIn(ids...)).All(ctx)
		if err != nil {
			return nil, nil, mapErr(err)
		}
		for _, r := range drows {
			if ds[r.AccountID] == nil {
				ds[r.AccountID] = map[string]*account.Deal{}
			}
			key := r.ExternalID
			if key == "" {
				key = "\x00" + r.ID.String() // unsynced: never matches a record's id
			}
			ds[r.AccountID][key] = toDeal(r)
		}
	}
	return cs, ds, nil
}

func (q queries) SyncBatch(ctx context.Context, partnerID, requestID string) ([]byte, error) {
	r, err := q.c.SyncBatch.Query().Where(syncbatch.PartnerID(partnerID), syncbatch.RequestID(requestID)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return r.Results, nil
}

func (q txQueries) InsertSyncBatch(ctx context.Context, partnerID, requestID string, results []byte, t time.Time) error {
	return mapErr(q.c.SyncBatch.Create().SetPartnerID(partnerID).SetRequestID(requestID).SetResults(results).SetCreateTime(t).Exec(ctx))
}

func (q txQueries) Savepoint(ctx context.Context, name string) error {
	_, err := q.c.ExecContext(ctx, "SAVEPOINT "+name)
	return mapErr(err)
}

func (q txQueries) RollbackTo(ctx context.Context, name string) error {
	_, err := q.c.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name)
	return mapErr(err)
}

func (q txQueries) Release(ctx context.Context, name string) error {
	_, err := q.c.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
	return mapErr(err)
}

func (q txQueries) InsertContacts(ctx context.Context, cs []*account.Contact) error {
	for start := 0; start < len(cs); start += chunk {
		b := make([]*ent.ContactCreate, 0, chunk)
		for _, c := range cs[start:min(start+chunk, len(cs))] {
			b = append(b, contactCreate(q.c, c))
		}
		if err := q.c.Contact.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (q txQueries) InsertDeals(ctx context.Context, ds []*account.Deal) error {
	for start := 0; start < len(ds); start += chunk {
		b := make([]*ent.DealCreate, 0, chunk)
		for _, d := range ds[start:min(start+chunk, len(ds))] {
			b = append(b, dealCreate(q.c, d))
		}
		if err := q.c.Deal.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (q txQueries) InsertAccounts(ctx context.Context, as []*account.Account) error {
	for start := 0; start < len(as); start += chunk {
		part := as[start:min(start+chunk, len(as))]
		b := make([]*ent.AccountCreate, len(part))
		var labels []*ent.AccountLabelCreate
		var ext []*ent.AccountExternalIDCreate
		for i, a := range part {
			b[i] = accountCreate(q.c, a)
			for _, l := range a.Labels {
				labels = append(labels, q.c.AccountLabel.Create().SetAccountID(a.ID).SetLabel(l))
			}
			for _, sys := range slices.Sorted(maps.Keys(a.ExternalIDs)) {
				ext = append(ext, q.c.AccountExternalID.Create().SetAccountID(a.ID).SetSystem(sys).
					SetExternalID(a.ExternalIDs[sys]).SetAccountDeleted(a.DeleteTime != nil))
			}
		}
		if err := q.c.Account.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
		for s := 0; s < len(labels); s += chunk {
			if err := q.c.AccountLabel.CreateBulk(labels[s:min(s+chunk, len(labels))]...).Exec(ctx); err != nil {
				return mapErr(err)
			}
		}
		for s := 0; s < len(ext); s += chunk {
			if err := q.c.AccountExternalID.CreateBulk(ext[s:min(s+chunk, len(ext))]...).Exec(ctx); err != nil {
				return mapErr(err)
			}
		}
	}
	return nil
}

func (q txQueries) InsertStageChanges(ctx context.Context, cs []*account.StageChange) error {
	for start := 0; start < len(cs); start += chunk {
		part := cs[start:min(start+chunk, len(cs))]
		b := make([]*ent.StageChangeCreate, len(part))
		for i, c := range part {
			b[i] = q.c.StageChange.Create().SetID(c.ID).SetAccountID(c.AccountID).SetFromStage(c.FromStage).
				SetToStage(c.ToStage).SetChangeTime(c.ChangeTime)
		}
		if err := q.c.StageChange.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (q txQueries) InsertPrimaryContactChanges(ctx context.Context, cs []*account.PrimaryContactChange) error {
	for start := 0; start < len(cs); start += chunk {
		part := cs[start:min(start+chunk, len(cs))]
		b := make([]*ent.PrimaryContactChangeCreate, len(part))
		for i, c := range part {
			b[i] = q.c.PrimaryContactChange.Create().SetID(c.ID).SetAccountID(c.AccountID).
				SetToContactID(c.ToContact).SetReason(c.Reason).SetChangeTime(c.ChangeTime)
			if c.FromContact != uuid.Nil {
				b[i].SetFromContactID(c.FromContact)
			}
		}
		if err := q.c.PrimaryContactChange.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (q queries) CandidateDuplicates(ctx context.Context, taxIDs, domains, names []string) ([]*account.Account, error) {
	seen := map[uuid.UUID]bool{}
	var out []*account.Account
	// One indexed query per kind of key: an OR across them would not use the indexes.
	for _, by := range []struct {
		keys []string
		pred func(...string) predicate.Account
		not  predicate.Account
	}{
		{taxIDs, entaccount.TaxIDNormIn, entaccount.TaxIDNormNEQ("")},
		{domains, entaccount.DomainNormIn, entaccount.DomainNormNEQ("")},
		{names, entaccount.NameNormIn, entaccount.NameNormNEQ("")},
	} {
		keys := slices.Compact(slices.Sorted(slices.Values(by.keys)))
		for start := 0; start < len(keys); start += chunk {
			rows, err := withDetails(q.c.Account.Query().Where(entaccount.DeleteTimeIsNil(), by.not,
				by.pred(keys[start:min(start+chunk, len(keys))]...))).All(ctx)
			if err != nil {
				return nil, mapErr(err)
			}
			for _, r := range rows {
				if !seen[r.ID] {
					seen[r.ID] = true
					out = append(out, toAccount(r))
				}
			}
		}
	}
	return out, nil
}

// LockNames takes the advisory locks of LockKeys for many names in one statement, in
// hash order, so that batches sharing names queue instead of deadlocking.
func (q txQueries) LockNames(ctx context.Context, names []string) error {
	if !q.postgres() || len(names) == 0 {
		return nil
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = "furrow.account.name:" + n
	}
	_, err := q.c.ExecContext(ctx, `SELECT pg_advisory_xact_lock(h) FROM (
		SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS s`, pq.Array(keys))
	return mapErr(err)
}
