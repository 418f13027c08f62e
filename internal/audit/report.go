package audit

import (
	"context"
	"errors"
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
	Resolved   int // resolved in the period (their latest resolve)
	// Median and P90 are the working time to resolve of the cases resolved in the
	// period, paused and resolved-before-reopen time excluded; nil when none.
	Median, P90 *time.Duration
	// WithinTarget counts the resolved cases that took no more than their target.
	WithinTarget int
}

// Share returns WithinTarget / Resolved, or false when none was resolved.
func (r ReportRow) Share() (float64, bool) {
	if r.Resolved == 0 {
		return 0, false
	}
	return float64(r.WithinTarget) / float64(r.Resolved), true
}

// Report computes the figures per group for cases in [start, end) (dates at 00:00 UTC).
// Open and overdue counts are as of now. A case counts under its responsible
// department (dispatched departments have their own tasks, not the case's clock).
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
	var resolvedIDs []uuid.UUID
	for _, c := range cases {
		if c.ResolveTime != nil && !c.ResolveTime.Before(start) && c.ResolveTime.Before(end) {
			resolvedIDs = append(resolvedIDs, c.ID)
		}
	}
	reopens, err := s.store.AuditReopens(ctx, start, end)
	if err != nil {
		return nil, err
	}
	events, err := s.store.AuditEventsOf(ctx, resolvedIDs)
	if err != nil {
		return nil, err
	}
	pol, err := s.policy(ctx, s.store)
	if err != nil {
		return nil, err
	}
	stds, cals := map[string]*Standard{}, map[string]*Calendar{}
	standard := func(id string) (*Standard, error) {
		if st, ok := stds[id]; ok {
			return st, nil
		}
		st, err := s.store.GetAuditStandard(ctx, id)
		stds[id] = st
		return st, err
	}
	calendar := func(id string) (*Calendar, error) {
		if c, ok := cals[id]; ok {
			return c, nil
		}
		d, err := s.store.GetAuditDepartment(ctx, id)
		if errors.Is(err, ErrNotFound) {
			cals[id] = &AlwaysOpen
			return cals[id], nil
		}
		if err != nil {
			return nil, err
		}
		cals[id] = &d.Calendar
		return cals[id], nil
	}
	rows := map[string]*ReportRow{}
	took := map[string][]time.Duration{}
	key := func(c *Case) string {
		switch groupBy {
		case ByStandard:
			return c.Standard
		case BySource:
			return c.Source
		}
		return c.Department
	}
	row := func(k string) *ReportRow {
		if rows[k] == nil {
			rows[k] = &ReportRow{Key: k}
		}
		return rows[k]
	}
	byID := map[uuid.UUID]*Case{}
	for _, c := range cases {
		byID[c.ID] = c
		r := row(key(c))
		in := func(t *time.Time) bool { return t != nil && !t.Before(start) && t.Before(end) }
		if in(&c.OpenTime) {
			r.Opened++
		}
		if in(c.CloseTime) {
			r.Closed++
		}
		if c.State == Open || c.State == Investigating {
			r.OpenNow++
			if c.Due != nil && c.Due.Before(now) {
				r.OverdueNow++
			}
		}
		if es, ok := events[c.ID]; ok {
			std, err := standard(c.Standard)
			if err != nil {
				return nil, fmt.Errorf("standard %s of %s: %w", c.Standard, CaseName(c.ID), err)
			}
			cal, err := calendar(c.Department)
			if err != nil {
				return nil, err
			}
			t := ReadTiming(es)
			if t.Resolved == nil {
				continue // reopened since: not resolved now
			}
			d, within := ResolvedWithin(t, std, cal, *pol)
			r.Resolved++
			took[r.Key] = append(took[r.Key], d)
			if within {
				r.WithinTarget++
			}
		}
	}
	for id, n := range reopens {
		if c := byID[id]; c != nil {
			row(key(c)).Reopened += n
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
