package store

import (
	"context"
	"errors"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/furrowhq/furrow/ent"
	"github.com/furrowhq/furrow/ent/contact"
	"github.com/furrowhq/furrow/ent/deal"
	"github.com/furrowhq/furrow/ent/interaction"
	"github.com/furrowhq/furrow/ent/ownershipperiod"
	"github.com/furrowhq/furrow/ent/primarycontactchange"
	"github.com/furrowhq/furrow/ent/stagechange"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/orderby"
	"github.com/furrowhq/furrow/internal/page"
)

// ---- histories: oldest first, keyset on (time, id)

// historyOrder orders a history by its time column, then id.
func historyOrder(col string) ([]orderby.Term, map[string]sortCol) {
	return []orderby.Term{{Field: "time"}}, map[string]sortCol{"time": {col: col, kind: keyTime}}
}

func (q queries) ListOwnershipPeriods(ctx context.Context, acc uuid.UUID, size int, after *page.Cursor) ([]*account.OwnershipPeriod, *page.Cursor, error) {
	order, cols := historyOrder(ownershipperiod.FieldStartTime)
	rows, next, err := listChildren(ctx, q.c.OwnershipPeriod.Query().Where(ownershipperiod.AccountID(acc)),
		account.ListParams{Order: order, Size: size, After: after}, nil, cols,
		func(r *ent.OwnershipPeriod, col string) any {
			if col == "id" {
				return r.ID
			}
			return r.StartTime
		})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*account.OwnershipPeriod, len(rows))
	for i, r := range rows {
		out[i] = &account.OwnershipPeriod{ID: r.ID, AccountID: r.AccountID, Owner: r.Owner, StartTime: r.StartTime.UTC(), EndTime: utcPtr(r.EndTime), Kind: r.Kind, Reason: r.Reason}
	}
	return out, next, nil
}

func (q queries) ListStageChanges(ctx context.Context, acc uuid.UUID, size int, after *page.Cursor) ([]*account.StageChange, *page.Cursor, error) {
	order, cols := historyOrder(stagechange.FieldChangeTime)
	rows, next, err := listChildren(ctx, q.c.StageChange.Query().Where(stagechange.AccountID(acc)),
		account.ListParams{Order: order, Size: size, After: after}, nil, cols,
		func(r *ent.StageChange, col string) any {
			if col == "id" {
				return r.ID
			}
			return r.ChangeTime
		})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*account.StageChange, len(rows))
	for i, r := range rows {
		out[i] = &account.StageChange{ID: r.ID, AccountID: r.AccountID, FromStage: r.FromStage, ToStage: r.ToStage, ChangeTime: r.ChangeTime.UTC()}
	}
	return out, next, nil
}

func (q queries) ListPrimaryContactChanges(ctx context.Context, acc uuid.UUID, size int, after *page.Cursor) ([]*account.PrimaryContactChange, *page.Cursor, error) {
	order, cols := historyOrder(primarycontactchange.FieldChangeTime)
	rows, next, err := listChildren(ctx, q.c.PrimaryContactChange.Query().Where(primarycontactchange.AccountID(acc)),
		account.ListParams{Order: order, Size: size, After: after}, nil, cols,
		func(r *ent.PrimaryContactChange, col string) any {
			if col == "id" {
				return r.ID
			}
			return r.ChangeTime
		})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*account.PrimaryContactChange, len(rows))
	for i, r := range rows {
		c := &account.PrimaryContactChange{ID: r.ID, AccountID: r.AccountID, ToContact: r.ToContactID, Reason: r.Reason, ChangeTime: r.ChangeTime.UTC()}
		if r.FromContactID != nil {
			c.FromContact = *r.FromContactID
		}
		out[i] = c
	}
	return out, next, nil
}

func (q txQueries) InsertStageChange(ctx context.Context, c *account.StageChange) error {
	return mapErr(q.c.StageChange.Create().SetID(c.ID).SetAccountID(c.AccountID).SetFromStage(c.FromStage).
		SetToStage(c.ToStage).SetChangeTime(c.ChangeTime).Exec(ctx))
}

func (q txQueries) InsertPrimaryContactChange(ctx context.Context, c *account.PrimaryContactChange) error {
	create := q.c.PrimaryContactChange.Create().SetID(c.ID).SetAccountID(c.AccountID).
		SetToContactID(c.ToContact).SetReason(c.Reason).SetChangeTime(c.ChangeTime)
	if c.FromContact != uuid.Nil {
		create.SetFromContactID(c.FromContact)
	}
	return mapErr(create.Exec(ctx))
}

// ---- contacts

var contactFilterCols = map[string]colSpec{
	"display_name":    {col: contact.FieldDisplayName},
	"email":           {col: contact.FieldEmail},
	"seniority_level": {col: contact.FieldSeniorityLevel, kind: colEnum, prefix: "SENIORITY_LEVEL_"},
	"decision_role":   {col: contact.FieldDecisionRole, kind: colEnum, prefix: "DECISION_ROLE_"},
	"attitude":        {col: contact.FieldAttitude, kind: colEnum, prefix: "ATTITUDE_"},
	"primary":         {col: contact.FieldIsPrimary},
}

var contactSortCols = map[string]sortCol{
	"primary":     {col: contact.FieldIsPrimary, kind: keyBool},
	"create_time": {col: contact.FieldCreateTime, kind: keyTime},
}

func toContact(r *ent.Contact) *account.Contact {
	return &account.Contact{
		ID: r.ID, AccountID: r.AccountID, DisplayName: r.DisplayName, Title: r.Title, Email: r.Email, Phone: r.Phone,
		SeniorityLevel: r.SeniorityLevel, DecisionRole: r.DecisionRole, Attitude: r.Attitude, Primary: r.IsPrimary, ExternalID: r.ExternalID,
		CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision,
	}
}

func (q queries) GetContact(ctx context.Context, acc, id uuid.UUID) (*account.Contact, error) {
	r, err := q.c.Contact.Query().Where(contact.ID(id), contact.AccountID(acc)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toContact(r), nil
}

func (q queries) ListContacts(ctx context.Context, acc uuid.UUID, p account.ListParams) ([]*account.Contact, *page.Cursor, error) {
	rows, next, err := listChildren(ctx, q.c.Contact.Query().Where(contact.AccountID(acc)), p, contactFilterCols, contactSortCols,
		func(r *ent.Contact, col string) any {
			switch col {
			case contact.FieldIsPrimary:
				return r.IsPrimary
			case contact.FieldCreateTime:
				return r.CreateTime
			}
			return r.ID
		})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*account.Contact, len(rows))
	for i, r := range rows {
		out[i] = toContact(r)
	}
	return out, next, nil
}

// listChildren runs a filtered, ordered keyset page of a child collection.
func listChildren[T any, P ~func(*sql.Selector), Q interface {
	Where(...P) Q
	Limit(int) Q
	All(context.Context) ([]T, error)
}](ctx context.Context, query Q, p account.ListParams, cols map[string]colSpec, sorts map[string]sortCol, key func(T, string) any) ([]T, *page.Cursor, error) {
	ks := resolveOrder(p.Order, sorts)
	var seekErr error
	rows, err := query.Where(P(func(s *sql.Selector) {
		if p.Filter != nil {
			s.Where(wherePredicate(s, p.Filter, cols))
		}
		seekErr = orderAndSeek(s, ks, p.After)
	})).Limit(p.Size + 1).All(ctx)
	if seekErr != nil {
		return nil, nil, seekErr
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	rows, next := cut(rows, p.Size, ks, key)
	return rows, next, nil
}

func (q queries) CountContacts(ctx context.Context, acc uuid.UUID) (int, error) {
	n, err := q.c.Contact.Query().Where(contact.AccountID(acc)).Count(ctx)
	return n, mapErr(err)
}

func contactCreate(c *ent.Client, x *account.Contact) *ent.ContactCreate {
	return c.Contact.Create().SetID(x.ID).SetAccountID(x.AccountID).SetDisplayName(x.DisplayName).
		SetTitle(x.Title).SetEmail(x.Email).SetPhone(x.Phone).SetSeniorityLevel(x.SeniorityLevel).
		SetDecisionRole(x.DecisionRole).SetAttitude(x.Attitude).SetIsPrimary(x.Primary).SetExternalID(x.ExternalID).
		SetCreateTime(x.CreateTime).SetUpdateTime(x.UpdateTime).SetRevision(x.Revision)
}

func (q txQueries) InsertContact(ctx context.Context, c *account.Contact) error {
	return mapErr(contactCreate(q.c, c).Exec(ctx))
}

func (q txQueries) UpdateContact(ctx context.Context, c *account.Contact, prev int64) error {
	n, err := q.c.Contact.Update().Where(contact.ID(c.ID), contact.AccountID(c.AccountID), contact.Revision(prev)).
		SetDisplayName(c.DisplayName).SetTitle(c.Title).SetEmail(c.Email).SetPhone(c.Phone).
		SetSeniorityLevel(c.SeniorityLevel).SetDecisionRole(c.DecisionRole).SetAttitude(c.Attitude).
		SetUpdateTime(c.UpdateTime).SetRevision(c.Revision).Save(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrStale
	}
	return nil
}

func (q txQueries) DeleteContact(ctx context.Context, acc, id uuid.UUID) error {
	n, err := q.c.Contact.Delete().Where(contact.ID(id), contact.AccountID(acc)).Exec(ctx)
	if err == nil && n == 0 {
		return account.ErrNotFound
	}
	return mapErr(err)
}

func (q txQueries) SetPrimary(ctx context.Context, acc, id uuid.UUID, t time.Time) error {
	// Clear first: the partial unique index allows one primary per account at any moment.
	if _, err := q.c.Contact.Update().Where(contact.AccountID(acc), contact.IsPrimary(true)).
		SetIsPrimary(false).SetUpdateTime(t).AddRevision(1).Save(ctx); err != nil {
		return mapErr(err)
	}
	n, err := q.c.Contact.Update().Where(contact.ID(id), contact.AccountID(acc)).
		SetIsPrimary(true).SetUpdateTime(t).AddRevision(1).Save(ctx)
	if err == nil && n == 0 {
		return account.ErrNotFound
	}
	return mapErr(err)
}

// ---- deals

var dealFilterCols = map[string]colSpec{
	"kind":          {kind: colDealKind, prefix: "DEAL_KIND_"},
	"status":        {col: deal.FieldStatus, kind: colEnum, prefix: "DEAL_STATUS_"},
	"product":       {col: deal.FieldProduct},
	"currency_code": {col: deal.FieldCurrencyCode},
	"close_date":    {col: deal.FieldCloseDate, kind: colDate},
}

var dealSortCols = map[string]sortCol{
	"close_date":  {col: deal.FieldCloseDate, kind: keyTime},
	"create_time": {col: deal.FieldCreateTime, kind: keyTime},
}

func toDeal(r *ent.Deal) *account.Deal {
	cd := r.CloseDate.UTC()
	return &account.Deal{
		ID: r.ID, AccountID: r.AccountID, Amount: account.Money{CurrencyCode: r.CurrencyCode, MinorUnits: r.AmountMinor},
		CloseDate: time.Date(cd.Year(), cd.Month(), cd.Day(), 0, 0, 0, 0, time.UTC),
		Kind:      r.Kind, Status: r.Status, First: r.IsFirst, Product: r.Product, ExternalID: r.ExternalID,
		CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision,
	}
}

func (q queries) GetDeal(ctx context.Context, acc, id uuid.UUID) (*account.Deal, error) {
	r, err := q.c.Deal.Query().Where(deal.ID(id), deal.AccountID(acc)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toDeal(r), nil
}

func (q queries) ListDeals(ctx context.Context, acc uuid.UUID, p account.ListParams) ([]*account.Deal, *page.Cursor, error) {
	rows, next, err := listChildren(ctx, q.c.Deal.Query().Where(deal.AccountID(acc)), p, dealFilterCols, dealSortCols,
		func(r *ent.Deal, col string) any {
			switch col {
			case deal.FieldCloseDate:
				return toDeal(r).CloseDate
			case deal.FieldCreateTime:
				return r.CreateTime
			}
			return r.ID
		})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*account.Deal, len(rows))
	for i, r := range rows {
		out[i] = toDeal(r)
	}
	return out, next, nil
}

func (q queries) FirstDeal(ctx context.Context, acc, exclude uuid.UUID) (*account.Deal, error) {
	r, err := q.c.Deal.Query().Where(deal.AccountID(acc), deal.IDNEQ(exclude), deal.Status(account.StatusWon)).
		Order(ent.Asc(deal.FieldCloseDate), ent.Asc(deal.FieldID)).First(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toDeal(r), nil
}

func (q txQueries) MarkFirstDeal(ctx context.Context, acc uuid.UUID) error {
	first, err := q.FirstDeal(ctx, acc, uuid.Nil)
	if err != nil && !errors.Is(err, account.ErrNotFound) {
		return err
	}
	// Unmark first: the partial unique index allows one first purchase per account.
	unmark := q.c.Deal.Update().Where(deal.AccountID(acc), deal.IsFirst(true))
	if first != nil {
		unmark.Where(deal.IDNEQ(first.ID))
	}
	if _, err := unmark.SetIsFirst(false).Save(ctx); err != nil {
		return mapErr(err)
	}
	if first == nil || first.First {
		return nil
	}
	return mapErr(q.c.Deal.UpdateOneID(first.ID).SetIsFirst(true).Exec(ctx))
}

func dealCreate(c *ent.Client, d *account.Deal) *ent.DealCreate {
	return c.Deal.Create().SetID(d.ID).SetAccountID(d.AccountID).SetCurrencyCode(d.Amount.CurrencyCode).
		SetAmountMinor(d.Amount.MinorUnits).SetCloseDate(d.CloseDate).SetKind(d.Kind).SetProduct(d.Product).
		SetStatus(d.Status).SetExternalID(d.ExternalID).SetIsFirst(d.First).
		SetCreateTime(d.CreateTime).SetUpdateTime(d.UpdateTime).SetRevision(d.Revision)
}

func (q txQueries) InsertDeal(ctx context.Context, d *account.Deal) error {
	return mapErr(dealCreate(q.c, d).Exec(ctx))
}

func (q txQueries) UpdateDeal(ctx context.Context, d *account.Deal, prev int64) error {
	n, err := q.c.Deal.Update().Where(deal.ID(d.ID), deal.AccountID(d.AccountID), deal.Revision(prev)).
		SetCurrencyCode(d.Amount.CurrencyCode).SetAmountMinor(d.Amount.MinorUnits).SetCloseDate(d.CloseDate).
		SetKind(d.Kind).SetStatus(d.Status).SetProduct(d.Product).SetUpdateTime(d.UpdateTime).SetRevision(d.Revision).Save(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrStale
	}
	return nil
}

func (q txQueries) DeleteDeal(ctx context.Context, acc, id uuid.UUID) error {
	n, err := q.c.Deal.Delete().Where(deal.ID(id), deal.AccountID(acc)).Exec(ctx)
	if err == nil && n == 0 {
		return account.ErrNotFound
	}
	return mapErr(err)
}

// ---- interactions

var interactionFilterCols = map[string]colSpec{
	"kind":       {col: interaction.FieldKind, kind: colEnum, prefix: "INTERACTION_KIND_"},
	"occur_time": {col: interaction.FieldOccurTime},
}

var interactionSortCols = map[string]sortCol{
	"occur_time": {col: interaction.FieldOccurTime, kind: keyTime},
}

func toInteraction(r *ent.Interaction) *account.Interaction {
	return &account.Interaction{
		ID: r.ID, AccountID: r.AccountID, Kind: r.Kind, OccurTime: r.OccurTime.UTC(), Participants: r.Participants,
		Summary: r.Summary, CreateTime: r.CreateTime.UTC(), UpdateTime: r.UpdateTime.UTC(), Revision: r.Revision,
	}
}

func (q queries) GetInteraction(ctx context.Context, acc, id uuid.UUID) (*account.Interaction, error) {
	r, err := q.c.Interaction.Query().Where(interaction.ID(id), interaction.AccountID(acc)).Only(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return toInteraction(r), nil
}

func (q queries) ListInteractions(ctx context.Context, acc uuid.UUID, p account.ListParams) ([]*account.Interaction, *page.Cursor, error) {
	rows, next, err := listChildren(ctx, q.c.Interaction.Query().Where(interaction.AccountID(acc)), p, interactionFilterCols, interactionSortCols,
		func(r *ent.Interaction, col string) any {
			if col == interaction.FieldOccurTime {
				return r.OccurTime
			}
			return r.ID
		})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*account.Interaction, len(rows))
	for i, r := range rows {
		out[i] = toInteraction(r)
	}
	return out, next, nil
}

func (q txQueries) InsertInteraction(ctx context.Context, i *account.Interaction) error {
	return mapErr(q.c.Interaction.Create().SetID(i.ID).SetAccountID(i.AccountID).SetKind(i.Kind).SetOccurTime(i.OccurTime).
		SetParticipants(i.Participants).SetSummary(i.Summary).
		SetCreateTime(i.CreateTime).SetUpdateTime(i.UpdateTime).SetRevision(i.Revision).Exec(ctx))
}

func (q txQueries) UpdateInteraction(ctx context.Context, i *account.Interaction, prev int64) error {
	n, err := q.c.Interaction.Update().Where(interaction.ID(i.ID), interaction.AccountID(i.AccountID), interaction.Revision(prev)).
		SetKind(i.Kind).SetOccurTime(i.OccurTime).SetParticipants(i.Participants).SetSummary(i.Summary).
		SetUpdateTime(i.UpdateTime).SetRevision(i.Revision).Save(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return account.ErrStale
	}
	return nil
}

func (q txQueries) DeleteInteraction(ctx context.Context, acc, id uuid.UUID) error {
	n, err := q.c.Interaction.Delete().Where(interaction.ID(id), interaction.AccountID(acc)).Exec(ctx)
	if err == nil && n == 0 {
		return account.ErrNotFound
	}
	return mapErr(err)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
