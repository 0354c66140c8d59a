package tree_test

import (
	"math/rand/v2"
	"testing"

	"leadscore/model/tree"
)

// benchForest is 300 complete depth-6 trees over 40 features, a quarter
// of the splits categorical, like a trained lead-scoring model.
func benchForest(b *testing.B) (*tree.Forest, []float64) {
	rng := rand.New(rand.NewPCG(21, 22))
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
			n := tree.Node{Feature: f, MissingLeft: rng.IntN(2) == 0, Threshold: rng.NormFloat64(), Cover: 1}
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

func BenchmarkForestMargin(b *testing.B) { benchmarkMargin(b, (*tree.Forest).Margin) }

func BenchmarkForestMargins(b *testing.B) { benchmarkMargins(b, (*tree.Forest).Margins) }

// benchmarkMargin scores one row per iteration, cycling through the rows.
func benchmarkMargin(b *testing.B, margin func(*tree.Forest, []float64) float64) {
	f, X := benchForest(b)
	d := f.NumFeatures()
	rows := len(X) / d
	b.ReportAllocs()
	i := 0
	s := 0.0
	for b.Loop() {
		s += margin(f, X[i*d:(i+1)*d])
		i = (i + 1) % rows
	}
	_ = s
}

// benchmarkMargins scores every row per iteration and reports rows/s.
func benchmarkMargins(b *testing.B, margins func(f *tree.Forest, dst, X []float64, rows int)) {
	f, X := benchForest(b)
	rows := len(X) / f.NumFeatures()
	dst := make([]float64, rows)
	b.ReportAllocs()
	for b.Loop() {
		margins(f, dst, X, rows)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
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
func BenchmarkForestMarginRef(b *testing.B) { benchmarkMargin(b, (*tree.Forest).MarginRef) }

// BenchmarkForestMarginsRef is BenchmarkForestMargins on the reference
// walk, the baseline to compare with in the same run.
func BenchmarkForestMarginsRef(b *testing.B) { benchmarkMargins(b, (*tree.Forest).MarginsRef) }

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
