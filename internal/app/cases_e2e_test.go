package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
)

// casesREST sends a JSON request with key and decodes the JSON answer.
func (e *env) casesREST(t *testing.T, key, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
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
	return resp.StatusCode, out
}

func TestCasesEndToEnd(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		author, _ := e.newKey(t, furrowv1.Role_ROLE_MEMBER, "")
		reviewer, _ := e.newKey(t, furrowv1.Role_ROLE_MEMBER, "")
		viewer, _ := e.newKey(t, furrowv1.Role_ROLE_VIEWER, "")
		asAuthor := furrowv1.NewCaseServiceClient(e.dial(t, author))
		asReviewer := furrowv1.NewCaseServiceClient(e.dial(t, reviewer))
		asViewer := furrowv1.NewCaseServiceClient(e.dial(t, viewer))

		// Admin-managed lists: admins add entries; members may not.
		for _, c := range []struct{ path, body string }{
			{"/v1/industries?industryId=retail", `{"displayName": "零售 Retail"}`},
			{"/v1/problemCategories?problemCategoryId=inventory", `{"displayName": "库存 Inventory"}`},
			{"/v1/products?productId=wms", `{"displayName": "WMS"}`},
		} {
			if code, out := e.casesREST(t, e.key, "POST", c.path, c.body); code != 200 {
				t.Fatalf("POST %s: %d %v", c.path, code, out)
			}
		}
		if code, _ := e.casesREST(t, author, "POST", "/v1/products?productId=erp", `{"displayName": "ERP"}`); code != http.StatusForbidden {
			t.Errorf("member adding a product: %d, want 403", code)
		}
		if code, _ := e.casesREST(t, e.key, "POST", "/v1/products?productId=wms", `{"displayName": "WMS"}`); code != http.StatusConflict {
			t.Errorf("duplicate product: %d, want 409", code)
		}

		acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "港湾食品"}})
		if err != nil {
			t.Fatal(err)
		}
		contact, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: acc.GetName(), Contact: &furrowv1.Contact{DisplayName: "陈静"}})
		if err != nil {
			t.Fatal(err)
		}
		v := func(x float64) *float64 { return &x }
		full := &furrowv1.Case{Title: "门店补货：缺货率从12%降到3%", Account: acc.GetName(), Industry: "industries/retail",
			ProblemCategory: "problemCategories/inventory", Scenario: "连锁门店补货", Problem: "门店每周缺货，客户投诉增加",
			Solution: "需求驱动补货，WMS 自动下单", Products: []string{"products/wms"}, Tags: []string{"补货"},
			Results: []*furrowv1.CaseResult{{Metric: "缺货率", ValueBefore: v(12), ValueAfter: v(3), Unit: "%", Period: "2025Q1 vs 2025Q3", Method: "每周门店盘点"}},
			Acknowledgement: &furrowv1.CustomerAcknowledgement{Contact: contact.GetName(), AcknowledgeTime: timestamppb.Now(),
				Scope: furrowv1.AcknowledgementScope_ACKNOWLEDGEMENT_SCOPE_PUBLIC}}

		// Validation: the proto's rules (a malformed industry name) and the domain's
		// (an industry not in the list), over both transports.
		bad := proto.Clone(full).(*furrowv1.Case)
		bad.Industry = "retail"
		_, err = asAuthor.CreateCase(ctx, &furrowv1.CreateCaseRequest{Case: bad})
		if !hasViolation(grpcCode(t, err, codes.InvalidArgument).Err(), "case.industry") {
			t.Errorf("malformed industry: %v", err)
		}
		body, _ := json.Marshal(map[string]any{"title": "x", "account": acc.GetName(), "industry": "industries/mining"})
		code, out := e.casesREST(t, author, "POST", "/v1/cases", string(body))
		if code != http.StatusBadRequest || !hasViolationJSON(out, "case.industry") {
			t.Errorf("unknown industry over REST: %d %v", code, out)
		}
		bad = proto.Clone(full).(*furrowv1.Case)
		bad.Products = []string{"products/erp"}
		_, err = asAuthor.CreateCase(ctx, &furrowv1.CreateCaseRequest{Case: bad})
		if !hasViolation(grpcCode(t, err, codes.InvalidArgument).Err(), "case.products") {
			t.Errorf("unknown product: %v", err)
		}

		// A vague case is saved as a draft, but cannot be submitted.
		vague := proto.Clone(full).(*furrowv1.Case)
		vague.Results = []*furrowv1.CaseResult{{Metric: "效率", ValueAfter: v(30)}}
		draft, err := asAuthor.CreateCase(ctx, &furrowv1.CreateCaseRequest{Case: vague})
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range draft.GetChecklist() {
			if ch.GetStandard() == furrowv1.CaseStandard_CASE_STANDARD_QUANTIFIED_RESULTS && ch.GetMet() {
				t.Errorf("vague results counted as quantified: %v", ch)
			}
		}
		_, err = asAuthor.SubmitCase(ctx, &furrowv1.SubmitCaseRequest{Name: draft.GetName()})
		if st := grpcCode(t, err, codes.FailedPrecondition); !strings.Contains(st.Message(), "results[0].value_before") {
			t.Errorf("submit message %q does not name the missing value", st.Message())
		}
		code, out = e.casesREST(t, author, "POST", "/v1/"+draft.GetName()+":submit", `{}`)
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["message"]), "QUANTIFIED_RESULTS") {
			t.Errorf("REST submit of a vague case: %d %v", code, out)
		}

		// The full case: created over gRPC, submitted over REST, approved by someone else.
		cs, err := asAuthor.CreateCase(ctx, &furrowv1.CreateCaseRequest{Case: full, RequestId: "case-1"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := asAuthor.CreateCase(ctx, &furrowv1.CreateCaseRequest{Case: full, RequestId: "case-1"})
		if err != nil || again.GetName() != cs.GetName() {
			t.Fatalf("retried create: %v, %v", again, err)
		}
		for _, ch := range cs.GetChecklist() {
			if !ch.GetMet() {
				t.Errorf("standard not met: %v", ch)
			}
		}
		code, out = e.casesREST(t, author, "POST", "/v1/"+cs.GetName()+":submit", `{"etag": "\"99\""}`)
		if code != http.StatusConflict {
			t.Errorf("stale etag: %d %v, want 409", code, out)
		}
		code, out = e.casesREST(t, author, "POST", "/v1/"+cs.GetName()+":submit", fmt.Sprintf(`{"etag": %q, "comment": "请审核"}`, cs.GetEtag()))
		if code != 200 || out["state"] != "CASE_STATE_IN_REVIEW" {
			t.Fatalf("submit: %d %v", code, out)
		}
		_, err = asAuthor.ApproveCase(ctx, &furrowv1.ApproveCaseRequest{Name: cs.GetName()})
		grpcCode(t, err, codes.PermissionDenied)
		if code, _ := e.casesREST(t, author, "POST", "/v1/"+cs.GetName()+":approve", `{}`); code != http.StatusForbidden {
			t.Errorf("self-approval over REST: %d, want 403", code)
		}
		code, out = e.casesREST(t, reviewer, "POST", "/v1/"+cs.GetName()+":approve", `{"comment": "数据可信"}`)
		if code != 200 || out["state"] != "CASE_STATE_PUBLISHED" || out["live"] != true {
			t.Fatalf("approve: %d %v", code, out)
		}
		_, err = asReviewer.ApproveCase(ctx, &furrowv1.ApproveCaseRequest{Name: cs.GetName()})
		grpcCode(t, err, codes.FailedPrecondition)
		if code, _ := e.casesREST(t, reviewer, "POST", "/v1/"+cs.GetName()+":reject", `{"comment": "late"}`); code != http.StatusBadRequest {
			t.Errorf("reject a published case over REST: %d, want 400 (FAILED_PRECONDITION)", code)
		}

		// Readers: viewers search published cases (Chinese), never drafts.
		code, out = e.casesREST(t, viewer, "GET", "/v1/cases?query="+url.QueryEscape("缺货"), "")
		if got, _ := out["cases"].([]any); code != 200 || len(got) != 1 || got[0].(map[string]any)["name"] != cs.GetName() {
			t.Fatalf("viewer search: %d %v", code, out)
		}
		if code, _ := e.casesREST(t, viewer, "GET", "/v1/cases?view=CASE_VIEW_LATEST", ""); code != http.StatusForbidden {
			t.Errorf("viewer asking for drafts: %d, want 403", code)
		}
		_, err = asViewer.GetCase(ctx, &furrowv1.GetCaseRequest{Name: draft.GetName()})
		grpcCode(t, err, codes.NotFound)
		if _, err := asViewer.SubmitCase(ctx, &furrowv1.SubmitCaseRequest{Name: cs.GetName()}); err == nil {
			t.Error("a viewer submitted a case")
		}
		list, err := asViewer.ListCases(ctx, &furrowv1.ListCasesRequest{Industry: "industries/retail", Product: "products/wms"})
		if err != nil || len(list.GetCases()) != 1 {
			t.Fatalf("viewer filter: %v, %v", list, err)
		}

		// Editing the published case: readers keep the published version.
		edit := &furrowv1.Case{Name: cs.GetName(), Title: "门店补货（修订）"}
		if _, err := asAuthor.UpdateCase(ctx, &furrowv1.UpdateCaseRequest{Case: edit}); err != nil {
			t.Fatal(err)
		}
		seen, err := asViewer.GetCase(ctx, &furrowv1.GetCaseRequest{Name: cs.GetName()})
		if err != nil || seen.GetTitle() != full.GetTitle() || seen.GetState() != furrowv1.CaseState_CASE_STATE_PUBLISHED {
			t.Fatalf("viewer after edit: %v, %v", seen, err)
		}

		// Revoking the acknowledgement takes it out of published search at once.
		code, out = e.casesREST(t, author, "POST", "/v1/"+cs.GetName()+":revokeAcknowledgement", `{"reason": "客户撤回认可"}`)
		if code != 200 || out["live"] == true {
			t.Fatalf("revoke: %d %v", code, out)
		}
		list, err = asViewer.ListCases(ctx, &furrowv1.ListCasesRequest{Query: "缺货"})
		if err != nil || len(list.GetCases()) != 0 {
			t.Fatalf("search after revoke: %v, %v", list, err)
		}
		code, out = e.casesREST(t, author, "GET", "/v1/"+cs.GetName()+"/events", "")
		events, _ := out["events"].([]any)
		if code != 200 || len(events) != 5 || events[4].(map[string]any)["action"] != "CASE_ACTION_REVOKE_ACKNOWLEDGEMENT" ||
			events[2].(map[string]any)["actor"] == events[1].(map[string]any)["actor"] {
			t.Fatalf("history: %d %v", code, out)
		}
	})
}
