package gbdt_test

import (
	"context"
	"runtime"
	"syscall"
	"testing"

	"leadscore/train/gbdt"
	"leadscore/train/gbdt/gbdttest"
)

// BenchmarkTrain1Mx40 trains 100 rounds on gbdttest.SyntheticMatrix(1e6, 1)
// (the peers' data: train/gbdt/testdata/peers_bench.py), depth 6 and 31
// leaves, and reports seconds per run, the process CPU seconds per run
// (steadier than wall time on a shared machine) and the peak live heap.
func BenchmarkTrain1Mx40(b *testing.B) { benchmarkTrain(b, 1_000_000, 100) }

// BenchmarkTrain200kx40 is a quicker proxy for BenchmarkTrain1Mx40: 20
// rounds on gbdttest.SyntheticMatrix(200_000, 1).
func BenchmarkTrain200kx40(b *testing.B) { benchmarkTrain(b, 200_000, 20) }

func benchmarkTrain(b *testing.B, rows, rounds int) {
	feats, ds := gbdttest.SyntheticMatrix(rows, 1)
	for _, c := range []struct {
		name string
		cfg  gbdt.Config
	}{
		{"depth6", gbdt.Config{Rounds: rounds, MaxDepth: 6, Seed: 1}},
		{"leaves31", gbdt.Config{Rounds: rounds, MaxLeaves: 31, Seed: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var peak uint64
			cpu0 := cpuSeconds(b)
			for b.Loop() {
				runtime.GC()
				stop := watchHeap(&peak)
				if _, _, err := gbdt.Train(context.Background(), feats, ds, nil, c.cfg, nil); err != nil {
					b.Fatal(err)
				}
				stop()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
			b.ReportMetric((cpuSeconds(b)-cpu0)/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// cpuSeconds returns the user and system CPU time of the process so far.
func cpuSeconds(b *testing.B) float64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}
