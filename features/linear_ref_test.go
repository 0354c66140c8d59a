package features

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refToLinear is ToLinear as it was before its missing test became one
// subtraction (z−z ≠ 0 for NaN and ±Inf): the oracle of
// TestToLinearMatchesReference.
func refToLinear(t *Transformer, x, dst []float64) {
	for j := range t.feats {
		f := &t.feats[j]
		v := x[j]
		k := f.linStart
		if f.Kind == KindCategorical {
			n := len(f.Levels)
			clear(dst[k : k+n])
			if v >= 0 && v < float64(n) && v == math.Trunc(v) {
				dst[k+int(v)] = 1
			}
			if f.indicator {
				dst[k+n] = 0
				if math.IsNaN(v) {
					dst[k+n] = 1
				}
			}
			continue
		}
		if f.linLog {
			v = math.Log1p(v)
		}
		z := (v - f.mean) / f.std
		missing := math.IsNaN(z) || math.IsInf(z, 0)
		if missing {
			z = 0
		}
		dst[k] = z
		if f.indicator {
			dst[k+1] = 0
			if missing {
				dst[k+1] = 1
			}
		}
	}
}

// TestToLinearMatchesReference: on random tree views with NaN, ±Inf,
// huge, tiny, negative and level-code values, ToLinear gives the
// reference's linear view bit for bit.
func TestToLinearMatchesReference(t *testing.T) {
	tr, _, _ := fittedFixture(t, 300, 1)
	r := rand.New(rand.NewPCG(51, 52))
	x := make([]float64, tr.Width())
	got, want := make([]float64, tr.LinearWidth()), make([]float64, tr.LinearWidth())
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, 5e-324, 0, -1, 1e300}
	for i := range 5000 {
		for j := range x {
			switch r.IntN(4) {
			case 0:
				x[j] = special[r.IntN(len(special))]
			case 1:
				x[j] = float64(r.IntN(12) - 1) // level codes, in range or not
			default:
				x[j] = r.NormFloat64() * math.Exp(r.NormFloat64()*5)
			}
		}
		tr.ToLinear(x, got)
		refToLinear(tr, x, want)
		for k := range got {
			if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
				t.Fatalf("view %d, column %s: %v, want %v (x = %v)", i, tr.LinearNames()[k], got[k], want[k], x)
			}
		}
	}
}
