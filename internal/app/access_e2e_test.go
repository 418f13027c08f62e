package app_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/app"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/testdb"
)

// newKey creates a key of role (for partner, acting for partner) and returns its secret.
func (e *env) newKey(t *testing.T, role furrowv1.Role, partner string) (string, *furrowv1.ApiKey) {
	t.Helper()
	k := &furrowv1.ApiKey{DisplayName: role.String() + " key", Role: role}
	if partner != "" {
		k.Partner = "partners/" + partner
	}
	made, err := e.access.CreateApiKey(context.Background(), &furrowv1.CreateApiKeyRequest{ApiKey: k})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(made.GetKey(), made.GetPrefix()+"_") {
		t.Fatalf("key %q does not start with its prefix %q", made.GetKey(), made.GetPrefix())
	}
	return made.GetKey(), made
}

func (e *env) newPartner(t *testing.T, id string) {
	t.Helper()
	if _, err := e.access.CreatePartner(context.Background(), &furrowv1.CreatePartnerRequest{PartnerId: id, Partner: &furrowv1.Partner{DisplayName: id}}); err != nil {
		t.Fatal(err)
	}
}

// restAs sends a REST request with key ("" for none) and returns the status code.
func (e *env) restAs(t *testing.T, key, method, path, body string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func TestAuthentication(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		member, made := e.newKey(t, furrowv1.Role_ROLE_MEMBER, "")
		list := func(key string) codes.Code {
			_, err := furrowv1.NewAccountServiceClient(e.dial(t, key)).ListAccounts(ctx, &furrowv1.ListAccountsRequest{})
			return status.Code(err)
		}
		for name, c := range map[string]struct {
			key  string
			code codes.Code
			http int
		}{
			"no key":        {"", codes.Unauthenticated, 401},
			"malformed key": {"not-a-key", codes.Unauthenticated, 401},
			"unknown key":   {"fw_aaaaaaaaaa_" + strings.Repeat("A", 43), codes.Unauthenticated, 401},
			"tampered key":  {member[:len(member)-1] + "x", codes.Unauthenticated, 401},
			"member key":    {member, codes.OK, 200},
		} {
			if got := list(c.key); got != c.code {
				t.Errorf("%s: gRPC %v, want %v", name, got, c.code)
			}
			if got, _ := e.restAs(t, c.key, "GET", "/v1/accounts", ""); got != c.http {
				t.Errorf("%s: HTTP %d, want %d", name, got, c.http)
			}
		}
		// Health needs no key.
		if _, err := healthpb.NewHealthClient(e.dial(t, "")).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Errorf("health without a key: %v", err)
		}
		// A revoked key fails at once.
		if _, err := e.access.RevokeApiKey(ctx, &furrowv1.RevokeApiKeyRequest{Name: made.GetName()}); err != nil {
			t.Fatal(err)
		}
		if got := list(member); got != codes.Unauthenticated {
			t.Errorf("revoked key: %v", got)
		}
		// An expired key fails.
		exp, err := e.access.CreateApiKey(ctx, &furrowv1.CreateApiKeyRequest{ApiKey: &furrowv1.ApiKey{
			DisplayName: "short", Role: furrowv1.Role_ROLE_VIEWER, ExpireTime: timestamppb.New(time.Now().Add(1500 * time.Millisecond))}})
		if err != nil {
			t.Fatal(err)
		}
		if got := list(exp.GetKey()); got != codes.OK {
			t.Errorf("fresh key: %v", got)
		}
		time.Sleep(1600 * time.Millisecond)
		if got := list(exp.GetKey()); got != codes.Unauthenticated {
			t.Errorf("expired key: %v", got)
		}
		// Secrets never come back and never reach the logs.
		keys, err := e.access.ListApiKeys(ctx, &furrowv1.ListApiKeysRequest{ShowRevoked: true})
		if err != nil || len(keys.GetApiKeys()) != 3 {
			t.Fatalf("list keys: %v %d", err, len(keys.GetApiKeys()))
		}
		for _, k := range keys.GetApiKeys() {
			if k.GetKey() != "" {
				t.Errorf("ListApiKeys returned a secret for %s", k.GetName())
			}
		}
		for _, secret := range []string{member, exp.GetKey(), e.key} {
			if strings.Contains(e.logs.String(), secret[14:]) {
				t.Errorf("a secret is in the logs")
			}
		}
		if !strings.Contains(e.logs.String(), `"caller":"`+made.GetName()+`"`) {
			t.Errorf("request log does not name the caller key")
		}
	})
}

// TestRoleTable holds the role table to the API, method by method: every method is in
// it, and each role is allowed or denied exactly as it says.
func TestRoleTable(t *testing.T) {
	e := start(t, testdb.Dialects[0])
	e.newPartner(t, "crm")
	ctx := context.Background()
	table := auth.Methods()
	var methods []protoreflect.MethodDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("furrow.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				methods = append(methods, sd.Methods().Get(j))
			}
		}
		return true
	})
	if len(methods) != len(table) {
		t.Errorf("the API has %d methods, the role table %d", len(methods), len(table))
	}
	keys := map[auth.Role]string{auth.Admin: e.key}
	keys[auth.Member], _ = e.newKey(t, furrowv1.Role_ROLE_MEMBER, "")
	keys[auth.Viewer], _ = e.newKey(t, furrowv1.Role_ROLE_VIEWER, "")
	keys[auth.Partner], _ = e.newKey(t, furrowv1.Role_ROLE_PARTNER, "crm")
	for _, md := range methods {
		full := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
		roles, ok := table[full]
		if !ok {
			t.Errorf("%s is not in the role table", full)
			continue
		}
		for role, key := range keys {
			conn := e.dial(t, key)
			err := conn.Invoke(ctx, full, dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output()))
			code := status.Code(err)
			if slices.Contains(roles, role) {
				if code == codes.PermissionDenied || code == codes.Unauthenticated {
					t.Errorf("%s as %s: %v, want allowed", full, role, err)
				}
			} else if code != codes.PermissionDenied {
				t.Errorf("%s as %s: %v, want PERMISSION_DENIED", full, role, code)
			}
		}
	}
}

func TestPartnerIsolation(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.newPartner(t, "crm")
		e.newPartner(t, "erp")
		crmKey, _ := e.newKey(t, furrowv1.Role_ROLE_PARTNER, "crm")
		erpKey, _ := e.newKey(t, furrowv1.Role_ROLE_PARTNER, "erp")
		crm := furrowv1.NewAccountServiceClient(e.dial(t, crmKey))
		erp := furrowv1.NewAccountServiceClient(e.dial(t, erpKey))
		internal, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Internal Only", TaxId: "INT-1"}})
		if err != nil {
			t.Fatal(err)
		}
		linked, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Linked", ExternalIds: map[string]string{"crm": "L-1"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: linked.GetName(), Contact: &furrowv1.Contact{DisplayName: "Li Wei"}}); err != nil {
			t.Fatal(err)
		}
		code := func(err error) codes.Code { return status.Code(err) }
		// The partner sees its account and nothing else.
		l, err := crm.ListAccounts(ctx, &furrowv1.ListAccountsRequest{ShowDeleted: true})
		if err != nil || len(l.GetAccounts()) != 1 || l.GetAccounts()[0].GetName() != linked.GetName() {
			t.Errorf("partner list: %v %v", err, l.GetAccounts())
		}
		if _, err := crm.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: linked.GetName()}); err != nil {
			t.Errorf("own account: %v", err)
		}
		if _, err := crm.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: internal.GetName()}); code(err) != codes.NotFound {
			t.Errorf("internal account: %v, want NOT_FOUND", err)
		}
		if _, err := erp.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: linked.GetName()}); code(err) != codes.NotFound {
			t.Errorf("other partner's account: %v, want NOT_FOUND", err)
		}
		if _, err := erp.ListContacts(ctx, &furrowv1.ListContactsRequest{Parent: linked.GetName()}); code(err) != codes.NotFound {
			t.Errorf("other partner's contacts: %v, want NOT_FOUND", err)
		}
		if _, err := erp.CreateDeal(ctx, &furrowv1.CreateDealRequest{Parent: linked.GetName(), Deal: &furrowv1.Deal{}}); code(err) != codes.NotFound && code(err) != codes.InvalidArgument {
			t.Errorf("write to another partner's account: %v", err)
		}
		if _, err := erp.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: linked.GetName(), DisplayName: "x"}}); code(err) != codes.NotFound {
			t.Errorf("update another partner's account: %v, want NOT_FOUND", err)
		}
		// Partners set only their fields, and their accounts carry their id.
		if _, err := crm.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "No Link"}}); code(err) != codes.InvalidArgument {
			t.Errorf("partner create without its external id: %v", err)
		}
		if _, err := crm.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Tiered", ExternalIds: map[string]string{"crm": "T-1"}, RevenueTier: furrowv1.RevenueTier_REVENUE_TIER_KEY}}); code(err) != codes.PermissionDenied {
			t.Errorf("partner sets revenue tier: %v", err)
		}
		if _, err := crm.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: linked.GetName(), Labels: []string{"vip"}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels"}}}); code(err) != codes.PermissionDenied {
			t.Errorf("partner sets labels: %v", err)
		}
		if _, err := crm.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: linked.GetName(), Industry: "retail"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry"}}}); err != nil {
			t.Errorf("partner sets industry: %v", err)
		}
		// A duplicate of an account the partner cannot see is refused without naming it.
		_, err = crm.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Copy", TaxId: "int-1", ExternalIds: map[string]string{"crm": "C-1"}}})
		if code(err) != codes.AlreadyExists || strings.Contains(err.Error(), internal.GetName()) {
			t.Errorf("duplicate of a hidden account: %v", err)
		}
		// A partner sets only its own external id: no planting records in another's system.
		if _, err := crm.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Planted", ExternalIds: map[string]string{"crm": "P-1", "erp": "E-9"}}}); code(err) != codes.PermissionDenied {
			t.Errorf("partner sets another system's id: %v", err)
		}
		// Request ids are per caller: reusing an admin's id neither replays nor reveals.
		if _, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: internal.GetName(), RequestId: "shared-1", Contact: &furrowv1.Contact{DisplayName: "Secret Person"}}); err != nil {
			t.Fatal(err)
		}
		if c, err := crm.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: internal.GetName(), RequestId: "shared-1", Contact: &furrowv1.Contact{DisplayName: "x"}}); code(err) != codes.NotFound {
			t.Errorf("partner replays an admin's contact request: %v %v", c, err)
		}
		if _, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{RequestId: "shared-2", Account: &furrowv1.Account{DisplayName: "Admin Made"}}); err != nil {
			t.Fatal(err)
		}
		mine, err := crm.CreateAccount(ctx, &furrowv1.CreateAccountRequest{RequestId: "shared-2", Account: &furrowv1.Account{DisplayName: "Partner Made", ExternalIds: map[string]string{"crm": "PM-1"}}})
		if err != nil || mine.GetDisplayName() != "Partner Made" {
			t.Errorf("partner's own request id: %v %v", mine, err)
		}
		// Methods outside the partner's role are denied.
		if _, err := crm.ClaimAccount(ctx, &furrowv1.ClaimAccountRequest{Name: linked.GetName(), Owner: "x"}); code(err) != codes.PermissionDenied {
			t.Errorf("partner claims: %v", err)
		}
		if _, err := furrowv1.NewSyncServiceClient(e.dial(t, crmKey)).ListAccountChanges(ctx, &furrowv1.ListAccountChangesRequest{Partner: "partners/erp"}); code(err) != codes.PermissionDenied {
			t.Errorf("partner reads another partner's feed: %v", err)
		}
	})
}

func syncRecord(ext, name, taxID string) *furrowv1.SyncRecord {
	return &furrowv1.SyncRecord{
		ExternalId: ext,
		Account:    &furrowv1.Account{DisplayName: name, TaxId: taxID, Industry: "retail"},
		Contacts:   []*furrowv1.SyncContact{{ExternalId: ext + "-c1", Contact: &furrowv1.Contact{DisplayName: "Contact of " + name, Email: strings.ToLower(ext) + "@example.com"}}},
		Deals: []*furrowv1.SyncDeal{{ExternalId: ext + "-d1", Deal: &furrowv1.Deal{
			Amount: &furrowv1.Money{CurrencyCode: "CNY", MinorUnits: 100000}, CloseDate: toDate(2025, 5, 1), Product: "Core"}}},
	}
}

func outcomes(res *furrowv1.BatchUpsertAccountsResponse) string {
	var out []string
	for _, r := range res.GetResults() {
		out = append(out, strings.TrimPrefix(r.GetOutcome().String(), "SYNC_OUTCOME_"))
	}
	return strings.Join(out, ",")
}

func TestBatchUpsert(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.newPartner(t, "crm")
		key, _ := e.newKey(t, furrowv1.Role_ROLE_PARTNER, "crm")
		syncc := furrowv1.NewSyncServiceClient(e.dial(t, key))
		if _, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Existing Internal", TaxId: "TAKEN-1"}}); err != nil {
			t.Fatal(err)
		}
		bad := syncRecord("B-2", "", "TAX-B2") // no display_name
		recs := []*furrowv1.SyncRecord{syncRecord("A-1", "Alpha Trading", "TAX-A1"), bad, syncRecord("C-3", "Gamma Copy", "taken-1"), syncRecord("D-4", "Delta Foods", "TAX-D4")}
		first, err := syncc.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{RequestId: "batch-1", Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(first); got != "CREATED,FAILED,FAILED,CREATED" {
			t.Fatalf("outcomes = %s (%v)", got, first)
		}
		if st := first.GetResults()[1].GetError(); st.GetCode() != int32(codes.InvalidArgument) || !hasFieldViolation(st.GetDetails(), "records[1].account.display_name") {
			t.Errorf("invalid record error = %v", st)
		}
		if st := first.GetResults()[2].GetError(); st.GetCode() != int32(codes.AlreadyExists) {
			t.Errorf("duplicate record error = %v", st)
		}
		alpha := first.GetResults()[0].GetAccount()
		acc, err := e.grpc.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: alpha})
		if err != nil || acc.GetExternalIds()["crm"] != "A-1" || acc.GetPrimaryContact() == "" {
			t.Fatalf("synced account: %v %v", err, acc)
		}
		deals, _ := e.grpc.ListDeals(ctx, &furrowv1.ListDealsRequest{Parent: alpha})
		if len(deals.GetDeals()) != 1 || deals.GetDeals()[0].GetKind() != furrowv1.DealKind_DEAL_KIND_FIRST_PURCHASE {
			t.Errorf("synced deals = %v", deals.GetDeals())
		}
		// People manage internal fields; a later sync must not touch them.
		if _, err := e.grpc.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: alpha, Labels: []string{"vip"}, RevenueTier: furrowv1.RevenueTier_REVENUE_TIER_KEY},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels", "revenue_tier"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.grpc.ClaimAccount(ctx, &furrowv1.ClaimAccountRequest{Name: alpha, Owner: "li.wei@example.com"}); err != nil {
			t.Fatal(err)
		}
		activities := func() int {
			l, err := e.activity.ListActivities(ctx, &furrowv1.ListActivitiesRequest{PageSize: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(l.GetActivities())
		}
		before := activities()
		// A retry of the first batch returns its results and writes nothing.
		retry, err := syncc.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{RequestId: "batch-1", Records: recs})
		if err != nil || outcomes(retry) != outcomes(first) || retry.GetResults()[0].GetAccount() != alpha {
			t.Errorf("retry: %v %s", err, outcomes(retry))
		}
		if after := activities(); after != before {
			t.Errorf("retry wrote %d activities", after-before)
		}
		// The same data again is unchanged; a changed name updates, keeping internal fields.
		recs[1] = syncRecord("B-2", "Beta Works", "TAX-B2")
		again, err := syncc.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{RequestId: "batch-2", Records: []*furrowv1.SyncRecord{recs[0], recs[3]}})
		if err != nil || outcomes(again) != "UNCHANGED,UNCHANGED" {
			t.Errorf("unchanged batch: %v %s", err, outcomes(again))
		}
		changed := syncRecord("A-1", "Alpha Trading Group", "TAX-A1")
		changed.Account.RevenueTier = furrowv1.RevenueTier_REVENUE_TIER_SMALL // not the partner's to set: ignored
		changed.Account.Labels = []string{"from-partner"}
		upd, err := syncc.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{RequestId: "batch-3", Records: []*furrowv1.SyncRecord{changed, recs[1]}})
		if err != nil || outcomes(upd) != "UPDATED,CREATED" {
			t.Fatalf("update batch: %v %s", err, outcomes(upd))
		}
		acc, _ = e.grpc.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: alpha})
		if acc.GetDisplayName() != "Alpha Trading Group" || acc.GetOwner() != "li.wei@example.com" || fmt.Sprint(acc.GetLabels()) != "[vip]" || acc.GetRevenueTier() != furrowv1.RevenueTier_REVENUE_TIER_KEY {
			t.Errorf("after sync: %v", acc)
		}
		// Bad records fail alone, whatever is wrong with them, and leave nothing behind.
		badDomain := syncRecord("E-5", "Epsilon", "TAX-E5")
		badDomain.Account.Domain = "not a host"
		twice := syncRecord("F-6", "Phi Trading", "TAX-F6")
		twice.Contacts = append(twice.Contacts, twice.Contacts[0])
		badDate := syncRecord("G-7", "Gamma Seven", "TAX-G7")
		badDate.Deals[0].Deal.CloseDate = toDate(2026, 2, 31)
		mixed, err := syncc.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{Records: []*furrowv1.SyncRecord{badDomain, twice, badDate, syncRecord("H-8", "Eta Eight", "TAX-H8")}})
		if err != nil || outcomes(mixed) != "FAILED,FAILED,FAILED,CREATED" {
			t.Fatalf("mixed batch: %v %s", err, outcomes(mixed))
		}
		for i, field := range []string{"records[0].account.domain", "records[1].contacts[1].external_id", "records[2].deals[0].deal.close_date"} {
			r := mixed.GetResults()[i]
			if !hasFieldViolation(r.GetError().GetDetails(), field) || r.GetAccount() != "" {
				t.Errorf("record %d: want a violation of %s and no account, got %v", i, field, r)
			}
		}
		// A request id reused for other records is refused, not answered with old results.
		if _, err := syncc.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{RequestId: "batch-1", Records: recs[:1]}); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("request id reused for other records: %v", err)
		}
		// A record whose account was deleted in Furrow fails; it does not make a second one.
		if _, err := e.grpc.DeleteAccount(ctx, &furrowv1.DeleteAccountRequest{Name: alpha}); err != nil {
			t.Fatal(err)
		}
		gone, err := syncc.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{Records: []*furrowv1.SyncRecord{changed}})
		if err != nil || outcomes(gone) != "FAILED" || gone.GetResults()[0].GetError().GetCode() != int32(codes.FailedPrecondition) {
			t.Errorf("record of a deleted account: %v %v", err, gone)
		}
		if _, err := e.grpc.UndeleteAccount(ctx, &furrowv1.UndeleteAccountRequest{Name: alpha}); err != nil {
			t.Fatal(err)
		}
		// An admin names the partner; without one the call is refused.
		if _, err := e.sync.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{Records: recs[:1]}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("admin batch without partner: %v", err)
		}
		if res, err := e.sync.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{Partner: "partners/crm", Records: []*furrowv1.SyncRecord{changed}}); err != nil || outcomes(res) != "UNCHANGED" {
			t.Errorf("admin batch for crm: %v %s", err, outcomes(res))
		}
	})
}

func toDate(y, m, d int32) *date.Date { return &date.Date{Year: y, Month: m, Day: d} }

func hasFieldViolation(details []*anypb.Any, field string) bool {
	for _, d := range details {
		br := &errdetails.BadRequest{}
		if d.UnmarshalTo(br) == nil {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return true
				}
			}
		}
	}
	return false
}

// TestChangeFeed follows the feed while writers change the partner's accounts
// concurrently: every change appears exactly once, in increasing order.
func TestChangeFeed(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.newPartner(t, "crm")
		key, _ := e.newKey(t, furrowv1.Role_ROLE_PARTNER, "crm")
		feed := furrowv1.NewSyncServiceClient(e.dial(t, key))
		var recs []*furrowv1.SyncRecord
		for i := 0; i < 8; i++ {
			recs = append(recs, syncRecord(fmt.Sprintf("F-%d", i), fmt.Sprintf("Feed Co %d", i), fmt.Sprintf("FEED-%d", i)))
		}
		res, err := feed.BatchUpsertAccounts(ctx, &furrowv1.BatchUpsertAccountsRequest{Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		// An account the partner does not see: its changes must not appear.
		if _, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Unlinked"}}); err != nil {
			t.Fatal(err)
		}
		var seen []string
		cursor := ""
		poll := func() {
			for {
				page, err := feed.ListAccountChanges(ctx, &furrowv1.ListAccountChangesRequest{Cursor: cursor, PageSize: 7})
				if err != nil {
					t.Error(err)
					return
				}
				for _, c := range page.GetChanges() {
					seen = append(seen, c.GetActivity())
					if c.GetAccount().GetExternalIds()["crm"] == "" {
						t.Errorf("feed shows an account not linked to the partner: %v", c.GetAccount())
					}
				}
				cursor = page.GetNextCursor()
				if len(page.GetChanges()) == 0 {
					return
				}
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					name := res.GetResults()[(w+n)%len(recs)].GetAccount()
					_, err := e.grpc.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: name, Region: fmt.Sprintf("r-%d-%d", w, n)},
						UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"region"}}})
					if err != nil && status.Code(err) != codes.Aborted && status.Code(err) != codes.Unavailable {
						t.Errorf("writer: %v", err)
					}
				}
			}()
		}
		deadline := time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(deadline) {
			poll()
		}
		close(stop)
		wg.Wait()
		poll()
		idOf := func(s string) int64 {
			var n int64
			fmt.Sscanf(strings.TrimPrefix(s, "activities/"), "%d", &n)
			return n
		}
		for i := 1; i < len(seen); i++ {
			if idOf(seen[i]) <= idOf(seen[i-1]) {
				t.Fatalf("feed out of order or repeated: %s after %s", seen[i], seen[i-1])
			}
		}
		// Every change of a linked account is in the feed: count them in the log.
		linked := 0
		token := ""
		for {
			l, err := e.activity.ListActivities(ctx, &furrowv1.ListActivitiesRequest{PageSize: 1000, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range l.GetActivities() {
				if strings.HasPrefix(a.GetResource(), "accounts/") && a.GetMethod() != "/furrow.v1.AccountService/CreateAccount" {
					linked++
				}
			}
			if token = l.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(seen) != linked || len(seen) < 30 {
			t.Errorf("feed returned %d changes, the log has %d for linked accounts", len(seen), linked)
		}
		// An admin without a partner follows every account, the unlinked one too.
		all, err := e.sync.ListAccountChanges(ctx, &furrowv1.ListAccountChangesRequest{PageSize: 1000})
		if err != nil || len(all.GetChanges()) != min(linked+1, 1000) {
			t.Errorf("admin feed: %v, %d changes, want %d", err, len(all.GetChanges()), min(linked+1, 1000))
		}
	})
}

func TestRateLimit(t *testing.T) {
	e := start(t, testdb.Dialects[0], func(o *app.Options) { o.RateLimit, o.RateBurst = 0.5, 3 })
	ctx := context.Background()
	other, _ := e.newKey(t, furrowv1.Role_ROLE_VIEWER, "") // the admin key's first call
	for i := 0; i < 2; i++ {
		if _, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{})
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("over the limit: %v", err)
	}
	hasRetry := false
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
			hasRetry = true
		}
	}
	if !hasRetry {
		t.Errorf("no RetryInfo in %v", st.Details())
	}
	code, hdr := e.restAs(t, e.key, "GET", "/v1/accounts", "")
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Errorf("REST over the limit: %d, Retry-After %q", code, hdr.Get("Retry-After"))
	}
	// Another key has its own bucket.
	if _, err := furrowv1.NewAccountServiceClient(e.dial(t, other)).ListAccounts(ctx, &furrowv1.ListAccountsRequest{}); err != nil {
		t.Errorf("another key: %v", err)
	}
}

func TestActivityLog(t *testing.T) {
	e := start(t, testdb.Dialects[0])
	ctx := context.Background()
	a, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Logged"}})
	if err != nil {
		t.Fatal(err)
	}
	code, _, _ := e.rest(t, "PATCH", "/v1/"+a.GetName(), `{"industry": "energy", "funnelStage": "FUNNEL_STAGE_LEAD"}`, "X-Request-Id", "audit-req-1")
	if code != 200 {
		t.Fatalf("patch: %d", code)
	}
	l, err := e.activity.ListActivities(ctx, &furrowv1.ListActivitiesRequest{Filter: fmt.Sprintf("resource = %q", a.GetName())})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.GetActivities()) != 2 {
		t.Fatalf("activities = %v", l.GetActivities())
	}
	upd, crt := l.GetActivities()[0], l.GetActivities()[1]
	if upd.GetAction() != "update" || upd.GetMethod() != "/furrow.v1.AccountService/UpdateAccount" || upd.GetRequestId() != "audit-req-1" ||
		fmt.Sprint(upd.GetChangedFields()) != "[industry funnel_stage]" || upd.GetActorRole() != furrowv1.Role_ROLE_ADMIN || !strings.HasPrefix(upd.GetActor(), "apiKeys/") {
		t.Errorf("update activity = %v", upd)
	}
	if crt.GetAction() != "create" || crt.GetActor() != upd.GetActor() {
		t.Errorf("create activity = %v", crt)
	}
	f, err := e.activity.ListActivities(ctx, &furrowv1.ListActivitiesRequest{Filter: `request_id = "audit-req-1" AND action = "update"`})
	if err != nil || len(f.GetActivities()) != 1 {
		t.Errorf("filtered: %v %v", err, f.GetActivities())
	}
}

// TestKeyActsForPerson: a key may name the person it acts for; what its caller does is
// then recorded as that person, not as the key.
func TestKeyActsForPerson(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		made, err := e.access.CreateApiKey(ctx, &furrowv1.CreateApiKeyRequest{ApiKey: &furrowv1.ApiKey{
			DisplayName: "Alice's laptop", Role: furrowv1.Role_ROLE_MEMBER, Person: "alice@example.com"}})
		if err != nil || made.GetPerson() != "alice@example.com" {
			t.Fatalf("create a key for a person = %v, %v", made, err)
		}
		if got, err := e.access.GetApiKey(ctx, &furrowv1.GetApiKeyRequest{Name: made.GetName()}); err != nil || got.GetPerson() != "alice@example.com" {
			t.Fatalf("get = %v, %v", got, err)
		}
		for _, bad := range []string{" alice", "alice\n", strings.Repeat("a", 201)} {
			_, err := e.access.CreateApiKey(ctx, &furrowv1.CreateApiKeyRequest{ApiKey: &furrowv1.ApiKey{
				DisplayName: "bad", Role: furrowv1.Role_ROLE_MEMBER, Person: bad}})
			if br := badRequest(grpcCode(t, err, codes.InvalidArgument)); br == nil || br.GetFieldViolations()[0].GetField() != "api_key.person" {
				t.Errorf("person %q: %v", bad, br)
			}
		}

		// Alice excludes a survey response with her key: the exclusion is hers.
		conn := e.dial(t, made.GetKey())
		acc, err := furrowv1.NewAccountServiceClient(conn).CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme"}})
		if err != nil {
			t.Fatal(err)
		}
		contact, err := furrowv1.NewAccountServiceClient(conn).CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: acc.GetName(), Contact: &furrowv1.Contact{DisplayName: "Li Wei"}})
		if err != nil {
			t.Fatal(err)
		}
		sc := furrowv1.NewSurveyServiceClient(conn)
		five := int32(5)
		out, err := sc.BatchCreateSurveyResponses(ctx, &furrowv1.BatchCreateSurveyResponsesRequest{Responses: []*furrowv1.SurveyResponse{{
			Account: acc.GetName(), Contact: contact.GetName(), Kind: furrowv1.SurveyKind_SURVEY_KIND_CSAT, Score: &five,
			Time: timestamppb.New(time.Now().Add(-time.Minute)), ResponseId: "r-1"}}})
		if err != nil {
			t.Fatal(err)
		}
		ex, err := sc.ExcludeSurveyResponse(ctx, &furrowv1.ExcludeSurveyResponseRequest{Name: out.GetResponses()[0].GetName(), Reason: "test answer"})
		if err != nil || ex.GetExcludedBy() != "alice@example.com" {
			t.Fatalf("excluded by %q (%v), want the key's person", ex.GetExcludedBy(), err)
		}
		// The activity log still names the key that made the call.
		log, err := e.activity.ListActivities(ctx, &furrowv1.ListActivitiesRequest{Filter: `action = "exclude"`})
		if err != nil || len(log.GetActivities()) != 1 || log.GetActivities()[0].GetActor() != made.GetName() {
			t.Errorf("activity of the exclusion = %v, %v", log.GetActivities(), err)
		}
	})
}
