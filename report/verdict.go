package report

import (
	"fmt"
	"math"

	"leadscore/eval"
)

// Verdict statuses, from best to worst; insufficient means the data cannot
// tell.
const (
	StatusHealthy      = "healthy"
	StatusRecalibrate  = "recalibrate"
	StatusRetrain      = "retrain"
	StatusInsufficient = "insufficient"
)

// A Verdict is the plain-language conclusion of a report or a segment.
type Verdict struct {
	Status  string `json:"status"`  // one of the Status constants
	Summary string `json:"summary"` // one line for sales ops
	Reason  string `json:"reason"`  // the rule that decided, with its numbers
}

// Judge applies the verdict rules, in this order, to the metrics m of the
// closed deals of a period; prevAUC is the mean ROC AUC of the previous
// quarters (NaN if unknown):
//
//  1. fewer than minClosed won or fewer than minClosed lost deals:
//     insufficient ("not enough closed deals to judge");
//  2. AUC < MinAUC (0.60): retrain (the ranking barely beats chance);
//  3. prevAUC − AUC > MaxAUCDrop (0.03): retrain (rank has degraded);
//  4. |mean predicted − actual rate| / actual rate > MaxRelBias (20 %), or
//     ECE > MaxECE (0.05): recalibrate (ranking holds, probabilities are off);
//  5. otherwise healthy.
func Judge(m eval.Metrics, prevAUC float64, minClosed int) Verdict {
	won, lost := m.Positives, m.N-m.Positives
	was := ""
	if !math.IsNaN(prevAUC) {
		was = fmt.Sprintf(", was %.2f", prevAUC)
	}
	switch {
	case won < minClosed || lost < minClosed || math.IsNaN(m.AUC):
		return Verdict{StatusInsufficient,
			"not enough closed deals to judge",
			fmt.Sprintf("%d won and %d lost deals; the verdict needs at least %d of each", won, lost, minClosed)}
	case m.AUC < MinAUC:
		return Verdict{StatusRetrain,
			fmt.Sprintf("rank is too weak (AUC %.2f%s): retrain", m.AUC, was),
			fmt.Sprintf("ROC AUC %.3f is below %.2f: the score barely separates won from lost deals", m.AUC, MinAUC)}
	case !math.IsNaN(prevAUC) && prevAUC-m.AUC > MaxAUCDrop:
		return Verdict{StatusRetrain,
			fmt.Sprintf("rank has degraded (AUC %.2f%s): retrain", m.AUC, was),
			fmt.Sprintf("ROC AUC fell by %.3f against the previous quarters (%.3f → %.3f); the limit is %.2f", prevAUC-m.AUC, prevAUC, m.AUC, MaxAUCDrop)}
	}
	rel := (m.MeanPred - m.BaseRate) / m.BaseRate
	if math.Abs(rel) > MaxRelBias || m.ECE > MaxECE {
		dir := "high"
		if rel < 0 {
			dir = "low"
		}
		what := fmt.Sprintf("probabilities run %.0f %% %s", math.Abs(rel)*100, dir)
		if math.Abs(rel) <= MaxRelBias {
			what = fmt.Sprintf("probabilities are off by %.1f points on average (ECE)", m.ECE*100)
		}
		return Verdict{StatusRecalibrate,
			fmt.Sprintf("ranking holds (AUC %.2f%s); %s: recalibrate", m.AUC, was, what),
			fmt.Sprintf("mean predicted %s vs %s won (relative gap %s, limit %.0f %%); ECE %.3f (limit %.2f)",
				pct(m.MeanPred), pct(m.BaseRate), signedPct(rel), MaxRelBias*100, m.ECE, MaxECE)}
	}
	return Verdict{StatusHealthy,
		fmt.Sprintf("healthy: ranking holds (AUC %.2f%s) and probabilities match outcomes", m.AUC, was),
		fmt.Sprintf("mean predicted %s vs %s won (relative gap %s); ECE %.3f", pct(m.MeanPred), pct(m.BaseRate), signedPct(rel), m.ECE)}
}
