package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/testdb"
)

// TestAuditReassignAndTimelinePages reassigns a case over REST and gRPC (validated,
// the auditor's privilege, etag-guarded, only while the case is worked) and walks its
// timeline a page at a time.
func TestAuditReassignAndTimelinePages(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			e := start(t, d)
			ctx := context.Background()
			ac := furrowv1.NewAuditServiceClient(e.conn)
			acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ac.CreateAuditDepartment(ctx, &furrowv1.CreateAuditDepartmentRequest{DepartmentId: "delivery",
				Department: &furrowv1.AuditDepartment{DisplayName: "Delivery"}}); err != nil {
				t.Fatal(err)
			}
			c, err := ac.CreateAudit(ctx, &furrowv1.CreateAuditRequest{Audit: &furrowv1.AuditCase{Account: acc.GetName(), Source: "INTERNAL_CHECK",
				Severity: "HIGH", Standard: "standards/customer-feedback", Person: "users/li"}})
			if err != nil || c.GetDepartment() != "departments/customer-success" {
				t.Fatalf("create: %v, %v", c, err)
			}
			name := c.GetName()

			// Validation: a reason, and a department or a person.
			for _, body := range []string{`{"department": "departments/delivery"}`, `{"reason": "why not"}`, `{"department": "delivery", "reason": "x"}`} {
				if code, out, _ := e.rest(t, "POST", "/v1/"+name+":reassign", body); code != http.StatusBadRequest {
					t.Errorf("reassign %s: %d %v", body, code, out)
				}
			}
			_, err = ac.ReassignAudit(ctx, &furrowv1.ReassignAuditRequest{Name: name, Department: "departments/nowhere", Reason: "x"})
			grpcCode(t, err, codes.InvalidArgument)
			// Only the auditor or an admin: a member is PERMISSION_DENIED.
			memberKey, _ := e.newKey(t, furrowv1.Role_ROLE_MEMBER, "")
			_, err = furrowv1.NewAuditServiceClient(e.dial(t, memberKey)).ReassignAudit(ctx, &furrowv1.ReassignAuditRequest{Name: name, Person: "users/zhao", Reason: "x"})
			grpcCode(t, err, codes.PermissionDenied)

			code, out, _ := e.rest(t, "POST", "/v1/"+name+":reassign", fmt.Sprintf(`{"etag": %q, "department": "departments/delivery", "reason": "delivery owns kick-offs"}`, c.GetEtag()))
			if code != 200 || out["department"] != "departments/delivery" || out["person"] != nil && out["person"] != "" {
				t.Fatalf("reassign: %d %v", code, out)
			}
			_, err = ac.ReassignAudit(ctx, &furrowv1.ReassignAuditRequest{Name: name, Etag: c.GetEtag(), Person: "users/zhao", Reason: "x"}) // stale
			grpcCode(t, err, codes.Aborted)
			_, err = ac.ReassignAudit(ctx, &furrowv1.ReassignAuditRequest{Name: name, Department: "departments/delivery", Reason: "x"}) // no change
			grpcCode(t, err, codes.FailedPrecondition)
			if got, err := ac.ReassignAudit(ctx, &furrowv1.ReassignAuditRequest{Name: name, Person: "users/zhao", Reason: "shift"}); err != nil ||
				got.GetPerson() != "users/zhao" || got.GetDepartment() != "departments/delivery" {
				t.Fatalf("person: %v, %v", got, err)
			}
			if _, err := ac.InvestigateAudit(ctx, &furrowv1.InvestigateAuditRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
			if _, err := ac.ResolveAudit(ctx, &furrowv1.ResolveAuditRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
			_, err = ac.ReassignAudit(ctx, &furrowv1.ReassignAuditRequest{Name: name, Person: "users/li", Reason: "x"}) // resolved
			grpcCode(t, err, codes.FailedPrecondition)

			// The timeline, two events a page over REST, is the whole timeline.
			all, err := ac.ListAuditEvents(ctx, &furrowv1.ListAuditEventsRequest{Name: name, PageSize: 1000})
			if err != nil || all.GetNextPageToken() != "" {
				t.Fatalf("timeline: %v, %v", all, err)
			}
			var kinds []any
			token := ""
			for range 20 {
				code, page, _ := e.rest(t, "GET", "/v1/"+name+"/events?pageSize=2&pageToken="+token, "")
				evs, _ := page["events"].([]any)
				if code != 200 || len(evs) > 2 {
					t.Fatalf("page: %d %v", code, page)
				}
				for _, ev := range evs {
					kinds = append(kinds, ev.(map[string]any)["kind"])
				}
				if token, _ = page["nextPageToken"].(string); token == "" {
					break
				}
			}
			if len(kinds) != len(all.GetEvents()) || len(kinds) < 6 {
				t.Fatalf("paged %d events %v, want %d", len(kinds), kinds, len(all.GetEvents()))
			}
			for i, ev := range all.GetEvents() {
				if kinds[i] != ev.GetKind() {
					t.Fatalf("event %d: %v, want %s", i, kinds[i], ev.GetKind())
				}
			}
			if code, _, _ := e.rest(t, "GET", "/v1/"+name+"/events?pageToken=bogus", ""); code != http.StatusBadRequest {
				t.Errorf("bad token: %d", code)
			}
		})
	}
}
