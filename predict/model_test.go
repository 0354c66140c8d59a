package predict_test

import (
	"testing"
	"time"

	"leadscore/model"
	"leadscore/predict"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

func TestOptionsCutoff(t *testing.T) {
	c := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := 30 * 24 * time.Hour
	for _, tc := range []struct {
		name string
		opt  predict.Options
		want time.Time
	}{
		{"as_of wins even when later", predict.Options{AsOf: c.Add(90 * 24 * time.Hour), Now: c.Add(time.Hour)}, c.Add(90 * 24 * time.Hour)},
		{"horizon before now", predict.Options{Now: c.Add(365 * 24 * time.Hour)}, c.Add(h)},
		{"now before the horizon", predict.Options{Now: c.Add(48 * time.Hour)}, c.Add(48 * time.Hour)},
		{"no clock", predict.Options{}, c.Add(h)},
	} {
		if got := tc.opt.Cutoff(c, h); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStageOfAndScore(t *testing.T) {
	th := &leadscorev1.Thresholds{Disqualify: 0.05, Mql: 0.2, Sql: 0.5}
	for _, tc := range []struct {
		p     float64
		stage leadscorev1.Stage
		score int32
	}{
		{0, leadscorev1.Stage_STAGE_DISQUALIFIED, 0},
		{0.049, leadscorev1.Stage_STAGE_DISQUALIFIED, 5},
		{0.05, leadscorev1.Stage_STAGE_NURTURE, 5},
		{0.2, leadscorev1.Stage_STAGE_MQL, 20},
		{0.495, leadscorev1.Stage_STAGE_MQL, 50}, // round half away from zero
		{0.5, leadscorev1.Stage_STAGE_SQL, 50},
		{1, leadscorev1.Stage_STAGE_SQL, 100},
	} {
		if got := predict.StageOf(tc.p, th); got != tc.stage {
			t.Errorf("StageOf(%v) = %v, want %v", tc.p, got, tc.stage)
		}
		if got := model.Score(tc.p); got != tc.score {
			t.Errorf("Score(%v) = %d, want %d", tc.p, got, tc.score)
		}
	}
}
