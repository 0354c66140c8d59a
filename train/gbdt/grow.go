package gbdt

import (
	"math"
	"slices"

	"leadscore/model/tree"
)

// splitInfo is the best split found for a leaf.
type splitInfo struct {
	gain       float64
	feature    int // -1: no valid split
	bin        int // numeric: left holds value bins <= bin
	cat        bool
	left       [4]uint64 // bins (including the missing bin) that go left
	lg, lh     float64   // left gradient and hessian sums
	lOut, rOut float64   // constrained child outputs before shrinkage
}

func (s *splitInfo) goesLeft(b uint8) bool { return s.left[b>>6]>>(b&63)&1 != 0 }

func (s *splitInfo) setLeft(b int) { s.left[b>>6] |= 1 << (b & 63) }

// leaf is a leaf of the tree being grown.
type leaf struct {
	rows   []int32 // the leaf's rows, ascending; a window of the tree's rows
	off    int     // where rows starts in the tree's rows (and in scratch)
	buf    int8    // quantized mode: the ordered buffer holding the rows (see ordered.go)
	g, h   float64
	n      int64
	depth  int
	lo, hi float64   // monotone bounds on the leaf output
	hist   histogram // zero (isNil) when not needed
	best   splitInfo
	parent int // node index of the parent, -1 for the root
	isLeft bool
}

// grower grows one tree at a time over binned data.
type grower struct {
	cfg   Config
	feats []Feature
	mono  []int8
	bn    *binning
	cols  []uint8     // column-major bins: feature f's are cols[f*n:(f+1)*n]
	hb    histBuilder // row-major grouped bins; see binMatrices
	n     int
	gh    []hbin // gradient and hessian per row
	quant bool   // histograms from quantized gradients, packed into hb.words (hb.qoff)
	qz    quantizer
	// Scratch indexed like the tree's rows, so that nodes (disjoint
	// windows) can be processed concurrently.
	tmp []int32     // partition scratch, n (exact mode)
	ord orderedRows // the rows of the tree's nodes in order (quantized mode)
	// leafOf is each row's final leaf in the last tree grown on every
	// row.
	leafOf []int32
	og     []hbin   // ordered gradients scratch, n (exact mode)
	ow     []uint64 // ordered bin words scratch, n×hb.stride (exact mode)
	used   []int    // features used by the current tree, ascending
	ugrp   []int    // groups holding the used features, ascending
	// workers is the number of goroutines.
	workers int

	hists freeList[histogram]
	views freeList[[]hbin] // dequantized histogram scratch for findBest
}

func (g *grower) getHist() histogram {
	return g.hists.get(func() histogram {
		size := groupBins * g.hb.ng
		if g.quant {
			return histogram{q: make([]int64, size)}
		}
		return histogram{f: make([]hbin, size)}
	})
}

func (g *grower) putHist(h histogram) {
	if !h.isNil() {
		g.hists.put(h)
	}
}

func (g *grower) getView() []hbin {
	return g.views.get(func() []hbin { return make([]hbin, groupBins*g.hb.ng) })
}

// setUsed sets the features used by the next tree.
func (g *grower) setUsed(feats []int) {
	g.used = feats
	g.ugrp = g.ugrp[:0]
	for _, f := range feats {
		if k := f / groupSize; len(g.ugrp) == 0 || g.ugrp[len(g.ugrp)-1] != k {
			g.ugrp = append(g.ugrp, k)
		}
	}
}

func (g *grower) canSplit(l *leaf) bool {
	return (g.cfg.MaxDepth == 0 || l.depth < g.cfg.MaxDepth) &&
		l.n >= 2*int64(g.cfg.MinRowsPerLeaf) && l.h >= 2*g.cfg.MinChildWeight
}

// fillHist builds l.hist from l's rows on up to workers goroutines. all
// means l holds every row.
func (g *grower) fillHist(l *leaf, all bool, workers int) {
	l.hist = g.getHist()
	if all {
		var gh []hbin
		if !g.quant {
			gh = g.gh
		}
		g.hb.build(l.hist, g.ugrp, g.hb.words, g.hb.stride, g.n, nil, gh, workers)
		return
	}
	if g.quant {
		if len(l.rows) == 0 {
			clear(l.hist.q)
			return
		}
		g.hb.buildQ(l.hist, g.ugrp, g.window(l), g.hb.stride, len(l.rows), nil, workers)
		return
	}
	// Exact gradients: gather the rows' bin words and gradients, then build.
	m, st := len(l.rows), g.hb.stride
	ows, ogs := g.ow[l.off*st:(l.off+m)*st], g.og[l.off:][:m]
	parallel(workersFor(m, workers), chunks(m), func(c int) {
		lo, hi := chunkRange(c, m)
		ow := ows[lo*st : hi*st]
		for i, r := range l.rows[lo:hi] {
			src, dst := g.hb.words[int(r)*st:][:st], ow[i*st:i*st+st]
			for j := range dst {
				dst[j] = src[j]
			}
		}
		dst := ogs[lo:hi]
		for i, r := range l.rows[lo:hi] {
			dst[i] = g.gh[r]
		}
	})
	g.hb.build(l.hist, g.ugrp, ows, st, m, nil, ogs, workers)
}

// grownTree is a trained tree plus what training needs to update margins.
type grownTree struct {
	t       tree.Tree
	leaves  []*leaf     // final leaves; leaves[j] has value t.Leaves[j]
	masks   [][4]uint64 // per node: bins that go left
	parents []int       // per node: its parent node, -1 for the root
}

// grow grows one tree on rows (ascending; all says rows are 0..n-1).
func (g *grower) grow(rows []int32, all bool) *grownTree {
	root := &leaf{rows: rows, lo: math.Inf(-1), hi: math.Inf(1), parent: -1}
	if g.quant {
		root.buf = rootNatural
		if !all {
			root.rows, root.buf = g.gatherRoot(rows), 0
		}
		s := g.qz.total
		if !all {
			s = 0
			for _, r := range rows {
				s += int64(g.hb.words[int(r)*g.hb.stride+g.hb.qoff])
			}
		}
		p := g.qz.bin(s)
		root.g, root.h = p.g, p.h
	} else {
		for _, r := range rows {
			root.g += g.gh[r].g
			root.h += g.gh[r].h
		}
	}
	root.n = int64(len(rows))
	gt := &grownTree{}
	var queue, finals []*leaf
	if g.canSplit(root) {
		g.fillHist(root, all, g.workers)
		if g.cfg.nodeHook != nil {
			g.cfg.nodeHook(g, root)
		}
		if g.findBest(root, g.workers) {
			queue = append(queue, root)
		} else {
			g.putHist(root.hist)
			root.hist = histogram{}
		}
	}
	if len(queue) == 0 {
		finals = append(finals, root)
	}
	enqueue := func(kids [2]*leaf) {
		for _, c := range kids {
			if !c.hist.isNil() {
				queue = append(queue, c)
			} else {
				finals = append(finals, c)
			}
		}
	}
	if g.cfg.MaxLeaves == 0 {
		// Depth-wise: a level's nodes are numbered in queue order, then
		// split together. Levels with many nodes split one node per
		// goroutine, which keeps every worker busy on the small nodes
		// deep in a tree with few synchronisations; the tree is the
		// same as when splitting the nodes one by one.
		for len(queue) > 0 {
			level := queue
			queue = nil
			nis := make([]int, len(level))
			for i, l := range level {
				nis[i] = g.addNode(gt, l)
			}
			kids := make([][2]*leaf, len(level))
			outer, inner := 1, g.workers
			if len(level) >= nodesPerWorker*g.workers {
				outer, inner = g.workers, 1
			}
			parallel(outer, len(level), func(i int) { kids[i] = g.splitRows(level[i], nis[i], inner) })
			for _, k := range kids {
				enqueue(k)
			}
		}
	}
	for nLeaves := 1; len(queue) > 0 && nLeaves < g.cfg.MaxLeaves; nLeaves++ {
		k := 0 // best first
		for i, l := range queue {
			if l.best.gain > queue[k].best.gain {
				k = i
			}
		}
		l := queue[k]
		queue = slices.Delete(queue, k, k+1)
		enqueue(g.splitRows(l, g.addNode(gt, l), g.workers))
	}
	for _, l := range queue {
		g.putHist(l.hist)
		l.hist = histogram{}
		finals = append(finals, l)
	}
	// Leaf values, in a fixed order: finals sorted by parent node, left first.
	slices.SortStableFunc(finals, func(a, b *leaf) int {
		if a.parent != b.parent {
			return a.parent - b.parent
		}
		if a.isLeft == b.isLeft {
			return 0
		}
		if a.isLeft {
			return -1
		}
		return 1
	})
	if all {
		// Each row's final leaf, for renew and for the margin update.
		parallel(workersFor(g.n, g.workers), len(finals), func(j int) {
			for _, r := range finals[j].rows {
				g.leafOf[r] = int32(j)
			}
		})
	}
	if g.quant {
		g.renew(gt, finals, all)
	}
	for j, l := range finals {
		v := 0.0
		if d := l.h + g.cfg.L2; d > 0 {
			v = g.cfg.LearningRate * clamp(-l.g/d, l.lo, l.hi)
		}
		gt.t.Leaves = append(gt.t.Leaves, v)
		gt.t.LeafCover = append(gt.t.LeafCover, l.h)
		if l.parent >= 0 {
			if l.isLeft {
				gt.t.Nodes[l.parent].Left = ^j
			} else {
				gt.t.Nodes[l.parent].Right = ^j
			}
		}
	}
	gt.leaves = finals
	return gt
}

// renew replaces the quantized gradient sums of the final leaves (and
// the node covers) by exact sums over each leaf's rows, as LightGBM's
// quant_train_renew_leaf: the tree's structure comes from quantized
// histograms, its leaf values from the exact Newton step. Each leaf's
// sum runs over its rows in ascending order; when the tree holds every
// row (all), that is one sequential pass over the rows by g.leafOf
// rather than a pass per leaf over scattered rows.
func (g *grower) renew(gt *grownTree, finals []*leaf, all bool) {
	if all {
		sums := make([]hbin, len(finals))
		for r, j := range g.leafOf {
			sums[j].g += g.gh[r].g
			sums[j].h += g.gh[r].h
		}
		for j, l := range finals {
			l.g, l.h = sums[j].g, sums[j].h
		}
	} else {
		parallel(workersFor(g.n, g.workers), len(finals), func(j int) {
			l := finals[j]
			var sg, sh float64
			for _, r := range l.rows {
				sg += g.gh[r].g
				sh += g.gh[r].h
			}
			l.g, l.h = sg, sh
		})
	}
	// Node covers bottom-up: children are appended after their parent.
	cover := make([]float64, len(gt.t.Nodes))
	for _, l := range finals {
		if l.parent >= 0 {
			cover[l.parent] += l.h
		}
	}
	for i := len(gt.t.Nodes) - 1; i >= 0; i-- {
		gt.t.Nodes[i].Cover = cover[i]
		if p := gt.parents[i]; p >= 0 {
			cover[p] += cover[i]
		}
	}
}

// addNode turns leaf l into node number len(gt.t.Nodes) by its best
// split and returns that number.
func (g *grower) addNode(gt *grownTree, l *leaf) int {
	s := &l.best
	ni := len(gt.t.Nodes)
	nd := tree.Node{Feature: s.feature, Gain: s.gain, Cover: l.h, MissingLeft: s.goesLeft(uint8(g.bn.nb[s.feature]))}
	if s.cat {
		nd.Categorical = true
		m := g.bn.catBin[s.feature]
		nd.Categories = make([]uint64, (len(m)+63)/64)
		for c, b := range m {
			if s.goesLeft(b) {
				nd.Categories[c/64] |= 1 << (c % 64)
			}
		}
	} else {
		nd.Threshold = g.bn.upper[s.feature][s.bin]
	}
	gt.t.Nodes = append(gt.t.Nodes, nd)
	gt.masks = append(gt.masks, s.left)
	gt.parents = append(gt.parents, l.parent)
	if l.parent >= 0 {
		if l.isLeft {
			gt.t.Nodes[l.parent].Left = ni
		} else {
			gt.t.Nodes[l.parent].Right = ni
		}
	}
	return ni
}

// splitRows splits the rows of l, made node ni by addNode, on up to
// workers goroutines, and returns its two children, each with a
// histogram and best split if it can be split further. Calls for
// different leaves may run concurrently.
func (g *grower) splitRows(l *leaf, ni, workers int) [2]*leaf {
	s := &l.best
	rows, buf := l.rows, l.buf
	var nl int
	if g.quant {
		need := func(nl int) (bool, bool) {
			// As canSplit for the children, before they exist.
			L := leaf{n: int64(nl), h: s.lh, depth: l.depth + 1}
			R := leaf{n: int64(len(l.rows) - nl), h: l.h - s.lh, depth: l.depth + 1}
			needL, needR := g.canSplit(&L), g.canSplit(&R)
			// The smaller child's histogram is built whenever either
			// child needs one (the larger's comes by subtraction).
			if R.n < L.n {
				return needL, needR || needL
			}
			return needL || needR, needR
		}
		buf, nl = g.partitionOrdered(l, s.feature, &s.left, need, workers)
		rows = g.ord.rows[buf][l.off : l.off+len(l.rows)]
	} else {
		nl = g.partition(l.rows, g.tmp[l.off:][:len(l.rows)], s.feature, &s.left, workers)
	}
	L := &leaf{rows: rows[:nl], off: l.off, buf: buf, g: s.lg, h: s.lh, n: int64(nl), depth: l.depth + 1, lo: l.lo, hi: l.hi, parent: ni, isLeft: true}
	R := &leaf{rows: rows[nl:], off: l.off + nl, buf: buf, g: l.g - s.lg, h: l.h - s.lh, n: int64(len(rows) - nl), depth: l.depth + 1, lo: l.lo, hi: l.hi, parent: ni}
	if m := g.mono[s.feature]; m != 0 {
		mid := (s.lOut + s.rOut) / 2
		if m > 0 {
			L.hi, R.lo = min(L.hi, mid), max(R.lo, mid)
		} else {
			L.lo, R.hi = max(L.lo, mid), min(R.hi, mid)
		}
	}
	small, large := L, R
	if R.n < L.n {
		small, large = R, L
	}
	needSmall, needLarge := g.canSplit(small), g.canSplit(large)
	if needSmall || needLarge {
		g.fillHist(small, false, workers)
		if needLarge {
			subtractHist(l.hist, small.hist, g.ugrp)
			large.hist, l.hist = l.hist, histogram{}
		}
		if !needSmall {
			g.putHist(small.hist)
			small.hist = histogram{}
		}
	}
	g.putHist(l.hist)
	l.hist = histogram{}
	var withHist []*leaf
	for _, c := range [2]*leaf{L, R} {
		if !c.hist.isNil() {
			withHist = append(withHist, c)
		}
	}
	if g.cfg.nodeHook != nil {
		for _, c := range withHist {
			g.cfg.nodeHook(g, c)
		}
	}
	for i, ok := range g.findBests(withHist, workers) {
		if c := withHist[i]; !ok {
			g.putHist(c.hist)
			c.hist = histogram{}
		}
	}
	return [2]*leaf{L, R}
}

// rowChunk is the number of rows per task in row-parallel loops. Small
// enough that nodes deep in a tree still use every worker.
const rowChunk = 1 << 12

func chunks(n int) int { return (n + rowChunk - 1) / rowChunk }

func chunkRange(c, n int) (lo, hi int) { return c * rowChunk, min(n, (c+1)*rowChunk) }

// nodesPerWorker: a depth-wise level with at least this many nodes per
// worker splits its nodes concurrently, one goroutine each.
const nodesPerWorker = 4

// workersFor returns the goroutines (at most workers) worth using for a
// loop over n rows.
func workersFor(n, workers int) int {
	if n < 2*rowChunk {
		return 1
	}
	return workers
}

// partition moves the rows whose bin of feature f goes left to the
// front, keeping both sides in ascending order, and returns the number
// of left rows. Chunks of rows are partitioned in parallel into
// scratch, then copied to their final places. The loops are branch-free:
// each row is written to both candidate slots and only one cursor moves.
func (g *grower) partition(rows, tmp []int32, f int, left *[4]uint64, workers int) int {
	col := g.cols[f*g.n : (f+1)*g.n]
	lut := leftTable(left)
	goesLeft := func(r int32) int { return int(lut[col[r]]) }
	workers = workersFor(len(rows), workers)
	if workers == 1 { // one pass
		nl, nr := 0, 0
		for _, r := range rows {
			k := goesLeft(r)
			rows[nl] = r // nl <= the current index: already read
			tmp[nr] = r
			nl += k
			nr += 1 - k
		}
		copy(rows[nl:], tmp[:nr])
		return nl
	}
	nc := chunks(len(rows))
	nLeft := make([]int, nc)
	parallel(workers, nc, func(c int) {
		lo, hi := chunkRange(c, len(rows))
		src, dst := rows[lo:hi], tmp[lo:hi]
		nl, nr := 0, len(dst)
		for _, r := range src { // left rows to the front, right rows reversed at the back
			k := goesLeft(r)
			dst[nl] = r
			dst[nr-1] = r
			nl += k
			nr -= 1 - k
		}
		slices.Reverse(dst[nl:])
		nLeft[c] = nl
	})
	total := 0
	for _, k := range nLeft {
		total += k
	}
	parallel(workers, nc, func(c int) {
		lo, hi := chunkRange(c, len(rows))
		li := 0
		for _, k := range nLeft[:c] {
			li += k
		}
		nl := nLeft[c]
		copy(rows[li:], tmp[lo:lo+nl])
		copy(rows[total+lo-li:], tmp[lo+nl:hi])
	})
	return total
}

// leftTable expands a bin set to one byte per bin: 1 if it goes left.
func leftTable(left *[4]uint64) *[256]uint8 {
	var t [256]uint8
	for b := range t {
		t[b] = uint8(left[b>>6] >> (b & 63) & 1)
	}
	return &t
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }

// leafGain is the loss reduction of a leaf with sums g, h and output w,
// in LightGBM units: -(2gw + (h+l2)w²), which is g²/(h+l2) at the
// optimum w = -g/(h+l2).
func leafGain(g, h, w, l2 float64) float64 { return -(2*g*w + (h+l2)*w*w) }

// findBest sets l.best from l.hist and reports whether a split beats
// MinSplitGain.
func (g *grower) findBest(l *leaf, workers int) bool {
	return g.findBests([]*leaf{l}, workers)[0]
}

// findBests runs findBest for several leaves in one parallel loop (one
// task per leaf and feature) and reports, per leaf, whether a split
// beats MinSplitGain.
func (g *grower) findBests(ls []*leaf, workers int) []bool {
	nf := len(g.used)
	res := make([]splitInfo, len(ls)*nf)
	rows := int64(0)
	for _, l := range ls {
		rows += l.n
	}
	if nf < 8 || rows < 4096 {
		workers = 1
	}
	views := make([][]hbin, len(ls))
	if g.quant {
		for i := range views {
			views[i] = g.getView()
			defer g.views.put(views[i])
		}
	}
	parallel(workers, len(res), func(t int) {
		li, i := t/nf, t%nf
		l, f := ls[li], g.used[i]
		res[t] = splitInfo{feature: -1}
		var hf []hbin
		if g.quant {
			hf = views[li][f*256 : f*256+g.bn.nb[f]+1]
			for b, s := range l.hist.q[f*256 : f*256+len(hf)] {
				hf[b] = g.qz.bin(s)
			}
		} else {
			hf = l.hist.f[f*256 : f*256+256]
		}
		if g.feats[f].Categorical {
			g.bestCategorical(f, hf, l, &res[t])
		} else {
			g.bestNumeric(f, hf, l, &res[t])
		}
	})
	ok := make([]bool, len(ls))
	for li, l := range ls {
		l.best = splitInfo{feature: -1}
		for _, r := range res[li*nf : (li+1)*nf] {
			if r.feature >= 0 && r.gain > l.best.gain {
				l.best = r
			}
		}
		ok[li] = l.best.feature >= 0 && l.best.gain > g.cfg.MinSplitGain
	}
	return ok
}

// rowsOf estimates the rows behind hessian sum h in leaf l, as LightGBM
// does: exact when all hessians are equal, as in the first round.
func rowsOf(l *leaf, h float64) float64 { return h * float64(l.n) / l.h }

// tryChild checks the size limits of a candidate split with left sums
// (lg, lh) and returns its gain and outputs, or ok == false.
func (g *grower) tryChild(l *leaf, lg, lh, l2, parentGain float64, mono int8) (gain, lOut, rOut float64, ok bool) {
	minRows, mcw := float64(g.cfg.MinRowsPerLeaf)-0.5, g.cfg.MinChildWeight
	rg, rh := l.g-lg, l.h-lh
	if lh < mcw || rh < mcw || rowsOf(l, lh) < minRows || rowsOf(l, rh) < minRows {
		return 0, 0, 0, false
	}
	lOut = clamp(-lg/(lh+l2), l.lo, l.hi)
	rOut = clamp(-rg/(rh+l2), l.lo, l.hi)
	if (mono > 0 && lOut > rOut) || (mono < 0 && lOut < rOut) {
		return 0, 0, 0, false
	}
	return leafGain(lg, lh, lOut, l2) + leafGain(rg, rh, rOut, l2) - parentGain, lOut, rOut, true
}

// nonEmpty reports whether bin p holds rows of l. Float histogram
// subtraction leaves rounding residue in empty bins, so a bin counts
// when its hessian stands for at least half a row; quantized sums are
// exact, and a bin whose rows' hessians all rounded to 0 may still hold
// gradient.
func (g *grower) nonEmpty(l *leaf, p hbin) bool {
	if g.quant {
		return p.g != 0 || p.h != 0
	}
	return rowsOf(l, p.h) >= 0.5
}

func (g *grower) bestNumeric(f int, hf []hbin, l *leaf, out *splitInfo) {
	nb := g.bn.nb[f]
	miss := hf[nb]
	hasMiss := g.nonEmpty(l, miss)
	l2 := g.cfg.L2
	mono := g.mono[f]
	parentGain := leafGain(l.g, l.h, clamp(-l.g/(l.h+l2), l.lo, l.hi), l2)
	for pass := range 2 {
		missLeft := pass == 1
		if missLeft && !hasMiss {
			break
		}
		var lg, lh float64
		if missLeft {
			lg, lh = miss.g, miss.h
		}
		for b := range nb {
			hb := &hf[b]
			if !g.nonEmpty(l, *hb) {
				continue
			}
			lg += hb.g
			lh += hb.h
			gain, lo, ro, ok := g.tryChild(l, lg, lh, l2, parentGain, mono)
			if ok && gain > out.gain {
				*out = splitInfo{gain: gain, feature: f, bin: b, lg: lg, lh: lh, lOut: lo, rOut: ro}
				if missLeft {
					out.setLeft(nb)
				}
			}
		}
	}
	if out.feature < 0 {
		return
	}
	for b := 0; b <= out.bin; b++ {
		out.setLeft(b)
	}
	// With no missing rows in the node, missing values follow the
	// heavier side.
	if !hasMiss && out.lh >= l.h-out.lh {
		out.setLeft(nb)
	}
}

func (g *grower) bestCategorical(f int, hf []hbin, l *leaf, out *splitInfo) {
	nb := g.bn.nb[f]
	var used []int
	for b := 0; b <= nb; b++ {
		if g.nonEmpty(l, hf[b]) {
			used = append(used, b)
		}
	}
	if len(used) < 2 {
		return
	}
	consider := func(l2, parentGain float64, lg, lh float64, left []int) {
		gain, lo, ro, ok := g.tryChild(l, lg, lh, l2, parentGain, 0)
		if ok && gain > out.gain {
			*out = splitInfo{gain: gain, feature: f, cat: true, lg: lg, lh: lh, lOut: lo, rOut: ro}
			for _, b := range left {
				out.setLeft(b)
			}
		}
	}
	if len(used) <= g.cfg.MaxCatToOneHot {
		l2 := g.cfg.L2
		parentGain := leafGain(l.g, l.h, clamp(-l.g/(l.h+l2), l.lo, l.hi), l2)
		for i, b := range used {
			consider(l2, parentGain, hf[b].g, hf[b].h, used[i:i+1])
		}
		return
	}
	var cands []int
	for _, b := range used {
		if rowsOf(l, hf[b].h) >= float64(g.cfg.MinRowsPerCategory)-0.5 {
			cands = append(cands, b)
		}
	}
	if len(cands) < 2 {
		return
	}
	smooth := g.cfg.CatSmooth
	key := func(b int) float64 { return hf[b].g / (hf[b].h + smooth) }
	slices.SortStableFunc(cands, func(a, b int) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return a - b
	})
	l2 := g.cfg.L2 + g.cfg.CatL2
	parentGain := leafGain(l.g, l.h, clamp(-l.g/(l.h+l2), l.lo, l.hi), l2)
	maxK := min(g.cfg.MaxCatThreshold, (len(cands)+1)/2)
	for dir := range 2 {
		if dir == 1 {
			slices.Reverse(cands)
		}
		var lg, lh float64
		for k := 0; k < maxK && k < len(cands)-1; k++ {
			b := cands[k]
			lg += hf[b].g
			lh += hf[b].h
			consider(l2, parentGain, lg, lh, cands[:k+1])
		}
	}
}

// predictBinned returns the leaf index of binned row r in gt.
func (gt *grownTree) predictBinned(cols []uint8, n int, r int) int {
	if len(gt.t.Nodes) == 0 {
		return 0
	}
	i := 0
	for {
		nd := &gt.t.Nodes[i]
		b := cols[nd.Feature*n+r]
		c := nd.Right
		if gt.masks[i][b>>6]>>(b&63)&1 != 0 {
			c = nd.Left
		}
		if c < 0 {
			return ^c
		}
		i = c
	}
}
