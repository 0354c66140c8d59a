package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"

	"leadscore/data"
	"leadscore/features"
)

func specInferCommand() command {
	return command{
		name:    "spec infer",
		summary: "write a commented starting feature spec from a leads (and events) file",
		usage:   "--data leads.parquet [--events events.parquet] [--label COL --positive VALUE] [--out spec.yaml]",
		run:     runSpecInfer,
	}
}

func runSpecInfer(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	dataPath := fs.String("data", "", "leads table (Parquet, required)")
	eventsPath := fs.String("events", "", "events table (Parquet, optional)")
	label := fs.String("label", "", "label column (default: guessed from the names, e.g. outcome)")
	var positive stringList
	fs.Var(&positive, "positive", "label value(s) meaning won (default: guessed, e.g. won, yes, true)")
	out := fs.String("out", "", "file to write (default standard output)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *dataPath == "" {
		return usagef("--data is required")
	}
	leads, events, err := readLeads(ctx, *dataPath, *eventsPath)
	if err != nil {
		return err
	}
	spec, info, err := features.Infer(leads, events, features.InferOptions{Label: *label, Positive: positive})
	if err != nil {
		return fmt.Errorf("%s: %w", *dataPath, err)
	}
	var buf bytes.Buffer
	if err := features.WriteCommentedSpec(&buf, spec, info); err != nil {
		return err
	}
	if *out == "" {
		_, err := e.stdout.Write(buf.Bytes())
		return err
	}
	if err := data.WriteFileAtomic(*out, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	return nil
}
