// Package ratelimit limits request rates per key with in-memory token buckets.
//
// State lives in the memory of one process: each server replica limits on its own,
// so with N replicas behind a load balancer a key may get up to N times the
// configured rate in total, and a restart refills every bucket. That is an
// accepted trade-off for protecting each replica; a cluster-wide quota would need
// shared state (such as the database) and is not what this package does.
//
// Memory stays bounded by activity: a bucket that has been idle long enough to be
// full again is indistinguishable from a new one, so it is dropped. Allow sweeps
// for such buckets at most once per [SweepInterval], in the calling goroutine;
// there are no background goroutines and nothing to close. The number of buckets
// kept is therefore about the number of keys seen within the last SweepInterval
// plus burst/rate. Callers should key by an authenticated identity (the verified
// API key's id), not by unverified input, so that the key space is not chosen by
// the client.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// SweepInterval is the least time between two sweeps for full buckets.
const SweepInterval = time.Minute

// Limiter holds one token bucket per key. Safe for concurrent use.
type Limiter struct {
	rate  float64 // tokens per second; <= 0 means unlimited
	burst float64 // bucket capacity
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64   // tokens at last
	last   time.Time // when tokens was computed
}

// New returns a limiter allowing rate requests per second with bursts of burst; a
// burst below 1 is treated as 1. A rate <= 0 (or NaN or +Inf) means unlimited: Allow
// always returns true. now may be nil, meaning time.Now; tests pass a fake clock.
func New(rate float64, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = 1
	}
	if math.IsNaN(rate) || math.IsInf(rate, 1) {
		rate = 0 // unlimited
	}
	return &Limiter{
		rate:    rate,
		burst:   float64(burst),
		now:     now,
		buckets: make(map[string]*bucket),
	}
}

// Allow takes a token for key. When none is left it returns false and how long
// until one is available; it does not take a token then.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l.rate <= 0 {
		return true, 0
	}
	now := l.now()

	l.mu.Lock()
	defer l.mu.Unlock()

	if l.lastSweep.IsZero() {
		l.lastSweep = now
	} else if now.Sub(l.lastSweep) >= SweepInterval {
		l.sweep(now)
	}

	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	} else {
		l.refill(b, now)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / l.rate * float64(time.Second)))
	return false, max(wait, 1)
}

// refill brings b up to date at now. A clock that goes backwards adds nothing.
func (l *Limiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Seconds()*l.rate)
		b.last = now
	}
}

// sweep drops the buckets that are full at now; Allow would recreate them full.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}
