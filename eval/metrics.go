package eval

import "math"

// ROCAUC returns the area under the ROC curve of scores p for labels y: the
// probability that a random positive scores above a random negative, with
// ties counted as one half (the average-rank, Mann–Whitney definition used by
// sklearn.metrics.roc_auc_score). It is NaN if either class is absent.
// It sorts once: O(n log n). It panics if len(p) != len(y).
func ROCAUC(p []float64, y []bool) float64 {
	return rank(p, y).auc()
}

// PRAUC returns the area under the precision–recall curve as average
// precision, sklearn.metrics.average_precision_score's definition:
// Σ (R_k − R_{k−1}) · P_k over distinct score thresholds from the highest
// down, with tied scores entering together. It is NaN if there are no
// positives. It panics if len(p) != len(y).
func PRAUC(p []float64, y []bool) float64 {
	return rank(p, y).ap()
}

// LogLossEps is the clipping bound LogLoss applies to probabilities.
const LogLossEps = 1e-15

// LogLoss returns the mean negative log-likelihood of probabilities p,
// −mean(y·ln p + (1−y)·ln(1−p)), with p clipped to [1e-15, 1−1e-15] so that a
// confident mistake costs about 34.5 and never +Inf. It is NaN for no rows.
// It panics if len(p) != len(y).
func LogLoss(p []float64, y []bool) float64 {
	checkLen(p, y)
	var s float64
	for i, v := range p {
		v = min(max(v, LogLossEps), 1-LogLossEps)
		if y[i] {
			s -= math.Log(v)
		} else {
			s -= math.Log1p(-v)
		}
	}
	return s / float64(len(p))
}

// Brier returns the mean squared difference between p and the 0/1 label.
// It is NaN for no rows. It panics if len(p) != len(y).
func Brier(p []float64, y []bool) float64 {
	checkLen(p, y)
	var s float64
	for i, v := range p {
		d := v
		if y[i] {
			d = v - 1
		}
		s += d * d
	}
	return s / float64(len(p))
}

// binOf returns the equal-width bin of probability v among bins bins over
// [0, 1]: bin i covers [i/bins, (i+1)/bins), and the last bin also holds 1.
// Values below 0 or above 1 go to the first or last bin.
func binOf(v float64, bins int) int {
	b := int(v * float64(bins))
	return min(max(b, 0), bins-1)
}

// ECE returns the expected calibration error with bins equal-width bins over
// [0, 1] (bin i is [i/bins, (i+1)/bins), the last bin includes 1): the sum
// over non-empty bins of (share of rows in the bin) × |mean p − positive rate|.
// baselines.md uses bins = 10. It is NaN for no rows. It panics if
// len(p) != len(y) or bins < 1.
func ECE(p []float64, y []bool, bins int) float64 {
	checkLen(p, y)
	if bins < 1 {
		panic("eval: ECE needs at least one bin")
	}
	if len(p) == 0 {
		return math.NaN()
	}
	var e float64
	for _, b := range reliability(p, y, bins) {
		if b.N > 0 {
			e += float64(b.N) / float64(len(p)) * math.Abs(b.MeanP-b.Rate)
		}
	}
	return e
}

// LiftAt returns the lift and capture of the top frac of rows by score.
// The slice is the ceil(frac·N) highest-scored rows after a stable sort by
// descending score (ties keep input order; a product within 1e-9 of an
// integer counts as that integer). Lift is the positive rate in the slice
// divided by the overall positive rate; capture is the share of all positives
// that fall in the slice. Both are NaN if there are no rows or no positives.
// It panics if len(p) != len(y) or frac is not in (0, 1].
func LiftAt(p []float64, y []bool, frac float64) (lift, capture float64) {
	if !(frac > 0 && frac <= 1) {
		panic("eval: LiftAt fraction must be in (0, 1]")
	}
	r := rank(p, y)
	return r.lift(topK(frac, len(p)))
}

// Metrics are the headline numbers of one scored set, as in the baselines.md
// results table. In JSON (see MarshalJSON) an undefined metric is null.
type Metrics struct {
	N         int     `json:"n"`         // rows
	Positives int     `json:"positives"` // rows with y true
	BaseRate  float64 `json:"base_rate"` // Positives / N
	AUC       float64 `json:"auc"`       // ROCAUC
	PRAUC     float64 `json:"pr_auc"`    // PRAUC (average precision)
	LogLoss   float64 `json:"logloss"`   // LogLoss
	Brier     float64 `json:"brier"`     // Brier
	ECE       float64 `json:"ece"`       // ECE with 10 bins
	Lift10    float64 `json:"lift10"`    // lift in the top 10 %
	Capture10 float64 `json:"capture10"` // capture in the top 10 %
	MeanPred  float64 `json:"mean_pred"` // mean of p
}

// Compute returns every metric in Metrics for probabilities p and labels y,
// sorting once. Undefined metrics are NaN (see the package doc); they encode
// as JSON null. It panics if len(p) != len(y).
func Compute(p []float64, y []bool) Metrics {
	r := rank(p, y)
	n := len(p)
	m := Metrics{N: n, Positives: r.pos}
	var sum float64
	for _, v := range p {
		sum += v
	}
	m.BaseRate = float64(r.pos) / float64(n)
	m.MeanPred = sum / float64(n)
	m.AUC = r.auc()
	m.PRAUC = r.ap()
	m.LogLoss = LogLoss(p, y)
	m.Brier = Brier(p, y)
	if n > 0 {
		m.ECE = ECE(p, y, 10)
	} else {
		m.ECE = math.NaN()
	}
	m.Lift10, m.Capture10 = r.lift(topK(0.1, n))
	return m
}
