package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/store"
)

// The audit-report benchmark: GetAuditReport's domain call over a year of audit cases
// (about eight events each), beside the bare SQL statement it rests on (the timelines of
// the cases with an opening or state event in the period, or open now), in the same run.

const auditScenario = "audits"

// auditSeed seeds the generator.
const auditSeed = 20261203

func runAudits(ctx context.Context, cfg config) error {
	n := cfg.auditCases
	fmt.Printf("audits: %d cases over 365 days, about 8 events each; %d timed runs each (p50, p99)\n", n, cfg.auditReps)
	db, _, done, err := migratedDatabase(ctx)
	if err != nil {
		return err
	}
	defer done()
	actx := auth.WithCaller(ctx, auth.System)
	now := time.Now().UTC().Truncate(time.Microsecond)
	svc := audit.NewService(store.New(db), func() time.Time { return now })
	if err := svc.EnsureDefaults(actx); err != nil {
		return err
	}
	// Departments: two on office hours in Shanghai with the October holidays, the rest 24×7.
	day := []audit.Span{{Start: 9 * 60, End: 12 * 60}, {Start: 13 * 60, End: 18 * 60}}
	office := audit.Calendar{TimeZone: "Asia/Shanghai", Hours: map[int][]audit.Span{1: day, 2: day, 3: day, 4: day, 5: day},
		Holidays: []string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"}}
	depts := []string{"delivery", "support", "sales", "billing", audit.DefaultDepartment}
	for i, d := range depts[:4] {
		cal := audit.Calendar{}
		if i < 2 {
			cal = office
		}
		if _, err := svc.SaveDepartment(actx, &audit.Department{ID: d, DisplayName: d, Calendar: cal}, true); err != nil {
			return err
		}
	}
	var stds []*audit.Standard
	for i := range 10 {
		st := &audit.Standard{ID: fmt.Sprintf("standard-%d", i), DisplayName: fmt.Sprint("standard ", i), Stage: audit.Stages[i%len(audit.Stages)],
			Department: depts[i%len(depts)], Targets: map[string]int{"LOW": 72, "MEDIUM": 40, "HIGH": 16, "CRITICAL": 4}}
		if _, err := svc.SaveStandard(actx, st, true); err != nil {
			return err
		}
		stds = append(stds, st)
	}
	start := time.Now()
	cases, events, err := loadAudits(ctx, db.DB, mrand.New(mrand.NewPCG(auditSeed, auditSeed)), now, n, stds)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	fmt.Printf("loaded %d cases and %d events with COPY, then VACUUM ANALYZE, in %s\n", cases, events, time.Since(start).Round(time.Millisecond))

	from, to := now.Truncate(24*time.Hour).AddDate(0, 0, -30), now.Truncate(24*time.Hour)
	rows, err := svc.Report(actx, from, to, audit.ByDepartment)
	if err != nil {
		return err
	}
	resolved := 0
	for _, r := range rows {
		resolved += r.Resolved
	}
	fmt.Printf("period %s to %s: %d groups, %d cases resolved in it\n", from.Format(time.DateOnly), to.Format(time.DateOnly), len(rows), resolved)
	report, err := timeIt(ctx, "GetAuditReport (domain service)", cfg.auditReps, func(ctx context.Context) error {
		_, err := svc.Report(actx, from, to, audit.ByDepartment)
		return err
	})
	if err != nil {
		return err
	}
	// The statements the report rests on, joined into one: the timelines (up to the
	// period's end) of the cases with an opening or state event in the period or open
	// now.
	bare, err := timeIt(ctx, "bare SQL: period cases' events", cfg.auditReps, func(ctx context.Context) error {
		return drain(ctx, db.DB, "SELECT e.id, e.case_id, e.kind, e.time, e.actor, e.detail FROM audit_events e JOIN audit_cases c ON c.id = e.case_id "+
			"WHERE (c.id IN (SELECT case_id FROM audit_events WHERE time >= $1 AND time < $2 AND kind IN ('OPENED', 'STATE_CHANGED')) "+
			"OR c.state IN ('OPEN', 'INVESTIGATING')) AND e.time < $2 ORDER BY e.case_id, e.time, e.id", from, to)
	})
	if err != nil {
		return err
	}
	fmt.Printf("\n%-36s %10s %10s %8s\n", "what", "p50", "p99", "ratio")
	for _, t := range []analyticsTiming{bare, report} {
		fmt.Printf("%-36s %10s %10s %7.2fx\n", t.name, pct(t.runs, 50).Round(100*time.Microsecond), pct(t.runs, 99).Round(100*time.Microsecond),
			float64(pct(t.runs, 50))/float64(pct(bare.runs, 50)))
	}
	return nil
}

// pct is the p-th percentile of ds, nearest rank.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := (p*len(s) + 99) / 100
	return s[max(i, 1)-1]
}

// loadAudits writes n cases of 2,000 accounts with their events: opened over the last
// year, most investigated, resolved and closed, some paused, dispatched, noted or
// reopened, a few still open.
func loadAudits(ctx context.Context, db *sql.DB, r *mrand.Rand, now time.Time, n int, stds []*audit.Standard) (int, int, error) {
	const accounts = 2000
	accs := make([]uuid.UUID, accounts)
	for i := range accs {
		accs[i] = uuid.Must(uuid.NewV7())
	}
	if _, err := copyTx(ctx, db, "accounts", []string{"id", "create_time", "update_time", "revision", "display_name", "name_norm",
		"tax_id", "tax_id_norm", "domain", "domain_norm", "industry", "region", "size", "revenue_tier", "strategic_role",
		"activity_status", "funnel_stage", "owner", "first_owner", "delete_time"},
		func(emit func(...any) error) error {
			for i, id := range accs {
				a := account.Account{DisplayName: fmt.Sprintf("Audit %d Ltd", i), Domain: fmt.Sprintf("audit-%d.example.com", i)}
				k := a.Keys()
				created := now.AddDate(-2, 0, 0)
				if err := emit(id, created, created, 1, a.DisplayName, k.Name, "", "", a.Domain, k.Domain, "retail", "east", "", "", "",
					"ACTIVE", "DELIVERY", "", "", nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
		return 0, 0, err
	}
	type ev struct {
		kind string
		at   time.Time
		d    map[string]string
	}
	sev := []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"}
	var evs [][]ev
	var cs [][]any
	for i := range n {
		id := uuid.Must(uuid.NewV7())
		std := stds[r.IntN(len(stds))]
		open := now.Add(-time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Microsecond)
		s := sev[r.IntN(len(sev))]
		at := open
		step := func() time.Time { at = at.Add(time.Duration(1+r.IntN(48*60)) * time.Minute); return at }
		e := []ev{{audit.EvOpened, open, map[string]string{"severity": s, "green_channel": "false", "source": "INTERNAL_CHECK", "standard": std.ID, "department": std.Department}},
			{audit.EvDeadline, open, map[string]string{"to": open.Add(48 * time.Hour).Format(time.RFC3339)}}}
		state := audit.Open
		var resolveT, closeT any
		if r.IntN(20) > 0 {
			e = append(e, ev{audit.EvState, step(), map[string]string{"from": audit.Open, "to": audit.Investigating}})
			state = audit.Investigating
			if r.IntN(4) == 0 {
				e = append(e, ev{audit.EvPaused, step(), map[string]string{}}, ev{audit.EvResumed, step(), map[string]string{}})
			}
			for range r.IntN(3) {
				e = append(e, ev{audit.EvNote, step(), map[string]string{"comment": "called the customer"}})
			}
			e = append(e, ev{audit.EvDispatched, step(), map[string]string{"department": "support", "task": "check the logs"}})
			if at.Before(now) && r.IntN(10) > 0 {
				e = append(e, ev{audit.EvState, step(), map[string]string{"from": audit.Investigating, "to": audit.Resolved}})
				state, resolveT = audit.Resolved, at
				if r.IntN(12) == 0 {
					e = append(e, ev{audit.EvState, step(), map[string]string{"from": audit.Resolved, "to": audit.Investigating, "reopen": "1"}},
						ev{audit.EvState, step(), map[string]string{"from": audit.Investigating, "to": audit.Resolved}})
					resolveT = at
				}
				e = append(e, ev{audit.EvAccountability, step(), map[string]string{"root_cause": "PROCESS"}},
					ev{audit.EvState, step(), map[string]string{"from": audit.Resolved, "to": audit.Closed}})
				state, closeT = audit.Closed, at
			}
		}
		if at.After(now) { // nothing happens in the future: keep it open
			e, state, resolveT, closeT = e[:2], audit.Open, nil, nil
		}
		evs = append(evs, e)
		due := open.Add(48 * time.Hour)
		cs = append(cs, []any{id, accs[i%accounts], "INTERNAL_CHECK", "", s, std.ID, "", std.Department, "", "system", state, false, false,
			due, resolveT, closeT, 0, "", "", "", "", "[]", "[]", "", open, at, 1})
	}
	if _, err := copyTx(ctx, db, "audit_cases", []string{"id", "account_id", "source", "source_ref", "severity", "standard", "description",
		"department", "person", "auditor", "state", "green_channel", "paused", "due_time", "resolve_time", "close_time", "reopens",
		"root_cause", "root_cause_text", "accountable_department", "accountable_person", "actions", "dispatches", "resolution",
		"open_time", "update_time", "revision"}, func(emit func(...any) error) error {
		for _, c := range cs {
			if err := emit(c...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return 0, 0, err
	}
	events, err := copyTx(ctx, db, "audit_events", []string{"id", "case_id", "kind", "time", "actor", "detail"}, func(emit func(...any) error) error {
		for i, e := range evs {
			for _, x := range e {
				d, _ := json.Marshal(x.d)
				if err := emit(uuid.Must(uuid.NewV7()), cs[i][0], x.kind, x.at, "system", string(d)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return 0, 0, err
	}
	return len(cs), events, nil
}
