package tree

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sort"
	"sync"
)

// The bit-sliced block layout: Margins scores blocks of up to 64 rows by
// pushing 64-bit ROW SETS (bit i = row i of the block) down each tree
// instead of walking each row, eight blocks (a SUPER-BLOCK of up to 512
// rows, one block per 64-bit lane of a 512-bit vector) at a time. It is
// derived by prepare from the compact layout (compact.go), which decides
// which trees it holds: every tree of depth <= maxCompactDepth whose
// categorical splits have one-word bitsets.
// The other trees keep their per-row walk on the general layout (serve.go),
// in their place in tree order.
//
// For each block the scorer first computes, once, the RIGHT SET of every
// distinct split of the forest, i.e. the rows of the block that the split
// sends right (whatever node they are at), into a table of masks that
// interleaves the blocks: entry e of block j is masks[8e+j], so the eight
// blocks' right sets of a split are one 64-byte load (a super-block of at
// most maxGroupBlocks blocks is scored block by block, each with a table
// of one word per entry):
//
//   - numeric feature with distinct sorted thresholds t_0 < t_1 < ...:
//     each row's rank r (number of thresholds below its value; 0 for NaN)
//     comes from a grid index (gridIndex: an equal-width cell lookup and
//     gridScan compares) or, for thresholds too unevenly spread for one,
//     a binary search; the rows are bucketed by rank, and the suffix ORs
//     sfx[k] = rows of rank > k = rows with x > t_k are written from the
//     top in one pass (one OR per threshold for the eight blocks at
//     once). A split at t_k sends right sfx[k] if NaN goes left,
//     sfx[k] | nanRows otherwise; both variants are stored when some
//     split needs them, so a split's right set is one load, independent
//     of the number of rows.
//   - categorical feature: a row's code c is x truncated to an integer
//     when 0 <= x < 64 (Forest.goLeft); NaN, negative, >= 64 and ±Inf
//     values have none. The rows sent left by a bitset word W are the
//     rows with a code whose bit is set in W, plus the NaN rows if NaN
//     goes left; the right set is all rows minus those. With AVX-512
//     BITALG one VPSHUFBITQMB gathers bit c_i of W for the 64 rows
//     (catMasksShufBit, with the codes from catCodesAVX512); in Go, the OR over the bits c of W of
//     rowsOfCat[c] comes four Russians style from eight 256-entry tables
//     (one per byte of W) when the feature has enough splits to pay for
//     them, else bit by bit over W's present codes.
//
// Then each tree, in heap order (split p has children 2p+1 and 2p+2; as
// in compact.go a leaf above the tree's depth D is padded with splits
// whose right set is empty, mask entry 0, and trees shallower than
// unitDepth are padded to it), computes set(root) = all rows,
// set(2p+2) = set(p) & right(p), set(2p+1) = set(p) &^ right(p), and, per
// level d, the PLANE of rows that go right at their level-d split. A row's
// leaf position is the number whose bits, most significant first, are its
// bits in the planes; a bit-matrix transposition turns the D planes into
// one byte per row. Finally each row adds its leaf value, tree after tree
// (up to four trees per pass over the rows), so each row's margin is
// base, then the leaves in tree order: bit for bit Margin.
//
// In Go (leafPositions) each block is scored on its own: the last
// unitDepth levels of a tree as units of seven splits with their sets in
// registers, and the planes transposed eight rows at a time through the
// spread table. With AVX-512 (hasVec) a tree is scored for the eight
// blocks at once, one zmm lane per block, on the same layout
// (laneLeavesAVX512: a split's eight right sets are one load, a unit's
// sets stay in registers; VPERMB and VGF2P8AFFINEQB transpose the
// planes). That costs the same whatever the number of blocks, so a
// super-block of at most maxGroupBlocks blocks (a small batch) is scored
// block by block instead, eight consecutive trees of one depth together,
// one lane per tree (groupLeavesAVX512: one VPGATHERDQ fetches the eight
// trees' right sets of a split position). The grid ranks are computed
// eight rows at a time (gridRanksAVX512) and the suffix ORs for eight
// blocks at a time (suffixOrLanesAVX512). Every kernel has a Go
// equivalent that the tests compare it with; forests and processors
// without AVX-512 take the Go path.
//
// The lane kernel replaced groups of eight trees for whole super-blocks
// because Zen 4 retires a VPGATHERDQ only every ~5.5 cycles: even before
// its units kept their sets in registers, one tree over 512 rows took
// 140 ns against 280 ns for eight trees over 64 rows, with a mask table
// of 2.3 MB as well as of 0.7 MB.
//
// The per-block cost is one mask per distinct split and O(2^D) word
// operations per tree, shared by the 64 rows, plus one add per row and
// tree; only the mask table depends on the block, so the layout suits
// forests whose distinct splits number in the tens of thousands (the
// table holds 64 bytes per split).

// blockRows is the number of rows a block scores together (one bit each).
const blockRows = 64

// blockLanes is the number of blocks of a super-block (one 64-bit lane
// each of a 512-bit vector); superRows, its rows.
const (
	blockLanes = 8
	superRows  = blockLanes * blockRows
)

// maxGroupBlocks is the most blocks of a super-block whose trees are
// scored by groups of eight (groupLeavesAVX512, one block at a time)
// rather than tree by tree over all eight lanes (laneLeavesAVX512): the
// lane kernel costs the same whatever the number of blocks, about what
// the group kernel costs for four.
const maxGroupBlocks = 3

// minBlockRows is the smallest block scored bit-sliced; smaller tails
// take the per-row walk (the mask table costs about as much as walking
// a handful of rows).
const minBlockRows = 8

// fuse is the most trees whose leaves a row adds in one pass.
const fuse = 4

// catTableSplits is the number of splits of a categorical feature from
// which its block masks are computed through byte tables.
const catTableSplits = 24

// blockNum is a numeric feature of the block layout.
type blockNum struct {
	feature int
	thr     []float64 // its distinct thresholds, sorted
	offL    int       // mask entry of sfx[0] (NaN left), or -1
	offR    int       // mask entry of sfx[0] | nanRows (NaN right), or -1
	grid    gridIndex // ranks thresholds when grid.start != nil
}

// gridScan is the most thresholds a cell of a gridIndex holds.
const gridScan = 4

// gridIndex ranks a value among sorted thresholds with a few independent
// loads instead of a binary search's dependent ones. The finite range
// [t_0, t_(n-1)] is cut into equal cells; cell(x) is monotone in x (it is
// computed by rounded, monotone float operations), so every threshold in
// a lower cell than x's is below x and every one in a higher cell is
// above it: rank(x) = start[cell(x)] + the thresholds of x's own cell
// below x, which are among the gridScan thresholds from start[cell(x)]
// (those past the cell are above x, and NaN padding counts for nothing).
type gridIndex struct {
	lo, scale, last float64  // cell(x) = int(min((x-lo)*scale, last)), 0 if negative or NaN
	start           []uint16 // per cell: the thresholds in lower cells; then n
	thr             []float64
}

// newGridIndex returns the grid of the sorted distinct thresholds ts
// with the fewest cells (a power of two from len(ts) to 16 len(ts)) that
// holds at most gridScan of them per cell, or a grid with start == nil
// when there is none (too uneven a spread). The cells span ts[0] to
// ts[n-1] or, failing that, leave out one outlier at either end or both
// (such as the threshold MaxFloat64 of a split that parts the missing
// values from the others, or an infinite one), which then shares the
// first or last cell: cell clamps to that range, so any range gives
// exact ranks as long as no cell holds more than gridScan thresholds.
func newGridIndex(ts []float64) gridIndex {
	n := len(ts)
	if n < 2*gridScan || n > math.MaxUint16 {
		return gridIndex{}
	}
	for _, trim := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
		lo, hi := ts[trim[0]], ts[n-1-trim[1]]
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			continue
		}
		if g, ok := fitGrid(ts, lo, hi); ok {
			return g
		}
	}
	return gridIndex{}
}

// fitGrid returns the grid of the sorted distinct thresholds ts whose
// cells span [lo, hi], with the fewest cells that hold at most gridScan
// thresholds each, and whether there is one.
func fitGrid(ts []float64, lo, hi float64) (gridIndex, bool) {
	n := len(ts)
	for cells := 1 << bits.Len(uint(n)); cells <= 16<<bits.Len(uint(n)) && cells <= 1<<20; cells *= 2 {
		g := gridIndex{lo: lo, scale: float64(cells) / (hi - lo), last: float64(cells - 1)}
		if math.IsInf(g.scale, 0) || math.IsNaN(g.scale) {
			return gridIndex{}, false
		}
		count := make([]uint32, cells)
		fits := true
		for _, t := range ts {
			c := g.cell(t)
			if count[c]++; count[c] > gridScan {
				fits = false
				break
			}
		}
		if !fits {
			continue
		}
		g.start = make([]uint16, cells+1) // one more for gridRanksAVX512
		for c := 1; c <= cells; c++ {
			g.start[c] = g.start[c-1] + uint16(count[c-1])
		}
		g.thr = make([]float64, n+gridScan)
		copy(g.thr, ts)
		for i := n; i < len(g.thr); i++ {
			g.thr[i] = math.NaN()
		}
		return g, true
	}
	return gridIndex{}, false
}

// cell returns the cell of x (0 for NaN).
func (g *gridIndex) cell(x float64) int {
	c := int(min((x-g.lo)*g.scale, g.last)) // NaN, -Inf: a negative int or 0
	return c &^ (c >> 63)
}

// rank returns the number of thresholds below x (0 for NaN).
func (g *gridIndex) rank(x float64) int {
	s := int(g.start[g.cell(x)])
	t := g.thr[s : s+gridScan : s+gridScan]
	return s + int(b2u(t[0] < x)+b2u(t[1] < x)+b2u(t[2] < x)+b2u(t[3] < x))
}

// bucketRows ranks the values x[i*stride] of the n rows of a block,
// sets bit i of bucket[rank*bstride] for each, and returns the NaN rows
// (which rank 0).
func (g *gridIndex) bucketRows(bucket []uint64, bstride int, x []float64, stride, n int) (nan uint64) {
	start, thr := g.start, g.thr
	lo, scale, last := g.lo, g.scale, g.last
	for i := range n {
		v := x[i*stride]
		nan |= uint64(b2u(v != v)) << i
		c := int(min((v-lo)*scale, last)) // as cell
		s := int(start[c&^(c>>63)])
		t := thr[s : s+gridScan : s+gridScan]
		bucket[(s+int(b2u(t[0] < v)+b2u(t[1] < v)+b2u(t[2] < v)+b2u(t[3] < v)))*bstride] |= 1 << i
	}
	return nan
}

// blockCat is a categorical feature of the block layout: its distinct
// (word, missing direction) splits, at mask entries off, off+1, ...
type blockCat struct {
	feature int
	off     int
	word    []uint64 // the bitset word
	missL   []uint64 // all ones if NaN goes left, else 0
	nL      int      // the splits 0 .. nL-1 send NaN left, the others right
}

// blockLayout is the bit-sliced layout of a Forest (see the top of this
// file). Trees it does not hold have in[t] == false.
type blockLayout struct {
	ok    bool // the layout holds at least one tree
	nums  []blockNum
	cats  []blockCat
	masks int       // size of the mask table; entry 0 is the empty set
	mid   []uint32  // per tree: mask entries, top splits in heap order, then units of 8 (leafPositions, laneLeavesAVX512)
	val   []float64 // per leaf position (by tree): the leaf value; then 256 zeros
	leaf  []uint32  // per leaf position: index into Forest.leaves (tests)
	split []uint32  // per tree: its first entry in mid
	vbase []uint32  // per tree: its first entry in val
	depth []uint8   // per tree: D
	in    []bool    // per tree: held by the layout
	// anyOut: some tree is walked per row (not in the layout).
	anyOut bool
	// maxThr is the most thresholds of one numeric feature.
	maxThr int
	// shufBit: categorical masks by catMasksShufBit (AVX-512).
	shufBit bool
	// pool holds blockScratch values for reuse across Margins calls (a
	// scratch's mask table is rewritten by every block, its buckets are
	// left zero), so that a call allocates nothing in the steady state.
	pool *sync.Pool
	// vec: groups, grid ranks and suffix ORs by the AVX-512 kernels
	// (groupLeavesAVX512, gridRanksAVX512, suffixOrAVX512).
	vec bool
	// group[t]: trees t .. t+7 have one depth and form a group, whose
	// mask entries are gmid[gbase[t]:], interleaved in heap order.
	group []bool
	gbase []uint32
	gmid  []uint32
}

// groupScratch is the constants and scratch of groupLeavesAVX512; its
// layout is fixed by the assembly.
type groupScratch struct {
	planes    [8][8]uint64 // per level, per tree of the group: the plane
	planeIdx  [8]uint64    // lane m: index of plane m-(8-D) (setDepth)
	perm      [64]uint8    // the 8x8 byte transposition
	onehot    [64]uint8    // byte k of each word: 1<<k
	planeMask uint64       // the lanes m >= 8-D
}

// newGroupScratch returns a groupScratch with its constants set.
func newGroupScratch() *groupScratch {
	g := &groupScratch{}
	for j := range 8 {
		for m := range 8 {
			g.perm[8*j+m] = uint8(8*m + j)
			g.onehot[8*j+m] = 1 << m
		}
	}
	return g
}

// setDepth sets the plane gather of groupLeavesAVX512 for trees of
// depth d: lane m >= 8-d of a tree's planes is its level m-(8-d).
func (g *groupScratch) setDepth(d int) {
	for m := range 8 {
		g.planeIdx[m] = 0
		if l := m - (8 - d); l >= 0 {
			g.planeIdx[m] = uint64(8 * l)
		}
	}
	g.planeMask = 0xff << (8 - d) & 0xff
}

// buildBlock derives the block layout from the compact one. f must be
// valid and f.cp built.
func (f *Forest) buildBlock() blockLayout {
	c := &f.cp
	nt := len(f.roots)
	b := blockLayout{
		masks: 1, split: make([]uint32, nt), vbase: make([]uint32, nt),
		depth: make([]uint8, nt), in: make([]bool, nt), shufBit: hasShufBit,
		vec: hasVec, group: make([]bool, nt), gbase: make([]uint32, nt), pool: new(sync.Pool),
	}
	heap := make([][]uint32, nt) // per tree: its mask entries in heap order
	if !c.ok {
		return blockLayout{}
	}
	type numKey struct {
		thr []float64
		l   bool // some split sends NaN left
		r   bool // some split sends NaN right
	}
	nums := make([]numKey, f.numFeatures)
	type catKey struct {
		feature int
		word    uint64
		missL   bool
	}
	var catOrder []catKey
	catID := map[catKey]int{}
	for t := range nt {
		if !c.in[t] {
			b.anyOut = true
			continue
		}
		b.in[t], b.depth[t] = true, max(c.depth[t], unitDepth)
		for i := f.treeNode[t]; i < f.treeNode[t+1]; i++ {
			n := &f.nodes[i]
			ml := n.flags&flagMissingLeft != 0
			if n.flags&flagCategorical != 0 {
				k := catKey{int(n.feature), f.cats[n.catStart], ml}
				if _, ok := catID[k]; !ok {
					catID[k] = -1
					catOrder = append(catOrder, k)
				}
				continue
			}
			p := &nums[n.feature]
			p.thr = append(p.thr, n.threshold)
			p.l, p.r = p.l || ml, p.r || !ml
		}
	}
	// Numeric mask entries, feature by feature.
	numOf := make([]int, f.numFeatures) // index into b.nums, or -1
	for j := range nums {
		numOf[j] = -1
		p := &nums[j]
		if len(p.thr) == 0 {
			continue
		}
		sort.Float64s(p.thr)
		u := p.thr[:0]
		for _, t := range p.thr {
			if len(u) == 0 || u[len(u)-1] != t { // -0 == +0: one threshold
				u = append(u, t)
			}
		}
		bn := blockNum{feature: j, thr: u[:len(u):len(u)], offL: -1, offR: -1, grid: newGridIndex(u)}
		if p.l {
			bn.offL, b.masks = b.masks, b.masks+len(u)
		}
		if p.r {
			bn.offR, b.masks = b.masks, b.masks+len(u)
		}
		b.maxThr = max(b.maxThr, len(u))
		numOf[j] = len(b.nums)
		b.nums = append(b.nums, bn)
	}
	// Categorical mask entries, grouped by feature.
	// By feature, the splits that send NaN left first (catMasksShufBit).
	sort.SliceStable(catOrder, func(i, j int) bool {
		a, c := catOrder[i], catOrder[j]
		return a.feature < c.feature || (a.feature == c.feature && a.missL && !c.missL)
	})
	for _, k := range catOrder {
		if len(b.cats) == 0 || b.cats[len(b.cats)-1].feature != k.feature {
			b.cats = append(b.cats, blockCat{feature: k.feature, off: b.masks})
		}
		bc := &b.cats[len(b.cats)-1]
		catID[k] = b.masks
		b.masks++
		bc.word = append(bc.word, k.word)
		bc.missL = append(bc.missL, -uint64(b2u(k.missL)))
		if k.missL {
			bc.nL++
		}
	}
	// maskOf returns the mask entry of split n.
	maskOf := func(n *node) uint32 {
		ml := n.flags&flagMissingLeft != 0
		if n.flags&flagCategorical != 0 {
			return uint32(catID[catKey{int(n.feature), f.cats[n.catStart], ml}])
		}
		bn := &b.nums[numOf[n.feature]]
		k := sort.SearchFloat64s(bn.thr, n.threshold)
		if ml {
			return uint32(bn.offL + k)
		}
		return uint32(bn.offR + k)
	}
	if uint64(b.masks)*blockLanes > math.MaxInt32 { // the kernels index masks by int32
		return blockLayout{}
	}
	for t := range nt {
		if !b.in[t] {
			continue
		}
		d := int(b.depth[t])
		b.split[t], b.vbase[t] = uint32(len(b.mid)), uint32(len(b.val))
		mid := make([]uint32, 1<<d-1)
		val := make([]float64, 1<<d)
		leaf := make([]uint32, 1<<d)
		var walk func(ref uint32, pos, level int)
		walk = func(ref uint32, pos, level int) {
			if ref&leafBit != 0 {
				// Padding: every split below pos sends nothing right
				// (mask entry 0, already in mid); every leaf position
				// below pos holds the leaf.
				lo, hi := pos, pos
				for range d - level {
					lo, hi = 2*lo+1, 2*hi+2
				}
				for p := lo; p <= hi; p++ {
					l := ref &^ leafBit
					val[p-(1<<d-1)], leaf[p-(1<<d-1)] = f.leaves[l], l
				}
				return
			}
			n := &f.nodes[ref]
			mid[pos] = maskOf(n)
			walk(n.left, 2*pos+1, level+1)
			walk(n.right, 2*pos+2, level+1)
		}
		walk(f.roots[t], 0, 0)
		// The splits above the last unitDepth levels in heap order, then
		// per unit (a split at level d-unitDepth and the six below it)
		// its seven splits and one unused entry.
		top := 1<<(d-unitDepth) - 1
		heap[t] = mid
		b.mid = append(b.mid, mid[:top]...)
		for p := top; p < 2*top+1; p++ {
			l, r := 2*p+1, 2*p+2
			b.mid = append(b.mid, mid[p], mid[l], mid[r], mid[2*l+1], mid[2*l+2], mid[2*r+1], mid[2*r+2], 0)
		}
		b.val = append(b.val, val...)
		b.leaf = append(b.leaf, leaf...)
		b.ok = true
	}
	b.val = append(b.val, make([]float64, 256)...) // for leafValues
	for t := 0; t+8 <= nt; {
		g := true
		for k := t; k < t+8 && g; k++ {
			g = b.in[k] && b.depth[k] == b.depth[t]
		}
		if !g {
			t++
			continue
		}
		b.group[t], b.gbase[t] = true, uint32(len(b.gmid))
		for p := range heap[t] {
			for k := range 8 {
				b.gmid = append(b.gmid, heap[t+k][p])
			}
		}
		t += 8
	}
	if uint64(len(b.mid)) >= math.MaxUint32 || uint64(len(b.val)) >= math.MaxUint32 || uint64(len(b.gmid)) >= math.MaxUint32 {
		return blockLayout{}
	}
	return b
}

// blockScratch is the working memory of scoreSuper, taken from the
// layout's pool by each Margins call.
type blockScratch struct {
	masks  []uint64                // per mask entry, per block (lane): the block's right set
	stride int                     // of masks: 1 (one block) or blockLanes (a super-block)
	bucket []uint64                // per numeric rank, per lane: the rows of that rank
	codes  []rowCode               // general-layout codes of the super-block (trees not held)
	tab    [8][256]uint64          // categorical byte tables
	rows   [64]uint64              // categorical: rowsOfCat
	cat    [64]uint8               // categorical, AVX-512: the code of each row
	sets   [256]uint64             // node sets of the tree being scored
	idx    [8][superRows]uint8     // leaf position per row, per tree of a run
	gsets  [256][blockLanes]uint64 // groupLeavesAVX512, laneLeavesAVX512: node sets
	acc    [superRows]float64      // the super-block's margins
	col    [64]float64             // gridRanksAVX512: a feature's values
	ranks  [64]uint64              // gridRanksAVX512: their ranks
	g      *groupScratch           // the AVX-512 kernels: constants and planes
	planes [maxCompactDepth]uint64
}

// newBlockScratch allocates the scratch of scoreSuper, with a mask table
// for one block: scoreSuper grows it for eight when it first needs them,
// so that a server answering small batches does not hold eight times the
// table it uses.
func (f *Forest) newBlockScratch() *blockScratch {
	b := &f.bl
	sc := &blockScratch{masks: make([]uint64, b.masks), bucket: make([]uint64, (1+b.maxThr)*blockLanes), g: newGroupScratch()}
	if b.anyOut {
		sc.codes = make([]rowCode, superRows*f.numFeatures)
	}
	return sc
}

// setStride sets the stride of sc's mask table (1 or blockLanes),
// growing the table for b's masks if it is too small.
func (sc *blockScratch) setStride(b *blockLayout, stride int) {
	sc.stride = stride
	if len(sc.masks) < b.masks*stride {
		sc.masks = make([]uint64, b.masks*stride)
	}
}

// spread[b] has byte k equal to bit k of b: the transposition of an
// 8 x 8 bit matrix row to a column.
var spread = func() (t [256]uint64) {
	for b := range t {
		for k := range 8 {
			t[b] |= uint64(b>>k&1) << (8 * k)
		}
	}
	return t
}()

// buildMasks fills sc.masks with the right set of every distinct split
// for each block of the rows xb (n rows; block j is rows 64j ..): entry e
// of block j at masks[e*L+j], where L = sc.stride is 1 (one block, n at
// most 64) or blockLanes (a super-block, n at most superRows). The lanes
// of absent blocks are left as they were.
func (f *Forest) buildMasks(sc *blockScratch, xb []float64, n int) {
	b := &f.bl
	d := f.numFeatures
	L := sc.stride
	masks := sc.masks
	nb := (n + blockRows - 1) / blockRows
	for k := range b.nums {
		bn := &b.nums[k]
		m := len(bn.thr)
		bucket := sc.bucket[:(1+m)*L]
		var nan [blockLanes]uint64
		for j := range nb {
			nan[j] = f.bucketBlock(sc, bn, bucket[j:], xb[j*blockRows*d:], min(blockRows, n-j*blockRows))
		}
		clear(bucket[:L]) // rank 0: in no right set
		var ml, mr []uint64
		if bn.offL >= 0 {
			ml = masks[bn.offL*L : (bn.offL+m)*L]
		}
		if bn.offR >= 0 {
			mr = masks[bn.offR*L : (bn.offR+m)*L]
		}
		suffixOr(b.vec, L, sc.bucket[L:], m, ml, mr, &nan) // zeroes bucket
	}
	for j := range nb {
		nj := min(blockRows, n-j*blockRows)
		f.catMasks(sc, masks[j:], xb[j*blockRows*d:], nj)
	}
}

// bucketBlock ranks the feature bn of the block of rows xb (n rows, at
// most 64) among bn's thresholds, sets bit i of bucket[rank*sc.stride]
// for each row i, and returns the NaN rows (which rank 0).
func (f *Forest) bucketBlock(sc *blockScratch, bn *blockNum, bucket []uint64, xb []float64, n int) (nan uint64) {
	b := &f.bl
	d := f.numFeatures
	L := sc.stride
	thr := bn.thr
	if g := &bn.grid; g.start != nil {
		if !b.vec {
			return g.bucketRows(bucket, L, xb[bn.feature:], d, n)
		}
		col, ranks := &sc.col, &sc.ranks
		for i := range n {
			col[i] = xb[i*d+bn.feature]
		}
		for i := n; i < len(col); i++ {
			col[i] = math.NaN() // ranks 0
		}
		nan = gridRanksAVX512(col, ranks, &g.start[0], &g.thr[0], g.lo, g.scale, g.last)
		for i, r := range ranks[:n] {
			bucket[int(r)*L] |= 1 << i
		}
		return nan & (^uint64(0) >> (64 - n))
	}
	i := 0
	for ; i+4 <= n; i += 4 {
		x := xb[i*d+bn.feature:]
		x0, x1, x2, x3 := x[0], x[d], x[2*d], x[3*d]
		r0, r1, r2, r3 := rank4(thr, x0, x1, x2, x3)
		nan |= (uint64(b2u(x0 != x0)) | uint64(b2u(x1 != x1))<<1 | uint64(b2u(x2 != x2))<<2 | uint64(b2u(x3 != x3))<<3) << i
		// NaN ranks 0: in no sfx.
		bucket[r0*L] |= 1 << i
		bucket[r1*L] |= 2 << i
		bucket[r2*L] |= 4 << i
		bucket[r3*L] |= 8 << i
	}
	for ; i < n; i++ {
		x := xb[i*d+bn.feature]
		nan |= uint64(b2u(x != x)) << i
		bucket[rankOf(thr, x)*L] |= 1 << i
	}
	return nan
}

// suffixOr writes the suffix ORs of a numeric feature's buckets, lane by
// lane, for L (1 or blockLanes) lanes: with above = the buckets of ranks
// 1 .. m (L words each; with L = 1, padded with zeros to a multiple of
// eight), sfx[k] = the rows of rank > k = the OR of above[k ..], it
// stores, for k < m, sfx[k] in ml[k*L:] and sfx[k] | nan in mr[k*L:],
// skipping a nil ml or mr, and zeroes above. With vec it runs
// suffixOrAVX512 (L = 1) or suffixOrLanesAVX512.
func suffixOr(vec bool, L int, above []uint64, m int, ml, mr []uint64, nan *[blockLanes]uint64) {
	if m == 0 {
		return
	}
	if vec {
		var pl, pr *uint64
		if ml != nil {
			pl = &ml[0]
		}
		if mr != nil {
			pr = &mr[0]
		}
		if L == 1 {
			suffixOrAVX512(&above[0], m, pl, pr, nan[0])
		} else {
			suffixOrLanesAVX512(&above[0], m, pl, pr, nan)
		}
		return
	}
	var s [blockLanes]uint64
	for k := m - 1; k >= 0; k-- {
		a := above[k*L : k*L+L]
		for j, v := range a {
			s[j] |= v
			a[j] = 0
		}
		if ml != nil {
			copy(ml[k*L:k*L+L], s[:L])
		}
		if mr != nil {
			r := mr[k*L : k*L+L]
			for j := range r {
				r[j] = s[j] | nan[j]
			}
		}
	}
}

// catMasks writes the categorical features' right sets of the block of
// rows xb (n rows, at most 64) into masks[e*sc.stride] for each of their
// mask entries e (masks starts at the block's lane).
func (f *Forest) catMasks(sc *blockScratch, masks []uint64, xb []float64, n int) {
	b := &f.bl
	d := f.numFeatures
	L := sc.stride
	all := ^uint64(0) >> (64 - n)
	for k := range b.cats {
		bc := &b.cats[k]
		ns := len(bc.word)
		out := masks[bc.off*L : (bc.off+ns-1)*L+1]
		missL := bc.missL[:ns]
		var nan, valid uint64
		if b.shufBit {
			codes := &sc.cat
			if b.vec {
				col := &sc.col
				for i := range n {
					col[i] = xb[i*d+bc.feature]
				}
				for i := n; i < len(col); i++ {
					col[i] = math.NaN() // not valid
				}
				valid, nan = catCodesAVX512(col, codes)
				nan &= all
			} else {
				for i := range n {
					v := xb[i*d+bc.feature]
					nan |= uint64(b2u(v != v)) << i
					valid |= uint64(b2u(v >= 0)&b2u(v < 64)) << i // as rowCodes
					codes[i&63] = uint8(uint64(int64(v)) & 63)
				}
			}
			catMasksShufBit(&out[0], L, &bc.word[0], bc.nL, ns, codes, valid, nan, all)
			continue
		}
		rows := &sc.rows
		*rows = [64]uint64{}
		var present uint64
		for i := range n {
			v := xb[i*d+bc.feature]
			nan |= uint64(b2u(v != v)) << i
			in := -uint64(b2u(v >= 0) & b2u(v < 64)) // as rowCodes
			c := uint64(int64(v)) & 63
			rows[c] |= 1 << i & in
			present |= 1 << c & in
		}
		if ns < catTableSplits {
			for s, w := range bc.word {
				var left uint64
				for w &= present; w != 0; w &= w - 1 {
					left |= rows[bits.TrailingZeros64(w)]
				}
				out[s*L] = all &^ (left | nan&missL[s])
			}
			continue
		}
		for h := range sc.tab {
			tb := &sc.tab[h]
			tb[0] = 0
			for j := range 8 {
				r := rows[8*h+j]
				lo := tb[: 1<<j : 1<<j]
				hi := tb[1<<j : 2<<j : 2<<j]
				for e := range lo {
					hi[e] = lo[e] | r
				}
			}
		}
		t := &sc.tab
		for s, w := range bc.word {
			left := t[0][uint8(w)] | t[1][uint8(w>>8)] | t[2][uint8(w>>16)] | t[3][uint8(w>>24)] |
				t[4][uint8(w>>32)] | t[5][uint8(w>>40)] | t[6][uint8(w>>48)] | t[7][uint8(w>>56)]
			out[s*L] = all &^ (left | nan&missL[s])
		}
	}
}

// rankOf returns the number of values of the sorted, non-empty t below x
// (0 for NaN), by a binary search whose steps do not depend on x.
func rankOf(t []float64, x float64) int {
	base, n := 0, len(t)
	for n > 1 {
		half := n >> 1
		base += half & -int(b2u(t[base+half] < x))
		n -= half
	}
	return base + int(b2u(t[base] < x))
}

// rank4 is rankOf for four values at once, in lockstep so that the four
// searches' dependent loads overlap.
func rank4(t []float64, x0, x1, x2, x3 float64) (int, int, int, int) {
	b0, b1, b2, b3, n := 0, 0, 0, 0, len(t)
	for n > 1 {
		half := n >> 1
		b0 += half & -int(b2u(t[b0+half] < x0))
		b1 += half & -int(b2u(t[b1+half] < x1))
		b2 += half & -int(b2u(t[b2+half] < x2))
		b3 += half & -int(b2u(t[b3+half] < x3))
		n -= half
	}
	return b0 + int(b2u(t[b0] < x0)), b1 + int(b2u(t[b1] < x1)), b2 + int(b2u(t[b2] < x2)), b3 + int(b2u(t[b3] < x3))
}

// unitDepth is the number of levels at the bottom of each tree that
// leafPositions scores as units of seven splits with the node sets in
// registers; the layout pads shallower trees to this depth.
const unitDepth = 3

// leafPositions stores in idx the leaf position (0 .. 2^D-1) that each
// row of block (lane) j reaches in tree t of the block layout, given the
// masks (buildMasks) and all, the block's set of rows.
func (b *blockLayout) leafPositions(sc *blockScratch, idx *[64]uint8, t, j int, all uint64) {
	d := int(b.depth[t]) // >= unitDepth
	top := 1<<(d-unitDepth) - 1
	mid := b.mid[b.split[t]:]
	masks := sc.masks[j:]
	L := uint32(sc.stride)
	sets := &sc.sets
	planes := &sc.planes
	sets[0] = all
	// The levels above the units, one split at a time.
	lo := 0 // level l holds the splits lo .. 2lo
	for l := range d - unitDepth {
		var pl uint64
		for p := lo; p <= 2*lo; p++ {
			s := sets[uint8(p)]
			r := s & masks[mid[p]*L]
			pl |= r
			sets[uint8(2*p+1)] = s ^ r
			sets[uint8(2*p+2)] = r
		}
		planes[l&(maxCompactDepth-1)] = pl
		lo = 2*lo + 1
	}
	// The units: split p (rows s), its children a and b, and theirs.
	var p0, p1, p2 uint64
	units := mid[top : top+8<<(d-unitDepth)]
	for u := 0; u+8 <= len(units); u += 8 {
		m := (*[8]uint32)(units[u : u+8])
		s := sets[uint8(top+u/8)]
		r := s & masks[m[0]*L]
		l := s ^ r
		ra := l & masks[m[1]*L]
		rb := r & masks[m[2]*L]
		la, lb := l^ra, r^rb
		p0 |= r
		p1 |= ra | rb
		p2 |= la&masks[m[3]*L] | ra&masks[m[4]*L] | lb&masks[m[5]*L] | rb&masks[m[6]*L]
	}
	planes[(d-3)&(maxCompactDepth-1)] = p0
	planes[(d-2)&(maxCompactDepth-1)] = p1
	planes[(d-1)&(maxCompactDepth-1)] = p2
	// Transpose: u_j holds, byte k, the position of row 8j+k.
	var u0, u1, u2, u3, u4, u5, u6, u7 uint64
	for _, p := range planes[:d] {
		u0 = u0<<1 | spread[uint8(p)]
		u1 = u1<<1 | spread[uint8(p>>8)]
		u2 = u2<<1 | spread[uint8(p>>16)]
		u3 = u3<<1 | spread[uint8(p>>24)]
		u4 = u4<<1 | spread[uint8(p>>32)]
		u5 = u5<<1 | spread[uint8(p>>40)]
		u6 = u6<<1 | spread[uint8(p>>48)]
		u7 = u7<<1 | spread[uint8(p>>56)]
	}
	binary.LittleEndian.PutUint64(idx[0:], u0)
	binary.LittleEndian.PutUint64(idx[8:], u1)
	binary.LittleEndian.PutUint64(idx[16:], u2)
	binary.LittleEndian.PutUint64(idx[24:], u3)
	binary.LittleEndian.PutUint64(idx[32:], u4)
	binary.LittleEndian.PutUint64(idx[40:], u5)
	binary.LittleEndian.PutUint64(idx[48:], u6)
	binary.LittleEndian.PutUint64(idx[56:], u7)
}

// scoreSuper writes into dst the margins of the super-block of rows xb
// (len(dst) rows, 1 to superRows): base, then each tree's leaf in tree
// order. The margins accumulate in sc.acc. A super-block of more than
// maxGroupBlocks blocks is scored with the masks of all its blocks at
// once (stride blockLanes); a smaller one block by block (stride 1), so
// that a small batch writes a mask table of 8 bytes per split, not 64.
func (f *Forest) scoreSuper(sc *blockScratch, dst, xb []float64) {
	b := &f.bl
	n, d := len(dst), f.numFeatures
	nb := (n + blockRows - 1) / blockRows
	var codes []rowCode
	if b.anyOut {
		codes = sc.codes[:len(xb)]
		rowCodes(codes, xb)
	}
	acc := sc.acc[:n]
	for i := range acc {
		acc[i] = f.base
	}
	var all [blockLanes]uint64 // per block: its rows; absent blocks none
	if nb > maxGroupBlocks {
		for j := range nb {
			all[j] = ^uint64(0) >> (64 - min(blockRows, n-j*blockRows))
		}
		sc.setStride(b, blockLanes)
		f.buildMasks(sc, xb, n)
		f.scoreTrees(sc, acc, xb, codes, nb, &all)
		copy(dst, acc)
		return
	}
	sc.setStride(b, 1)
	for r0 := 0; r0 < n; r0 += blockRows {
		r1 := min(r0+blockRows, n)
		all[0] = ^uint64(0) >> (64 - (r1 - r0))
		var bc []rowCode
		if codes != nil {
			bc = codes[r0*d : r1*d]
		}
		f.buildMasks(sc, xb[r0*d:r1*d], r1-r0)
		f.scoreTrees(sc, acc[r0:r1], xb[r0*d:r1*d], bc, 1, &all)
	}
	copy(dst, acc)
}

// scoreTrees adds to acc the leaf values of every tree, in tree order,
// for the rows xb of nb blocks (one when sc.stride is 1), whose masks sc
// holds, all holding each block's rows; codes are the rows' codes for
// the trees the layout does not hold.
func (f *Forest) scoreTrees(sc *blockScratch, acc, xb []float64, codes []rowCode, nb int, all *[blockLanes]uint64) {
	b, s := &f.bl, &f.sv
	d := f.numFeatures
	var out [1]uint32
	depth := 0 // of sc.g's planes (setDepth)
	nt := len(b.in)
	groups := b.vec && sc.stride == 1
	for t := 0; t < nt; {
		if !b.in[t] {
			for i := range acc {
				s.walk(out[:], t, xb[i*d:(i+1)*d], codes[i*d:(i+1)*d])
				acc[i] += s.value[out[0]]
			}
			t++
			continue
		}
		k := 0
		switch {
		case groups && b.group[t]:
			if dt := int(b.depth[t]); dt != depth {
				depth = dt
				sc.g.setDepth(depth)
			}
			groupLeavesAVX512(&sc.masks[0], &b.gmid[b.gbase[t]], depth, all[0], &sc.gsets, &sc.idx[0][0], sc.g)
			k = 8
		case b.vec && !groups:
			for k < len(sc.idx) && t+k < nt && b.in[t+k] {
				if dt := int(b.depth[t+k]); dt != depth {
					depth = dt
					sc.g.setDepth(depth)
				}
				laneLeavesAVX512(&sc.masks[0], &b.mid[b.split[t+k]], depth, all, &sc.gsets, &sc.idx[k], sc.g)
				k++
			}
		default:
			for k < len(sc.idx) && t+k < nt && b.in[t+k] && !(groups && b.group[t+k]) {
				for j := range nb {
					b.leafPositions(sc, (*[blockRows]uint8)(sc.idx[k][j*blockRows:]), t+k, j, all[j])
				}
				k++
			}
		}
		for j := 0; j < k; j += fuse {
			b.addLeaves(acc, &sc.idx, t, j, min(fuse, k-j))
		}
		t += k
	}
}

// addLeaves adds to acc[i], for each row i, the leaf values of the k
// trees t+j .. t+j+k-1 (k <= fuse) at the positions idx[j ...][i], tree
// after tree.
func (b *blockLayout) addLeaves(acc []float64, idx *[8][superRows]uint8, t, j, k int) {
	acc = acc[:min(len(acc), superRows)]
	switch k {
	case 4:
		i0, i1, i2, i3 := &idx[j&7], &idx[(j+1)&7], &idx[(j+2)&7], &idx[(j+3)&7]
		v0, v1, v2, v3 := b.leafValues(t+j), b.leafValues(t+j+1), b.leafValues(t+j+2), b.leafValues(t+j+3)
		for i := range acc {
			a := acc[i]
			a += v0[i0[i]]
			a += v1[i1[i]]
			a += v2[i2[i]]
			a += v3[i3[i]]
			acc[i] = a
		}
	case 3:
		i0, i1, i2 := &idx[j&7], &idx[(j+1)&7], &idx[(j+2)&7]
		v0, v1, v2 := b.leafValues(t+j), b.leafValues(t+j+1), b.leafValues(t+j+2)
		for i := range acc {
			a := acc[i]
			a += v0[i0[i]]
			a += v1[i1[i]]
			a += v2[i2[i]]
			acc[i] = a
		}
	case 2:
		i0, i1 := &idx[j&7], &idx[(j+1)&7]
		v0, v1 := b.leafValues(t+j), b.leafValues(t+j+1)
		for i := range acc {
			a := acc[i]
			a += v0[i0[i]]
			a += v1[i1[i]]
			acc[i] = a
		}
	default:
		i0, v0 := &idx[j&7], b.leafValues(t+j)
		for i := range acc {
			acc[i] += v0[i0[i]]
		}
	}
}

// leafValues returns the leaf values of tree t by leaf position, as an
// array of 256 so that a byte indexes it without a bounds check: the
// entries past 2^D belong to the next trees (or to the padding at the
// end of val) and no row's position reaches them.
func (b *blockLayout) leafValues(t int) *[256]float64 {
	v := b.vbase[t]
	return (*[256]float64)(b.val[v : v+256])
}

// marginsBlock is Margins on the block layout: super-blocks of up to
// superRows rows (blocks of 64) scored bit-sliced, and a tail of fewer
// than minBlockRows rows past the last whole block on the compact layout
// row by row.
func (f *Forest) marginsBlock(dst, X []float64, rows int) {
	d := f.numFeatures
	full := rows - rows%blockRows
	if rows%blockRows >= minBlockRows {
		full = rows
	}
	if full > 0 {
		sc, _ := f.bl.pool.Get().(*blockScratch)
		if sc == nil {
			sc = f.newBlockScratch()
		}
		for r0 := 0; r0 < full; r0 += superRows {
			r1 := min(r0+superRows, full)
			f.scoreSuper(sc, dst[r0:r1], X[r0*d:r1*d])
		}
		f.bl.pool.Put(sc)
	}
	if full < rows {
		f.marginsFast(dst[full:], X[full*d:], rows-full)
	}
}
