package audit

import (
	"slices"
	"time"
)

// DefaultPolicy is the audit settings a new installation starts with.
func DefaultPolicy() Policy {
	return Policy{GreenChannelPercent: 50, ReopenGraceDays: 14, ActionsFrom: "HIGH",
		RootCauses:        []string{"PROCESS", "PEOPLE", "PRODUCT", "COMMUNICATION", "THIRD_PARTY", "CUSTOMER"},
		DetractorSeverity: "MEDIUM", ComplaintSeverity: "HIGH", WarningWindowDays: 30}
}

// Timing is what a case's event log says about its clock.
type Timing struct {
	Open     time.Time
	Severity string
	Green    bool
	Paused   bool       // waiting on the customer now
	Stopped  []Interval // waiting on the customer, and resolved before a reopen
	Resolved *time.Time // the latest resolve, when the case is resolved or closed now
}

// ReadTiming reads the clock's inputs from a case's events, in time order.
func ReadTiming(events []Event) Timing {
	var t Timing
	var pauseFrom, resolvedFrom *time.Time
	for _, e := range events {
		at := e.Time
		switch e.Kind {
		case EvOpened:
			t.Open, t.Severity, t.Green = at, e.Detail["severity"], e.Detail["green_channel"] == "true"
		case EvSeverity:
			t.Severity = e.Detail["to"]
		case EvGreenChannel:
			t.Green = e.Detail["on"] == "true"
		case EvPaused:
			pauseFrom = &at
		case EvResumed:
			if pauseFrom != nil {
				t.Stopped = append(t.Stopped, Interval{From: *pauseFrom, To: at})
				pauseFrom = nil
			}
		case EvState:
			switch e.Detail["to"] {
			case Resolved:
				resolvedFrom = &at
			case Investigating:
				if resolvedFrom != nil { // reopened: the clock ran not while it was resolved
					t.Stopped = append(t.Stopped, Interval{From: *resolvedFrom, To: at})
					resolvedFrom = nil
				}
			}
		}
	}
	if pauseFrom != nil {
		t.Paused = true
		t.Stopped = append(t.Stopped, Interval{From: *pauseFrom})
	}
	t.Resolved = resolvedFrom
	slices.SortFunc(t.Stopped, func(a, b Interval) int { return a.From.Compare(b.From) })
	return t
}

// Target returns the working time a case has to be resolved: the standard's target for
// its severity, shortened on the green channel.
func Target(std *Standard, severity string, green bool, pol Policy) time.Duration {
	d := time.Duration(std.Targets[severity]) * time.Hour
	if green {
		d = d * time.Duration(pol.GreenChannelPercent) / 100
	}
	return d
}

// Due derives a case's deadline from its timing: the target's working time after the
// case opened, on the department's calendar, not counting paused time. nil while the
// clock is stopped (waiting on the customer) or once resolved.
func Due(t Timing, std *Standard, cal *Calendar, pol Policy) *time.Time {
	if t.Paused || t.Resolved != nil {
		return nil
	}
	due, ok := cal.Deadline(t.Open, Target(std, t.Severity, t.Green, pol), t.Stopped)
	if !ok {
		return nil
	}
	return &due
}

// ResolvedWithin derives, for a resolved case, whether it was resolved within target
// and the working time it took (paused time excluded).
func ResolvedWithin(t Timing, std *Standard, cal *Calendar, pol Policy) (took time.Duration, within bool) {
	if t.Resolved == nil {
		return 0, false
	}
	took = cal.Elapsed(t.Open, *t.Resolved, t.Stopped)
	return took, took <= Target(std, t.Severity, t.Green, pol)
}
