package main

import (
	"bufio"
	"context"
	"errors"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/health"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %v, want 0", got)
	}
}

func TestNextPageToken(t *testing.T) {
	body := `{"accounts":[{"name":"accounts/x","displayName":"nextPageToken"}],"nextPageToken":"ab\u002fc_-"}`
	if got, err := nextPageToken([]byte(body)); err != nil || got != "ab/c_-" {
		t.Errorf("nextPageToken = %q, %v; want ab/c_-", got, err)
	}
	if got, err := nextPageToken([]byte(`{"accounts":[]}`)); err != nil || got != "" {
		t.Errorf("nextPageToken of the last page = %q, %v; want empty", got, err)
	}
}

func TestPaging(t *testing.T) {
	var got []string
	o := paging(func(_ context.Context, token string) (string, error) {
		got = append(got, token)
		return "t" + string(rune('0'+len(got))), nil
	})
	for range 4 {
		if err := o(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"", "t1", "", "t3"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tokens sent = %q, want %q", got, want)
	}
}

func TestMeasureCountsErrors(t *testing.T) {
	var n atomic.Int64
	newOp := func() op {
		return func(context.Context) error {
			time.Sleep(time.Millisecond)
			if n.Add(1)%10 == 0 {
				return errors.New("boom")
			}
			return nil
		}
	}
	r, err := measure(context.Background(), 4, 20*time.Millisecond, 100*time.Millisecond, newOp, cpuMeter{})
	if err != nil {
		t.Fatal(err)
	}
	if r.requests == 0 || r.errors == 0 || r.errMsgs["boom"] != r.errors || !r.failed() {
		t.Errorf("requests %d, errors %d, messages %v, failed %v: want some of each, failed", r.requests, r.errors, r.errMsgs, r.failed())
	}
	if r.p50 < time.Millisecond || r.p99 < r.p50 || r.elapsed < 100*time.Millisecond {
		t.Errorf("p50 %v, p99 %v, elapsed %v", r.p50, r.p99, r.elapsed)
	}
}

func TestSyncRecordsAreDeterministicAndDistinct(t *testing.T) {
	a, b := syncBatch(0, 0, 50), syncBatch(0, 0, 50)
	seen := map[string]bool{}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			t.Fatalf("record %d differs between two generations", i)
		}
		acc := a[i].GetAccount()
		for _, k := range []string{a[i].GetExternalId(), acc.GetDisplayName(), acc.GetTaxId(), acc.GetDomain()} {
			if seen[k] {
				t.Fatalf("record %d repeats %q", i, k)
			}
			seen[k] = true
		}
	}
	if proto.Equal(syncRecord(0, 7), syncRecord(1, 7)) {
		t.Error("sets 0 and 1 generate the same record")
	}
}

func TestCheckOutcomes(t *testing.T) {
	recs := syncBatch(0, 0, 3)
	res := func(outcomes ...furrowv1.SyncOutcome) []*furrowv1.SyncResult {
		out := make([]*furrowv1.SyncResult, len(outcomes))
		for i, o := range outcomes {
			out[i] = &furrowv1.SyncResult{ExternalId: recs[i].GetExternalId(), Outcome: o}
		}
		return out
	}
	created, failed := furrowv1.SyncOutcome_SYNC_OUTCOME_CREATED, furrowv1.SyncOutcome_SYNC_OUTCOME_FAILED
	for _, c := range []struct {
		name    string
		results []*furrowv1.SyncResult
		want    int
	}{
		{"all as wanted", res(created, created, created), 0},
		{"one failed", res(created, failed, created), 1},
		{"missing results", res(created), 3},
	} {
		n := 0
		checkOutcomes(recs, c.results, created, func(k int, _ string) { n += k })
		if n != c.want {
			t.Errorf("%s: %d errors, want %d", c.name, n, c.want)
		}
	}
}

func TestStatementShape(t *testing.T) {
	var tr tracer
	for _, c := range []struct{ in, want string }{
		{"SAVEPOINT furrow_rec_17", "SAVEPOINT furrow_rec_N"},
		{`INSERT INTO "deals" ("id", "kind") VALUES ($1, $2), ($3, $4) RETURNING "id"`, "INSERT INTO deals (…) VALUES … RETURNING id"},
		{`SELECT "accounts"."id", "accounts"."name" FROM "accounts" WHERE "accounts"."id" IN ($1, $2, $3) LIMIT 2`, "SELECT … FROM accounts WHERE id IN (…) LIMIT N"},
		{`UPDATE "deals" SET "is_first" = $1 WHERE "deals"."id" = $2`, "UPDATE deals SET … WHERE id = ?"},
	} {
		if got := tr.shape(c.in); got != c.want {
			t.Errorf("shape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTenths(t *testing.T) {
	ds := make([]time.Duration, 20)
	for i := range ds {
		ds[i] = time.Duration(i/2+1) * time.Millisecond
	}
	if got, want := tenths(ds), "1 2 3 4 5 6 7 8 9 10 ms"; got != want {
		t.Errorf("tenths = %q, want %q", got, want)
	}
	if got, want := tenths(ds[:2]), "1 1 ms"; got != want {
		t.Errorf("tenths of 2 = %q, want %q", got, want)
	}
}

func TestGenHealth(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	d := genHealth(mrand.New(mrand.NewPCG(1, 2)), now, 500, 20000)
	if len(d.accounts) != 500 || len(d.signals) != 20000 {
		t.Fatalf("%d accounts, %d signals; want 500, 20000", len(d.accounts), len(d.signals))
	}
	if d.idle < 25 || d.idle > 150 || d.churned == 0 {
		t.Errorf("%d idle, %d churned accounts of 500: want about 75 idle and some churned", d.idle, d.churned)
	}
	perAccount := make([]int, len(d.accounts))
	perMeasure := map[string]int{}
	from := now.Add(-365 * healthDay).UnixMicro()
	// Value ranges in units, per measure.
	ranges := map[string][2]int64{"logins": {0, 20}, "content_read_rate": {0, 1}, "features_used": {0, 14}, "trust_rating": {1, 5}}
	for i, s := range d.signals {
		if i > 0 && s.at < d.signals[i-1].at {
			t.Fatalf("signal %d is before signal %d: want time order", i, i-1)
		}
		a := d.accounts[s.account]
		if a.weight == 0 {
			t.Fatalf("signal %d belongs to an idle account", i)
		}
		if s.at < from || s.at > a.end || s.at > now.UnixMicro() {
			t.Fatalf("signal %d at %v: outside the year before now or after its account stopped", i, time.UnixMicro(s.at).UTC())
		}
		m := healthMeasures[s.measure].key
		r, ok := ranges[m]
		if !ok {
			r = [2]int64{1, 1} // counted events: one each
		}
		if lo, hi := r[0]*1e6, r[1]*1e6; s.value < lo || s.value > hi {
			t.Fatalf("signal %d (%s) = %d micros, want %v units", i, m, s.value, r)
		}
		perAccount[s.account]++
		perMeasure[m]++
	}
	if len(perMeasure) != len(healthMeasures) {
		t.Errorf("measures used: %v, want all %d", perMeasure, len(healthMeasures))
	}
	if perMeasure["logins"] < perMeasure["trust_rating"]*5 {
		t.Errorf("logins %d, trust ratings %d: want logins far more frequent", perMeasure["logins"], perMeasure["trust_rating"])
	}
	slices.Sort(perAccount)
	if top, median := perAccount[len(perAccount)-1], perAccount[len(perAccount)/2]; top < 10*max(median, 1) {
		t.Errorf("busiest account %d signals, median %d: want a skew", top, median)
	}
	sum := 0.0
	for _, m := range healthMeasures {
		sum += m.share
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("measure shares sum to %v, want 1", sum)
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\tbench\nVmPeak:\t  3060 kB\nVmHWM:\t    1628 kB\nVmRSS:\t 1500 kB\nThreads:\t4\n"
	got, err := parseStatus(bufio.NewScanner(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if got["VmHWM"] != 1628*1024 || got["VmRSS"] != 1500*1024 || len(got) != 3 {
		t.Errorf("parseStatus = %v", got)
	}
}

func TestHealthMeasuresAreTheDefaultScorecards(t *testing.T) {
	var want []string
	for _, m := range health.DefaultScorecard().Definition.Measures {
		if !strings.HasPrefix(m.Source, "furrow.") && !slices.Contains(want, m.Source) { // derived sources are Furrow's own
			want = append(want, m.Source)
		}
	}
	var got []string
	for _, m := range healthMeasures {
		got = append(got, m.key)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("generated signal measures %v, the default scorecard reads %v", got, want)
	}
}

// A pass's ratio pairs each run with its round's baseline run: a round on a slow
// stretch of the machine is slow in both.
func TestMedianPassRatios(t *testing.T) {
	s := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	runs := []healthResult{{elapsed: s(3)}, {elapsed: s(2)}, {elapsed: s(2.2)}}
	p := medianPass("pass", runs, []time.Duration{s(1.5), s(0.8), s(1)})
	if p.elapsed != s(2.2) || p.name != "pass" {
		t.Errorf("median run = %v %q, want 2.2s", p.elapsed, p.name)
	}
	if want := []float64{2, 2.5, 2.2}; !slices.Equal(p.ratios, want) || p.ratio != 2.2 {
		t.Errorf("ratios = %v, median %v; want %v, median 2.2", p.ratios, p.ratio, want)
	}
}
