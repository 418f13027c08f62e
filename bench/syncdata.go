package main

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/type/date"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
)

// Partner sync data: record i of set s is the same every time it is generated, so a
// second pass over a set sends exactly what the first one did, and the COPY baseline
// loads exactly what the API is sent. Sets differ in every unique key (external ids,
// names, tax ids, domains), so a second set creates new accounts beside the first.

var (
	syncBrands     = []string{"Northwind", "Bluepeak", "Silverline", "Redwood", "Ironbridge", "Evergreen", "Summit", "Harbor", "Granite", "Meridian", "Kestrel", "Orion", "Vantage", "Juniper", "Cobalt", "Falcon"}
	syncIndustries = []string{"Manufacturing", "Retail", "Healthcare", "Education", "Finance", "Logistics", "Software", "Energy"}
	syncRegions    = []string{"east-china", "north-china", "south-china", "west-china", "europe", "north-america"}
	syncProducts   = []string{"Annual licence", "Support plan", "Onboarding", "Hardware bundle", "Training"}
	syncTitles     = []string{"Head of Purchasing", "CTO", "Operations Manager", "Finance Director", "IT Lead"}
)

// syncRecord returns record i of set s: an account with one contact and one won deal.
func syncRecord(s, i int) *furrowv1.SyncRecord {
	brand := syncBrands[i%len(syncBrands)]
	ind := syncIndustries[(i/len(syncBrands))%len(syncIndustries)]
	ext := fmt.Sprintf("S%d-%08d", s, i)
	domain := fmt.Sprintf("%s-s%d-%07d.example.cn", strings.ToLower(brand), s, i)
	day := i % 365
	return &furrowv1.SyncRecord{
		ExternalId: ext,
		Account: &furrowv1.Account{
			DisplayName: fmt.Sprintf("%s %s Partner %d-%07d Co., Ltd.", brand, ind, s, i),
			// 18 characters, like a unified social credit code.
			TaxId:    fmt.Sprintf("91%02d%014d", 31+s, i),
			Domain:   domain,
			Industry: strings.ToLower(ind),
			Region:   syncRegions[(i/7)%len(syncRegions)],
		},
		Contacts: []*furrowv1.SyncContact{{
			ExternalId: ext + "-C1",
			Contact: &furrowv1.Contact{
				DisplayName: fmt.Sprintf("Contact %d-%07d", s, i),
				Email:       fmt.Sprintf("buyer%07d@%s", i, domain),
				Title:       syncTitles[i%len(syncTitles)],
			},
		}},
		Deals: []*furrowv1.SyncDeal{{
			ExternalId: ext + "-D1",
			Deal: &furrowv1.Deal{
				Amount:    &furrowv1.Money{CurrencyCode: "CNY", MinorUnits: 100_000 + int64(i*7919)%50_000_000},
				CloseDate: &date.Date{Year: 2025, Month: int32(1 + day/31%12), Day: int32(1 + day%28)},
				Product:   syncProducts[i%len(syncProducts)],
			},
		}},
	}
}

// syncBatch returns records lo to hi-1 of set s.
func syncBatch(s, lo, hi int) []*furrowv1.SyncRecord {
	out := make([]*furrowv1.SyncRecord, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, syncRecord(s, i))
	}
	return out
}
