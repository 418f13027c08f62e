package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	entaccount "github.com/furrowhq/furrow/ent/account"
	"github.com/furrowhq/furrow/ent/accountexternalid"
	"github.com/furrowhq/furrow/ent/accountlabel"
	"github.com/furrowhq/furrow/ent/contact"
	"github.com/furrowhq/furrow/ent/ownershipperiod"
	"github.com/furrowhq/furrow/ent/predicate"
	"github.com/furrowhq/furrow/ent/requestrecord"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/page"
)

var accountFilterCols = map[string]colSpec{
	"display_name":    {col: entaccount.FieldDisplayName},
	"tax_id":          {col: entaccount.FieldTaxID},
	"domain":          {col: entaccount.FieldDomain},
	"industry":        {col: entaccount.FieldIndustry},
	"region":          {col: entaccount.FieldRegion},
	"owner":           {col: entaccount.FieldOwner},
	"first_owner":     {col: entaccount.FieldFirstOwner},
	"size":            {col: entaccount.FieldSize, kind: colEnum, prefix: "COMPANY_SIZE_"},
	"revenue_tier":    {col: entaccount.FieldRevenueTier, kind: colEnum, prefix: "REVENUE_TIER_"},
	"strategic_role":  {col: entaccount.FieldStrategicRole, kind: colEnum, prefix: "STRATEGIC_ROLE_"},
	"activity_status": {col: entaccount.FieldActivityStatus, kind: colEnum, prefix: "ACTIVITY_STATUS_"},
	"funnel_stage":    {col: entaccount.FieldFunnelStage, kind: colEnum, prefix: "FUNNEL_STAGE_"},
	"labels":          {kind: colLabels},
	"external_ids":    {kind: colExternal},
	"create_time":     {col: entaccount.FieldCreateTime},
	"update_time":     {col: entaccount.FieldUpdateTime},
}

var accountSortCols = map[string]sortCol{
	"display_name": {col: entaccount.FieldDisplayName, kind: keyString},
	"create_time":  {col: entaccount.FieldCreateTime, kind: keyTime},
	"update_time":  {col: entaccount.FieldUpdateTime, kind: keyTime},
}

func accountKey(a *ent.Account, col string) any {
	switch col {
	case entaccount.FieldDisplayName:
		return a.DisplayName
	case entaccount.FieldCreateTime:
		return a.CreateTime
	case entaccount.FieldUpdateTime:
		return a.UpdateTime
	}
	return a.ID
}

// withDetails eager-loads what an account's API form shows: labels, external ids and
// the primary contact's id (three queries per page, never one per row).
func withDetails(q *ent.AccountQuery) *ent.AccountQuery {
	return q.WithLabels().WithExternalIds().
		WithContacts(func(cq *ent.ContactQuery) {
			cq.Where(contact.IsPrimary(true)).Select(contact.FieldID, contact.FieldAccountID)
		})
}

func toAccount(r *ent.Account) *account.Account {
	a := &account.Account{
		ID: r.ID, DisplayName: r.DisplayName, TaxID: r.TaxID, Domain: r.Domain,
		Industry: r.Industry, Region: r.Region, Size: r.Size,
		RevenueTier: r.RevenueTier, StrategicRole: r.StrategicRole,
		ActivityStatus: r.ActivityStatus, FunnelStage: r.FunnelStage,
		Owner: r.Owner, FirstOwner: r.FirstOwner,
		CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision,
	}
	if r.DeleteTime != nil {
		t := r.DeleteTime.UTC()
		a.DeleteTime = &t
	}
	for _, l := range r.Edges.Labels {
		a.Labels = append(a.Labels, l.Label)
	}
	sort.Strings(a.Labels)
	if len(r.Edges.ExternalIds) > 0 {
		a.ExternalIDs = make(map[string]string, len(r.Edges.ExternalIds))
		for _, x := range r.Edges.ExternalIds {
			a.ExternalIDs[x.System] = x.ExternalID
		}
	}
	if len(r.Edges.Contacts) > 0 {
		a.PrimaryContact = r.Edges.Contacts[0].ID
	}
	return a
}

func (q queries) GetAccount(ctx context.Context, id uuid.UUID) (*account.Account, error) {
	r, err := withDetails(q.c.Account.Query().Where(entaccount.ID(id))).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAccount(r), nil
}

func (q txQueries) LockAccount(ctx context.Context, id uuid.UUID) (*account.Account, error) {
	query := q.c.Account.Query().Where(entaccount.ID(id))
	if q.postgres() {
		// SQLite needs no row lock: its transactions take the database write lock at
		// BEGIN (_txlock=immediate).
		query = query.ForUpdate()
	}
	r, err := withDetails(query).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toAccount(r), nil
}

func (q queries) ListAccounts(ctx context.Context, p account.ListParams) ([]*account.Account, *page.Cursor, error) {
	ks := resolveOrder(p.Order, accountSortCols)
	var seekErr error
	query := q.c.Account.Query().Where(func(s *sql.Selector) {
		if !p.ShowDeleted {
			s.Where(sql.IsNull(s.C(entaccount.FieldDeleteTime)))
		}
		if p.Partner != "" {
			t := sql.Table(accountexternalid.Table)
			s.Where(sql.Exists(sql.Dialect(s.Dialect()).Select(t.C("account_id")).From(t).
				Where(sql.And(sql.ColumnsEQ(t.C("account_id"), s.C("id")), sql.EQ(t.C("system"), p.Partner)))))
		}
		if p.Filter != nil {
			s.Where(wherePredicate(s, p.Filter, accountFilterCols))
		}
		seekErr = orderAndSeek(s, ks, p.After)
	}).Limit(p.Size + 1)
	rows, err := withDetails(query).All(ctx)
	if seekErr != nil {
		return nil, nil, seekErr
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := cut(rows, p.Size, ks, accountKey)
	out := make([]*account.Account, len(rows))
	for i, r := range rows {
		out[i] = toAccount(r)
	}
	return out, next, nil
}

// FindDuplicate runs one small indexed query per key, in priority order (tax id,
// domain, external ids, name): an OR across them in one query would defeat the indexes
// and scan every account.
func (q queries) FindDuplicate(ctx context.Context, a *account.Account) (*account.Account, error) {
	k := a.Keys()
	live := func(ps ...predicate.Account) (*account.Account, error) {
		ps = append(ps, entaccount.DeleteTimeIsNil(), entaccount.IDNEQ(a.ID))
		r, err := withDetails(q.c.Account.Query().Where(ps...)).First(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		return toAccount(r), nil
	}
	try := func(found *account.Account, err error) (*account.Account, bool, error) {
		if errors.Is(err, account.ErrNotFound) {
			return nil, false, nil
		}
		return found, err == nil, err
	}
	if k.TaxID != "" {
		if d, ok, err := try(live(entaccount.TaxIDNorm(k.TaxID), entaccount.TaxIDNormNEQ(""))); ok || err != nil {
			return d, err
		}
	}
	if k.Domain != "" {
		if d, ok, err := try(live(entaccount.DomainNorm(k.Domain), entaccount.DomainNormNEQ(""))); ok || err != nil {
			return d, err
		}
	}
	if len(a.ExternalIDs) > 0 {
		systems := slices.Sorted(maps.Keys(a.ExternalIDs))
		ors := make([]predicate.AccountExternalID, 0, len(systems))
		for _, sys := range systems {
			ors = append(ors, accountexternalid.And(accountexternalid.System(sys), accountexternalid.ExternalID(a.ExternalIDs[sys])))
		}
		x, err := q.c.AccountExternalID.Query().Where(accountexternalid.Or(ors...), accountexternalid.AccountDeleted(false),
			accountexternalid.AccountIDNEQ(a.ID)).First(ctx)
		if err == nil {
			return q.GetAccount(ctx, x.AccountID)
		}
		if !ent.IsNotFound(err) {
			return nil, mapErr(err)
		}
	}
	if k.TaxID == "" && k.Domain == "" && k.Name != "" {
		if d, ok, err := try(live(entaccount.NameNorm(k.Name))); ok || err != nil {
			return d, err
		}
	}
	return nil, account.ErrNotFound
}

// LockKeys takes a transaction-scoped advisory lock on the normalised name. SQLite
// needs none: its write transactions already run one at a time.
func (q txQueries) LockKeys(ctx context.Context, k account.Keys) error {
	if !q.postgres() || k.Name == "" {
		return nil
	}
	_, err := q.c.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "furrow.account.name:"+k.Name)
	return mapErr(err)
}

func accountCreate(c *ent.Client, a *account.Account) *ent.AccountCreate {
	k := a.Keys()
	return c.Account.Create().
		SetID(a.ID).SetDisplayName(a.DisplayName).SetNameNorm(k.Name).
		SetTaxID(a.TaxID).SetTaxIDNorm(k.TaxID).SetDomain(a.Domain).SetDomainNorm(k.Domain).
		SetIndustry(a.Industry).SetRegion(a.Region).SetSize(a.Size).
		SetRevenueTier(a.RevenueTier).SetStrategicRole(a.StrategicRole).
		SetActivityStatus(a.ActivityStatus).SetFunnelStage(a.FunnelStage).
		SetOwner(a.Owner).SetFirstOwner(a.FirstOwner).SetNillableDeleteTime(a.DeleteTime).
		SetCreateTime(a.CreateTime).SetUpdateTime(a.UpdateTime).SetRevision(a.Revision)
}

func (q txQueries) InsertAccount(ctx context.Context, a *account.Account) error {
	if err := accountCreate(q.c, a).Exec(ctx); err != nil {
		return mapErr(err)
	}
	return q.writeAccountSets(ctx, a, false)
}

// writeAccountSets writes an account's labels and external ids (replacing the old ones).
func (q queries) writeAccountSets(ctx context.Context, a *account.Account, replace bool) error {
	if replace {
		if _, err := q.c.AccountLabel.Delete().Where(accountlabel.AccountID(a.ID)).Exec(ctx); err != nil {
			return mapErr(err)
		}
		if _, err := q.c.AccountExternalID.Delete().Where(accountexternalid.AccountID(a.ID)).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	if len(a.Labels) > 0 {
		b := make([]*ent.AccountLabelCreate, len(a.Labels))
		for i, l := range a.Labels {
			b[i] = q.c.AccountLabel.Create().SetAccountID(a.ID).SetLabel(l)
		}
		if err := q.c.AccountLabel.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	if len(a.ExternalIDs) > 0 {
		b := make([]*ent.AccountExternalIDCreate, 0, len(a.ExternalIDs))
		for sys, id := range a.ExternalIDs {
			b = append(b, q.c.AccountExternalID.Create().SetAccountID(a.ID).SetSystem(sys).SetExternalID(id).
				SetAccountDeleted(a.DeleteTime != nil))
		}
		if err := q.c.AccountExternalID.CreateBulk(b...).Exec(ctx); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// UpdateAccount compares with old, which the caller read in this transaction, rather
// than reading the account (and its labels and external ids) again.
func (q txQueries) UpdateAccount(ctx context.Context, old, a *account.Account) error {
	k := a.Keys()
	u := q.c.Account.Update().Where(entaccount.ID(a.ID), entaccount.Revision(old.Revision))
	if a.DeleteTime != nil {
		u.SetDeleteTime(*a.DeleteTime)
	} else {
		u.ClearDeleteTime()
	}
	n, err := u.
		SetDisplayName(a.DisplayName).SetNameNorm(k.Name).
		SetTaxID(a.TaxID).SetTaxIDNorm(k.TaxID).SetDomain(a.Domain).SetDomainNorm(k.Domain).
		SetIndustry(a.Industry).SetRegion(a.Region).SetSize(a.Size).
		SetRevenueTier(a.RevenueTier).SetStrategicRole(a.StrategicRole).
		SetActivityStatus(a.ActivityStatus).SetFunnelStage(a.FunnelStage).
		SetOwner(a.Owner).SetFirstOwner(a.FirstOwner).
		SetUpdateTime(a.UpdateTime).SetRevision(a.Revision).
		Save(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrStale
	}
	if !slices.Equal(old.Labels, a.Labels) || !maps.Equal(old.ExternalIDs, a.ExternalIDs) {
		return q.writeAccountSets(ctx, a, true)
	}
	if old.Deleted() != a.Deleted() {
		// A deleted account's external ids no longer block a live account's.
		_, err := q.c.AccountExternalID.Update().Where(accountexternalid.AccountID(a.ID)).
			SetAccountDeleted(a.Deleted()).Save(ctx)
		return mapErr(err)
	}
	return nil
}

func (q txQueries) InsertOwnershipPeriod(ctx context.Context, p *account.OwnershipPeriod) error {
	return mapErr(q.c.OwnershipPeriod.Create().SetID(p.ID).SetAccountID(p.AccountID).SetOwner(p.Owner).
		SetStartTime(p.StartTime).SetNillableEndTime(p.EndTime).SetKind(p.Kind).SetReason(p.Reason).Exec(ctx))
}

func (q txQueries) EndOwnershipPeriod(ctx context.Context, acc uuid.UUID, t time.Time) error {
	_, err := q.c.OwnershipPeriod.Update().
		Where(ownershipperiod.AccountID(acc), ownershipperiod.EndTimeIsNil()).
		SetEndTime(t).Save(ctx)
	return mapErr(err)
}

func (q queries) LookupRequest(ctx context.Context, scope, requestID string) (uuid.UUID, error) {
	if requestID == "" {
		return uuid.Nil, account.ErrNotFound
	}
	r, err := q.c.RequestRecord.Query().Where(requestrecord.Scope(scope), requestrecord.RequestID(requestID)).Only(ctx)
	if err != nil {
		return uuid.Nil, mapErr(err)
	}
	return r.ResourceID, nil
}

func (q txQueries) InsertRequest(ctx context.Context, scope, requestID string, resource uuid.UUID, t time.Time) error {
	return mapErr(q.c.RequestRecord.Create().SetScope(scope).SetRequestID(requestID).SetResourceID(resource).SetCreateTime(t).Exec(ctx))
}
