package eval

import (
	"math"
	"slices"
)

// A Decile is one tenth of the rows ranked by descending score.
type Decile struct {
	Decile     int     `json:"decile"`      // 1 = highest scores
	N          int     `json:"n"`           // rows in the decile
	Positives  int     `json:"positives"`   // positives in the decile
	MinP       float64 `json:"min_p"`       // lowest score in the decile
	MaxP       float64 `json:"max_p"`       // highest score in the decile
	MeanP      float64 `json:"mean_p"`      // mean score in the decile
	Rate       float64 `json:"rate"`        // Positives / N
	Lift       float64 `json:"lift"`        // Rate / overall positive rate (NaN with no positives)
	CumCapture float64 `json:"cum_capture"` // share of all positives in deciles 1..Decile (NaN with no positives)
}

// Deciles splits the rows, stably sorted by descending score, into ten
// groups: decile d holds ranks [ceil((d−1)·N/10), ceil(d·N/10)), so decile 1
// is exactly the slice LiftAt(p, y, 0.1) uses. Empty deciles (only possible
// when N < 10) are left out; the others keep their number. It panics if
// len(p) != len(y).
func Deciles(p []float64, y []bool) []Decile {
	r := rank(p, y)
	n := len(r.items)
	base := float64(r.pos) / float64(n)
	var out []Decile
	cum := 0
	for d := 1; d <= 10; d++ {
		lo, hi := (n*(d-1)+9)/10, (n*d+9)/10
		if hi == lo {
			continue
		}
		g := r.items[lo:hi]
		dc := Decile{Decile: d, N: len(g), MaxP: g[0].p, MinP: g[len(g)-1].p}
		var sum float64
		for _, it := range g {
			sum += it.p
			if it.y {
				dc.Positives++
			}
		}
		cum += dc.Positives
		dc.MeanP = sum / float64(len(g))
		dc.Rate = float64(dc.Positives) / float64(len(g))
		dc.Lift = dc.Rate / base
		dc.CumCapture = math.NaN()
		if r.pos > 0 {
			dc.CumCapture = float64(cum) / float64(r.pos)
		} else {
			dc.Lift = math.NaN()
		}
		out = append(out, dc)
	}
	return out
}

// A Bin is one equal-width probability bin of a reliability diagram.
type Bin struct {
	Lo    float64 `json:"lo"`     // lower edge, inclusive
	Hi    float64 `json:"hi"`     // upper edge, exclusive (inclusive for the last bin)
	N     int     `json:"n"`      // rows whose p falls in [Lo, Hi)
	MeanP float64 `json:"mean_p"` // mean predicted probability in the bin
	Rate  float64 `json:"rate"`   // observed positive rate in the bin
}

// Reliability returns the non-empty bins of a reliability diagram with bins
// equal-width bins over [0, 1], in increasing order; it uses the same bins as
// ECE. Probabilities outside [0, 1] are counted in the first or last bin. It
// panics if len(p) != len(y) or bins < 1.
func Reliability(p []float64, y []bool, bins int) []Bin {
	checkLen(p, y)
	if bins < 1 {
		panic("eval: Reliability needs at least one bin")
	}
	all := reliability(p, y, bins)
	out := all[:0]
	for _, b := range all {
		if b.N > 0 {
			out = append(out, b)
		}
	}
	return out
}

// reliability returns all bins, empty ones included (MeanP and Rate 0).
func reliability(p []float64, y []bool, bins int) []Bin {
	out := make([]Bin, bins)
	pos := make([]int, bins)
	for i, v := range p {
		b := binOf(v, bins)
		out[b].N++
		out[b].MeanP += v
		if y[i] {
			pos[b]++
		}
	}
	for i := range out {
		out[i].Lo = float64(i) / float64(bins)
		out[i].Hi = float64(i+1) / float64(bins)
		if out[i].N > 0 {
			out[i].MeanP /= float64(out[i].N)
			out[i].Rate = float64(pos[i]) / float64(out[i].N)
		}
	}
	return out
}

// A GainPoint is one point of a cumulative gains curve.
type GainPoint struct {
	Contacted float64 `json:"contacted"` // share of leads contacted, highest scores first
	Captured  float64 `json:"captured"`  // share of all positives among them
}

// Gains returns points+1 points of the cumulative gains curve, from (0, 0) to
// (1, 1): point i contacts the ceil(i·N/points) highest-scored rows (stable
// sort by descending score). Captured is NaN if there are no positives. It
// panics if len(p) != len(y) or points < 1.
func Gains(p []float64, y []bool, points int) []GainPoint {
	if points < 1 {
		panic("eval: Gains needs at least one point")
	}
	r := rank(p, y)
	n := len(r.items)
	out := make([]GainPoint, points+1)
	tp, k := 0, 0
	for i := range out {
		end := (n*i + points - 1) / points
		for ; k < end; k++ {
			if r.items[k].y {
				tp++
			}
		}
		out[i].Contacted = float64(i) / float64(points)
		out[i].Captured = math.NaN()
		if r.pos > 0 {
			out[i].Captured = float64(tp) / float64(r.pos)
		}
	}
	return out
}

// PSIEpsilon replaces an empty bin's share in PSI, so that ln(a/e) is finite.
const PSIEpsilon = 1e-4

// PSI returns the population stability index of actual against expected:
// Σ (a_i − e_i) · ln(a_i / e_i) over bins, where e_i and a_i are the shares
// of expected and actual values in bin i. The bins are quantile bins of
// expected: the cut points are the values at ranks ceil(k·n/bins) of sorted
// expected, k = 1..bins−1, and bin i holds values in (cut_{i−1}, cut_i]
// (right-closed, like pandas.qcut); repeated cut points are merged, so heavy
// ties give fewer bins. A share of zero is replaced by PSIEpsilon (1e-4).
// Common reading: < 0.1 stable, 0.1–0.25 some shift, > 0.25 major shift.
// It is NaN if either slice is empty. It panics if bins < 1. NaN values are
// not allowed.
func PSI(expected, actual []float64, bins int) float64 {
	if bins < 1 {
		panic("eval: PSI needs at least one bin")
	}
	if len(expected) == 0 || len(actual) == 0 {
		return math.NaN()
	}
	s := slices.Clone(expected)
	slices.Sort(s)
	n := len(s)
	var cuts []float64
	for k := 1; k < bins; k++ {
		c := s[(k*n+bins-1)/bins-1]
		if len(cuts) == 0 || c > cuts[len(cuts)-1] {
			cuts = append(cuts, c)
		}
	}
	if len(cuts) > 0 && cuts[len(cuts)-1] >= s[n-1] {
		cuts = cuts[:len(cuts)-1] // a cut at the maximum would leave an empty last bin
	}
	share := func(v []float64) []float64 {
		c := make([]float64, len(cuts)+1)
		for _, x := range v {
			i, _ := slices.BinarySearch(cuts, x) // first cut >= x
			c[i]++
		}
		for i := range c {
			c[i] /= float64(len(v))
		}
		return c
	}
	e, a := share(expected), share(actual)
	var psi float64
	for i := range e {
		ei, ai := max(e[i], PSIEpsilon), max(a[i], PSIEpsilon)
		psi += (ai - ei) * math.Log(ai/ei)
	}
	return psi
}

// A ThresholdStat describes the rows scored at or above a threshold.
type ThresholdStat struct {
	Threshold    float64 `json:"threshold"`
	ShareAbove   float64 `json:"share_above"`   // share of rows with p >= Threshold
	RateAbove    float64 `json:"rate_above"`    // positive rate among them (NaN if none)
	CaptureAbove float64 `json:"capture_above"` // share of all positives among them (NaN if no positives)
}

// ThresholdStats returns the share, positive rate and capture of rows with
// p >= t ("above" includes the threshold). It panics if len(p) != len(y).
func ThresholdStats(p []float64, y []bool, t float64) ThresholdStat {
	checkLen(p, y)
	above, tpAbove, pos := 0, 0, 0
	for i, v := range p {
		if y[i] {
			pos++
		}
		if v >= t {
			above++
			if y[i] {
				tpAbove++
			}
		}
	}
	st := ThresholdStat{Threshold: t, RateAbove: math.NaN(), CaptureAbove: math.NaN()}
	st.ShareAbove = float64(above) / float64(len(p))
	if above > 0 {
		st.RateAbove = float64(tpAbove) / float64(above)
	}
	if pos > 0 {
		st.CaptureAbove = float64(tpAbove) / float64(pos)
	}
	return st
}

// ThresholdForRate returns the lowest threshold t, among the scores in p,
// such that the rows with p >= t convert at a rate of at least targetRate;
// lower thresholds reach more leads, so this is the widest selection that
// still meets the target. The rate above a threshold need not be monotone in
// the threshold; every distinct score is checked. ok is false (and t NaN) if
// no threshold qualifies, including when p is empty. It panics if
// len(p) != len(y).
func ThresholdForRate(p []float64, y []bool, targetRate float64) (t float64, ok bool) {
	r := rank(p, y)
	t = math.NaN()
	tp, n := 0, len(r.items)
	for i := 0; i < n; {
		j := i
		for ; j < n && sameScore(r.items[j].p, r.items[i].p); j++ {
			if r.items[j].y {
				tp++
			}
		}
		if s := r.items[i].p; !math.IsNaN(s) && float64(tp) >= targetRate*float64(j) {
			t, ok = s, true
		}
		i = j
	}
	return t, ok
}
