package tree

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// blockTestForest builds a random forest for the block-layout tests:
// runs of complete trees (depth 0 .. maxCompactDepth) and random-shaped
// ones (padded by the layout), some categorical features with many
// splits (so that their masks come from byte tables) and, when out is
// set, trees the block layout leaves to the per-row walk (a two-word
// bitset, or depth maxCompactDepth+1). Numeric thresholds come from pool.
func blockTestForest(t testing.TB, rng *rand.Rand, d int, pool []float64, out bool) *Forest {
	t.Helper()
	var trees []Tree
	for range 1 + rng.IntN(4) {
		switch rng.IntN(3) {
		case 0: // complete trees of one depth
			depth := rng.IntN(maxCompactDepth + 1)
			for range 1 + rng.IntN(12) {
				trees = append(trees, propTree(rng, d, depth, true, pool))
			}
		case 1: // random shapes
			for range 1 + rng.IntN(12) {
				trees = append(trees, propTree(rng, d, 1+rng.IntN(maxCompactDepth), false, pool))
			}
		default: // many one-word categorical splits on feature 1
			for range 1 + rng.IntN(6) {
				trees = append(trees, catTree(rng, d, 1+rng.IntN(6)))
			}
		}
	}
	if out {
		wide := Tree{
			Nodes:     []Node{{Feature: 1 % d, Categorical: true, Categories: []uint64{rng.Uint64(), rng.Uint64()}, Left: ^0, Right: ^1}},
			Leaves:    []float64{rng.NormFloat64(), rng.NormFloat64()},
			LeafCover: []float64{1, 1},
		}
		at := rng.IntN(len(trees) + 1)
		trees = append(trees[:at], append([]Tree{wide}, trees[at:]...)...)
		trees = append(trees, propTree(rng, d, maxCompactDepth+1, true, pool))
	}
	// Keep propTree's wide bitsets out of forests that should have none.
	if !out {
		for i := range trees {
			for k := range trees[i].Nodes {
				if n := &trees[i].Nodes[k]; n.Categorical {
					n.Categories = n.Categories[:1]
					n.Categories[0] |= 1 << rng.IntN(64) // never empty
				}
			}
		}
	}
	f, err := NewForest(d, rng.NormFloat64(), trees)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// catTree is a complete tree of the given depth whose splits are all
// one-word categorical splits on feature 1 (feature 0 if d == 1), with
// both missing directions.
func catTree(rng *rand.Rand, d, depth int) Tree {
	var t Tree
	var grow func(level int) int
	grow = func(level int) int {
		if level == depth {
			t.Leaves = append(t.Leaves, rng.NormFloat64())
			t.LeafCover = append(t.LeafCover, 1)
			return ^(len(t.Leaves) - 1)
		}
		i := len(t.Nodes)
		w := rng.Uint64() & rng.Uint64() // about 16 codes
		if w == 0 {
			w = 1
		}
		t.Nodes = append(t.Nodes, Node{Feature: 1 % d, Categorical: true, Categories: []uint64{w}, MissingLeft: rng.IntN(2) == 0, Cover: 1})
		l := grow(level + 1)
		r := grow(level + 1)
		t.Nodes[i].Left, t.Nodes[i].Right = l, r
		return i
	}
	grow(0)
	return t
}

// blockPaths counts what the block layout of a forest exercises.
type blockPaths struct {
	forests, trees, outside   int // forests with a layout; trees in it; trees walked per row
	bothNaN, tables, direct   int // numeric features with both NaN variants; categorical features by method
	padded, deep, singleLeaf  int // trees with a leaf above the layout's depth; of depth maxCompactDepth; a single leaf
	blocksScored, tailScored  int // Margins calls that scored a bit-sliced block / a short tail per row
	partial, checkedLeafCalls int // partial blocks checked; leafPositions results checked
	grids, shufBit            int // numeric features ranked by a grid; blocks with AVX-512 categorical masks
	groups, vec               int // groups of eight trees; super-blocks scored with the AVX-512 kernels
	groupSupers, laneSupers   int // super-blocks whose trees the group / the lane kernel scored
	codeGrids                 int // compact-layout features whose row coding ranks by a grid (Margin)
}

func (p *blockPaths) add(f *Forest) {
	b := &f.bl
	if !b.ok {
		return
	}
	p.forests++
	for t, in := range b.in {
		if !in {
			p.outside++
			continue
		}
		p.trees++
		switch {
		case f.treeLeaf[t+1]-f.treeLeaf[t] == 1:
			p.singleLeaf++
		case b.depth[t] == maxCompactDepth:
			p.deep++
		}
		if int(f.treeLeaf[t+1]-f.treeLeaf[t]) < 1<<b.depth[t] {
			p.padded++
		}
	}
	for _, g := range b.group {
		if g {
			p.groups++
		}
	}
	for _, g := range f.cp.grid {
		if g.start != nil {
			p.codeGrids++
		}
	}
	for _, n := range b.nums {
		if n.offL >= 0 && n.offR >= 0 {
			p.bothNaN++
		}
		if n.grid.start != nil {
			p.grids++
		}
	}
	for _, c := range b.cats {
		if len(c.word) >= catTableSplits {
			p.tables++
		} else {
			p.direct++
		}
	}
}

// checkLeaves checks that leafPositions sends each row of each block of
// the rows xb (n rows, at most superRows) to the leaf the reference walk
// reaches, in every tree of the block layout, with the masks built by
// buildMasks for the whole super-block (stride blockLanes) and, when n is
// at most 64, for one block (stride 1).
func checkLeaves(t *testing.T, f *Forest, sc *blockScratch, xb []float64, n int) int {
	t.Helper()
	b := &f.bl
	d := f.numFeatures
	var idx [64]uint8
	checked := 0
	for _, stride := range []int{1, blockLanes} {
		if stride == 1 && n > blockRows {
			continue
		}
		sc.setStride(&f.bl, stride)
		f.buildMasks(sc, xb, n)
		for tr, in := range b.in {
			if !in {
				continue
			}
			for j := 0; j*blockRows < n; j++ {
				nj := min(blockRows, n-j*blockRows)
				b.leafPositions(sc, &idx, tr, j, ^uint64(0)>>(64-nj))
				for i := range nj {
					r := j*blockRows + i
					x := xb[r*d : (r+1)*d]
					if g, w := b.leaf[int(b.vbase[tr])+int(idx[i])], f.leaf(f.roots[tr], x); g != w {
						t.Fatalf("stride %d, tree %d, row %d of %d %v: block leaf %d, reference leaf %d", stride, tr, r, n, x, g, w)
					}
				}
			}
			checked++
		}
	}
	return checked
}

// TestBlockMatchesReference checks, on random forests and adversarial
// inputs (ties with thresholds, NaN, ±Inf, ±0, negative, fractional,
// huge and out-of-range category codes), that the block layout sends
// every row to the reference walk's leaf in every tree, and that Margins
// (and Margin) equal the reference margin bit for bit for row counts
// around the block size (0, 1, tails below and above minBlockRows,
// several blocks, several super-blocks), with the AVX-512 kernels and
// without; and that scoreSuper does on super-blocks of every size, with
// the group kernel (up to maxGroupBlocks blocks) and the lane kernel.
func TestBlockMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	var p blockPaths
	for trial := range 80 {
		d := 1 + rng.IntN(7)
		pool := propThresholds
		if trial%3 == 2 {
			pool = manyThresholds
		}
		f := blockTestForest(t, rng, d, pool, trial%2 == 1)
		p.add(f) // a forest with no tree the layout holds scores row by row
		rows := []int{0, 1, 2, minBlockRows - 1, minBlockRows, 63, 64, 65, 64 + minBlockRows - 1, 64 + minBlockRows, 200,
			superRows, superRows + minBlockRows - 1, 2*superRows + 100}[trial%14]
		X := make([]float64, max(rows, superRows)*d)
		for j := range X {
			X[j] = propValue(rng, pool)
		}
		got := make([]float64, rows)
		f.Margins(got, X[:rows*d], rows)
		for r := range rows {
			want := f.marginRef(X[r*d : (r+1)*d])
			if math.Float64bits(got[r]) != math.Float64bits(want) {
				t.Fatalf("trial %d, row %d of %d: Margins %v, reference %v", trial, r, rows, got[r], want)
			}
			if m := f.Margin(X[r*d : (r+1)*d]); math.Float64bits(m) != math.Float64bits(want) {
				t.Fatalf("trial %d, row %d of %d: Margin %v, reference %v", trial, r, rows, m, want)
			}
		}
		if rows >= minBlockRows {
			p.blocksScored++
		}
		if rows%blockRows != 0 && rows%blockRows < minBlockRows {
			p.tailScored++
		}
		if !f.bl.ok {
			continue
		}
		// Every block size, scored directly, with its leaves checked, with
		// the categorical masks by AVX-512 (where the processor has it)
		// and in Go.
		sc := f.newBlockScratch()
		acc := make([]float64, superRows)
		for k, n := range []int{1, 1 + rng.IntN(63), 64, 1 + rng.IntN(64),
			65 + rng.IntN(maxGroupBlocks*blockRows-64), maxGroupBlocks*blockRows + 1 + rng.IntN(superRows-maxGroupBlocks*blockRows)} {
			f.bl.shufBit = hasShufBit && k%2 == 0
			if f.bl.shufBit {
				p.shufBit++
			}
			f.bl.vec = hasVec && (k < 2 || k >= 4)
			if f.bl.vec {
				p.vec++
				if nb := (n + blockRows - 1) / blockRows; nb <= maxGroupBlocks {
					p.groupSupers++
				} else {
					p.laneSupers++
				}
			}
			xb := X[:n*d]
			f.scoreSuper(sc, acc[:n], xb)
			for r := range n {
				want := f.marginRef(xb[r*d : (r+1)*d])
				if math.Float64bits(acc[r]) != math.Float64bits(want) {
					t.Fatalf("trial %d, super-block of %d, row %d: scoreSuper %v, reference %v", trial, n, r, acc[r], want)
				}
			}
			p.checkedLeafCalls += checkLeaves(t, f, sc, xb, n)
			if n < 64 {
				p.partial++
			}
		}
	}
	t.Logf("%+v", p)
	if p.forests == 0 || p.trees == 0 || p.outside == 0 || p.bothNaN == 0 || p.tables == 0 || p.direct == 0 ||
		p.padded == 0 || p.deep == 0 || p.singleLeaf == 0 || p.blocksScored == 0 || p.tailScored == 0 || p.partial == 0 ||
		p.grids == 0 || (hasShufBit && p.shufBit == 0) || p.groups == 0 || (hasVec && p.vec == 0) || p.codeGrids == 0 ||
		(hasVec && (p.groupSupers == 0 || p.laneSupers == 0)) {
		t.Fatalf("some path of the block layout was not exercised: %+v", p)
	}
}

// TestBlockCategoricalCodes pins the categorical semantics of the block
// masks (Forest.goLeft: NaN follows the missing direction; a value in
// [0, 64) is truncated to its code; anything else goes right) with the
// values at its edges, for a feature with few splits (masks bit by bit)
// and one with many (byte tables).
func TestBlockCategoricalCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(73, 74))
	edges := []float64{
		math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), -0.5, -1, 0.99, 1, 62.5, 63, 63.999,
		64, 64.5, 1e300, -1e300, 1 << 63, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	}
	for _, trees := range []int{1, 2 * catTableSplits} {
		var ts []Tree
		for range trees {
			ts = append(ts, catTree(rng, 2, 1))
		}
		f := mustTestForest(t, 2, 0.5, ts)
		if got := len(f.bl.cats); got != 1 || (len(f.bl.cats[0].word) >= catTableSplits) != (trees > 1) {
			t.Fatalf("%d trees: %d categorical features, table path %v", trees, got, len(f.bl.cats[0].word) >= catTableSplits)
		}
		rows := 64
		X := make([]float64, rows*2)
		for r := range rows {
			X[2*r+1] = edges[r%len(edges)]
			if r >= len(edges) {
				X[2*r+1] = float64(rng.IntN(64)) + rng.Float64()
			}
		}
		got := make([]float64, rows)
		for _, sb := range []bool{false, hasShufBit} {
			f.bl.shufBit = sb
			f.Margins(got, X, rows)
			for r := range rows {
				if want := f.marginRef(X[2*r : 2*r+2]); math.Float64bits(got[r]) != math.Float64bits(want) {
					t.Fatalf("%d trees, AVX-512 %v, x = %v: Margins %v, reference %v", trees, sb, X[2*r+1], got[r], want)
				}
			}
		}
	}
}

// TestGridIndex checks gridIndex.rank, bucketRows and (where the
// processor has AVX-512) gridRanksAVX512 against a binary
// search on threshold sets that have a grid (uniform, normal, clustered
// subnormals, integer bins, ranges near MaxFloat64, one outlier at either
// end such as the MaxFloat64 of a missing-value split or ±Inf) at the
// thresholds, next to them, beyond both ends, at ±Inf and NaN, and that
// sets with too few thresholds or too uneven a spread (two outliers at
// one end) get none.
func TestGridIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 78))
	sorted := func(n int, draw func() float64) []float64 {
		seen := map[float64]bool{}
		var ts []float64
		for len(ts) < n {
			v := draw()
			if !seen[v] && !math.IsNaN(v) {
				seen[v] = true
				ts = append(ts, v)
			}
		}
		slices.Sort(ts)
		return ts
	}
	for name, c := range map[string]struct {
		ts   []float64
		grid bool
	}{
		"uniform": {sorted(255, func() float64 { return rng.Float64() * 100 }), true},
		"normal":  {sorted(470, rng.NormFloat64), true},
		"bins":    {sorted(255, func() float64 { return float64(rng.IntN(1000)) + 0.5 }), true},
		"near zero": {sorted(30, func() float64 { // clustered: no grid
			return []float64{0, 1e-300, -1e-300, 5e-324, -5e-324, 1, -1}[rng.IntN(7)] * float64(1+rng.IntN(6))
		}), false},
		"subnormal":     {sorted(40, func() float64 { return float64(rng.IntN(100)-50) * 5e-324 }), false}, // scale overflows
		"few":           {sorted(2*gridScan-1, rng.NormFloat64), false},
		"infinite":      {append(sorted(100, rng.NormFloat64), math.Inf(1)), true}, // the last cell holds +Inf
		"missing split": {append(sorted(226, rng.NormFloat64), math.MaxFloat64), true},
		"both ends":     {append(append([]float64{math.Inf(-1)}, sorted(200, rng.NormFloat64)...), math.MaxFloat64), true},
		"two outliers":  {append(sorted(100, rng.NormFloat64), 1e300, math.MaxFloat64), false},
		"skewed":        {sorted(300, func() float64 { return math.Exp(rng.NormFloat64() * 20) }), false},
		"huge range":    {sorted(64, func() float64 { return (rng.Float64() - 0.5) * math.MaxFloat64 }), true},
	} {
		g := newGridIndex(c.ts)
		if (g.start != nil) != c.grid {
			t.Errorf("%s: grid built %v, want %v", name, g.start != nil, c.grid)
			continue
		}
		if g.start == nil {
			continue
		}
		xs := []float64{math.Inf(-1), math.Inf(1), math.NaN(), 0, math.Copysign(0, -1), -math.MaxFloat64, math.MaxFloat64}
		for _, v := range c.ts {
			xs = append(xs, v, math.Nextafter(v, math.Inf(1)), math.Nextafter(v, math.Inf(-1)))
		}
		for range 1000 {
			xs = append(xs, c.ts[0]+(c.ts[len(c.ts)-1]-c.ts[0])*(rng.Float64()*1.2-0.1))
		}
		for _, x := range xs {
			want := 0
			if !math.IsNaN(x) {
				want, _ = slices.BinarySearch(c.ts, x) // thresholds < x
			}
			if got := g.rank(x); got != want {
				t.Fatalf("%s: rank(%v) = %d, want %d", name, x, got, want)
			}
		}
		if hasVec {
			var col [64]float64
			var ranks [64]uint64
			for i0 := 0; i0 < len(xs); i0 += 64 {
				for i := range col {
					col[i] = math.NaN()
					if i0+i < len(xs) {
						col[i] = xs[i0+i]
					}
				}
				nan := gridRanksAVX512(&col, &ranks, &g.start[0], &g.thr[0], g.lo, g.scale, g.last)
				for i, x := range col {
					if want := g.rank(x); ranks[i] != uint64(want) || (nan>>i&1 == 1) != math.IsNaN(x) {
						t.Fatalf("%s: gridRanksAVX512: row %d (%v): rank %d, NaN bit %d; want %d, %v", name, i, x, ranks[i], nan>>i&1, want, math.IsNaN(x))
					}
				}
			}
		}
		bucket := make([]uint64, len(c.ts)+1)
		for i0 := 0; i0+64 <= len(xs); i0 += 64 {
			clear(bucket)
			nan := g.bucketRows(bucket, 1, xs[i0:], 1, 64)
			for i, x := range xs[i0 : i0+64] {
				if r := g.rank(x); bucket[r]>>i&1 == 0 || (nan>>i&1 == 1) != math.IsNaN(x) {
					t.Fatalf("%s: bucketRows: row %d (%v) not in bucket %d, or NaN bit wrong", name, i, x, r)
				}
			}
		}
	}
}

func mustTestForest(t testing.TB, d int, base float64, trees []Tree) *Forest {
	t.Helper()
	f, err := NewForest(d, base, trees)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// FuzzBlockMargins checks Margins against the reference walk on rows
// made of arbitrary float64 bit patterns (every NaN payload, subnormals,
// values next to thresholds) for a fixed random forest that mixes every
// kind of tree the block layout holds and some it leaves out.
func FuzzBlockMargins(f *testing.F) {
	rng := rand.New(rand.NewPCG(75, 76))
	const d = 5
	fo := blockTestForest(f, rng, d, manyThresholds, true)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, uint8(64))
	f.Add(make([]byte, 8*d*70), uint8(70))
	f.Fuzz(func(t *testing.T, in []byte, rows uint8) {
		n := int(rows)
		X := make([]float64, n*d)
		for j := range X {
			var u uint64
			for k := range 8 {
				if p := (j*8 + k); len(in) > 0 {
					u |= uint64(in[p%len(in)]) << (8 * k)
				}
			}
			X[j] = math.Float64frombits(u)
			if j%3 == 1 && len(in) > 0 { // small codes and thresholds too
				X[j] = float64(int8(in[j%len(in)])) / 2
			}
		}
		got := make([]float64, n)
		fo.Margins(got, X, n)
		for r := range n {
			if want := fo.marginRef(X[r*d : (r+1)*d]); math.Float64bits(got[r]) != math.Float64bits(want) {
				t.Fatalf("row %d %v: Margins %v, reference %v", r, X[r*d:(r+1)*d], got[r], want)
			}
		}
	})
}

// TestSuffixOr checks suffixOr for one lane and for blockLanes, in Go
// and (where the processor has AVX-512) by suffixOrAVX512 and
// suffixOrLanesAVX512, against the definition for every length up to 40
// (several chunks of eight for one lane), with each of the two outputs
// missing, and that nothing past the n entries is written and the
// buckets are left zero.
func TestSuffixOr(t *testing.T) {
	rng := rand.New(rand.NewPCG(79, 80))
	const guard = 0xdeadbeef
	for _, L := range []int{1, blockLanes} {
		for _, vec := range []bool{false, hasVec} {
			for n := 1; n <= 40; n++ {
				for mode := 1; mode <= 3; mode++ {
					above := make([]uint64, (n+7)&^7*L) // whole chunks of eight for one lane
					for k := range n * L {
						above[k] = rng.Uint64() & rng.Uint64() & rng.Uint64()
					}
					var nan [blockLanes]uint64
					for j := range L {
						nan[j] = rng.Uint64()
					}
					ml, mr := make([]uint64, (n+8)*L), make([]uint64, (n+8)*L)
					for k := range ml {
						ml[k], mr[k] = guard, guard
					}
					var pl, pr []uint64
					if mode&1 != 0 {
						pl = ml[:n*L]
					}
					if mode&2 != 0 {
						pr = mr[:n*L]
					}
					in := slices.Clone(above)
					suffixOr(vec, L, above, n, pl, pr, &nan)
					for j := range L {
						var s uint64
						for k := n - 1; k >= 0; k-- {
							s |= in[k*L+j]
							wl, wr := uint64(guard), uint64(guard)
							if mode&1 != 0 {
								wl = s
							}
							if mode&2 != 0 {
								wr = s | nan[j]
							}
							if ml[k*L+j] != wl || mr[k*L+j] != wr {
								t.Fatalf("L=%d, vec %v, n=%d, mode %d, k=%d, lane %d: got %#x, %#x; want %#x, %#x",
									L, vec, n, mode, k, j, ml[k*L+j], mr[k*L+j], wl, wr)
							}
						}
					}
					for k := n * L; k < len(ml); k++ {
						if ml[k] != guard || mr[k] != guard {
							t.Fatalf("L=%d, vec %v, n=%d, mode %d: word %d past n entries written", L, vec, n, mode, k)
						}
					}
					for k, v := range above {
						if v != 0 {
							t.Fatalf("L=%d, vec %v, n=%d, mode %d: above[%d] = %#x left, want 0", L, vec, n, mode, k, v)
						}
					}
				}
			}
		}
	}
}

// TestGroupScratchLayout pins the field offsets of groupScratch that the
// assembly of groupLeavesAVX512 and laneLeavesAVX512 addresses by number.
func TestGroupScratchLayout(t *testing.T) {
	var g groupScratch
	for name, c := range map[string][2]uintptr{
		"planes":    {unsafe.Offsetof(g.planes), 0},
		"planeIdx":  {unsafe.Offsetof(g.planeIdx), 512},
		"perm":      {unsafe.Offsetof(g.perm), 576},
		"onehot":    {unsafe.Offsetof(g.onehot), 640},
		"planeMask": {unsafe.Offsetof(g.planeMask), 704},
	} {
		if c[0] != c[1] {
			t.Errorf("groupScratch.%s at offset %d, the assembly reads it at %d", name, c[0], c[1])
		}
	}
}

// TestMarginsConcurrent scores from several goroutines at once on one
// forest (they share its scratch pool) and checks every margin against
// the reference walk; run with -race it checks the pool's use too.
func TestMarginsConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	const d, rows, workers = 4, 150, 4
	f := blockTestForest(t, rng, d, manyThresholds, true)
	X := make([][]float64, workers)
	for w := range X {
		X[w] = make([]float64, rows*d)
		for j := range X[w] {
			X[w][j] = propValue(rng, manyThresholds)
		}
	}
	errs := make(chan string, workers)
	for w := range workers {
		go func() {
			got := make([]float64, rows)
			for range 20 {
				f.Margins(got, X[w], rows)
				for r := range rows {
					if want := f.marginRef(X[w][r*d : (r+1)*d]); math.Float64bits(got[r]) != math.Float64bits(want) {
						errs <- "worker margin differs from the reference walk"
						return
					}
				}
			}
			errs <- ""
		}()
	}
	for range workers {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}

// TestCatCodesAVX512 checks catCodesAVX512 against the Go coding of
// catMasks on the values at the edges of a categorical code and random
// ones: the code of every valid row, and the valid and NaN rows.
func TestCatCodesAVX512(t *testing.T) {
	if !hasVec {
		t.Log("no AVX-512 on this processor: catCodesAVX512 is never called")
		return
	}
	rng := rand.New(rand.NewPCG(83, 84))
	edges := []float64{
		math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), -0.5, -1, 0.99, 1, 62.5, 63, 63.999,
		64, 64.5, 1e300, -1e300, 1 << 63, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	}
	for trial := range 50 {
		var col [64]float64
		for i := range col {
			switch {
			case trial == 0 && i < len(edges):
				col[i] = edges[i]
			case rng.IntN(4) == 0:
				col[i] = edges[rng.IntN(len(edges))]
			default:
				col[i] = rng.Float64()*80 - 8
			}
		}
		var codes [64]uint8
		valid, nan := catCodesAVX512(&col, &codes)
		for i, v := range col {
			wantValid := v >= 0 && v < 64
			if (valid>>i&1 == 1) != wantValid || (nan>>i&1 == 1) != math.IsNaN(v) {
				t.Fatalf("trial %d, row %d (%v): valid bit %d, NaN bit %d", trial, i, v, valid>>i&1, nan>>i&1)
			}
			if want := uint8(uint64(int64(v)) & 63); wantValid && codes[i] != want {
				t.Fatalf("trial %d, row %d (%v): code %d, want %d", trial, i, v, codes[i], want)
			}
		}
	}
}
