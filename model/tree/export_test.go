package tree

// MarginRef exposes the reference walk to the external benchmarks.
func (f *Forest) MarginRef(x []float64) float64 { return f.marginRef(x) }

// MarginsRef exposes the reference batch scorer to the external benchmarks.
func (f *Forest) MarginsRef(dst, X []float64, rows int) { f.marginsRef(dst, X, rows) }
