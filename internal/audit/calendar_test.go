package audit

import (
	"testing"
	"time"
)

// office is Mon–Fri 09:00–12:00 and 13:00–18:00 in Shanghai (8 working hours a day),
// with 2026-10-01 and 2026-10-02 off.
func office(t *testing.T) *Calendar {
	t.Helper()
	day := []Span{{Start: 9 * 60, End: 12 * 60}, {Start: 13 * 60, End: 18 * 60}}
	c := &Calendar{TimeZone: "Asia/Shanghai", Hours: map[int][]Span{1: day, 2: day, 3: day, 4: day, 5: day},
		Holidays: []string{"2026-10-01", "2026-10-02"}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func sh(t *testing.T, s string) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDeadline(t *testing.T) {
	c := office(t)
	cases := []struct {
		name  string
		start string
		d     time.Duration
		pause []Interval
		want  string
	}{
		{"within the morning", "2026-09-28 09:30", 2 * time.Hour, nil, "2026-09-28 11:30"},
		{"over lunch", "2026-09-28 11:00", 2 * time.Hour, nil, "2026-09-28 14:00"},
		{"opened after hours starts next morning", "2026-09-28 20:00", time.Hour, nil, "2026-09-29 10:00"},
		{"friday evening to monday", "2026-09-25 17:00", 3 * time.Hour, nil, "2026-09-28 11:00"},
		{"over the holidays", "2026-09-30 17:00", 2 * time.Hour, nil, "2026-10-05 10:00"}, // Thu/Fri off, then the weekend
		{"exactly at the end of a span", "2026-09-28 09:00", 3 * time.Hour, nil, "2026-09-28 12:00"},
		{"a pause moves it", "2026-09-28 09:00", 4 * time.Hour,
			[]Interval{{From: sh(t, "2026-09-28 10:00"), To: sh(t, "2026-09-28 15:00")}}, "2026-09-28 18:00"}, // 1h, paused, then 15:00–18:00
	}
	for _, tc := range cases {
		got, ok := c.Deadline(sh(t, tc.start), tc.d, tc.pause)
		if !ok || !got.Equal(sh(t, tc.want)) {
			t.Errorf("%s: got %v (%v), want %s", tc.name, got.In(c.loc), ok, tc.want)
		}
	}
	// An open pause stops the clock: no deadline while waiting.
	if _, ok := c.Deadline(sh(t, "2026-09-28 09:00"), 4*time.Hour, []Interval{{From: sh(t, "2026-09-28 10:00")}}); ok {
		t.Error("a deadline while paused")
	}
	// 24×7.
	start := time.Date(2026, 9, 26, 23, 0, 0, 0, time.UTC)
	if got, ok := AlwaysOpen.Deadline(start, 4*time.Hour, []Interval{{From: start.Add(time.Hour), To: start.Add(3 * time.Hour)}}); !ok || !got.Equal(start.Add(6*time.Hour)) {
		t.Errorf("24x7 with a pause: %v", got)
	}
}

func TestElapsed(t *testing.T) {
	c := office(t)
	// Friday 17:00 to Monday 10:00 is two working hours.
	if got := c.Elapsed(sh(t, "2026-09-25 17:00"), sh(t, "2026-09-28 10:00"), nil); got != 2*time.Hour {
		t.Errorf("over the weekend: %v", got)
	}
	// Minus pauses covering 1.5 working hours (09:00–09:30, 11:30–12:00, 13:00–13:30).
	p := []Interval{{From: sh(t, "2026-09-28 09:00"), To: sh(t, "2026-09-28 09:30")}, {From: sh(t, "2026-09-28 11:30"), To: sh(t, "2026-09-28 13:30")}}
	if got := c.Elapsed(sh(t, "2026-09-28 09:00"), sh(t, "2026-09-28 18:00"), p); got != 6*time.Hour+30*time.Minute {
		t.Errorf("with pauses: %v, want 6h30m", got)
	}
	if got := AlwaysOpen.Elapsed(sh(t, "2026-09-25 17:00"), sh(t, "2026-09-28 10:00"), nil); got != 65*time.Hour {
		t.Errorf("24x7: %v", got)
	}
}

func TestCalendarValidate(t *testing.T) {
	bad := []Calendar{
		{TimeZone: "Mars/Olympus"},
		{Hours: map[int][]Span{7: {{Start: 0, End: 60}}}},
		{Hours: map[int][]Span{1: {{Start: 600, End: 540}}}},
		{Hours: map[int][]Span{1: {{Start: 540, End: 720}, {Start: 700, End: 800}}}},
		{Holidays: []string{"2026-13-01"}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("calendar %d accepted", i)
		}
	}
}

// TestDaylightSaving: working hours are wall-clock hours, also on the days the clocks
// change (Berlin: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00, both Sundays).
func TestDaylightSaving(t *testing.T) {
	day := []Span{{Start: 9 * 60, End: 17 * 60}}
	c := &Calendar{TimeZone: "Europe/Berlin", Hours: map[int][]Span{0: day, 1: day, 2: day, 3: day, 4: day, 5: day, 6: day}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		start time.Time // UTC
		want  time.Time // UTC
		d     time.Duration
	}{
		// 09:00 CEST is 07:00 UTC: two hours in, 11:00 CEST = 09:00 UTC.
		{"spring forward", time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 9, 0, 0, 0, time.UTC), 2 * time.Hour},
		// 09:00 CET is 08:00 UTC after the clocks go back: two hours in, 10:00 UTC.
		{"fall back", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 10, 0, 0, 0, time.UTC), 2 * time.Hour},
	} {
		got, ok := c.Deadline(tc.start, tc.d, nil)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("%s: deadline %v, want %v", tc.name, got.UTC(), tc.want)
		}
		// The whole working day is 8 hours either way.
		if e := c.Elapsed(tc.start, tc.start.Add(24*time.Hour), nil); e != 8*time.Hour {
			t.Errorf("%s: a working day of %v, want 8h", tc.name, e)
		}
	}
}
