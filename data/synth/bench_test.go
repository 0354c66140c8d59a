package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkGenerate measures a history of 1M leads (about 18M events).
// heap-sys-MiB is runtime.MemStats.HeapSys at the end, an upper bound on
// the peak heap; events/lead documents the size of the output.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1_000_000} {
		b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var h *History
			for b.Loop() {
				var err error
				h, err = Generate(context.Background(), Config{Leads: n, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
			b.ReportMetric(float64(h.Stats.Events)/float64(n), "events/lead")
		})
	}
}

// BenchmarkWriteDir measures writing a 1M-lead history (generated once,
// outside the timer) as three zstd Parquet files; MiB is their total size.
func BenchmarkWriteDir(b *testing.B) {
	h, err := Generate(context.Background(), Config{Leads: 1_000_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if err := h.WriteDir(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var size int64
	for _, f := range []string{LeadsFile, EventsFile, TruthFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB")
}
