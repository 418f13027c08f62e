package account_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/furrowhq/furrow/internal/access"
	"github.com/furrowhq/furrow/internal/account"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/store"
	"github.com/furrowhq/furrow/internal/testdb"
)

// flakyStore makes the first bulk insert of accounts fail as a concurrent writer would,
// and any insert of the deal "boom", to drive a batch down its record-by-record path.
type flakyStore struct {
	*store.Store
	failedBulk bool
}

func (f *flakyStore) WithTx(ctx context.Context, fn func(tx account.Tx) error) error {
	return f.Store.WithTx(ctx, func(tx account.Tx) error { return fn(&flakyTx{Tx: tx, s: f}) })
}

type flakyTx struct {
	account.Tx
	s *flakyStore
}

func (t *flakyTx) InsertAccounts(ctx context.Context, as []*account.Account) error {
	if !t.s.failedBulk && len(as) > 1 {
		t.s.failedBulk = true
		return account.ErrUnique
	}
	return t.Tx.InsertAccounts(ctx, as)
}

func (t *flakyTx) InsertDeals(ctx context.Context, ds []*account.Deal) error {
	for _, d := range ds {
		if d.ExternalID == "boom" {
			return account.ErrUnique
		}
	}
	return t.Tx.InsertDeals(ctx, ds)
}

func TestBatchSlowPath(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		if _, err := access.NewService(st.Access(), nil).CreatePartner(ctx, "crm", "CRM"); err != nil {
			t.Fatal(err)
		}
		flaky := &flakyStore{Store: st}
		svc := account.NewService(flaky, nil)
		deal := func(ext string) []account.SyncDeal {
			return []account.SyncDeal{{ExternalID: ext, Deal: account.Deal{Amount: account.Money{CurrencyCode: "CNY", MinorUnits: 5}, CloseDate: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}}}
		}
		recs := []account.SyncRecord{
			{ExternalID: "a", Account: account.Account{DisplayName: "Slow A"}, Deals: deal("a-d")},
			{ExternalID: "b", Account: account.Account{DisplayName: "Slow B"}, Deals: deal("boom")},
			{ExternalID: "c", Account: account.Account{DisplayName: ""}},
			{ExternalID: "d", Account: account.Account{DisplayName: "Slow D"}, Contacts: []account.SyncContact{{ExternalID: "d-c", Contact: account.Contact{DisplayName: "Dee"}}}},
		}
		res, err := svc.BatchUpsertAccounts(ctx, "crm", "slow-1", recs)
		if err != nil {
			t.Fatal(err)
		}
		if !flaky.failedBulk {
			t.Fatal("the bulk path was not tried first")
		}
		want := []string{account.Created, account.Failed, account.Failed, account.Created}
		for i, r := range res {
			if r.Outcome != want[i] {
				t.Errorf("record %d: %s (%v), want %s", i, r.Outcome, r.Error, want[i])
			}
		}
		if res[1].Error == nil || res[1].Error.Kind != failure.AlreadyExists || res[2].Error.Kind != failure.Invalid {
			t.Errorf("errors: %v / %v", res[1].Error, res[2].Error)
		}
		// The failed record left nothing: no account "Slow B"; the others are whole.
		p, err := svc.ListAccounts(ctx, account.ListRequest{PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, a := range p.Items {
			names[a.DisplayName] = true
		}
		if len(p.Items) != 2 || !names["Slow A"] || !names["Slow D"] {
			t.Errorf("accounts after the slow path: %v", names)
		}
		d, err := svc.GetAccount(ctx, res[3].Account)
		if err != nil || d.PrimaryContact.String() == "00000000-0000-0000-0000-000000000000" {
			t.Errorf("record d: %v %+v", err, d)
		}
		// Its stored results answer a retry.
		again, err := svc.BatchUpsertAccounts(ctx, "crm", "slow-1", recs)
		if err != nil || again[0].Account != res[0].Account || again[1].Outcome != account.Failed {
			t.Errorf("retry: %v %+v", err, again)
		}
	})
}

// TestBatchDuplicates: records duplicating an existing account or each other fail,
// naming what they duplicate; the first of two look-alike records wins.
func TestBatchDuplicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		st := store.New(db)
		if _, err := access.NewService(st.Access(), nil).CreatePartner(ctx, "crm", "CRM"); err != nil {
			t.Fatal(err)
		}
		svc := account.NewService(st, nil)
		existing := mustCreate(t, svc, account.Account{DisplayName: "Keyless Co"})
		res, err := svc.BatchUpsertAccounts(ctx, "crm", "", []account.SyncRecord{
			{ExternalID: "1", Account: account.Account{DisplayName: "One", Domain: "same.example"}},
			{ExternalID: "2", Account: account.Account{DisplayName: "Two", Domain: "WWW.same.example"}},
			{ExternalID: "3", Account: account.Account{DisplayName: "keyless co."}},
			{ExternalID: "4", Account: account.Account{DisplayName: "Four", TaxID: "T-4"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := []string{res[0].Outcome, res[1].Outcome, res[2].Outcome, res[3].Outcome}
		if fmt.Sprint(got) != "[CREATED FAILED FAILED CREATED]" {
			t.Fatalf("outcomes = %v", got)
		}
		if res[1].Error.Kind != failure.AlreadyExists || !strings.Contains(res[1].Error.Msg, "records[0]") {
			t.Errorf("in-batch duplicate: %v", res[1].Error)
		}
		if res[2].Error.Kind != failure.AlreadyExists || res[2].Error.Resource != existing.Name() {
			t.Errorf("duplicate of an existing account: %v", res[2].Error)
		}
	})
}
