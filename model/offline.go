package model

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"leadscore/data"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Fallback reasons, as in Prediction.fallback_reason.
const (
	FallbackRequested       = "requested"
	FallbackNoModel         = "no_model"
	FallbackUnavailable     = "model_unavailable"
	FallbackSegmentBelowMin = "segment_below_minimum"
	FallbackModelError      = "model_error"
)

// Route returns the scorer that serves a lead whose segment value is v:
// the segment's own scorer, or the global one. It returns nil and
// FallbackSegmentBelowMin when the segment fell under the minimum-data gate
// and the artifact says rules serve it. A value not seen in training goes
// to the global scorer.
func (a *Artifact) Route(v string) (*Scorer, string) {
	if a.Manifest.SegmentColumn == "" || v == "" {
		return a.Global(), ""
	}
	for _, s := range a.Manifest.Segments {
		if s.Value != v {
			continue
		}
		if s.Scorer != "" {
			return a.Scorers[s.Scorer], ""
		}
		if s.Fallback == "rules" {
			return nil, FallbackSegmentBelowMin
		}
		return a.Global(), ""
	}
	return a.Global(), ""
}

// OfflineOptions configures ScoreTable.
type OfflineOptions struct {
	// Reasons is the number of reasons to keep per lead (0: none).
	Reasons int
	// Workers scoring in parallel; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is called with the number of leads scored so far.
	Progress func(done, total int)
	// Copy lists lead columns copied into the output (e.g. account_id,
	// product_line, source) when present.
	Copy []string
	// Rules scores the leads whose segment is served by rules; without it
	// they are scored by the global scorer and say so in fallback_reason.
	Rules func(leads, events *data.Table, rows []int) ([]RuleScore, error)
}

// RuleScore is the rules model's answer for one lead.
type RuleScore struct {
	Probability float64
	Stage       leadscorev1.Stage
}

// ScoreTable scores every lead of leads with the artifact, exactly as the
// server does (same transformer, scorer and calibrator), and returns the
// scores table: lead_id, scored_at, model, version, answered_by,
// fallback_reason, probability, score, stage, fit_score, engagement_score,
// challenger_probability, reasons, and the Copy columns.
func (a *Artifact) ScoreTable(ctx context.Context, leads, events *data.Table, opts OfflineOptions) (*data.Table, error) {
	g := a.Global()
	spec := g.Transformer.Spec()
	idCol := leads.Col(spec.ID)
	if idCol == nil || idCol.Type != data.String {
		return nil, fmt.Errorf("score: leads have no string id column %q", spec.ID)
	}
	n := leads.Rows
	out := struct {
		prob, score, fit, eng, chal    []float64
		stage, by, fb, reasons, scorer []string
		chalOK                         []bool
	}{
		prob: make([]float64, n), score: make([]float64, n), fit: make([]float64, n), eng: make([]float64, n),
		chal: make([]float64, n), chalOK: make([]bool, n),
		stage: make([]string, n), by: make([]string, n), fb: make([]string, n), reasons: make([]string, n), scorer: make([]string, n),
	}
	// Route every row, then score each scorer's rows in one batch.
	groups := map[*Scorer][]int{}
	var ruleRows []int
	var segCol *data.Column
	if a.Manifest.SegmentColumn != "" {
		segCol = leads.Col(a.Manifest.SegmentColumn)
	}
	for i := 0; i < n; i++ {
		v := ""
		if segCol != nil {
			v = segCol.Format(i)
		}
		s, fb := a.Route(v)
		if s == nil {
			if opts.Rules != nil {
				ruleRows = append(ruleRows, i)
				out.fb[i] = fb
				continue
			}
			s = g
			out.fb[i] = fb + " (global model used offline: no rules given)"
		}
		groups[s] = append(groups[s], i)
	}
	done := 0
	var mu sync.Mutex
	report := func(k int) {
		if opts.Progress == nil {
			return
		}
		mu.Lock()
		done += k
		opts.Progress(done, n)
		mu.Unlock()
	}
	for s, rows := range groups {
		sub := leads
		if len(rows) != n {
			sub = leads.Take(rows)
		}
		m, err := s.Transformer.TransformTable(ctx, sub, events)
		if err != nil {
			return nil, fmt.Errorf("score with %s: %w", s.Name, err)
		}
		workers := opts.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		chunk := (len(rows) + workers - 1) / max(1, workers)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			lo, hi := w*chunk, min(len(rows), (w+1)*chunk)
			if lo >= hi {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sc := s.NewScratch()
				var pr leadscorev1.Prediction
				// Forests score a block of rows at a time (Forest.Margins
				// equals Forest.Margin bit for bit): the challenger always,
				// the champion when no reasons are asked for.
				var champ, chal []float64
				if opts.Reasons == 0 && s.Champion.Forest != nil {
					champ = make([]float64, offlineBlock)
				}
				if s.Challenger != nil && s.Challenger.Forest != nil {
					chal = make([]float64, offlineBlock)
				}
				for k := lo; k < hi; k++ {
					if k%4096 == 0 && ctx.Err() != nil {
						return
					}
					b := (k - lo) % offlineBlock
					if b == 0 && (champ != nil || chal != nil) {
						n := min(offlineBlock, hi-k)
						xs := m.X[k*m.Cols : (k+n)*m.Cols]
						if champ != nil {
							s.Champion.Forest.Margins(champ[:n], xs, n)
						}
						if chal != nil {
							s.Challenger.Forest.Margins(chal[:n], xs, n)
						}
					}
					i := rows[k]
					x := m.Row(k)
					pr.Reasons = nil
					if champ != nil {
						s.PredictMargin(x, sc, champ[b], &pr)
					} else {
						s.PredictVector(x, sc, opts.Reasons, &pr)
					}
					out.prob[i], out.score[i] = pr.Probability, float64(pr.Score)
					out.fit[i], out.eng[i] = float64(pr.FitScore), float64(pr.EngagementScore)
					out.stage[i] = StageName(pr.Stage)
					out.by[i] = "model"
					out.scorer[i] = s.Name
					if chal != nil {
						out.chal[i], out.chalOK[i] = s.Challenger.Probability(chal[b]), true
					} else if p, ok := s.ChallengerProbability(x, sc); ok {
						out.chal[i], out.chalOK[i] = p, true
					}
					if opts.Reasons > 0 {
						out.reasons[i] = FormatReasons(pr.Reasons)
					}
					if (k-lo)%8192 == 8191 {
						report(8192)
					}
				}
				report((hi - lo) % 8192)
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if len(ruleRows) > 0 {
		rs, err := opts.Rules(leads, events, ruleRows)
		if err != nil {
			return nil, fmt.Errorf("score with rules: %w", err)
		}
		for k, i := range ruleRows {
			out.prob[i] = rs[k].Probability
			out.score[i] = float64(Score(rs[k].Probability))
			out.stage[i] = StageName(rs[k].Stage)
			out.by[i] = "rules"
			out.scorer[i] = "rules"
			out.fit[i], out.eng[i] = math.NaN(), math.NaN()
		}
		report(len(ruleRows))
	}

	// scored_at: the lead's cut-off, as in training.
	scoredAt := make([]int64, n)
	scoredValid := make([]bool, n)
	if tc := leads.Col(spec.Time); tc != nil && tc.Type == data.Time {
		h := g.Transformer.Horizon().Microseconds()
		now := time.Now().UnixMicro()
		for i := range scoredAt {
			if !tc.IsNull(i) {
				scoredAt[i], scoredValid[i] = min(tc.Times[i]+h, now), true
			}
		}
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i], _ = idCol.Str(i)
	}
	models := make([]string, n)
	versions := make([]string, n)
	for i := range models {
		models[i] = a.Manifest.Name
		versions[i] = a.Manifest.Version
	}
	chal := make([]float64, n)
	for i := range chal {
		chal[i] = math.NaN()
		if out.chalOK[i] {
			chal[i] = out.chal[i]
		}
	}
	cols := []*data.Column{
		data.NewStringColumn("lead_id", ids, nil),
		data.NewTimeColumn("scored_at", scoredAt, scoredValid),
		data.NewStringColumn("model", models, nil),
		data.NewStringColumn("version", versions, nil),
		data.NewStringColumn("answered_by", out.by, nil),
		data.NewStringColumn("fallback_reason", out.fb, nil),
		data.NewFloatColumn("probability", out.prob),
		data.NewFloatColumn("score", out.score),
		data.NewStringColumn("stage", out.stage, nil),
		data.NewFloatColumn("fit_score", out.fit),
		data.NewFloatColumn("engagement_score", out.eng),
		data.NewFloatColumn("challenger_probability", chal),
	}
	if opts.Reasons > 0 {
		cols = append(cols, data.NewStringColumn("reasons", out.reasons, nil))
	}
	for _, name := range opts.Copy {
		if c := leads.Col(name); c != nil && name != "lead_id" {
			cols = append(cols, c)
		}
	}
	return data.NewTable(cols...)
}

// offlineBlock is the number of rows whose forest margins ScoreTable
// computes in one Forest.Margins call.
const offlineBlock = 1024

// StageName is the lower-case name of a stage: disqualified, nurture, mql, sql.
func StageName(s leadscorev1.Stage) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "STAGE_"))
}

// FormatReasons writes reasons as "feature=value:+0.420;…".
func FormatReasons(rs []*leadscorev1.Reason) string {
	var b strings.Builder
	for k, r := range rs {
		if k > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, "%s=%s:%+.3f", r.Feature, r.Value, r.Contribution)
	}
	return b.String()
}
