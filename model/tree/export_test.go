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
// package did before the bit-sliced block layout, the grid index and the
// assembly of Margin: Margins row by row on the compact layout, row
// coding that ranks thresholds with rankIndex and codes the chunks in
// Go, and the groups walked by walkTrees. It is the peer the benchmarks
// compare with in the same run.
func (f *Forest) Legacy() *Forest {
	g := f.Scalar()
	g.bl = blockLayout{}
	g.cp.grid = make([]gridIndex, len(f.cp.grid))
	return g
}

// Scalar returns a copy of f, sharing its memory, whose Margin uses
// none of the assembly kernels (walkRunAsm, chunkCodesAVX512,
// gridRanksRowAVX512): Margin as built with the purego tag.
func (f *Forest) Scalar() *Forest {
	g := *f
	g.cp.asm, g.cp.vecCode, g.cp.vecRank = false, false, false
	return &g
}
