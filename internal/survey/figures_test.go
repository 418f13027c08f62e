package survey

import (
	"math/big"
	"testing"
)

func TestDecimal(t *testing.T) {
	cases := []struct {
		r      *big.Rat
		places int
		want   string
	}{
		{big.NewRat(1, 4), 1, "0.2"},    // 0.25 → 0.2 (half to even)
		{big.NewRat(3, 4), 1, "0.8"},    // 0.75 → 0.8
		{big.NewRat(-1, 4), 1, "-0.2"},  // -0.25 → -0.2
		{big.NewRat(-1, 40), 1, "0.0"},  // -0.025 → -0.0 → 0.0
		{big.NewRat(200, 3), 1, "66.7"}, // 66.666…
		{big.NewRat(-100, 1), 1, "-100.0"},
		{big.NewRat(5, 1000), 2, "0.00"}, // 0.005 → 0.00
		{big.NewRat(15, 1000), 2, "0.02"},
		{nil, 1, ""},
	}
	for _, c := range cases {
		if got := Decimal(c.r, c.places); got != c.want {
			t.Errorf("Decimal(%v, %d) = %q, want %q", c.r, c.places, got, c.want)
		}
	}
}

func TestCompute(t *testing.T) {
	// No answers: no data, not zero.
	f := Compute(Counts{Complaints: 2})
	if f.NPS != nil || f.CSAT != nil || f.Complaints != 2 {
		t.Fatalf("empty: %+v", f)
	}
	// All promoters.
	f = Compute(Counts{NPSByScore: [11]int64{9: 2, 10: 3}})
	if Decimal(f.NPS, 1) != "100.0" || f.Promoters != 5 {
		t.Fatalf("all promoters: %+v", f)
	}
	// 3 promoters, 2 passives, 1 detractor: 100 × (3 − 1) / 6 = 33.33…
	f = Compute(Counts{NPSByScore: [11]int64{10: 3, 8: 1, 7: 1, 6: 1}})
	if Decimal(f.NPS, 1) != "33.3" || f.Detractors != 1 || f.Passives != 2 || f.NPSResponses != 6 {
		t.Fatalf("mixed: %+v nps %s", f, Decimal(f.NPS, 1))
	}
	// One detractor alone: −100.
	f = Compute(Counts{NPSByScore: [11]int64{0: 1}})
	if Decimal(f.NPS, 1) != "-100.0" {
		t.Fatalf("one detractor: %s", Decimal(f.NPS, 1))
	}
	// CSAT: 4–5 of all answers; 2 of 3 = 66.7.
	f = Compute(Counts{CSATByScore: [6]int64{5: 1, 4: 1, 2: 1}})
	if Decimal(f.CSAT, 1) != "66.7" || f.Satisfied != 2 || f.CSATResponses != 3 {
		t.Fatalf("csat: %+v", f)
	}
	if c := Change(big.NewRat(100, 3), big.NewRat(20, 1)); Decimal(c, 1) != "13.3" {
		t.Fatalf("change = %s", Decimal(c, 1))
	}
	if Change(nil, big.NewRat(1, 1)) != nil {
		t.Fatal("a change against no data must be null")
	}
}
