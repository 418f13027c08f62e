package audit_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// These tests run audits against the real store, on SQLite and PostgreSQL, with an
// injected clock.

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func sh(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, shanghai)
}

type env struct {
	ctx context.Context
	clk *clock
	svc *audit.Service
	acc uuid.UUID
}

func newEnv(t *testing.T, db *database.DB) *env {
	t.Helper()
	clk := &clock{t: sh(2026, 9, 21, 9, 0)} // a Monday
	st := store.New(db)
	ctx := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/auditor", Role: auth.Admin})
	e := &env{ctx: ctx, clk: clk, svc: audit.NewService(st, clk.now)}
	a, err := account.NewService(st, clk.now).CreateAccount(ctx, account.Account{DisplayName: "Acme"}, "")
	if err != nil {
		t.Fatal(err)
	}
	e.acc = a.ID
	if err := e.svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	day := []audit.Span{{Start: 9 * 60, End: 12 * 60}, {Start: 13 * 60, End: 18 * 60}}
	if _, err := e.svc.SaveDepartment(ctx, &audit.Department{ID: "delivery", DisplayName: "Delivery", Calendar: audit.Calendar{
		TimeZone: "Asia/Shanghai", Hours: map[int][]audit.Span{1: day, 2: day, 3: day, 4: day, 5: day}, Holidays: []string{"2026-10-01", "2026-10-02"}}}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SaveStandard(ctx, &audit.Standard{ID: "onboarding", DisplayName: "Onboarding within the promised time", Stage: "DELIVERY",
		Department: "delivery", Targets: map[string]int{"LOW": 40, "MEDIUM": 16, "HIGH": 8, "CRITICAL": 4}}, true); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) open(t *testing.T, severity string) *audit.Case {
	t.Helper()
	c, err := e.svc.CreateCase(e.ctx, &audit.Case{Account: e.acc, Source: "INTERNAL_CHECK", Severity: severity, Standard: "onboarding", Description: "kick-off late"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) do(t *testing.T, id uuid.UUID, a audit.Act) *audit.Case {
	t.Helper()
	out, err := e.svc.Do(e.ctx, id, a)
	if err != nil {
		t.Fatalf("%s: %v", a.Op, err)
	}
	return out.Case
}

func wantKind(t *testing.T, err error, k failure.Kind) {
	t.Helper()
	if !failure.Is(err, k) {
		t.Fatalf("error %v, want kind %v", err, k)
	}
}

func wantDue(t *testing.T, c *audit.Case, want time.Time) {
	t.Helper()
	if c.Due == nil || !c.Due.Equal(want) {
		t.Fatalf("due %v, want %v", c.Due, want.In(shanghai))
	}
}

func TestDeadlines(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		// Opened Friday 17:00, MEDIUM (16 working hours): 1 h Friday, 8 Monday, 7 Tuesday.
		e.clk.t = sh(2026, 9, 25, 17, 0)
		c := e.open(t, "MEDIUM")
		if c.Department != "delivery" || c.Auditor != "apiKeys/auditor" || c.State != audit.Open {
			t.Fatalf("opened %+v", c)
		}
		wantDue(t, c, sh(2026, 9, 29, 17, 0))
		// The green channel halves it: 1 h Friday, 7 Monday.
		c = e.do(t, c.ID, audit.Act{Op: audit.OpGreenChannel, Green: true, Comment: "key account"})
		wantDue(t, c, sh(2026, 9, 28, 17, 0))
		// Raised to CRITICAL on Saturday night: re-derived from the opening (2 h green →
		// Monday 10:00), not from now.
		e.clk.t = sh(2026, 9, 26, 22, 0)
		c = e.do(t, c.ID, audit.Act{Op: audit.OpSeverity, Severity: "CRITICAL"})
		wantDue(t, c, sh(2026, 9, 28, 10, 0))

		// Raised after its new deadline has passed: overdue at once.
		e.clk.t = sh(2026, 9, 21, 9, 0)
		low := e.open(t, "LOW") // 40 h: five working days, Friday 18:00
		wantDue(t, low, sh(2026, 9, 25, 18, 0))
		e.clk.t = sh(2026, 9, 22, 12, 30) // Tuesday
		low = e.do(t, low.ID, audit.Act{Op: audit.OpSeverity, Severity: "CRITICAL"})
		wantDue(t, low, sh(2026, 9, 21, 14, 0)) // Monday 09–12 and 13–14
		now := e.svc.Now()
		p, err := e.svc.ListCases(e.ctx, audit.CaseFilter{OverdueAt: &now}, 10, "")
		if err != nil || len(p.Items) != 1 || p.Items[0].ID != low.ID {
			t.Fatalf("overdue: %v, %v", p, err)
		}
		events, _ := e.svc.Timeline(e.ctx, low.ID)
		kinds := []string{}
		for _, ev := range events {
			kinds = append(kinds, ev.Kind)
		}
		if !slices.Equal(kinds, []string{audit.EvOpened, audit.EvDeadline, audit.EvSeverity, audit.EvDeadline}) {
			t.Fatalf("timeline %v", kinds)
		}

		// Waiting on the customer stops the clock; resuming restarts it, nothing lost.
		e.clk.t = sh(2026, 9, 21, 9, 0)
		w := e.open(t, "HIGH") // 8 h: Monday 18:00
		wantDue(t, w, sh(2026, 9, 21, 18, 0))
		w = e.do(t, w.ID, audit.Act{Op: audit.OpInvestigate})
		e.clk.t = sh(2026, 9, 21, 11, 0)
		w = e.do(t, w.ID, audit.Act{Op: audit.OpPause, Comment: "waiting for their IT"})
		if w.Due != nil || !w.Paused {
			t.Fatalf("paused: due %v paused %v", w.Due, w.Paused)
		}
		_, err = e.svc.Do(e.ctx, w.ID, audit.Act{Op: audit.OpPause})
		wantKind(t, err, failure.FailedPrecondition)
		e.clk.t = sh(2026, 9, 23, 15, 0) // Wednesday: 2 h were used before the pause
		w = e.do(t, w.ID, audit.Act{Op: audit.OpResume})
		wantDue(t, w, sh(2026, 9, 24, 12, 0)) // Wed 15–18 (3 h), Thu 9–12 (3 h)

		// Resolved, then reopened inside the grace window: counted, the resolved time
		// not charged.
		e.clk.t = sh(2026, 9, 23, 16, 0)
		w = e.do(t, w.ID, audit.Act{Op: audit.OpResolve, Comment: "accounts created"})
		if w.State != audit.Resolved || w.Due != nil {
			t.Fatalf("resolved: %+v", w)
		}
		e.clk.t = sh(2026, 9, 28, 9, 0) // Monday; 3 h used (Mon 9–11, Wed 15–16)
		w = e.do(t, w.ID, audit.Act{Op: audit.OpReopen, Comment: "still failing"})
		if w.State != audit.Investigating || w.Reopens != 1 {
			t.Fatalf("reopened: %+v", w)
		}
		wantDue(t, w, sh(2026, 9, 28, 15, 0)) // 5 h left: Mon 9–12, 13–15
		// Reopening past the grace window opens a new, linked case.
		e.clk.t = sh(2026, 9, 28, 10, 0)
		w = e.do(t, w.ID, audit.Act{Op: audit.OpResolve})
		e.clk.t = sh(2026, 10, 20, 10, 0)
		out, err := e.svc.Do(e.ctx, w.ID, audit.Act{Op: audit.OpReopen})
		if err != nil || out.NewCase == nil || out.NewCase.LinkedCase == nil || *out.NewCase.LinkedCase != w.ID || out.Case.State != audit.Resolved || out.Case.Reopens != 1 {
			t.Fatalf("late reopen: %+v, %v", out, err)
		}
		// Asking again (a retry) does not open a second case.
		_, err = e.svc.Do(e.ctx, w.ID, audit.Act{Op: audit.OpReopen})
		wantKind(t, err, failure.FailedPrecondition)
		// The auditor's privileges are the auditor's (or an admin's).
		member := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/member", Role: auth.Member})
		_, err = e.svc.Do(member, out.NewCase.ID, audit.Act{Op: audit.OpGreenChannel, Green: true})
		wantKind(t, err, failure.PermissionDenied)
		if _, err := e.svc.Do(member, out.NewCase.ID, audit.Act{Op: audit.OpNote, Comment: "seen"}); err != nil {
			t.Fatalf("a member's note: %v", err)
		}
		// The auditor is a person: any key acting for them holds the privileges.
		pc, err := e.svc.CreateCase(e.ctx, &audit.Case{Account: e.acc, Source: "INTERNAL_CHECK", Severity: "LOW", Standard: "onboarding",
			Description: "audited by a person", Auditor: "alice@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		bob := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/bob", Role: auth.Member, Person: "bob@example.com"})
		_, err = e.svc.Do(bob, pc.ID, audit.Act{Op: audit.OpGreenChannel, Green: true})
		wantKind(t, err, failure.PermissionDenied)
		alice := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/alice-phone", Role: auth.Member, Person: "alice@example.com"})
		if g, err := e.svc.Do(alice, pc.ID, audit.Act{Op: audit.OpGreenChannel, Green: true}); err != nil || !g.Case.GreenChannel {
			t.Fatalf("green channel by the auditor's own key: %+v, %v", g, err)
		}
	})
}

func TestCloseNeedsAccountability(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.open(t, "HIGH")
		e.do(t, c.ID, audit.Act{Op: audit.OpInvestigate})
		e.do(t, c.ID, audit.Act{Op: audit.OpResolve})
		_, err := e.svc.Do(e.ctx, c.ID, audit.Act{Op: audit.OpClose})
		wantKind(t, err, failure.FailedPrecondition)
		for _, want := range []string{"root cause", "accountable department", "corrective actions"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("close error %q does not name %q", err, want)
			}
		}
		_, err = e.svc.Do(e.ctx, c.ID, audit.Act{Op: audit.OpAccountability, RootCause: "WEATHER"})
		wantKind(t, err, failure.Invalid)
		e.do(t, c.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PROCESS", RootCauseText: "no checklist for kick-offs", AccountableDepartment: "delivery"})
		_, err = e.svc.Do(e.ctx, c.ID, audit.Act{Op: audit.OpClose})
		if err == nil || !strings.Contains(err.Error(), "corrective actions") {
			t.Fatalf("a HIGH case closed without corrective actions: %v", err)
		}
		e.do(t, c.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PROCESS", RootCauseText: "no checklist for kick-offs", AccountableDepartment: "delivery",
			Actions: []audit.Action{{Description: "write the kick-off checklist", Owner: "users/zhao", Due: e.clk.t.AddDate(0, 0, 14)}}})
		closed := e.do(t, c.ID, audit.Act{Op: audit.OpClose})
		if closed.State != audit.Closed || closed.CloseTime == nil {
			t.Fatalf("closed: %+v", closed)
		}
		// A CRITICAL case also needs the accountable person (the default policy's personFrom).
		crit := e.open(t, "CRITICAL")
		e.do(t, crit.ID, audit.Act{Op: audit.OpInvestigate})
		e.do(t, crit.ID, audit.Act{Op: audit.OpResolve})
		e.do(t, crit.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PROCESS", RootCauseText: "no escalation path", AccountableDepartment: "delivery",
			Actions: []audit.Action{{Description: "define the escalation path", Owner: "users/zhao", Due: e.clk.t.AddDate(0, 0, 7)}}})
		_, err = e.svc.Do(e.ctx, crit.ID, audit.Act{Op: audit.OpClose})
		if err == nil || !strings.Contains(err.Error(), "accountable person") || strings.Contains(err.Error(), "corrective") {
			t.Fatalf("a CRITICAL case closed without the accountable person, or the error names more: %v", err)
		}
		e.do(t, crit.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PROCESS", RootCauseText: "no escalation path", AccountableDepartment: "delivery",
			AccountablePerson: "users/zhao", Actions: []audit.Action{{Description: "define the escalation path", Owner: "users/zhao", Due: e.clk.t.AddDate(0, 0, 7)}}})
		if c := e.do(t, crit.ID, audit.Act{Op: audit.OpClose}); c.State != audit.Closed {
			t.Fatalf("critical: %+v", c)
		}
		// A policy without personFrom asks no severity for a person; an unknown one is refused.
		pol, err := e.svc.Policy(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		bad := *pol
		bad.PersonFrom = "URGENT"
		_, err = e.svc.UpdatePolicy(e.ctx, &bad)
		wantKind(t, err, failure.Invalid)
		// A LOW case needs no corrective actions.
		low := e.open(t, "LOW")
		e.do(t, low.ID, audit.Act{Op: audit.OpInvestigate})
		e.do(t, low.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PEOPLE", RootCauseText: "new hire", AccountableDepartment: "delivery"})
		e.do(t, low.ID, audit.Act{Op: audit.OpResolve})
		if c := e.do(t, low.ID, audit.Act{Op: audit.OpClose}); c.State != audit.Closed {
			t.Fatalf("low: %+v", c)
		}
	})
}

// TestStateTable tries every operation in every state, paused or not: the allowed ones
// succeed, every other is FAILED_PRECONDITION and writes nothing — no event, no
// activity entry, no new revision.
func TestStateTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		log := activity.NewService(store.New(db))
		const openPaused, investigatingPaused = "OPEN (paused)", "INVESTIGATING (paused)"
		working := []string{audit.OpGreenChannel, audit.OpSeverity, audit.OpDispatch, audit.OpReassign, audit.OpNote}
		allowed := map[string][]string{
			audit.Open:          append([]string{audit.OpInvestigate, audit.OpPause}, working...),
			openPaused:          append([]string{audit.OpInvestigate, audit.OpResume}, working...),
			audit.Investigating: append([]string{audit.OpPause, audit.OpResolve, audit.OpAccountability}, working...),
			investigatingPaused: append([]string{audit.OpResume, audit.OpResolve, audit.OpAccountability}, working...),
			audit.Resolved:      {audit.OpClose, audit.OpReopen, audit.OpAccountability, audit.OpNote},
			audit.Closed:        {audit.OpReopen, audit.OpNote},
		}
		// A case in the given state, with accountability recorded so a close may pass.
		inState := func(state string) *audit.Case {
			c := e.open(t, "LOW")
			switch state {
			case audit.Open:
				return c
			case openPaused:
				return e.do(t, c.ID, audit.Act{Op: audit.OpPause})
			}
			e.do(t, c.ID, audit.Act{Op: audit.OpInvestigate})
			c = e.do(t, c.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PROCESS", RootCauseText: "x", AccountableDepartment: "delivery"})
			switch state {
			case audit.Investigating:
				return c
			case investigatingPaused:
				return e.do(t, c.ID, audit.Act{Op: audit.OpPause})
			}
			c = e.do(t, c.ID, audit.Act{Op: audit.OpResolve})
			if state == audit.Resolved {
				return c
			}
			return e.do(t, c.ID, audit.Act{Op: audit.OpClose})
		}
		act := func(op string, c *audit.Case) audit.Act {
			a := audit.Act{Op: op, Comment: "note"}
			switch op {
			case audit.OpSeverity:
				a.Severity = "HIGH"
			case audit.OpGreenChannel:
				a.Green = !c.GreenChannel
			case audit.OpDispatch:
				a.Dispatch = audit.Dispatch{Department: "delivery", Person: "users/li", Task: "call the customer", Due: e.clk.t.Add(48 * time.Hour)}
			case audit.OpReassign:
				a.Department, a.Person = audit.DefaultDepartment, "users/wang"
			case audit.OpAccountability:
				a.RootCause, a.RootCauseText, a.AccountableDepartment = "PEOPLE", "y", "delivery"
			}
			return a
		}
		entries := func(c *audit.Case) int {
			p, err := log.List(e.ctx, listing.Request{Filter: fmt.Sprintf("resource = %q", audit.CaseName(c.ID)), PageSize: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Items)
		}
		for state, ok := range allowed {
			for _, op := range audit.Operations {
				c := inState(state)
				before, _ := e.svc.Timeline(e.ctx, c.ID)
				logged := entries(c)
				out, err := e.svc.Do(e.ctx, c.ID, act(op, c))
				if slices.Contains(ok, op) {
					if err != nil {
						t.Errorf("%s in %s: %v", op, state, err)
					} else if out.Case.Revision != c.Revision+1 {
						t.Errorf("%s in %s: revision %d, want %d", op, state, out.Case.Revision, c.Revision+1)
					} else if n := entries(c); n != logged+1 {
						t.Errorf("%s in %s: %d activity entries, want %d", op, state, n, logged+1)
					}
					continue
				}
				if !failure.Is(err, failure.FailedPrecondition) {
					t.Errorf("%s in %s: %v, want FAILED_PRECONDITION", op, state, err)
					continue
				}
				after, _ := e.svc.Timeline(e.ctx, c.ID)
				got, _ := e.svc.GetCase(e.ctx, c.ID)
				if len(after) != len(before) || got.Revision != c.Revision || got.State != c.State || got.Paused != c.Paused || !sameDue(got.Due, c.Due) {
					t.Errorf("%s in %s was refused but wrote: %d → %d events, revision %d → %d", op, state, len(before), len(after), c.Revision, got.Revision)
				}
				if n := entries(c); n != logged {
					t.Errorf("%s in %s was refused but logged: %d → %d activity entries", op, state, logged, n)
				}
			}
		}
		// A stale revision is ABORTED.
		c := inState(audit.Open)
		_, err := e.svc.Do(e.ctx, c.ID, audit.Act{Op: audit.OpNote, Comment: "x", Revision: c.Revision + 5})
		wantKind(t, err, failure.Aborted)
	})
}

func sameDue(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

func TestWarnings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ref := func(n string) string { return "accounts/" + e.acc.String() + "/surveyResponses/" + n }
		c1, created, err := e.svc.Warn(e.ctx, e.acc, "SURVEY_DETRACTOR", ref("1"), "NPS 3: support is slow")
		if err != nil || !created || c1.Severity != "MEDIUM" || c1.Standard != audit.DefaultStandard || c1.Department != audit.DefaultDepartment {
			t.Fatalf("first warning: %+v, %v, %v", c1, created, err)
		}
		// 24×7 department, 48 h for MEDIUM.
		wantDue(t, c1, e.clk.t.Add(48*time.Hour))
		// Another detractor within the window joins it; a resend adds nothing.
		e.clk.t = e.clk.t.Add(time.Hour)
		c2, created, err := e.svc.Warn(e.ctx, e.acc, "SURVEY_DETRACTOR", ref("2"), "NPS 2")
		if err != nil || created || c2.ID != c1.ID {
			t.Fatalf("second warning: %+v, %v, %v", c2, created, err)
		}
		if _, created, err := e.svc.Warn(e.ctx, e.acc, "SURVEY_DETRACTOR", ref("2"), "NPS 2"); err != nil || created {
			t.Fatalf("resend: %v, %v", created, err)
		}
		events, _ := e.svc.Timeline(e.ctx, c1.ID)
		attached := 0
		for _, ev := range events {
			if ev.Kind == audit.EvWarningAttached {
				attached++
			}
		}
		if attached != 1 {
			t.Fatalf("%d warnings attached, want 1 (events %v)", attached, events)
		}
		// A resolved case does not collect warnings: a new one opens.
		e.do(t, c1.ID, audit.Act{Op: audit.OpInvestigate})
		e.do(t, c1.ID, audit.Act{Op: audit.OpResolve})
		c5, created, err := e.svc.Warn(e.ctx, e.acc, "SURVEY_DETRACTOR", ref("5"), "NPS 4")
		if err != nil || !created || c5.ID == c1.ID {
			t.Fatalf("after resolving: %+v, %v, %v", c5, created, err)
		}
		// A complaint is another reason: its own case, HIGH.
		c3, created, err := e.svc.Warn(e.ctx, e.acc, "COMPLAINT", ref("3"), "invoice wrong")
		if err != nil || !created || c3.ID == c1.ID || c3.Severity != "HIGH" {
			t.Fatalf("complaint: %+v, %v, %v", c3, created, err)
		}
		p, _ := e.svc.ListCases(e.ctx, audit.CaseFilter{Account: &e.acc}, 10, "")
		if len(p.Items) != 3 {
			t.Fatalf("%d cases, want 3", len(p.Items))
		}
		// After the window, a new case.
		e.clk.t = e.clk.t.AddDate(0, 0, 31)
		c4, created, err := e.svc.Warn(e.ctx, e.acc, "SURVEY_DETRACTOR", ref("4"), "NPS 1")
		if err != nil || !created || c4.ID == c1.ID {
			t.Fatalf("after the window: %+v, %v, %v", c4, created, err)
		}
	})
}

// TestReport checks the report against hand-computed figures: working time to resolve
// on the department's calendar, paused and resolved-before-reopen time excluded.
func TestReport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		at := func(d, h int) { e.clk.t = sh(2026, 9, d, h, 0) }
		open := func(sev, source string) *audit.Case {
			c, err := e.svc.CreateCase(e.ctx, &audit.Case{Account: e.acc, Source: source, Severity: sev, Standard: "onboarding"})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		at(21, 9) // Monday
		a, b, c, d := open("HIGH", "INTERNAL_CHECK"), open("CRITICAL", "INTERNAL_CHECK"), open("LOW", "INTERNAL_CHECK"), open("CRITICAL", "SALES_REPORT")
		_, _ = c, d // C and D stay open
		for _, x := range []*audit.Case{a, b} {
			e.do(t, x.ID, audit.Act{Op: audit.OpInvestigate})
		}
		// A: 2 h Monday, waiting Monday 11:00 – Wednesday 15:00, resolved Wednesday 16:00: 3 h, within 8 h.
		at(21, 11)
		e.do(t, a.ID, audit.Act{Op: audit.OpPause})
		at(23, 15)
		e.do(t, a.ID, audit.Act{Op: audit.OpResume})
		at(23, 16)
		e.do(t, a.ID, audit.Act{Op: audit.OpResolve})
		e.do(t, a.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PROCESS", RootCauseText: "x", AccountableDepartment: "delivery",
			Actions: []audit.Action{{Description: "fix", Owner: "users/z", Due: e.clk.t.AddDate(0, 0, 7)}}})
		e.do(t, a.ID, audit.Act{Op: audit.OpClose})
		// B: resolved Tuesday 12:00, reopened 13:00, resolved again 14:00: 8 + 3 + 1 = 12 h, over 4 h.
		at(22, 12)
		e.do(t, b.ID, audit.Act{Op: audit.OpResolve})
		at(22, 13)
		e.do(t, b.ID, audit.Act{Op: audit.OpReopen})
		at(22, 14)
		e.do(t, b.ID, audit.Act{Op: audit.OpResolve})
		at(23, 17) // now: D (due Monday 13:00) is overdue, C (due Friday) is not
		rows, err := e.svc.Report(e.ctx, time.Date(2026, 9, 21, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC), audit.ByDepartment)
		if err != nil || len(rows) != 1 {
			t.Fatalf("report: %+v, %v", rows, err)
		}
		r := rows[0]
		h := func(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }
		if r.Key != "delivery" || r.Opened != 4 || r.Closed != 1 || r.OpenNow != 2 || r.OverdueNow != 1 || r.Reopened != 1 || r.Resolved != 2 ||
			r.Median == nil || *r.Median != h(7.5) || *r.P90 != h(12) || r.WithinTarget != 1 {
			t.Fatalf("row %+v (median %v p90 %v)", r, r.Median, r.P90)
		}
		if share, ok := r.Share(); !ok || share != 0.5 {
			t.Errorf("share %v %v", share, ok)
		}
		rows, _ = e.svc.Report(e.ctx, time.Date(2026, 9, 21, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC), audit.BySource)
		if len(rows) != 2 || rows[0].Key != "INTERNAL_CHECK" || rows[0].Opened != 3 || rows[1].Key != "SALES_REPORT" || rows[1].OverdueNow != 1 || rows[1].Median != nil {
			t.Fatalf("by source %+v", rows)
		}
		// A period with nothing in it: only what is open now.
		rows, _ = e.svc.Report(e.ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), audit.ByDepartment)
		if len(rows) != 1 || rows[0].Opened != 0 || rows[0].OpenNow != 2 || rows[0].Resolved != 0 {
			t.Fatalf("empty period %+v", rows)
		}
	})
}

// TestListPages walks a filtered list two cases a page.
func TestListPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		var want []uuid.UUID
		for i := range 5 {
			e.clk.t = e.clk.t.Add(time.Minute)
			c := e.open(t, []string{"LOW", "HIGH"}[i%2])
			want = append([]uuid.UUID{c.ID}, want...) // newest first
		}
		green := false
		var got []uuid.UUID
		token := ""
		for {
			p, err := e.svc.ListCases(e.ctx, audit.CaseFilter{Account: &e.acc, GreenChannel: &green, Standard: "onboarding"}, 2, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Items {
				got = append(got, c.ID)
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
		p, _ := e.svc.ListCases(e.ctx, audit.CaseFilter{Severity: "HIGH"}, 10, "")
		if len(p.Items) != 2 {
			t.Fatalf("HIGH: %d cases, want 2", len(p.Items))
		}
	})
}

// TestWarningMeetsOperation: a warning attached while a person works the same case waits
// for them and keeps what they did (it used to write the whole row from a stale read).
// PostgreSQL only: SQLite runs one write transaction at a time.
func TestWarningMeetsOperation(t *testing.T) {
	db := testdb.Open(t, "postgres")
	e := newEnv(t, db)
	for i := range 20 {
		ref := func(n string) string { return fmt.Sprintf("accounts/%s/surveyResponses/%d-%s", e.acc, i, n) }
		c, created, err := e.svc.Warn(e.ctx, e.acc, "SURVEY_DETRACTOR", ref("a"), "NPS 3")
		if err != nil || !created {
			t.Fatalf("round %d: first warning %v, %v", i, created, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { _, errs[0] = e.svc.Do(e.ctx, c.ID, audit.Act{Op: audit.OpInvestigate}) })
		wg.Go(func() { _, _, errs[1] = e.svc.Warn(e.ctx, e.acc, "SURVEY_DETRACTOR", ref("b"), "NPS 1") })
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v", i, errs)
		}
		got, err := e.svc.GetCase(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		events, err := e.svc.Timeline(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		attached := 0
		for _, ev := range events {
			if ev.Kind == audit.EvWarningAttached && ev.Detail["ref"] == ref("b") {
				attached++
			}
		}
		if got.State != audit.Investigating || got.Revision != 3 || attached != 1 {
			t.Fatalf("round %d: state %s, revision %d, second warning attached %d times; want INVESTIGATING, 3, 1", i, got.State, got.Revision, attached)
		}
		e.do(t, c.ID, audit.Act{Op: audit.OpResolve}) // the next round's warning opens a new case
	}
}
