package report

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkReport1M builds and writes the report over one million scored
// leads (five quarters, all in the period; rescored leads, a challenger,
// stages and rules answers included), starting from the in-memory tables.
func BenchmarkReport1M(b *testing.B) {
	pred, out := synthTables(b, synthSpec{leads: 1_000_000, seed: 11,
		quarters: []string{"2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"}, bias: 0.7, openShare: 0.2, extras: true})
	opts := Options{
		From:       time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC),
		To:         time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		TargetRate: 0.3,
	}
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for b.Loop() {
		r, err := Build(context.Background(), pred, out, opts)
		if err != nil {
			b.Fatal(err)
		}
		if r.Scored != 1_000_000 {
			b.Fatalf("scored %d leads, want 1000000", r.Scored)
		}
		if err := r.WriteDir(dir); err != nil {
			b.Fatal(err)
		}
	}
	// The machine is shared: CPU time (user + system, all threads) per
	// report says what wall time cannot.
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
