package synth

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultLeads    = 50_000
	DefaultQuarters = 8
	// MaxLeads keeps lead ids at 7 digits ("L0000001").
	MaxLeads = 9_999_999
	// MaxQuarters bounds the history to ten years.
	MaxQuarters = 40
)

// DefaultEnd is the default Config.End: the newest complete quarter of the
// history is 2026Q3.
var DefaultEnd = time.Date(2026, time.October, 1, 0, 0, 0, 0, time.UTC)

// Config configures Generate. A zero field means the default documented on
// it; Seed has no default.
type Config struct {
	// Leads is the number of leads. Default DefaultLeads (50,000); at most
	// MaxLeads.
	Leads int
	// Quarters is the number of calendar quarters of history, ending at
	// End. Default DefaultQuarters (8); at most MaxQuarters.
	Quarters int
	// Seed drives every random choice. It is always used as given: 0 is a
	// seed like any other, and nothing falls back to the time or to global
	// state. One seed (with one Leads, Quarters and End) gives identical
	// tables.
	Seed uint64
	// End is the end of the newest quarter and the moment the history is
	// exported: no event, close or cut-off lies at or after it, and leads
	// that have not closed by then are "open". It must be the first instant
	// of a calendar quarter in UTC. Default DefaultEnd (2026-10-01T00:00:00Z).
	End time.Time
	// Workers is the number of goroutines. Default runtime.GOMAXPROCS(0).
	// It never changes the output.
	Workers int
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	if c.Leads == 0 {
		c.Leads = DefaultLeads
	}
	if c.Quarters == 0 {
		c.Quarters = DefaultQuarters
	}
	if c.End.IsZero() {
		c.End = DefaultEnd
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Validate reports every invalid field, one per line. Zero fields are
// valid: they mean the default.
func (c Config) Validate() error {
	var errs []error
	if c.Leads < 0 || c.Leads > MaxLeads {
		errs = append(errs, fmt.Errorf("synth: Leads %d must be in [1, %d] (0 means %d)", c.Leads, MaxLeads, DefaultLeads))
	}
	if c.Quarters < 0 || c.Quarters > MaxQuarters {
		errs = append(errs, fmt.Errorf("synth: Quarters %d must be in [1, %d] (0 means %d)", c.Quarters, MaxQuarters, DefaultQuarters))
	}
	if !c.End.IsZero() && !isQuarterStart(c.End) {
		errs = append(errs, fmt.Errorf("synth: End %s must be the first instant of a calendar quarter in UTC, e.g. 2026-10-01T00:00:00Z",
			c.End.Format(time.RFC3339Nano)))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("synth: Workers %d must be positive (0 means GOMAXPROCS)", c.Workers))
	}
	return errors.Join(errs...)
}

func isQuarterStart(t time.Time) bool {
	t = t.UTC()
	return t.Day() == 1 && (t.Month()-1)%3 == 0 &&
		t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// quarterStarts returns the n+1 boundaries of the n quarters ending at end,
// oldest first, in microseconds.
func quarterStarts(end time.Time, n int) []int64 {
	b := make([]int64, n+1)
	for i := 0; i <= n; i++ {
		b[i] = end.AddDate(0, -3*(n-i), 0).UnixMicro()
	}
	return b
}

// QuarterLabel returns the calendar quarter of t in UTC, e.g. "2026Q3".
func QuarterLabel(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%dQ%d", t.Year(), (int(t.Month())-1)/3+1)
}
