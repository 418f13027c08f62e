package app

import (
	"os"
	"runtime/debug"
	"strconv"
)

// GCPercent is the garbage collector's target the server runs with unless GOGC is set.
// Furrow's live heap is small (tens of MiB) and most of what it allocates is
// short-lived (decoded rows, request and response messages), so letting the heap grow
// to 5x the live data before a collection instead of 2x cuts the collector's CPU: a
// fifth off a first health recompute of 100,000 accounts, for a peak of about 110 MiB
// (docs/performance.md).
const GCPercent = 400

// TuneRuntime applies GCPercent unless the environment sets GOGC, and reports the
// setting in force ("400", or GOGC's value).
func TuneRuntime() string {
	if v := os.Getenv("GOGC"); v != "" {
		return v // the runtime read it at start
	}
	debug.SetGCPercent(GCPercent)
	return strconv.Itoa(GCPercent)
}
