package predict_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"leadscore/data"
	"leadscore/features"
	"leadscore/model"
	"leadscore/model/tree"
	"leadscore/predict"
	leadscorev1 "leadscore/proto/leadscore/v1"
	"leadscore/train"
)

// The benchmark model of the predictor issue: gradient-boosted trees with
// 300 trees of depth 6 on 40 features, trained by train.Run (GBDT only,
// no early stopping, no refit) on a generated history whose leads have 40
// attributes and about 50 events each:
//
//	30 attribute features: 20 numeric (every fourth 10% missing), 8 categorical
//	   (3 to 40 levels), 2 boolean
//	10 more attributes the spec ignores (a backend sends more than a model uses)
//	3 event types × {count_window, decayed, days_since_last} + days_since_any_event
//	= 40 tree-view features
//
// Labels come from a logistic model of the attributes and the event counts
// (about 20% won), so the trees have real splits to make.
const (
	benchLeads    = 20000
	benchNumeric  = 20
	benchCats     = 8
	benchBools    = 2
	benchIgnored  = 10
	benchTrees    = 300
	benchDepth    = 6
	benchFeatures = 40
)

var benchEventTypes = []string{"email_open", "page_view", "demo_request"}

type benchFixture struct {
	art           *model.Artifact
	leads, events *data.Table
	lead          *leadscorev1.Lead // 40 attributes, about 50 events
}

// benchModelOut, when set, saves the benchmark model under that models
// directory (as bench/<version>/) once it is built: scripts/bench-serve.sh
// serves it with `leadscore serve`.
var benchModelOut = flag.String("bench-model-out", "", "also save the benchmark model into this models directory")

var (
	benchOnce sync.Once
	benchFix  *benchFixture
	benchErr  error
)

func benchFixtureFor(b *testing.B) *benchFixture {
	b.Helper()
	benchOnce.Do(func() {
		benchFix, benchErr = buildBenchFixture()
		if benchErr == nil && *benchModelOut != "" {
			_, benchErr = model.Save(*benchModelOut, benchFix.art)
		}
	})
	if benchErr != nil {
		b.Fatalf("build the benchmark model: %v", benchErr)
	}
	return benchFix
}

// benchHistory generates the 40-attribute history (seed-determined).
func benchHistory(n int, seed uint64) (*data.Table, *data.Table, error) {
	rng := rand.New(rand.NewPCG(seed, 0xbe9c4))
	end := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, -18, 0) // six quarters
	span := end.Sub(start).Microseconds() - 60*24*time.Hour.Microseconds()
	ids := make([]string, n)
	created := make([]int64, n)
	outcome := make([]string, n)
	num := make([][]float64, benchNumeric+benchIgnored)
	for j := range num {
		num[j] = make([]float64, n)
	}
	cats := make([][]string, benchCats)
	catLevels := []int{3, 5, 8, 12, 4, 20, 40, 6}
	catEff := make([][]float64, benchCats)
	for k := range cats {
		cats[k] = make([]string, n)
		catEff[k] = make([]float64, catLevels[k])
		for c := range catEff[k] {
			catEff[k][c] = 0.5 * rng.NormFloat64()
		}
	}
	bools := make([][]bool, benchBools)
	for k := range bools {
		bools[k] = make([]bool, n)
	}
	coef := make([]float64, benchNumeric)
	for j := range coef {
		coef[j] = 0.35 * rng.NormFloat64()
	}
	var evLead []string
	var evTS []int64
	var evType []string
	day := 24 * time.Hour.Microseconds()
	for i := range n {
		ids[i] = fmt.Sprintf("B%07d", i+1)
		created[i] = start.UnixMicro() + rng.Int64N(span)
		z := -1.8
		for j := range benchNumeric + benchIgnored {
			v := rng.NormFloat64()
			if j%3 == 1 {
				v = math.Exp(v) // long-tailed
			}
			if j < benchNumeric {
				z += coef[j] * math.Tanh(v)
				if j%4 == 3 && rng.Float64() < 0.1 {
					v = math.NaN()
				}
			}
			num[j][i] = v
		}
		for k := range cats {
			c := rng.IntN(catLevels[k])
			z += catEff[k][c]
			cats[k][i] = fmt.Sprintf("c%d_%d", k, c)
		}
		for k := range bools {
			bools[k][i] = rng.Float64() < 0.3
			if bools[k][i] {
				z += 0.4 - 0.9*float64(k)
			}
		}
		ne := rng.IntN(101) // 0..100 events, about 50
		demos := 0
		for range ne {
			t := rng.IntN(10)
			typ := 0
			switch {
			case t == 9:
				typ = 2
				demos++
			case t >= 5:
				typ = 1
			}
			evLead = append(evLead, ids[i])
			evTS = append(evTS, created[i]+rng.Int64N(45*day)-5*day)
			evType = append(evType, benchEventTypes[typ])
		}
		z += 0.25*float64(demos) - 0.01*float64(ne)
		outcome[i] = "lost"
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			outcome[i] = "won"
		}
	}
	cols := []*data.Column{
		data.NewStringColumn("lead_id", ids, nil),
		data.NewTimeColumn("created_at", created, nil),
		data.NewStringColumn("outcome", outcome, nil),
	}
	for j := range num {
		name := fmt.Sprintf("num%02d", j)
		if j >= benchNumeric {
			name = fmt.Sprintf("crm%02d", j-benchNumeric)
		}
		cols = append(cols, data.NewFloatColumn(name, num[j]))
	}
	for k := range cats {
		cols = append(cols, data.NewStringColumn(fmt.Sprintf("cat%d", k), cats[k], nil))
	}
	for k := range bools {
		cols = append(cols, data.NewBoolColumn(fmt.Sprintf("flag%d", k), bools[k], nil))
	}
	leads, err := data.NewTable(cols...)
	if err != nil {
		return nil, nil, err
	}
	events, err := data.NewTable(
		data.NewStringColumn("lead_id", evLead, nil),
		data.NewTimeColumn("ts", evTS, nil),
		data.NewStringColumn("type", evType, nil),
	)
	return leads, events, err
}

func benchSpec() (*features.Spec, error) {
	var b strings.Builder
	b.WriteString("label:\n  column: outcome\n  positive: [won]\n  negative: [lost]\ncolumns:\n")
	b.WriteString("  - {name: lead_id, role: id}\n  - {name: created_at, role: time}\n  - {name: outcome, role: label}\n")
	for j := range benchNumeric {
		fmt.Fprintf(&b, "  - {name: num%02d, role: feature, kind: numeric}\n", j)
	}
	for j := range benchIgnored {
		fmt.Fprintf(&b, "  - {name: crm%02d, role: ignore}\n", j)
	}
	for k := range benchCats {
		fmt.Fprintf(&b, "  - {name: cat%d, role: feature, kind: categorical, min_count: 5}\n", k)
	}
	for k := range benchBools {
		fmt.Fprintf(&b, "  - {name: flag%d, role: feature, kind: boolean}\n", k)
	}
	b.WriteString("events:\n  types:\n  - {name: email_open}\n  - {name: page_view}\n  - {name: demo_request, group: intent}\n")
	return features.ParseSpec([]byte(b.String()))
}

func buildBenchFixture() (*benchFixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	leads, events, err := benchHistory(benchLeads, 3)
	if err != nil {
		return nil, err
	}
	spec, err := benchSpec()
	if err != nil {
		return nil, err
	}
	cfg := train.Config{
		Name: "bench", Spec: spec, Seed: 9, Algorithms: []string{model.GBDT}, NoRefit: true,
		Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}
	cfg.GBDT.Rounds = benchTrees
	cfg.GBDT.MaxDepth = benchDepth
	cfg.GBDT.EarlyStoppingRounds = -1
	res, err := train.Run(ctx, leads, events, "bench", cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	a := res.Artifact
	g := a.Global()
	if w := g.Transformer.Width(); w != benchFeatures {
		return nil, fmt.Errorf("the benchmark model has %d features, want %d", w, benchFeatures)
	}
	f := g.Champion.Forest
	if g.Champion.Algorithm != model.GBDT || f == nil || f.NumTrees() != benchTrees {
		return nil, fmt.Errorf("the benchmark champion is %s with %d trees, want gbdt with %d", g.Champion.Algorithm, f.NumTrees(), benchTrees)
	}
	if d := forestDepth(f.Tree(0)); d != benchDepth {
		return nil, fmt.Errorf("the first tree has depth %d, want %d", d, benchDepth)
	}
	spec2 := g.Transformer.Spec()
	// The single lead: one with about 50 events, all 40 attributes, sent
	// without the outcome.
	ec := events.Col("lead_id")
	counts := map[string]int{}
	for i := 0; i < events.Rows; i++ {
		id, _ := ec.Str(i)
		counts[id]++
	}
	row := -1
	idc := leads.Col("lead_id")
	for i := 0; i < leads.Rows; i++ {
		if id, _ := idc.Str(i); counts[id] >= 48 && counts[id] <= 52 && !leads.Col("num03").IsNull(i) && !leads.Col("num07").IsNull(i) {
			row = i
			break
		}
	}
	if row < 0 {
		return nil, fmt.Errorf("no lead with about 50 events")
	}
	pl, err := features.LeadsToProto(spec2, leads, events, []int{row})
	if err != nil {
		return nil, err
	}
	l := pl[0]
	l.Attributes = slices.DeleteFunc(l.Attributes, func(a *leadscorev1.Attribute) bool { return a.GetName() == "outcome" })
	if len(l.Attributes) != benchFeatures || len(l.Events) < 48 {
		return nil, fmt.Errorf("the benchmark lead has %d attributes and %d events, want 40 and about 50", len(l.Attributes), len(l.Events))
	}
	return &benchFixture{art: a, leads: leads, events: events, lead: l}, nil
}

// forestDepth is the depth of t's deepest leaf (root at depth 0).
func forestDepth(t tree.Tree) int {
	var walk func(c, d int) int
	walk = func(c, d int) int {
		if c < 0 {
			return d
		}
		return max(walk(t.Nodes[c].Left, d+1), walk(t.Nodes[c].Right, d+1))
	}
	if len(t.Nodes) == 0 {
		return 0
	}
	return walk(0, 0)
}

// BenchmarkArtifactPredictLead scores one proto lead (40 attributes,
// about 50 events) with the 300-tree depth-6 model through the served
// Model: routing, TransformLead, the forest, calibration, stage and
// sub-scores. "reasons" adds exact TreeSHAP and the top 5 reasons.
func BenchmarkArtifactPredictLead(b *testing.B) {
	f := benchFixtureFor(b)
	m := predict.NewArtifactModel(f.art)
	ctx := context.Background()
	now := f.lead.GetCreatedAt().AsTime().Add(60 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		opt  predict.Options
	}{
		{"no_reasons", predict.Options{Now: now}},
		{"reasons", predict.Options{Now: now, Explain: true, MaxReasons: 5}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := m.Predict(ctx, f.lead, c.opt)
				if err != nil {
					b.Fatal(err)
				}
				if c.opt.Explain && len(p.Reasons) == 0 {
					b.Fatal("no reasons")
				}
			}
		})
	}
}

// BenchmarkArtifactScoreTable is batch scoring without reasons, as
// `leadscore score` does it (Artifact.ScoreTable with one worker: run
// with -cpu 1 for rows/s per core), on 20,000 leads with about 50 events
// each. The sub-benchmarks split the cost: "transform" is
// Transformer.TransformTable alone (events joined and aggregated),
// "vectors" is Scorer.PredictVector over the transformed rows (forest,
// calibrator, stage, sub-scores), "forest" is Forest.Margins alone.
func BenchmarkArtifactScoreTable(b *testing.B) {
	f := benchFixtureFor(b)
	ctx := context.Background()
	rows := f.leads.Rows
	rate := func(b *testing.B) {
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("score_table", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.art.ScoreTable(ctx, f.leads, f.events, model.OfflineOptions{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
		rate(b)
	})
	g := f.art.Global()
	b.Run("transform", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := g.Transformer.TransformTable(ctx, f.leads, f.events); err != nil {
				b.Fatal(err)
			}
		}
		rate(b)
	})
	mx, err := g.Transformer.TransformTable(ctx, f.leads, f.events)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("vectors", func(b *testing.B) {
		b.ReportAllocs()
		sc := g.NewScratch()
		var p leadscorev1.Prediction
		for b.Loop() {
			for i := range rows {
				g.PredictVector(mx.Row(i), sc, 0, &p)
			}
		}
		rate(b)
	})
	b.Run("forest", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]float64, rows)
		for b.Loop() {
			g.Champion.Forest.Margins(dst, mx.X[:rows*mx.Cols], rows)
		}
		rate(b)
	})
}

// BenchmarkGRPCPredict is one unary Predict through a real gRPC server on
// loopback (interceptors, codec, validation, the benchmark model), as
// `leadscore serve` runs it, with the lead of cmd/bench-serve-client: the
// 40 attributes only (events=0, the ceiling's request shape) or with its
// ~50 events. Client and server share the process, so ns/op is the
// latency of one call, not the server's CPU: use it for profiles
// (-cpuprofile) and allocation counts, and scripts/bench-serve.sh for
// throughput.
func BenchmarkGRPCPredict(b *testing.B) {
	f := benchFixtureFor(b)
	ctx := context.Background()
	cli := benchGRPCClient(b, benchRegistry(b, f), predict.GRPCOptions{})
	for _, events := range []bool{false, true} {
		l := proto.Clone(f.lead).(*leadscorev1.Lead)
		if !events {
			l.Events = nil
		}
		req := &leadscorev1.PredictRequest{Lead: l}
		b.Run(fmt.Sprintf("events=%d", len(l.Events)), func(b *testing.B) {
			resp, err := cli.Predict(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			if w := resp.GetPrediction().GetWarnings(); len(w) > 0 {
				b.Fatalf("the benchmark lead gets warnings: %q", w)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := cli.Predict(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkServerSide measures what the server does per call without the
// network and the interceptors: decode the request bytes with the
// server's codec into a pooled request, run the handler, encode the
// answer (predict.ServerSideCall). Unary is one lead without events;
// table100 is a PredictBatch of 100 such leads (ids differ) as one
// LeadTable, batch100 the same leads as Lead messages, table1000 a table
// of 1000 (the default batch limit). Use it for CPU and allocation
// profiles of the hot path.
func BenchmarkServerSide(b *testing.B) {
	f := benchFixtureFor(b)
	ctx := context.Background()
	s := predict.NewServer(predict.ServerConfig{Registry: benchRegistry(b, f)})
	l := proto.Clone(f.lead).(*leadscorev1.Lead)
	l.Events = nil
	one, err := proto.Marshal(&leadscorev1.PredictRequest{Lead: l})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("unary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := predict.ServerSideCall(ctx, s, false, one); err != nil {
				b.Fatal(err)
			}
		}
	})
	leads := benchBatch(f, 100)
	tab, err := leadscorev1.NewLeadTable(leads)
	if err != nil {
		b.Fatal(err)
	}
	batch, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Table: tab})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("table100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := predict.ServerSideCall(ctx, s, true, batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	asLeads, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("batch100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := predict.ServerSideCall(ctx, s, true, asLeads); err != nil {
				b.Fatal(err)
			}
		}
	})
	many := benchBatch(f, predict.DefaultMaxBatch)
	bigTab, err := leadscorev1.NewLeadTable(many)
	if err != nil {
		b.Fatal(err)
	}
	big, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Table: bigTab})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("table1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := predict.ServerSideCall(ctx, s, true, big); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(many))*float64(b.N)/b.Elapsed().Seconds(), "leads/s")
	})
}

// BenchmarkGRPCPredictConcurrent is BenchmarkGRPCPredict (events=0) with
// 32 calls in flight, as the bench-serve load, against servers with
// GOMAXPROCS stream workers (the former default) and with the default:
// client and server share the cores, so ns/op is the inverse of the
// calls/s of the pair, and the two servers are compared in one run.
func BenchmarkGRPCPredictConcurrent(b *testing.B) {
	f := benchFixtureFor(b)
	ctx := context.Background()
	reg := benchRegistry(b, f)
	l := proto.Clone(f.lead).(*leadscorev1.Lead)
	l.Events = nil
	req := &leadscorev1.PredictRequest{Lead: l}
	for _, c := range []struct {
		name    string
		workers int
	}{{"workers=gomaxprocs", runtime.GOMAXPROCS(0)}, {"workers=default", 0}} {
		b.Run(c.name, func(b *testing.B) {
			cli := benchGRPCClient(b, reg, predict.GRPCOptions{StreamWorkers: c.workers})
			if _, err := cli.Predict(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := cli.Predict(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGRPCPredictBatch is the predictor issue's bar in one process:
// PredictBatch calls of 100 leads without events (ids differ), sent as
// Lead messages and as one LeadTable, 32 calls in flight over loopback
// to a server with the default options, as bench-serve-client -mode batch
// loads `leadscore serve`. Client and server share the cores, so ns/op is
// the inverse of the calls/s of the pair; leads/s is reported.
func BenchmarkGRPCPredictBatch(b *testing.B) {
	f := benchFixtureFor(b)
	ctx := context.Background()
	cli := benchGRPCClient(b, benchRegistry(b, f), predict.GRPCOptions{})
	leads := benchBatch(f, 100)
	tab, err := leadscorev1.NewLeadTable(leads)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		req  *leadscorev1.PredictBatchRequest
	}{{"leads=100", &leadscorev1.PredictBatchRequest{Leads: leads}}, {"table=100", &leadscorev1.PredictBatchRequest{Table: tab}}} {
		b.Run(c.name, func(b *testing.B) {
			resp, err := cli.PredictBatch(ctx, c.req)
			if err != nil {
				b.Fatal(err)
			}
			if n := len(resp.GetPredictions()); n != len(leads) {
				b.Fatalf("%d predictions, want %d", n, len(leads))
			}
			b.ReportAllocs()
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := cli.PredictBatch(ctx, c.req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*len(leads))/time.Since(start).Seconds(), "leads/s")
		})
	}
}

// benchRegistry saves the benchmark model into a temporary models
// directory and returns a registry serving it.
func benchRegistry(b *testing.B, f *benchFixture) *predict.Registry {
	b.Helper()
	root := b.TempDir()
	if _, err := model.Save(root, f.art); err != nil {
		b.Fatal(err)
	}
	reg, err := predict.NewRegistry(context.Background(), predict.RegistryConfig{Root: root, Loader: predict.LoadArtifact, Probe: f.lead})
	if err != nil {
		b.Fatal(err)
	}
	return reg
}

// benchGRPCClient serves reg with a gRPC server of the options opts on a
// loopback port and returns a client connected to it; both stop when the
// benchmark ends.
func benchGRPCClient(b *testing.B, reg *predict.Registry, opts predict.GRPCOptions) leadscorev1.LeadScoringClient {
	b.Helper()
	s := predict.NewServer(predict.ServerConfig{Registry: reg})
	g := s.NewGRPCServer(opts)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go g.Serve(lis)
	b.Cleanup(g.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cc.Close() })
	return leadscorev1.NewLeadScoringClient(cc)
}

// benchBatch returns n copies of the benchmark lead without its events,
// with the ids lead-0, lead-1, ...: the leads of a PredictBatch as
// bench-serve-client sends them.
func benchBatch(f *benchFixture, n int) []*leadscorev1.Lead {
	leads := make([]*leadscorev1.Lead, n)
	for i := range leads {
		leads[i] = proto.Clone(f.lead).(*leadscorev1.Lead)
		leads[i].Events = nil
		leads[i].Id = fmt.Sprintf("lead-%d", i)
	}
	return leads
}
