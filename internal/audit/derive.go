package audit

import (
	"slices"
	"time"
)

// DefaultPolicy is the audit settings a new installation starts with.
func DefaultPolicy() Policy {
	return Policy{GreenChannelPercent: 50, ReopenGraceDays: 14, ActionsFrom: "HIGH", PersonFrom: "CRITICAL",
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
	// Owners are the responsible departments' ownership periods, oldest first: the
	// department the case opened with, then one per reassignment to another department.
	Owners []Ownership
}

// Ownership is a period a department was responsible for a case: [From, To), To zero
// while it still is.
type Ownership struct {
	Department string
	From, To   time.Time
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
			t.Owners = []Ownership{{Department: e.Detail["department"], From: at}}
		case EvReassigned:
			if to := e.Detail["to_department"]; to != "" && len(t.Owners) > 0 && to != t.Owners[len(t.Owners)-1].Department {
				t.Owners[len(t.Owners)-1].To = at
				t.Owners = append(t.Owners, Ownership{Department: to, From: at})
			}
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

// owners returns the ownership periods, or one period of dept from the opening when
// the log does not name the department (cases opened before it did).
func (t Timing) owners(dept string) []Ownership {
	if len(t.Owners) == 0 || t.Owners[0].Department == "" {
		return []Ownership{{Department: dept, From: t.Open}}
	}
	return t.Owners
}

// Calendars returns a department's calendar.
type Calendars func(department string) (*Calendar, error)

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
// case opened, not counting stopped time, counted on each owning department's calendar
// for the time it owned the case (a reassignment hands on what is left of the target,
// it does not restart it). dept is the responsible department for logs that do not
// name it. nil while the clock is stopped (waiting on the customer) or once resolved.
func Due(t Timing, target time.Duration, cals Calendars, dept string) (*time.Time, error) {
	if t.Paused || t.Resolved != nil {
		return nil, nil
	}
	owners := t.owners(dept)
	left := target
	for i, o := range owners {
		cal, err := cals(o.Department)
		if err != nil {
			return nil, err
		}
		// The deadline falls in this period when it is the last one or the target ran
		// out in it (an earlier owner let the case go overdue).
		if i < len(owners)-1 {
			if used := cal.Elapsed(o.From, o.To, t.Stopped); used < left {
				left -= used
				continue
			}
		}
		due, ok := cal.Deadline(o.From, left, t.Stopped)
		if !ok {
			return nil, nil
		}
		return &due, nil
	}
	return nil, nil
}

// Share is one department's part in a resolved case: the working time it owned the
// case (on its calendar, stopped time excluded) and whether the deadline passed while
// it did. Of a case's shares, at most one is Breached, and the Worked add up to the
// case's time to resolve.
type Share struct {
	Department string
	Worked     time.Duration
	Breached   bool
}

// Resolution derives, for a resolved case, the working time it took to its latest
// resolve (stopped time excluded), whether that is within target, and each owning
// department's share, in the order they first owned it.
func Resolution(t Timing, target time.Duration, cals Calendars, dept string) (took time.Duration, within bool, shares []Share, err error) {
	if t.Resolved == nil {
		return 0, false, nil, nil
	}
	end := *t.Resolved
	at := map[string]int{}
	for _, o := range t.owners(dept) {
		to := o.To
		if to.IsZero() || to.After(end) {
			to = end
		}
		cal, err := cals(o.Department)
		if err != nil {
			return 0, false, nil, err
		}
		w := cal.Elapsed(o.From, to, t.Stopped)
		i, ok := at[o.Department]
		if !ok {
			i, at[o.Department] = len(shares), len(shares)
			shares = append(shares, Share{Department: o.Department})
		}
		shares[i].Worked += w
		if took <= target && took+w > target {
			shares[i].Breached = true // the deadline passed on its watch
		}
		took += w
	}
	return took, took <= target, shares, nil
}
