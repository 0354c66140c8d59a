package tree

// MarginRef exposes the reference walk to the external benchmarks.
func (f *Forest) MarginRef(x []float64) float64 { return f.marginRef(x) }

// MarginsRef exposes the reference batch scorer to the external benchmarks.
func (f *Forest) MarginsRef(dst, X []float64, rows int) { f.marginsRef(dst, X, rows) }

// CodeRow exposes the compact layout's per-row precode (part of every
// Margin) to the external benchmarks; it returns the number of slots.
func (f *Forest) CodeRow(codes []uint64, x []float64) int {
	f.cp.codeRow(codes, x)
	return f.cp.slots
}

// Legacy returns a copy of f, sharing its memory, that scores as the
// package did before the bit-sliced block layout and the grid index:
// Margins row by row on the compact layout, and row coding that ranks
// thresholds with rankIndex. It is the peer the benchmarks compare with
// in the same run.
func (f *Forest) Legacy() *Forest {
	g := *f
	g.bl = blockLayout{}
	g.cp.grid = make([]gridIndex, len(f.cp.grid))
	return &g
}
