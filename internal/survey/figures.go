package survey

import (
	"math/big"

	"github.com/furrowhq/furrow/internal/analytics"
)

// Figures are a period's NPS and CSAT, computed exactly from Counts.
type Figures struct {
	Counts
	NPSResponses, Promoters, Passives, Detractors int64
	CSATResponses, Satisfied                      int64
	NPS                                           *big.Rat // nil: no NPS answers (no data, not zero)
	CSAT                                          *big.Rat // percent of CSAT answers 4–5; nil: no data
}

// Compute derives the figures from c. NPS = 100 × (promoters − detractors) / answers on
// −100..100, never an average of scores; CSAT = 100 × answers 4–5 / answers.
func Compute(c Counts) Figures {
	f := Figures{Counts: c}
	for s, n := range c.NPSByScore {
		f.NPSResponses += n
		switch {
		case s >= 9:
			f.Promoters += n
		case s >= 7:
			f.Passives += n
		default:
			f.Detractors += n
		}
	}
	for s, n := range c.CSATByScore {
		f.CSATResponses += n
		if s >= 4 {
			f.Satisfied += n
		}
	}
	if f.NPSResponses > 0 {
		f.NPS = big.NewRat(100*(f.Promoters-f.Detractors), f.NPSResponses)
	}
	if f.CSATResponses > 0 {
		f.CSAT = big.NewRat(100*f.Satisfied, f.CSATResponses)
	}
	return f
}

// Change returns cur − prev, or nil when either is nil.
func Change(cur, prev *big.Rat) *big.Rat {
	if cur == nil || prev == nil {
		return nil
	}
	return new(big.Rat).Sub(cur, prev)
}

// Decimal renders r rounded once, half to even, to places decimals ("" for nil): the
// analytics rounding, so NPS reads the same in both places.
func Decimal(r *big.Rat, places int) string {
	if r == nil {
		return ""
	}
	return analytics.Decimal(r, places)
}
