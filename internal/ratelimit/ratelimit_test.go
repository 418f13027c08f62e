package ratelimit

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a fake clock safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func allowN(t *testing.T, l *Limiter, key string, n int) {
	t.Helper()
	for i := range n {
		if ok, ra := l.Allow(key); !ok {
			t.Fatalf("%s: request %d denied (retryAfter %v)", key, i+1, ra)
		}
	}
}

func denied(t *testing.T, l *Limiter, key string) time.Duration {
	t.Helper()
	ok, ra := l.Allow(key)
	if ok {
		t.Fatalf("%s: allowed, want denied", key)
	}
	if ra <= 0 {
		t.Fatalf("%s: retryAfter %v, want > 0", key, ra)
	}
	return ra
}

func near(got, want time.Duration) bool {
	return math.Abs(float64(got-want)) <= float64(time.Microsecond)
}

func TestBurstThenDeny(t *testing.T) {
	c := newClock()
	l := New(2, 5, c.Now)
	allowN(t, l, "a", 5)
	ra := denied(t, l, "a")
	if !near(ra, 500*time.Millisecond) {
		t.Errorf("retryAfter = %v, want ≈ 1/rate = 500ms", ra)
	}
	// A denial takes nothing: still the same wait.
	if ra2 := denied(t, l, "a"); ra2 != ra {
		t.Errorf("second retryAfter = %v, want %v", ra2, ra)
	}
}

func TestRetryAfterPartial(t *testing.T) {
	c := newClock()
	l := New(10, 1, c.Now)
	allowN(t, l, "a", 1)
	c.Advance(30 * time.Millisecond) // 0.3 tokens
	if ra := denied(t, l, "a"); !near(ra, 70*time.Millisecond) {
		t.Errorf("retryAfter = %v, want ≈ 70ms", ra)
	}
	c.Advance(69 * time.Millisecond)
	denied(t, l, "a")
	c.Advance(time.Millisecond)
	allowN(t, l, "a", 1)
}

func TestRetryAfterIsEnough(t *testing.T) {
	c := newClock()
	l := New(3, 2, c.Now) // 1/3 s is not a whole number of nanoseconds
	allowN(t, l, "a", 2)
	for range 20 {
		ra := denied(t, l, "a")
		c.Advance(ra)
		allowN(t, l, "a", 1)
	}
}

func TestRefill(t *testing.T) {
	c := newClock()
	l := New(1, 3, c.Now)
	allowN(t, l, "a", 3)
	denied(t, l, "a")

	c.Advance(time.Second)
	allowN(t, l, "a", 1)
	denied(t, l, "a")

	c.Advance(2500 * time.Millisecond) // 2.5 tokens
	allowN(t, l, "a", 2)
	if ra := denied(t, l, "a"); !near(ra, 500*time.Millisecond) {
		t.Errorf("retryAfter = %v, want ≈ 500ms", ra)
	}

	// Refill stops at burst.
	c.Advance(time.Hour)
	allowN(t, l, "a", 3)
	denied(t, l, "a")
}

func TestKeysIndependent(t *testing.T) {
	c := newClock()
	l := New(1, 2, c.Now)
	allowN(t, l, "a", 2)
	denied(t, l, "a")
	allowN(t, l, "b", 2)
	denied(t, l, "b")
	c.Advance(time.Second)
	allowN(t, l, "a", 1)
	denied(t, l, "a")
	allowN(t, l, "b", 1)
}

func TestUnlimited(t *testing.T) {
	for _, rate := range []float64{0, -1, math.Inf(1), math.NaN()} {
		l := New(rate, 1, newClock().Now)
		for i := range 10000 {
			if ok, ra := l.Allow("a"); !ok || ra != 0 {
				t.Fatalf("rate %v: request %d = %v, %v", rate, i, ok, ra)
			}
		}
		if len(l.buckets) != 0 {
			t.Errorf("rate %v: %d buckets kept", rate, len(l.buckets))
		}
	}
}

func TestBurstAtLeastOne(t *testing.T) {
	l := New(1, 0, newClock().Now)
	allowN(t, l, "a", 1)
	denied(t, l, "a")
}

func TestClockBackwards(t *testing.T) {
	c := newClock()
	l := New(1, 1, c.Now)
	allowN(t, l, "a", 1)
	c.Advance(-time.Hour)
	denied(t, l, "a")
	c.Advance(time.Hour + time.Second)
	allowN(t, l, "a", 1)
}

func TestNilClock(t *testing.T) {
	l := New(1, 1, nil)
	allowN(t, l, "a", 1)
	if ra := denied(t, l, "a"); ra > time.Second {
		t.Errorf("retryAfter = %v", ra)
	}
}

func TestEviction(t *testing.T) {
	c := newClock()
	l := New(1, 10, c.Now) // a drained bucket is full again after 10 s
	allowN(t, l, "idle", 10)
	allowN(t, l, "slow", 1)
	for i := range 100 {
		allowN(t, l, "k"+strconv.Itoa(i), 1)
	}
	if n := len(l.buckets); n != 102 {
		t.Fatalf("%d buckets, want 102", n)
	}

	// Under a minute later no sweep has run yet, even though all buckets are full.
	c.Advance(SweepInterval - time.Second)
	allowN(t, l, "busy", 10)
	if n := len(l.buckets); n != 103 {
		t.Fatalf("%d buckets before the sweep interval, want 103", n)
	}

	// "busy" is drained just before the sweep and not yet full again.
	c.Advance(time.Second)
	allowN(t, l, "other", 1) // sweeps, then adds "other"
	if n := len(l.buckets); n != 2 {
		t.Fatalf("%d buckets after sweep, want 2 (busy, other): %v", n, keys(l))
	}
	if l.buckets["busy"] == nil || l.buckets["other"] == nil {
		t.Fatalf("wrong buckets kept: %v", keys(l))
	}
	// The state of a kept bucket is unchanged by the sweep: 1 s refilled one token.
	allowN(t, l, "busy", 1)
	denied(t, l, "busy")

	// An evicted key starts full again, as if it had never been evicted.
	allowN(t, l, "idle", 10)
	denied(t, l, "idle")

	// Everything idle for long enough goes at the next sweep.
	c.Advance(SweepInterval)
	l.Allow("x")
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets, want 1: %v", n, keys(l))
	}
}

func TestEvictionKeepsSlowBuckets(t *testing.T) {
	c := newClock()
	l := New(0.001, 1, c.Now) // one token per 1000 s
	allowN(t, l, "a", 1)
	for range 10 {
		c.Advance(SweepInterval)
		l.Allow("b")
		if l.buckets["a"] == nil {
			t.Fatal("bucket evicted before it was full")
		}
		// Not refilled yet: evicting it would have handed out a free token.
	}
	denied(t, l, "a")
	c.Advance(1000 * time.Second)
	l.Allow("b")
	if l.buckets["a"] != nil {
		t.Fatal("full bucket kept")
	}
}

func keys(l *Limiter) []string {
	var ks []string
	for k := range l.buckets {
		ks = append(ks, k)
	}
	return ks
}

func TestConcurrent(t *testing.T) {
	c := newClock()
	const burst = 100
	l := New(1, burst, c.Now)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				if ok, _ := l.Allow("shared"); ok {
					allowed.Add(1)
				}
				l.Allow("own" + strconv.Itoa(g))
				if g == 0 && i%10 == 0 {
					c.Advance(SweepInterval) // forces sweeps while others run
				}
			}
		})
	}
	wg.Wait()
	// The clock moved 5 minutes: at most burst + 300 tokens for "shared".
	if n := allowed.Load(); n < burst || n > burst+300 {
		t.Errorf("allowed %d", n)
	}

	// With a frozen clock exactly burst requests get through.
	l = New(1, burst, c.Now)
	allowed.Store(0)
	for range 16 {
		wg.Go(func() {
			for range 50 {
				if ok, _ := l.Allow("shared"); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != burst {
		t.Errorf("frozen clock: allowed %d, want %d", n, burst)
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(1e9, 1000, nil)
	for b.Loop() {
		l.Allow("key")
	}
}

func BenchmarkAllowParallel(b *testing.B) {
	l := New(1e9, 1000, nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "fw_key" + strconv.Itoa(i)
	}
	var seq atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		for pb.Next() {
			l.Allow(keys[i%len(keys)])
			i++
		}
	})
}
