package health

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/failure"
)

func TestNormalize(t *testing.T) {
	lin := &Linear{Low: 10, High: 20}
	bands := []Band{{Min: 0, Points: 20}, {Min: 5, Points: 60}, {Min: 10, Points: 100}}
	cases := []struct {
		name string
		m    Measure
		v    float64
		want float64
	}{
		{"linear below", Measure{Linear: lin}, 5, 0},
		{"linear low", Measure{Linear: lin}, 10, 0},
		{"linear mid", Measure{Linear: lin}, 12.5, 25},
		{"linear above", Measure{Linear: lin}, 99, 100},
		{"linear inverted", Measure{Linear: lin, Inverted: true}, 12.5, 75},
		{"bands below the first", Measure{Bands: bands}, -1, 0},
		{"bands first", Measure{Bands: bands}, 0, 20},
		{"bands between", Measure{Bands: bands}, 7, 60},
		{"bands at a min", Measure{Bands: bands}, 10, 100},
		{"bands inverted", Measure{Bands: bands, Inverted: true}, 7, 40},
	}
	for _, c := range cases {
		if got := normalize(c.m, c.v); got != c.want {
			t.Errorf("%s: normalize(%v) = %v, want %v", c.name, c.v, got, c.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	def := &Definition{
		Bands: GradeBands{YellowFrom: 40, GreenFrom: 70},
		Measures: []Measure{
			{Key: "sum", Source: "a", Aggregation: AggSum, WindowDays: 30, Linear: &Linear{Low: 0, High: 10}, Weight: 1, Missing: MissingSkip},
			{Key: "avg", Source: "a", Aggregation: AggAverage, WindowDays: 7, Linear: &Linear{Low: 0, High: 10}, Weight: 3, Missing: MissingSkip},
			{Key: "days", Source: "b", Aggregation: AggDaysSince, Linear: &Linear{Low: 0, High: 10}, Inverted: true, Weight: 2, Missing: MissingZero},
		},
	}
	plan := NewPlan(asOf, def)
	if len(plan.Queries) != 2 || len(plan.Queries[0].Froms) != 2 || len(plan.Queries[1].Froms) != 0 {
		t.Fatalf("plan = %+v", plan.Queries)
	}
	at := func(days int) time.Time { return asOf.AddDate(0, 0, -days) }
	t.Run("all present", func(t *testing.T) {
		in := &Inputs{Events: []EventAgg{
			{Any: true, Latest: at(1), Counts: []int64{4, 2}, Sums: []int64{8e6, 6e6}},
			{Any: true, Latest: at(3).Add(-time.Hour)},
		}}
		r, ok := plan.Evaluate(def, in, asOf)
		if !ok {
			t.Fatal("no score")
		}
		// sum 8 → 80; avg over 7 days 6/2 = 3 → 30; days since 3 (whole days) → 70.
		want := (80*1 + 30*3 + 70*2) / 6.0
		if r.Score != math.Round(want*100)/100 || r.Grade != GradeYellow {
			t.Errorf("score %v %s, want %v YELLOW", r.Score, r.Grade, want)
		}
		if *r.Contributions[2].Raw != 3 {
			t.Errorf("days since = %v, want 3", *r.Contributions[2].Raw)
		}
	})
	t.Run("skip re-weights", func(t *testing.T) {
		in := &Inputs{Events: []EventAgg{
			{Any: true, Latest: at(20), Counts: []int64{1, 0}, Sums: []int64{5e6, 0}}, // nothing in the 7-day window: avg missing
			{},
		}}
		r, ok := plan.Evaluate(def, in, asOf)
		if !ok {
			t.Fatal("no score")
		}
		c := r.Contributions
		if !c[1].Missing || !c[1].Skipped || c[1].Points != 0 || !c[2].Missing || c[2].Skipped {
			t.Errorf("contributions = %+v", c)
		}
		// sum 5 → 50 (weight 1), days missing → 0 (weight 2): (50 + 0) / 3.
		if r.Score != math.Round(50.0/3*100)/100 || r.Grade != GradeRed {
			t.Errorf("score = %v %s", r.Score, r.Grade)
		}
	})
	t.Run("no data at all", func(t *testing.T) {
		skipOnly := &Definition{Bands: def.Bands, Measures: def.Measures[:2]}
		if _, ok := NewPlan(asOf, skipOnly).Evaluate(skipOnly, &Inputs{Events: make([]EventAgg, 1)}, asOf); ok {
			t.Error("a score without any data")
		}
	})
}

func TestChoose(t *testing.T) {
	def := &Scorecard{ID: uuid.New(), IsDefault: true}
	key := &Scorecard{ID: uuid.New(), Tiers: []string{"KEY"}}
	keySoftware := &Scorecard{ID: uuid.New(), Tiers: []string{"KEY"}, Industries: []string{"software"}}
	retail := &Scorecard{ID: uuid.New(), Industries: []string{"retail"}}
	noSegment := &Scorecard{ID: uuid.New()}
	cards := []*Scorecard{def, key, retail, keySoftware, noSegment}
	cases := []struct {
		t    Target
		want *Scorecard
	}{
		{Target{Tier: "KEY", Industry: "software"}, keySoftware},
		{Target{Tier: "KEY", Industry: "retail"}, key}, // both rank 1: the oldest
		{Target{Tier: "SMALL", Industry: "retail"}, retail},
		{Target{Tier: "SMALL", Industry: "software"}, def},
	}
	for _, c := range cases {
		if got := Choose(cards, c.t); got != c.want {
			t.Errorf("Choose(%+v) = %v, want %v", c.t, got.ID, c.want.ID)
		}
	}
}

func TestTrend(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		change, change30 *float64
		want             string
	}{
		{nil, nil, ""},
		{f(5), nil, TrendImproving},
		{f(5), f(-3), TrendDeclining},
		{f(-9), f(0.5), TrendStable},
		{f(-1), nil, TrendDeclining},
	}
	for _, c := range cases {
		if got := trend(c.change, c.change30); got != c.want {
			t.Errorf("trend(%v, %v) = %q, want %q", c.change, c.change30, got, c.want)
		}
	}
}

func TestCheckScorecard(t *testing.T) {
	ok := DefaultScorecard()
	if err := checkScorecard(&ok); err != nil {
		t.Fatalf("default scorecard invalid: %v", err)
	}
	cases := []struct {
		name  string
		edit  func(c *Scorecard)
		field string
	}{
		{"no name", func(c *Scorecard) { c.DisplayName = " " }, "scorecard.display_name"},
		{"default with segment", func(c *Scorecard) { c.Tiers = []string{"KEY"} }, "scorecard.segment"},
		{"no measures", func(c *Scorecard) { c.Definition.Measures = nil }, "scorecard.measures"},
		{"bad bands", func(c *Scorecard) { c.Definition.Bands = GradeBands{YellowFrom: 70, GreenFrom: 40} }, "scorecard.grade_bands"},
		{"unknown derived", func(c *Scorecard) { c.Definition.Measures[0].Source = "furrow.nope" }, "scorecard.measures[0].source"},
		{"count source not LAST", func(c *Scorecard) { c.Definition.Measures[6].Aggregation = AggSum }, "scorecard.measures[6].aggregation"},
		{"window missing", func(c *Scorecard) { c.Definition.Measures[1].WindowDays = 0 }, "scorecard.measures[1].window_days"},
		{"bands not increasing", func(c *Scorecard) { c.Definition.Measures[2].Bands = []Band{{Min: 1}, {Min: 1}} }, "scorecard.measures[2].normalization.bands.bands[1].min"},
		{"no normalisation", func(c *Scorecard) { c.Definition.Measures[0].Linear = nil }, "scorecard.measures[0].normalization"},
	}
	for _, c := range cases {
		card := DefaultScorecard()
		c.edit(&card)
		err := checkScorecard(&card)
		f, isF := failure.As(err)
		if !isF || f.Kind != failure.Invalid || len(f.Violations) == 0 || f.Violations[0].Field != c.field {
			t.Errorf("%s: error = %v, want a violation of %s", c.name, err, c.field)
		} else if strings.TrimSpace(f.Violations[0].Description) == "" {
			t.Errorf("%s: no description", c.name)
		}
	}
}

func TestPlanWindows(t *testing.T) {
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	def := &Definition{Measures: []Measure{
		{Key: "a", Source: "logins", Aggregation: AggSum, WindowDays: 30},
		{Key: "b", Source: "logins", Aggregation: AggCount, WindowDays: 90},
		{Key: "c", Source: "logins", Aggregation: AggAverage, WindowDays: 90},
		{Key: "d", Source: "trust", Aggregation: AggLast, WindowDays: 90},
		{Key: "e", Source: "trust", Aggregation: AggLast, WindowDays: 365},
		{Key: "f", Source: "nps", Aggregation: AggLast, WindowDays: 30},
		{Key: "g", Source: "nps", Aggregation: AggLast}, // no window: the whole history
	}}
	p := NewPlan(asOf, def)
	if len(p.Queries) != 3 {
		t.Fatalf("queries = %+v", p.Queries)
	}
	logins, trust, nps := p.Queries[0], p.Queries[1], p.Queries[2]
	if len(logins.Froms) != 2 || !logins.Froms[0].Equal(asOf.AddDate(0, 0, -30)) || !logins.Sums[0] || !logins.Sums[1] {
		t.Errorf("logins: %+v (both windows need sums: SUM and AVERAGE)", logins)
	}
	if !trust.Last || !trust.LastSince.Equal(asOf.AddDate(0, 0, -365)) || len(trust.Froms) != 0 {
		t.Errorf("trust: %+v, want LAST since the wider window", trust)
	}
	if !nps.Last || !nps.LastSince.IsZero() {
		t.Errorf("nps: %+v, want LAST over the whole history", nps)
	}
	counted := NewPlan(asOf, &Definition{Measures: []Measure{{Key: "x", Source: "shares", Aggregation: AggCount, WindowDays: 180}}})
	if q := counted.Queries[0]; len(q.Sums) != 1 || q.Sums[0] {
		t.Errorf("a COUNT window needs no sum: %+v", q)
	}
}

// One Plan scores a batch's accounts from shared blocks: across block boundaries and
// accounts without a score, every result kept is the one a Plan of its own gives.
func TestEvaluateSharesBlocks(t *testing.T) {
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	card := DefaultScorecard()
	def := &card.Definition
	shared := NewPlan(asOf, def)
	inputs := func(i int) *Inputs {
		ev := make([]EventAgg, len(shared.Queries))
		if i%7 == 3 {
			return &Inputs{Events: ev} // no signal: the default card still scores the counts
		}
		for q := range ev {
			n := len(shared.Queries[q].Froms)
			ev[q] = EventAgg{Any: (i+q)%5 != 0, Latest: asOf.Add(-time.Duration(i*7+q) * time.Hour), LastValue: int64(i*100_000 + q),
				Counts: make([]int64, n), Sums: make([]int64, n)}
			for k := range n {
				ev[q].Counts[k], ev[q].Sums[k] = int64(i%(k+4)+1), int64(i*(k+1))*250_000
			}
		}
		return &Inputs{Events: ev, Counts: Counts{Contacts: int64(i % 6), Levels: int64(i % 4), Executives: int64(i % 3)}}
	}
	skipOnly := &Definition{Bands: def.Bands, Measures: []Measure{{Key: "k", Source: "logins", Aggregation: AggCount, WindowDays: 30,
		Linear: &Linear{Low: 0, High: 10}, Weight: 1, Missing: MissingSkip}}}
	type kept struct {
		i int
		r Result
	}
	var results []kept
	for i := range 3*evalBlock + 5 {
		if i%11 == 0 { // no score between scored accounts: its slots are given back
			if _, ok := shared.Evaluate(skipOnly, &Inputs{Events: make([]EventAgg, len(shared.Queries))}, asOf); ok {
				t.Fatal("a score without data")
			}
		}
		r, ok := shared.Evaluate(def, inputs(i), asOf)
		if !ok {
			t.Fatalf("account %d: no score", i)
		}
		results = append(results, kept{i, r})
	}
	for _, k := range results {
		want, _ := NewPlan(asOf, def).Evaluate(def, inputs(k.i), asOf)
		if k.r.Digest(card.ID, 1) != want.Digest(card.ID, 1) || len(k.r.Contributions) != len(want.Contributions) {
			t.Fatalf("account %d: %+v, want %+v", k.i, k.r, want)
		}
		for m, c := range k.r.Contributions {
			if w := want.Contributions[m]; (c.Raw == nil) != (w.Raw == nil) || c.Raw != nil && *c.Raw != *w.Raw {
				t.Fatalf("account %d, measure %d: raw %v, want %v", k.i, m, c.Raw, w.Raw)
			}
		}
	}
}
