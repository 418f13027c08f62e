package audit

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
)

// Report groupings.
const (
	ByDepartment = "DEPARTMENT"
	ByStandard   = "STANDARD"
	BySource     = "SOURCE"
)

// ReportRow is one group's figures for a period.
type ReportRow struct {
	Key        string
	Opened     int // opened in the period
	Closed     int // closed in the period
	OpenNow    int // OPEN or INVESTIGATING now
	OverdueNow int // of those, past their deadline now
	Reopened   int // reopens (inside the grace window) in the period
	Resolved   int // cases resolved in the period (each once, at its last resolve in it)
	// Median and P90 are the working time to resolve of the cases resolved in the
	// period, paused and resolved-before-reopen time excluded; nil when none. Per
	// department, the working time the department owned them.
	Median, P90 *time.Duration
	// WithinTarget counts the resolved cases that took no more than their target; per
	// department, those whose deadline did not pass while the department owned them.
	WithinTarget int
}

// Share returns WithinTarget / Resolved, or false when none was resolved.
func (r ReportRow) Share() (float64, bool) {
	if r.Resolved == 0 {
		return 0, false
	}
	return float64(r.WithinTarget) / float64(r.Resolved), true
}

// Report computes the figures per group for [start, end) (dates at 00:00 UTC) from the
// events in it, so a later event (a reopen, say) never changes a past period's figures:
// openings, closes and reopens in the period, each under the department responsible
// then; and for each case resolved in the period, its timeline up to its last resolve
// in it. Open and overdue counts are as of now, under the current department. Per
// department, a resolved case counts for every department that owned it, each with
// the working time of its ownership periods, and only the department on whose watch
// the deadline passed is outside target (see Resolution).
func (s *Service) Report(ctx context.Context, start, end time.Time, groupBy string) ([]ReportRow, error) {
	if !start.Before(end) {
		return nil, invalid("period", "start must be before end")
	}
	if !slices.Contains([]string{ByDepartment, ByStandard, BySource}, groupBy) {
		return nil, invalid("group_by", "must be DEPARTMENT, STANDARD or SOURCE")
	}
	cases, err := s.store.ReportAuditCases(ctx, start, end)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	ids := make([]uuid.UUID, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	events, err := s.store.AuditEventsOf(ctx, ids, end)
	if err != nil {
		return nil, err
	}
	pol, err := s.policy(ctx, s.store)
	if err != nil {
		return nil, err
	}
	stds := map[string]*Standard{}
	standard := func(id string) (*Standard, error) {
		if st, ok := stds[id]; ok {
			return st, nil
		}
		st, err := s.store.GetAuditStandard(ctx, id)
		if err != nil {
			return nil, err
		}
		stds[id] = st
		return st, nil
	}
	cals := calendars(ctx, s.store)
	rows := map[string]*ReportRow{}
	took := map[string][]time.Duration{}
	// key is c's group, with dept the department responsible at the moment counted.
	key := func(c *Case, dept string) string {
		switch groupBy {
		case ByStandard:
			return c.Standard
		case BySource:
			return c.Source
		}
		return dept
	}
	row := func(k string) *ReportRow {
		if rows[k] == nil {
			rows[k] = &ReportRow{Key: k}
		}
		return rows[k]
	}
	resolved := func(k string, d time.Duration, within bool) {
		r := row(k)
		r.Resolved++
		took[k] = append(took[k], d)
		if within {
			r.WithinTarget++
		}
	}
	for _, c := range cases {
		if c.State == Open || c.State == Investigating {
			r := row(key(c, c.Department))
			r.OpenNow++
			if c.Due != nil && c.Due.Before(now) {
				r.OverdueNow++
			}
		}
		es := events[c.ID] // before end
		owner, last := c.Department, -1
		for i, e := range es {
			switch e.Kind {
			case EvOpened:
				owner = cmpStr(e.Detail["department"], c.Department)
			case EvReassigned:
				owner = cmpStr(e.Detail["to_department"], owner)
			}
			if e.Time.Before(start) {
				continue
			}
			switch {
			case e.Kind == EvOpened:
				row(key(c, owner)).Opened++
			case e.Kind != EvState:
			case e.Detail["reopen"] != "":
				row(key(c, owner)).Reopened++
			case e.Detail["to"] == Closed:
				row(key(c, owner)).Closed++
			case e.Detail["to"] == Resolved:
				last = i
			}
		}
		if last < 0 {
			continue
		}
		// The case as it stood at its last resolve in the period.
		t := ReadTiming(es[:last+1])
		std, err := standard(c.Standard)
		if err != nil {
			return nil, fmt.Errorf("standard %s of %s: %w", c.Standard, CaseName(c.ID), err)
		}
		d, within, shares, err := Resolution(t, Target(std, t.Severity, t.Green, *pol), cals, c.Department)
		if err != nil {
			return nil, err
		}
		if groupBy != ByDepartment {
			resolved(key(c, ""), d, within)
			continue
		}
		for _, sh := range shares {
			resolved(sh.Department, sh.Worked, !sh.Breached)
		}
	}
	out := make([]ReportRow, 0, len(rows))
	for k, r := range rows {
		ds := took[k]
		if len(ds) > 0 {
			slices.Sort(ds)
			m := median(ds)
			p := ds[int(math.Ceil(0.9*float64(len(ds))))-1] // nearest rank
			r.Median, r.P90 = &m, &p
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}
