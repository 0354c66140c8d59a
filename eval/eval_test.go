package eval_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"leadscore/eval"
)

// sklearnCase is one case of testdata/metrics_small.json, written by
// testdata/metrics_small.py (Debian python3-sklearn 1.2.1, numpy 1.24.2).
type sklearnCase struct {
	Name             string    `json:"name"`
	P                []float64 `json:"p"`
	Y                []bool    `json:"y"`
	ROCAUC           float64   `json:"roc_auc"`
	AveragePrecision float64   `json:"average_precision"`
	LogLoss          float64   `json:"log_loss"`
	Brier            float64   `json:"brier"`
}

func loadSklearn(t *testing.T) []sklearnCase {
	t.Helper()
	path := filepath.Join("testdata", "metrics_small.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read fixture (regenerate with /usr/bin/python3 eval/testdata/metrics_small.py): %v", err)
	}
	var f struct {
		Sklearn string        `json:"sklearn"`
		Cases   []sklearnCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Cases) < 5 {
		t.Fatalf("%s: only %d cases", path, len(f.Cases))
	}
	return f.Cases
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func TestSklearnKnownAnswers(t *testing.T) {
	for _, c := range loadSklearn(t) {
		t.Run(c.Name, func(t *testing.T) {
			const tol = 1e-12
			check := func(what string, got, want float64) {
				t.Helper()
				if !near(got, want, tol) {
					t.Errorf("%s = %.17g, sklearn says %.17g", what, got, want)
				}
			}
			check("ROCAUC", eval.ROCAUC(c.P, c.Y), c.ROCAUC)
			check("PRAUC", eval.PRAUC(c.P, c.Y), c.AveragePrecision)
			check("LogLoss", eval.LogLoss(c.P, c.Y), c.LogLoss)
			check("Brier", eval.Brier(c.P, c.Y), c.Brier)
			m := eval.Compute(c.P, c.Y)
			check("Compute.AUC", m.AUC, c.ROCAUC)
			check("Compute.PRAUC", m.PRAUC, c.AveragePrecision)
			check("Compute.LogLoss", m.LogLoss, c.LogLoss)
			check("Compute.Brier", m.Brier, c.Brier)
		})
	}
}

func TestUndefined(t *testing.T) {
	p := []float64{0.2, 0.4, 0.9}
	none := []bool{false, false, false}
	all := []bool{true, true, true}
	if v := eval.ROCAUC(p, none); !math.IsNaN(v) {
		t.Errorf("ROCAUC with no positives = %v, want NaN", v)
	}
	if v := eval.ROCAUC(p, all); !math.IsNaN(v) {
		t.Errorf("ROCAUC with no negatives = %v, want NaN", v)
	}
	if v := eval.PRAUC(p, none); !math.IsNaN(v) {
		t.Errorf("PRAUC with no positives = %v, want NaN", v)
	}
	if v := eval.PRAUC(p, all); v != 1 {
		t.Errorf("PRAUC with only positives = %v, want 1", v)
	}
	if l, c := eval.LiftAt(p, none, 0.5); !math.IsNaN(l) || !math.IsNaN(c) {
		t.Errorf("LiftAt with no positives = %v, %v, want NaN, NaN", l, c)
	}
	m := eval.Compute(nil, nil)
	if m.N != 0 || !math.IsNaN(m.AUC) || !math.IsNaN(m.ECE) || !math.IsNaN(m.LogLoss) || !math.IsNaN(m.Lift10) {
		t.Errorf("Compute(nil, nil) = %+v, want N 0 and NaN metrics", m)
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	p := []float64{0.1, 0.2}
	y := []bool{true}
	fns := map[string]func(){
		"ROCAUC":           func() { eval.ROCAUC(p, y) },
		"PRAUC":            func() { eval.PRAUC(p, y) },
		"LogLoss":          func() { eval.LogLoss(p, y) },
		"Brier":            func() { eval.Brier(p, y) },
		"ECE":              func() { eval.ECE(p, y, 10) },
		"LiftAt":           func() { eval.LiftAt(p, y, 0.1) },
		"Compute":          func() { eval.Compute(p, y) },
		"Deciles":          func() { eval.Deciles(p, y) },
		"Reliability":      func() { eval.Reliability(p, y, 10) },
		"Gains":            func() { eval.Gains(p, y, 10) },
		"ThresholdStats":   func() { eval.ThresholdStats(p, y, 0.5) },
		"ThresholdForRate": func() { eval.ThresholdForRate(p, y, 0.5) },
	}
	for name, fn := range fns {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				s, _ := r.(string)
				if s != "eval: scores and labels differ in length" {
					t.Errorf("recovered %v, want the eval length panic", r)
				}
			}()
			fn()
		})
	}
}

// TestECEHand: hand-computed. Bins (10 equal-width):
// bin 0 {0.05} rate 0 → 0.05; bin 1 {0.15, 0.12} mean 0.135 rate 0.5 → 0.365;
// bin 5 {0.55} rate 0 → 0.55; bin 8 {0.85} rate 1 → 0.15; bin 9 {0.95} → 0.05.
// ECE = (0.05 + 2·0.365 + 0.55 + 0.15 + 0.05) / 6 = 1.53 / 6 = 0.255.
func TestECEHand(t *testing.T) {
	p := []float64{0.05, 0.15, 0.12, 0.95, 0.85, 0.55}
	y := []bool{false, true, false, true, true, false}
	if got := eval.ECE(p, y, 10); !near(got, 0.255, 1e-14) {
		t.Errorf("ECE = %.17g, want 0.255", got)
	}
	// One bin: |mean p − rate| = |2.67/6 − 0.5| = 0.055.
	if got := eval.ECE(p, y, 1); !near(got, 0.055, 1e-14) {
		t.Errorf("ECE(1 bin) = %.17g, want 0.055", got)
	}
	// Perfectly calibrated within each bin.
	p2 := []float64{0.25, 0.25, 0.25, 0.25, 1, 1}
	y2 := []bool{true, false, false, false, true, true}
	if got := eval.ECE(p2, y2, 10); !near(got, 0, 1e-15) {
		t.Errorf("ECE(calibrated) = %v, want 0", got)
	}
}

// TestLiftHand: 30 rows, top 10 % is ceil(0.1·30) = 3 rows (not 4, although
// 0.1·30 is 3.0000000000000004 in floating point). Four rows tie at the top
// score 0.9; the stable sort takes the first three in input order:
// rows 0 (lost), 5 (won), 7 (won), not row 9 (won).
// Positives: rows 5, 7, 9, 20, 21, 22 → base rate 6/30 = 0.2.
// Lift = (2/3) / 0.2 = 10/3; capture = 2/6.
func TestLiftHand(t *testing.T) {
	p := make([]float64, 30)
	y := make([]bool, 30)
	for i := range p {
		p[i] = 0.5 - float64(i)/100
	}
	for _, i := range []int{0, 5, 7, 9} {
		p[i] = 0.9
	}
	for _, i := range []int{5, 7, 9, 20, 21, 22} {
		y[i] = true
	}
	lift, capture := eval.LiftAt(p, y, 0.1)
	if !near(lift, 10.0/3, 1e-14) || !near(capture, 1.0/3, 1e-14) {
		t.Errorf("LiftAt(0.1) = %v, %v, want 10/3, 1/3", lift, capture)
	}
	m := eval.Compute(p, y)
	if m.Lift10 != lift || m.Capture10 != capture {
		t.Errorf("Compute lift10, capture10 = %v, %v, want %v, %v", m.Lift10, m.Capture10, lift, capture)
	}
	// Top 1/3 = 10 rows: the four 0.9s, then rows 1, 2, 3, 4, 6, 8 → 3 positives.
	lift, capture = eval.LiftAt(p, y, 1.0/3)
	if !near(lift, (3.0/10)/0.2, 1e-14) || !near(capture, 0.5, 1e-14) {
		t.Errorf("LiftAt(1/3) = %v, %v, want 1.5, 0.5", lift, capture)
	}
	if lift, capture = eval.LiftAt(p, y, 1); lift != 1 || capture != 1 {
		t.Errorf("LiftAt(1) = %v, %v, want 1, 1", lift, capture)
	}
}

// TestDecilesHand uses 20 rows with scores 0.95, 0.90, ..., 0.00 (row i
// scores 0.95 − 0.05i); each decile holds two rows. Positives are rows
// 0, 1, 2, 5, 12 → base rate 0.25.
func TestDecilesHand(t *testing.T) {
	p := make([]float64, 20)
	y := make([]bool, 20)
	for i := range p {
		p[i] = 0.95 - 0.05*float64(i)
	}
	for _, i := range []int{0, 1, 2, 5, 12} {
		y[i] = true
	}
	d := eval.Deciles(p, y)
	if len(d) != 10 {
		t.Fatalf("got %d deciles, want 10", len(d))
	}
	wantPos := []int{2, 1, 1, 0, 0, 0, 1, 0, 0, 0}
	wantCum := []float64{0.4, 0.6, 0.8, 0.8, 0.8, 0.8, 1, 1, 1, 1}
	for i, dc := range d {
		if dc.Decile != i+1 || dc.N != 2 || dc.Positives != wantPos[i] {
			t.Errorf("decile %d = %+v, want decile %d, N 2, %d positives", i+1, dc, i+1, wantPos[i])
		}
		rate := float64(wantPos[i]) / 2
		if !near(dc.Rate, rate, 1e-15) || !near(dc.Lift, rate/0.25, 1e-14) || !near(dc.CumCapture, wantCum[i], 1e-14) {
			t.Errorf("decile %d: rate %v lift %v cum %v, want %v %v %v", i+1, dc.Rate, dc.Lift, dc.CumCapture, rate, rate/0.25, wantCum[i])
		}
		if dc.MaxP != p[2*i] || dc.MinP != p[2*i+1] || !near(dc.MeanP, (p[2*i]+p[2*i+1])/2, 1e-15) {
			t.Errorf("decile %d: min %v max %v mean %v", i+1, dc.MinP, dc.MaxP, dc.MeanP)
		}
	}
	// Decile 1 is LiftAt's top 10 %.
	lift, _ := eval.LiftAt(p, y, 0.1)
	if lift != d[0].Lift {
		t.Errorf("LiftAt(0.1) = %v, decile 1 lift = %v", lift, d[0].Lift)
	}
	// 23 rows: decile sizes follow ceil(d·23/10): 3,2,2,3,2,2,3,2,2,2.
	d = eval.Deciles(make([]float64, 23), make([]bool, 23))
	sizes := []int{3, 2, 2, 3, 2, 2, 3, 2, 2, 2}
	for i, dc := range d {
		if dc.N != sizes[i] {
			t.Errorf("23 rows: decile %d has %d rows, want %d", i+1, dc.N, sizes[i])
		}
	}
	// 4 rows: deciles 1, 3, 6 and 8 are the non-empty ones (ceil(d·4/10) steps).
	d = eval.Deciles([]float64{0.4, 0.3, 0.2, 0.1}, []bool{true, false, true, false})
	var got []int
	for _, dc := range d {
		got = append(got, dc.Decile)
	}
	if want := []int{1, 3, 6, 8}; !equalInts(got, want) {
		t.Errorf("4 rows: deciles %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReliability(t *testing.T) {
	p := []float64{0.05, 0.15, 0.12, 0.95, 0.85, 0.55, 1.0}
	y := []bool{false, true, false, true, true, false, true}
	got := eval.Reliability(p, y, 5)
	want := []eval.Bin{
		{Lo: 0, Hi: 0.2, N: 3, MeanP: (0.05 + 0.15 + 0.12) / 3, Rate: 1.0 / 3},
		{Lo: 0.4, Hi: 0.6, N: 1, MeanP: 0.55, Rate: 0},
		{Lo: 0.8, Hi: 1, N: 3, MeanP: (0.95 + 0.85 + 1.0) / 3, Rate: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("Reliability = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.N != w.N || !near(g.Lo, w.Lo, 1e-15) || !near(g.Hi, w.Hi, 1e-15) || !near(g.MeanP, w.MeanP, 1e-15) || g.Rate != w.Rate {
			t.Errorf("bin %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestGains(t *testing.T) {
	// Scores descending by index; positives at ranks 0, 1, 4 of 8.
	p := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2}
	y := []bool{true, true, false, false, true, false, false, false}
	got := eval.Gains(p, y, 4)
	want := []eval.GainPoint{{0, 0}, {0.25, 2.0 / 3}, {0.5, 2.0 / 3}, {0.75, 1}, {1, 1}}
	if len(got) != len(want) {
		t.Fatalf("Gains = %v, want %v", got, want)
	}
	for i := range want {
		if !near(got[i].Contacted, want[i].Contacted, 1e-15) || !near(got[i].Captured, want[i].Captured, 1e-15) {
			t.Errorf("point %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestPSI(t *testing.T) {
	expected := make([]float64, 100)
	for i := range expected {
		expected[i] = float64(i)
	}
	// Same distribution: 0.
	if got := eval.PSI(expected, expected, 10); got != 0 {
		t.Errorf("PSI(same) = %v, want 0", got)
	}
	// Quartile bins of 0..99: cuts at 24, 49, 74 → bins of 25 each.
	// actual: 50 values in bin 1 (0..24), 50 in bin 4 (75..99):
	// PSI = 2·(0.5−0.25)·ln 2 + 2·(1e-4−0.25)·ln(1e-4/0.25).
	actual := make([]float64, 100)
	for i := range actual {
		if i < 50 {
			actual[i] = float64(i % 25)
		} else {
			actual[i] = 75 + float64(i%25)
		}
	}
	want := 2*0.25*math.Log(2) + 2*(1e-4-0.25)*math.Log(1e-4/0.25)
	if got := eval.PSI(expected, actual, 4); !near(got, want, 1e-12) {
		t.Errorf("PSI = %.17g, want %.17g", got, want)
	}
	// Heavy ties: all expected equal → one bin → PSI 0 whatever actual is.
	if got := eval.PSI([]float64{1, 1, 1, 1}, []float64{0, 5, 9}, 10); got != 0 {
		t.Errorf("PSI(constant expected) = %v, want 0", got)
	}
	if got := eval.PSI(nil, actual, 10); !math.IsNaN(got) {
		t.Errorf("PSI(empty expected) = %v, want NaN", got)
	}
}

func TestThresholds(t *testing.T) {
	p := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2}
	y := []bool{true, false, true, true, false, false, true, false}
	st := eval.ThresholdStats(p, y, 0.6) // 4 rows above incl. 0.6, 3 won of 4 positives
	want := eval.ThresholdStat{Threshold: 0.6, ShareAbove: 0.5, RateAbove: 0.75, CaptureAbove: 0.75}
	if st != want {
		t.Errorf("ThresholdStats(0.6) = %+v, want %+v", st, want)
	}
	// Cumulative rates from the top: 1, 1/2, 2/3, 3/4, 3/5, 1/2, 4/7, 1/2.
	cases := []struct {
		target float64
		want   float64
		ok     bool
	}{
		{0.75, 0.6, true},
		{0.7, 0.6, true},
		{0.57, 0.3, true}, // 4/7 ≈ 0.571 at 0.3 beats 0.6 at 0.5
		{0.5, 0.2, true},
		{1, 0.9, true},
		{1.01, math.NaN(), false},
	}
	for _, c := range cases {
		got, ok := eval.ThresholdForRate(p, y, c.target)
		if ok != c.ok || !near(got, c.want, 0) {
			t.Errorf("ThresholdForRate(%v) = %v, %v, want %v, %v", c.target, got, ok, c.want, c.ok)
		}
	}
}

func randomSet(n int, seed uint64) ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := make([]float64, n)
	y := make([]bool, n)
	for i := range p {
		// Coarse scores so that ties are common.
		p[i] = float64(rng.IntN(50)) / 50
		y[i] = rng.Float64() < 0.2+0.5*p[i]
	}
	return p, y
}

func TestProperties(t *testing.T) {
	for seed := range uint64(20) {
		n := 10 + int(seed)*37
		p, y := randomSet(n, seed)
		auc := eval.ROCAUC(p, y)
		neg := make([]float64, n)
		mono := make([]float64, n)
		for i, v := range p {
			neg[i] = -v
			mono[i] = math.Exp(3*v) - 7 // strictly increasing
		}
		if r := eval.ROCAUC(neg, y); !near(r, 1-auc, 1e-12) {
			t.Errorf("seed %d: AUC(−p) = %v, want 1 − %v", seed, r, auc)
		}
		if r := eval.ROCAUC(mono, y); r != auc {
			t.Errorf("seed %d: AUC(exp(3p) − 7) = %v, want %v", seed, r, auc)
		}
		if r := eval.PRAUC(mono, y); r != eval.PRAUC(p, y) {
			t.Errorf("seed %d: PRAUC not invariant to a monotone transform", seed)
		}
		if r := bruteAUC(p, y); !near(auc, r, 1e-12) {
			t.Errorf("seed %d: AUC %v, pairwise count %v", seed, auc, r)
		}
		base := eval.Compute(p, y).BaseRate
		for _, frac := range []float64{0.01, 0.1, 0.25, 0.5, 1} {
			lift, capture := eval.LiftAt(p, y, frac)
			if capture < 0 || capture > 1 || lift > 1/base+1e-12 {
				t.Errorf("seed %d frac %v: lift %v capture %v out of range (base %v)", seed, frac, lift, capture, base)
			}
		}
		g := eval.Gains(p, y, 20)
		for i := 1; i < len(g); i++ {
			if g[i].Captured < g[i-1].Captured || g[i].Captured > 1 {
				t.Errorf("seed %d: gains not monotone in [0,1] at %d: %v", seed, i, g)
			}
		}
		if g[len(g)-1].Captured != 1 {
			t.Errorf("seed %d: gains end at %v, want 1", seed, g[len(g)-1].Captured)
		}
		var nsum int
		for _, b := range eval.Reliability(p, y, 10) {
			nsum += b.N
		}
		if nsum != n {
			t.Errorf("seed %d: reliability bins hold %d rows, want %d", seed, nsum, n)
		}
	}
}

// bruteAUC counts pairs: wins + ties/2 over positives × negatives.
func bruteAUC(p []float64, y []bool) float64 {
	var s, pairs float64
	for i := range p {
		if !y[i] {
			continue
		}
		for j := range p {
			if y[j] {
				continue
			}
			pairs++
			switch {
			case p[i] > p[j]:
				s++
			case p[i] == p[j]:
				s += 0.5
			}
		}
	}
	return s / pairs
}

func TestMetricsJSON(t *testing.T) {
	m := eval.Compute([]float64{0.9, 0.2, 0.6, 0.4}, []bool{true, false, false, true})
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"n", "positives", "base_rate", "auc", "pr_auc", "logloss", "brier", "ece", "lift10", "capture10", "mean_pred"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON %s lacks key %q", b, k)
		}
	}
	if len(keys) != 11 {
		t.Errorf("JSON has %d keys, want 11: %s", len(keys), b)
	}
	var back eval.Metrics
	if err := json.Unmarshal(b, &back); err != nil || back != m {
		t.Errorf("round trip: %+v, %v; want %+v", back, err, m)
	}
}

// bench1M returns 1M random scores and labels with about 15 % positives,
// more likely for higher scores.
func bench1M() ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 1_000_000
	p := make([]float64, n)
	y := make([]bool, n)
	for i := range p {
		p[i] = rng.Float64()
		y[i] = rng.Float64() < p[i]*0.3
	}
	return p, y
}

func BenchmarkCompute1M(b *testing.B) {
	p, y := bench1M()
	b.ReportAllocs()
	for b.Loop() {
		eval.Compute(p, y)
	}
}

func BenchmarkROCAUC1M(b *testing.B) {
	p, y := bench1M()
	b.ReportAllocs()
	for b.Loop() {
		eval.ROCAUC(p, y)
	}
}

func TestMetricsJSONNaN(t *testing.T) {
	m := eval.Compute([]float64{0.3, 0.6}, []bool{false, false}) // AUC, PR AUC, lift undefined
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal a single-class Metrics: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["auc"] != nil || raw["logloss"] == nil {
		t.Errorf("JSON %s: want auc null and logloss a number", b)
	}
	var back eval.Metrics
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.AUC) || !math.IsNaN(back.Lift10) || back.LogLoss != m.LogLoss || back.N != 2 {
		t.Errorf("round trip = %+v, want %+v", back, m)
	}
}
