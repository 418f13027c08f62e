package rpc

import (
	"context"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/analytics"
	"github.com/furrowhq/furrow/internal/audit"
)

// AuditServer implements furrow.v1.AuditService over the audit domain.
type AuditServer struct {
	furrowv1.UnimplementedAuditServiceServer
	svc *audit.Service
}

var _ furrowv1.AuditServiceServer = (*AuditServer)(nil)

// NewAuditServer returns an AuditServer over svc.
func NewAuditServer(svc *audit.Service) *AuditServer { return &AuditServer{svc: svc} }

// ---- conversions

func departmentToProto(d *audit.Department) *furrowv1.AuditDepartment {
	cal := &furrowv1.BusinessCalendar{TimeZone: d.Calendar.TimeZone, Holidays: d.Calendar.Holidays}
	days := make([]int, 0, len(d.Calendar.Hours))
	for wd := range d.Calendar.Hours {
		days = append(days, wd)
	}
	sort.Ints(days)
	for _, wd := range days {
		for _, s := range d.Calendar.Hours[wd] {
			cal.Hours = append(cal.Hours, &furrowv1.WorkingSpan{Weekday: int32(wd), StartMinute: int32(s.Start), EndMinute: int32(s.End)})
		}
	}
	return &furrowv1.AuditDepartment{Name: audit.DepartmentName(d.ID), DisplayName: d.DisplayName, Calendar: cal,
		CreateTime: ts(d.CreateTime), UpdateTime: ts(d.UpdateTime)}
}

func departmentFromProto(id string, p *furrowv1.AuditDepartment) *audit.Department {
	d := &audit.Department{ID: id, DisplayName: p.GetDisplayName(),
		Calendar: audit.Calendar{TimeZone: p.GetCalendar().GetTimeZone(), Holidays: p.GetCalendar().GetHolidays()}}
	for _, s := range p.GetCalendar().GetHours() {
		if d.Calendar.Hours == nil {
			d.Calendar.Hours = map[int][]audit.Span{}
		}
		wd := int(s.GetWeekday())
		d.Calendar.Hours[wd] = append(d.Calendar.Hours[wd], audit.Span{Start: int(s.GetStartMinute()), End: int(s.GetEndMinute())})
	}
	return d
}

func standardToProto(s *audit.Standard) *furrowv1.ServiceStandard {
	out := &furrowv1.ServiceStandard{Name: audit.StandardName(s.ID), DisplayName: s.DisplayName, Stage: s.Stage,
		Department: audit.DepartmentName(s.Department), TargetHours: map[string]int32{}, CreateTime: ts(s.CreateTime), UpdateTime: ts(s.UpdateTime)}
	for k, v := range s.Targets {
		out.TargetHours[k] = int32(v)
	}
	return out
}

func standardFromProto(id string, p *furrowv1.ServiceStandard) *audit.Standard {
	s := &audit.Standard{ID: id, DisplayName: p.GetDisplayName(), Stage: p.GetStage(),
		Department: strings.TrimPrefix(p.GetDepartment(), "departments/"), Targets: map[string]int{}}
	for k, v := range p.GetTargetHours() {
		s.Targets[k] = int(v)
	}
	return s
}

func auditPolicyToProto(p *audit.Policy) *furrowv1.AuditPolicy {
	return &furrowv1.AuditPolicy{Name: "auditPolicy", GreenChannelPercent: int32(p.GreenChannelPercent), ReopenGraceDays: int32(p.ReopenGraceDays),
		RootCauses: p.RootCauses, ActionsFrom: p.ActionsFrom, PersonFrom: p.PersonFrom, DetractorSeverity: p.DetractorSeverity, ComplaintSeverity: p.ComplaintSeverity,
		WarningWindowDays: int32(p.WarningWindowDays), WarningStandard: audit.StandardName(p.WarningStandard)}
}

func (s *AuditServer) caseToProto(c *audit.Case) *furrowv1.AuditCase {
	out := &furrowv1.AuditCase{Name: audit.CaseName(c.ID), Account: account.AccountName(c.Account), Source: c.Source, SourceRef: c.SourceRef,
		Severity: c.Severity, Standard: audit.StandardName(c.Standard), Description: c.Description, Department: audit.DepartmentName(c.Department),
		Person: c.Person, Auditor: c.Auditor, GreenChannel: c.GreenChannel, State: c.State, Paused: c.Paused, DueTime: tsPtr(c.Due),
		Reopens: int32(c.Reopens), RootCause: c.RootCause, RootCauseText: c.RootCauseText, AccountablePerson: c.AccountablePerson,
		Resolution: c.Resolution, OpenTime: ts(c.OpenTime), ResolveTime: tsPtr(c.ResolveTime), CloseTime: tsPtr(c.CloseTime),
		UpdateTime: ts(c.UpdateTime), Etag: strconv.FormatInt(c.Revision, 10)}
	if c.AccountableDepartment != "" {
		out.AccountableDepartment = audit.DepartmentName(c.AccountableDepartment)
	}
	if c.LinkedCase != nil {
		out.LinkedCase = audit.CaseName(*c.LinkedCase)
	}
	if c.Due != nil && (c.State == audit.Open || c.State == audit.Investigating) && c.Due.Before(s.svc.Now()) {
		out.Overdue = true
	}
	for _, a := range c.Actions {
		out.CorrectiveActions = append(out.CorrectiveActions, &furrowv1.CorrectiveAction{Description: a.Description, Owner: a.Owner, DueTime: ts(a.Due)})
	}
	for _, d := range c.Dispatches {
		out.Dispatches = append(out.Dispatches, &furrowv1.AuditDispatch{Department: audit.DepartmentName(d.Department), Person: d.Person,
			Task: d.Task, DueTime: ts(d.Due), DispatchTime: ts(d.Time)})
	}
	return out
}

func auditID(name string) (uuid.UUID, error) {
	ids, err := parseName(name, "name", "audits")
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

// ---- departments, standards, policy

// CreateAuditDepartment implements furrow.v1.AuditService.
func (s *AuditServer) CreateAuditDepartment(ctx context.Context, req *furrowv1.CreateAuditDepartmentRequest) (*furrowv1.AuditDepartment, error) {
	d, err := s.svc.SaveDepartment(ctx, departmentFromProto(req.GetDepartmentId(), req.GetDepartment()), true)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return departmentToProto(d), nil
}

// UpdateAuditDepartment implements furrow.v1.AuditService.
func (s *AuditServer) UpdateAuditDepartment(ctx context.Context, req *furrowv1.UpdateAuditDepartmentRequest) (*furrowv1.AuditDepartment, error) {
	id := strings.TrimPrefix(req.GetDepartment().GetName(), "departments/")
	d, err := s.svc.SaveDepartment(ctx, departmentFromProto(id, req.GetDepartment()), false)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return departmentToProto(d), nil
}

// GetAuditDepartment implements furrow.v1.AuditService.
func (s *AuditServer) GetAuditDepartment(ctx context.Context, req *furrowv1.GetAuditDepartmentRequest) (*furrowv1.AuditDepartment, error) {
	d, err := s.svc.GetDepartment(ctx, strings.TrimPrefix(req.GetName(), "departments/"))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return departmentToProto(d), nil
}

// ListAuditDepartments implements furrow.v1.AuditService.
func (s *AuditServer) ListAuditDepartments(ctx context.Context, _ *furrowv1.ListAuditDepartmentsRequest) (*furrowv1.ListAuditDepartmentsResponse, error) {
	ds, err := s.svc.Departments(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListAuditDepartmentsResponse{Departments: mapItems(ds, departmentToProto)}, nil
}

// CreateServiceStandard implements furrow.v1.AuditService.
func (s *AuditServer) CreateServiceStandard(ctx context.Context, req *furrowv1.CreateServiceStandardRequest) (*furrowv1.ServiceStandard, error) {
	st, err := s.svc.SaveStandard(ctx, standardFromProto(req.GetStandardId(), req.GetStandard()), true)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return standardToProto(st), nil
}

// UpdateServiceStandard implements furrow.v1.AuditService.
func (s *AuditServer) UpdateServiceStandard(ctx context.Context, req *furrowv1.UpdateServiceStandardRequest) (*furrowv1.ServiceStandard, error) {
	id := strings.TrimPrefix(req.GetStandard().GetName(), "standards/")
	st, err := s.svc.SaveStandard(ctx, standardFromProto(id, req.GetStandard()), false)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return standardToProto(st), nil
}

// GetServiceStandard implements furrow.v1.AuditService.
func (s *AuditServer) GetServiceStandard(ctx context.Context, req *furrowv1.GetServiceStandardRequest) (*furrowv1.ServiceStandard, error) {
	st, err := s.svc.GetStandard(ctx, strings.TrimPrefix(req.GetName(), "standards/"))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return standardToProto(st), nil
}

// ListServiceStandards implements furrow.v1.AuditService.
func (s *AuditServer) ListServiceStandards(ctx context.Context, _ *furrowv1.ListServiceStandardsRequest) (*furrowv1.ListServiceStandardsResponse, error) {
	sts, err := s.svc.Standards(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListServiceStandardsResponse{Standards: mapItems(sts, standardToProto)}, nil
}

// GetAuditPolicy implements furrow.v1.AuditService.
func (s *AuditServer) GetAuditPolicy(ctx context.Context, _ *furrowv1.GetAuditPolicyRequest) (*furrowv1.AuditPolicy, error) {
	p, err := s.svc.Policy(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return auditPolicyToProto(p), nil
}

// UpdateAuditPolicy implements furrow.v1.AuditService.
func (s *AuditServer) UpdateAuditPolicy(ctx context.Context, req *furrowv1.UpdateAuditPolicyRequest) (*furrowv1.AuditPolicy, error) {
	pp := req.GetPolicy()
	p, err := s.svc.UpdatePolicy(ctx, &audit.Policy{GreenChannelPercent: int(pp.GetGreenChannelPercent()), ReopenGraceDays: int(pp.GetReopenGraceDays()),
		RootCauses: pp.GetRootCauses(), ActionsFrom: pp.GetActionsFrom(), PersonFrom: pp.GetPersonFrom(), DetractorSeverity: pp.GetDetractorSeverity(),
		ComplaintSeverity: pp.GetComplaintSeverity(), WarningWindowDays: int(pp.GetWarningWindowDays()),
		WarningStandard: strings.TrimPrefix(pp.GetWarningStandard(), "standards/")})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return auditPolicyToProto(p), nil
}

// ---- cases

// CreateAudit implements furrow.v1.AuditService.
func (s *AuditServer) CreateAudit(ctx context.Context, req *furrowv1.CreateAuditRequest) (*furrowv1.AuditCase, error) {
	p := req.GetAudit()
	acc, err := accountID(p.GetAccount(), "audit.account")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.CreateCase(ctx, &audit.Case{Account: acc, Source: p.GetSource(), SourceRef: p.GetSourceRef(), Severity: p.GetSeverity(),
		Standard: strings.TrimPrefix(p.GetStandard(), "standards/"), Description: p.GetDescription(),
		Department: strings.TrimPrefix(p.GetDepartment(), "departments/"), Person: p.GetPerson(), Auditor: p.GetAuditor(), GreenChannel: p.GetGreenChannel()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return s.caseToProto(c), nil
}

// GetAudit implements furrow.v1.AuditService.
func (s *AuditServer) GetAudit(ctx context.Context, req *furrowv1.GetAuditRequest) (*furrowv1.AuditCase, error) {
	id, err := auditID(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.GetCase(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return s.caseToProto(c), nil
}

// ListAudits implements furrow.v1.AuditService.
func (s *AuditServer) ListAudits(ctx context.Context, req *furrowv1.ListAuditsRequest) (*furrowv1.ListAuditsResponse, error) {
	f := audit.CaseFilter{State: req.GetState(), Department: strings.TrimPrefix(req.GetDepartment(), "departments/"),
		Standard: strings.TrimPrefix(req.GetStandard(), "standards/"), Source: req.GetSource(), Severity: req.GetSeverity()}
	if req.GetAccount() != "" {
		acc, err := accountID(req.GetAccount(), "account")
		if err != nil {
			return nil, toStatus(ctx, err)
		}
		f.Account = &acc
	}
	if req.GetGreenChannelOnly() {
		on := true
		f.GreenChannel = &on
	}
	if req.GetOverdueOnly() {
		now := s.svc.Now()
		f.OverdueAt = &now
	}
	p, err := s.svc.ListCases(ctx, f, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListAuditsResponse{Audits: mapItems(p.Items, s.caseToProto), NextPageToken: p.NextPageToken}, nil
}

// ListAuditEvents implements furrow.v1.AuditService.
func (s *AuditServer) ListAuditEvents(ctx context.Context, req *furrowv1.ListAuditEventsRequest) (*furrowv1.ListAuditEventsResponse, error) {
	id, err := auditID(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.TimelinePage(ctx, id, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.ListAuditEventsResponse{NextPageToken: p.NextPageToken}
	for _, e := range p.Items {
		out.Events = append(out.Events, &furrowv1.AuditEvent{Kind: e.Kind, Time: ts(e.Time), Actor: e.Actor, Details: e.Detail})
	}
	return out, nil
}

// act runs an operation; a reopen past the grace window answers with the new case.
func (s *AuditServer) act(ctx context.Context, name, etag string, a audit.Act) (*furrowv1.AuditCase, error) {
	id, err := auditID(name)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if a.Revision, err = revision(etag, "etag"); err != nil {
		return nil, toStatus(ctx, err)
	}
	out, err := s.svc.Do(ctx, id, a)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if out.NewCase != nil {
		return s.caseToProto(out.NewCase), nil
	}
	return s.caseToProto(out.Case), nil
}

// InvestigateAudit implements furrow.v1.AuditService.
func (s *AuditServer) InvestigateAudit(ctx context.Context, r *furrowv1.InvestigateAuditRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpInvestigate, Comment: r.GetComment()})
}

// PauseAudit implements furrow.v1.AuditService.
func (s *AuditServer) PauseAudit(ctx context.Context, r *furrowv1.PauseAuditRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpPause, Comment: r.GetComment()})
}

// ResumeAudit implements furrow.v1.AuditService.
func (s *AuditServer) ResumeAudit(ctx context.Context, r *furrowv1.ResumeAuditRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpResume, Comment: r.GetComment()})
}

// ResolveAudit implements furrow.v1.AuditService.
func (s *AuditServer) ResolveAudit(ctx context.Context, r *furrowv1.ResolveAuditRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpResolve, Comment: r.GetComment()})
}

// CloseAudit implements furrow.v1.AuditService.
func (s *AuditServer) CloseAudit(ctx context.Context, r *furrowv1.CloseAuditRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpClose, Comment: r.GetComment()})
}

// ReopenAudit implements furrow.v1.AuditService.
func (s *AuditServer) ReopenAudit(ctx context.Context, r *furrowv1.ReopenAuditRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpReopen, Comment: r.GetComment()})
}

// SetAuditGreenChannel implements furrow.v1.AuditService.
func (s *AuditServer) SetAuditGreenChannel(ctx context.Context, r *furrowv1.SetAuditGreenChannelRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpGreenChannel, Comment: r.GetComment(), Green: r.GetGreenChannel()})
}

// ChangeAuditSeverity implements furrow.v1.AuditService.
func (s *AuditServer) ChangeAuditSeverity(ctx context.Context, r *furrowv1.ChangeAuditSeverityRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpSeverity, Comment: r.GetComment(), Severity: r.GetSeverity()})
}

// DispatchAudit implements furrow.v1.AuditService.
func (s *AuditServer) DispatchAudit(ctx context.Context, r *furrowv1.DispatchAuditRequest) (*furrowv1.AuditCase, error) {
	d := r.GetDispatch()
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpDispatch, Comment: r.GetComment(), Dispatch: audit.Dispatch{
		Department: strings.TrimPrefix(d.GetDepartment(), "departments/"), Person: d.GetPerson(), Task: d.GetTask(), Due: fromTS(d.GetDueTime())}})
}

// SetAuditAccountability implements furrow.v1.AuditService.
func (s *AuditServer) SetAuditAccountability(ctx context.Context, r *furrowv1.SetAuditAccountabilityRequest) (*furrowv1.AuditCase, error) {
	a := audit.Act{Op: audit.OpAccountability, Comment: r.GetComment(), RootCause: r.GetRootCause(), RootCauseText: r.GetRootCauseText(),
		AccountableDepartment: strings.TrimPrefix(r.GetAccountableDepartment(), "departments/"), AccountablePerson: r.GetAccountablePerson()}
	for _, ca := range r.GetCorrectiveActions() {
		a.Actions = append(a.Actions, audit.Action{Description: ca.GetDescription(), Owner: ca.GetOwner(), Due: fromTS(ca.GetDueTime())})
	}
	return s.act(ctx, r.GetName(), r.GetEtag(), a)
}

// ReassignAudit implements furrow.v1.AuditService.
func (s *AuditServer) ReassignAudit(ctx context.Context, r *furrowv1.ReassignAuditRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpReassign, Comment: r.GetReason(),
		Department: strings.TrimPrefix(r.GetDepartment(), "departments/"), Person: r.GetPerson()})
}

// AddAuditNote implements furrow.v1.AuditService.
func (s *AuditServer) AddAuditNote(ctx context.Context, r *furrowv1.AddAuditNoteRequest) (*furrowv1.AuditCase, error) {
	return s.act(ctx, r.GetName(), r.GetEtag(), audit.Act{Op: audit.OpNote, Comment: r.GetComment()})
}

// GetAuditReport implements furrow.v1.AuditService.
func (s *AuditServer) GetAuditReport(ctx context.Context, req *furrowv1.GetAuditReportRequest) (*furrowv1.AuditReport, error) {
	p, _, err := periodSegment(req.GetPeriod(), nil)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	rows, err := s.svc.Report(ctx, p.Start, p.End, req.GetGroupBy())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.AuditReport{Period: periodToProto(p), GroupBy: req.GetGroupBy()}
	hours := func(d *time.Duration) *string {
		if d == nil {
			return nil
		}
		return aref(strconv.FormatFloat(d.Hours(), 'f', 2, 64))
	}
	for _, r := range rows {
		pr := &furrowv1.AuditReportRow{Key: r.Key, Opened: int32(r.Opened), Closed: int32(r.Closed), OpenNow: int32(r.OpenNow),
			OverdueNow: int32(r.OverdueNow), Reopened: int32(r.Reopened), Resolved: int32(r.Resolved), MedianHours: hours(r.Median),
			P90Hours: hours(r.P90), WithinTarget: int32(r.WithinTarget)}
		if r.Resolved > 0 {
			pr.WithinTargetShare = aref(analytics.Decimal(big.NewRat(int64(r.WithinTarget), int64(r.Resolved)), analytics.RatePlaces))
		}
		out.Rows = append(out.Rows, pr)
	}
	return out, nil
}
