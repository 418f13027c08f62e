package rpc

import (
	"context"

	"github.com/google/uuid"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/survey"
)

// SurveyServer implements furrow.v1.SurveyService over the survey domain.
type SurveyServer struct {
	furrowv1.UnimplementedSurveyServiceServer
	svc *survey.Service
}

var _ furrowv1.SurveyServiceServer = (*SurveyServer)(nil)

// NewSurveyServer returns a SurveyServer over svc.
func NewSurveyServer(svc *survey.Service) *SurveyServer { return &SurveyServer{svc: svc} }

// ---- conversions

func responseToProto(r *survey.Response) *furrowv1.SurveyResponse {
	out := &furrowv1.SurveyResponse{Name: survey.ResponseName(r.Account, r.ID), Account: account.AccountName(r.Account),
		Contact: account.ContactName(r.Account, r.Contact), Comment: r.Comment, Channel: r.Channel, Time: ts(r.Time),
		Kind:   enumFromDomain[furrowv1.SurveyKind](furrowv1.SurveyKind_value, "SURVEY_KIND_", r.Kind),
		Source: r.Source, ResponseId: r.ResponseID, CreateTime: ts(r.CreateTime), Detractor: r.Detractor()}
	if r.Score != nil {
		s := int32(*r.Score)
		out.Score = &s
	}
	if e := r.Exclusion; e != nil {
		out.Excluded, out.ExcludeReason, out.ExcludedBy, out.ExcludeTime = true, e.Reason, e.By, ts(e.Time)
	}
	return out
}

func responseFromProto(p *furrowv1.SurveyResponse, field string) (*survey.Response, error) {
	acc, err := accountID(p.GetAccount(), field+".account")
	if err != nil {
		return nil, err
	}
	_, contact, err := childID(p.GetContact(), field+".contact", "contacts")
	if err != nil {
		return nil, err
	}
	r := &survey.Response{Account: acc, Contact: contact, Kind: enumToDomain(p.GetKind(), "SURVEY_KIND_"), Comment: p.GetComment(),
		Channel: p.GetChannel(), Time: fromTS(p.GetTime()), Source: p.GetSource(), ResponseID: p.GetResponseId()}
	if p.Score != nil {
		s := int(p.GetScore())
		r.Score = &s
	}
	return r, nil
}

func figuresToProto(f survey.Figures) *furrowv1.SurveyFigures {
	out := &furrowv1.SurveyFigures{NpsResponses: f.NPSResponses, Promoters: f.Promoters, Passives: f.Passives, Detractors: f.Detractors,
		NpsDistribution: f.NPSByScore[:], CsatResponses: f.CSATResponses, CsatSatisfied: f.Satisfied, CsatDistribution: f.CSATByScore[1:],
		Complaints: f.Complaints}
	if f.NPS != nil {
		out.Nps = aref(survey.Decimal(f.NPS, 1))
	}
	if f.CSAT != nil {
		out.Csat = aref(survey.Decimal(f.CSAT, 1))
	}
	return out
}

func responseName(name string) (uuid.UUID, uuid.UUID, error) {
	return childID(name, "name", "surveyResponses")
}

// ---- methods

// BatchCreateSurveyResponses implements furrow.v1.SurveyService.
func (s *SurveyServer) BatchCreateSurveyResponses(ctx context.Context, req *furrowv1.BatchCreateSurveyResponsesRequest) (*furrowv1.BatchCreateSurveyResponsesResponse, error) {
	in := make([]*survey.Response, len(req.GetResponses()))
	for i, p := range req.GetResponses() {
		r, err := responseFromProto(p, "responses["+itoa(int64(i))+"]")
		if err != nil {
			return nil, toStatus(ctx, err)
		}
		in[i] = r
	}
	out, created, err := s.svc.BatchCreateResponses(ctx, in)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.BatchCreateSurveyResponsesResponse{Responses: mapItems(out, responseToProto), CreatedCount: int32(created),
		DuplicateCount: int32(len(out) - created)}, nil
}

// GetSurveyResponse implements furrow.v1.SurveyService.
func (s *SurveyServer) GetSurveyResponse(ctx context.Context, req *furrowv1.GetSurveyResponseRequest) (*furrowv1.SurveyResponse, error) {
	acc, id, err := responseName(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	r, err := s.svc.GetResponse(ctx, acc, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return responseToProto(r), nil
}

// ListSurveyResponses implements furrow.v1.SurveyService.
func (s *SurveyServer) ListSurveyResponses(ctx context.Context, req *furrowv1.ListSurveyResponsesRequest) (*furrowv1.ListSurveyResponsesResponse, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListResponses(ctx, acc, enumToDomain(req.GetKind(), "SURVEY_KIND_"), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListSurveyResponsesResponse{SurveyResponses: mapItems(p.Items, responseToProto), NextPageToken: p.NextPageToken}, nil
}

func (s *SurveyServer) setExcluded(ctx context.Context, name string, exclude bool, reason string) (*furrowv1.SurveyResponse, error) {
	acc, id, err := responseName(name)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	r, err := s.svc.SetExcluded(ctx, acc, id, exclude, reason)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return responseToProto(r), nil
}

// ExcludeSurveyResponse implements furrow.v1.SurveyService.
func (s *SurveyServer) ExcludeSurveyResponse(ctx context.Context, req *furrowv1.ExcludeSurveyResponseRequest) (*furrowv1.SurveyResponse, error) {
	return s.setExcluded(ctx, req.GetName(), true, req.GetReason())
}

// IncludeSurveyResponse implements furrow.v1.SurveyService.
func (s *SurveyServer) IncludeSurveyResponse(ctx context.Context, req *furrowv1.IncludeSurveyResponseRequest) (*furrowv1.SurveyResponse, error) {
	return s.setExcluded(ctx, req.GetName(), false, "")
}

// GetSurveyReport implements furrow.v1.SurveyService.
func (s *SurveyServer) GetSurveyReport(ctx context.Context, req *furrowv1.GetSurveyReportRequest) (*furrowv1.SurveyReport, error) {
	p, seg, err := periodSegment(req.GetPeriod(), req.GetSegment())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	r, err := s.svc.GetReport(ctx, survey.Period{Start: p.Start, End: p.End},
		survey.Segment{Tier: seg.Tier, Region: seg.Region, Industry: seg.Industry, Owner: seg.Owner})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.SurveyReport{Period: periodToProto(p), Segment: segmentToProto(seg), Current: figuresToProto(r.Current),
		PreviousPeriod: &furrowv1.AnalyticsPeriod{StartDate: toDate(r.Previous.Start), EndDate: toDate(r.Previous.End)},
		Previous:       figuresToProto(r.Prior)}
	if c := survey.Change(r.Current.NPS, r.Prior.NPS); c != nil {
		out.NpsChange = aref(survey.Decimal(c, 1))
	}
	if c := survey.Change(r.Current.CSAT, r.Prior.CSAT); c != nil {
		out.CsatChange = aref(survey.Decimal(c, 1))
	}
	return out, nil
}

// CheckSurveyEligibility implements furrow.v1.SurveyService.
func (s *SurveyServer) CheckSurveyEligibility(ctx context.Context, req *furrowv1.CheckSurveyEligibilityRequest) (*furrowv1.CheckSurveyEligibilityResponse, error) {
	acc, contact, err := childID(req.GetContact(), "contact", "contacts")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	e, err := s.svc.CheckEligibility(ctx, acc, contact)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.CheckSurveyEligibilityResponse{Eligible: e.Eligible, NextEligibleTime: ts(e.NextTime)}
	for _, r := range e.Refusals {
		out.Refusals = append(out.Refusals, &furrowv1.SurveyRefusal{Reason: r.Reason, Detail: r.Detail, Until: ts(r.Until)})
	}
	return out, nil
}

// CreateSurveyInvitation implements furrow.v1.SurveyService.
func (s *SurveyServer) CreateSurveyInvitation(ctx context.Context, req *furrowv1.CreateSurveyInvitationRequest) (*furrowv1.SurveyInvitation, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	_, contact, err := childID(req.GetInvitation().GetContact(), "invitation.contact", "contacts")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	inv, _, err := s.svc.RecordInvitation(ctx, &survey.Invitation{Account: acc, Contact: contact, Channel: req.GetInvitation().GetChannel(),
		InvitationID: req.GetInvitation().GetInvitationId()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.SurveyInvitation{Name: account.AccountName(inv.Account) + "/surveyInvitations/" + inv.ID.String(),
		Contact: account.ContactName(inv.Account, inv.Contact), Channel: inv.Channel, InvitationId: inv.InvitationID,
		Time: ts(inv.Time), Creator: inv.Creator}, nil
}
