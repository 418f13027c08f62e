package store

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/health"
)

// Stored contributions read back bit for bit, without the measures' names (the store
// fills them from the scorecard version), and rows written in the earlier forms (with
// names; JSON for names holding a separator) still read.
func TestContributionsRoundTrip(t *testing.T) {
	raw, tiny := 55.5, math.Nextafter(1, 2)
	cs := []health.Contribution{
		{Raw: &raw, Normalized: 100.0 / 3, Weight: 20, Points: 7.2727272727272725},
		{Normalized: 50, Weight: 2, Points: tiny, Missing: true},
		{Weight: 1e-9, Missing: true, Skipped: true},
		{Raw: &tiny, Normalized: -0.5, Weight: 1, Points: 1e-300},
	}
	text := string(encodeContributions(cs))
	if want := "55.5|33.333333333333336|20|7.2727272727272725|;|50|2|1.0000000000000002|m;|0|1e-09|0|ms;1.0000000000000002|-0.5|1|1e-300|"; text != want {
		t.Errorf("encoded %q, want %q", text, want)
	}
	got, named, err := decodeContributions(text)
	if err != nil || named || !reflect.DeepEqual(got, cs) {
		t.Errorf("round trip: named %v, %v\n got  %+v\n want %+v", named, err, got, cs)
	}
	if got, named, err := decodeContributions(""); err != nil || !named || got != nil {
		t.Errorf("empty: %v %v %v", got, named, err)
	}
	old := []health.Contribution{
		{Measure: "usage", Group: "product_usage", Raw: &raw, Normalized: 100.0 / 3, Weight: 20, Points: 7.2727272727272725},
		{Measure: "trust", Group: "relationship", Normalized: 50, Weight: 2, Points: tiny, Missing: true},
	}
	for _, text := range []string{
		"usage|product_usage|55.5|33.333333333333336|20|7.2727272727272725|;trust|relationship||50|2|1.0000000000000002|m",
		`[{"measure":"usage","group":"product_usage","raw":55.5,"normalized":33.333333333333336,"weight":20,"points":7.2727272727272725},` +
			`{"measure":"trust","group":"relationship","normalized":50,"weight":2,"points":1.0000000000000002,"missing":true}]`,
	} {
		got, named, err := decodeContributions(text)
		if err != nil || !named || !reflect.DeepEqual(got, old) {
			t.Errorf("earlier form %q: named %v, %v\n got  %+v\n want %+v", text, named, err, got, old)
		}
	}
	for _, bad := range []string{"a|b|c", "|1|1|1|;a|b||1|1|1|", "x|1|1|1|"} {
		if _, _, err := decodeContributions(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
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

// The current rows' COPY writer writes, field for field, what the generic writer
// writes for scoreRow's values: one per column, the same text.
func TestCurrentCopier(t *testing.T) {
	at := time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC)
	change, change30, override, expire, job := -1.25, 1.0/3, uuid.New(), at.Add(time.Hour), uuid.New()
	raw := 0.1 + 0.2
	cs := []health.Contribution{{Raw: &raw, Normalized: 50, Weight: 2, Points: 1e-9}, {Normalized: 0, Weight: 1, Missing: true}}
	rows := []struct {
		c *health.Current
		s *health.Score
	}{
		{&health.Current{Account: uuid.New(), ScoreID: uuid.New(), Scorecard: uuid.New(), Version: 3, Computed: 55.5, Grade: health.GradeYellow, Time: at,
			Trend: health.TrendStable, Effective: 55.5, EffGrade: health.GradeYellow, Digest: "d"}, &health.Score{Result: health.Result{Contributions: cs}}},
		{&health.Current{Account: uuid.New(), ScoreID: uuid.New(), Scorecard: uuid.New(), Version: 1, Computed: math.Inf(1), Grade: "g\t\n", Time: at.Add(time.Second),
			Change: &change, Change30d: &change30, Trend: health.TrendDeclining, Effective: math.Copysign(0, -1), EffGrade: health.GradeRed, Digest: "a\\b\r",
			OverrideID: &override, OverrideExpire: &expire}, &health.Score{Job: &job, Result: health.Result{Contributions: cs[:1]}}},
	}
	var cc currentCopier
	for _, r := range rows {
		var got, want copyWriter
		cc.row(&got, r.c, r.s)
		for _, v := range scoreRow(r.c, r.s) {
			writeValue(&want, v)
		}
		if string(got.b) != string(want.b) {
			t.Errorf("currentCopier wrote\n%q, the generic writer\n%q", got.b, want.b)
		}
		if n := strings.Count(string(got.b), "\t") + 1; n != len(currentCols)+len(currentScoreCols) {
			t.Errorf("%d fields for %d columns", n, len(currentCols)+len(currentScoreCols))
		}
	}
}

// writeValue writes v, one of the types currentRow returns (nil for NULL), through the
// generic writers: the reference currentCopier is held to.
func writeValue(w *copyWriter, v any) {
	switch v := v.(type) {
	case nil:
		w.null()
	case uuid.UUID:
		w.uuid(v)
	case time.Time:
		w.time(v)
	case float64:
		w.float(v)
	case int64:
		w.int(v)
	case bool:
		w.bool(v)
	case string:
		w.text(v)
	default:
		panic(fmt.Sprintf("store: no COPY encoding for %T", v))
	}
}

// uuidDest reads the driver's forms of a uuid as google/uuid's Scan does, and refuses
// what is not one.
func TestUUIDDest(t *testing.T) {
	want := uuid.MustParse("01a236c9-8cca-7485-9e25-6d0004a23da9")
	for _, src := range []any{[]byte(want.String()), want.String(), want[:]} {
		var got uuid.UUID
		if err := (uuidDest{&got}).Scan(src); err != nil || got != want {
			t.Errorf("Scan(%T %v) = %s, %v; want %s", src, src, got, err, want)
		}
	}
	var got uuid.UUID
	if err := (uuidDest{&got}).Scan([]byte("01a236c9-8cca-7485-9e25-6d0004a23dzz")); err == nil {
		t.Errorf("a bad uuid scanned as %s", got)
	}
}
