package features

import (
	"fmt"
	"math"
)

// LinearWidth returns the length of the linear view.
func (t *Transformer) LinearWidth() int { return len(t.lin) }

// LinearNames returns the names of the linear-view columns: the feature
// name for a standardised value, "name.missing" for a missing indicator and
// "name=level" for a one-hot column. The caller may not modify the result.
func (t *Transformer) LinearNames() []string { return t.linNames }

// LinearSource returns the index (into Features) of the feature that linear
// column j comes from. It panics if j is out of range.
func (t *Transformer) LinearSource(j int) int { return t.lin[j].src }

// ToLinear maps a tree-view vector x to the linear view in dst:
//
//   - numeric, timestamp, boolean and days_since_last features become
//     (x − mean)/std with the training mean and standard deviation, and 0
//     (the mean) when missing; a following 0/1 column marks missing values
//     when the spec asks for it or the training rows had missing values;
//   - count_window and decayed_count become (log1p(x) − mean)/std likewise;
//   - a categorical feature becomes one 0/1 column per level (other and
//     unseen included); missing is all zeros, plus a 1 in a following
//     "name.missing" column when the training rows had missing values.
//
// Every output is finite. It panics if len(x) != Width() or
// len(dst) != LinearWidth().
func (t *Transformer) ToLinear(x, dst []float64) {
	if len(x) != len(t.feats) || len(dst) != len(t.lin) {
		panic(fmt.Sprintf("features: ToLinear: x has length %d, dst %d; want %d and %d", len(x), len(dst), len(t.feats), len(t.lin)))
	}
	for j := range t.feats {
		f := &t.feats[j]
		v := x[j]
		k := f.linStart
		if f.Kind == KindCategorical {
			n := len(f.Levels)
			clear(dst[k : k+n])
			if v >= 0 && v < float64(n) && v == math.Trunc(v) {
				dst[k+int(v)] = 1
			}
			if f.indicator {
				dst[k+n] = 0
				if math.IsNaN(v) {
					dst[k+n] = 1
				}
			}
			continue
		}
		if f.linLog {
			v = math.Log1p(v)
		}
		z := (v - f.mean) / f.std
		missing := z-z != 0 // NaN or ±Inf, in one test
		if missing {
			z = 0
		}
		dst[k] = z
		if f.indicator {
			dst[k+1] = 0
			if missing {
				dst[k+1] = 1
			}
		}
	}
}
