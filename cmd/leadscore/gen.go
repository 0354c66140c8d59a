package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"leadscore/data/synth"
)

func genCommand() command {
	return command{
		name:    "gen",
		summary: "generate a synthetic B2B lead history (leads, events, ground truth)",
		usage:   "[--leads N] [--quarters Q] [--seed S] --out DIR",
		run:     runGen,
	}
}

func runGen(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	leads := fs.Int("leads", 20000, "number of leads to generate")
	quarters := fs.Int("quarters", 8, "number of quarters the leads are spread over")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same history")
	end := fs.String("end", "2026-10-01", "end of the newest quarter (YYYY-MM-DD); the newest complete quarter ends the day before")
	out := fs.String("out", "", "output directory for leads.parquet, events.parquet and truth.parquet (required)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	endT, err := time.Parse("2006-01-02", *end)
	if err != nil {
		return usagef("--end %q: want YYYY-MM-DD", *end)
	}
	cfg := synth.Config{Leads: *leads, Quarters: *quarters, Seed: *seed, End: endT}
	start := time.Now()
	h, err := synth.Generate(ctx, cfg)
	if err != nil {
		return err
	}
	if err := h.WriteDir(*out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d leads and %d events to %s in %.1fs\n",
		h.Leads.Rows, h.Events.Rows, filepath.Clean(*out), time.Since(start).Seconds())
	return nil
}
