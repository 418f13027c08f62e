package store

import (
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/furrowhq/furrow/internal/health"
)

// Stored contributions read back bit for bit, in the compact form and in the JSON
// fallback for keys holding a separator.
func TestContributionsRoundTrip(t *testing.T) {
	raw, tiny := 55.5, math.Nextafter(1, 2)
	for _, cs := range [][]health.Contribution{
		{
			{Measure: "usage", Group: "product_usage", Raw: &raw, Normalized: 100.0 / 3, Weight: 20, Points: 7.2727272727272725},
			{Measure: "trust", Group: "relationship", Normalized: 50, Weight: 2, Points: tiny, Missing: true},
			{Measure: "x", Group: "g", Weight: 1e-9, Missing: true, Skipped: true},
		},
		{{Measure: "odd|key;", Group: "g", Raw: &tiny, Normalized: 1, Weight: 1, Points: 1}},
		nil,
	} {
		got, err := decodeContributions(string(encodeContributions(cs)))
		if err != nil {
			t.Fatalf("decode(%v): %v", cs, err)
		}
		if !reflect.DeepEqual(got, cs) {
			t.Errorf("round trip\n got  %+v\n want %+v", got, cs)
		}
	}
	if _, err := decodeContributions("a|b|c"); err == nil {
		t.Error("a malformed row decoded")
	}
}

// The compact aggregate format decodes every field, NULLs and signs included.
func TestAggregateGroupParse(t *testing.T) {
	g := aggGroup{counts: make([]int64, 2), sums: make([]float64, 2),
		layout: []aggField{{'c', 0}, {'s', 0}, {'c', 1}, {'l', 0}}}
	keys := []string{"logins", "trust"}
	if err := g.parse([]byte("1,1764591234.123456,3,1.5e+15,0,-42"), keys); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 12, 1, 12, 13, 54, 123456000, time.UTC)
	if g.source != "trust" || !g.hasLatest || !g.latest.Equal(want) || g.counts[0] != 3 || g.sums[0] != 1.5e15 || g.counts[1] != 0 || !g.hasLast || g.last != -42 {
		t.Fatalf("parsed %+v", g)
	}
	if err := g.parse([]byte("0,,7,,2,"), keys); err != nil {
		t.Fatal(err)
	}
	if g.source != "logins" || g.hasLatest || g.counts[0] != 7 || g.sums[0] != 0 || g.counts[1] != 2 || g.hasLast {
		t.Fatalf("parsed %+v", g)
	}
	if err := g.parse([]byte("0,-1.500000,1,,1,9223372036854775807"), keys); err != nil || !g.latest.Equal(time.Unix(-1, -500000000)) || g.last != 9223372036854775807 {
		t.Fatalf("parsed %+v, %v", g, err)
	}
	for _, bad := range []string{"2,,1,,1,", "x,,1,,1,", "0,1.2x,1,,1,", "0,,1a,,1,"} {
		if err := g.parse([]byte(bad), keys); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// appendFloat writes what strconv's shortest 'g' form writes.
func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 15, 999999, 1e6, -1e6, 123456.5, 0.1, 1e-7, 66.66666666666666, math.MaxFloat64, math.Inf(1)} {
		if got, want := string(appendFloat(nil, f)), strconv.FormatFloat(f, 'g', -1, 64); got != want {
			t.Errorf("appendFloat(%v) = %q, want %q", f, got, want)
		}
	}
}
