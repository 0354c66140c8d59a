package logistic

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestGradientFiniteDifference compares the analytic gradient of J/Σw with
// central differences at random points, with weights, fractional targets,
// and large margins where a naive log(1+e^z) overflows. Row counts on both
// sides of parallelRows exercise the inline and the goroutine paths.
func TestGradientFiniteDifference(t *testing.T) {
	for _, n := range []int{37, parallelRows + 3} {
		rng := rand.New(rand.NewPCG(uint64(n), 3))
		d := 5
		X := mat.NewDense(n, d, nil)
		y := make([]float64, n)
		w := make([]float64, n)
		for i := range n {
			for j := range d {
				X.Set(i, j, rng.NormFloat64())
			}
			y[i] = float64(rng.IntN(2))
			if i%7 == 0 {
				y[i] = 0.3 // targets need not be 0/1
			}
			w[i] = rng.Float64() * 2
		}
		p, err := newProblem(X, y, w, 0.7)
		if err != nil {
			t.Fatal(err)
		}
		for trial := range 5 {
			b := make([]float64, d+1)
			scale := 1.0
			if trial == 4 {
				scale = 300 // margins far beyond exp's range
			}
			for j := range b {
				b[j] = scale * rng.NormFloat64()
			}
			g := make([]float64, d+1)
			f := p.eval(b, g)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("n %d trial %d: objective %v", n, trial, f)
			}
			for j := range b {
				h := 1e-6 * math.Max(1, math.Abs(b[j]))
				bp := append([]float64(nil), b...)
				bm := append([]float64(nil), b...)
				bp[j] += h
				bm[j] -= h
				scratch := make([]float64, d+1)
				fd := (p.eval(bp, scratch) - p.eval(bm, scratch)) / (2 * h)
				if math.Abs(fd-g[j]) > 1e-6*math.Max(1, math.Abs(g[j])) {
					t.Errorf("n %d trial %d: ∂J/∂b%d = %v, finite difference %v", n, trial, j, g[j], fd)
				}
			}
		}
	}
}

// TestChunksDeterministic: the goroutine split gives the same bits as the
// inline path over the same chunks, and repeated evaluations agree.
func TestChunksDeterministic(t *testing.T) {
	n, d := parallelRows*2+1, 3
	rng := rand.New(rand.NewPCG(9, 9))
	X := mat.NewDense(n, d, nil)
	y := make([]float64, n)
	for i := range n {
		for j := range d {
			X.Set(i, j, rng.NormFloat64())
		}
		y[i] = float64(i % 2)
	}
	p, err := newProblem(X, y, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := []float64{0.1, -0.2, 0.3, 0.4}
	g1, g2 := make([]float64, d+1), make([]float64, d+1)
	f1 := p.eval(b, g1)
	p.chunks[0].run(p, b)
	p.chunks[1].run(p, b)
	for range 3 {
		if f2 := p.eval(b, g2); f2 != f1 {
			t.Fatalf("objective changed between evaluations: %v vs %v", f1, f2)
		}
		for j := range g1 {
			if g1[j] != g2[j] {
				t.Fatalf("gradient %d changed between evaluations", j)
			}
		}
	}
}

func BenchmarkEval1Mx40(b *testing.B) {
	n, d := 1_000_000, 40
	rng := rand.New(rand.NewPCG(1, 1))
	X := mat.NewDense(n, d, nil)
	raw := X.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(i % 2)
	}
	p, err := newProblem(X, y, nil, 1)
	if err != nil {
		b.Fatal(err)
	}
	beta := make([]float64, d+1)
	for j := range beta {
		beta[j] = 0.01 * float64(j)
	}
	g := make([]float64, d+1)
	for b.Loop() {
		p.eval(beta, g)
	}
}
