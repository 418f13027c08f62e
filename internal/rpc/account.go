package rpc

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
)

// AccountServer implements furrow.v1.AccountService over the account domain.
type AccountServer struct {
	furrowv1.UnimplementedAccountServiceServer
	svc *account.Service
}

var _ furrowv1.AccountServiceServer = (*AccountServer)(nil)

// NewAccountServer returns an AccountServer over svc.
func NewAccountServer(svc *account.Service) *AccountServer { return &AccountServer{svc: svc} }

// ---- conversions

func accountToProto(a *account.Account) *furrowv1.Account {
	out := &furrowv1.Account{
		Name: a.Name(), DisplayName: a.DisplayName, TaxId: a.TaxID, Domain: a.Domain,
		Industry: a.Industry, Region: a.Region,
		Size:           enumFromDomain[furrowv1.CompanySize](furrowv1.CompanySize_value, "COMPANY_SIZE_", a.Size),
		Labels:         a.Labels,
		ExternalIds:    a.ExternalIDs,
		RevenueTier:    enumFromDomain[furrowv1.RevenueTier](furrowv1.RevenueTier_value, "REVENUE_TIER_", a.RevenueTier),
		StrategicRole:  enumFromDomain[furrowv1.StrategicRole](furrowv1.StrategicRole_value, "STRATEGIC_ROLE_", a.StrategicRole),
		ActivityStatus: enumFromDomain[furrowv1.ActivityStatus](furrowv1.ActivityStatus_value, "ACTIVITY_STATUS_", a.ActivityStatus),
		FunnelStage:    enumFromDomain[furrowv1.FunnelStage](furrowv1.FunnelStage_value, "FUNNEL_STAGE_", a.FunnelStage),
		Owner:          a.Owner, FirstOwner: a.FirstOwner,
		CreateTime: ts(a.CreateTime), UpdateTime: ts(a.UpdateTime), DeleteTime: tsPtr(a.DeleteTime),
		Etag: a.Etag(),
	}
	if a.PrimaryContact != [16]byte{} {
		out.PrimaryContact = account.ContactName(a.ID, a.PrimaryContact)
	}
	return out
}

func accountFromProto(p *furrowv1.Account) account.Account {
	return account.Account{
		DisplayName: p.GetDisplayName(), TaxID: p.GetTaxId(), Domain: p.GetDomain(),
		Industry: p.GetIndustry(), Region: p.GetRegion(),
		Size:           enumToDomain(p.GetSize(), "COMPANY_SIZE_"),
		Labels:         p.GetLabels(),
		ExternalIDs:    p.GetExternalIds(),
		RevenueTier:    enumToDomain(p.GetRevenueTier(), "REVENUE_TIER_"),
		StrategicRole:  enumToDomain(p.GetStrategicRole(), "STRATEGIC_ROLE_"),
		ActivityStatus: enumToDomain(p.GetActivityStatus(), "ACTIVITY_STATUS_"),
		FunnelStage:    enumToDomain(p.GetFunnelStage(), "FUNNEL_STAGE_"),
	}
}

func contactToProto(c *account.Contact) *furrowv1.Contact {
	return &furrowv1.Contact{
		Name: c.Name(), DisplayName: c.DisplayName, Title: c.Title, Email: c.Email, Phone: c.Phone,
		SeniorityLevel: enumFromDomain[furrowv1.SeniorityLevel](furrowv1.SeniorityLevel_value, "SENIORITY_LEVEL_", c.SeniorityLevel),
		DecisionRole:   enumFromDomain[furrowv1.DecisionRole](furrowv1.DecisionRole_value, "DECISION_ROLE_", c.DecisionRole),
		Attitude:       enumFromDomain[furrowv1.Attitude](furrowv1.Attitude_value, "ATTITUDE_", c.Attitude),
		Primary:        c.Primary,
		CreateTime:     ts(c.CreateTime), UpdateTime: ts(c.UpdateTime), Etag: c.Etag(),
	}
}

func contactFromProto(p *furrowv1.Contact) account.Contact {
	return account.Contact{
		DisplayName: p.GetDisplayName(), Title: p.GetTitle(), Email: p.GetEmail(), Phone: p.GetPhone(),
		SeniorityLevel: enumToDomain(p.GetSeniorityLevel(), "SENIORITY_LEVEL_"),
		DecisionRole:   enumToDomain(p.GetDecisionRole(), "DECISION_ROLE_"),
		Attitude:       enumToDomain(p.GetAttitude(), "ATTITUDE_"),
	}
}

func dealToProto(d *account.Deal) *furrowv1.Deal {
	return &furrowv1.Deal{
		Name:      d.Name(),
		Amount:    &furrowv1.Money{CurrencyCode: d.Amount.CurrencyCode, MinorUnits: d.Amount.MinorUnits},
		CloseDate: toDate(d.CloseDate),
		Kind:      enumFromDomain[furrowv1.DealKind](furrowv1.DealKind_value, "DEAL_KIND_", d.Kind),
		Status:    enumFromDomain[furrowv1.DealStatus](furrowv1.DealStatus_value, "DEAL_STATUS_", d.Status),
		Product:   d.Product, CreateTime: ts(d.CreateTime), UpdateTime: ts(d.UpdateTime), Etag: d.Etag(),
	}
}

func dealFromProto(p *furrowv1.Deal) (account.Deal, error) {
	cd, err := fromDate(p.GetCloseDate(), "deal.close_date")
	if err != nil {
		return account.Deal{}, err
	}
	return account.Deal{
		Amount:    account.Money{CurrencyCode: p.GetAmount().GetCurrencyCode(), MinorUnits: p.GetAmount().GetMinorUnits()},
		CloseDate: cd,
		Kind:      enumToDomain(p.GetKind(), "DEAL_KIND_"),
		Status:    enumToDomain(p.GetStatus(), "DEAL_STATUS_"),
		Product:   p.GetProduct(),
	}, nil
}

func interactionToProto(i *account.Interaction) *furrowv1.Interaction {
	return &furrowv1.Interaction{
		Name: i.Name(), Kind: enumFromDomain[furrowv1.InteractionKind](furrowv1.InteractionKind_value, "INTERACTION_KIND_", i.Kind),
		OccurTime: ts(i.OccurTime), Participants: i.Participants, Summary: i.Summary,
		CreateTime: ts(i.CreateTime), UpdateTime: ts(i.UpdateTime), Etag: i.Etag(),
	}
}

func interactionFromProto(p *furrowv1.Interaction) account.Interaction {
	return account.Interaction{
		Kind:      enumToDomain(p.GetKind(), "INTERACTION_KIND_"),
		OccurTime: fromTS(p.GetOccurTime()), Participants: p.GetParticipants(), Summary: p.GetSummary(),
	}
}

func mapItems[T, P any](items []T, f func(T) P) []P {
	out := make([]P, len(items))
	for i, it := range items {
		out[i] = f(it)
	}
	return out
}

// ---- accounts

// GetAccount implements furrow.v1.AccountService.
func (s *AccountServer) GetAccount(ctx context.Context, req *furrowv1.GetAccountRequest) (*furrowv1.Account, error) {
	id, err := accountID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.GetAccount(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return accountToProto(a), nil
}

// ListAccounts implements furrow.v1.AccountService.
func (s *AccountServer) ListAccounts(ctx context.Context, req *furrowv1.ListAccountsRequest) (*furrowv1.ListAccountsResponse, error) {
	p, err := s.svc.ListAccounts(ctx, account.ListRequest{
		PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(),
		OrderBy: req.GetOrderBy(), ShowDeleted: req.GetShowDeleted(),
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListAccountsResponse{Accounts: mapItems(p.Items, accountToProto), NextPageToken: p.NextPageToken}, nil
}

// CreateAccount implements furrow.v1.AccountService.
func (s *AccountServer) CreateAccount(ctx context.Context, req *furrowv1.CreateAccountRequest) (*furrowv1.Account, error) {
	a, err := s.svc.CreateAccount(ctx, accountFromProto(req.GetAccount()), req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return accountToProto(a), nil
}

// UpdateAccount implements furrow.v1.AccountService.
func (s *AccountServer) UpdateAccount(ctx context.Context, req *furrowv1.UpdateAccountRequest) (*furrowv1.Account, error) {
	id, err := accountID(req.GetAccount().GetName(), "account.name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.UpdateAccount(ctx, id, accountFromProto(req.GetAccount()), updatePaths(req.GetUpdateMask(), req.GetAccount()), req.GetAccount().GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return accountToProto(a), nil
}

// DeleteAccount implements furrow.v1.AccountService.
func (s *AccountServer) DeleteAccount(ctx context.Context, req *furrowv1.DeleteAccountRequest) (*furrowv1.Account, error) {
	id, err := accountID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.DeleteAccount(ctx, id, req.GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return accountToProto(a), nil
}

// UndeleteAccount implements furrow.v1.AccountService.
func (s *AccountServer) UndeleteAccount(ctx context.Context, req *furrowv1.UndeleteAccountRequest) (*furrowv1.Account, error) {
	id, err := accountID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.UndeleteAccount(ctx, id, req.GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return accountToProto(a), nil
}

// ClaimAccount implements furrow.v1.AccountService.
func (s *AccountServer) ClaimAccount(ctx context.Context, req *furrowv1.ClaimAccountRequest) (*furrowv1.Account, error) {
	id, err := accountID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.ClaimAccount(ctx, id, req.GetOwner(), req.GetReason(), req.GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return accountToProto(a), nil
}

// TransferAccount implements furrow.v1.AccountService.
func (s *AccountServer) TransferAccount(ctx context.Context, req *furrowv1.TransferAccountRequest) (*furrowv1.Account, error) {
	id, err := accountID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.TransferAccount(ctx, id, req.GetNewOwner(), req.GetReason(), req.GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return accountToProto(a), nil
}

// ListOwnershipHistory implements furrow.v1.AccountService.
func (s *AccountServer) ListOwnershipHistory(ctx context.Context, req *furrowv1.ListOwnershipHistoryRequest) (*furrowv1.ListOwnershipHistoryResponse, error) {
	id, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListOwnershipHistory(ctx, id, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListOwnershipHistoryResponse{
		Periods: mapItems(p.Items, func(o *account.OwnershipPeriod) *furrowv1.OwnershipPeriod {
			return &furrowv1.OwnershipPeriod{
				Owner: o.Owner, StartTime: ts(o.StartTime), EndTime: tsPtr(o.EndTime), Reason: o.Reason,
				Kind: enumFromDomain[furrowv1.OwnershipChangeKind](furrowv1.OwnershipChangeKind_value, "OWNERSHIP_CHANGE_KIND_", o.Kind),
			}
		}),
		NextPageToken: p.NextPageToken,
	}, nil
}

// ListStageChanges implements furrow.v1.AccountService.
func (s *AccountServer) ListStageChanges(ctx context.Context, req *furrowv1.ListStageChangesRequest) (*furrowv1.ListStageChangesResponse, error) {
	id, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListStageChanges(ctx, id, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListStageChangesResponse{
		StageChanges: mapItems(p.Items, func(c *account.StageChange) *furrowv1.StageChange {
			return &furrowv1.StageChange{
				FromStage:  enumFromDomain[furrowv1.FunnelStage](furrowv1.FunnelStage_value, "FUNNEL_STAGE_", c.FromStage),
				ToStage:    enumFromDomain[furrowv1.FunnelStage](furrowv1.FunnelStage_value, "FUNNEL_STAGE_", c.ToStage),
				ChangeTime: ts(c.ChangeTime),
			}
		}),
		NextPageToken: p.NextPageToken,
	}, nil
}

// ---- contacts

// CreateContact implements furrow.v1.AccountService.
func (s *AccountServer) CreateContact(ctx context.Context, req *furrowv1.CreateContactRequest) (*furrowv1.Contact, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.CreateContact(ctx, acc, contactFromProto(req.GetContact()), req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return contactToProto(c), nil
}

// GetContact implements furrow.v1.AccountService.
func (s *AccountServer) GetContact(ctx context.Context, req *furrowv1.GetContactRequest) (*furrowv1.Contact, error) {
	acc, id, err := childID(req.GetName(), "name", "contacts")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.GetContact(ctx, acc, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return contactToProto(c), nil
}

// ListContacts implements furrow.v1.AccountService.
func (s *AccountServer) ListContacts(ctx context.Context, req *furrowv1.ListContactsRequest) (*furrowv1.ListContactsResponse, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListContacts(ctx, acc, account.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListContactsResponse{Contacts: mapItems(p.Items, contactToProto), NextPageToken: p.NextPageToken}, nil
}

// UpdateContact implements furrow.v1.AccountService.
func (s *AccountServer) UpdateContact(ctx context.Context, req *furrowv1.UpdateContactRequest) (*furrowv1.Contact, error) {
	acc, id, err := childID(req.GetContact().GetName(), "contact.name", "contacts")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.UpdateContact(ctx, acc, id, contactFromProto(req.GetContact()), updatePaths(req.GetUpdateMask(), req.GetContact()), req.GetContact().GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return contactToProto(c), nil
}

// DeleteContact implements furrow.v1.AccountService.
func (s *AccountServer) DeleteContact(ctx context.Context, req *furrowv1.DeleteContactRequest) (*emptypb.Empty, error) {
	acc, id, err := childID(req.GetName(), "name", "contacts")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := s.svc.DeleteContact(ctx, acc, id, req.GetEtag()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &emptypb.Empty{}, nil
}

// SetPrimaryContact implements furrow.v1.AccountService.
func (s *AccountServer) SetPrimaryContact(ctx context.Context, req *furrowv1.SetPrimaryContactRequest) (*furrowv1.Contact, error) {
	acc, id, err := childID(req.GetName(), "name", "contacts")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.SetPrimaryContact(ctx, acc, id, req.GetReason())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return contactToProto(c), nil
}

// ListPrimaryContactChanges implements furrow.v1.AccountService.
func (s *AccountServer) ListPrimaryContactChanges(ctx context.Context, req *furrowv1.ListPrimaryContactChangesRequest) (*furrowv1.ListPrimaryContactChangesResponse, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListPrimaryContactChanges(ctx, acc, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListPrimaryContactChangesResponse{
		Changes: mapItems(p.Items, func(c *account.PrimaryContactChange) *furrowv1.PrimaryContactChange {
			out := &furrowv1.PrimaryContactChange{ToContact: account.ContactName(acc, c.ToContact), Reason: c.Reason, ChangeTime: ts(c.ChangeTime)}
			if c.FromContact != [16]byte{} {
				out.FromContact = account.ContactName(acc, c.FromContact)
			}
			return out
		}),
		NextPageToken: p.NextPageToken,
	}, nil
}

// ---- deals

// CreateDeal implements furrow.v1.AccountService.
func (s *AccountServer) CreateDeal(ctx context.Context, req *furrowv1.CreateDealRequest) (*furrowv1.Deal, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	in, err := dealFromProto(req.GetDeal())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	d, err := s.svc.CreateDeal(ctx, acc, in, req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return dealToProto(d), nil
}

// GetDeal implements furrow.v1.AccountService.
func (s *AccountServer) GetDeal(ctx context.Context, req *furrowv1.GetDealRequest) (*furrowv1.Deal, error) {
	acc, id, err := childID(req.GetName(), "name", "deals")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	d, err := s.svc.GetDeal(ctx, acc, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return dealToProto(d), nil
}

// ListDeals implements furrow.v1.AccountService.
func (s *AccountServer) ListDeals(ctx context.Context, req *furrowv1.ListDealsRequest) (*furrowv1.ListDealsResponse, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListDeals(ctx, acc, account.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListDealsResponse{Deals: mapItems(p.Items, dealToProto), NextPageToken: p.NextPageToken}, nil
}

// UpdateDeal implements furrow.v1.AccountService.
func (s *AccountServer) UpdateDeal(ctx context.Context, req *furrowv1.UpdateDealRequest) (*furrowv1.Deal, error) {
	acc, id, err := childID(req.GetDeal().GetName(), "deal.name", "deals")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	in, err := dealFromProto(req.GetDeal())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	d, err := s.svc.UpdateDeal(ctx, acc, id, in, updatePaths(req.GetUpdateMask(), req.GetDeal()), req.GetDeal().GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return dealToProto(d), nil
}

// DeleteDeal implements furrow.v1.AccountService.
func (s *AccountServer) DeleteDeal(ctx context.Context, req *furrowv1.DeleteDealRequest) (*emptypb.Empty, error) {
	acc, id, err := childID(req.GetName(), "name", "deals")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := s.svc.DeleteDeal(ctx, acc, id, req.GetEtag()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &emptypb.Empty{}, nil
}

// ---- interactions

// CreateInteraction implements furrow.v1.AccountService.
func (s *AccountServer) CreateInteraction(ctx context.Context, req *furrowv1.CreateInteractionRequest) (*furrowv1.Interaction, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	i, err := s.svc.CreateInteraction(ctx, acc, interactionFromProto(req.GetInteraction()), req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return interactionToProto(i), nil
}

// GetInteraction implements furrow.v1.AccountService.
func (s *AccountServer) GetInteraction(ctx context.Context, req *furrowv1.GetInteractionRequest) (*furrowv1.Interaction, error) {
	acc, id, err := childID(req.GetName(), "name", "interactions")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	i, err := s.svc.GetInteraction(ctx, acc, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return interactionToProto(i), nil
}

// ListInteractions implements furrow.v1.AccountService.
func (s *AccountServer) ListInteractions(ctx context.Context, req *furrowv1.ListInteractionsRequest) (*furrowv1.ListInteractionsResponse, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListInteractions(ctx, acc, account.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListInteractionsResponse{Interactions: mapItems(p.Items, interactionToProto), NextPageToken: p.NextPageToken}, nil
}

// UpdateInteraction implements furrow.v1.AccountService.
func (s *AccountServer) UpdateInteraction(ctx context.Context, req *furrowv1.UpdateInteractionRequest) (*furrowv1.Interaction, error) {
	acc, id, err := childID(req.GetInteraction().GetName(), "interaction.name", "interactions")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	i, err := s.svc.UpdateInteraction(ctx, acc, id, interactionFromProto(req.GetInteraction()), updatePaths(req.GetUpdateMask(), req.GetInteraction()), req.GetInteraction().GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return interactionToProto(i), nil
}

// DeleteInteraction implements furrow.v1.AccountService.
func (s *AccountServer) DeleteInteraction(ctx context.Context, req *furrowv1.DeleteInteractionRequest) (*emptypb.Empty, error) {
	acc, id, err := childID(req.GetName(), "name", "interactions")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := s.svc.DeleteInteraction(ctx, acc, id, req.GetEtag()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &emptypb.Empty{}, nil
}
