// STATUS: complete. The API below is stable for the quarterly report; see
// the examples and tests for exact definitions.

// Package eval computes the metrics that training and the quarterly report
// share: ranking (ROC AUC, PR AUC, lift, gains, deciles), probability quality
// (log loss, Brier, ECE, reliability bins) and drift (PSI).
//
// Labels are []bool (true = won) and scores are []float64, index-aligned:
//
//	p := []float64{0.9, 0.8, 0.3, 0.1}
//	y := []bool{true, false, true, false}
//	eval.ROCAUC(p, y) // 0.75
//	eval.Compute(p, y) // every headline metric at once, from one sort
//
// The definitions follow /work/shared/baselines.md ("Protocol"), so numbers
// from this package compare directly with the scikit-learn and xgboost peers:
//
//   - ROC AUC ties are counted as one half (average rank), like
//     sklearn.metrics.roc_auc_score.
//   - PR AUC is average precision, like sklearn.metrics.average_precision_score.
//   - ECE uses equal-width probability bins and weighs each bin by its share
//     of rows.
//   - Lift and capture at a fraction use the ceil(frac·N) highest-scored rows
//     after a stable sort by descending score, so tied scores keep input order.
//
// Every function that takes scores and labels panics with a message starting
// "eval: " if their lengths differ: that is a caller bug, never bad data.
// Metrics that are undefined for the input (AUC with one class absent, any
// rate over zero rows) are NaN. Metrics encodes NaN as JSON null and decodes
// null as NaN; the other result types (Decile, GainPoint, ThresholdStat) use
// plain tags, and encoding/json refuses NaN, so check with math.IsNaN before
// marshalling them from a degenerate slice.
//
// NaN scores are ranked below every other score; they make LogLoss, Brier,
// ECE and MeanPred NaN. Callers should not pass them.
package eval
