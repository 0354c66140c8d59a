package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFindInf plants infinities in a matrix spanning several row chunks
// and checks that findInf reports the first infinite row of each column
// (the row named in Train's error), whatever the number of workers.
func TestFindInf(t *testing.T) {
	const rows, cols = 3*binChunk + 17, 4
	ds := &Dataset{X: make([]float64, rows*cols), Rows: rows, Cols: cols}
	for i := range ds.X {
		ds.X[i] = float64(i % 7)
	}
	ds.X[5*cols+1] = math.NaN() // NaN is allowed
	plant := func(r, f int, v float64) { ds.X[r*cols+f] = v }
	plant(2*binChunk+3, 0, math.Inf(1)) // column 0: only in chunk 2
	plant(binChunk-1, 2, math.Inf(-1))  // column 2: last row of chunk 0 ...
	plant(binChunk, 2, math.Inf(1))     // ... and first row of chunk 1
	plant(rows-1, 2, math.Inf(1))
	plant(rows-1, 3, math.Inf(-1)) // column 3: the very last value
	want := []int{2*binChunk + 3, -1, binChunk - 1, rows - 1}
	for _, workers := range []int{1, 2, 5} {
		if got := findInf(ds, workers); !slices.Equal(got, want) {
			t.Errorf("workers %d: first infinite rows %v, want %v", workers, got, want)
		}
	}
}

// TestPartitionStable checks the parallel partition (several row chunks)
// against a reference stable partition: left rows first, both sides in
// their original ascending order.
func TestPartitionStable(t *testing.T) {
	const n = 5*rowChunk + 123
	rng := rand.New(rand.NewPCG(7, 8))
	col := make([]uint8, n)
	for r := range col {
		col[r] = uint8(rng.IntN(256))
	}
	var left [4]uint64
	for b := 0; b < 256; b += 3 {
		left[b>>6] |= 1 << (b & 63)
	}
	var rows []int32
	for r := range n {
		if rng.IntN(10) < 9 {
			rows = append(rows, int32(r))
		}
	}
	var wantL, wantR []int32
	for _, r := range rows {
		if col[r]%3 == 0 {
			wantL = append(wantL, r)
		} else {
			wantR = append(wantR, r)
		}
	}
	// The column is feature 1; feature 0 is noise that must be ignored.
	cols := make([]uint8, 2*n)
	for r, b := range col {
		cols[r] = uint8(rng.Uint32())
		cols[n+r] = b
	}
	for _, workers := range []int{1, 2, 3} {
		g := &grower{cols: cols, n: n}
		got := slices.Clone(rows)
		nl := g.partition(got, make([]int32, len(got)), 1, &left, workers)
		if nl != len(wantL) || !slices.Equal(got[:nl], wantL) || !slices.Equal(got[nl:], wantR) {
			t.Errorf("workers %d: %d left rows (want %d), or order differs from a stable partition", workers, nl, len(wantL))
		}
	}
}

// TestSortFloats checks the radix sort against slices.Sort on values
// with duplicates, both zeros, subnormals, extremes and few distinct
// bytes, for sizes around its small-input cut-off.
func TestSortFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	special := []float64{0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 1, -1, 0.5}
	for _, n := range []int{0, 1, 255, 256, 257, 1000, 20000} {
		for kind := range 4 {
			vals := make([]float64, n)
			for i := range vals {
				switch kind {
				case 0:
					vals[i] = rng.NormFloat64() * 1e3
				case 1:
					vals[i] = float64(rng.IntN(10)) // few distinct values
				case 2:
					vals[i] = special[rng.IntN(len(special))]
				case 3:
					vals[i] = math.Float64frombits(rng.Uint64()&^(0x7ff<<52) | uint64(rng.IntN(0x7ff))<<52) // any finite bits
				}
			}
			want := slices.Clone(vals)
			slices.Sort(want)
			sortFloats(vals)
			for i := range vals {
				if vals[i] != want[i] {
					t.Fatalf("n=%d kind=%d: [%d] = %v, want %v", n, kind, i, vals[i], want[i])
				}
				if n >= 256 && i > 0 && vals[i] == 0 && vals[i-1] == 0 && math.Signbit(vals[i]) && !math.Signbit(vals[i-1]) {
					t.Fatalf("n=%d kind=%d: +0 before -0 at %d", n, kind, i)
				}
			}
		}
	}
}
