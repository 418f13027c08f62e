package health

// DefaultScorecard is the scorecard a new installation starts with, drawn from the
// domain brief's three groups of key customer behaviours (docs/health.md explains each
// measure). Signal measures an installation never sends are skipped, so the derived
// relationship measures score accounts out of the box.
func DefaultScorecard() Scorecard {
	lin := func(lo, hi float64) *Linear { return &Linear{Low: lo, High: hi} }
	return Scorecard{
		DisplayName: "Customer health",
		Description: "Product usage, marketing engagement and relationship, from the key customer behaviours.",
		IsDefault:   true,
		Definition: Definition{
			Bands: GradeBands{YellowFrom: 40, GreenFrom: 70},
			Measures: []Measure{
				// Product usage.
				{Key: "feature_adoption", DisplayName: "Feature adoption", Group: "product_usage", Source: "features_used",
					Aggregation: AggLast, WindowDays: 90, Linear: lin(0, 10), Weight: 15, Missing: MissingSkip},
				{Key: "usage_frequency", DisplayName: "Usage frequency (logins, 30 days)", Group: "product_usage", Source: "logins",
					Aggregation: AggSum, WindowDays: 30, Linear: lin(0, 60), Weight: 20, Missing: MissingSkip},
				{Key: "feature_requests", DisplayName: "New-feature requests (90 days)", Group: "product_usage", Source: "feature_requests",
					Aggregation: AggCount, WindowDays: 90, Bands: []Band{{0, 40}, {1, 70}, {3, 100}}, Weight: 5, Missing: MissingSkip},
				// Marketing engagement.
				{Key: "event_participation", DisplayName: "Event participation (180 days)", Group: "marketing_engagement", Source: "events_attended",
					Aggregation: AggCount, WindowDays: 180, Linear: lin(0, 4), Weight: 10, Missing: MissingSkip},
				{Key: "content_reads", DisplayName: "Content read rate (90 days)", Group: "marketing_engagement", Source: "content_read_rate",
					Aggregation: AggAverage, WindowDays: 90, Linear: lin(0, 0.6), Weight: 5, Missing: MissingSkip},
				{Key: "active_sharing", DisplayName: "Active sharing (180 days)", Group: "marketing_engagement", Source: "shares",
					Aggregation: AggCount, WindowDays: 180, Linear: lin(0, 3), Weight: 5, Missing: MissingSkip},
				// Relationship.
				{Key: "multi_level_contacts", DisplayName: "Multi-level contacts", Group: "relationship", Source: SourceContactLevels,
					Aggregation: AggLast, Linear: lin(0, 3), Weight: 10, Missing: MissingZero},
				{Key: "communication_recency", DisplayName: "Days since last interaction", Group: "relationship", Source: SourceInteractions,
					Aggregation: AggDaysSince, Linear: lin(0, 90), Inverted: true, Weight: 15, Missing: MissingZero},
				{Key: "communication_frequency", DisplayName: "Interactions (90 days)", Group: "relationship", Source: SourceInteractions,
					Aggregation: AggCount, WindowDays: 90, Linear: lin(0, 6), Weight: 10, Missing: MissingZero},
				{Key: "repurchases", DisplayName: "Repurchases (365 days)", Group: "relationship", Source: SourceRepurchases,
					Aggregation: AggCount, WindowDays: 365, Bands: []Band{{0, 30}, {1, 70}, {2, 100}}, Weight: 10, Missing: MissingSkip},
				{Key: "trust", DisplayName: "Trust (1–5, latest in a year)", Group: "relationship", Source: "trust_rating",
					Aggregation: AggLast, WindowDays: 365, Linear: lin(1, 5), Weight: 10, Missing: MissingSkip},
			},
		},
	}
}
