package rpc

import (
	"context"
	"maps"
	"slices"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/analytics"
	"github.com/furrowhq/furrow/internal/failure"
)

// AnalyticsServer implements furrow.v1.AnalyticsService over the analytics domain.
type AnalyticsServer struct {
	furrowv1.UnimplementedAnalyticsServiceServer
	svc *analytics.Service
}

var _ furrowv1.AnalyticsServiceServer = (*AnalyticsServer)(nil)

// NewAnalyticsServer returns an AnalyticsServer over svc.
func NewAnalyticsServer(svc *analytics.Service) *AnalyticsServer { return &AnalyticsServer{svc: svc} }

// GetAssetInventory implements furrowv1.AnalyticsServiceServer.
func (s *AnalyticsServer) GetAssetInventory(ctx context.Context, req *furrowv1.GetAssetInventoryRequest) (*furrowv1.AssetInventory, error) {
	p, seg, err := periodSegment(req.GetPeriod(), req.GetSegment())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	params, err := inventoryParamsFromProto(req.GetParameters())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	inv, err := s.svc.AssetInventory(ctx, p, seg, params)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.AssetInventory{
		Period: periodToProto(inv.Period), Segment: segmentToProto(inv.Segment), Parameters: inventoryParamsToProto(inv.Params),
		ClosedCustomers: &inv.ClosedCustomers, PooledNotClosed: &inv.PooledNotClosed, RepurchasingCustomers: &inv.Repurchasing,
		RepurchaseRate: inv.RepurchaseRate, KeyAccounts: &inv.KeyAccounts,
		KeyAccountCadence: &furrowv1.CadenceTiers{High: &inv.High, Mid: &inv.Mid, Low: &inv.Low},
		AtRisk:            &inv.AtRisk, AtRiskRecovered: &inv.Recovered, Churned: &inv.Churned, ChurnedWonBack: &inv.WonBack,
		UnconvertedCurrencies: inv.Unconverted, Definitions: inv.Definitions,
	}
	for _, c := range inv.Currencies {
		out.Currencies = append(out.Currencies, &furrowv1.CurrencyInventory{
			CurrencyCode: c.Currency, FirstDeals: aref(c.FirstDeals), AverageFirstDealMinor: c.AvgFirst,
			RepurchaseDeals: aref(c.RepDeals), AverageRepurchaseMinor: c.AvgRep, AmountRepurchaseRate: c.AmountRepurchaseRate,
		})
	}
	return out, nil
}

// GetValueManagement implements furrowv1.AnalyticsServiceServer.
func (s *AnalyticsServer) GetValueManagement(ctx context.Context, req *furrowv1.GetValueManagementRequest) (*furrowv1.ValueManagement, error) {
	p, seg, err := periodSegment(req.GetPeriod(), req.GetSegment())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	params := analytics.ValueParams{LTVWindowDays: int(req.GetParameters().GetLtvWindowDays()), LifetimeYears: int(req.GetParameters().GetLifetimeYears())}
	v, err := s.svc.ValueManagement(ctx, p, seg, params)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.ValueManagement{
		Period: periodToProto(v.Period), PreviousPeriod: periodToProto(v.Previous), Segment: segmentToProto(v.Segment),
		Parameters:  &furrowv1.ValueManagementParameters{LtvWindowDays: int32(v.Params.LTVWindowDays), LifetimeYears: int32(v.Params.LifetimeYears)},
		Definitions: v.Definitions,
	}
	factors := func(f analytics.RevenueFactors) *furrowv1.RevenueFactors {
		return &furrowv1.RevenueFactors{ClosedCustomers: aref(f.Customers), RepurchaseRate: f.Rate,
			AverageRepurchaseMinor: f.AvgRep, ExistingCustomerRevenueMinor: f.ECR}
	}
	for _, r := range v.Revenue {
		out.ExistingCustomerRevenue = append(out.ExistingCustomerRevenue, &furrowv1.CurrencyExistingRevenue{
			CurrencyCode: r.Currency, Current: factors(r.Current), Previous: factors(r.Previous),
			Change: &furrowv1.RevenueChange{ClosedCustomers: aref(r.Change.Customers), RepurchaseRate: r.Change.Rate,
				AverageRepurchaseMinor: r.Change.AvgRep, ExistingCustomerRevenueMinor: r.Change.ECR,
				ExistingCustomerRevenueRatio: r.Change.ECRRatio},
		})
	}
	for _, l := range v.LTV {
		out.Ltv = append(out.Ltv, &furrowv1.CurrencyLtv{
			CurrencyCode: l.Currency, Deals: aref(l.Deals), Customers: aref(l.Customers), RevenueMinor: l.Revenue,
			AverageDealValueMinor: l.AvgDeal, PurchaseFrequency: l.Frequency, LifetimeYears: l.Lifetime, LtvMinor: l.LTV,
		})
	}
	return out, nil
}

// GetSuccessKpis implements furrowv1.AnalyticsServiceServer.
func (s *AnalyticsServer) GetSuccessKpis(ctx context.Context, req *furrowv1.GetSuccessKpisRequest) (*furrowv1.SuccessKpis, error) {
	p, seg, err := periodSegment(req.GetPeriod(), req.GetSegment())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	var params analytics.KPIParams
	if pp := req.GetParameters(); pp != nil {
		if pp.NpsPromoterMin != nil {
			params.PromoterMin = aref(int(pp.GetNpsPromoterMin()))
		}
		if pp.NpsDetractorMax != nil {
			params.DetractorMax = aref(int(pp.GetNpsDetractorMax()))
		}
	}
	k, err := s.svc.SuccessKpis(ctx, p, seg, params)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.SuccessKpis{
		Period: periodToProto(k.Period), Segment: segmentToProto(k.Segment),
		Parameters:     &furrowv1.SuccessKpiParameters{NpsPromoterMin: aref(int32(k.PromoterMin)), NpsDetractorMax: aref(int32(k.DetractorMax))},
		RepurchaseRate: k.RepurchaseRate,
		Nps: &furrowv1.Nps{Value: k.NPS.Value, SurveyDataAvailable: k.NPS.Available, NullReason: k.NPS.NullReason,
			Responses: aref(k.NPS.Responses), Promoters: aref(k.NPS.Promoters), Passives: aref(k.NPS.Passives), Detractors: aref(k.NPS.Detractors)},
		Definitions: k.Definitions,
	}
	for _, a := range k.RepurchaseAmount {
		out.RepurchaseAmount = append(out.RepurchaseAmount, &furrowv1.CurrencyAmount{CurrencyCode: a.Currency, MinorUnits: aref(a.Minor)})
	}
	for _, a := range k.CustomerRevenue {
		out.CustomerRevenue = append(out.CustomerRevenue, &furrowv1.CurrencyAmount{CurrencyCode: a.Currency, MinorUnits: aref(a.Minor)})
	}
	return out, nil
}

// GetFunnel implements furrowv1.AnalyticsServiceServer.
func (s *AnalyticsServer) GetFunnel(ctx context.Context, req *furrowv1.GetFunnelRequest) (*furrowv1.Funnel, error) {
	p, seg, err := periodSegment(req.GetPeriod(), req.GetSegment())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	f, err := s.svc.Funnel(ctx, p, seg)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &furrowv1.Funnel{Period: periodToProto(f.Period), Segment: segmentToProto(f.Segment), CohortSize: aref(f.Cohort), Definitions: f.Definitions}
	for _, st := range f.Stages {
		out.Stages = append(out.Stages, &furrowv1.FunnelStageFigures{
			Stage:   enumFromDomain[furrowv1.FunnelStage](furrowv1.FunnelStage_value, "FUNNEL_STAGE_", st.Stage),
			Reached: aref(st.Reached), ConversionToNext: st.Conversion, DropOffToNext: st.DropOff,
			LeftStage: aref(st.Left), MedianDaysInStage: st.MedianDays,
		})
	}
	return out, nil
}

// ---- conversions

func aref[T any](v T) *T { return &v }

func periodSegment(p *furrowv1.AnalyticsPeriod, s *furrowv1.AnalyticsSegment) (analytics.Period, analytics.Segment, error) {
	start, err := fromDate(p.GetStartDate(), "period.start_date")
	if err != nil {
		return analytics.Period{}, analytics.Segment{}, err
	}
	end, err := fromDate(p.GetEndDate(), "period.end_date")
	if err != nil {
		return analytics.Period{}, analytics.Segment{}, err
	}
	seg := analytics.Segment{Tier: enumToDomain(s.GetRevenueTier(), "REVENUE_TIER_"), Region: s.GetRegion(), Industry: s.GetIndustry(), Owner: s.GetOwner()}
	return analytics.Period{Start: start, End: end}, seg, nil
}

func periodToProto(p analytics.Period) *furrowv1.AnalyticsPeriod {
	return &furrowv1.AnalyticsPeriod{StartDate: toDate(p.Start), EndDate: toDate(p.End)}
}

func segmentToProto(s analytics.Segment) *furrowv1.AnalyticsSegment {
	return &furrowv1.AnalyticsSegment{RevenueTier: enumFromDomain[furrowv1.RevenueTier](furrowv1.RevenueTier_value, "REVENUE_TIER_", s.Tier),
		Region: s.Region, Industry: s.Industry, Owner: s.Owner}
}

func inventoryParamsFromProto(p *furrowv1.AssetInventoryParameters) (analytics.InventoryParams, error) {
	out := analytics.InventoryParams{
		AtRiskSilenceDays: int(p.GetAtRiskSilenceDays()), ChurnDays: int(p.GetChurnDays()), KeyWindowDays: int(p.GetKeyAccountWindowDays()),
		CadenceWindowDays: int(p.GetCadenceWindowDays()), CadenceHighMin: int(p.GetCadenceHighMinInteractions()),
		KeyThreshold: analytics.Money{Currency: p.GetKeyAccountThreshold().GetCurrencyCode(), Minor: p.GetKeyAccountThreshold().GetMinorUnits()},
	}
	for _, from := range slices.Sorted(maps.Keys(p.GetExchangeRates())) {
		text := p.GetExchangeRates()[from]
		rate, ok := analytics.ParseRate(text)
		if !ok {
			return out, failure.InvalidFields([]failure.Violation{{Field: "parameters.exchange_rates[" + from + "]",
				Description: "must be a positive decimal such as 7.10, not \"" + text + "\""}})
		}
		out.Rates = append(out.Rates, analytics.Rate{From: from, Rate: rate, Text: text})
	}
	return out, nil
}

func inventoryParamsToProto(p analytics.InventoryParams) *furrowv1.AssetInventoryParameters {
	out := &furrowv1.AssetInventoryParameters{
		AtRiskSilenceDays: int32(p.AtRiskSilenceDays), ChurnDays: int32(p.ChurnDays), KeyAccountWindowDays: int32(p.KeyWindowDays),
		KeyAccountThreshold: &furrowv1.Money{CurrencyCode: p.KeyThreshold.Currency, MinorUnits: p.KeyThreshold.Minor},
		CadenceWindowDays:   int32(p.CadenceWindowDays), CadenceHighMinInteractions: int32(p.CadenceHighMin),
	}
	if len(p.Rates) > 0 {
		out.ExchangeRates = map[string]string{}
	}
	for _, r := range p.Rates {
		out.ExchangeRates[r.From] = r.Text
	}
	return out
}
