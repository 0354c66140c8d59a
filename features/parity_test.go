package features

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"leadscore/data"
	leadscorev1 "leadscore/proto/leadscore/v1"

	"google.golang.org/protobuf/types/known/timestamppb"
)

const paritySpecYAML = `
label: {column: outcome}
cutoff: {horizon: 720h, column: scored_at}
segments: [source]
columns:
  - {name: employees, kind: numeric, log1p: true, group: fit, monotone: 1}
  - {name: score, kind: numeric, nonnegative: true, clip: [0.05, 0.95]}
  - {name: delta, kind: numeric, missing_indicator: true}
  - {name: industry, kind: categorical, min_count: 3}
  - {name: source, kind: categorical, min_count: 1}
  - {name: is_student, kind: boolean, group: negative, monotone: -1}
  - {name: last_seen, kind: timestamp}
  - {name: scored_at, role: ignore}
events:
  columns: {lead_id: lead_id, ts: ts, type: type}
  types:
    - {name: demo_request, group: intent, monotone: 1}
    - {name: pricing_page, group: intent, half_life: 168h}
    - {name: email_open}
    - {name: unsubscribe, group: negative, monotone: -1}
`

// genLead is one random lead, convertible to a proto Lead and to table rows.
type genLead struct {
	id         string
	created    int64 // µs
	scoredAt   int64 // µs; 0: none
	employees  *float64
	score      *float64
	delta      *float64
	industry   *string
	source     *string
	isStudent  *bool
	lastSeen   *int64
	outcome    string
	events     []genEvent
	extraAttrs []string // unknown attribute names
}

type genEvent struct {
	typ string
	ts  int64
}

var (
	industries = []string{"saas", "retail", "finance", "health", "edu", "gov", "rare1", "rare2"}
	evTypes    = []string{"demo_request", "pricing_page", "email_open", "unsubscribe", "webinar"}
	weird      = []float64{math.NaN(), math.Inf(1), math.Inf(-1), -3, 0, 1e12, -1e-300}
)

func ptr[T any](v T) *T { return &v }

// randLead draws a lead; hard makes NaN, ±Inf, negatives and unseen levels likely.
func randLead(r *rand.Rand, i int, hard bool) genLead {
	g := genLead{id: fmt.Sprintf("L%06d", i), outcome: []string{"won", "lost", "lost", "open"}[r.IntN(4)]}
	g.created = us(day0) + r.Int64N(365*dayMicros) + r.Int64N(1000) // sub-ms precision
	if r.IntN(4) == 0 {
		g.scoredAt = g.created + r.Int64N(60*dayMicros)
	}
	num := func() *float64 {
		switch {
		case r.IntN(8) == 0:
			return nil
		case hard && r.IntN(4) == 0:
			return ptr(weird[r.IntN(len(weird))])
		}
		return ptr(math.Exp(r.NormFloat64() * 2))
	}
	g.employees, g.score = num(), num()
	if r.IntN(5) > 0 {
		g.delta = ptr(r.NormFloat64())
	}
	if r.IntN(6) > 0 {
		g.industry = ptr(industries[min(r.IntN(len(industries)), r.IntN(len(industries)))])
		if hard && r.IntN(5) == 0 {
			g.industry = ptr("never-seen")
		}
	}
	if r.IntN(6) > 0 {
		g.source = ptr([]string{"inbound", "outbound"}[r.IntN(2)])
	}
	if r.IntN(6) > 0 {
		g.isStudent = ptr(r.IntN(10) == 0)
	}
	if r.IntN(3) > 0 {
		g.lastSeen = ptr(g.created - r.Int64N(200*dayMicros) + r.Int64N(60*dayMicros))
	}
	for range r.IntN(12) {
		// from 120 days before creation to 60 days after: before and after the cut-off
		ts := g.created - 120*dayMicros + r.Int64N(180*dayMicros)
		g.events = append(g.events, genEvent{typ: evTypes[r.IntN(len(evTypes))], ts: ts})
	}
	if hard && r.IntN(3) == 0 {
		// exact ties and events exactly at the cut-off
		cut := g.created + 720*int64(time.Hour/time.Microsecond)
		if g.scoredAt != 0 {
			cut = g.scoredAt
		}
		g.events = append(g.events, genEvent{"email_open", cut}, genEvent{"email_open", cut - 1}, genEvent{"email_open", cut - 1})
	}
	if hard && r.IntN(4) == 0 {
		g.extraAttrs = append(g.extraAttrs, "utm_campaign")
	}
	return g
}

func tsProto(v int64) *timestamppb.Timestamp {
	return timestamppb.New(time.UnixMicro(v))
}

func (g *genLead) proto() *leadscorev1.Lead {
	l := &leadscorev1.Lead{Id: g.id, CreatedAt: tsProto(g.created), Attributes: []*leadscorev1.Attribute{}}
	numV := func(v float64) *leadscorev1.Attribute {
		return leadscorev1.NumberAttribute("", v)
	}
	strV := func(v string) *leadscorev1.Attribute {
		return leadscorev1.StringAttribute("", v)
	}
	if g.scoredAt != 0 {
		l.SetAttribute((&leadscorev1.Attribute{TimestampValue: tsProto(g.scoredAt)}).WithName("scored_at"))
	}
	if g.employees != nil {
		l.SetAttribute((numV(*g.employees)).WithName("employees"))
	}
	if g.score != nil {
		l.SetAttribute((numV(*g.score)).WithName("score"))
	}
	if g.delta != nil {
		l.SetAttribute((numV(*g.delta)).WithName("delta"))
	} else {
		l.SetAttribute((&leadscorev1.Attribute{}).WithName("delta")) // unset kind: missing
	}
	if g.industry != nil {
		l.SetAttribute((strV(*g.industry)).WithName("industry"))
	}
	if g.source != nil {
		l.SetAttribute((strV(*g.source)).WithName("source"))
	}
	if g.isStudent != nil {
		l.SetAttribute((leadscorev1.BoolAttribute("", *g.isStudent)).WithName("is_student"))
	}
	if g.lastSeen != nil {
		l.SetAttribute((&leadscorev1.Attribute{TimestampValue: tsProto(*g.lastSeen)}).WithName("last_seen"))
	}
	for _, a := range g.extraAttrs {
		l.SetAttribute((strV("x")).WithName(a))
	}
	l.SetAttribute((strV(g.outcome)).WithName("outcome")) // known name: no warning
	for _, e := range g.events {
		l.Events = append(l.Events, &leadscorev1.Event{Type: e.typ, Ts: tsProto(e.ts)})
	}
	return l
}

// tables builds the leads and events tables of gs.
func tables(t testing.TB, gs []genLead) (leads, events *data.Table) {
	n := len(gs)
	id, outcome := make([]string, n), make([]string, n)
	created, scored, last := make([]int64, n), make([]int64, n), make([]int64, n)
	scoredOK, lastOK := make([]bool, n), make([]bool, n)
	emp, score, delta := make([]float64, n), make([]float64, n), make([]float64, n)
	ind, src := make([]string, n), make([]string, n)
	indOK, srcOK := make([]bool, n), make([]bool, n)
	stud, studOK := make([]bool, n), make([]bool, n)
	var eid, etype []string
	var ets []int64
	f := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	for i, g := range gs {
		id[i], outcome[i], created[i] = g.id, g.outcome, g.created
		scored[i], scoredOK[i] = g.scoredAt, g.scoredAt != 0
		if g.lastSeen != nil {
			last[i], lastOK[i] = *g.lastSeen, true
		}
		emp[i], score[i], delta[i] = f(g.employees), f(g.score), f(g.delta)
		if g.industry != nil {
			ind[i], indOK[i] = *g.industry, true
		}
		if g.source != nil {
			src[i], srcOK[i] = *g.source, true
		}
		if g.isStudent != nil {
			stud[i], studOK[i] = *g.isStudent, true
		}
		for _, e := range g.events {
			eid, etype, ets = append(eid, g.id), append(etype, e.typ), append(ets, e.ts)
		}
	}
	leads = mustTable(t,
		data.NewStringColumn("lead_id", id, nil),
		data.NewTimeColumn("created_at", created, nil),
		data.NewTimeColumn("scored_at", scored, scoredOK),
		data.NewStringColumn("outcome", outcome, nil),
		data.NewFloatColumn("employees", emp),
		data.NewFloatColumn("score", score),
		data.NewFloatColumn("delta", delta),
		data.NewStringColumn("industry", ind, indOK),
		data.NewStringColumn("source", src, srcOK),
		data.NewBoolColumn("is_student", stud, studOK),
		data.NewTimeColumn("last_seen", last, lastOK),
	)
	events = mustTable(t,
		data.NewStringColumn("lead_id", eid, nil),
		data.NewTimeColumn("ts", ets, nil),
		data.NewStringColumn("type", etype, nil),
	)
	return leads, events
}

// fittedFixture fits the parity spec on n random (easy) leads.
func fittedFixture(t testing.TB, n int, seed uint64) (*Transformer, *data.Table, *data.Table) {
	r := rand.New(rand.NewPCG(seed, 0x1ead5c0e))
	gs := make([]genLead, n)
	for i := range gs {
		gs[i] = randLead(r, i, false)
	}
	leads, events := tables(t, gs)
	tr, _, err := Fit(context.Background(), mustSpec(t, paritySpecYAML), leads, events)
	if err != nil {
		t.Fatal(err)
	}
	return tr, leads, events
}

// TestParity is the property behind "training and serving build the same
// vector": for random leads with missing values, unseen levels, NaN/±Inf,
// negatives, unknown attributes and events before and after the cut-off,
// TransformTable on a one-row table and TransformLead on the proto give
// bit-identical vectors.
func TestParity(t *testing.T) {
	tr, _, _ := fittedFixture(t, 800, 1)
	r := rand.New(rand.NewPCG(2, 0x1ead5c0e))
	dst := make([]float64, tr.Width())
	var warn Warnings
	for i := range 1500 {
		g := randLead(r, i, true)
		leads, events := tables(t, []genLead{g})
		m, err := tr.TransformTable(context.Background(), leads, events)
		if err != nil {
			t.Fatalf("lead %d: TransformTable: %v", i, err)
		}
		warn.Reset()
		l := g.proto()
		r.Shuffle(len(l.Events), func(a, b int) { l.Events[a], l.Events[b] = l.Events[b], l.Events[a] })
		if err := tr.TransformLead(l, time.Time{}, dst, &warn); err != nil {
			t.Fatalf("lead %d: TransformLead: %v", i, err)
		}
		for j, f := range tr.Features() {
			if math.Float64bits(m.X[j]) != math.Float64bits(dst[j]) {
				t.Fatalf("lead %d (%+v): %s: table %v, proto %v", i, g, f.Name, m.X[j], dst[j])
			}
		}
		if len(g.extraAttrs) > 0 && warn.Len() == 0 {
			t.Fatalf("lead %d: unknown attribute without a warning", i)
		}
	}
}

// TestConcurrentTransformLead: a Transformer is safe for concurrent use
// and its pooled scratch space does not leak state between leads.
func TestConcurrentTransformLead(t *testing.T) {
	tr, _, _ := fittedFixture(t, 300, 1)
	r := rand.New(rand.NewPCG(3, 0x1ead5c0e))
	leads := make([]*leadscorev1.Lead, 64)
	want := make([][]float64, len(leads))
	for i := range leads {
		g := randLead(r, i, true)
		leads[i] = g.proto()
		want[i] = make([]float64, tr.Width())
		if err := tr.TransformLead(leads[i], time.Time{}, want[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			dst := make([]float64, tr.Width())
			for k := range 200 {
				i := (k*7 + w) % len(leads)
				if err := tr.TransformLead(leads[i], time.Time{}, dst, nil); err != nil {
					errs <- err
					return
				}
				for j := range dst {
					if math.Float64bits(dst[j]) != math.Float64bits(want[i][j]) {
						errs <- fmt.Errorf("lead %d feature %d: %v, want %v", i, j, dst[j], want[i][j])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
