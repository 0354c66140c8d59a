package calib

import (
	"errors"
	"fmt"
	"math"
)

// ErrNotConverged is wrapped when Newton's method does not converge.
var ErrNotConverged = errors.New("calib: Newton iterations did not converge")

// ErrSeparable is wrapped when the margins separate the classes (every
// positive at or above every negative, or the reverse), so the unsmoothed
// maximum-likelihood slope is infinite. PlattConfig.SmoothTargets avoids it.
var ErrSeparable = errors.New("calib: the margins separate the classes")

// checkSeparation returns ErrSeparable if, among rows of positive weight,
// max(negative margins) <= min(positive margins) or the reverse.
func checkSeparation(margins []float64, y []bool, w []float64) error {
	minPos, maxPos := math.Inf(1), math.Inf(-1)
	minNeg, maxNeg := math.Inf(1), math.Inf(-1)
	for i, m := range margins {
		if weight(w, i) == 0 {
			continue
		}
		if y[i] {
			minPos, maxPos = min(minPos, m), max(maxPos, m)
		} else {
			minNeg, maxNeg = min(minNeg, m), max(maxNeg, m)
		}
	}
	if maxNeg <= minPos || maxPos <= minNeg {
		return fmt.Errorf("fit platt: %w (positives in [%v, %v], negatives in [%v, %v]); use SmoothTargets",
			ErrSeparable, minPos, maxPos, minNeg, maxNeg)
	}
	return nil
}

// PlattConfig configures FitPlatt. The zero value is ready to use.
type PlattConfig struct {
	// SmoothTargets replaces the 0/1 labels by Platt's targets
	// (N₊+1)/(N₊+2) for positives and 1/(N₋+2) for negatives (N counted
	// with weights), as in Platt (1999). It keeps the fit finite when the
	// margins separate the classes or one class is rare. Default false:
	// the plain maximum-likelihood fit.
	SmoothTargets bool
	// MaxIter bounds the Newton iterations. Default 100.
	MaxIter int
}

// FitPlatt fits p = σ(a·m + b) to margins and labels by maximum likelihood
// with PlattConfig{} (no target smoothing). See PlattConfig.Fit.
func FitPlatt(margins []float64, y []bool, w []float64) (*Calibrator, error) {
	return PlattConfig{}.Fit(margins, y, w)
}

// Fit fits Platt scaling, p = σ(a·m + b), minimising the weighted negative
// log-likelihood Σ wᵢ·[log(1+e^{zᵢ}) − tᵢ·zᵢ], zᵢ = a·mᵢ + b, by Newton's
// method with a backtracking line search (Lin, Lin and Weng, 2007). w may be
// nil (all 1). tᵢ is the label, or Platt's smoothed target when
// SmoothTargets is set.
//
// Without smoothing both classes must be present (with positive weight),
// otherwise the optimum is at infinity. A fitted slope a < 0 means the margin
// ranks leads backwards; that is returned as an error rather than as a
// decreasing calibrator. If the margins separate the classes the unsmoothed
// fit is refused with an error wrapping ErrSeparable.
func (cfg PlattConfig) Fit(margins []float64, y []bool, w []float64) (*Calibrator, error) {
	if err := checkInputs(margins, y, w); err != nil {
		return nil, fmt.Errorf("fit platt: %w", err)
	}
	maxIter := cfg.MaxIter
	if maxIter == 0 {
		maxIter = 100
	}
	var wpos, wneg float64
	for i, yi := range y {
		if yi {
			wpos += weight(w, i)
		} else {
			wneg += weight(w, i)
		}
	}
	hi, lo := 1.0, 0.0
	if cfg.SmoothTargets {
		hi, lo = (wpos+1)/(wpos+2), 1/(wneg+2)
	} else if wpos == 0 || wneg == 0 {
		return nil, fmt.Errorf("fit platt: need both classes, have positive weight %v and negative weight %v", wpos, wneg)
	}
	if !cfg.SmoothTargets {
		if err := checkSeparation(margins, y, w); err != nil {
			return nil, err
		}
	}
	target := func(i int) float64 {
		if y[i] {
			return hi
		}
		return lo
	}
	nll := func(a, b float64) float64 {
		var s float64
		for i, m := range margins {
			z := a*m + b
			s += weight(w, i) * (softplus(z) - target(i)*z)
		}
		return s
	}
	a, b := 0.0, math.Log((wpos+1)/(wneg+1))
	f := nll(a, b)
	total := wpos + wneg
	for it := 0; it < maxIter; it++ {
		var ga, gb, haa, hab, hbb float64
		for i, m := range margins {
			wi := weight(w, i)
			p := sigmoid(a*m + b)
			d := wi * (p - target(i))
			ga += d * m
			gb += d
			h := wi * p * (1 - p)
			haa += h * m * m
			hab += h * m
			hbb += h
		}
		if math.Abs(ga) <= 1e-12*total && math.Abs(gb) <= 1e-12*total {
			return plattResult(a, b)
		}
		// Newton direction, with a tiny ridge so a flat Hessian stays solvable.
		haa += 1e-12 * total
		hbb += 1e-12 * total
		det := haa*hbb - hab*hab
		da := -(hbb*ga - hab*gb) / det
		db := -(-hab*ga + haa*gb) / det
		if math.Abs(da) <= 1e-15*(1+math.Abs(a)) && math.Abs(db) <= 1e-15*(1+math.Abs(b)) {
			return plattResult(a, b) // the Newton step no longer moves the parameters
		}
		// Backtracking line search (Armijo). Near the optimum the decrease
		// falls below f's rounding, so a full step that does not raise f
		// beyond rounding noise is accepted too.
		dec := ga*da + gb*db // directional derivative, < 0
		accepted := false
		for step := 1.0; step >= 1e-10; step /= 2 {
			na, nb := a+step*da, b+step*db
			nf := nll(na, nb)
			if nf <= f+1e-4*step*dec || (step == 1 && nf <= f+1e-12*math.Abs(f)) {
				a, b, f = na, nb, nf
				accepted = true
				break
			}
		}
		if !accepted {
			return plattResult(a, b) // no further decrease possible in float64
		}
	}
	return nil, fmt.Errorf("fit platt: %w after %d iterations (a = %v, b = %v); the margins may separate the classes, try SmoothTargets", ErrNotConverged, maxIter, a, b)
}

func plattResult(a, b float64) (*Calibrator, error) {
	if a < 0 {
		return nil, fmt.Errorf("fit platt: slope %v < 0: the margin ranks leads backwards", a)
	}
	return &Calibrator{Kind: Platt, A: a, B: b}, nil
}

// softplus is log(1+e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
