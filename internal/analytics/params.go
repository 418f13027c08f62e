package analytics

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"time"

	"github.com/furrowhq/furrow/internal/failure"
)

// Parameter validation and defaults. The API's protovalidate rules check shapes and
// ranges first; these checks hold for every caller of the domain.

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// MaxRateDenominator bounds an exchange rate's precision (6 decimal places), so that
// the scaled integer factors stay far from int64's range.
const MaxRateDenominator = 1_000_000

func invalid(field, format string, args ...any) error {
	return failure.InvalidFields([]failure.Violation{{Field: field, Description: fmt.Sprintf(format, args...)}})
}

func isDate(t time.Time) bool {
	return t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// checkPeriod checks p: both dates set, start before end, at most MaxMonths long.
func checkPeriod(p Period) error {
	switch {
	case p.Start.IsZero():
		return invalid("period.start_date", "is required")
	case p.End.IsZero():
		return invalid("period.end_date", "is required")
	case !isDate(p.Start) || !isDate(p.End):
		return invalid("period", "dates must be calendar dates (midnight UTC)")
	case !p.End.After(p.Start):
		return invalid("period.end_date", "%s must be after start_date %s", p.End.Format(time.DateOnly), p.Start.Format(time.DateOnly))
	}
	months := (p.End.Year()*12 + int(p.End.Month())) - (p.Start.Year()*12 + int(p.Start.Month()))
	if months > MaxMonths {
		return invalid("period", "a period may span at most %d calendar months; %s to %s spans %d", MaxMonths,
			p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly), months)
	}
	return nil
}

// tiers are the revenue tiers a segment may name.
var tiers = []string{"KEY", "GENERAL", "SMALL"}

func checkSegment(s Segment) error {
	if s.Tier != "" && !slices.Contains(tiers, s.Tier) {
		return invalid("segment.revenue_tier", "unknown revenue tier %q", s.Tier)
	}
	return nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func checkDays(field string, v int) error {
	if v < 0 || v > 3660 {
		return invalid(field, "must be between 1 and 3660 days (0 for the default), not %d", v)
	}
	return nil
}

// withDefaults returns p with the defaults filled in, checked.
func (p InventoryParams) withDefaults() (InventoryParams, error) {
	for _, c := range []struct {
		field string
		v     int
	}{
		{"parameters.at_risk_silence_days", p.AtRiskSilenceDays}, {"parameters.churn_days", p.ChurnDays},
		{"parameters.key_account_window_days", p.KeyWindowDays}, {"parameters.cadence_window_days", p.CadenceWindowDays},
	} {
		if err := checkDays(c.field, c.v); err != nil {
			return p, err
		}
	}
	if p.CadenceHighMin < 0 {
		return p, invalid("parameters.cadence_high_min_interactions", "must not be negative")
	}
	p.AtRiskSilenceDays = orDefault(p.AtRiskSilenceDays, DefaultAtRiskSilenceDays)
	p.ChurnDays = orDefault(p.ChurnDays, DefaultChurnDays)
	p.KeyWindowDays = orDefault(p.KeyWindowDays, DefaultKeyWindowDays)
	p.CadenceWindowDays = orDefault(p.CadenceWindowDays, DefaultCadenceWindowDays)
	p.CadenceHighMin = orDefault(p.CadenceHighMin, DefaultCadenceHighMin)
	if p.CadenceHighMin < 2 {
		return p, invalid("parameters.cadence_high_min_interactions", "must be at least 2 (MID is 1 up to one less), not %d", p.CadenceHighMin)
	}
	switch {
	case p.KeyThreshold.Currency == "" && p.KeyThreshold.Minor == 0:
		p.KeyThreshold = DefaultKeyThreshold
	case !currencyCode.MatchString(p.KeyThreshold.Currency):
		return p, invalid("parameters.key_account_threshold.currency_code", "must be an ISO 4217 code such as CNY, not %q", p.KeyThreshold.Currency)
	case p.KeyThreshold.Minor <= 0:
		return p, invalid("parameters.key_account_threshold.minor_units", "must be positive, not %d", p.KeyThreshold.Minor)
	}
	if len(p.Rates) == 0 && p.KeyThreshold.Currency == DefaultKeyThreshold.Currency {
		p.Rates = DefaultRates()
	}
	p.Rates = slices.Clone(p.Rates)
	seen := map[string]bool{}
	for i, r := range p.Rates {
		field := fmt.Sprintf("parameters.exchange_rates[%s]", r.From)
		if r.To == "" {
			r.To = p.KeyThreshold.Currency
		}
		switch {
		case !currencyCode.MatchString(r.From):
			return p, invalid(field, "must be keyed by an ISO 4217 code, not %q", r.From)
		case r.To != p.KeyThreshold.Currency:
			return p, invalid(field, "converts into %s, not the threshold's currency %s", r.To, p.KeyThreshold.Currency)
		case r.From == r.To:
			return p, invalid(field, "converts the threshold's currency %s into itself", r.From)
		case seen[r.From]:
			return p, invalid(field, "a second rate for %s", r.From)
		case r.Rate == nil || r.Rate.Sign() <= 0:
			return p, invalid(field, "must be a positive decimal such as 7.10, not %q", r.Text)
		case r.Rate.Denom().Cmp(big.NewInt(MaxRateDenominator)) > 0:
			return p, invalid(field, "has more than 6 decimal places: %q", r.Text)
		}
		seen[r.From] = true
		p.Rates[i] = r
	}
	return p, nil
}

// keyFactors turns the threshold and the rates into it into integers: each currency's
// factor is rate × scale, the threshold is threshold × scale, with scale the least
// common multiple of the rates' denominators, so "Σ amount × rate ≥ threshold" is
// "Σ amount × factor ≥ scaled threshold" in exact integers.
func (p InventoryParams) keyFactors() (map[string]int64, int64, error) {
	scale := big.NewInt(1)
	var used []Rate
	for _, r := range p.Rates {
		if r.To != p.KeyThreshold.Currency {
			continue
		}
		used = append(used, r)
		d := r.Rate.Denom()
		g := new(big.Int).GCD(nil, nil, scale, d)
		scale.Mul(scale, new(big.Int).Quo(d, g))
	}
	factors := map[string]int64{}
	limit := new(big.Int).Lsh(big.NewInt(1), 40) // far below int64, so sums of products stay exact longer
	if scale.Cmp(limit) > 0 {
		return nil, 0, invalid("parameters.exchange_rates", "the rates' decimal places are too many together")
	}
	factors[p.KeyThreshold.Currency] = scale.Int64()
	for _, r := range used {
		f := new(big.Rat).Mul(r.Rate, new(big.Rat).SetInt(scale))
		if !f.IsInt() || f.Num().Cmp(limit) > 0 {
			return nil, 0, invalid("parameters.exchange_rates", "rate %s→%s %s is too large", r.From, r.To, r.Text)
		}
		factors[r.From] = f.Num().Int64()
	}
	t := new(big.Int).Mul(big.NewInt(p.KeyThreshold.Minor), scale)
	if !t.IsInt64() {
		return nil, 0, invalid("parameters.key_account_threshold", "is too large with these rates")
	}
	return factors, t.Int64(), nil
}

// withDefaults returns p with the defaults filled in, checked.
func (p ValueParams) withDefaults() (ValueParams, error) {
	if err := checkDays("parameters.ltv_window_days", p.LTVWindowDays); err != nil {
		return p, err
	}
	if p.LifetimeYears < 0 || p.LifetimeYears > 100 {
		return p, invalid("parameters.lifetime_years", "must be between 1 and 100 (0 for the default), not %d", p.LifetimeYears)
	}
	p.LTVWindowDays = orDefault(p.LTVWindowDays, DefaultLTVWindowDays)
	p.LifetimeYears = orDefault(p.LifetimeYears, DefaultLifetimeYears)
	return p, nil
}

// resolved returns the NPS score bounds, defaults filled in, checked.
func (p KPIParams) resolved() (promoterMin, detractorMax int, err error) {
	promoterMin, detractorMax = DefaultPromoterMin, DefaultDetractorMax
	if p.PromoterMin != nil {
		promoterMin = *p.PromoterMin
	}
	if p.DetractorMax != nil {
		detractorMax = *p.DetractorMax
	}
	switch {
	case promoterMin < 0 || promoterMin > 10:
		return 0, 0, invalid("parameters.nps_promoter_min", "must be a score from 0 to 10, not %d", promoterMin)
	case detractorMax < 0 || detractorMax > 10:
		return 0, 0, invalid("parameters.nps_detractor_max", "must be a score from 0 to 10, not %d", detractorMax)
	case promoterMin <= detractorMax:
		return 0, 0, invalid("parameters.nps_promoter_min", "%d must be above nps_detractor_max %d", promoterMin, detractorMax)
	}
	return promoterMin, detractorMax, nil
}
