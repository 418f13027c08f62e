package account

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/filter"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/orderby"
)

// ContactFilter is the schema of ListContacts filters.
var ContactFilter = filter.Schema{
	"display_name":    {Kind: filter.String},
	"email":           {Kind: filter.String},
	"seniority_level": {Kind: filter.Enum, Values: enumValues("SENIORITY_LEVEL_", SeniorityLevels)},
	"decision_role":   {Kind: filter.Enum, Values: enumValues("DECISION_ROLE_", DecisionRoles)},
	"attitude":        {Kind: filter.Enum, Values: enumValues("ATTITUDE_", Attitudes)},
	"primary":         {Kind: filter.Bool},
}

// InteractionFilter is the schema of ListInteractions filters.
var InteractionFilter = filter.Schema{
	"kind":       {Kind: filter.Enum, Values: enumValues("INTERACTION_KIND_", InteractionKinds)},
	"occur_time": {Kind: filter.Timestamp},
}

func notFound(kind, name string) error {
	return failure.Newf(failure.NotFound, "%s %q not found", kind, name).WithResource(name)
}

// childNotFound maps a store's ErrNotFound for a child resource.
func childNotFound(err error, kind, name string) error {
	if errors.Is(err, ErrNotFound) {
		return notFound(kind, name)
	}
	return err
}

// checkVisible fails with NOT_FOUND when a partner caller may not see the account.
func (s *Service) checkVisible(ctx context.Context, account uuid.UUID) error {
	if !auth.CallerFrom(ctx).IsPartner() {
		return nil
	}
	_, err := s.getAccount(ctx, s.store, account)
	return err
}

// replayChild returns the child a committed create with requestID made, for a create
// that failed because a concurrent retry of the same request won.
func replayChild[T any](ctx context.Context, s *Service, account uuid.UUID, scope, requestID string, get func(uuid.UUID) (T, error)) (T, bool) {
	var zero T
	if requestID == "" || s.checkVisible(ctx, account) != nil {
		return zero, false
	}
	id, err := s.store.LookupRequest(ctx, scope, requestID)
	if err != nil {
		return zero, false
	}
	v, err := get(id)
	return v, err == nil
}

// replayed maps a retry whose resource was deleted since the first call.
func replayed[T any](v T, err error, requestID, name string) (T, error) {
	if errors.Is(err, ErrNotFound) {
		return v, failure.Newf(failure.FailedPrecondition,
			"request_id %q already created %s, which has since been deleted; send a new request_id to create another", requestID, name).
			WithReason("REQUEST_ALREADY_USED").WithResource(name)
	}
	return v, err
}

// lockChild locks the live account and reads one of its children, checking the
// caller's etag: how every child update and delete starts.
func lockChild[T interface{ Etag() string }](ctx context.Context, tx Tx, account uuid.UUID, etag, kind, name string, get func() (T, error)) (T, error) {
	var zero T
	if _, err := lockLive(ctx, tx, account, ""); err != nil {
		return zero, err
	}
	c, err := get()
	if err != nil {
		return zero, childNotFound(err, kind, name)
	}
	if etag != "" && !etagMatches(etag, c.Etag()) {
		return zero, staleEtag(name, etag, c.Etag())
	}
	return c, nil
}

// ---- contacts

// CreateContact adds a contact; the account's first contact becomes primary.
func (s *Service) CreateContact(ctx context.Context, account uuid.UUID, in Contact, requestID string) (*Contact, error) {
	c := in
	normalizeContact(&c)
	if err := failure.InvalidFields(validateContact(&c, "contact.")); err != nil {
		return nil, err
	}
	now := s.clock()
	c.ID, c.AccountID, c.CreateTime, c.UpdateTime, c.Revision, c.Primary = newID(), account, now, now, 1, false
	scope := requestScope(ctx, "contact:"+account.String())
	var out *Contact
	err := s.store.WithTx(ctx, func(tx Tx) error {
		if _, err := lockLive(ctx, tx, account, ""); err != nil {
			return err
		}
		if id, err := tx.LookupRequest(ctx, scope, requestID); err == nil && requestID != "" {
			prev, err := tx.GetContact(ctx, account, id)
			out, err = replayed(prev, err, requestID, ContactName(account, id))
			return err
		}
		n, err := tx.CountContacts(ctx, account)
		if err != nil {
			return err
		}
		if err := tx.InsertContact(ctx, &c); err != nil {
			return err
		}
		if n == 0 {
			if err := tx.SetPrimary(ctx, account, c.ID, now); err != nil {
				return err
			}
			if err := tx.InsertPrimaryContactChange(ctx, &PrimaryContactChange{ID: newID(), AccountID: account, ToContact: c.ID, Reason: "first contact", ChangeTime: now}); err != nil {
				return err
			}
			c.Primary = true
		}
		if requestID != "" {
			if err := tx.InsertRequest(ctx, scope, requestID, c.ID, now); err != nil {
				return err
			}
		}
		out = &c
		return s.log(ctx, tx, now, c.Name(), "contact.create", account, nil)
	})
	if err != nil {
		if prev, ok := replayChild(ctx, s, account, scope, requestID, func(id uuid.UUID) (*Contact, error) { return s.store.GetContact(ctx, account, id) }); ok {
			return prev, nil
		}
	}
	return out, err
}

// GetContact returns a contact.
func (s *Service) GetContact(ctx context.Context, account, id uuid.UUID) (*Contact, error) {
	if err := s.checkVisible(ctx, account); err != nil {
		return nil, err
	}
	c, err := s.store.GetContact(ctx, account, id)
	return c, childNotFound(err, "contact", ContactName(account, id))
}

// ListContacts lists an account's contacts, primary first.
func (s *Service) ListContacts(ctx context.Context, account uuid.UUID, r ListRequest) (*Page[*Contact], error) {
	if _, err := s.getAccount(ctx, s.store, account); err != nil {
		return nil, err
	}
	p, fp, err := listing.Parse(r, ContactFilter, nil, []orderby.Term{{Field: "primary", Desc: true}, {Field: "create_time"}}, AccountName(account)+"/contacts")
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.ListContacts(ctx, account, p)
	return listing.Finish(items, next, fp, err)
}

var contactMaskable = []string{"display_name", "title", "email", "phone", "seniority_level", "decision_role", "attitude"}

// UpdateContact changes a contact's fields named by mask.
func (s *Service) UpdateContact(ctx context.Context, account, id uuid.UUID, patch Contact, mask []string, etag string) (*Contact, error) {
	mask, err := expandMask(mask, contactMaskable, "update_mask")
	if err != nil {
		return nil, err
	}
	var out *Contact
	err = s.store.WithTx(ctx, func(tx Tx) error {
		cur, err := lockChild(ctx, tx, account, etag, "contact", ContactName(account, id), func() (*Contact, error) { return tx.GetContact(ctx, account, id) })
		if err != nil {
			return err
		}
		next := *cur
		for _, f := range mask {
			switch f {
			case "display_name":
				next.DisplayName = patch.DisplayName
			case "title":
				next.Title = patch.Title
			case "email":
				next.Email = patch.Email
			case "phone":
				next.Phone = patch.Phone
			case "seniority_level":
				next.SeniorityLevel = patch.SeniorityLevel
			case "decision_role":
				next.DecisionRole = patch.DecisionRole
			case "attitude":
				next.Attitude = patch.Attitude
			}
		}
		normalizeContact(&next)
		if err := failure.InvalidFields(validateContact(&next, "contact.")); err != nil {
			return err
		}
		if next == *cur {
			out = cur
			return nil
		}
		next.UpdateTime, next.Revision = s.clock(), cur.Revision+1
		if err := tx.UpdateContact(ctx, &next, cur.Revision); err != nil {
			if errors.Is(err, ErrStale) {
				return staleEtag(cur.Name(), etag, "newer")
			}
			return err
		}
		out = &next
		return s.log(ctx, tx, next.UpdateTime, next.Name(), "contact.update", account, mask)
	})
	return out, err
}

// DeleteContact deletes a contact; the primary contact can go only when it is the last.
func (s *Service) DeleteContact(ctx context.Context, account, id uuid.UUID, etag string) error {
	return s.store.WithTx(ctx, func(tx Tx) error {
		cur, err := lockChild(ctx, tx, account, etag, "contact", ContactName(account, id), func() (*Contact, error) { return tx.GetContact(ctx, account, id) })
		if err != nil {
			return err
		}
		if cur.Primary {
			n, err := tx.CountContacts(ctx, account)
			if err != nil {
				return err
			}
			if n > 1 {
				return failure.Newf(failure.FailedPrecondition, "contact %q is the primary contact of %s: make another contact primary (SetPrimaryContact) before deleting it", cur.Name(), AccountName(account)).
					WithReason("PRIMARY_CONTACT").WithResource(cur.Name())
			}
		}
		if err := tx.DeleteContact(ctx, account, id); err != nil {
			return err
		}
		return s.log(ctx, tx, s.clock(), cur.Name(), "contact.delete", account, nil)
	})
}

// SetPrimaryContact makes a contact the primary one and records the change.
func (s *Service) SetPrimaryContact(ctx context.Context, account, id uuid.UUID, reason string) (*Contact, error) {
	var out *Contact
	err := s.store.WithTx(ctx, func(tx Tx) error {
		a, err := lockLive(ctx, tx, account, "")
		if err != nil {
			return err
		}
		c, err := tx.GetContact(ctx, account, id)
		if err != nil {
			return childNotFound(err, "contact", ContactName(account, id))
		}
		if c.Primary {
			// Already done (a double click, a retry): nothing to change or record.
			out = c
			return nil
		}
		now := s.clock()
		if err := tx.SetPrimary(ctx, account, id, now); err != nil {
			return err
		}
		if err := tx.InsertPrimaryContactChange(ctx, &PrimaryContactChange{ID: newID(), AccountID: account, FromContact: a.PrimaryContact, ToContact: id, Reason: strings.TrimSpace(reason), ChangeTime: now}); err != nil {
			return err
		}
		if out, err = tx.GetContact(ctx, account, id); err != nil {
			return err
		}
		return s.log(ctx, tx, now, out.Name(), "contact.set_primary", account, []string{"primary"})
	})
	return out, err
}

// ListPrimaryContactChanges lists an account's primary contact changes, oldest first.
func (s *Service) ListPrimaryContactChanges(ctx context.Context, account uuid.UUID, size int32, token string) (*Page[*PrimaryContactChange], error) {
	return historyPage(ctx, s, account, "primary", size, token, s.store.ListPrimaryContactChanges)
}

// ---- interactions

// CreateInteraction records a follow-up.
func (s *Service) CreateInteraction(ctx context.Context, account uuid.UUID, in Interaction, requestID string) (*Interaction, error) {
	i := in
	i.Participants = slices.Clone(in.Participants)
	now := s.clock()
	if err := failure.InvalidFields(validateInteraction(&i, "interaction.", now)); err != nil {
		return nil, err
	}
	i.OccurTime = i.OccurTime.UTC().Truncate(1000)
	i.ID, i.AccountID, i.CreateTime, i.UpdateTime, i.Revision = newID(), account, now, now, 1
	scope := requestScope(ctx, "interaction:"+account.String())
	var out *Interaction
	err := s.store.WithTx(ctx, func(tx Tx) error {
		if _, err := lockLive(ctx, tx, account, ""); err != nil {
			return err
		}
		if id, err := tx.LookupRequest(ctx, scope, requestID); err == nil && requestID != "" {
			prev, err := tx.GetInteraction(ctx, account, id)
			out, err = replayed(prev, err, requestID, AccountName(account)+"/interactions/"+id.String())
			return err
		}
		if err := tx.InsertInteraction(ctx, &i); err != nil {
			return err
		}
		if requestID != "" {
			if err := tx.InsertRequest(ctx, scope, requestID, i.ID, now); err != nil {
				return err
			}
		}
		out = &i
		return s.log(ctx, tx, now, i.Name(), "interaction.create", account, nil)
	})
	if err != nil {
		if prev, ok := replayChild(ctx, s, account, scope, requestID, func(id uuid.UUID) (*Interaction, error) { return s.store.GetInteraction(ctx, account, id) }); ok {
			return prev, nil
		}
	}
	return out, err
}

// GetInteraction returns an interaction.
func (s *Service) GetInteraction(ctx context.Context, account, id uuid.UUID) (*Interaction, error) {
	if err := s.checkVisible(ctx, account); err != nil {
		return nil, err
	}
	i, err := s.store.GetInteraction(ctx, account, id)
	return i, childNotFound(err, "interaction", AccountName(account)+"/interactions/"+id.String())
}

// ListInteractions is the account's timeline, newest first.
func (s *Service) ListInteractions(ctx context.Context, account uuid.UUID, r ListRequest) (*Page[*Interaction], error) {
	if _, err := s.getAccount(ctx, s.store, account); err != nil {
		return nil, err
	}
	p, fp, err := listing.Parse(r, InteractionFilter, nil, []orderby.Term{{Field: "occur_time", Desc: true}}, AccountName(account)+"/interactions")
	if err != nil {
		return nil, err
	}
	items, next, err := s.store.ListInteractions(ctx, account, p)
	return listing.Finish(items, next, fp, err)
}

var interactionMaskable = []string{"kind", "occur_time", "participants", "summary"}

// UpdateInteraction changes an interaction's fields named by mask.
func (s *Service) UpdateInteraction(ctx context.Context, account, id uuid.UUID, patch Interaction, mask []string, etag string) (*Interaction, error) {
	mask, err := expandMask(mask, interactionMaskable, "update_mask")
	if err != nil {
		return nil, err
	}
	name := AccountName(account) + "/interactions/" + id.String()
	var out *Interaction
	err = s.store.WithTx(ctx, func(tx Tx) error {
		cur, err := lockChild(ctx, tx, account, etag, "interaction", name, func() (*Interaction, error) { return tx.GetInteraction(ctx, account, id) })
		if err != nil {
			return err
		}
		next := *cur
		for _, f := range mask {
			switch f {
			case "kind":
				next.Kind = patch.Kind
			case "occur_time":
				next.OccurTime = patch.OccurTime.UTC().Truncate(1000)
			case "participants":
				next.Participants = slices.Clone(patch.Participants)
			case "summary":
				next.Summary = patch.Summary
			}
		}
		now := s.clock()
		if err := failure.InvalidFields(validateInteraction(&next, "interaction.", now)); err != nil {
			return err
		}
		if next.Kind == cur.Kind && next.OccurTime.Equal(cur.OccurTime) && next.Summary == cur.Summary && slices.Equal(next.Participants, cur.Participants) {
			out = cur
			return nil
		}
		next.UpdateTime, next.Revision = now, cur.Revision+1
		if err := tx.UpdateInteraction(ctx, &next, cur.Revision); err != nil {
			if errors.Is(err, ErrStale) {
				return staleEtag(name, etag, "newer")
			}
			return err
		}
		out = &next
		return s.log(ctx, tx, now, name, "interaction.update", account, mask)
	})
	return out, err
}

// DeleteInteraction deletes an interaction.
func (s *Service) DeleteInteraction(ctx context.Context, account, id uuid.UUID, etag string) error {
	name := AccountName(account) + "/interactions/" + id.String()
	return s.store.WithTx(ctx, func(tx Tx) error {
		if _, err := lockChild(ctx, tx, account, etag, "interaction", name, func() (*Interaction, error) { return tx.GetInteraction(ctx, account, id) }); err != nil {
			return err
		}
		if err := tx.DeleteInteraction(ctx, account, id); err != nil {
			return err
		}
		return s.log(ctx, tx, s.clock(), name, "interaction.delete", account, nil)
	})
}
