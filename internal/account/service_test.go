package account_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// These tests run the domain rules against the real store, on SQLite and PostgreSQL,
// with the committed migrations applied.

func newService(db *database.DB) *account.Service { return account.NewService(store.New(db), nil) }

func mustCreate(t *testing.T, svc *account.Service, a account.Account) *account.Account {
	t.Helper()
	out, err := svc.CreateAccount(context.Background(), a, "")
	if err != nil {
		t.Fatalf("CreateAccount(%q): %v", a.DisplayName, err)
	}
	return out
}

func wantKind(t *testing.T, err error, k failure.Kind) *failure.Error {
	t.Helper()
	f, ok := failure.As(err)
	if !ok || f.Kind != k {
		t.Fatalf("error = %v (%T), want failure kind %d", err, err, k)
	}
	return f
}

func TestCreateAndGet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		in := account.Account{
			DisplayName: "  杭州云帆科技有限公司 ", TaxID: "91330100MA2H0XYZ1K", Domain: "yunfan.example.cn",
			Industry: "software", Region: "east-china", Size: "MEDIUM", Labels: []string{"vip", "pilot", "vip"},
			ExternalIDs: map[string]string{"salesforce": "0015g00000XyZ"}, RevenueTier: "KEY", StrategicRole: "BENCHMARK",
		}
		a := mustCreate(t, svc, in)
		if a.DisplayName != "杭州云帆科技有限公司" || a.ActivityStatus != "NEW" || a.FunnelStage != "EXPOSURE" || a.Etag() != "1" {
			t.Errorf("created = %+v", a)
		}
		if fmt.Sprint(a.Labels) != "[pilot vip]" {
			t.Errorf("labels = %v, want sorted and deduplicated", a.Labels)
		}
		got, err := svc.GetAccount(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != a.DisplayName || got.TaxID != in.TaxID || got.ExternalIDs["salesforce"] != "0015g00000XyZ" ||
			fmt.Sprint(got.Labels) != "[pilot vip]" || got.RevenueTier != "KEY" || !got.CreateTime.Equal(a.CreateTime) || got.Revision != 1 {
			t.Errorf("get = %+v\nwant %+v", got, a)
		}
		changes, err := svc.ListStageChanges(ctx, a.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(changes.Items) != 1 || changes.Items[0].FromStage != "" || changes.Items[0].ToStage != "EXPOSURE" {
			t.Errorf("stage changes = %+v", changes.Items)
		}
		_, err = svc.GetAccount(ctx, uuid.New())
		wantKind(t, err, failure.NotFound)
		_, err = svc.CreateAccount(ctx, account.Account{DisplayName: "   "}, "")
		f := wantKind(t, err, failure.Invalid)
		if len(f.Violations) != 1 || f.Violations[0].Field != "account.display_name" {
			t.Errorf("violations = %+v", f.Violations)
		}
	})
}

func TestDuplicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		base := mustCreate(t, svc, account.Account{DisplayName: "Acme", TaxID: "91-3100 00ab", Domain: "https://www.Acme.com/about"})
		noKeys := mustCreate(t, svc, account.Account{DisplayName: "Northwind Logistics Ltd."})
		ext := mustCreate(t, svc, account.Account{DisplayName: "Ext Co", ExternalIDs: map[string]string{"crm": "42"}})
		cases := []struct {
			name string
			in   account.Account
			dup  uuid.UUID
		}{
			{"same tax id, other spelling", account.Account{DisplayName: "Other", TaxID: "913100 00AB"}, base.ID},
			{"same domain, other form", account.Account{DisplayName: "Other", Domain: "acme.COM"}, base.ID},
			{"same name, no keys", account.Account{DisplayName: "northwind  logistics"}, noKeys.ID},
			{"same external id", account.Account{DisplayName: "Another", ExternalIDs: map[string]string{"crm": "42"}}, ext.ID},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := svc.CreateAccount(ctx, c.in, "")
				f := wantKind(t, err, failure.AlreadyExists)
				if f.Resource != account.AccountName(c.dup) {
					t.Errorf("duplicate named %q, want %q (%s)", f.Resource, account.AccountName(c.dup), f.Msg)
				}
			})
		}
		// A name alone does not collide with an account that has a tax id or domain.
		mustCreate(t, svc, account.Account{DisplayName: "Acme Inc", TaxID: "OTHER-1"})
		// A deleted account does not block a new one; undeleting it then conflicts.
		if _, err := svc.DeleteAccount(ctx, base.ID, ""); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, svc, account.Account{DisplayName: "Acme Reborn", TaxID: "913100-00AB"})
		_, err := svc.UndeleteAccount(ctx, base.ID, "")
		wantKind(t, err, failure.AlreadyExists)
		// A deleted account's external id is free for a live one, and then blocks its undelete.
		if _, err := svc.DeleteAccount(ctx, ext.ID, ""); err != nil {
			t.Fatal(err)
		}
		ext2 := mustCreate(t, svc, account.Account{DisplayName: "Ext Two", ExternalIDs: map[string]string{"crm": "42"}})
		_, err = svc.UndeleteAccount(ctx, ext.ID, "")
		if f := wantKind(t, err, failure.AlreadyExists); f.Resource != ext2.Name() {
			t.Errorf("undelete conflict names %q, want %q", f.Resource, ext2.Name())
		}
		if _, err := svc.DeleteAccount(ctx, ext2.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UndeleteAccount(ctx, ext.ID, ""); err != nil {
			t.Fatalf("undelete after the conflict went away: %v", err)
		}
		// Updating into a duplicate fails and changes nothing.
		_, err = svc.UpdateAccount(ctx, ext.ID, account.Account{TaxID: "91310000ab", DisplayName: "Renamed"}, []string{"tax_id", "display_name"}, "")
		wantKind(t, err, failure.AlreadyExists)
		got, _ := svc.GetAccount(ctx, ext.ID)
		if got.DisplayName != "Ext Co" || got.TaxID != "" || got.Revision != 3 {
			t.Errorf("after failed update: %+v", got)
		}
	})
}

// TestConcurrentDuplicates creates the same organisation from many goroutines: exactly
// one create wins, whichever key makes them duplicates.
func TestConcurrentDuplicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		for _, in := range []account.Account{
			{DisplayName: "Race By Name Ltd"},
			{DisplayName: "Race By Domain", Domain: "race-domain.example"},
			{DisplayName: "Race By Ext", ExternalIDs: map[string]string{"erp": "E-1"}},
		} {
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					a := in
					if in.Domain == "" && len(in.ExternalIDs) == 0 {
						a.DisplayName = fmt.Sprintf("%s%s", in.DisplayName, strings.Repeat(".", i)) // same normalised name
					} else {
						a.DisplayName = fmt.Sprintf("%s %d", in.DisplayName, i)
					}
					_, errs[i] = svc.CreateAccount(ctx, a, "")
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !failure.Is(err, failure.AlreadyExists) {
					t.Errorf("%s: %v", in.DisplayName, err)
				}
			}
			if ok != 1 {
				t.Errorf("%s: %d creates succeeded, want 1", in.DisplayName, ok)
			}
		}
	})
}

func TestCreateIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		a1, err := svc.CreateAccount(ctx, account.Account{DisplayName: "Idem", TaxID: "ID1"}, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		a2, err := svc.CreateAccount(ctx, account.Account{DisplayName: "Idem", TaxID: "ID1"}, "req-1")
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if a1.ID != a2.ID {
			t.Errorf("retry created %s, first %s", a2.ID, a1.ID)
		}
		// Concurrent retries of one request create one account.
		var wg sync.WaitGroup
		ids := make([]uuid.UUID, 6)
		errs := make([]error, 6)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := svc.CreateAccount(ctx, account.Account{DisplayName: "Race", Domain: "race.example"}, "req-race")
				errs[i] = err
				if a != nil {
					ids[i] = a.ID
				}
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Errorf("concurrent retry %d: %v, id %s vs %s", i, errs[i], ids[i], ids[0])
			}
		}
		p, err := svc.ListAccounts(ctx, account.ListRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 2 {
			t.Errorf("accounts = %d, want 2", len(p.Items))
		}
	})
}

func TestUpdateDeleteUndelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		a := mustCreate(t, svc, account.Account{DisplayName: "Globex", Industry: "energy"})
		u, err := svc.UpdateAccount(ctx, a.ID, account.Account{Industry: "retail", FunnelStage: "LEAD", Region: "ignored"}, []string{"industry", "funnel_stage"}, a.Etag())
		if err != nil {
			t.Fatal(err)
		}
		if u.Industry != "retail" || u.Region != "" || u.FunnelStage != "LEAD" || u.Etag() != "2" {
			t.Errorf("updated = %+v", u)
		}
		_, err = svc.UpdateAccount(ctx, a.ID, account.Account{Industry: "x"}, []string{"industry"}, a.Etag())
		wantKind(t, err, failure.Aborted)
		_, err = svc.UpdateAccount(ctx, a.ID, account.Account{}, []string{"owner"}, "")
		wantKind(t, err, failure.Invalid)
		_, err = svc.UpdateAccount(ctx, a.ID, account.Account{}, []string{"display_name"}, "")
		wantKind(t, err, failure.Invalid)
		// A no-op update writes nothing.
		same, err := svc.UpdateAccount(ctx, a.ID, account.Account{Industry: "retail"}, []string{"industry"}, `"2"`)
		if err != nil || same.Revision != 2 {
			t.Errorf("no-op update: %v, revision %d", err, same.Revision)
		}
		sc, _ := svc.ListStageChanges(ctx, a.ID, 0, "")
		if len(sc.Items) != 2 || sc.Items[1].FromStage != "EXPOSURE" || sc.Items[1].ToStage != "LEAD" {
			t.Errorf("stage changes = %+v", sc.Items)
		}

		d, err := svc.DeleteAccount(ctx, a.ID, "")
		if err != nil || d.DeleteTime == nil {
			t.Fatalf("delete: %v %+v", err, d)
		}
		_, err = svc.DeleteAccount(ctx, a.ID, "")
		wantKind(t, err, failure.FailedPrecondition)
		_, err = svc.UpdateAccount(ctx, a.ID, account.Account{Industry: "x"}, []string{"industry"}, "")
		wantKind(t, err, failure.FailedPrecondition)
		_, err = svc.ClaimAccount(ctx, a.ID, "a@x", "", "")
		wantKind(t, err, failure.FailedPrecondition)
		if g, _ := svc.GetAccount(ctx, a.ID); g.DeleteTime == nil {
			t.Error("get of a deleted account lost delete_time")
		}
		live, _ := svc.ListAccounts(ctx, account.ListRequest{})
		all, _ := svc.ListAccounts(ctx, account.ListRequest{ShowDeleted: true})
		if len(live.Items) != 0 || len(all.Items) != 1 {
			t.Errorf("list live %d, with deleted %d", len(live.Items), len(all.Items))
		}
		r, err := svc.UndeleteAccount(ctx, a.ID, d.Etag())
		if err != nil || r.DeleteTime != nil {
			t.Fatalf("undelete: %v %+v", err, r)
		}
		_, err = svc.UndeleteAccount(ctx, a.ID, "")
		wantKind(t, err, failure.FailedPrecondition)
	})
}

func TestOwnership(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		a := mustCreate(t, svc, account.Account{DisplayName: "Initech"})
		_, err := svc.TransferAccount(ctx, a.ID, "bob@x", "rebalance", "")
		wantKind(t, err, failure.FailedPrecondition)
		c, err := svc.ClaimAccount(ctx, a.ID, "alice@x", "met at expo", "")
		if err != nil || c.Owner != "alice@x" || c.FirstOwner != "alice@x" {
			t.Fatalf("claim: %v %+v", err, c)
		}
		f := wantKindErr(t, func() error { _, err := svc.ClaimAccount(ctx, a.ID, "bob@x", "", ""); return err }, failure.FailedPrecondition)
		if f.Reason != "ACCOUNT_ALREADY_OWNED" {
			t.Errorf("reason = %q", f.Reason)
		}
		_, err = svc.TransferAccount(ctx, a.ID, "alice@x", "same", "")
		wantKind(t, err, failure.FailedPrecondition)
		_, err = svc.TransferAccount(ctx, a.ID, "bob@x", "  ", "")
		wantKind(t, err, failure.Invalid)
		tr, err := svc.TransferAccount(ctx, a.ID, "bob@x", "territory rebalancing", "")
		if err != nil || tr.Owner != "bob@x" || tr.FirstOwner != "alice@x" {
			t.Fatalf("transfer: %v %+v", err, tr)
		}
		h, err := svc.ListOwnershipHistory(ctx, a.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Items) != 2 {
			t.Fatalf("history = %+v", h.Items)
		}
		p0, p1 := h.Items[0], h.Items[1]
		if p0.Owner != "alice@x" || p0.Kind != "CLAIM" || p0.EndTime == nil || !p0.EndTime.Equal(p1.StartTime) ||
			p1.Owner != "bob@x" || p1.Kind != "TRANSFER" || p1.EndTime != nil || p1.Reason != "territory rebalancing" {
			t.Errorf("history = %+v / %+v", p0, p1)
		}
	})
}

func wantKindErr(t *testing.T, fn func() error, k failure.Kind) *failure.Error {
	t.Helper()
	return wantKind(t, fn(), k)
}

func TestConcurrentClaims(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		a := mustCreate(t, svc, account.Account{DisplayName: "Contested"})
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.ClaimAccount(ctx, a.ID, fmt.Sprintf("rep%d@x", i), "", "")
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !failure.Is(err, failure.FailedPrecondition) {
				t.Errorf("claim error %v", err)
			}
		}
		h, _ := svc.ListOwnershipHistory(ctx, a.ID, 0, "")
		if ok != 1 || len(h.Items) != 1 {
			t.Errorf("%d claims succeeded, %d periods; want exactly 1", ok, len(h.Items))
		}
	})
}

func TestListFilterOrderPaging(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		tiers := []string{"KEY", "GENERAL", "SMALL"}
		for i := 0; i < 25; i++ {
			a := account.Account{DisplayName: fmt.Sprintf("Org %02d", i), RevenueTier: tiers[i%3], Region: "east"}
			if i%5 == 0 {
				a.Labels = []string{"vip"}
			}
			if i == 7 {
				a.ExternalIDs = map[string]string{"crm": "c-7"}
			}
			mustCreate(t, svc, a)
		}
		count := func(filter string) int {
			t.Helper()
			p, err := svc.ListAccounts(ctx, account.ListRequest{Filter: filter, PageSize: 1000})
			if err != nil {
				t.Fatalf("filter %q: %v", filter, err)
			}
			return len(p.Items)
		}
		for filter, want := range map[string]int{
			"":                                    25,
			`revenue_tier = KEY`:                  9,
			`revenue_tier = REVENUE_TIER_GENERAL`: 8,
			`revenue_tier != KEY`:                 16,
			`labels:vip`:                          5,
			`-labels:vip`:                         20,
			`labels:vip AND revenue_tier = KEY`:   2,
			`revenue_tier = KEY OR revenue_tier = SMALL`: 17,
			`display_name = "org 1*"`:                    10,
			`display_name = "Org 03"`:                    1,
			`external_ids.crm = "c-7"`:                   1,
			`external_ids:crm`:                           1,
			`NOT (region = "east")`:                      0,
			`create_time > "2000-01-01T00:00:00Z"`:       25,
			`create_time < "2000-01-01T00:00:00Z"`:       0,
		} {
			if got := count(filter); got != want {
				t.Errorf("filter %q: %d accounts, want %d", filter, got, want)
			}
		}
		// Filter values are bound arguments, never SQL.
		if got := count(`display_name = "x'; DROP TABLE accounts; --"`); got != 0 {
			t.Errorf("injection-shaped filter matched %d", got)
		}
		if got := count(`display_name = "%"`); got != 0 {
			t.Errorf("a %% value matched %d accounts", got)
		}
		if got := count(`display_name = "Org_0*"`); got != 0 {
			t.Errorf("an _ in a prefix is a wildcard: matched %d", got)
		}
		if got := count(""); got != 25 {
			t.Errorf("after injection attempts: %d accounts", got)
		}
		_, err := svc.ListAccounts(ctx, account.ListRequest{Filter: `colour = "red"`})
		f := wantKind(t, err, failure.Invalid)
		if f.Violations[0].Field != "filter" {
			t.Errorf("violation %+v", f.Violations)
		}
		_, err = svc.ListAccounts(ctx, account.ListRequest{OrderBy: "owner"})
		wantKind(t, err, failure.Invalid)

		// Page through by name descending while inserting: no row is missed or repeated.
		seen := map[uuid.UUID]bool{}
		var names []string
		token := ""
		for pages := 0; ; pages++ {
			p, err := svc.ListAccounts(ctx, account.ListRequest{PageSize: 4, PageToken: token, OrderBy: "display_name desc"})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Items {
				if seen[a.ID] {
					t.Errorf("account %s seen twice", a.DisplayName)
				}
				seen[a.ID] = true
				names = append(names, a.DisplayName)
			}
			if pages == 1 {
				mustCreate(t, svc, account.Account{DisplayName: "AAA inserted later"})
			}
			if p.NextPageToken == "" {
				break
			}
			token = p.NextPageToken
		}
		if len(names) != 26 || names[0] != "Org 24" || names[24] != "Org 00" || names[25] != "AAA inserted later" {
			t.Errorf("paged names = %v", names)
		}
		// A token is bound to its query.
		p, _ := svc.ListAccounts(ctx, account.ListRequest{PageSize: 2})
		_, err = svc.ListAccounts(ctx, account.ListRequest{PageSize: 2, PageToken: p.NextPageToken, Filter: "labels:vip"})
		wantKind(t, err, failure.Invalid)
		_, err = svc.ListAccounts(ctx, account.ListRequest{PageToken: "garbage"})
		wantKind(t, err, failure.Invalid)
	})
}

func TestContacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		a := mustCreate(t, svc, account.Account{DisplayName: "Umbrella"})
		c1, err := svc.CreateContact(ctx, a.ID, account.Contact{DisplayName: "Li Wei", Email: "LI.WEI@umbrella.example", SeniorityLevel: "EXECUTIVE"}, "")
		if err != nil || !c1.Primary || c1.Email != "li.wei@umbrella.example" {
			t.Fatalf("first contact: %v %+v", err, c1)
		}
		c2, err := svc.CreateContact(ctx, a.ID, account.Contact{DisplayName: "Wang Fang", DecisionRole: "INFLUENCER"}, "")
		if err != nil || c2.Primary {
			t.Fatalf("second contact: %v %+v", err, c2)
		}
		got, _ := svc.GetAccount(ctx, a.ID)
		if got.PrimaryContact != c1.ID {
			t.Errorf("account primary = %s, want %s", got.PrimaryContact, c1.ID)
		}
		err = svc.DeleteContact(ctx, a.ID, c1.ID, "")
		wantKind(t, err, failure.FailedPrecondition)
		p, err := svc.SetPrimaryContact(ctx, a.ID, c2.ID, "Li Wei moved on")
		if err != nil || !p.Primary {
			t.Fatalf("set primary: %v %+v", err, p)
		}
		// Setting it again is a no-op, not an error, and records nothing.
		if again, err := svc.SetPrimaryContact(ctx, a.ID, c2.ID, "double click"); err != nil || !again.Primary {
			t.Errorf("set primary again: %v %+v", err, again)
		}
		list, err := svc.ListContacts(ctx, a.ID, account.ListRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 2 || list.Items[0].ID != c2.ID || !list.Items[0].Primary || list.Items[1].Primary {
			t.Errorf("contacts = %+v", list.Items)
		}
		ch, _ := svc.ListPrimaryContactChanges(ctx, a.ID, 0, "")
		if len(ch.Items) != 2 || ch.Items[1].FromContact != c1.ID || ch.Items[1].ToContact != c2.ID || ch.Items[1].Reason != "Li Wei moved on" {
			t.Errorf("primary changes = %+v", ch.Items)
		}
		if err := svc.DeleteContact(ctx, a.ID, c1.ID, ""); err != nil {
			t.Fatal(err)
		}
		up, err := svc.UpdateContact(ctx, a.ID, c2.ID, account.Contact{Attitude: "SUPPORTER"}, []string{"attitude"}, "")
		if err != nil || up.Attitude != "SUPPORTER" || up.DisplayName != "Wang Fang" || !up.Primary {
			t.Errorf("update contact: %v %+v", err, up)
		}
		f, _ := svc.ListContacts(ctx, a.ID, account.ListRequest{Filter: "attitude = ATTITUDE_SUPPORTER AND primary = true"})
		if len(f.Items) != 1 {
			t.Errorf("filtered contacts = %d", len(f.Items))
		}
		_, err = svc.GetContact(ctx, a.ID, c1.ID)
		wantKind(t, err, failure.NotFound)
		// The contact of one account is not reachable under another.
		b := mustCreate(t, svc, account.Account{DisplayName: "Other org"})
		_, err = svc.GetContact(ctx, b.ID, c2.ID)
		wantKind(t, err, failure.NotFound)
	})
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDeals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		a := mustCreate(t, svc, account.Account{DisplayName: "Soylent"})
		cny := func(n int64) account.Money { return account.Money{CurrencyCode: "CNY", MinorUnits: n} }
		create := func(d account.Deal) (*account.Deal, error) { return svc.CreateDeal(ctx, a.ID, d, "") }
		kinds := func() string {
			t.Helper()
			p, err := svc.ListDeals(ctx, a.ID, account.ListRequest{OrderBy: "close_date"})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, d := range p.Items {
				out = append(out, d.CloseDate.Format("01-02")+":"+d.Kind)
			}
			return fmt.Sprint(out)
		}
		// The account's first won deal is its first purchase: another kind is refused.
		_, err := create(account.Deal{Amount: cny(100), CloseDate: day("2025-03-01"), Kind: "REPURCHASE"})
		wantKind(t, err, failure.FailedPrecondition)
		first, err := create(account.Deal{Amount: cny(100_00), CloseDate: day("2025-03-01"), Product: "Core"})
		if err != nil || first.Kind != "FIRST_PURCHASE" || !first.First || first.Status != "WON" || !first.CloseDate.Equal(day("2025-03-01")) {
			t.Fatalf("first deal: %v %+v", err, first)
		}
		// A later deal cannot claim to be the first purchase.
		_, err = create(account.Deal{Amount: cny(1), CloseDate: day("2025-04-01"), Kind: "FIRST_PURCHASE"})
		f := wantKind(t, err, failure.FailedPrecondition)
		if f.Resource != first.Name() {
			t.Errorf("mismatch names %q, want the first purchase %q", f.Resource, first.Name())
		}
		second, err := create(account.Deal{Amount: cny(50_00), CloseDate: day("2025-09-01")})
		if err != nil || second.Kind != "REPURCHASE" {
			t.Fatalf("second deal: %v %+v", err, second)
		}
		third, err := create(account.Deal{Amount: account.Money{CurrencyCode: "USD", MinorUnits: 999}, CloseDate: day("2026-02-01"), Kind: "UPSELL"})
		if err != nil || third.Kind != "UPSELL" {
			t.Fatal(err)
		}
		// An open deal dated earlier is not a purchase, so it does not become the first.
		open, err := create(account.Deal{Amount: cny(7), CloseDate: day("2024-06-01"), Status: "OPEN"})
		if err != nil || open.Kind != "" || open.First {
			t.Fatalf("open deal: %v %+v", err, open)
		}
		_, err = create(account.Deal{Amount: cny(-5), CloseDate: day("2026-02-01")})
		wantKind(t, err, failure.Invalid)
		// The first purchase stays editable while later deals exist.
		up, err := svc.UpdateDeal(ctx, a.ID, first.ID, account.Deal{Product: "Core v2"}, []string{"product"}, first.Etag())
		if err != nil || up.Product != "Core v2" || up.Kind != "FIRST_PURCHASE" {
			t.Fatalf("edit first purchase: %v %+v", err, up)
		}
		_, err = svc.UpdateDeal(ctx, a.ID, second.ID, account.Deal{Kind: "FIRST_PURCHASE"}, []string{"kind"}, "")
		wantKind(t, err, failure.FailedPrecondition)
		up2, err := svc.UpdateDeal(ctx, a.ID, second.ID, account.Deal{Amount: cny(60_00)}, []string{"amount"}, second.Etag())
		if err != nil || up2.Amount.MinorUnits != 60_00 || up2.Kind != "REPURCHASE" {
			t.Errorf("update deal: %v %+v", err, up2)
		}
		if got := kinds(); got != "[06-01: 03-01:FIRST_PURCHASE 09-01:REPURCHASE 02-01:UPSELL]" {
			t.Errorf("kinds = %s", got)
		}
		// Back-filling an earlier won deal makes it the first purchase.
		early, err := create(account.Deal{Amount: cny(9), CloseDate: day("2024-12-24")})
		if err != nil || early.Kind != "FIRST_PURCHASE" {
			t.Fatalf("back-filled deal: %v %+v", err, early)
		}
		if got := kinds(); got != "[06-01: 12-24:FIRST_PURCHASE 03-01:REPURCHASE 09-01:REPURCHASE 02-01:UPSELL]" {
			t.Errorf("after back-fill = %s", got)
		}
		// Winning the open deal moves the first purchase again; deleting it moves it back.
		won, err := svc.UpdateDeal(ctx, a.ID, open.ID, account.Deal{Status: "WON"}, []string{"status"}, "")
		if err != nil || won.Kind != "FIRST_PURCHASE" {
			t.Fatalf("won open deal: %v %+v", err, won)
		}
		if err := svc.DeleteDeal(ctx, a.ID, open.ID, ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteDeal(ctx, a.ID, early.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := kinds(); got != "[03-01:FIRST_PURCHASE 09-01:REPURCHASE 02-01:UPSELL]" {
			t.Errorf("after deletes = %s", got)
		}
		_, err = svc.UpdateDeal(ctx, a.ID, second.ID, account.Deal{CloseDate: day("2024-01-01"), Kind: "UPSELL"}, []string{"close_date", "kind"}, "")
		wantKind(t, err, failure.FailedPrecondition)
		for filter, want := range map[string]int{
			`close_date >= "2025-09-01"`:         2,
			`close_date = "2025-03-01"`:          1,
			`kind = FIRST_PURCHASE`:              1,
			`kind = REPURCHASE`:                  1,
			`kind != FIRST_PURCHASE`:             2,
			`status = WON`:                       3,
			`currency_code = "USD"`:              1,
			`product = "Core*" OR kind = UPSELL`: 2,
		} {
			p, err := svc.ListDeals(ctx, a.ID, account.ListRequest{Filter: filter})
			if err != nil || len(p.Items) != want {
				t.Errorf("deals %q: %v, %d want %d", filter, err, len(p.Items), want)
			}
		}
		for _, bad := range []string{`close_date > "last year"`, `close_date > "2025-02-30"`} {
			_, err = svc.ListDeals(ctx, a.ID, account.ListRequest{Filter: bad})
			wantKind(t, err, failure.Invalid)
		}
		list, err := svc.ListDeals(ctx, a.ID, account.ListRequest{})
		if err != nil || len(list.Items) != 3 || list.Items[0].ID != third.ID || list.Items[2].ID != first.ID {
			t.Errorf("deals newest first = %v %+v", err, list.Items)
		}
		asc, _ := svc.ListDeals(ctx, a.ID, account.ListRequest{OrderBy: "close_date", PageSize: 2})
		if len(asc.Items) != 2 || asc.Items[0].ID != first.ID || asc.NextPageToken == "" {
			t.Errorf("ascending page = %+v", asc)
		}
		rest, err := svc.ListDeals(ctx, a.ID, account.ListRequest{OrderBy: "close_date", PageSize: 2, PageToken: asc.NextPageToken})
		if err != nil || len(rest.Items) != 1 || rest.Items[0].ID != third.ID || rest.NextPageToken != "" {
			t.Errorf("second page = %v %+v", err, rest)
		}
		// A retried create whose deal was deleted since is refused clearly.
		d, err := svc.CreateDeal(ctx, a.ID, account.Deal{Amount: cny(5), CloseDate: day("2026-03-01")}, "r-gone")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteDeal(ctx, a.ID, d.ID, ""); err != nil {
			t.Fatal(err)
		}
		_, err = svc.CreateDeal(ctx, a.ID, account.Deal{Amount: cny(5), CloseDate: day("2026-03-01")}, "r-gone")
		if f := wantKind(t, err, failure.FailedPrecondition); f.Reason != "REQUEST_ALREADY_USED" {
			t.Errorf("reason = %q", f.Reason)
		}
	})
}

func TestInteractions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newService(db)
		a := mustCreate(t, svc, account.Account{DisplayName: "Hooli"})
		now := time.Now().UTC()
		for i, k := range []string{"CALL", "MEETING", "VISIT", "EMAIL"} {
			_, err := svc.CreateInteraction(ctx, a.ID, account.Interaction{Kind: k, OccurTime: now.Add(-time.Duration(10-i) * time.Hour),
				Participants: []string{"Li Wei"}, Summary: "follow-up " + k}, "")
			if err != nil {
				t.Fatal(err)
			}
		}
		tl, err := svc.ListInteractions(ctx, a.ID, account.ListRequest{PageSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Items) != 3 || tl.Items[0].Kind != "EMAIL" || tl.Items[2].Kind != "MEETING" || tl.NextPageToken == "" {
			t.Errorf("timeline = %+v", tl.Items)
		}
		_, err = svc.CreateInteraction(ctx, a.ID, account.Interaction{Kind: "CALL", OccurTime: now.Add(72 * time.Hour), Summary: "x"}, "")
		wantKind(t, err, failure.Invalid)
		_, err = svc.CreateInteraction(ctx, a.ID, account.Interaction{OccurTime: now, Summary: "x"}, "")
		wantKind(t, err, failure.Invalid)
		f, err := svc.ListInteractions(ctx, a.ID, account.ListRequest{Filter: fmt.Sprintf(`kind = VISIT OR occur_time > %q`, now.Add(-7*time.Hour).Format(time.RFC3339))})
		if err != nil || len(f.Items) != 2 {
			t.Errorf("filtered timeline: %v %d", err, len(f.Items))
		}
		_, err = svc.ListInteractions(ctx, uuid.New(), account.ListRequest{})
		wantKind(t, err, failure.NotFound)
		// Updating with the same values writes nothing and keeps the etag.
		it := tl.Items[0]
		u1, err := svc.UpdateInteraction(ctx, a.ID, it.ID, account.Interaction{Summary: "new summary"}, []string{"summary"}, it.Etag())
		if err != nil || u1.Summary != "new summary" || u1.Revision != 2 {
			t.Fatalf("update interaction: %v %+v", err, u1)
		}
		u2, err := svc.UpdateInteraction(ctx, a.ID, it.ID, account.Interaction{Summary: "new summary"}, []string{"summary"}, u1.Etag())
		if err != nil || u2.Revision != 2 || !u2.UpdateTime.Equal(u1.UpdateTime) {
			t.Errorf("no-op update: %v %+v", err, u2)
		}
	})
}

// TestBusyDatabase holds SQLite's write lock from another connection: a write that
// cannot get it within busy_timeout is UNAVAILABLE (retryable), not INTERNAL.
func TestBusyDatabase(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t, testdb.Dialects[0]) + "?_pragma=busy_timeout(100)"
	db, err := database.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, err = newService(db).CreateAccount(ctx, account.Account{DisplayName: "Blocked"}, "")
	if f := wantKind(t, err, failure.Unavailable); f.Reason != "DATABASE_BUSY" {
		t.Errorf("reason = %q", f.Reason)
	}
	if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := newService(db).CreateAccount(ctx, account.Account{DisplayName: "Unblocked"}, ""); err != nil {
		t.Errorf("after the lock is released: %v", err)
	}
}
