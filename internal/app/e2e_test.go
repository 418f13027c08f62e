package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/apikey"
	"github.com/furrowhq/furrow/internal/app"
	"github.com/furrowhq/furrow/internal/database"
	"github.com/furrowhq/furrow/internal/server"
	"github.com/furrowhq/furrow/internal/testdb"
)

// syncBuffer collects log output from the server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a running server with an admin key, gRPC clients using it and a REST base URL.
type env struct {
	grpc     furrowv1.AccountServiceClient
	access   furrowv1.AccessServiceClient
	activity furrowv1.ActivityServiceClient
	sync     furrowv1.SyncServiceClient
	conn     *grpc.ClientConn
	base     string
	grpcAddr string
	key      string // the admin key
	logs     *syncBuffer
	db       *database.DB
}

// start runs the real server on random loopback ports over a fresh database, with a
// known bootstrap admin key that every client call and REST request sends.
func start(t *testing.T, dialect string, opts ...func(*app.Options)) *env {
	t.Helper()
	return startOn(t, testdb.Open(t, dialect), opts...)
}

func startOn(t *testing.T, db *database.DB, opts ...func(*app.Options)) *env {
	t.Helper()
	logs := &syncBuffer{}
	admin, err := apikey.New()
	if err != nil {
		t.Fatal(err)
	}
	o := app.Options{
		Server:       server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: slog.New(slog.NewJSONHandler(logs, nil))},
		BootstrapKey: admin.String(),
	}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := app.New(ctx, db, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	e := &env{base: "http://" + srv.HTTPAddr(), grpcAddr: srv.GRPCAddr(), key: o.BootstrapKey, logs: logs, db: db}
	e.conn = e.dial(t, e.key)
	e.grpc = furrowv1.NewAccountServiceClient(e.conn)
	e.access = furrowv1.NewAccessServiceClient(e.conn)
	e.activity = furrowv1.NewActivityServiceClient(e.conn)
	e.sync = furrowv1.NewSyncServiceClient(e.conn)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return e
}

// dial returns a connection whose calls send key ("" sends none).
func (e *env) dial(t *testing.T, key string) *grpc.ClientConn {
	t.Helper()
	withKey := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if key != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	conn, err := grpc.NewClient(e.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUnaryInterceptor(withKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// rest sends a JSON request and decodes the JSON answer.
func (e *env) rest(t *testing.T, method, path, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.key)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		t.Fatalf("%s %s: non-JSON answer %d: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, resp.Header
}

func eachDialect(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) { fn(t, start(t, d)) })
	}
}

func TestRESTAndGRPCRoundTrip(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// A frontend creates an account with lowerCamelCase JSON.
		code, acc, hdr := e.rest(t, "POST", "/v1/accounts?requestId=r-1", `{
			"displayName": "杭州云帆科技有限公司", "taxId": "91330100MA2H0XYZ1K", "domain": "yunfan.example.cn",
			"industry": "software", "region": "east-china", "size": "COMPANY_SIZE_MEDIUM",
			"labels": ["vip"], "externalIds": {"salesforce": "001A"}, "revenueTier": "REVENUE_TIER_KEY"}`,
			"X-Request-Id", "frontend-req-42")
		if code != http.StatusOK {
			t.Fatalf("create: %d %v", code, acc)
		}
		if hdr.Get("X-Request-Id") != "frontend-req-42" {
			t.Errorf("X-Request-Id = %q, want it echoed", hdr.Get("X-Request-Id"))
		}
		name := acc["name"].(string)
		if !strings.HasPrefix(name, "accounts/") || acc["activityStatus"] != "ACTIVITY_STATUS_NEW" || acc["funnelStage"] != "FUNNEL_STAGE_EXPOSURE" || acc["etag"] != "1" {
			t.Errorf("created = %v", acc)
		}
		// The same request id returns the same account.
		_, again, _ := e.rest(t, "POST", "/v1/accounts?requestId=r-1", `{"displayName": "杭州云帆科技有限公司", "taxId": "91330100MA2H0XYZ1K"}`)
		if again["name"] != name {
			t.Errorf("retry created %v, want %s", again["name"], name)
		}
		// gRPC sees what REST wrote.
		got, err := e.grpc.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetDisplayName() != "杭州云帆科技有限公司" || got.GetRevenueTier() != furrowv1.RevenueTier_REVENUE_TIER_KEY || got.GetExternalIds()["salesforce"] != "001A" {
			t.Errorf("grpc get = %v", got)
		}
		// PATCH with the body's fields as the implied mask, then a stale etag.
		code, upd, _ := e.rest(t, "PATCH", "/v1/"+name, `{"funnelStage": "FUNNEL_STAGE_LEAD", "etag": "1"}`)
		if code != 200 || upd["funnelStage"] != "FUNNEL_STAGE_LEAD" || upd["industry"] != "software" || upd["etag"] != "2" {
			t.Errorf("patch: %d %v", code, upd)
		}
		code, body, _ := e.rest(t, "PATCH", "/v1/"+name, `{"industry": "retail", "etag": "1"}`)
		if code != http.StatusConflict || int(body["code"].(float64)) != int(codes.Aborted) {
			t.Errorf("stale etag: %d %v", code, body)
		}
		_, err = e.grpc.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: name, Industry: "x", Etag: "1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry"}}})
		if status.Code(err) != codes.Aborted {
			t.Errorf("grpc stale etag: %v", err)
		}
		// Ownership over gRPC, history over REST.
		if _, err := e.grpc.ClaimAccount(ctx, &furrowv1.ClaimAccountRequest{Name: name, Owner: "li.wei@example.com", Reason: "expo lead"}); err != nil {
			t.Fatal(err)
		}
		code, _, _ = e.rest(t, "POST", "/v1/"+name+":claim", `{"owner": "bob@example.com"}`)
		if code != http.StatusBadRequest { // FAILED_PRECONDITION
			t.Errorf("second claim: %d", code)
		}
		code, _, _ = e.rest(t, "POST", "/v1/"+name+":transfer", `{"newOwner": "bob@example.com", "reason": "territory rebalancing"}`)
		if code != 200 {
			t.Errorf("transfer: %d", code)
		}
		_, hist, _ := e.rest(t, "GET", "/v1/"+name+"/ownershipHistory", "")
		periods := hist["periods"].([]any)
		if len(periods) != 2 || periods[1].(map[string]any)["owner"] != "bob@example.com" || periods[0].(map[string]any)["endTime"] == nil {
			t.Errorf("history = %v", hist)
		}
		_, stages, _ := e.rest(t, "GET", "/v1/"+name+"/stageChanges", "")
		if sc := stages["stageChanges"].([]any); len(sc) != 2 {
			t.Errorf("stage changes = %v", stages)
		}
		// Contacts, deals and the timeline over REST.
		code, c1, _ := e.rest(t, "POST", "/v1/"+name+"/contacts", `{"displayName": "Li Wei", "email": "li.wei@yunfan.example.cn", "seniorityLevel": "SENIORITY_LEVEL_EXECUTIVE"}`)
		if code != 200 || c1["primary"] != true {
			t.Errorf("contact: %d %v", code, c1)
		}
		code, d1, _ := e.rest(t, "POST", "/v1/"+name+"/deals", `{"amount": {"currencyCode": "CNY", "minorUnits": "1250000"}, "closeDate": {"year": 2025, "month": 3, "day": 14}, "product": "Core"}`)
		if code != 200 || d1["kind"] != "DEAL_KIND_FIRST_PURCHASE" {
			t.Errorf("deal: %d %v", code, d1)
		}
		code, _, _ = e.rest(t, "POST", "/v1/"+name+"/deals", `{"amount": {"currencyCode": "CNY", "minorUnits": "1"}, "closeDate": {"year": 2025, "month": 4, "day": 1}, "kind": "DEAL_KIND_FIRST_PURCHASE"}`)
		if code != http.StatusBadRequest {
			t.Errorf("second first purchase: %d", code)
		}
		for i, ts := range []string{"2026-01-05T10:00:00Z", "2026-02-05T10:00:00Z"} {
			code, _, _ = e.rest(t, "POST", "/v1/"+name+"/interactions", fmt.Sprintf(`{"kind": "INTERACTION_KIND_CALL", "occurTime": %q, "summary": "call %d"}`, ts, i))
			if code != 200 {
				t.Errorf("interaction: %d", code)
			}
		}
		_, tl, _ := e.rest(t, "GET", "/v1/"+name+"/interactions", "")
		items := tl["interactions"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["summary"] != "call 1" {
			t.Errorf("timeline = %v", tl)
		}
		// List with a filter over REST.
		code, list, _ := e.rest(t, "GET", `/v1/accounts?filter=revenue_tier%3DKEY%20AND%20labels%3Avip&pageSize=10`, "")
		if code != 200 || len(list["accounts"].([]any)) != 1 {
			t.Errorf("list: %d %v", code, list)
		}
		// Delete and undelete.
		code, del, _ := e.rest(t, "DELETE", "/v1/"+name, "")
		if code != 200 || del["deleteTime"] == nil {
			t.Errorf("delete: %d %v", code, del)
		}
		code, _, _ = e.rest(t, "POST", "/v1/"+name+":undelete", `{}`)
		if code != 200 {
			t.Errorf("undelete: %d", code)
		}
		// The REST call went through the gRPC interceptors: it is in the request log.
		if !strings.Contains(e.logs.String(), `"request_id":"frontend-req-42"`) || !strings.Contains(e.logs.String(), `"method":"/furrow.v1.AccountService/CreateAccount"`) {
			t.Errorf("request log lacks the REST call:\n%s", e.logs.String())
		}
	})
}

// TestBadInput sends bad input of every kind over REST and gRPC: each gets a clear
// INVALID_ARGUMENT / 400 (or the documented code) and nothing is written.
func TestBadInput(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		long := strings.Repeat("x", 201)
		cases := []struct {
			name         string
			method, path string
			body         string
			call         func() error // the same request over gRPC; nil for JSON-only cases
			code         codes.Code
			http         int
			field        string // a BadRequest field violation to expect
		}{
			{name: "malformed JSON", method: "POST", path: "/v1/accounts", body: `{"displayName": "x",`, code: codes.InvalidArgument, http: 400, field: "body"},
			{name: "unknown JSON field", method: "POST", path: "/v1/accounts", body: `{"displayName": "x", "colour": "red"}`, code: codes.InvalidArgument, http: 400, field: "body"},
			{name: "unknown enum name", method: "POST", path: "/v1/accounts", body: `{"displayName": "x", "revenueTier": "REVENUE_TIER_HUGE"}`, code: codes.InvalidArgument, http: 400, field: "body"},
			{name: "page size not a number", method: "GET", path: "/v1/accounts?pageSize=abc", code: codes.InvalidArgument, http: 400, field: "query"},
			{name: "malformed etag", method: "DELETE", path: "/v1/accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b?etag=abc",
				call: func() error {
					_, err := e.grpc.DeleteAccount(ctx, &furrowv1.DeleteAccountRequest{Name: "accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Etag: "abc"})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "etag"},
			{name: "unknown enum number", method: "POST", path: "/v1/accounts", body: `{"displayName": "x", "revenueTier": 42}`,
				call: func() error {
					_, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "x", RevenueTier: 42}})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "account.revenue_tier"},
			{name: "oversize name", method: "POST", path: "/v1/accounts", body: `{"displayName": "` + long + `"}`,
				call: func() error {
					_, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: long}})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "account.display_name"},
			{name: "missing name", method: "POST", path: "/v1/accounts", body: `{"industry": "retail"}`,
				call: func() error {
					_, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{Industry: "retail"}})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "account.display_name"},
			{name: "bad domain", method: "POST", path: "/v1/accounts", body: `{"displayName": "x", "domain": "not a domain"}`,
				call: func() error {
					_, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "x", Domain: "not a domain"}})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "account.domain"},
			{name: "bad resource name", method: "GET", path: "/v1/accounts/not-a-uuid",
				call: func() error {
					_, err := e.grpc.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: "accounts/not-a-uuid"})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "name"},
			{name: "unknown account", method: "GET", path: "/v1/accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
				call: func() error {
					_, err := e.grpc.GetAccount(ctx, &furrowv1.GetAccountRequest{Name: "accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"})
					return err
				}, code: codes.NotFound, http: 404},
			{name: "bad filter", method: "GET", path: "/v1/accounts?filter=colour%3D%22red%22",
				call: func() error {
					_, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{Filter: `colour="red"`})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "filter"},
			{name: "unterminated filter", method: "GET", path: "/v1/accounts?filter=display_name%3D%22abc",
				call: func() error {
					_, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{Filter: `display_name="abc`})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "filter"},
			{name: "bad order_by", method: "GET", path: "/v1/accounts?orderBy=owner",
				call: func() error {
					_, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{OrderBy: "owner"})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "order_by"},
			{name: "bad page token", method: "GET", path: "/v1/accounts?pageToken=abc",
				call: func() error {
					_, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{PageToken: "abc"})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "page_token"},
			{name: "negative page size", method: "GET", path: "/v1/accounts?pageSize=-1",
				call: func() error {
					_, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{PageSize: -1})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "page_size"},
			{name: "bad update mask", method: "PATCH", path: "/v1/accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b?updateMask=owner", body: `{"owner": "me"}`,
				call: func() error {
					_, err := e.grpc.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: "accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}}})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "update_mask"},
			{name: "bad contact email", method: "POST", path: "/v1/accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/contacts", body: `{"displayName": "x", "email": "nope"}`,
				call: func() error {
					_, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: "accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Contact: &furrowv1.Contact{DisplayName: "x", Email: "nope"}})
					return err
				}, code: codes.InvalidArgument, http: 400, field: "contact.email"},
			{name: "impossible close date", method: "POST", path: "/v1/accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/deals", body: `{"amount": {"currencyCode": "CNY", "minorUnits": "5"}, "closeDate": {"year": 2025, "month": 2, "day": 30}}`,
				code: codes.InvalidArgument, http: 400, field: "deal.close_date"},
			{name: "lower-case currency", method: "POST", path: "/v1/accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/deals", body: `{"amount": {"currencyCode": "cny", "minorUnits": "5"}, "closeDate": {"year": 2025, "month": 2, "day": 3}}`,
				code: codes.InvalidArgument, http: 400, field: "deal.amount.currency_code"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				code, body, hdr := e.rest(t, c.method, c.path, c.body)
				if hdr.Get("X-Request-Id") == "" {
					t.Error("no X-Request-Id on the error")
				}
				if code != c.http {
					t.Errorf("REST status %d, want %d: %v", code, c.http, body)
				}
				if got := codes.Code(body["code"].(float64)); got != c.code {
					t.Errorf("REST body code %v, want %v", got, c.code)
				}
				if msg, _ := body["message"].(string); msg == "" {
					t.Errorf("REST error without a message: %v", body)
				}
				if c.field != "" && !hasViolationJSON(body, c.field) {
					t.Errorf("REST details lack a BadRequest violation of %q: %v", c.field, body)
				}
				if c.call == nil {
					return
				}
				err := c.call()
				if status.Code(err) != c.code {
					t.Fatalf("gRPC code %v, want %v (%v)", status.Code(err), c.code, err)
				}
				if c.field != "" && !hasViolation(err, c.field) {
					t.Errorf("gRPC details lack a BadRequest violation of %q: %v", c.field, status.Convert(err).Details())
				}
			})
		}
		// Requests the gateway refused before gRPC are logged too.
		if !strings.Contains(e.logs.String(), `"method":"POST /v1/accounts","code":"InvalidArgument"`) {
			t.Errorf("gateway-refused request not logged:\n%s", e.logs.String())
		}
		list, err := e.grpc.ListAccounts(ctx, &furrowv1.ListAccountsRequest{ShowDeleted: true})
		if err != nil || len(list.GetAccounts()) != 0 {
			t.Errorf("bad input wrote %d accounts (%v)", len(list.GetAccounts()), err)
		}
	})
}

func hasViolation(err error, field string) bool {
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field && v.GetDescription() != "" {
					return true
				}
			}
		}
	}
	return false
}

func hasViolationJSON(body map[string]any, field string) bool {
	details, _ := body["details"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		if m["@type"] != "type.googleapis.com/google.rpc.BadRequest" {
			continue
		}
		vs, _ := m["fieldViolations"].([]any)
		for _, v := range vs {
			if v.(map[string]any)["field"] == field {
				return true
			}
		}
	}
	return false
}

func TestErrorCodesAndDetails(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme", Domain: "acme.example"}})
		if err != nil {
			t.Fatal(err)
		}
		// ALREADY_EXISTS names the existing account, for people and for machines.
		_, err = e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme 2", Domain: "WWW.acme.example"}})
		st := status.Convert(err)
		if st.Code() != codes.AlreadyExists || !strings.Contains(st.Message(), a.GetName()) {
			t.Errorf("duplicate: %v", err)
		}
		found := false
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == "DUPLICATE_ACCOUNT" && info.GetMetadata()["resource"] == a.GetName() {
				found = true
			}
		}
		if !found {
			t.Errorf("duplicate details = %v", st.Details())
		}
		code, body, _ := e.rest(t, "POST", "/v1/accounts", `{"displayName": "Acme 3", "domain": "acme.example"}`)
		if code != http.StatusConflict || codes.Code(body["code"].(float64)) != codes.AlreadyExists {
			t.Errorf("REST duplicate: %d %v", code, body)
		}
		// FAILED_PRECONDITION: transfer before claim.
		_, err = e.grpc.TransferAccount(ctx, &furrowv1.TransferAccountRequest{Name: a.GetName(), NewOwner: "x@y", Reason: "r"})
		if status.Code(err) != codes.FailedPrecondition {
			t.Errorf("transfer unowned: %v", err)
		}
	})
}

func TestOperability(t *testing.T) {
	e := start(t, testdb.Dialects[0])
	ctx := context.Background()
	// The OpenAPI document is served.
	resp, err := http.Get(e.base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Swagger string                    `json:"swagger"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if doc.Swagger != "2.0" || doc.Paths["/v1/accounts"]["get"] == nil || doc.Paths["/v1/accounts"]["post"] == nil {
		t.Errorf("openapi: swagger %q, %d paths", doc.Swagger, len(doc.Paths))
	}
	resp, err = http.Get(e.base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v %v", err, resp)
	}
	// gRPC health and reflection (what grpcurl and buf curl rely on).
	h, err := healthpb.NewHealthClient(e.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "furrow.v1.AccountService"})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health: %v %v", h, err)
	}
	// A stream left open would hold up the server's graceful stop: cancel it when done.
	sctx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	rc, err := reflectionpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(sctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	r, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	stopStream()
	names := fmt.Sprint(r.GetListServicesResponse().GetService())
	if !strings.Contains(names, "furrow.v1.AccountService") {
		t.Errorf("reflection lists %s", names)
	}
	// The request id of a gRPC call comes back in the response header.
	var header metadata.MD
	if _, err := e.grpc.ListAccounts(metadata.AppendToOutgoingContext(ctx, "x-request-id", "tool-7"), &furrowv1.ListAccountsRequest{}, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if got := header.Get("x-request-id"); len(got) != 1 || got[0] != "tool-7" {
		t.Errorf("x-request-id header = %v", got)
	}
	// HTTP-level errors: unknown method on a known path, oversized body.
	req, _ := http.NewRequest("PUT", e.base+"/v1/accounts", strings.NewReader("{}"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /v1/accounts: %v %v", err, resp)
	}
	big := `{"displayName": "` + strings.Repeat("x", 9<<20) + `"}`
	if code, body, _ := e.rest(t, "POST", "/v1/accounts", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("9 MiB body: %d %v", code, body)
	}
	// A REST page larger than gRPC's default 4 MiB message still arrives.
	a, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Chatty"}})
	if err != nil {
		t.Fatal(err)
	}
	summary := strings.Repeat("长", 5000)
	for i := 0; i < 300; i++ {
		if _, err := e.grpc.CreateInteraction(ctx, &furrowv1.CreateInteractionRequest{Parent: a.GetName(), Interaction: &furrowv1.Interaction{
			Kind: furrowv1.InteractionKind_INTERACTION_KIND_CALL, OccurTime: timestamppb.New(time.Now().Add(-time.Duration(i) * time.Minute)), Summary: summary}}); err != nil {
			t.Fatal(err)
		}
	}
	code, page, _ := e.rest(t, "GET", "/v1/"+a.GetName()+"/interactions?pageSize=1000", "")
	if code != 200 || len(page["interactions"].([]any)) != 300 {
		t.Errorf("large page: %d", code)
	}
}

// TestTwoReplicas runs two servers over one PostgreSQL database, as replicas would:
// what one writes the other reads, and concurrent claims through both leave exactly one
// owner.
func TestTwoReplicas(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t, testdb.Dialects[1])
	var clients []furrowv1.AccountServiceClient
	key := ""
	for i := 0; i < 2; i++ {
		db, err := database.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		e := startOn(t, db, func(o *app.Options) {
			if key != "" {
				o.BootstrapKey = key // ignored: the database already has the first replica's key
			}
		})
		key = e.key
		clients = append(clients, furrowv1.NewAccountServiceClient(e.dial(t, key)))
	}
	a, err := clients[0].CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Shared"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := clients[1].GetAccount(ctx, &furrowv1.GetAccountRequest{Name: a.GetName()}); err != nil || got.GetDisplayName() != "Shared" {
		t.Fatalf("replica read: %v %v", got, err)
	}
	const n = 10
	var wg sync.WaitGroup
	codesSeen := make([]codes.Code, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := clients[i%2].ClaimAccount(ctx, &furrowv1.ClaimAccountRequest{Name: a.GetName(), Owner: fmt.Sprintf("rep%d@x", i)})
			codesSeen[i] = status.Code(err)
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codesSeen {
		switch c {
		case codes.OK:
			ok++
		case codes.FailedPrecondition:
		default:
			t.Errorf("claim returned %v", c)
		}
	}
	h, err := clients[1].ListOwnershipHistory(ctx, &furrowv1.ListOwnershipHistoryRequest{Parent: a.GetName()})
	if ok != 1 || err != nil || len(h.GetPeriods()) != 1 {
		t.Errorf("%d claims won, history %v (%v); want exactly one", ok, h.GetPeriods(), err)
	}
}
