package app_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
)

// A case that fails standards is FAILED_PRECONDITION with a PreconditionFailure naming
// each unmet standard, over gRPC and REST; an acknowledgement in the future is
// INVALID_ARGUMENT with a field violation.
func TestCaseErrorDetails(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		author, _ := e.newKey(t, furrowv1.Role_ROLE_MEMBER, "")
		asAuthor := furrowv1.NewCaseServiceClient(e.dial(t, author))
		for _, path := range []string{"/v1/industries?industryId=retail", "/v1/problemCategories?problemCategoryId=inventory", "/v1/products?productId=wms"} {
			if code, out := e.casesREST(t, e.key, "POST", path, `{"displayName": "x"}`); code != 200 {
				t.Fatalf("POST %s: %d %v", path, code, out)
			}
		}
		acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Details Trading"}})
		if err != nil {
			t.Fatal(err)
		}
		contact, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: acc.GetName(), Contact: &furrowv1.Contact{DisplayName: "Zhao Lei"}})
		if err != nil {
			t.Fatal(err)
		}
		v := func(x float64) *float64 { return &x }
		c := &furrowv1.Case{Title: "Picking time halved", Account: acc.GetName(), Industry: "industries/retail",
			ProblemCategory: "problemCategories/inventory", Scenario: "Warehouse picking", Problem: "Long picking routes",
			Solution: "Wave picking",                                                                                   // no products: INDUSTRY_CASE fails
			Results:  []*furrowv1.CaseResult{{Metric: "pick time", ValueBefore: v(10), ValueAfter: v(5), Unit: "min"}}, // no period, method
			Acknowledgement: &furrowv1.CustomerAcknowledgement{Contact: contact.GetName(), AcknowledgeTime: timestamppb.New(time.Now().Add(time.Hour)),
				Scope: furrowv1.AcknowledgementScope_ACKNOWLEDGEMENT_SCOPE_PUBLIC}}

		_, err = asAuthor.CreateCase(ctx, &furrowv1.CreateCaseRequest{Case: c})
		if st := grpcCode(t, err, codes.InvalidArgument); !hasViolation(st.Err(), "case.acknowledgement.acknowledge_time") ||
			!strings.Contains(st.Message(), "in the future") {
			t.Fatalf("future acknowledgement: %v %v", st.Message(), st.Details())
		}
		c.Acknowledgement.AcknowledgeTime = timestamppb.New(time.Now().Add(-time.Hour))
		draft, err := asAuthor.CreateCase(ctx, &furrowv1.CreateCaseRequest{Case: c})
		if err != nil {
			t.Fatal(err)
		}

		_, err = asAuthor.SubmitCase(ctx, &furrowv1.SubmitCaseRequest{Name: draft.GetName()})
		st := grpcCode(t, err, codes.FailedPrecondition)
		var got []string
		reason := ""
		for _, d := range st.Details() {
			switch d := d.(type) {
			case *errdetails.PreconditionFailure:
				for _, pv := range d.GetViolations() {
					got = append(got, pv.GetType()+" "+pv.GetSubject()+": "+pv.GetDescription())
				}
			case *errdetails.ErrorInfo:
				reason = d.GetReason()
			}
		}
		want := []string{
			"STANDARD CASE_STANDARD_INDUSTRY_CASE: products: none listed",
			"STANDARD CASE_STANDARD_QUANTIFIED_RESULTS: results[0].period: missing; results[0].method: missing",
		}
		if !slices.Equal(got, want) || reason != "STANDARDS_NOT_MET" {
			t.Fatalf("precondition violations %q (reason %q), want %q", got, reason, want)
		}

		// REST carries the same details.
		code, out := e.casesREST(t, author, "POST", "/v1/"+draft.GetName()+":submit", `{}`)
		found := 0
		details, _ := out["details"].([]any)
		for _, d := range details {
			m, _ := d.(map[string]any)
			if m["@type"] != "type.googleapis.com/google.rpc.PreconditionFailure" {
				continue
			}
			vs, _ := m["violations"].([]any)
			for _, pv := range vs {
				if pv.(map[string]any)["type"] == "STANDARD" {
					found++
				}
			}
		}
		if code != http.StatusBadRequest || found != 2 {
			t.Fatalf("REST submit: %d, %d STANDARD violations in %v", code, found, out)
		}
	})
}
