package analytics

import (
	"context"
	"fmt"
	"math/big"
	"slices"
)

// Reported figures: nil pointers are null.

// CurrencyInventory holds Q4–Q6 in one currency.
type CurrencyInventory struct {
	Currency             string
	FirstDeals, RepDeals int64
	AvgFirst, AvgRep     *int64  // minor units
	AmountRepurchaseRate *string // 4 places
}

// Inventory is the asset inventory (the 12 questions).
type Inventory struct {
	Period          Period
	Segment         Segment
	Params          InventoryParams
	ClosedCustomers int64 // Q1a
	PooledNotClosed int64 // Q1b
	Repurchasing    int64 // Q2
	RepurchaseRate  *string
	Currencies      []CurrencyInventory
	KeyAccounts     int64 // Q7
	High, Mid, Low  int64 // Q8
	AtRisk          int64 // Q9
	Recovered       int64 // Q10
	Churned         int64 // Q11
	WonBack         int64 // Q12
	Unconverted     []string
	Definitions     map[string]string
}

// AssetInventory answers the 12 questions for period p and segment s.
func (svc *Service) AssetInventory(ctx context.Context, p Period, s Segment, params InventoryParams) (*Inventory, error) {
	if err := checkPeriod(p); err != nil {
		return nil, err
	}
	if err := checkSegment(s); err != nil {
		return nil, err
	}
	params, sq, err := StateQueryFor(p, params)
	if err != nil {
		return nil, err
	}
	deals, err := svc.store.PeriodDeals(ctx, s, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	states, err := svc.store.AccountStates(ctx, s, sq)
	if err != nil {
		return nil, err
	}
	currencies := states.Currencies
	out := &Inventory{
		Period: p, Segment: s, Params: params,
		ClosedCustomers: deals.Customers, PooledNotClosed: states.Pooled, Repurchasing: deals.Repurchasers,
		RepurchaseRate: decimalOrNil(ratioInt(deals.Repurchasers, deals.Customers), RatePlaces),
		KeyAccounts:    states.Key, High: states.High, Mid: states.Mid, Low: states.Low,
		AtRisk: states.AtRisk, Recovered: states.Recovered, Churned: states.Churned, WonBack: states.WonBack,
	}
	for _, c := range currencies {
		d := deals.currency(c)
		avgFirst, avgRep := ratio(d.FirstSum, big.NewInt(d.FirstCount)), ratio(d.RepSum, big.NewInt(d.RepCount))
		ci := CurrencyInventory{Currency: c, FirstDeals: d.FirstCount, RepDeals: d.RepCount,
			AmountRepurchaseRate: decimalOrNil(quo(avgRep, avgFirst), RatePlaces)}
		if ci.AvgFirst, err = minorOrNil(avgFirst); err != nil {
			return nil, err
		}
		if ci.AvgRep, err = minorOrNil(avgRep); err != nil {
			return nil, err
		}
		out.Currencies = append(out.Currencies, ci)
		if _, ok := sq.KeyFactors[c]; !ok {
			out.Unconverted = append(out.Unconverted, c)
		}
	}
	out.Definitions = inventoryDefinitions(params)
	return out, nil
}

// StateQueryFor returns the parameters with their defaults and the bounds of Q7–Q12 for
// period p (exported for benchmarks that run the query alone).
func StateQueryFor(p Period, params InventoryParams) (InventoryParams, StateQuery, error) {
	params, err := params.withDefaults()
	if err != nil {
		return params, StateQuery{}, err
	}
	factors, threshold, err := params.keyFactors()
	if err != nil {
		return params, StateQuery{}, err
	}
	silence, churn := params.AtRiskSilenceDays, params.ChurnDays
	return params, StateQuery{
		Start: p.Start, End: p.End,
		KeyFrom: p.End.AddDate(0, 0, -params.KeyWindowDays), KeyFactors: factors, KeyThreshold: threshold,
		CadenceFrom: p.End.AddDate(0, 0, -params.CadenceWindowDays), CadenceHighMin: int64(params.CadenceHighMin),
		SilentBeforeEnd: p.End.AddDate(0, 0, -silence), SilentBeforeStart: p.Start.AddDate(0, 0, -silence),
		ChurnBeforeEnd: p.End.AddDate(0, 0, -churn), ChurnBeforeStart: p.Start.AddDate(0, 0, -churn),
	}, nil
}

// RevenueFactors are existing-customer revenue and its factors in one period and currency.
type RevenueFactors struct {
	Customers int64
	Rate      *string
	AvgRep    *int64
	ECR       *int64
}

// RevenueChange is current − previous per factor.
type RevenueChange struct {
	Customers int64
	Rate      *string
	AvgRep    *int64
	ECR       *int64
	ECRRatio  *string // current / previous − 1
}

// CurrencyRevenue is existing-customer revenue in one currency.
type CurrencyRevenue struct {
	Currency          string
	Current, Previous RevenueFactors
	Change            RevenueChange
}

// CurrencyLTV is the LTV in one currency with its factors; nil when no deal in the window.
type CurrencyLTV struct {
	Currency         string
	Deals, Customers int64
	Revenue          *int64
	AvgDeal          *int64
	Frequency        *string
	Lifetime         *int64
	LTV              *int64
}

// Value is value management.
type Value struct {
	Period, Previous Period
	Segment          Segment
	Params           ValueParams
	Revenue          []CurrencyRevenue
	LTV              []CurrencyLTV
	Definitions      map[string]string
}

// exact revenue factors of one period and currency.
type revenueExact struct {
	customers    int64
	rate, avgRep *big.Rat
	ecr          *big.Rat
}

func revenueOf(d *PeriodDeals, c string) revenueExact {
	cd := d.currency(c)
	rate := ratioInt(d.Repurchasers, d.Customers)
	avg := ratio(cd.RepSum, big.NewInt(cd.RepCount))
	return revenueExact{customers: d.Customers, rate: rate, avgRep: avg,
		ecr: mul(new(big.Rat).SetInt64(d.Customers), rate, avg)}
}

func (r revenueExact) report() (RevenueFactors, error) {
	out := RevenueFactors{Customers: r.customers, Rate: decimalOrNil(r.rate, RatePlaces)}
	var err error
	if out.AvgRep, err = minorOrNil(r.avgRep); err != nil {
		return out, err
	}
	out.ECR, err = minorOrNil(r.ecr)
	return out, err
}

// ValueManagement returns existing-customer revenue against the previous period and the
// LTV, per currency.
func (svc *Service) ValueManagement(ctx context.Context, p Period, s Segment, params ValueParams) (*Value, error) {
	if err := checkPeriod(p); err != nil {
		return nil, err
	}
	if err := checkSegment(s); err != nil {
		return nil, err
	}
	params, err := params.withDefaults()
	if err != nil {
		return nil, err
	}
	prev := p.Previous()
	cur, err := svc.store.PeriodDeals(ctx, s, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	before, err := svc.store.PeriodDeals(ctx, s, prev.Start, prev.End)
	if err != nil {
		return nil, err
	}
	currencies, err := svc.store.Currencies(ctx, s, p.End)
	if err != nil {
		return nil, err
	}
	window, err := svc.store.WindowDeals(ctx, s, p.End.AddDate(0, 0, -params.LTVWindowDays), p.End)
	if err != nil {
		return nil, err
	}
	out := &Value{Period: p, Previous: prev, Segment: s, Params: params, Definitions: valueDefinitions(params)}
	for _, c := range currencies {
		now, then := revenueOf(cur, c), revenueOf(before, c)
		cr := CurrencyRevenue{Currency: c, Change: RevenueChange{Customers: now.customers - then.customers,
			Rate: decimalOrNil(sub(now.rate, then.rate), RatePlaces)}}
		if cr.Current, err = now.report(); err != nil {
			return nil, err
		}
		if cr.Previous, err = then.report(); err != nil {
			return nil, err
		}
		if cr.Change.AvgRep, err = minorOrNil(sub(now.avgRep, then.avgRep)); err != nil {
			return nil, err
		}
		if cr.Change.ECR, err = minorOrNil(sub(now.ecr, then.ecr)); err != nil {
			return nil, err
		}
		if now.ecr != nil && then.ecr != nil && then.ecr.Sign() != 0 {
			cr.Change.ECRRatio = decimalOrNil(new(big.Rat).Sub(new(big.Rat).Quo(now.ecr, then.ecr), big.NewRat(1, 1)), RatePlaces)
		}
		out.Revenue = append(out.Revenue, cr)

		l := CurrencyLTV{Currency: c}
		i := slices.IndexFunc(window, func(w WindowDeals) bool { return w.Currency == c })
		if i >= 0 && window[i].Deals > 0 {
			w := window[i]
			avg := ratio(w.Sum, big.NewInt(w.Deals))
			freq := ratioInt(w.Deals, w.Customers)
			life := int64(params.LifetimeYears)
			l.Deals, l.Customers, l.Lifetime, l.Frequency = w.Deals, w.Customers, &life, decimalOrNil(freq, RatePlaces)
			if l.Revenue, err = minorOrNil(new(big.Rat).SetInt(w.Sum)); err != nil {
				return nil, err
			}
			if l.AvgDeal, err = minorOrNil(avg); err != nil {
				return nil, err
			}
			if l.LTV, err = minorOrNil(mul(avg, freq, new(big.Rat).SetInt64(life))); err != nil {
				return nil, err
			}
		}
		out.LTV = append(out.LTV, l)
	}
	return out, nil
}

// Amount is a sum in one currency.
type Amount struct {
	Currency string
	Minor    int64
}

// NPS is the net promoter score of a period.
type NPS struct {
	Value                                      *string
	Available                                  bool   // survey data exists at all
	NullReason                                 string // why Value is nil
	Responses, Promoters, Passives, Detractors int64
}

// KPIs are the customer-success KPIs.
type KPIs struct {
	Period           Period
	Segment          Segment
	PromoterMin      int
	DetractorMax     int
	RepurchaseRate   *string
	RepurchaseAmount []Amount
	CustomerRevenue  []Amount
	NPS              NPS
	Definitions      map[string]string
}

// NoSurveyData is NPS's null reason when the service reads no survey responses.
const NoSurveyData = "no survey data: this service has no survey reader"

// NoResponses is NPS's null reason when the period has no response.
const NoResponses = "no survey response in the period"

// SuccessKpis returns the customer-success KPIs.
func (svc *Service) SuccessKpis(ctx context.Context, p Period, s Segment, params KPIParams) (*KPIs, error) {
	if err := checkPeriod(p); err != nil {
		return nil, err
	}
	if err := checkSegment(s); err != nil {
		return nil, err
	}
	promoterMin, detractorMax, err := params.resolved()
	if err != nil {
		return nil, err
	}
	deals, err := svc.store.PeriodDeals(ctx, s, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	currencies, err := svc.store.Currencies(ctx, s, p.End)
	if err != nil {
		return nil, err
	}
	out := &KPIs{Period: p, Segment: s, PromoterMin: promoterMin, DetractorMax: detractorMax,
		RepurchaseRate: decimalOrNil(ratioInt(deals.Repurchasers, deals.Customers), RatePlaces),
		Definitions:    kpiDefinitions(promoterMin, detractorMax)}
	for _, c := range currencies {
		d := deals.currency(c)
		rep, err := minorOrNil(new(big.Rat).SetInt(d.RepSum))
		if err != nil {
			return nil, err
		}
		all, err := minorOrNil(new(big.Rat).SetInt(new(big.Int).Add(d.FirstSum, d.RepSum)))
		if err != nil {
			return nil, err
		}
		out.RepurchaseAmount = append(out.RepurchaseAmount, Amount{Currency: c, Minor: *rep})
		out.CustomerRevenue = append(out.CustomerRevenue, Amount{Currency: c, Minor: *all})
	}
	out.NPS, err = svc.nps(ctx, p, s, promoterMin, detractorMax)
	return out, err
}

// nps computes the NPS from the survey counts: exact, rounded once to one place.
func (svc *Service) nps(ctx context.Context, p Period, s Segment, promoterMin, detractorMax int) (NPS, error) {
	if svc.surveys == nil {
		return NPS{NullReason: NoSurveyData}, nil
	}
	c, err := svc.surveys.NPSCounts(ctx, s, p.Start, p.End, promoterMin, detractorMax)
	if err != nil {
		return NPS{}, err
	}
	out := NPS{Available: true, Responses: c.Responses, Promoters: c.Promoters, Detractors: c.Detractors,
		Passives: c.Responses - c.Promoters - c.Detractors}
	if v := ratioInt(100*(c.Promoters-c.Detractors), c.Responses); v != nil {
		out.Value = decimalOrNil(v, NPSPlaces)
	} else {
		out.NullReason = NoResponses
	}
	return out, nil
}

// StageFigures are one funnel stage's figures.
type StageFigures struct {
	Stage      string
	Reached    int64
	Conversion *string
	DropOff    *int64
	Left       int64
	MedianDays *string
}

// Funnel is the funnel of a period's exposure cohort.
type Funnel struct {
	Period      Period
	Segment     Segment
	Cohort      int64
	Stages      []StageFigures
	Definitions map[string]string
}

var microsPerDay = big.NewInt(86_400_000_000)

// Funnel returns the funnel of the accounts that entered exposure in p.
func (svc *Service) Funnel(ctx context.Context, p Period, s Segment) (*Funnel, error) {
	if err := checkPeriod(p); err != nil {
		return nil, err
	}
	if err := checkSegment(s); err != nil {
		return nil, err
	}
	agg, err := svc.store.Funnel(ctx, s, p.Start, p.End, Stages)
	if err != nil {
		return nil, err
	}
	out := &Funnel{Period: p, Segment: s, Cohort: agg.Cohort, Definitions: funnelDefinitions()}
	for i, st := range Stages {
		f := StageFigures{Stage: st, Reached: agg.Reached[st]}
		if i+1 < len(Stages) {
			next := agg.Reached[Stages[i+1]]
			drop := f.Reached - next
			f.DropOff = &drop
			f.Conversion = decimalOrNil(ratioInt(next, f.Reached), RatePlaces)
			f.Left = agg.Left[st]
			if mid := agg.Middle[st]; len(mid) > 0 {
				sum := new(big.Int)
				for _, m := range mid {
					sum.Add(sum, big.NewInt(m))
				}
				days := new(big.Rat).SetFrac(sum, new(big.Int).Mul(microsPerDay, big.NewInt(int64(len(mid)))))
				f.MedianDays = decimalOrNil(days, RatePlaces)
			}
		}
		out.Stages = append(out.Stages, f)
	}
	return out, nil
}

// ---- helpers

func decimalOrNil(r *big.Rat, places int) *string {
	if r == nil {
		return nil
	}
	s := Decimal(r, places)
	return &s
}

func minorOrNil(r *big.Rat) (*int64, error) {
	if r == nil {
		return nil, nil
	}
	v, err := Minor(r)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// quo returns a/b, or nil when either is nil or b is zero.
func quo(a, b *big.Rat) *big.Rat {
	if a == nil || b == nil || b.Sign() == 0 {
		return nil
	}
	return new(big.Rat).Quo(a, b)
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
