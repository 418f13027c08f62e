package rpc

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/retention"
)

// RetentionServer implements furrow.v1.RetentionService over the retention domain.
type RetentionServer struct {
	furrowv1.UnimplementedRetentionServiceServer
	svc *retention.Service
}

var _ furrowv1.RetentionServiceServer = (*RetentionServer)(nil)

// NewRetentionServer returns a RetentionServer over svc.
func NewRetentionServer(svc *retention.Service) *RetentionServer { return &RetentionServer{svc: svc} }

// ---- conversions

func labelToProto(l string) furrowv1.RetentionLabel {
	return enumFromDomain[furrowv1.RetentionLabel](furrowv1.RetentionLabel_value, "RETENTION_LABEL_", l)
}

func stateToProto(s *retention.State) *furrowv1.RetentionState {
	out := &furrowv1.RetentionState{Name: retention.LabelName(s.Account), Label: labelToProto(s.Label), Since: ts(s.Since),
		RuleLabel: labelToProto(s.RuleLabel), Rule: s.RuleKey, Facts: s.Facts, EvaluateTime: ts(s.EvaluateTime)}
	if m := s.Manual; m != nil {
		out.Manual = &furrowv1.ManualRetentionLabel{Label: labelToProto(m.Label), Reason: m.Reason, SetBy: m.By,
			SetTime: ts(m.SetTime), ExpireTime: tsPtr(m.ExpireTime)}
	}
	return out
}

func changeToProto(c *retention.Change) *furrowv1.RetentionLabelChange {
	return &furrowv1.RetentionLabelChange{From: labelToProto(c.From), To: labelToProto(c.To), ChangeTime: ts(c.Time),
		Cause: enumFromDomain[furrowv1.RetentionLabelCause](furrowv1.RetentionLabelCause_value, "RETENTION_LABEL_CAUSE_", c.Cause),
		Rule:  c.RuleKey, Facts: c.Facts, Actor: c.Actor, Reason: c.Reason, WinBack: c.WinBack}
}

func alertToProto(a *retention.Alert) *furrowv1.RetentionAlert {
	out := &furrowv1.RetentionAlert{Name: retention.AlertName(a.ID), Account: account.AccountName(a.Account), Owner: a.Owner,
		State:   enumFromDomain[furrowv1.RetentionAlertState](furrowv1.RetentionAlertState_value, "RETENTION_ALERT_STATE_", a.State),
		DueTime: ts(a.DueTime), Note: a.Note,
		Outcome:        enumFromDomain[furrowv1.RetentionAlertOutcome](furrowv1.RetentionAlertOutcome_value, "RETENTION_ALERT_OUTCOME_", a.Outcome),
		AcknowledgedBy: a.AcknowledgeBy, AcknowledgeTime: tsPtr(a.AcknowledgedAt), ClosedBy: a.ClosedBy, CloseTime: tsPtr(a.CloseTime),
		CreateTime: ts(a.CreateTime), UpdateTime: ts(a.UpdateTime), Etag: strconv.FormatInt(a.Revision, 10)}
	for _, st := range a.Steps {
		out.Steps = append(out.Steps, &furrowv1.RetentionAlertStep{Title: st.Title, Done: st.Done})
	}
	return out
}

func policyToProto(p *retention.Policy) *furrowv1.RetentionPolicy {
	out := &furrowv1.RetentionPolicy{Name: retention.PolicyName, TermDays: int32(p.TermDays), AlertDueDays: int32(p.AlertDueDays),
		Playbook: p.Playbook, UpdateTime: ts(p.UpdateTime), UpdatedBy: p.UpdatedBy}
	if p.Revision > 0 {
		out.Etag = strconv.FormatInt(p.Revision, 10)
	}
	for _, r := range p.Rules {
		pr := &furrowv1.RetentionRule{Key: r.Key, Label: labelToProto(r.Label), Description: r.Description, Disabled: r.Disabled}
		for _, c := range r.Conditions {
			pc := &furrowv1.RetentionCondition{Days: int32(c.Days), Measure: c.Measure, AtLeast: c.AtLeast,
				Kind: enumFromDomain[furrowv1.RetentionConditionKind](furrowv1.RetentionConditionKind_value, "RETENTION_CONDITION_KIND_", c.Kind)}
			for _, g := range c.Grades {
				pc.Grades = append(pc.Grades, gradeToProto(g))
			}
			pr.Conditions = append(pr.Conditions, pc)
		}
		out.Rules = append(out.Rules, pr)
	}
	return out
}

func policyFromProto(p *furrowv1.RetentionPolicy) retention.Definition {
	d := retention.Definition{TermDays: int(p.GetTermDays()), AlertDueDays: int(p.GetAlertDueDays()), Playbook: p.GetPlaybook()}
	for _, r := range p.GetRules() {
		dr := retention.Rule{Key: r.GetKey(), Label: enumToDomain(r.GetLabel(), "RETENTION_LABEL_"), Description: r.GetDescription(), Disabled: r.GetDisabled()}
		for _, c := range r.GetConditions() {
			dc := retention.Condition{Kind: enumToDomain(c.GetKind(), "RETENTION_CONDITION_KIND_"), Days: int(c.GetDays()),
				Measure: c.GetMeasure(), AtLeast: c.GetAtLeast()}
			for _, g := range c.GetGrades() {
				dc.Grades = append(dc.Grades, enumToDomain(g, "HEALTH_GRADE_"))
			}
			dr.Conditions = append(dr.Conditions, dc)
		}
		d.Rules = append(d.Rules, dr)
	}
	return d
}

// labelAccount parses `accounts/{account}/retentionLabel`.
func labelAccount(name string) (uuid.UUID, error) {
	return accountID(strings.TrimSuffix(name, "/retentionLabel"), "name")
}

func alertID(name string) (uuid.UUID, error) {
	ids, err := parseName(name, "name", "retentionAlerts")
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

// ---- methods

// GetRetentionPolicy implements furrow.v1.RetentionService.
func (s *RetentionServer) GetRetentionPolicy(ctx context.Context, _ *furrowv1.GetRetentionPolicyRequest) (*furrowv1.RetentionPolicy, error) {
	p, err := s.svc.Policy(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return policyToProto(p), nil
}

// UpdateRetentionPolicy implements furrow.v1.RetentionService.
func (s *RetentionServer) UpdateRetentionPolicy(ctx context.Context, req *furrowv1.UpdateRetentionPolicyRequest) (*furrowv1.RetentionPolicy, error) {
	rev, err := revision(req.GetPolicy().GetEtag(), "policy.etag")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.UpdatePolicy(ctx, policyFromProto(req.GetPolicy()), rev)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return policyToProto(p), nil
}

// GetRetentionLabel implements furrow.v1.RetentionService.
func (s *RetentionServer) GetRetentionLabel(ctx context.Context, req *furrowv1.GetRetentionLabelRequest) (*furrowv1.RetentionState, error) {
	acc, err := labelAccount(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	st, err := s.svc.GetLabel(ctx, acc)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return stateToProto(st), nil
}

// ListRetentionLabels implements furrow.v1.RetentionService.
func (s *RetentionServer) ListRetentionLabels(ctx context.Context, req *furrowv1.ListRetentionLabelsRequest) (*furrowv1.ListRetentionLabelsResponse, error) {
	p, err := s.svc.ListLabels(ctx, enumToDomain(req.GetLabel(), "RETENTION_LABEL_"), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListRetentionLabelsResponse{RetentionStates: mapItems(p.Items, stateToProto), NextPageToken: p.NextPageToken}, nil
}

// ListRetentionLabelHistory implements furrow.v1.RetentionService.
func (s *RetentionServer) ListRetentionLabelHistory(ctx context.Context, req *furrowv1.ListRetentionLabelHistoryRequest) (*furrowv1.ListRetentionLabelHistoryResponse, error) {
	acc, err := labelAccount(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.History(ctx, acc, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListRetentionLabelHistoryResponse{Changes: mapItems(p.Items, changeToProto), NextPageToken: p.NextPageToken}, nil
}

// EvaluateRetentionLabel implements furrow.v1.RetentionService.
func (s *RetentionServer) EvaluateRetentionLabel(ctx context.Context, req *furrowv1.EvaluateRetentionLabelRequest) (*furrowv1.RetentionState, error) {
	acc, err := labelAccount(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	st, err := s.svc.Evaluate(ctx, acc)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return stateToProto(st), nil
}

// SetRetentionLabel implements furrow.v1.RetentionService.
func (s *RetentionServer) SetRetentionLabel(ctx context.Context, req *furrowv1.SetRetentionLabelRequest) (*furrowv1.RetentionState, error) {
	acc, err := labelAccount(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	var expire *time.Time
	if req.GetExpireTime() != nil {
		t := fromTS(req.GetExpireTime())
		expire = &t
	}
	st, err := s.svc.SetManual(ctx, acc, enumToDomain(req.GetLabel(), "RETENTION_LABEL_"), strings.TrimSpace(req.GetReason()), expire)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return stateToProto(st), nil
}

// ClearRetentionLabel implements furrow.v1.RetentionService.
func (s *RetentionServer) ClearRetentionLabel(ctx context.Context, req *furrowv1.ClearRetentionLabelRequest) (*furrowv1.RetentionState, error) {
	acc, err := labelAccount(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	st, err := s.svc.ClearManual(ctx, acc, strings.TrimSpace(req.GetReason()))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return stateToProto(st), nil
}

// GetRetentionAlert implements furrow.v1.RetentionService.
func (s *RetentionServer) GetRetentionAlert(ctx context.Context, req *furrowv1.GetRetentionAlertRequest) (*furrowv1.RetentionAlert, error) {
	id, err := alertID(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.GetAlert(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return alertToProto(a), nil
}

// ListRetentionAlerts implements furrow.v1.RetentionService.
func (s *RetentionServer) ListRetentionAlerts(ctx context.Context, req *furrowv1.ListRetentionAlertsRequest) (*furrowv1.ListRetentionAlertsResponse, error) {
	f := retention.AlertFilter{Owner: req.GetOwner(), Unassigned: req.GetUnassignedOnly(), State: enumToDomain(req.GetState(), "RETENTION_ALERT_STATE_")}
	if req.GetAccount() != "" {
		acc, err := accountID(req.GetAccount(), "account")
		if err != nil {
			return nil, toStatus(ctx, err)
		}
		f.Account = &acc
	}
	if req.GetDueBefore() != nil {
		t := fromTS(req.GetDueBefore())
		f.DueBefore = &t
	}
	p, err := s.svc.ListAlerts(ctx, f, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListRetentionAlertsResponse{RetentionAlerts: mapItems(p.Items, alertToProto), NextPageToken: p.NextPageToken}, nil
}

func (s *RetentionServer) act(ctx context.Context, name, etag string, act retention.AlertAction) (*furrowv1.RetentionAlert, error) {
	id, err := alertID(name)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if act.Revision, err = revision(etag, "etag"); err != nil {
		return nil, toStatus(ctx, err)
	}
	a, err := s.svc.ActOnAlert(ctx, id, act)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return alertToProto(a), nil
}

// AcknowledgeRetentionAlert implements furrow.v1.RetentionService.
func (s *RetentionServer) AcknowledgeRetentionAlert(ctx context.Context, req *furrowv1.AcknowledgeRetentionAlertRequest) (*furrowv1.RetentionAlert, error) {
	return s.act(ctx, req.GetName(), req.GetEtag(), retention.AlertAction{Kind: "acknowledge", Note: strings.TrimSpace(req.GetNote())})
}

// WorkRetentionAlert implements furrow.v1.RetentionService.
func (s *RetentionServer) WorkRetentionAlert(ctx context.Context, req *furrowv1.WorkRetentionAlertRequest) (*furrowv1.RetentionAlert, error) {
	steps := make([]int, len(req.GetDoneSteps()))
	for i, n := range req.GetDoneSteps() {
		steps[i] = int(n)
	}
	return s.act(ctx, req.GetName(), req.GetEtag(), retention.AlertAction{Kind: "work", Note: strings.TrimSpace(req.GetNote()), DoneSteps: steps})
}

// CloseRetentionAlert implements furrow.v1.RetentionService.
func (s *RetentionServer) CloseRetentionAlert(ctx context.Context, req *furrowv1.CloseRetentionAlertRequest) (*furrowv1.RetentionAlert, error) {
	return s.act(ctx, req.GetName(), req.GetEtag(), retention.AlertAction{Kind: "close", Note: strings.TrimSpace(req.GetNote()),
		Outcome: enumToDomain(req.GetOutcome(), "RETENTION_ALERT_OUTCOME_")})
}
