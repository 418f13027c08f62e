package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/app"
	"github.com/furrowhq/furrow/internal/testdb"
)

// fastWorker runs the background work every 20ms with a 1ms debounce.
func fastWorker(o *app.Options) {
	o.WorkerInterval = 20 * time.Millisecond
	o.HealthDebounce = time.Millisecond
}

// eventually polls fn until it reports done, for up to 15s.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func grpcCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want {
		t.Fatalf("gRPC error = %v, want %s", err, want)
	}
	return st
}

func TestHealthEndToEnd(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			e := start(t, d, fastWorker)
			ctx := context.Background()
			hc := furrowv1.NewHealthServiceClient(e.conn)

			// A new installation has the default scorecard.
			code, cards, _ := e.rest(t, "GET", "/v1/scorecards", "")
			list, _ := cards["scorecards"].([]any)
			if code != 200 || len(list) != 1 || list[0].(map[string]any)["isDefault"] != true {
				t.Fatalf("scorecards: %d %v", code, cards)
			}
			defaultCard := list[0].(map[string]any)["name"].(string)

			acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme", RevenueTier: furrowv1.RevenueTier_REVENUE_TIER_KEY}})
			if err != nil {
				t.Fatal(err)
			}
			name := acc.GetName()
			now := time.Now().UTC()
			body := fmt.Sprintf(`{"signals": [
				{"account": %q, "measure": "logins", "value": 12, "time": %q, "source": "product", "signalId": "e1"},
				{"account": %q, "measure": "logins", "value": 18, "time": %q, "source": "product", "signalId": "e2"}]}`,
				name, now.Add(-2*time.Hour).Format(time.RFC3339), name, now.Add(-time.Hour).Format(time.RFC3339))
			code, out, _ := e.rest(t, "POST", "/v1/signals:batchCreate", body)
			if code != 200 || out["createdCount"] != 2.0 {
				t.Fatalf("batchCreate: %d %v", code, out)
			}
			code, out, _ = e.rest(t, "POST", "/v1/signals:batchCreate", body)
			if code != 200 || out["duplicateCount"] != 2.0 || out["createdCount"] != nil {
				t.Fatalf("resend: %d %v", code, out)
			}
			// Bad and unknown input: the same codes over REST and gRPC.
			code, out, _ = e.rest(t, "POST", "/v1/signals:batchCreate", fmt.Sprintf(`{"signals": [{"account": %q, "measure": "furrow.x", "time": %q, "signalId": "x"}]}`, name, now.Format(time.RFC3339)))
			if code != http.StatusBadRequest {
				t.Errorf("reserved measure: %d %v", code, out)
			}
			_, err = hc.BatchCreateSignals(ctx, &furrowv1.BatchCreateSignalsRequest{Signals: []*furrowv1.Signal{{Account: name, Measure: "furrow.x", Time: timestamppb.Now(), SignalId: "x"}}})
			st := grpcCode(t, err, codes.InvalidArgument)
			if br := badRequest(st); br == nil || br.GetFieldViolations()[0].GetField() != "signals[0].measure" {
				t.Errorf("violations = %v", br)
			}
			missing := "accounts/01890000-0000-7000-8000-000000000000"
			code, _, _ = e.rest(t, "POST", "/v1/signals:batchCreate", fmt.Sprintf(`{"signals": [{"account": %q, "measure": "logins", "time": %q, "signalId": "x"}]}`, missing, now.Format(time.RFC3339)))
			if code != http.StatusNotFound {
				t.Errorf("unknown account: %d", code)
			}

			// The worker rescores the account shortly after the signals. (It may have
			// scored the new account once before they arrived: wait for their score.)
			var score map[string]any
			eventually(t, "a health score with the signals", func() bool {
				code, score, _ = e.rest(t, "GET", "/v1/"+name+"/healthScore", "")
				if code != 200 {
					return false
				}
				for _, c := range score["contributions"].([]any) {
					if m := c.(map[string]any); m["measure"] == "usage_frequency" && m["rawValue"] != nil {
						return true
					}
				}
				return false
			})
			if score["scorecard"] != defaultCard || score["scorecardVersion"] != 1.0 || score["grade"] == nil {
				t.Errorf("score = %v", score)
			}
			var usage map[string]any
			for _, c := range score["contributions"].([]any) {
				if m := c.(map[string]any); m["measure"] == "usage_frequency" {
					usage = m
				}
			}
			if usage == nil || usage["rawValue"] != 30.0 || usage["normalizedValue"] != 50.0 {
				t.Errorf("usage_frequency = %v", usage)
			}

			// Override and clear, seen over both transports.
			code, ov, _ := e.rest(t, "POST", "/v1/"+name+"/healthScore:override", `{"override": {"grade": "HEALTH_GRADE_RED", "reason": "CFO said they are evaluating a competitor"}}`)
			if code != 200 || ov["grade"] != "HEALTH_GRADE_RED" || ov["computedGrade"] != score["computedGrade"] || ov["override"] == nil {
				t.Fatalf("override: %d %v", code, ov)
			}
			got, err := hc.GetHealthScore(ctx, &furrowv1.GetHealthScoreRequest{Name: name + "/healthScore"})
			if err != nil || got.GetGrade() != furrowv1.HealthGrade_HEALTH_GRADE_RED || got.GetOverride().GetReason() == "" {
				t.Fatalf("gRPC get after override = %v, %v", got, err)
			}
			code, _, _ = e.rest(t, "POST", "/v1/"+name+"/healthScore:override", `{"override": {"reason": "nothing set"}}`)
			if code != http.StatusBadRequest {
				t.Errorf("override without score or grade: %d", code)
			}
			code, lst, _ := e.rest(t, "GET", "/v1/healthScores?filter="+url.QueryEscape("grade = RED AND overridden = true"), "")
			if items, _ := lst["healthScores"].([]any); code != 200 || len(items) != 1 {
				t.Errorf("list RED overridden: %d %v", code, lst)
			}
			if code, _, _ = e.rest(t, "POST", "/v1/"+name+"/healthScore:clearOverride", `{}`); code != 200 {
				t.Errorf("clear: %d", code)
			}
			_, err = hc.ClearHealthScoreOverride(ctx, &furrowv1.ClearHealthScoreOverrideRequest{Name: name + "/healthScore"})
			grpcCode(t, err, codes.FailedPrecondition)
			if code, _, _ = e.rest(t, "POST", "/v1/"+name+"/healthScore:clearOverride", `{}`); code != http.StatusBadRequest {
				t.Errorf("clear twice over REST: %d", code)
			}

			// as_of before the first score: not found.
			code, _, _ = e.rest(t, "GET", "/v1/"+name+"/healthScore?asOf="+url.QueryEscape(now.Add(-24*time.Hour).Format(time.RFC3339)), "")
			if code != http.StatusNotFound {
				t.Errorf("as_of before any score: %d", code)
			}

			// A new scorecard version; the old one stays readable.
			code, card, _ := e.rest(t, "GET", "/v1/"+defaultCard, "")
			if code != 200 {
				t.Fatal(code)
			}
			measures := card["measures"].([]any)
			m0 := measures[0].(map[string]any)
			m0["weight"] = 30
			code, upd, _ := e.rest(t, "PATCH", "/v1/"+defaultCard+"?updateMask=measures", mustJSON(t, map[string]any{"measures": measures, "etag": card["etag"]}))
			if code != 200 || upd["version"] != 2.0 {
				t.Fatalf("update scorecard: %d %v", code, upd)
			}
			v1, err := hc.GetScorecard(ctx, &furrowv1.GetScorecardRequest{Name: defaultCard, Version: 1})
			if err != nil || v1.GetVersion() != 1 || v1.GetMeasures()[0].GetWeight() != 15 {
				t.Errorf("version 1 = %v, %v", v1, err)
			}
			_, err = hc.GetScorecard(ctx, &furrowv1.GetScorecardRequest{Name: defaultCard, Version: 9})
			grpcCode(t, err, codes.NotFound)
			vs, err := hc.ListScorecardVersions(ctx, &furrowv1.ListScorecardVersionsRequest{Name: defaultCard})
			if err != nil || len(vs.GetScorecards()) != 2 || vs.GetScorecards()[0].GetVersion() != 2 {
				t.Errorf("versions = %v, %v", vs, err)
			}
			code, bad, _ := e.rest(t, "POST", "/v1/scorecards", `{"displayName": "x", "gradeBands": {"yellowFrom": 40, "greenFrom": 70},
				"measures": [{"key": "k", "group": "g", "source": "furrow.nope", "aggregation": "AGGREGATION_LAST", "weight": 1, "normalization": {"linear": {"low": 0, "high": 1}}}]}`)
			if code != http.StatusBadRequest || bad["message"] == nil {
				t.Errorf("bad scorecard: %d %v", code, bad)
			}

			// Recompute all as a job; it uses version 2.
			code, job, _ := e.rest(t, "POST", "/v1/healthScores:recompute", `{}`)
			if code != 200 || job["state"] != "RECOMPUTE_JOB_STATE_RUNNING" {
				t.Fatalf("recompute: %d %v", code, job)
			}
			jobName := job["name"].(string)
			eventually(t, "the job to finish", func() bool {
				_, job, _ = e.rest(t, "GET", "/v1/"+jobName, "")
				return job["state"] == "RECOMPUTE_JOB_STATE_SUCCEEDED"
			})
			if job["processedAccounts"] != "1" || job["totalAccounts"] != "1" {
				t.Errorf("job = %v", job)
			}
			got, _ = hc.GetHealthScore(ctx, &furrowv1.GetHealthScoreRequest{Name: name + "/healthScore"})
			if got.GetScorecardVersion() != 2 {
				t.Errorf("after recompute: version %d", got.GetScorecardVersion())
			}
			hist, err := hc.ListHealthScoreHistory(ctx, &furrowv1.ListHealthScoreHistoryRequest{Name: name + "/healthScore"})
			// Newest first: the new version's score, the signals' score (and perhaps the
			// new account's score from before the signals).
			if n := len(hist.GetHealthScores()); err != nil || n < 2 || n > 3 || hist.GetHealthScores()[0].GetScorecardVersion() != 2 || hist.GetHealthScores()[1].GetScorecardVersion() != 1 {
				t.Errorf("history = %v, %v", hist, err)
			}
			if code, _, _ = e.rest(t, "POST", "/v1/"+jobName+":cancel", `{}`); code != http.StatusBadRequest {
				t.Errorf("cancel a finished job: %d", code)
			}
			if code, _, _ = e.rest(t, "GET", "/v1/recomputeJobs/01890000-0000-7000-8000-000000000000", ""); code != http.StatusNotFound {
				t.Errorf("unknown job: %d", code)
			}
			code, _, _ = e.rest(t, "POST", "/v1/healthScores:recompute", `{"filter": "nope = 1"}`)
			if code != http.StatusBadRequest {
				t.Errorf("bad filter: %d", code)
			}

			// Roles: viewers read but do not override; partners send signals for their
			// own accounts only.
			viewer, _ := e.newKey(t, furrowv1.Role_ROLE_VIEWER, "")
			if code, _ := e.restAs(t, viewer, "GET", "/v1/"+name+"/healthScore", ""); code != 200 {
				t.Errorf("viewer get: %d", code)
			}
			if code, _ := e.restAs(t, viewer, "POST", "/v1/"+name+"/healthScore:override", `{"override": {"grade": "HEALTH_GRADE_RED", "reason": "x"}}`); code != http.StatusForbidden {
				t.Errorf("viewer override: %d", code)
			}
			e.newPartner(t, "crm")
			partner, _ := e.newKey(t, furrowv1.Role_ROLE_PARTNER, "crm")
			sig := fmt.Sprintf(`{"signals": [{"account": %q, "measure": "logins", "value": 1, "time": %q, "source": "crm", "signalId": "p1"}]}`, name, now.Format(time.RFC3339))
			if code, _ := e.restAs(t, partner, "POST", "/v1/signals:batchCreate", sig); code != http.StatusNotFound {
				t.Errorf("partner, foreign account: %d", code)
			}
			if _, err := e.grpc.UpdateAccount(ctx, &furrowv1.UpdateAccountRequest{Account: &furrowv1.Account{Name: name, ExternalIds: map[string]string{"crm": "C-1"}}}); err != nil {
				t.Fatal(err)
			}
			if code, _ := e.restAs(t, partner, "POST", "/v1/signals:batchCreate", sig); code != 200 {
				t.Errorf("partner, own account: %d", code)
			}
			if code, _ := e.restAs(t, partner, "GET", "/v1/"+name+"/healthScore", ""); code != http.StatusForbidden {
				t.Errorf("partner reading scores: %d", code)
			}
		})
	}
}

func badRequest(st *status.Status) *errdetails.BadRequest {
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			return br
		}
	}
	return nil
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
