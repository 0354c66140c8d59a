package report

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"leadscore/data"
	"leadscore/eval"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden")

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// goldenReport is the fixed input of the golden tests: 800 leads over four
// quarters, the last one under-predicted (odds × 0.6) with 15 % still open,
// plus rescored leads, predictions older than their lead, unknown leads, a
// challenger, stages and rules answers.
func goldenReport(t *testing.T) *Report {
	t.Helper()
	pred, out := synthTables(t, synthSpec{leads: 800, seed: 7, quarters: []string{"2025Q4", "2026Q1", "2026Q2", "2026Q3"},
		bias: 0.6, openShare: 0.15, extras: true})
	r, err := Build(ctxT(t), pred, out, Options{Quarter: "2026Q3", TargetRate: 0.4})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGoldenFiles(t *testing.T) {
	r := goldenReport(t)
	dir := t.TempDir()
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range Files {
		if name == "index.html" {
			continue // checked by TestBrowserRendersReport
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", name+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./report -update to create it)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s differs from %s (go test ./report -update to accept):\n%s", name, golden, diff)
		}
	}
	// The golden input is built to exercise every rule of the join.
	if r.Inputs.Unmatched != 5 || r.Inputs.UnmatchedLeads != 5 {
		t.Errorf("unmatched = %d rows / %d leads, want 5 / 5", r.Inputs.Unmatched, r.Inputs.UnmatchedLeads)
	}
	if r.Verdict.Status != StatusRecalibrate {
		t.Errorf("verdict %+v, want recalibrate (the last quarter is under-predicted)", r.Verdict)
	}
}

// TestDeterministic builds the same report twice and compares every file.
func TestDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := goldenReport(t).WriteDir(a); err != nil {
		t.Fatal(err)
	}
	if err := goldenReport(t).WriteDir(b); err != nil {
		t.Fatal(err)
	}
	for _, name := range Files {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if len(x) == 0 || string(x) != string(y) {
			t.Errorf("%s: two builds differ or are empty (%d, %d bytes)", name, len(x), len(y))
		}
	}
}

// handTables is ten closed deals whose figures are computed by hand in
// TestHandComputed, two open leads and one prediction of an unknown lead.
func handTables(t *testing.T) (pred, out *data.Table) {
	t.Helper()
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "o1", "o2"}
	p := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.3, 0.5}
	y := []string{"won", "won", "lost", "won", "lost", "lost", "won", "lost", "lost", "lost", "open", "open"}
	pred, err := data.NewTable(
		data.NewStringColumn("lead_id", append(append([]string(nil), ids...), "ghost"), nil),
		data.NewFloatColumn("probability", append(append([]float64(nil), p...), 0.5)),
	)
	if err != nil {
		t.Fatal(err)
	}
	out, err = data.NewTable(data.NewStringColumn("lead_id", ids, nil), data.NewStringColumn("outcome", y, nil))
	if err != nil {
		t.Fatal(err)
	}
	return pred, out
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 || math.IsNaN(got) != math.IsNaN(want) {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

func TestHandComputed(t *testing.T) {
	pred, out := handTables(t)
	r, err := Build(ctxT(t), pred, out, Options{Thresholds: Thresholds{MQL: 0.5}, TargetRate: 0.75, MinClosed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Headline
	if m.N != 10 || m.Positives != 4 || r.Lost != 6 || r.Open != 2 || r.Scored != 12 {
		t.Fatalf("counts: N %d won %d lost %d open %d scored %d; want 10, 4, 6, 2, 12", m.N, m.Positives, r.Lost, r.Open, r.Scored)
	}
	// Won scores 0.9, 0.8, 0.6, 0.3 beat 6, 6, 5 and 3 of the 6 lost: 20/24.
	near(t, "AUC", m.AUC, 20.0/24)
	// Precision at each won deal: 1/1, 2/2, 3/4, 4/7.
	near(t, "PR AUC", m.PRAUC, (1+1+0.75+4.0/7)/4)
	// Won: .1²+.2²+.4²+.7² = .70; lost: .7²+.5²+.4²+.2²+.1²+.05² = .9525.
	near(t, "Brier", m.Brier, 1.6525/10)
	// Each deal is alone in its bin: Σ|p − y| / 10.
	near(t, "ECE", m.ECE, 3.35/10)
	near(t, "mean predicted", m.MeanPred, 0.455)
	near(t, "base rate", m.BaseRate, 0.4)
	near(t, "open mean predicted", r.OpenMeanPred, 0.4)
	// Decile 1 is the 0.9 deal alone: win rate 1, lift 1/0.4.
	if d := r.Deciles[0]; d.N != 1 || d.Positives != 1 || math.Abs(d.Lift-2.5) > 1e-12 || math.Abs(d.CumCapture-0.25) > 1e-12 {
		t.Errorf("decile 1 = %+v, want 1 lead, 1 won, lift 2.5, capture 0.25", d)
	}
	// MQL 0.5: five deals at or above (3 won): share 0.5, rate 0.6, capture 0.75.
	mql := r.Thresholds.Rows[0]
	if mql.Name != "MQL" || mql.Source != "given" {
		t.Fatalf("first threshold row = %+v", mql)
	}
	near(t, "MQL share", mql.ShareAbove, 0.5)
	near(t, "MQL rate", mql.RateAbove, 0.6)
	near(t, "MQL capture", mql.CaptureAbove, 0.75)
	// SQL: neither given nor inferable (no stage column).
	if sql := r.Thresholds.Rows[1]; !math.IsNaN(sql.Threshold) || sql.Note == "" {
		t.Errorf("SQL row = %+v, want NaN with a note", sql)
	}
	// Target 75 %: rates from the top are 1, 1, 2/3, 3/4, 3/5, ...; 0.6 is
	// the lowest threshold still at 75 %.
	near(t, "target threshold", r.Thresholds.Rows[2].Threshold, 0.6)
	// The ghost prediction is counted and named.
	if r.Inputs.Unmatched != 1 || !strings.Contains(strings.Join(r.Notes, "\n"), "ghost") {
		t.Errorf("unmatched = %d, notes %q; want 1 and a note naming ghost", r.Inputs.Unmatched, r.Notes)
	}
	// No timestamps: one period, no quarter table.
	if r.Period.Label != "all leads" || r.Quarters.Unavailable == "" {
		t.Errorf("period %q, quarters unavailable %q", r.Period.Label, r.Quarters.Unavailable)
	}
}

// TestPick checks which prediction of a rescored lead is used.
func TestPick(t *testing.T) {
	t0 := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	h := time.Hour.Microseconds()
	c := t0.UnixMicro()
	pred, err := data.NewTable(
		data.NewStringColumn("lead_id", []string{"A", "A", "A", "B", "A"}, nil),
		data.NewTimeColumn("scored_at", []int64{c - h, c + 2*h, c + h, c - h, c + 3*h}, nil),
		data.NewFloatColumn("probability", []float64{0.1, 0.3, 0.2, 0.4, 0.5}),
	)
	if err != nil {
		t.Fatal(err)
	}
	out, err := data.NewTable(
		data.NewStringColumn("lead_id", []string{"A", "B"}, nil),
		data.NewTimeColumn("created_at", []int64{c, c}, nil),
		data.NewStringColumn("outcome", []string{"won", "lost"}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pick  string
		wantA float64
	}{
		{PickFirst, 0.2}, // the first at or after created_at, not the earlier 0.1
		{PickLast, 0.5},
	} {
		o := Options{Pick: tc.pick}.withDefaults()
		j, _, err := join(pred, out, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		if j.p[0] != tc.wantA || j.p[1] != 0.4 {
			t.Errorf("pick %s: A = %v, B = %v; want %v and 0.4", tc.pick, j.p[0], j.p[1], tc.wantA)
		}
		if j.stats.RescoredLeads != 1 || j.stats.ScoredBeforeCreate != 1 {
			t.Errorf("pick %s: stats %+v, want 1 rescored and 1 scored before creation", tc.pick, j.stats)
		}
	}
}

func TestJudge(t *testing.T) {
	mk := func(n, won int, auc, mean, ece float64) eval.Metrics {
		return eval.Metrics{N: n, Positives: won, BaseRate: float64(won) / float64(n), AUC: auc, MeanPred: mean, ECE: ece}
	}
	for i, tc := range []struct {
		m       eval.Metrics
		prev    float64
		status  string
		summary string
	}{
		{mk(100, 20, 0.8, 0.2, 0.01), math.NaN(), StatusInsufficient, "not enough closed deals to judge"}, // 0: 20 won < 30
		{mk(100, 80, 0.8, 0.8, 0.01), math.NaN(), StatusInsufficient, "not enough closed deals"},          // 1: 20 lost < 30
		{mk(500, 100, math.NaN(), 0.2, 0.01), math.NaN(), StatusInsufficient, "not enough"},               // 2: AUC undefined
		{mk(500, 100, 0.55, 0.2, 0.01), math.NaN(), StatusRetrain, "rank is too weak (AUC 0.55): retrain"},
		{mk(500, 100, 0.78, 0.2, 0.01), 0.83, StatusRetrain, "rank has degraded (AUC 0.78, was 0.83): retrain"},
		{mk(500, 100, 0.81, 0.12, 0.03), 0.83, StatusRecalibrate, "ranking holds (AUC 0.81, was 0.83); probabilities run 40 % low: recalibrate"},
		{mk(500, 100, 0.81, 0.26, 0.03), math.NaN(), StatusRecalibrate, "probabilities run 30 % high: recalibrate"},
		{mk(500, 100, 0.81, 0.21, 0.07), 0.80, StatusRecalibrate, "off by 7.0 points on average (ECE): recalibrate"},
		{mk(500, 100, 0.80, 0.21, 0.02), 0.82, StatusHealthy, "healthy: ranking holds (AUC 0.80, was 0.82)"}, // drop 0.02 ≤ 0.03
	} {
		v := Judge(tc.m, tc.prev, 30)
		if v.Status != tc.status || !strings.Contains(v.Summary, tc.summary) || v.Reason == "" {
			t.Errorf("%d: Judge = %+v, want status %s and summary containing %q", i, v, tc.status, tc.summary)
		}
	}
}

// write builds the report into a temporary directory and returns its
// Markdown and parsed summary.json.
func write(t *testing.T, r *Report) (string, map[string]any) {
	t.Helper()
	dir := t.TempDir()
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(js, &s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return string(md), s
}

func TestBadInput(t *testing.T) {
	ids := []string{"a", "b", "c", "d"}
	created := []int64{}
	for range ids {
		created = append(created, time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	}
	preds := func(cols ...*data.Column) *data.Table {
		tb, err := data.NewTable(append([]*data.Column{data.NewStringColumn("lead_id", ids, nil)}, cols...)...)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	outs := func(labels ...string) *data.Table {
		tb, err := data.NewTable(data.NewStringColumn("lead_id", ids, nil), data.NewStringColumn("outcome", labels, nil),
			data.NewTimeColumn("created_at", created, nil))
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	prob := data.NewFloatColumn("probability", []float64{0.9, 0.1, 0.5, 0.3})

	t.Run("missing probability", func(t *testing.T) {
		_, err := Build(ctxT(t), preds(), outs("won", "lost", "won", "lost"), Options{})
		if !errors.Is(err, data.ErrMissingColumn) || !strings.Contains(err.Error(), `"probability"`) {
			t.Errorf("err = %v, want a missing-column error naming probability", err)
		}
	})
	t.Run("unknown label", func(t *testing.T) {
		_, err := Build(ctxT(t), preds(prob), outs("won", "maybe", "won", "lost"), Options{})
		var ce *data.ColumnError
		if !errors.As(err, &ce) || !errors.Is(err, data.ErrBadOutcome) || ce.Row != 2 || ce.Value != "maybe" {
			t.Errorf("err = %v, want a bad-outcome ColumnError at row 2 naming \"maybe\"", err)
		}
	})
	t.Run("duplicate lead", func(t *testing.T) {
		out, _ := data.NewTable(data.NewStringColumn("lead_id", []string{"a", "b", "a", "d"}, nil),
			data.NewStringColumn("outcome", []string{"won", "lost", "won", "lost"}, nil))
		_, err := Build(ctxT(t), preds(prob), out, Options{})
		if !errors.Is(err, data.ErrDuplicateID) {
			t.Errorf("err = %v, want ErrDuplicateID", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		_, err := Build(ctxT(t), preds(prob), outs("won", "lost", "won", "lost"), Options{Quarter: "2026Q5", TargetRate: 2})
		if err == nil || !strings.Contains(err.Error(), "Quarter") || !strings.Contains(err.Error(), "TargetRate") {
			t.Errorf("err = %v, want both bad fields reported", err)
		}
	})
	t.Run("no closed deals", func(t *testing.T) {
		r, err := Build(ctxT(t), preds(prob), outs("open", "open", "open", "open"), Options{Quarter: "2026Q3"})
		if err != nil {
			t.Fatal(err)
		}
		md, s := write(t, r)
		if r.Verdict.Status != StatusInsufficient || r.Open != 4 || r.Lost != 0 {
			t.Errorf("verdict %s, open %d, lost %d; want insufficient, 4, 0", r.Verdict.Status, r.Open, r.Lost)
		}
		if !strings.Contains(md, "not enough data: none of the 4 scored leads in 2026Q3 has closed yet") {
			t.Errorf("report.md does not say why the sections are empty:\n%s", md)
		}
		if h := s["headline"].(map[string]any); h["auc"] != nil {
			t.Errorf("summary.json headline auc = %v, want null", h["auc"])
		}
	})
	t.Run("one class", func(t *testing.T) {
		r, err := Build(ctxT(t), preds(prob), outs("lost", "lost", "lost", "open"), Options{Quarter: "2026Q3"})
		if err != nil {
			t.Fatal(err)
		}
		md, _ := write(t, r)
		for _, want := range []string{"only one class: none of the 3 closed deals was won", "n/a (no won deals (one class))"} {
			if !strings.Contains(md, want) {
				t.Errorf("report.md lacks %q:\n%s", want, md)
			}
		}
		if strings.Contains(md, "NaN") {
			t.Errorf("report.md shows NaN:\n%s", md)
		}
	})
	t.Run("minimal columns", func(t *testing.T) {
		out, _ := data.NewTable(data.NewStringColumn("lead_id", ids, nil), data.NewStringColumn("outcome", []string{"won", "lost", "won", "lost"}, nil))
		r, err := Build(ctxT(t), preds(prob), out, Options{})
		if err != nil {
			t.Fatal(err)
		}
		md, _ := write(t, r)
		for _, want := range []string{
			"**Not available:** not enough data: no created_at or scored_at",
			"**Not available:** the predictions have no challenger_probability column",
			"**Not available:** no segment columns",
			"no threshold given and no stage column to infer it from",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("report.md lacks %q", want)
			}
		}
	})
	t.Run("empty period", func(t *testing.T) {
		r, err := Build(ctxT(t), preds(prob), outs("won", "lost", "won", "lost"), Options{Quarter: "2030Q1"})
		if err != nil {
			t.Fatal(err)
		}
		md, _ := write(t, r)
		if !strings.Contains(md, "not enough data: no scored leads in 2030Q1") {
			t.Errorf("report.md does not flag the empty period:\n%s", md)
		}
	})
	t.Run("missing segment column", func(t *testing.T) {
		r, err := Build(ctxT(t), preds(prob), outs("won", "lost", "won", "lost"), Options{SegmentBy: []string{"region"}})
		if err != nil {
			t.Fatal(err)
		}
		md, _ := write(t, r)
		if !strings.Contains(md, `column "region" is in neither the leads nor the predictions`) {
			t.Errorf("report.md does not flag the missing segment column:\n%s", md)
		}
	})
}

// TestSklearnFigures compares the report's headline and reliability bins
// with scikit-learn 1.2.1 on testdata/sk_fixture.csv; sk_metrics.json is
// written by testdata/sk_metrics.py.
func TestSklearnFigures(t *testing.T) {
	raw, err := os.ReadFile("testdata/sk_fixture.csv")
	if err != nil {
		t.Fatalf("%v (regenerate with: cd report/testdata && /usr/bin/python3 sk_metrics.py)", err)
	}
	var want struct {
		N, Positives int
		AUC          float64   `json:"roc_auc"`
		AP           float64   `json:"average_precision"`
		Brier        float64   `json:"brier"`
		LogLoss      float64   `json:"log_loss"`
		ECE          float64   `json:"ece_10_uniform"`
		MeanPred     float64   `json:"mean_pred"`
		ProbTrue     []float64 `json:"calibration_prob_true"`
		ProbPred     []float64 `json:"calibration_prob_pred"`
		Counts       []int     `json:"calibration_counts"`
	}
	js, err := os.ReadFile("testdata/sk_metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")[1:]
	var ids, labels []string
	var p []float64
	for i, l := range lines {
		f := strings.Split(strings.TrimSpace(l), ",")
		var v float64
		if err := json.Unmarshal([]byte(f[0]), &v); err != nil {
			t.Fatalf("sk_fixture.csv line %d: %v", i+2, err)
		}
		ids = append(ids, fmt.Sprintf("L%05d", i))
		p = append(p, v)
		labels = append(labels, map[string]string{"1": "won", "0": "lost"}[f[1]])
	}
	pred, _ := data.NewTable(data.NewStringColumn("lead_id", ids, nil), data.NewFloatColumn("probability", p))
	out, _ := data.NewTable(data.NewStringColumn("lead_id", ids, nil), data.NewStringColumn("outcome", labels, nil))
	r, err := Build(ctxT(t), pred, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Headline
	if m.N != want.N || m.Positives != want.Positives {
		t.Fatalf("N %d, positives %d; want %d, %d", m.N, m.Positives, want.N, want.Positives)
	}
	near(t, "ROC AUC vs roc_auc_score", m.AUC, want.AUC)
	near(t, "PR AUC vs average_precision_score", m.PRAUC, want.AP)
	near(t, "Brier vs brier_score_loss", m.Brier, want.Brier)
	near(t, "log loss vs log_loss", m.LogLoss, want.LogLoss)
	near(t, "ECE vs calibration_curve", m.ECE, want.ECE)
	near(t, "mean predicted", m.MeanPred, want.MeanPred)
	if len(r.Reliability) != len(want.ProbTrue) {
		t.Fatalf("%d reliability bins, sklearn has %d", len(r.Reliability), len(want.ProbTrue))
	}
	for i, b := range r.Reliability {
		if b.N != want.Counts[i] {
			t.Errorf("bin %d: %d leads, sklearn %d", i, b.N, want.Counts[i])
		}
		near(t, "bin mean predicted", b.MeanP, want.ProbPred[i])
		near(t, "bin win rate", b.Rate, want.ProbTrue[i])
	}
}

// TestInvariants checks properties that hold for any input: segments and
// deciles partition the period, the quarter of the period repeats the
// headline, capture reaches 100 %, and open leads never count as lost.
func TestInvariants(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		pred, out := synthTables(t, synthSpec{leads: 900, seed: seed, quarters: []string{"2026Q1", "2026Q2", "2026Q3"},
			bias: 1.5, openShare: 0.3, extras: seed%2 == 1})
		r, err := Build(ctxT(t), pred, out, Options{Quarter: "2026Q3", MinClosed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if r.Won+r.Lost+r.Open != r.Scored || r.Headline.N != r.Won+r.Lost {
			t.Errorf("seed %d: won %d + lost %d + open %d != scored %d", seed, r.Won, r.Lost, r.Open, r.Scored)
		}
		n, won := 0, 0
		for _, d := range r.Deciles {
			n += d.N
			won += d.Positives
		}
		if n != r.Headline.N || won != r.Won || math.Abs(r.Deciles[len(r.Deciles)-1].CumCapture-1) > 1e-12 {
			t.Errorf("seed %d: deciles hold %d deals / %d won, want %d / %d", seed, n, won, r.Headline.N, r.Won)
		}
		for _, g := range r.Segments {
			scored, won, open := 0, 0, 0
			for _, s := range g.Segments {
				scored += s.Scored
				won += s.Metrics.Positives
				open += s.Open
			}
			if scored != r.Scored || won != r.Won || open != r.Open {
				t.Errorf("seed %d: segments of %s sum to %d scored, %d won, %d open; want %d, %d, %d",
					seed, g.Column, scored, won, open, r.Scored, r.Won, r.Open)
			}
		}
		last := r.Quarters.Rows[len(r.Quarters.Rows)-1]
		if !last.InPeriod || last.Scored != r.Scored || last.Metrics.AUC != r.Headline.AUC {
			t.Errorf("seed %d: quarter row %+v does not repeat the headline", seed, last)
		}
		// Bias 1.5 over-predicts the last quarter.
		if r.Headline.MeanPred <= r.Headline.BaseRate {
			t.Errorf("seed %d: mean predicted %v not above the win rate %v", seed, r.Headline.MeanPred, r.Headline.BaseRate)
		}
	}
}
