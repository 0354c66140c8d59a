package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"leadscore/data"
	"leadscore/features"
	"leadscore/model"
	"leadscore/model/rules"
	"leadscore/train"
)

func trainCommand() command {
	return command{
		name:    "train",
		summary: "train logistic regression and gradient-boosted trees out of time, calibrate, and write a model artifact",
		usage: "--data FILE.parquet [--events FILE.parquet] [--spec spec.yaml | --label COL --positive VALUE] [--exclude a,b]\n" +
			"       [--split-column COL] [--valid-column COL] [--segment-by COL] [--algorithms logistic,gbdt] [--rounds N] [--seed N] [--rules rules.yaml] --out DIR [--json]",
		run: runTrain,
	}
}

func runTrain(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	dataPath := fs.String("data", "", "leads table (Parquet, required)")
	eventsPath := fs.String("events", "", "events table (Parquet, optional)")
	specPath := fs.String("spec", "", "feature spec (YAML); default: inferred from the data with --label and --positive")
	label := fs.String("label", "", "label column, when no spec is given")
	var positive, exclude, algorithms stringList
	fs.Var(&positive, "positive", "label value(s) that mean won, when no spec is given (comma-separated)")
	fs.Var(&exclude, "exclude", "columns to leave out of the features (comma-separated), e.g. leaky ones")
	splitCol := fs.String("split-column", "", "column with train/test per row, instead of the out-of-time split")
	validCol := fs.String("valid-column", "", "column marking validation rows inside train with 1 (with --split-column)")
	segmentBy := fs.String("segment-by", "", "column whose values get models of their own (plus the global model)")
	minPos := fs.Int("min-positives", 50, "won training leads a segment needs for a model of its own")
	fs.Var(&algorithms, "algorithms", "candidate algorithms: logistic,gbdt (default both)")
	rounds := fs.Int("rounds", 500, "maximum boosting rounds (the exact count when there are no validation rows)")
	lr := fs.Float64("learning-rate", 0.1, "boosting learning rate")
	depth := fs.Int("max-depth", 6, "maximum tree depth (depth-wise growth)")
	leaves := fs.Int("max-leaves", 0, "maximum leaves per tree; >0 switches to leaf-wise growth")
	seed := fs.Uint64("seed", 1, "random seed; the same data and seed give the same model")
	noRefit := fs.Bool("no-refit", false, "keep the models fitted on the training rows only (default: refit on training + validation rows with the chosen settings)")
	recal := fs.Bool("recalibrate", false, "refit the calibrator intercept on the newest labelled quarter (for base-rate shift)")
	rulesPath := fs.String("rules", "", "rules fallback (YAML) to calibrate on the same history and store with the model")
	name := fs.String("name", "", "model name (default: the base name of --out)")
	out := fs.String("out", "", "models directory of this model: the artifact goes to OUT/<version>/ (required)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object instead of a table")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *dataPath == "" || *out == "" {
		return usagef("--data and --out are required")
	}
	if *specPath == "" && (*label == "" || len(positive) == 0) {
		return usagef("give --spec, or --label and --positive")
	}

	leads, events, err := readLeads(ctx, *dataPath, *eventsPath)
	if err != nil {
		return err
	}
	var spec *features.Spec
	var specYAML []byte
	if *specPath != "" {
		if specYAML, err = os.ReadFile(*specPath); err != nil {
			return err
		}
		if spec, err = features.ParseSpec(specYAML); err != nil {
			return fmt.Errorf("%s: %w", *specPath, err)
		}
	} else {
		if spec, err = features.InferSpec(leads, events, features.InferOptions{Label: *label, Positive: positive}); err != nil {
			return err
		}
	}
	if len(exclude) > 0 {
		if err := excludeColumns(spec, exclude); err != nil {
			return err
		}
		specYAML = nil
	}
	if specYAML == nil {
		if specYAML, err = spec.MarshalText(); err != nil {
			return err
		}
	}

	if err := validateInputs(leads, events, *dataPath, *eventsPath, spec); err != nil {
		return err
	}
	var inputs []model.Fingerprint
	for _, p := range []struct {
		path string
		t    *data.Table
	}{{*dataPath, leads}, {*eventsPath, events}} {
		if p.path == "" {
			continue
		}
		fp, err := fingerprint(p.path, p.t.Rows)
		if err != nil {
			return err
		}
		inputs = append(inputs, fp)
	}
	modelName := *name
	if modelName == "" {
		modelName = filepath.Base(filepath.Clean(*out))
	}
	cfg := train.Config{
		Name:         modelName,
		Spec:         spec,
		SpecYAML:     specYAML,
		Split:        train.SplitConfig{SplitColumn: *splitCol, ValidColumn: *validCol},
		Algorithms:   algorithms,
		Seed:         *seed,
		SegmentBy:    *segmentBy,
		MinPositives: *minPos,
		Recalibrate:  *recal,
		NoRefit:      *noRefit,
		Inputs:       inputs,
	}
	cfg.GBDT.Rounds = *rounds
	cfg.GBDT.LearningRate = *lr
	cfg.GBDT.MaxDepth = *depth
	cfg.GBDT.MaxLeaves = *leaves

	if *rulesPath != "" {
		b, err := os.ReadFile(*rulesPath)
		if err != nil {
			return err
		}
		if cfg.Rules, err = rules.Parse(b); err != nil {
			return fmt.Errorf("%s: %w", *rulesPath, err)
		}
	}
	progress, done := trainProgress(e)
	res, err := train.Run(ctx, leads, events, *dataPath, cfg, e.log, progress)
	done()
	if err != nil {
		return err
	}
	dir, err := model.Save(filepath.Dir(filepath.Clean(*out)), withName(res.Artifact, filepath.Base(filepath.Clean(*out))))
	if err != nil {
		return err
	}
	if *asJSON {
		return writeTrainJSON(e.stdout, &res.Summary, dir)
	}
	fmt.Fprint(e.stdout, res.Summary.FormatTable())
	fmt.Fprintf(e.stdout, "\nwrote %s\n", dir)
	return nil
}

// withName stores the artifact under the directory name given by --out,
// whatever the model is called.
func withName(a *model.Artifact, dirName string) *model.Artifact {
	a.Manifest.Name = dirName
	return a
}

func writeTrainJSON(w io.Writer, s *train.Summary, dir string) error {
	type metrics struct {
		AUC     float64 `json:"auc"`
		PRAUC   float64 `json:"pr_auc"`
		LogLoss float64 `json:"logloss"`
		Brier   float64 `json:"brier"`
		ECE     float64 `json:"ece"`
		Lift10  float64 `json:"lift10"`
	}
	type modelOut struct {
		Name       string  `json:"name"`
		Calibrator string  `json:"calibrator"`
		Valid      metrics `json:"valid"`
		Test       metrics `json:"test"`
	}
	out := struct {
		Champion string                    `json:"champion"`
		Models   []modelOut                `json:"models"`
		Weak     bool                      `json:"weak"`
		Warnings []string                  `json:"warnings,omitempty"`
		Leakage  []features.LeakageWarning `json:"leakage,omitempty"`
		Artifact string                    `json:"artifact"`
	}{Champion: s.Champion, Weak: s.Weak, Warnings: s.Warnings, Leakage: s.Leakage, Artifact: dir}
	for _, m := range s.Models {
		out.Models = append(out.Models, modelOut{
			Name: m.Name, Calibrator: m.Calibrator,
			Valid: metrics{m.Valid.AUC, m.Valid.PRAUC, m.Valid.LogLoss, m.Valid.Brier, m.Valid.ECE, m.Valid.Lift10},
			Test:  metrics{m.Test.AUC, m.Test.PRAUC, m.Test.LogLoss, m.Test.Brier, m.Test.ECE, m.Test.Lift10},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func fingerprint(path string, rows int) (model.Fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return model.Fingerprint{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return model.Fingerprint{}, fmt.Errorf("fingerprint %s: %w", path, err)
	}
	return model.Fingerprint{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil)), Rows: rows}, nil
}

// trainProgress shows boosting progress: a bar on a terminal, a log line
// every few seconds otherwise (mpb writes nothing to a non-terminal).
func trainProgress(e *env) (func(train.Progress), func()) {
	if !isTerminal(e.stderr) {
		var last time.Time
		var mu sync.Mutex
		return func(p train.Progress) {
			mu.Lock()
			defer mu.Unlock()
			if p.Stage != "gbdt" || p.Round == 0 {
				e.log.Info("training", "scorer", p.Scorer, "stage", p.Stage)
				return
			}
			if time.Since(last) > 5*time.Second {
				last = time.Now()
				e.log.Info("boosting", "scorer", p.Scorer, "round", p.Round, "of", p.Rounds, "valid_logloss", fmt.Sprintf("%.4f", p.ValidLogLoss))
			}
		}, func() {}
	}
	pr := mpb.New(mpb.WithOutput(e.stderr), mpb.WithWidth(40))
	var bar *mpb.Bar
	var current string
	var loss float64
	return func(p train.Progress) {
			if p.Stage != "gbdt" || p.Rounds == 0 {
				return
			}
			if bar == nil || current != p.Scorer {
				if bar != nil {
					bar.SetTotal(-1, true)
				}
				current = p.Scorer
				name := p.Scorer
				bar = pr.AddBar(int64(p.Rounds),
					mpb.PrependDecorators(decor.Name("boosting "+name+" "), decor.CountersNoUnit("%d/%d")),
					mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
						return fmt.Sprintf("valid logloss %.4f", loss)
					})))
			}
			loss = p.ValidLogLoss
			bar.SetCurrent(int64(p.Round))
		}, func() {
			if bar != nil {
				bar.SetTotal(-1, true)
			}
			pr.Wait()
		}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("CI") == "" && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}

// excludeColumns sets the role of the named columns to ignore.
func excludeColumns(spec *features.Spec, names []string) error {
	for _, n := range names {
		found := false
		for i := range spec.Columns {
			if spec.Columns[i].Name == n {
				spec.Columns[i].Role = features.RoleIgnore
				found = true
			}
		}
		if !found {
			return fmt.Errorf("--exclude: the spec has no column %q", n)
		}
	}
	return spec.Validate()
}

// validateInputs checks the leads (and events) against the contract the
// spec describes: unique ids, sane timestamps, known label values with both
// classes, closed_at not before created_at; events with a lead id, a time
// and a type. Every problem is reported, naming file, row, column and value.
func validateInputs(leads, events *data.Table, leadsPath, eventsPath string, spec *features.Spec) error {
	c := data.LeadsContract{
		ID: spec.ID, Created: spec.Time, Label: spec.Label.Column,
		Positive: spec.Label.Positive, Negative: spec.Label.Negative, Open: spec.Label.Open,
	}
	if leads.Col("closed_at") != nil {
		c.Closed = "closed_at"
	}
	if _, err := data.ValidateLeads(leads, leadsPath, c); err != nil {
		return err
	}
	if events == nil || spec.Events == nil {
		return nil
	}
	ec := data.DefaultEventsContract()
	ec.LeadID, ec.TS, ec.Type, ec.Value = spec.Events.Columns.LeadID, spec.Events.Columns.TS, spec.Events.Columns.Type, spec.Events.Columns.Value
	_, err := data.ValidateEvents(events, eventsPath, ec)
	return err
}
