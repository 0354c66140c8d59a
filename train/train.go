// Package train fits lead-scoring models the way they are used: on older
// quarters, validated on the next, tested on the newest.
//
//	leads (+ events) ──split by quarter──▶ train │ valid │ test
//	train rows ──features.Fit──▶ Transformer ──▶ vectors for every row
//	logistic regression (L2 chosen on valid) ┐
//	gradient-boosted trees (early stop on valid) ┴─▶ calibrate on valid (Platt or isotonic)
//	──▶ champion by validation log loss ──▶ test metrics ──▶ model.Artifact
//
// With a segment column, the same pipeline runs once for all rows (the
// global scorer) and once per segment value with enough won leads; smaller
// segments fall back to the global scorer, and the artifact says so.
package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"leadscore/data"
	"leadscore/eval"
	"leadscore/features"
	"leadscore/model"
	"leadscore/model/calib"
	"leadscore/model/linear"
	"leadscore/model/rules"
	"leadscore/train/gbdt"
	"leadscore/train/logistic"

	"gonum.org/v1/gonum/mat"
)

// Config configures a training run. A zero field means the default
// documented on it.
type Config struct {
	// Name of the model; the artifact goes to ROOT/<Name>/<version>/.
	Name string `json:"name"`
	// Spec is the feature spec (required); SpecYAML its text for the artifact.
	Spec     *features.Spec `json:"-"`
	SpecYAML []byte         `json:"-"`
	// Split says how rows divide into train, validation and test.
	Split SplitConfig `json:"split"`
	// Algorithms are the candidate champions: "logistic", "gbdt". Default both.
	Algorithms []string `json:"algorithms"`
	// GBDT configures the trees; Rounds caps boosting rounds (exact count
	// when there are no validation rows).
	GBDT gbdt.Config `json:"gbdt"`
	// L2Grid is the set of L2 penalties tried for logistic regression,
	// chosen by validation log loss. Default logistic.DefaultGrid.
	L2Grid []float64 `json:"l2_grid,omitempty"`
	// Seed drives every random choice (subsampling, carving validation rows).
	Seed uint64 `json:"seed"`
	// SegmentBy names a column whose values get scorers of their own.
	SegmentBy string `json:"segment_by,omitempty"`
	// MinPositives is the number of won training leads a segment needs for
	// a scorer of its own. Default 50.
	MinPositives int `json:"min_positives"`
	// SegmentFallback is what serves a segment under the gate: "global"
	// (default) or "rules".
	SegmentFallback string `json:"segment_fallback"`
	// Recalibrate refits the calibrator's intercept on the newest labelled
	// period (the test period) after test metrics are taken, for base-rate
	// shift. Test metrics are those of the model before the refit.
	Recalibrate bool `json:"recalibrate"`
	// NoRefit keeps the models fitted on the training rows only. By default
	// the trainer refits each model on training + validation rows with the
	// settings validation chose (L2, number of rounds), because the newest
	// labelled quarter is the most like the quarter the model will score.
	NoRefit bool `json:"no_refit"`
	// Thresholds overrides the stage thresholds derived from validation.
	Thresholds *model.Thresholds `json:"thresholds,omitempty"`
	// Rules, when set, is the rules fallback: the trainer scores the
	// training and validation leads with it, fits its points-to-probability
	// calibration on their outcomes and stores it in the artifact.
	Rules *rules.Model `json:"-"`
	// Inputs fingerprints the input files, for the manifest.
	Inputs []model.Fingerprint `json:"-"`
	// Now is the training time (default time.Now); it names the version.
	Now time.Time `json:"-"`
}

// Progress reports one step of a training run to the caller's display.
type Progress struct {
	Scorer string // "global", "product_line=analytics"
	Stage  string // "features", "logistic", "gbdt", "calibrate"
	Round  int    // boosting round, for Stage "gbdt"
	Rounds int
	// ValidLogLoss is the validation log loss after Round, if known.
	ValidLogLoss float64
}

// Result is a finished training run.
type Result struct {
	Artifact *model.Artifact
	Summary  Summary
}

// Summary is the part of a run that people read: per model, validation
// and test metrics, and the champion.
type Summary struct {
	Champion string                    `json:"champion"`
	Models   []ModelSummary            `json:"models"`
	Split    SplitSummary              `json:"split"`
	Segments []model.Segment           `json:"segments,omitempty"`
	Leakage  []features.LeakageWarning `json:"leakage,omitempty"`
	Warnings []string                  `json:"warnings,omitempty"`
	Weak     bool                      `json:"weak"`
}

// ModelSummary is one candidate model's metrics.
type ModelSummary struct {
	Name  string       `json:"name"`
	Valid eval.Metrics `json:"valid"`
	Test  eval.Metrics `json:"test"`
	// Calibrator is "platt" or "isotonic".
	Calibrator string `json:"calibrator"`
}

// SplitSummary says which periods were used.
type SplitSummary struct {
	Train, Valid, Test             string
	TrainRows, ValidRows, TestRows int
	OpenRows                       int
}

// WeakAUC is the test AUC under which a champion is reported as weak: it
// ranks little better than chance.
const WeakAUC = 0.55

func (c *Config) defaults() {
	if len(c.Algorithms) == 0 {
		c.Algorithms = []string{model.Logistic, model.GBDT}
	}
	if c.MinPositives == 0 {
		c.MinPositives = 50
	}
	if c.SegmentFallback == "" {
		c.SegmentFallback = "global"
	}
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	if c.Name == "" {
		c.Name = "leads"
	}
	c.GBDT.Seed = c.Seed
}

// Validate reports every invalid field.
func (c *Config) Validate() error {
	var errs []error
	if c.Spec == nil {
		errs = append(errs, errors.New("a feature spec is required"))
	}
	for _, a := range c.Algorithms {
		if a != model.Logistic && a != model.GBDT {
			errs = append(errs, fmt.Errorf("algorithm %q: want logistic or gbdt", a))
		}
	}
	if c.MinPositives < 1 {
		errs = append(errs, fmt.Errorf("MinPositives %d must be at least 1", c.MinPositives))
	}
	if c.SegmentFallback != "global" && c.SegmentFallback != "rules" {
		errs = append(errs, fmt.Errorf("SegmentFallback %q: want global or rules", c.SegmentFallback))
	}
	if c.Thresholds != nil {
		if err := c.Thresholds.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Run trains on leads (and events, which may be nil) and returns the
// artifact and its summary. file names the leads file in messages.
func Run(ctx context.Context, leads, events *data.Table, file string, cfg Config, log *slog.Logger, progress func(Progress)) (*Result, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	y, err := cfg.Spec.Labels(leads)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if cfg.Split.TimeColumn == "" {
		cfg.Split.TimeColumn = cfg.Spec.Time
	}
	split, err := MakeSplit(leads, file, y, cfg.Split)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if split.Count(RoleValid) == 0 {
		carveValid(split, y, cfg.Seed)
		split.ValidPeriod = "a seeded 10% of the training rows"
	}
	log.Info("split", "train", split.TrainPeriod, "valid", split.ValidPeriod, "test", split.TestPeriod,
		"train_rows", split.Count(RoleTrain), "valid_rows", split.Count(RoleValid), "test_rows", split.Count(RoleTest),
		"open_rows", split.Count(RoleOpen))

	all := make([]int, leads.Rows)
	for i := range all {
		all[i] = i
	}
	global, gsum, err := fitScorer(ctx, "global", leads, events, y, split, all, cfg, log, progress)
	if err != nil {
		return nil, err
	}
	scorers := map[string]*model.Scorer{"global": global}

	manifest := model.Manifest{
		Name:      cfg.Name,
		Version:   model.NewVersion(cfg.Now),
		TrainedAt: cfg.Now.UTC(),
		Inputs:    cfg.Inputs,
		Leakage:   gsum.leakage,
	}
	summary := Summary{
		Champion: global.Champion.Algorithm,
		Models:   gsum.models,
		Split: SplitSummary{
			Train: split.TrainPeriod, Valid: split.ValidPeriod, Test: split.TestPeriod,
			TrainRows: split.Count(RoleTrain), ValidRows: split.Count(RoleValid), TestRows: split.Count(RoleTest),
			OpenRows: split.Count(RoleOpen),
		},
		Leakage: gsum.leakage,
	}
	if auc := global.Champion.Test.AUC; !(auc >= WeakAUC) {
		summary.Weak = true
		summary.Warnings = append(summary.Warnings, fmt.Sprintf(
			"the model is weak: test ROC AUC %.3f is close to chance (0.5); its scores carry little signal, so do not act on them beyond the rules model", auc))
	}
	for _, l := range gsum.leakage {
		summary.Warnings = append(summary.Warnings, fmt.Sprintf("possible leakage: column %q: %s (exclude it in the spec if it is known only after the outcome)", l.Column, l.Reason))
	}

	if cfg.SegmentBy != "" {
		segs, err := fitSegments(ctx, leads, events, file, y, split, cfg, scorers, log, progress)
		if err != nil {
			return nil, err
		}
		manifest.SegmentColumn = cfg.SegmentBy
		manifest.Segments = segs
		summary.Segments = segs
	}
	manifest.Warnings = summary.Warnings
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("train: config: %w", err)
	}
	manifest.Config = cfgJSON
	specYAML := cfg.SpecYAML
	if specYAML == nil {
		if specYAML, err = cfg.Spec.MarshalText(); err != nil {
			return nil, fmt.Errorf("train: spec: %w", err)
		}
	}
	var rulesYAML []byte
	if cfg.Rules != nil {
		if rulesYAML, err = calibrateRules(cfg.Rules, leads, events, y, split, cfg.Spec); err != nil {
			return nil, fmt.Errorf("train: rules: %w", err)
		}
	}
	return &Result{
		Artifact: &model.Artifact{Manifest: manifest, Spec: specYAML, Scorers: scorers, Rules: rulesYAML},
		Summary:  summary,
	}, nil
}

// calibrateRules fits the rules model's points-to-probability map on the
// closed training and validation leads, scored at their cut-offs as the
// models were, and returns the calibrated rules as YAML.
func calibrateRules(r *rules.Model, leads, events *data.Table, y []int8, split *Split, spec *features.Spec) ([]byte, error) {
	var idx []int
	for i, role := range split.Roles {
		if role == RoleTrain || role == RoleValid {
			idx = append(idx, i)
		}
	}
	sub := leads.Take(idx)
	tc := sub.Col(spec.Time)
	if tc == nil || tc.Type != data.Time {
		return nil, fmt.Errorf("no timestamp column %q for the rules' cut-offs", spec.Time)
	}
	h := spec.Cutoff.Horizon.Microseconds()
	cutoffs := make([]int64, len(idx))
	for k := range idx {
		cutoffs[k] = tc.Times[k] + h
	}
	points, err := r.ScoreTable(sub, events, cutoffs)
	if err != nil {
		return nil, err
	}
	won := make([]bool, len(idx))
	for k, i := range idx {
		won[k] = y[i] == 1
	}
	cal, err := rules.FitCalibration(points, won)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Calibration = cal
	if err := c.Compile(); err != nil {
		return nil, err
	}
	return c.MarshalText()
}

// carveValid marks a seeded 10% of the training rows (stratified by label)
// as validation rows, for data whose split gives none.
func carveValid(s *Split, y []int8, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x1ead5c0e))
	for class := int8(0); class <= 1; class++ {
		var idx []int
		for i, r := range s.Roles {
			if r == RoleTrain && y[i] == class {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx[:len(idx)/10] {
			s.Roles[i] = RoleValid
		}
	}
}

type scorerSummary struct {
	models  []ModelSummary
	leakage []features.LeakageWarning
}

// fitScorer runs the whole pipeline on the rows in scope (all rows, or one
// segment's) and returns the scorer.
func fitScorer(ctx context.Context, name string, leads, events *data.Table, y []int8, split *Split, scope []int,
	cfg Config, log *slog.Logger, progress func(Progress)) (*model.Scorer, *scorerSummary, error) {
	wrap := func(err error) error { return fmt.Errorf("train %s: %w", name, err) }
	var trainIdx, validIdx, testIdx []int
	for _, i := range scope {
		switch split.Roles[i] {
		case RoleTrain:
			trainIdx = append(trainIdx, i)
		case RoleValid:
			validIdx = append(validIdx, i)
		case RoleTest:
			testIdx = append(testIdx, i)
		}
	}
	if len(trainIdx) == 0 || len(validIdx) == 0 {
		return nil, nil, wrap(fmt.Errorf("%d training and %d validation rows: need both", len(trainIdx), len(validIdx)))
	}

	progress(Progress{Scorer: name, Stage: "features"})
	trainLeads := leads.Take(trainIdx)
	tr, rep, err := features.Fit(ctx, cfg.Spec, trainLeads, events)
	if err != nil {
		return nil, nil, wrap(err)
	}
	// One transform of every row in scope; rows are addressed by position
	// in scope from here on.
	scoped := leads
	if len(scope) != leads.Rows {
		scoped = leads.Take(scope)
	}
	m, err := tr.TransformTable(ctx, scoped, events)
	if err != nil {
		return nil, nil, wrap(err)
	}
	pos := make(map[int]int, len(scope))
	for k, i := range scope {
		pos[i] = k
	}
	rowsOf := func(idx []int) []int {
		out := make([]int, len(idx))
		for k, i := range idx {
			out[k] = pos[i]
		}
		return out
	}
	tRows, vRows, sRows := rowsOf(trainIdx), rowsOf(validIdx), rowsOf(testIdx)
	label := func(idx []int) ([]float64, []bool) {
		f := make([]float64, len(idx))
		b := make([]bool, len(idx))
		for k, i := range idx {
			if y[i] == 1 {
				f[k], b[k] = 1, true
			}
		}
		return f, b
	}
	yTrain, bTrain := label(trainIdx)
	yValid, bValid := label(validIdx)
	_, bTest := label(testIdx)

	feats := tr.Features()
	width := len(feats)
	linW := tr.LinearWidth()

	// The linear view, for logistic regression and the sub-scores.
	linView := func(rows []int) []float64 {
		out := make([]float64, len(rows)*linW)
		for k, r := range rows {
			tr.ToLinear(m.Row(r), out[k*linW:(k+1)*linW])
		}
		return out
	}
	linTrain, linValid, linTest := linView(tRows), linView(vRows), linView(sRows)

	type candidate struct {
		pred          *model.Predictor
		validM, testM []float64
		// validP is the calibrated validation probabilities.
		validP []float64
		// rounds is the number of boosting rounds validation chose (GBDT).
		rounds int
	}
	var cands []candidate

	// Logistic regression: always fitted, because its margin parts give the
	// fit and engagement sub-scores even when it is not a candidate.
	progress(Progress{Scorer: name, Stage: "logistic"})
	matOf := func(X []float64, rows int) *mat.Dense {
		if rows == 0 {
			return nil
		}
		return mat.NewDense(rows, linW, X)
	}
	l2, path, err := logistic.ChooseL2(ctx, matOf(linTrain, len(tRows)), yTrain, nil, matOf(linValid, len(vRows)), yValid, cfg.L2Grid, logistic.Config{})
	if err != nil {
		return nil, nil, wrap(err)
	}
	var lr *linear.Model
	var lrRes *logistic.Result
	for _, gp := range path {
		if gp.L2 == l2 {
			lr, lrRes = gp.Model, gp.Result
		}
	}
	lr.Names = tr.LinearNames()
	lrValid := linearMargins(lr, linValid, linW)
	lrTest := linearMargins(lr, linTest, linW)
	log.Info("logistic regression", "scorer", name, "l2", l2, "iterations", lrRes.Iterations, "converged", lrRes.Converged)
	if slices.Contains(cfg.Algorithms, model.Logistic) {
		cands = append(cands, candidate{
			pred: &model.Predictor{
				Algorithm:  model.Logistic,
				Linear:     lr,
				Importance: linearImportance(lr, tr, width),
				Notes: map[string]string{
					"l2":         fmt.Sprint(l2),
					"iterations": fmt.Sprint(lrRes.Iterations),
					"converged":  fmt.Sprint(lrRes.Converged),
				},
			},
			validM: lrValid, testM: lrTest,
		})
	}

	if slices.Contains(cfg.Algorithms, model.GBDT) {
		progress(Progress{Scorer: name, Stage: "gbdt"})
		gf := gbdtFeatures(feats)
		trainDS := gbdt.Dataset{X: denseRows(m, tRows, width), Rows: len(tRows), Cols: width, Y: yTrain}
		validDS := &gbdt.Dataset{X: denseRows(m, vRows, width), Rows: len(vRows), Cols: width, Y: yValid}
		gcfg := cfg.GBDT
		last := time.Now()
		forest, gres, err := gbdt.Train(ctx, gf, trainDS, validDS, gcfg, func(r gbdt.RoundInfo) {
			if time.Since(last) > 200*time.Millisecond || r.Round == 1 {
				last = time.Now()
				progress(Progress{Scorer: name, Stage: "gbdt", Round: r.Round, Rounds: gcfg.Rounds, ValidLogLoss: r.ValidLogLoss})
			}
		})
		if err != nil {
			return nil, nil, wrap(err)
		}
		log.Info("gradient-boosted trees", "scorer", name, "best_round", gres.BestRound, "stopped_early", gres.StoppedEarly)
		gValid := make([]float64, len(vRows))
		forestMargins(forest, m, vRows, gValid)
		gTest := make([]float64, len(sRows))
		forestMargins(forest, m, sRows, gTest)
		gp := &model.Predictor{
			Algorithm:  model.GBDT,
			Forest:     forest,
			Importance: normalise(gres.GainImportance),
			Notes: map[string]string{
				"best_round":    fmt.Sprint(gres.BestRound),
				"stopped_early": fmt.Sprint(gres.StoppedEarly),
			},
		}
		cands = append(cands, candidate{
			pred:   gp,
			validM: gValid, testM: gTest,
			rounds: gres.BestRound,
		})
	}

	// Calibrate each candidate on the validation rows and measure it.
	progress(Progress{Scorer: name, Stage: "calibrate"})
	testQuarters := make([]string, len(testIdx))
	for k, i := range testIdx {
		testQuarters[k] = split.Quarters[i]
	}
	sum := &scorerSummary{leakage: rep.Leakage}
	for k, c := range cands {
		cal, err := chooseCalibrator(c.validM, bValid, cfg.Seed)
		if err != nil {
			return nil, nil, wrap(fmt.Errorf("%s: calibrate: %w", c.pred.Algorithm, err))
		}
		c.pred.Calibrator = cal
		cands[k].validP = applyAll(cal, c.validM)
		c.pred.Valid = eval.Compute(cands[k].validP, bValid)
	}
	if len(cands) == 0 {
		return nil, nil, wrap(errors.New("no algorithm to train"))
	}
	best := chooseChampion(len(cands), func(k int) []float64 { return cands[k].validP }, bValid)

	// Refit on training + validation rows with the settings validation
	// chose (L2, rounds, calibrator, champion): the newest labelled rows are
	// the most like the future, and levels first seen in them (a new
	// landing page, a new campaign) only get a column if the transformer is
	// refitted too. The calibrators fitted above on held-out margins are
	// kept. Test metrics are those of the refitted models, on rows neither
	// has seen.
	if !cfg.NoRefit {
		progress(Progress{Scorer: name, Stage: "refit"})
		fitIdx := append(slices.Clip(trainIdx), validIdx...)
		fitRows := append(slices.Clip(tRows), vRows...)
		yFit := append(slices.Clip(yTrain), yValid...)
		tr2, _, err := features.Fit(ctx, cfg.Spec, leads.Take(fitIdx), events)
		if err != nil {
			return nil, nil, wrap(fmt.Errorf("refit: %w", err))
		}
		m2, err := tr2.TransformTable(ctx, scoped, events)
		if err != nil {
			return nil, nil, wrap(fmt.Errorf("refit: %w", err))
		}
		tr, m, feats, width, linW = tr2, m2, tr2.Features(), len(tr2.Features()), tr2.LinearWidth()
		linFit, linTest2 := linView(fitRows), linView(sRows)
		// The penalty sums over rows: scale it to keep the per-row penalty
		// validation chose.
		lr2, _, err := logistic.FitLogistic(ctx, mat.NewDense(len(fitRows), linW, linFit), yFit, nil,
			logistic.Config{L2: l2 * float64(len(fitRows)) / float64(len(tRows))})
		if err != nil {
			return nil, nil, wrap(fmt.Errorf("refit logistic regression: %w", err))
		}
		lr2.Names = tr2.LinearNames()
		lr, linTrain = lr2, linFit
		for k, c := range cands {
			switch c.pred.Algorithm {
			case model.Logistic:
				c.pred.Linear = lr2
				c.pred.Importance = linearImportance(lr2, tr2, width)
				cands[k].testM = linearMargins(lr2, linTest2, linW)
			case model.GBDT:
				gf := gbdtFeatures(feats)
				ds := gbdt.Dataset{X: denseRows(m2, fitRows, width), Rows: len(fitRows), Cols: width, Y: yFit}
				gc := cfg.GBDT
				gc.Rounds = max(1, c.rounds)
				f2, r2, err := gbdt.Train(ctx, gf, ds, nil, gc, nil)
				if err != nil {
					return nil, nil, wrap(fmt.Errorf("refit gradient-boosted trees: %w", err))
				}
				c.pred.Forest = f2
				c.pred.Importance = normalise(r2.GainImportance)
				tm := make([]float64, len(sRows))
				forestMargins(f2, m2, sRows, tm)
				cands[k].testM = tm
			}
			c.pred.Notes["refit"] = "train+valid"
		}
	}
	for _, c := range cands {
		if pt := applyAll(c.pred.Calibrator, c.testM); len(pt) > 0 {
			c.pred.Test = eval.Compute(pt, bTest)
			c.pred.PerQuarter = perQuarter(pt, bTest, testQuarters)
		}
		sum.models = append(sum.models, ModelSummary{Name: c.pred.Algorithm, Valid: c.pred.Valid, Test: c.pred.Test, Calibrator: string(c.pred.Calibrator.Kind)})
	}
	s := &model.Scorer{
		Name:           name,
		Transformer:    tr,
		Champion:       cands[best].pred,
		TrainRows:      len(tRows),
		TrainPositives: countTrue(bTrain),
	}
	for k, c := range cands {
		if k != best {
			s.Challenger = c.pred
		}
	}
	if cfg.Recalibrate && len(sRows) > 0 {
		for _, c := range cands {
			if rc, err := calib.RefitIntercept(c.pred.Calibrator, c.testM, bTest); err == nil {
				c.pred.Calibrator = rc
			} else {
				log.Warn("recalibration skipped", "scorer", name, "model", c.pred.Algorithm, "err", err)
			}
		}
	}

	// Stage thresholds, from the champion's validation probabilities.
	if cfg.Thresholds != nil {
		s.Thresholds = *cfg.Thresholds
	} else {
		s.Thresholds = deriveThresholds(applyAll(s.Champion.Calibrator, cands[best].validM), bValid, cfg.Now)
	}

	// Sub-scores: the fit and engagement parts of the logistic margin.
	s.SubScoreModel = lr
	s.Axes = axes(tr)
	s.FitQuantiles, s.EngagementQuantiles = subScoreQuantiles(lr, s.Axes, linTrain, linW)
	return s, sum, nil
}

func gbdtFeatures(feats []features.Feature) []gbdt.Feature {
	gf := make([]gbdt.Feature, len(feats))
	for j, f := range feats {
		gf[j] = gbdt.Feature{Name: f.Name, Categorical: f.Kind == features.KindCategorical, Levels: len(f.Levels), Monotone: f.Monotone}
	}
	return gf
}

// denseRows copies the given rows of m into one row-major matrix.
func denseRows(m *features.Matrix, rows []int, width int) []float64 {
	out := make([]float64, len(rows)*width)
	for k, r := range rows {
		copy(out[k*width:], m.Row(r))
	}
	return out
}

func linearMargins(m *linear.Model, X []float64, w int) []float64 {
	n := 0
	if w > 0 {
		n = len(X) / w
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = m.Margin(X[i*w : (i+1)*w])
	}
	return out
}

func forestMargins(f interface{ Margin([]float64) float64 }, m *features.Matrix, rows []int, dst []float64) {
	for k, r := range rows {
		dst[k] = f.Margin(m.Row(r))
	}
}

func applyAll(c *calib.Calibrator, margins []float64) []float64 {
	p := make([]float64, len(margins))
	for i, x := range margins {
		p[i] = c.Apply(x)
	}
	return p
}

// chooseChampion returns the index of the champion among n candidates
// (logistic regression first, when it is a candidate): the simplest
// candidate unless another beats it on validation log loss by more than
// one standard error of the paired per-row difference. On a validation
// slice too small to tell the models apart, the simpler model generalises
// more safely — on the bank-marketing time split, trees win validation by
// 0.002 ± 0.004 and lose the next period by 0.1 AUC.
func chooseChampion(n int, probs func(k int) []float64, y []bool) int {
	loss := func(p []float64) []float64 {
		out := make([]float64, len(p))
		for i, x := range p {
			x = min(max(x, eval.LogLossEps), 1-eval.LogLossEps)
			if y[i] {
				out[i] = -math.Log(x)
			} else {
				out[i] = -math.Log1p(-x)
			}
		}
		return out
	}
	best := 0
	bl := loss(probs(0))
	for k := 1; k < n; k++ {
		kl := loss(probs(k))
		var mean, sq float64
		for i := range kl {
			d := kl[i] - bl[i]
			mean += d
			sq += d * d
		}
		m := float64(len(kl))
		mean /= m
		se := math.Sqrt(math.Max(0, sq/m-mean*mean) / math.Max(1, m-1))
		if mean < -se {
			best, bl = k, kl
		}
	}
	return best
}

// chooseCalibrator picks Platt or isotonic scaling by cross-fitted log loss
// on the validation rows (two seeded folds, so neither calibrator is judged
// on the rows it was fitted to), then fits the winner on all of them.
func chooseCalibrator(margins []float64, y []bool, seed uint64) (*calib.Calibrator, error) {
	n := len(margins)
	fold := make([]int, n)
	rng := rand.New(rand.NewPCG(seed, 0xca11b))
	for i := range fold {
		fold[i] = rng.IntN(2)
	}
	type fitter func([]float64, []bool, []float64) (*calib.Calibrator, error)
	loss := func(fit fitter) float64 {
		var total float64
		var cnt int
		for f := range 2 {
			var mIn, mOut []float64
			var yIn, yOut []bool
			for i := range margins {
				if fold[i] == f {
					mOut, yOut = append(mOut, margins[i]), append(yOut, y[i])
				} else {
					mIn, yIn = append(mIn, margins[i]), append(yIn, y[i])
				}
			}
			if !hasBoth(yIn) || len(mOut) == 0 {
				return math.Inf(1)
			}
			c, err := fit(mIn, yIn, nil)
			if err != nil {
				return math.Inf(1)
			}
			total += eval.LogLoss(applyAll(c, mOut), yOut) * float64(len(mOut))
			cnt += len(mOut)
		}
		return total / float64(cnt)
	}
	if !hasBoth(y) {
		return nil, fmt.Errorf("validation rows hold only one class")
	}
	fit := calib.FitPlatt
	if loss(calib.FitIsotonic) < loss(calib.FitPlatt) {
		fit = calib.FitIsotonic
	}
	return fit(margins, y, nil)
}

func hasBoth(y []bool) bool {
	var t, f bool
	for _, v := range y {
		if v {
			t = true
		} else {
			f = true
		}
	}
	return t && f
}

func countTrue(y []bool) int {
	n := 0
	for _, v := range y {
		if v {
			n++
		}
	}
	return n
}

func perQuarter(p []float64, y []bool, q []string) map[string]eval.Metrics {
	by := map[string][]int{}
	for i, x := range q {
		if x != "" {
			by[x] = append(by[x], i)
		}
	}
	if len(by) < 2 {
		return nil
	}
	out := map[string]eval.Metrics{}
	for x, idx := range by {
		pp := make([]float64, len(idx))
		yy := make([]bool, len(idx))
		for k, i := range idx {
			pp[k], yy[k] = p[i], y[i]
		}
		out[x] = eval.Compute(pp, yy)
	}
	return out
}

// deriveThresholds sets the default stages from the validation rows: SQL
// is the top 10 % of leads by probability, MQL the next 20 %, and leads
// under a quarter of the base rate are disqualified. Sales ops tune them
// with the report's threshold table and --thresholds.
func deriveThresholds(p []float64, y []bool, now time.Time) model.Thresholds {
	s := append([]float64(nil), p...)
	sort.Float64s(s)
	q := func(f float64) float64 {
		if len(s) == 0 {
			return 0
		}
		return s[min(len(s)-1, int(f*float64(len(s))))]
	}
	base := float64(countTrue(y)) / math.Max(1, float64(len(y)))
	t := model.Thresholds{
		Version:    "v1-" + now.UTC().Format("2006-01-02"),
		Disqualify: base / 4,
		MQL:        q(0.70),
		SQL:        q(0.90),
	}
	t.MQL = math.Max(t.MQL, t.Disqualify)
	t.SQL = math.Max(t.SQL, t.MQL)
	return t
}

// axes maps each linear column to the sub-score it counts toward: fit
// features to fit; engagement and intent to engagement; negative features
// to fit when they describe the lead and to engagement when they come from
// its activity.
func axes(tr *features.Transformer) []model.Axis {
	feats := tr.Features()
	out := make([]model.Axis, tr.LinearWidth())
	for j := range out {
		f := feats[tr.LinearSource(j)]
		switch f.Group {
		case features.GroupFit:
			out[j] = model.AxisFit
		case features.GroupEngagement, features.GroupIntent:
			out[j] = model.AxisEngagement
		case features.GroupNegative:
			if f.Kind == features.KindEvent {
				out[j] = model.AxisEngagement
			} else {
				out[j] = model.AxisFit
			}
		}
	}
	return out
}

// subScoreQuantiles returns the percentiles of the fit and engagement parts
// of the logistic margin over the training rows.
func subScoreQuantiles(lr *linear.Model, ax []model.Axis, X []float64, w int) (fit, eng []float64) {
	n := len(X) / max(1, w)
	fv := make([]float64, n)
	ev := make([]float64, n)
	for i := range n {
		fv[i], ev[i] = model.AxisParts(lr, ax, X[i*w:(i+1)*w])
	}
	return quantiles101(fv), quantiles101(ev)
}

func quantiles101(v []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	q := make([]float64, 101)
	for k := range q {
		if len(s) == 0 {
			continue
		}
		q[k] = s[min(len(s)-1, k*(len(s)-1)/100)]
	}
	return q
}

// linearImportance is |coefficient| × std of the linear column (inputs are
// standardised, so |coefficient|), summed per tree-view feature.
func linearImportance(lr *linear.Model, tr *features.Transformer, width int) []float64 {
	imp := make([]float64, width)
	for j, c := range lr.Coef {
		imp[tr.LinearSource(j)] += math.Abs(c)
	}
	return normalise(imp)
}

func normalise(v []float64) []float64 {
	out := append([]float64(nil), v...)
	var s float64
	for _, x := range out {
		s += x
	}
	if s > 0 {
		for i := range out {
			out[i] /= s
		}
	}
	return out
}

// fitSegments trains a scorer per segment value with enough won training
// leads, and records the fallback of the others.
func fitSegments(ctx context.Context, leads, events *data.Table, file string, y []int8, split *Split, cfg Config,
	scorers map[string]*model.Scorer, log *slog.Logger, progress func(Progress)) ([]model.Segment, error) {
	col := leads.Col(cfg.SegmentBy)
	if col == nil {
		return nil, fmt.Errorf("train: %w", &data.ColumnError{File: file, Column: cfg.SegmentBy, Err: data.ErrMissingColumn})
	}
	byValue := map[string][]int{}
	for i := 0; i < leads.Rows; i++ {
		v := col.Format(i)
		if v == "" {
			continue
		}
		byValue[v] = append(byValue[v], i)
	}
	values := make([]string, 0, len(byValue))
	for v := range byValue {
		values = append(values, v)
	}
	sort.Strings(values)
	var segs []model.Segment
	for _, v := range values {
		rows := byValue[v]
		pos := 0
		for _, i := range rows {
			if split.Roles[i] == RoleTrain && y[i] == 1 {
				pos++
			}
		}
		seg := model.Segment{Value: v, Positives: pos}
		if pos < cfg.MinPositives {
			seg.Fallback = cfg.SegmentFallback
			log.Info("segment below the minimum-data gate", "segment", cfg.SegmentBy+"="+v, "positives", pos, "min", cfg.MinPositives, "fallback", seg.Fallback)
			segs = append(segs, seg)
			continue
		}
		name := cfg.SegmentBy + "=" + v
		s, _, err := fitScorer(ctx, name, leads, events, y, split, rows, cfg, log, progress)
		if err != nil {
			// A segment that cannot be fitted (e.g. no validation rows of
			// both classes) falls back rather than failing the run.
			log.Warn("segment model not trained", "segment", name, "err", err)
			seg.Fallback = cfg.SegmentFallback
			segs = append(segs, seg)
			continue
		}
		scorers[name] = s
		seg.Scorer = name
		segs = append(segs, seg)
	}
	return segs, nil
}

// FormatTable writes the end-of-run table: per model, validation and test
// metrics, and the champion.
func (s *Summary) FormatTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "split: train %s (%d rows), valid %s (%d), test %s (%d); %d open leads not used\n\n",
		s.Split.Train, s.Split.TrainRows, s.Split.Valid, s.Split.ValidRows, s.Split.Test, s.Split.TestRows, s.Split.OpenRows)
	fmt.Fprintf(&b, "%-10s %-6s %7s %7s %8s %7s %7s %7s  %s\n", "model", "rows", "AUC", "PR AUC", "logloss", "Brier", "ECE", "lift10", "calibrator")
	for _, m := range s.Models {
		for _, r := range []struct {
			name string
			m    eval.Metrics
		}{{"valid", m.Valid}, {"test", m.Test}} {
			mark := ""
			if m.Name == s.Champion && r.name == "test" {
				mark = "  ← champion"
			}
			fmt.Fprintf(&b, "%-10s %-6s %7.4f %7.4f %8.4f %7.4f %7.4f %7.2f  %s%s\n",
				m.Name, r.name, r.m.AUC, r.m.PRAUC, r.m.LogLoss, r.m.Brier, r.m.ECE, r.m.Lift10, m.Calibrator, mark)
		}
	}
	for _, seg := range s.Segments {
		if seg.Scorer != "" {
			fmt.Fprintf(&b, "segment %s: own model (%d won training leads)\n", seg.Value, seg.Positives)
		} else {
			fmt.Fprintf(&b, "segment %s: %d won training leads, under the gate: served by %s\n", seg.Value, seg.Positives, seg.Fallback)
		}
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}
