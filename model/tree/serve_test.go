package tree

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// propTree builds a random tree for the serving-layout property test:
// random shape (depth 0 .. maxDepth, so single-leaf trees occur; with
// full, exactly maxDepth and complete), both missing directions, numeric
// thresholds drawn from pool, and categorical splits with bitsets of 1
// to 3 words over features with odd index.
func propTree(rng *rand.Rand, d, maxDepth int, full bool, pool []float64) Tree {
	var t Tree
	depth := rng.IntN(maxDepth + 1)
	if full {
		depth = maxDepth
	}
	var grow func(level int) int
	grow = func(level int) int {
		if level == depth || (!full && level > 0 && rng.IntN(5) == 0) {
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
			n.Threshold = pool[rng.IntN(len(pool))]
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

// manyThresholds is a pool of 700 distinct thresholds (and -0), so that
// a feature has over 64 of them (several compact-layout chunks).
var manyThresholds = func() []float64 {
	rng := rand.New(rand.NewPCG(41, 42))
	p := append([]float64{math.Copysign(0, -1)}, propThresholds...)
	for range 700 {
		p = append(p, math.Round(rng.NormFloat64()*1e4)/1e3)
	}
	return p
}()

// propValue draws a feature value: thresholds of pool (ties), NaN, ±Inf,
// ±0, in-range and out-of-range category codes (negative, fractional,
// beyond the bitset, huge), and ordinary numbers.
func propValue(rng *rand.Rand, pool []float64) float64 {
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
		return pool[rng.IntN(len(pool))]
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
// inputs, that the serving layouts reach the same leaf as the reference
// walk in every tree, and that Margin and Margins equal the reference
// margin bit for bit. The forests mix trees the compact layout holds
// (alone or in groups of eight) with trees it leaves to the general
// layout (wide bitsets, depth over maxCompactDepth), and some features
// have hundreds of thresholds.
func TestServingMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	lockstep, wide := 0, 0             // general layout: groups walked by walk4 / by walk
	grouped, alone, general := 0, 0, 0 // trees by layout
	for trial := range 60 {
		d := 1 + rng.IntN(8)
		switch trial { // rows wider than Margin's stack buffers
		case 38:
			d = 100
		case 39:
			d = maxRowCodes + 1
		}
		pool := propThresholds
		if trial%3 == 2 {
			pool = manyThresholds
		}
		var trees []Tree
		if trial < 40 {
			trees = make([]Tree, rng.IntN(12))
			for i := range trees {
				trees[i] = propTree(rng, d, 1+rng.IntN(9), false, pool)
			}
		} else { // runs of complete trees of one depth: compact groups
			for range 1 + rng.IntN(3) {
				depth := rng.IntN(maxCompactDepth + 2)
				for range 4 + rng.IntN(24) {
					trees = append(trees, propTree(rng, d, depth, true, pool))
				}
			}
		}
		f, err := NewForest(d, rng.NormFloat64(), trees)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !f.sv.ok {
			t.Fatalf("trial %d: serving layout not built", trial)
		}
		c := &f.cp
		for k := range trees {
			switch {
			case !c.ok || !c.in[k]:
				general++
			case c.sh[k] == groupShift:
				grouped++
			default:
				alone++
			}
		}
		const rows = 300
		X := make([]float64, rows*d)
		for j := range X {
			X[j] = propValue(rng, pool)
		}
		got := make([]float64, rows)
		f.Margins(got, X, rows)
		var out [lanes]uint32
		codes := make([]rowCode, d)
		cc := make([]uint64, c.slots)
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
			if c.ok {
				c.codeRow(cc, x)
				var g8 [wideLanes]uint32
				k8 := 0 // the group of tree k starts at tree k8
				for k := range trees {
					if !c.in[k] {
						continue
					}
					e := c.walk1(k, cc)
					if c.group[k] {
						c.walkTrees(&g8, k, cc)
						k8 = k
					}
					if c.sh[k] == groupShift && g8[k-k8] != e {
						t.Fatalf("trial %d, row %d, tree %d: walkTrees leaf entry %d, walk1 %d", trial, r, k, g8[k-k8], e)
					}
					if g, w := c.leaf[e], f.leaf(f.roots[k], x); g != w {
						t.Fatalf("trial %d, row %d %v, tree %d: compact leaf %d, reference leaf %d", trial, r, x, k, g, w)
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
	// Every path must have been exercised for the test to mean anything.
	t.Logf("general layout: %d lockstep and %d other groups; trees: %d grouped, %d alone, %d general", lockstep, wide, grouped, alone, general)
	if lockstep == 0 || wide == 0 || grouped == 0 || alone == 0 || general == 0 {
		t.Fatalf("%d lockstep and %d wide groups walked, %d grouped, %d alone and %d general trees; want all > 0", lockstep, wide, grouped, alone, general)
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

// TestMarginSlotTiers checks Margin and Margins against the reference
// walk for forests whose row coding takes each of Margin's stack
// buffers (up to 256, 1024 and maxStackSlots slots) and the heap: one
// split per feature, every other feature categorical (two slots each),
// in complete trees of depth 8, plus a tree the compact layout leaves
// out (a two-word bitset), so the general layout's codes are needed too.
func TestMarginSlotTiers(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, c := range []struct{ d, minSlots, maxSlots int }{
		{100, 2, 256}, {300, 257, 512}, {600, 513, 1024}, {1500, 1025, maxStackSlots}, {4200, maxStackSlots + 1, 1 << 16},
	} {
		var trees []Tree
		for j := 0; j < c.d; {
			var tr Tree
			var grow func(level int) int
			grow = func(level int) int {
				if level == 8 || j >= c.d {
					tr.Leaves = append(tr.Leaves, rng.NormFloat64())
					tr.LeafCover = append(tr.LeafCover, 1)
					return ^(len(tr.Leaves) - 1)
				}
				n := Node{Feature: j, MissingLeft: rng.IntN(2) == 0, Threshold: propThresholds[rng.IntN(len(propThresholds))], Cover: 1}
				if j%2 == 1 {
					n.Categorical, n.Threshold, n.Categories = true, 0, []uint64{rng.Uint64() | 1}
				}
				j++
				i := len(tr.Nodes)
				tr.Nodes = append(tr.Nodes, n)
				l := grow(level + 1)
				r := grow(level + 1)
				tr.Nodes[i].Left, tr.Nodes[i].Right = l, r
				return i
			}
			grow(0)
			trees = append(trees, tr)
		}
		trees = append(trees, Tree{
			Nodes:     []Node{{Feature: 1, Categorical: true, Categories: []uint64{5, 7}, Left: -1, Right: -2}},
			Leaves:    []float64{1, 2},
			LeafCover: []float64{1, 1},
		})
		f, err := NewForest(c.d, 0.25, trees)
		if err != nil {
			t.Fatal(err)
		}
		if !f.cp.ok || !f.cp.anyOut || f.cp.slots < c.minSlots || f.cp.slots > c.maxSlots {
			t.Fatalf("d=%d: compact layout ok %v, trees left out %v, %d slots; want true, true, [%d, %d]",
				c.d, f.cp.ok, f.cp.anyOut, f.cp.slots, c.minSlots, c.maxSlots)
		}
		const rows = 20
		X := make([]float64, rows*c.d)
		for j := range X {
			X[j] = propValue(rng, propThresholds)
		}
		got := make([]float64, rows)
		f.Margins(got, X, rows)
		for r := range rows {
			x := X[r*c.d : (r+1)*c.d]
			want := f.marginRef(x)
			if m := f.Margin(x); math.Float64bits(m) != math.Float64bits(want) {
				t.Fatalf("d=%d, row %d: Margin %v, reference %v", c.d, r, m, want)
			}
			if math.Float64bits(got[r]) != math.Float64bits(want) {
				t.Fatalf("d=%d, row %d: Margins %v, reference %v", c.d, r, got[r], want)
			}
		}
	}
}

// TestRankIndex checks rankIndex.rank against a binary search for
// threshold counts around its block sizes and beyond the sizes its top
// level scans (over 16 blocks of 64 it searches), at the thresholds
// themselves, between them, beyond both ends, at ±Inf and NaN (0).
func TestRankIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, n := range []int{1, 7, 8, 63, 64, 65, 511, 512, 513, 1024, 1025, 1500} {
		ts := make([]float64, n)
		for i := range ts {
			ts[i] = float64(i)*1.5 - 100 + rng.Float64()
		}
		ix := newRankIndex(ts)
		xs := []float64{math.Inf(-1), math.Inf(1), ts[0] - 1, ts[n-1] + 1}
		for _, v := range ts {
			xs = append(xs, v, math.Nextafter(v, math.Inf(1)), math.Nextafter(v, math.Inf(-1)))
		}
		for _, x := range xs {
			if got, want := ix.rank(x), sort.SearchFloat64s(ts, x); got != want {
				t.Fatalf("n=%d: rank(%v) = %d, want %d", n, x, got, want)
			}
		}
		if got := ix.rank(math.NaN()); got != 0 {
			t.Fatalf("n=%d: rank(NaN) = %d, want 0", n, got)
		}
	}
}
