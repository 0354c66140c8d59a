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
	rows   []int32 // the leaf's rows, ascending; a window of grower.idx
	g, h   float64
	n      int64
	depth  int
	lo, hi float64 // monotone bounds on the leaf output
	hist   histogram
	best   splitInfo
	parent int // node index of the parent, -1 for the root
	isLeft bool
}

// grower grows one tree at a time over binned data.
type grower struct {
	cfg     Config
	feats   []Feature
	mono    []int8
	bn      *binning
	bins    []uint8 // column-major: feature f's bins are bins[f*n:(f+1)*n]
	n       int
	gh      []hbin  // gradient and hessian per row
	tmp     []int32 // partition scratch, n
	og      []hbin  // ordered gradients scratch, n
	free    []histogram
	used    []int // features used by the current tree, ascending
	workers int
}

func (g *grower) getHist() histogram {
	if k := len(g.free); k > 0 {
		h := g.free[k-1]
		g.free = g.free[:k-1]
		return h
	}
	return make(histogram, 256*len(g.feats))
}

func (g *grower) putHist(h histogram) {
	if h != nil {
		g.free = append(g.free, h)
	}
}

func (g *grower) canSplit(l *leaf) bool {
	return (g.cfg.MaxDepth == 0 || l.depth < g.cfg.MaxDepth) &&
		l.n >= 2*int64(g.cfg.MinRowsPerLeaf) && l.h >= 2*g.cfg.MinChildWeight
}

// fillHist builds l.hist from l's rows. all means l holds every row.
func (g *grower) fillHist(l *leaf, all bool) {
	l.hist = g.getHist()
	if all {
		buildHist(l.hist, g.used, g.bins, g.n, nil, g.gh, g.workers)
		return
	}
	og := g.og[:len(l.rows)]
	parallel(g.workersFor(len(l.rows)), chunks(len(l.rows)), func(c int) {
		lo, hi := chunkRange(c, len(l.rows))
		dst := og[lo:hi]
		for i, r := range l.rows[lo:hi] {
			dst[i] = g.gh[r]
		}
	})
	buildHist(l.hist, g.used, g.bins, g.n, l.rows, og, g.workers)
}

// grownTree is a trained tree plus what training needs to update margins.
type grownTree struct {
	t      tree.Tree
	leaves []*leaf     // final leaves; leaves[j] has value t.Leaves[j]
	masks  [][4]uint64 // per node: bins that go left
}

// grow grows one tree on rows (ascending; all says rows are 0..n-1).
func (g *grower) grow(rows []int32, all bool) *grownTree {
	root := &leaf{rows: rows, lo: math.Inf(-1), hi: math.Inf(1), parent: -1}
	for _, r := range rows {
		root.g += g.gh[r].g
		root.h += g.gh[r].h
	}
	root.n = int64(len(rows))
	gt := &grownTree{}
	var queue, finals []*leaf
	if g.canSplit(root) {
		g.fillHist(root, all)
		if g.findBest(root) {
			queue = append(queue, root)
		} else {
			g.putHist(root.hist)
			root.hist = nil
		}
	}
	if len(queue) == 0 {
		finals = append(finals, root)
	}
	nLeaves := 1
	for len(queue) > 0 && (g.cfg.MaxLeaves == 0 || nLeaves < g.cfg.MaxLeaves) {
		k := 0
		if g.cfg.MaxLeaves > 0 { // best first
			for i, l := range queue {
				if l.best.gain > queue[k].best.gain {
					k = i
				}
			}
		}
		l := queue[k]
		queue = slices.Delete(queue, k, k+1)
		kids := g.split(gt, l)
		nLeaves++
		for _, c := range kids {
			if c.hist != nil {
				queue = append(queue, c)
			} else {
				finals = append(finals, c)
			}
		}
	}
	for _, l := range queue {
		g.putHist(l.hist)
		l.hist = nil
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
	for j, l := range finals {
		v := g.cfg.LearningRate * clamp(-l.g/(l.h+g.cfg.L2), l.lo, l.hi)
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

// split turns leaf l into a node and returns its two children, each with
// a histogram and best split if it can be split further.
func (g *grower) split(gt *grownTree, l *leaf) [2]*leaf {
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
	if l.parent >= 0 {
		if l.isLeft {
			gt.t.Nodes[l.parent].Left = ni
		} else {
			gt.t.Nodes[l.parent].Right = ni
		}
	}

	nl := g.partition(l.rows, g.bins[s.feature*g.n:(s.feature+1)*g.n], &s.left)
	L := &leaf{rows: l.rows[:nl], g: s.lg, h: s.lh, n: int64(nl), depth: l.depth + 1, lo: l.lo, hi: l.hi, parent: ni, isLeft: true}
	R := &leaf{rows: l.rows[nl:], g: l.g - s.lg, h: l.h - s.lh, n: int64(len(l.rows) - nl), depth: l.depth + 1, lo: l.lo, hi: l.hi, parent: ni}
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
		g.fillHist(small, false)
		if needLarge {
			subtractHist(l.hist, small.hist, g.used, g.bn.nb)
			large.hist, l.hist = l.hist, nil
		}
		if !needSmall {
			g.putHist(small.hist)
			small.hist = nil
		}
	}
	g.putHist(l.hist)
	l.hist = nil
	for _, c := range [2]*leaf{L, R} {
		if c.hist != nil && !g.findBest(c) {
			g.putHist(c.hist)
			c.hist = nil
		}
	}
	return [2]*leaf{L, R}
}

// rowChunk is the number of rows per task in row-parallel loops.
const rowChunk = 1 << 15

func chunks(n int) int { return (n + rowChunk - 1) / rowChunk }

func chunkRange(c, n int) (lo, hi int) { return c * rowChunk, min(n, (c+1)*rowChunk) }

// workersFor returns the goroutines worth using for a loop over n rows.
func (g *grower) workersFor(n int) int {
	if n < 2*rowChunk {
		return 1
	}
	return g.workers
}

// partition moves the rows whose bin goes left to the front, keeping
// both sides in ascending order, and returns the number of left rows.
// Chunks of rows are partitioned in parallel into scratch, then copied
// to their final places.
func (g *grower) partition(rows []int32, col []uint8, left *[4]uint64) int {
	goesLeft := func(r int32) bool { b := col[r]; return left[b>>6]>>(b&63)&1 != 0 }
	if g.workersFor(len(rows)) == 1 { // one pass
		nl, nr := 0, 0
		for _, r := range rows {
			if goesLeft(r) {
				rows[nl] = r
				nl++
			} else {
				g.tmp[nr] = r
				nr++
			}
		}
		copy(rows[nl:], g.tmp[:nr])
		return nl
	}
	nc := chunks(len(rows))
	nLeft := make([]int, nc)
	tmp := g.tmp[:len(rows)]
	parallel(g.workersFor(len(rows)), nc, func(c int) {
		lo, hi := chunkRange(c, len(rows))
		src, dst := rows[lo:hi], tmp[lo:hi]
		nl, nr := 0, len(dst)
		for _, r := range src { // left rows to the front, right rows reversed at the back
			if goesLeft(r) {
				dst[nl] = r
				nl++
			} else {
				nr--
				dst[nr] = r
			}
		}
		slices.Reverse(dst[nl:])
		nLeft[c] = nl
	})
	total := 0
	for _, k := range nLeft {
		total += k
	}
	parallel(g.workersFor(len(rows)), nc, func(c int) {
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

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }

// leafGain is the loss reduction of a leaf with sums g, h and output w,
// in LightGBM units: -(2gw + (h+l2)w²), which is g²/(h+l2) at the
// optimum w = -g/(h+l2).
func leafGain(g, h, w, l2 float64) float64 { return -(2*g*w + (h+l2)*w*w) }

// findBest sets l.best from l.hist and reports whether a split beats
// MinSplitGain.
func (g *grower) findBest(l *leaf) bool {
	res := make([]splitInfo, len(g.used))
	workers := g.workers
	if len(g.used) < 8 || l.n < 4096 {
		workers = 1
	}
	parallel(workers, len(g.used), func(i int) {
		f := g.used[i]
		res[i] = splitInfo{feature: -1}
		hf := l.hist[f*256 : f*256+256]
		if g.feats[f].Categorical {
			g.bestCategorical(f, hf, l, &res[i])
		} else {
			g.bestNumeric(f, hf, l, &res[i])
		}
	})
	l.best = splitInfo{feature: -1}
	for i := range res {
		if res[i].feature >= 0 && res[i].gain > l.best.gain {
			l.best = res[i]
		}
	}
	return l.best.feature >= 0 && l.best.gain > g.cfg.MinSplitGain
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

// nonEmpty reports whether a bin with hessian sum h holds rows of l
// (histogram subtraction leaves rounding residue in empty bins).
func nonEmpty(l *leaf, h float64) bool { return rowsOf(l, h) >= 0.5 }

func (g *grower) bestNumeric(f int, hf []hbin, l *leaf, out *splitInfo) {
	nb := g.bn.nb[f]
	miss := hf[nb]
	hasMiss := nonEmpty(l, miss.h)
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
			if !nonEmpty(l, hb.h) {
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
		if nonEmpty(l, hf[b].h) {
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
func (gt *grownTree) predictBinned(bins []uint8, n int, r int) int {
	if len(gt.t.Nodes) == 0 {
		return 0
	}
	i := 0
	for {
		nd := &gt.t.Nodes[i]
		b := bins[nd.Feature*n+r]
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
