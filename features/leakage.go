package features

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"leadscore/data"
)

// A LeakageWarning flags a feature that may carry the outcome itself: a
// model using it looks excellent offline and fails in production.
type LeakageWarning struct {
	Column string  // feature name
	Reason string  // why, with the numbers
	AUC    float64 // the single-feature AUC behind the warning (≥ 0.5), or 0
}

// Thresholds of the leakage guard.
const (
	leakAUC        = 0.95 // a single column this good is suspicious
	dominantAUC    = 0.80 // ... and so is one this good that
	dominantMargin = 0.05 // beats every other column by this much
	nullAgreement  = 0.90 // null pattern matching the label
)

// leakage runs the guard over the tree view m of the closed rows:
//
//   - a feature whose values alone rank won above lost with AUC > 0.95
//     (either direction; a categorical scores each level by its won rate);
//   - the best single feature when its AUC is ≥ 0.80 and ≥ 0.05 above every
//     other feature's (e.g. bank-marketing's call duration, 0.82 vs 0.75):
//     a lone dominant column is worth checking for post-outcome data;
//   - a feature whose null pattern matches the label: null for ≥ 90% of won
//     rows and non-null for ≥ 90% of lost rows, or the reverse;
//   - a timestamp column after the closed_at column (if the table has one)
//     or after the cut-off, for most rows.
func leakage(leads *data.Table, t *Transformer, m *Matrix, y []int8, closed []int) []LeakageWarning {
	var out []LeakageWarning
	type scored struct {
		j   int
		auc float64
	}
	var aucs []scored
	pairs := make([]scorePair, 0, len(closed))
	for j := range t.feats {
		f := &t.feats[j]
		var rate []float64
		if f.Kind == KindCategorical {
			rate = levelRates(m, j, len(f.Levels), y, closed)
		}
		pairs = pairs[:0]
		nullPos, nullNeg, pos, neg := 0, 0, 0, 0
		for _, i := range closed {
			v := m.X[i*m.Cols+j]
			if y[i] == 1 {
				pos++
			} else {
				neg++
			}
			if math.IsNaN(v) {
				if y[i] == 1 {
					nullPos++
				} else {
					nullNeg++
				}
				continue
			}
			if rate != nil {
				v = rate[int(v)]
			}
			pairs = append(pairs, scorePair{v, y[i] == 1})
		}
		if a, ok := auc(pairs); ok {
			a = math.Max(a, 1-a)
			aucs = append(aucs, scored{j, a})
			if a > leakAUC {
				out = append(out, LeakageWarning{Column: f.Name, AUC: a,
					Reason: fmt.Sprintf("alone separates won from lost almost perfectly (AUC %.3f): is it known before the cut-off?", a)})
			}
		}
		if nulls := nullPos + nullNeg; nulls > 0 && nulls < len(closed) && pos > 0 && neg > 0 {
			tpr, fpr := float64(nullPos)/float64(pos), float64(nullNeg)/float64(neg)
			a := 0.5 + (tpr-fpr)/2
			if (tpr >= nullAgreement && 1-fpr >= nullAgreement) || (1-tpr >= nullAgreement && fpr >= nullAgreement) {
				out = append(out, LeakageWarning{Column: f.Name, AUC: math.Max(a, 1-a),
					Reason: fmt.Sprintf("missing for %.1f%% of won and %.1f%% of lost rows: the null pattern matches the label", 100*tpr, 100*fpr)})
			}
		}
	}
	if len(aucs) >= 2 {
		slices.SortStableFunc(aucs, func(a, b scored) int { return cmp.Compare(b.auc, a.auc) })
		best, second := aucs[0], aucs[1]
		if best.auc <= leakAUC && best.auc >= dominantAUC && best.auc-second.auc >= dominantMargin {
			out = append(out, LeakageWarning{Column: t.feats[best.j].Name, AUC: best.auc,
				Reason: fmt.Sprintf("separates won from lost far better than any other column (AUC %.3f vs %.3f for %q): is it known before the cut-off?",
					best.auc, second.auc, t.feats[second.j].Name)})
		}
	}
	closedAt := leads.Col("closed_at")
	if closedAt != nil && closedAt.Type != data.Time {
		closedAt = nil
	}
	for j := range t.nattr {
		f := &t.feats[j]
		if f.Kind != KindTimestamp {
			continue
		}
		col := leads.Col(f.Source)
		afterClose, both, afterCut, present := 0, 0, 0, 0
		for _, i := range closed {
			if col.IsNull(i) {
				continue
			}
			present++
			if m.X[i*m.Cols+j] < 0 {
				afterCut++
			}
			if closedAt != nil && !closedAt.IsNull(i) {
				both++
				if col.Times[i] > closedAt.Times[i] {
					afterClose++
				}
			}
		}
		if both > 0 && 2*afterClose > both {
			out = append(out, LeakageWarning{Column: f.Name,
				Reason: fmt.Sprintf("after closed_at in %d of %d rows: recorded after the outcome", afterClose, both)})
		}
		if present > 0 && 2*afterCut > present {
			out = append(out, LeakageWarning{Column: f.Name,
				Reason: fmt.Sprintf("after the scoring cut-off in %d of %d rows: not known when the lead is scored", afterCut, present)})
		}
	}
	return out
}

// levelRates returns the won rate of each categorical code over the closed rows.
func levelRates(m *Matrix, j, k int, y []int8, closed []int) []float64 {
	won, n := make([]float64, k), make([]float64, k)
	for _, i := range closed {
		v := m.X[i*m.Cols+j]
		if math.IsNaN(v) {
			continue
		}
		n[int(v)]++
		won[int(v)] += float64(y[i])
	}
	for c := range won {
		if n[c] > 0 {
			won[c] /= n[c]
		}
	}
	return won
}

type scorePair struct {
	s   float64
	pos bool
}

// auc returns the area under the ROC curve of scores against labels, ties
// counting one half (the Mann–Whitney statistic). It sorts p. ok is false
// if either class is absent.
func auc(p []scorePair) (a float64, ok bool) {
	slices.SortFunc(p, func(a, b scorePair) int { return cmp.Compare(a.s, b.s) })
	var npos, nneg float64
	var rankSum float64
	for i := 0; i < len(p); {
		j := i
		var tiePos float64
		for j < len(p) && p[j].s == p[i].s {
			if p[j].pos {
				tiePos++
			}
			j++
		}
		rankSum += tiePos * (float64(i+j+1) / 2) // mean rank of the tie group
		npos += tiePos
		nneg += float64(j-i) - tiePos
		i = j
	}
	if npos == 0 || nneg == 0 {
		return 0, false
	}
	return (rankSum - npos*(npos+1)/2) / (npos * nneg), true
}
