package features

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	leadscorev1 "leadscore/proto/leadscore/v1"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func baseLead() *leadscorev1.Lead {
	return &leadscorev1.Lead{
		Id:        "L1",
		CreatedAt: timestamppb.New(day0),
		Attributes: []*leadscorev1.Attribute{
			leadscorev1.NumberAttribute("employees", 120),
			leadscorev1.StringAttribute("industry", "saas"),
		},
		Events: []*leadscorev1.Event{{Type: "demo_request", Ts: timestamppb.New(day0.Add(days(1)))}},
	}
}

func TestTransformLeadBadInput(t *testing.T) {
	tr, _, _ := fittedFixture(t, 300, 1)
	num := func(v float64) *leadscorev1.Attribute {
		return leadscorev1.NumberAttribute("", v)
	}
	str := func(v string) *leadscorev1.Attribute {
		return leadscorev1.StringAttribute("", v)
	}
	cases := []struct {
		name    string
		mutate  func(l *leadscorev1.Lead)
		wantErr string
		warn    string
		missing string // feature expected NaN
	}{
		{name: "ok"},
		{name: "string for a number", mutate: func(l *leadscorev1.Lead) { l.SetAttribute(str("many").WithName("employees")) },
			wantErr: `attributes["employees"]: want a number, got string "many"`},
		{name: "number for a category", mutate: func(l *leadscorev1.Lead) { l.SetAttribute(num(3).WithName("industry")) },
			wantErr: `attributes["industry"]: want a string, got number 3`},
		{name: "bad timestamp", mutate: func(l *leadscorev1.Lead) {
			l.SetAttribute((&leadscorev1.Attribute{TimestampValue: &timestamppb.Timestamp{Seconds: 1, Nanos: -5}}).WithName("last_seen"))
		}, wantErr: `attributes["last_seen"]: invalid timestamp`},
		{name: "no created_at", mutate: func(l *leadscorev1.Lead) { l.CreatedAt = nil }, wantErr: "created_at: missing"},
		{name: "bad created_at", mutate: func(l *leadscorev1.Lead) { l.CreatedAt = &timestamppb.Timestamp{Seconds: 1 << 60} }, wantErr: "created_at: invalid timestamp"},
		{name: "event without type", mutate: func(l *leadscorev1.Lead) { l.Events = append(l.Events, &leadscorev1.Event{Ts: timestamppb.New(day0)}) },
			wantErr: "events[1].type: missing"},
		{name: "event without ts", mutate: func(l *leadscorev1.Lead) { l.Events[0].Ts = nil }, wantErr: "events[0].ts: missing"},
		{name: "nil event", mutate: func(l *leadscorev1.Lead) { l.Events = append(l.Events, nil) }, wantErr: "events[1]: missing"},
		{name: "NaN", mutate: func(l *leadscorev1.Lead) { l.SetAttribute(num(math.NaN()).WithName("employees")) },
			warn: `attribute "employees": NaN treated as missing`, missing: "employees"},
		{name: "Inf", mutate: func(l *leadscorev1.Lead) { l.SetAttribute(num(math.Inf(-1)).WithName("employees")) },
			warn: `attribute "employees": -Inf treated as missing`, missing: "employees"},
		{name: "negative", mutate: func(l *leadscorev1.Lead) { l.SetAttribute(num(-2).WithName("score")) },
			warn: `attribute "score": negative value -2 treated as missing`, missing: "score"},
		{name: "unknown attribute", mutate: func(l *leadscorev1.Lead) { l.SetAttribute(num(44).WithName("shoe_size")) },
			warn: `unknown attribute "shoe_size" ignored`},
		{name: "duplicate attribute", mutate: func(l *leadscorev1.Lead) { l.Attributes = append(l.Attributes, num(7).WithName("employees")) },
			wantErr: `attributes["employees"]: duplicate attribute`},
		{name: "duplicate attribute, second unset", mutate: func(l *leadscorev1.Lead) {
			l.Attributes = append(l.Attributes, (&leadscorev1.Attribute{}).WithName("industry"))
		}, wantErr: `attributes["industry"]: duplicate attribute`},
		{name: "duplicate unknown attribute", mutate: func(l *leadscorev1.Lead) {
			l.Attributes = append(l.Attributes, num(1).WithName("shoe_size"), str("x").WithName("hat"), num(2).WithName("shoe_size"))
		}, wantErr: `attributes["shoe_size"]: duplicate attribute`},
		{name: "two values", mutate: func(l *leadscorev1.Lead) { s := "many"; l.Attributes[0].StringValue = &s },
			wantErr: `attributes["employees"]: more than one value set`},
		{name: "attribute without name", mutate: func(l *leadscorev1.Lead) { l.Attributes = append(l.Attributes, num(1)) },
			wantErr: `attributes[2].name: missing`},
		{name: "unknown event type", mutate: func(l *leadscorev1.Lead) {
			l.Events = append(l.Events, &leadscorev1.Event{Type: "tweet", Ts: timestamppb.New(day0)})
		}, warn: `1 events of unknown types ignored (first "tweet")`},
		{name: "negative event value", mutate: func(l *leadscorev1.Lead) { l.Events[0].Value = proto.Float64(-1) },
			warn: "events[0].value: -1 ignored"},
	}
	dst := make([]float64, tr.Width())
	for _, c := range cases {
		l := baseLead()
		if c.mutate != nil {
			c.mutate(l)
		}
		var w Warnings
		err := tr.TransformLead(l, time.Time{}, dst, &w)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if c.warn == "" && w.Len() != 0 || c.warn != "" && (w.Len() != 1 || w.List()[0] != c.warn) {
			t.Errorf("%s: warnings %q, want %q", c.name, w.List(), c.warn)
		}
		for j, f := range tr.Features() {
			if f.Name == c.missing && !math.IsNaN(dst[j]) {
				t.Errorf("%s: %s = %v, want NaN", c.name, f.Name, dst[j])
			}
		}
	}
	if err := tr.TransformLead(nil, time.Time{}, dst, nil); err == nil {
		t.Error("nil lead: no error")
	}
}

// TestAsOf: the cut-off is the earlier of created_at + horizon and asOf.
func TestAsOf(t *testing.T) {
	tr, _, _ := fittedFixture(t, 300, 1)
	l := baseLead()
	l.Events = []*leadscorev1.Event{
		{Type: "demo_request", Ts: timestamppb.New(day0.Add(days(1)))},
		{Type: "demo_request", Ts: timestamppb.New(day0.Add(days(10)))},
	}
	idx := map[string]int{}
	for j, f := range tr.Features() {
		idx[f.Name] = j
	}
	dst := make([]float64, tr.Width())
	for _, c := range []struct {
		asOf          time.Time
		count, recent float64
	}{
		{time.Time{}, 2, 20},         // cut-off day0 + 30 d
		{day0.Add(days(5)), 1, 4},    // only the first event
		{day0.Add(days(100)), 2, 20}, // later than the cut-off: the cut-off wins
		{day0.Add(days(10)), 1, 9},   // the event at asOf is excluded
		{day0.Add(days(10) + time.Microsecond), 2, 1.0 / 86_400_000_000}, // ... and included 1 µs later
	} {
		if err := tr.TransformLead(l, c.asOf, dst, nil); err != nil {
			t.Fatal(err)
		}
		if got := dst[idx["demo_request.count_window"]]; got != c.count {
			t.Errorf("asOf %v: count %v, want %v", c.asOf, got, c.count)
		}
		if got := dst[idx["demo_request.days_since_last"]]; got != c.recent {
			t.Errorf("asOf %v: days_since_last %v, want %v", c.asOf, got, c.recent)
		}
	}
}

// benchLead is a lead with 40 attributes and 50 events for the
// allocation test and BenchmarkTransformLead.
func benchLead(tr *Transformer, r *rand.Rand) *leadscorev1.Lead {
	l := &leadscorev1.Lead{Id: "L1", CreatedAt: timestamppb.New(day0), Attributes: []*leadscorev1.Attribute{}}
	for _, f := range tr.Features() {
		if f.FromEvent {
			continue
		}
		switch f.Kind {
		case KindNumeric:
			l.SetAttribute((leadscorev1.NumberAttribute("", math.Exp(r.NormFloat64()))).WithName(f.Name))
		case KindCategorical:
			l.SetAttribute((leadscorev1.StringAttribute("", f.Levels[r.IntN(len(f.Levels))])).WithName(f.Name))
		case KindBoolean:
			l.SetAttribute((leadscorev1.BoolAttribute("", r.IntN(2) == 0)).WithName(f.Name))
		case KindTimestamp:
			l.SetAttribute((&leadscorev1.Attribute{TimestampValue: timestamppb.New(day0.Add(-days(r.Float64() * 100)))}).WithName(f.Name))
		}
	}
	types := tr.spec.Events.Types
	for range 50 {
		l.Events = append(l.Events, &leadscorev1.Event{
			Type: types[r.IntN(len(types))].Name,
			Ts:   timestamppb.New(day0.Add(days(r.Float64()*90 - 60))),
		})
	}
	return l
}

func FuzzTransformLead(f *testing.F) {
	tr, _, _ := fittedFixture(f, 300, 1)
	f.Add(120.0, "saas", true, int64(0), int64(86400), "demo_request", 5.0, int64(1))
	f.Add(math.NaN(), "", false, int64(-1<<40), int64(-86400*400), "", -1.0, int64(-5))
	f.Add(math.Inf(1), "never-seen", true, int64(1<<62), int64(1<<40), "unsubscribe", math.Inf(-1), int64(1e12))
	f.Fuzz(func(t *testing.T, num float64, cat string, flag bool, created, evOffset int64, evType string, score float64, asOfOffset int64) {
		l := &leadscorev1.Lead{
			Id:        "L",
			CreatedAt: &timestamppb.Timestamp{Seconds: created},
			Attributes: []*leadscorev1.Attribute{
				leadscorev1.NumberAttribute("employees", num),
				leadscorev1.NumberAttribute("score", score),
				leadscorev1.StringAttribute("industry", cat),
				leadscorev1.BoolAttribute("is_student", flag),
				{Name: "last_seen", TimestampValue: &timestamppb.Timestamp{Seconds: created - evOffset}},
			},
			Events: []*leadscorev1.Event{
				{Type: evType, Ts: &timestamppb.Timestamp{Seconds: created + evOffset}},
				{Type: "email_open", Ts: &timestamppb.Timestamp{Seconds: created - evOffset/2}, Value: proto.Float64(score)},
			},
		}
		var asOf time.Time
		if asOfOffset != 0 {
			asOf = time.Unix(created+asOfOffset, 0)
		}
		dst := make([]float64, tr.Width())
		var w Warnings
		if err := tr.TransformLead(l, asOf, dst, &w); err != nil {
			return
		}
		// The tree view is finite except NaN where a value is missing:
		// a missing, non-finite or forbidden attribute, or an event
		// feature with no event before the cut-off.
		feats := tr.Features()
		for j, v := range dst {
			if math.IsInf(v, 0) {
				t.Fatalf("%s = %v", feats[j].Name, v)
			}
			if math.IsNaN(v) {
				switch {
				case feats[j].Name == "employees" && (math.IsNaN(num) || math.IsInf(num, 0) || num < 0):
				case feats[j].Name == "score" && (math.IsNaN(score) || math.IsInf(score, 0) || score < 0):
				case feats[j].Name == "delta", feats[j].Name == "source":
				case strings.HasSuffix(feats[j].Name, "days_since_last"), feats[j].Name == "days_since_any_event":
				default:
					t.Fatalf("%s = NaN, not a documented missing slot (num %v, score %v)", feats[j].Name, num, score)
				}
			}
		}
		lin := make([]float64, tr.LinearWidth())
		tr.ToLinear(dst, lin)
		for j, v := range lin {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("linear %s = %v", tr.LinearNames()[j], v)
			}
		}
	})
}
