package tree

import (
	"math"
	"unsafe"
)

// Margin's walk of the compact layout's trees (walkRunAsm, walkRunGo).
// The trees are copied in groups of up to eight (buildRuns), run by run,
// into a level-major layout in which lane k's node at heap level l is
// found from its index j in the level (0 .. 2^l-1) at a constant offset:
// so the assembly keeps each lane's j in a register and steps it as
//
//	j = 2j + right,  right = codes[slot] & word == 0
//
// with one compare and one add with carry, no index arithmetic, bounds
// check or spill; and adds each group's eight leaf values to the sum in
// lane (tree) order, one scalar add at a time, as the scalar walk does.
//
// A group of depth d takes groupWords(d) uint64s; for each level l < d,
// at levelStart(l): the 8<<l split words (lane k's node j at k<<l + j),
// then their 8<<l slots, packed four to a uint64 (little-endian), so a
// level takes 10<<l uint64s; then at leafStart(d) = levelStart(d) the
// 8<<d leaf values' bits (lane k's leaf j at k<<d + j). A run's groups
// follow each other. walk_gen.go writes the assembly for this layout;
// while a group is walked, it prefetches the next group's top four
// levels, which every lane reads (the deeper ones, mostly in L2, are
// what the walk waits on).
//
// The layout is a copy: the compact layout's splits and leaves are
// stored twice, once in it (walkTrees, walk1, the block layout) and once
// here, with padding.

// levelStart is the offset, in a group, of level l's split words.
func levelStart(l int) int { return 10 * (1<<l - 1) }

// groupWords is the size of a group of depth d in uint64s.
func groupWords(d int) int { return levelStart(d) + wideLanes<<d }

// groupRun is a run of groups of one depth: trees t0 .. t0+trees-1 (all
// in the compact layout), stored at blk[off : off+n*groupWords(depth)].
type groupRun struct {
	t0, trees, n, depth int
	off                 int
}

// maxGroupSpread is the most a tree of a run group may be shallower than
// the group: it is walked to the group's depth, through padding.
const maxGroupSpread = 2

// buildRuns copies the trees of the placed layout into c.blk by runs
// and sets c.asm (hasWalk). Up to eight consecutive trees in the layout
// whose depths differ by at most maxGroupSpread form a group of the
// deepest one's depth D: a shallower tree of depth d is padded with
// splits that always go left (word 1 at slot 0, whose code is all ones)
// and its leaf j stands at every position j<<(D-d) .. of the group's
// leaves; a group of fewer than eight trees (the end of a run of trees
// in the layout, or a change of depth) has lanes that always go left to
// the leaf -0, which added to any sum leaves its bits unchanged (x + -0
// is x for every x, -0 and NaN included). Consecutive groups of one
// depth form a run.
func (c *compact) buildRuns() {
	c.runs, c.blk = nil, nil
	nt := len(c.in)
	for t := 0; t < nt; {
		if !c.in[t] {
			t++
			continue
		}
		lo, hi := c.depth[t], c.depth[t]
		m := 1
		for ; m < wideLanes && t+m < nt && c.in[t+m]; m++ {
			d := c.depth[t+m]
			if max(hi, d)-min(lo, d) > maxGroupSpread {
				break
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		d := int(hi)
		if n := len(c.runs); n > 0 && c.runs[n-1].depth == d && c.runs[n-1].t0+c.runs[n-1].trees == t {
			c.runs[n-1].n++
			c.runs[n-1].trees += m
		} else {
			c.runs = append(c.runs, groupRun{t0: t, trees: m, n: 1, depth: d, off: len(c.blk)})
		}
		c.blk = append(c.blk, c.runGroup(t, m, d)...)
		t += m
	}
	c.asm = hasWalk
}

// runGroup returns the run layout of the group of trees t .. t+m-1
// (m <= 8) at depth d (at least theirs).
func (c *compact) runGroup(t, m, d int) []uint64 {
	g := make([]uint64, groupWords(d))
	for l := range d {
		w := g[levelStart(l):]
		for k := range wideLanes {
			for j := range 1 << l {
				word, slot := uint64(1), uint16(0) // padding: always left
				if k < m && l < int(c.depth[t+k]) {
					e := c.node[t+k] + uint32(1<<l-1+j)<<c.sh[t+k]
					word, slot = c.word[e], c.slot[e]
				}
				i := k<<l + j
				w[i] = word
				s := wideLanes<<l*4 + i // in uint16s, from levelStart(l)
				w[s/4] |= uint64(slot) << (16 * (s % 4))
			}
		}
	}
	v := g[levelStart(d):]
	for k := range wideLanes {
		for j := range 1 << d {
			x := math.Copysign(0, -1) // padding lane: adds nothing
			if k < m {
				up := d - int(c.depth[t+k]) // padding levels below its leaves
				x = c.value[c.vbase[t+k]+uint32(j>>up)<<c.sh[t+k]]
			}
			v[k<<d+j] = math.Float64bits(x)
		}
	}
	return g
}

// walkRun adds to sum, in tree order, the leaf values that the row coded
// as codes reaches in the trees of run r, and returns the sum. It calls
// walkRunAsm when c.asm is set, else walkRunGo.
func (c *compact) walkRun(r *groupRun, codes []uint64, sum float64) float64 {
	blk := c.blk[r.off : r.off+r.n*groupWords(r.depth)]
	if c.asm {
		return walkRunAsm(unsafe.SliceData(blk), unsafe.SliceData(codes), r.n, r.depth, sum)
	}
	return walkRunGo(blk, codes, r.n, r.depth, sum)
}

// walkRunGo is the Go twin of walkRunAsm: for each of the n groups of
// depth depth in blk, it walks the eight trees for the row coded as
// codes and adds their leaf values to sum in lane order.
func walkRunGo(blk, codes []uint64, n, depth int, sum float64) float64 {
	for range n {
		var j [wideLanes]int
		for l := range depth {
			w := blk[levelStart(l):]
			for k := range j {
				i := k<<l + j[k]
				s := wideLanes<<l*4 + i
				slot := uint16(w[s/4] >> (16 * (s % 4)))
				j[k] = 2*j[k] + int(b2u(codes[slot]&w[i] == 0))
			}
		}
		v := blk[levelStart(depth):]
		for k := range j {
			sum += math.Float64frombits(v[k<<depth+j[k]])
		}
		blk = blk[groupWords(depth):]
	}
	return sum
}

// rowMarginRuns is rowMarginCompact with the compact layout's trees
// walked run by run (walkRun) and the others on the general layout:
// base, then each tree's leaf added in tree order.
func (f *Forest) rowMarginRuns(x []float64, codes []uint64, old []rowCode) float64 {
	c, s := &f.cp, &f.sv
	sum := f.base
	var out [1]uint32
	t := 0
	for i := 0; ; i++ {
		end := len(c.in)
		if i < len(c.runs) {
			end = c.runs[i].t0
		}
		for ; t < end; t++ { // trees not in the compact layout, so not in a run
			s.walk(out[:], t, x, old)
			sum += s.value[out[0]]
		}
		if i == len(c.runs) {
			return sum
		}
		r := &c.runs[i]
		sum = c.walkRun(r, codes, sum)
		t = r.t0 + r.trees
	}
}
