package predicttest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/proto"

	"leadscore/model"
	"leadscore/predict"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// BatchModel is implemented by models that score many leads at once;
// CheckModel then requires it to agree with Predict bit for bit.
type BatchModel interface {
	PredictBatch(ctx context.Context, leads []*leadscorev1.Lead, opt predict.Options) ([]*leadscorev1.Prediction, error)
}

// CheckModel scores leads and reports every violation of the predict.Model
// contract, joined; nil when m behaves:
//   - Info names the model and has ordered thresholds in [0, 1];
//   - every probability is in [0, 1] and score == round(100 p);
//   - the stage agrees with Info's thresholds (ties at a threshold may go
//     either way);
//   - lead id, model name and version are echoed, and the source is set;
//   - reasons are sorted by |contribution|, at most MaxReasons, none
//     without explain;
//   - a lead with no attributes (all missing) still gets a probability;
//   - the same lead twice gives the same answer, and scoring the leads in
//     reverse order (or as a batch, for a BatchModel) gives the same
//     answers bit for bit.
//
// A lead the model gates (ErrSegmentBelowMinimum) is skipped.
func CheckModel(m predict.Model, leads []*leadscorev1.Lead) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	info := m.Info()
	if info == nil || info.Name == "" {
		return errors.New("Info: no model name")
	}
	th := info.GetThresholds()
	if th == nil || !(0 <= th.Disqualify && th.Disqualify <= th.Mql && th.Mql <= th.Sql && th.Sql <= 1) {
		bad("Info: thresholds %v not ordered in [0, 1]", th)
	}
	opt := predict.Options{Explain: true, MaxReasons: 3, Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	first := make([]*leadscorev1.Prediction, len(leads))
	for i, l := range leads {
		p, err := m.Predict(ctx, l, opt)
		if errors.Is(err, predict.ErrSegmentBelowMinimum) {
			continue
		}
		if err != nil {
			bad("lead %d (%s): %v", i, l.GetId(), err)
			continue
		}
		first[i] = p
		checkOne(bad, i, l, p, info, opt)
		again, err := m.Predict(ctx, l, opt)
		if err != nil || !same(p, again) {
			bad("lead %d (%s): the second call differs: %v vs %v (err %v)", i, l.GetId(), p, again, err)
		}
		plain, err := m.Predict(ctx, l, predict.Options{MaxReasons: 3, Now: opt.Now})
		if err == nil && len(plain.GetReasons()) != 0 {
			bad("lead %d (%s): %d reasons without explain", i, l.GetId(), len(plain.GetReasons()))
		}
		if err == nil && math.Float64bits(plain.GetProbability()) != math.Float64bits(p.Probability) {
			bad("lead %d (%s): explain changes the probability: %v vs %v", i, l.GetId(), plain.GetProbability(), p.Probability)
		}
	}
	// Missing attributes are allowed: a lead without any must still get a
	// probability (the segment gate aside).
	for i, l := range leads {
		bare := proto.Clone(l).(*leadscorev1.Lead)
		bare.Attributes = nil
		p, err := m.Predict(ctx, bare, opt)
		switch {
		case errors.Is(err, predict.ErrSegmentBelowMinimum):
		case err != nil:
			bad("lead %d (%s) without attributes: %v", i, l.GetId(), err)
		case !(p.GetProbability() >= 0 && p.GetProbability() <= 1):
			bad("lead %d (%s) without attributes: probability %v", i, l.GetId(), p.GetProbability())
		}
	}
	for i := len(leads) - 1; i >= 0; i-- {
		if first[i] == nil {
			continue
		}
		p, err := m.Predict(ctx, leads[i], opt)
		if err != nil || !same(first[i], p) {
			bad("lead %d (%s): scoring in reverse order differs: %v vs %v (err %v)", i, leads[i].GetId(), first[i], p, err)
		}
	}
	if bm, ok := m.(BatchModel); ok {
		var batch []*leadscorev1.Lead
		var want []*leadscorev1.Prediction
		for i, p := range first {
			if p != nil {
				batch, want = append(batch, leads[i]), append(want, p)
			}
		}
		got, err := bm.PredictBatch(ctx, batch, opt)
		if err != nil || len(got) != len(want) {
			bad("PredictBatch: %d predictions for %d leads (err %v)", len(got), len(want), err)
		} else {
			for i := range got {
				if !same(want[i], got[i]) {
					bad("PredictBatch lead %d (%s): %v, Predict gave %v", i, batch[i].GetId(), got[i], want[i])
				}
			}
		}
	}
	return errors.Join(errs...)
}

func checkOne(bad func(string, ...any), i int, l *leadscorev1.Lead, p *leadscorev1.Prediction, info *leadscorev1.ModelInfo, opt predict.Options) {
	id := l.GetId()
	pr := p.GetProbability()
	if !(pr >= 0 && pr <= 1) {
		bad("lead %d (%s): probability %v outside [0, 1]", i, id, pr)
		return
	}
	if p.GetScore() != model.Score(pr) {
		bad("lead %d (%s): score %d, want round(100 × %v) = %d", i, id, p.GetScore(), pr, model.Score(pr))
	}
	if lo, hi, ok := stageBounds(p.GetStage(), info.GetThresholds()); !ok || pr < lo || pr > hi {
		bad("lead %d (%s): stage %v inconsistent with probability %v and thresholds %v", i, id, p.GetStage(), pr, info.GetThresholds())
	}
	if p.GetLeadId() != id || p.GetModelName() != info.GetName() || p.GetModelVersion() != info.GetVersion() {
		bad("lead %d (%s): echoes lead %q model %q version %q, want %q %q %q", i, id, p.GetLeadId(), p.GetModelName(), p.GetModelVersion(), id, info.GetName(), info.GetVersion())
	}
	if p.GetSource() == leadscorev1.Source_SOURCE_UNSPECIFIED {
		bad("lead %d (%s): source unset", i, id)
	}
	for _, s := range []int32{p.GetFitScore(), p.GetEngagementScore()} {
		if s < 0 || s > 100 {
			bad("lead %d (%s): sub-score %d outside [0, 100]", i, id, s)
		}
	}
	rs := p.GetReasons()
	if len(rs) > opt.MaxReasons {
		bad("lead %d (%s): %d reasons, asked for at most %d", i, id, len(rs), opt.MaxReasons)
	}
	for k := 1; k < len(rs); k++ {
		if math.Abs(rs[k].GetContribution()) > math.Abs(rs[k-1].GetContribution()) {
			bad("lead %d (%s): reasons not sorted by |contribution| at %d: %v after %v", i, id, k, rs[k].GetContribution(), rs[k-1].GetContribution())
		}
	}
}

// stageBounds returns the probabilities a stage allows, ends included.
func stageBounds(s leadscorev1.Stage, t *leadscorev1.Thresholds) (lo, hi float64, ok bool) {
	switch s {
	case leadscorev1.Stage_STAGE_DISQUALIFIED:
		return 0, t.GetDisqualify(), true
	case leadscorev1.Stage_STAGE_NURTURE:
		return t.GetDisqualify(), t.GetMql(), true
	case leadscorev1.Stage_STAGE_MQL:
		return t.GetMql(), t.GetSql(), true
	case leadscorev1.Stage_STAGE_SQL:
		return t.GetSql(), 1, true
	}
	return 0, 0, false
}

// same compares two predictions field by field, probabilities bit for bit.
func same(a, b *leadscorev1.Prediction) bool {
	return a != nil && b != nil && math.Float64bits(a.Probability) == math.Float64bits(b.Probability) && proto.Equal(a, b)
}
