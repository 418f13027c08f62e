package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memPeak is the most memory this process used during a measured pass.
type memPeak struct {
	heap    uint64 // Go heap objects (live and not yet swept), sampled
	runtime uint64 // all memory the Go runtime held (heap, stacks, metadata; not what it returned to the OS), sampled
	rss     uint64 // resident set size: VmHWM, the kernel's exact peak, when it could be reset; else the sampled VmRSS
	hwm     bool   // whether rss is the kernel's peak since the pass started
}

// memWatch samples this process's memory until stopped.
type memWatch struct {
	stop chan struct{}
	done sync.WaitGroup
	peak memPeak
}

// watchMemory collects garbage and returns freed memory to the OS, so the pass starts
// from what is live, resets the kernel's peak RSS (VmHWM, by writing 5 to
// /proc/self/clear_refs), and samples the Go runtime's memory every interval until
// end (and the RSS too, when the kernel's peak could not be reset).
func watchMemory(interval time.Duration) *memWatch {
	runtime.GC()
	debug.FreeOSMemory()
	w := &memWatch{stop: make(chan struct{})}
	w.peak.hwm = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"}}
	sample := func() {
		metrics.Read(samples)
		if samples[0].Value.Kind() == metrics.KindUint64 {
			w.peak.heap = max(w.peak.heap, samples[0].Value.Uint64())
		}
		if samples[1].Value.Kind() == metrics.KindUint64 && samples[2].Value.Kind() == metrics.KindUint64 {
			w.peak.runtime = max(w.peak.runtime, samples[1].Value.Uint64()-samples[2].Value.Uint64())
		}
		if !w.peak.hwm { // else the kernel keeps the peak: reading /proc every tick would cost more than the metrics
			if st, err := procStatus(); err == nil {
				w.peak.rss = max(w.peak.rss, st["VmRSS"])
			}
		}
	}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			sample()
			select {
			case <-w.stop:
				sample()
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// end stops sampling and returns the peaks.
func (w *memWatch) end() memPeak {
	close(w.stop)
	w.done.Wait()
	p := w.peak
	if st, err := procStatus(); err == nil && p.hwm {
		p.rss = max(p.rss, st["VmHWM"])
	} else {
		p.hwm = false
	}
	return p
}

// procStatus returns the memory lines (Vm…) of /proc/self/status, in bytes.
func procStatus() (map[string]uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseStatus(bufio.NewScanner(f))
}

// parseStatus reads "VmHWM:   123 kB" lines.
func parseStatus(sc *bufio.Scanner) (map[string]uint64, error) {
	out := map[string]uint64{}
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Vm") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/self/status %s: %w", k, err)
		}
		out[k] = n * 1024
	}
	return out, sc.Err()
}

// mib formats a byte count in MiB.
func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
