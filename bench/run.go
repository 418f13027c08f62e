package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

const (
	// requestTimeout bounds one request, so a stuck call fails instead of hanging the run.
	requestTimeout = 30 * time.Second
	// maxErrorKinds is how many distinct error messages a scenario keeps.
	maxErrorKinds = 20
	// maxErrorRate is the share of failed requests above which a scenario fails.
	maxErrorRate = 0.001
)

// result is what one scenario measured.
type result struct {
	name, baseline string
	requests       int            // recorded requests, failed ones included
	errors         int            // failed requests
	errMsgs        map[string]int // failed requests by message (at most maxErrorKinds, then "other")
	elapsed        time.Duration  // from the end of the warm-up to the last recorded request's end
	p50, p99       time.Duration
	cpuSelf, cpuPG time.Duration // CPU used in the measured window by this process and by PostgreSQL
	cpuPGOK        bool          // whether cpuPG could be measured
}

// throughput is recorded requests per second.
func (r result) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// failed reports whether r has too many errors to be trusted.
func (r result) failed() bool {
	return r.requests == 0 || float64(r.errors) > maxErrorRate*float64(r.requests)
}

// topErrors returns up to n error messages, most frequent first.
func (r result) topErrors(n int) []string {
	msgs := slices.Collect(maps.Keys(r.errMsgs))
	slices.SortFunc(msgs, func(a, b string) int { return cmp.Compare(r.errMsgs[b], r.errMsgs[a]) })
	return msgs[:min(n, len(msgs))]
}

// workerLog is what one worker recorded.
type workerLog struct {
	latencies []time.Duration
	errors    int
	errMsgs   map[string]int
	end       time.Time
}

func (w *workerLog) fail(err error) {
	w.errors++
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if _, ok := w.errMsgs[msg]; !ok && len(w.errMsgs) >= maxErrorKinds {
		msg = "(other messages)"
	}
	w.errMsgs[msg]++
}

// measure runs workers closed-loop workers, each calling its own op (from newOp) back
// to back, for warmup and then duration. Requests started during the warm-up are not
// recorded; requests started before the end are, to their completion. CPU use is
// sampled with meter at the end of the warm-up and when the last worker stops.
func measure(ctx context.Context, workers int, warmup, duration time.Duration, newOp func() op, meter cpuMeter) (result, error) {
	start := time.Now()
	from, until := start.Add(warmup), start.Add(warmup+duration)
	logs := make([]workerLog, workers)
	var wg sync.WaitGroup
	for i := range logs {
		w := &logs[i]
		w.errMsgs = map[string]int{}
		do := newOp()
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(until) {
					break
				}
				rctx, cancel := context.WithTimeout(ctx, requestTimeout)
				err := do(rctx)
				cancel()
				d := time.Since(t0)
				if t0.Before(from) {
					continue
				}
				w.latencies = append(w.latencies, d)
				if err != nil {
					w.fail(err)
				}
			}
			w.end = time.Now()
		})
	}
	select {
	case <-time.After(time.Until(from)):
	case <-ctx.Done():
	}
	cpu0 := meter.sample(ctx)
	wg.Wait()
	cpu1 := meter.sample(ctx)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}

	r := result{
		errMsgs: map[string]int{},
		cpuSelf: cpu1.self - cpu0.self,
		cpuPG:   cpu1.pg - cpu0.pg,
		cpuPGOK: cpu0.pgOK && cpu1.pgOK,
	}
	var all []time.Duration
	end := from
	for _, w := range logs {
		all = append(all, w.latencies...)
		r.errors += w.errors
		for m, n := range w.errMsgs {
			r.errMsgs[m] += n
		}
		if w.end.After(end) {
			end = w.end
		}
	}
	slices.Sort(all)
	r.requests, r.elapsed = len(all), end.Sub(from)
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	return r, nil
}

// percentile returns the p-th quantile (nearest rank) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// printTable writes the results as a table. API scenarios are compared with their
// baseline, when it ran: by throughput and, when PostgreSQL's CPU could be measured,
// by CPU (this process's and PostgreSQL's) per request.
func printTable(w io.Writer, results []result) {
	byName := map[string]result{}
	for _, r := range results {
		byName[r.name] = r
	}
	const format = "%-14s %9v %7v %9v %9v %7v %9v %9v  %s\n"
	fmt.Fprintf(w, format, "scenario", "requests", "req/s", "p50", "p99", "errors", "cpu/req", "pg/req", "vs baseline")
	for _, r := range results {
		vs := ""
		if b, ok := byName[r.baseline]; ok && r.requests > 0 && b.requests > 0 {
			vs = times(b.throughput() / r.throughput())
			if r.cpuPGOK && b.cpuPGOK {
				vs += fmt.Sprintf(", cpu %.1fx", r.cpuPerRequest().Seconds()/b.cpuPerRequest().Seconds())
			}
		}
		pg := "-"
		if r.cpuPGOK {
			pg = perRequest(r.cpuPG, r.requests)
		}
		fmt.Fprintf(w, format, r.name, r.requests, fmt.Sprintf("%.0f", r.throughput()), ms(r.p50), ms(r.p99), r.errors,
			perRequest(r.cpuSelf, r.requests), pg, vs)
	}
}

// cpuPerRequest is the CPU time this process and PostgreSQL spent per request.
func (r result) cpuPerRequest() time.Duration {
	return (r.cpuSelf + r.cpuPG) / time.Duration(r.requests)
}

// times formats a cost ratio (how many times more than the baseline).
func times(ratio float64) string {
	if ratio >= 1 {
		return fmt.Sprintf("%.1fx slower", ratio)
	}
	return fmt.Sprintf("%.1fx faster", 1/ratio)
}

// perRequest formats CPU time d spread over n requests, in microseconds.
func perRequest(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)/float64(n))
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
