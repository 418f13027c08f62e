package analytics

import (
	"context"
	"math/big"
	"testing"
	"time"
)

// fakeStore answers with fixed aggregates, for the domain's arithmetic alone (the SQL
// is tested against both databases in internal/store).
type fakeStore struct {
	deals map[time.Time]*PeriodDeals // by period start
}

func (f fakeStore) PeriodDeals(_ context.Context, _ Segment, from, _ time.Time) (*PeriodDeals, error) {
	if d, ok := f.deals[from]; ok {
		return d, nil
	}
	return &PeriodDeals{ByCurrency: map[string]*CurrencyDeals{}}, nil
}
func (fakeStore) Currencies(context.Context, Segment, time.Time) ([]string, error) {
	return []string{"CNY"}, nil
}
func (fakeStore) AccountStates(context.Context, Segment, StateQuery) (*StateCounts, error) {
	return &StateCounts{Currencies: []string{"CNY"}}, nil
}
func (fakeStore) WindowDeals(context.Context, Segment, time.Time, time.Time) ([]WindowDeals, error) {
	return nil, nil
}
func (fakeStore) Funnel(context.Context, Segment, time.Time, time.Time, []string) (*FunnelAgg, error) {
	return &FunnelAgg{}, nil
}

type fakeSurveys NPSCounts

func (f fakeSurveys) NPSCounts(context.Context, Segment, time.Time, time.Time, int, int) (NPSCounts, error) {
	return NPSCounts(f), nil
}

var q1 = Period{Start: day0(2026, 1, 1), End: day0(2026, 4, 1)}

// NPS is exact and rounded once, half-even, to one place; null without responses, and
// null with "no survey data" without a survey reader.
func TestNPS(t *testing.T) {
	for _, c := range []struct {
		counts NPSCounts
		want   string // "" for null
	}{
		{NPSCounts{Responses: 8, Promoters: 3, Detractors: 4}, "-12.5"},
		{NPSCounts{Responses: 16, Promoters: 1}, "6.2"},  // 6.25 → 6.2
		{NPSCounts{Responses: 16, Promoters: 3}, "18.8"}, // 18.75 → 18.8
		{NPSCounts{Responses: 3, Promoters: 2, Detractors: 1}, "33.3"},
		{NPSCounts{Responses: 2, Detractors: 2}, "-100.0"},
		{NPSCounts{}, ""},
	} {
		svc := NewService(fakeStore{}, Options{Surveys: fakeSurveys(c.counts)})
		k, err := svc.SuccessKpis(context.Background(), q1, Segment{}, KPIParams{})
		if err != nil {
			t.Fatal(err)
		}
		n := k.NPS
		switch {
		case !n.Available:
			t.Errorf("%+v: survey data not available", c.counts)
		case c.want == "" && (n.Value != nil || n.NullReason != NoResponses):
			t.Errorf("%+v: %+v, want null (no responses)", c.counts, n)
		case c.want != "" && (n.Value == nil || *n.Value != c.want || n.NullReason != ""):
			t.Errorf("%+v: %+v, want %s", c.counts, n, c.want)
		case n.Passives != c.counts.Responses-c.counts.Promoters-c.counts.Detractors:
			t.Errorf("%+v: passives %d", c.counts, n.Passives)
		}
	}
	k, err := NewService(fakeStore{}, Options{}).SuccessKpis(context.Background(), q1, Segment{}, KPIParams{})
	if err != nil {
		t.Fatal(err)
	}
	if k.NPS.Value != nil || k.NPS.Available || k.NPS.NullReason != NoSurveyData || k.NPS.Responses != 0 {
		t.Errorf("without surveys: %+v", k.NPS)
	}
	// Zero-safe everywhere else too: no deals, a rate of nothing is null, sums are 0.
	if k.RepurchaseRate != nil || len(k.RepurchaseAmount) != 1 || k.RepurchaseAmount[0].Minor != 0 {
		t.Errorf("empty KPIs: %+v", k)
	}
}

// Value management's changes use exact values: 1/3 − 1/6 of a rate is 0.1667, not
// 0.3333 − 0.1667 = 0.1666; a mean of 2.5 minus 1.5 is 1, not 2 − 2 = 0.
func TestValueChangesAreExact(t *testing.T) {
	prev := q1.Previous()
	store := fakeStore{deals: map[time.Time]*PeriodDeals{
		q1.Start: {Customers: 3, Repurchasers: 1, ByCurrency: map[string]*CurrencyDeals{
			"CNY": {RepCount: 2, RepSum: big.NewInt(5), FirstSum: big.NewInt(0)}}},
		prev.Start: {Customers: 6, Repurchasers: 1, ByCurrency: map[string]*CurrencyDeals{
			"CNY": {RepCount: 2, RepSum: big.NewInt(3), FirstSum: big.NewInt(0)}}},
	}}
	v, err := NewService(store, Options{}).ValueManagement(context.Background(), q1, Segment{}, ValueParams{})
	if err != nil {
		t.Fatal(err)
	}
	r := v.Revenue[0]
	// Now: 3 × 1/3 × 2.5 = 2.5 → 2 (half-even). Before: 6 × 1/6 × 1.5 = 1.5 → 2.
	// Change: exactly 1 (not 2 − 2); ratio 2.5 / 1.5 − 1 = 0.6667.
	if *r.Current.AvgRep != 2 || *r.Previous.AvgRep != 2 || *r.Current.ECR != 2 || *r.Previous.ECR != 2 ||
		*r.Change.Rate != "0.1667" || *r.Change.AvgRep != 1 || *r.Change.ECR != 1 || *r.Change.ECRRatio != "0.6667" || r.Change.Customers != -3 {
		t.Errorf("revenue = %+v / %+v / %+v", r.Current, r.Previous, r.Change)
	}
	// LTV with no deal in the window: every factor null.
	if l := v.LTV[0]; l.Deals != 0 || l.AvgDeal != nil || l.Frequency != nil || l.LTV != nil || l.Lifetime != nil {
		t.Errorf("LTV = %+v", l)
	}
}
