package data

import (
	"fmt"
	"strconv"
	"time"
)

// Quarter returns the calendar quarter, in UTC, of a time in microseconds
// since the epoch, formatted as "2026Q3".
func Quarter(micros int64) string {
	t := time.UnixMicro(micros).UTC()
	return fmt.Sprintf("%04dQ%d", t.Year(), (int(t.Month())-1)/3+1)
}

// ParseQuarter parses "2026Q3" (also "2026q3" and "2026-Q3") into its year
// and quarter number 1..4.
func ParseQuarter(q string) (year, quarter int, err error) {
	bad := func() (int, int, error) {
		return 0, 0, fmt.Errorf("quarter %q: want YYYYQn, e.g. 2026Q3", truncate(q))
	}
	if len(q) != 6 && len(q) != 7 {
		return bad()
	}
	rest := q[4:]
	if len(rest) == 3 {
		if rest[0] != '-' {
			return bad()
		}
		rest = rest[1:]
	}
	if rest[0] != 'Q' && rest[0] != 'q' || rest[1] < '1' || rest[1] > '4' {
		return bad()
	}
	for _, c := range q[:4] {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	year, _ = strconv.Atoi(q[:4])
	return year, int(rest[1] - '0'), nil
}

// QuarterBounds returns the first instant of quarter q and the first instant
// of the next quarter, both UTC: a time t is in q iff start <= t < end.
func QuarterBounds(q string) (start, end time.Time, err error) {
	year, n, err := ParseQuarter(q)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	start = time.Date(year, time.Month(3*(n-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 3, 0), nil
}
