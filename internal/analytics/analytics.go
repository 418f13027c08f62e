// Package analytics computes Furrow's read-only customer-asset reports: the asset
// inventory (the 12 questions), value management, the customer-success KPIs and the
// funnel, exactly as ../shared/ANALYTICS.md (docs/analytics.md) defines them.
//
// The database aggregates (the Store returns integer counts and sums per currency, never
// rows per deal); this package turns them into figures with exact rationals (math/big)
// and rounds each figure once, half-even.
package analytics

import (
	"context"
	"math/big"
	"time"
)

// Period is a half-open range of calendar dates [Start, End), each at 00:00 UTC.
type Period struct {
	Start, End time.Time
}

// Previous is the period of equal length just before p.
func (p Period) Previous() Period {
	days := p.Days()
	return Period{Start: p.Start.AddDate(0, 0, -days), End: p.Start}
}

// Days is the period's length in days.
func (p Period) Days() int { return int(p.End.Sub(p.Start).Hours()/24 + 0.5) }

// MaxMonths is the longest period, in calendar months from start's month to end's.
const MaxMonths = 120

// Segment narrows a report to the live accounts whose current attributes equal every
// non-empty value; the zero Segment is the whole company.
type Segment struct {
	Tier     string // revenue_tier, e.g. "KEY"
	Region   string
	Industry string
	Owner    string
}

// Money is an amount in integer minor units of a currency.
type Money struct {
	Currency string
	Minor    int64
}

// Rate converts one minor unit of From into Rate minor units of To.
type Rate struct {
	From, To string
	Rate     *big.Rat
	Text     string // as given, e.g. "7.10"
}

// Defaults of the definitions' parameters (ANALYTICS.md).
const (
	DefaultAtRiskSilenceDays = 60
	DefaultChurnDays         = 365
	DefaultKeyWindowDays     = 365
	DefaultCadenceWindowDays = 30
	DefaultCadenceHighMin    = 4
	DefaultLTVWindowDays     = 365
	DefaultLifetimeYears     = 3
	DefaultPromoterMin       = 9
	DefaultDetractorMax      = 6
)

// DefaultKeyThreshold is CNY 1,000,000.00.
var DefaultKeyThreshold = Money{Currency: "CNY", Minor: 100_000_000}

// DefaultRates is the default exchange-rate table: USD→CNY 7.10.
func DefaultRates() []Rate {
	return []Rate{{From: "USD", To: "CNY", Rate: big.NewRat(71, 10), Text: "7.10"}}
}

// InventoryParams are the asset inventory's parameters; zero values mean the defaults.
type InventoryParams struct {
	AtRiskSilenceDays int
	ChurnDays         int
	KeyWindowDays     int
	KeyThreshold      Money
	Rates             []Rate
	CadenceWindowDays int
	CadenceHighMin    int
}

// ValueParams are value management's parameters; zero values mean the defaults.
type ValueParams struct {
	LTVWindowDays int
	LifetimeYears int
}

// KPIParams are the KPIs' parameters; nil means the default.
type KPIParams struct {
	PromoterMin  *int
	DetractorMax *int
}

// Stages are the funnel stages in order.
var Stages = []string{"EXPOSURE", "LEAD", "OPPORTUNITY", "DEAL", "DELIVERY", "EXPANSION"}

// Store is the aggregate queries analytics needs. Every method works on the scope of a
// segment: live accounts (delete_time empty) matching it; only WON deals count.
type Store interface {
	// PeriodDeals aggregates the scope's closed deals with from ≤ close_date < to.
	PeriodDeals(ctx context.Context, s Segment, from, to time.Time) (*PeriodDeals, error)
	// Currencies lists the currencies of the scope's closed deals with close_date < end,
	// sorted.
	Currencies(ctx context.Context, s Segment, end time.Time) ([]string, error)
	// AccountStates counts Q1b and Q7–Q12 and lists the currencies (as Currencies) in
	// one pass over the scope's accounts, deals and interactions before the end.
	AccountStates(ctx context.Context, s Segment, q StateQuery) (*StateCounts, error)
	// WindowDeals aggregates the scope's closed deals with from ≤ close_date < to per
	// currency (LTV).
	WindowDeals(ctx context.Context, s Segment, from, to time.Time) ([]WindowDeals, error)
	// Funnel aggregates the cohort of scope accounts that entered stages[0] in
	// [start 00:00Z, end 00:00Z), using each account's earliest entry per stage before
	// end 00:00Z.
	Funnel(ctx context.Context, s Segment, start, end time.Time, stages []string) (*FunnelAgg, error)
}

// SurveyReader counts survey responses for the NPS; the store's SurveyNPS implements it
// over the survey responses. A service built without one reports NPS as null with
// "no survey data".
type SurveyReader interface {
	// NPSCounts counts the responses of scope accounts with start 00:00Z ≤ time <
	// end 00:00Z (excluded responses left out): all, score ≥ promoterMin, score ≤
	// detractorMax.
	NPSCounts(ctx context.Context, s Segment, start, end time.Time, promoterMin, detractorMax int) (NPSCounts, error)
}

// NPSCounts are the counts NPS is computed from.
type NPSCounts struct {
	Responses, Promoters, Detractors int64
}

// CurrencyDeals are one currency's first and repurchase deals of a period.
type CurrencyDeals struct {
	FirstCount, RepCount int64
	FirstSum, RepSum     *big.Int
}

// PeriodDeals aggregates a period's closed deals.
type PeriodDeals struct {
	Customers    int64 // |CC|
	Repurchasers int64 // |RC|
	ByCurrency   map[string]*CurrencyDeals
}

// currency returns c's aggregates, zero when there are none.
func (p *PeriodDeals) currency(c string) *CurrencyDeals {
	if d, ok := p.ByCurrency[c]; ok {
		return d
	}
	return &CurrencyDeals{FirstSum: new(big.Int), RepSum: new(big.Int)}
}

// StateQuery holds the bounds of the per-account states (Q7–Q12), all computed by the
// domain: the store only compares.
type StateQuery struct {
	Start, End time.Time // the period's dates (midnight UTC)
	// KeyFrom starts Q7's window [KeyFrom, End) of dates.
	KeyFrom time.Time
	// KeyFactors multiply each currency's minor units into the threshold's currency
	// scaled by KeyScale (integers: rate × KeyScale); currencies not here count 0.
	KeyFactors map[string]int64
	// KeyThreshold is the threshold in minor units × KeyScale.
	KeyThreshold int64
	// CadenceFrom starts Q8's window [CadenceFrom, End 00:00Z) of instants.
	CadenceFrom time.Time
	// CadenceHighMin is the fewest interactions of HIGH cadence.
	CadenceHighMin int64
	// SilentBeforeEnd / SilentBeforeStart: a last interaction before this instant is
	// silence (T − silence days, for T = end and start 00:00Z).
	SilentBeforeEnd, SilentBeforeStart time.Time
	// ChurnBeforeEnd / ChurnBeforeStart: a last deal dated before this is churned.
	ChurnBeforeEnd, ChurnBeforeStart time.Time
}

// StateCounts are the counts of Q1b and Q7–Q12, and the currencies of the scope's
// closed deals before the end, sorted.
type StateCounts struct {
	Pooled              int64 // Q1b: created before end 00:00Z, no closed deal dated before end
	Currencies          []string
	Key, High, Mid, Low int64
	AtRisk, Recovered   int64
	Churned, WonBack    int64
}

// WindowDeals aggregates one currency's closed deals of a window.
type WindowDeals struct {
	Currency  string
	Deals     int64
	Customers int64
	Sum       *big.Int
}

// FunnelAgg aggregates a funnel cohort.
type FunnelAgg struct {
	Cohort  int64
	Reached map[string]int64 // stage → cohort accounts that entered it
	// Left is, per stage s (not the last), the number of cohort accounts with a time in
	// s: entered s, then the next stage at or after it, before the end.
	Left map[string]int64
	// Middle holds, per stage, the middle one (odd count) or two (even count) times in
	// the stage in microseconds, in order.
	Middle map[string][]int64
}

// Service computes the reports.
type Service struct {
	store   Store
	surveys SurveyReader
}

// Options configure a Service.
type Options struct {
	// Surveys counts survey responses for the NPS; nil: NPS null, "no survey data".
	Surveys SurveyReader
}

// NewService returns a Service over store.
func NewService(store Store, opts Options) *Service {
	return &Service{store: store, surveys: opts.Surveys}
}
