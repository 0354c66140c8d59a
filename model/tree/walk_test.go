package tree

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// treeDepth is the depth of t's deepest leaf (0 for a single leaf).
func treeDepth(t *Tree) int {
	var depth func(ref, level int) int
	depth = func(ref, level int) int {
		if ref < 0 {
			return level
		}
		n := &t.Nodes[ref]
		return max(depth(n.Left, level+1), depth(n.Right, level+1))
	}
	if len(t.Nodes) == 0 {
		return 0
	}
	return depth(0, 0)
}

// oneWord trims t's categorical bitsets to one non-zero word, so that the
// compact layout holds it.
func oneWord(rng *rand.Rand, t Tree) Tree {
	for k := range t.Nodes {
		if n := &t.Nodes[k]; n.Categorical {
			n.Categories = []uint64{n.Categories[0] | 1<<rng.IntN(64)}
		}
	}
	return t
}

// walkTestForest builds a random forest whose compact layout has runs
// of groups of every depth 0 .. maxCompactDepth: runs of one to three
// groups of complete trees or of random shapes of one depth (padded by
// the layout), separated by lone trees the layout holds, trees it
// leaves out (a two-word bitset; depth maxCompactDepth+1) or nothing
// (two runs of different depths side by side).
func walkTestForest(t *testing.T, rng *rand.Rand, d int, pool []float64) *Forest {
	t.Helper()
	var trees []Tree
	for _, depth := range rng.Perm(maxCompactDepth + 1) {
		full := rng.IntN(2) == 0 || depth == 0
		for range wideLanes * (1 + rng.IntN(3)) {
			var tr Tree
			for {
				tr = oneWord(rng, propTree(rng, d, depth, full, pool))
				if treeDepth(&tr) == depth {
					break
				}
			}
			trees = append(trees, tr)
		}
		switch rng.IntN(4) {
		case 0: // a lone tree in the layout
			trees = append(trees, oneWord(rng, propTree(rng, d, 1+rng.IntN(maxCompactDepth), false, pool)))
		case 1: // a tree left out
			trees = append(trees, Tree{
				Nodes:     []Node{{Feature: rng.IntN(d), Categorical: true, Categories: []uint64{rng.Uint64(), rng.Uint64()}, Left: ^0, Right: ^1}},
				Leaves:    []float64{rng.NormFloat64(), rng.NormFloat64()},
				LeafCover: []float64{1, 1},
			})
		case 2:
			trees = append(trees, oneWord(rng, propTree(rng, d, maxCompactDepth+1, true, pool)))
		}
	}
	return mustTestForest(t, d, rng.NormFloat64(), trees)
}

// finiteThresholds is manyThresholds without its infinite and huge
// values, so that the features get grid indexes.
var finiteThresholds = func() []float64 {
	var p []float64
	for _, v := range manyThresholds {
		if math.Abs(v) < 1e6 {
			p = append(p, v)
		}
	}
	return p
}()

// TestWalkRunsMatchReference checks that Margin on the run layout
// (walkRunAsm where the processor has it, and walkRunGo) equals the
// reference margin bit for bit, and that the assembly and its Go twin
// return the same sums for every run, on forests with runs of groups of
// every depth (complete and padded trees, trees outside the layout
// between and around them) and adversarial rows: NaN, ±Inf, ±0, ties
// with thresholds, huge, negative and fractional categorical values.
func TestWalkRunsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	depths := map[int]int{} // runs checked, by depth
	var multi, mixed, asmChecked, grids, partial, padded int
	for trial := range 12 {
		d := 1 + rng.IntN(9)
		pool := []([]float64){propThresholds, manyThresholds, finiteThresholds}[trial%3]
		f := walkTestForest(t, rng, d, pool)
		c := &f.cp
		if !c.ok || len(c.runs) == 0 {
			t.Fatalf("trial %d: no runs in the compact layout", trial)
		}
		if c.asm != hasWalk || c.vecCode != hasChunkVec {
			t.Fatalf("trial %d: compact.asm %v, vecCode %v; want hasWalk %v, hasChunkVec %v", trial, c.asm, c.vecCode, hasWalk, hasChunkVec)
		}
		if c.anyOut {
			mixed++
		}
		if c.gridRows > 0 {
			grids++
		}
		for _, r := range c.runs {
			depths[r.depth]++
			if r.n > 1 {
				multi++
			}
			if r.trees < wideLanes*r.n {
				partial++
			}
			for k := r.t0; k < r.t0+r.trees; k++ {
				if int(c.depth[k]) < r.depth {
					padded++
					break
				}
			}
		}
		codes := make([]uint64, c.slots)
		x := make([]float64, d)
		for row := range 150 {
			for j := range x {
				x[j] = propValue(rng, pool)
			}
			want := f.marginRef(x)
			// The four combinations of the walk and the chunk coding in
			// assembly and in Go (where the processor has them).
			for k := range 8 {
				c.asm, c.vecCode, c.vecRank = hasWalk && k&1 == 0, hasChunkVec && k&2 == 0, hasRankVec && c.gridRows > 0 && k&4 == 0
				if m := f.Margin(x); math.Float64bits(m) != math.Float64bits(want) {
					t.Fatalf("trial %d, row %d %v: Margin (walk asm %v, chunk asm %v, rank asm %v) %v, reference %v",
						trial, row, x, c.asm, c.vecCode, c.vecRank, m, want)
				}
			}
			c.asm, c.vecCode, c.vecRank = hasWalk, hasChunkVec, hasRankVec && c.gridRows > 0
			c.codeRow(codes, x)
			for i := range c.runs {
				r := &c.runs[i]
				// The run's trees, one by one on the scalar walk: the
				// same sum, added in the same order.
				s0 := rng.NormFloat64()
				ref := s0
				for k := r.t0; k < r.t0+r.trees; k++ {
					ref += c.value[c.walk1(k, codes)]
				}
				blk := c.blk[r.off : r.off+r.n*groupWords(r.depth)]
				if s := walkRunGo(blk, codes, r.n, r.depth, s0); math.Float64bits(s) != math.Float64bits(ref) {
					t.Fatalf("trial %d, row %d, run %+v: walkRunGo %v, scalar walk %v", trial, row, *r, s, ref)
				}
				if hasWalk {
					if s := walkRunAsm(&blk[0], &codes[0], r.n, r.depth, s0); math.Float64bits(s) != math.Float64bits(ref) {
						t.Fatalf("trial %d, row %d, run %+v: walkRunAsm %v, scalar walk %v", trial, row, *r, s, ref)
					}
					asmChecked++
				}
			}
		}
	}
	t.Logf("runs by depth %v; %d runs of several groups, %d forests with trees left out, %d with grid indexes, %d assembly runs checked",
		depths, multi, mixed, grids, asmChecked)
	for depth := range maxCompactDepth + 1 {
		if depths[depth] == 0 {
			t.Fatalf("no run of depth %d checked: %v", depth, depths)
		}
	}
	t.Logf("%d runs with lanes of padding, %d with trees shallower than the run", partial, padded)
	if multi == 0 || mixed == 0 || grids == 0 || partial == 0 || padded == 0 || (hasWalk && asmChecked == 0) {
		t.Fatalf("%d runs of several groups, %d forests with trees left out, %d with grid indexes, %d assembly runs checked; want all > 0",
			multi, mixed, grids, asmChecked)
	}
}

// TestWalkRunPaddingKeepsBits checks, with known answers, that the lanes
// of padding of a group of fewer than eight trees add nothing: with base
// and leaves -0 the margin is -0 (padding of +0 would make it +0), and
// with one of them +0 it is +0; in assembly and in Go.
func TestWalkRunPaddingKeepsBits(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, c := range []struct {
		base, leaf float64
		want       uint64
	}{{negZero, negZero, 1 << 63}, {negZero, 0, 0}, {0, negZero, 0}} {
		var trees []Tree
		for range 3 {
			trees = append(trees, Tree{
				Nodes:     []Node{{Feature: 0, Threshold: 0.5, Left: ^0, Right: ^1}},
				Leaves:    []float64{c.leaf, c.leaf},
				LeafCover: []float64{1, 1},
			})
		}
		f := mustTestForest(t, 1, c.base, trees)
		if len(f.cp.runs) != 1 || f.cp.runs[0].trees != 3 {
			t.Fatalf("runs %+v; want one run of three trees", f.cp.runs)
		}
		for _, asm := range []bool{false, hasWalk} {
			f.cp.asm = asm
			for _, x := range []float64{0, 1, math.NaN()} {
				if m := f.Margin([]float64{x}); math.Float64bits(m) != c.want {
					t.Fatalf("base %v, x = %v, asm %v: Margin %#x, want %#x", c.base, x, asm, math.Float64bits(m), c.want)
				}
			}
		}
	}
}

// TestWalkRunLayout pins the run layout of one group against the
// interleaved compact layout it is copied from: every split word, slot
// and leaf value of every lane at every position.
func TestWalkRunLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(93, 94))
	for depth := range maxCompactDepth + 1 {
		var trees []Tree
		for range wideLanes {
			trees = append(trees, oneWord(rng, propTree(rng, 3, depth, true, manyThresholds)))
		}
		f := mustTestForest(t, 3, 0, trees)
		c := &f.cp
		if len(c.runs) != 1 || c.runs[0].n != 1 || c.runs[0].depth != depth || len(c.blk) != groupWords(depth) {
			t.Fatalf("depth %d: runs %+v, %d words; want one group of %d words", depth, c.runs, len(c.blk), groupWords(depth))
		}
		for k := range wideLanes {
			for p := range 1<<depth - 1 {
				l := 0 // the level of position p
				for 1<<(l+1)-1 <= p {
					l++
				}
				j := p - (1<<l - 1)
				e := c.node[k] + uint32(wideLanes*p) // tree k's position p (c.node[k] = base + k)
				i := levelStart(l) + k<<l + j
				s := (levelStart(l)+wideLanes<<l)*4 + k<<l + j
				if c.blk[i] != c.word[e] || uint16(c.blk[s/4]>>(16*(s%4))) != c.slot[e] {
					t.Fatalf("depth %d, lane %d, position %d: run word %#x slot %d, compact %#x %d",
						depth, k, p, c.blk[i], uint16(c.blk[s/4]>>(16*(s%4))), c.word[e], c.slot[e])
				}
			}
			for j := range 1 << depth {
				if v, w := c.blk[levelStart(depth)+k<<depth+j], math.Float64bits(c.value[c.vbase[k]+uint32(wideLanes*j)]); v != w {
					t.Fatalf("depth %d, lane %d, leaf %d: run %#x, compact %#x", depth, k, j, v, w)
				}
			}
		}
	}
}

// TestChunkCodes checks the numeric chunk codes of chunkCodesGo against
// their definition (chunk k of a feature of rank r has bit b < 63 set
// iff 63k+b >= r, bit 63 clear; every chunk is nanBit for NaN, rank -1)
// at ranks on and next to every chunk edge, 0 and beyond the last
// threshold, for features of 1 to 20 chunks (the kernel's masked last
// store, one and several stores of eight); and that chunkCodesAVX512
// (where the processor has it) writes the same codes and nothing
// outside the features' slots.
func TestChunkCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(95, 96))
	for trial := range 300 {
		var chunk []chunkPlan
		var ranks []int64
		ns := 1 + rng.IntN(3) // slots left unused before, between and after
		for range 1 + rng.IntN(6) {
			n := 1 + rng.IntN(20)
			chunk = append(chunk, chunkPlan{base: int32(ns), chunks: int32(n)})
			ns += n + rng.IntN(3)
			var r int64
			switch rng.IntN(4) {
			case 0:
				r = -1
			case 1:
				r = int64(chunkBits*rng.IntN(n+1) + rng.IntN(3) - 1) // at and next to an edge
				r = max(r, 0)
			case 2:
				r = int64(rng.IntN(chunkBits*n + 5))
			default:
				r = int64([]int{0, chunkBits * n, chunkBits*n + 1, 1 << 20}[rng.IntN(4)])
			}
			ranks = append(ranks, r)
		}
		ns += 1 + rng.IntN(3)
		const sentinel = 0x5a5a5a5a5a5a5a5a
		want := make([]uint64, ns)
		for i := range want {
			want[i] = sentinel
		}
		for i, p := range chunk {
			for k := range int(p.chunks) {
				w := uint64(nanBit)
				if r := ranks[i]; r >= 0 {
					w = 0
					for b := range chunkBits {
						if int64(chunkBits*k+b) >= r {
							w |= 1 << b
						}
					}
				}
				want[int(p.base)+k] = w
			}
		}
		got := make([]uint64, ns)
		for i := range got {
			got[i] = sentinel
		}
		chunkCodesGo(got, chunk, ranks)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("trial %d: chunkCodesGo slot %d = %#x, want %#x (plans %v, ranks %v)", trial, i, got[i], want[i], chunk, ranks)
			}
		}
		if !hasChunkVec {
			continue
		}
		for i := range got {
			got[i] = sentinel
		}
		chunkCodesAVX512(&got[0], &chunk[0], &ranks[0], len(chunk))
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("trial %d: chunkCodesAVX512 slot %d = %#x, want %#x (plans %v, ranks %v)", trial, i, got[i], want[i], chunk, ranks)
			}
		}
	}
	if !hasChunkVec {
		t.Log("no AVX-512 on this processor: chunkCodesAVX512 is never called")
	}
}

// TestGridRanksRow checks gridRanksRowAVX512 against gridIndex.rank for
// rows of 1 to 20 features (its masked last block, one and several
// blocks), each with its own grid over random thresholds, at values on
// and next to thresholds, beyond both ends, ±Inf, ±0, NaN (rank -1),
// huge and tiny values; and that it writes nothing past ranks[n-1].
func TestGridRanksRow(t *testing.T) {
	if !hasRankVec {
		t.Log("no AVX-512 on this processor: gridRanksRowAVX512 is never called")
		return
	}
	rng := rand.New(rand.NewPCG(97, 98))
	for trial := range 200 {
		n := 1 + rng.IntN(20)
		d := n + rng.IntN(3)
		var c compact
		c.grid = make([]gridIndex, d)
		feats := rng.Perm(d)[:n]
		for _, j := range feats {
			for c.grid[j].start == nil {
				ts := make([]float64, 2*gridScan+rng.IntN(300))
				scale := math.Pow(10, float64(rng.IntN(7)-3))
				for i := range ts {
					ts[i] = math.Round(rng.NormFloat64()*1000) / 1000 * scale
				}
				slices.Sort(ts)
				ts = slices.Compact(ts)
				if len(ts) >= 2*gridScan {
					c.grid[j] = newGridIndex(ts)
				}
			}
			c.chunk = append(c.chunk, chunkPlan{feature: int32(j), chunks: 1})
		}
		c.buildGridRows(n)
		x := make([]float64, d)
		for row := range 20 {
			for _, j := range feats {
				g := &c.grid[j]
				th := g.thr[rng.IntN(len(g.thr)-gridScan)]
				switch rng.IntN(8) {
				case 0:
					x[j] = th
				case 1:
					x[j] = math.Nextafter(th, math.Inf(2*rng.IntN(2)-1))
				case 2:
					x[j] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.MaxFloat64, -math.MaxFloat64, 1e-300}[rng.IntN(8)]
				case 3:
					x[j] = g.thr[0] - rng.Float64()*10
				default:
					x[j] = g.lo + rng.Float64()*1.1*(g.thr[len(g.thr)-gridScan-1]-g.lo)
				}
			}
			ranks := make([]int64, n+8)
			for i := range ranks {
				ranks[i] = 7777
			}
			gridRanksRowAVX512(&x[0], &c.gridRow[0], n, &c.gridStart[0], &c.gridThr[0], &ranks[0])
			for i, p := range c.chunk {
				v := x[p.feature]
				want := int64(c.grid[p.feature].rank(v))
				if math.IsNaN(v) {
					want = -1
				}
				if ranks[i] != want {
					t.Fatalf("trial %d, row %d, feature %d (%d of %d) = %v: rank %d, want %d", trial, row, p.feature, i, n, v, ranks[i], want)
				}
			}
			for i := n; i < len(ranks); i++ {
				if ranks[i] != 7777 {
					t.Fatalf("trial %d: ranks[%d] written (n = %d)", trial, i, n)
				}
			}
		}
	}
}

// TestAsmLayouts pins the struct layouts the assembly reads:
// chunkCodesAVX512 chunkPlan's and gridRanksRowAVX512 gridRow's.
func TestAsmLayouts(t *testing.T) {
	var p chunkPlan
	var r gridRow
	got := []uintptr{unsafe.Offsetof(p.base), unsafe.Offsetof(p.chunks), unsafe.Sizeof(p),
		unsafe.Offsetof(r.lo), unsafe.Offsetof(r.scale), unsafe.Offsetof(r.last),
		unsafe.Offsetof(r.feature), unsafe.Offsetof(r.start), unsafe.Offsetof(r.thr), unsafe.Sizeof(r)}
	want := []uintptr{0, 4, 12, 0, 64, 128, 192, 224, 256, 288}
	if !slices.Equal(got, want) {
		t.Fatalf("offsets and sizes %v, want %v", got, want)
	}
}
