package tree

import (
	"encoding/json"
	"fmt"
)

// forestJSON is the wire form: one array per node or leaf attribute
// (column-wise, so keys are not repeated per node). Child references use
// the LightGBM-style flags: bit 0 of Flags marks a leaf left child, bit 1
// a leaf right child; a leaf child's index counts leaves and a node
// child's index counts nodes, both over the whole forest.
type forestJSON struct {
	Version     int       `json:"version"`
	NumFeatures int       `json:"num_features"`
	Base        float64   `json:"base"`
	TreeNodes   []uint32  `json:"tree_nodes"`  // len trees+1: node offsets
	TreeLeaves  []uint32  `json:"tree_leaves"` // len trees+1: leaf offsets
	Feature     []uint32  `json:"feature"`
	Threshold   []float64 `json:"threshold"`
	Left        []uint32  `json:"left"`
	Right       []uint32  `json:"right"`
	Flags       []uint16  `json:"flags"` // leftLeaf 1 | rightLeaf 2 | missingLeft 4 | categorical 8
	CatStart    []uint32  `json:"cat_start"`
	CatLen      []uint32  `json:"cat_len"`
	Gain        []float64 `json:"gain"`
	Cover       []float64 `json:"cover"`
	Leaf        []float64 `json:"leaf"`
	LeafCover   []float64 `json:"leaf_cover"`
	Cats        []uint64  `json:"cats"`
}

const jsonVersion = 1

// Wire flags.
const (
	wireLeftLeaf = 1 << iota
	wireRightLeaf
	wireMissingLeft
	wireCategorical
	wireAll = wireLeftLeaf | wireRightLeaf | wireMissingLeft | wireCategorical
)

// MarshalJSON encodes the forest compactly. Floats round-trip exactly.
func (f *Forest) MarshalJSON() ([]byte, error) {
	n := len(f.nodes)
	w := forestJSON{
		Version: jsonVersion, NumFeatures: f.numFeatures, Base: f.base,
		TreeNodes: f.treeNode, TreeLeaves: f.treeLeaf,
		Feature: make([]uint32, n), Threshold: make([]float64, n), Left: make([]uint32, n), Right: make([]uint32, n),
		Flags: make([]uint16, n), CatStart: make([]uint32, n), CatLen: make([]uint32, n),
		Gain: f.nodeGain, Cover: f.nodeCover, Leaf: f.leaves, LeafCover: f.leafCover, Cats: f.cats,
	}
	for i := range f.nodes {
		nd := &f.nodes[i]
		w.Feature[i], w.Threshold[i], w.CatStart[i], w.CatLen[i] = nd.feature, nd.threshold, nd.catStart, nd.catLen
		w.Left[i], w.Right[i] = nd.left&^leafBit, nd.right&^leafBit
		if nd.left&leafBit != 0 {
			w.Flags[i] |= wireLeftLeaf
		}
		if nd.right&leafBit != 0 {
			w.Flags[i] |= wireRightLeaf
		}
		if nd.flags&flagMissingLeft != 0 {
			w.Flags[i] |= wireMissingLeft
		}
		if nd.flags&flagCategorical != 0 {
			w.Flags[i] |= wireCategorical
		}
	}
	if w.Cats == nil {
		w.Cats = []uint64{}
	}
	return json.Marshal(&w)
}

// UnmarshalJSON decodes and validates a forest; a corrupt forest yields
// an error, never a Forest that panics when scoring.
func (f *Forest) UnmarshalJSON(b []byte) error {
	var w forestJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("tree: decode forest: %w", err)
	}
	if w.Version != jsonVersion {
		return fmt.Errorf("tree: forest format version %d, want %d", w.Version, jsonVersion)
	}
	n := len(w.Feature)
	for _, c := range []struct {
		name string
		len  int
	}{{"threshold", len(w.Threshold)}, {"left", len(w.Left)}, {"right", len(w.Right)}, {"flags", len(w.Flags)},
		{"cat_start", len(w.CatStart)}, {"cat_len", len(w.CatLen)}, {"gain", len(w.Gain)}, {"cover", len(w.Cover)}} {
		if c.len != n {
			return fmt.Errorf("tree: decode forest: %q has %d entries, \"feature\" has %d", c.name, c.len, n)
		}
	}
	if len(w.TreeNodes) == 0 || len(w.TreeLeaves) != len(w.TreeNodes) {
		return fmt.Errorf("tree: decode forest: tree_nodes has %d and tree_leaves %d entries", len(w.TreeNodes), len(w.TreeLeaves))
	}
	if n >= leafBit || len(w.Leaf) >= leafBit {
		return fmt.Errorf("tree: decode forest: too many nodes (%d) or leaves (%d)", n, len(w.Leaf))
	}
	g := Forest{
		base: w.Base, numFeatures: w.NumFeatures, nodes: make([]node, n),
		nodeGain: w.Gain, nodeCover: w.Cover, leaves: w.Leaf, leafCover: w.LeafCover, cats: w.Cats,
		treeNode: w.TreeNodes, treeLeaf: w.TreeLeaves, roots: make([]uint32, len(w.TreeNodes)-1),
	}
	for i := range g.nodes {
		fl := w.Flags[i]
		if fl&^wireAll != 0 {
			return fmt.Errorf("tree: decode forest: node %d: unknown flags %#x", i, fl)
		}
		if w.Left[i] >= leafBit || w.Right[i] >= leafBit {
			return fmt.Errorf("tree: decode forest: node %d: child index out of range", i)
		}
		nd := node{threshold: w.Threshold[i], feature: w.Feature[i], left: w.Left[i], right: w.Right[i], catStart: w.CatStart[i], catLen: w.CatLen[i]}
		if fl&wireLeftLeaf != 0 {
			nd.left |= leafBit
		}
		if fl&wireRightLeaf != 0 {
			nd.right |= leafBit
		}
		if fl&wireMissingLeft != 0 {
			nd.flags |= flagMissingLeft
		}
		if fl&wireCategorical != 0 {
			nd.flags |= flagCategorical
		} else {
			nd.catStart, nd.catLen = 0, 0
		}
		g.nodes[i] = nd
	}
	for t := range g.roots {
		if w.TreeNodes[t+1] == w.TreeNodes[t] {
			g.roots[t] = w.TreeLeaves[t] | leafBit
		} else {
			g.roots[t] = w.TreeNodes[t]
		}
	}
	if err := g.Validate(); err != nil {
		return err
	}
	g.prepare()
	*f = g
	return nil
}
