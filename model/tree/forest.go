// Package tree holds a compiled forest of binary decision trees: the
// scorer behind leadscore's gradient-boosted model, its TreeSHAP
// explanations and its feature importances.
//
//	train/gbdt ──[]Tree──▶ NewForest ──▶ *Forest ──JSON──▶ model artifact ──▶ predict
//
// Split semantics (LightGBM convention): a numeric node sends a row left
// when x[Feature] <= Threshold, and right otherwise. A categorical node
// holds a bitset of category codes: a row whose code c (x truncated to an
// integer) has bit c set goes left; every other code, including codes
// outside the bitset and negative values, goes right. A missing value (NaN)
// follows the node's learned default direction (MissingLeft). Thresholds
// are real feature values, so scoring needs no binning.
//
// The margin of a row is Base plus the sum over trees of the leaf it
// reaches; the probability is the logistic function of the margin.
// A Forest is immutable once built and safe for concurrent use.
package tree

import (
	"errors"
	"fmt"
	"math"
)

// Node is one split of a Tree in its readable (uncompiled) form.
type Node struct {
	// Feature is the index into the feature vector.
	Feature int
	// Threshold: a numeric node sends x to Left when x[Feature] <= Threshold.
	Threshold float64
	// Categorical marks a category split; Categories is then its bitset:
	// code c goes left when Categories[c/64]>>(c%64)&1 == 1.
	Categorical bool
	Categories  []uint64
	// MissingLeft sends NaN to Left; otherwise NaN goes Right.
	MissingLeft bool
	// Left and Right are children: >= 0 is an index into Tree.Nodes (and
	// must be greater than this node's index); < 0 is the leaf ^child,
	// i.e. Tree.Leaves[-child-1].
	Left, Right int
	// Gain is the loss reduction of the split (for importances).
	Gain float64
	// Cover is the training hessian sum that reached the node.
	Cover float64
}

// Tree is one tree in readable form, as the trainer builds it and as
// Forest.Tree returns it. Nodes[0] is the root; a tree with no nodes is a
// single leaf (Leaves has one element).
type Tree struct {
	Nodes     []Node
	Leaves    []float64 // leaf values, added to the margin
	LeafCover []float64 // training hessian sum per leaf (for TreeSHAP)
}

// Node flags of the compiled form.
const (
	flagMissingLeft uint8 = 1 << iota
	flagCategorical
)

// leafBit marks a compiled child index as an index into Forest.leaves.
const leafBit = 1 << 31

// node is one compiled split. Trees are stored back to back in flat
// slices so that scoring walks contiguous memory and allocates nothing.
type node struct {
	threshold float64 // go left when x[feature] <= threshold
	feature   uint32
	left      uint32 // index into nodes, or into leaves when left&leafBit != 0
	right     uint32
	catStart  uint32 // categorical: bitset is cats[catStart : catStart+catLen]
	catLen    uint32
	flags     uint8 // flagMissingLeft | flagCategorical
}

// Forest is a compiled, validated tree ensemble. Build one with NewForest
// or by unmarshalling JSON.
type Forest struct {
	base        float64
	numFeatures int
	nodes       []node
	nodeGain    []float64
	nodeCover   []float64
	leaves      []float64
	leafCover   []float64
	cats        []uint64
	treeNode    []uint32 // tree t owns nodes[treeNode[t]:treeNode[t+1]]
	treeLeaf    []uint32 // tree t owns leaves[treeLeaf[t]:treeLeaf[t+1]]
	roots       []uint32 // root of each tree (leafBit set for a single leaf)

	// Derived by prepare.
	maxDepth int         // deepest leaf over all trees (root = depth 0)
	expected []float64   // per tree: cover-weighted mean leaf value (TreeSHAP)
	recip    []float64   // recip[n] = 1/n for n in 1 .. maxDepth+2 (TreeSHAP)
	sv       serving     // general scoring layout (serve.go)
	cp       compact     // compact scoring layout (compact.go)
	bl       blockLayout // bit-sliced batch layout (block.go)
}

// NewForest compiles trees into a Forest that scores vectors of
// numFeatures values, with margin base + sum of leaves. It returns an
// error if any tree is malformed (see Validate).
func NewForest(numFeatures int, base float64, trees []Tree) (*Forest, error) {
	f := &Forest{base: base, numFeatures: numFeatures, treeNode: []uint32{0}, treeLeaf: []uint32{0}}
	for ti, t := range trees {
		if err := f.add(t); err != nil {
			return nil, fmt.Errorf("tree: tree %d: %w", ti, err)
		}
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	f.prepare()
	return f, nil
}

func (f *Forest) add(t Tree) error {
	ns, ls := uint32(len(f.nodes)), uint32(len(f.leaves))
	if len(t.LeafCover) != len(t.Leaves) {
		return fmt.Errorf("%d leaves but %d leaf covers", len(t.Leaves), len(t.LeafCover))
	}
	if uint64(len(f.nodes))+uint64(len(t.Nodes)) >= leafBit || uint64(len(f.leaves))+uint64(len(t.Leaves)) >= leafBit {
		return errors.New("forest too large")
	}
	child := func(c int) (uint32, error) {
		if c >= 0 {
			if c >= len(t.Nodes) {
				return 0, fmt.Errorf("child node %d out of range [0, %d)", c, len(t.Nodes))
			}
			return ns + uint32(c), nil
		}
		l := -c - 1
		if l >= len(t.Leaves) {
			return 0, fmt.Errorf("child leaf %d out of range [0, %d)", l, len(t.Leaves))
		}
		return (ls + uint32(l)) | leafBit, nil
	}
	for i, n := range t.Nodes {
		if n.Feature < 0 || n.Feature >= f.numFeatures {
			return fmt.Errorf("node %d: feature %d out of range [0, %d)", i, n.Feature, f.numFeatures)
		}
		c := node{threshold: n.Threshold, feature: uint32(n.Feature)}
		var err error
		if c.left, err = child(n.Left); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		if c.right, err = child(n.Right); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		if n.MissingLeft {
			c.flags |= flagMissingLeft
		}
		if n.Categorical {
			c.flags |= flagCategorical
			c.threshold = 0
			c.catStart, c.catLen = uint32(len(f.cats)), uint32(len(n.Categories))
			f.cats = append(f.cats, n.Categories...)
		}
		f.nodes = append(f.nodes, c)
		f.nodeGain = append(f.nodeGain, n.Gain)
		f.nodeCover = append(f.nodeCover, n.Cover)
	}
	f.leaves = append(f.leaves, t.Leaves...)
	f.leafCover = append(f.leafCover, t.LeafCover...)
	f.treeNode = append(f.treeNode, uint32(len(f.nodes)))
	f.treeLeaf = append(f.treeLeaf, uint32(len(f.leaves)))
	if len(t.Nodes) == 0 {
		f.roots = append(f.roots, ls|leafBit)
	} else {
		f.roots = append(f.roots, ns)
	}
	return nil
}

// Validate checks that every index is in range, that each tree is a
// proper binary tree (every node and leaf has exactly one parent, children
// come after their parent, so there are no cycles), and that all values
// are finite. NewForest and UnmarshalJSON call it, so a Forest obtained
// from them never panics when scoring input of the right length.
func (f *Forest) Validate() error {
	if f.numFeatures < 0 {
		return fmt.Errorf("tree: negative feature count %d", f.numFeatures)
	}
	if !finite(f.base) {
		return fmt.Errorf("tree: base margin %v is not finite", f.base)
	}
	nt := len(f.roots)
	if len(f.treeNode) != nt+1 || len(f.treeLeaf) != nt+1 || f.treeNode[0] != 0 || f.treeLeaf[0] != 0 ||
		int(f.treeNode[nt]) != len(f.nodes) || int(f.treeLeaf[nt]) != len(f.leaves) {
		return fmt.Errorf("tree: tree offsets do not match %d trees, %d nodes, %d leaves", nt, len(f.nodes), len(f.leaves))
	}
	if len(f.nodeGain) != len(f.nodes) || len(f.nodeCover) != len(f.nodes) || len(f.leafCover) != len(f.leaves) {
		return errors.New("tree: gain or cover arrays do not match the node and leaf counts")
	}
	refs := make([]uint8, len(f.nodes)+len(f.leaves))
	for t := range nt {
		ns, ne, ls, le := f.treeNode[t], f.treeNode[t+1], f.treeLeaf[t], f.treeLeaf[t+1]
		if ne < ns || le < ls {
			return fmt.Errorf("tree: tree %d: decreasing offsets", t)
		}
		if le-ls != ne-ns+1 {
			return fmt.Errorf("tree: tree %d: %d nodes need %d leaves, have %d", t, ne-ns, ne-ns+1, le-ls)
		}
		wantRoot := ns
		if ne == ns {
			wantRoot = ls | leafBit
		}
		if f.roots[t] != wantRoot {
			return fmt.Errorf("tree: tree %d: root %d, want %d", t, f.roots[t], wantRoot)
		}
		for i := ns; i < ne; i++ {
			n := &f.nodes[i]
			if int(n.feature) >= f.numFeatures {
				return fmt.Errorf("tree: node %d: feature %d out of range [0, %d)", i, n.feature, f.numFeatures)
			}
			if n.flags&^(flagMissingLeft|flagCategorical) != 0 {
				return fmt.Errorf("tree: node %d: unknown flags %#x", i, n.flags)
			}
			if n.flags&flagCategorical != 0 {
				if n.catLen == 0 || uint64(n.catStart)+uint64(n.catLen) > uint64(len(f.cats)) {
					return fmt.Errorf("tree: node %d: category bitset [%d, +%d) out of range [0, %d)", i, n.catStart, n.catLen, len(f.cats))
				}
			} else if math.IsNaN(n.threshold) {
				return fmt.Errorf("tree: node %d: threshold is NaN", i)
			}
			if !finite(f.nodeGain[i]) || !finite(f.nodeCover[i]) || f.nodeCover[i] < 0 {
				return fmt.Errorf("tree: node %d: gain %v, cover %v must be finite (cover >= 0)", i, f.nodeGain[i], f.nodeCover[i])
			}
			for _, c := range [2]uint32{n.left, n.right} {
				var k int
				if c&leafBit != 0 {
					l := c &^ leafBit
					if l < ls || l >= le {
						return fmt.Errorf("tree: node %d: leaf child %d outside tree %d's leaves [%d, %d)", i, l, t, ls, le)
					}
					k = len(f.nodes) + int(l)
				} else {
					if c <= i || c >= ne {
						return fmt.Errorf("tree: node %d: child %d outside (%d, %d)", i, c, i, ne)
					}
					k = int(c)
				}
				if refs[k]++; refs[k] > 1 {
					return fmt.Errorf("tree: node %d: child %d has two parents", i, c&^leafBit)
				}
			}
		}
		for l := ls; l < le; l++ {
			if !finite(f.leaves[l]) || !finite(f.leafCover[l]) || f.leafCover[l] < 0 {
				return fmt.Errorf("tree: leaf %d: value %v, cover %v must be finite (cover >= 0)", l, f.leaves[l], f.leafCover[l])
			}
		}
	}
	// With n nodes and n+1 leaves, 2n child references, children after
	// their parents and no element with two parents, every element but
	// the root has exactly one parent: each tree is a tree.
	return nil
}

// prepare derives the cached SHAP quantities. f must be valid.
func (f *Forest) prepare() {
	f.maxDepth = 0
	f.expected = make([]float64, len(f.roots))
	for t, r := range f.roots {
		e, d := f.expect(r, 0)
		f.expected[t] = e
		f.maxDepth = max(f.maxDepth, d)
	}
	f.recip = make([]float64, f.maxDepth+3)
	for n := 1; n < len(f.recip); n++ {
		f.recip[n] = 1 / float64(n)
	}
	f.sv = f.buildServing()
	if f.sv.ok {
		f.cp = f.buildCompact()
		f.bl = f.buildBlock()
	}
}

// expect returns the cover-weighted mean leaf value below c and the depth
// of its deepest leaf.
func (f *Forest) expect(c uint32, depth int) (float64, int) {
	if c&leafBit != 0 {
		return f.leaves[c&^leafBit], depth
	}
	n := &f.nodes[c]
	wl, wr := f.childCovers(n)
	el, dl := f.expect(n.left, depth+1)
	er, dr := f.expect(n.right, depth+1)
	return wl*el + wr*er, max(dl, dr)
}

// childCovers returns the fractions of the node's cover that go left and
// right. Two zero covers count as an even split.
func (f *Forest) childCovers(n *node) (float64, float64) {
	l, r := f.cover(n.left), f.cover(n.right)
	if s := l + r; s > 0 {
		return l / s, r / s
	}
	return 0.5, 0.5
}

func (f *Forest) cover(c uint32) float64 {
	if c&leafBit != 0 {
		return f.leafCover[c&^leafBit]
	}
	return f.nodeCover[c]
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// NumFeatures returns the length of the feature vectors the Forest scores.
func (f *Forest) NumFeatures() int { return f.numFeatures }

// NumTrees returns the number of trees (one per boosting round).
func (f *Forest) NumTrees() int { return len(f.roots) }

// Base returns the initial margin added to every row.
func (f *Forest) Base() float64 { return f.base }

// Truncate returns a Forest with the first rounds trees of f, sharing
// f's memory. It panics if rounds is outside [0, f.NumTrees()].
func (f *Forest) Truncate(rounds int) *Forest {
	if rounds < 0 || rounds > len(f.roots) {
		panic(fmt.Sprintf("tree: Truncate(%d) outside [0, %d]", rounds, len(f.roots)))
	}
	ne, le := f.treeNode[rounds], f.treeLeaf[rounds]
	catEnd := uint32(0)
	for i := range f.nodes[:ne] {
		if n := &f.nodes[i]; n.flags&flagCategorical != 0 {
			catEnd = max(catEnd, n.catStart+n.catLen)
		}
	}
	g := &Forest{
		base: f.base, numFeatures: f.numFeatures,
		nodes: f.nodes[:ne:ne], nodeGain: f.nodeGain[:ne:ne], nodeCover: f.nodeCover[:ne:ne],
		leaves: f.leaves[:le:le], leafCover: f.leafCover[:le:le], cats: f.cats[:catEnd:catEnd],
		treeNode: f.treeNode[: rounds+1 : rounds+1], treeLeaf: f.treeLeaf[: rounds+1 : rounds+1],
		roots: f.roots[:rounds:rounds],
	}
	g.prepare()
	return g
}

// Tree returns a readable copy of tree i. It panics if i is out of range.
func (f *Forest) Tree(i int) Tree {
	if i < 0 || i >= len(f.roots) {
		panic(fmt.Sprintf("tree: Tree(%d) outside [0, %d)", i, len(f.roots)))
	}
	ns, ne, ls, le := f.treeNode[i], f.treeNode[i+1], f.treeLeaf[i], f.treeLeaf[i+1]
	t := Tree{
		Leaves:    append([]float64(nil), f.leaves[ls:le]...),
		LeafCover: append([]float64(nil), f.leafCover[ls:le]...),
	}
	child := func(c uint32) int {
		if c&leafBit != 0 {
			return ^int(c&^leafBit - ls)
		}
		return int(c - ns)
	}
	for k := ns; k < ne; k++ {
		n := &f.nodes[k]
		tn := Node{
			Feature: int(n.feature), Threshold: n.threshold,
			Categorical: n.flags&flagCategorical != 0, MissingLeft: n.flags&flagMissingLeft != 0,
			Left: child(n.left), Right: child(n.right), Gain: f.nodeGain[k], Cover: f.nodeCover[k],
		}
		if tn.Categorical {
			tn.Categories = append([]uint64(nil), f.cats[n.catStart:n.catStart+n.catLen]...)
		}
		t.Nodes = append(t.Nodes, tn)
	}
	return t
}

// Importance returns, per feature, the total split gain and the number of
// splits over all trees.
func (f *Forest) Importance() (gain []float64, splits []int) {
	gain, splits = make([]float64, f.numFeatures), make([]int, f.numFeatures)
	for i := range f.nodes {
		gain[f.nodes[i].feature] += f.nodeGain[i]
		splits[f.nodes[i].feature]++
	}
	return gain, splits
}

// goLeft reports whether value v goes to n's left child.
func (f *Forest) goLeft(n *node, v float64) bool {
	if n.flags&flagCategorical != 0 {
		if v != v {
			return n.flags&flagMissingLeft != 0
		}
		if v >= 0 && v < float64(n.catLen)*64 {
			c := uint32(v)
			return f.cats[n.catStart+c/64]>>(c%64)&1 != 0
		}
		return false
	}
	// For NaN, v <= t is false and !(v > t) is true.
	return v <= n.threshold || (n.flags&flagMissingLeft != 0 && !(v > n.threshold))
}

// leaf returns the leaf index (without leafBit) that x reaches from root.
// It is the reference walk: the serving layout (serve.go), which Margin
// and Margins use, must reach the same leaf for every input, and the
// tests check that it does.
func (f *Forest) leaf(root uint32, x []float64) uint32 {
	nodes := f.nodes
	i := root
	for i&leafBit == 0 {
		n := &nodes[i]
		v := x[n.feature]
		if n.flags&flagCategorical != 0 {
			i = n.right
			if f.goLeft(n, v) {
				i = n.left
			}
			continue
		}
		// v <= t is false for NaN, !(v > t) is true for NaN.
		left := v <= n.threshold
		if n.flags&flagMissingLeft != 0 {
			left = !(v > n.threshold)
		}
		next := n.right
		if left {
			next = n.left
		}
		i = next
	}
	return i &^ leafBit
}

// Margin returns the log-odds for one feature vector: Base, then each
// tree's leaf added in tree order. It allocates nothing for vectors of up
// to 512 features, unless the forest has thousands of distinct
// thresholds per feature or of categorical features (it codes each row
// into one 64-bit word per 63 distinct thresholds of a feature and two
// per categorical feature, on the stack up to 4096 words). It panics (a
// caller bug) if len(x) != NumFeatures().
func (f *Forest) Margin(x []float64) float64 {
	if len(x) != f.numFeatures {
		panic(fmt.Sprintf("tree: Margin: vector has %d features, forest needs %d", len(x), f.numFeatures))
	}
	if f.sv.ok {
		return f.marginFast(x)
	}
	return f.marginRef(x)
}

// marginRef is Margin by the reference walk (Forest.leaf): the semantics
// the serving layout must reproduce bit for bit.
func (f *Forest) marginRef(x []float64) float64 {
	s := f.base
	for _, r := range f.roots {
		s += f.leaves[f.leaf(r, x)]
	}
	return s
}

// marginBlock is the number of rows Margins scores per pass over the
// trees: the rows stay in L1/L2 cache while each group of trees is walked
// for all of them.
const marginBlock = 64

// Margins writes the margin of each of the rows row-major vectors in X
// into dst. It equals Margin row by row, bit for bit. It scores blocks of
// 64 rows together (block.go), at a fixed cost per block of about one
// word operation per distinct split of the forest, so callers should pass
// many rows per call rather than one at a time; its scratch buffers (one
// 64-bit word per distinct split) are kept in a pool and reused across
// calls. It panics (a caller bug) if len(dst) != rows or
// len(X) != rows*NumFeatures().
func (f *Forest) Margins(dst, X []float64, rows int) {
	d := f.numFeatures
	if rows < 0 || len(dst) != rows || len(X) != rows*d {
		panic(fmt.Sprintf("tree: Margins: dst has %d, X has %d values for %d rows of %d features", len(dst), len(X), rows, d))
	}
	switch {
	case f.bl.ok:
		f.marginsBlock(dst, X, rows)
		return
	case f.sv.ok:
		f.marginsFast(dst, X, rows)
		return
	}
	f.marginsRef(dst, X, rows)
}

// marginsRef is Margins by the reference walk.
func (f *Forest) marginsRef(dst, X []float64, rows int) {
	d := f.numFeatures
	for r0 := 0; r0 < rows; r0 += marginBlock {
		r1 := min(r0+marginBlock, rows)
		out := dst[r0:r1]
		xb := X[r0*d : r1*d]
		for i := range out {
			out[i] = f.base
		}
		for _, root := range f.roots {
			for i := range out {
				out[i] += f.leaves[f.leaf(root, xb[i*d:(i+1)*d])]
			}
		}
	}
}
