package calib

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// FitIsotonic fits a non-decreasing map from margin to probability by the
// pool-adjacent-violators algorithm, in O(n log n) (one sort). w may be nil
// (all 1); rows with weight 0 are ignored. Rows with equal margins are pooled
// first, as in scikit-learn's IsotonicRegression.
//
// Each final block becomes one knot: X is the block's weighted mean margin
// (its centre) and Y its weighted positive rate. Apply interpolates linearly
// between knots and clamps outside them. Adjacent blocks always differ in Y,
// so the table has no redundant knots.
func FitIsotonic(margins []float64, y []bool, w []float64) (*Calibrator, error) {
	if err := checkInputs(margins, y, w); err != nil {
		return nil, fmt.Errorf("fit isotonic: %w", err)
	}
	idx := make([]int, 0, len(margins))
	for i := range margins {
		if weight(w, i) > 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("fit isotonic: all %d weights are 0", len(margins))
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(margins[a], margins[b]) })

	// A block is a run of rows pooled together.
	type block struct {
		w, wm, wy float64 // Σw, Σw·m, Σw·y
		lo, hi    float64 // smallest and largest margin in the block
	}
	var st []block
	for k := 0; k < len(idx); {
		// Pool rows with equal margins.
		m := margins[idx[k]]
		b := block{lo: m, hi: m}
		for ; k < len(idx) && margins[idx[k]] == m; k++ {
			i := idx[k]
			wi := weight(w, i)
			b.w += wi
			b.wm += wi * m
			if y[i] {
				b.wy += wi
			}
		}
		// Merge while the previous block's rate is not below this one's.
		for len(st) > 0 && st[len(st)-1].wy*b.w >= b.wy*st[len(st)-1].w {
			p := st[len(st)-1]
			st = st[:len(st)-1]
			b = block{w: p.w + b.w, wm: p.wm + b.wm, wy: p.wy + b.wy, lo: p.lo, hi: b.hi}
		}
		st = append(st, b)
	}
	c := &Calibrator{Kind: Isotonic, A: 1, X: make([]float64, len(st)), Y: make([]float64, len(st))}
	for i, b := range st {
		// Clamping the centre into [lo, hi] keeps X strictly increasing even
		// when rounding nudges a mean past the block's edge.
		c.X[i] = min(max(b.wm/b.w, b.lo), b.hi)
		c.Y[i] = min(max(b.wy/b.w, 0), 1)
	}
	return c, nil
}

// RefitIntercept returns a copy of c whose intercept is refitted on the
// newest labelled period (margins, y), keeping the slope: use it when the
// base rate has moved since training (baselines.md: bank marketing out of
// time) and the ranking is still good. c is not modified.
//
//   - platt: a is kept and b is refitted by maximum likelihood.
//   - identity: becomes platt with a = 1 and b refitted.
//   - isotonic: every knot is shifted by the same δ on the log-odds scale,
//     Y'ₖ = σ(logit(Yₖ) + δ), with δ fitted by maximum likelihood on the
//     table's current outputs; because Apply interpolates linearly in
//     probability, the refitted mean matches the period's positive rate
//     closely but not exactly.
//
// Both classes must be present, otherwise the intercept runs to ±∞.
func RefitIntercept(c *Calibrator, margins []float64, y []bool) (*Calibrator, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("refit intercept: %w", err)
	}
	if err := checkInputs(margins, y, nil); err != nil {
		return nil, fmt.Errorf("refit intercept: %w", err)
	}
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	if pos == 0 || pos == len(y) {
		return nil, fmt.Errorf("refit intercept: need both classes, have %d positives of %d rows", pos, len(y))
	}
	// offsets are the fixed parts of the log-odds; the intercept δ is added.
	off := make([]float64, len(margins))
	var out *Calibrator
	switch c.Kind {
	case Identity, Platt:
		a := 1.0
		if c.Kind == Platt {
			a = c.A
		}
		for i, m := range margins {
			off[i] = a * m
		}
		out = &Calibrator{Kind: Platt, A: a}
	case Isotonic:
		for i, m := range margins {
			off[i] = logit(c.Apply(m))
		}
		out = &Calibrator{Kind: Isotonic, A: c.A, X: slices.Clone(c.X), Y: make([]float64, len(c.Y))}
	}
	d, err := fitOffset(off, y)
	if err != nil {
		return nil, fmt.Errorf("refit intercept: %w", err)
	}
	switch out.Kind {
	case Platt:
		out.B = d
	case Isotonic:
		for i, v := range c.Y {
			out.Y[i] = sigmoid(logit(clip(v)) + d)
		}
	}
	return out, nil
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// fitOffset solves Σ σ(offᵢ + d) = Σ yᵢ for d by safeguarded Newton's method
// (the score is monotone in d, so bisection backs up Newton).
func fitOffset(off []float64, y []bool) (float64, error) {
	var target float64
	for _, v := range y {
		if v {
			target++
		}
	}
	score := func(d float64) (g, h float64) {
		for _, o := range off {
			p := sigmoid(o + d)
			g += p
			h += p * (1 - p)
		}
		return g - target, h
	}
	lo, hi := -50.0, 50.0
	d := 0.0
	for it := 0; it < 200; it++ {
		g, h := score(d)
		if math.Abs(g) <= 1e-12*float64(len(off)) {
			return d, nil
		}
		if g > 0 {
			hi = d
		} else {
			lo = d
		}
		next := d - g/h
		if h == 0 || !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if next == d {
			return d, nil
		}
		d = next
	}
	g, _ := score(d)
	if math.Abs(g) <= 1e-9*float64(len(off)) {
		return d, nil
	}
	return 0, fmt.Errorf("%w: intercept shift stuck at %v (score %v)", ErrNotConverged, d, g)
}
