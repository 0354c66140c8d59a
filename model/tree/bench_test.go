package tree_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"leadscore/model/tree"
)

// benchForest is 300 complete depth-6 trees over 40 features, a quarter
// of the splits categorical, like a trained lead-scoring model, with
// random thresholds (about 470 distinct ones per numeric feature).
func benchForest(b *testing.B) (*tree.Forest, []float64) { return benchForestBins(b, 0) }

// benchForestBins is benchForest with, when bins > 0, every threshold
// snapped to one of bins histogram-bin edges per feature (as a trainer
// that bins features produces: at most bins distinct thresholds per
// feature, each shared by several splits).
func benchForestBins(b *testing.B, bins int) (*tree.Forest, []float64) {
	rng := rand.New(rand.NewPCG(21, 22))
	snap := func(t float64) float64 { return t }
	if bins > 0 {
		// Edges at the normal quantiles k/(bins+1), approximated by
		// rounding a normal draw to a grid of bins cells over [-3, 3].
		snap = func(t float64) float64 {
			w := 6 / float64(bins)
			return math.Round(min(max(t, -3), 3)/w) * w
		}
	}
	const d = 40
	trees := make([]tree.Tree, 300)
	for i := range trees {
		var t tree.Tree
		var grow func(level int) int
		grow = func(level int) int {
			if level == 6 {
				t.Leaves = append(t.Leaves, rng.NormFloat64())
				t.LeafCover = append(t.LeafCover, 1+rng.Float64())
				return ^(len(t.Leaves) - 1)
			}
			k := len(t.Nodes)
			f := rng.IntN(d)
			n := tree.Node{Feature: f, MissingLeft: rng.IntN(2) == 0, Threshold: snap(rng.NormFloat64()), Cover: 1}
			if f%4 == 1 {
				n.Categorical, n.Threshold, n.Categories = true, 0, []uint64{rng.Uint64()}
			}
			t.Nodes = append(t.Nodes, n)
			l := grow(level + 1)
			r := grow(level + 1)
			t.Nodes[k].Left, t.Nodes[k].Right = l, r
			return k
		}
		grow(0)
		trees[i] = t
	}
	f, err := tree.NewForest(d, -1.5, trees)
	if err != nil {
		b.Fatal(err)
	}
	const rows = 4096
	X := make([]float64, rows*d)
	for r := range rows {
		randomRow(rng, X[r*d:(r+1)*d])
		for j := 1; j < d; j += 4 { // categorical codes for the categorical features
			X[r*d+j] = float64(rng.IntN(64))
		}
	}
	return f, X
}

func BenchmarkForestMargin(b *testing.B) { benchmarkMargin(b, (*tree.Forest).Margin, false) }

func BenchmarkForestMargins(b *testing.B) { benchmarkMargins(b, (*tree.Forest).Margins, false) }

// benchmarkMargin scores one row per iteration, cycling through the rows,
// on benchForest or, with legacy, on its Legacy copy.
func benchmarkMargin(b *testing.B, margin func(*tree.Forest, []float64) float64, legacy bool) {
	variant := func(f *tree.Forest) *tree.Forest { return f }
	if legacy {
		variant = (*tree.Forest).Legacy
	}
	benchmarkMarginOf(b, margin, variant)
}

// benchmarkMarginOf is benchmarkMargin on variant(benchForest), and
// reports the CPU time per row too.
func benchmarkMarginOf(b *testing.B, margin func(*tree.Forest, []float64) float64, variant func(*tree.Forest) *tree.Forest) {
	f, X := benchForest(b)
	f = variant(f)
	d := f.NumFeatures()
	rows := len(X) / d
	b.ReportAllocs()
	i := 0
	s := 0.0
	cpu0 := cpuTime()
	for b.Loop() {
		s += margin(f, X[i*d:(i+1)*d])
		i = (i + 1) % rows
	}
	_ = s
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// The time per row by this process's CPU time, which the other
		// processes on a shared machine do not inflate.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkForestMarginsBatch100 is BenchmarkForestMargins in calls of
// 100 rows, a PredictBatch of 100 leads: two blocks, which the group
// kernel scores.
func BenchmarkForestMarginsBatch100(b *testing.B) {
	f, X := benchForest(b)
	d := f.NumFeatures()
	rows := len(X) / d
	const batch = 100
	dst := make([]float64, batch)
	b.ReportAllocs()
	cpu0 := cpuTime()
	r0 := 0
	for b.Loop() {
		if r0+batch > rows {
			r0 = 0
		}
		f.Margins(dst, X[r0*d:(r0+batch)*d], batch)
		r0 += batch
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(batch*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
}

// BenchmarkForestMarginsBinned is BenchmarkForestMargins on a forest
// whose thresholds take 255 values per feature (benchForestBins).
func BenchmarkForestMarginsBinned(b *testing.B) {
	benchmarkMarginsOn(b, benchForestBins, 255, (*tree.Forest).Margins, false)
}

// BenchmarkForestMarginsBinnedLegacy is BenchmarkForestMarginsBinned on
// the scorer the block layout replaced, the peer to compare with.
func BenchmarkForestMarginsBinnedLegacy(b *testing.B) {
	benchmarkMarginsOn(b, benchForestBins, 255, (*tree.Forest).Margins, true)
}

// benchmarkMargins scores every row per iteration and reports rows/s,
// by the wall clock and by the process's CPU time, on benchForest or,
// with legacy, on its Legacy copy.
func benchmarkMargins(b *testing.B, margins func(f *tree.Forest, dst, X []float64, rows int), legacy bool) {
	benchmarkMarginsOn(b, benchForestBins, 0, margins, legacy)
}

// benchmarkMarginsOn is benchmarkMargins on the forest forest(b, bins).
func benchmarkMarginsOn(b *testing.B, forest func(*testing.B, int) (*tree.Forest, []float64), bins int,
	margins func(f *tree.Forest, dst, X []float64, rows int), legacy bool) {
	f, X := forest(b, bins)
	if legacy {
		f = f.Legacy()
	}
	rows := len(X) / f.NumFeatures()
	dst := make([]float64, rows)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		margins(f, dst, X, rows)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// The same rate per second of this process's CPU time: the
		// other engineers' processes on the shared cores do not count.
		b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
}

func BenchmarkSHAP(b *testing.B) {
	f, X := benchForest(b)
	d := f.NumFeatures()
	rows := len(X) / d
	phi := make([]float64, d)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.SHAP(X[i*d:(i+1)*d], phi)
		i = (i + 1) % rows
	}
}

// BenchmarkForestMarginRef is BenchmarkForestMargin on the reference walk,
// the baseline to compare with in the same run.
func BenchmarkForestMarginRef(b *testing.B) { benchmarkMargin(b, (*tree.Forest).MarginRef, false) }

// BenchmarkForestMarginsRef is BenchmarkForestMargins on the reference
// walk, the baseline to compare with in the same run.
func BenchmarkForestMarginsRef(b *testing.B) { benchmarkMargins(b, (*tree.Forest).MarginsRef, false) }

// BenchmarkForestCodeRow is the part of BenchmarkForestMargin spent
// coding the row for the compact layout.
func BenchmarkForestCodeRow(b *testing.B) {
	f, X := benchForest(b)
	d := f.NumFeatures()
	rows := len(X) / d
	codes := make([]uint64, 1<<16)
	slots, i := 0, 0
	for b.Loop() {
		slots = f.CodeRow(codes, X[i*d:(i+1)*d])
		i = (i + 1) % rows
	}
	b.ReportMetric(float64(slots), "slots")
}

// BenchmarkForestMarginsLegacy is BenchmarkForestMargins on the scorer
// the block layout replaced (Forest.Legacy), the peer to compare with in
// the same run.
func BenchmarkForestMarginsLegacy(b *testing.B) {
	benchmarkMargins(b, func(f *tree.Forest, dst, X []float64, rows int) { f.Margins(dst, X, rows) }, true)
}

// BenchmarkForestMarginLegacy is BenchmarkForestMargin on the scorer
// the grid index and the assembly kernels replaced (Forest.Legacy), the
// peer to compare with in the same run.
func BenchmarkForestMarginLegacy(b *testing.B) {
	benchmarkMargin(b, (*tree.Forest).Margin, true)
}

// BenchmarkForestMarginScalar is BenchmarkForestMargin without the
// assembly kernels (Forest.Scalar), as a purego build scores.
func BenchmarkForestMarginScalar(b *testing.B) {
	benchmarkMarginOf(b, (*tree.Forest).Margin, (*tree.Forest).Scalar)
}
