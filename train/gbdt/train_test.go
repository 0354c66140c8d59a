package gbdt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"leadscore/model/tree"
	"leadscore/train/gbdt"
	"leadscore/train/gbdt/gbdttest"
)

func mustTrain(t testing.TB, feats []gbdt.Feature, ds gbdt.Dataset, valid *gbdt.Dataset, cfg gbdt.Config) (*tree.Forest, *gbdt.Result) {
	t.Helper()
	f, res, err := gbdt.Train(context.Background(), feats, ds, valid, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, res
}

// TestKnownAnswerFirstTree checks one depth-1 tree on 8 rows worked by
// hand (python3 arithmetic, no library).
//
//	x0 = 1..8, x1 = 2 1 2 1 2 1 2 1, y = 0 0 0 0 1 0 1 1
//	base = log(3/5) = -0.5108256237659907, p = 0.375 for every row
//	g = p - y: 0.375 (y=0), -0.625 (y=1); h = p(1-p) = 0.234375
//	G = 5·0.375 - 3·0.625 = 0, H = 8·0.234375 = 1.875
//
// Candidate gains G_L²/(H_L+1) + G_R²/(H_R+1) - G²/(H+1):
//
//	x0 <= 3: 1.125²/1.703125 + 1.125²/2.171875 = 1.3259
//	x0 <= 4: 1.5²/1.9375 · 2 = 2.3226   (best)
//	x0 <= 6: 1.25²/2.40625 + 1.25²/1.46875 = 1.7132
//	x1 <= 1: 0.5²/1.9375 · 2 = 0.2581
//
// The threshold is the midpoint 4.5; leaves are -lr·G/(H+L2) with lr 0.5:
// left -0.5·1.5/1.9375 = -0.3870967741935484, right +0.3870967741935484.
// No row is missing and both sides have equal hessian, so missing values
// go left.
func TestKnownAnswerFirstTree(t *testing.T) {
	x0 := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	x1 := []float64{2, 1, 2, 1, 2, 1, 2, 1}
	y := []float64{0, 0, 0, 0, 1, 0, 1, 1}
	X := make([]float64, 0, 16)
	for i := range x0 {
		X = append(X, x0[i], x1[i])
	}
	feats := []gbdt.Feature{{Name: "x0"}, {Name: "x1"}}
	f, res := mustTrain(t, feats, gbdt.Dataset{X: X, Rows: 8, Cols: 2, Y: y},
		nil, gbdt.Config{Rounds: 1, MaxDepth: 1, MinRowsPerLeaf: 1, L2: 1, LearningRate: 0.5, Seed: 1, ExactGradients: true, TrainLoss: true})
	const tol = 1e-12
	if math.Abs(f.Base()-(-0.5108256237659907)) > tol {
		t.Errorf("base = %v, want log(3/5)", f.Base())
	}
	tr := f.Tree(0)
	if len(tr.Nodes) != 1 {
		t.Fatalf("tree has %d nodes, want 1: %+v", len(tr.Nodes), tr)
	}
	n := tr.Nodes[0]
	if n.Feature != 0 || n.Threshold != 4.5 || n.Categorical || !n.MissingLeft {
		t.Errorf("split = feature %d threshold %v categorical %v missingLeft %v; want x0 <= 4.5, missing left", n.Feature, n.Threshold, n.Categorical, n.MissingLeft)
	}
	if math.Abs(n.Gain-2.3225806451612905) > 1e-9 {
		t.Errorf("gain = %v, want 2.3225806451612905", n.Gain)
	}
	want := []float64{-0.3870967741935484, 0.3870967741935484}
	for j, w := range want {
		if v := tr.Leaves[-[]int{n.Left, n.Right}[j]-1]; math.Abs(v-w) > tol {
			t.Errorf("leaf %d = %v, want %v", j, v, w)
		}
	}
	if math.Abs(n.Cover-1.875) > tol {
		t.Errorf("root cover = %v, want H = 1.875", n.Cover)
	}
	if res.BestRound != 1 || len(res.TrainLogLoss) != 1 {
		t.Errorf("BestRound %d, %d losses; want 1, 1", res.BestRound, len(res.TrainLogLoss))
	}
}

// TestTrainLossMatchesForest checks that the margins Train maintains on
// binned data equal scoring the returned forest on raw values, and that
// the loss decreases.
func TestTrainLossMatchesForest(t *testing.T) {
	feats, ds := gbdttest.SyntheticMatrix(3000, 3)
	for _, cfg := range []gbdt.Config{
		{Rounds: 12, Seed: 7, TrainLoss: true},
		{Rounds: 12, Seed: 7, TrainLoss: true, ExactGradients: true},
		{Rounds: 12, Seed: 7, TrainLoss: true, MaxLeaves: 15, RowSubsample: 0.7, ColSubsample: 0.6, MaxBins: 16},
	} {
		f, res := mustTrain(t, feats, ds, nil, cfg)
		m := make([]float64, ds.Rows)
		f.Margins(m, ds.X, ds.Rows)
		loss := 0.0
		for r, v := range m {
			loss += math.Log1p(math.Exp(v)) - ds.Y[r]*v
		}
		loss /= float64(ds.Rows)
		last := res.TrainLogLoss[len(res.TrainLogLoss)-1]
		if math.Abs(loss-last) > 1e-9 {
			t.Errorf("%+v: forest log loss %v, Train reported %v", cfg, loss, last)
		}
		if res.TrainLogLoss[0] <= last {
			t.Errorf("loss did not decrease: %v", res.TrainLogLoss)
		}
	}
}

// TestDeterminism: the forest is bit-identical whatever Workers is, for
// both kinds of histogram and both growth orders (depth-wise levels with
// many nodes split their nodes concurrently), and the seed matters.
func TestDeterminism(t *testing.T) {
	// 6000 rows (4800 sampled): the root spans two histogram chunks
	// (4096 rows each), and the deep levels have many nodes.
	feats, ds := gbdttest.SyntheticMatrix(6000, 5)
	for _, exact := range []bool{false, true} {
		for _, base := range []gbdt.Config{
			{Rounds: 6, Seed: 42, RowSubsample: 0.8, ColSubsample: 0.7, MaxLeaves: 31},
			{Rounds: 3, Seed: 42, RowSubsample: 0.8, ColSubsample: 0.7, MaxDepth: 7, MinRowsPerLeaf: 5},
		} {
			base.ExactGradients = exact
			var first []byte
			for i, workers := range []int{1, 2, 3, 1} {
				cfg := base
				cfg.Workers = workers
				f, _ := mustTrain(t, feats, ds, nil, cfg)
				b, err := json.Marshal(f)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = b
				} else if !bytes.Equal(first, b) {
					t.Fatalf("%+v: Workers=%d gave a different forest than Workers=1", cfg, workers)
				}
			}
			cfg := base
			cfg.Seed = 43
			f, _ := mustTrain(t, feats, ds, nil, cfg)
			if b, _ := json.Marshal(f); bytes.Equal(first, b) {
				t.Errorf("%+v: a different seed gave the same subsampled forest", cfg)
			}
		}
	}
}

// TestMonotone trains on data where y rises with x0 overall but falls in
// a band, and checks that for every setting of the other features the
// model is non-decreasing in x0 (and non-increasing in x1 with -1).
func TestMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 6000
	X := make([]float64, 0, 3*n)
	y := make([]float64, n)
	for r := range n {
		x0, x1, x2 := rng.Float64()*10, rng.Float64()*10, rng.NormFloat64()
		z := 0.6*x0 - 3 - 0.3*x1 + x2 + 2*math.Sin(2*x0) + math.Sin(3*x1)
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[r] = 1
		}
		X = append(X, x0, x1, x2)
	}
	feats := []gbdt.Feature{{Name: "x0", Monotone: 1}, {Name: "x1", Monotone: -1}, {Name: "x2"}}
	for _, cfg := range []gbdt.Config{{Rounds: 60, Seed: 1}, {Rounds: 60, Seed: 1, MaxLeaves: 31, MinRowsPerLeaf: 5}} {
		f, _ := mustTrain(t, feats, gbdt.Dataset{X: X, Rows: n, Cols: 3, Y: y}, nil, cfg)
		grid := []float64{-1, 0, 0.5, 1, 2, 2.5, 3, 4, 5, 6, 7, 7.5, 8, 9, 10, 11}
		x := make([]float64, 3)
		for _, a := range grid {
			for _, c := range []float64{-2, -0.5, 0, 0.7, 2} {
				prev0, prev1 := math.Inf(-1), math.Inf(1)
				for _, v := range grid {
					x[0], x[1], x[2] = v, a, c // vary x0
					if m := f.Margin(x); m < prev0 {
						t.Fatalf("%+v: margin decreases in x0 at x0=%v (x1=%v, x2=%v): %v < %v", cfg, v, a, c, m, prev0)
					} else {
						prev0 = m
					}
					x[0], x[1] = a, v // vary x1
					if m := f.Margin(x); m > prev1 {
						t.Fatalf("%+v: margin increases in x1 at x1=%v (x0=%v, x2=%v)", cfg, v, a, c)
					} else {
						prev1 = m
					}
				}
			}
		}
		// The constraint must not flatten the model: x0 still matters.
		x[0], x[1], x[2] = 0, 5, 0
		lo := f.Margin(x)
		x[0] = 10
		if hi := f.Margin(x); hi-lo < 1 {
			t.Errorf("%+v: margin rises only %v over x0 in [0, 10]", cfg, hi-lo)
		}
	}
}

// TestCategoricalPartition: categories {1,3,5} of 8 are positive (90%),
// the others 10%; the first split must be that partition.
func TestCategoricalPartition(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const n = 4000
	X := make([]float64, 0, 2*n)
	y := make([]float64, n)
	for r := range n {
		c := rng.IntN(8)
		p := 0.1
		if c == 1 || c == 3 || c == 5 {
			p = 0.9
		}
		if rng.Float64() < p {
			y[r] = 1
		}
		X = append(X, float64(c), rng.NormFloat64())
	}
	feats := []gbdt.Feature{{Name: "cat", Categorical: true, Levels: 8}, {Name: "noise"}}
	f, _ := mustTrain(t, feats, gbdt.Dataset{X: X, Rows: n, Cols: 2, Y: y}, nil, gbdt.Config{Rounds: 3, MaxDepth: 1, Seed: 1})
	root := f.Tree(0).Nodes[0]
	if !root.Categorical || root.Feature != 0 {
		t.Fatalf("root split %+v, want categorical on feature 0", root)
	}
	set := root.Categories[0] & 0xff
	if set != 1<<1|1<<3|1<<5 && set != 0xff&^(1<<1|1<<3|1<<5) {
		t.Errorf("root category set %08b, want {1,3,5} or its complement", set)
	}
	// Scoring follows the partition for every code.
	for c := range 8 {
		pos := c == 1 || c == 3 || c == 5
		if m := f.Margin([]float64{float64(c), 0}); (m > f.Base()) != pos {
			t.Errorf("category %d: margin %v vs base %v", c, m, f.Base())
		}
	}
}

// TestMissingDirectionLearned: rows with x missing are mostly positive,
// so NaN must be routed with the high-x (positive) side.
func TestMissingDirectionLearned(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n = 3000
	X := make([]float64, n)
	y := make([]float64, n)
	for r := range n {
		X[r] = rng.Float64()
		p := 0.1
		if X[r] > 0.5 {
			p = 0.9
		}
		if r%5 == 0 {
			X[r], p = math.NaN(), 0.9
		}
		if rng.Float64() < p {
			y[r] = 1
		}
	}
	f, _ := mustTrain(t, []gbdt.Feature{{Name: "x"}}, gbdt.Dataset{X: X, Rows: n, Cols: 1, Y: y}, nil, gbdt.Config{Rounds: 5, MaxDepth: 1, Seed: 1})
	if f.Margin([]float64{math.NaN()}) != f.Margin([]float64{0.9}) || f.Margin([]float64{0.9}) <= f.Margin([]float64{0.1}) {
		t.Errorf("margins NaN %v, 0.9 %v, 0.1 %v: NaN should follow the high side",
			f.Margin([]float64{math.NaN()}), f.Margin([]float64{0.9}), f.Margin([]float64{0.1}))
	}
}

func TestEarlyStoppingKeepsBestRound(t *testing.T) {
	feats, all := gbdttest.SyntheticMatrix(6000, 8)
	tr := gbdt.Dataset{X: all.X[:4000*all.Cols], Rows: 4000, Cols: all.Cols, Y: all.Y[:4000]}
	va := gbdt.Dataset{X: all.X[4000*all.Cols:], Rows: 2000, Cols: all.Cols, Y: all.Y[4000:]}
	// A high learning rate and deep trees overfit fast.
	cfg := gbdt.Config{Rounds: 400, LearningRate: 0.5, MaxLeaves: 63, MinRowsPerLeaf: 2, EarlyStoppingRounds: 10, Seed: 3}
	var rounds int
	f, res, err := gbdt.Train(context.Background(), feats, tr, &va, cfg, func(ri gbdt.RoundInfo) { rounds = ri.Round })
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedEarly || rounds != len(res.ValidLogLoss) || rounds >= 400 {
		t.Fatalf("StoppedEarly %v after %d rounds", res.StoppedEarly, rounds)
	}
	best := res.BestRound
	if f.NumTrees() != best || rounds != best+10 {
		t.Errorf("forest has %d trees, best round %d, stopped at %d; want best+10", f.NumTrees(), best, rounds)
	}
	for i, l := range res.ValidLogLoss {
		if l < res.ValidLogLoss[best-1] {
			t.Errorf("round %d loss %v beats the best round %d (%v)", i+1, l, best, res.ValidLogLoss[best-1])
		}
	}
	if a := res.ValidAUC[best-1]; !(a > 0.6 && a <= 1) {
		t.Errorf("valid AUC at best round %v", a)
	}
}

func TestCancel(t *testing.T) {
	feats, ds := gbdttest.SyntheticMatrix(2000, 1)
	ctx, cancel := context.WithCancel(context.Background())
	_, _, err := gbdt.Train(ctx, feats, ds, nil, gbdt.Config{Rounds: 50, Seed: 1}, func(ri gbdt.RoundInfo) {
		if ri.Round == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTrainRejectsBadInput(t *testing.T) {
	feats := []gbdt.Feature{{Name: "a"}, {Name: "c", Categorical: true, Levels: 3}}
	ok := gbdt.Dataset{X: []float64{1, 0, 2, 1, 3, 2}, Rows: 3, Cols: 2, Y: []float64{0, 1, 0}}
	cfg := gbdt.Config{Rounds: 1, Seed: 1}
	for name, mutate := range map[string]func(*gbdt.Dataset){
		"label 2":           func(d *gbdt.Dataset) { d.Y = []float64{0, 2, 1} },
		"one class":         func(d *gbdt.Dataset) { d.Y = []float64{1, 1, 1} },
		"short X":           func(d *gbdt.Dataset) { d.X = d.X[:5] },
		"infinite value":    func(d *gbdt.Dataset) { d.X = []float64{math.Inf(1), 0, 2, 1, 3, 2} },
		"category too big":  func(d *gbdt.Dataset) { d.X = []float64{1, 3, 2, 1, 3, 2} },
		"fractional code":   func(d *gbdt.Dataset) { d.X = []float64{1, 0.5, 2, 1, 3, 2} },
		"negative weight":   func(d *gbdt.Dataset) { d.W = []float64{1, -1, 1} },
		"wrong cols":        func(d *gbdt.Dataset) { d.Cols = 3; d.Rows = 2 },
		"weights too short": func(d *gbdt.Dataset) { d.W = []float64{1} },
	} {
		ds := ok
		ds.X = append([]float64(nil), ok.X...)
		mutate(&ds)
		if _, _, err := gbdt.Train(context.Background(), feats, ds, nil, cfg, nil); err == nil {
			t.Errorf("%s: Train accepted bad input", name)
		}
	}
	if _, _, err := gbdt.Train(context.Background(), feats, ok, nil, gbdt.Config{Rounds: 1}, nil); err == nil {
		t.Error("Train accepted a config without a seed")
	}
	mono := []gbdt.Feature{{Name: "a"}, {Name: "c", Categorical: true, Levels: 3, Monotone: 1}}
	if _, _, err := gbdt.Train(context.Background(), mono, ok, nil, cfg, nil); err == nil {
		t.Error("Train accepted a monotone categorical feature")
	}
}

// TestQuantizedRenewsLeavesExactly trains the data of
// TestKnownAnswerFirstTree with quantized gradients (the default): the
// split is the same, and the leaves (renewed from exact gradients) and
// the root cover equal the hand-worked exact values; only the recorded
// gain is approximate.
func TestQuantizedRenewsLeavesExactly(t *testing.T) {
	x0 := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	x1 := []float64{2, 1, 2, 1, 2, 1, 2, 1}
	y := []float64{0, 0, 0, 0, 1, 0, 1, 1}
	X := make([]float64, 0, 16)
	for i := range x0 {
		X = append(X, x0[i], x1[i])
	}
	feats := []gbdt.Feature{{Name: "x0"}, {Name: "x1"}}
	f, _ := mustTrain(t, feats, gbdt.Dataset{X: X, Rows: 8, Cols: 2, Y: y},
		nil, gbdt.Config{Rounds: 1, MaxDepth: 1, MinRowsPerLeaf: 1, L2: 1, LearningRate: 0.5, Seed: 1})
	tr := f.Tree(0)
	if len(tr.Nodes) != 1 || tr.Nodes[0].Feature != 0 || tr.Nodes[0].Threshold != 4.5 {
		t.Fatalf("tree %+v, want one split x0 <= 4.5", tr)
	}
	n := tr.Nodes[0]
	if math.Abs(n.Gain-2.3225806451612905) > 0.05*2.3225806451612905 {
		t.Errorf("gain = %v, want about 2.3225806451612905", n.Gain)
	}
	want := []float64{-0.3870967741935484, 0.3870967741935484}
	for j, w := range want {
		if v := tr.Leaves[-[]int{n.Left, n.Right}[j]-1]; math.Abs(v-w) > 1e-12 {
			t.Errorf("leaf %d = %v, want the exact %v", j, v, w)
		}
	}
	if math.Abs(n.Cover-1.875) > 1e-12 || math.Abs(tr.LeafCover[0]+tr.LeafCover[1]-1.875) > 1e-12 {
		t.Errorf("root cover %v, leaf covers %v; want 1.875 in all", n.Cover, tr.LeafCover)
	}
}

// TestQuantizedLeafValuesAreExactNewtonSteps: after one quantized round
// on synthetic data, every leaf's value is -LearningRate·G/(H+L2) with G
// and H the exact gradient and hessian sums of the training rows the
// returned forest routes to it (rows are grouped by their margin).
func TestQuantizedLeafValuesAreExactNewtonSteps(t *testing.T) {
	feats, ds := gbdttest.SyntheticMatrix(20_000, 4)
	cfg := gbdt.Config{Rounds: 1, MaxLeaves: 15, Seed: 5}
	f, _ := mustTrain(t, feats, ds, nil, cfg)
	m := make([]float64, ds.Rows)
	f.Margins(m, ds.X, ds.Rows)
	p := 1 / (1 + math.Exp(-f.Base()))
	type sums struct{ g, h float64 }
	byLeaf := map[float64]*sums{}
	for r, v := range m {
		s := byLeaf[v]
		if s == nil {
			s = &sums{}
			byLeaf[v] = s
		}
		s.g += p - ds.Y[r]
		s.h += p * (1 - p)
	}
	tr := f.Tree(0)
	if len(byLeaf) != len(tr.Leaves) || len(tr.Leaves) != 15 {
		t.Fatalf("%d distinct margins, %d leaves; want 15", len(byLeaf), len(tr.Leaves))
	}
	for v, s := range byLeaf {
		want := -0.1 * s.g / (s.h + 1)
		if got := v - f.Base(); math.Abs(got-want) > 1e-9 {
			t.Errorf("leaf value %v, exact Newton step of its %v hessian: %v", got, s.h, want)
		}
	}
}
