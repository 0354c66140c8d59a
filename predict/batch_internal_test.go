package predict

import (
	"context"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// batchFake is a model whose Predict answers a lead with its number of
// attributes as the probability (in percent), and whose predictBatch
// answers the same way, or panics.
type batchFake struct {
	panics bool
	calls  int // predictBatch calls
}

func (m *batchFake) Info() *leadscorev1.ModelInfo {
	return &leadscorev1.ModelInfo{Name: "fake", Version: "v1"}
}
func (m *batchFake) SegmentColumn() string { return "" }
func (m *batchFake) Predict(_ context.Context, l *leadscorev1.Lead, _ Options) (*leadscorev1.Prediction, error) {
	p := float64(len(l.GetAttributes())) / 100
	return &leadscorev1.Prediction{LeadId: l.GetId(), Probability: p, Score: int32(len(l.GetAttributes()))}, nil
}
func (m *batchFake) PredictChallenger(context.Context, *leadscorev1.Lead, Options) (float64, bool) {
	return 0, false
}
func (m *batchFake) predictBatch(ctx context.Context, leads []*leadscorev1.Lead, opt Options, out []*leadscorev1.Prediction, errs []error) {
	m.calls++
	if m.panics {
		panic("boom in predictBatch")
	}
	for i, l := range leads {
		out[i], errs[i] = m.Predict(ctx, l, opt)
	}
}

// TestPrescore checks the batch path of PredictBatch: the leads routed to
// a batch model are scored in one predictBatch call and answered as
// Predict would answer them one by one; when predictBatch panics, the
// panic is counted and every lead is scored by Predict instead; a request
// with reasons does not take the batch path.
func TestPrescore(t *testing.T) {
	ctx := context.Background()
	leads := make([]*leadscorev1.Lead, 5)
	for i := range leads {
		leads[i] = &leadscorev1.Lead{Id: "L" + string(rune('0'+i))}
		for k := range i {
			leads[i].Attributes = append(leads[i].Attributes, leadscorev1.NumberAttribute("a"+string(rune('0'+k)), 1))
		}
	}
	for _, panics := range []bool{false, true} {
		m := &batchFake{panics: panics}
		s := NewServer(ServerConfig{})
		e := &entry{name: "fake", version: "v1", model: m, info: m.Info()}
		snap := &Snapshot{models: map[string]*entry{"fake": e}, def: "fake"}
		rq := request{opt: Options{MaxReasons: DefaultMaxReasons}}
		pre := s.prescore(ctx, snap, &rq, leads)
		if m.calls != 1 {
			t.Fatalf("panics %v: %d predictBatch calls, want 1", panics, m.calls)
		}
		for i, l := range leads {
			computed := pre != nil && pre[i].e == e
			if computed == panics {
				t.Errorf("panics %v: lead %d prescored %v, want %v", panics, i, computed, !panics)
			}
			var pi *prescored
			if pre != nil {
				pi = &pre[i]
			}
			got, err := s.scoreValidWith(ctx, snap, &rq, l, "leads", i, pi)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := m.Predict(ctx, l, rq.opt)
			s.finish(want, l, rq.opt, e.info)
			if !proto.Equal(got, want) {
				t.Errorf("panics %v: lead %d answered %v, want %v", panics, i, got, want)
			}
		}
		var c dto.Metric
		if err := s.metrics.panics.WithLabelValues("fake").Write(&c); err != nil {
			t.Fatal(err)
		}
		if got, want := c.GetCounter().GetValue(), map[bool]float64{false: 0, true: 1}[panics]; got != want {
			t.Errorf("panics %v: leadscore_model_panics_total %v, want %v", panics, got, want)
		}
	}
	m := &batchFake{}
	s := NewServer(ServerConfig{})
	snap := &Snapshot{models: map[string]*entry{"fake": {name: "fake", model: m, info: m.Info()}}, def: "fake"}
	if pre := s.prescore(ctx, snap, &request{opt: Options{Explain: true, MaxReasons: 3}}, leads); pre != nil || m.calls != 0 {
		t.Errorf("a request with reasons took the batch path (%d calls)", m.calls)
	}
}
