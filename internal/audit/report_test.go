package audit_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/testdb"
)

func hours(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }

func utcDay(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// row returns the report's row for key, failing when there is none.
func (e *env) row(t *testing.T, start, end time.Time, groupBy, key string) audit.ReportRow {
	t.Helper()
	rows, err := e.svc.Report(e.ctx, start, end, groupBy)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no row %q in %+v", key, rows)
	return audit.ReportRow{}
}

type want struct {
	opened, closed, openNow, overdueNow, reopened, resolved, within int
	median, p90                                                     time.Duration // 0: none
}

func checkRow(t *testing.T, what string, r audit.ReportRow, w want) {
	t.Helper()
	got := want{r.Opened, r.Closed, r.OpenNow, r.OverdueNow, r.Reopened, r.Resolved, r.WithinTarget, 0, 0}
	if r.Median != nil {
		got.median, got.p90 = *r.Median, *r.P90
	}
	if got != w {
		t.Errorf("%s: got %+v, want %+v", what, got, w)
	}
}

// TestReportPeriods checks that a period's figures come from the events in it: a case
// resolved in P1 and reopened in P2 still counts as resolved in P1, and P2 counts the
// reopen, also of a case that is resolved again after P2 (and so neither open nor
// resolved in P2). Hand-computed on the delivery calendar (Mon–Fri 09–12, 13–18
// Shanghai; 1 and 2 October off).
func TestReportPeriods(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		at := func(m time.Month, d, h, min int) { e.clk.t = sh(2026, m, d, h, min) }
		p1s, p1e, p2e := utcDay(9, 21), utcDay(9, 28), utcDay(10, 5) // P1 and P2, a week each

		// Monday: X is HIGH (8 h), Y MEDIUM (16 h).
		at(9, 21, 9, 0)
		x, y := e.open(t, "HIGH"), e.open(t, "MEDIUM")
		e.do(t, x.ID, audit.Act{Op: audit.OpInvestigate})
		e.do(t, y.ID, audit.Act{Op: audit.OpInvestigate})
		// X: Monday 09–12 and 13–15: 5 h, within 8.
		at(9, 21, 15, 0)
		e.do(t, x.ID, audit.Act{Op: audit.OpResolve})
		// Y: 2 h Monday, waiting until Tuesday 09:00, then Tuesday to Thursday 18:00 (24 h):
		// 26 h, over 16; closed on Friday.
		at(9, 21, 11, 0)
		e.do(t, y.ID, audit.Act{Op: audit.OpPause})
		at(9, 22, 9, 0)
		e.do(t, y.ID, audit.Act{Op: audit.OpResume})
		at(9, 24, 18, 0)
		e.do(t, y.ID, audit.Act{Op: audit.OpResolve})
		at(9, 25, 10, 0)
		e.do(t, y.ID, audit.Act{Op: audit.OpAccountability, RootCause: "PROCESS", RootCauseText: "x", AccountableDepartment: "delivery"})
		e.do(t, y.ID, audit.Act{Op: audit.OpClose})

		at(9, 27, 12, 0)
		p1 := want{opened: 2, closed: 1, resolved: 2, within: 1, median: hours(15.5), p90: hours(26)}
		checkRow(t, "P1 at its end", e.row(t, p1s, p1e, audit.ByDepartment, "delivery"), p1)

		// P2: both reopen on Monday 10:00; X is resolved again at 12:00 (2 h more: 7 h,
		// within), Y only after P2.
		at(9, 28, 10, 0)
		e.do(t, x.ID, audit.Act{Op: audit.OpReopen})
		e.do(t, y.ID, audit.Act{Op: audit.OpReopen})
		at(9, 28, 12, 0)
		e.do(t, x.ID, audit.Act{Op: audit.OpResolve})
		at(10, 6, 10, 0)
		e.do(t, y.ID, audit.Act{Op: audit.OpResolve})
		at(10, 6, 12, 0)

		checkRow(t, "P1 after the reopens", e.row(t, p1s, p1e, audit.ByDepartment, "delivery"), p1)
		checkRow(t, "P2", e.row(t, p1e, p2e, audit.ByDepartment, "delivery"),
			want{reopened: 2, resolved: 1, within: 1, median: hours(7), p90: hours(7)})
		checkRow(t, "P1 by standard", e.row(t, p1s, p1e, audit.ByStandard, "onboarding"), p1)
		// Y's second resolve (10 h more on Monday 28 to Tuesday 6 October, less the
		// holidays) belongs to the week after.
		r := e.row(t, p2e, utcDay(10, 12), audit.BySource, "INTERNAL_CHECK")
		if r.Resolved != 1 || r.Reopened != 0 || r.Opened != 0 {
			t.Errorf("P3: %+v", r)
		}
	})
}

// TestReassign hands cases from delivery (office hours) to customer success (24×7): the
// deadline carries the target's time left onto the new calendar, and the report
// charges each department its own ownership time and only the one on whose watch the
// deadline passed.
func TestReassign(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		cs := audit.DefaultDepartment
		at := func(d, h int) { e.clk.t = sh(2026, 9, d, h, 0) }
		// Monday: Z and W are HIGH (8 h).
		at(21, 9)
		z, w := e.open(t, "HIGH"), e.open(t, "HIGH")
		e.do(t, z.ID, audit.Act{Op: audit.OpInvestigate})

		// Only the auditor (or an admin) reassigns, with a reason, to a department that exists.
		member := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/member", Role: auth.Member})
		_, err := e.svc.Do(member, z.ID, audit.Act{Op: audit.OpReassign, Department: cs, Comment: "r"})
		wantKind(t, err, failure.PermissionDenied)
		_, err = e.svc.Do(e.ctx, z.ID, audit.Act{Op: audit.OpReassign, Department: cs})
		wantKind(t, err, failure.Invalid)
		_, err = e.svc.Do(e.ctx, z.ID, audit.Act{Op: audit.OpReassign, Department: "nowhere", Comment: "r"})
		wantKind(t, err, failure.Invalid)
		_, err = e.svc.Do(e.ctx, z.ID, audit.Act{Op: audit.OpReassign, Department: "delivery", Comment: "r"})
		wantKind(t, err, failure.FailedPrecondition)

		// Z: delivery works it Monday 09–12 and 13–14 (4 h); customer success (24×7) gets
		// the 4 h left: due Monday 18:00.
		at(21, 14)
		z = e.do(t, z.ID, audit.Act{Op: audit.OpReassign, Department: cs, Person: "users/wang", Comment: "needs the CS team"})
		if z.Department != cs || z.Person != "users/wang" {
			t.Fatalf("reassigned: %+v", z)
		}
		wantDue(t, z, sh(2026, 9, 21, 18, 0))
		events, _ := e.svc.Timeline(e.ctx, z.ID)
		if i := slices.IndexFunc(events, func(ev audit.Event) bool { return ev.Kind == audit.EvReassigned }); i < 0 ||
			events[i].Actor != "apiKeys/auditor" || events[i].Detail["from_department"] != "delivery" || events[i].Detail["reason"] != "needs the CS team" {
			t.Fatalf("timeline %+v", events)
		}
		// A person alone stays in the department.
		z = e.do(t, z.ID, audit.Act{Op: audit.OpReassign, Person: "users/zhao", Comment: "shift change"})
		if z.Department != cs || z.Person != "users/zhao" {
			t.Fatalf("person reassigned: %+v", z)
		}
		wantDue(t, z, sh(2026, 9, 21, 18, 0))
		// Resolved at 20:00: customer success worked 6 h and let it pass the deadline.
		at(21, 20)
		e.do(t, z.ID, audit.Act{Op: audit.OpResolve})

		// W: delivery holds it all Monday and Tuesday 09–10 (9 h: overdue since Monday
		// 18:00, on delivery's watch), then customer success resolves it in 1 h.
		at(22, 10)
		w = e.do(t, w.ID, audit.Act{Op: audit.OpReassign, Department: cs, Comment: "escalated"})
		wantDue(t, w, sh(2026, 9, 21, 18, 0))
		e.do(t, w.ID, audit.Act{Op: audit.OpInvestigate})
		at(22, 11)
		e.do(t, w.ID, audit.Act{Op: audit.OpResolve})

		at(23, 9)
		start, end := utcDay(9, 21), utcDay(9, 28)
		checkRow(t, "delivery", e.row(t, start, end, audit.ByDepartment, "delivery"),
			want{opened: 2, resolved: 2, within: 1, median: hours(6.5), p90: hours(9)})
		checkRow(t, "customer success", e.row(t, start, end, audit.ByDepartment, cs),
			want{resolved: 2, within: 1, median: hours(3.5), p90: hours(6)})
		// The whole case: 10 h each, over 8.
		checkRow(t, "standard", e.row(t, start, end, audit.ByStandard, "onboarding"),
			want{opened: 2, resolved: 2, within: 0, median: hours(10), p90: hours(10)})
	})
}

// TestConfigRederives changes a calendar, a standard's targets and the green channel's
// share: the deadlines of the cases not resolved follow at once, in the same
// transaction, each change on the case's timeline with who made it; resolved cases
// are left alone.
func TestConfigRederives(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		e.clk.t = sh(2026, 9, 21, 9, 0) // Monday
		a, b, r := e.open(t, "HIGH"), e.open(t, "HIGH"), e.open(t, "HIGH")
		g, err := e.svc.CreateCase(e.ctx, &audit.Case{Account: e.acc, Source: "INTERNAL_CHECK", Severity: "HIGH", Standard: "onboarding", GreenChannel: true})
		if err != nil {
			t.Fatal(err)
		}
		wantDue(t, g, sh(2026, 9, 21, 14, 0)) // 4 h: 09–12, 13–14
		e.do(t, r.ID, audit.Act{Op: audit.OpInvestigate})
		e.do(t, r.ID, audit.Act{Op: audit.OpResolve})
		// B moves to customer success (24×7) after an hour of delivery's time.
		e.clk.t = sh(2026, 9, 21, 10, 0)
		e.do(t, b.ID, audit.Act{Op: audit.OpReassign, Department: audit.DefaultDepartment, Comment: "escalated"})
		rEvents, _ := e.svc.Timeline(e.ctx, r.ID)

		due := func(c *audit.Case, want time.Time) *audit.Case {
			t.Helper()
			got, err := e.svc.GetCase(e.ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantDue(t, got, want)
			events, _ := e.svc.Timeline(e.ctx, c.ID)
			last := events[len(events)-1]
			if last.Kind != audit.EvDeadline || last.Actor != "apiKeys/auditor" || last.Detail["reason"] == "" {
				t.Errorf("last event of %s: %+v", audit.CaseName(c.ID), last)
			}
			if got.Revision <= c.Revision {
				t.Errorf("revision of %s did not move: %d", audit.CaseName(c.ID), got.Revision)
			}
			return got
		}

		// Delivery now works 09:30–17:30 without a break.
		e.clk.t = sh(2026, 9, 21, 10, 5)
		span := []audit.Span{{Start: 9*60 + 30, End: 17*60 + 30}}
		if _, err := e.svc.SaveDepartment(e.ctx, &audit.Department{ID: "delivery", DisplayName: "Delivery", Calendar: audit.Calendar{TimeZone: "Asia/Shanghai",
			Hours: map[int][]audit.Span{1: span, 2: span, 3: span, 4: span, 5: span}}}, false); err != nil {
			t.Fatal(err)
		}
		a = due(a, sh(2026, 9, 21, 17, 30))
		b = due(b, sh(2026, 9, 21, 17, 30)) // delivery's hour is now half an hour: 7.5 h left from 10:00
		g = due(g, sh(2026, 9, 21, 13, 30))

		// HIGH now has 4 h.
		if _, err := e.svc.SaveStandard(e.ctx, &audit.Standard{ID: "onboarding", DisplayName: "Onboarding", Stage: "DELIVERY", Department: "delivery",
			Targets: map[string]int{"LOW": 40, "MEDIUM": 16, "HIGH": 4, "CRITICAL": 4}}, false); err != nil {
			t.Fatal(err)
		}
		a = due(a, sh(2026, 9, 21, 13, 30))
		b = due(b, sh(2026, 9, 21, 13, 30))
		g = due(g, sh(2026, 9, 21, 11, 30))

		// The green channel gets a quarter: 1 h.
		pol, _ := e.svc.Policy(e.ctx)
		pol.GreenChannelPercent = 25
		if _, err := e.svc.UpdatePolicy(e.ctx, pol); err != nil {
			t.Fatal(err)
		}
		due(g, sh(2026, 9, 21, 10, 30))

		// The resolved case was left alone; the overdue filter sees the new deadlines.
		if events, _ := e.svc.Timeline(e.ctx, r.ID); len(events) != len(rEvents) {
			t.Errorf("a resolved case got %d events", len(events)-len(rEvents))
		}
		e.clk.t = sh(2026, 9, 21, 14, 0)
		now := e.svc.Now()
		p, err := e.svc.ListCases(e.ctx, audit.CaseFilter{OverdueAt: &now}, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []uuid.UUID
		for _, c := range p.Items {
			got = append(got, c.ID)
		}
		if !sameIDs(got, []uuid.UUID{a.ID, b.ID, g.ID}) {
			t.Errorf("overdue %v, want A, B and G", got)
		}
	})
}

func sameIDs(a, b []uuid.UUID) bool {
	key := func(ids []uuid.UUID) []string {
		var s []string
		for _, id := range ids {
			s = append(s, id.String())
		}
		slices.Sort(s)
		return s
	}
	return strings.Join(key(a), ",") == strings.Join(key(b), ",")
}

// TestTimelinePages walks a timeline two events a page.
func TestTimelinePages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.open(t, "LOW")
		for i := range 3 {
			e.clk.t = e.clk.t.Add(time.Minute)
			e.do(t, c.ID, audit.Act{Op: audit.OpNote, Comment: strings.Repeat("n", i+1)})
		}
		all, _ := e.svc.Timeline(e.ctx, c.ID)
		var got []uuid.UUID
		token := ""
		for pages := 0; ; pages++ {
			p, err := e.svc.TimelinePage(e.ctx, c.ID, 2, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range p.Items {
				got = append(got, ev.ID)
			}
			if token = p.NextPageToken; token == "" {
				break
			}
			if pages > len(all) {
				t.Fatal("paging does not end")
			}
		}
		var want []uuid.UUID
		for _, ev := range all {
			want = append(want, ev.ID)
		}
		if len(all) != 5 || !slices.Equal(got, want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
		// A token is the case's: another case's list rejects it.
		other := e.open(t, "LOW")
		p, _ := e.svc.TimelinePage(e.ctx, c.ID, 2, "")
		_, err := e.svc.TimelinePage(e.ctx, other.ID, 2, p.NextPageToken)
		wantKind(t, err, failure.Invalid)
		_, err = e.svc.TimelinePage(e.ctx, uuid.Must(uuid.NewV7()), 2, "")
		wantKind(t, err, failure.NotFound)
	})
}
