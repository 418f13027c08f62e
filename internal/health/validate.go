package health

import (
	"fmt"
	"slices"
	"strings"

	"github.com/furrowhq/furrow/internal/failure"
)

// checkScorecard checks what the proto rules cannot: required parts, derived sources
// that exist, aggregations that fit their source, bands in order.
func checkScorecard(c *Scorecard) error {
	var vs []failure.Violation
	bad := func(field, format string, args ...any) {
		vs = append(vs, failure.Violation{Field: "scorecard." + field, Description: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.DisplayName) == "" {
		bad("display_name", "display_name is required")
	}
	if c.IsDefault && (len(c.Tiers) > 0 || len(c.Industries) > 0) {
		bad("segment", "the default scorecard scores every account no segment scorecard targets, so it cannot have a segment")
	}
	d := &c.Definition
	if len(d.Measures) == 0 {
		bad("measures", "at least one measure is required")
	}
	if d.Bands.YellowFrom <= 0 || d.Bands.GreenFrom <= d.Bands.YellowFrom || d.Bands.GreenFrom > 100 {
		bad("grade_bands", "grade_bands are required: 0 < yellow_from < green_from ≤ 100 (e.g. 40 and 70)")
	}
	for i, m := range d.Measures {
		f := fmt.Sprintf("measures[%d].", i)
		if m.Key == "" {
			bad(f+"key", "key is required")
		}
		if m.Group == "" {
			bad(f+"group", "group is required (e.g. product_usage, marketing_engagement, relationship)")
		}
		switch {
		case m.Source == "":
			bad(f+"source", "source is required: a signal measure key or a furrow.* derived measure")
		case strings.HasPrefix(m.Source, "furrow.") && !slices.Contains(DerivedEventSources, m.Source) && !isCountSource(m.Source):
			bad(f+"source", "unknown derived measure %q; derived measures are %s", m.Source,
				strings.Join(append(slices.Clone(DerivedEventSources), CountSources...), ", "))
		case isCountSource(m.Source) && m.Aggregation != AggLast:
			bad(f+"aggregation", "%s is a current count, so its aggregation must be LAST", m.Source)
		case !isCountSource(m.Source) && m.Aggregation != AggDaysSince && m.WindowDays <= 0:
			bad(f+"window_days", "window_days is required (1 to 3650) for %s", m.Aggregation)
		}
		if m.Weight <= 0 {
			bad(f+"weight", "weight must be greater than 0")
		}
		switch {
		case m.Linear == nil && len(m.Bands) == 0:
			bad(f+"normalization", "normalization is required: linear or bands")
		case m.Linear != nil && m.Linear.Low >= m.Linear.High:
			bad(f+"normalization.linear", "low must be less than high")
		}
		for j := 1; j < len(m.Bands); j++ {
			if m.Bands[j].Min <= m.Bands[j-1].Min {
				bad(fmt.Sprintf("%snormalization.bands.bands[%d].min", f, j), "band mins must be strictly increasing")
				break
			}
		}
	}
	return failure.InvalidFields(vs)
}
