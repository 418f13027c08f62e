package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/testdb"
)

func TestSurveyEndToEnd(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			e := start(t, d, fastWorker)
			ctx := context.Background()
			sc := furrowv1.NewSurveyServiceClient(e.conn)
			rc := furrowv1.NewRetentionServiceClient(e.conn)

			acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme", RevenueTier: furrowv1.RevenueTier_REVENUE_TIER_KEY}})
			if err != nil {
				t.Fatal(err)
			}
			name := acc.GetName()
			if _, err := e.grpc.ClaimAccount(ctx, &furrowv1.ClaimAccountRequest{Name: name, Owner: "users/alice"}); err != nil {
				t.Fatal(err)
			}
			contact, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: name, Contact: &furrowv1.Contact{DisplayName: "Li Wei"}})
			if err != nil {
				t.Fatal(err)
			}
			// A customer in good standing: a recent deal and a recent call.
			if _, err := e.grpc.CreateInteraction(ctx, &furrowv1.CreateInteractionRequest{Parent: name, Interaction: &furrowv1.Interaction{
				Kind: furrowv1.InteractionKind_INTERACTION_KIND_CALL, Summary: "QBR", OccurTime: timestamppb.Now()}}); err != nil {
				t.Fatal(err)
			}
			day := time.Now().UTC().AddDate(0, 0, -200)
			if _, err := e.grpc.CreateDeal(ctx, &furrowv1.CreateDealRequest{Parent: name, Deal: &furrowv1.Deal{
				Amount:    &furrowv1.Money{CurrencyCode: "CNY", MinorUnits: 100000},
				CloseDate: &date.Date{Year: int32(day.Year()), Month: int32(day.Month()), Day: int32(day.Day())}}}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "an IN_USE label", func() bool {
				st, err := rc.GetRetentionLabel(ctx, &furrowv1.GetRetentionLabelRequest{Name: name + "/retentionLabel"})
				return err == nil && st.GetLabel() == furrowv1.RetentionLabel_RETENTION_LABEL_IN_USE
			})

			// A detractor answer over REST: stored once, even when resent.
			now := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
			body := fmt.Sprintf(`{"responses": [{"account": %q, "contact": %q, "kind": "SURVEY_KIND_NPS", "score": 3, "comment": "support is slow",
				"time": %q, "source": "qualtrics", "responseId": "r-1"}]}`, name, contact.GetName(), now)
			code, out, _ := e.rest(t, "POST", "/v1/surveyResponses:batchCreate", body)
			if code != 200 || out["createdCount"] != 1.0 {
				t.Fatalf("batchCreate: %d %v", code, out)
			}
			resp := out["responses"].([]any)[0].(map[string]any)
			if resp["detractor"] != true || resp["score"] != 3.0 {
				t.Errorf("response = %v", resp)
			}
			code, out, _ = e.rest(t, "POST", "/v1/surveyResponses:batchCreate", body)
			if code != 200 || out["duplicateCount"] != 1.0 || out["responses"].([]any)[0].(map[string]any)["name"] != resp["name"] {
				t.Fatalf("resend: %d %v", code, out)
			}
			// The early warning opens one audit case, linked to the response, even though the
			// response was sent twice; over REST and gRPC.
			ac := furrowv1.NewAuditServiceClient(e.conn)
			audits, err := ac.ListAudits(ctx, &furrowv1.ListAuditsRequest{Account: name})
			if err != nil || len(audits.GetAudits()) != 1 {
				t.Fatalf("audits after a detractor: %v, %v", audits, err)
			}
			if a := audits.GetAudits()[0]; a.GetSource() != "SURVEY_DETRACTOR" || a.GetSourceRef() != resp["name"] || a.GetSeverity() != "MEDIUM" ||
				a.GetState() != "OPEN" || a.GetDueTime() == nil || a.GetAuditor() != "system" {
				t.Errorf("audit case = %v", a)
			}
			code, list, _ := e.rest(t, "GET", "/v1/audits?account="+name+"&source=SURVEY_DETRACTOR", "")
			if items, _ := list["audits"].([]any); code != 200 || len(items) != 1 {
				t.Fatalf("audits over REST: %d %v", code, list)
			}
			// The early warning: AT_RISK by the detractor rule, one alert for the owner.
			eventually(t, "an AT_RISK label", func() bool {
				st, err := rc.GetRetentionLabel(ctx, &furrowv1.GetRetentionLabelRequest{Name: name + "/retentionLabel"})
				return err == nil && st.GetLabel() == furrowv1.RetentionLabel_RETENTION_LABEL_AT_RISK && st.GetRule() == "detractor"
			})
			alerts, err := rc.ListRetentionAlerts(ctx, &furrowv1.ListRetentionAlertsRequest{Account: name})
			if err != nil || len(alerts.GetRetentionAlerts()) != 1 {
				t.Fatalf("alerts: %v, %v", alerts, err)
			}

			// Bad input over both transports.
			code, _, _ = e.rest(t, "POST", "/v1/surveyResponses:batchCreate", fmt.Sprintf(`{"responses": [{"account": %q, "contact": %q, "kind": "SURVEY_KIND_CSAT", "score": 9, "time": %q, "responseId": "r-2"}]}`, name, contact.GetName(), now))
			if code != http.StatusBadRequest {
				t.Errorf("CSAT 9: %d", code)
			}
			_, err = sc.BatchCreateSurveyResponses(ctx, &furrowv1.BatchCreateSurveyResponsesRequest{Responses: []*furrowv1.SurveyResponse{{
				Account: name, Contact: "accounts/01890000-0000-7000-8000-000000000000/contacts/01890000-0000-7000-8000-000000000001",
				Kind: furrowv1.SurveyKind_SURVEY_KIND_COMPLAINT, Time: timestamppb.Now(), ResponseId: "x"}}})
			if br := badRequest(grpcCode(t, err, codes.InvalidArgument)); br == nil || br.GetFieldViolations()[0].GetField() != "responses[0]" {
				t.Errorf("contact of another account: %v", br)
			}

			// Exclusion takes it out of the report; the report says "no data", not 0.
			today := time.Now().UTC()
			period := fmt.Sprintf("period.startDate.year=%d&period.startDate.month=%d&period.startDate.day=1&period.endDate.year=%d&period.endDate.month=%d&period.endDate.day=%d",
				today.Year(), today.Month(), today.AddDate(0, 0, 1).Year(), today.AddDate(0, 0, 1).Month(), today.AddDate(0, 0, 1).Day())
			code, rep, _ := e.rest(t, "GET", "/v1/surveyReport?"+period, "")
			cur, _ := rep["current"].(map[string]any)
			if code != 200 || cur["nps"] != "-100.0" || cur["detractors"] != "1" {
				t.Fatalf("report: %d %v", code, rep)
			}
			if _, err := sc.ExcludeSurveyResponse(ctx, &furrowv1.ExcludeSurveyResponseRequest{Name: resp["name"].(string), Reason: "answered for another vendor"}); err != nil {
				t.Fatal(err)
			}
			_, err = sc.ExcludeSurveyResponse(ctx, &furrowv1.ExcludeSurveyResponseRequest{Name: resp["name"].(string), Reason: "again"})
			grpcCode(t, err, codes.FailedPrecondition)
			code, rep, _ = e.rest(t, "GET", "/v1/surveyReport?"+period, "")
			if cur, _ = rep["current"].(map[string]any); code != 200 || cur["nps"] != nil || cur["npsResponses"] != nil {
				t.Fatalf("report after exclusion: %d %v", code, rep)
			}

			// Asking before surveying. The detractor answered a minute ago: surveyed.
			el, err := sc.CheckSurveyEligibility(ctx, &furrowv1.CheckSurveyEligibilityRequest{Contact: contact.GetName()})
			if err != nil || el.GetEligible() || len(el.GetRefusals()) != 2 || el.GetRefusals()[0].GetReason() != "CONTACT_RECENTLY_SURVEYED" {
				t.Fatalf("eligibility after an answer: %v, %v", el, err)
			}
			// Another account's contact: the first invitation is recorded, a resend returns
			// it, another is refused with its reason.
			beta, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Beta"}})
			if err != nil {
				t.Fatal(err)
			}
			bc, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: beta.GetName(), Contact: &furrowv1.Contact{DisplayName: "Zhang Min"}})
			if err != nil {
				t.Fatal(err)
			}
			if el, err := sc.CheckSurveyEligibility(ctx, &furrowv1.CheckSurveyEligibilityRequest{Contact: bc.GetName()}); err != nil || !el.GetEligible() {
				t.Fatalf("fresh contact: %v, %v", el, err)
			}
			inv := fmt.Sprintf(`{"contact": %q, "channel": "email", "invitationId": "wave-1"}`, bc.GetName())
			code, first, _ := e.rest(t, "POST", "/v1/"+beta.GetName()+"/surveyInvitations", inv)
			if code != 200 || first["invitationId"] != "wave-1" {
				t.Fatalf("invite: %d %v", code, first)
			}
			if code, again, _ := e.rest(t, "POST", "/v1/"+beta.GetName()+"/surveyInvitations", inv); code != 200 || again["name"] != first["name"] {
				t.Fatalf("the same invitation again: %d %v", code, again)
			}
			_, err = sc.CreateSurveyInvitation(ctx, &furrowv1.CreateSurveyInvitationRequest{Parent: beta.GetName(), Invitation: &furrowv1.SurveyInvitation{Contact: bc.GetName(), InvitationId: "wave-2"}})
			grpcCode(t, err, codes.FailedPrecondition)
			code, _, _ = e.rest(t, "POST", "/v1/"+name+"/surveyInvitations", inv) // Beta's contact under Acme
			if code != http.StatusBadRequest {
				t.Errorf("a contact of another account: %d", code)
			}

			// The same early warning over gRPC: a detractor for Beta, sent twice, opens one
			// linked case; a second detractor is attached to it, never a second case.
			three, zero := int32(3), int32(0)
			detractor := func(id string, score *int32) *furrowv1.BatchCreateSurveyResponsesResponse {
				t.Helper()
				out, err := sc.BatchCreateSurveyResponses(ctx, &furrowv1.BatchCreateSurveyResponsesRequest{Responses: []*furrowv1.SurveyResponse{{
					Account: beta.GetName(), Contact: bc.GetName(), Kind: furrowv1.SurveyKind_SURVEY_KIND_NPS, Score: score,
					Comment: "onboarding stalled", Time: timestamppb.New(time.Now().Add(-time.Minute)), Source: "wjx", ResponseId: id}}})
				if err != nil {
					t.Fatalf("gRPC batchCreate %s: %v", id, err)
				}
				return out
			}
			g1 := detractor("g-1", &three)
			if g1.GetCreatedCount() != 1 || !g1.GetResponses()[0].GetDetractor() {
				t.Fatalf("gRPC detractor: %v", g1)
			}
			if again := detractor("g-1", &three); again.GetDuplicateCount() != 1 || again.GetResponses()[0].GetName() != g1.GetResponses()[0].GetName() {
				t.Fatalf("gRPC resend: %v", again)
			}
			betaAudits := func() []*furrowv1.AuditCase {
				t.Helper()
				l, err := ac.ListAudits(ctx, &furrowv1.ListAuditsRequest{Account: beta.GetName()})
				if err != nil {
					t.Fatal(err)
				}
				return l.GetAudits()
			}
			if got := betaAudits(); len(got) != 1 || got[0].GetSourceRef() != g1.GetResponses()[0].GetName() || got[0].GetSource() != "SURVEY_DETRACTOR" {
				t.Fatalf("audits after a gRPC detractor sent twice: %v", got)
			}
			g2 := detractor("g-2", &zero)
			got := betaAudits()
			if len(got) != 1 {
				t.Fatalf("a second detractor opened another case: %v", got)
			}
			events, err := ac.ListAuditEvents(ctx, &furrowv1.ListAuditEventsRequest{Name: got[0].GetName()})
			if err != nil {
				t.Fatal(err)
			}
			attached := 0
			for _, ev := range events.GetEvents() {
				if ev.GetKind() == "WARNING_ATTACHED" && strings.Contains(fmt.Sprint(ev.GetDetails()), g2.GetResponses()[0].GetName()) {
					attached++
				}
			}
			if attached != 1 {
				t.Errorf("the second detractor is attached %d times to the open case: %v", attached, events.GetEvents())
			}
		})
	}
}
