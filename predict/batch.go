package predict

import (
	"context"

	"leadscore/model"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// A batchPredictor is a Model that scores many leads at once more cheaply
// than one Predict call each. predictBatch answers leads[i] in out[i] or
// errs[i] exactly as Predict(ctx, leads[i], opt) would (same prediction,
// bit for bit, and same error), for a request without reasons
// (opt.Explain false). The server recovers a panic and then scores the
// leads one by one.
type batchPredictor interface {
	predictBatch(ctx context.Context, leads []*leadscorev1.Lead, opt Options, out []*leadscorev1.Prediction, errs []error)
}

// batchBlock is the number of leads whose tree views predictBatch builds
// before one Forest.Margins call: 128 rows of 40 features are 40 KB, which
// stay in cache between the transform and the margins.
const batchBlock = 128

// predictBatch implements batchPredictor: the leads of each scorer are
// transformed a block at a time, the block's champion margins computed in
// one Forest.Margins call, and each answer finished from its margin
// (model.Scorer.PredictMargin). The predictions are carved from one slab.
func (m *artifactModel) predictBatch(ctx context.Context, leads []*leadscorev1.Lead, opt Options, out []*leadscorev1.Prediction, errs []error) {
	preds := make([]leadscorev1.Prediction, len(leads))
	scorers := make([]*model.Scorer, len(leads))
	var first *model.Scorer // the scorer of most batches; others are rare
	for i, l := range leads {
		s, err := m.route(l)
		if err != nil {
			errs[i] = err
			continue
		}
		scorers[i] = s
		if first == nil {
			first = s
		}
	}
	if first == nil {
		return
	}
	idx := make([]int, 0, len(leads))
	for done := false; !done; {
		// Score the leads of one scorer, the first not yet scored.
		var s *model.Scorer
		idx = idx[:0]
		for i, si := range scorers {
			if si == nil || (s != nil && si != s) {
				continue
			}
			s = si
			idx = append(idx, i)
			scorers[i] = nil
		}
		if s == nil {
			done = true
			continue
		}
		m.scoreBlocks(s, leads, idx, opt, preds, out, errs)
	}
}

// scoreBlocks answers the leads idx, all routed to s, batchBlock at a time.
func (m *artifactModel) scoreBlocks(s *model.Scorer, leads []*leadscorev1.Lead, idx []int, opt Options, preds []leadscorev1.Prediction, out []*leadscorev1.Prediction, errs []error) {
	pool := m.scratch[s]
	sc := pool.Get().(*scratch)
	defer pool.Put(sc)
	w := len(sc.x)
	if len(sc.block) < batchBlock*w {
		sc.block, sc.margins = make([]float64, batchBlock*w), make([]float64, batchBlock)
	}
	for len(idx) > 0 {
		part := idx[:min(batchBlock, len(idx))]
		idx = idx[len(part):]
		n := len(part)
		X := sc.block[:n*w]
		for k, i := range part {
			x := X[k*w : (k+1)*w]
			if err := transformTo(s, leads[i], opt, x, &sc.warn); err != nil {
				errs[i] = err
				for j := range x { // a defined row for Margins; its margin is unused
					x[j] = 0
				}
				continue
			}
			p := &preds[i]
			p.LeadId, p.ModelName, p.ModelVersion = leads[i].GetId(), m.a.Manifest.Name, m.a.Manifest.Version
			p.Source = leadscorev1.Source_SOURCE_MODEL
			if sc.warn.Len() > 0 {
				p.Warnings = append([]string(nil), sc.warn.List()...)
			}
		}
		margins := sc.margins[:n]
		batch := s.ChampionMargins(margins, X, n)
		for k, i := range part {
			if errs[i] != nil {
				continue
			}
			x := X[k*w : (k+1)*w]
			if batch {
				s.PredictMargin(x, sc.sc, margins[k], &preds[i])
			} else {
				s.PredictVector(x, sc.sc, 0, &preds[i])
			}
			out[i] = &preds[i]
		}
	}
}
