package seed

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/retention"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/survey"
	"github.com/furrowhq/furrow/internal/testdb"
)

// all pages through a List call.
func all[T any](t *testing.T, list func(token string) (*account.Page[T], error)) []T {
	t.Helper()
	var out []T
	token := ""
	for {
		p, err := list(token)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Items...)
		if p.NextPageToken == "" {
			return out
		}
		token = p.NextPageToken
	}
}

func TestRun(t *testing.T) {
	testdb.Each(t, testRun)
}

func testRun(t *testing.T, db *database.DB) {
	ctx := context.Background()
	s := store.New(db)
	svc, hs := account.NewService(s, nil), health.NewService(s, health.Options{})
	rs := retention.NewService(s, retention.Options{})
	surveys, audits, library := survey.NewService(s, survey.Options{}), audit.NewService(s, nil), cases.NewService(s, cases.Options{})
	opt := Options{Accounts: 40, Seed: 1, Retention: rs, Surveys: surveys, Audits: audits, Cases: library}

	start := time.Now()
	st, err := run(ctx, svc, hs, opt, start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first run: %+v", st)
	// Every seeded account has a state, and the labels are spread: customers in
	// several stages of their lifecycle, and prospects without a label.
	labelled := 0
	for _, n := range st.Labels {
		labelled += n
	}
	if labelled != 40 || len(st.Labels) < 4 || st.Labels[""] == 0 || st.Labels[retention.AtRisk] == 0 {
		t.Errorf("Labels = %v; want all 40 accounts over at least 4 labels, with prospects and at-risk customers", st.Labels)
	}
	if p, err := rs.ListLabels(ctx, retention.AtRisk, 100, ""); err != nil || len(p.Items) < st.Labels[retention.AtRisk] {
		t.Errorf("ListLabels(AT_RISK) = %v, %v; want at least %d", p, err, st.Labels[retention.AtRisk])
	}
	if p, err := rs.ListAlerts(ctx, retention.AlertFilter{State: retention.AlertOpen}, 100, ""); err != nil || len(p.Items) != st.Labels[retention.AtRisk] {
		t.Errorf("open alerts = %v, %v; want one per at-risk account (%d)", p, err, st.Labels[retention.AtRisk])
	}
	if st.Accounts != 40 || st.Skipped != 0 {
		t.Errorf("Accounts, Skipped = %d, %d; want 40, 0", st.Accounts, st.Skipped)
	}
	if st.Contacts < st.Accounts || st.Contacts > 5*st.Accounts {
		t.Errorf("Contacts = %d; want 1–5 per account", st.Contacts)
	}
	if st.Interactions < 2*st.Accounts || st.Interactions > 12*st.Accounts {
		t.Errorf("Interactions = %d; want 2–12 per account", st.Interactions)
	}
	if st.Deals <= 0 || st.Deals > 6*st.Accounts {
		t.Errorf("Deals = %d; want 1–6 per customer", st.Deals)
	}
	if st.Claims <= 0 || st.Claims > st.Accounts || st.Transfers <= 0 || st.Transfers > st.Claims {
		t.Errorf("Claims, Transfers = %d, %d; want 0 < transfers <= claims <= accounts", st.Claims, st.Transfers)
	}

	accounts := all(t, func(tok string) (*account.Page[*account.Account], error) {
		return svc.ListAccounts(ctx, account.ListRequest{PageSize: 17, PageToken: tok})
	})
	if len(accounts) != 40 {
		t.Fatalf("ListAccounts returned %d accounts; want 40", len(accounts))
	}

	var contacts, deals, interactions, claimed, transferred, chinese, withTax, withDomain int
	now := time.Now()
	for _, a := range accounts {
		if strings.HasSuffix(a.DisplayName, "有限公司") || strings.Contains(a.DisplayName, "市") {
			chinese++
		}
		if a.TaxID != "" {
			withTax++
		}
		if a.Domain != "" {
			withDomain++
		}
		stage := indexOf(account.FunnelStages, a.FunnelStage)

		changes := all(t, func(tok string) (*account.Page[*account.StageChange], error) {
			return svc.ListStageChanges(ctx, a.ID, 0, tok)
		})
		if len(changes) != stage+1 {
			t.Errorf("%s at %s has %d stage changes; want %d", a.DisplayName, a.FunnelStage, len(changes), stage+1)
		}

		owners := all(t, func(tok string) (*account.Page[*account.OwnershipPeriod], error) {
			return svc.ListOwnershipHistory(ctx, a.ID, 0, tok)
		})
		if a.Owner != "" {
			claimed++
			if len(owners) == 0 || owners[0].Kind != account.OwnershipClaim || owners[0].Owner != a.FirstOwner {
				t.Errorf("%s: ownership history %v does not start with a claim by %s", a.DisplayName, owners, a.FirstOwner)
			}
		}
		for _, o := range owners {
			if o.Kind == account.OwnershipTransfer {
				transferred++
				if o.Reason == "" {
					t.Errorf("%s: transfer without a reason", a.DisplayName)
				}
			}
		}

		cs := all(t, func(tok string) (*account.Page[*account.Contact], error) {
			return svc.ListContacts(ctx, a.ID, account.ListRequest{PageToken: tok})
		})
		contacts += len(cs)
		primaries := 0
		for _, c := range cs {
			if c.Primary {
				primaries++
			}
			if a.Domain != "" && c.Email != "" && !strings.HasSuffix(c.Email, "@"+a.Domain) {
				t.Errorf("%s: contact email %q is not on %s", a.DisplayName, c.Email, a.Domain)
			}
		}
		if len(cs) == 0 || len(cs) > 5 || primaries != 1 {
			t.Errorf("%s: %d contacts, %d primary; want 1–5 with one primary", a.DisplayName, len(cs), primaries)
		}

		ds := all(t, func(tok string) (*account.Page[*account.Deal], error) {
			return svc.ListDeals(ctx, a.ID, account.ListRequest{PageToken: tok})
		})
		deals += len(ds)
		if (stage >= dealStage) != (len(ds) > 0) {
			t.Errorf("%s at %s has %d deals", a.DisplayName, a.FunnelStage, len(ds))
		}
		var first *account.Deal
		firsts := 0
		for _, d := range ds {
			if d.Kind == account.KindFirstPurchase {
				firsts++
				first = d
			}
		}
		if len(ds) > 0 {
			if firsts != 1 {
				t.Errorf("%s: %d FIRST_PURCHASE deals; want 1", a.DisplayName, firsts)
			} else {
				for _, d := range ds {
					if d.CloseDate.Before(first.CloseDate) {
						t.Errorf("%s: %s deal of %s closes before the first purchase (%s)", a.DisplayName, d.Kind, d.CloseDate, first.CloseDate)
					}
				}
			}
		}

		is := all(t, func(tok string) (*account.Page[*account.Interaction], error) {
			return svc.ListInteractions(ctx, a.ID, account.ListRequest{PageToken: tok})
		})
		interactions += len(is)
		for _, in := range is {
			if in.OccurTime.After(now) || in.Summary == "" {
				t.Errorf("%s: interaction at %s (%q) is in the future or has no summary", a.DisplayName, in.OccurTime, in.Summary)
			}
		}
	}
	if contacts != st.Contacts || deals != st.Deals || interactions != st.Interactions {
		t.Errorf("stored contacts, deals, interactions = %d, %d, %d; Stats say %d, %d, %d",
			contacts, deals, interactions, st.Contacts, st.Deals, st.Interactions)
	}
	if claimed != st.Claims || transferred != st.Transfers {
		t.Errorf("owned, transferred accounts = %d, %d; Stats say %d claims, %d transfers", claimed, transferred, st.Claims, st.Transfers)
	}
	if transferred == 0 {
		t.Error("no account has a TRANSFER in its ownership history")
	}
	if chinese == 0 || chinese == 40 {
		t.Errorf("%d of 40 names are Chinese; want a mix", chinese)
	}
	if withTax < 20 || withDomain < 20 {
		t.Errorf("%d accounts with a tax id, %d with a domain; want most", withTax, withDomain)
	}

	signals := checkHealth(t, hs, accounts, st, start)
	checkResearch(t, surveys, audits, library, st, start)

	// A second run finds every account and creates nothing: the accounts' signals are
	// sent again with the same ids, and the service keeps the stored ones.
	again, err := Run(ctx, svc, hs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Skipped: 40, Green: again.Green, Yellow: again.Yellow, Red: again.Red, Labels: again.Labels}); !reflect.DeepEqual(again, want) {
		t.Errorf("second run: %+v; want %+v", again, want)
	}
	if n := again.Green + again.Yellow + again.Red; n != 40 {
		t.Errorf("second run: %d accounts graded; want 40", n)
	}
	if n := countSignals(t, hs, accounts); n != signals {
		t.Errorf("after the second run there are %d signals; want %d", n, signals)
	}
	accounts = all(t, func(tok string) (*account.Page[*account.Account], error) {
		return svc.ListAccounts(ctx, account.ListRequest{PageSize: 100, PageToken: tok})
	})
	if len(accounts) != 40 {
		t.Errorf("after the second run there are %d accounts; want 40", len(accounts))
	}
}

// checkHealth checks the signals and scores of a first run made at start, and returns
// how many signals are stored.
func checkHealth(t *testing.T, hs *health.Service, accounts []*account.Account, st Stats, start time.Time) int {
	t.Helper()
	ctx := context.Background()
	if st.Signals == 0 {
		t.Fatal("the seed created no signals")
	}
	byName := map[string]*plan{}
	plans := makePlans(40, 1, start)
	for i := range plans {
		byName[plans[i].account.DisplayName] = &plans[i]
	}
	stored, grades := 0, map[string]int{}
	for _, a := range accounts {
		ss := all(t, func(tok string) (*listing.Page[*health.Signal], error) {
			return hs.ListSignals(ctx, a.ID, listing.Request{PageSize: 1000, PageToken: tok})
		})
		stored += len(ss)
		p := byName[a.DisplayName]
		if p == nil {
			t.Fatalf("%s: no plan of that name", a.DisplayName)
		}
		if len(ss) == 0 || len(ss) != len(p.signals) {
			t.Errorf("%s: %d signals stored; the plan has %d", a.DisplayName, len(ss), len(p.signals))
		}
		for _, sg := range ss {
			if sg.Source != "seed" || !strings.HasPrefix(sg.SignalID, "seed-"+sg.Measure+"-") {
				t.Errorf("%s: signal source %q, id %q", a.DisplayName, sg.Source, sg.SignalID)
			}
			if !sg.Time.Before(start) || sg.Time.Before(start.AddDate(-1, 0, -1)) {
				t.Errorf("%s: %s signal at %s is not within the year before %s", a.DisplayName, sg.Measure, sg.Time, start)
			}
		}

		hist := all(t, func(tok string) (*listing.Page[*health.Score], error) {
			return hs.ListHealthScoreHistory(ctx, a.ID, 0, tok)
		})
		if len(hist) != 1 {
			t.Fatalf("%s: %d history rows after one recompute; want 1", a.DisplayName, len(hist))
		}
		sc := hist[0]
		grades[sc.Grade]++
		// The score is the default scorecard's on the plan's data, bit for bit.
		want, ok := evaluate(p, sc.ComputeTime)
		if !ok || want.Score != sc.Score || want.Grade != sc.Grade || !reflect.DeepEqual(want.Contributions, sc.Contributions) {
			t.Errorf("%s: stored score %v %s; the plan gives %v %s (ok %v)\nstored %+v\nplan   %+v",
				a.DisplayName, sc.Score, sc.Grade, want.Score, want.Grade, ok, sc.Contributions, want.Contributions)
		}
	}
	if stored != st.Signals {
		t.Errorf("%d signals stored; Stats say %d", stored, st.Signals)
	}
	if g := (map[string]int{health.GradeGreen: st.Green, health.GradeYellow: st.Yellow, health.GradeRed: st.Red}); !reflect.DeepEqual(g, grades) {
		t.Errorf("stored grades %v; Stats say %v", grades, g)
	}
	t.Logf("grades of 40 accounts: %d green, %d yellow, %d red", st.Green, st.Yellow, st.Red)
	// Even 40 accounts show every grade: at least 15% (6) of each.
	for grade, n := range grades {
		if n < 6 {
			t.Errorf("%d of 40 accounts are %s; want at least 6", n, grade)
		}
	}
	if len(grades) != 3 {
		t.Errorf("grades %v; want all three", grades)
	}
	return stored
}

func countSignals(t *testing.T, hs *health.Service, accounts []*account.Account) int {
	t.Helper()
	n := 0
	for _, a := range accounts {
		n += len(all(t, func(tok string) (*listing.Page[*health.Signal], error) {
			return hs.ListSignals(context.Background(), a.ID, listing.Request{PageSize: 1000, PageToken: tok})
		}))
	}
	return n
}

// evaluate scores p with the default scorecard at asOf from the plan alone: its
// signals, interactions, won deals and contacts aggregated as the store aggregates the
// rows the seed writes from them.
func evaluate(p *plan, asOf time.Time) (health.Result, bool) {
	def := health.DefaultScorecard().Definition
	hp := health.NewPlan(asOf, &def)
	type event struct {
		t time.Time
		v int64
	}
	var in health.Inputs
	for _, q := range hp.Queries {
		var evs []event
		switch q.Source {
		case health.SourceInteractions:
			for _, x := range p.interactions {
				evs = append(evs, event{x.OccurTime, 1e6})
			}
		case health.SourceWonDeals, health.SourceRepurchases:
			for i, d := range p.deals { // all won, in close-date order: the first is the first purchase
				if i > 0 || q.Source == health.SourceWonDeals {
					evs = append(evs, event{d.CloseDate, 1e6})
				}
			}
		default:
			for _, sg := range p.signals {
				if sg.Measure == q.Source {
					evs = append(evs, event{sg.Time, sg.ValueMicros})
				}
			}
		}
		ag := health.EventAgg{Counts: make([]int64, len(q.Froms)), Sums: make([]int64, len(q.Froms))}
		for _, e := range evs {
			if e.t.After(asOf) {
				continue
			}
			if !ag.Any || e.t.After(ag.Latest) {
				ag.Latest, ag.LastValue = e.t, e.v
			}
			ag.Any = true
			for i, from := range q.Froms {
				if e.t.After(from) {
					ag.Counts[i]++
					ag.Sums[i] += e.v
				}
			}
		}
		in.Events = append(in.Events, ag)
	}
	levels := map[string]bool{}
	for _, c := range p.contacts {
		in.Counts.Contacts++
		if c.SeniorityLevel != "" {
			levels[c.SeniorityLevel] = true
		}
		if c.SeniorityLevel == "EXECUTIVE" {
			in.Counts.Executives++
		}
	}
	in.Counts.Levels = int64(len(levels))
	return hp.Evaluate(&def, &in, asOf)
}

// TestGradeSpread checks, without a database, that the default scorecard grades seeded
// accounts across the board (evaluate is held to the stored scores by TestRun).
func TestGradeSpread(t *testing.T) {
	now := time.Now()
	for _, seed := range []int64{1, 2, 3} {
		plans := makePlans(300, seed, now)
		grades := map[string]int{}
		cohorts := map[string]map[string]int{}
		for i := range plans {
			r, ok := evaluate(&plans[i], now)
			if !ok {
				t.Fatalf("seed %d: %s has no score", seed, plans[i].account.DisplayName)
			}
			grades[r.Grade]++
			if cohorts[plans[i].cohort] == nil {
				cohorts[plans[i].cohort] = map[string]int{}
			}
			cohorts[plans[i].cohort][r.Grade]++
		}
		t.Logf("seed %d: %d green, %d yellow, %d red; by cohort %v", seed,
			grades[health.GradeGreen], grades[health.GradeYellow], grades[health.GradeRed], cohorts)
		for _, g := range []string{health.GradeGreen, health.GradeYellow, health.GradeRed} {
			if grades[g] < 45 {
				t.Errorf("seed %d: %d of 300 accounts are %s; want at least 15%%", seed, grades[g], g)
			}
		}
		// The cohorts are what the grades say.
		if c := cohorts[cohortThriving]; c[health.GradeGreen] <= c[health.GradeYellow]+c[health.GradeRed] {
			t.Errorf("seed %d: thriving accounts are mostly not GREEN: %v", seed, c)
		}
		if c := cohorts[cohortDormant]; c[health.GradeRed] <= c[health.GradeYellow]+c[health.GradeGreen] {
			t.Errorf("seed %d: dormant accounts are mostly not RED: %v", seed, c)
		}
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestPlansDeterministicAndUnique checks, without a database, that a seed always draws
// the same dataset and that its duplicate-detection keys never collide, even when the
// word lists run short.
func TestPlansDeterministicAndUnique(t *testing.T) {
	today := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	a, b := makePlans(300, 7, today), makePlans(300, 7, today)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed drew different plans")
	}
	if reflect.DeepEqual(a, makePlans(300, 8, today)) {
		t.Fatal("different seeds drew the same plans")
	}

	plans := makePlans(3000, 1, today)
	names, taxIDs, domains, ext := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	var tiers [4]int
	for _, p := range plans {
		acc := p.account
		check := func(kind string, seen map[string]string, key string) {
			if key == "" {
				return
			}
			if prev, ok := seen[key]; ok {
				t.Errorf("%s %q of %q already used by %q", kind, key, acc.DisplayName, prev)
			}
			seen[key] = acc.DisplayName
		}
		check("name", names, account.NormalizeName(acc.DisplayName))
		check("tax id", taxIDs, account.NormalizeTaxID(acc.TaxID))
		check("domain", domains, account.NormalizeDomain(acc.Domain))
		for _, sys := range []string{"salesforce", "hubspot"} {
			if id := acc.ExternalIDs[sys]; id != "" {
				check("external id", ext, sys+":"+id)
			}
		}
		if len(acc.TaxID) == 18 && strings.Trim(acc.TaxID, usccChars) == "" && acc.TaxID[17] != usccCheck(acc.TaxID[:17]) {
			t.Errorf("tax id %s has a bad check character", acc.TaxID)
		}
		tiers[indexOf(account.RevenueTiers, acc.RevenueTier)+1]++
		for i, d := range p.deals {
			if (i == 0) != (d.Kind == account.KindFirstPurchase) || (i > 0 && !d.CloseDate.After(p.deals[i-1].CloseDate)) {
				t.Fatalf("%s: deals out of order or of the wrong kind: %+v", acc.DisplayName, p.deals)
			}
			if !d.CloseDate.Before(today) || d.Amount.MinorUnits <= 0 {
				t.Fatalf("%s: bad deal %+v", acc.DisplayName, d)
			}
		}
		for _, in := range p.interactions {
			if !in.OccurTime.Before(today) || in.OccurTime.Before(today.AddDate(0, -19, 0)) {
				t.Fatalf("%s: interaction at %s is outside the last 18 months", acc.DisplayName, in.OccurTime)
			}
		}
	}
	// KEY accounts are about 10%, unspecified ones about 10%.
	if tiers[1] < 200 || tiers[1] > 400 || tiers[0] < 200 || tiers[0] > 400 {
		t.Errorf("tier counts (unspecified, KEY, GENERAL, SMALL) = %v", tiers)
	}
}

// checkResearch checks the survey responses, audit cases and best-practice cases of a
// first run made at start: present, spread the way a real installation's are, and
// passing the domain's own rules.
func checkResearch(t *testing.T, surveys *survey.Service, audits *audit.Service, library *cases.Service, st Stats, start time.Time) {
	t.Helper()
	ctx := context.Background()
	t.Logf("research: %d responses, %d audit cases (%d green channel, %d closed), %d cases (%d published)",
		st.Responses, st.AuditCases, st.GreenChannel, st.ClosedAudits, st.Cases, st.PublishedCases)

	// Surveys: a believable NPS (not all promoters, not all detractors), CSAT and
	// complaints present.
	day := start.UTC().Truncate(24 * time.Hour)
	rep, err := surveys.GetReport(ctx, survey.Period{Start: day.AddDate(0, 0, -200), End: day.AddDate(0, 0, 1)}, survey.Segment{})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Current
	if f.NPS == nil || f.CSAT == nil {
		t.Fatalf("no NPS or CSAT data: %+v", f)
	}
	nps, _ := f.NPS.Float64()
	csat, _ := f.CSAT.Float64()
	t.Logf("NPS %.1f over %d answers (%d promoters, %d passives, %d detractors), CSAT %.1f%% over %d, %d complaints",
		nps, f.NPSResponses, f.Promoters, f.Passives, f.Detractors, csat, f.CSATResponses, f.Complaints)
	if nps < -50 || nps > 80 || f.Promoters == 0 || f.Detractors == 0 || f.Passives == 0 {
		t.Errorf("NPS %.1f (%d/%d/%d); want -50..80 with promoters, passives and detractors", nps, f.Promoters, f.Passives, f.Detractors)
	}
	if csat < 30 || csat > 95 || f.Complaints == 0 {
		t.Errorf("CSAT %.1f%%, %d complaints; want 30–95%% and some complaints", csat, f.Complaints)
	}
	if n := int(f.NPSResponses + f.CSATResponses + f.Complaints); n != st.Responses || n < 40 {
		t.Errorf("%d responses in the report; Stats say %d (want at least 40)", n, st.Responses)
	}

	// Audit cases: one per account and source, some expedited, some closed with a root
	// cause and the accountable party.
	ac, err := audits.ListCases(ctx, audit.CaseFilter{}, 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	var green, closed int
	for _, c := range ac.Items {
		if c.GreenChannel {
			green++
		}
		if c.State == audit.Closed {
			closed++
			if c.RootCause == "" || c.RootCauseText == "" || c.AccountableDepartment == "" {
				t.Errorf("closed audit case %s without root cause or accountable department: %+v", audit.CaseName(c.ID), c)
			}
		}
		if c.Source != "SURVEY_DETRACTOR" && c.Source != "COMPLAINT" || !strings.Contains(c.SourceRef, "/surveyResponses/") {
			t.Errorf("audit case %s: source %s ref %q; want a survey warning", audit.CaseName(c.ID), c.Source, c.SourceRef)
		}
	}
	if len(ac.Items) != st.AuditCases || green == 0 || closed == 0 || green != st.GreenChannel || closed != st.ClosedAudits {
		t.Errorf("%d audit cases (%d green channel, %d closed); Stats %+v; want some of each", len(ac.Items), green, closed, st)
	}

	// Best-practice cases: published ones meet all three standards and are live to a
	// viewer; drafts and cases in review exist beside them; the reviewer is never the
	// author.
	member := auth.WithCaller(ctx, auth.Caller{Name: "apiKeys/test", Role: auth.Member})
	byState := map[string]int{}
	lc, err := library.ListCases(member, cases.ListRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range lc.Items {
		byState[c.State]++
		if c.State != cases.Published {
			continue
		}
		for _, ch := range c.Checks {
			if !ch.Met {
				t.Errorf("published case %q fails %s: %v", c.Working.Title, ch.Standard, ch.Missing)
			}
		}
		ev, err := library.ListEvents(member, c.ID, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ev.Items {
			if e.Action == cases.ActionApprove && (e.Actor == c.Author || !strings.HasSuffix(e.Actor, ownerDomain)) {
				t.Errorf("case %q approved by %q, written by %q", c.Working.Title, e.Actor, c.Author)
			}
		}
	}
	if len(lc.Items) != st.Cases || byState[cases.Published] != st.PublishedCases || byState[cases.Published] == 0 ||
		byState[cases.Draft] == 0 || byState[cases.InReview] == 0 {
		t.Errorf("cases by state %v; Stats say %d cases, %d published; want published, drafts and cases in review", byState, st.Cases, st.PublishedCases)
	}
	viewer := auth.WithCaller(ctx, auth.Caller{Name: "apiKeys/viewer", Role: auth.Viewer})
	for _, q := range []string{"客户", "customer"} {
		if _, err := library.ListCases(viewer, cases.ListRequest{Query: q}); err != nil {
			t.Errorf("viewer search %q: %v", q, err)
		}
	}
	pub, err := library.ListCases(viewer, cases.ListRequest{PageSize: 1000})
	if err != nil || len(pub.Items) != st.PublishedCases {
		t.Errorf("a viewer sees %d live cases (%v); want the %d published", len(pub.Items), err, st.PublishedCases)
	}
}
