package tree

import "math"

// The general serving layout: a copy of the forest's splits arranged for
// fast scoring. It is derived by prepare (never serialised) and reaches
// exactly the same leaf as Forest.leaf for every input. Margin and
// Margins score the trees the compact layout (compact.go) holds on that
// layout, and the others (deeper than maxCompactDepth, or with a
// categorical bitset wider than one word or empty) on this one.
//
// Each tree is renumbered in breadth-first order so that its entries are
// contiguous and the two children of a split are adjacent: a walk steps
// from entry i to nodes[i].child + goRight, where goRight (0 or 1) is
// computed without a data-dependent branch. Leaves are entries too: a
// leaf's child is itself and its step always goes left, so a walk may
// take more steps than a leaf's depth and still end on that leaf. Margin
// therefore walks four trees in lockstep for a fixed number of steps (the
// deepest of the four) with no branch that depends on the data.
//
// A categorical split whose bitset is one word (codes 0..63, the usual
// case) keeps the word in the threshold field and is branchless too:
// each feature value is coded once per row (rowCodes) as a one-hot mask
// 1<<c for a category c in 0..63 and 0 for anything else (NaN, negative,
// >= 64, ±Inf), and the step goes left iff word&mask != 0. A split with
// a wider bitset makes its tree take the slower walk, which handles it
// behind a branch.
//
// The step, written out in walk and walk4, matches Forest.goLeft:
//
//	gt    = x > t                  numeric: right iff x > t (false for NaN)
//	cr    = word&mask == 0         one-word categorical: right iff bit c clear
//	right = catMask ? cr : gt      (0xff or 0 mask select)
//	right ^= nan & nanFlip         NaN: gt is 0 and cr is 1, so nanFlip is
//	                               missing-right for a numeric split and
//	                               its negation for a categorical one.

// snode is one serving entry (16 bytes, four to a cache line).
type snode struct {
	// threshold: numeric split, go right when x > threshold; leaf, +Inf
	// (the step goes left, to the leaf itself); one-word categorical
	// split, the bits of the bitset word; wide categorical split,
	// start<<32 | words, the bitset being cats[start:start+words].
	threshold float64
	child     uint32 // left child entry; the right child is child+1
	feature   uint16
	catMask   uint8 // 0 numeric or leaf, 0xff one-word categorical, catWide
	nanFlip   uint8 // see the step; for a wide split, 1 iff missing-right
}

const (
	catWord = 0xff // snode.catMask of a one-word categorical split
	catWide = 0x80 // snode.catMask of a wider categorical split
	// maxRowCodes is the widest row Margin codes on its stack.
	maxRowCodes = 512
	lanes       = 4 // trees walked in lockstep
)

// rowCode is the per-row coding of one feature value (rowCodes).
type rowCode struct {
	mask uint64 // 1<<c for a category c in 0..63, else 0
	nan  uint8  // 1 iff the value is NaN
}

// serving is the derived scoring layout of a Forest.
type serving struct {
	ok    bool      // false: use the reference walk (layout not representable)
	nodes []snode   // all trees, each contiguous, breadth-first
	value []float64 // per entry: the leaf value (leaves only)
	leaf  []uint32  // per entry: index into Forest.leaves (leaves only; for tests)
	cats  []uint64  // Forest.cats, for wide categorical splits
	root  []uint32  // per tree: entry of its root
	depth []uint8   // per tree: depth of its deepest leaf
	wide  []bool    // per tree: it has a wide categorical split (walk, not walk4)
}

// buildServing derives the serving layout. f must be valid. A forest
// the layout cannot represent (over 2^16 features, a tree deeper than
// 255, 2^32-1 entries or more) gets ok == false.
func (f *Forest) buildServing() serving {
	var s serving
	nt := len(f.roots)
	total := len(f.nodes) + len(f.leaves)
	if f.numFeatures > 1<<16 || uint64(total) >= math.MaxUint32 {
		return s
	}
	s.nodes = make([]snode, 0, total)
	s.value = make([]float64, 0, total)
	s.leaf = make([]uint32, 0, total)
	s.root = make([]uint32, nt)
	s.depth = make([]uint8, nt)
	s.wide = make([]bool, nt)
	s.cats = f.cats
	type item struct {
		c     uint32 // compiled reference: node index or leafBit|leaf index
		depth int
	}
	var queue []item
	for t, r := range f.roots {
		base := uint32(len(s.nodes))
		s.root[t] = base
		queue = append(queue[:0], item{r, 0})
		maxDepth := 0
		// Entries are appended in queue order, so entry base+k is
		// queue[k]; children are queued as adjacent pairs.
		for k := 0; k < len(queue); k++ {
			it := queue[k]
			maxDepth = max(maxDepth, it.depth)
			if it.c&leafBit != 0 {
				l := it.c &^ leafBit
				s.nodes = append(s.nodes, snode{threshold: math.Inf(1), child: base + uint32(k)})
				s.value = append(s.value, f.leaves[l])
				s.leaf = append(s.leaf, l)
				continue
			}
			n := &f.nodes[it.c]
			e := snode{threshold: n.threshold, child: base + uint32(len(queue)), feature: uint16(n.feature)}
			missingRight := uint8(0)
			if n.flags&flagMissingLeft == 0 {
				missingRight = 1
			}
			e.nanFlip = missingRight
			if n.flags&flagCategorical != 0 {
				if n.catLen == 1 {
					e.catMask = catWord
					e.nanFlip ^= 1
					e.threshold = math.Float64frombits(f.cats[n.catStart])
				} else {
					e.catMask = catWide
					e.threshold = math.Float64frombits(uint64(n.catStart)<<32 | uint64(n.catLen))
					s.wide[t] = true
				}
			}
			s.nodes = append(s.nodes, e)
			s.value = append(s.value, 0)
			s.leaf = append(s.leaf, 0)
			queue = append(queue, item{n.left, it.depth + 1}, item{n.right, it.depth + 1})
		}
		if maxDepth > math.MaxUint8 {
			return serving{}
		}
		s.depth[t] = uint8(maxDepth)
	}
	s.ok = true
	return s
}

// rowCodes stores the coding of each value of x in codes.
func rowCodes(codes []rowCode, x []float64) {
	codes = codes[:len(x)]
	for j, v := range x {
		in := uint64(b2u(v >= 0) & b2u(v < 64))
		codes[j] = rowCode{mask: 1 << (uint64(int64(v)) & 63) & -in, nan: b2u(v != v)}
	}
}

// wideRight reports (0 or 1) whether v goes right at the wide
// categorical split n, as Forest.goLeft decides it.
func (s *serving) wideRight(n *snode, v float64) uint8 {
	if v != v {
		return n.nanFlip
	}
	cb := math.Float64bits(n.threshold)
	if start, words := uint32(cb>>32), uint32(cb); v >= 0 && v < float64(words)*64 {
		c := uint32(v) // as in Forest.goLeft
		return uint8(s.cats[start+c/64]>>(c%64)&1) ^ 1
	}
	return 1
}

// b2u converts a bool to 0 or 1 (the compiler emits SETcc).
func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// walk walks trees t0 .. t0+len(out)-1 for row x, coded as codes, and
// stores the entry each one reaches in out.
func (s *serving) walk(out []uint32, t0 int, x []float64, codes []rowCode) {
	nodes := s.nodes
	codes = codes[:len(x)] // lets the compiler drop the codes bounds checks
	for k := range out {
		i := s.root[t0+k]
		for range s.depth[t0+k] {
			n := &nodes[i]
			v := x[n.feature]
			c := &codes[n.feature]
			t := n.threshold
			gt := b2u(v > t)
			cr := b2u(math.Float64bits(t)&c.mask == 0)
			right := gt ^ ((gt ^ cr) & n.catMask) ^ (c.nan & n.nanFlip)
			if n.catMask == catWide {
				right = s.wideRight(n, v)
			}
			i = n.child + uint32(right)
		}
		out[k] = i
	}
}

// walk4 is walk for the four trees t0 .. t0+3 in lockstep, with the step
// written out once per tree so that the four dependency chains overlap
// and the indices stay in registers. None of the four trees may have a
// wide categorical split (anyWide); the step has no slow path.
func (s *serving) walk4(out *[lanes]uint32, t0 int, x []float64, codes []rowCode) {
	nodes := s.nodes
	codes = codes[:len(x)] // lets the compiler drop the codes bounds checks
	r, d := s.root[t0:t0+4:t0+4], s.depth[t0:t0+4:t0+4]
	i0, i1, i2, i3 := r[0], r[1], r[2], r[3]
	for range int(max(d[0], d[1], d[2], d[3])) {
		{
			n := &nodes[i0]
			v := x[n.feature]
			c := &codes[n.feature]
			t := n.threshold
			gt := b2u(v > t)
			cr := b2u(math.Float64bits(t)&c.mask == 0)
			right := gt ^ ((gt ^ cr) & n.catMask) ^ (c.nan & n.nanFlip)
			i0 = n.child + uint32(right)
		}
		{
			n := &nodes[i1]
			v := x[n.feature]
			c := &codes[n.feature]
			t := n.threshold
			gt := b2u(v > t)
			cr := b2u(math.Float64bits(t)&c.mask == 0)
			right := gt ^ ((gt ^ cr) & n.catMask) ^ (c.nan & n.nanFlip)
			i1 = n.child + uint32(right)
		}
		{
			n := &nodes[i2]
			v := x[n.feature]
			c := &codes[n.feature]
			t := n.threshold
			gt := b2u(v > t)
			cr := b2u(math.Float64bits(t)&c.mask == 0)
			right := gt ^ ((gt ^ cr) & n.catMask) ^ (c.nan & n.nanFlip)
			i2 = n.child + uint32(right)
		}
		{
			n := &nodes[i3]
			v := x[n.feature]
			c := &codes[n.feature]
			t := n.threshold
			gt := b2u(v > t)
			cr := b2u(math.Float64bits(t)&c.mask == 0)
			right := gt ^ ((gt ^ cr) & n.catMask) ^ (c.nan & n.nanFlip)
			i3 = n.child + uint32(right)
		}
	}
	out[0], out[1], out[2], out[3] = i0, i1, i2, i3
}

// anyWide reports whether one of the trees t0 .. t0+3 has a wide
// categorical split.
func (s *serving) anyWide(t0 int) bool {
	w := s.wide[t0 : t0+4 : t0+4]
	return w[0] || w[1] || w[2] || w[3]
}

// walkGroup stores in out the entries the trees t0 .. t0+3 reach.
func (s *serving) walkGroup(out *[lanes]uint32, t0 int, x []float64, codes []rowCode) {
	if s.anyWide(t0) {
		s.walk(out[:], t0, x, codes)
	} else {
		s.walk4(out, t0, x, codes)
	}
}

// rowMargin is the margin of row x, coded as codes: base, then each
// tree's leaf added in tree order.
func (f *Forest) rowMargin(x []float64, codes []rowCode) float64 {
	s := &f.sv
	var out [lanes]uint32
	sum := f.base
	nt := len(s.root)
	t0 := 0
	for ; t0+lanes <= nt; t0 += lanes {
		s.walkGroup(&out, t0, x, codes)
		sum += s.value[out[0]]
		sum += s.value[out[1]]
		sum += s.value[out[2]]
		sum += s.value[out[3]]
	}
	o := out[:nt-t0]
	s.walk(o, t0, x, codes)
	for _, i := range o {
		sum += s.value[i]
	}
	return sum
}

// maxStackSlots is the most compact-layout slots Margin codes on its
// stack.
const maxStackSlots = 4096

// marginFast is Margin on the serving layouts. It codes the row on its
// stack, in buffers just large enough for common sizes (Go zeroes them
// on every call), so it allocates nothing when len(x) <= maxRowCodes
// and the compact layout has at most maxStackSlots slots.
func (f *Forest) marginFast(x []float64) float64 {
	if !f.cp.ok {
		return f.marginGeneral(x)
	}
	var old []rowCode // general-layout codes, for the trees not in the compact one
	if f.cp.anyOut {
		switch {
		case len(x) <= 64:
			var buf [64]rowCode
			old = buf[:len(x)]
		case len(x) <= maxRowCodes:
			var buf [maxRowCodes]rowCode
			old = buf[:len(x)]
		default:
			old = make([]rowCode, len(x))
		}
		rowCodes(old, x)
	}
	switch ns := f.cp.slots; {
	case ns <= 256:
		var buf [256]uint64
		return f.rowMarginCompact(x, f.cp.codeRow(buf[:ns], x), old)
	case ns <= 512:
		var buf [512]uint64
		return f.rowMarginCompact(x, f.cp.codeRow(buf[:ns], x), old)
	case ns <= 1024:
		var buf [1024]uint64
		return f.rowMarginCompact(x, f.cp.codeRow(buf[:ns], x), old)
	case ns <= maxStackSlots:
		var buf [maxStackSlots]uint64
		return f.rowMarginCompact(x, f.cp.codeRow(buf[:ns], x), old)
	default:
		return f.rowMarginCompact(x, f.cp.codeRow(make([]uint64, ns), x), old)
	}
}

// rowMarginCompact is the margin of row x, coded as codes for the compact
// layout and, when some tree is not in it, as old for the general one:
// base, then each tree's leaf added in tree order. With c.asm it walks
// the groups run by run in assembly (rowMarginRuns, walk.go), else with
// walkTrees.
func (f *Forest) rowMarginCompact(x []float64, codes []uint64, old []rowCode) float64 {
	c, s := &f.cp, &f.sv
	if c.asm {
		return f.rowMarginRuns(x, codes, old)
	}
	var out [wideLanes]uint32
	sum := f.base
	nt := len(c.in)
	for t := 0; t < nt; {
		if c.group[t] {
			c.walkTrees(&out, t, codes)
			for _, e := range out {
				sum += c.value[e]
			}
			t += wideLanes
			continue
		}
		if c.in[t] {
			sum += c.value[c.walk1(t, codes)]
		} else {
			o := out[:1]
			s.walk(o, t, x, old)
			sum += s.value[o[0]]
		}
		t++
	}
	return sum
}

// marginGeneral is Margin on the general layout alone.
func (f *Forest) marginGeneral(x []float64) float64 {
	switch {
	case len(x) <= 64:
		var buf [64]rowCode
		codes := buf[:len(x)]
		rowCodes(codes, x)
		return f.rowMargin(x, codes)
	case len(x) <= maxRowCodes:
		var buf [maxRowCodes]rowCode
		codes := buf[:len(x)]
		rowCodes(codes, x)
		return f.rowMargin(x, codes)
	}
	codes := make([]rowCode, len(x))
	rowCodes(codes, x)
	return f.rowMargin(x, codes)
}

// marginsGeneral is Margins on the general layout alone. For each block
// of rows it walks four trees at a time for every row of the block, so the
// four trees stay in L1 while the block's rows pass through them; each
// row still adds base, then the leaves in tree order.
func (f *Forest) marginsGeneral(dst, X []float64, rows int) {
	s := &f.sv
	d := f.numFeatures
	nt := len(s.root)
	var out [lanes]uint32
	codes := make([]rowCode, min(rows, marginBlock)*d)
	for r0 := 0; r0 < rows; r0 += marginBlock {
		r1 := min(r0+marginBlock, rows)
		acc := dst[r0:r1]
		xb := X[r0*d : r1*d]
		cb := codes[:len(xb)]
		rowCodes(cb, xb)
		for i := range acc {
			acc[i] = f.base
		}
		t0 := 0
		for ; t0+lanes <= nt; t0 += lanes {
			for i := range acc {
				s.walkGroup(&out, t0, xb[i*d:(i+1)*d], cb[i*d:(i+1)*d])
				a := acc[i]
				a += s.value[out[0]]
				a += s.value[out[1]]
				a += s.value[out[2]]
				a += s.value[out[3]]
				acc[i] = a
			}
		}
		if t0 < nt {
			o := out[:nt-t0]
			for i := range acc {
				s.walk(o, t0, xb[i*d:(i+1)*d], cb[i*d:(i+1)*d])
				for _, e := range o {
					acc[i] += s.value[e]
				}
			}
		}
	}
}

// marginsBlock is the number of rows Margins codes and scores together:
// each group of eight trees is walked for all of them while it is in L1.
const marginsBlock = 8

// marginsFast is Margins on the serving layouts. For each block of rows
// it walks each group of eight trees for one row at a time (walkTrees,
// as Margin does), so each row still adds base, then the leaves in tree
// order.
func (f *Forest) marginsFast(dst, X []float64, rows int) {
	if !f.cp.ok {
		f.marginsGeneral(dst, X, rows)
		return
	}
	c, s := &f.cp, &f.sv
	d := f.numFeatures
	ns := c.slots
	nt := len(c.in)
	bl := min(rows, marginsBlock)
	codes := make([]uint64, ns*bl)
	var old []rowCode
	if c.anyOut {
		old = make([]rowCode, bl*d)
	}
	var out [wideLanes]uint32
	for r0 := 0; r0 < rows; r0 += marginsBlock {
		r1 := min(r0+marginsBlock, rows)
		acc := dst[r0:r1]
		xb := X[r0*d : r1*d]
		for i := range acc {
			c.codeRow(codes[i*ns:(i+1)*ns], xb[i*d:(i+1)*d])
			acc[i] = f.base
		}
		if c.anyOut {
			rowCodes(old[:len(xb)], xb)
		}
		for t := 0; t < nt; {
			if c.group[t] {
				for i := range acc {
					c.walkTrees(&out, t, codes[i*ns:(i+1)*ns])
					a := acc[i]
					for _, e := range out {
						a += c.value[e]
					}
					acc[i] = a
				}
				t += wideLanes
				continue
			}
			for i := range acc {
				if c.in[t] {
					acc[i] += c.value[c.walk1(t, codes[i*ns:(i+1)*ns])]
				} else {
					s.walk(out[:1], t, xb[i*d:(i+1)*d], old[i*d:(i+1)*d])
					acc[i] += s.value[out[0]]
				}
			}
			t++
		}
	}
}
