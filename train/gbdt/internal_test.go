package gbdt

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestLogisticDerivatives checks the gradient and hessian against
// central finite differences of the loss (and of the gradient).
func TestLogisticDerivatives(t *testing.T) {
	const eps = 1e-5
	for _, y := range []float64{0, 1} {
		for _, f := range []float64{-30, -5, -1, -0.1, 0, 0.3, 2, 7, 25} {
			g, h, _ := logistic(f, y)
			_, _, lp := logistic(f+eps, y)
			_, _, lm := logistic(f-eps, y)
			gp, _, _ := logistic(f+eps, y)
			gm, _, _ := logistic(f-eps, y)
			if fd := (lp - lm) / (2 * eps); math.Abs(fd-g) > 1e-7 {
				t.Errorf("y=%v f=%v: gradient %v, finite difference %v", y, f, g, fd)
			}
			if fd := (gp - gm) / (2 * eps); math.Abs(fd-h) > 1e-7 && h > hessFloor {
				t.Errorf("y=%v f=%v: hessian %v, finite difference %v", y, f, h, fd)
			}
			// The loss itself: -log p for y=1, -log(1-p) for y=0.
			p := 1 / (1 + math.Exp(-f))
			want := -math.Log(p)
			if y == 0 {
				want = -math.Log1p(-p)
			}
			if _, _, l := logistic(f, y); math.Abs(f) < 20 && math.Abs(l-want) > 1e-9 {
				t.Errorf("y=%v f=%v: loss %v, want %v", y, f, l, want)
			}
		}
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	c := Config{
		Rounds: -1, LearningRate: 2, MaxDepth: -3, MaxLeaves: 1, MinChildWeight: -1, MinRowsPerLeaf: -2,
		L2: math.NaN(), MinSplitGain: -1, MaxBins: 256, RowSubsample: 1.5, ColSubsample: -0.5,
		Workers: -1, MaxCatToOneHot: -1, MaxCatThreshold: -1, CatSmooth: -1, CatL2: -1,
		MinRowsPerCategory: -1, Monotone: []int8{0, 2},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted an invalid config")
	}
	for _, field := range []string{"Rounds", "LearningRate", "MaxDepth", "MaxLeaves", "MinChildWeight",
		"MinRowsPerLeaf", "L2", "MinSplitGain", "MaxBins", "RowSubsample", "ColSubsample", "Seed",
		"Workers", "MaxCatToOneHot", "MaxCatThreshold", "CatSmooth", "CatL2", "MinRowsPerCategory", "Monotone[1]"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not mention %s:\n%v", field, err)
		}
	}
	if err := DefaultConfig(1).Validate(); err != nil {
		t.Errorf("DefaultConfig is invalid: %v", err)
	}
}

// TestBinsMatchThresholds checks that a value's bin is consistent with
// the thresholds stored in trees: x <= upper[b] exactly for bins <= b.
func TestBinsMatchThresholds(t *testing.T) {
	vals := []float64{0, 0, 1, 1e-300, -2, 3.5, 3.5000000000000004, 1e15, math.NaN(), 7, 7, 7}
	for _, maxBins := range []int{2, 3, 255} {
		ds := &Dataset{X: vals, Rows: len(vals), Cols: 1}
		bn, err := newBinning([]Feature{{}}, ds, maxBins, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		if bn.nb[0] > maxBins {
			t.Errorf("maxBins %d: %d bins", maxBins, bn.nb[0])
		}
		for _, v := range vals {
			b := int(bn.bin(0, v))
			if math.IsNaN(v) {
				if b != bn.nb[0] {
					t.Errorf("NaN in bin %d, want missing bin %d", b, bn.nb[0])
				}
				continue
			}
			for k, u := range bn.upper[0] {
				if (v <= u) != (b <= k) {
					t.Errorf("maxBins %d: value %v in bin %d but upper[%d] = %v", maxBins, v, b, k, u)
				}
			}
		}
	}
}

func TestAUC(t *testing.T) {
	// Scores 0.1 0.4 0.35 0.8 for labels 0 0 1 1: pairs (pos, neg)
	// ordered correctly: (0.35,0.1) (0.8,0.1) (0.8,0.4) = 3 of 4.
	if got := auc([]float64{0.1, 0.4, 0.35, 0.8}, []float64{0, 0, 1, 1}, nil); got != 0.75 {
		t.Errorf("auc = %v, want 0.75", got)
	}
	// A tie between a positive and a negative counts one half.
	if got := auc([]float64{0.5, 0.5}, []float64{0, 1}, nil); got != 0.5 {
		t.Errorf("auc with a tie = %v, want 0.5", got)
	}
}

// TestSigmoidBranchFree checks sigmoid, which picks its numerator with
// bit operations, against the two-branch definition, including ±0, ±Inf,
// NaN and margins whose exp underflows.
func TestSigmoidBranchFree(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 0.5, -0.5, 36, -36, 745, -745, 800, -800, math.Inf(1), math.Inf(-1), math.NaN()}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		vals = append(vals, rng.NormFloat64()*10)
	}
	for _, f := range vals {
		e := math.Exp(-math.Abs(f))
		want := e / (1 + e)
		if f >= 0 {
			want = 1 / (1 + e)
		}
		p, ge := sigmoid(f)
		if math.Float64bits(p) != math.Float64bits(want) && !(math.IsNaN(p) && math.IsNaN(want)) || math.Float64bits(ge) != math.Float64bits(e) && !math.IsNaN(e) {
			t.Fatalf("sigmoid(%v) = %v, %v; want %v, %v", f, p, ge, want, e)
		}
	}
}
