package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"leadscore/data"
	"leadscore/report"
)

// rescore scores leads (and their events) with the models under modelsDir,
// returning a scores table like the predictor's prediction log. It is wired
// to the predictor's offline scorer outside this file; while nil, the
// --models mode of "leadscore report" is an error.
var rescore func(ctx context.Context, modelsDir string, leads, events *data.Table) (*data.Table, error)

func reportCommand() command {
	return command{
		name:    "report",
		summary: "write the quarterly calibration report: scores joined with outcomes → HTML, Markdown, CSV, JSON",
		usage: "--outcomes leads.parquet (--predictions LOGDIR | --scores scores.parquet | --models DIR --data leads.parquet [--events events.parquet])\n" +
			"\t[--quarter 2026Q3 | --from 2026-07-01 --to 2026-10-01] [--compare-quarters 4] [--segment-by product_line,source] [--target-rate 0.2] --out DIR",
		run: runReport,
	}
}

func runReport(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	outcomes := fs.String("outcomes", "", "leads table with outcomes (Parquet); default: --data")
	predDir := fs.String("predictions", "", "the predictor's prediction log: a directory of Parquet files, all read")
	scores := fs.String("scores", "", "a scores file (Parquet) from 'leadscore score'")
	models := fs.String("models", "", "re-score --data with the models in this directory")
	leads := fs.String("data", "", "leads to re-score with --models (Parquet)")
	events := fs.String("events", "", "events of the leads to re-score (Parquet, optional)")
	quarter := fs.String("quarter", "", "reporting quarter, e.g. 2026Q3 (default: the latest quarter with scored leads)")
	from := fs.String("from", "", "period start, YYYY-MM-DD or RFC 3339 (with --to)")
	to := fs.String("to", "", "period end, exclusive, YYYY-MM-DD or RFC 3339 (with --from)")
	compare := fs.Int("compare-quarters", 4, "quarters in the quarter-over-quarter table")
	var segs stringList
	fs.Var(&segs, "segment-by", "lead columns to break down by (default product_line,source; answered_by is always added)")
	target := fs.Float64("target-rate", 0, "also report the threshold whose leads convert at this rate, e.g. 0.2")
	mql := fs.Float64("mql", 0, "MQL probability threshold (default: inferred from the predictions' stage column)")
	sql := fs.Float64("sql", 0, "SQL probability threshold (default: inferred from the predictions' stage column)")
	baseline := fs.String("baseline", "", "reference quarter(s) for the score shift (PSI), comma-separated (default: the earliest quarter)")
	pick := fs.String("pick", report.PickFirst, "which prediction of a rescored lead to use: first (at or after created_at) or last")
	label := fs.String("label", "outcome", "outcome column of the leads table")
	pos := fs.String("positive", "won", "label value of a won deal")
	neg := fs.String("negative", "lost", "label value of a lost deal")
	open := fs.String("open", "open", "label value of a still-open lead")
	minClosed := fs.Int("min-closed", 30, "fewest won and lost deals needed for a verdict")
	asOf := fs.String("as-of", "", "treat deals closed after this time as open (YYYY-MM-DD or RFC 3339)")
	out := fs.String("out", "", "output directory (required)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	modes := 0
	for _, s := range []string{*predDir, *scores, *models} {
		if s != "" {
			modes++
		}
	}
	if modes != 1 {
		return usagef("give exactly one of --predictions, --scores and --models")
	}
	if *models != "" && *leads == "" {
		return usagef("--models needs --data (the leads to re-score)")
	}
	if *outcomes == "" {
		*outcomes = *leads
	}
	if *outcomes == "" {
		return usagef("--outcomes is required")
	}
	opts := report.Options{
		Quarter: *quarter, CompareQuarters: *compare, SegmentBy: segs, TargetRate: *target,
		Thresholds: report.Thresholds{MQL: *mql, SQL: *sql}, Baseline: *baseline, Pick: *pick,
		LabelColumn: *label, Positive: *pos, Negative: *neg, Open: *open, MinClosed: *minClosed,
	}
	var err error
	if (*from == "") != (*to == "") {
		return usagef("--from and --to go together")
	}
	if *from != "" {
		if *quarter != "" {
			return usagef("give --quarter or --from/--to, not both")
		}
		if opts.From, err = parseWhen(*from); err != nil {
			return usagef("--from: %v", err)
		}
		if opts.To, err = parseWhen(*to); err != nil {
			return usagef("--to: %v", err)
		}
	}
	if *asOf != "" {
		if opts.Now, err = parseWhen(*asOf); err != nil {
			return usagef("--as-of: %v", err)
		}
	}
	if err := opts.Validate(); err != nil {
		return usagef("%v", err)
	}

	outTable, err := data.ReadParquet(ctx, *outcomes, nil)
	if err != nil {
		return err
	}
	var predTable *data.Table
	switch {
	case *scores != "":
		predTable, err = data.ReadParquet(ctx, *scores, nil)
	case *predDir != "":
		predTable, err = readLogDir(ctx, *predDir)
	default:
		if rescore == nil {
			return errors.New("--models: re-scoring is not available in this build (no offline scorer wired in); score the leads with 'leadscore score' and pass --scores")
		}
		leadsTable := outTable
		if *leads != *outcomes {
			if leadsTable, err = data.ReadParquet(ctx, *leads, nil); err != nil {
				return err
			}
		}
		var ev *data.Table
		if *events != "" {
			if ev, err = data.ReadParquet(ctx, *events, nil); err != nil {
				return err
			}
		}
		predTable, err = rescore(ctx, *models, leadsTable, ev)
		if err != nil {
			err = fmt.Errorf("re-score %s with %s: %w", *leads, *models, err)
		}
	}
	if err != nil {
		return err
	}
	start := time.Now()
	r, err := report.Build(ctx, predTable, outTable, opts)
	if err != nil {
		return err
	}
	if err := r.WriteDir(*out); err != nil {
		return err
	}
	e.log.Info("report written", "period", r.Period.Label, "scored", r.Scored, "verdict", r.Verdict.Status, "took", time.Since(start).Round(time.Millisecond))
	index, err := filepath.Abs(filepath.Join(*out, "index.html"))
	if err != nil {
		index = filepath.Join(*out, "index.html")
	}
	fmt.Fprintln(e.stdout, index)
	return nil
}

// parseWhen parses a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t.UTC(), nil
}

// readLogDir reads every Parquet file under dir (the predictor's prediction
// log, rotated into many files) and concatenates them. Columns missing from
// some files are null there; a column whose type differs between files is
// an error naming both files.
func readLogDir(ctx context.Context, dir string) (*data.Table, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".parquet") && !strings.HasPrefix(d.Name(), ".") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("prediction log %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("prediction log %s: no .parquet files", dir)
	}
	slices.Sort(files)
	tables := make([]*data.Table, len(files))
	for i, f := range files {
		if tables[i], err = data.ReadParquet(ctx, f, nil); err != nil {
			return nil, err
		}
	}
	return concatTables(files, tables)
}

// concatTables stacks tables by column name, in order of first appearance.
func concatTables(names []string, tables []*data.Table) (*data.Table, error) {
	if len(tables) == 1 {
		return tables[0], nil
	}
	type colInfo struct {
		typ  data.Type
		from string
	}
	var order []string
	info := map[string]colInfo{}
	total := 0
	for k, t := range tables {
		total += t.Rows
		for _, c := range t.Columns {
			if ci, ok := info[c.Name]; ok {
				if ci.typ != c.Type {
					return nil, fmt.Errorf("prediction log: column %q is %s in %s but %s in %s", c.Name, ci.typ, ci.from, c.Type, names[k])
				}
				continue
			}
			info[c.Name] = colInfo{c.Type, names[k]}
			order = append(order, c.Name)
		}
	}
	var cols []*data.Column
	for _, name := range order {
		typ := info[name].typ
		valid := make([]bool, 0, total)
		switch typ {
		case data.String:
			vals := make([]string, 0, total)
			for _, t := range tables {
				c := t.Col(name)
				for i := range t.Rows {
					s, ok := "", false
					if c != nil {
						s, ok = c.Str(i)
					}
					vals, valid = append(vals, s), append(valid, ok)
				}
			}
			cols = append(cols, data.NewStringColumn(name, vals, valid))
		case data.Float:
			vals := make([]float64, 0, total)
			for _, t := range tables {
				c := t.Col(name)
				for i := range t.Rows {
					if c == nil || c.IsNull(i) {
						vals = append(vals, math.NaN())
					} else {
						vals = append(vals, c.Floats[i])
					}
				}
			}
			cols = append(cols, data.NewFloatColumn(name, vals))
		case data.Bool:
			vals := make([]bool, 0, total)
			for _, t := range tables {
				c := t.Col(name)
				for i := range t.Rows {
					ok := c != nil && !c.IsNull(i)
					vals, valid = append(vals, ok && c.Bools[i]), append(valid, ok)
				}
			}
			cols = append(cols, data.NewBoolColumn(name, vals, valid))
		case data.Time:
			vals := make([]int64, 0, total)
			for _, t := range tables {
				c := t.Col(name)
				for i := range t.Rows {
					ok := c != nil && !c.IsNull(i)
					v := int64(0)
					if ok {
						v = c.Times[i]
					}
					vals, valid = append(vals, v), append(valid, ok)
				}
			}
			cols = append(cols, data.NewTimeColumn(name, vals, valid))
		default:
			return nil, fmt.Errorf("prediction log: column %q has unsupported type %s", name, typ)
		}
	}
	return data.NewTable(cols...)
}
