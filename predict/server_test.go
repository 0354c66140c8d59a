package predict_test

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/protobuf/encoding/protowire"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"leadscore/data"
	"leadscore/model/rules"
	"leadscore/predict"
	"leadscore/predict/predicttest"
	"leadscore/predict/predlog"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func loadRules(t testing.TB) *rules.Model {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "model", "rules", "testdata", "default_rules.yaml"))
	if err != nil {
		t.Fatalf("rules fixture: %v", err)
	}
	m, err := rules.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var created = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func sv(name, s string) *leadscorev1.Attribute {
	return leadscorev1.StringAttribute(name, s)
}

func nv(name string, x float64) *leadscorev1.Attribute {
	return leadscorev1.NumberAttribute(name, x)
}

// lead returns a valid lead; i varies its attributes.
func lead(id string, i int) *leadscorev1.Lead {
	pl := []string{"analytics", "platform"}[i%2]
	return &leadscorev1.Lead{
		Id:        id,
		CreatedAt: timestamppb.New(created.Add(time.Duration(i) * time.Hour)),
		Attributes: []*leadscorev1.Attribute{
			sv("product_line", pl), sv("source", []string{"inbound", "outbound"}[i%2]),
			sv("industry", []string{"software", "retail", "education"}[i%3]), sv("icp_tier", []string{"A", "B", "C", "D"}[i%4]),
			sv("role", []string{"data_analyst", "student", "executive"}[i%3]), nv("employees", float64(10*i)),
		},
		Events: []*leadscorev1.Event{
			{Type: "email_open", Ts: timestamppb.New(created.Add(time.Duration(i+1) * time.Hour))},
			{Type: "demo_request", Ts: timestamppb.New(created.Add(time.Duration(i*24) * time.Hour))},
		},
	}
}

type env struct {
	root    string
	reg     *predict.Registry
	metrics *predict.Metrics
	h       *predicttest.Harness
	sink    *memSink
}

type envOpt struct {
	specs    []predicttest.FakeSpec
	noRules  bool
	def      string
	pins     map[string]string
	maxBatch int
	shadow   bool
}

func newEnv(t *testing.T, o envOpt) *env {
	t.Helper()
	e := &env{root: t.TempDir(), metrics: predict.NewMetrics(), sink: &memSink{}}
	for _, s := range o.specs {
		if _, err := predicttest.WriteFake(e.root, s); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := predict.NewRegistry(testCtx(t), predict.RegistryConfig{
		Root: e.root, Loader: predicttest.FakeLoader, Default: o.def, Pins: o.pins, Metrics: e.metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.reg = reg
	cfg := predict.ServerConfig{Registry: reg, Metrics: e.metrics, MaxBatch: o.maxBatch, Shadow: o.shadow, Log: e.sink,
		Logger: slog.New(slog.DiscardHandler)}
	if !o.noRules {
		cfg.Rules = loadRules(t)
	}
	e.h = predicttest.NewServer(t, cfg)
	return e
}

type memSink struct {
	mu   sync.Mutex
	recs []predict.Record
}

func (m *memSink) Append(r predict.Record) {
	m.mu.Lock()
	m.recs = append(m.recs, r)
	m.mu.Unlock()
}

func (m *memSink) all() []predict.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.recs)
}

func global(version string) predicttest.FakeSpec {
	return predicttest.FakeSpec{Name: "global", Version: version, Base: 0.1, Challenger: 0.42, NumericAttr: "employees"}
}

func TestEveryRPC(t *testing.T) {
	e := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("20261101T000000Z-a")}})
	c := e.h.Client
	ctx := testCtx(t)

	resp, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L1", 0), Explain: true, MaxReasons: 2, RequestId: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	p := resp.GetPrediction()
	if resp.GetRequestId() != "r1" || p.GetLeadId() != "L1" || p.GetSource() != leadscorev1.Source_SOURCE_MODEL ||
		p.GetModelName() != "global" || p.GetModelVersion() != "20261101T000000Z-a" || p.GetFallbackReason() != "" {
		t.Errorf("unexpected answer %v", resp)
	}
	// Fake: 0.1 + (9 "analytics" + 8 "software" + 1 "A" + 12 "data_analyst" + 7 "inbound") / 100.
	if want := 0.1 + 0.37; math.Abs(p.GetProbability()-want) > 1e-12 || p.GetScore() != 47 {
		t.Errorf("probability %v score %d, want %v 47", p.GetProbability(), p.GetScore(), want)
	}
	if got := len(p.GetReasons()); got != 2 || p.GetReasons()[0].GetFeature() != "role" {
		t.Errorf("reasons %v, want 2 led by role", p.GetReasons())
	}
	resp, err = c.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L1", 0)})
	if err != nil || len(resp.GetPrediction().GetReasons()) != 0 {
		t.Errorf("without explain: %v reasons (err %v)", resp.GetPrediction().GetReasons(), err)
	}

	var leads []*leadscorev1.Lead
	for i := range 5 {
		leads = append(leads, lead(fmt.Sprintf("B%d", i), i))
	}
	batch, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: leads, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.GetPredictions()) != len(leads) {
		t.Fatalf("%d predictions for %d leads", len(batch.GetPredictions()), len(leads))
	}
	for i, l := range leads {
		one, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: l, Explain: true})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(one.GetPrediction(), batch.GetPredictions()[i], protocmp.Transform()); diff != "" {
			t.Errorf("batch lead %d differs from Predict:\n%s", i, diff)
		}
	}

	stream, err := c.PredictStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reqs := []*leadscorev1.PredictRequest{
		{Lead: lead("S1", 1), RequestId: "a"},
		{Lead: &leadscorev1.Lead{CreatedAt: timestamppb.New(created)}, RequestId: "b"},
		{Lead: lead("S3", 3), RequestId: "c", UseRules: true},
	}
	for _, r := range reqs {
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.GetError() != nil {
			got = append(got, fmt.Sprintf("%s error %s %s", r.GetRequestId(), codes.Code(r.GetError().GetCode()), r.GetError().GetMessage()))
		} else {
			got = append(got, fmt.Sprintf("%s %s %s", r.GetRequestId(), r.GetPrediction().GetLeadId(), r.GetPrediction().GetSource()))
		}
	}
	want := []string{"a S1 SOURCE_MODEL", "b error InvalidArgument lead.id: missing", "c S3 SOURCE_RULES"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}

	list, err := c.ListModels(ctx, &leadscorev1.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetModels()) != 1 || list.GetDefaultModel() != "global" || !list.GetRulesLoaded() ||
		!slices.Equal(list.GetModels()[0].GetAvailableVersions(), []string{"20261101T000000Z-a"}) {
		t.Errorf("ListModels = %v", list)
	}
	info, err := c.GetModel(ctx, &leadscorev1.GetModelRequest{Name: "global"})
	if err != nil || info.GetVersion() != "20261101T000000Z-a" || info.GetAlgorithm() != "fake" {
		t.Errorf("GetModel(global) = %v, %v", info, err)
	}
	info, err = c.GetModel(ctx, &leadscorev1.GetModelRequest{Name: "rules"})
	if err != nil || info.GetVersion() != "default-2026-11" || len(info.GetFeatures()) != 26 {
		t.Errorf("GetModel(rules) = %v, %v", info, err)
	}
	if _, err := c.GetModel(ctx, &leadscorev1.GetModelRequest{Name: "nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("GetModel(nope): %v, want NotFound", err)
	}
}

func TestInvalidArgument(t *testing.T) {
	e := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1")}, maxBatch: 4})
	c := e.h.Client
	ctx := testCtx(t)
	mod := func(f func(l *leadscorev1.Lead)) *leadscorev1.Lead {
		l := lead("X", 0)
		f(l)
		return l
	}
	five := []*leadscorev1.Lead{lead("1", 1), lead("2", 2), lead("3", 3), lead("4", 4), lead("5", 5)}
	for _, tc := range []struct {
		name string
		call func() error
		code codes.Code
		msg  string
	}{
		{"no lead", func() error { _, err := c.Predict(ctx, &leadscorev1.PredictRequest{}); return err },
			codes.InvalidArgument, "lead: missing"},
		{"no id", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.Id = "" })})
			return err
		}, codes.InvalidArgument, "lead.id: missing"},
		{"no created_at", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.CreatedAt = nil })})
			return err
		}, codes.InvalidArgument, "lead.created_at: missing"},
		{"malformed created_at", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.CreatedAt.Nanos = -1 })})
			return err
		}, codes.InvalidArgument, "lead.created_at: malformed: "},
		{"event without type", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.Events[1].Type = "" })})
			return err
		}, codes.InvalidArgument, "lead.events[1].type: missing"},
		{"event without ts", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.Events[0].Ts = nil })})
			return err
		}, codes.InvalidArgument, "lead.events[0].ts: missing"},
		{"wrong attribute type", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.SetAttribute(sv("employees", "many")) })})
			return err
		}, codes.InvalidArgument, `lead.attributes["employees"]: value "many": wrong type`},
		{"duplicate attribute", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.Attributes = append(l.Attributes, sv("industry", "retail")) })})
			return err
		}, codes.InvalidArgument, `lead.attributes["industry"]: duplicate attribute`},
		{"duplicate attribute the model ignores", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) {
				l.Attributes = append(l.Attributes, nv("shoe_size", 44), nv("hat", 7), nv("shoe_size", 45))
			})})
			return err
		}, codes.InvalidArgument, `lead.attributes["shoe_size"]: duplicate attribute`},
		{"attribute with two values", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { b := true; l.Attributes[0].BoolValue = &b })})
			return err
		}, codes.InvalidArgument, `lead.attributes["product_line"]: more than one value set`},
		{"attribute without name", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) { l.Attributes[2].Name = "" })})
			return err
		}, codes.InvalidArgument, `lead.attributes[2].name: missing`},
		{"attributes in the former map form", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: mod(func(l *leadscorev1.Lead) {
				// A map<string, Value> entry {"employees": number 3} as an
				// old client encodes it in field 4.
				entry := protowire.AppendTag(nil, 1, protowire.BytesType)
				entry = protowire.AppendString(entry, "employees")
				value := protowire.AppendTag(nil, 1, protowire.Fixed64Type)
				value = protowire.AppendFixed64(value, math.Float64bits(3))
				entry = protowire.AppendTag(entry, 2, protowire.BytesType)
				entry = protowire.AppendBytes(entry, value)
				raw := protowire.AppendTag(nil, 4, protowire.BytesType)
				l.ProtoReflect().SetUnknown(protowire.AppendBytes(raw, entry))
			})})
			return err
		}, codes.InvalidArgument, `lead.attributes: field 4 (the former map<string, Value> form) is no longer accepted`},
		{"batch duplicate attribute", func() error {
			ls := []*leadscorev1.Lead{lead("1", 1), mod(func(l *leadscorev1.Lead) { l.Attributes = append(l.Attributes, nv("employees", 3)) })}
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: ls})
			return err
		}, codes.InvalidArgument, `leads[1].attributes["employees"]: duplicate attribute`},
		{"negative max_reasons", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("X", 0), MaxReasons: -1})
			return err
		}, codes.InvalidArgument, "max_reasons: must not be negative, got -1"},
		{"malformed as_of", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("X", 0), AsOf: &timestamppb.Timestamp{Seconds: math.MaxInt64}})
			return err
		}, codes.InvalidArgument, "as_of: malformed: "},
		{"empty batch", func() error { _, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{}); return err },
			codes.InvalidArgument, "leads: empty: at least one lead (or a table) is required"},
		{"batch over the limit", func() error {
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: five})
			return err
		}, codes.InvalidArgument, "leads: 5 leads, the limit is 4"},
		{"batch lead without id", func() error {
			ls := []*leadscorev1.Lead{lead("1", 1), lead("2", 2), lead("3", 3), lead("", 4)}
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: ls})
			return err
		}, codes.InvalidArgument, "leads[3].id: missing"},
		{"batch wrong attribute type", func() error {
			ls := []*leadscorev1.Lead{lead("1", 1), mod(func(l *leadscorev1.Lead) { l.SetAttribute(sv("employees", "x")) })}
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: ls})
			return err
		}, codes.InvalidArgument, `leads[1].attributes["employees"]: value "x": wrong type`},
		{"batch with leads and a table", func() error {
			tab, _ := leadscorev1.NewLeadTable(five[:1])
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: five[:1], Table: tab})
			return err
		}, codes.InvalidArgument, "table: set either leads or table, not both"},
		{"table over the limit", func() error {
			tab, _ := leadscorev1.NewLeadTable(five)
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Table: tab})
			return err
		}, codes.InvalidArgument, "table.ids: 5 rows, the limit is 4"},
		{"table column of the wrong length", func() error {
			tab, _ := leadscorev1.NewLeadTable(five[:2])
			tab.Columns[0].Strings = tab.Columns[0].Strings[:1]
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Table: tab})
			return err
		}, codes.InvalidArgument, `table.columns["product_line"]: want exactly one of numbers, strings, bools, timestamps_micros with 2 values (one per row)`},
		{"table event of a row out of range", func() error {
			tab, _ := leadscorev1.NewLeadTable(five[:2])
			tab.Events.Rows[3] = 2
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Table: tab})
			return err
		}, codes.InvalidArgument, "table.events.rows[3]: row 2 out of range (2 rows)"},
		{"table value of the wrong type", func() error {
			ls := []*leadscorev1.Lead{lead("1", 1), lead("2", 2)}
			ls[0].SetAttribute(sv("employees", "x"))
			ls[1].SetAttribute(sv("employees", "y"))
			tab, _ := leadscorev1.NewLeadTable(ls)
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Table: tab})
			return err
		}, codes.InvalidArgument, `table.rows[0].attributes["employees"]: value "x": wrong type`},
		{"table row without id", func() error {
			tab, _ := leadscorev1.NewLeadTable(five[:2])
			tab.Ids[1] = ""
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Table: tab})
			return err
		}, codes.InvalidArgument, "table.rows[1].id: missing"},
		{"unknown model", func() error {
			_, err := c.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("X", 0), Model: "nope"})
			return err
		}, codes.NotFound, `model "nope": unknown model`},
		{"unknown model in a batch", func() error {
			_, err := c.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: five[:1], Model: "nope"})
			return err
		}, codes.NotFound, `model "nope": unknown model`},
		{"GetModel without name", func() error { _, err := c.GetModel(ctx, &leadscorev1.GetModelRequest{}); return err },
			codes.InvalidArgument, "name: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			st, _ := status.FromError(err)
			if st.Code() != tc.code || !strings.HasPrefix(st.Message(), tc.msg) {
				t.Errorf("got %v %q, want %v %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
		})
	}
}

func TestFallbackReasons(t *testing.T) {
	e := newEnv(t, envOpt{def: "global", specs: []predicttest.FakeSpec{
		{Name: "global", Version: "v1", Base: 0.2, SegmentColumn: "product_line", Gated: []string{"platform"}},
		{Name: "erroring", Version: "v1", Error: "scorer exploded", SkipProbe: true},
		{Name: "panicking", Version: "v1", Panic: true, SkipProbe: true},
		{Name: "broken", Version: "v1", FailLoad: true},
	}})
	ctx := testCtx(t)
	for _, tc := range []struct {
		name, model string
		lead        *leadscorev1.Lead
		useRules    bool
		want        string
	}{
		{"requested", "", lead("A", 0), true, predict.ReasonRequested},
		{"requested by name", "rules", lead("A", 0), false, predict.ReasonRequested},
		{"segment gate", "", lead("B", 1), false, predict.ReasonSegmentBelowMinimum},
		{"model error", "erroring", lead("C", 0), false, predict.ReasonModelError},
		{"model panic", "panicking", lead("D", 0), false, predict.ReasonModelError},
		{"model unavailable", "broken", lead("E", 0), false, predict.ReasonModelUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: tc.lead, Model: tc.model, UseRules: tc.useRules, Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			p := resp.GetPrediction()
			if p.GetSource() != leadscorev1.Source_SOURCE_RULES || p.GetFallbackReason() != tc.want || p.GetModelName() != "rules" ||
				p.GetModelVersion() != "default-2026-11" || len(p.GetReasons()) == 0 {
				t.Errorf("got source %v reason %q model %q/%q reasons %d, want RULES %q rules",
					p.GetSource(), p.GetFallbackReason(), p.GetModelName(), p.GetModelVersion(), len(p.GetReasons()), tc.want)
			}
		})
	}
	// The analytics lead is not gated: the model answers.
	resp, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("F", 0)})
	if err != nil || resp.GetPrediction().GetSource() != leadscorev1.Source_SOURCE_MODEL {
		t.Errorf("ungated lead: %v, %v", resp, err)
	}
	metrics := scrape(t, e.metrics)
	for _, want := range []string{
		`leadscore_fallback_total{reason="requested"} 2`,
		`leadscore_fallback_total{reason="segment_below_minimum"} 1`,
		`leadscore_fallback_total{reason="model_error"} 2`,
		`leadscore_fallback_total{reason="model_unavailable"} 1`,
		`leadscore_fallback_total{reason="no_model"} 0`,
		`leadscore_model_panics_total{model="panicking"} 1`,
		`leadscore_model_reloads_total{model="broken",result="failed"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Every answer went to the log, each with its source.
	var sources []string
	for _, r := range e.sink.all() {
		sources = append(sources, r.Source+"/"+r.FallbackReason)
	}
	if len(sources) != 7 || sources[6] != "model/" || sources[2] != "rules/segment_below_minimum" {
		t.Errorf("logged %v", sources)
	}
}

func TestNoModelFallbackAndUnavailable(t *testing.T) {
	ctx := testCtx(t)
	// Two models and no default: a lead that routes nowhere gets the rules.
	specs := []predicttest.FakeSpec{{Name: "a", Version: "v1", Base: 0.1}, {Name: "b", Version: "v1", Base: 0.1}}
	e := newEnv(t, envOpt{specs: specs})
	resp, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("A", 0)})
	if err != nil || resp.GetPrediction().GetFallbackReason() != predict.ReasonNoModel {
		t.Errorf("no route: %v, %v", resp, err)
	}
	// Without rules, the same request cannot be answered.
	e = newEnv(t, envOpt{specs: specs, noRules: true})
	_, err = e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("A", 0)})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("no model and no rules: %v, want Unavailable", err)
	}
	_, err = e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("A", 0), Model: "a"})
	if err != nil {
		t.Errorf("named model without rules: %v", err)
	}
}

func TestSegmentRouting(t *testing.T) {
	e := newEnv(t, envOpt{def: "global", specs: []predicttest.FakeSpec{
		{Name: "global", Version: "v1", Base: 0.1},
		{Name: "product_line=analytics", Version: "v3", Base: 0.2, Segment: "product_line=analytics"},
	}})
	ctx := testCtx(t)
	for i, want := range []string{"product_line=analytics", "global"} {
		resp, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L", i)})
		if err != nil || resp.GetPrediction().GetModelName() != want {
			t.Errorf("lead %d routed to %q (err %v), want %q", i, resp.GetPrediction().GetModelName(), err, want)
		}
	}
	resp, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L", 0), Model: "global"})
	if err != nil || resp.GetPrediction().GetModelName() != "global" {
		t.Errorf("a named model wins over the route: %v %v", resp, err)
	}
}

func healthStatus(t *testing.T, conn *grpc.ClientConn) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	r, err := healthpb.NewHealthClient(conn).Check(testCtx(t), &healthpb.HealthCheckRequest{Service: leadscorev1.LeadScoring_ServiceDesc.ServiceName})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetStatus()
}

func TestHealthFlips(t *testing.T) {
	e := newEnv(t, envOpt{noRules: true})
	if got := healthStatus(t, e.h.Conn); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("empty server: %v, want NOT_SERVING", got)
	}
	if _, err := predicttest.WriteFake(e.root, global("v1")); err != nil {
		t.Fatal(err)
	}
	if err := e.reg.Reload(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := healthStatus(t, e.h.Conn); got != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("with a model: %v, want SERVING", got)
	}

	e = newEnv(t, envOpt{noRules: true})
	e.h.Server.SetRules(loadRules(t))
	if got := healthStatus(t, e.h.Conn); got != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("with rules: %v, want SERVING", got)
	}
	e.h.Server.SetRules(nil)
	if got := healthStatus(t, e.h.Conn); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("rules removed: %v, want NOT_SERVING", got)
	}
}

// TestHotReloadUnderLoad replaces the model many times, with a bad version
// now and then, while several goroutines keep scoring: no request may fail
// or fall back, and the served version only moves forward.
func TestHotReloadUnderLoad(t *testing.T) {
	e := newEnv(t, envOpt{noRules: true, specs: []predicttest.FakeSpec{global("v000")}})
	ctx := testCtx(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var calls atomic.Int64
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			last := ""
			for i := 0; !stop.Load(); i++ {
				var p *leadscorev1.Prediction
				if i%2 == 0 {
					r, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L", g+i)})
					if err != nil {
						errs <- err
						return
					}
					p = r.GetPrediction()
				} else {
					r, err := e.h.Client.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: []*leadscorev1.Lead{lead("a", i), lead("b", i+1)}})
					if err != nil {
						errs <- err
						return
					}
					p = r.GetPredictions()[1]
				}
				calls.Add(1)
				if p.GetSource() != leadscorev1.Source_SOURCE_MODEL || p.GetModelVersion() < last {
					errs <- fmt.Errorf("goroutine %d: got %v %s after %s", g, p.GetSource(), p.GetModelVersion(), last)
					return
				}
				last = p.GetModelVersion()
			}
		})
	}
	const versions = 30
	for v := 1; v <= versions; v++ {
		s := global(fmt.Sprintf("v%03d", v))
		bad := v%7 == 0
		s.FailLoad = bad
		if _, err := predicttest.WriteFake(e.root, s); err != nil {
			t.Fatal(err)
		}
		if err := e.reg.Reload(ctx); (err != nil) != bad {
			t.Errorf("reload of v%03d: %v", v, err)
		}
		if v%5 == 0 { // let the clients see this version
			for n := calls.Load(); calls.Load() < n+4 && ctx.Err() == nil; {
				time.Sleep(time.Millisecond)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	snap := e.reg.Snapshot()
	m, _ := snap.Model("global")
	if got := m.Info().GetVersion(); got != "v030" {
		t.Errorf("serving %s after the reloads, want v030", got)
	}
	if calls.Load() < 20 {
		t.Errorf("only %d calls ran during the reloads", calls.Load())
	}
	if m := scrape(t, e.metrics); !strings.Contains(m, `leadscore_model_reloads_total{model="global",result="ok"} 27`) ||
		!strings.Contains(m, `leadscore_model_reloads_total{model="global",result="failed"} 4`) {
		t.Errorf("reload counters wrong:\n%s", grep(m, "reloads"))
	}
}

func TestBadArtifactRefused(t *testing.T) {
	e := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1")}})
	ctx := testCtx(t)
	serving := func() string {
		r, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L", 0)})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetPrediction().GetSource().String() + " " + r.GetPrediction().GetModelVersion()
	}
	for _, s := range []predicttest.FakeSpec{
		{Name: "global", Version: "v2", FailLoad: true},
		{Name: "global", Version: "v3", PanicLoad: true},
		{Name: "global", Version: "v4", BadProbability: true},
		{Name: "global", Version: "v5", Error: "cannot score the probe"},
		{Name: "other", Version: "v5"}, // under the wrong directory below
	} {
		dir, err := predicttest.WriteFake(e.root, s)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name == "other" {
			if err := os.Rename(dir, filepath.Join(e.root, "global", "v6")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(e.root, "other")); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.reg.Reload(ctx); err == nil {
			t.Errorf("version %s accepted", s.Version)
		}
		if got := serving(); got != "SOURCE_MODEL v1" {
			t.Errorf("after refusing %s: serving %s, want v1", s.Version, got)
		}
	}
	if _, err := predicttest.WriteFake(e.root, global("v7")); err != nil {
		t.Fatal(err)
	}
	if err := e.reg.Reload(ctx); err != nil {
		t.Errorf("good v7: %v", err)
	}
	if got := serving(); got != "SOURCE_MODEL v7" {
		t.Errorf("serving %s, want v7", got)
	}
}

func TestStartupSkipsBadNewest(t *testing.T) {
	root := t.TempDir()
	for _, s := range []predicttest.FakeSpec{global("v1"), {Name: "global", Version: "v2", FailLoad: true}} {
		if _, err := predicttest.WriteFake(root, s); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := predict.NewRegistry(testCtx(t), predict.RegistryConfig{Root: root, Loader: predicttest.FakeLoader})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := reg.Snapshot().Model("global"); !ok || m.Info().GetVersion() != "v1" {
		t.Errorf("startup with a bad newest version: %v", reg.Snapshot().Names())
	}
}

func TestPinRollback(t *testing.T) {
	e := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1"), global("v2")}})
	ctx := testCtx(t)
	info := func() *leadscorev1.ModelInfo {
		i, err := e.h.Client.GetModel(ctx, &leadscorev1.GetModelRequest{Name: "global"})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	if i := info(); i.GetVersion() != "v2" || i.GetPinned() || !slices.Equal(i.GetAvailableVersions(), []string{"v2", "v1"}) {
		t.Errorf("newest: %v", i)
	}
	if err := e.reg.Pin(ctx, "global", "v1"); err != nil {
		t.Fatal(err)
	}
	if i := info(); i.GetVersion() != "v1" || !i.GetPinned() {
		t.Errorf("pinned to v1: %v", i)
	}
	// A newer version does not move a pinned model.
	if _, err := predicttest.WriteFake(e.root, global("v3")); err != nil {
		t.Fatal(err)
	}
	if err := e.reg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if i := info(); i.GetVersion() != "v1" || !slices.Equal(i.GetAvailableVersions(), []string{"v3", "v2", "v1"}) {
		t.Errorf("pinned after v3 appeared: %v", i)
	}
	if err := e.reg.Pin(ctx, "global", "v9"); err == nil {
		t.Error("pin to a missing version accepted")
	}
	if i := info(); i.GetVersion() != "v1" {
		t.Errorf("after a bad pin: %v", i)
	}
	// The admin handler unpins.
	srv := httptest.NewServer(e.reg.AdminHandler())
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/pin?model=global", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if i := info(); resp.StatusCode != 200 || i.GetVersion() != "v3" || i.GetPinned() {
		t.Errorf("unpinned via admin (%d): %v", resp.StatusCode, i)
	}

	// Pins from the configuration apply at startup.
	e = newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1"), global("v2")}, pins: map[string]string{"global": "v1"}})
	if i := info2(t, e); i.GetVersion() != "v1" || !i.GetPinned() {
		t.Errorf("configured pin: %v", i)
	}
}

func info2(t *testing.T, e *env) *leadscorev1.ModelInfo {
	i, err := e.h.Client.GetModel(testCtx(t), &leadscorev1.GetModelRequest{Name: "global"})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestPollPicksUpNewVersion(t *testing.T) {
	root := t.TempDir()
	if _, err := predicttest.WriteFake(root, global("v1")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	metrics := predict.NewMetrics()
	reg, err := predict.NewRegistry(ctx, predict.RegistryConfig{Root: root, Loader: predicttest.FakeLoader, PollInterval: 5 * time.Millisecond, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- reg.Run(runCtx) }()
	if _, err := predicttest.WriteFake(root, global("v2")); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		if m, _ := reg.Snapshot().Model("global"); m.Info().GetVersion() == "v2" {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if m, _ := reg.Snapshot().Model("global"); m.Info().GetVersion() != "v2" {
		t.Fatal("the poll never loaded v2")
	}
	// A version directory still being copied is refused, then retried by
	// the poll once the directory changes.
	v3 := filepath.Join(root, "global", "v3")
	if err := os.Mkdir(v3, 0o755); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil && !strings.Contains(scrape(t, metrics), `leadscore_model_reloads_total{model="global",result="failed"} 1`) {
		time.Sleep(2 * time.Millisecond)
	}
	tmp, err := predicttest.WriteFake(t.TempDir(), global("v3"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(tmp, predicttest.FakeFile), filepath.Join(v3, predicttest.FakeFile)); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour) // the directory's mtime may be coarse
	if err := os.Chtimes(v3, later, later); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		if m, _ := reg.Snapshot().Model("global"); m.Info().GetVersion() == "v3" {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if m, _ := reg.Snapshot().Model("global"); m.Info().GetVersion() != "v3" {
		t.Error("the poll never retried v3 after it changed")
	}
}

func TestShadowChallenger(t *testing.T) {
	ctx := testCtx(t)
	plain := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1")}})
	shadow := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1")}, shadow: true})
	req := &leadscorev1.PredictRequest{Lead: lead("L", 2), Explain: true}
	a, err := plain.h.Client.Predict(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := shadow.h.Client.Predict(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(a, b) {
		t.Errorf("shadow scoring changed the answer: %v vs %v", a, b)
	}
	ra, rb := plain.sink.all(), shadow.sink.all()
	if len(ra) != 1 || len(rb) != 1 || !math.IsNaN(ra[0].ChallengerProbability) || rb[0].ChallengerProbability != 0.42 {
		t.Errorf("logged challengers %v / %v, want NaN / 0.42", ra, rb)
	}
	if r := rb[0]; r.ProductLine != "analytics" || r.LeadSource != "inbound" || r.Stage != "mql" || r.Source != "model" ||
		r.Reasons != "industry=education:+0.090;product_line=analytics:+0.090;role=executive:+0.090;source=inbound:+0.070;icp_tier=C:+0.010" {
		t.Errorf("record %+v", r)
	}
}

func TestBatchStopsOnCancel(t *testing.T) {
	e := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1")}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cancel()
	_, err := e.h.Server.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: []*leadscorev1.Lead{lead("a", 0), lead("b", 1)}})
	if status.Code(err) != codes.Canceled {
		t.Errorf("cancelled batch: %v, want Canceled", err)
	}
	if n := len(e.sink.all()); n != 0 {
		t.Errorf("%d leads scored after cancellation", n)
	}
}

func scrape(t *testing.T, m *predict.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricsExposed(t *testing.T) {
	e := newEnv(t, envOpt{specs: []predicttest.FakeSpec{global("v1")}})
	ctx := testCtx(t)
	for range 3 {
		if _, err := e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L", 0)}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = e.h.Client.Predict(ctx, &leadscorev1.PredictRequest{})
	rec := httptest.NewRecorder()
	e.h.Server.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Predict",grpc_service="leadscore.v1.LeadScoring",grpc_type="unary"} 3`,
		`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Predict",grpc_service="leadscore.v1.LeadScoring",grpc_type="unary"} 1`,
		`grpc_server_handling_seconds_count{grpc_method="Predict",grpc_service="leadscore.v1.LeadScoring",grpc_type="unary"} 4`,
		`leadscore_model_reloads_total{model="global",result="ok"} 1`,
		`leadscore_prediction_score_bucket{model="global",le="50"} 3`,
		`leadscore_prediction_score_count{model="global"} 3`,
		`leadscore_fallback_total{reason="model_error"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestLoopback serves on a real socket and checks a prediction, health and
// reflection end to end.
func TestLoopback(t *testing.T) {
	root := t.TempDir()
	if _, err := predicttest.WriteFake(root, global("v1")); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	reg, err := predict.NewRegistry(ctx, predict.RegistryConfig{Root: root, Loader: predicttest.FakeLoader})
	if err != nil {
		t.Fatal(err)
	}
	srv := predict.NewServer(predict.ServerConfig{Registry: reg, Rules: loadRules(t)})
	conn := serveLoopback(t, srv)
	resp, err := leadscorev1.NewLeadScoringClient(conn).Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("L", 0)})
	if err != nil || resp.GetPrediction().GetModelVersion() != "v1" {
		t.Fatalf("Predict over loopback: %v, %v", resp, err)
	}
	if got := healthStatus(t, conn); got != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health %v", got)
	}
	rc, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	rr, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rr.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !slices.Contains(names, "leadscore.v1.LeadScoring") || !slices.Contains(names, "grpc.health.v1.Health") {
		t.Errorf("reflection lists %v", names)
	}
	_ = rc.CloseSend()
}

func TestCheckModel(t *testing.T) {
	var leads []*leadscorev1.Lead
	for i := range 40 {
		leads = append(leads, lead(fmt.Sprintf("L%d", i), i))
	}
	if err := predicttest.CheckModel(predict.RulesModel(loadRules(t)), leads); err != nil {
		t.Errorf("rules model: %v", err)
	}
	if err := predicttest.CheckModel(predicttest.NewFake(global("v1")), leads); err != nil {
		t.Errorf("fake model: %v", err)
	}
	// The checker must catch a model that breaks the contract.
	if err := predicttest.CheckModel(offByOne{predicttest.NewFake(global("v1"))}, leads[:3]); err == nil ||
		!strings.Contains(err.Error(), "lead 0 (L0): score 48, want round(100 × 0.47") {
		t.Errorf("CheckModel on a broken model: %v", err)
	}
}

type offByOne struct{ *predicttest.Fake }

func (m offByOne) Predict(ctx context.Context, l *leadscorev1.Lead, o predict.Options) (*leadscorev1.Prediction, error) {
	p, err := m.Fake.Predict(ctx, l, o)
	if err == nil {
		p.Score++
	}
	return p, err
}

func BenchmarkServerPredict(b *testing.B) {
	root := b.TempDir()
	if _, err := predicttest.WriteFake(root, predicttest.FakeSpec{Name: "global", Version: "v1", Base: 0.1}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	reg, err := predict.NewRegistry(ctx, predict.RegistryConfig{Root: root, Loader: predicttest.FakeLoader})
	if err != nil {
		b.Fatal(err)
	}
	h := predicttest.NewServer(b, predict.ServerConfig{Registry: reg, Logger: slog.New(slog.DiscardHandler)})
	req := &leadscorev1.PredictRequest{Lead: lead("L", 0)}
	b.Run("unary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Client.Predict(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The server's own work, without gRPC: validation, routing, the fake
	// model, reasons, metrics.
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Server.Predict(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	batch := &leadscorev1.PredictBatchRequest{}
	for i := range 100 {
		batch.Leads = append(batch.Leads, lead(fmt.Sprint(i), i))
	}
	b.Run("batch100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Client.PredictBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestPredictionLogEndToEnd(t *testing.T) {
	ctx := testCtx(t)
	root, logDir := t.TempDir(), t.TempDir()
	if _, err := predicttest.WriteFake(root, global("v1")); err != nil {
		t.Fatal(err)
	}
	reg, err := predict.NewRegistry(ctx, predict.RegistryConfig{Root: root, Loader: predicttest.FakeLoader})
	if err != nil {
		t.Fatal(err)
	}
	plog, err := predlog.New(predlog.Config{Dir: logDir})
	if err != nil {
		t.Fatal(err)
	}
	h := predicttest.NewServer(t, predict.ServerConfig{Registry: reg, Rules: loadRules(t), Log: plog, Shadow: true})
	if _, err := h.Client.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: []*leadscorev1.Lead{lead("a", 0), lead("b", 1)}, Explain: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("c", 2), UseRules: true}); err != nil {
		t.Fatal(err)
	}
	if err := plog.Close(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(logDir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("log dir: %v, %v", ents, err)
	}
	tab, err := data.ReadParquet(ctx, filepath.Join(logDir, ents[0].Name()), []string{"lead_id", "answered_by", "fallback_reason", "challenger_probability", "product_line"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for r := 0; r < tab.Rows; r++ {
		var row []string
		for _, c := range tab.Columns {
			row = append(row, c.Format(r))
		}
		got = append(got, strings.Join(row, ","))
	}
	want := []string{"a,model,,0.42,analytics", "b,model,,0.42,platform", "c,rules,requested,,analytics"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logged rows (-want +got):\n%s", diff)
	}
}

func TestMessageSizeLimit(t *testing.T) {
	h := predicttest.NewServer(t, predict.ServerConfig{Rules: loadRules(t)}, predict.GRPCOptions{MaxRecvMsgSize: 4096})
	ctx := testCtx(t)
	if _, err := h.Client.Predict(ctx, &leadscorev1.PredictRequest{Lead: lead("small", 0)}); err != nil {
		t.Fatalf("a small request: %v", err)
	}
	var leads []*leadscorev1.Lead
	for i := range 50 {
		leads = append(leads, lead(fmt.Sprint(i), i))
	}
	_, err := h.Client.PredictBatch(ctx, &leadscorev1.PredictBatchRequest{Leads: leads})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("a request over the limit: %v, want ResourceExhausted", err)
	}
}
