package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"leadscore/model"
)

func modelInspectCommand() command {
	return command{
		name:    "model inspect",
		summary: "print a model artifact for humans: version, champion, metrics, thresholds, importances, warnings",
		usage:   "[--json] DIR   (a version directory, or a model directory whose newest version is shown)",
		run:     runModelInspect,
	}
}

func runModelInspect(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	asJSON := fs.Bool("json", false, "print the manifest and every scorer's metrics as JSON")
	top := fs.Int("top", 10, "number of most important features to list per scorer")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one artifact directory")
	}
	dir, err := resolveVersionDir(rest[0])
	if err != nil {
		return err
	}
	a, err := model.Load(dir)
	if err != nil {
		return err
	}
	if *asJSON {
		return inspectJSON(e.stdout, a)
	}
	return inspectText(e.stdout, a, *top)
}

// resolveVersionDir accepts a version directory (it holds manifest.json)
// or a model directory, whose newest version it returns.
func resolveVersionDir(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		return dir, nil
	}
	vs, err := model.Versions(dir)
	if err != nil {
		return "", err
	}
	if len(vs) == 0 {
		return "", fmt.Errorf("%s: no model versions (no */manifest.json)", dir)
	}
	return filepath.Join(dir, vs[0]), nil
}

func inspectJSON(w io.Writer, a *model.Artifact) error {
	type pred struct {
		Algorithm  string             `json:"algorithm"`
		Calibrator string             `json:"calibrator"`
		Valid      any                `json:"valid"`
		Test       any                `json:"test"`
		PerQuarter any                `json:"per_quarter,omitempty"`
		Notes      map[string]string  `json:"notes,omitempty"`
		Importance map[string]float64 `json:"importance"`
	}
	type scorer struct {
		Name       string           `json:"name"`
		TrainRows  int              `json:"train_rows"`
		Positives  int              `json:"train_positives"`
		Thresholds model.Thresholds `json:"thresholds"`
		Champion   pred             `json:"champion"`
		Challenger *pred            `json:"challenger,omitempty"`
	}
	out := struct {
		Manifest model.Manifest `json:"manifest"`
		Scorers  []scorer       `json:"scorers"`
	}{Manifest: a.Manifest}
	for _, name := range scorerNames(a) {
		s := a.Scorers[name]
		mk := func(p *model.Predictor) pred {
			imp := map[string]float64{}
			for j, f := range s.Transformer.Features() {
				if j < len(p.Importance) {
					imp[f.Name] = p.Importance[j]
				}
			}
			return pred{p.Algorithm, string(p.Calibrator.Kind), p.Valid, p.Test, p.PerQuarter, p.Notes, imp}
		}
		sc := scorer{Name: name, TrainRows: s.TrainRows, Positives: s.TrainPositives, Thresholds: s.Thresholds, Champion: mk(s.Champion)}
		if s.Challenger != nil {
			c := mk(s.Challenger)
			sc.Challenger = &c
		}
		out.Scorers = append(out.Scorers, sc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func scorerNames(a *model.Artifact) []string {
	names := make([]string, 0, len(a.Scorers))
	for n := range a.Scorers {
		if n != "global" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return append([]string{"global"}, names...)
}

func inspectText(w io.Writer, a *model.Artifact, top int) error {
	m := a.Manifest
	fmt.Fprintf(w, "model %s, version %s, trained %s (format %d)\n", m.Name, m.Version, m.TrainedAt.Format("2006-01-02 15:04:05 MST"), m.FormatVersion)
	for _, in := range m.Inputs {
		fmt.Fprintf(w, "  input %s: %d rows, %d bytes, sha256 %s\n", in.Path, in.Rows, in.Bytes, in.SHA256[:16])
	}
	if m.SegmentColumn != "" {
		fmt.Fprintf(w, "segments by %s:\n", m.SegmentColumn)
		for _, s := range m.Segments {
			if s.Scorer != "" {
				fmt.Fprintf(w, "  %-20s own model (%d won training leads)\n", s.Value, s.Positives)
			} else {
				fmt.Fprintf(w, "  %-20s falls back to %s (%d won training leads, under the gate)\n", s.Value, s.Fallback, s.Positives)
			}
		}
	}
	for _, name := range scorerNames(a) {
		s := a.Scorers[name]
		fmt.Fprintf(w, "\nscorer %s: %d training rows, %d won; champion %s", name, s.TrainRows, s.TrainPositives, s.Champion.Algorithm)
		if s.Challenger != nil {
			fmt.Fprintf(w, ", challenger %s", s.Challenger.Algorithm)
		}
		fmt.Fprintf(w, "\n  thresholds %s: disqualify < %.4f, MQL ≥ %.4f, SQL ≥ %.4f\n", s.Thresholds.Version, s.Thresholds.Disqualify, s.Thresholds.MQL, s.Thresholds.SQL)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  model\trows\tAUC\tPR AUC\tlogloss\tBrier\tECE\tlift10\tcalibrator\t")
		for _, p := range []*model.Predictor{s.Champion, s.Challenger} {
			if p == nil {
				continue
			}
			fmt.Fprintf(tw, "  %s\tvalid\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.2f\t%s\t\n", p.Algorithm, p.Valid.AUC, p.Valid.PRAUC, p.Valid.LogLoss, p.Valid.Brier, p.Valid.ECE, p.Valid.Lift10, string(p.Calibrator.Kind))
			fmt.Fprintf(tw, "  %s\ttest\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.2f\t%s\t\n", p.Algorithm, p.Test.AUC, p.Test.PRAUC, p.Test.LogLoss, p.Test.Brier, p.Test.ECE, p.Test.Lift10, string(p.Calibrator.Kind))
		}
		tw.Flush()
		if len(s.Champion.PerQuarter) > 0 {
			qs := make([]string, 0, len(s.Champion.PerQuarter))
			for q := range s.Champion.PerQuarter {
				qs = append(qs, q)
			}
			sort.Strings(qs)
			for _, q := range qs {
				pm := s.Champion.PerQuarter[q]
				fmt.Fprintf(w, "  test %s: %d leads, base rate %.3f, AUC %.4f, ECE %.4f\n", q, pm.N, pm.BaseRate, pm.AUC, pm.ECE)
			}
		}
		feats := s.Transformer.Features()
		idx := make([]int, len(feats))
		for i := range idx {
			idx[i] = i
		}
		imp := s.Champion.Importance
		sort.SliceStable(idx, func(a, b int) bool { return at(imp, idx[a]) > at(imp, idx[b]) })
		fmt.Fprintf(w, "  most important features (%s):\n", s.Champion.Algorithm)
		for _, j := range idx[:min(top, len(idx))] {
			f := feats[j]
			mono := ""
			if f.Monotone != 0 {
				mono = fmt.Sprintf(", monotone %+d", f.Monotone)
			}
			fmt.Fprintf(w, "    %-32s %5.1f%%  %s%s\n", f.Name, 100*at(imp, j), f.Group, mono)
		}
	}
	if len(m.Leakage) > 0 || len(m.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	for _, l := range m.Leakage {
		fmt.Fprintf(w, "leakage warning: column %q: %s\n", l.Column, l.Reason)
	}
	for _, x := range m.Warnings {
		if !strings.HasPrefix(x, "possible leakage") {
			fmt.Fprintf(w, "warning: %s\n", x)
		}
	}
	return nil
}

func at(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return 0
}
