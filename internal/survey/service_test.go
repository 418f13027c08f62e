package survey_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/analytics"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/survey"
	"github.com/furrowhq/furrow/internal/testdb"
)

// These tests run surveys against the real store, on SQLite and PostgreSQL.

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)

type env struct {
	ctx      context.Context
	clk      *clock
	accounts *account.Service
	svc      *survey.Service
}

func newEnv(db *database.DB) *env {
	clk := &clock{t: t0}
	st := store.New(db)
	ctx := auth.WithCaller(context.Background(), auth.Caller{Name: "apiKeys/test", Role: auth.Admin})
	return &env{ctx: ctx, clk: clk, accounts: account.NewService(st, clk.now), svc: survey.NewService(st, survey.Options{Now: clk.now})}
}

// customer creates an account with its tier and two contacts.
func (e *env) customer(t *testing.T, name, tier string) (uuid.UUID, uuid.UUID, uuid.UUID) {
	t.Helper()
	a, err := e.accounts.CreateAccount(e.ctx, account.Account{DisplayName: name, RevenueTier: tier}, "")
	if err != nil {
		t.Fatal(err)
	}
	var cs []uuid.UUID
	for _, n := range []string{"Li Wei", "Zhang Min"} {
		c, err := e.accounts.CreateContact(e.ctx, a.ID, account.Contact{DisplayName: n}, "")
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c.ID)
	}
	return a.ID, cs[0], cs[1]
}

func score(n int) *int { return &n }

func wantCode(t *testing.T, err error, k failure.Kind) {
	t.Helper()
	if !failure.Is(err, k) {
		t.Fatalf("error %v, want kind %v", err, k)
	}
}

func TestResponses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		acc, c1, _ := e.customer(t, "Acme", "KEY")
		other, oc, _ := e.customer(t, "Other", "")
		at := t0.Add(-time.Hour)
		in := []*survey.Response{
			{Account: acc, Contact: c1, Kind: survey.KindNPS, Score: score(3), Comment: "slow support", Channel: "email", Time: at, Source: "qualtrics", ResponseID: "r1"},
			{Account: acc, Contact: c1, Kind: survey.KindCSAT, Score: score(5), Time: at, Source: "qualtrics", ResponseID: "r2"},
			{Account: other, Contact: oc, Kind: survey.KindComplaint, Comment: "invoice wrong", Time: at, Source: "desk", ResponseID: "c1"},
		}
		out, created, err := e.svc.BatchCreateResponses(e.ctx, in)
		if err != nil || created != 3 || len(out) != 3 || out[0].ID == uuid.Nil || *out[0].Score != 3 || !out[0].Detractor() || !out[2].Detractor() || out[1].Detractor() {
			t.Fatalf("create: %v, %d, %v", out, created, err)
		}
		// A resend stores nothing and returns the stored responses.
		again := []*survey.Response{{Account: acc, Contact: c1, Kind: survey.KindNPS, Score: score(3), Time: at, Source: "qualtrics", ResponseID: "r1"}}
		out2, created, err := e.svc.BatchCreateResponses(e.ctx, again)
		if err != nil || created != 0 || out2[0].ID != out[0].ID {
			t.Fatalf("resend: %v, %d, %v", out2, created, err)
		}
		// Bad input writes nothing: a contact of another account, a bad score, an
		// unknown account.
		bad := [][]*survey.Response{
			{{Account: acc, Contact: c1, Kind: survey.KindNPS, Score: score(9), Time: at, ResponseID: "ok"}, {Account: acc, Contact: oc, Kind: survey.KindNPS, Score: score(9), Time: at, ResponseID: "x"}},
			{{Account: acc, Contact: c1, Kind: survey.KindCSAT, Score: score(0), Time: at, ResponseID: "y"}},
			{{Account: acc, Contact: c1, Kind: survey.KindComplaint, Score: score(1), Time: at, ResponseID: "z"}},
		}
		for _, b := range bad {
			_, _, err := e.svc.BatchCreateResponses(e.ctx, b)
			wantCode(t, err, failure.Invalid)
		}
		_, _, err = e.svc.BatchCreateResponses(e.ctx, []*survey.Response{{Account: uuid.Must(uuid.NewV7()), Contact: c1, Kind: survey.KindNPS, Score: score(9), Time: at, ResponseID: "u"}})
		wantCode(t, err, failure.NotFound)
		p, err := e.svc.ListResponses(e.ctx, acc, "", 10, "")
		if err != nil || len(p.Items) != 2 {
			t.Fatalf("list after refused batches: %v, %v (nothing of them may be stored)", p, err)
		}
		if p, _ := e.svc.ListResponses(e.ctx, acc, survey.KindCSAT, 10, ""); len(p.Items) != 1 || p.Items[0].Kind != survey.KindCSAT {
			t.Fatalf("list CSAT: %v", p.Items)
		}

		// Exclusion: kept, visible, reversible; asking twice is FAILED_PRECONDITION.
		_, err = e.svc.SetExcluded(e.ctx, acc, out[0].ID, true, " ")
		wantCode(t, err, failure.Invalid)
		r, err := e.svc.SetExcluded(e.ctx, acc, out[0].ID, true, "test answer from our own staff")
		if err != nil || r.Exclusion == nil || r.Exclusion.By != "apiKeys/test" {
			t.Fatalf("exclude: %+v, %v", r, err)
		}
		_, err = e.svc.SetExcluded(e.ctx, acc, out[0].ID, true, "again")
		wantCode(t, err, failure.FailedPrecondition)
		if got, _ := e.svc.GetResponse(e.ctx, acc, out[0].ID); got.Exclusion == nil || got.Exclusion.Reason != "test answer from our own staff" {
			t.Fatalf("get excluded: %+v", got)
		}
		if r, err := e.svc.SetExcluded(e.ctx, acc, out[0].ID, false, ""); err != nil || r.Exclusion != nil {
			t.Fatalf("include: %+v, %v", r, err)
		}
		_, err = e.svc.GetResponse(e.ctx, other, out[0].ID) // another account's path
		wantCode(t, err, failure.NotFound)
	})
}

func TestReport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		key, k1, k2 := e.customer(t, "Key", "KEY")
		small, s1, _ := e.customer(t, "Small", "SMALL")
		gone, g1, _ := e.customer(t, "Gone", "KEY")
		may := survey.Period{Start: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
		in := func(d int) time.Time { return time.Date(2026, 5, d, 9, 0, 0, 0, time.UTC) }
		rs := []*survey.Response{
			// May: KEY promoters 10, 9, 9; passive 7; detractor 6 → 100 × (3 − 1) / 5 = 40.
			{Account: key, Contact: k1, Kind: survey.KindNPS, Score: score(10), Time: in(1), ResponseID: "1"},
			{Account: key, Contact: k2, Kind: survey.KindNPS, Score: score(9), Time: in(2), ResponseID: "2"},
			{Account: key, Contact: k1, Kind: survey.KindNPS, Score: score(9), Time: in(3), ResponseID: "3"},
			{Account: key, Contact: k2, Kind: survey.KindNPS, Score: score(7), Time: in(4), ResponseID: "4"},
			{Account: key, Contact: k1, Kind: survey.KindNPS, Score: score(6), Time: in(5), ResponseID: "5"},
			// The last instant of May counts; June 1 00:00 does not.
			{Account: small, Contact: s1, Kind: survey.KindNPS, Score: score(0), Time: may.End.Add(-time.Microsecond), ResponseID: "6"},
			{Account: small, Contact: s1, Kind: survey.KindNPS, Score: score(10), Time: may.End, ResponseID: "7"},
			// Excluded and deleted: left out.
			{Account: key, Contact: k2, Kind: survey.KindNPS, Score: score(0), Time: in(6), ResponseID: "8"},
			{Account: gone, Contact: g1, Kind: survey.KindNPS, Score: score(0), Time: in(7), ResponseID: "9"},
			// CSAT: 5, 4, 2 → 66.7; a complaint.
			{Account: key, Contact: k1, Kind: survey.KindCSAT, Score: score(5), Time: in(8), ResponseID: "10"},
			{Account: key, Contact: k1, Kind: survey.KindCSAT, Score: score(4), Time: in(9), ResponseID: "11"},
			{Account: small, Contact: s1, Kind: survey.KindCSAT, Score: score(2), Time: in(10), ResponseID: "12"},
			{Account: small, Contact: s1, Kind: survey.KindComplaint, Time: in(11), ResponseID: "13"},
			// April (in the previous period): one promoter, one detractor → 0.
			{Account: key, Contact: k1, Kind: survey.KindNPS, Score: score(10), Time: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC), ResponseID: "14"},
			{Account: key, Contact: k2, Kind: survey.KindNPS, Score: score(2), Time: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC), ResponseID: "15"},
		}
		out, _, err := e.svc.BatchCreateResponses(e.ctx, rs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetExcluded(e.ctx, key, out[7].ID, true, "duplicate survey"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.accounts.DeleteAccount(e.ctx, gone, ""); err != nil {
			t.Fatal(err)
		}

		r, err := e.svc.GetReport(e.ctx, may, survey.Segment{})
		if err != nil {
			t.Fatal(err)
		}
		c := r.Current
		// All of May: 10, 9, 9, 7, 6 (KEY) and 0 (SMALL) → P 3, D 2 of 6 → 100/6 = 16.7.
		if c.NPSResponses != 6 || c.Promoters != 3 || c.Passives != 1 || c.Detractors != 2 || survey.Decimal(c.NPS, 1) != "16.7" {
			t.Errorf("May NPS: %+v = %s", c, survey.Decimal(c.NPS, 1))
		}
		if c.NPSByScore[9] != 2 || c.NPSByScore[0] != 1 || c.NPSByScore[10] != 1 {
			t.Errorf("distribution %v", c.NPSByScore)
		}
		if c.CSATResponses != 3 || survey.Decimal(c.CSAT, 1) != "66.7" || c.Complaints != 1 {
			t.Errorf("May CSAT: %+v = %s", c, survey.Decimal(c.CSAT, 1))
		}
		// The previous period is the 31 days before May 1 (from March 31): NPS 0, no
		// CSAT (null, not 0).
		if !r.Previous.Start.Equal(time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)) || survey.Decimal(r.Prior.NPS, 1) != "0.0" || r.Prior.CSAT != nil {
			t.Errorf("previous: %+v %+v", r.Previous, r.Prior)
		}
		if d := survey.Decimal(survey.Change(c.NPS, r.Prior.NPS), 1); d != "16.7" {
			t.Errorf("change = %s", d)
		}
		// The KEY segment only: 100 × (3 − 1) / 5 = 40.
		r, _ = e.svc.GetReport(e.ctx, may, survey.Segment{Tier: "KEY"})
		if survey.Decimal(r.Current.NPS, 1) != "40.0" || r.Current.Complaints != 0 {
			t.Errorf("KEY NPS = %s (%+v)", survey.Decimal(r.Current.NPS, 1), r.Current)
		}
		// The analytics service's NPS reads the same counts.
		for _, tc := range []struct {
			seg  analytics.Segment
			want analytics.NPSCounts
		}{{analytics.Segment{}, analytics.NPSCounts{Responses: 6, Promoters: 3, Detractors: 2}}, {analytics.Segment{Tier: "KEY"}, analytics.NPSCounts{Responses: 5, Promoters: 3, Detractors: 1}}} {
			got, err := store.New(db).SurveyNPS().NPSCounts(e.ctx, tc.seg, may.Start, may.End, 9, 6)
			if err != nil || got != tc.want {
				t.Errorf("NPSCounts(%+v) = %+v, %v; want %+v", tc.seg, got, err, tc.want)
			}
		}
		// An empty period: no data.
		r, _ = e.svc.GetReport(e.ctx, survey.Period{Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}, survey.Segment{})
		if r.Current.NPS != nil || r.Current.CSAT != nil || r.Current.NPSResponses != 0 {
			t.Errorf("empty period: %+v", r.Current)
		}
		_, err = e.svc.GetReport(e.ctx, survey.Period{Start: may.End, End: may.Start}, survey.Segment{})
		wantCode(t, err, failure.Invalid)
	})
}

func TestEligibility(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		acc, c1, c2 := e.customer(t, "Acme", "")
		_, oc, _ := e.customer(t, "Other", "")
		el, err := e.svc.CheckEligibility(e.ctx, acc, c1)
		if err != nil || !el.Eligible || len(el.Refusals) != 0 {
			t.Fatalf("fresh contact: %+v, %v", el, err)
		}
		inv, created, err := e.svc.RecordInvitation(e.ctx, &survey.Invitation{Account: acc, Contact: c1, Channel: "email", InvitationID: "q3-wave"})
		if err != nil || !created || inv.Time != t0 {
			t.Fatalf("invite: %+v, %v, %v", inv, created, err)
		}
		// The same invitation again: the one recorded, not a refusal.
		again, created, err := e.svc.RecordInvitation(e.ctx, &survey.Invitation{Account: acc, Contact: c1, InvitationID: "q3-wave"})
		if err != nil || created || again.ID != inv.ID {
			t.Fatalf("resend: %+v, %v, %v", again, created, err)
		}
		// Three days later: the contact (30 days) and the account (7 days) are throttled.
		e.clk.t = t0.AddDate(0, 0, 3)
		_, _, err = e.svc.RecordInvitation(e.ctx, &survey.Invitation{Account: acc, Contact: c1, InvitationID: "another"})
		wantCode(t, err, failure.FailedPrecondition)
		el, _ = e.svc.CheckEligibility(e.ctx, acc, c1)
		if el.Eligible || len(el.Refusals) != 2 || !el.NextTime.Equal(t0.AddDate(0, 0, 30)) {
			t.Fatalf("throttled contact: %+v", el)
		}
		el, _ = e.svc.CheckEligibility(e.ctx, acc, c2)
		if el.Eligible || len(el.Refusals) != 1 || el.Refusals[0].Reason != survey.AccountThrottled || !el.NextTime.Equal(t0.AddDate(0, 0, 7)) {
			t.Fatalf("other contact of the account: %+v", el)
		}
		// A week later the other contact may be asked; an answer counts as surveyed too.
		e.clk.t = t0.AddDate(0, 0, 7)
		if _, created, err := e.svc.RecordInvitation(e.ctx, &survey.Invitation{Account: acc, Contact: c2, InvitationID: "c2"}); err != nil || !created {
			t.Fatalf("a week later: %v, %v", created, err)
		}
		e.clk.t = t0.AddDate(0, 0, 20)
		if _, _, err := e.svc.BatchCreateResponses(e.ctx, []*survey.Response{{Account: acc, Contact: c1, Kind: survey.KindNPS, Score: score(8), Time: t0.AddDate(0, 0, 20), ResponseID: "a"}}); err != nil {
			t.Fatal(err)
		}
		e.clk.t = t0.AddDate(0, 0, 40) // 40 days after the invitation, 20 after the answer
		el, _ = e.svc.CheckEligibility(e.ctx, acc, c1)
		if el.Eligible || el.Refusals[0].Reason != survey.ContactThrottled || !el.NextTime.Equal(t0.AddDate(0, 0, 50)) {
			t.Fatalf("after an answer: %+v", el)
		}
		// Someone else's contact.
		_, _, err = e.svc.RecordInvitation(e.ctx, &survey.Invitation{Account: acc, Contact: oc, InvitationID: "x"})
		wantCode(t, err, failure.Invalid)
		_, err = e.svc.CheckEligibility(e.ctx, acc, oc)
		wantCode(t, err, failure.NotFound)
		// An invitation id is one invitation: reusing it for another contact is refused.
		_, _, err = e.svc.RecordInvitation(e.ctx, &survey.Invitation{Account: acc, Contact: c1, InvitationID: "c2"})
		wantCode(t, err, failure.AlreadyExists)
	})
}

// TestListResponsesPages walks an account's responses two at a time: newest first, ties
// on time broken by id, every response once.
func TestListResponsesPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(db)
		acc, c1, c2 := e.customer(t, "Acme", "")
		var in []*survey.Response
		for i, at := range []time.Duration{5, 4, 4, 4, 2} { // three at one moment
			c := c1
			if i%2 == 1 {
				c = c2
			}
			in = append(in, &survey.Response{Account: acc, Contact: c, Kind: survey.KindComplaint, Comment: "late",
				Time: t0.Add(-at * time.Hour), Source: "desk", ResponseID: fmt.Sprintf("c%d", i)})
		}
		if _, _, err := e.svc.BatchCreateResponses(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		var got []*survey.Response
		token, pages := "", 0
		for {
			p, err := e.svc.ListResponses(e.ctx, acc, "", 2, token)
			if err != nil {
				t.Fatal(err)
			}
			got, pages = append(got, p.Items...), pages+1
			if token = p.NextPageToken; token == "" {
				break
			}
		}
		if len(got) != 5 || pages != 3 {
			t.Fatalf("%d responses in %d pages, want 5 in 3", len(got), pages)
		}
		seen := map[string]bool{}
		for i, r := range got {
			seen[r.ResponseID] = true
			if i > 0 {
				prev := got[i-1]
				if r.Time.After(prev.Time) || (r.Time.Equal(prev.Time) && r.ID.String() >= prev.ID.String()) {
					t.Errorf("response %d (%s, %s) is not after %d (%s, %s) in (time, id) descending order", i, r.Time, r.ID, i-1, prev.Time, prev.ID)
				}
			}
		}
		if len(seen) != 5 {
			t.Errorf("responses seen %v, want all five once", seen)
		}
	})
}
