package cases_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// These tests run the cases service against the real store, on SQLite and PostgreSQL,
// with the committed migrations (including the hand-written search tables).

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	author, reviewer, viewer, partner, admin context.Context
	clk                                      *clock
	accounts                                 *account.Service
	svc                                      *cases.Service
	acc, other                               uuid.UUID
	contact, otherContact                    uuid.UUID
}

func as(name string, role auth.Role) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Name: name, Role: role, Partner: map[bool]string{true: "acme"}[role == auth.Partner]})
}

func newEnv(t *testing.T, db *database.DB) *env {
	t.Helper()
	clk := &clock{t: t0}
	st := store.New(db)
	e := &env{author: as("apiKeys/author", auth.Member), reviewer: as("apiKeys/reviewer", auth.Member),
		viewer: as("apiKeys/viewer", auth.Viewer), partner: as("apiKeys/partner", auth.Partner), admin: as("apiKeys/admin", auth.Admin),
		clk: clk, accounts: account.NewService(st, clk.now), svc: cases.NewService(st, cases.Options{Now: clk.now})}
	mk := func(name string) (uuid.UUID, uuid.UUID) {
		a, err := e.accounts.CreateAccount(e.admin, account.Account{DisplayName: name}, "")
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		c, err := e.accounts.CreateContact(e.admin, a.ID, account.Contact{DisplayName: "Li Wei " + name}, "")
		if err != nil {
			t.Fatalf("CreateContact: %v", err)
		}
		return a.ID, c.ID
	}
	e.acc, e.contact = mk("Harbor Foods")
	e.other, e.otherContact = mk("Northwind")
	for _, term := range []cases.Term{
		{Kind: cases.KindIndustry, Key: "retail", DisplayName: "Retail"},
		{Kind: cases.KindIndustry, Key: "logistics", DisplayName: "Logistics"},
		{Kind: cases.KindProblemCategory, Key: "inventory", DisplayName: "Inventory"},
		{Kind: cases.KindProduct, Key: "wms", DisplayName: "WMS"},
		{Kind: cases.KindProduct, Key: "crm", DisplayName: "CRM"},
	} {
		if _, err := e.svc.CreateTerm(e.admin, term); err != nil {
			t.Fatalf("CreateTerm: %v", err)
		}
	}
	return e
}

func f(v float64) *float64 { return &v }

// complete returns content meeting all three standards.
func (e *env) complete(title string) cases.Content {
	return cases.Content{Title: title, Account: e.acc, Industry: "retail", ProblemCategory: "inventory",
		Scenario: "Chain stores restocking", Problem: "Stock-outs in 12% of stores every week", Solution: "Demand-driven replenishment with the WMS",
		Products: []string{"wms"}, Tags: []string{"replenishment"},
		Results: []cases.Result{{Metric: "stock-out rate", Before: f(12), After: f(3), Unit: "%", Period: "2025-Q1 vs 2025-Q3", Method: "weekly store audit"}},
		Ack:     &cases.Acknowledgement{Account: e.acc, Contact: e.contact, Time: t0.Add(-time.Hour), Scope: cases.ScopePublic}}
}

func (e *env) create(t *testing.T, c cases.Content) *cases.Case {
	t.Helper()
	out, err := e.svc.CreateCase(e.author, c, "")
	if err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	return out
}

func (e *env) move(t *testing.T, ctx context.Context, id uuid.UUID, op, comment string) *cases.Case {
	t.Helper()
	c, err := e.svc.Transition(ctx, id, op, "", comment)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return c
}

func (e *env) publish(t *testing.T, c cases.Content) *cases.Case {
	t.Helper()
	cs := e.create(t, c)
	e.move(t, e.author, cs.ID, cases.OpSubmit, "")
	return e.move(t, e.reviewer, cs.ID, cases.OpApprove, "good")
}

func wantKind(t *testing.T, err error, k failure.Kind, contains string) {
	t.Helper()
	f, ok := failure.As(err)
	if !ok || f.Kind != k {
		t.Fatalf("err = %v, want kind %d", err, k)
	}
	if contains != "" && !strings.Contains(f.Msg, contains) && !slices.ContainsFunc(f.Violations, func(v failure.Violation) bool {
		return strings.Contains(v.Field+": "+v.Description, contains)
	}) {
		t.Fatalf("err = %v (%v), want it to mention %q", err, f.Violations, contains)
	}
}

func (e *env) search(t *testing.T, ctx context.Context, r cases.ListRequest) []string {
	t.Helper()
	p, err := e.svc.ListCases(ctx, r)
	if err != nil {
		t.Fatalf("ListCases(%+v): %v", r, err)
	}
	var titles []string
	for _, c := range p.Items {
		v, _ := c.Shown()
		titles = append(titles, v.Title)
	}
	return titles
}

func TestStandardsChecklistAndSubmit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.complete("Vague")
		c.Results = []cases.Result{{Metric: "efficiency", After: f(30), Unit: "%"}} // no before, period, method
		c.Ack = nil
		c.Products = nil
		cs := e.create(t, c)
		met := map[string]bool{}
		for _, ch := range cs.Checks {
			met[ch.Standard] = ch.Met
		}
		if met[cases.StandardCustomerSuccess] || met[cases.StandardIndustryCase] || met[cases.StandardQuantifiedResults] {
			t.Fatalf("checklist = %+v, want all three unmet", cs.Checks)
		}
		_, err := e.svc.Transition(e.author, cs.ID, cases.OpSubmit, "", "")
		wantKind(t, err, failure.FailedPrecondition, "results[0].value_before: missing")
		for _, want := range []string{"results[0].period", "results[0].method", "acknowledgement.contact", "products: none listed"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("submit error %q does not name %q", err, want)
			}
		}
		// Fixing it makes every standard met and the submit pass.
		full := e.complete("Now quantified")
		got, err := e.svc.UpdateCase(e.author, cs.ID, full, []string{"*"}, cs.Etag())
		if err != nil {
			t.Fatalf("UpdateCase: %v", err)
		}
		for _, ch := range got.Checks {
			if !ch.Met {
				t.Fatalf("checklist %+v not met", ch)
			}
		}
		if _, err := e.svc.Transition(e.author, cs.ID, cases.OpSubmit, got.Etag(), ""); err != nil {
			t.Fatalf("submit: %v", err)
		}
		// Blank text is no text: a problem of spaces and a unit of spaces fail the checklist.
		blank := e.complete("Blank")
		blank.Problem = "   "
		blank.Results[0].Unit = " "
		bc := e.create(t, blank)
		_, err = e.svc.Transition(e.author, bc.ID, cases.OpSubmit, "", "")
		wantKind(t, err, failure.FailedPrecondition, "unit")
		if !strings.Contains(err.Error(), "problem") {
			t.Errorf("submit error %q does not name the blank problem", err)
		}
	})
}

func TestSaveChecksListsAndContact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.complete("Unknown values")
		c.Industry, c.Products = "mining", []string{"wms", "erp"}
		_, err := e.svc.CreateCase(e.author, c, "")
		wantKind(t, err, failure.Invalid, `case.industry: "industries/mining" is not in the list`)
		wantKind(t, err, failure.Invalid, `case.products: "products/erp"`)

		c = e.complete("Other account's contact")
		c.Ack.Account, c.Ack.Contact = e.other, e.otherContact
		_, err = e.svc.CreateCase(e.author, c, "")
		wantKind(t, err, failure.Invalid, "case.acknowledgement.contact")

		c = e.complete("Contact id of another account under ours")
		c.Ack.Contact = e.otherContact
		_, err = e.svc.CreateCase(e.author, c, "")
		wantKind(t, err, failure.Invalid, "does not exist")

		c = e.complete("Unknown account")
		c.Account, c.Ack = uuid.Must(uuid.NewV7()), nil
		_, err = e.svc.CreateCase(e.author, c, "")
		wantKind(t, err, failure.NotFound, "")

		// request_id: a retry returns the first case.
		a, err := e.svc.CreateCase(e.author, e.complete("Once"), "req-1")
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.svc.CreateCase(e.author, e.complete("Once"), "req-1")
		if err != nil || b.ID != a.ID {
			t.Fatalf("retry = %v, %v; want case %s", b, err, a.ID)
		}
	})
}

// TestWorkflowTable tries every operation from every state: allowed moves succeed and
// reach the expected state; every other is FAILED_PRECONDITION and writes nothing.
func TestWorkflowTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		setup := func(t *testing.T, state string) *cases.Case {
			c := e.create(t, e.complete("Case in "+state))
			switch state {
			case cases.InReview:
				c = e.move(t, e.author, c.ID, cases.OpSubmit, "")
			case cases.Published:
				c = e.publish(t, e.complete("Case in "+state))
			case cases.Archived:
				c = e.move(t, e.author, c.ID, cases.OpArchive, "withdrawn")
			}
			if c.State != state {
				t.Fatalf("setup: state %s, want %s", c.State, state)
			}
			return c
		}
		log := activity.NewService(store.New(db))
		// written counts the case's history entries and its activity-log entries.
		written := func(t *testing.T, id uuid.UUID) [2]int {
			p, err := e.svc.ListEvents(e.author, id, 1000, "")
			if err != nil {
				t.Fatal(err)
			}
			l, err := log.List(e.author, listing.Request{PageSize: 1000, Filter: fmt.Sprintf("resource = %q", cases.CaseName(id))})
			if err != nil {
				t.Fatal(err)
			}
			return [2]int{len(p.Items), len(l.Items)}
		}
		for _, state := range cases.States {
			for _, op := range cases.Ops {
				t.Run(state+"/"+op, func(t *testing.T) {
					c := setup(t, state)
					before, n := c.Revision, written(t, c.ID)
					var got *cases.Case
					var err error
					if op == cases.OpUpdate {
						got, err = e.svc.UpdateCase(e.author, c.ID, cases.Content{Title: "Edited"}, []string{"title"}, c.Etag())
					} else {
						ctx := e.author
						if op == cases.OpApprove {
							ctx = e.reviewer
						}
						got, err = e.svc.Transition(ctx, c.ID, op, c.Etag(), "a comment")
					}
					want, allowed := cases.Allowed(op, state)
					after, gerr := e.svc.GetCase(e.author, c.ID, cases.ViewLatest)
					if gerr != nil {
						t.Fatal(gerr)
					}
					if allowed {
						if err != nil || got.State != want || after.State != want || after.Revision != before+1 || written(t, c.ID) != [2]int{n[0] + 1, n[1] + 1} {
							t.Fatalf("%s from %s: err %v, state %v (stored %s, rev %d), want %s", op, state, err, got, after.State, after.Revision, want)
						}
						return
					}
					wantKind(t, err, failure.FailedPrecondition, "")
					if f, _ := failure.As(err); f.Reason != "CASE_STATE" {
						t.Errorf("reason %q, want CASE_STATE", f.Reason)
					}
					if after.State != state || after.Revision != before || written(t, c.ID) != n || after.Working.Title != c.Working.Title {
						t.Fatalf("refused %s from %s wrote: state %s rev %d->%d", op, state, after.State, before, after.Revision)
					}
				})
			}
		}
	})
}

func TestReviewRulesAndHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.create(t, e.complete("Self review"))
		e.move(t, e.author, c.ID, cases.OpSubmit, "ready")
		_, err := e.svc.Transition(e.author, c.ID, cases.OpApprove, "", "")
		wantKind(t, err, failure.PermissionDenied, "other than its author")
		_, err = e.svc.Transition(e.reviewer, c.ID, cases.OpReject, "", "")
		wantKind(t, err, failure.Invalid, "comment")
		got := e.move(t, e.reviewer, c.ID, cases.OpReject, "add the period measured")
		if got.State != cases.Draft || got.ReviewComment != "add the period measured" {
			t.Fatalf("after reject: %s %q", got.State, got.ReviewComment)
		}
		_, err = e.svc.Transition(e.author, c.ID, cases.OpSubmit, "999", "")
		wantKind(t, err, failure.Aborted, "")
		e.move(t, e.author, c.ID, cases.OpSubmit, "")
		e.move(t, e.reviewer, c.ID, cases.OpApprove, "fine")
		p, err := e.svc.ListEvents(e.author, c.ID, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		var got2 []string
		for _, ev := range p.Items {
			got2 = append(got2, fmt.Sprintf("%s %s>%s by %s: %s", ev.Action, ev.From, ev.To, ev.Actor, ev.Comment))
		}
		want := []string{
			"CREATE >DRAFT by apiKeys/author: ",
			"SUBMIT DRAFT>IN_REVIEW by apiKeys/author: ready",
			"REJECT IN_REVIEW>DRAFT by apiKeys/reviewer: add the period measured",
			"SUBMIT DRAFT>IN_REVIEW by apiKeys/author: ",
			"APPROVE IN_REVIEW>PUBLISHED by apiKeys/reviewer: fine",
		}
		if !slices.Equal(got2, want) {
			t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got2, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestEditingPublishedKeepsPublishedVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.publish(t, e.complete("Original title"))
		got, err := e.svc.UpdateCase(e.author, c.ID, cases.Content{Title: "Revised title"}, []string{"title"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.State != cases.Draft || got.Working.Number != 2 || got.Published.Number != 1 || !got.IsLive {
			t.Fatalf("after edit: state %s working v%d published v%d live %v", got.State, got.Working.Number, got.Published.Number, got.IsLive)
		}
		seen, err := e.svc.GetCase(e.viewer, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if v, st := seen.Shown(); v.Title != "Original title" || st != cases.Published {
			t.Fatalf("viewer sees %q (%s), want the published original", v.Title, st)
		}
		if ts := e.search(t, e.viewer, cases.ListRequest{Query: "revised"}); len(ts) != 0 {
			t.Fatalf("published search finds the unapproved revision: %v", ts)
		}
		if ts := e.search(t, e.author, cases.ListRequest{Query: "revised"}); !slices.Equal(ts, []string{"Revised title"}) {
			t.Fatalf("working search = %v", ts)
		}
		if _, err := e.svc.GetCase(e.viewer, c.ID, cases.ViewLatest); !failure.Is(err, failure.PermissionDenied) {
			t.Fatalf("viewer asking for LATEST: %v", err)
		}
		e.move(t, e.author, c.ID, cases.OpSubmit, "")
		e.move(t, e.reviewer, c.ID, cases.OpApprove, "")
		if ts := e.search(t, e.viewer, cases.ListRequest{Query: "title"}); !slices.Equal(ts, []string{"Revised title"}) {
			t.Fatalf("after approval, readers see %v", ts)
		}
	})
}

func TestAcknowledgementRevokedOrExpiredLeavesSearch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		revoked := e.publish(t, e.complete("Revoked story"))
		exp := e.complete("Expiring story")
		at := t0.Add(48 * time.Hour)
		exp.Ack.ExpireTime = &at
		e.publish(t, exp)
		internal := e.complete("Internal story")
		internal.Ack.Scope = cases.ScopeInternal
		e.publish(t, internal)

		all := func(ctx context.Context) []string {
			ts := e.search(t, ctx, cases.ListRequest{Query: "story"})
			slices.Sort(ts)
			return ts
		}
		if got := all(e.viewer); !slices.Equal(got, []string{"Expiring story", "Internal story", "Revoked story"}) {
			t.Fatalf("viewer sees %v", got)
		}
		if got := all(e.partner); !slices.Equal(got, []string{"Expiring story", "Revoked story"}) {
			t.Fatalf("partner sees %v (internal-only cases must not show)", got)
		}
		after, err := e.svc.RevokeAcknowledgement(e.author, revoked.ID, "customer letter 2026-06-01")
		if err != nil {
			t.Fatal(err)
		}
		if after.IsLive || after.Working.Ack.RevokeTime == nil || after.State != cases.Published {
			t.Fatalf("after revoke: live %v ack %+v state %s", after.IsLive, after.Working.Ack, after.State)
		}
		if got := all(e.viewer); !slices.Equal(got, []string{"Expiring story", "Internal story"}) {
			t.Fatalf("after revoke viewer sees %v", got)
		}
		if _, err := e.svc.GetCase(e.viewer, revoked.ID, ""); !failure.Is(err, failure.NotFound) {
			t.Fatalf("viewer reads revoked case: %v", err)
		}
		_, err = e.svc.RevokeAcknowledgement(e.author, revoked.ID, "again")
		wantKind(t, err, failure.FailedPrecondition, "no customer acknowledgement")
		p, _ := e.svc.ListEvents(e.author, revoked.ID, 100, "")
		if last := p.Items[len(p.Items)-1]; last.Action != cases.ActionRevoke || last.Comment != "customer letter 2026-06-01" || last.Actor != "apiKeys/author" {
			t.Fatalf("last event %+v", last)
		}
		// Resubmitting needs a new acknowledgement.
		e.svc.UpdateCase(e.author, revoked.ID, cases.Content{Title: "Revoked story v2"}, []string{"title"}, "")
		_, err = e.svc.Transition(e.author, revoked.ID, cases.OpSubmit, "", "")
		wantKind(t, err, failure.FailedPrecondition, "revoked")

		e.clk.t = at.Add(time.Second) // the expiry passes: no write needed
		if got := all(e.viewer); !slices.Equal(got, []string{"Internal story"}) {
			t.Fatalf("after expiry viewer sees %v", got)
		}
		// The background work records the expiry in the history, once.
		for i, want := range []int{1, 0} {
			if n, err := e.svc.RecordExpiries(e.admin, 100); err != nil || n != want {
				t.Fatalf("RecordExpiries #%d = %d, %v; want %d", i, n, err, want)
			}
		}
		var expiring *cases.Case
		p2, _ := e.svc.ListCases(e.author, cases.ListRequest{Query: "expiring"})
		expiring = p2.Items[0]
		h, _ := e.svc.ListEvents(e.author, expiring.ID, 100, "")
		var expired []*cases.Event
		for _, ev := range h.Items {
			if ev.Action == cases.ActionExpire {
				expired = append(expired, ev)
			}
		}
		if len(expired) != 1 || !expired[0].Time.Equal(at) || expired[0].Actor != "system" {
			t.Fatalf("expiry events %+v, want one at %s by system", expired, at)
		}
	})
}

func TestSearchChineseEnglishRanking(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		mk := func(title, problem, solution string, industry, product, tag string) {
			c := e.complete(title)
			c.Problem, c.Solution, c.Industry, c.Products, c.Tags = problem, solution, industry, []string{product}, []string{tag}
			e.publish(t, c)
		}
		mk("客户满意度提升三成", "门店缺货导致客户投诉", "以需求驱动补货", "retail", "wms", "满意度")
		mk("仓储拣货效率提升", "拣货路径长，客户满意度受影响", "波次拣货与路径优化", "logistics", "wms", "拣货")
		mk("Warehouse picking time halved", "Long picking routes in the warehouse", "Wave picking with the WMS", "logistics", "wms", "picking")
		mk("Churn reduced with health scores", "Customers churned without warning", "Health scoring and alerts for owners", "retail", "crm", "churn")

		tests := []struct {
			query string
			want  []string // in rank order
		}{
			{"客户满意度", []string{"客户满意度提升三成", "仓储拣货效率提升"}}, // title match ranks above a problem match
			{"拣货", []string{"仓储拣货效率提升"}},                 // two characters
			{"满意", []string{"客户满意度提升三成", "仓储拣货效率提升"}},
			{"缺货 补货", []string{"客户满意度提升三成"}}, // every term must match
			{"仓", []string{"仓储拣货效率提升"}},      // one character
			{"picking", []string{"Warehouse picking time halved"}},
			{"PICK warehouse", []string{"Warehouse picking time halved"}}, // prefix, case-insensitive
			{"churn", []string{"Churn reduced with health scores"}},
			{"health", []string{"Churn reduced with health scores"}},
			{"ｗｍｓ", []string{"Warehouse picking time halved"}}, // full-width folds
			{"不存在的词", nil},
		}
		for _, c := range tests {
			got := e.search(t, e.viewer, ListReq(c.query))
			if !slices.Equal(got, c.want) {
				t.Errorf("search %q = %v, want %v", c.query, got, c.want)
			}
		}
		// Ranked results carry their rank, best first.
		p, err := e.svc.ListCases(e.viewer, ListReq("客户满意度"))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 2 || !(p.Items[0].Rank > p.Items[1].Rank) {
			t.Fatalf("ranks not descending: %v", p.Items)
		}
		// Filters are exact.
		filters := []struct {
			r    ListRequestT
			want []string
		}{
			{ListRequestT{Industry: "logistics"}, []string{"Warehouse picking time halved", "仓储拣货效率提升"}},
			{ListRequestT{Product: "crm"}, []string{"Churn reduced with health scores"}},
			{ListRequestT{Tag: "拣货"}, []string{"仓储拣货效率提升"}},
			{ListRequestT{Industry: "retail", Query: "满意"}, []string{"客户满意度提升三成"}},
			{ListRequestT{Account: &e.other}, nil},
			{ListRequestT{Account: &e.acc, Product: "crm"}, []string{"Churn reduced with health scores"}},
		}
		for _, fl := range filters {
			got := e.search(t, e.viewer, fl.r)
			slices.Sort(got)
			want := slices.Clone(fl.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("filter %+v = %v, want %v", fl.r, got, want)
			}
		}
		// The working view filters by state; the published view holds only PUBLISHED.
		draft := e.create(t, e.complete("客户满意度 draft"))
		if got := e.search(t, e.author, ListRequestT{State: cases.Draft}); !slices.Equal(got, []string{"客户满意度 draft"}) {
			t.Errorf("drafts = %v", got)
		}
		if got := e.search(t, e.author, ListRequestT{State: cases.Published}); len(got) != 4 {
			t.Errorf("published = %v", got)
		}
		if got := e.search(t, e.viewer, ListReq("客户满意度")); len(got) != 2 {
			t.Errorf("viewer search finds the draft %s: %v", draft.ID, got)
		}
		if _, err := e.svc.ListCases(e.viewer, ListRequestT{State: cases.Draft}); !failure.Is(err, failure.Invalid) {
			t.Errorf("viewer listing drafts: %v", err)
		}
		// Paging through ranked results visits each once.
		var seen []string
		tok := ""
		for i := 0; i < 10; i++ {
			p, err := e.svc.ListCases(e.viewer, ListRequestT{Query: "提升", PageSize: 1, PageToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Items {
				seen = append(seen, c.Working.Title)
			}
			if tok = p.NextPageToken; tok == "" {
				break
			}
		}
		slices.Sort(seen)
		if !slices.Equal(seen, []string{"仓储拣货效率提升", "客户满意度提升三成"}) {
			t.Fatalf("paged search = %v", seen)
		}
	})
}

// ListRequestT and ListReq keep the search table short.
type ListRequestT = cases.ListRequest

func ListReq(q string) cases.ListRequest { return cases.ListRequest{Query: q} }

func TestTokens(t *testing.T) {
	got := cases.Tokens("ERP系统上线, 客户满意度 up 30%")
	// "系统上线" is one CJK run: bigrams then its last character.
	want := []string{"erp", "系统", "统上", "上线", "线", "客户", "户满", "满意", "意度", "度", "up", "30"}
	if !slices.Equal(got, want) {
		t.Fatalf("Tokens = %q, want %q", got, want)
	}
	if q := cases.TSQuery(cases.ParseQuery("客户满意 pick 仓")); q != `('客户' <-> '户满' <-> '满意') & 'pick':* & '仓':*` {
		t.Fatalf("TSQuery = %s", q)
	}
	if q := cases.FTSQuery(cases.ParseQuery("客户满意 pick")); q != `"客户 户满 满意" AND "pick"*` {
		t.Fatalf("FTSQuery = %s", q)
	}
}
