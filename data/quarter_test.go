package data_test

import (
	"testing"
	"time"

	"leadscore/data"
)

func TestQuarter(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2026Q1"},
		{time.Date(2026, 3, 31, 23, 59, 59, 999999000, time.UTC), "2026Q1"},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "2026Q2"},
		{time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC), "2026Q3"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2026Q4"},
		// 2026-10-01 01:00 in UTC+2 is still Q3 in UTC: quarters are UTC.
		{time.Date(2026, 10, 1, 1, 0, 0, 0, time.FixedZone("CEST", 7200)), "2026Q3"},
		{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), "1969Q4"},
	} {
		if got := data.Quarter(tc.t.UnixMicro()); got != tc.want {
			t.Errorf("Quarter(%v) = %s, want %s", tc.t, got, tc.want)
		}
	}
}

func TestQuarterBounds(t *testing.T) {
	for _, tc := range []struct {
		q          string
		start, end time.Time
	}{
		{"2026Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
		{"2026q4", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2017-Q1", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC)},
	} {
		s, e, err := data.QuarterBounds(tc.q)
		if err != nil || !s.Equal(tc.start) || !e.Equal(tc.end) {
			t.Errorf("QuarterBounds(%q) = %v, %v, %v; want %v, %v", tc.q, s, e, err, tc.start, tc.end)
		}
		// Round trip: both ends of the quarter map back to it.
		if q := data.Quarter(s.UnixMicro()); q[:4]+"Q"+q[5:] != q || q != tc.start.Format("2006")+"Q"+string(tc.q[len(tc.q)-1]) {
			t.Errorf("Quarter(start of %s) = %s", tc.q, q)
		}
		if q := data.Quarter(e.UnixMicro() - 1); q != data.Quarter(s.UnixMicro()) {
			t.Errorf("last µs of %s is in %s", tc.q, q)
		}
	}
	for _, bad := range []string{"", "2026", "2026Q5", "2026Q0", "26Q1", "2026 Q1", "2026-Q10", "20x6Q1", "2026_Q1"} {
		if _, _, err := data.QuarterBounds(bad); err == nil {
			t.Errorf("QuarterBounds(%q): no error", bad)
		}
	}
}
