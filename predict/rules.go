package predict

import (
	"context"

	"leadscore/model"
	"leadscore/model/rules"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// RulesModel adapts a compiled rules model to Model, under the name
// "rules". Reasons are the rules that fired, with their signed points as
// the contribution (points, not log-odds). The thresholds reported in Info
// are the stage thresholds on points mapped through the calibration, so a
// stage is always consistent with the probability (ties aside).
func RulesModel(m *rules.Model) Model {
	info := &leadscorev1.ModelInfo{
		Name:      rules.Name,
		Version:   m.Version,
		Algorithm: "rules",
		Thresholds: &leadscorev1.Thresholds{
			Version:    m.Version,
			Disqualify: m.Calibrate(m.Stages.Disqualify),
			Mql:        m.Calibrate(m.Stages.MQL),
			Sql:        m.Calibrate(m.Stages.SQL),
		},
	}
	for _, r := range m.Points {
		kind, group := "event", leadscorev1.FeatureGroup_FEATURE_GROUP_ENGAGEMENT
		switch {
		case r.Attribute != "":
			kind, group = "categorical", leadscorev1.FeatureGroup_FEATURE_GROUP_FIT
			if r.Range != nil {
				kind = "numeric"
			}
		case r.InactiveDays != 0:
			group = leadscorev1.FeatureGroup_FEATURE_GROUP_NEGATIVE
		}
		if r.Points < 0 {
			group = leadscorev1.FeatureGroup_FEATURE_GROUP_NEGATIVE
		}
		info.Features = append(info.Features, &leadscorev1.FeatureInfo{Name: r.Name, Group: group, Kind: kind})
	}
	return &rulesModel{m: m, info: info}
}

type rulesModel struct {
	m    *rules.Model
	info *leadscorev1.ModelInfo
}

func (r *rulesModel) Info() *leadscorev1.ModelInfo { return r.info }
func (r *rulesModel) SegmentColumn() string        { return "" }

func (r *rulesModel) Predict(_ context.Context, lead *leadscorev1.Lead, opt Options) (*leadscorev1.Prediction, error) {
	cutoff := opt.Cutoff(lead.GetCreatedAt().AsTime(), r.m.HorizonOrDefault())
	res := r.m.Score(lead, cutoff)
	p := &leadscorev1.Prediction{
		LeadId:            lead.GetId(),
		Probability:       res.Probability,
		Score:             model.Score(res.Probability),
		Stage:             res.Stage,
		FitScore:          res.FitScore,
		EngagementScore:   res.EngagementScore,
		ModelName:         rules.Name,
		ModelVersion:      r.m.Version,
		Source:            leadscorev1.Source_SOURCE_RULES,
		Warnings:          res.Warnings,
		ThresholdsVersion: r.m.Version,
	}
	if opt.Explain {
		n := min(len(res.Reasons), opt.MaxReasons)
		p.Reasons = make([]*leadscorev1.Reason, n)
		for i, rs := range res.Reasons[:n] {
			p.Reasons[i] = &leadscorev1.Reason{Feature: rs.Rule, Value: rs.Value, Contribution: rs.Points, Group: rs.Group}
		}
	}
	return p, nil
}

func (r *rulesModel) PredictChallenger(context.Context, *leadscorev1.Lead, Options) (float64, bool) {
	return 0, false
}
