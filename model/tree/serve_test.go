package tree

import (
	"math"
	"math/rand/v2"
	"testing"
)

// propTree builds a random tree for the serving-layout property test:
// random shape (depth 0 .. maxDepth, so single-leaf trees occur), both
// missing directions, and categorical splits with bitsets of 1 to 3
// words over features with odd index.
func propTree(rng *rand.Rand, d, maxDepth int) Tree {
	var t Tree
	depth := rng.IntN(maxDepth + 1)
	var grow func(level int) int
	grow = func(level int) int {
		if level == depth || (level > 0 && rng.IntN(5) == 0) {
			t.Leaves = append(t.Leaves, rng.NormFloat64())
			t.LeafCover = append(t.LeafCover, 1)
			return ^(len(t.Leaves) - 1)
		}
		i := len(t.Nodes)
		f := rng.IntN(d)
		n := Node{Feature: f, MissingLeft: rng.IntN(2) == 0, Cover: 1}
		if f%2 == 1 {
			n.Categorical = true
			n.Categories = make([]uint64, 1+rng.IntN(3))
			for k := range n.Categories {
				n.Categories[k] = rng.Uint64()
			}
		} else {
			n.Threshold = propThresholds[rng.IntN(len(propThresholds))]
		}
		t.Nodes = append(t.Nodes, n)
		l := grow(level + 1)
		r := grow(level + 1)
		t.Nodes[i].Left, t.Nodes[i].Right = l, r
		return i
	}
	grow(0)
	return t
}

// propThresholds are the numeric thresholds; rows draw from the same
// values so that ties (x == threshold) are frequent.
var propThresholds = []float64{-2, -1, -0.5, 0, 0.5, 1, 2, 63.5, math.Inf(1), math.Inf(-1), -math.MaxFloat64}

// propValue draws a feature value: thresholds (ties), NaN, ±Inf, ±0,
// in-range and out-of-range category codes (negative, fractional,
// beyond the bitset, huge), and ordinary numbers.
func propValue(rng *rand.Rand) float64 {
	switch rng.IntN(12) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1)
	case 2:
		return math.Inf(-1)
	case 3:
		return math.Copysign(0, -1)
	case 4, 5:
		return propThresholds[rng.IntN(len(propThresholds))]
	case 6, 7:
		return float64(rng.IntN(200)) // codes inside and beyond 1-3 word bitsets
	case 8:
		return float64(rng.IntN(200)) + rng.Float64() // fractional codes truncate
	case 9:
		return -float64(rng.IntN(70)) - rng.Float64() // negative codes
	case 10:
		return []float64{1e300, -1e300, 1 << 40, 1 << 63, math.SmallestNonzeroFloat64}[rng.IntN(5)]
	}
	return rng.NormFloat64() * 3
}

// TestServingMatchesReference checks, on random forests and adversarial
// inputs, that the serving layout reaches the same leaf as the reference
// walk in every tree, and that Margin and Margins equal the reference
// margin bit for bit.
func TestServingMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	lockstep, wide := 0, 0 // groups of four walked by walk4 / by walk
	for trial := range 40 {
		d := 1 + rng.IntN(8)
		switch trial { // rows wider than Margin's stack buffers
		case 38:
			d = 100
		case 39:
			d = maxRowCodes + 1
		}
		trees := make([]Tree, rng.IntN(12))
		for i := range trees {
			trees[i] = propTree(rng, d, 1+rng.IntN(9))
		}
		f, err := NewForest(d, rng.NormFloat64(), trees)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !f.sv.ok {
			t.Fatalf("trial %d: serving layout not built", trial)
		}
		const rows = 300
		X := make([]float64, rows*d)
		for j := range X {
			X[j] = propValue(rng)
		}
		got := make([]float64, rows)
		f.Margins(got, X, rows)
		var out [lanes]uint32
		codes := make([]rowCode, d)
		for r := range rows {
			x := X[r*d : (r+1)*d]
			rowCodes(codes, x)
			for t0 := 0; t0 < len(trees); t0 += lanes {
				o := out[:min(lanes, len(trees)-t0)]
				if len(o) == lanes && !f.sv.anyWide(t0) {
					f.sv.walk4(&out, t0, x, codes)
					lockstep++
				} else {
					wide += len(o) / lanes
					f.sv.walk(o, t0, x, codes)
				}
				for k, e := range o {
					if g, w := f.sv.leaf[e], f.leaf(f.roots[t0+k], x); g != w {
						t.Fatalf("trial %d, row %d %v, tree %d: serving leaf %d, reference leaf %d", trial, r, x, t0+k, g, w)
					}
				}
			}
			want := f.marginRef(x)
			if m := f.Margin(x); math.Float64bits(m) != math.Float64bits(want) {
				t.Fatalf("trial %d, row %d: Margin %v, reference %v", trial, r, m, want)
			}
			if math.Float64bits(got[r]) != math.Float64bits(want) {
				t.Fatalf("trial %d, row %d: Margins %v, reference %v", trial, r, got[r], want)
			}
		}
	}
	// Both group paths must have been exercised for the test to mean
	// anything.
	if lockstep == 0 || wide == 0 {
		t.Fatalf("%d lockstep and %d wide groups walked; want both > 0", lockstep, wide)
	}
}

// TestServingFallback checks that a forest the serving layout cannot
// represent (more than 2^16 features) scores by the reference walk.
func TestServingFallback(t *testing.T) {
	const d = 1<<16 + 2
	tr := Tree{
		Nodes:     []Node{{Feature: d - 1, Threshold: 0.5, Left: -1, Right: -2}},
		Leaves:    []float64{1, 2},
		LeafCover: []float64{1, 1},
	}
	f, err := NewForest(d, 0, []Tree{tr})
	if err != nil {
		t.Fatal(err)
	}
	if f.sv.ok {
		t.Fatal("serving layout built for more than 2^16 features")
	}
	x := make([]float64, d)
	for _, c := range []struct{ x, want float64 }{{0.5, 1}, {0.6, 2}} {
		x[d-1] = c.x
		if got := f.Margin(x); got != c.want {
			t.Errorf("Margin(x[%d] = %v) = %v, want %v", d-1, c.x, got, c.want)
		}
	}
}
