package rules

import (
	"fmt"
	"math"
	"sort"
)

// MaxCalPoints bounds the knots FitCalibration returns.
const MaxCalPoints = 200

// FitCalibration fits the points → probability map on history: isotonic
// regression (pool adjacent violators) of won on scores, with tied scores
// pooled. Each pooled block becomes a knot at its mean score and its win
// rate; probabilities are clamped to [0.5/(n+1), 1-0.5/(n+1)] so that no
// lead is ever certain, and adjacent blocks are merged (by weighted mean,
// which keeps the map monotone) until at most MaxCalPoints knots remain.
// Store the result in Model.Calibration. It returns an error for empty or
// non-finite input and panics if the lengths differ.
func FitCalibration(scores []float64, won []bool) ([]CalPoint, error) {
	if len(scores) != len(won) {
		panic("rules: FitCalibration: scores and labels differ in length")
	}
	if len(scores) == 0 {
		return nil, fmt.Errorf("rules: fit calibration: no rows")
	}
	idx := make([]int, len(scores))
	for i, s := range scores {
		if !finite(s) {
			return nil, fmt.Errorf("rules: fit calibration: row %d: score %v is not finite", i, s)
		}
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })

	type block struct{ sumX, wins, n float64 }
	var bs []block
	for k := 0; k < len(idx); {
		// One block per distinct score.
		b := block{}
		s := scores[idx[k]]
		for ; k < len(idx) && scores[idx[k]] == s; k++ {
			b.sumX += s
			b.n++
			if won[idx[k]] {
				b.wins++
			}
		}
		bs = append(bs, b)
		// Pool while the last two violate monotonicity.
		for len(bs) > 1 {
			p, q := bs[len(bs)-2], bs[len(bs)-1]
			if p.wins/p.n <= q.wins/q.n {
				break
			}
			bs = append(bs[:len(bs)-2], block{p.sumX + q.sumX, p.wins + q.wins, p.n + q.n})
		}
	}
	// Merge adjacent pairs of the smallest combined size until few enough.
	for len(bs) > MaxCalPoints {
		best := 0
		for i := 1; i+1 < len(bs); i++ {
			if bs[i].n+bs[i+1].n < bs[best].n+bs[best+1].n {
				best = i
			}
		}
		p, q := bs[best], bs[best+1]
		bs = append(bs[:best+1], bs[best+2:]...)
		bs[best] = block{p.sumX + q.sumX, p.wins + q.wins, p.n + q.n}
	}
	eps := 0.5 / float64(len(scores)+1)
	out := make([]CalPoint, 0, len(bs))
	for _, b := range bs {
		p := math.Max(eps, math.Min(1-eps, b.wins/b.n))
		x := b.sumX / b.n
		if n := len(out); n > 0 && !(x > out[n-1].Points) {
			// Rounding of the mean can tie two knots; keep the later rate.
			out[n-1].Probability = math.Max(out[n-1].Probability, p)
			continue
		}
		out = append(out, CalPoint{Points: x, Probability: p})
	}
	return out, nil
}
