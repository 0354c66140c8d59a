package gbdt

import (
	"math"
	"sync"
	"sync/atomic"
)

// hbin is a gradient and hessian pair: one row's, or the sums of a
// histogram bin. Row counts are estimated from hessians where needed (as
// LightGBM does).
type hbin struct {
	g, h float64
}

// Quantized gradients (LightGBM's use_quantized_grad; Shi et al. 2022,
// "Quantized Training of Gradient Boosting Decision Trees"): each round a
// row's gradient and hessian are scaled to small integers with
// stochastic rounding and packed into one int64, g·2³² + h with h >= 0,
// so a histogram bin update is a single integer add. Sums of packed
// values stay exact (as long as |Σg| < 2³¹ and Σh < 2³²), so they unpack
// to the integer sums and do not depend on the order of addition.

// pack packs quantized gradient gq and hessian hq (hq >= 0).
func pack(gq, hq int64) int64 { return gq<<32 + hq }

// unpack returns the gradient and hessian sums of a sum of packed values.
func unpack(s int64) (gq, hq int64) {
	hq = int64(uint32(s))
	return (s - hq) >> 32, hq
}

// quantLevels returns the largest quantized gradient magnitude and
// hessian for n rows, so that sums over all rows fit their 32 bits.
func quantLevels(n int) (gMax, hMax int64) {
	n = max(n, 1)
	return min(127, (1<<31-1)/int64(n)), min(255, (1<<32-1)/int64(n))
}

// quantizer holds one round's quantization scales: a quantized value q
// stands for q·scale.
type quantizer struct {
	gScale, hScale float64
	total          int64 // packed sum over all rows
}

func (q quantizer) bin(s int64) hbin {
	gq, hq := unpack(s)
	return hbin{float64(gq) * q.gScale, float64(hq) * q.hScale}
}

// splitmix64 is a fast, well-mixed hash: the stochastic rounding noise
// for row r in round t is splitmix64(key(seed, t) + r), so it depends on
// the seed only, not on scheduling.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// quantize sets q[r*stride] to the packed stochastic rounding of gh[r]
// for this round and returns the scales. key seeds the noise. A stride
// above 1 writes the packed pairs into the spare word of each row of a
// histBuilder's row-major words (see histBuilder.qoff).
func quantize[T int64 | uint64](gh []hbin, q []T, stride int, key uint64, workers int) quantizer {
	n := len(gh)
	nc := (n + gradChunk - 1) / gradChunk
	gm, hm := make([]float64, nc), make([]float64, nc)
	parallel(workers, nc, func(c int) {
		var a, b float64
		for _, p := range gh[c*gradChunk : min(n, (c+1)*gradChunk)] {
			a = max(a, math.Abs(p.g))
			b = max(b, p.h)
		}
		gm[c], hm[c] = a, b
	})
	var maxG, maxH float64
	for c := range nc {
		maxG, maxH = max(maxG, gm[c]), max(maxH, hm[c])
	}
	gLev, hLev := quantLevels(n)
	qz := quantizer{gScale: maxG / float64(gLev), hScale: maxH / float64(hLev)}
	if qz.gScale == 0 {
		qz.gScale = 1
	}
	if qz.hScale == 0 {
		qz.hScale = 1
	}
	gInv, hInv := 1/qz.gScale, 1/qz.hScale
	const unit = 1.0 / (1 << 32)
	sums := make([]int64, nc)
	parallel(workers, nc, func(c int) {
		lo, hi := c*gradChunk, min(n, (c+1)*gradChunk)
		var s int64
		for r := lo; r < hi; r++ {
			p := gh[r]
			u := splitmix64(key + uint64(r))
			gq := int64(math.Floor(p.g*gInv + float64(u>>32)*unit))
			hq := int64(math.Floor(p.h*hInv + float64(uint32(u))*unit))
			v := pack(min(max(gq, -gLev), gLev), min(max(hq, 0), hLev))
			q[r*stride] = T(v)
			s += v
		}
		sums[c] = s
	})
	for _, s := range sums {
		qz.total += s // integer sums: exact in any order
	}
	return qz
}

// histogram is one node's histograms, feature f at [f*256, f*256+256).
// Exactly one of q (quantized, packed sums) and f (float sums) is set.
// Only the feature groups used by the current tree are filled.
type histogram struct {
	q []int64
	f []hbin
}

func (h histogram) isNil() bool { return h.q == nil && h.f == nil }

// parallel runs fn(0..n-1) on up to workers goroutines. Tasks are
// claimed in order from a shared counter; callers make each task write
// only its own output, so results do not depend on scheduling.
func parallel(workers, n int, fn func(i int)) {
	if workers <= 1 || n <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// parallelW is parallel for tasks that keep per-worker state: fn(w, i)
// runs task i on worker w (0 <= w < workers), and a worker runs its
// tasks one after another.
func parallelW(workers, n int, fn func(w, i int)) {
	if workers <= 1 || n <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
}

// For histograms, bins are stored row-major in words of groupSize
// features (see binMatrices): a histogram task reads one word per row
// for eight features, and a node's sparse rows touch about one cache
// line per row instead of one per feature.
const groupSize = 8

// groupBins is the size of one group's histograms.
const groupBins = groupSize * 256

// histChunkRows is the rows per histogram task. A float histogram cuts
// a node's rows into at most maxHistChunks chunks whose partial
// histograms are summed in chunk order; the cut depends only on the row
// count, so float sums do not depend on workers. A quantized histogram
// (buildQ) keeps one partial per worker instead, so it uses at most
// maxHistChunks workers.
const (
	histChunkRows = 1 << 12
	maxHistChunks = 16
)

// minParallelWork is the rows×groups below which a histogram is built on
// one goroutine.
const minParallelWork = 1 << 13

// histBuilder builds histograms over grouped bins. Its methods may run
// concurrently for different nodes.
type histBuilder struct {
	words  []uint64 // row-major: row r's group k is words[r*stride+k]
	ng     int      // groups
	stride int      // words per row in words, >= ng
	// qoff > 0 says each row's packed quantized pair is stored beside
	// its bin words, at word qoff (== ng) of the row, so that a row is
	// copied (partitionOrdered) and read (histQRows) in one place.
	qoff int

	partsQ freeList[[]int64] // partial histograms: maxHistChunks (workers) per group
	partsF freeList[[]hbin]  // the same for float histograms
}

func (b *histBuilder) getPartQ() []int64 {
	return b.partsQ.get(func() []int64 { return make([]int64, b.ng*maxHistChunks*groupBins) })
}

func (b *histBuilder) getPartF() []hbin {
	return b.partsF.get(func() []hbin { return make([]hbin, b.ng*maxHistChunks*groupBins) })
}

// build fills h for the groups gs from a node's nRows rows: words holds
// their bin words (row-major, stride per row) and oq (quantized) or of
// (float) their gradient pairs, both in the same row order; a
// quantized build with oq == nil reads each row's packed pair from word
// b.qoff of its row in words. In exact mode a child node's words and
// gradients are gathered from the full arrays first ("ordered
// gradients" and ordered bins), so that the gather's independent loads
// overlap their cache misses and each row's line is fetched once;
// quantized nodes are built from their ordered windows (ordered.go).
//
// Float sums are taken per chunk of rows and the chunks summed in
// order, with chunks that depend only on nRows, so the result does not
// depend on workers; quantized sums are exact in any order (buildQ).
func (b *histBuilder) build(h histogram, gs []int, words []uint64, stride, nRows int, oq []int64, of []hbin, workers int) {
	if nRows == 0 {
		for _, grp := range gs {
			if h.q != nil {
				clear(h.q[grp*groupBins : (grp+1)*groupBins])
			} else {
				clear(h.f[grp*groupBins : (grp+1)*groupBins])
			}
		}
		return
	}
	if h.q != nil {
		b.buildQ(h, gs, words, stride, nRows, oq, workers)
		return
	}
	if nRows*len(gs) < minParallelWork {
		workers = 1
	}
	k := min(maxHistChunks, (nRows+histChunkRows-1)/histChunkRows)
	chunk := (nRows + k - 1) / k
	var partF []hbin
	if k > 1 {
		partF = b.getPartF()
		defer b.partsF.put(partF)
	}
	parallel(workers, len(gs)*k, func(t int) {
		// Chunk-major order: the groups of one chunk run close together
		// in time and share the cache lines of its rows.
		c, gi := t/len(gs), t%len(gs)
		grp, part := gs[gi], gi*k+c
		lo, hi := c*chunk, min(nRows, (c+1)*chunk)
		hf := (*[groupBins]hbin)(h.f[grp*groupBins : (grp+1)*groupBins])
		if k > 1 {
			hf = (*[groupBins]hbin)(partF[part*groupBins : (part+1)*groupBins])
		}
		clear(hf[:])
		histF(hf, words[lo*stride+grp:(hi-1)*stride+grp+1], stride, of[lo:hi])
	})
	if k == 1 {
		return
	}
	// Sum the partial histograms in chunk order.
	parallel(workers, len(gs), func(gi int) {
		grp := gs[gi]
		dst := h.f[grp*groupBins : (grp+1)*groupBins]
		copy(dst, partF[gi*k*groupBins:])
		for c := 1; c < k; c++ {
			src := partF[(gi*k+c)*groupBins : (gi*k+c+1)*groupBins]
			for i := range dst {
				dst[i].g += src[i].g
				dst[i].h += src[i].h
			}
		}
	})
}

// histBlockRows is the rows per cache block of a quantized build: every
// group's histogram is filled from one block of rows before the next
// block is read, so the rows come from memory once, not once per group.
const histBlockRows = 512

// buildQ is build for quantized histograms (nRows > 0). Packed sums
// are exact in any order, so the rows are cut into small tasks (at most
// histChunkRows), claimed by the workers as they go, and each worker
// sums its tasks into its own partial histograms, added up at the end:
// a worker the machine delays holds back at most one small task, and
// the partials to add are one per worker, not one per task. A task
// fills all of gs for its rows, block by block, so that a block is read
// from memory once for all the groups.
func (b *histBuilder) buildQ(h histogram, gs []int, words []uint64, stride, nRows int, oq []int64, workers int) {
	if nRows*len(gs) < minParallelWork {
		workers = 1
	}
	// Tasks of histChunkRows, or smaller (whole blocks) so that a node
	// has about four per worker.
	task := histChunkRows
	if workers > 1 {
		task = min(task, max(histBlockRows, (nRows/(4*workers)+histBlockRows-1)/histBlockRows*histBlockRows))
	}
	tasks := (nRows + task - 1) / task
	if tasks < 2 {
		workers = 1
	}
	workers = min(workers, maxHistChunks)
	var partQ []int64
	if workers > 1 {
		partQ = b.getPartQ()
		defer b.partsQ.put(partQ)
	}
	used := make([]bool, workers) // worker w cleared its partials and added rows to them
	parallelW(workers, tasks, func(w, c int) {
		var hsa [16]*[groupBins]int64
		hs := hsa[:0]
		for gi, grp := range gs {
			if workers > 1 {
				part := gi*maxHistChunks + w
				hs = append(hs, (*[groupBins]int64)(partQ[part*groupBins:(part+1)*groupBins]))
			} else {
				hs = append(hs, (*[groupBins]int64)(h.q[grp*groupBins:(grp+1)*groupBins]))
			}
		}
		if !used[w] {
			used[w] = true
			for _, hg := range hs {
				clear(hg[:])
			}
		}
		hi := min(nRows, (c+1)*task)
		for lo := c * task; lo < hi; lo += histBlockRows {
			bhi := min(hi, lo+histBlockRows)
			for gi, grp := range gs {
				if oq == nil {
					histQRows(hs[gi], words[lo*stride:bhi*stride], stride, grp, b.qoff)
				} else {
					histQ(hs[gi], words[lo*stride+grp:(bhi-1)*stride+grp+1], stride, oq[lo:bhi])
				}
			}
		}
	})
	if workers == 1 {
		return
	}
	parallel(workers, len(gs), func(gi int) {
		grp := gs[gi]
		dst := h.q[grp*groupBins : (grp+1)*groupBins]
		clear(dst)
		for w, ok := range used {
			if !ok {
				continue
			}
			src := partQ[(gi*maxHistChunks+w)*groupBins:][:groupBins]
			for i := range dst {
				dst[i] += src[i]
			}
		}
	})
}

// histQ adds the packed pairs og of rows whose bin words are ws[0],
// ws[stride], ...
func histQ(h *[groupBins]int64, ws []uint64, stride int, og []int64) {
	for i, p := range og {
		w := ws[i*stride]
		h[uint8(w)] += p
		h[256+int(uint8(w>>8))] += p
		h[512+int(uint8(w>>16))] += p
		h[768+int(uint8(w>>24))] += p
		h[1024+int(uint8(w>>32))] += p
		h[1280+int(uint8(w>>40))] += p
		h[1536+int(uint8(w>>48))] += p
		h[1792+int(uint8(w>>56))] += p
	}
}

// histQRows adds the rows of rows (stride words each): group grp's bin
// word is word grp of a row, its packed pair word qoff.
func histQRows(h *[groupBins]int64, rows []uint64, stride, grp, qoff int) {
	for i := 0; i+stride <= len(rows); i += stride {
		row := rows[i : i+stride]
		w, p := row[grp], int64(row[qoff])
		h[uint8(w)] += p
		h[256+int(uint8(w>>8))] += p
		h[512+int(uint8(w>>16))] += p
		h[768+int(uint8(w>>24))] += p
		h[1024+int(uint8(w>>32))] += p
		h[1280+int(uint8(w>>40))] += p
		h[1536+int(uint8(w>>48))] += p
		h[1792+int(uint8(w>>56))] += p
	}
}

// histF adds the float pairs og of rows whose bin words are ws[0],
// ws[stride], ...
func histF(h *[groupBins]hbin, ws []uint64, stride int, og []hbin) {
	for i, p := range og {
		w := ws[i*stride]
		for j := range groupSize {
			b := &h[j*256+int(uint8(w>>(8*j)))]
			b.g += p.g
			b.h += p.h
		}
	}
}

// subtractHist sets parent -= child for the groups gs, turning the
// parent's histogram into the sibling's.
func subtractHist(parent, child histogram, gs []int) {
	for _, grp := range gs {
		lo, hi := grp*groupBins, (grp+1)*groupBins
		if parent.q != nil {
			p, c := parent.q[lo:hi], child.q[lo:hi]
			for i := range p {
				p[i] -= c[i]
			}
			continue
		}
		p, c := parent.f[lo:hi], child.f[lo:hi]
		for i := range p {
			p[i].g -= c[i].g
			p[i].h -= c[i].h
		}
	}
}
