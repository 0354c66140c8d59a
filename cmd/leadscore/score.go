package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"leadscore/data"
	"leadscore/model"
)

func scoreCommand() command {
	return command{
		name:    "score",
		summary: "score a leads file offline with a trained model, exactly as the server would",
		usage:   "--models DIR [--model NAME] --data FILE.parquet [--events FILE.parquet] [--reasons N] [--accounts FILE] --out scores.parquet",
		run:     runScore,
	}
}

func runScore(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	modelsDir := fs.String("models", "", "models directory (as for serve), or one model's directory (required)")
	name := fs.String("model", "", "model name inside --models (default: the only model)")
	dataPath := fs.String("data", "", "leads to score (Parquet, required)")
	eventsPath := fs.String("events", "", "their events (Parquet, optional)")
	reasons := fs.Int("reasons", 3, "reasons to keep per lead (0: none)")
	workers := fs.Int("workers", 0, "parallel workers (default: all cores)")
	accounts := fs.String("accounts", "", "also write per-account scores to this Parquet file")
	out := fs.String("out", "", "scores file to write (Parquet, required)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *modelsDir == "" || *dataPath == "" || *out == "" {
		return usagef("--models, --data and --out are required")
	}
	dir, err := findModel(*modelsDir, *name)
	if err != nil {
		return err
	}
	a, err := model.Load(dir)
	if err != nil {
		return err
	}
	leads, events, err := readLeads(ctx, *dataPath, *eventsPath)
	if err != nil {
		return err
	}
	start := time.Now()
	opts := model.OfflineOptions{
		Reasons: *reasons,
		Workers: *workers,
		Copy:    []string{"account_id", "product_line", "source", "created_at"},
	}
	var bar *mpb.Bar
	var pr *mpb.Progress
	if isTerminal(e.stderr) {
		pr = mpb.New(mpb.WithOutput(e.stderr), mpb.WithWidth(40))
		bar = pr.AddBar(int64(leads.Rows), mpb.PrependDecorators(decor.Name("scoring "), decor.CountersNoUnit("%d/%d")),
			mpb.AppendDecorators(decor.Percentage()))
		opts.Progress = func(done, _ int) { bar.SetCurrent(int64(done)) }
	}
	scores, err := a.ScoreTable(ctx, leads, events, opts)
	if pr != nil {
		bar.SetTotal(-1, true)
		pr.Wait()
	}
	if err != nil {
		return err
	}
	if err := data.WriteParquet(*out, scores, data.WriteOptions{}); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(e.stdout, "scored %d leads with %s/%s in %.2fs (%.0f leads/s); wrote %s\n",
		leads.Rows, a.Manifest.Name, a.Manifest.Version, el.Seconds(), float64(leads.Rows)/el.Seconds(), *out)
	if *accounts != "" {
		acc, err := model.RollUpAccounts(scores, "account_id")
		if err != nil {
			return err
		}
		if err := data.WriteParquet(*accounts, acc, data.WriteOptions{}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %d account scores to %s\n", acc.Rows, *accounts)
	}
	return nil
}

// findModel resolves --models and --model to a version directory: DIR may
// be a version directory, a model directory (its newest version), or a
// models root holding model directories.
func findModel(dir, name string) (string, error) {
	if name != "" {
		return resolveVersionDir(filepath.Join(dir, name))
	}
	if d, err := resolveVersionDir(dir); err == nil {
		return d, nil
	}
	names, err := model.Names(dir)
	if err != nil {
		return "", err
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("%s: no models", dir)
	case 1:
		return resolveVersionDir(filepath.Join(dir, names[0]))
	}
	return "", usagef("%s holds several models (%v): name one with --model", dir, names)
}

// rescoreWithModels scores leads with the newest version of the (only, or
// "leads") model under modelsDir, exactly as `leadscore score` does; the
// report uses it when given --models instead of predictions.
func rescoreWithModels(ctx context.Context, modelsDir string, leads, events *data.Table) (*data.Table, error) {
	dir, err := findModel(modelsDir, "")
	if err != nil {
		return nil, err
	}
	a, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	return a.ScoreTable(ctx, leads, events, model.OfflineOptions{Copy: []string{"account_id", "product_line", "source", "created_at"}})
}

func init() { rescore = rescoreWithModels }
