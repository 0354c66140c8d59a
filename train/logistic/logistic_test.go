package logistic_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"leadscore/train/logistic"
)

// loadSmall reads testdata/lr_small.csv (written by testdata/lr_small.py).
func loadSmall(t testing.TB) (*mat.Dense, []float64) {
	t.Helper()
	path := filepath.Join("testdata", "lr_small.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open fixture (regenerate with /usr/bin/python3 train/logistic/testdata/lr_small.py): %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	recs = recs[1:]
	n, d := len(recs), len(recs[0])-1
	X := mat.NewDense(n, d, nil)
	y := make([]float64, n)
	for i, r := range recs {
		for j := range d {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatalf("%s: row %d, column %d: %v", path, i+1, j, err)
			}
			X.Set(i, j, v)
		}
		v, err := strconv.ParseFloat(r[d], 64)
		if err != nil {
			t.Fatalf("%s: row %d: %v", path, i+1, err)
		}
		y[i] = v
	}
	return X, y
}

type skSolution struct {
	Intercept  float64   `json:"intercept"`
	Coef       []float64 `json:"coef"`
	MaxAbsGrad float64   `json:"max_abs_grad"`
}

type skCase struct {
	Name           string     `json:"name"`
	L2             float64    `json:"l2"`
	Weights        string     `json:"weights"`
	LBFGS          skSolution `json:"lbfgs"`
	NewtonCholesky skSolution `json:"newton-cholesky"`
}

// TestSklearnKnownAnswer compares with scikit-learn 1.2.1
// (testdata/lr_small.py → lr_small.json, LogisticRegression(C, tol=1e-10,
// max_iter=10000)). The newton-cholesky solution is converged to a gradient
// of ~1e-13 and must agree to 1e-6. sklearn's default lbfgs stops early on
// scipy's ftol (gradient ~5e-4, see the script), so it agrees only to 1e-4.
func TestSklearnKnownAnswer(t *testing.T) {
	X, y := loadSmall(t)
	b, err := os.ReadFile(filepath.Join("testdata", "lr_small.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Sklearn string   `json:"sklearn"`
		Cases   []skCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) != 2 {
		t.Fatalf("lr_small.json has %d cases, want 2", len(fx.Cases))
	}
	n, _ := X.Dims()
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var w []float64
			switch c.Weights {
			case "none":
			case "1 + row % 3":
				w = make([]float64, n)
				for i := range w {
					w[i] = float64(1 + i%3)
				}
			default:
				t.Fatalf("unknown weights %q", c.Weights)
			}
			m, res, err := logistic.FitLogistic(context.Background(), X, y, w, logistic.Config{L2: c.L2, GradTol: 1e-10})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged {
				t.Errorf("not converged: %+v", res)
			}
			for _, ref := range []struct {
				name string
				sol  skSolution
				tol  float64
			}{{"newton-cholesky", c.NewtonCholesky, 1e-6}, {"lbfgs", c.LBFGS, 1e-4}} {
				maxDiff := math.Abs(m.Intercept - ref.sol.Intercept)
				for j, want := range ref.sol.Coef {
					maxDiff = math.Max(maxDiff, math.Abs(m.Coef[j]-want))
				}
				t.Logf("largest difference from sklearn %s: %.2g (%d iterations, gradient %.2g)", ref.name, maxDiff, res.Iterations, res.GradNorm)
				if d := math.Abs(m.Intercept - ref.sol.Intercept); d > ref.tol {
					t.Errorf("intercept %.17g, sklearn %s %.17g (diff %.2g)", m.Intercept, ref.name, ref.sol.Intercept, d)
				}
				for j, want := range ref.sol.Coef {
					if d := math.Abs(m.Coef[j] - want); d > ref.tol {
						t.Errorf("coef %d = %.17g, sklearn %s %.17g (diff %.2g)", j, m.Coef[j], ref.name, want, d)
					}
				}
			}
		})
	}
}

// simulate draws standardised-looking inputs and labels from a known model.
func simulate(n, d int, seed uint64) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(seed, 17))
	X := mat.NewDense(n, d, nil)
	y := make([]float64, n)
	raw := X.RawMatrix().Data
	for i := range n {
		z := -1.0
		for j := range d {
			v := rng.NormFloat64()
			raw[i*d+j] = v
			z += v * float64(j%5-2) * 0.3
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	return X, y
}

// TestWeightsAreDuplicates: a weight of 2 fits the same model as the row twice.
func TestWeightsAreDuplicates(t *testing.T) {
	X, y := simulate(300, 4, 1)
	n, d := X.Dims()
	w := make([]float64, n)
	var dupRows [][]float64
	var dupY []float64
	for i := range n {
		w[i] = 1
		row := mat.Row(nil, i, X)
		dupRows = append(dupRows, row)
		dupY = append(dupY, y[i])
		if i%4 == 0 {
			w[i] = 2
			dupRows = append(dupRows, row)
			dupY = append(dupY, y[i])
		}
	}
	Xd := mat.NewDense(len(dupRows), d, nil)
	for i, r := range dupRows {
		Xd.SetRow(i, r)
	}
	cfg := logistic.Config{L2: 2, GradTol: 1e-10}
	mw, _, err := logistic.FitLogistic(context.Background(), X, y, w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	md, _, err := logistic.FitLogistic(context.Background(), Xd, dupY, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mw.Intercept-md.Intercept) > 1e-8 {
		t.Errorf("intercept: weighted %v, duplicated %v", mw.Intercept, md.Intercept)
	}
	for j := range mw.Coef {
		if math.Abs(mw.Coef[j]-md.Coef[j]) > 1e-8 {
			t.Errorf("coef %d: weighted %v, duplicated %v", j, mw.Coef[j], md.Coef[j])
		}
	}
}

// TestDeterministic: the same inputs give the same model bit for bit.
func TestDeterministic(t *testing.T) {
	X, y := simulate(10_000, 6, 2)
	cfg := logistic.Config{L2: 1}
	m1, _, err := logistic.FitLogistic(context.Background(), X, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := logistic.FitLogistic(context.Background(), X, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(m1)
	b2, _ := json.Marshal(m2)
	if string(b1) != string(b2) {
		t.Errorf("two fits differ:\n%s\n%s", b1, b2)
	}
	if err := m1.Validate(); err != nil {
		t.Error(err)
	}
	if m1.Names[0] != "x0" || len(m1.Means) != 6 {
		t.Errorf("names %v means %v", m1.Names, m1.Means)
	}
}

// cancelAfter cancels its context at the first major iteration.
type cancelAfter struct {
	cancel context.CancelFunc
	iters  int
}

func (c *cancelAfter) Init() error { return nil }
func (c *cancelAfter) Record(_ *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if op == optimize.MajorIteration {
		c.iters++
		c.cancel()
	}
	return nil
}

// TestCancel: a cancelled context stops the fit within an iteration and the
// error is the context's.
func TestCancel(t *testing.T) {
	X, y := simulate(5000, 5, 3)
	ctx, cancel := context.WithCancel(context.Background())
	rec := &cancelAfter{cancel: cancel}
	_, _, err := logistic.FitLogistic(ctx, X, y, nil, logistic.Config{L2: 1, GradTol: 1e-14, Recorder: rec})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if rec.iters > 2 {
		t.Errorf("ran %d major iterations after cancellation", rec.iters)
	}
	// Already cancelled: no work at all.
	_, _, err = logistic.FitLogistic(ctx, X, y, nil, logistic.Config{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("pre-cancelled: err = %v", err)
	}
}

func TestInputErrors(t *testing.T) {
	X, y := simulate(10, 2, 4)
	ctx := context.Background()
	bad := func(mut func(X *mat.Dense, y, w []float64)) ([]float64, []float64, *mat.Dense) {
		Xc := mat.DenseCopyOf(X)
		yc := append([]float64(nil), y...)
		w := make([]float64, len(y))
		for i := range w {
			w[i] = 1
		}
		mut(Xc, yc, w)
		return yc, w, Xc
	}
	cases := map[string]struct {
		mut  func(X *mat.Dense, y, w []float64)
		cfg  logistic.Config
		want string
	}{
		"target":    {func(X *mat.Dense, y, w []float64) { y[3] = 2 }, logistic.Config{}, "row 3: target 2"},
		"weight":    {func(X *mat.Dense, y, w []float64) { w[4] = math.NaN() }, logistic.Config{}, "row 4: weight NaN"},
		"value":     {func(X *mat.Dense, y, w []float64) { X.Set(5, 1, math.Inf(-1)) }, logistic.Config{}, "row 5, column 1: value -Inf"},
		"one class": {func(X *mat.Dense, y, w []float64) { clear(y) }, logistic.Config{}, "need both classes"},
		"config":    {func(X *mat.Dense, y, w []float64) {}, logistic.Config{L2: -1, MaxIter: -2}, "L2 -1 must be"},
		"names":     {func(X *mat.Dense, y, w []float64) {}, logistic.Config{Names: []string{"a"}}, "1 names for 2 columns"},
	}
	for name, c := range cases {
		yc, w, Xc := bad(c.mut)
		_, _, err := logistic.FitLogistic(ctx, Xc, yc, w, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	if _, _, err := logistic.FitLogistic(ctx, X, y[:5], nil, logistic.Config{}); err == nil || !strings.Contains(err.Error(), "10 rows but 5 targets") {
		t.Errorf("length: err = %v", err)
	}
}

// TestChooseL2: on a small, noisy training set the validation log loss of
// the chosen L2 is the smallest on the grid, and the path is complete.
func TestChooseL2(t *testing.T) {
	Xt, yt := simulate(400, 20, 5)
	Xv, yv := simulate(4000, 20, 6)
	grid := []float64{0.01, 1, 10, 100, 1000}
	best, path, err := logistic.ChooseL2(context.Background(), Xt, yt, nil, Xv, yv, grid, logistic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(path) != len(grid) {
		t.Fatalf("path has %d points, want %d", len(path), len(grid))
	}
	min := math.Inf(1)
	for _, p := range path {
		min = math.Min(min, p.ValidLogLoss)
		if p.Model == nil || p.Result == nil {
			t.Errorf("L2 %v: missing model or result", p.L2)
		}
	}
	var bestLoss float64
	for _, p := range path {
		if p.L2 == best {
			bestLoss = p.ValidLogLoss
		}
	}
	if bestLoss != min {
		t.Errorf("chose L2 %v with loss %v, minimum on the grid is %v: %+v", best, bestLoss, min, path)
	}
	// 400 rows and 20 features: some shrinkage must beat the extremes.
	if best == 0.01 || best == 1000 {
		t.Errorf("chose an extreme of the grid: %v", best)
	}
	// Default grid.
	_, path, err = logistic.ChooseL2(context.Background(), Xt, yt, nil, Xv, yv, nil, logistic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := logistic.DefaultL2Grid(400)
	if len(path) != len(want) || path[0].L2 != want[0] {
		t.Errorf("default grid path %v, want L2s %v", path, want)
	}
}

// TestUnstandardise: margins agree in both units, and constant columns
// (scale 0) are left as they are.
func TestUnstandardise(t *testing.T) {
	coef := []float64{0.5, -2, 3}
	means := []float64{10, -1, 4}
	scales := []float64{2, 0.5, 0}
	c, b := logistic.Unstandardise(coef, 0.25, means, scales)
	x := []float64{13, 0, 4}
	var zs, zo float64 = 0.25, b
	for j := range x {
		s := scales[j]
		if s == 0 {
			s = 1
		}
		zs += coef[j] * (x[j] - means[j]) / s
		zo += c[j] * x[j]
	}
	if math.Abs(zs-zo) > 1e-12 {
		t.Errorf("standardised margin %v, original-unit margin %v", zs, zo)
	}
	// 0.25 − (0.5·10/2 + (−2)·(−1)/0.5 + 3·4/1) = 0.25 − 2.5 − 4 − 12.
	if c[0] != 0.25 || c[1] != -4 || c[2] != 3 || b != 0.25-2.5-4-12 {
		t.Errorf("Unstandardise = %v, %v", c, b)
	}
}

func BenchmarkFit1Mx40(b *testing.B) {
	X, y := simulate(1_000_000, 40, 42)
	b.ResetTimer()
	var res *logistic.Result
	for b.Loop() {
		var err error
		_, res, err = logistic.FitLogistic(context.Background(), X, y, nil, logistic.Config{L2: 1})
		if err != nil {
			b.Fatal(err)
		}
	}
	if !res.Converged {
		b.Fatalf("not converged: %+v", res)
	}
	b.ReportMetric(float64(res.FuncEvaluations), "evals")
	b.ReportMetric(float64(res.Iterations), "iters")
}
