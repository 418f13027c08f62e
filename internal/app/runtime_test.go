package app

import (
	"runtime/debug"
	"testing"
)

func TestTuneRuntime(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "")
	if got := TuneRuntime(); got != "400" {
		t.Errorf("TuneRuntime() = %q without GOGC, want 400", got)
	}
	if p := debug.SetGCPercent(100); p != GCPercent {
		t.Errorf("GC percent %d without GOGC, want %d", p, GCPercent)
	}
	t.Setenv("GOGC", "150")
	if got := TuneRuntime(); got != "150" {
		t.Errorf("TuneRuntime() = %q with GOGC=150", got)
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GC percent %d with GOGC set, want it left alone (100)", p)
	}
}
