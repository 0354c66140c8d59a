package model

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"leadscore/features"
	"leadscore/model/linear"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Margin returns the predictor's log-odds for a lead whose tree view is x
// and linear view is lin (only the view the algorithm uses is read).
func (p *Predictor) Margin(x, lin []float64) float64 {
	if p.Forest != nil {
		return p.Forest.Margin(x)
	}
	return p.Linear.Margin(lin)
}

// Probability returns the calibrated probability for margin m.
func (p *Predictor) Probability(m float64) float64 { return p.Calibrator.Apply(m) }

// Score maps a probability to the 0–100 score: round(100 p).
func Score(p float64) int32 { return int32(math.Round(100 * p)) }

// Stage maps a probability to a lifecycle stage.
func (t Thresholds) Stage(p float64) leadscorev1.Stage {
	switch {
	case p < t.Disqualify:
		return leadscorev1.Stage_STAGE_DISQUALIFIED
	case p < t.MQL:
		return leadscorev1.Stage_STAGE_NURTURE
	case p < t.SQL:
		return leadscorev1.Stage_STAGE_MQL
	default:
		return leadscorev1.Stage_STAGE_SQL
	}
}

// Proto returns the thresholds as the API message.
func (t Thresholds) Proto() *leadscorev1.Thresholds {
	return &leadscorev1.Thresholds{Version: t.Version, Disqualify: t.Disqualify, Mql: t.MQL, Sql: t.SQL}
}

// AxisParts returns the fit and engagement parts of a logistic margin:
// Σ coef_j (lin_j − mean_j) over the linear columns of each axis.
func AxisParts(lr *linear.Model, ax []Axis, lin []float64) (fit, eng float64) {
	for j, c := range lr.Coef {
		v := c * (lin[j] - lr.Means[j])
		switch ax[j] {
		case AxisFit:
			fit += v
		case AxisEngagement:
			eng += v
		}
	}
	return fit, eng
}

// SubScores returns the fit and engagement sub-scores (0–100) of a lead
// whose linear view is lin: the percentile of each margin part among the
// training leads. Both are 0 when the scorer has no sub-score model.
func (s *Scorer) SubScores(lin []float64) (fit, eng int32) {
	if s.SubScoreModel == nil {
		return 0, 0
	}
	f, e := AxisParts(s.SubScoreModel, s.Axes, lin)
	return percentile(s.FitQuantiles, f), percentile(s.EngagementQuantiles, e)
}

// percentile returns the share (0–100) of the quantile points below v,
// with ties counted half.
func percentile(q []float64, v float64) int32 {
	lo := sort.SearchFloat64s(q, v)
	hi := lo
	for hi < len(q) && q[hi] == v {
		hi++
	}
	r := (float64(lo) + float64(hi-lo)/2) / float64(len(q)-1) * 100
	return int32(math.Round(math.Min(100, math.Max(0, r))))
}

// Contributions writes the per-feature contributions of predictor p to
// dst (one per tree-view feature) and returns the base value; base plus
// the sum of dst is the margin. Trees use exact TreeSHAP; logistic
// regression uses coefficient × (value − training mean), summed over the
// linear columns of each feature. scratch must have the linear width.
func (s *Scorer) Contributions(p *Predictor, x, lin, dst, scratch []float64) float64 {
	for i := range dst {
		dst[i] = 0
	}
	if p.Forest != nil {
		return p.Forest.SHAP(x, dst)
	}
	p.Linear.Contributions(lin, scratch)
	for j, c := range scratch {
		dst[s.Transformer.LinearSource(j)] += c
	}
	return p.Linear.Base()
}

// Reasons returns the n largest contributions by magnitude as API reasons.
// The features of one source are reported together: the count, decayed
// count and recency of one event type move together and can offset each
// other, so "demo_request: +2.1" is what sales can read, not three terms.
// The value then lists each member, e.g. "count_window=2, decayed_count=1.4,
// days_since_last=3".
func (s *Scorer) Reasons(contrib, x []float64, n int) []*leadscorev1.Reason {
	feats := s.features()
	type group struct {
		name    string
		sum     float64
		members []int
	}
	var groups []group
	at := map[string]int{}
	for j, f := range feats {
		key := f.Name
		if f.FromEvent && f.Source != "" {
			key = f.Source
		}
		k, ok := at[key]
		if !ok {
			k = len(groups)
			at[key] = k
			groups = append(groups, group{name: key})
		}
		groups[k].sum += contrib[j]
		groups[k].members = append(groups[k].members, j)
	}
	idx := make([]int, 0, len(groups))
	for k, g := range groups {
		if g.sum != 0 {
			idx = append(idx, k)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return math.Abs(groups[idx[a]].sum) > math.Abs(groups[idx[b]].sum) })
	if len(idx) > n {
		idx = idx[:n]
	}
	out := make([]*leadscorev1.Reason, len(idx))
	for k, gi := range idx {
		g := groups[gi]
		f := feats[g.members[0]]
		value := FormatValue(f, x[g.members[0]])
		if len(g.members) > 1 {
			var b strings.Builder
			for m, j := range g.members {
				if m > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strings.TrimPrefix(feats[j].Name, g.name+"."))
				b.WriteByte('=')
				b.WriteString(FormatValue(feats[j], x[j]))
			}
			value = b.String()
		}
		out[k] = &leadscorev1.Reason{
			Feature:      g.name,
			Value:        value,
			Contribution: g.sum,
			Group:        f.Group.Proto(),
		}
	}
	return out
}

// FormatValue formats a tree-view value of feature f for humans: "missing",
// the level of a categorical, "yes"/"no" for booleans, else the number.
func FormatValue(f features.Feature, v float64) string {
	if math.IsNaN(v) {
		return "missing"
	}
	switch f.Kind {
	case features.KindCategorical:
		if i := int(v); i >= 0 && i < len(f.Levels) {
			return f.Levels[i]
		}
	case features.KindBoolean:
		if v != 0 {
			return "yes"
		}
		return "no"
	}
	if f.Log1p {
		v = math.Expm1(v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// features returns the transformer's features, computed once.
func (s *Scorer) features() []features.Feature {
	s.featsOnce.Do(func() { s.feats = s.Transformer.Features() })
	return s.feats
}

// Scratch is per-goroutine working memory for PredictVector, so that
// scoring allocates nothing but the reasons it returns.
type Scratch struct {
	lin, contrib, linContrib []float64
}

// NewScratch returns working memory sized for s.
func (s *Scorer) NewScratch() *Scratch {
	w := s.Transformer.LinearWidth()
	return &Scratch{
		lin:        make([]float64, w),
		contrib:    make([]float64, len(s.Transformer.Features())),
		linContrib: make([]float64, w),
	}
}

// PredictVector scores one lead whose tree view is x with the champion and
// fills out's probability, score, stage, sub-scores, thresholds version and,
// when maxReasons > 0, reasons. It is the one scoring path behind serving
// and offline scoring.
func (s *Scorer) PredictVector(x []float64, sc *Scratch, maxReasons int, out *leadscorev1.Prediction) {
	s.Transformer.ToLinear(x, sc.lin)
	s.finish(s.Champion.Margin(x, sc.lin), sc, out)
	if maxReasons > 0 {
		s.Contributions(s.Champion, x, sc.lin, sc.contrib, sc.linContrib)
		out.Reasons = s.Reasons(sc.contrib, x, maxReasons)
	}
}

// finish fills out from the champion's margin and the linear view in sc:
// probability, score, stage, thresholds version and sub-scores.
func (s *Scorer) finish(margin float64, sc *Scratch, out *leadscorev1.Prediction) {
	p := s.Champion.Probability(margin)
	out.Probability = p
	out.Score = Score(p)
	out.Stage = s.Thresholds.Stage(p)
	out.ThresholdsVersion = s.Thresholds.Version
	out.FitScore, out.EngagementScore = s.SubScores(sc.lin)
}

// ChallengerProbability scores x with the challenger, if there is one. It
// builds the linear view only when the challenger reads it, so the shadow
// path never rescores the champion.
func (s *Scorer) ChallengerProbability(x []float64, sc *Scratch) (float64, bool) {
	if s.Challenger == nil {
		return 0, false
	}
	if s.Challenger.Linear != nil {
		s.Transformer.ToLinear(x, sc.lin)
	}
	return s.Challenger.Probability(s.Challenger.Margin(x, sc.lin)), true
}
