package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/testdb"
)

func TestRetentionEndToEnd(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			e := start(t, d, fastWorker)
			ctx := context.Background()
			rc := furrowv1.NewRetentionServiceClient(e.conn)

			// The default policy is there from the start.
			code, pol, _ := e.rest(t, "GET", "/v1/retentionPolicy", "")
			if rules, _ := pol["rules"].([]any); code != 200 || len(rules) != 7 || pol["termDays"] != 365.0 || pol["etag"] == nil {
				t.Fatalf("policy: %d %v", code, pol)
			}

			acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme"}})
			if err != nil {
				t.Fatal(err)
			}
			name := acc.GetName()
			if _, err := e.grpc.ClaimAccount(ctx, &furrowv1.ClaimAccountRequest{Name: name, Owner: "users/alice"}); err != nil {
				t.Fatal(err)
			}
			// (Talked to first: a customer nobody has talked to is AT_RISK by silence.)
			if _, err := e.grpc.CreateInteraction(ctx, &furrowv1.CreateInteractionRequest{Parent: name, Interaction: &furrowv1.Interaction{
				Kind: furrowv1.InteractionKind_INTERACTION_KIND_CALL, Summary: "kick-off", OccurTime: timestamppb.Now()}}); err != nil {
				t.Fatal(err)
			}

			day := time.Now().UTC().AddDate(0, 0, -10)
			if _, err := e.grpc.CreateDeal(ctx, &furrowv1.CreateDealRequest{Parent: name, Deal: &furrowv1.Deal{
				Amount:    &furrowv1.Money{CurrencyCode: "CNY", MinorUnits: 100000},
				CloseDate: &date.Date{Year: int32(day.Year()), Month: int32(day.Month()), Day: int32(day.Day())}}}); err != nil {
				t.Fatal(err)
			}
			// The worker follows the new deal: a new customer.
			var st map[string]any
			eventually(t, "a NEWLY_SIGNED label", func() bool {
				code, st, _ = e.rest(t, "GET", "/v1/"+name+"/retentionLabel", "")
				return code == 200 && st["label"] == "RETENTION_LABEL_NEWLY_SIGNED"
			})
			if st["rule"] != "newly_signed" || st["facts"].(map[string]any)["first_deal_date"] != day.Format(time.DateOnly) {
				t.Errorf("label = %v", st)
			}

			// A health grade set to RED makes it AT_RISK at once, with an alert for its owner.
			eventually(t, "a health score", func() bool {
				code, _, _ = e.rest(t, "GET", "/v1/"+name+"/healthScore", "")
				return code == 200
			})
			code, ov, _ := e.rest(t, "POST", "/v1/"+name+"/healthScore:override", `{"override": {"grade": "HEALTH_GRADE_RED", "reason": "evaluating a competitor"}}`)
			if code != 200 {
				t.Fatalf("override: %d %v", code, ov)
			}
			got, err := rc.GetRetentionLabel(ctx, &furrowv1.GetRetentionLabelRequest{Name: name + "/retentionLabel"})
			if err != nil || got.GetLabel() != furrowv1.RetentionLabel_RETENTION_LABEL_AT_RISK || got.GetRule() != "health_red" {
				t.Fatalf("after the override: %v, %v", got, err)
			}
			alerts, err := rc.ListRetentionAlerts(ctx, &furrowv1.ListRetentionAlertsRequest{Owner: "users/alice", State: furrowv1.RetentionAlertState_RETENTION_ALERT_STATE_OPEN})
			if err != nil || len(alerts.GetRetentionAlerts()) != 1 {
				t.Fatalf("alerts: %v, %v", alerts, err)
			}
			alert := alerts.GetRetentionAlerts()[0]
			if alert.GetAccount() != name || len(alert.GetSteps()) != 5 || alert.GetDueTime() == nil {
				t.Errorf("alert = %v", alert)
			}

			// The workflow over both transports: stale etag, wrong state, bad input.
			_, err = rc.AcknowledgeRetentionAlert(ctx, &furrowv1.AcknowledgeRetentionAlertRequest{Name: alert.GetName(), Etag: `"99"`})
			grpcCode(t, err, codes.Aborted)
			code, ack, _ := e.rest(t, "POST", "/v1/"+alert.GetName()+":acknowledge", fmt.Sprintf(`{"etag": %q}`, alert.GetEtag()))
			if code != 200 || ack["state"] != "RETENTION_ALERT_STATE_ACKNOWLEDGED" || ack["acknowledgedBy"] == nil {
				t.Fatalf("acknowledge: %d %v", code, ack)
			}
			code, _, _ = e.rest(t, "POST", "/v1/"+alert.GetName()+":acknowledge", `{}`)
			if code != http.StatusBadRequest { // FAILED_PRECONDITION
				t.Errorf("second acknowledge: %d, want 400", code)
			}
			_, err = rc.AcknowledgeRetentionAlert(ctx, &furrowv1.AcknowledgeRetentionAlertRequest{Name: alert.GetName()})
			grpcCode(t, err, codes.FailedPrecondition)
			code, _, _ = e.rest(t, "POST", "/v1/"+alert.GetName()+":close", `{}`)
			if code != http.StatusBadRequest {
				t.Errorf("close without outcome: %d, want 400", code)
			}
			closed, err := rc.CloseRetentionAlert(ctx, &furrowv1.CloseRetentionAlertRequest{Name: alert.GetName(), Outcome: furrowv1.RetentionAlertOutcome_RETENTION_ALERT_OUTCOME_RECOVERED, Note: "renewed"})
			if err != nil || closed.GetState() != furrowv1.RetentionAlertState_RETENTION_ALERT_STATE_CLOSED || closed.GetOutcome() != furrowv1.RetentionAlertOutcome_RETENTION_ALERT_OUTCOME_RECOVERED {
				t.Fatalf("close: %v, %v", closed, err)
			}

			// Manual labels: validated, set with a reason, visible in the history.
			code, out, _ := e.rest(t, "POST", "/v1/"+name+"/retentionLabel:set", `{"label": "RETENTION_LABEL_EXPANSION", "reason": "  "}`)
			if code != http.StatusBadRequest {
				t.Errorf("blank reason: %d %v", code, out)
			}
			_, err = rc.SetRetentionLabel(ctx, &furrowv1.SetRetentionLabelRequest{Name: name + "/retentionLabel", Reason: "x"})
			if br := badRequest(grpcCode(t, err, codes.InvalidArgument)); br == nil || br.GetFieldViolations()[0].GetField() != "label" {
				t.Errorf("violations = %v", br)
			}
			code, out, _ = e.rest(t, "POST", "/v1/"+name+"/retentionLabel:set", `{"label": "RETENTION_LABEL_EXPANSION", "reason": "upsell signed next week"}`)
			if code != 200 || out["label"] != "RETENTION_LABEL_EXPANSION" || out["ruleLabel"] != "RETENTION_LABEL_AT_RISK" {
				t.Fatalf("set: %d %v", code, out)
			}
			hist, err := rc.ListRetentionLabelHistory(ctx, &furrowv1.ListRetentionLabelHistoryRequest{Name: name + "/retentionLabel"})
			if err != nil || len(hist.GetChanges()) < 3 {
				t.Fatalf("history: %v, %v", hist, err)
			}
			if c := hist.GetChanges()[0]; c.GetCause() != furrowv1.RetentionLabelCause_RETENTION_LABEL_CAUSE_MANUAL || c.GetReason() != "upsell signed next week" {
				t.Errorf("latest change = %v", c)
			}

			// Policy updates: validated, etag-checked.
			p, err := rc.GetRetentionPolicy(ctx, &furrowv1.GetRetentionPolicyRequest{Name: "retentionPolicy"})
			if err != nil {
				t.Fatal(err)
			}
			p.Rules = append(p.Rules, p.Rules[0])
			_, err = rc.UpdateRetentionPolicy(ctx, &furrowv1.UpdateRetentionPolicyRequest{Policy: p})
			if br := badRequest(grpcCode(t, err, codes.InvalidArgument)); br == nil || br.GetFieldViolations()[0].GetField() != "policy.rules[7].key" {
				t.Errorf("duplicate key violations = %v", br)
			}
			p.Rules = p.Rules[:7]
			p.TermDays = 400
			up, err := rc.UpdateRetentionPolicy(ctx, &furrowv1.UpdateRetentionPolicyRequest{Policy: p})
			if err != nil || up.GetTermDays() != 400 || up.GetEtag() == p.GetEtag() {
				t.Fatalf("update: %v, %v", up, err)
			}
			_, err = rc.UpdateRetentionPolicy(ctx, &furrowv1.UpdateRetentionPolicyRequest{Policy: p}) // the old etag
			grpcCode(t, err, codes.Aborted)

			// Unknown accounts.
			missing := "accounts/01890000-0000-7000-8000-000000000000/retentionLabel"
			if code, _, _ := e.rest(t, "GET", "/v1/"+missing, ""); code != http.StatusNotFound {
				t.Errorf("unknown account: %d", code)
			}
			_, err = rc.EvaluateRetentionLabel(ctx, &furrowv1.EvaluateRetentionLabelRequest{Name: missing})
			grpcCode(t, err, codes.NotFound)
		})
	}
}
