package analytics

import (
	"fmt"
	"strings"
)

// The definitions each response carries, keyed by the figure's API field name, with
// the parameters used written in.

func rateTable(p InventoryParams) string {
	var parts []string
	for _, r := range p.Rates {
		if r.To == p.KeyThreshold.Currency {
			parts = append(parts, fmt.Sprintf("%s→%s %s", r.From, r.To, r.Text))
		}
	}
	if len(parts) == 0 {
		return "no conversion"
	}
	return strings.Join(parts, ", ")
}

func inventoryDefinitions(p InventoryParams) map[string]string {
	at := fmt.Sprintf("at_risk(a, T): a exists at T (create_time < T), has a closed deal dated before T, and its last interaction before T is strictly more than %s before T (or it has none)", days(p.AtRiskSilenceDays))
	ch := fmt.Sprintf("churned(a, T): a exists at T, has a closed deal dated before T, and its last one is dated strictly more than %s before T", days(p.ChurnDays))
	return map[string]string{
		"closed_customers":         "Q1a |CC|: live accounts of the segment with a closed (won) deal dated in [start, end)",
		"pooled_not_closed":        "Q1b |PN|: live accounts created before end 00:00Z with no closed deal dated before end",
		"repurchasing_customers":   "Q2 |RC|: accounts with a repurchase deal (a closed deal other than the account's first-ever deal by (close_date, id), across currencies) dated in the period",
		"repurchase_rate":          "Q3 = |RC| / |CC|, 4 places half-even; null when |CC| = 0",
		"currencies":               "per currency of the segment's closed deals dated before end",
		"first_deals":              "|FD_c|: accounts whose first-ever deal is dated in the period and is in currency c",
		"average_first_deal_minor": "Q4 = Σ amount(FD_c) / |FD_c|, minor units half-even; null when |FD_c| = 0",
		"repurchase_deals":         "|RD_c|: repurchase deals dated in the period in currency c",
		"average_repurchase_minor": "Q5 = Σ amount(RD_c) / |RD_c|, minor units half-even; null when |RD_c| = 0",
		"amount_repurchase_rate":   "Q6 = Q5 / Q4 on the exact means, 4 places half-even; null when either is null",
		"key_accounts": fmt.Sprintf("Q7: accounts existing at end whose closed deals dated in [end − %s, end), converted exactly into %s (%s), sum to at least %s %d minor units; deals in other currencies count 0",
			days(p.KeyWindowDays), p.KeyThreshold.Currency, rateTable(p), p.KeyThreshold.Currency, p.KeyThreshold.Minor),
		"key_account_cadence": fmt.Sprintf("Q8: key accounts by interactions (any kind) in [end 00:00Z − %s, end 00:00Z): HIGH ≥ %d, MID 1–%d, LOW 0",
			days(p.CadenceWindowDays), p.CadenceHighMin, p.CadenceHighMin-1),
		"at_risk":                "Q9: accounts with at_risk(a, end 00:00Z); " + at,
		"at_risk_recovered":      "Q10: accounts with at_risk(a, start 00:00Z) and not at_risk(a, end 00:00Z); " + at,
		"churned":                "Q11: accounts with churned(a, end); " + ch,
		"churned_won_back":       "Q12: accounts with churned(a, start) and a closed deal dated in the period; " + ch,
		"unconverted_currencies": "currencies of the segment's deals before end with no rate into the threshold's currency: left out of Q7",
	}
}

func valueDefinitions(p ValueParams) map[string]string {
	return map[string]string{
		"previous_period":                 "the period of equal length just before the period",
		"closed_customers":                "|CC| (Q1a) of the period, across currencies",
		"repurchase_rate":                 "Q3 = |RC| / |CC|, 4 places half-even; null when |CC| = 0",
		"average_repurchase_minor":        "Q5 in the currency: mean repurchase deal amount, minor units half-even; null when none",
		"existing_customer_revenue_minor": "|CC| × repurchase rate × average repurchase (= |RC| × average repurchase), exact, rounded once half-even to minor units; null when the rate or the average is null",
		"change":                          "current − previous per factor on exact values, rounded once; null when either is null",
		"existing_customer_revenue_ratio": "current / previous existing-customer revenue − 1, 4 places; null when either is null or the previous is 0",
		"deals":                           fmt.Sprintf("|DW_c|: closed deals in the currency dated in [end − %s, end)", days(p.LTVWindowDays)),
		"customers":                       "|K_c|: the accounts owning those deals",
		"revenue_minor":                   "Σ amount(DW_c)",
		"average_deal_value_minor":        "Σ amount(DW_c) / |DW_c|, minor units half-even",
		"purchase_frequency":              fmt.Sprintf("|DW_c| / |K_c| deals per customer per %s window, 4 places", days(p.LTVWindowDays)),
		"lifetime_years":                  fmt.Sprintf("the lifetime parameter (%d years)", p.LifetimeYears),
		"ltv_minor":                       fmt.Sprintf("average deal value × purchase frequency × %d on exact values (= %d × Σ / |K_c|), minor units half-even; null with every factor when |DW_c| = 0", p.LifetimeYears, p.LifetimeYears),
	}
}

func kpiDefinitions(promoterMin, detractorMax int) map[string]string {
	return map[string]string{
		"repurchase_rate":   "Q3 = |RC| / |CC|, 4 places half-even; null when |CC| = 0",
		"repurchase_amount": "Σ amount of the period's repurchase deals (closed deals other than the account's first-ever), per currency; 0 when none",
		"customer_revenue":  "Σ amount of all the period's closed deals, per currency; 0 when none",
		"nps": fmt.Sprintf("100 × (promoters (score ≥ %d) − detractors (score ≤ %d)) / responses of the segment's accounts in [start 00:00Z, end 00:00Z), exact, rounded once half-even to 1 place; null when there is no response; null with survey_data_available false while Furrow records no survey responses",
			promoterMin, detractorMax),
	}
}

func funnelDefinitions() map[string]string {
	return map[string]string{
		"entered":              "entered(a, s): the earliest stage-change row of a into s with change_time before end 00:00Z (every account has a row for its initial stage, at creation)",
		"cohort_size":          "|C|: live accounts of the segment with start 00:00Z ≤ entered(a, EXPOSURE) < end 00:00Z",
		"reached":              "cohort accounts with entered(a, s) defined (a skipped stage is not reached)",
		"conversion_to_next":   "reached(next) / reached(s), 4 places half-even; null when reached(s) = 0 and for the last stage",
		"drop_off_to_next":     "reached(s) − reached(next); null for the last stage",
		"left_stage":           "cohort accounts that entered s and entered the next stage at or after entering s, before end 00:00Z",
		"median_days_in_stage": "median of (entered(a, next) − entered(a, s)) / 86400 s over the accounts that left s (even count: mean of the two middle values), exact, 4 places half-even; null when none left s and for the last stage",
	}
}
