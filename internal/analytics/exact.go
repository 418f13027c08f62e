package analytics

import (
	"fmt"
	"math/big"
	"strings"
)

// Exact arithmetic. Every figure is a big.Rat until it is reported, then rounded once,
// half-even (banker's rounding): money to integer minor units, rates, ratios and days to
// 4 decimal places, NPS to 1. A rounded value is never fed into another formula.

// Decimal places of the reported kinds.
const (
	RatePlaces = 4 // rates, ratios, frequencies, median days
	NPSPlaces  = 1
)

// roundHalfEven rounds r to places decimal places, half to even, and returns the result
// scaled by 10^places as an integer.
func roundHalfEven(r *big.Rat, places int) *big.Int {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(places)))
	num, den := scaled.Num(), scaled.Denom() // den > 0
	neg := num.Sign() < 0
	abs := new(big.Int).Abs(num)
	q, rem := new(big.Int).QuoRem(abs, den, new(big.Int))
	switch new(big.Int).Lsh(rem, 1).Cmp(den) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	if neg {
		q.Neg(q)
	}
	return q
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// Decimal renders r rounded half-even to places decimal places, e.g. "0.6667", "-12.5".
func Decimal(r *big.Rat, places int) string {
	q := roundHalfEven(r, places)
	sign := ""
	if q.Sign() < 0 {
		sign = "-"
		q.Abs(q)
	}
	s := q.String()
	if places == 0 {
		return sign + s
	}
	if len(s) <= places {
		s = strings.Repeat("0", places-len(s)+1) + s
	}
	return sign + s[:len(s)-places] + "." + s[len(s)-places:]
}

// Minor rounds a money figure half-even to integer minor units. It fails when the result
// does not fit an int64 (the API's type for minor units).
func Minor(r *big.Rat) (int64, error) {
	q := roundHalfEven(r, 0)
	if !q.IsInt64() {
		return 0, fmt.Errorf("analytics: money figure %s out of the int64 range", q)
	}
	return q.Int64(), nil
}

// ratio returns a/b exactly, or nil (null) when b is zero.
func ratio(a, b *big.Int) *big.Rat {
	if b.Sign() == 0 {
		return nil
	}
	return new(big.Rat).SetFrac(a, b)
}

func ratioInt(a, b int64) *big.Rat { return ratio(big.NewInt(a), big.NewInt(b)) }

// mul returns the product of rs, or nil when any factor is nil.
func mul(rs ...*big.Rat) *big.Rat {
	out := big.NewRat(1, 1)
	for _, r := range rs {
		if r == nil {
			return nil
		}
		out.Mul(out, r)
	}
	return out
}

// sub returns a − b, or nil when either is nil.
func sub(a, b *big.Rat) *big.Rat {
	if a == nil || b == nil {
		return nil
	}
	return new(big.Rat).Sub(a, b)
}

// ParseRate parses an exchange rate: an exact positive decimal such as "7.10".
func ParseRate(s string) (*big.Rat, bool) {
	if s == "" || strings.ContainsAny(s, "eE/+-") {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return nil, false
	}
	return r, true
}
