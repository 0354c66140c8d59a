package features

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"leadscore/data"
)

// FitReport describes what Fit saw and decided.
type FitReport struct {
	Rows      int // rows passed
	Closed    int // rows with a won or lost label (the rows fitted on)
	Positives int // won rows
	// Features has one entry per Feature, in order.
	Features []FeatureReport
	// Leakage lists the columns that look like they leak the outcome.
	Leakage []LeakageWarning
}

// FeatureReport summarises one feature on the closed training rows.
type FeatureReport struct {
	Name         string
	MissingShare float64 // share of closed rows where the value is missing
	Kept, Pooled int     // categorical: levels kept, distinct levels pooled into "other"
	Lo, Hi       float64 // numeric and timestamp: clip bounds (before log1p)
}

// Fit fits spec on the rows of leads (and their events; events may be nil)
// and returns the Transformer.
//
// The caller passes the TRAINING rows only: every statistic (clip
// quantiles, vocabularies, means) comes from these rows, so passing test
// rows would leak them into the model. Of the rows passed, only closed ones
// (won or lost) are used; open rows are left out.
func Fit(ctx context.Context, spec *Spec, leads, events *data.Table) (*Transformer, *FitReport, error) {
	s := spec.clone()
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("fit: invalid spec:\n%w", err)
	}
	y, err := s.Labels(leads)
	if err != nil {
		return nil, nil, fmt.Errorf("fit: %w", err)
	}
	rep := &FitReport{Rows: leads.Rows}
	closed := make([]int, 0, len(y))
	for i, v := range y {
		if v >= 0 {
			closed = append(closed, i)
			rep.Positives += int(v)
		}
	}
	rep.Closed = len(closed)
	if len(closed) == 0 {
		return nil, nil, fmt.Errorf("fit: no closed (won or lost) rows among %d", leads.Rows)
	}
	// Resolve column kinds from the table.
	for i := range s.Columns {
		c := &s.Columns[i]
		if c.Role != RoleFeature || c.Kind != 0 {
			continue
		}
		col := leads.Col(c.Name)
		if col == nil {
			return nil, nil, fmt.Errorf("fit: %w", &data.ColumnError{File: "leads", Column: c.Name, Err: data.ErrMissingColumn})
		}
		switch col.Type {
		case data.Float:
			c.Kind = KindNumeric
		case data.String:
			c.Kind = KindCategorical
		case data.Bool:
			c.Kind = KindBoolean
		case data.Time:
			c.Kind = KindTimestamp
		}
	}
	s.setDefaults()
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("fit: invalid spec:\n%w", err)
	}
	t, err := newSkeleton(s)
	if err != nil {
		return nil, nil, fmt.Errorf("fit: %w", err)
	}
	rep.Features = make([]FeatureReport, len(t.feats))
	colSpec := map[string]*ColumnSpec{}
	for i := range s.Columns {
		colSpec[s.Columns[i].Name] = &s.Columns[i]
	}
	// Vocabularies.
	for j := range t.nattr {
		f := &t.feats[j]
		if f.Kind != KindCategorical {
			continue
		}
		cs := colSpec[f.Source]
		col := leads.Col(f.Source)
		if col == nil || col.Type != data.String {
			_, err := t.openTable(leads, nil) // reports the column problem
			return nil, nil, fmt.Errorf("fit: %w", err)
		}
		kept, pooled := fitLevels(col, closed, cs.MinCount, cs.MaxLevels)
		f.setLevels(kept, pooled)
		rep.Features[j].Kept, rep.Features[j].Pooled = len(kept), len(pooled)
	}
	// Pass 1: raw values (no clip, no log1p) for the quantiles.
	for j := range t.nattr {
		t.feats[j].log1p = false
	}
	m, err := t.TransformTable(ctx, leads, events)
	if err != nil {
		return nil, nil, fmt.Errorf("fit: %w", err)
	}
	vals := make([]float64, 0, len(closed))
	for j := range t.nattr {
		f := &t.feats[j]
		if f.Kind != KindNumeric && f.Kind != KindTimestamp {
			continue
		}
		cs := colSpec[f.Source]
		vals = column(m, j, closed, vals[:0], false)
		f.log1p = cs.Log1p && f.Kind == KindNumeric
		if len(vals) == 0 || len(cs.Clip) != 2 {
			continue
		}
		slices.Sort(vals)
		f.clip, f.lo, f.hi = true, quantile(vals, cs.Clip[0]), quantile(vals, cs.Clip[1])
		rep.Features[j].Lo, rep.Features[j].Hi = f.lo, f.hi
	}
	// Pass 2: the final tree view, for the linear-view statistics.
	if m, err = t.TransformTable(ctx, leads, events); err != nil {
		return nil, nil, fmt.Errorf("fit: %w", err)
	}
	for j := range t.feats {
		f := &t.feats[j]
		rep.Features[j].Name = f.Name
		vals = column(m, j, closed, vals[:0], f.linLog)
		missing := len(closed) - len(vals)
		rep.Features[j].MissingShare = float64(missing) / float64(len(closed))
		if f.Kind == KindCategorical {
			// A missing category is often informative (an unknown origin, a
			// skipped form field): the linear view gives it a column of its
			// own, as the trees give it a branch of its own.
			f.indicator = missing > 0
			continue
		}
		f.mean, f.std = meanStd(vals)
		f.indicator = missing > 0
		if cs := colSpec[f.Source]; !f.FromEvent && cs.MissingIndicator {
			f.indicator = true
		}
	}
	t.buildLinear()
	rep.Leakage = leakage(leads, t, m, y, closed)
	return t, rep, nil
}

// column appends the non-missing values of column j over rows (log1p'd if asked).
func column(m *Matrix, j int, rows []int, dst []float64, log bool) []float64 {
	for _, i := range rows {
		v := m.X[i*m.Cols+j]
		if math.IsNaN(v) {
			continue
		}
		if log {
			v = math.Log1p(v)
		}
		dst = append(dst, v)
	}
	return dst
}

// quantile returns the q-quantile of sorted, interpolating linearly between
// order statistics at position q·(n−1) (numpy's default, "type 7").
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	pos := q * float64(n-1)
	i := int(math.Floor(pos))
	if i >= n-1 {
		return sorted[n-1]
	}
	frac := pos - float64(i)
	if frac == 0 {
		return sorted[i]
	}
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

// meanStd returns the mean and population standard deviation of v; the
// standard deviation is 1 where it would be 0 or not finite.
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return 0, 1
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	std = math.Sqrt(ss / float64(len(v)))
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		mean = 0
	}
	if !(std > 0) || math.IsInf(std, 0) {
		std = 1
	}
	return mean, std
}

// fitLevels counts the levels of a String column over rows and keeps those
// seen at least minCount times, at most maxLevels of them, most frequent
// first with ties broken by name. It returns the kept levels in code order
// and the pooled ones sorted by name.
func fitLevels(col *data.Column, rows []int, minCount, maxLevels int) (kept, pooled []string) {
	counts := make([]int, len(col.Dict))
	for _, i := range rows {
		if c := col.Codes[i]; c >= 0 && !col.IsNull(i) {
			counts[c]++
		}
	}
	type lc struct {
		level string
		n     int
	}
	all := make([]lc, 0, len(col.Dict))
	for k, n := range counts {
		if n > 0 {
			all = append(all, lc{col.Dict[k], n})
		}
	}
	slices.SortFunc(all, func(a, b lc) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.level, b.level)
	})
	for _, x := range all {
		if x.n >= minCount && len(kept) < maxLevels {
			kept = append(kept, x.level)
		} else {
			pooled = append(pooled, x.level)
		}
	}
	slices.Sort(pooled)
	return kept, pooled
}
