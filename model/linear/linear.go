// Package linear is the compiled logistic-regression scorer: a margin
// (log-odds) is the intercept plus the dot product of coefficients and the
// feature vector built by package features.
//
//	margin(x) = Intercept + Σⱼ Coef[j]·x[j]
//	          = Base() + Σⱼ Coef[j]·(x[j] − Means[j])   (the "reasons" view)
//
// A Model is plain data, round-trips through encoding/json, and is checked
// by Validate when an artifact is loaded. Margin and Contributions allocate
// nothing and are safe for concurrent use.
package linear

import (
	"errors"
	"fmt"
	"math"
)

// A Model is a fitted linear scorer.
type Model struct {
	// Names are the input columns, in the order of x.
	Names []string `json:"names"`
	// Coef holds one coefficient per input column.
	Coef []float64 `json:"coef"`
	// Intercept is the margin of the all-zero input.
	Intercept float64 `json:"intercept"`
	// Means are the training means of the inputs, the reference point of
	// Contributions. Nil means all zero (a contribution is then Coef·x).
	Means []float64 `json:"means,omitempty"`
}

// Margin returns Intercept + Σ Coef[j]·x[j], summed in column order. It
// allocates nothing. It panics if len(x) != len(m.Coef): the caller (the
// feature transformer or predict's boundary) owns the vector's width.
func (m *Model) Margin(x []float64) float64 {
	if len(x) != len(m.Coef) {
		panic(fmt.Sprintf("linear: input has %d values, model has %d coefficients", len(x), len(m.Coef)))
	}
	s := m.Intercept
	for j, c := range m.Coef {
		s += c * x[j]
	}
	return s
}

// Base returns the margin of the mean input, Intercept + Σ Coef[j]·Means[j]:
// the value the contributions start from, so that
// Base() + Σ Contributions(x) = Margin(x) up to rounding.
func (m *Model) Base() float64 {
	s := m.Intercept
	for j, mu := range m.Means {
		s += m.Coef[j] * mu
	}
	return s
}

// Contributions writes Coef[j]·(x[j] − Means[j]) into dst[j]: how much input
// j moves this lead's margin away from the average lead's (Base). A positive
// contribution is a reason to score higher. It allocates nothing. It panics
// if len(x) or len(dst) differs from len(m.Coef).
func (m *Model) Contributions(x, dst []float64) {
	if len(x) != len(m.Coef) || len(dst) != len(m.Coef) {
		panic(fmt.Sprintf("linear: Contributions of %d values into %d, model has %d coefficients", len(x), len(dst), len(m.Coef)))
	}
	if m.Means == nil {
		for j, c := range m.Coef {
			dst[j] = c * x[j]
		}
		return
	}
	for j, c := range m.Coef {
		dst[j] = c * (x[j] - m.Means[j])
	}
}

// Validate reports every inconsistency: lengths of Names, Coef and Means
// that differ, empty or duplicate names, and non-finite numbers.
func (m *Model) Validate() error {
	if m == nil {
		return errors.New("linear model: missing")
	}
	var errs []error
	if len(m.Names) != len(m.Coef) {
		errs = append(errs, fmt.Errorf("%d names but %d coefficients", len(m.Names), len(m.Coef)))
	}
	if m.Means != nil && len(m.Means) != len(m.Coef) {
		errs = append(errs, fmt.Errorf("%d means but %d coefficients", len(m.Means), len(m.Coef)))
	}
	seen := make(map[string]int, len(m.Names))
	for j, n := range m.Names {
		if n == "" {
			errs = append(errs, fmt.Errorf("name %d is empty", j))
		} else if k, dup := seen[n]; dup {
			errs = append(errs, fmt.Errorf("name %q appears at %d and %d", n, k, j))
		}
		seen[n] = j
	}
	bad := func(what string, j int, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s %d (%s) = %v, want a finite number", what, j, m.name(j), v))
		}
	}
	for j, v := range m.Coef {
		bad("coefficient", j, v)
	}
	for j, v := range m.Means {
		bad("mean", j, v)
	}
	if math.IsNaN(m.Intercept) || math.IsInf(m.Intercept, 0) {
		errs = append(errs, fmt.Errorf("intercept = %v, want a finite number", m.Intercept))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("linear model: %w", err)
	}
	return nil
}

func (m *Model) name(j int) string {
	if j < len(m.Names) {
		return m.Names[j]
	}
	return "?"
}
