package calib_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"leadscore/model/calib"
)

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestIsotonicKnownAnswer checks PAV against hand-worked cases.
func TestIsotonicKnownAnswer(t *testing.T) {
	cases := []struct {
		name   string
		m      []float64
		y      []bool
		w      []float64
		wantX  []float64
		wantY  []float64
		checkM []float64 // margins to Apply
		wantP  []float64
	}{
		{
			// labels 0 1 0 1 1 0: (1)=0; (2,3) pool to 1/2; (4,5) pool to 1,
			// then 6 (0) pools with them to 2/3.
			name:  "unweighted",
			m:     []float64{3, 1, 2, 6, 4, 5}, // input order must not matter
			y:     []bool{false, false, true, false, true, true},
			wantX: []float64{1, 2.5, 5},
			wantY: []float64{0, 0.5, 2.0 / 3},
			// 1.75 is halfway from (1, 0) to (2.5, 0.5) → 0.25;
			// below and above the table: logistic tails of slope 1 from the
			// end knots, σ(logit(y_end) + (m − x_end)), then clipped to
			// [1e-6, 1−1e-6]: at 6, σ(log 2 + 1) = 2e/(2e+1); at 99, the clip.
			checkM: []float64{-10, 1, 1.75, 2.5, 3.75, 5, 6, 99},
			wantP: []float64{1e-6, 1e-6, 0.25, 0.5, 0.5 + 0.5*(2.0/3-0.5), 2.0 / 3,
				2 * math.E / (2*math.E + 1), 1 - 1e-6},
		},
		{
			// Weight 3 on margin 3 (label 0): block (2,3) has rate 1/4 and
			// centre (2 + 3·3)/4 = 2.75.
			name:  "weighted",
			m:     []float64{1, 2, 3, 4, 5, 6},
			y:     []bool{false, true, false, true, true, false},
			w:     []float64{1, 1, 3, 1, 1, 1},
			wantX: []float64{1, 2.75, 5},
			wantY: []float64{0, 0.25, 2.0 / 3},
		},
		{
			// Tied margins pool first: (1, 1) → 1/2, then 2 → 1.
			name:  "ties",
			m:     []float64{1, 1, 2},
			y:     []bool{true, false, true},
			wantX: []float64{1, 2},
			wantY: []float64{0.5, 1},
		},
		{
			// Zero-weight rows are ignored.
			name:  "zero weight",
			m:     []float64{1, 2, 3},
			y:     []bool{true, false, true},
			w:     []float64{0, 1, 1},
			wantX: []float64{2, 3},
			wantY: []float64{0, 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := calib.FitIsotonic(c.m, c.y, c.w)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != calib.Isotonic || !closeSlices(got.X, c.wantX) || !closeSlices(got.Y, c.wantY) {
				t.Errorf("table X %v Y %v, want X %v Y %v", got.X, got.Y, c.wantX, c.wantY)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			for i, m := range c.checkM {
				if p := got.Apply(m); !near(p, c.wantP[i], 1e-15) {
					t.Errorf("Apply(%v) = %v, want %v", m, p, c.wantP[i])
				}
			}
		})
	}
}

func closeSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i], 1e-15) {
			return false
		}
	}
	return true
}

// simulate draws margins ~ N(0, 2²) and labels ~ Bernoulli(σ(a·m + b)).
func simulate(n int, a, b float64, seed uint64) ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(seed, 99))
	m := make([]float64, n)
	y := make([]bool, n)
	for i := range m {
		m[i] = 2 * rng.NormFloat64()
		y[i] = rng.Float64() < sigmoid(a*m[i]+b)
	}
	return m, y
}

// TestPlattRecovers fits simulated data with a = 1.5, b = −0.7. With 100 000
// rows the standard errors are about 0.01, so 0.05 is a 5-sigma band.
func TestPlattRecovers(t *testing.T) {
	m, y := simulate(100_000, 1.5, -0.7, 1)
	c, err := calib.FitPlatt(m, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != calib.Platt || !near(c.A, 1.5, 0.05) || !near(c.B, -0.7, 0.05) {
		t.Errorf("fit a = %v, b = %v, want 1.5, −0.7", c.A, c.B)
	}
	// At the optimum the gradient vanishes: Σ (p − y) = 0 and Σ (p − y)·m = 0.
	var g0, g1 float64
	for i := range m {
		d := c.Apply(m[i])
		if y[i] {
			d--
		}
		g0 += d
		g1 += d * m[i]
	}
	if math.Abs(g0) > 1e-6 || math.Abs(g1) > 1e-6 {
		t.Errorf("gradient at the fit = (%v, %v), want ≈ 0", g1, g0)
	}
}

// TestPlattWeights: weight 2 equals duplicating the row.
func TestPlattWeights(t *testing.T) {
	m, y := simulate(500, 1, 0.3, 2)
	w := make([]float64, len(m))
	dm, dy := slices.Clone(m), slices.Clone(y)
	for i := range w {
		w[i] = 1
		if i%3 == 0 {
			w[i] = 2
			dm = append(dm, m[i])
			dy = append(dy, y[i])
		}
	}
	cw, err := calib.FitPlatt(m, y, w)
	if err != nil {
		t.Fatal(err)
	}
	cd, err := calib.FitPlatt(dm, dy, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !near(cw.A, cd.A, 1e-9) || !near(cw.B, cd.B, 1e-9) {
		t.Errorf("weighted fit (%v, %v) differs from duplicated rows (%v, %v)", cw.A, cw.B, cd.A, cd.B)
	}
	iw, err := calib.FitIsotonic(m, y, w)
	if err != nil {
		t.Fatal(err)
	}
	id, err := calib.FitIsotonic(dm, dy, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !closeSlices(iw.X, id.X) || !closeSlices(iw.Y, id.Y) {
		t.Errorf("weighted isotonic table differs from duplicated rows")
	}
}

func TestPlattSeparableAndSmoothing(t *testing.T) {
	m := []float64{-3, -2, -1, 1, 2, 3}
	y := []bool{false, false, false, true, true, true}
	_, err := calib.FitPlatt(m, y, nil)
	if !errors.Is(err, calib.ErrSeparable) {
		t.Errorf("separable data without smoothing: err = %v, want ErrSeparable", err)
	}
	c, err := calib.PlattConfig{SmoothTargets: true}.Fit(m, y, nil)
	if err != nil {
		t.Fatalf("with smoothing: %v", err)
	}
	// Targets 4/5 and 1/5, symmetric data → b = 0 and a finite positive slope.
	if !(c.A > 0 && c.A < 10) || !near(c.B, 0, 1e-9) {
		t.Errorf("smoothed fit a = %v, b = %v, want finite a > 0 and b = 0", c.A, c.B)
	}
	// One class only: an error without smoothing, a constant with it.
	if _, err := calib.FitPlatt(m, make([]bool, len(m)), nil); err == nil {
		t.Error("FitPlatt with no positives: want an error")
	}
	// Backwards margins are refused.
	rev := []bool{true, false, true, false, false, false}
	if _, err := calib.FitPlatt([]float64{-3, -2, -1, 1, 2, 3}, rev, nil); err == nil || errors.Is(err, calib.ErrSeparable) || !strings.Contains(err.Error(), "backwards") {
		t.Errorf("decreasing relation: err = %v, want a 'backwards' error", err)
	}
}

func TestFitInputErrors(t *testing.T) {
	cases := map[string]struct {
		m    []float64
		y    []bool
		w    []float64
		want string
	}{
		"length":     {[]float64{1, 2}, []bool{true}, nil, "2 margins but 1 labels"},
		"weights":    {[]float64{1, 2}, []bool{true, false}, []float64{1}, "1 weights but 2 labels"},
		"empty":      {nil, nil, nil, "no rows"},
		"nan margin": {[]float64{1, math.NaN()}, []bool{true, false}, nil, "row 1: margin NaN"},
		"neg weight": {[]float64{1, 2}, []bool{true, false}, []float64{1, -1}, "row 1: weight -1"},
	}
	for name, c := range cases {
		for _, fit := range []func([]float64, []bool, []float64) (*calib.Calibrator, error){calib.FitPlatt, calib.FitIsotonic} {
			_, err := fit(c.m, c.y, c.w)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v, want it to contain %q", name, err, c.want)
			}
		}
	}
}

// TestMonotone: every fitted calibrator is non-decreasing and inside [0, 1]
// on a fine grid that covers and exceeds the training margins.
func TestMonotone(t *testing.T) {
	for seed := range uint64(10) {
		m, y := simulate(300+int(seed)*50, 0.2+0.3*float64(seed), -1+0.2*float64(seed), seed)
		cals := []*calib.Calibrator{{Kind: calib.Identity}}
		if c, err := calib.FitPlatt(m, y, nil); err == nil {
			cals = append(cals, c)
		} else {
			t.Fatalf("seed %d: %v", seed, err)
		}
		c, err := calib.FitIsotonic(m, y, nil)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		cals = append(cals, c)
		for _, c := range cals {
			prev := math.Inf(-1)
			for x := -15.0; x <= 15; x += 0.01 {
				p := c.Apply(x)
				if p < prev || p < 0 || p > 1 {
					t.Fatalf("seed %d %s: Apply(%v) = %v after %v", seed, c.Kind, x, p, prev)
				}
				prev = p
			}
			if err := c.Validate(); err != nil {
				t.Errorf("seed %d %s: Validate: %v", seed, c.Kind, err)
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	m, y := simulate(200, 1, 0, 3)
	iso, err := calib.FitIsotonic(m, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	platt, err := calib.FitPlatt(m, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*calib.Calibrator{{Kind: calib.Identity}, platt, iso} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back calib.Calibrator
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*c, back) {
			t.Errorf("%s: round trip changed the calibrator\n%s", c.Kind, b)
		}
		if err := back.Validate(); err != nil {
			t.Errorf("%s: loaded calibrator invalid: %v", c.Kind, err)
		}
	}
	b, _ := json.Marshal(platt)
	if !strings.HasPrefix(string(b), `{"kind":"platt","a":`) {
		t.Errorf("platt JSON = %s", b)
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name string
		c    *calib.Calibrator
		want []string // every problem is reported
	}{
		{"nil", nil, []string{"missing"}},
		{"unknown kind", &calib.Calibrator{Kind: "sigmoid"}, []string{`kind "sigmoid"`}},
		{"negative slope", &calib.Calibrator{Kind: calib.Platt, A: -1}, []string{"a = -1: a negative slope"}},
		{"nan", &calib.Calibrator{Kind: calib.Platt, A: 1, B: math.NaN()}, []string{"b = NaN"}},
		{"empty table", &calib.Calibrator{Kind: calib.Isotonic}, []string{"table is empty"}},
		{"lengths", &calib.Calibrator{Kind: calib.Isotonic, X: []float64{1, 2}, Y: []float64{0.5}}, []string{"2 x and 1 y"}},
		{"non-monotone", &calib.Calibrator{Kind: calib.Isotonic, X: []float64{1, 3, 2}, Y: []float64{0.2, 0.1, 1.5}},
			[]string{"x[2] = 2 is not above x[1] = 3", "y[1] = 0.1 is below y[0] = 0.2", "y[2] = 1.5 is outside [0, 1]"}},
		{"duplicate knot", &calib.Calibrator{Kind: calib.Isotonic, X: []float64{1, 1}, Y: []float64{0.2, 0.3}}, []string{"x[1] = 1 is not above"}},
		{"inf knot", &calib.Calibrator{Kind: calib.Isotonic, X: []float64{1, math.Inf(1)}, Y: []float64{0.2, 0.3}}, []string{"x[1] = +Inf"}},
		{"identity with params", &calib.Calibrator{Kind: calib.Identity, A: 2}, []string{"identity calibrator has parameters"}},
	}
	for _, c := range cases {
		err := c.c.Validate()
		if err == nil {
			t.Errorf("%s: Validate accepted %+v", c.name, c.c)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

func TestRefitIntercept(t *testing.T) {
	// Trained when b was −0.7; the newest period has b = +0.5.
	old, y := simulate(50_000, 1.5, -0.7, 4)
	c, err := calib.FitPlatt(old, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, y2 := simulate(50_000, 1.5, 0.5, 5)
	r, err := calib.RefitIntercept(c, m, y2)
	if err != nil {
		t.Fatal(err)
	}
	if r.A != c.A || !near(r.B, 0.5, 0.06) {
		t.Errorf("refit a = %v (was %v), b = %v, want the same a and b ≈ 0.5", r.A, c.A, r.B)
	}
	if c.B == r.B {
		t.Error("RefitIntercept modified its input")
	}
	// The refitted intercept makes the mean prediction equal the positive rate.
	if d := meanGap(r, m, y2); math.Abs(d) > 1e-9 {
		t.Errorf("platt: mean prediction − rate = %v, want 0", d)
	}
	// Identity becomes platt with slope 1.
	id, err := calib.RefitIntercept(&calib.Calibrator{Kind: calib.Identity}, m, y2)
	if err != nil {
		t.Fatal(err)
	}
	if id.Kind != calib.Platt || id.A != 1 || math.Abs(meanGap(id, m, y2)) > 1e-9 {
		t.Errorf("identity refit = %+v", id)
	}
	// Isotonic: shifted knots stay a valid table and close the gap approximately.
	iso, err := calib.FitIsotonic(old, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := meanGap(iso, m, y2)
	ri, err := calib.RefitIntercept(iso, m, y2)
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Validate(); err != nil {
		t.Fatal(err)
	}
	after := meanGap(ri, m, y2)
	if !(math.Abs(after) < 0.01 && math.Abs(before) > 0.1) {
		t.Errorf("isotonic refit: mean gap %v before, %v after", before, after)
	}
	if _, err := calib.RefitIntercept(c, m[:3], []bool{true, true, true}); err == nil {
		t.Error("RefitIntercept with one class: want an error")
	}
}

func meanGap(c *calib.Calibrator, m []float64, y []bool) float64 {
	var s float64
	for i := range m {
		s += c.Apply(m[i])
		if y[i] {
			s--
		}
	}
	return s / float64(len(m))
}

func TestApplyAllocs(t *testing.T) {
	m, y := simulate(1000, 1, 0, 6)
	iso, _ := calib.FitIsotonic(m, y, nil)
	platt, _ := calib.FitPlatt(m, y, nil)
	for _, c := range []*calib.Calibrator{{Kind: calib.Identity}, platt, iso} {
		x := 0.3
		if n := testing.AllocsPerRun(100, func() { x = c.Apply(x) - 0.2 }); n != 0 {
			t.Errorf("%s: Apply allocates %v times", c.Kind, n)
		}
	}
}

func BenchmarkApplyIsotonic(b *testing.B) {
	m, y := simulate(100_000, 1, 0, 7)
	c, err := calib.FitIsotonic(m, y, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var s float64
	i := 0
	for b.Loop() {
		s += c.Apply(m[i%len(m)])
		i++
	}
	_ = s
}

func BenchmarkFitIsotonic100k(b *testing.B) {
	m, y := simulate(100_000, 1, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calib.FitIsotonic(m, y, nil); err != nil {
			b.Fatal(err)
		}
	}
}
