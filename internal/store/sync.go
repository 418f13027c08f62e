package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	entaccount "github.com/furrowhq/furrow/ent/account"
	"github.com/furrowhq/furrow/ent/accountexternalid"
	"github.com/furrowhq/furrow/ent/contact"
	"github.com/furrowhq/furrow/ent/deal"
	"github.com/furrowhq/furrow/ent/partner"
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
