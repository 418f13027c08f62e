package account

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/furrowhq/furrow/internal/failure"
)

// The proto rules check formats at the edge; these rules are the domain's own, and hold
// for every caller (updates by mask, imports, partner sync).

func normalizeAccount(a *Account) {
	for _, p := range []*string{&a.DisplayName, &a.TaxID, &a.Domain, &a.Industry, &a.Region} {
		*p = strings.TrimSpace(*p)
	}
	labels := a.Labels[:0:0]
	for _, l := range a.Labels {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	slices.Sort(labels)
	a.Labels = slices.Compact(labels)
	if len(a.ExternalIDs) == 0 {
		a.ExternalIDs = nil
	}
}

func validateAccount(a *Account, prefix string) []failure.Violation {
	var vs []failure.Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, failure.Violation{Field: prefix + field, Description: fmt.Sprintf(format, args...)})
	}
	if a.DisplayName == "" {
		add("display_name", "display_name is required")
	}
	checkLen(add, "display_name", a.DisplayName, 200)
	checkLen(add, "tax_id", a.TaxID, 64)
	checkLen(add, "domain", a.Domain, 253)
	checkLen(add, "industry", a.Industry, 100)
	checkLen(add, "region", a.Region, 100)
	if a.TaxID != "" && NormalizeTaxID(a.TaxID) == "" {
		add("tax_id", "tax_id %q has no letters or digits", a.TaxID)
	}
	if a.Domain != "" && NormalizeDomain(a.Domain) == "" {
		add("domain", "domain %q is not a domain", a.Domain)
	}
	if len(a.Labels) > 50 {
		add("labels", "at most 50 labels, got %d", len(a.Labels))
	}
	for _, l := range a.Labels {
		checkLen(add, "labels", l, 64)
	}
	if len(a.ExternalIDs) > 20 {
		add("external_ids", "at most 20 external ids, got %d", len(a.ExternalIDs))
	}
	for k, v := range a.ExternalIDs {
		if k == "" || v == "" {
			add("external_ids", "external ids need a system and an id, got %q: %q", k, v)
		}
	}
	enum(add, "size", a.Size, Sizes)
	enum(add, "revenue_tier", a.RevenueTier, RevenueTiers)
	enum(add, "strategic_role", a.StrategicRole, StrategicRoles)
	enum(add, "activity_status", a.ActivityStatus, ActivityStatuses)
	enum(add, "funnel_stage", a.FunnelStage, FunnelStages)
	if a.ActivityStatus == "" {
		add("activity_status", "activity_status cannot be unspecified")
	}
	if a.FunnelStage == "" {
		add("funnel_stage", "funnel_stage cannot be unspecified")
	}
	return vs
}

func checkLen(add func(string, string, ...any), field, v string, max int) {
	if n := utf8.RuneCountInString(v); n > max {
		add(field, "%s is %d characters long; at most %d", field, n, max)
	}
}

func enum(add func(string, string, ...any), field, v string, values []string) {
	if !validEnum(v, values) {
		add(field, "%s %q is not one of %s", field, v, strings.Join(values, ", "))
	}
}

func normalizeContact(c *Contact) {
	for _, p := range []*string{&c.DisplayName, &c.Title, &c.Email, &c.Phone} {
		*p = strings.TrimSpace(*p)
	}
	c.Email = strings.ToLower(c.Email)
}

func validateContact(c *Contact, prefix string) []failure.Violation {
	var vs []failure.Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, failure.Violation{Field: prefix + field, Description: fmt.Sprintf(format, args...)})
	}
	if c.DisplayName == "" {
		add("display_name", "display_name is required")
	}
	checkLen(add, "display_name", c.DisplayName, 200)
	checkLen(add, "title", c.Title, 200)
	checkLen(add, "email", c.Email, 254)
	if c.Email != "" && (!strings.Contains(c.Email, "@") || strings.HasPrefix(c.Email, "@") || strings.HasSuffix(c.Email, "@")) {
		add("email", "email %q is not an email address", c.Email)
	}
	checkLen(add, "phone", c.Phone, 32)
	enum(add, "seniority_level", c.SeniorityLevel, SeniorityLevels)
	enum(add, "decision_role", c.DecisionRole, DecisionRoles)
	enum(add, "attitude", c.Attitude, Attitudes)
	return vs
}

func validateDeal(d *Deal, prefix string) []failure.Violation {
	var vs []failure.Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, failure.Violation{Field: prefix + field, Description: fmt.Sprintf(format, args...)})
	}
	d.Product = strings.TrimSpace(d.Product)
	if len(d.Amount.CurrencyCode) != 3 || strings.ToUpper(d.Amount.CurrencyCode) != d.Amount.CurrencyCode {
		add("amount.currency_code", "currency_code %q is not an ISO 4217 code such as CNY or USD", d.Amount.CurrencyCode)
	}
	if d.Amount.MinorUnits <= 0 {
		add("amount.minor_units", "amount must be positive, got %d", d.Amount.MinorUnits)
	}
	if d.CloseDate.IsZero() {
		add("close_date", "close_date is required")
	} else if y := d.CloseDate.Year(); y < 1900 || y > 2200 {
		add("close_date", "close_date year %d is out of range", y)
	}
	checkLen(add, "product", d.Product, 200)
	enum(add, "kind", d.Kind, DealKinds)
	enum(add, "status", d.Status, DealStatuses)
	return vs
}

func validateInteraction(i *Interaction, prefix string, now time.Time) []failure.Violation {
	var vs []failure.Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, failure.Violation{Field: prefix + field, Description: fmt.Sprintf(format, args...)})
	}
	i.Summary = strings.TrimSpace(i.Summary)
	if i.Kind == "" {
		add("kind", "kind is required")
	}
	enum(add, "kind", i.Kind, InteractionKinds)
	if i.OccurTime.IsZero() {
		add("occur_time", "occur_time is required")
	} else if i.OccurTime.After(now.Add(24 * time.Hour)) {
		add("occur_time", "occur_time %s is more than a day in the future", i.OccurTime.Format(time.RFC3339))
	} else if i.OccurTime.Year() < 1900 {
		add("occur_time", "occur_time year %d is out of range", i.OccurTime.Year())
	}
	if i.Summary == "" {
		add("summary", "summary is required")
	}
	checkLen(add, "summary", i.Summary, 5000)
	if len(i.Participants) > 50 {
		add("participants", "at most 50 participants, got %d", len(i.Participants))
	}
	return vs
}
