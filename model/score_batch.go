package model

import leadscorev1 "leadscore/proto/leadscore/v1"

// ChampionMargins writes the champion's margins of the rows row-major
// tree-view vectors in X into dst with one Forest.Margins call (equal to
// Forest.Margin row by row, bit for bit, and cheaper per row) and reports
// true; it reports false, writing nothing, when the champion is not a
// forest (score such a scorer row by row with PredictVector). It panics (a
// caller bug) if len(dst) != rows or len(X) != rows × the tree-view width.
func (s *Scorer) ChampionMargins(dst, X []float64, rows int) bool {
	if s.Champion.Forest == nil {
		return false
	}
	s.Champion.Forest.Margins(dst, X, rows)
	return true
}

// PredictMargin is PredictVector without reasons for a lead whose tree
// view is x and whose champion margin is already known (from
// ChampionMargins): the same calibration, score, stage, thresholds version
// and sub-scores, so the answer equals PredictVector's bit for bit.
func (s *Scorer) PredictMargin(x []float64, sc *Scratch, margin float64, out *leadscorev1.Prediction) {
	s.Transformer.ToLinear(x, sc.lin)
	s.finish(margin, sc, out)
}
