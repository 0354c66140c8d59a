package gbdt

// Ordered rows (quantized mode). Every node of the tree being grown keeps
// its rows' bin words and packed gradient pairs physically in order, in
// a window of one of two ping-pong buffers at the same offsets as its
// window of row numbers. Splitting a node copies each of its rows once,
// sequentially, into the other buffer, left rows first (a stable
// partition, so the row numbers of a window stay ascending), and a
// child's histogram is then a sequential scan of its window. Without
// this, the smaller child's rows would be gathered from random places
// of the row-major matrix, one or two cache misses per row, which was
// the largest cost of training (LightGBM keeps a similar per-leaf
// ordering of its gradients).
//
// The root reads the row-major matrix itself (hb.words, where this
// round's packed pairs were written) when it holds every row; a
// subsampled root is gathered into buffer 0 first.

// orderedRows holds the two buffers: words[k] holds rows' bin words and
// packed pairs (hb.stride words per row), rows[k] their row numbers.
type orderedRows struct {
	words [2][]uint64
	rows  [2][]int32
}

// newOrderedRows allocates the buffers for n rows of stride words.
func newOrderedRows(n, stride int) orderedRows {
	var o orderedRows
	for k := range 2 {
		o.words[k] = make([]uint64, n*stride)
		o.rows[k] = make([]int32, n)
	}
	return o
}

// rootNatural is leaf.buf for a root that reads the row-major matrix.
const rootNatural = -1

// window returns the bin words of l's rows, in the order of l.rows.
func (g *grower) window(l *leaf) []uint64 {
	st := g.hb.stride
	if l.buf == rootNatural {
		return g.hb.words[:len(l.rows)*st]
	}
	return g.ord.words[l.buf][l.off*st : (l.off+len(l.rows))*st]
}

// gatherRoot copies the words of rows (ascending) into buffer 0 and
// returns their row numbers there.
func (g *grower) gatherRoot(rows []int32) []int32 {
	st := g.hb.stride
	dst, dr := g.ord.words[0], g.ord.rows[0][:len(rows)]
	copy(dr, rows)
	parallel(workersFor(len(rows), g.workers), chunks(len(rows)), func(c int) {
		lo, hi := chunkRange(c, len(rows))
		for i := lo; i < hi; i++ {
			src, d := g.hb.words[int(rows[i])*st:][:st], dst[i*st:][:st]
			for j := range d {
				d[j] = src[j]
			}
		}
	})
	return dr
}

// partitionOrdered splits l's window by the bins of feature f (left
// holds the bins that go left) into the same offsets of the other
// buffer, left rows first, both sides in their order in l, and returns
// the buffer and the number of left rows. Chunks of rows are counted in
// parallel, then copied in parallel to their places; each copy is
// branch-free (a row goes to the left or right cursor by arithmetic).
// need reports, given the number of left rows, whether each side's bin
// words will be read (it will be split further); a side that will not
// gets only its row numbers, which saves most of the copying on the
// last level of a depth-limited tree.
func (g *grower) partitionOrdered(l *leaf, f int, left *[4]uint64, need func(nl int) (bool, bool), workers int) (buf int8, nl int) {
	st := g.hb.stride
	buf = 0
	if l.buf == 0 {
		buf = 1
	}
	m := len(l.rows)
	src, srcRows := g.window(l), l.rows
	dst := g.ord.words[buf][l.off*st : (l.off+m)*st]
	dstRows := g.ord.rows[buf][l.off : l.off+m]
	lut := leftTable(left)
	word, shift := f/groupSize, 8*uint(f%groupSize)
	workers = workersFor(m, workers)
	nc := chunks(m)
	nLeft := make([]int, nc)
	// Count each chunk's left rows. A dense node reads the feature's
	// column (one byte per row) rather than its rows' words: the words
	// of a row fill most of a cache line, so a pass over them costs as
	// much as the copy that follows.
	col := g.cols[f*g.n : (f+1)*g.n]
	dense := m*denseCount >= g.n
	parallel(workers, nc, func(c int) {
		lo, hi := chunkRange(c, m)
		k := 0
		if dense {
			for _, r := range srcRows[lo:hi] {
				k += int(lut[col[r]])
			}
		} else {
			for i := lo; i < hi; i++ {
				k += int(lut[uint8(src[i*st+word]>>shift)])
			}
		}
		nLeft[c] = k
	})
	for _, k := range nLeft {
		nl += k
	}
	needL, needR := need(nl)
	parallel(workers, nc, func(c int) {
		lo, hi := chunkRange(c, m)
		li := 0
		for _, k := range nLeft[:c] {
			li += k
		}
		ri := nl + lo - li
		if !needL || !needR {
			copySide(dst, dstRows, src, srcRows, lo, hi, li, ri, st, word, shift, lut, needL, needR)
			return
		}
		// Both sides need their words. This loop is copySide without its
		// test: with the test, 31-leaf training took 4 % more CPU (five
		// alternating runs).
		for i := lo; i < hi; i++ {
			s := src[i*st:][:st]
			k := int(lut[uint8(s[word]>>shift)])
			p := ri + (li-ri)&-k
			copyRow(dst[p*st:][:st], s)
			dstRows[p] = srcRows[i]
			li += k
			ri += 1 - k
		}
	})
	return buf, nl
}

// denseCount: partitionOrdered counts from the column when the node
// holds at least 1/denseCount of the rows (it then reads about one line
// of the column per row of a whole cache line of words).
const denseCount = 32

// copyRow copies row s to d (of the same length). Common row lengths
// are copied word by word, written out: a few register moves instead of
// a loop or a call of memmove (which copy and array assignment compile
// to, as the compiler cannot rule out overlap).
func copyRow(d, s []uint64) {
	switch len(s) {
	case 2:
		d, s := d[:2], s[:2]
		d[0], d[1] = s[0], s[1]
	case 3:
		d, s := d[:3], s[:3]
		d[0], d[1], d[2] = s[0], s[1], s[2]
	case 4:
		d, s := d[:4], s[:4]
		d[0], d[1], d[2], d[3] = s[0], s[1], s[2], s[3]
	case 5:
		d, s := d[:5], s[:5]
		d[0], d[1], d[2], d[3], d[4] = s[0], s[1], s[2], s[3], s[4]
	case 6:
		d, s := d[:6], s[:6]
		d[0], d[1], d[2], d[3], d[4], d[5] = s[0], s[1], s[2], s[3], s[4], s[5]
	case 7:
		d, s := d[:7], s[:7]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6] = s[0], s[1], s[2], s[3], s[4], s[5], s[6]
	case 8:
		d, s := d[:8], s[:8]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
	case 9:
		d, s := d[:9], s[:9]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]
	case 10:
		d, s := d[:10], s[:10]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9]
	default:
		copy(d, s)
	}
}

// copySide is the copy loop of partitionOrdered when at most one side
// needs its bin words: it moves every row number of src[lo:hi] from the
// cursors li (left) and ri (right), and the words of the rows of the
// side that needs them (needL for the left side, else needR).
func copySide(dst []uint64, dstRows []int32, src []uint64, srcRows []int32, lo, hi, li, ri, st, word int, shift uint, lut *[256]uint8, needL, needR bool) {
	for i := lo; i < hi; i++ {
		s := src[i*st:][:st]
		k := int(lut[uint8(s[word]>>shift)])
		p := ri + (li-ri)&-k
		dstRows[p] = srcRows[i]
		if (k == 1 && needL) || (k == 0 && needR) {
			copyRow(dst[p*st:][:st], s)
		}
		li += k
		ri += 1 - k
	}
}
