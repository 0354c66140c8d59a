// Command client is a small example of a backend calling leadscore over
// gRPC: it reads a few leads from a Parquet file, sends them to the
// server, and prints each answer with its reasons.
//
//	go run ./examples/client --addr 127.0.0.1:50051 --spec demo/spec.yaml \
//	    --leads demo/history/leads.parquet --events demo/history/events.parquet --n 5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"leadscore/data"
	"leadscore/features"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	addr := flag.String("addr", "127.0.0.1:50051", "server address")
	specPath := flag.String("spec", "", "feature spec naming the id, time and event columns (required)")
	leadsPath := flag.String("leads", "", "leads Parquet file (required)")
	eventsPath := flag.String("events", "", "events Parquet file")
	n := flag.Int("n", 5, "number of leads to score (the newest open ones)")
	flag.Parse()
	if *specPath == "" || *leadsPath == "" {
		return fmt.Errorf("--spec and --leads are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	b, err := os.ReadFile(*specPath)
	if err != nil {
		return err
	}
	spec, err := features.ParseSpec(b)
	if err != nil {
		return fmt.Errorf("%s: %w", *specPath, err)
	}
	leads, err := data.ReadParquet(ctx, *leadsPath, nil)
	if err != nil {
		return err
	}
	var events *data.Table
	if *eventsPath != "" {
		if events, err = data.ReadParquet(ctx, *eventsPath, nil); err != nil {
			return err
		}
	}
	rows := pickRows(leads, spec, *n)
	// The client sends attributes only: the outcome columns are what the
	// model predicts, so they are dropped as a backend would not know them.
	sample, err := features.LeadsToProto(spec, leads, events, rows)
	if err != nil {
		return err
	}
	for _, l := range sample {
		l.Attributes = slices.DeleteFunc(l.Attributes, func(a *leadscorev1.Attribute) bool {
			return slices.Contains([]string{spec.Label.Column, "closed_at", "amount", "sales_calls"}, a.GetName())
		})
	}

	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	c := leadscorev1.NewLeadScoringClient(conn)

	ms, err := c.ListModels(ctx, &leadscorev1.ListModelsRequest{})
	if err != nil {
		return fmt.Errorf("ListModels: %w", err)
	}
	for _, m := range ms.Models {
		fmt.Fprintf(w, "model %s version %s (%s, test AUC %.3f)\n", m.Name, m.Version, m.Algorithm, m.TestMetrics["auc"])
	}
	res, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: sample, Explain: true, MaxReasons: 3})
	if err != nil {
		return fmt.Errorf("PredictBatch: %w", err)
	}
	for _, p := range res.Predictions {
		printPrediction(w, p)
	}
	// The same first lead from the rules model, as when no model can answer.
	if len(sample) > 0 {
		r, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: sample[0], UseRules: true, Explain: true, MaxReasons: 3})
		if err != nil {
			return fmt.Errorf("Predict with rules: %w", err)
		}
		fmt.Fprintln(w, "the first lead again, answered by the rules fallback:")
		printPrediction(w, r.Prediction)
	}
	return nil
}

// pickRows returns the n newest leads without an outcome yet (the ones a
// backend would score now), or the newest leads if there are no open ones.
func pickRows(leads *data.Table, spec *features.Spec, n int) []int {
	lab := leads.Col(spec.Label.Column)
	var open []int
	for i := leads.Rows - 1; i >= 0 && len(open) < n; i-- {
		if lab != nil {
			v := lab.Format(i)
			for _, o := range spec.Label.Open {
				if v == o {
					open = append(open, i)
				}
			}
		}
	}
	for i := leads.Rows - 1; i >= 0 && len(open) < n; i-- {
		open = append(open, i)
	}
	return open
}

func printPrediction(w io.Writer, p *leadscorev1.Prediction) {
	stage := strings.TrimPrefix(p.Stage.String(), "STAGE_")
	src := strings.TrimPrefix(p.Source.String(), "SOURCE_")
	fmt.Fprintf(w, "lead %s: score %d (p=%.3f) %s | fit %d, engagement %d | %s %s/%s\n",
		p.LeadId, p.Score, p.Probability, stage, p.FitScore, p.EngagementScore, src, p.ModelName, p.ModelVersion)
	for _, r := range p.Reasons {
		fmt.Fprintf(w, "    %+.2f  %s = %s (%s)\n", r.Contribution, r.Feature, r.Value,
			strings.ToLower(strings.TrimPrefix(r.Group.String(), "FEATURE_GROUP_")))
	}
	for _, x := range p.Warnings {
		fmt.Fprintf(w, "    warning: %s\n", x)
	}
}
