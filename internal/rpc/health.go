package rpc

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/listing"
)

// HealthServer implements furrow.v1.HealthService over the health domain.
type HealthServer struct {
	furrowv1.UnimplementedHealthServiceServer
	svc *health.Service
}

var _ furrowv1.HealthServiceServer = (*HealthServer)(nil)

// NewHealthServer returns a HealthServer over svc.
func NewHealthServer(svc *health.Service) *HealthServer { return &HealthServer{svc: svc} }

// ---- conversions

func signalToProto(s *health.Signal) *furrowv1.Signal {
	return &furrowv1.Signal{
		Name:    account.AccountName(s.Account) + "/signals/" + s.ID.String(),
		Account: account.AccountName(s.Account), Measure: s.Measure, Value: s.Value(), Time: ts(s.Time),
		Source: s.Source, SignalId: s.SignalID, CreateTime: ts(s.CreateTime),
	}
}

func scorecardToProto(c *health.Scorecard) *furrowv1.Scorecard {
	out := &furrowv1.Scorecard{
		Name: health.ScorecardName(c.ID), DisplayName: c.DisplayName, Description: c.Description, IsDefault: c.IsDefault,
		GradeBands: &furrowv1.GradeBands{YellowFrom: c.Definition.Bands.YellowFrom, GreenFrom: c.Definition.Bands.GreenFrom},
		Version:    int32(c.Version), VersionCreateTime: ts(c.VersionCreateTime),
		CreateTime: ts(c.CreateTime), UpdateTime: ts(c.UpdateTime), Etag: strconv.FormatInt(c.Revision, 10),
	}
	if len(c.Tiers) > 0 || len(c.Industries) > 0 {
		out.Segment = &furrowv1.ScorecardSegment{Industries: c.Industries}
		for _, t := range c.Tiers {
			out.Segment.RevenueTiers = append(out.Segment.RevenueTiers, enumFromDomain[furrowv1.RevenueTier](furrowv1.RevenueTier_value, "REVENUE_TIER_", t))
		}
	}
	for _, m := range c.Definition.Measures {
		pm := &furrowv1.Measure{
			Key: m.Key, DisplayName: m.DisplayName, Group: m.Group, Source: m.Source,
			Aggregation: enumFromDomain[furrowv1.Aggregation](furrowv1.Aggregation_value, "AGGREGATION_", m.Aggregation),
			WindowDays:  int32(m.WindowDays), Weight: m.Weight,
			Missing:       enumFromDomain[furrowv1.MissingData](furrowv1.MissingData_value, "MISSING_DATA_", m.Missing),
			MissingPoints: m.MissingPoints,
			Normalization: &furrowv1.Normalization{Inverted: m.Inverted},
		}
		if m.Linear != nil {
			pm.Normalization.Kind = &furrowv1.Normalization_Linear{Linear: &furrowv1.LinearNormalization{Low: m.Linear.Low, High: m.Linear.High}}
		} else {
			b := &furrowv1.BandNormalization{}
			for _, x := range m.Bands {
				b.Bands = append(b.Bands, &furrowv1.Band{Min: x.Min, Points: x.Points})
			}
			pm.Normalization.Kind = &furrowv1.Normalization_Bands{Bands: b}
		}
		out.Measures = append(out.Measures, pm)
	}
	return out
}

func scorecardFromProto(p *furrowv1.Scorecard) *health.Scorecard {
	c := &health.Scorecard{DisplayName: p.GetDisplayName(), Description: p.GetDescription(), IsDefault: p.GetIsDefault(),
		Industries: p.GetSegment().GetIndustries()}
	for _, t := range p.GetSegment().GetRevenueTiers() {
		c.Tiers = append(c.Tiers, enumToDomain(t, "REVENUE_TIER_"))
	}
	c.Definition.Bands = health.GradeBands{YellowFrom: p.GetGradeBands().GetYellowFrom(), GreenFrom: p.GetGradeBands().GetGreenFrom()}
	for _, pm := range p.GetMeasures() {
		m := health.Measure{Key: pm.GetKey(), DisplayName: pm.GetDisplayName(), Group: pm.GetGroup(), Source: pm.GetSource(),
			Aggregation: enumToDomain(pm.GetAggregation(), "AGGREGATION_"), WindowDays: int(pm.GetWindowDays()),
			Inverted: pm.GetNormalization().GetInverted(), Weight: pm.GetWeight(),
			Missing: enumToDomain(pm.GetMissing(), "MISSING_DATA_"), MissingPoints: pm.GetMissingPoints()}
		if m.Missing == "" {
			m.Missing = health.MissingSkip
		}
		if l := pm.GetNormalization().GetLinear(); l != nil {
			m.Linear = &health.Linear{Low: l.GetLow(), High: l.GetHigh()}
		}
		for _, b := range pm.GetNormalization().GetBands().GetBands() {
			m.Bands = append(m.Bands, health.Band{Min: b.GetMin(), Points: b.GetPoints()})
		}
		c.Definition.Measures = append(c.Definition.Measures, m)
	}
	return c
}

func gradeToProto(g string) furrowv1.HealthGrade {
	return enumFromDomain[furrowv1.HealthGrade](furrowv1.HealthGrade_value, "HEALTH_GRADE_", g)
}

func overrideToProto(o *health.Override) *furrowv1.HealthOverride {
	if o == nil {
		return nil
	}
	return &furrowv1.HealthOverride{Score: o.Score, Grade: gradeToProto(o.Grade), Reason: o.Reason,
		ExpireTime: tsPtr(o.ExpireTime), Actor: o.Actor, SetTime: ts(o.SetTime), EndTime: tsPtr(o.EndTime),
		EndReason: o.EndReason, EndedBy: o.EndedBy}
}

func contributionsToProto(cs []health.Contribution) []*furrowv1.MeasureContribution {
	out := make([]*furrowv1.MeasureContribution, len(cs))
	for i, c := range cs {
		out[i] = &furrowv1.MeasureContribution{Measure: c.Measure, Group: c.Group, RawValue: c.Raw, NormalizedValue: c.Normalized,
			Weight: c.Weight, Points: c.Points, Missing: c.Missing, Skipped: c.Skipped}
	}
	return out
}

func healthScoreToProto(h *health.HealthScore) *furrowv1.HealthScore {
	return &furrowv1.HealthScore{
		Name: health.ScoreName(h.Account), Score: h.Score, Grade: gradeToProto(h.Grade),
		ComputedScore: h.Computed.Score, ComputedGrade: gradeToProto(h.Computed.Grade),
		Scorecard: health.ScorecardName(h.Computed.Scorecard), ScorecardVersion: int32(h.Computed.ScorecardVersion),
		Contributions: contributionsToProto(h.Computed.Contributions), ComputeTime: ts(h.Computed.ComputeTime),
		Change: h.Change, Change_30D: h.Change30d,
		Trend:    enumFromDomain[furrowv1.HealthTrend](furrowv1.HealthTrend_value, "HEALTH_TREND_", h.Trend),
		Override: overrideToProto(h.Override),
	}
}

func historyToProto(s *health.Score) *furrowv1.HealthScore {
	return &furrowv1.HealthScore{
		Name: health.ScoreName(s.Account), Score: s.Score, Grade: gradeToProto(s.Grade),
		ComputedScore: s.Score, ComputedGrade: gradeToProto(s.Grade),
		Scorecard: health.ScorecardName(s.Scorecard), ScorecardVersion: int32(s.ScorecardVersion),
		Contributions: contributionsToProto(s.Contributions), ComputeTime: ts(s.ComputeTime),
	}
}

func jobToProto(j *health.Job) *furrowv1.RecomputeJob {
	return &furrowv1.RecomputeJob{
		Name: health.JobName(j.ID), Filter: j.Filter,
		State:       enumFromDomain[furrowv1.RecomputeJobState](furrowv1.RecomputeJobState_value, "RECOMPUTE_JOB_STATE_", j.State),
		ComputeTime: ts(j.ComputeTime), TotalAccounts: j.Total, ProcessedAccounts: j.Processed, ChangedScores: j.Changed,
		NoDataAccounts: j.NoData, Error: j.Error, Creator: j.Creator, CreateTime: ts(j.CreateTime), UpdateTime: ts(j.UpdateTime),
		EndTime: tsPtr(j.EndTime),
	}
}

func scorecardID(name, field string) (uuid.UUID, error) {
	ids, err := parseName(name, field, "scorecards")
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

func jobID(name, field string) (uuid.UUID, error) {
	ids, err := parseName(name, field, "recomputeJobs")
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

// scoreAccount parses `accounts/{account}/healthScore`.
func scoreAccount(name, field string) (uuid.UUID, error) {
	return accountID(strings.TrimSuffix(name, "/healthScore"), field)
}

// revision parses an etag ("3", "\"3\"" or "W/\"3\""); 0 when empty.
func revision(etag, field string) (int64, error) {
	e := strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	if e == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return 0, failure.InvalidFields([]failure.Violation{{Field: field, Description: "must be an etag the server returned"}})
	}
	return n, nil
}

// ---- methods

// BatchCreateSignals implements furrow.v1.HealthService.
func (s *HealthServer) BatchCreateSignals(ctx context.Context, req *furrowv1.BatchCreateSignalsRequest) (*furrowv1.BatchCreateSignalsResponse, error) {
	in := make([]*health.Signal, len(req.GetSignals()))
	for i, p := range req.GetSignals() {
		acc, err := accountID(p.GetAccount(), "signals["+strconv.Itoa(i)+"].account")
		if err != nil {
			return nil, toStatus(ctx, err)
		}
		in[i] = &health.Signal{Account: acc, Measure: p.GetMeasure(), ValueMicros: int64(math.Round(p.GetValue() * 1e6)),
			Time: fromTS(p.GetTime()), Source: p.GetSource(), SignalID: p.GetSignalId()}
	}
	out, created, err := s.svc.BatchCreateSignals(ctx, in)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.BatchCreateSignalsResponse{Signals: mapItems(out, signalToProto), CreatedCount: int32(created),
		DuplicateCount: int32(len(out) - created)}, nil
}

// ListSignals implements furrow.v1.HealthService.
func (s *HealthServer) ListSignals(ctx context.Context, req *furrowv1.ListSignalsRequest) (*furrowv1.ListSignalsResponse, error) {
	acc, err := accountID(req.GetParent(), "parent")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListSignals(ctx, acc, listing.Request{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListSignalsResponse{Signals: mapItems(p.Items, signalToProto), NextPageToken: p.NextPageToken}, nil
}

// CreateScorecard implements furrow.v1.HealthService.
func (s *HealthServer) CreateScorecard(ctx context.Context, req *furrowv1.CreateScorecardRequest) (*furrowv1.Scorecard, error) {
	c, err := s.svc.CreateScorecard(ctx, scorecardFromProto(req.GetScorecard()))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return scorecardToProto(c), nil
}

// GetScorecard implements furrow.v1.HealthService.
func (s *HealthServer) GetScorecard(ctx context.Context, req *furrowv1.GetScorecardRequest) (*furrowv1.Scorecard, error) {
	id, err := scorecardID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	c, err := s.svc.GetScorecard(ctx, id, int(req.GetVersion()))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return scorecardToProto(c), nil
}

// ListScorecards implements furrow.v1.HealthService.
func (s *HealthServer) ListScorecards(ctx context.Context, req *furrowv1.ListScorecardsRequest) (*furrowv1.ListScorecardsResponse, error) {
	p, err := s.svc.ListScorecards(ctx, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListScorecardsResponse{Scorecards: mapItems(p.Items, scorecardToProto), NextPageToken: p.NextPageToken}, nil
}

// scorecardFields are the fields UpdateScorecard can change.
var scorecardFields = []string{"display_name", "description", "is_default", "segment", "measures", "grade_bands"}

// UpdateScorecard implements furrow.v1.HealthService.
func (s *HealthServer) UpdateScorecard(ctx context.Context, req *furrowv1.UpdateScorecardRequest) (*furrowv1.Scorecard, error) {
	id, err := scorecardID(req.GetScorecard().GetName(), "scorecard.name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	etag, err := revision(req.GetScorecard().GetEtag(), "scorecard.etag")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	mask := updatePaths(req.GetUpdateMask(), req.GetScorecard())
	if slices.Contains(mask, "*") {
		mask = scorecardFields
	}
	c, err := s.svc.UpdateScorecard(ctx, id, health.ScorecardPatch{Card: scorecardFromProto(req.GetScorecard()), Mask: mask, Etag: etag})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return scorecardToProto(c), nil
}

// ListScorecardVersions implements furrow.v1.HealthService.
func (s *HealthServer) ListScorecardVersions(ctx context.Context, req *furrowv1.ListScorecardVersionsRequest) (*furrowv1.ListScorecardVersionsResponse, error) {
	id, err := scorecardID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListScorecardVersions(ctx, id, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListScorecardVersionsResponse{Scorecards: mapItems(p.Items, scorecardToProto), NextPageToken: p.NextPageToken}, nil
}

// GetHealthScore implements furrow.v1.HealthService.
func (s *HealthServer) GetHealthScore(ctx context.Context, req *furrowv1.GetHealthScoreRequest) (*furrowv1.HealthScore, error) {
	acc, err := scoreAccount(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	var asOf *time.Time
	if req.GetAsOf() != nil {
		t := fromTS(req.GetAsOf())
		asOf = &t
	}
	h, err := s.svc.GetHealthScore(ctx, acc, asOf)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return healthScoreToProto(h), nil
}

// ListHealthScores implements furrow.v1.HealthService.
func (s *HealthServer) ListHealthScores(ctx context.Context, req *furrowv1.ListHealthScoresRequest) (*furrowv1.ListHealthScoresResponse, error) {
	p, err := s.svc.ListHealthScores(ctx, listing.Request{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(),
		Filter: req.GetFilter(), OrderBy: req.GetOrderBy()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListHealthScoresResponse{HealthScores: mapItems(p.Items, healthScoreToProto), NextPageToken: p.NextPageToken}, nil
}

// ListHealthScoreHistory implements furrow.v1.HealthService.
func (s *HealthServer) ListHealthScoreHistory(ctx context.Context, req *furrowv1.ListHealthScoreHistoryRequest) (*furrowv1.ListHealthScoreHistoryResponse, error) {
	acc, err := scoreAccount(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p, err := s.svc.ListHealthScoreHistory(ctx, acc, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListHealthScoreHistoryResponse{HealthScores: mapItems(p.Items, historyToProto), NextPageToken: p.NextPageToken}, nil
}

// ComputeHealthScore implements furrow.v1.HealthService.
func (s *HealthServer) ComputeHealthScore(ctx context.Context, req *furrowv1.ComputeHealthScoreRequest) (*furrowv1.HealthScore, error) {
	acc, err := scoreAccount(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	h, err := s.svc.ComputeHealthScore(ctx, acc)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return healthScoreToProto(h), nil
}

// OverrideHealthScore implements furrow.v1.HealthService.
func (s *HealthServer) OverrideHealthScore(ctx context.Context, req *furrowv1.OverrideHealthScoreRequest) (*furrowv1.HealthScore, error) {
	acc, err := scoreAccount(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	po := req.GetOverride()
	o := &health.Override{Reason: po.GetReason()}
	if po.Score != nil {
		v := po.GetScore()
		o.Score = &v
	}
	if po.GetGrade() != furrowv1.HealthGrade_HEALTH_GRADE_UNSPECIFIED {
		o.Grade = enumToDomain(po.GetGrade(), "HEALTH_GRADE_")
	}
	if po.GetExpireTime() != nil {
		t := fromTS(po.GetExpireTime())
		o.ExpireTime = &t
	}
	h, err := s.svc.OverrideHealthScore(ctx, acc, o)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return healthScoreToProto(h), nil
}

// ClearHealthScoreOverride implements furrow.v1.HealthService.
func (s *HealthServer) ClearHealthScoreOverride(ctx context.Context, req *furrowv1.ClearHealthScoreOverrideRequest) (*furrowv1.HealthScore, error) {
	acc, err := scoreAccount(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	h, err := s.svc.ClearHealthScoreOverride(ctx, acc, req.GetReason())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return healthScoreToProto(h), nil
}

// RecomputeHealthScores implements furrow.v1.HealthService.
func (s *HealthServer) RecomputeHealthScores(ctx context.Context, req *furrowv1.RecomputeHealthScoresRequest) (*furrowv1.RecomputeJob, error) {
	j, err := s.svc.StartRecompute(ctx, req.GetFilter())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return jobToProto(j), nil
}

// GetRecomputeJob implements furrow.v1.HealthService.
func (s *HealthServer) GetRecomputeJob(ctx context.Context, req *furrowv1.GetRecomputeJobRequest) (*furrowv1.RecomputeJob, error) {
	id, err := jobID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	j, err := s.svc.GetJob(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return jobToProto(j), nil
}

// ListRecomputeJobs implements furrow.v1.HealthService.
func (s *HealthServer) ListRecomputeJobs(ctx context.Context, req *furrowv1.ListRecomputeJobsRequest) (*furrowv1.ListRecomputeJobsResponse, error) {
	p, err := s.svc.ListJobs(ctx, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListRecomputeJobsResponse{RecomputeJobs: mapItems(p.Items, jobToProto), NextPageToken: p.NextPageToken}, nil
}

// CancelRecomputeJob implements furrow.v1.HealthService.
func (s *HealthServer) CancelRecomputeJob(ctx context.Context, req *furrowv1.CancelRecomputeJobRequest) (*furrowv1.RecomputeJob, error) {
	id, err := jobID(req.GetName(), "name")
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	j, err := s.svc.CancelJob(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return jobToProto(j), nil
}
