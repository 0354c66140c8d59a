package model_test

import (
	"context"
	"math"
	"testing"

	"leadscore/data"
	"leadscore/data/synth"
	"leadscore/model"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// TestScoreTableBatchMatchesPredictVector checks that ScoreTable, whose
// forests compute margins a block of rows at a time (the champion's only
// without reasons), gives bit for bit what PredictVector and
// ChallengerProbability give one lead at a time, the server's path: for
// the fixture (logistic champion, forest challenger), and for it with
// the two swapped. It also compares ScoreTable without and with reasons.
func TestScoreTableBatchMatchesPredictVector(t *testing.T) {
	a := trained(t)
	ctx := context.Background()
	// Fresh leads (another seed), more than one block per worker.
	h, err := synth.Generate(ctx, synth.Config{Leads: 3000, Quarters: 2, Seed: 77})
	if err != nil {
		t.Fatal(err)
	}
	forests := 0
	for _, s := range a.Scorers {
		if s.Champion.Forest != nil {
			forests++
		}
		if s.Challenger != nil && s.Challenger.Forest != nil {
			forests++
		}
	}
	if forests == 0 {
		t.Fatal("the fixture has no forest, so the batch path is not tested")
	}
	batch, err := a.ScoreTable(ctx, h.Leads, h.Events, model.OfflineOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := a.ScoreTable(ctx, h.Leads, h.Events, model.OfflineOptions{Workers: 3, Reasons: 1})
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"probability", "score", "fit_score", "engagement_score", "challenger_probability"}
	for _, name := range cols {
		b, s := batch.Col(name), slow.Col(name)
		if b == nil || s == nil {
			t.Fatalf("column %q missing", name)
		}
		for i := range h.Leads.Rows {
			if math.Float64bits(b.Floats[i]) != math.Float64bits(s.Floats[i]) {
				t.Fatalf("row %d, %s: %v without reasons, %v with", i, name, b.Floats[i], s.Floats[i])
			}
		}
	}

	checkGlobalRows(t, a, h, batch)

	// The same with the forest as champion, so that the champion's
	// margins come from Forest.Margins too.
	g := a.Global()
	if g.Challenger == nil || g.Challenger.Forest == nil {
		t.Fatal("the fixture's global scorer has no forest challenger to promote")
	}
	swapped := *a
	swapped.Scorers = map[string]*model.Scorer{}
	for k, s := range a.Scorers {
		swapped.Scorers[k] = s
	}
	swapped.Scorers["global"] = &model.Scorer{
		Name: g.Name, Transformer: g.Transformer, Champion: g.Challenger, Challenger: g.Champion,
		Thresholds: g.Thresholds, FitQuantiles: g.FitQuantiles, EngagementQuantiles: g.EngagementQuantiles,
		Axes: g.Axes, SubScoreModel: g.SubScoreModel, TrainRows: g.TrainRows, TrainPositives: g.TrainPositives,
	}
	batch, err = swapped.ScoreTable(ctx, h.Leads, h.Events, model.OfflineOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkGlobalRows(t, &swapped, h, batch)
}

// checkGlobalRows compares the rows of ScoreTable's output tab routed to
// a's global scorer with PredictVector and ChallengerProbability.
func checkGlobalRows(t *testing.T, a *model.Artifact, h *synth.History, tab *data.Table) {
	t.Helper()
	ctx := context.Background()
	g := a.Global()
	batch := tab
	m, err := g.Transformer.TransformTable(ctx, h.Leads, h.Events)
	if err != nil {
		t.Fatal(err)
	}
	var seg *data.Column
	if a.Manifest.SegmentColumn != "" {
		seg = h.Leads.Col(a.Manifest.SegmentColumn)
	}
	sc := g.NewScratch()
	var pr leadscorev1.Prediction
	checked := 0
	prob, chal := batch.Col("probability"), batch.Col("challenger_probability")
	for i := range h.Leads.Rows {
		v := ""
		if seg != nil {
			v = seg.Format(i)
		}
		if s, _ := a.Route(v); s != g {
			continue
		}
		x := m.Row(i)
		g.PredictVector(x, sc, 0, &pr)
		if math.Float64bits(prob.Floats[i]) != math.Float64bits(pr.Probability) {
			t.Fatalf("row %d: probability %v, PredictVector %v", i, prob.Floats[i], pr.Probability)
		}
		if p, ok := g.ChallengerProbability(x, sc); ok && math.Float64bits(chal.Floats[i]) != math.Float64bits(p) {
			t.Fatalf("row %d: challenger probability %v, ChallengerProbability %v", i, chal.Floats[i], p)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no row was routed to the global scorer")
	}
	t.Logf("%d rows checked against PredictVector; champion forest %v, challenger forest %v",
		checked, g.Champion.Forest != nil, g.Challenger != nil && g.Challenger.Forest != nil)
}
