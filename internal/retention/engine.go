package retention

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// DefaultDefinition is the policy a new installation starts with (docs/retention.md
// explains each rule).
func DefaultDefinition() Definition {
	return Definition{
		TermDays:     365,
		AlertDueDays: 7,
		Playbook: []string{
			"Review the health score, its contributions and the latest interactions",
			"Reach the customer's key contact within two working days",
			"Find the cause: product fit, service, price or relationship",
			"Agree a recovery plan with the customer and record it as an interaction",
			"Close the alert with its outcome",
		},
		Rules: []Rule{
			{Key: "contract_ended", Label: Churned, Description: "The last closed deal's term has ended without a newer deal.",
				Conditions: []Condition{{Kind: CondContractEnded}}},
			{Key: "health_red", Label: AtRisk, Description: "The health grade in effect is RED.",
				Conditions: []Condition{{Kind: CondHealthGrade, Grades: []string{"RED"}}}},
			{Key: "detractor", Label: AtRisk, Description: "A contact answered NPS 0–6 or complained in the last 30 days.",
				Conditions: []Condition{{Kind: CondDetractor, Days: 30}}},
			{Key: "silence", Label: AtRisk, Description: "No interaction for more than 60 days.",
				Conditions: []Condition{{Kind: CondNoInteraction, Days: 60}}},
			{Key: "renewal_due", Label: AtRisk, Description: "The renewal is due within 60 days and no renewal deal is closed.",
				Conditions: []Condition{{Kind: CondRenewalDue, Days: 60}}},
			{Key: "newly_signed", Label: NewlySigned, Description: "The first deal closed within the last 90 days.",
				Conditions: []Condition{{Kind: CondFirstDealWithin, Days: 90}}},
			{Key: "expansion", Label: Expansion, Description: "Health GREEN and plan usage at 80 % or more in the last 30 days.",
				Conditions: []Condition{{Kind: CondHealthGrade, Grades: []string{"GREEN"}}, {Kind: CondSignalAtLeast, Measure: "plan_usage", AtLeast: 0.8, Days: 30}}},
		},
	}
}

// Measures returns the signal measures d's rules read.
func (d *Definition) Measures() []string {
	var out []string
	for _, r := range d.Rules {
		for _, c := range r.Conditions {
			if c.Kind == CondSignalAtLeast && !slices.Contains(out, c.Measure) {
				out = append(out, c.Measure)
			}
		}
	}
	return out
}

// Outcome is what the rules give one account.
type Outcome struct {
	Label   string // "" = not a customer
	RuleKey string // "" when no rule matched (IN_USE) or not a customer
	Facts   map[string]string
}

// Evaluate applies d to f at t. Only customers (a closed deal up to t) get a label.
// Rules are tried in RuleOrder by label, then in the policy's order; the first whose
// conditions all hold wins; a customer no rule matches is IN_USE.
func Evaluate(d *Definition, f *Facts, t time.Time) Outcome {
	if !f.Exists || f.LastDeal == nil {
		return Outcome{Facts: map[string]string{"customer": "false"}}
	}
	for _, label := range RuleOrder {
		for _, r := range d.Rules {
			if r.Label != label || r.Disabled {
				continue
			}
			facts := map[string]string{}
			ok := true
			for _, c := range r.Conditions {
				if !holds(d, c, f, t, facts) {
					ok = false
					break
				}
			}
			if ok {
				return Outcome{Label: label, RuleKey: r.Key, Facts: facts}
			}
		}
	}
	return Outcome{Label: InUse, Facts: map[string]string{"last_deal_date": day(*f.LastDeal)}}
}

// holds tests c and records the values it read in facts. Deal dates are calendar
// dates, compared with t's date (UTC); interactions and signals are instants.
func holds(d *Definition, c Condition, f *Facts, t time.Time, facts map[string]string) bool {
	today := t.UTC().Truncate(24 * time.Hour)
	switch c.Kind {
	case CondFirstDealWithin:
		facts["first_deal_date"] = day(*f.FirstDeal)
		facts["within_days"] = strconv.Itoa(c.Days)
		return !f.FirstDeal.Before(today.AddDate(0, 0, -c.Days))
	case CondNoInteraction:
		facts["silent_for_more_than_days"] = strconv.Itoa(c.Days)
		if f.LastInteraction == nil {
			facts["last_interaction_time"] = "none"
			return true
		}
		facts["last_interaction_time"] = f.LastInteraction.UTC().Format(time.RFC3339)
		return f.LastInteraction.Before(t.AddDate(0, 0, -c.Days)) // strictly more than Days
	case CondDetractor:
		facts["within_days"] = strconv.Itoa(c.Days)
		if f.LastDetractor == nil {
			facts["last_detractor_time"] = "none"
			return false
		}
		facts["last_detractor_time"] = f.LastDetractor.UTC().Format(time.RFC3339)
		return !f.LastDetractor.Before(t.AddDate(0, 0, -c.Days))
	case CondHealthGrade:
		facts["health_grade"] = f.Grade
		return f.Grade != "" && slices.Contains(c.Grades, f.Grade)
	case CondRenewalDue, CondContractEnded:
		renewal := f.LastDeal.AddDate(0, 0, d.TermDays)
		facts["last_deal_date"] = day(*f.LastDeal)
		facts["renewal_date"] = day(renewal)
		if c.Kind == CondContractEnded {
			return renewal.Before(today) // the last deal is more than TermDays old
		}
		facts["due_within_days"] = strconv.Itoa(c.Days)
		return !renewal.Before(today) && !renewal.After(today.AddDate(0, 0, c.Days))
	case CondSignalAtLeast:
		facts["measure"] = c.Measure
		facts["at_least"] = strconv.FormatFloat(c.AtLeast, 'g', -1, 64)
		v, ok := f.Signals[c.Measure]
		if !ok || (c.Days > 0 && v.Time.Before(t.AddDate(0, 0, -c.Days))) {
			facts["latest_value"] = "none"
			return false
		}
		facts["latest_value"] = strconv.FormatFloat(v.Value, 'g', -1, 64)
		return v.Value >= c.AtLeast
	}
	return false
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Validate checks a policy definition; it returns the problems found, each naming its
// field.
func (d *Definition) Validate() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if d.TermDays < 1 || d.TermDays > 3650 {
		add("policy.term_days", "must be between 1 and 3650")
	}
	if d.AlertDueDays < 1 || d.AlertDueDays > 365 {
		add("policy.alert_due_days", "must be between 1 and 365")
	}
	keys := map[string]bool{}
	for i, r := range d.Rules {
		f := fmt.Sprintf("policy.rules[%d]", i)
		if keys[r.Key] {
			add(f+".key", "duplicate rule key %q", r.Key)
		}
		keys[r.Key] = true
		if !slices.Contains(RuleOrder, r.Label) {
			add(f+".label", "must be one of %v (IN_USE is what no rule matching gives)", RuleOrder)
		}
		if len(r.Conditions) == 0 {
			add(f+".conditions", "a rule needs at least one condition")
		}
		for j, c := range r.Conditions {
			cf := fmt.Sprintf("%s.conditions[%d]", f, j)
			switch c.Kind {
			case CondFirstDealWithin, CondNoInteraction, CondRenewalDue, CondDetractor:
				if c.Days < 1 || c.Days > 3650 {
					add(cf+".days", "%s needs days between 1 and 3650", c.Kind)
				}
			case CondHealthGrade:
				if len(c.Grades) == 0 {
					add(cf+".grades", "%s needs at least one grade", c.Kind)
				}
				for _, g := range c.Grades {
					if g != "RED" && g != "YELLOW" && g != "GREEN" {
						add(cf+".grades", "unknown grade %q", g)
					}
				}
			case CondContractEnded:
			case CondSignalAtLeast:
				if c.Measure == "" {
					add(cf+".measure", "%s needs a signal measure", c.Kind)
				}
				if c.Days < 0 || c.Days > 3650 {
					add(cf+".days", "must be between 0 (any age) and 3650")
				}
			default:
				add(cf+".kind", "unknown condition kind %q", c.Kind)
			}
		}
	}
	return ps
}

// Problem is one thing wrong with a policy.
type Problem struct{ Field, Description string }
