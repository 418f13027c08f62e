package retention

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestEvaluate(t *testing.T) {
	def := DefaultDefinition()
	at := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	recent := at.AddDate(0, 0, -3)
	usage := map[string]SignalValue{"plan_usage": {Value: 0.85, Time: at.AddDate(0, 0, -2)}}
	cases := []struct {
		name      string
		f         Facts
		label     string
		rule      string
		factKey   string
		factValue string
	}{
		{"prospect: no closed deal", Facts{Exists: true}, "", "", "customer", "false"},
		{"not created yet", Facts{Exists: false, FirstDeal: date(2025, 1, 1), LastDeal: date(2025, 1, 1)}, "", "", "customer", "false"},
		{"contract ended: last deal 366 days back", Facts{Exists: true, FirstDeal: date(2024, 1, 1), LastDeal: date(2025, 3, 31), LastInteraction: &recent},
			Churned, "contract_ended", "renewal_date", "2026-03-31"},
		{"exactly at the term's end is not churned but due", Facts{Exists: true, FirstDeal: date(2024, 1, 1), LastDeal: date(2025, 4, 1), LastInteraction: &recent},
			AtRisk, "renewal_due", "renewal_date", "2026-04-01"},
		{"red beats newly signed", Facts{Exists: true, FirstDeal: date(2026, 3, 1), LastDeal: date(2026, 3, 1), LastInteraction: &recent, Grade: "RED"},
			AtRisk, "health_red", "health_grade", "RED"},
		{"silence of more than 60 days", Facts{Exists: true, FirstDeal: date(2025, 10, 1), LastDeal: date(2025, 10, 1), LastInteraction: timePtr(at.AddDate(0, 0, -61))},
			AtRisk, "silence", "silent_for_more_than_days", "60"},
		{"nobody ever talked to the customer", Facts{Exists: true, FirstDeal: date(2025, 10, 1), LastDeal: date(2025, 10, 1)},
			AtRisk, "silence", "last_interaction_time", "none"},
		{"silence of exactly 60 days is fine", Facts{Exists: true, FirstDeal: date(2025, 12, 1), LastDeal: date(2025, 12, 1), LastInteraction: timePtr(at.AddDate(0, 0, -60))},
			InUse, "", "last_deal_date", "2025-12-01"},
		{"a detractor answer within 30 days", Facts{Exists: true, FirstDeal: date(2025, 6, 1), LastDeal: date(2025, 12, 1), LastInteraction: &recent, Grade: "GREEN",
			LastDetractor: timePtr(at.AddDate(0, 0, -30))}, AtRisk, "detractor", "within_days", "30"},
		{"an older detractor answer does not count", Facts{Exists: true, FirstDeal: date(2025, 6, 1), LastDeal: date(2025, 12, 1), LastInteraction: &recent,
			LastDetractor: timePtr(at.AddDate(0, 0, -31))}, InUse, "", "", ""},
		{"newly signed within 90 days", Facts{Exists: true, FirstDeal: date(2026, 1, 1), LastDeal: date(2026, 1, 1), LastInteraction: &recent, Grade: "GREEN", Signals: usage},
			NewlySigned, "newly_signed", "first_deal_date", "2026-01-01"},
		{"expansion: green and near the plan limit", Facts{Exists: true, FirstDeal: date(2025, 6, 1), LastDeal: date(2025, 12, 1), LastInteraction: &recent, Grade: "GREEN", Signals: usage},
			Expansion, "expansion", "latest_value", "0.85"},
		{"green without usage data is in use", Facts{Exists: true, FirstDeal: date(2025, 6, 1), LastDeal: date(2025, 12, 1), LastInteraction: &recent, Grade: "GREEN"},
			InUse, "", "", ""},
		{"stale usage does not count", Facts{Exists: true, FirstDeal: date(2025, 6, 1), LastDeal: date(2025, 12, 1), LastInteraction: &recent, Grade: "GREEN",
			Signals: map[string]SignalValue{"plan_usage": {Value: 0.95, Time: at.AddDate(0, 0, -31)}}}, InUse, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Evaluate(&def, &c.f, at)
			if o.Label != c.label || o.RuleKey != c.rule {
				t.Fatalf("got %q by %q (facts %v), want %q by %q", o.Label, o.RuleKey, o.Facts, c.label, c.rule)
			}
			if c.factKey != "" && o.Facts[c.factKey] != c.factValue {
				t.Errorf("fact %s = %q, want %q (all: %v)", c.factKey, o.Facts[c.factKey], c.factValue, o.Facts)
			}
			// Deterministic: the same facts give the same outcome.
			if again := Evaluate(&def, &c.f, at); again.Label != o.Label || again.RuleKey != o.RuleKey {
				t.Errorf("second evaluation differs: %v", again)
			}
		})
	}
}

func timePtr(t time.Time) *time.Time { return &t }

func TestEvaluateOrderAndDisabled(t *testing.T) {
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	f := Facts{Exists: true, FirstDeal: date(2026, 3, 1), LastDeal: date(2026, 3, 1), Grade: "RED"}
	def := Definition{TermDays: 365, AlertDueDays: 7, Rules: []Rule{
		// Listed first, but NEWLY_SIGNED comes after AT_RISK in the fixed order.
		{Key: "new", Label: NewlySigned, Conditions: []Condition{{Kind: CondFirstDealWithin, Days: 90}}},
		{Key: "red", Label: AtRisk, Conditions: []Condition{{Kind: CondHealthGrade, Grades: []string{"RED"}}}},
	}}
	if o := Evaluate(&def, &f, at); o.RuleKey != "red" {
		t.Fatalf("got rule %q, want red (AT_RISK is evaluated before NEWLY_SIGNED)", o.RuleKey)
	}
	def.Rules[1].Disabled = true
	if o := Evaluate(&def, &f, at); o.RuleKey != "new" || o.Label != NewlySigned {
		t.Fatalf("with red disabled got %q/%q, want new/NEWLY_SIGNED", o.RuleKey, o.Label)
	}
}

func TestValidate(t *testing.T) {
	d0 := DefaultDefinition()
	if ps := d0.Validate(); len(ps) != 0 {
		t.Fatalf("default policy invalid: %v", ps)
	}
	def := Definition{TermDays: 0, AlertDueDays: 7, Rules: []Rule{
		{Key: "a", Label: InUse, Conditions: []Condition{{Kind: CondNoInteraction}}},
		{Key: "a", Label: AtRisk, Conditions: []Condition{{Kind: "NOPE"}, {Kind: CondHealthGrade, Grades: []string{"BLUE"}}, {Kind: CondSignalAtLeast}}},
		{Key: "b", Label: Churned},
	}}
	want := map[string]bool{
		"policy.term_days": true, "policy.rules[0].label": true, "policy.rules[0].conditions[0].days": true,
		"policy.rules[1].key": true, "policy.rules[1].conditions[0].kind": true, "policy.rules[1].conditions[1].grades": true,
		"policy.rules[1].conditions[2].measure": true, "policy.rules[2].conditions": true,
	}
	got := map[string]bool{}
	for _, p := range def.Validate() {
		got[p.Field] = true
	}
	for f := range want {
		if !got[f] {
			t.Errorf("no problem reported for %s (got %v)", f, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems for %v, want exactly %v", got, want)
	}
}
