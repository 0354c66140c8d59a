package gbdt

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// TestNodeHistogramsExact trains with a hook that checks every node
// whose split is searched: its rows are ascending, its ordered window
// (quantized mode) holds exactly the bin words and packed pairs of its
// rows, and its histogram equals sums taken row by row from the
// row-major matrix. It covers depth-wise and leaf-wise growth, row and
// column subsampling, splits where only one child is split further,
// and one and three workers; the nodes are large
// enough for the parallel partition and histogram paths.
func TestNodeHistogramsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n, d = 3*rowChunk + 517, 19
	ds := Dataset{Rows: n, Cols: d, X: make([]float64, n*d), Y: make([]float64, n)}
	feats := make([]Feature, d)
	for f := range feats {
		feats[f] = Feature{Name: fmt.Sprint("f", f)}
		if f%5 == 3 {
			feats[f].Categorical, feats[f].Levels = true, 9
		}
	}
	for r := range n {
		s := 0.0
		for f := range d {
			v := rng.NormFloat64()
			if feats[f].Categorical {
				v = float64(rng.IntN(9))
			} else if rng.IntN(20) == 0 {
				v = math.NaN()
			}
			ds.X[r*d+f] = v
			if v == v {
				s += v * float64(f%3-1)
			}
		}
		ds.Y[r] = float64(b2i(s+rng.NormFloat64() > 0))
	}
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"depth", Config{Rounds: 4, MaxDepth: 5, MinRowsPerLeaf: 5}},
		{"leaves", Config{Rounds: 4, MaxLeaves: 17, MinRowsPerLeaf: 5}},
		// Children under 2×300 rows are never split, so often only
		// the larger child of a split needs a histogram.
		{"minrows", Config{Rounds: 4, MaxLeaves: 40, MinRowsPerLeaf: 300}},
		{"subsampled", Config{Rounds: 4, MaxDepth: 4, RowSubsample: 0.7, ColSubsample: 0.6, MinRowsPerLeaf: 5}},
	} {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers%d", c.name, workers), func(t *testing.T) {
				var mu sync.Mutex
				nodes := 0
				var bad []string
				cfg := c.cfg
				cfg.Seed, cfg.Workers = 3, workers
				cfg.nodeHook = func(g *grower, l *leaf) {
					msg := checkNode(g, l)
					mu.Lock()
					defer mu.Unlock()
					nodes++
					if msg != "" && len(bad) < 5 {
						bad = append(bad, msg)
					}
				}
				if _, _, err := Train(context.Background(), feats, ds, nil, cfg, nil); err != nil {
					t.Fatal(err)
				}
				if len(bad) > 0 {
					t.Fatalf("%d nodes checked; wrong:\n%s", nodes, bad)
				}
				if nodes < 4*5 {
					t.Fatalf("only %d nodes checked", nodes)
				}
			})
		}
	}
}

// checkNode returns what is wrong with node l, or "".
func checkNode(g *grower, l *leaf) string {
	if !slices.IsSorted(l.rows) {
		return fmt.Sprintf("node at %d: rows not ascending", l.off)
	}
	st, ng := g.hb.stride, g.hb.ng
	if g.quant && len(l.rows) > 0 {
		w := g.window(l)
		for i, r := range l.rows {
			if !slices.Equal(w[i*st:(i+1)*st], g.hb.words[int(r)*st:(int(r)+1)*st]) {
				return fmt.Sprintf("node at %d (%d rows): ordered row %d (row %d) differs from the matrix", l.off, len(l.rows), i, r)
			}
		}
	}
	for _, grp := range g.ugrp {
		for j := range groupSize {
			f := grp*groupSize + j
			if f >= len(g.feats) {
				break
			}
			var wantQ [256]int64
			var wantF [256]hbin
			for _, r := range l.rows {
				b := uint8(g.hb.words[int(r)*st+grp] >> (8 * j))
				if g.quant {
					wantQ[b] += int64(g.hb.words[int(r)*st+ng])
				} else {
					wantF[b].g += g.gh[r].g
					wantF[b].h += g.gh[r].h
				}
			}
			for b := range 256 {
				if g.quant {
					if got := l.hist.q[f*256+b]; got != wantQ[b] {
						return fmt.Sprintf("node at %d (%d rows): feature %d bin %d: sum %v, want %v", l.off, len(l.rows), f, b, g.qz.bin(got), g.qz.bin(wantQ[b]))
					}
				} else if got := l.hist.f[f*256+b]; math.Abs(got.g-wantF[b].g) > 1e-9 || math.Abs(got.h-wantF[b].h) > 1e-9 {
					return fmt.Sprintf("node at %d (%d rows): feature %d bin %d: sum %v, want %v", l.off, len(l.rows), f, b, got, wantF[b])
				}
			}
		}
	}
	return ""
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
