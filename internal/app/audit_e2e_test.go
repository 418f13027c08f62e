package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/testdb"
)

func TestAuditEndToEnd(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			e := start(t, d)
			ctx := context.Background()
			ac := furrowv1.NewAuditServiceClient(e.conn)
			acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme"}})
			if err != nil {
				t.Fatal(err)
			}

			// The defaults exist; an admin adds a department with office hours and a standard.
			if code, p, _ := e.rest(t, "GET", "/v1/auditPolicy", ""); code != 200 || p["warningStandard"] != "standards/customer-feedback" {
				t.Fatalf("policy: %d %v", code, p)
			}
			code, dep, _ := e.rest(t, "POST", "/v1/departments?departmentId=delivery", `{"displayName": "Delivery", "calendar": {"timeZone": "Asia/Shanghai",
				"hours": [{"weekday": 1, "startMinute": 540, "endMinute": 1080}, {"weekday": 2, "startMinute": 540, "endMinute": 1080}], "holidays": ["2026-10-01"]}}`)
			if code != 200 || dep["name"] != "departments/delivery" {
				t.Fatalf("department: %d %v", code, dep)
			}
			code, _, _ = e.rest(t, "POST", "/v1/departments?departmentId=bad", `{"displayName": "Bad", "calendar": {"timeZone": "Mars/Base"}}`)
			if code != http.StatusBadRequest {
				t.Errorf("bad time zone: %d", code)
			}
			std, err := ac.CreateServiceStandard(ctx, &furrowv1.CreateServiceStandardRequest{StandardId: "onboarding", Standard: &furrowv1.ServiceStandard{
				DisplayName: "Onboarding on time", Stage: "DELIVERY", Department: "departments/delivery",
				TargetHours: map[string]int32{"LOW": 40, "MEDIUM": 16, "HIGH": 8, "CRITICAL": 4}}})
			if err != nil || std.GetName() != "standards/onboarding" {
				t.Fatalf("standard: %v, %v", std, err)
			}

			// A case: validated, with its deadline.
			_, err = ac.CreateAudit(ctx, &furrowv1.CreateAuditRequest{Audit: &furrowv1.AuditCase{Account: acc.GetName(), Source: "INTERNAL_CHECK", Severity: "URGENT", Standard: "standards/onboarding"}})
			if br := badRequest(grpcCode(t, err, codes.InvalidArgument)); br == nil || br.GetFieldViolations()[0].GetField() != "audit.severity" {
				t.Errorf("bad severity: %v", br)
			}
			c, err := ac.CreateAudit(ctx, &furrowv1.CreateAuditRequest{Audit: &furrowv1.AuditCase{Account: acc.GetName(), Source: "SALES_REPORT",
				Severity: "HIGH", Standard: "standards/onboarding", Description: "kick-off missed", GreenChannel: true}})
			if err != nil || c.GetState() != "OPEN" || c.GetDepartment() != "departments/delivery" || c.GetDueTime() == nil || !c.GetGreenChannel() ||
				c.GetEtag() != "1" { // etags have one form everywhere: the revision, unquoted, as accounts'
				t.Fatalf("create: %v, %v", c, err)
			}
			name := c.GetName()

			// The workflow over both transports.
			if code, out, _ := e.rest(t, "POST", "/v1/"+name+":investigate", fmt.Sprintf(`{"etag": %q, "comment": "on it"}`, c.GetEtag())); code != 200 || out["state"] != "INVESTIGATING" {
				t.Fatalf("investigate: %d %v", code, out)
			}
			_, err = ac.ResolveAudit(ctx, &furrowv1.ResolveAuditRequest{Name: name, Etag: c.GetEtag()}) // stale
			grpcCode(t, err, codes.Aborted)
			if _, err := ac.DispatchAudit(ctx, &furrowv1.DispatchAuditRequest{Name: name, Dispatch: &furrowv1.AuditDispatch{
				Department: "departments/customer-success", Person: "users/wang", Task: "call the customer", DueTime: timestamppb.New(time.Now().Add(24 * time.Hour))}}); err != nil {
				t.Fatal(err)
			}
			if _, err := ac.ResolveAudit(ctx, &furrowv1.ResolveAuditRequest{Name: name, Comment: "kick-off held"}); err != nil {
				t.Fatal(err)
			}
			// Closing needs accountability: FAILED_PRECONDITION on both transports.
			_, err = ac.CloseAudit(ctx, &furrowv1.CloseAuditRequest{Name: name})
			grpcCode(t, err, codes.FailedPrecondition)
			if code, _, _ := e.rest(t, "POST", "/v1/"+name+":close", `{}`); code != http.StatusBadRequest {
				t.Errorf("close over REST: %d", code)
			}
			if _, err := ac.SetAuditAccountability(ctx, &furrowv1.SetAuditAccountabilityRequest{Name: name, RootCause: "PROCESS", RootCauseText: "no kick-off checklist",
				AccountableDepartment: "departments/delivery", CorrectiveActions: []*furrowv1.CorrectiveAction{{Description: "write the checklist", Owner: "users/zhao",
					DueTime: timestamppb.New(time.Now().Add(14 * 24 * time.Hour))}}}); err != nil {
				t.Fatal(err)
			}
			closed, err := ac.CloseAudit(ctx, &furrowv1.CloseAuditRequest{Name: name})
			if err != nil || closed.GetState() != "CLOSED" || len(closed.GetCorrectiveActions()) != 1 || len(closed.GetDispatches()) != 1 {
				t.Fatalf("close: %v, %v", closed, err)
			}
			ev, err := ac.ListAuditEvents(ctx, &furrowv1.ListAuditEventsRequest{Name: name})
			if err != nil || len(ev.GetEvents()) < 7 || ev.GetEvents()[0].GetKind() != "OPENED" {
				t.Fatalf("timeline: %v, %v", ev, err)
			}
			if code, list, _ := e.rest(t, "GET", "/v1/audits?state=CLOSED&greenChannelOnly=true", ""); code != 200 || len(list["audits"].([]any)) != 1 {
				t.Errorf("list: %d %v", code, list)
			}
			if code, _, _ := e.rest(t, "GET", "/v1/audits?severity=URGENT", ""); code != http.StatusBadRequest {
				t.Errorf("unknown severity filter: %d", code)
			}

			// The report over REST: this week's case, resolved and closed.
			today := time.Now().UTC()
			q := fmt.Sprintf("period.startDate.year=%d&period.startDate.month=%d&period.startDate.day=%d&period.endDate.year=%d&period.endDate.month=%d&period.endDate.day=%d&groupBy=STANDARD",
				today.Year(), today.Month(), today.Day(), today.AddDate(0, 0, 1).Year(), today.AddDate(0, 0, 1).Month(), today.AddDate(0, 0, 1).Day())
			code, rep, _ := e.rest(t, "GET", "/v1/auditReport?"+q, "")
			rows, _ := rep["rows"].([]any)
			if code != 200 || len(rows) != 1 || rows[0].(map[string]any)["key"] != "onboarding" || rows[0].(map[string]any)["closed"] != 1.0 ||
				rows[0].(map[string]any)["resolved"] != 1.0 || rows[0].(map[string]any)["medianHours"] == nil {
				t.Errorf("report: %d %v", code, rep)
			}
			if code, _, _ := e.rest(t, "GET", "/v1/auditReport?"+q[:len(q)-len("STANDARD")]+"TEAM", ""); code != http.StatusBadRequest {
				t.Errorf("bad grouping: %d", code)
			}

			// Roles: a viewer reads, cannot act; standards are admin-only.
			viewer, _ := e.newKey(t, furrowv1.Role_ROLE_VIEWER, "")
			if code, _ := e.restAs(t, viewer, "GET", "/v1/"+name, ""); code != 200 {
				t.Errorf("viewer read: %d", code)
			}
			if code, _ := e.restAs(t, viewer, "POST", "/v1/"+name+":addNote", `{"comment": "x"}`); code != http.StatusForbidden {
				t.Errorf("viewer note: %d", code)
			}
			member, _ := e.newKey(t, furrowv1.Role_ROLE_MEMBER, "")
			if code, _ := e.restAs(t, member, "POST", "/v1/standards?standardId=x", `{"displayName": "x", "stage": "DEAL", "department": "departments/delivery"}`); code != http.StatusForbidden {
				t.Errorf("member creates a standard: %d", code)
			}
		})
	}
}
