package logistic

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"leadscore/model/linear"
)

// DefaultL2Grid returns the grid ChooseL2 uses when none is given for n
// training rows: {0.01, 0.1, 1, 10, 100} × n/1000 (at least 1 row). Scaling
// with n keeps the per-row penalty L2/n on the fixed range 1e-5 … 0.1,
// because the objective sums the losses (see the package doc); for 1000 rows
// the grid is sklearn's C ∈ {100, 10, 1, 0.1, 0.01}.
func DefaultL2Grid(n int) []float64 {
	s := float64(max(n, 1)) / 1000
	return []float64{0.01 * s, 0.1 * s, 1 * s, 10 * s, 100 * s}
}

// A GridPoint is one fit of ChooseL2.
type GridPoint struct {
	L2           float64       `json:"l2"`
	ValidLogLoss float64       `json:"valid_logloss"`
	Model        *linear.Model `json:"-"`
	Result       *Result       `json:"result"`
}

// ChooseL2 fits one model per L2 in grid (DefaultL2Grid(rows of Xtrain) if
// grid is nil) on the training rows and returns the L2 whose model has the
// lowest unweighted mean log loss on the validation rows (yvalid in [0, 1];
// probabilities clipped to [1e-15, 1−1e-15] as in eval.LogLoss), with every
// fit in increasing L2 order. cfg.L2 is ignored.
//
// The fits run from the largest L2 down, each warm-started from the previous
// solution, so the whole path costs little more than one unpenalised fit.
// Ties go to the larger L2 (the simpler model).
func ChooseL2(ctx context.Context, Xtrain *mat.Dense, ytrain, wtrain []float64, Xvalid *mat.Dense, yvalid []float64, grid []float64, cfg Config) (float64, []GridPoint, error) {
	if grid == nil {
		n, _ := Xtrain.Dims()
		grid = DefaultL2Grid(n)
	}
	if len(grid) == 0 {
		return 0, nil, fmt.Errorf("choose L2: empty grid")
	}
	if Xvalid == nil {
		return 0, nil, fmt.Errorf("choose L2: no validation data")
	}
	nv, dv := Xvalid.Dims()
	_, dt := Xtrain.Dims()
	if dv != dt || nv != len(yvalid) || nv == 0 {
		return 0, nil, fmt.Errorf("choose L2: validation has %d×%d inputs and %d targets, training has %d columns", nv, dv, len(yvalid), dt)
	}
	for i, v := range yvalid {
		if !(v >= 0 && v <= 1) {
			return 0, nil, fmt.Errorf("choose L2: validation row %d: target %v, want a value in [0, 1]", i, v)
		}
	}
	order := slices.Clone(grid)
	slices.SortFunc(order, func(a, b float64) int { return -cmpFloat(a, b) })
	var (
		path []GridPoint
		init []float64
	)
	for _, l2 := range order {
		c := cfg
		c.L2 = l2
		m, res, err := fit(ctx, Xtrain, ytrain, wtrain, c, init)
		if err != nil {
			return 0, nil, fmt.Errorf("choose L2: L2 %v: %w", l2, err)
		}
		init = append([]float64{m.Intercept}, m.Coef...)
		path = append(path, GridPoint{L2: l2, ValidLogLoss: validLogLoss(m, Xvalid, yvalid), Model: m, Result: res})
	}
	best := path[0] // largest L2 first, so strict < keeps ties on the larger
	for _, p := range path[1:] {
		if p.ValidLogLoss < best.ValidLogLoss {
			best = p
		}
	}
	slices.Reverse(path)
	return best.L2, path, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func validLogLoss(m *linear.Model, X *mat.Dense, y []float64) float64 {
	n, _ := X.Dims()
	var s float64
	for i := range n {
		z := m.Intercept + floats.Dot(m.Coef, X.RawRowView(i))
		p := 1 / (1 + math.Exp(-z))
		p = min(max(p, 1e-15), 1-1e-15)
		s -= y[i]*math.Log(p) + (1-y[i])*math.Log1p(-p)
	}
	return s / float64(n)
}
