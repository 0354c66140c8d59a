package predicttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"leadscore/model"
	"leadscore/predict"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// FakeFile is the file in a version directory that FakeLoader reads.
const FakeFile = "fake.json"

// FakeSpec configures a Fake model. Write it into a version directory with
// WriteFake; FakeLoader turns it into a model.
type FakeSpec struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Segment ("column=value") routes requests to this model.
	Segment string `json:"segment,omitempty"`
	// SegmentColumn and Gated: leads whose SegmentColumn attribute is one
	// of Gated get ErrSegmentBelowMinimum.
	SegmentColumn string   `json:"segment_column,omitempty"`
	Gated         []string `json:"gated,omitempty"`
	// Base is the probability of a lead with no attributes; each string
	// attribute adds a contribution of len(value)/100 to it (clamped to
	// [0, 1]), which makes the reasons.
	Base float64 `json:"base"`
	// Challenger, when > 0, is the challenger's probability.
	Challenger float64 `json:"challenger,omitempty"`
	// NumericAttr names an attribute that must be a number (else
	// *predict.InputError).
	NumericAttr string `json:"numeric_attr,omitempty"`
	// FailLoad makes FakeLoader fail; PanicLoad makes it panic.
	FailLoad  bool `json:"fail_load,omitempty"`
	PanicLoad bool `json:"panic_load,omitempty"`
	// Error makes Predict fail with this message; Panic makes it panic.
	// SkipProbe exempts the registry's probe lead (id "probe"), so that the
	// version passes its self-check and fails later.
	Error     string `json:"error,omitempty"`
	Panic     bool   `json:"panic,omitempty"`
	SkipProbe bool   `json:"skip_probe,omitempty"`
	// BadProbability makes every probability NaN (fails the self-check).
	BadProbability bool `json:"bad_probability,omitempty"`
}

// WriteFake writes s into root/<s.Name>/<s.Version>/fake.json, atomically
// (a hidden temporary directory renamed into place), and returns the
// version directory.
func WriteFake(root string, s FakeSpec) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	parent := filepath.Join(root, s.Name)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, FakeFile), b, 0o644); err != nil {
		return "", err
	}
	dir := filepath.Join(parent, s.Version)
	return dir, os.Rename(tmp, dir)
}

// FakeLoader is a predict.Loader for directories written by WriteFake.
func FakeLoader(dir string) (predict.Model, error) {
	b, err := os.ReadFile(filepath.Join(dir, FakeFile))
	if err != nil {
		return nil, err
	}
	var s FakeSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", FakeFile, err)
	}
	if s.PanicLoad {
		panic("fake loader panics as asked")
	}
	if s.FailLoad {
		return nil, errors.New("fake artifact is corrupt, as asked")
	}
	return NewFake(s), nil
}

// NewFake returns the fake model of s.
func NewFake(s FakeSpec) *Fake {
	return &Fake{spec: s, info: &leadscorev1.ModelInfo{
		Name: s.Name, Version: s.Version, Algorithm: "fake", Segment: s.Segment,
		Thresholds: &leadscorev1.Thresholds{Version: "t1", Disqualify: 0.05, Mql: 0.2, Sql: 0.5},
	}}
}

// Fake is a deterministic predict.Model for tests.
type Fake struct {
	spec FakeSpec
	info *leadscorev1.ModelInfo
}

// Info implements predict.Model.
func (f *Fake) Info() *leadscorev1.ModelInfo { return f.info }

// SegmentColumn implements predict.Model.
func (f *Fake) SegmentColumn() string { return f.spec.SegmentColumn }

// Predict implements predict.Model.
func (f *Fake) Predict(ctx context.Context, lead *leadscorev1.Lead, opt predict.Options) (*leadscorev1.Prediction, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	probe := lead.GetId() == "probe" && f.spec.SkipProbe
	if f.spec.Panic && !probe {
		panic("fake model panics as asked")
	}
	if f.spec.Error != "" && !probe {
		return nil, errors.New(f.spec.Error)
	}
	attrs := lead.GetAttributes()
	if c := f.spec.SegmentColumn; c != "" && slices.Contains(f.spec.Gated, lead.Attribute(c).GetStringValue()) {
		return nil, fmt.Errorf("fake %s: %s=%s: %w", f.spec.Name, c, lead.Attribute(c).GetStringValue(), predict.ErrSegmentBelowMinimum)
	}
	if n := f.spec.NumericAttr; n != "" {
		if v := lead.Attribute(n); v != nil {
			if v.NumberValue == nil {
				return nil, &predict.InputError{Field: fmt.Sprintf("attributes[%q]", n), Value: v.GetStringValue(), Err: predict.ErrWrongType}
			}
		}
	}
	var reasons []*leadscorev1.Reason
	p := f.spec.Base
	names := make([]string, 0, len(attrs))
	for _, a := range attrs {
		names = append(names, a.GetName())
	}
	sort.Strings(names)
	for _, k := range names {
		if s := lead.Attribute(k).GetStringValue(); s != "" {
			c := float64(len(s)) / 100
			p += c
			reasons = append(reasons, &leadscorev1.Reason{Feature: k, Value: s, Contribution: c, Group: leadscorev1.FeatureGroup_FEATURE_GROUP_FIT})
		}
	}
	p = math.Max(0, math.Min(1, p))
	if f.spec.BadProbability {
		p = math.NaN()
	}
	sort.SliceStable(reasons, func(i, j int) bool { return math.Abs(reasons[i].Contribution) > math.Abs(reasons[j].Contribution) })
	pred := &leadscorev1.Prediction{
		LeadId: lead.GetId(), Probability: p, Score: model.Score(p), Stage: predict.StageOf(p, f.info.Thresholds),
		FitScore: 50, EngagementScore: 50, ModelName: f.spec.Name, ModelVersion: f.spec.Version,
		Source: leadscorev1.Source_SOURCE_MODEL, ThresholdsVersion: f.info.Thresholds.Version,
	}
	if opt.Explain {
		pred.Reasons = reasons[:min(len(reasons), opt.MaxReasons)]
	}
	return pred, nil
}

// PredictChallenger implements predict.Model.
func (f *Fake) PredictChallenger(context.Context, *leadscorev1.Lead, predict.Options) (float64, bool) {
	return f.spec.Challenger, f.spec.Challenger > 0
}
