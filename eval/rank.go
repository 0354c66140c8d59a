package eval

import (
	"cmp"
	"math"
	"slices"
)

// item is one scored row; idx is its input position, used to make the sort
// stable (equal scores keep input order).
type item struct {
	p   float64
	idx int32
	y   bool
}

// ranked holds rows sorted by descending score (stable) and the class counts.
type ranked struct {
	items []item
	pos   int // number of positives
}

func checkLen(p []float64, y []bool) {
	if len(p) != len(y) {
		panic("eval: scores and labels differ in length")
	}
	if int64(len(p)) > math.MaxInt32 {
		panic("eval: more than 2^31-1 rows")
	}
}

// rank sorts the rows once by descending score; ties keep input order, which
// is what a stable sort gives. NaN scores sort last.
func rank(p []float64, y []bool) ranked {
	checkLen(p, y)
	items := make([]item, len(p))
	pos := 0
	for i, v := range p {
		items[i] = item{p: v, idx: int32(i), y: y[i]}
		if y[i] {
			pos++
		}
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := cmp.Compare(b.p, a.p); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	return ranked{items: items, pos: pos}
}

// sameScore reports whether a and b are tied (NaN ties with NaN).
func sameScore(a, b float64) bool {
	return a == b || (a != a && b != b)
}

// auc computes ROC AUC from the sorted rows: for each group of tied scores,
// every positive in it beats the negatives below the group and ties half of
// the negatives inside it.
func (r ranked) auc() float64 {
	n := len(r.items)
	neg := n - r.pos
	if r.pos == 0 || neg == 0 {
		return math.NaN()
	}
	var twice int64 // 2 × (wins + ties/2), exact
	negSeen := 0
	for i := 0; i < n; {
		j, gp, gn := i, 0, 0
		for ; j < n && sameScore(r.items[j].p, r.items[i].p); j++ {
			if r.items[j].y {
				gp++
			} else {
				gn++
			}
		}
		negBelow := neg - negSeen - gn
		twice += 2*int64(gp)*int64(negBelow) + int64(gp)*int64(gn)
		negSeen += gn
		i = j
	}
	return float64(twice) / (2 * float64(r.pos) * float64(neg))
}

// ap computes average precision: the sum over distinct score thresholds,
// from the highest down, of (recall gain) × (precision at that threshold).
func (r ranked) ap() float64 {
	if r.pos == 0 {
		return math.NaN()
	}
	n := len(r.items)
	var sum float64
	tp, seen := 0, 0
	for i := 0; i < n; {
		j, gp := i, 0
		for ; j < n && sameScore(r.items[j].p, r.items[i].p); j++ {
			if r.items[j].y {
				gp++
			}
		}
		seen += j - i
		tp += gp
		if gp > 0 {
			sum += float64(gp) / float64(r.pos) * float64(tp) / float64(seen)
		}
		i = j
	}
	return sum
}

// topK is the number of rows in the top frac of n: ceil(frac·n), where a
// product within 1e-9 of an integer counts as that integer, so that
// 0.1 × 30 is 3 rows and not 4 (floating-point 0.1·30 is 3.0000000000000004).
func topK(frac float64, n int) int {
	x := frac * float64(n)
	k := int(math.Ceil(x))
	if r := math.Round(x); math.Abs(x-r) <= 1e-9*math.Max(1, r) {
		k = int(r)
	}
	return min(max(k, min(n, 1)), n)
}

// lift returns lift and capture in the top k rows.
func (r ranked) lift(k int) (lift, capture float64) {
	n := len(r.items)
	if n == 0 || r.pos == 0 || k == 0 {
		return math.NaN(), math.NaN()
	}
	tp := 0
	for _, it := range r.items[:k] {
		if it.y {
			tp++
		}
	}
	rate := float64(tp) / float64(k)
	base := float64(r.pos) / float64(n)
	return rate / base, float64(tp) / float64(r.pos)
}
