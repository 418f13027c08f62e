package cases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

func actingFor(key, person string) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Name: key, Role: auth.Member, Person: person})
}

// Two keys acting for the same person are one person: neither may approve what the
// other wrote. History records the person, not the key.
func TestFourEyesComparesPersons(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		a, b, bob := actingFor("apiKeys/a", "alice@x"), actingFor("apiKeys/b", "alice@x"), actingFor("apiKeys/c", "bob@x")
		c, err := e.svc.CreateCase(a, e.complete("Alice's case"), "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Author != "alice@x" || c.Working.Editor != "alice@x" {
			t.Fatalf("author %q editor %q, want the person alice@x", c.Author, c.Working.Editor)
		}
		e.move(t, a, c.ID, cases.OpSubmit, "")
		_, err = e.svc.Transition(b, c.ID, cases.OpApprove, "", "")
		wantKind(t, err, failure.PermissionDenied, "other than its author")
		if f, _ := failure.As(err); f.Reason != "SELF_APPROVAL" {
			t.Errorf("reason %q, want SELF_APPROVAL", f.Reason)
		}
		// Another person may.
		got := e.move(t, bob, c.ID, cases.OpApprove, "checked")
		if got.State != cases.Published {
			t.Fatalf("bob's approval: state %s", got.State)
		}
		p, _ := e.svc.ListEvents(a, c.ID, 100, "")
		var actors []string
		for _, ev := range p.Items {
			actors = append(actors, ev.Actor)
		}
		if !slices.Equal(actors, []string{"alice@x", "alice@x", "bob@x"}) {
			t.Fatalf("history actors %v", actors)
		}
		// A key acting for nobody is still compared on its name.
		c2 := e.create(t, e.complete("Key-only author"))
		e.move(t, e.author, c2.ID, cases.OpSubmit, "")
		_, err = e.svc.Transition(as("apiKeys/author", auth.Member), c2.ID, cases.OpApprove, "", "")
		wantKind(t, err, failure.PermissionDenied, "")
	})
}

func TestAcknowledgeTimeInTheFuture(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.complete("Acknowledged tomorrow")
		c.Ack.Time = t0.Add(24 * time.Hour)
		_, err := e.svc.CreateCase(e.author, c, "")
		wantKind(t, err, failure.Invalid, "case.acknowledgement.acknowledge_time: 2026-06-02T12:00:00Z is in the future")
		if f, _ := failure.As(err); len(f.Violations) != 1 || f.Violations[0].Field != "case.acknowledgement.acknowledge_time" {
			t.Fatalf("violations %+v, want one on case.acknowledgement.acknowledge_time", f.Violations)
		}
		// A client clock a few seconds ahead is not the future.
		c.Ack.Time = t0.Add(20 * time.Second)
		ok, err := e.svc.CreateCase(e.author, c, "")
		if err != nil {
			t.Fatalf("acknowledged 20s ahead of the server: %v", err)
		}
		// An update setting it is checked too, and writes nothing.
		patch := e.complete("")
		patch.Ack.Time = t0.Add(time.Hour)
		_, err = e.svc.UpdateCase(e.author, ok.ID, patch, []string{"acknowledgement"}, "")
		wantKind(t, err, failure.Invalid, "is in the future")
		if got, _ := e.svc.GetCase(e.author, ok.ID, ""); !got.Working.Ack.Time.Equal(t0.Add(20*time.Second)) || got.Revision != ok.Revision {
			t.Fatalf("refused update wrote: %+v rev %d", got.Working.Ack, got.Revision)
		}
		// An update that leaves the acknowledgement alone does not judge it again.
		if _, err := e.svc.UpdateCase(e.author, ok.ID, cases.Content{Title: "Retitled"}, []string{"title"}, ""); err != nil {
			t.Fatalf("title update: %v", err)
		}
	})
}

// staleStore hands RecordExpiries the candidates another sweep read before the first
// sweep committed: the race the deterministic event id closes.
type staleStore struct {
	*store.Store
	stale []cases.ExpiredAck
}

type staleTx struct {
	cases.Tx
	stale []cases.ExpiredAck
}

func (s *staleStore) WithCaseTx(ctx context.Context, fn func(tx cases.Tx) error) error {
	return s.Store.WithCaseTx(ctx, func(tx cases.Tx) error { return fn(&staleTx{Tx: tx, stale: s.stale}) })
}

func (tx *staleTx) ExpiredAcknowledgements(context.Context, time.Time, int) ([]cases.ExpiredAck, error) {
	return tx.stale, nil
}

func TestExpiryRecordedOnceUnderRaces(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		var ids []uuid.UUID
		for _, title := range []string{"Expiring one", "Expiring two", "Expiring three"} {
			c := e.complete(title)
			at := t0.Add(time.Hour)
			c.Ack.ExpireTime = &at
			ids = append(ids, e.publish(t, c).ID)
		}
		e.clk.t = t0.Add(2 * time.Hour)

		// What a sweep sees before anyone recorded the expiries.
		var stale []cases.ExpiredAck
		errRead := errors.New("read only")
		if err := store.New(db).WithCaseTx(context.Background(), func(tx cases.Tx) error {
			var err error
			if stale, err = tx.ExpiredAcknowledgements(context.Background(), e.clk.t, 100); err != nil {
				return err
			}
			return errRead
		}); !errors.Is(err, errRead) {
			t.Fatal(err)
		}
		if len(stale) != 3 {
			t.Fatalf("expired acknowledgements %+v, want 3", stale)
		}

		// Several sweeps at once (on PostgreSQL truly concurrent), then the late one
		// acting on its stale read: every expiry is recorded exactly once.
		var wg sync.WaitGroup
		total := make([]int, 4)
		for i := range total {
			wg.Go(func() {
				n, err := e.svc.RecordExpiries(e.admin, 100)
				if err != nil && !failure.Is(err, failure.Unavailable) { // SQLite: a busy writer is retryable
					t.Errorf("sweep %d: %v", i, err)
				}
				total[i] = n
			})
		}
		wg.Wait()
		late := cases.NewService(&staleStore{Store: store.New(db), stale: stale}, cases.Options{Now: e.clk.now})
		n, err := late.RecordExpiries(e.admin, 100)
		if err != nil || n != 0 {
			t.Fatalf("late sweep = %d, %v; want 0 written", n, err)
		}
		sum := 0
		for _, n := range total {
			sum += n
		}
		if sum != 3 {
			t.Errorf("sweeps wrote %v entries, want 3 in all", total)
		}
		for _, id := range ids {
			p, err := e.svc.ListEvents(e.author, id, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			var exp []*cases.Event
			for _, ev := range p.Items {
				if ev.Action == cases.ActionExpire {
					exp = append(exp, ev)
				}
			}
			if len(exp) != 1 || !exp[0].Time.Equal(t0.Add(time.Hour)) || exp[0].ID != cases.ExpiryEventID(id, 1, t0.Add(time.Hour)) {
				t.Fatalf("case %s expiry entries %+v, want one at the expiry", id, exp)
			}
		}
	})
}

func TestExpiryEventID(t *testing.T) {
	c := uuid.MustParse("01934a8e-0000-7000-8000-000000000001")
	at := time.Date(2026, 6, 1, 13, 0, 0, 0, time.UTC)
	id := cases.ExpiryEventID(c, 2, at)
	if id != cases.ExpiryEventID(c, 2, at) || id == cases.ExpiryEventID(c, 3, at) || id == cases.ExpiryEventID(c, 2, at.Add(time.Second)) {
		t.Fatal("the id is not a function of (case, version, expiry)")
	}
	if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
		t.Fatalf("id %s: version %d variant %v, want a UUIDv7", id, id.Version(), id.Variant())
	}
	sec, nsec := id.Time().UnixTime()
	if got := time.Unix(sec, nsec).UTC(); !got.Equal(at) {
		t.Fatalf("id time %s, want %s", got, at)
	}
}

// Deleting the contact who acknowledged a case withdraws the acknowledgement's
// standing: the case leaves published search and fails the customer-success standard.
func TestDeletedAcknowledgingContact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.publish(t, e.complete("Acknowledged by a contact who left"))
		if got := e.search(t, e.viewer, ListReq("left")); len(got) != 1 {
			t.Fatalf("before: viewer finds %v", got)
		}
		if err := e.accounts.DeleteContact(e.admin, e.acc, e.contact, ""); err != nil {
			t.Fatal(err)
		}
		if got := e.search(t, e.viewer, ListReq("left")); len(got) != 0 {
			t.Fatalf("after deleting the contact, viewer search finds %v", got)
		}
		if got := e.search(t, e.viewer, cases.ListRequest{}); len(got) != 0 {
			t.Fatalf("after deleting the contact, viewer listing finds %v", got)
		}
		if _, err := e.svc.GetCase(e.viewer, c.ID, ""); !failure.Is(err, failure.NotFound) {
			t.Fatalf("viewer reads the case: %v", err)
		}
		got, err := e.svc.GetCase(e.author, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.IsLive || got.AckInForce || !got.Working.Ack.ContactGone {
			t.Fatalf("member view: live %v, ack in force %v, contact gone %v", got.IsLive, got.AckInForce, got.Working.Ack.ContactGone)
		}
		for _, ch := range got.Checks {
			if ch.Standard == cases.StandardCustomerSuccess && (ch.Met || !strings.Contains(strings.Join(ch.Missing, ";"), "was deleted")) {
				t.Fatalf("customer-success check %+v, want unmet naming the deleted contact", ch)
			}
		}
		// A new version keeping that acknowledgement cannot be submitted.
		if _, err := e.svc.UpdateCase(e.author, c.ID, cases.Content{Title: "Acknowledged by a contact who left (v2)"}, []string{"title"}, ""); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Transition(e.author, c.ID, cases.OpSubmit, "", "")
		wantKind(t, err, failure.FailedPrecondition, "was deleted")
	})
}

func TestStandardsErrorNamesEachUnmetStandard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.complete("Half done")
		c.Results[0].Period, c.Products = "", nil // quantified results and industry case fail
		cs := e.create(t, c)
		_, err := e.svc.Transition(e.author, cs.ID, cases.OpSubmit, "", "")
		var se *cases.StandardsError
		if !errors.As(err, &se) {
			t.Fatalf("err %v (%T), want a *cases.StandardsError", err, err)
		}
		if f, ok := failure.As(err); !ok || f.Kind != failure.FailedPrecondition || f.Reason != "STANDARDS_NOT_MET" {
			t.Fatalf("failure %+v", f)
		}
		var got []string
		for _, ch := range se.Unmet {
			got = append(got, ch.Standard+": "+strings.Join(ch.Missing, "; "))
		}
		want := []string{cases.StandardIndustryCase + ": products: none listed", cases.StandardQuantifiedResults + ": results[0].period: missing"}
		if !slices.Equal(got, want) {
			t.Fatalf("unmet %q, want %q", got, want)
		}
	})
}
