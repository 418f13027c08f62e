package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
