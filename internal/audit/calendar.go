// Package audit is service supervision: service standards, audit cases raised against
// them with a green channel, resource dispatch and follow-to-the-end accountability, and
// deadlines derived from business-hours calendars and the case's event log.
package audit

import (
	"fmt"
	"slices"
	"time"
)

// Calendar is when a department works: spans of each weekday in its time zone, minus
// holidays. A calendar without spans is 24×7 (holidays do not apply then).
type Calendar struct {
	TimeZone string          `json:"time_zone"` // IANA name; "" is UTC
	Hours    map[int][]Span  `json:"hours"`     // time.Weekday → spans, in order
	Holidays []string        `json:"holidays"`  // YYYY-MM-DD in the calendar's zone
	loc      *time.Location  // resolved TimeZone
	off      map[string]bool // Holidays as a set
}

// Span is a working period of a day: minutes from local midnight, [Start, End).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Interval is [From, To) in time; To zero means still open.
type Interval struct {
	From, To time.Time
}

// AlwaysOpen is the 24×7 calendar.
var AlwaysOpen = Calendar{}

// Validate checks c and prepares it for use.
func (c *Calendar) Validate() error {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return fmt.Errorf("unknown time zone %q", c.TimeZone)
	}
	c.loc = loc
	for wd, spans := range c.Hours {
		if wd < 0 || wd > 6 {
			return fmt.Errorf("weekday %d is not 0 (Sunday) to 6 (Saturday)", wd)
		}
		for i, s := range spans {
			if s.Start < 0 || s.End > 24*60 || s.Start >= s.End {
				return fmt.Errorf("%s span %d: start and end must be minutes in the day with start before end", time.Weekday(wd), i)
			}
			if i > 0 && s.Start < spans[i-1].End {
				return fmt.Errorf("%s spans overlap or are out of order", time.Weekday(wd))
			}
		}
	}
	c.off = map[string]bool{}
	for _, h := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return fmt.Errorf("holiday %q is not a YYYY-MM-DD date", h)
		}
		c.off[h] = true
	}
	return nil
}

func (c *Calendar) ready() {
	if c.loc == nil {
		if err := c.Validate(); err != nil {
			c.loc, c.off = time.UTC, map[string]bool{}
		}
	}
}

func (c *Calendar) always() bool {
	for _, s := range c.Hours {
		if len(s) > 0 {
			return false
		}
	}
	return true
}

// windows calls fn with the calendar's working windows that end after from, in order,
// until fn returns false. It gives up after ten years of calendar without a window.
func (c *Calendar) windows(from time.Time, fn func(w Interval) bool) {
	c.ready()
	if c.always() {
		fn(Interval{From: from, To: time.Time{}})
		return
	}
	local := from.In(c.loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, c.loc)
	for i := 0; i < 3660; i++ {
		d := day.AddDate(0, 0, i)
		if !c.off[d.Format(time.DateOnly)] {
			for _, s := range c.Hours[int(d.Weekday())] {
				// Wall-clock times of that day: midnight plus minutes would be an hour off
				// on the days daylight saving starts or ends.
				w := Interval{From: time.Date(d.Year(), d.Month(), d.Day(), 0, s.Start, 0, 0, c.loc),
					To: time.Date(d.Year(), d.Month(), d.Day(), 0, s.End, 0, 0, c.loc)}
				if !w.To.After(from) {
					continue
				}
				if w.From.Before(from) {
					w.From = from
				}
				if !fn(w) {
					return
				}
			}
		}
	}
}

// minusPauses splits w around the paused intervals (sorted, not overlapping).
func minusPauses(w Interval, paused []Interval) []Interval {
	out := []Interval{w}
	for _, p := range paused {
		var next []Interval
		for _, x := range out {
			// x minus p.
			pTo := p.To
			if pTo.IsZero() {
				pTo = time.Unix(1<<40, 0) // open pause: until the far future
			}
			xTo := x.To
			if xTo.IsZero() {
				xTo = time.Unix(1<<41, 0)
			}
			if !p.From.Before(xTo) || !pTo.After(x.From) {
				next = append(next, x)
				continue
			}
			if p.From.After(x.From) {
				next = append(next, Interval{From: x.From, To: p.From})
			}
			if pTo.Before(xTo) {
				rest := Interval{From: pTo, To: x.To}
				next = append(next, rest)
			}
		}
		out = next
	}
	return out
}

// Deadline returns the moment d of working time after start has elapsed, not counting
// paused time. ok is false when it cannot be reached: a pause is still open, or the
// calendar has no working time.
func (c *Calendar) Deadline(start time.Time, d time.Duration, paused []Interval) (due time.Time, ok bool) {
	left := d
	c.windows(start, func(w Interval) bool {
		for _, x := range minusPauses(w, paused) {
			if x.To.IsZero() { // open-ended (24×7 after the last pause)
				due, ok = x.From.Add(left), true
				return false
			}
			if span := x.To.Sub(x.From); span >= left {
				due, ok = x.From.Add(left), true
				return false
			} else {
				left -= span
			}
		}
		return true
	})
	if ok && slices.ContainsFunc(paused, func(p Interval) bool { return p.To.IsZero() && !p.From.After(due) }) {
		return time.Time{}, false // the clock stopped before the deadline
	}
	return due, ok
}

// Elapsed returns the working time between from and to, not counting paused time.
func (c *Calendar) Elapsed(from, to time.Time, paused []Interval) time.Duration {
	if !to.After(from) {
		return 0
	}
	var total time.Duration
	c.windows(from, func(w Interval) bool {
		if w.To.IsZero() || w.To.After(to) {
			w.To = to
		}
		if !w.From.Before(to) {
			return false
		}
		for _, x := range minusPauses(w, paused) {
			if x.To.IsZero() {
				x.To = to
			}
			if x.To.After(x.From) {
				total += x.To.Sub(x.From)
			}
		}
		return w.To.Before(to)
	})
	return total
}
