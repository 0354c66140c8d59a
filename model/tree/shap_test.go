package tree_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"leadscore/model/tree"
)

// goLeft mirrors the documented split semantics on the readable form.
func goLeft(n tree.Node, v float64) bool {
	if math.IsNaN(v) {
		return n.MissingLeft
	}
	if n.Categorical {
		if v < 0 || v >= float64(64*len(n.Categories)) {
			return false
		}
		c := int(v)
		return n.Categories[c/64]>>(c%64)&1 == 1
	}
	return v <= n.Threshold
}

// condExpect is the path-dependent conditional expectation E[f(x) | x_S]
// of one tree (Lundberg et al. 2018, Algorithm 1): features in S follow
// x, others average the children weighted by their covers.
func condExpect(t tree.Tree, x []float64, inS func(int) bool) float64 {
	cover := func(c int) float64 {
		if c < 0 {
			return t.LeafCover[^c]
		}
		return t.Nodes[c].Cover
	}
	var rec func(c int) float64
	rec = func(c int) float64 {
		if c < 0 {
			return t.Leaves[^c]
		}
		n := t.Nodes[c]
		if inS(n.Feature) {
			if goLeft(n, x[n.Feature]) {
				return rec(n.Left)
			}
			return rec(n.Right)
		}
		cl, cr := cover(n.Left), cover(n.Right)
		return (cl*rec(n.Left) + cr*rec(n.Right)) / (cl + cr)
	}
	if len(t.Nodes) == 0 {
		return t.Leaves[0]
	}
	return rec(0)
}

// bruteShapley enumerates all feature subsets:
// phi_i = sum over S ⊆ F\{i} of |S|!(M-|S|-1)!/M! (v(S∪{i}) - v(S)).
func bruteShapley(f *tree.Forest, x []float64) (base float64, phi []float64) {
	m := f.NumFeatures()
	phi = make([]float64, m)
	fact := func(k int) float64 { return math.Gamma(float64(k + 1)) }
	v := func(mask int) float64 {
		s := f.Base()
		for i := range f.NumTrees() {
			s += condExpect(f.Tree(i), x, func(j int) bool { return mask>>j&1 == 1 })
		}
		return s
	}
	for i := range m {
		for mask := 0; mask < 1<<m; mask++ {
			if mask>>i&1 == 1 {
				continue
			}
			k := 0
			for j := range m {
				k += mask >> j & 1
			}
			w := fact(k) * fact(m-k-1) / fact(m)
			phi[i] += w * (v(mask|1<<i) - v(mask))
		}
	}
	return v(0), phi
}

func TestSHAPMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const d = 4
	// Depth 5 over 4 features forces repeated features on a path, which
	// exercises UNWIND.
	f := randomForest(t, rng, d, 5, 5)
	x := make([]float64, d)
	phi := make([]float64, d)
	for range 30 {
		randomRow(rng, x)
		clear(phi)
		base := f.SHAP(x, phi)
		wantBase, wantPhi := bruteShapley(f, x)
		if math.Abs(base-wantBase) > 1e-9 {
			t.Fatalf("x=%v: base %v, brute force %v", x, base, wantBase)
		}
		for j := range phi {
			if math.Abs(phi[j]-wantPhi[j]) > 1e-9 {
				t.Fatalf("x=%v: phi[%d] = %v, brute force %v", x, j, phi[j], wantPhi[j])
			}
		}
	}
}

// TestSHAPKnownAnswer works the hand-built tree by hand. For x = (3, 2):
// x0 > 2.5 goes right, x1 = 2 is not in {1,3}, so f(x) = 0.5 + 5 = 5.5.
// Covers: root children 4 (leaf -1) and 6 (node 1); node 1 children 2
// (leaf 2) and 4 (leaf 5).
//
//	v({})     = 0.5 + 0.4·(-1) + 0.6·(2·2+4·5)/6 = 0.5 - 0.4 + 2.4 = 2.5
//	v({x0})   = 0.5 + 4 = 4.5
//	v({x1})   = 0.5 + 0.4·(-1) + 0.6·5 = 3.1
//	v({x0,x1}) = 5.5
//	phi0 = ½(4.5-2.5) + ½(5.5-3.1) = 2.2;  phi1 = ½(3.1-2.5) + ½(5.5-4.5) = 0.8
func TestSHAPKnownAnswer(t *testing.T) {
	f := mustForest(t, 2, 0.5, threeNode(false, false))
	phi := make([]float64, 2)
	base := f.SHAP([]float64{3, 2}, phi)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"base", base, 2.5}, {"phi0", phi[0], 2.2}, {"phi1", phi[1], 0.8}} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestSHAPAdditivity(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for range 20 {
		d := 1 + rng.IntN(12)
		f := randomForest(t, rng, d, 1+rng.IntN(40), 1+rng.IntN(8))
		x, phi := make([]float64, d), make([]float64, d)
		for range 20 {
			randomRow(rng, x)
			clear(phi)
			base := f.SHAP(x, phi)
			sum := base
			for _, p := range phi {
				sum += p
			}
			if m := f.Margin(x); math.Abs(sum-m) > 1e-9 {
				t.Fatalf("d=%d trees=%d x=%v: base+sum(phi) = %v, Margin = %v", d, f.NumTrees(), x, sum, m)
			}
		}
	}
}
