package train_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"leadscore/data"
	"leadscore/data/synth"
	"leadscore/eval"
	"leadscore/features"
	"leadscore/model"
	"leadscore/train"
)

// history generates a small synthetic history once per test binary.
func history(t testing.TB, leads int) *synth.History {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h, err := synth.Generate(ctx, synth.Config{Leads: leads, Quarters: 8, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func inferSpec(t testing.TB, h *synth.History) *features.Spec {
	t.Helper()
	spec, err := features.InferSpec(h.Leads, h.Events, features.InferOptions{Label: "outcome", Positive: []string{"won"}})
	if err != nil {
		t.Fatal(err)
	}
	// What a data team does after reading the leakage warnings: amount is
	// recorded only for won deals and sales_calls at close.
	for i, c := range spec.Columns {
		if c.Name == "amount" || c.Name == "sales_calls" || c.Name == "closed_at" {
			spec.Columns[i].Role = features.RoleIgnore
		}
	}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	return spec
}

func fastConfig(spec *features.Spec) train.Config {
	cfg := train.Config{Name: "leads", Spec: spec, Seed: 3}
	cfg.GBDT.Rounds = 300
	cfg.GBDT.LearningRate = 0.1
	cfg.GBDT.MaxDepth = 4
	return cfg
}

// TestSyntheticHistoryAgainstOracle trains on the synthetic history and
// checks the champion's test AUC against the oracle's (the true
// probability in truth.parquet) on the same test leads: it must reach
// 0.97 × the oracle's AUC.
func TestSyntheticHistoryAgainstOracle(t *testing.T) {
	h := history(t, 40000)
	spec := inferSpec(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := train.Run(ctx, h.Leads, h.Events, "leads.parquet", fastConfig(spec), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", res.Summary.FormatTable())

	// Score the test quarter with the artifact and with the oracle.
	a := res.Artifact
	y, err := spec.Labels(h.Leads)
	if err != nil {
		t.Fatal(err)
	}
	truth := h.Truth.Col("p_true")
	quarter := h.Truth.Col("quarter")
	var idx []int
	for i := 0; i < h.Leads.Rows; i++ {
		if q, _ := quarter.Str(i); q == "2026Q3" && y[i] >= 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) < 500 {
		t.Fatalf("only %d closed test leads in 2026Q3", len(idx))
	}
	scores, err := a.ScoreTable(ctx, h.Leads.Take(idx), h.Events, model.OfflineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := scores.Col("probability").Floats
	oracle := make([]float64, len(idx))
	won := make([]bool, len(idx))
	for k, i := range idx {
		oracle[k] = truth.Floats[i]
		won[k] = y[i] == 1
	}
	got, want := eval.ROCAUC(p, won), eval.ROCAUC(oracle, won)
	t.Logf("test AUC %.4f, oracle AUC %.4f, ratio %.4f", got, want, got/want)
	if got < 0.97*want {
		t.Errorf("champion test AUC %.4f < 0.97 × oracle AUC %.4f", got, want)
	}
	if res.Summary.Weak {
		t.Errorf("model reported weak on a history with signal")
	}
}

// TestArtifactRoundTrip saves an artifact, loads it back and scores the
// same leads to the same probabilities, bit for bit.
func TestArtifactRoundTrip(t *testing.T) {
	h := history(t, 12000)
	spec := inferSpec(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := fastConfig(spec)
	cfg.GBDT.Rounds = 40
	cfg.SegmentBy = "product_line"
	cfg.MinPositives = 20
	res, err := train.Run(ctx, h.Leads, h.Events, "leads.parquet", cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir, err := model.Save(root, res.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != filepath.Join(root, "leads") {
		t.Errorf("saved to %s, want under %s", dir, filepath.Join(root, "leads"))
	}
	back, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Scorers) != len(res.Artifact.Scorers) {
		t.Fatalf("loaded %d scorers, saved %d", len(back.Scorers), len(res.Artifact.Scorers))
	}
	sample := h.Leads.Take([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 200, 300})
	s1, err := res.Artifact.ScoreTable(ctx, sample, h.Events, model.OfflineOptions{Reasons: 3})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := back.ScoreTable(ctx, sample, h.Events, model.OfflineOptions{Reasons: 3})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := s1.Col("probability").Floats, s2.Col("probability").Floats
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Errorf("lead %d: probability %v before saving, %v after loading", i, p1[i], p2[i])
		}
	}
	// Saving the same version again must not overwrite it.
	if _, err := model.Save(root, res.Artifact); err == nil {
		t.Errorf("second save of the same version succeeded")
	}
}

// TestSplitOutOfTime checks the default split on a known table: the newest
// quarter with both classes is test, the one before valid, older train,
// open rows unused.
func TestSplitOutOfTime(t *testing.T) {
	q := func(s string) int64 {
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMicro()
	}
	times := []int64{q("2026-01-10"), q("2026-02-10"), q("2026-04-10"), q("2026-05-10"), q("2026-07-10"), q("2026-08-10"), q("2026-08-11"), q("2026-10-02"), q("2026-10-03")}
	y := []int8{1, 0, 1, 0, 1, 0, -1, 1, -1}
	tab, err := data.NewTable(data.NewTimeColumn("created_at", times, nil))
	if err != nil {
		t.Fatal(err)
	}
	s, err := train.MakeSplit(tab, "leads.parquet", y, train.SplitConfig{TimeColumn: "created_at"})
	if err != nil {
		t.Fatal(err)
	}
	// 2026Q4 has only one class, so 2026Q3 is test and 2026Q2 valid.
	want := []train.Role{train.RoleTrain, train.RoleTrain, train.RoleValid, train.RoleValid, train.RoleTest, train.RoleTest, train.RoleOpen, train.RoleOpen, train.RoleOpen}
	for i := range want {
		if s.Roles[i] != want[i] {
			t.Errorf("row %d (%s, y=%d): role %v, want %v", i, s.Quarters[i], y[i], s.Roles[i], want[i])
		}
	}
	if s.TestPeriod != "2026Q3" || s.ValidPeriod != "2026Q2" {
		t.Errorf("periods test %q valid %q, want 2026Q3 and 2026Q2", s.TestPeriod, s.ValidPeriod)
	}
}
