package store

import (
	"math"
	"reflect"
	"testing"

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
