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
