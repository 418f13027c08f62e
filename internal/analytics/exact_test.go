package analytics

import (
	"math/big"
	"testing"
	"time"
)

func TestDecimalHalfEven(t *testing.T) {
	for _, c := range []struct {
		num, den int64
		places   int
		want     string
	}{
		{1, 2, 0, "0"}, {3, 2, 0, "2"}, {5, 2, 0, "2"}, {-5, 2, 0, "-2"}, {-7, 2, 0, "-4"},
		{2, 3, 4, "0.6667"}, {1, 3, 4, "0.3333"}, {4, 5, 4, "0.8000"},
		{125, 100000, 4, "0.0012"}, {135, 100000, 4, "0.0014"}, {-125, 100000, 4, "-0.0012"},
		{1, 20, 1, "0.0"}, {3, 20, 1, "0.2"}, {-100, 3, 1, "-33.3"}, {0, 1, 4, "0.0000"},
		{1252_5, 10, 0, "1252"}, {1253_5, 10, 0, "1254"}, {100, 1, 4, "100.0000"},
	} {
		if got := Decimal(big.NewRat(c.num, c.den), c.places); got != c.want {
			t.Errorf("Decimal(%d/%d, %d) = %s, want %s", c.num, c.den, c.places, got, c.want)
		}
	}
}

func TestKeyFactors(t *testing.T) {
	p, err := InventoryParams{Rates: []Rate{
		{From: "USD", To: "CNY", Rate: big.NewRat(71, 10), Text: "7.10"},
		{From: "EUR", To: "CNY", Rate: big.NewRat(7_712_345, 1_000_000), Text: "7.712345"},
	}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	f, thr, err := p.keyFactors()
	if err != nil {
		t.Fatal(err)
	}
	// 7.712345 = 1 542 469 / 200 000, so scale = lcm(10, 200 000) = 200 000.
	if f["CNY"] != 200_000 || f["USD"] != 1_420_000 || f["EUR"] != 1_542_469 || len(f) != 3 || thr != 100_000_000*200_000 {
		t.Errorf("factors %v threshold %d", f, thr)
	}
}

func TestParams(t *testing.T) {
	if _, err := (InventoryParams{Rates: []Rate{{From: "CNY", To: "USD", Rate: big.NewRat(14, 100), Text: "0.14"}}}).withDefaults(); err == nil {
		t.Error("a rate not into the threshold's currency accepted")
	}
	if p, err := (InventoryParams{KeyThreshold: Money{Currency: "USD", Minor: 1}}).withDefaults(); err != nil || len(p.Rates) != 0 {
		t.Errorf("a USD threshold gets no default rates: %v %v", p.Rates, err)
	}
	if _, err := (InventoryParams{CadenceHighMin: 1}).withDefaults(); err == nil {
		t.Error("HIGH from 1 interaction leaves no MID: want an error")
	}
	if _, err := (InventoryParams{KeyThreshold: Money{Currency: "CNY", Minor: -1}}).withDefaults(); err == nil {
		t.Error("negative threshold accepted")
	}
	six, seven := 6, 7
	if _, _, err := (KPIParams{PromoterMin: &six, DetractorMax: &seven}).resolved(); err == nil {
		t.Error("promoters below detractors accepted")
	}
	if err := checkPeriod(Period{Start: day0(2026, 1, 1), End: day0(2036, 2, 1)}); err == nil {
		t.Error("121-month period accepted")
	}
	if err := checkPeriod(Period{Start: day0(2026, 1, 1), End: day0(2036, 1, 31)}); err != nil {
		t.Errorf("120-month period: %v", err)
	}
	if got := (Period{Start: day0(2026, 1, 1), End: day0(2026, 4, 1)}).Previous(); got.Start != day0(2025, 10, 3) || got.End != day0(2026, 1, 1) {
		t.Errorf("previous = %v", got)
	}
}

func day0(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
