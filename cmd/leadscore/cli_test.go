package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"

	"leadscore/data"
	"leadscore/features"
	"leadscore/model"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// cliRun runs one command line in-process and returns its exit code and
// output.
func cliRun(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func cliMustRun(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	code, out, errs := cliRun(t, ctx, args...)
	if code != 0 {
		t.Fatalf("leadscore %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func cliCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// lockedBuffer is a bytes.Buffer safe for a server goroutine writing and
// the test reading.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingOn = regexp.MustCompile(`serving on (127\.0\.0\.1:\d+)`)

// cliServe runs `leadscore serve` in-process on 127.0.0.1:0 and returns
// its address; the server stops (and its exit code is checked) at cleanup.
func cliServe(t *testing.T, models string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	args := append([]string{"serve", "--models", models, "--addr", "127.0.0.1:0", "--metrics-addr", "", "--grace", "5s"}, extra...)
	go func() { done <- run(ctx, args, out, errs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("leadscore serve: exit %d\n%s", code, errs.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("leadscore serve did not stop within 20 s of cancellation")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingOn.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("leadscore serve exited with %d before serving:\n%s%s", code, out.String(), errs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("leadscore serve did not report its address:\n%s%s", out.String(), errs.String())
	return ""
}

// grpcurlPath is bin/grpcurl at the repository root, installed by `make tools`.
func grpcurlPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "bin", "grpcurl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("grpcurl is missing (%v): run `make tools`, which installs the pinned grpcurl into bin/", err)
	}
	return p
}

func grpcurl(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, grpcurlPath(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("grpcurl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// TestCLIWorkflow runs the documented workflow in-process on a tiny
// generated history: gen → spec infer → train → model inspect (text and
// JSON) → score → report; then serves the trained model with `leadscore
// serve` and checks that gRPC answers equal `leadscore score`'s
// probabilities bit for bit, and that grpcurl can list, describe,
// health-check and call the service through reflection.
func TestCLIWorkflow(t *testing.T) {
	ctx := cliCtx(t)
	dir := t.TempDir()
	h := filepath.Join(dir, "history")
	leadsPath, eventsPath := filepath.Join(h, "leads.parquet"), filepath.Join(h, "events.parquet")
	specPath := filepath.Join(dir, "spec.yaml")
	models := filepath.Join(dir, "models")
	scoresPath := filepath.Join(dir, "scores.parquet")

	out := cliMustRun(t, ctx, "gen", "--leads", "3000", "--quarters", "6", "--seed", "4", "--out", h)
	if !strings.Contains(out, "wrote 3000 leads") {
		t.Errorf("gen: %q", out)
	}
	for _, f := range []string{leadsPath, eventsPath, filepath.Join(h, "truth.parquet")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("gen: %v", err)
		}
	}

	out = cliMustRun(t, ctx, "spec", "infer", "--data", leadsPath, "--events", eventsPath, "--out", specPath)
	if !strings.Contains(out, "wrote "+specPath) {
		t.Errorf("spec infer: %q", out)
	}
	specYAML, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := features.ParseSpec(specYAML)
	if err != nil {
		t.Fatalf("spec infer wrote a spec ParseSpec rejects: %v", err)
	}
	if spec.Label.Column != "outcome" || spec.Events == nil || len(spec.Events.Types) == 0 {
		t.Errorf("inferred spec: label %q, events %v", spec.Label.Column, spec.Events)
	}

	out = cliMustRun(t, ctx, "train", "--data", leadsPath, "--events", eventsPath, "--spec", specPath,
		"--exclude", "amount,sales_calls", "--rounds", "20", "--max-depth", "4", "--seed", "2", "--json", "--out", filepath.Join(models, "leads"))
	var tr struct {
		Champion string `json:"champion"`
		Models   []struct {
			Name string `json:"name"`
			Test struct {
				AUC float64 `json:"auc"`
			} `json:"test"`
		} `json:"models"`
		Artifact string `json:"artifact"`
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("train --json: %v\n%s", err, out)
	}
	if (tr.Champion != model.Logistic && tr.Champion != model.GBDT) || len(tr.Models) != 2 || filepath.Dir(tr.Artifact) != filepath.Join(models, "leads") {
		t.Fatalf("train --json: %+v", tr)
	}
	for _, m := range tr.Models {
		if !(m.Test.AUC > 0.6) {
			t.Errorf("train: %s test AUC %v; synth has signal", m.Name, m.Test.AUC)
		}
	}
	version := filepath.Base(tr.Artifact)

	out = cliMustRun(t, ctx, "model", "inspect", filepath.Join(models, "leads"))
	for _, want := range []string{"model leads, version " + version, "scorer global:", "champion " + tr.Champion, "thresholds", "most important features"} {
		if !strings.Contains(out, want) {
			t.Errorf("model inspect: no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "sales_calls") || strings.Contains(out, "amount ") {
		t.Errorf("model inspect lists an excluded column:\n%s", out)
	}
	out = cliMustRun(t, ctx, "model", "inspect", "--json", tr.Artifact)
	var ins struct {
		Manifest model.Manifest `json:"manifest"`
		Scorers  []struct {
			Name     string `json:"name"`
			Champion struct {
				Algorithm  string             `json:"algorithm"`
				Importance map[string]float64 `json:"importance"`
			} `json:"champion"`
		} `json:"scorers"`
	}
	if err := json.Unmarshal([]byte(out), &ins); err != nil {
		t.Fatalf("model inspect --json: %v\n%s", err, out)
	}
	if ins.Manifest.Name != "leads" || ins.Manifest.Version != version || len(ins.Scorers) != 1 ||
		ins.Scorers[0].Name != "global" || ins.Scorers[0].Champion.Algorithm != tr.Champion || len(ins.Scorers[0].Champion.Importance) == 0 {
		t.Errorf("model inspect --json: %+v", ins)
	}

	out = cliMustRun(t, ctx, "score", "--models", models, "--data", leadsPath, "--events", eventsPath, "--reasons", "2", "--out", scoresPath)
	if !strings.Contains(out, "scored 3000 leads with leads/"+version) {
		t.Errorf("score: %q", out)
	}
	scores, err := data.ReadParquet(ctx, scoresPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if scores.Rows != 3000 {
		t.Fatalf("scores: %d rows", scores.Rows)
	}

	reportDir := filepath.Join(dir, "report")
	out = cliMustRun(t, ctx, "report", "--outcomes", leadsPath, "--scores", scoresPath, "--out", reportDir)
	if !strings.Contains(out, "index.html") {
		t.Errorf("report: %q", out)
	}
	for _, f := range []string{"index.html", "report.md", "summary.json"} {
		if fi, err := os.Stat(filepath.Join(reportDir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("report: %s: %v", f, err)
		}
	}

	addr := cliServe(t, models)
	t.Run("grpc_equals_score", func(t *testing.T) { cliParity(t, ctx, addr, spec, leadsPath, eventsPath, scores) })
	t.Run("grpcurl", func(t *testing.T) { cliGrpcurl(t, ctx, addr, version) })
	t.Run("health_flips", func(t *testing.T) { cliHealthFlips(t, ctx, tr.Artifact) })
}

// cliParity sends the leads whose cut-off has passed over gRPC and
// compares with `leadscore score`'s output: identical probabilities bit
// for bit, and the same score and stage.
func cliParity(t *testing.T, ctx context.Context, addr string, spec *features.Spec, leadsPath, eventsPath string, scores *data.Table) {
	leads, err := data.ReadParquet(ctx, leadsPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	events, err := data.ReadParquet(ctx, eventsPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	tc := leads.Col("created_at")
	var rows []int
	for i := 0; i < leads.Rows; i++ {
		if c, ok := tc.TimeAt(i); ok && c.Add(spec.Cutoff.Horizon).Before(time.Now()) {
			rows = append(rows, i)
		}
	}
	pl, err := features.LeadsToProto(spec, leads, events, rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range pl {
		l.Attributes = slices.DeleteFunc(l.Attributes, func(a *leadscorev1.Attribute) bool {
			return slices.Contains([]string{"outcome", "closed_at", "amount", "sales_calls"}, a.GetName())
		})
	}
	want := map[string][2]float64{} // probability, score
	stage := map[string]string{}
	id, prob, score, st := scores.Col("lead_id"), scores.Col("probability"), scores.Col("score"), scores.Col("stage")
	for i := 0; i < scores.Rows; i++ {
		k, _ := id.Str(i)
		want[k] = [2]float64{prob.Floats[i], score.Floats[i]}
		stage[k], _ = st.Str(i)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cli := leadscorev1.NewLeadScoringClient(conn)
	bad := 0
	for lo := 0; lo < len(pl); lo += 500 {
		resp, err := cli.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: pl[lo:min(len(pl), lo+500)]})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resp.GetPredictions() {
			w := want[p.GetLeadId()]
			if math.Float64bits(p.GetProbability()) != math.Float64bits(w[0]) || float64(p.GetScore()) != w[1] ||
				model.StageName(p.GetStage()) != stage[p.GetLeadId()] || p.GetSource() != leadscorev1.Source_SOURCE_MODEL {
				if bad++; bad <= 5 {
					t.Errorf("lead %s: gRPC %v (score %d, %v, %v), leadscore score %v (score %v, %s)", p.GetLeadId(),
						p.GetProbability(), p.GetScore(), p.GetStage(), p.GetSource(), w[0], w[1], stage[p.GetLeadId()])
				}
			}
		}
	}
	if bad > 0 || len(pl) < 2000 {
		t.Errorf("%d of %d leads differ between gRPC and leadscore score", bad, len(pl))
	}
}

// grpcurlLead is a lead as a backend would write it in JSON.
const grpcurlLead = `{"lead": {"id": "L-grpcurl", "created_at": "2026-06-01T09:00:00Z",
  "attributes": [{"name": "industry", "string_value": "software"}, {"name": "employees", "number_value": 400},
    {"name": "role", "string_value": "data_analyst"}, {"name": "is_competitor", "bool_value": false}],
  "events": [{"type": "pricing_page", "ts": "2026-06-03T10:00:00Z"}, {"type": "email_open", "ts": "2026-06-02T08:00:00Z"}]},
 "explain": true, "max_reasons": 2, "request_id": "r-1"}`

func cliGrpcurl(t *testing.T, ctx context.Context, addr, version string) {
	out := grpcurl(t, ctx, "-plaintext", addr, "list")
	for _, svc := range []string{"leadscore.v1.LeadScoring", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !strings.Contains(out, svc+"\n") {
			t.Errorf("grpcurl list: no %s in\n%s", svc, out)
		}
	}
	out = grpcurl(t, ctx, "-plaintext", addr, "describe", "leadscore.v1.LeadScoring")
	for _, rpc := range []string{
		"rpc Predict ( .leadscore.v1.PredictRequest ) returns ( .leadscore.v1.PredictResponse );",
		"rpc PredictBatch ( .leadscore.v1.PredictBatchRequest ) returns ( .leadscore.v1.PredictBatchResponse );",
		"rpc PredictStream ( stream .leadscore.v1.PredictRequest ) returns ( stream .leadscore.v1.PredictResponse );",
		"rpc ListModels", "rpc GetModel",
	} {
		if !strings.Contains(out, rpc) {
			t.Errorf("grpcurl describe: no %q in\n%s", rpc, out)
		}
	}
	for _, svc := range []string{"", "leadscore.v1.LeadScoring"} {
		out = grpcurl(t, ctx, "-plaintext", "-d", fmt.Sprintf(`{"service": %q}`, svc), addr, "grpc.health.v1.Health/Check")
		if !strings.Contains(out, `"status": "SERVING"`) {
			t.Errorf("grpcurl health check %q: %s", svc, out)
		}
	}

	out = grpcurl(t, ctx, "-plaintext", "-d", grpcurlLead, addr, "leadscore.v1.LeadScoring/Predict")
	var resp struct {
		Prediction struct {
			LeadID       string          `json:"leadId"`
			Probability  json.RawMessage `json:"probability"`
			Score        int             `json:"score"`
			Stage        string          `json:"stage"`
			ModelName    string          `json:"modelName"`
			ModelVersion string          `json:"modelVersion"`
			Source       string          `json:"source"`
			Reasons      []struct {
				Feature string `json:"feature"`
			} `json:"reasons"`
		} `json:"prediction"`
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("grpcurl Predict: %v\n%s", err, out)
	}
	p := resp.Prediction
	prob, err := strconv.ParseFloat(string(p.Probability), 64)
	if err != nil || p.LeadID != "L-grpcurl" || resp.RequestID != "r-1" || p.ModelName != "leads" || p.ModelVersion != version ||
		p.Source != "SOURCE_MODEL" || !strings.HasPrefix(p.Stage, "STAGE_") || len(p.Reasons) == 0 || len(p.Reasons) > 2 {
		t.Fatalf("grpcurl Predict answered:\n%s", out)
	}
	if p.Score != int(math.Round(100*prob)) {
		t.Errorf("grpcurl Predict: score %d for probability %v", p.Score, prob)
	}
	// The same request from a Go client gets the same probability, bit
	// for bit: the JSON path loses nothing.
	var req leadscorev1.PredictRequest
	if err := protojson.Unmarshal([]byte(grpcurlLead), &req); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	gr, err := leadscorev1.NewLeadScoringClient(conn).Predict(ctx, &req)
	if err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(gr.GetPrediction().GetProbability()) != math.Float64bits(prob) {
		t.Errorf("grpcurl probability %v, Go client %v", prob, gr.GetPrediction().GetProbability())
	}
}

// cliHealthFlips serves an empty models directory (no model, no rules:
// NOT_SERVING), then places a trained artifact in it; the poll loads it
// and health turns SERVING, as grpcurl sees it.
func cliHealthFlips(t *testing.T, ctx context.Context, artifact string) {
	root := t.TempDir()
	addr := cliServe(t, root, "--poll", "100ms")
	check := func() string {
		return grpcurl(t, ctx, "-plaintext", "-d", `{"service": "leadscore.v1.LeadScoring"}`, addr, "grpc.health.v1.Health/Check")
	}
	if out := check(); !strings.Contains(out, `"status": "NOT_SERVING"`) {
		t.Fatalf("empty models directory: health %s", out)
	}
	a, err := model.Load(artifact)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := model.Save(root, a); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := check()
		if strings.Contains(out, `"status": "SERVING"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health still %s 20 s after a model was placed (poll 100ms)", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCLIUsage checks the contract of the command line: `leadscore help`
// lists every command, `leadscore CMD -h` prints every flag of CMD and
// exits 0, and a missing required flag is a usage error (exit 2) whose
// message names the flag.
func TestCLIUsage(t *testing.T) {
	ctx := cliCtx(t)
	code, out, _ := cliRun(t, ctx, "help")
	if code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(out, "  "+c.name+" ") || !strings.Contains(out, c.summary) {
			t.Errorf("help does not list %q with its summary:\n%s", c.name, out)
		}
	}
	for _, want := range []string{"gen", "spec infer", "train", "score", "serve", "report", "model inspect"} {
		if _, _, ok := lookup(strings.Fields(want)); !ok {
			t.Errorf("no command %q", want)
		}
	}
	for _, c := range commands() {
		args := append(strings.Fields(c.name), "-h")
		code, _, errs := cliRun(t, ctx, args...)
		if code != 0 {
			t.Errorf("%s -h: exit %d", c.name, code)
		}
		if !strings.Contains(errs, "usage: leadscore "+c.name) {
			t.Errorf("%s -h: no usage line in\n%s", c.name, errs)
		}
		// The flags the command defines, collected from a flag set it
		// filled: each must be printed.
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		fs.SetOutput(new(bytes.Buffer))
		_ = c.run(ctx, &env{stdout: new(bytes.Buffer), stderr: new(bytes.Buffer), log: slog.New(slog.DiscardHandler)}, fs, []string{"-h"})
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			n++
			if !strings.Contains(errs, "  -"+f.Name+" ") && !strings.Contains(errs, "  -"+f.Name+"\n") {
				t.Errorf("%s -h does not print flag -%s", c.name, f.Name)
			}
		})
		if n == 0 {
			t.Errorf("%s defines no flags", c.name)
		}
		// `leadscore help CMD` prints the flags to stdout. (The usage line
		// still goes to stderr: fs.Usage captured stderr in newFlagSet.)
		code, hout, herr := cliRun(t, ctx, append([]string{"help"}, strings.Fields(c.name)...)...)
		if code != 0 || !strings.Contains(herr+hout, "usage: leadscore "+c.name) {
			t.Errorf("help %s: exit %d\n%s%s", c.name, code, herr, hout)
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(hout, "  -"+f.Name) {
				t.Errorf("help %s does not print flag -%s to stdout", c.name, f.Name)
			}
		})
	}

	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"gen"}, "--out is required"},
		{[]string{"gen", "--out", dir, "--end", "2026-13-01"}, `--end "2026-13-01"`},
		{[]string{"spec", "infer"}, "--data is required"},
		{[]string{"train", "--out", dir}, "--data and --out are required"},
		{[]string{"train", "--data", "x.parquet", "--out", dir}, "give --spec, or --label and --positive"},
		{[]string{"score", "--data", "x.parquet"}, "--models, --data and --out are required"},
		{[]string{"serve"}, "--models is required"},
		{[]string{"serve", "--models", dir, "--pin", "leads"}, `--pin "leads": want NAME=VERSION`},
		{[]string{"report", "--out", dir}, "give exactly one of --predictions, --scores and --models"},
		{[]string{"model", "inspect"}, "want one artifact directory"},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"gen", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, _, errs := cliRun(t, ctx, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("leadscore %s: exit %d, stderr\n%s\nwant exit 2 and %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
	// A failure of the work (not of the command line) is exit 1.
	if code, _, errs := cliRun(t, ctx, "model", "inspect", filepath.Join(dir, "missing")); code != 1 || !strings.Contains(errs, "missing") {
		t.Errorf("model inspect of a missing directory: exit %d\n%s", code, errs)
	}
}
