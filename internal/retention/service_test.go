package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/health"
	"github.com/furrowhq/furrow/internal/retention"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// These tests run retention against the real store, on SQLite and PostgreSQL.

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	ctx      context.Context
	clk      *clock
	accounts *account.Service
	ret      *retention.Service
}

func newEnv(db *database.DB) *env {
	clk := &clock{t: t0}
	st := store.New(db)
	ctx := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/test", Role: auth.Admin})
	return &env{ctx: ctx, clk: clk, accounts: account.NewService(st, clk.now),
		ret: retention.NewService(st, retention.Options{Now: clk.now, BatchSize: 2})}
}

func (e *env) account(t *testing.T, name, owner string) uuid.UUID {
	t.Helper()
	a, err := e.accounts.CreateAccount(e.ctx, account.Account{DisplayName: name}, "")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if _, err := e.accounts.ClaimAccount(e.ctx, a.ID, owner, "mine", ""); err != nil {
		t.Fatalf("ClaimAccount: %v", err)
	}
	return a.ID
}

func (e *env) deal(t *testing.T, acc uuid.UUID, daysAgo int) {
	t.Helper()
	d := e.clk.t.Truncate(24*time.Hour).AddDate(0, 0, -daysAgo)
	if _, err := e.accounts.CreateDeal(e.ctx, acc, account.Deal{Amount: account.Money{CurrencyCode: "CNY", MinorUnits: 100}, CloseDate: d}, ""); err != nil {
		t.Fatalf("CreateDeal: %v", err)
	}
}

func (e *env) talk(t *testing.T, acc uuid.UUID, daysAgo int) {
	t.Helper()
	if _, err := e.accounts.CreateInteraction(e.ctx, acc, account.Interaction{Kind: "CALL", OccurTime: e.clk.t.AddDate(0, 0, -daysAgo), Summary: "call"}, ""); err != nil {
		t.Fatalf("CreateInteraction: %v", err)
	}
}

func (e *env) label(t *testing.T, acc uuid.UUID) *retention.State {
	t.Helper()
	st, err := e.ret.GetLabel(e.ctx, acc)
	if err != nil {
		t.Fatalf("GetLabel: %v", err)
	}
	return st
}

func (e *env) history(t *testing.T, acc uuid.UUID) []*retention.Change {
	t.Helper()
	p, err := e.ret.History(e.ctx, acc, 100, "")
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	return p.Items
}

func (e *env) alerts(t *testing.T, f retention.AlertFilter) []*retention.Alert {
	t.Helper()
	p, err := e.ret.ListAlerts(e.ctx, f, 100, "")
	if err != nil {
		t.Fatalf("ListAlerts: %v", err)
	}
	return p.Items
}

func wantCode(t *testing.T, err error, k failure.Kind) {
	t.Helper()
	if !failure.Is(err, k) {
		t.Fatalf("error %v, want kind %v", err, k)
	}
}

func TestLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		if err := e.ret.EnsureDefault(e.ctx); err != nil {
			t.Fatal(err)
		}
		acc := e.account(t, "Acme", "users/alice")
		prospect := e.account(t, "Prospect", "users/alice")
		e.clk.t = t0.Add(time.Hour)
		e.deal(t, acc, 10)
		e.talk(t, acc, 1)

		// Changes in the activity log are evaluated: the new customer is NEWLY_SIGNED,
		// the prospect has no label and no history.
		// (Evaluations, in activity batches of 2: an account may count twice.)
		if n, err := e.ret.ProcessChanges(e.ctx); err != nil || n < 2 {
			t.Fatalf("ProcessChanges = %d, %v; want both accounts evaluated", n, err)
		}
		if n, err := e.ret.ProcessChanges(e.ctx); err != nil || n != 0 {
			t.Fatalf("ProcessChanges again = %d, %v; want nothing left", n, err)
		}
		st := e.label(t, acc)
		if st.Label != retention.NewlySigned || st.RuleKey != "newly_signed" || st.Facts["first_deal_date"] != "2026-05-22" {
			t.Fatalf("label %+v, want NEWLY_SIGNED by newly_signed with first_deal_date 2026-05-22", st)
		}
		if p := e.label(t, prospect); p.Label != "" || p.Facts["customer"] != "false" {
			t.Fatalf("prospect %+v, want no label", p)
		}
		if h := e.history(t, prospect); len(h) != 0 {
			t.Fatalf("prospect history %v, want none", h)
		}
		h := e.history(t, acc)
		if len(h) != 1 || h[0].From != "" || h[0].To != retention.NewlySigned || h[0].Cause != retention.CauseRule || h[0].RuleKey != "newly_signed" {
			t.Fatalf("history %+v, want one RULE change to NEWLY_SIGNED", h)
		}

		// 100 days of silence: the sweep finds it AT_RISK and raises one alert.
		e.clk.t = t0.AddDate(0, 0, 100)
		if n, err := e.ret.Sweep(e.ctx, true); err != nil || n != 2 {
			t.Fatalf("Sweep = %d, %v", n, err)
		}
		st = e.label(t, acc)
		if st.Label != retention.AtRisk || st.RuleKey != "silence" || st.Since != e.clk.t {
			t.Fatalf("after silence %+v, want AT_RISK by silence since now", st)
		}
		as := e.alerts(t, retention.AlertFilter{Owner: "users/alice"})
		if len(as) != 1 {
			t.Fatalf("alerts %v, want one", as)
		}
		a := as[0]
		if a.Account != acc || a.State != retention.AlertOpen || !a.DueTime.Equal(e.clk.t.AddDate(0, 0, 7)) || len(a.Steps) != 5 || a.Change != e.history(t, acc)[0].ID {
			t.Fatalf("alert %+v, want OPEN for acc due in 7 days with 5 steps, linked to the change", a)
		}
		// Sweeping again changes nothing: no new change, no second alert.
		e.clk.t = e.clk.t.Add(time.Hour)
		if _, err := e.ret.Sweep(e.ctx, true); err != nil {
			t.Fatal(err)
		}
		if n := len(e.history(t, acc)); n != 2 {
			t.Fatalf("%d changes after a second sweep, want 2", n)
		}
		if n := len(e.alerts(t, retention.AlertFilter{})); n != 1 {
			t.Fatalf("%d alerts after a second sweep, want 1", n)
		}

		// The alert's workflow.
		a, err := e.ret.ActOnAlert(e.ctx, a.ID, retention.AlertAction{Kind: "acknowledge"})
		if err != nil || a.State != retention.AlertAcknowledged || a.AcknowledgeBy != "apiKeys/test" {
			t.Fatalf("acknowledge: %+v, %v", a, err)
		}
		_, err = e.ret.ActOnAlert(e.ctx, a.ID, retention.AlertAction{Kind: "acknowledge"})
		wantCode(t, err, failure.FailedPrecondition)
		_, err = e.ret.ActOnAlert(e.ctx, a.ID, retention.AlertAction{Kind: "work", Revision: a.Revision - 1})
		wantCode(t, err, failure.Aborted)
		_, err = e.ret.ActOnAlert(e.ctx, a.ID, retention.AlertAction{Kind: "work", DoneSteps: []int{9}})
		wantCode(t, err, failure.Invalid)
		a, err = e.ret.ActOnAlert(e.ctx, a.ID, retention.AlertAction{Kind: "work", DoneSteps: []int{0, 1}, Note: "called", Revision: a.Revision})
		if err != nil || a.State != retention.AlertInProgress || !a.Steps[0].Done || !a.Steps[1].Done || a.Steps[2].Done || a.Note != "called" {
			t.Fatalf("start: %+v, %v", a, err)
		}
		if got := e.alerts(t, retention.AlertFilter{State: retention.AlertInProgress}); len(got) != 1 {
			t.Fatalf("IN_PROGRESS alerts %v, want 1", got)
		}
		if got := e.alerts(t, retention.AlertFilter{Owner: "users/bob"}); len(got) != 0 {
			t.Fatalf("bob's alerts %v, want none", got)
		}
		a, err = e.ret.ActOnAlert(e.ctx, a.ID, retention.AlertAction{Kind: "close", Outcome: retention.OutcomeRecovered})
		if err != nil || a.State != retention.AlertClosed || a.Outcome != retention.OutcomeRecovered || a.CloseTime == nil {
			t.Fatalf("close: %+v, %v", a, err)
		}
		_, err = e.ret.ActOnAlert(e.ctx, a.ID, retention.AlertAction{Kind: "close", Outcome: retention.OutcomeChurned})
		wantCode(t, err, failure.FailedPrecondition)
		if got, _ := e.ret.GetAlert(e.ctx, a.ID); got.Outcome != retention.OutcomeRecovered {
			t.Fatalf("a refused close changed the alert: %+v", got)
		}

		// A manual label wins until it expires; the rules' label stays visible.
		expire := e.clk.t.Add(24 * time.Hour)
		st, err = e.ret.SetManual(e.ctx, acc, retention.Expansion, "big upsell in progress", &expire)
		if err != nil || st.Label != retention.Expansion || st.RuleLabel != retention.AtRisk || st.Manual == nil || st.Manual.By != "apiKeys/test" {
			t.Fatalf("SetManual: %+v, %v", st, err)
		}
		h = e.history(t, acc)
		if h[0].Cause != retention.CauseManual || h[0].Reason != "big upsell in progress" || h[0].Actor != "apiKeys/test" || h[0].From != retention.AtRisk {
			t.Fatalf("manual change %+v", h[0])
		}
		if _, err := e.ret.Sweep(e.ctx, true); err != nil {
			t.Fatal(err)
		}
		if st := e.label(t, acc); st.Label != retention.Expansion {
			t.Fatalf("a sweep overrode the manual label: %+v", st)
		}
		e.clk.t = expire.Add(time.Minute)
		if _, err := e.ret.ProcessChanges(e.ctx); err != nil {
			t.Fatal(err)
		}
		st = e.label(t, acc)
		if st.Label != retention.AtRisk || st.Manual != nil {
			t.Fatalf("after expiry %+v, want the rules' AT_RISK", st)
		}
		h = e.history(t, acc)
		if h[0].Cause != retention.CauseManualExpired || h[0].To != retention.AtRisk {
			t.Fatalf("expiry change %+v", h[0])
		}
		// Back in AT_RISK with the earlier alert closed: a new alert.
		if n := len(e.alerts(t, retention.AlertFilter{State: retention.AlertOpen})); n != 1 {
			t.Fatalf("%d open alerts after re-entering AT_RISK, want 1", n)
		}

		// Clearing when there is no manual label fails and writes nothing.
		before := len(e.history(t, acc))
		_, err = e.ret.ClearManual(e.ctx, acc, "oops")
		wantCode(t, err, failure.FailedPrecondition)
		if n := len(e.history(t, acc)); n != before {
			t.Fatalf("a refused clear wrote history")
		}
		// Set without expiry, then clear with a reason.
		if _, err := e.ret.SetManual(e.ctx, acc, retention.InUse, "checked by phone", nil); err != nil {
			t.Fatal(err)
		}
		st, err = e.ret.ClearManual(e.ctx, acc, "back to the rules")
		if err != nil || st.Label != retention.AtRisk {
			t.Fatalf("ClearManual: %+v, %v", st, err)
		}
		if h := e.history(t, acc); h[0].Cause != retention.CauseManualCleared || h[0].Reason != "back to the rules" {
			t.Fatalf("clear change %+v", h[0])
		}

		// Unknown accounts.
		_, err = e.ret.GetLabel(e.ctx, uuid.Must(uuid.NewV7()))
		wantCode(t, err, failure.NotFound)
		_, err = e.ret.Evaluate(e.ctx, uuid.Must(uuid.NewV7()))
		wantCode(t, err, failure.NotFound)
	})
}

func TestChurnAndWinBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		e.clk.t = t0.AddDate(-2, 0, 0)
		acc := e.account(t, "Old customer", "users/bob")
		e.clk.t = t0
		e.deal(t, acc, 400)
		e.talk(t, acc, 2)
		st, err := e.ret.Evaluate(e.ctx, acc)
		if err != nil || st.Label != retention.Churned || st.RuleKey != "contract_ended" {
			t.Fatalf("Evaluate: %+v, %v; want CHURNED", st, err)
		}
		// No alert for churn: alerts are for AT_RISK.
		if n := len(e.alerts(t, retention.AlertFilter{})); n != 0 {
			t.Fatalf("%d alerts for a churned account", n)
		}
		// It buys again: the change is a win-back.
		e.clk.t = t0.Add(time.Hour)
		e.deal(t, acc, 0)
		if _, err := e.ret.ProcessChanges(e.ctx); err != nil {
			t.Fatal(err)
		}
		st = e.label(t, acc)
		if st.Label != retention.InUse {
			t.Fatalf("after the new deal %+v, want IN_USE", st)
		}
		h := e.history(t, acc)
		if len(h) != 2 || !h[0].WinBack || h[0].From != retention.Churned || h[1].WinBack {
			t.Fatalf("history %+v, want the latest change flagged as a win-back", h)
		}
		// Deleted accounts leave lists.
		if _, err := e.accounts.DeleteAccount(e.ctx, acc, ""); err != nil {
			t.Fatal(err)
		}
		p, err := e.ret.ListLabels(e.ctx, "", 10, "")
		if err != nil || len(p.Items) != 0 {
			t.Fatalf("ListLabels after delete: %v, %v", p, err)
		}
	})
}

func TestPolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		p, err := e.ret.Policy(e.ctx)
		if err != nil || len(p.Rules) != 7 || p.TermDays != 365 {
			t.Fatalf("default policy before any is stored: %+v, %v", p, err)
		}
		def := retention.DefaultDefinition()
		def.Rules = def.Rules[:1]
		def.Rules = append(def.Rules, retention.Rule{Key: "quiet", Label: retention.AtRisk, Conditions: []retention.Condition{{Kind: retention.CondNoInteraction, Days: 5}}})
		p, err = e.ret.UpdatePolicy(e.ctx, def, 0)
		if err != nil || p.Revision != 2 || len(p.Rules) != 2 || p.UpdatedBy != "apiKeys/test" {
			t.Fatalf("UpdatePolicy: %+v, %v", p, err)
		}
		_, err = e.ret.UpdatePolicy(e.ctx, def, 1)
		wantCode(t, err, failure.Aborted)
		bad := def
		bad.TermDays = 0
		_, err = e.ret.UpdatePolicy(e.ctx, bad, 0)
		wantCode(t, err, failure.Invalid)
		if got, _ := e.ret.Policy(e.ctx); got.Revision != 2 || got.TermDays != 365 {
			t.Fatalf("refused updates changed the policy: %+v", got)
		}
		// The new rule applies: six days of silence is AT_RISK by "quiet".
		acc := e.account(t, "Acme", "users/alice")
		e.deal(t, acc, 200)
		e.talk(t, acc, 6)
		st, err := e.ret.Evaluate(e.ctx, acc)
		if err != nil || st.Label != retention.AtRisk || st.RuleKey != "quiet" {
			t.Fatalf("Evaluate with the new policy: %+v, %v", st, err)
		}
		p2, err := e.ret.ListLabels(e.ctx, retention.AtRisk, 10, "")
		if err != nil || len(p2.Items) != 1 || p2.Items[0].Account != acc {
			t.Fatalf("ListLabels(AT_RISK): %+v, %v", p2, err)
		}
		if p3, _ := e.ret.ListLabels(e.ctx, retention.InUse, 10, ""); len(p3.Items) != 0 {
			t.Fatalf("ListLabels(IN_USE) = %v, want none", p3.Items)
		}
	})
}

// TestListsPage walks label, history and alert lists one item a page, and filters
// alerts by account and due time.
func TestListsPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		var ids []uuid.UUID
		for i := range 5 {
			acc := e.account(t, "Acc "+string(rune('A'+i)), "users/carol")
			e.deal(t, acc, 200) // no interaction: AT_RISK by silence, one alert each
			ids = append(ids, acc)
			e.clk.t = e.clk.t.Add(time.Hour) // alerts due an hour apart
			if _, err := e.ret.Evaluate(e.ctx, acc); err != nil {
				t.Fatal(err)
			}
		}
		var got []uuid.UUID
		token := ""
		for {
			p, err := e.ret.ListLabels(e.ctx, retention.AtRisk, 1, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Items {
				got = append(got, s.Account)
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if len(got) != 5 {
			t.Fatalf("paged labels %v, want 5", got)
		}
		var due []time.Time
		token = ""
		for {
			p, err := e.ret.ListAlerts(e.ctx, retention.AlertFilter{Owner: "users/carol"}, 2, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Items {
				due = append(due, a.DueTime)
			}
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if len(due) != 5 {
			t.Fatalf("paged alerts due %v, want 5", due)
		}
		for i := 1; i < len(due); i++ {
			if !due[i].After(due[i-1]) {
				t.Fatalf("alerts not soonest first: %v", due)
			}
		}
		// A token is bound to its filter.
		p, _ := e.ret.ListAlerts(e.ctx, retention.AlertFilter{Owner: "users/carol"}, 2, "")
		_, err := e.ret.ListAlerts(e.ctx, retention.AlertFilter{Owner: "users/dave"}, 2, p.NextPageToken)
		wantCode(t, err, failure.Invalid)
		one := ids[2]
		if p, err := e.ret.ListAlerts(e.ctx, retention.AlertFilter{Account: &one}, 10, ""); err != nil || len(p.Items) != 1 || p.Items[0].Account != one {
			t.Fatalf("alerts of one account: %v, %v", p, err)
		}
		cut := due[2]
		if p, err := e.ret.ListAlerts(e.ctx, retention.AlertFilter{DueBefore: &cut}, 10, ""); err != nil || len(p.Items) != 2 {
			t.Fatalf("alerts due before the third: %v, %v", p, err)
		}
	})
}

// TestConcurrentFirstEvaluation: evaluations of a never-evaluated account racing each
// other record its first label once and raise one alert.
func TestConcurrentFirstEvaluation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		acc := e.account(t, "Acme", "users/alice")
		e.deal(t, acc, 200) // nobody talked to it: AT_RISK by silence
		errs := make(chan error, 4)
		for range 4 {
			go func() { _, err := e.ret.Evaluate(e.ctx, acc); errs <- err }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
		}
		if h := e.history(t, acc); len(h) != 1 || h[0].To != retention.AtRisk {
			t.Fatalf("history %+v, want one change to AT_RISK", h)
		}
		if a := e.alerts(t, retention.AlertFilter{Account: &acc}); len(a) != 1 {
			t.Fatalf("%d alerts, want 1", len(a))
		}
	})
}

// TestManualActsAndInputs: a manual act is history even when the label stays; prospects
// cannot get a manual label; alerts of unowned accounts are listable; a signal makes the
// worker re-evaluate its account.
func TestManualActsAndInputs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		acc := e.account(t, "Acme", "users/alice")
		e.deal(t, acc, 10)
		e.talk(t, acc, 1)
		if st, err := e.ret.Evaluate(e.ctx, acc); err != nil || st.Label != retention.NewlySigned {
			t.Fatalf("Evaluate: %+v, %v", st, err)
		}
		if _, err := e.ret.SetManual(e.ctx, acc, retention.NewlySigned, "confirmed with the CSM", nil); err != nil {
			t.Fatal(err)
		}
		h := e.history(t, acc)
		if len(h) != 2 || h[0].Cause != retention.CauseManual || h[0].From != h[0].To || h[0].Reason != "confirmed with the CSM" {
			t.Fatalf("history %+v, want the manual act recorded though the label stayed", h)
		}
		prospect, err := e.accounts.CreateAccount(e.ctx, account.Account{DisplayName: "Lead"}, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.ret.SetManual(e.ctx, prospect.ID, retention.AtRisk, "gut feeling", nil)
		wantCode(t, err, failure.FailedPrecondition)

		unowned, err := e.accounts.CreateAccount(e.ctx, account.Account{DisplayName: "Nobody's"}, "")
		if err != nil {
			t.Fatal(err)
		}
		e.deal(t, unowned.ID, 100) // never talked to: AT_RISK
		if _, err := e.ret.Evaluate(e.ctx, unowned.ID); err != nil {
			t.Fatal(err)
		}
		if a := e.alerts(t, retention.AlertFilter{Unassigned: true}); len(a) != 1 || a[0].Account != unowned.ID || a[0].Owner != "" {
			t.Fatalf("unassigned alerts %+v", a)
		}
		// Signals are rule inputs: the worker follows them.
		if _, err := e.ret.ProcessChanges(e.ctx); err != nil {
			t.Fatal(err)
		}
		hs := health.NewService(store.New(db), health.Options{Now: e.clk.now})
		if _, _, err := hs.BatchCreateSignals(e.ctx, []*health.Signal{{Account: acc, Measure: "plan_usage", ValueMicros: 950000, Time: e.clk.t, Source: "t", SignalID: "1"}}); err != nil {
			t.Fatal(err)
		}
		if n, err := e.ret.ProcessChanges(e.ctx); err != nil || n != 1 {
			t.Fatalf("ProcessChanges after a signal = %d, %v; want the account evaluated", n, err)
		}
	})
}
