package app_test

import (
	"context"
	"fmt"
	"google.golang.org/protobuf/types/known/timestamppb"
	"net/http"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/testdb"
)

func TestAnalyticsEndToEnd(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(testdb.Name(d), func(t *testing.T) {
			e := start(t, d)
			e.newPartner(t, "crm")
			ctx := context.Background()
			today := time.Now().UTC().Truncate(24 * time.Hour)
			tomorrow := today.AddDate(0, 0, 1)
			pd := func(t time.Time) *date.Date {
				return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
			}

			// One customer: a first deal and a repurchase today, CNY.
			acc, err := e.grpc.CreateAccount(ctx, &furrowv1.CreateAccountRequest{Account: &furrowv1.Account{DisplayName: "Acme", RevenueTier: furrowv1.RevenueTier_REVENUE_TIER_KEY, Region: "east"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, minor := range []int64{100_000, 250_001} {
				if _, err := e.grpc.CreateDeal(ctx, &furrowv1.CreateDealRequest{Parent: acc.GetName(),
					Deal: &furrowv1.Deal{Amount: &furrowv1.Money{CurrencyCode: "CNY", MinorUnits: minor}, CloseDate: pd(today)}}); err != nil {
					t.Fatal(err)
				}
			}

			q := func(from, to time.Time) string {
				return fmt.Sprintf("period.startDate.year=%d&period.startDate.month=%d&period.startDate.day=%d&period.endDate.year=%d&period.endDate.month=%d&period.endDate.day=%d",
					from.Year(), from.Month(), from.Day(), to.Year(), to.Month(), to.Day())
			}
			// REST: the figures, the parameters used and the definitions.
			code, inv, _ := e.rest(t, "GET", "/v1/analytics:assetInventory?"+q(today, tomorrow)+"&segment.revenueTier=REVENUE_TIER_KEY", "")
			if code != http.StatusOK {
				t.Fatalf("assetInventory: %d %v", code, inv)
			}
			cur := inv["currencies"].([]any)[0].(map[string]any)
			params := inv["parameters"].(map[string]any)
			if inv["closedCustomers"] != "1" || inv["repurchasingCustomers"] != "1" || inv["repurchaseRate"] != "1.0000" ||
				inv["pooledNotClosed"] != "0" || inv["keyAccounts"] != "0" || inv["churned"] != "0" ||
				cur["currencyCode"] != "CNY" || cur["averageFirstDealMinor"] != "100000" || cur["averageRepurchaseMinor"] != "250001" ||
				cur["amountRepurchaseRate"] != "2.5000" ||
				params["atRiskSilenceDays"] != 60.0 || params["keyAccountThreshold"].(map[string]any)["minorUnits"] != "100000000" ||
				inv["definitions"].(map[string]any)["closed_customers"] == nil {
				t.Errorf("assetInventory = %v", inv)
			}
			// Parameters over REST, echoed: a rate table (a map) and a threshold.
			code, inv, _ = e.rest(t, "GET", "/v1/analytics:assetInventory?"+q(today, tomorrow)+"&parameters.exchangeRates[EUR]=7.5&parameters.keyAccountThreshold.currencyCode=CNY&parameters.keyAccountThreshold.minorUnits=350001", "")
			if code != http.StatusOK || inv["keyAccounts"] != "1" || inv["unconvertedCurrencies"] != nil ||
				fmt.Sprint(inv["parameters"].(map[string]any)["exchangeRates"]) != "map[EUR:7.5]" {
				t.Errorf("with parameters: %d %v", code, inv)
			}
			// Another segment: nothing, with nulls and zeros apart.
			code, inv, _ = e.rest(t, "GET", "/v1/analytics:assetInventory?"+q(today, tomorrow)+"&segment.region=west", "")
			if code != http.StatusOK || inv["closedCustomers"] != "0" || inv["repurchaseRate"] != nil || inv["currencies"] != nil {
				t.Errorf("empty segment: %d %v", code, inv)
			}
			// KPIs: NPS null without responses, saying why; then from survey responses.
			code, kpi, _ := e.rest(t, "GET", "/v1/analytics:successKpis?"+q(today, tomorrow), "")
			nps, _ := kpi["nps"].(map[string]any)
			if code != http.StatusOK || nps["value"] != nil || nps["nullReason"] == nil || nps["surveyDataAvailable"] != true ||
				kpi["customerRevenue"].([]any)[0].(map[string]any)["minorUnits"] != "350001" {
				t.Errorf("successKpis: %d %v", code, kpi)
			}
			contact, err := e.grpc.CreateContact(ctx, &furrowv1.CreateContactRequest{Parent: acc.GetName(), Contact: &furrowv1.Contact{DisplayName: "Li Wei"}})
			if err != nil {
				t.Fatal(err)
			}
			sc := furrowv1.NewSurveyServiceClient(e.conn)
			var rs []*furrowv1.SurveyResponse
			for i, score := range []int32{10, 9, 3} { // 100 × (2 − 1) / 3 = 33.3
				rs = append(rs, &furrowv1.SurveyResponse{Account: acc.GetName(), Contact: contact.GetName(), Kind: furrowv1.SurveyKind_SURVEY_KIND_NPS,
					Score: &score, Time: timestamppb.New(time.Now().Add(-time.Minute)), ResponseId: fmt.Sprint("r", i)})
			}
			if _, err := sc.BatchCreateSurveyResponses(ctx, &furrowv1.BatchCreateSurveyResponsesRequest{Responses: rs}); err != nil {
				t.Fatal(err)
			}
			code, kpi, _ = e.rest(t, "GET", "/v1/analytics:successKpis?"+q(today, tomorrow), "")
			if nps, _ = kpi["nps"].(map[string]any); code != http.StatusOK || nps["value"] != "33.3" || nps["responses"] != "3" || nps["detractors"] != "1" {
				t.Errorf("successKpis with responses: %d %v", code, kpi)
			}

			// gRPC: the funnel (the account entered exposure at creation, today).
			ac := furrowv1.NewAnalyticsServiceClient(e.conn)
			period := &furrowv1.AnalyticsPeriod{StartDate: pd(today), EndDate: pd(tomorrow)}
			f, err := ac.GetFunnel(ctx, &furrowv1.GetFunnelRequest{Period: period})
			if err != nil {
				t.Fatal(err)
			}
			if f.GetCohortSize() != 1 || len(f.GetStages()) != 6 || f.GetStages()[0].GetReached() != 1 || f.GetStages()[0].GetConversionToNext() != "0.0000" ||
				f.GetStages()[0].MedianDaysInStage != nil || f.GetStages()[0].GetStage() != furrowv1.FunnelStage_FUNNEL_STAGE_EXPOSURE {
				t.Errorf("funnel = %v", f)
			}
			v, err := ac.GetValueManagement(ctx, &furrowv1.GetValueManagementRequest{Period: period})
			if err != nil {
				t.Fatal(err)
			}
			if r := v.GetExistingCustomerRevenue(); len(r) != 1 || r[0].GetCurrent().GetExistingCustomerRevenueMinor() != 250_001 ||
				r[0].GetPrevious().ExistingCustomerRevenueMinor != nil || v.GetLtv()[0].GetLtvMinor() != 1_050_003 {
				t.Errorf("value management = %v", v)
			}

			// Validation: the same code over both transports.
			code, body, _ := e.rest(t, "GET", "/v1/analytics:funnel?"+q(tomorrow, today), "")
			if code != http.StatusBadRequest {
				t.Errorf("reversed period over REST: %d %v", code, body)
			}
			_, err = ac.GetFunnel(ctx, &furrowv1.GetFunnelRequest{Period: &furrowv1.AnalyticsPeriod{StartDate: pd(tomorrow), EndDate: pd(today)}})
			grpcCode(t, err, codes.InvalidArgument)
			_, err = ac.GetAssetInventory(ctx, &furrowv1.GetAssetInventoryRequest{})
			grpcCode(t, err, codes.InvalidArgument)
			code, _, _ = e.rest(t, "GET", "/v1/analytics:assetInventory?"+q(today.AddDate(-11, 0, 0), today), "")
			if code != http.StatusBadRequest {
				t.Errorf("11-year period over REST: %d", code)
			}
			_, err = ac.GetAssetInventory(ctx, &furrowv1.GetAssetInventoryRequest{Period: period,
				Parameters: &furrowv1.AssetInventoryParameters{ExchangeRates: map[string]string{"USD": "0"}}})
			if st := grpcCode(t, err, codes.InvalidArgument); st.Message() == "" {
				t.Error("no message")
			}

			// Permissions: viewers read analytics, partners may not.
			viewer, _ := e.newKey(t, furrowv1.Role_ROLE_VIEWER, "")
			partner, _ := e.newKey(t, furrowv1.Role_ROLE_PARTNER, "crm")
			if code, _ := e.restAs(t, viewer, "GET", "/v1/analytics:funnel?"+q(today, tomorrow), ""); code != http.StatusOK {
				t.Errorf("viewer: %d", code)
			}
			if code, _ := e.restAs(t, partner, "GET", "/v1/analytics:funnel?"+q(today, tomorrow), ""); code != http.StatusForbidden {
				t.Errorf("partner over REST: %d", code)
			}
			_, err = furrowv1.NewAnalyticsServiceClient(e.dial(t, partner)).GetFunnel(ctx, &furrowv1.GetFunnelRequest{Period: period})
			grpcCode(t, err, codes.PermissionDenied)
		})
	}
}
