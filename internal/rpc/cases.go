package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/failure"
)

// CaseServer implements furrow.v1.CaseService over the cases domain.
type CaseServer struct {
	furrowv1.UnimplementedCaseServiceServer
	svc *cases.Service
}

var _ furrowv1.CaseServiceServer = (*CaseServer)(nil)

// NewCaseServer returns a CaseServer over svc.
func NewCaseServer(svc *cases.Service) *CaseServer { return &CaseServer{svc: svc} }

// ---- conversions

func caseStateToProto(s string) furrowv1.CaseState {
	return enumFromDomain[furrowv1.CaseState](furrowv1.CaseState_value, "CASE_STATE_", s)
}

func caseToProto(c *cases.Case) *furrowv1.Case {
	v, state := c.Shown()
	out := &furrowv1.Case{Name: c.Name(), Title: v.Title, Account: account.AccountName(v.Account),
		Industry: termName(cases.KindIndustry, v.Industry), ProblemCategory: termName(cases.KindProblemCategory, v.ProblemCategory),
		Scenario: v.Scenario, Problem: v.Problem, Solution: v.Solution, Tags: v.Tags, Author: c.Author, State: caseStateToProto(state),
		Version: int32(v.Number), PublishTime: tsPtr(c.PublishTime), ReviewComment: c.ReviewComment, Live: c.IsLive, Editor: v.Editor,
		CreateTime: ts(c.CreateTime), UpdateTime: ts(c.UpdateTime), Etag: c.Etag(), SearchRank: c.Rank}
	if c.Published != nil {
		out.PublishedVersion = int32(c.Published.Number)
	}
	for _, p := range v.Products {
		out.Products = append(out.Products, termName(cases.KindProduct, p))
	}
	for _, r := range v.Results {
		out.Results = append(out.Results, &furrowv1.CaseResult{Metric: r.Metric, ValueBefore: r.Before, ValueAfter: r.After, Unit: r.Unit,
			Period: r.Period, Method: r.Method, MeasureDate: toDate(r.MeasureDate), Quantified: r.Quantified()})
	}
	if a := v.Ack; a != nil && a.Contact != uuid.Nil {
		out.Acknowledgement = &furrowv1.CustomerAcknowledgement{Contact: account.ContactName(a.Account, a.Contact), AcknowledgeTime: ts(a.Time),
			Scope:      enumFromDomain[furrowv1.AcknowledgementScope](furrowv1.AcknowledgementScope_value, "ACKNOWLEDGEMENT_SCOPE_", a.Scope),
			ExpireTime: tsPtr(a.ExpireTime), RevokeTime: tsPtr(a.RevokeTime), RevokedBy: a.RevokedBy, RevokeReason: a.RevokeReason,
			InForce: c.AckInForce}
	}
	for _, ch := range c.Checks {
		out.Checklist = append(out.Checklist, &furrowv1.CaseChecklistItem{
			Standard: enumFromDomain[furrowv1.CaseStandard](furrowv1.CaseStandard_value, "CASE_STANDARD_", ch.Standard),
			Met:      ch.Met, Missing: ch.Missing, Explanation: ch.Explanation})
	}
	return out
}

func termName(kind, key string) string {
	if key == "" {
		return ""
	}
	return cases.TermName(kind, key)
}

// termKey returns the key of a list entry's resource name ("" stays "").
func termKey(kind, name, field string) (string, error) {
	if name == "" {
		return "", nil
	}
	prefix := cases.Collections[kind] + "/"
	if !strings.HasPrefix(name, prefix) || len(name) == len(prefix) {
		return "", failure.InvalidFields([]failure.Violation{{Field: field, Description: fmt.Sprintf("%q is not of the form %s{id}", name, prefix)}})
	}
	return strings.TrimPrefix(name, prefix), nil
}

func caseFromProto(p *furrowv1.Case) (cases.Content, error) {
	c := cases.Content{Title: p.GetTitle(), Scenario: p.GetScenario(), Problem: p.GetProblem(), Solution: p.GetSolution(), Tags: p.GetTags()}
	var err error
	if p.GetAccount() != "" {
		if c.Account, err = accountID(p.GetAccount(), "case.account"); err != nil {
			return c, err
		}
	}
	if c.Industry, err = termKey(cases.KindIndustry, p.GetIndustry(), "case.industry"); err != nil {
		return c, err
	}
	if c.ProblemCategory, err = termKey(cases.KindProblemCategory, p.GetProblemCategory(), "case.problem_category"); err != nil {
		return c, err
	}
	for i, n := range p.GetProducts() {
		k, err := termKey(cases.KindProduct, n, fmt.Sprintf("case.products[%d]", i))
		if err != nil {
			return c, err
		}
		c.Products = append(c.Products, k)
	}
	for i, r := range p.GetResults() {
		d, err := fromDate(r.GetMeasureDate(), fmt.Sprintf("case.results[%d].measure_date", i))
		if err != nil {
			return c, err
		}
		c.Results = append(c.Results, cases.Result{Metric: strings.TrimSpace(r.GetMetric()), Before: r.ValueBefore, After: r.ValueAfter,
			Unit: strings.TrimSpace(r.GetUnit()), Period: strings.TrimSpace(r.GetPeriod()), Method: strings.TrimSpace(r.GetMethod()), MeasureDate: d})
	}
	if a := p.GetAcknowledgement(); a != nil && proto.Size(a) > 0 {
		ack := &cases.Acknowledgement{Time: fromTS(a.GetAcknowledgeTime()),
			Scope: enumToDomain(a.GetScope(), "ACKNOWLEDGEMENT_SCOPE_")}
		if a.GetContact() != "" {
			if ack.Account, ack.Contact, err = childID(a.GetContact(), "case.acknowledgement.contact", "contacts"); err != nil {
				return c, err
			}
		}
		if a.GetExpireTime() != nil {
			t := fromTS(a.GetExpireTime())
			ack.ExpireTime = &t
		}
		c.Ack = ack
	}
	return c, nil
}

func caseID(name, field string) (uuid.UUID, error) {
	ids, err := parseName(name, field, "cases")
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

func caseView(v furrowv1.CaseView) string { return enumToDomain(v, "CASE_VIEW_") }

// ---- cases

// CreateCase implements furrow.v1.CaseService.
func (s *CaseServer) CreateCase(ctx context.Context, req *furrowv1.CreateCaseRequest) (*furrowv1.Case, error) {
	content, err := caseFromProto(req.GetCase())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.CreateCase(ctx, content, req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return caseToProto(c), nil
}

// GetCase implements furrow.v1.CaseService.
func (s *CaseServer) GetCase(ctx context.Context, req *furrowv1.GetCaseRequest) (*furrowv1.Case, error) {
	id, err := caseID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.GetCase(ctx, id, caseView(req.GetView()))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return caseToProto(c), nil
}

// ListCases implements furrow.v1.CaseService.
func (s *CaseServer) ListCases(ctx context.Context, req *furrowv1.ListCasesRequest) (*furrowv1.ListCasesResponse, error) {
	r := cases.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Query: req.GetQuery(), Tag: req.GetTag(),
		State: enumToDomain(req.GetState(), "CASE_STATE_"), View: caseView(req.GetView())}
	var err error
	if r.Industry, err = termKey(cases.KindIndustry, req.GetIndustry(), "industry"); err != nil {
		return nil, toStatus(ctx, err)
	}
	if r.ProblemCategory, err = termKey(cases.KindProblemCategory, req.GetProblemCategory(), "problem_category"); err != nil {
		return nil, toStatus(ctx, err)
	}
	if r.Product, err = termKey(cases.KindProduct, req.GetProduct(), "product"); err != nil {
		return nil, toStatus(ctx, err)
	}
	if req.GetAccount() != "" {
		id, err := accountID(req.GetAccount(), "account")
		if err != nil {
			return nil, toStatus(ctx, err)
		}
		r.Account = &id
	}
	p, err := s.svc.ListCases(ctx, r)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListCasesResponse{Cases: mapItems(p.Items, caseToProto), NextPageToken: p.NextPageToken}, nil
}

// UpdateCase implements furrow.v1.CaseService.
func (s *CaseServer) UpdateCase(ctx context.Context, req *furrowv1.UpdateCaseRequest) (*furrowv1.Case, error) {
	id, err := caseID(req.GetCase().GetName(), "case.name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	content, err := caseFromProto(req.GetCase())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.UpdateCase(ctx, id, content, updatePaths(req.GetUpdateMask(), req.GetCase()), req.GetCase().GetEtag())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return caseToProto(c), nil
}

func (s *CaseServer) transition(ctx context.Context, name, op, etag, comment string) (*furrowv1.Case, error) {
	id, err := caseID(name, "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.Transition(ctx, id, op, etag, comment)
	if err != nil {
		return nil, caseStatus(ctx, err)
	}
	return caseToProto(c), nil
}

// caseStatus is toStatus plus, for a case that fails a standard, a
// google.rpc.PreconditionFailure with one violation per unmet standard (type
// "STANDARD", subject the standard as the API names it, description what is
// missing), so clients need not parse the message.
func caseStatus(ctx context.Context, err error) error {
	out := toStatus(ctx, err)
	var se *cases.StandardsError
	if !errors.As(err, &se) {
		return out
	}
	st, _ := status.FromError(out)
	pf := &errdetails.PreconditionFailure{}
	for _, ch := range se.Unmet {
		pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{Type: "STANDARD",
			Subject:     enumFromDomain[furrowv1.CaseStandard](furrowv1.CaseStandard_value, "CASE_STANDARD_", ch.Standard).String(),
			Description: strings.Join(ch.Missing, "; ")})
	}
	if withPF, derr := st.WithDetails(pf); derr == nil {
		return withPF.Err()
	}
	return out
}

// SubmitCase implements furrow.v1.CaseService.
func (s *CaseServer) SubmitCase(ctx context.Context, req *furrowv1.SubmitCaseRequest) (*furrowv1.Case, error) {
	return s.transition(ctx, req.GetName(), cases.OpSubmit, req.GetEtag(), req.GetComment())
}

// ApproveCase implements furrow.v1.CaseService.
func (s *CaseServer) ApproveCase(ctx context.Context, req *furrowv1.ApproveCaseRequest) (*furrowv1.Case, error) {
	return s.transition(ctx, req.GetName(), cases.OpApprove, req.GetEtag(), req.GetComment())
}

// RejectCase implements furrow.v1.CaseService.
func (s *CaseServer) RejectCase(ctx context.Context, req *furrowv1.RejectCaseRequest) (*furrowv1.Case, error) {
	return s.transition(ctx, req.GetName(), cases.OpReject, req.GetEtag(), req.GetComment())
}

// ArchiveCase implements furrow.v1.CaseService.
func (s *CaseServer) ArchiveCase(ctx context.Context, req *furrowv1.ArchiveCaseRequest) (*furrowv1.Case, error) {
	return s.transition(ctx, req.GetName(), cases.OpArchive, req.GetEtag(), req.GetComment())
}

// RevokeCaseAcknowledgement implements furrow.v1.CaseService.
func (s *CaseServer) RevokeCaseAcknowledgement(ctx context.Context, req *furrowv1.RevokeCaseAcknowledgementRequest) (*furrowv1.Case, error) {
	id, err := caseID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.RevokeAcknowledgement(ctx, id, req.GetReason())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return caseToProto(c), nil
}

// ListCaseEvents implements furrow.v1.CaseService.
func (s *CaseServer) ListCaseEvents(ctx context.Context, req *furrowv1.ListCaseEventsRequest) (*furrowv1.ListCaseEventsResponse, error) {
	id, err := caseID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListEvents(ctx, id, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListCaseEventsResponse{Events: mapItems(p.Items, func(e *cases.Event) *furrowv1.CaseEvent {
		return &furrowv1.CaseEvent{Action: enumFromDomain[furrowv1.CaseAction](furrowv1.CaseAction_value, "CASE_ACTION_", e.Action),
			Actor: e.Actor, Time: ts(e.Time), FromState: caseStateToProto(e.From), ToState: caseStateToProto(e.To),
			Version: int32(e.Version), Comment: e.Comment}
	}), NextPageToken: p.NextPageToken}, nil
}

// ---- admin-managed lists

func (s *CaseServer) createTerm(ctx context.Context, kind, key, display, desc string) (*cases.Term, error) {
	t, err := s.svc.CreateTerm(ctx, cases.Term{Kind: kind, Key: key, DisplayName: display, Description: desc})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return t, nil
}

func (s *CaseServer) listTerms(ctx context.Context, kind string, size int32, token string) ([]*cases.Term, string, error) {
	p, err := s.svc.ListTerms(ctx, kind, size, token)
	if err != nil {
		return nil, "", toStatus(ctx, err)
	}
	return p.Items, p.NextPageToken, nil
}

func (s *CaseServer) deleteTerm(ctx context.Context, kind, name string) (*emptypb.Empty, error) {
	key, err := termKey(kind, name, "name")
	if err == nil {
		err = s.svc.DeleteTerm(ctx, kind, key)
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &emptypb.Empty{}, nil
}

// CreateIndustry implements furrow.v1.CaseService.
func (s *CaseServer) CreateIndustry(ctx context.Context, req *furrowv1.CreateIndustryRequest) (*furrowv1.Industry, error) {
	t, err := s.createTerm(ctx, cases.KindIndustry, req.GetIndustryId(), req.GetIndustry().GetDisplayName(), req.GetIndustry().GetDescription())
	if err != nil {
		return nil, err
	}
	return industryToProto(t), nil
}

func industryToProto(t *cases.Term) *furrowv1.Industry {
	return &furrowv1.Industry{Name: cases.TermName(t.Kind, t.Key), DisplayName: t.DisplayName, Description: t.Description, CreateTime: ts(t.CreateTime)}
}

// ListIndustries implements furrow.v1.CaseService.
func (s *CaseServer) ListIndustries(ctx context.Context, req *furrowv1.ListIndustriesRequest) (*furrowv1.ListIndustriesResponse, error) {
	items, next, err := s.listTerms(ctx, cases.KindIndustry, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &furrowv1.ListIndustriesResponse{Industries: mapItems(items, industryToProto), NextPageToken: next}, nil
}

// DeleteIndustry implements furrow.v1.CaseService.
func (s *CaseServer) DeleteIndustry(ctx context.Context, req *furrowv1.DeleteIndustryRequest) (*emptypb.Empty, error) {
	return s.deleteTerm(ctx, cases.KindIndustry, req.GetName())
}

// CreateProblemCategory implements furrow.v1.CaseService.
func (s *CaseServer) CreateProblemCategory(ctx context.Context, req *furrowv1.CreateProblemCategoryRequest) (*furrowv1.ProblemCategory, error) {
	t, err := s.createTerm(ctx, cases.KindProblemCategory, req.GetProblemCategoryId(), req.GetProblemCategory().GetDisplayName(), req.GetProblemCategory().GetDescription())
	if err != nil {
		return nil, err
	}
	return problemCategoryToProto(t), nil
}

func problemCategoryToProto(t *cases.Term) *furrowv1.ProblemCategory {
	return &furrowv1.ProblemCategory{Name: cases.TermName(t.Kind, t.Key), DisplayName: t.DisplayName, Description: t.Description, CreateTime: ts(t.CreateTime)}
}

// ListProblemCategories implements furrow.v1.CaseService.
func (s *CaseServer) ListProblemCategories(ctx context.Context, req *furrowv1.ListProblemCategoriesRequest) (*furrowv1.ListProblemCategoriesResponse, error) {
	items, next, err := s.listTerms(ctx, cases.KindProblemCategory, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &furrowv1.ListProblemCategoriesResponse{ProblemCategories: mapItems(items, problemCategoryToProto), NextPageToken: next}, nil
}

// DeleteProblemCategory implements furrow.v1.CaseService.
func (s *CaseServer) DeleteProblemCategory(ctx context.Context, req *furrowv1.DeleteProblemCategoryRequest) (*emptypb.Empty, error) {
	return s.deleteTerm(ctx, cases.KindProblemCategory, req.GetName())
}

// CreateProduct implements furrow.v1.CaseService.
func (s *CaseServer) CreateProduct(ctx context.Context, req *furrowv1.CreateProductRequest) (*furrowv1.Product, error) {
	t, err := s.createTerm(ctx, cases.KindProduct, req.GetProductId(), req.GetProduct().GetDisplayName(), req.GetProduct().GetDescription())
	if err != nil {
		return nil, err
	}
	return productToProto(t), nil
}

func productToProto(t *cases.Term) *furrowv1.Product {
	return &furrowv1.Product{Name: cases.TermName(t.Kind, t.Key), DisplayName: t.DisplayName, Description: t.Description, CreateTime: ts(t.CreateTime)}
}

// ListProducts implements furrow.v1.CaseService.
func (s *CaseServer) ListProducts(ctx context.Context, req *furrowv1.ListProductsRequest) (*furrowv1.ListProductsResponse, error) {
	items, next, err := s.listTerms(ctx, cases.KindProduct, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &furrowv1.ListProductsResponse{Products: mapItems(items, productToProto), NextPageToken: next}, nil
}

// DeleteProduct implements furrow.v1.CaseService.
func (s *CaseServer) DeleteProduct(ctx context.Context, req *furrowv1.DeleteProductRequest) (*emptypb.Empty, error) {
	return s.deleteTerm(ctx, cases.KindProduct, req.GetName())
}
