package tree

import (
	"math"
	"sort"
)

// The compact layout: a second, smaller serving layout for the trees it
// can hold (depth at most maxCompactDepth, categorical bitsets of one
// non-zero word). It is derived by prepare, never serialised, and
// reaches exactly the same leaf as Forest.leaf for every input; trees it
// cannot hold are walked on the general layout (serve.go).
//
// Each tree is stored as a perfect binary tree of its depth D in
// implicit (heap) order: split p has children 2p+1 and 2p+2, so no child
// index is stored, and the leaves are the 2^D positions after the 2^D-1
// splits. A leaf above depth D is padded with splits that always go
// left, and its value fills every leaf position below it, so a walk
// takes exactly D branchless steps.
//
// Every split is one test, the same for numeric and categorical splits:
//
//	go right iff code[slot] & word == 0
//
// where word is the split's 64-bit word and code is the row coded once
// per walk (codeRow) into one 64-bit mask per slot. A slot is a
// (feature, kind, missing direction) triple some split reads:
//
//   - categorical (bitset of one word): the word is the bitset; the code
//     is 1<<c for a category c in 0..63 (x truncated, as Forest.goLeft),
//     0 for any other non-NaN value, and for NaN all ones (missing left:
//     left at every split, as the bitset is not zero) or 0 (missing right).
//   - numeric, chunk j: the forest's distinct thresholds of the feature,
//     sorted, are t_0 < t_1 < ...; a split at t_k belongs to chunk
//     j = k/63 and its word has bit k%63 set, and bit 63 too if the split
//     sends NaN left. For x not NaN, let r be the number of thresholds
//     below x (so x > t_k iff k < r); the code of chunk j has bit b < 63
//     set iff 63j+b >= r, i.e. iff x <= t_(63j+b), and bit 63 clear,
//     which sends x left exactly at the splits it should. NaN codes as
//     1<<63: left exactly at the splits whose word has bit 63.

// Slot 0 is a constant all-ones code; the always-left padding splits
// read it with word 1.

// maxCompactDepth is the deepest tree the compact layout holds (the
// padding doubles its size per level).
const maxCompactDepth = 8

const (
	chunkBits  = 63      // thresholds per numeric slot
	nanBit     = 1 << 63 // numeric word: NaN goes left; numeric code: NaN
	maxSlots   = 1 << 16
	groupShift = 3               // log2 of wideLanes
	wideLanes  = 1 << groupShift // trees walked in lockstep by walkTrees
)

// featurePlan places the slots of one feature: numeric chunk k at
// numBase+k (chunks is 0 without numeric splits), and the categorical
// slots for missing left and right at catBase and catBase+1 (catBase is
// -1 without categorical splits).
type featurePlan struct {
	feature, numBase, chunks, catBase int
}

// slotKey names a slot. chunk is -1 for a categorical slot; a numeric
// slot serves both missing directions (missingRight is false).
type slotKey struct {
	feature      int
	chunk        int
	missingRight bool
}

// compact is the compact serving layout of a Forest. wideLanes consecutive
// trees of one depth form a group whose splits (and leaves) are
// interleaved: position p of the group's k-th tree is entry base+wideLanes*p+k,
// so a walk of them in lockstep addresses all of them from one
// base. A tree outside a group is stored alone (stride 1).
type compact struct {
	ok      bool          // the layout holds at least one tree
	word    []uint64      // per split entry: the word of the test
	slot    []uint16      // per split entry: the slot of the test
	value   []float64     // per leaf entry: the leaf value
	leaf    []uint32      // per leaf entry: index into Forest.leaves (tests)
	node    []uint32      // per tree: entry of its root (base + lane)
	vbase   []uint32      // per tree: entry of its first leaf (base + lane)
	sh      []uint8       // per tree: log2 of its stride (groupShift in a group, else 0)
	depth   []uint8       // per tree: D
	in      []bool        // per tree: the tree is in the layout
	group   []bool        // per tree t: t starts a group (t .. t+7)
	slots   int           // number of slots; slot 0 is the constant
	plan    []featurePlan // how codeRow codes each feature a split reads
	rank    []rankIndex   // per feature: its distinct numeric thresholds, for codeRow
	grid    []gridIndex   // per feature: a faster index of them, when it has one
	anyOut  bool          // some tree is not in the layout
	runs    []groupRun    // the groups, as runs of one depth on consecutive trees
	blk     []uint64      // the runs' groups in the layout of walkRunAsm (walk.go)
	asm     bool          // Margin walks the runs with walkRunAsm, not walkRunGo
	chunk   []chunkPlan   // per numeric feature, those with a grid index first: where codeRow codes it
	catPlan []int         // the plans with categorical slots
	vecCode bool          // codeRow codes the chunks with chunkCodesAVX512
	// The grid indexes of the first gridRows features of chunk, for
	// gridRanksRowAVX512, which codeRow uses when vecRank is set.
	gridRows  int
	gridRow   []gridRow
	gridStart []uint16
	gridThr   []float64
	vecRank   bool
}

// buildCompact derives the compact layout. f must be valid and the
// general layout built (it serves the trees left out).
func (f *Forest) buildCompact() compact {
	nt := len(f.roots)
	c := compact{
		node: make([]uint32, nt), vbase: make([]uint32, nt), sh: make([]uint8, nt),
		depth: make([]uint8, nt), in: make([]bool, nt), group: make([]bool, nt),
	}
	thr := make([][]float64, f.numFeatures) // per feature: its distinct numeric thresholds, sorted
	for t, r := range f.roots {
		d, ok := f.compactDepth(r)
		if !ok {
			c.anyOut = true
			continue
		}
		c.in[t], c.depth[t] = true, uint8(d)
		for i := f.treeNode[t]; i < f.treeNode[t+1]; i++ {
			if n := &f.nodes[i]; n.flags&flagCategorical == 0 {
				thr[n.feature] = append(thr[n.feature], n.threshold)
			}
		}
	}
	for j, ts := range thr {
		sort.Float64s(ts)
		u := ts[:0]
		for _, t := range ts {
			if len(u) == 0 || u[len(u)-1] != t { // -0 == +0: one threshold
				u = append(u, t)
			}
		}
		thr[j] = u[:len(u):len(u)]
	}
	c.rank = make([]rankIndex, f.numFeatures)
	c.grid = make([]gridIndex, f.numFeatures)
	for j, ts := range thr {
		if len(ts) > 0 {
			c.rank[j] = newRankIndex(ts)
			c.grid[j] = newGridIndex(ts)
		}
	}
	// key returns the slot of split n and its word.
	key := func(n *node) (slotKey, uint64) {
		k := slotKey{feature: int(n.feature), chunk: -1, missingRight: n.flags&flagMissingLeft == 0}
		if n.flags&flagCategorical != 0 {
			return k, f.cats[n.catStart]
		}
		r := sort.SearchFloat64s(thr[n.feature], n.threshold)
		k.chunk, k.missingRight = r/chunkBits, false
		w := uint64(1) << (r % chunkBits)
		if n.flags&flagMissingLeft != 0 {
			w |= nanBit
		}
		return k, w
	}
	// Slots, feature by feature: the numeric chunks, then the two
	// categorical slots (missing left, missing right).
	used := make([][2]bool, f.numFeatures) // numeric, categorical
	for t := range f.roots {
		if c.in[t] {
			for i := f.treeNode[t]; i < f.treeNode[t+1]; i++ {
				n := &f.nodes[i]
				used[n.feature][b2u(n.flags&flagCategorical != 0)] = true
			}
		}
	}
	slotOf := map[slotKey]uint16{}
	ns := 1
	for j, u := range used {
		if !u[0] && !u[1] {
			continue
		}
		p := featurePlan{feature: j, numBase: ns, catBase: -1}
		if u[0] {
			p.chunks = (len(thr[j]) + chunkBits - 1) / chunkBits
			for k := range p.chunks {
				slotOf[slotKey{feature: j, chunk: k}] = uint16(min(ns, maxSlots-1))
				ns++
			}
		}
		if u[1] {
			p.catBase = ns
			slotOf[slotKey{feature: j, chunk: -1}] = uint16(min(ns, maxSlots-1))
			slotOf[slotKey{feature: j, chunk: -1, missingRight: true}] = uint16(min(ns+1, maxSlots-1))
			ns += 2
		}
		if p.catBase >= 0 {
			c.catPlan = append(c.catPlan, len(c.plan))
		}
		c.plan = append(c.plan, p)
	}
	// The numeric features, those with a grid index first (for
	// gridRanksRowAVX512).
	for pass := range 2 {
		for _, p := range c.plan {
			if p.chunks > 0 && (c.grid[p.feature].start != nil) == (pass == 0) {
				c.chunk = append(c.chunk, chunkPlan{feature: int32(p.feature), base: int32(p.numBase), chunks: int32(p.chunks)})
			}
		}
		if pass == 0 {
			c.buildGridRows(len(c.chunk))
		}
	}
	c.vecCode = hasChunkVec
	if ns > maxSlots {
		return compact{}
	}
	c.slots = ns
	// place stores tree t with its root at entry nodeAt and its first
	// leaf at entry vb, both with stride 1<<sh.
	place := func(t int, nodeAt, vb uint32, sh uint8) {
		d := int(c.depth[t])
		splits := 1<<d - 1
		nodeAt = min(nodeAt, uint32(len(c.word))) // a lone leaf has no splits
		word, slot := c.word[nodeAt:], c.slot[nodeAt:]
		value, leaf := c.value[vb:], c.leaf[vb:]
		var walk func(ref uint32, pos, level int)
		walk = func(ref uint32, pos, level int) {
			if ref&leafBit != 0 {
				// Padding: always left down to depth d; every leaf
				// position below pos holds the leaf.
				lo, hi := pos, pos
				for range d - level {
					for p := lo; p <= hi; p++ {
						word[p<<sh], slot[p<<sh] = 1, 0
					}
					lo, hi = 2*lo+1, 2*hi+2
				}
				for p := lo; p <= hi; p++ {
					l := ref &^ leafBit
					value[(p-splits)<<sh], leaf[(p-splits)<<sh] = f.leaves[l], l
				}
				return
			}
			n := &f.nodes[ref]
			k, w := key(n)
			word[pos<<sh], slot[pos<<sh] = w, slotOf[k]
			walk(n.left, 2*pos+1, level+1)
			walk(n.right, 2*pos+2, level+1)
		}
		walk(f.roots[t], 0, 0)
		c.node[t], c.vbase[t], c.sh[t] = nodeAt, vb, sh
	}
	grow := func(splits, leaves int) (uint32, uint32, bool) {
		nb, vb := len(c.word), len(c.value)
		if uint64(nb+splits) >= math.MaxUint32 || uint64(vb+leaves) >= math.MaxUint32 {
			return 0, 0, false
		}
		c.word = append(c.word, make([]uint64, splits)...)
		c.slot = append(c.slot, make([]uint16, splits)...)
		c.value = append(c.value, make([]float64, leaves)...)
		c.leaf = append(c.leaf, make([]uint32, leaves)...)
		return uint32(nb), uint32(vb), true
	}
	for t := 0; t < nt; {
		if !c.in[t] {
			t++
			continue
		}
		splits := 1<<c.depth[t] - 1
		g := t+wideLanes <= nt
		for k := t; g && k < t+wideLanes; k++ {
			g = c.in[k] && c.depth[k] == c.depth[t]
		}
		n := 1
		if g {
			n = wideLanes
		}
		nb, vb, ok := grow(n*splits, n*(splits+1))
		if !ok {
			for k := t; k < nt; k++ {
				c.in[k] = false
			}
			c.anyOut = true
			break
		}
		if g {
			c.group[t] = true
			for k := range wideLanes {
				place(t+k, nb+uint32(k), vb+uint32(k), groupShift)
			}
		} else {
			place(t, nb, vb, 0)
		}
		c.ok = true
		t += n
	}
	c.buildRuns()
	return c
}

// compactDepth returns the depth of the tree below ref and whether the
// compact layout can hold it.
func (f *Forest) compactDepth(ref uint32) (int, bool) {
	if ref&leafBit != 0 {
		return 0, true
	}
	n := &f.nodes[ref]
	if n.flags&flagCategorical != 0 && (n.catLen != 1 || f.cats[n.catStart] == 0) {
		return 0, false
	}
	l, okl := f.compactDepth(n.left)
	r, okr := f.compactDepth(n.right)
	d := 1 + max(l, r)
	return d, okl && okr && d <= maxCompactDepth
}

// rankIndex finds the number of a feature's sorted thresholds below x
// in three short dependent scans instead of a binary search's ~log2(n)
// dependent loads: top holds the last of each block of 64 thresholds,
// mid the last of each group of 8, and all the thresholds, each padded
// with NaN (never below x) to whole blocks and one block more, and top
// to at least eight.
type rankIndex struct {
	top, mid, all []float64
}

func newRankIndex(ts []float64) rankIndex {
	n := (len(ts) + 63) / 64 * 64
	// One more block of NaN after the last: a value above every
	// threshold scans it and counts 64*blocks.
	all := make([]float64, n+64)
	copy(all, ts)
	for i := len(ts); i < len(all); i++ {
		all[i] = math.NaN()
	}
	var ix rankIndex
	ix.all = all
	for i := 7; i < len(all); i += 8 {
		ix.mid = append(ix.mid, all[i])
	}
	for i := 63; i < n; i += 64 {
		ix.top = append(ix.top, all[i])
	}
	for len(ix.top) < 8 { // pad to eight, for countBelow8
		ix.top = append(ix.top, math.NaN())
	}
	return ix
}

// countBelow returns the number of values of a below x (unordered scan).
func countBelow(a []float64, x float64) int {
	n := 0
	for _, v := range a {
		n += int(b2u(v < x))
	}
	return n
}

// countBelow8 is countBelow for eight values, written out.
func countBelow8(a *[8]float64, x float64) int {
	return int(b2u(a[0] < x) + b2u(a[1] < x) + b2u(a[2] < x) + b2u(a[3] < x) +
		b2u(a[4] < x) + b2u(a[5] < x) + b2u(a[6] < x) + b2u(a[7] < x))
}

// rank returns the number of thresholds below x (0 for NaN).
func (ix *rankIndex) rank(x float64) int {
	var b int
	switch top := ix.top; {
	case len(top) == 8:
		b = countBelow8((*[8]float64)(top), x)
	case len(top) <= 16:
		b = countBelow(top, x)
	default:
		b = sort.Search(len(top), func(i int) bool { return !(top[i] < x) })
	}
	g := b*8 + countBelow8((*[8]float64)(ix.mid[b*8:b*8+8]), x)
	return g*8 + countBelow8((*[8]float64)(ix.all[g*8:g*8+8]), x)
}

// codeRow stores the slot codes of row x in codes (c.slots long) and
// returns codes. It first ranks every numeric value (-1 for NaN): those
// of the features with a grid index by gridRanksRowAVX512 when
// c.vecRank is set, the others (or all) by the feature's grid or
// rankIndex in a loop without data-dependent branches, so that the
// processor can overlap the features' rank lookups; then it writes the
// numeric chunks' codes (chunkCodesAVX512 when c.vecCode is set, else
// chunkCodesGo) and the categorical slots' codes.
func (c *compact) codeRow(codes []uint64, x []float64) []uint64 {
	codes = codes[:c.slots]
	codes[0] = ^uint64(0)
	var buf [64]int64
	ranks := buf[:]
	if len(c.chunk) > len(buf) {
		ranks = make([]int64, len(c.chunk))
	}
	ranks = ranks[:len(c.chunk)]
	i := 0
	if c.vecRank && c.gridRows > 0 {
		gridRanksRowAVX512(&x[0], &c.gridRow[0], c.gridRows, &c.gridStart[0], &c.gridThr[0], &ranks[0])
		i = c.gridRows
	}
	for ; i < len(c.chunk); i++ {
		v := x[c.chunk[i].feature]
		var r int
		if g := &c.grid[c.chunk[i].feature]; g.start != nil {
			r = g.rank(v)
		} else {
			r = c.rank[c.chunk[i].feature].rank(v)
		}
		ranks[i] = int64(r | -int(b2u(v != v)))
	}
	if len(ranks) > 0 {
		if c.vecCode {
			chunkCodesAVX512(&codes[0], &c.chunk[0], &ranks[0], len(ranks))
		} else {
			chunkCodesGo(codes, c.chunk, ranks)
		}
	}
	for _, i := range c.catPlan {
		p := &c.plan[i]
		v := x[p.feature]
		nan := -uint64(b2u(v != v)) // all ones for NaN
		in := -uint64(b2u(v >= 0) & b2u(v < 64))
		mask := 1 << (uint64(int64(v)) & 63) & in // as rowCodes
		codes[p.catBase], codes[p.catBase+1] = mask|nan, mask
	}
	return codes
}

// gridRow is the grid indexes of eight numeric features, for
// gridRanksRowAVX512 (field offsets fixed by its assembly): lane k's
// gridIndex has lo[k], scale[k] and last[k], its start entries begin at
// gridStart[start[k]] and its thresholds at gridThr[thr[k]]. Unused
// lanes are zero.
type gridRow struct {
	lo, scale, last     [8]float64
	feature, start, thr [8]int32
}

// buildGridRows fills c.gridRow, gridStart and gridThr from the first n
// features of c.chunk (those with a grid index) and sets c.vecRank
// (hasRankVec) when the concatenated tables are indexable by int32.
func (c *compact) buildGridRows(n int) {
	c.gridRows, c.gridRow, c.gridStart, c.gridThr = 0, nil, nil, nil
	for i, p := range c.chunk[:n] {
		if i%8 == 0 {
			c.gridRow = append(c.gridRow, gridRow{})
		}
		r, k := &c.gridRow[i/8], i%8
		g := &c.grid[p.feature]
		r.lo[k], r.scale[k], r.last[k] = g.lo, g.scale, g.last
		r.feature[k], r.start[k], r.thr[k] = p.feature, int32(len(c.gridStart)), int32(len(c.gridThr))
		c.gridStart = append(c.gridStart, g.start...)
		c.gridThr = append(c.gridThr, g.thr...)
		if len(c.gridStart) >= math.MaxInt32/2 || len(c.gridThr) >= math.MaxInt32/8 {
			c.gridRows, c.gridRow, c.gridStart, c.gridThr = 0, nil, nil, nil
			return
		}
	}
	// One more start entry: the assembly reads them four bytes at a time.
	c.gridStart = append(c.gridStart, 0)
	c.gridRows = n
	c.vecRank = hasRankVec && n > 0
}

// chunkPlan places the chunk slots of one numeric feature for
// chunkCodesGo: chunk k at slot base+k, k < chunks. chunkCodesAVX512
// reads base at offset 0 and chunks at 4 and steps by 12 bytes
// (TestAsmLayouts).
type chunkPlan struct {
	base, chunks int32
	feature      int32 // for codeRow
}

// chunkCodesGo stores in codes the chunk codes of each numeric feature
// of chunk given its rank in ranks (-1 for NaN): chunk k's code has bit
// b < 63 set iff 63k+b >= rank, and is nanBit for NaN.
func chunkCodesGo(codes []uint64, chunk []chunkPlan, ranks []int64) {
	for i, p := range chunk {
		num := codes[p.base : p.base+p.chunks]
		r := ranks[i]
		if r < 0 {
			for k := range num {
				num[k] = nanBit
			}
			continue
		}
		// Chunks below q lie below x (code 0), chunks above q above it
		// (all 63 bits); chunk q is cut at bit m.
		q, m := int(r/chunkBits), r%chunkBits
		for k := range num {
			num[k] = ^uint64(nanBit) & -uint64(b2u(k > q))
		}
		if q < len(num) {
			num[q] = ^uint64(0) << m &^ nanBit
		}
	}
}

// walk1 returns the leaf entry (index into value) that the row coded as
// codes reaches in compact tree t.
func (c *compact) walk1(t int, codes []uint64) uint32 {
	sh := c.sh[t] & 7
	word, slot := c.word[c.node[t]:], c.slot[c.node[t]:]
	p := uint32(0)
	for range c.depth[t] {
		j := int(p) << sh
		p = 2*p + 1 + uint32(b2u(codes[slot[j]]&word[j] == 0))
	}
	return c.vbase[t] + (p-(1<<c.depth[t]-1))<<sh
}

// walkTrees stores in out the leaf entries that the row coded as codes
// reaches in the group of trees t0 .. t0+wideLanes-1, walked in lockstep.
// Each lane's step is written out so that the dependency chains overlap.
// Lane k keeps its entry q = wideLanes*p + k rather than its position
// p, so the step 2p+1+right is q' = 2q + wideLanes - k + wideLanes*right.
func (c *compact) walkTrees(out *[wideLanes]uint32, t0 int, codes []uint64) {
	d := c.depth[t0]
	splits := uint32(1)<<d - 1
	nb := c.node[t0]
	word := c.word[nb : nb+wideLanes*splits]
	slot := c.slot[nb : nb+uint32(len(word))]
	q0, q1, q2, q3, q4, q5, q6, q7 := uint32(0), uint32(1), uint32(2), uint32(3), uint32(4), uint32(5), uint32(6), uint32(7)
	for range d {
		{
			r := b2u(codes[slot[q0]]&word[q0] == 0)
			q0 = 2*q0 + (wideLanes - 0) + uint32(r)<<groupShift
		}
		{
			r := b2u(codes[slot[q1]]&word[q1] == 0)
			q1 = 2*q1 + (wideLanes - 1) + uint32(r)<<groupShift
		}
		{
			r := b2u(codes[slot[q2]]&word[q2] == 0)
			q2 = 2*q2 + (wideLanes - 2) + uint32(r)<<groupShift
		}
		{
			r := b2u(codes[slot[q3]]&word[q3] == 0)
			q3 = 2*q3 + (wideLanes - 3) + uint32(r)<<groupShift
		}
		{
			r := b2u(codes[slot[q4]]&word[q4] == 0)
			q4 = 2*q4 + (wideLanes - 4) + uint32(r)<<groupShift
		}
		{
			r := b2u(codes[slot[q5]]&word[q5] == 0)
			q5 = 2*q5 + (wideLanes - 5) + uint32(r)<<groupShift
		}
		{
			r := b2u(codes[slot[q6]]&word[q6] == 0)
			q6 = 2*q6 + (wideLanes - 6) + uint32(r)<<groupShift
		}
		{
			r := b2u(codes[slot[q7]]&word[q7] == 0)
			q7 = 2*q7 + (wideLanes - 7) + uint32(r)<<groupShift
		}
	}
	vb := c.vbase[t0] - wideLanes*splits
	out[0] = vb + q0
	out[1] = vb + q1
	out[2] = vb + q2
	out[3] = vb + q3
	out[4] = vb + q4
	out[5] = vb + q5
	out[6] = vb + q6
	out[7] = vb + q7
}
