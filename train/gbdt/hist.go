package gbdt

import (
	"sync"
	"sync/atomic"
)

// hbin is a gradient and hessian pair: one row's, or the sums of a
// histogram bin. Row counts are estimated from hessians where needed (as
// LightGBM does).
type hbin struct {
	g, h float64
}

// histogram is one node's histograms, feature f at [f*256, f*256+256).
// Only the features used by the current tree are filled.
type histogram []hbin

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

// minParallelWork is the rows×features below which a histogram is built
// on one goroutine.
const minParallelWork = 1 << 15

// featuresPerTask is how many features one histogram task scans in a
// single pass over the node's rows.
const featuresPerTask = 4

// buildHist fills h for the features feats from the node's rows. bins is
// column-major (feature f's bins are bins[f*n:(f+1)*n]): a node's rows
// are ascending, so each column is read front to back, which the
// hardware prefetcher streams. rows nil means every row 0..n-1 with
// gradient/hessian pairs og; otherwise og holds the pairs in the order
// of rows ("ordered gradients"). Tasks are groups of features, and each
// feature's bins are summed in row order, so the result does not depend
// on workers.
func buildHist(h histogram, feats []int, bins []uint8, n int, rows []int32, og []hbin, workers int) {
	nr := len(og)
	if nr*len(feats) < minParallelWork {
		workers = 1
	}
	tasks := (len(feats) + featuresPerTask - 1) / featuresPerTask
	parallel(workers, tasks, func(t int) {
		fs := feats[t*featuresPerTask : min((t+1)*featuresPerTask, len(feats))]
		for _, f := range fs {
			clear(h[f*256 : f*256+256])
		}
		fh := func(f int) *[256]hbin { return (*[256]hbin)(h[f*256 : f*256+256]) }
		col := func(f int) []uint8 { return bins[f*n : (f+1)*n] }
		if len(fs) == featuresPerTask {
			if rows == nil {
				hist4All(fh(fs[0]), fh(fs[1]), fh(fs[2]), fh(fs[3]), col(fs[0]), col(fs[1]), col(fs[2]), col(fs[3]), og)
			} else {
				hist4(fh(fs[0]), fh(fs[1]), fh(fs[2]), fh(fs[3]), col(fs[0]), col(fs[1]), col(fs[2]), col(fs[3]), rows, og)
			}
			return
		}
		for _, f := range fs {
			if rows == nil {
				hist1All(fh(f), col(f), og)
			} else {
				hist1(fh(f), col(f), rows, og)
			}
		}
	})
}

func hist1(h *[256]hbin, col []uint8, rows []int32, og []hbin) {
	og = og[:len(rows)]
	for i, r := range rows {
		p := og[i]
		b := &h[col[r]]
		b.g += p.g
		b.h += p.h
	}
}

func hist1All(h *[256]hbin, col []uint8, gh []hbin) {
	gh = gh[:len(col)]
	for i, c := range col {
		p := gh[i]
		b := &h[c]
		b.g += p.g
		b.h += p.h
	}
}

func hist4(h0, h1, h2, h3 *[256]hbin, c0, c1, c2, c3 []uint8, rows []int32, og []hbin) {
	n := len(c0)
	c1, c2, c3, og = c1[:n], c2[:n], c3[:n], og[:len(rows)] // one bounds check per row
	for i, r := range rows {
		g, hh := og[i].g, og[i].h
		b := &h0[c0[r]]
		b.g += g
		b.h += hh
		b = &h1[c1[r]]
		b.g += g
		b.h += hh
		b = &h2[c2[r]]
		b.g += g
		b.h += hh
		b = &h3[c3[r]]
		b.g += g
		b.h += hh
	}
}

func hist4All(h0, h1, h2, h3 *[256]hbin, c0, c1, c2, c3 []uint8, gh []hbin) {
	n := len(c0)
	c1, c2, c3, gh = c1[:n], c2[:n], c3[:n], gh[:n]
	for i := range n {
		g, hh := gh[i].g, gh[i].h
		b := &h0[c0[i]]
		b.g += g
		b.h += hh
		b = &h1[c1[i]]
		b.g += g
		b.h += hh
		b = &h2[c2[i]]
		b.g += g
		b.h += hh
		b = &h3[c3[i]]
		b.g += g
		b.h += hh
	}
}

// subtractHist sets parent -= child for the features feats, turning the
// parent's histogram into the sibling's.
func subtractHist(parent, child histogram, feats []int, nb []int) {
	for _, f := range feats {
		p, c := parent[f*256:f*256+nb[f]+1], child[f*256:f*256+nb[f]+1]
		for b := range p {
			p[b].g -= c[b].g
			p[b].h -= c[b].h
		}
	}
}
