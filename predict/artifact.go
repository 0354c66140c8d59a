package predict

import (
	"context"
	"errors"
	"sync"

	"google.golang.org/protobuf/types/known/timestamppb"

	"leadscore/features"
	"leadscore/model"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// LoadArtifact is the Loader for trained model artifacts: it loads and
// validates the version directory and compiles it into a Model.
func LoadArtifact(dir string) (Model, error) {
	a, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	return NewArtifactModel(a), nil
}

// NewArtifactModel serves a loaded artifact: requests are routed by the
// artifact's segment column to the segment's scorer, to the global one, or
// (when the segment fell under the minimum-data gate and the artifact says
// so) to the rules model.
func NewArtifactModel(a *model.Artifact) Model {
	m := &artifactModel{a: a, scratch: map[*model.Scorer]*sync.Pool{}}
	for _, s := range a.Scorers {
		s := s
		m.scratch[s] = &sync.Pool{New: func() any { return newScratch(s) }}
	}
	m.info = m.buildInfo()
	return m
}

type artifactModel struct {
	a       *model.Artifact
	info    *leadscorev1.ModelInfo
	scratch map[*model.Scorer]*sync.Pool
}

// scratch is per-call working memory: the tree-view vector, the scorer's
// scratch and the feature warnings.
type scratch struct {
	x    []float64
	sc   *model.Scratch
	warn features.Warnings
	// block and margins are predictBatch's tree views (row-major) and
	// champion margins of up to batchBlock leads.
	block, margins []float64
}

func newScratch(s *model.Scorer) *scratch {
	return &scratch{x: make([]float64, len(s.Transformer.Features())), sc: s.NewScratch()}
}

func (m *artifactModel) Info() *leadscorev1.ModelInfo { return m.info }

func (m *artifactModel) SegmentColumn() string { return m.a.Manifest.SegmentColumn }

func (m *artifactModel) route(lead *leadscorev1.Lead) (*model.Scorer, error) {
	col := m.a.Manifest.SegmentColumn
	v := ""
	if col != "" {
		v = lead.Attribute(col).GetStringValue()
	}
	s, fb := m.a.Route(v)
	if s == nil {
		if fb == model.FallbackSegmentBelowMin {
			return nil, ErrSegmentBelowMinimum
		}
		return nil, errors.New("no scorer for segment " + v)
	}
	return s, nil
}

// transform builds the lead's tree view. The transformer caps the cut-off
// at created_at + horizon itself; the request's as_of (or the time it
// arrived) caps it further. A field that makes the lead unusable is an
// InputError naming it.
func transform(s *model.Scorer, lead *leadscorev1.Lead, opt Options, sc *scratch) error {
	return transformTo(s, lead, opt, sc.x, &sc.warn)
}

// transformTo is transform into x, with the warnings in warn.
func transformTo(s *model.Scorer, lead *leadscorev1.Lead, opt Options, x []float64, warn *features.Warnings) error {
	warn.Reset()
	asOf := opt.AsOf
	if asOf.IsZero() {
		asOf = opt.Now
	}
	if err := s.Transformer.TransformLead(lead, asOf, x, warn); err != nil {
		return inputError(err)
	}
	return nil
}

// inputError turns a *features.FieldError into an *InputError. It is a
// function of its own so that the target errors.As needs escapes to the
// heap only on this error path, not on every call.
func inputError(err error) error {
	if fe := (*features.FieldError)(nil); errors.As(err, &fe) {
		return &InputError{Field: fe.Field, Err: fe.Err}
	}
	return err
}

func (m *artifactModel) Predict(ctx context.Context, lead *leadscorev1.Lead, opt Options) (*leadscorev1.Prediction, error) {
	s, err := m.route(lead)
	if err != nil {
		return nil, err
	}
	pool := m.scratch[s]
	sc := pool.Get().(*scratch)
	defer pool.Put(sc)
	if err := transform(s, lead, opt, sc); err != nil {
		return nil, err
	}
	p := &leadscorev1.Prediction{
		LeadId:       lead.GetId(),
		ModelName:    m.a.Manifest.Name,
		ModelVersion: m.a.Manifest.Version,
		Source:       leadscorev1.Source_SOURCE_MODEL,
	}
	n := 0
	if opt.Explain {
		n = opt.MaxReasons
	}
	s.PredictVector(sc.x, sc.sc, n, p)
	if sc.warn.Len() > 0 {
		p.Warnings = append([]string(nil), sc.warn.List()...)
	}
	return p, nil
}

func (m *artifactModel) PredictChallenger(ctx context.Context, lead *leadscorev1.Lead, opt Options) (float64, bool) {
	s, err := m.route(lead)
	if err != nil || s.Challenger == nil {
		return 0, false
	}
	pool := m.scratch[s]
	sc := pool.Get().(*scratch)
	defer pool.Put(sc)
	if transform(s, lead, opt, sc) != nil {
		return 0, false
	}
	return s.ChallengerProbability(sc.x, sc.sc)
}

func (m *artifactModel) buildInfo() *leadscorev1.ModelInfo {
	g := m.a.Global()
	man := m.a.Manifest
	info := &leadscorev1.ModelInfo{
		Name:        man.Name,
		Version:     man.Version,
		TrainedAt:   timestamppb.New(man.TrainedAt),
		Algorithm:   g.Champion.Algorithm,
		TestMetrics: map[string]float64{},
		Thresholds:  g.Thresholds.Proto(),
	}
	if g.Challenger != nil {
		info.Challenger = g.Challenger.Algorithm
	}
	t := g.Champion.Test
	for k, v := range map[string]float64{"auc": t.AUC, "pr_auc": t.PRAUC, "logloss": t.LogLoss, "brier": t.Brier, "ece": t.ECE, "lift10": t.Lift10} {
		if v == v { // not NaN
			info.TestMetrics[k] = v
		}
	}
	for j, f := range g.Transformer.Features() {
		imp := 0.0
		if j < len(g.Champion.Importance) {
			imp = g.Champion.Importance[j]
		}
		info.Features = append(info.Features, &leadscorev1.FeatureInfo{
			Name: f.Name, Group: f.Group.Proto(), Kind: f.Kind.String(), Importance: imp,
		})
	}
	return info
}
