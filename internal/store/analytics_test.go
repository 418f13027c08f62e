package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/analytics"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// These tests run the analytics over the real store, on SQLite and PostgreSQL with the
// committed migrations applied, against a fixture whose every figure is computed by
// hand below (ANALYTICS.md's definitions). The data is written through the account
// service, so first deals (is_first) and stage history are what the product records.

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	t   *testing.T
	ctx context.Context
	clk *clock
	acc *account.Service
	svc *analytics.Service
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	st := store.New(db)
	clk := &clock{t: day("2024-06-01")}
	return &fixture{t: t, ctx: auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/test", Role: auth.Admin}),
		clk: clk, acc: account.NewService(st, clk.now), svc: analytics.NewService(st.Analytics(), analytics.Options{})}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// account creates an account at instant created.
func (f *fixture) account(name string, created time.Time, a account.Account) uuid.UUID {
	f.t.Helper()
	f.clk.t = created
	a.DisplayName = name
	out, err := f.acc.CreateAccount(f.ctx, a, "")
	if err != nil {
		f.t.Fatalf("CreateAccount %s: %v", name, err)
	}
	return out.ID
}

func (f *fixture) deal(id uuid.UUID, cur string, minor int64, closed string, status ...string) {
	f.t.Helper()
	f.clk.t = now
	d := account.Deal{Amount: account.Money{CurrencyCode: cur, MinorUnits: minor}, CloseDate: day(closed)}
	if len(status) > 0 {
		d.Status = status[0]
	}
	if _, err := f.acc.CreateDeal(f.ctx, id, d, ""); err != nil {
		f.t.Fatalf("CreateDeal: %v", err)
	}
}

func (f *fixture) interaction(id uuid.UUID, when string) {
	f.t.Helper()
	f.clk.t = now
	if _, err := f.acc.CreateInteraction(f.ctx, id, account.Interaction{Kind: "CALL", OccurTime: at(when), Summary: "call"}, ""); err != nil {
		f.t.Fatalf("CreateInteraction: %v", err)
	}
}

func (f *fixture) stage(id uuid.UUID, stage, when string) {
	f.t.Helper()
	f.clk.t = at(when)
	if _, err := f.acc.UpdateAccount(f.ctx, id, account.Account{FunnelStage: stage}, []string{"funnel_stage"}, ""); err != nil {
		f.t.Fatalf("UpdateAccount stage: %v", err)
	}
}

func (f *fixture) delete(id uuid.UUID) {
	f.t.Helper()
	f.clk.t = at("2026-05-01T00:00:00Z")
	if _, err := f.acc.DeleteAccount(f.ctx, id, ""); err != nil {
		f.t.Fatalf("DeleteAccount: %v", err)
	}
}

func p[T any](v T) *T { return &v }

var (
	period = analytics.Period{Start: day("2026-01-01"), End: day("2026-04-01")}
	// end − 365 d = 2025-04-01, end − 60 d = 2026-01-31, end − 30 d = 2026-03-02,
	// start − 60 d = 2025-11-02, start − 365 d = 2025-01-01; previous period
	// [2025-10-03, 2026-01-01) (90 days).
	old = day("2024-06-01")
	// now is when deals and interactions are recorded.
	now = day("2026-06-01")
)

// seedInventory writes the inventory fixture. Per account, what it exercises:
func seedInventory(f *fixture) {
	key := account.Account{RevenueTier: "KEY", Region: "east"}
	// A: first deal before the period, two repurchases in it, one repurchase in the
	// previous period, an open deal (ignored); at risk at the start (no interaction
	// before it), not at the end: recovered.
	a := f.account("Alpha", old, key)
	f.deal(a, "CNY", 100_000, "2025-03-01")
	f.deal(a, "CNY", 200_000, "2025-12-20")
	f.deal(a, "CNY", 300_000, "2026-01-15")
	f.deal(a, "CNY", 500_000, "2026-02-10")
	f.deal(a, "CNY", 9_999_999_999, "2026-03-01", account.StatusOpen)
	f.interaction(a, "2026-03-20T10:00:00Z")
	// B: first deal in the period, exactly at the key threshold; 4 interactions: HIGH.
	b := f.account("Bravo", old, key)
	f.deal(b, "CNY", 100_000_000, "2026-02-01")
	for _, d := range []string{"10", "11", "12", "13"} {
		f.interaction(b, "2026-03-"+d+"T09:00:00Z")
	}
	// C: mixed currencies reaching the threshold exactly only with the exact
	// conversion: 99 857 929 + 20 000 × 7.1 + 5 × 7.1 + 5 × 7.1 = 100 000 000 (rounding
	// each converted deal down would give 99 999 999). Last interaction exactly 60 days
	// before the end: not at risk; no interaction in the cadence window: LOW.
	c := f.account("Charlie", old, account.Account{RevenueTier: "GENERAL", Region: "north"})
	f.deal(c, "USD", 20_000, "2025-06-01")
	f.deal(c, "CNY", 99_857_929, "2026-03-01")
	f.deal(c, "USD", 5, "2026-03-05")
	f.deal(c, "USD", 5, "2026-03-06")
	f.interaction(c, "2026-01-31T00:00:00Z")
	// D: churned at start and end, at risk at both (last interaction one second more
	// than 60 days before the end).
	small := account.Account{RevenueTier: "SMALL", Region: "south"}
	d := f.account("Delta", old, small)
	f.deal(d, "CNY", 200_000, "2024-12-01")
	f.interaction(d, "2025-06-01T00:00:00Z") // long silent at the start too
	f.interaction(d, "2026-01-30T23:59:59Z")
	// E: churned at the start, buys in the period: won back; never talked to: at risk.
	e := f.account("Echo", old, small)
	f.deal(e, "CNY", 50_000, "2024-11-15")
	f.deal(e, "CNY", 70_000, "2026-03-15")
	// F: its only deal exactly 365 days before the end: in the key window (key) and not
	// churned; interactions at the cadence window's first instant (counted) and one
	// second before (not): MID.
	fx := f.account("Foxtrot", old, account.Account{RevenueTier: "GENERAL", Region: "north"})
	f.deal(fx, "CNY", 100_000_000, "2025-04-01")
	f.interaction(fx, "2025-12-20T00:00:00Z")
	f.interaction(fx, "2026-03-01T23:59:59Z")
	f.interaction(fx, "2026-03-02T00:00:00Z")
	// G: its only deal 366 days before the end: not key, churned.
	g := f.account("Golf", old, account.Account{RevenueTier: "GENERAL", Region: "north"})
	f.deal(g, "CNY", 100_000_000, "2025-03-31")
	f.interaction(g, "2025-12-15T00:00:00Z")
	f.interaction(g, "2026-03-15T00:00:00Z")
	// H: would be a key customer of the period, but deleted: excluded everywhere.
	h := f.account("Hotel", old, key)
	f.deal(h, "CNY", 100_000_000, "2026-02-15")
	f.delete(h)
	// I: a prospect with only an open deal: pooled. J: created in the period: pooled.
	// K: created at the end instant: not in the period's pool. L: first deal dated on
	// the end (next period): pooled.
	i := f.account("India", day("2025-08-01"), small)
	f.deal(i, "CNY", 5_000, "2026-02-01", account.StatusOpen)
	f.account("Juliet", day("2026-03-15"), small)
	f.account("Kilo", day("2026-04-01"), small)
	l := f.account("Lima", day("2025-05-01"), small)
	f.deal(l, "CNY", 80_000, "2026-04-01")
	// M: a single USD customer (owner wang) whose first deal and two repurchases all
	// fall in the period.
	m := f.account("Mike", old, account.Account{})
	f.clk.t = old
	if _, err := f.acc.ClaimAccount(f.ctx, m, "wang", "test", ""); err != nil {
		f.t.Fatal(err)
	}
	f.deal(m, "USD", 1_001, "2026-01-20")
	f.deal(m, "USD", 2_000, "2026-02-20")
	f.deal(m, "USD", 3_000, "2026-03-20")
	f.interaction(m, "2026-03-21T00:00:00Z")
	// Pat: a first deal in the previous period.
	pat := f.account("Papa", old, account.Account{})
	f.deal(pat, "CNY", 400_000, "2025-11-01")
	f.interaction(pat, "2025-12-01T00:00:00Z")
	f.interaction(pat, "2026-03-25T00:00:00Z")
}

func TestAnalyticsInventory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		seedInventory(f)
		ctx := f.ctx

		got, err := f.svc.AssetInventory(ctx, period, analytics.Segment{}, analytics.InventoryParams{})
		if err != nil {
			t.Fatal(err)
		}
		want := &analytics.Inventory{
			ClosedCustomers: 5, // A, B, C, E, M
			PooledNotClosed: 3, // I, J, L
			Repurchasing:    4, // A, C, E, M
			RepurchaseRate:  p("0.8000"),
			Currencies: []analytics.CurrencyInventory{
				// CNY first: B 100 000 000. Repurchases A 300 000 + 500 000, C 99 857 929,
				// E 70 000 = 100 727 929 / 4 = 25 181 982.25 → 25 181 982; Q6 = 0.2518198225.
				{Currency: "CNY", FirstDeals: 1, RepDeals: 4, AvgFirst: p(int64(100_000_000)), AvgRep: p(int64(25_181_982)), AmountRepurchaseRate: p("0.2518")},
				// USD first: M 1 001. Repurchases C 5 + 5, M 2 000 + 3 000 = 5 010 / 4 =
				// 1 252.5 → 1 252 (half-even); Q6 = 1 252.5 / 1 001 = 1.25124875…
				{Currency: "USD", FirstDeals: 1, RepDeals: 4, AvgFirst: p(int64(1_001)), AvgRep: p(int64(1_252)), AmountRepurchaseRate: p("1.2512")},
			},
			KeyAccounts: 3, High: 1, Mid: 1, Low: 1, // B (HIGH), C (LOW), F (MID)
			AtRisk: 2, Recovered: 2, // D, E; A, C
			Churned: 2, WonBack: 1, // D, G; E
		}
		checkInventory(t, got, want)
		if got.Params.KeyThreshold != analytics.DefaultKeyThreshold || got.Params.AtRiskSilenceDays != 60 || got.Params.ChurnDays != 365 ||
			got.Params.CadenceHighMin != 4 || len(got.Params.Rates) != 1 || got.Params.Rates[0].Text != "7.10" {
			t.Errorf("parameters echoed = %+v", got.Params)
		}
		if got.Definitions["key_accounts"] == "" || got.Definitions["at_risk"] == "" {
			t.Errorf("definitions = %v", got.Definitions)
		}

		// Parameters change the figures: a 61-day silence keeps D at risk (61 days 1 s)
		// and E; a threshold one minor unit higher drops B, C and F; a USD rate of 7.09
		// drops C (20 010 × 0.01 = 200.1 short).
		got, err = f.svc.AssetInventory(ctx, period, analytics.Segment{}, analytics.InventoryParams{
			KeyThreshold: analytics.Money{Currency: "CNY", Minor: 100_000_001}})
		if err != nil {
			t.Fatal(err)
		}
		if got.KeyAccounts != 0 || got.High+got.Mid+got.Low != 0 {
			t.Errorf("threshold + 1: key %d (%d/%d/%d), want 0", got.KeyAccounts, got.High, got.Mid, got.Low)
		}
		rate, _ := analytics.ParseRate("7.09")
		got, err = f.svc.AssetInventory(ctx, period, analytics.Segment{}, analytics.InventoryParams{
			Rates: []analytics.Rate{{From: "USD", To: "CNY", Rate: rate, Text: "7.09"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got.KeyAccounts != 2 || got.Low != 0 {
			t.Errorf("USD at 7.09: key %d low %d, want 2 and 0 (C drops)", got.KeyAccounts, got.Low)
		}
		// A rate table without USD leaves USD out of Q7 and says so.
		rate, _ = analytics.ParseRate("0.9")
		got, err = f.svc.AssetInventory(ctx, period, analytics.Segment{}, analytics.InventoryParams{
			Rates: []analytics.Rate{{From: "EUR", To: "CNY", Rate: rate, Text: "0.9"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got.KeyAccounts != 2 || !reflect.DeepEqual(got.Unconverted, []string{"USD"}) {
			t.Errorf("no USD rate: key %d, unconverted %v; want 2 and [USD]", got.KeyAccounts, got.Unconverted)
		}
		// A 59-day silence makes C (exactly 60 days) at risk too; a 364-day churn makes
		// F (exactly 365 days) churned.
		got, err = f.svc.AssetInventory(ctx, period, analytics.Segment{}, analytics.InventoryParams{AtRiskSilenceDays: 59, ChurnDays: 364})
		if err != nil {
			t.Fatal(err)
		}
		if got.AtRisk != 3 || got.Churned != 3 {
			t.Errorf("59/364 days: at risk %d churned %d, want 3 and 3", got.AtRisk, got.Churned)
		}

		// Segments.
		got, err = f.svc.AssetInventory(ctx, period, analytics.Segment{Tier: "KEY"}, analytics.InventoryParams{})
		if err != nil {
			t.Fatal(err)
		}
		checkInventory(t, got, &analytics.Inventory{ // A, B (H deleted)
			ClosedCustomers: 2, Repurchasing: 1, RepurchaseRate: p("0.5000"),
			Currencies: []analytics.CurrencyInventory{{Currency: "CNY", FirstDeals: 1, RepDeals: 2,
				AvgFirst: p(int64(100_000_000)), AvgRep: p(int64(400_000)), AmountRepurchaseRate: p("0.0040")}},
			KeyAccounts: 1, High: 1, Recovered: 1,
		})
		got, err = f.svc.AssetInventory(ctx, period, analytics.Segment{Region: "south"}, analytics.InventoryParams{})
		if err != nil {
			t.Fatal(err)
		}
		checkInventory(t, got, &analytics.Inventory{ // D, E, I, J, K, L
			ClosedCustomers: 1, PooledNotClosed: 3, Repurchasing: 1, RepurchaseRate: p("1.0000"),
			Currencies: []analytics.CurrencyInventory{{Currency: "CNY", RepDeals: 1, AvgRep: p(int64(70_000))}},
			AtRisk:     2, Churned: 1, WonBack: 1,
		})
		// A single customer (owner wang: M).
		got, err = f.svc.AssetInventory(ctx, period, analytics.Segment{Owner: "wang"}, analytics.InventoryParams{})
		if err != nil {
			t.Fatal(err)
		}
		checkInventory(t, got, &analytics.Inventory{
			ClosedCustomers: 1, Repurchasing: 1, RepurchaseRate: p("1.0000"),
			// 2 500 / 1 001 = 2.4975024…
			Currencies: []analytics.CurrencyInventory{{Currency: "USD", FirstDeals: 1, RepDeals: 2, AvgFirst: p(int64(1_001)), AvgRep: p(int64(2_500)), AmountRepurchaseRate: p("2.4975")}},
		})
		// An empty period (before every account): counts 0, ratios null, no currency.
		got, err = f.svc.AssetInventory(ctx, analytics.Period{Start: day("2020-01-01"), End: day("2020-02-01")}, analytics.Segment{}, analytics.InventoryParams{})
		if err != nil {
			t.Fatal(err)
		}
		checkInventory(t, got, &analytics.Inventory{})
	})
}

func checkInventory(t *testing.T, got, want *analytics.Inventory) {
	t.Helper()
	type figures struct {
		CC, PN, RC                  int64
		Rate                        *string
		Cur                         []analytics.CurrencyInventory
		Key, High, Mid, Low         int64
		Risk, Rec, Churned, WonBack int64
	}
	pick := func(i *analytics.Inventory) figures {
		return figures{i.ClosedCustomers, i.PooledNotClosed, i.Repurchasing, i.RepurchaseRate, i.Currencies,
			i.KeyAccounts, i.High, i.Mid, i.Low, i.AtRisk, i.Recovered, i.Churned, i.WonBack}
	}
	g, w := pick(got), pick(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("inventory\n got  %s\n want %s", show(g), show(w))
	}
}

func show(v any) string {
	return reflectString(reflect.ValueOf(v))
}

func reflectString(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return "null"
		}
		return reflectString(v.Elem())
	case reflect.Struct:
		s := "{"
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				s += " "
			}
			s += v.Type().Field(i).Name + ":" + reflectString(v.Field(i))
		}
		return s + "}"
	case reflect.Slice:
		s := "["
		for i := 0; i < v.Len(); i++ {
			s += reflectString(v.Index(i))
		}
		return s + "]"
	}
	return fmt.Sprint(v.Interface())
}

func TestAnalyticsValueAndKpis(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		seedInventory(f)
		v, err := f.svc.ValueManagement(f.ctx, period, analytics.Segment{}, analytics.ValueParams{})
		if err != nil {
			t.Fatal(err)
		}
		if v.Previous != (analytics.Period{Start: day("2025-10-03"), End: day("2026-01-01")}) {
			t.Errorf("previous period = %v", v.Previous)
		}
		if v.Params != (analytics.ValueParams{LTVWindowDays: 365, LifetimeYears: 3}) {
			t.Errorf("parameters = %+v", v.Params)
		}
		wantRevenue := []analytics.CurrencyRevenue{
			{
				// Now: 5 × 4/5 × 25 181 982.25 = 100 727 929. Before: A's repurchase
				// 200 000 and Pat's first deal: 2 × 1/2 × 200 000 = 200 000.
				Currency: "CNY",
				Current:  analytics.RevenueFactors{Customers: 5, Rate: p("0.8000"), AvgRep: p(int64(25_181_982)), ECR: p(int64(100_727_929))},
				Previous: analytics.RevenueFactors{Customers: 2, Rate: p("0.5000"), AvgRep: p(int64(200_000)), ECR: p(int64(200_000))},
				// 25 181 982.25 − 200 000 = 24 981 982.25 → 24 981 982; 100 727 929 /
				// 200 000 − 1 = 502.639645.
				Change: analytics.RevenueChange{Customers: 3, Rate: p("0.3000"), AvgRep: p(int64(24_981_982)), ECR: p(int64(100_527_929)), ECRRatio: p("502.6396")},
			},
			{
				// Now: 4 × 1 252.5 = 5 010. Before: no USD repurchase: null.
				Currency: "USD",
				Current:  analytics.RevenueFactors{Customers: 5, Rate: p("0.8000"), AvgRep: p(int64(1_252)), ECR: p(int64(5_010))},
				Previous: analytics.RevenueFactors{Customers: 2, Rate: p("0.5000")},
				Change:   analytics.RevenueChange{Customers: 3, Rate: p("0.3000")},
			},
		}
		if !reflect.DeepEqual(v.Revenue, wantRevenue) {
			t.Errorf("existing-customer revenue\n got  %s\n want %s", show(v.Revenue), show(wantRevenue))
		}
		wantLTV := []analytics.CurrencyLTV{
			// CNY in [2025-04-01, 2026-04-01): A 200 000 + 300 000 + 500 000, B 100 000 000,
			// C 99 857 929, E 70 000, F 100 000 000 (on the window's first day), Pat
			// 400 000 = 301 327 929 over 8 deals of 6 customers: mean 37 665 991.125,
			// frequency 1.3333…, LTV 3 × 301 327 929 / 6 = 150 663 964.5 → 150 663 964.
			{Currency: "CNY", Deals: 8, Customers: 6, Revenue: p(int64(301_327_929)), AvgDeal: p(int64(37_665_991)),
				Frequency: p("1.3333"), Lifetime: p(int64(3)), LTV: p(int64(150_663_964))},
			// USD: C 20 000 + 5 + 5, M 1 001 + 2 000 + 3 000 = 26 011 over 6 deals of 2
			// customers: mean 4 335.17 → 4 335, frequency 3, LTV 39 016.5 → 39 016.
			{Currency: "USD", Deals: 6, Customers: 2, Revenue: p(int64(26_011)), AvgDeal: p(int64(4_335)),
				Frequency: p("3.0000"), Lifetime: p(int64(3)), LTV: p(int64(39_016))},
		}
		if !reflect.DeepEqual(v.LTV, wantLTV) {
			t.Errorf("LTV\n got  %s\n want %s", show(v.LTV), show(wantLTV))
		}
		// A currency with no deal in the LTV window has null factors: M's (owner wang)
		// last deal is 2026-03-20, outside a 5-day window.
		v, err = f.svc.ValueManagement(f.ctx, period, analytics.Segment{Owner: "wang"}, analytics.ValueParams{LTVWindowDays: 5, LifetimeYears: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.LTV) != 1 || v.LTV[0] != (analytics.CurrencyLTV{Currency: "USD"}) {
			t.Errorf("LTV without deals in the window = %s", show(v.LTV))
		}

		// An empty period (long before every deal): only facts before the end count, so
		// no currency is present and there is nothing to report, rather than zeros.
		empty := analytics.Period{Start: day("2020-01-01"), End: day("2020-02-01")}
		v, err = f.svc.ValueManagement(f.ctx, empty, analytics.Segment{}, analytics.ValueParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Revenue) != 0 || len(v.LTV) != 0 || v.Previous != (analytics.Period{Start: day("2019-12-01"), End: day("2020-01-01")}) {
			t.Errorf("empty period: revenue %s, LTV %s, previous %v", show(v.Revenue), show(v.LTV), v.Previous)
		}
		// A period after a currency's deals keeps the currency with zero customers.
		late := analytics.Period{Start: day("2027-01-01"), End: day("2027-02-01")}
		if v, err = f.svc.ValueManagement(f.ctx, late, analytics.Segment{}, analytics.ValueParams{}); err != nil {
			t.Fatal(err)
		}
		if len(v.Revenue) != 2 {
			t.Errorf("a period after the deals: %s, want CNY and USD", show(v.Revenue))
		}
		for _, r := range v.Revenue {
			if r.Current.Customers != 0 || r.Current.Rate != nil || r.Current.ECR != nil {
				t.Errorf("a period without deals: %s", show(v.Revenue))
			}
		}

		k, err := f.svc.SuccessKpis(f.ctx, period, analytics.Segment{}, analytics.KPIParams{})
		if err != nil {
			t.Fatal(err)
		}
		wantK := &analytics.KPIs{
			Period: period, PromoterMin: 9, DetractorMax: 6, RepurchaseRate: p("0.8000"),
			RepurchaseAmount: []analytics.Amount{{Currency: "CNY", Minor: 100_727_929}, {Currency: "USD", Minor: 5_010}},
			CustomerRevenue:  []analytics.Amount{{Currency: "CNY", Minor: 200_727_929}, {Currency: "USD", Minor: 6_011}},
			NPS:              analytics.NPS{NullReason: analytics.NoSurveyData},
		}
		k.Definitions = nil
		if !reflect.DeepEqual(k, wantK) {
			t.Errorf("KPIs\n got  %s\n want %s", show(*k), show(*wantK))
		}
		// Empty period: rate null, no currency, NPS null.
		k, err = f.svc.SuccessKpis(f.ctx, analytics.Period{Start: day("2020-01-01"), End: day("2020-02-01")}, analytics.Segment{}, analytics.KPIParams{})
		if err != nil {
			t.Fatal(err)
		}
		if k.RepurchaseRate != nil || len(k.RepurchaseAmount)+len(k.CustomerRevenue) != 0 || k.NPS.Value != nil {
			t.Errorf("empty period KPIs = %s", show(*k))
		}
	})
}

func TestAnalyticsFunnel(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		exp := account.Account{FunnelStage: "EXPOSURE"}
		// Exposure before the period: not in the cohort.
		f1 := f.account("F1", at("2025-12-15T00:00:00Z"), exp)
		f.stage(f1, "LEAD", "2026-01-10T00:00:00Z")
		// Every stage: 2.5, 10 and 14.5 days; delivery entered at the end: not reached.
		f2 := f.account("F2", at("2026-01-05T00:00:00Z"), exp)
		f.stage(f2, "LEAD", "2026-01-07T12:00:00Z")
		f.stage(f2, "OPPORTUNITY", "2026-01-17T12:00:00Z")
		f.stage(f2, "DEAL", "2026-02-01T00:00:00Z")
		f.stage(f2, "DELIVERY", "2026-04-01T00:00:00Z")
		// Skips opportunity: lead has no time (never entered opportunity); exposure
		// 1 day 1 s, deal 10.25 days, delivery 28.75 days.
		f3 := f.account("F3", at("2026-01-10T00:00:00Z"), exp)
		f.stage(f3, "LEAD", "2026-01-11T00:00:01Z")
		f.stage(f3, "DEAL", "2026-01-21T00:00:00Z")
		f.stage(f3, "DELIVERY", "2026-01-31T06:00:00Z")
		f.stage(f3, "EXPANSION", "2026-03-01T00:00:00Z")
		// Still in lead at the end (exposure 4 days).
		f4 := f.account("F4", at("2026-02-01T00:00:00Z"), exp)
		f.stage(f4, "LEAD", "2026-02-05T00:00:00Z")
		// Still in exposure at the end, entered one second before it.
		f.account("F5", at("2026-03-31T23:59:59Z"), exp)
		// Exposure at the end: next period.
		f.account("F6", at("2026-04-01T00:00:00Z"), exp)
		// Deleted: excluded.
		f7 := f.account("F7", at("2026-02-10T00:00:00Z"), exp)
		f.stage(f7, "LEAD", "2026-02-11T00:00:00Z")
		f.delete(f7)
		// Created at lead: no exposure entry, never in a cohort.
		f.account("F8", at("2026-01-20T00:00:00Z"), account.Account{FunnelStage: "LEAD"})
		// Back and forth: the earliest entries count (exposure 1 day 20 h).
		f9 := f.account("F9", at("2026-02-15T00:00:00Z"), exp)
		f.stage(f9, "LEAD", "2026-02-16T20:00:00Z")
		f.stage(f9, "EXPOSURE", "2026-02-20T00:00:00Z")
		f.stage(f9, "LEAD", "2026-02-25T00:00:00Z")

		got, err := f.svc.Funnel(f.ctx, period, analytics.Segment{})
		if err != nil {
			t.Fatal(err)
		}
		i := func(v int64) *int64 { return &v }
		want := []analytics.StageFigures{
			// Cohort F2, F3, F4, F5, F9. Exposure times 1.0000116, 1.8333, 2.5, 4 days:
			// median (1.8333… + 2.5) / 2 = 2.1666….
			{Stage: "EXPOSURE", Reached: 5, Conversion: p("0.8000"), DropOff: i(1), Left: 4, MedianDays: p("2.1667")},
			{Stage: "LEAD", Reached: 4, Conversion: p("0.2500"), DropOff: i(3), Left: 1, MedianDays: p("10.0000")},
			{Stage: "OPPORTUNITY", Reached: 1, Conversion: p("2.0000"), DropOff: i(-1), Left: 1, MedianDays: p("14.5000")},
			{Stage: "DEAL", Reached: 2, Conversion: p("0.5000"), DropOff: i(1), Left: 1, MedianDays: p("10.2500")},
			{Stage: "DELIVERY", Reached: 1, Conversion: p("1.0000"), DropOff: i(0), Left: 1, MedianDays: p("28.7500")},
			{Stage: "EXPANSION", Reached: 1},
		}
		if got.Cohort != 5 || !reflect.DeepEqual(got.Stages, want) {
			t.Errorf("funnel cohort %d\n got  %s\n want %s", got.Cohort, show(got.Stages), show(want))
		}
		// An odd count: the cohort of February (F4, F9): exposure 4 and 1.8333 days →
		// even; of February 1–14 only F4: median 4.
		got, err = f.svc.Funnel(f.ctx, analytics.Period{Start: day("2026-02-01"), End: day("2026-02-15")}, analytics.Segment{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Cohort != 1 || *got.Stages[0].MedianDays != "4.0000" || got.Stages[1].MedianDays != nil || got.Stages[1].Reached != 1 {
			t.Errorf("February 1–14 funnel: %s", show(got.Stages))
		}
		// A period ending before F2 reached opportunity: its lead time is not counted.
		got, err = f.svc.Funnel(f.ctx, analytics.Period{Start: day("2026-01-01"), End: day("2026-01-12")}, analytics.Segment{})
		if err != nil {
			t.Fatal(err)
		}
		// Cohort F2, F3; both in lead (F3 at 00:00:01 on the 11th); exposure 2.5 and
		// 1.0000116 days: median 1.7500058 → 1.7500.
		if got.Cohort != 2 || got.Stages[1].Reached != 2 || got.Stages[1].Left != 0 || *got.Stages[0].MedianDays != "1.7500" {
			t.Errorf("January 1–11 funnel: %s", show(got.Stages))
		}
		// Empty: no cohort, nulls.
		got, err = f.svc.Funnel(f.ctx, analytics.Period{Start: day("2020-01-01"), End: day("2020-02-01")}, analytics.Segment{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Cohort != 0 || got.Stages[0].Conversion != nil || got.Stages[0].MedianDays != nil || *got.Stages[0].DropOff != 0 {
			t.Errorf("empty funnel: %s", show(got.Stages))
		}
	})
}

// An account recorded after the period (created 2026-05-01) with a deal dated in it:
// a closed customer of the period (Q1a has no existence condition) whose currency is
// listed, but not in the pool or any figure that needs the account to exist at the end.
func TestAnalyticsLateRecordedAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		late := f.account("Late", day("2026-05-01"), account.Account{})
		f.deal(late, "EUR", 12_345, "2026-02-01")
		f.deal(late, "EUR", 10_000, "2026-03-01")
		got, err := f.svc.AssetInventory(f.ctx, period, analytics.Segment{}, analytics.InventoryParams{})
		if err != nil {
			t.Fatal(err)
		}
		checkInventory(t, got, &analytics.Inventory{
			ClosedCustomers: 1, Repurchasing: 1, RepurchaseRate: p("1.0000"),
			// 10 000 / 12 345 = 0.81004…
			Currencies: []analytics.CurrencyInventory{{Currency: "EUR", FirstDeals: 1, RepDeals: 1,
				AvgFirst: p(int64(12_345)), AvgRep: p(int64(10_000)), AmountRepurchaseRate: p("0.8100")}},
		})
		if !reflect.DeepEqual(got.Unconverted, []string{"EUR"}) {
			t.Errorf("unconverted = %v, want [EUR]", got.Unconverted)
		}
	})
}
