package predict_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"leadscore/data"
	"leadscore/data/synth"
	"leadscore/features"
	"leadscore/model"
	"leadscore/predict"
	leadscorev1 "leadscore/proto/leadscore/v1"
	"leadscore/train"
)

// The end-to-end fixture: a small synthetic history (synth seed 11, 6000
// leads over 6 quarters), a spec inferred from it with the leaky and
// post-outcome columns ignored, and a model trained on it with train.Run
// (both algorithms, a short GBDT, segment scorers per product line). It is
// built once per test binary; each test saves it into its own directory.
type e2eFixture struct {
	hist *synth.History
	spec *features.Spec
	art  *model.Artifact // as trained, not yet saved
}

var (
	e2eOnce sync.Once
	e2eFix  *e2eFixture
	e2eErr  error
)

// e2eTrainedAt is the fixture's training time: it names the version.
var e2eTrainedAt = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func e2eFixtureFor(t testing.TB) *e2eFixture {
	t.Helper()
	e2eOnce.Do(func() { e2eFix, e2eErr = buildE2EFixture() })
	if e2eErr != nil {
		t.Fatalf("build the end-to-end fixture: %v", e2eErr)
	}
	return e2eFix
}

func buildE2EFixture() (*e2eFixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := synth.Generate(ctx, synth.Config{Leads: 6000, Quarters: 6, Seed: 11})
	if err != nil {
		return nil, err
	}
	spec, _, err := features.Infer(h.Leads, h.Events, features.InferOptions{Label: "outcome", Positive: []string{"won"}})
	if err != nil {
		return nil, err
	}
	for i := range spec.Columns {
		switch spec.Columns[i].Name {
		case "amount", synth.LeakyColumn, "closed_at":
			spec.Columns[i].Role = features.RoleIgnore
		}
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	cfg := train.Config{
		Name: "leads", Spec: spec, Seed: 5, Now: e2eTrainedAt,
		SegmentBy: "product_line", MinPositives: 40,
	}
	cfg.GBDT.Rounds = 25
	cfg.GBDT.MaxDepth = 4
	res, err := train.Run(ctx, h.Leads, h.Events, "leads.parquet", cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	return &e2eFixture{hist: h, spec: spec, art: res.Artifact}, nil
}

// save writes the fixture's artifact under root as version (the trained
// version when ""), and returns the version directory.
func (f *e2eFixture) save(t testing.TB, root, version string) string {
	t.Helper()
	a := *f.art
	if version != "" {
		a.Manifest.Version = version
	}
	dir, err := model.Save(root, &a)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// historical returns the rows whose cut-off (created_at + horizon) is in
// the past: the server then scores them at the same cut-off as offline
// scoring, which never looks at the clock.
func (f *e2eFixture) historical(t testing.TB) []int {
	t.Helper()
	tc := f.hist.Leads.Col("created_at")
	h := f.spec.Cutoff.Horizon
	now := time.Now()
	var rows []int
	for i := 0; i < f.hist.Leads.Rows; i++ {
		if c, ok := tc.TimeAt(i); ok && c.Add(h).Before(now) {
			rows = append(rows, i)
		}
	}
	if len(rows) < 1000 {
		t.Fatalf("only %d historical rows", len(rows))
	}
	return rows
}

// protoLeads converts rows to API leads as a backend would send them:
// without the outcome and what is known only after it.
func (f *e2eFixture) protoLeads(t testing.TB, rows []int) []*leadscorev1.Lead {
	t.Helper()
	leads, err := features.LeadsToProto(f.spec, f.hist.Leads, f.hist.Events, rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leads {
		l.Attributes = slices.DeleteFunc(l.Attributes, func(a *leadscorev1.Attribute) bool {
			return slices.Contains([]string{"outcome", "closed_at", "amount", synth.LeakyColumn}, a.GetName())
		})
	}
	return leads
}

// e2eServer is a real server on 127.0.0.1:0 over a models directory.
type e2eServer struct {
	reg    *predict.Registry
	srv    *predict.Server
	conn   *grpc.ClientConn
	client leadscorev1.LeadScoringClient
	health healthpb.HealthClient
}

func startE2EServer(t *testing.T, ctx context.Context, root string) *e2eServer {
	t.Helper()
	reg, err := predict.NewRegistry(ctx, predict.RegistryConfig{Root: root, Loader: predict.LoadArtifact})
	if err != nil {
		t.Fatal(err)
	}
	srv := predict.NewServer(predict.ServerConfig{Registry: reg})
	conn := serveLoopback(t, srv)
	return &e2eServer{reg: reg, srv: srv, conn: conn, client: leadscorev1.NewLeadScoringClient(conn), health: healthpb.NewHealthClient(conn)}
}

// serveLoopback serves srv on 127.0.0.1:0 and returns a client connection
// to it; cleanup closes the connection, shuts the server down gracefully
// and reports a Serve error.
func serveLoopback(t *testing.T, srv *predict.Server) *grpc.ClientConn {
	t.Helper()
	g := srv.NewGRPCServer(predict.GRPCOptions{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx, g)
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return conn
}

func e2eCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// offline is one row of `leadscore score` output (model.Artifact.ScoreTable).
type offline struct {
	prob, score, fit, eng, challenger float64
	stage, reasons, by                string
}

func offlineScores(t testing.TB, a *model.Artifact, leads, events *data.Table, reasons int) map[string]offline {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tab, err := a.ScoreTable(ctx, leads, events, model.OfflineOptions{Reasons: reasons})
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) *data.Column {
		c := tab.Col(name)
		if c == nil {
			t.Fatalf("scores have no column %q", name)
		}
		return c
	}
	id, prob, score, fit, eng, stage, by := col("lead_id"), col("probability"), col("score"), col("fit_score"), col("engagement_score"), col("stage"), col("answered_by")
	chal := col("challenger_probability")
	var rs *data.Column
	if reasons > 0 {
		rs = col("reasons")
	}
	out := make(map[string]offline, tab.Rows)
	for i := 0; i < tab.Rows; i++ {
		k, _ := id.Str(i)
		o := offline{prob: prob.Floats[i], score: score.Floats[i], fit: fit.Floats[i], eng: eng.Floats[i], challenger: chal.Floats[i]}
		o.stage, _ = stage.Str(i)
		o.by, _ = by.Str(i)
		if rs != nil {
			o.reasons, _ = rs.Str(i)
		}
		out[k] = o
	}
	return out
}

// sameAsOffline reports how p differs from the offline answer, or "".
func sameAsOffline(p *leadscorev1.Prediction, o offline, withReasons bool) string {
	switch {
	case p.GetSource() != leadscorev1.Source_SOURCE_MODEL || o.by != "model":
		return fmt.Sprintf("answered by %v over gRPC, %q offline", p.GetSource(), o.by)
	case math.Float64bits(p.GetProbability()) != math.Float64bits(o.prob):
		return fmt.Sprintf("probability %v (%#x) over gRPC, %v (%#x) offline",
			p.GetProbability(), math.Float64bits(p.GetProbability()), o.prob, math.Float64bits(o.prob))
	case float64(p.GetScore()) != o.score:
		return fmt.Sprintf("score %d over gRPC, %v offline", p.GetScore(), o.score)
	case model.StageName(p.GetStage()) != o.stage:
		return fmt.Sprintf("stage %s over gRPC, %s offline", model.StageName(p.GetStage()), o.stage)
	case float64(p.GetFitScore()) != o.fit || float64(p.GetEngagementScore()) != o.eng:
		return fmt.Sprintf("sub-scores %d/%d over gRPC, %v/%v offline", p.GetFitScore(), p.GetEngagementScore(), o.fit, o.eng)
	case withReasons && model.FormatReasons(p.GetReasons()) != o.reasons:
		return fmt.Sprintf("reasons %q over gRPC, %q offline", model.FormatReasons(p.GetReasons()), o.reasons)
	case !withReasons && len(p.GetReasons()) != 0:
		return fmt.Sprintf("%d reasons without explain", len(p.GetReasons()))
	}
	return ""
}

// TestE2EParityWithOfflineScoring is the parity test of ARCHITECTURE.md:
// the historical leads of a real trained artifact, sent over gRPC on
// loopback (PredictBatch as leads and as a LeadTable, and Predict one by
// one), get the probabilities
// that offline scoring (`leadscore score`, i.e. Artifact.ScoreTable) gives
// the same rows, bit for bit, and the same score, stage, sub-scores and
// reasons. The artifact has per-product-line scorers, so routing is
// compared too.
func TestE2EParityWithOfflineScoring(t *testing.T) {
	f := e2eFixtureFor(t)
	ctx := e2eCtx(t)
	root := t.TempDir()
	dir := f.save(t, root, "")
	a, err := model.Load(dir) // what `leadscore score` and the server load
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Scorers) < 2 {
		t.Fatalf("want segment scorers besides the global one, have %d scorers", len(a.Scorers))
	}
	rows := f.historical(t)
	sub := f.hist.Leads.Take(rows)
	const reasons = 3
	want := offlineScores(t, a, sub, f.hist.Events, reasons)
	leads := f.protoLeads(t, rows)
	s := startE2EServer(t, ctx, root)

	// PredictBatch with the leads as messages, and as a LeadTable.
	for _, c := range []struct {
		explain, table bool
	}{{false, false}, {true, false}, {false, true}, {true, true}} {
		explain := c.explain
		var got []*leadscorev1.Prediction
		for lo := 0; lo < len(leads); lo += predict.DefaultMaxBatch {
			hi := min(len(leads), lo+predict.DefaultMaxBatch)
			req := &leadscorev1.PredictBatchRequest{Leads: leads[lo:hi], Explain: explain, MaxReasons: reasons}
			if c.table {
				tab, err := leadscorev1.NewLeadTable(leads[lo:hi])
				if err != nil {
					t.Fatal(err)
				}
				req.Leads, req.Table = nil, tab
			}
			resp, err := s.client.PredictBatch(ctx, req)
			if err != nil {
				t.Fatalf("PredictBatch (table %v) leads[%d:%d]: %v", c.table, lo, hi, err)
			}
			got = append(got, resp.GetPredictions()...)
		}
		if len(got) != len(leads) {
			t.Fatalf("%d predictions for %d leads", len(got), len(leads))
		}
		bad := 0
		for i, p := range got {
			if p.GetLeadId() != leads[i].GetId() {
				t.Fatalf("prediction %d is for %q, want %q", i, p.GetLeadId(), leads[i].GetId())
			}
			if d := sameAsOffline(p, want[p.GetLeadId()], explain); d != "" {
				if bad++; bad <= 5 {
					t.Errorf("PredictBatch (explain %v, table %v) lead %s: %s", explain, c.table, p.GetLeadId(), d)
				}
			}
			if len(p.GetWarnings()) != 0 {
				t.Errorf("lead %s: warnings %q for a lead from the training schema", p.GetLeadId(), p.GetWarnings())
			}
		}
		if bad > 0 {
			t.Errorf("PredictBatch (explain %v, table %v): %d of %d leads differ from offline scoring", explain, c.table, bad, len(got))
		}
	}

	// Unary Predict: every lead without reasons, every fifth with.
	bad := 0
	for i, l := range leads {
		explain := i%5 == 0
		resp, err := s.client.Predict(ctx, &leadscorev1.PredictRequest{Lead: l, Explain: explain, MaxReasons: reasons})
		if err != nil {
			t.Fatalf("Predict %s: %v", l.GetId(), err)
		}
		if d := sameAsOffline(resp.GetPrediction(), want[l.GetId()], explain); d != "" {
			if bad++; bad <= 5 {
				t.Errorf("Predict lead %s: %s", l.GetId(), d)
			}
		}
	}
	if bad > 0 {
		t.Errorf("Predict: %d of %d leads differ from offline scoring", bad, len(leads))
	}
	// The same concurrently: the server decodes requests into pooled memory
	// it reuses, so calls in flight together (8 unary callers, 2 batch
	// callers with Lead messages of 25) must each get their own lead's
	// answer, bit for bit.
	var wg sync.WaitGroup
	var badConc atomic.Int64
	check := func(p *leadscorev1.Prediction, l *leadscorev1.Lead, what string) {
		if p.GetLeadId() != l.GetId() {
			t.Errorf("%s: the answer for lead %s is for %q", what, l.GetId(), p.GetLeadId())
			badConc.Add(1)
		} else if d := sameAsOffline(p, want[l.GetId()], false); d != "" {
			if badConc.Add(1) <= 5 {
				t.Errorf("%s lead %s: %s", what, l.GetId(), d)
			}
		}
	}
	conc := leads[:min(len(leads), 400)]
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(conc); i += 8 {
				resp, err := s.client.Predict(ctx, &leadscorev1.PredictRequest{Lead: conc[i]})
				if err != nil {
					t.Errorf("concurrent Predict %s: %v", conc[i].GetId(), err)
					return
				}
				check(resp.GetPrediction(), conc[i], "concurrent Predict")
			}
		})
	}
	for w := range 2 {
		wg.Go(func() {
			for lo := 25 * w; lo < len(conc); lo += 50 {
				part := conc[lo:min(len(conc), lo+25)]
				resp, err := s.client.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: part})
				if err != nil || len(resp.GetPredictions()) != len(part) {
					t.Errorf("concurrent PredictBatch leads[%d:]: %d answers, %v", lo, len(resp.GetPredictions()), err)
					return
				}
				for i, p := range resp.GetPredictions() {
					check(p, part[i], "concurrent PredictBatch")
				}
			}
		})
	}
	wg.Wait()
	if n := badConc.Load(); n > 0 {
		t.Errorf("concurrent calls: %d answers differ from offline scoring", n)
	}
	// The shadow path: the challenger's probability for a lead equals the
	// one offline scoring records, bit for bit.
	m := predict.NewArtifactModel(a)
	badChal := 0
	for _, l := range leads {
		c, ok := m.PredictChallenger(ctx, l, predict.Options{Now: time.Now()})
		w := want[l.GetId()].challenger
		if !ok || math.Float64bits(c) != math.Float64bits(w) {
			if badChal++; badChal <= 5 {
				t.Errorf("lead %s: challenger %v (ok %v) in serving, %v offline", l.GetId(), c, ok, w)
			}
		}
	}
	if badChal > 0 {
		t.Errorf("PredictChallenger: %d of %d leads differ from offline scoring", badChal, len(leads))
	}
	// The comparison has teeth: the leads do not all get one probability.
	distinct := map[uint64]bool{}
	for _, o := range want {
		distinct[math.Float64bits(o.prob)] = true
	}
	if len(distinct) < 100 {
		t.Errorf("only %d distinct offline probabilities over %d leads", len(distinct), len(want))
	}
}

// TestE2EModelInfoAndHealth starts on an empty models directory (health
// NOT_SERVING, no rules either), adds a real artifact and reloads (health
// SERVING), and checks that ListModels and GetModel describe the artifact:
// version, champion, test metrics, features and thresholds.
func TestE2EModelInfoAndHealth(t *testing.T) {
	f := e2eFixtureFor(t)
	ctx := e2eCtx(t)
	root := t.TempDir()
	s := startE2EServer(t, ctx, root)
	check := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		t.Helper()
		r, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health check %q: %v", service, err)
		}
		return r.GetStatus()
	}
	for _, svc := range []string{"", "leadscore.v1.LeadScoring"} {
		if got := check(svc); got != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("empty models directory: health %q = %v, want NOT_SERVING", svc, got)
		}
	}
	dir := f.save(t, root, "")
	if err := s.reg.Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	for _, svc := range []string{"", "leadscore.v1.LeadScoring"} {
		if got := check(svc); got != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("after loading %s: health %q = %v, want SERVING", dir, svc, got)
		}
	}

	a, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.client.ListModels(ctx, &leadscorev1.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetModels()) != 1 || list.GetDefaultModel() != "leads" {
		t.Fatalf("ListModels: %d models, default %q; want 1, \"leads\"", len(list.GetModels()), list.GetDefaultModel())
	}
	info, err := s.client.GetModel(ctx, &leadscorev1.GetModelRequest{Name: "leads"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mi := range []*leadscorev1.ModelInfo{list.GetModels()[0], info} {
		g := a.Global()
		if mi.GetName() != "leads" || mi.GetVersion() != a.Manifest.Version || mi.GetVersion() != filepath.Base(dir) {
			t.Errorf("model %q version %q, want leads %q", mi.GetName(), mi.GetVersion(), filepath.Base(dir))
		}
		if !mi.GetTrainedAt().AsTime().Equal(e2eTrainedAt) {
			t.Errorf("trained_at %v, want %v", mi.GetTrainedAt().AsTime(), e2eTrainedAt)
		}
		if mi.GetAlgorithm() != g.Champion.Algorithm || g.Challenger == nil || mi.GetChallenger() != g.Challenger.Algorithm {
			t.Errorf("algorithm %q challenger %q, want the artifact's %q", mi.GetAlgorithm(), mi.GetChallenger(), g.Champion.Algorithm)
		}
		for k, v := range map[string]float64{"auc": g.Champion.Test.AUC, "logloss": g.Champion.Test.LogLoss, "brier": g.Champion.Test.Brier} {
			if got, ok := mi.GetTestMetrics()[k]; !ok || got != v {
				t.Errorf("test metric %s = %v (present %v), want %v", k, got, ok, v)
			}
		}
		if auc := mi.GetTestMetrics()["auc"]; !(auc > 0.6 && auc < 1) {
			t.Errorf("test AUC %v: the fixture model should rank leads (synth has signal)", auc)
		}
		feats := g.Transformer.Features()
		if len(mi.GetFeatures()) != len(feats) {
			t.Fatalf("%d features, want %d", len(mi.GetFeatures()), len(feats))
		}
		sum := 0.0
		for j, fi := range mi.GetFeatures() {
			if fi.GetName() != feats[j].Name || fi.GetKind() != feats[j].Kind.String() || fi.GetGroup() != feats[j].Group.Proto() {
				t.Errorf("feature %d: %s/%s/%v, want %s/%s/%v", j, fi.GetName(), fi.GetKind(), fi.GetGroup(), feats[j].Name, feats[j].Kind, feats[j].Group.Proto())
			}
			sum += fi.GetImportance()
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("importances sum to %v, want 1", sum)
		}
		th := mi.GetThresholds()
		if th.GetVersion() != g.Thresholds.Version || th.GetMql() != g.Thresholds.MQL || th.GetSql() != g.Thresholds.SQL {
			t.Errorf("thresholds %v, want %+v", th, g.Thresholds)
		}
		if len(mi.GetAvailableVersions()) != 1 || mi.GetAvailableVersions()[0] != a.Manifest.Version {
			t.Errorf("available versions %v", mi.GetAvailableVersions())
		}
	}
}

// TestE2EHotReloadUnderLoad keeps Predict and PredictBatch calls flowing
// from several goroutines while new versions of a real artifact are saved
// and the registry reloads, many times. No call may fail; every answer
// comes from one of the saved versions and has the probability of the
// first version (the versions hold the same model); the newest version is
// served at the end.
func TestE2EHotReloadUnderLoad(t *testing.T) {
	f := e2eFixtureFor(t)
	ctx := e2eCtx(t)
	root := t.TempDir()
	first := filepath.Base(f.save(t, root, ""))
	rows := f.historical(t)[:200]
	leads := f.protoLeads(t, rows)
	s := startE2EServer(t, ctx, root)

	want := map[string]uint64{}
	resp, err := s.client.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: leads})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetPredictions() {
		want[p.GetLeadId()] = math.Float64bits(p.GetProbability())
	}

	const reloads = 12
	versions := map[string]bool{first: true}
	for k := 1; k <= reloads; k++ {
		versions[fmt.Sprintf("%s-r%02d", first, k)] = true
	}
	stop := make(chan struct{})
	var calls, failures atomic.Int64
	var seen sync.Map
	var wg sync.WaitGroup
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	checkP := func(p *leadscorev1.Prediction) {
		if !versions[p.GetModelVersion()] {
			fail("answer from version %q, not a saved one", p.GetModelVersion())
		}
		if p.GetSource() != leadscorev1.Source_SOURCE_MODEL {
			fail("lead %s answered by %v (%s)", p.GetLeadId(), p.GetSource(), p.GetFallbackReason())
		}
		if math.Float64bits(p.GetProbability()) != want[p.GetLeadId()] {
			fail("lead %s: probability %v changed across versions of the same model", p.GetLeadId(), p.GetProbability())
		}
		seen.Store(p.GetModelVersion(), true)
	}
	for w := range 4 {
		wg.Go(func() {
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				calls.Add(1)
				if w%2 == 0 {
					r, err := s.client.Predict(ctx, &leadscorev1.PredictRequest{Lead: leads[i%len(leads)], Explain: i%3 == 0})
					if err != nil {
						fail("Predict during reload: %v", err)
						continue
					}
					checkP(r.GetPrediction())
				} else {
					lo := (i * 17) % (len(leads) - 20)
					r, err := s.client.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: leads[lo : lo+20]})
					if err != nil {
						fail("PredictBatch during reload: %v", err)
						continue
					}
					for _, p := range r.GetPredictions() {
						checkP(p)
					}
				}
			}
		})
	}
	last := first
	for k := 1; k <= reloads; k++ {
		last = fmt.Sprintf("%s-r%02d", first, k)
		f.save(t, root, last)
		if err := s.reg.Reload(ctx); err != nil {
			t.Errorf("reload %d: %v", k, err)
		}
		// A reload that is not the newest any more: Reload again without a
		// new version keeps serving (no refusal, no swap to nothing).
		if k%4 == 0 {
			if err := s.reg.Reload(ctx); err != nil {
				t.Errorf("repeated reload %d: %v", k, err)
			}
		}
		time.Sleep(20 * time.Millisecond) // let calls land on this version
	}
	close(stop)
	wg.Wait()
	if calls.Load() < 50 {
		t.Errorf("only %d calls during %d reloads", calls.Load(), reloads)
	}
	if failures.Load() > 0 {
		t.Fatalf("%d failures in %d calls", failures.Load(), calls.Load())
	}
	info, err := s.client.GetModel(ctx, &leadscorev1.GetModelRequest{Name: "leads"})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetVersion() != last || len(info.GetAvailableVersions()) != reloads+1 {
		t.Errorf("after the reloads: version %q with %d available, want %q with %d", info.GetVersion(), len(info.GetAvailableVersions()), last, reloads+1)
	}
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	if n < 3 {
		t.Errorf("answers came from only %d versions over %d reloads", n, reloads)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("test context expired")
	}
}

// TestE2EBadAttributeIsInvalidArgument: a trained model refuses an
// attribute of the wrong type with INVALID_ARGUMENT naming the field, and
// the rules do not answer in its place.
func TestE2EBadAttributeIsInvalidArgument(t *testing.T) {
	f := e2eFixtureFor(t)
	ctx := e2eCtx(t)
	root := t.TempDir()
	f.save(t, root, "")
	s := startE2EServer(t, ctx, root)
	l := f.protoLeads(t, f.historical(t)[:1])[0]
	l.SetAttribute(leadscorev1.StringAttribute("employees", "many"))
	_, err := s.client.Predict(ctx, &leadscorev1.PredictRequest{Lead: l})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `lead.attributes["employees"]`) {
		t.Errorf("Predict with a string employees: %v, want INVALID_ARGUMENT naming lead.attributes[\"employees\"]", err)
	}
	// In a batch (scored a block at a time), the error names the lead's
	// index; the leads around it do not hide it.
	leads := f.protoLeads(t, f.historical(t)[:5])
	leads[2].SetAttribute(leadscorev1.StringAttribute("employees", "many"))
	_, err = s.client.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: leads})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `leads[2].attributes["employees"]`) {
		t.Errorf("PredictBatch with a string employees in leads[2]: %v, want INVALID_ARGUMENT naming leads[2].attributes[\"employees\"]", err)
	}
}
