package features

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"leadscore/data"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// benchSpec has 40 attribute features (25 numeric, 8 categorical,
// 4 boolean, 3 timestamp) and, with events, 3 types × 3 aggregations plus
// inactivity.
func benchSpec(events bool) string {
	var b strings.Builder
	b.WriteString("columns:\n")
	for i := range 25 {
		fmt.Fprintf(&b, "  - {name: num%02d, kind: numeric, log1p: %v}\n", i, i%3 == 0)
	}
	for i := range 8 {
		fmt.Fprintf(&b, "  - {name: cat%02d, kind: categorical}\n", i)
	}
	for i := range 4 {
		fmt.Fprintf(&b, "  - {name: bool%02d, kind: boolean}\n", i)
	}
	for i := range 3 {
		fmt.Fprintf(&b, "  - {name: ts%02d, kind: timestamp}\n", i)
	}
	if events {
		b.WriteString("events:\n  types: [{name: demo_request, group: intent}, {name: email_open}, {name: unsubscribe, group: negative}]\n")
	}
	return b.String()
}

// benchTables builds n leads with the benchSpec columns (~2% nulls) and,
// if perLead > 0, about perLead events per lead in random order.
func benchTables(tb testing.TB, n, perLead int, seed uint64) (*data.Table, *data.Table) {
	r := rand.New(rand.NewPCG(seed, 0x1ead5c0e))
	cols := []*data.Column{}
	ids := make([]string, n)
	created := make([]int64, n)
	outcome := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("L%07d", i)
		created[i] = us(day0) + r.Int64N(365*dayMicros)
		outcome[i] = []string{"won", "lost", "lost", "lost", "lost"}[r.IntN(5)]
	}
	cols = append(cols, data.NewStringColumn("lead_id", ids, nil), data.NewTimeColumn("created_at", created, nil),
		data.NewStringColumn("outcome", outcome, nil))
	for c := range 25 {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Exp(r.NormFloat64())
			if r.IntN(50) == 0 {
				v[i] = math.NaN()
			}
		}
		cols = append(cols, data.NewFloatColumn(fmt.Sprintf("num%02d", c), v))
	}
	for c := range 8 {
		k := 2 + c*25
		v, valid := make([]string, n), make([]bool, n)
		for i := range v {
			v[i], valid[i] = fmt.Sprintf("level%03d", min(r.IntN(k), r.IntN(k))), r.IntN(50) != 0
		}
		cols = append(cols, data.NewStringColumn(fmt.Sprintf("cat%02d", c), v, valid))
	}
	for c := range 4 {
		v, valid := make([]bool, n), make([]bool, n)
		for i := range v {
			v[i], valid[i] = r.IntN(2) == 0, r.IntN(50) != 0
		}
		cols = append(cols, data.NewBoolColumn(fmt.Sprintf("bool%02d", c), v, valid))
	}
	for c := range 3 {
		v, valid := make([]int64, n), make([]bool, n)
		for i := range v {
			v[i], valid[i] = created[i]-r.Int64N(400*dayMicros), r.IntN(50) != 0
		}
		cols = append(cols, data.NewTimeColumn(fmt.Sprintf("ts%02d", c), v, valid))
	}
	leads := mustTable(tb, cols...)
	if perLead == 0 {
		return leads, nil
	}
	m := n * perLead
	eid, ety := make([]string, m), make([]string, m)
	ets := make([]int64, m)
	types := []string{"demo_request", "email_open", "email_open", "email_open", "unsubscribe", "page_view"}
	for j := range m {
		i := r.IntN(n)
		eid[j], ety[j], ets[j] = ids[i], types[r.IntN(len(types))], created[i]-60*dayMicros+r.Int64N(120*dayMicros)
	}
	events := mustTable(tb, data.NewStringColumn("lead_id", eid, nil), data.NewTimeColumn("ts", ets, nil), data.NewStringColumn("type", ety, nil))
	return leads, events
}

var benchCache struct {
	sync.Mutex
	m map[string]any
}

func cached[T any](key string, f func() T) T {
	benchCache.Lock()
	defer benchCache.Unlock()
	if benchCache.m == nil {
		benchCache.m = map[string]any{}
	}
	if v, ok := benchCache.m[key]; ok {
		return v.(T)
	}
	v := f()
	benchCache.m[key] = v
	return v
}

// cpuTime returns the user + system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchFixture struct {
	tr            *Transformer
	leads, events *data.Table
}

func benchFixtureFor(b *testing.B, events bool) benchFixture {
	return cached(fmt.Sprint("1M", events), func() benchFixture {
		per := 0
		if events {
			per = 3
		}
		leads, ev := benchTables(b, 1_000_000, per, 1)
		train, trainEv := benchTables(b, 50_000, per, 2)
		tr, _, err := Fit(context.Background(), mustSpec(b, benchSpec(events)), train, trainEv)
		if err != nil {
			b.Fatal(err)
		}
		return benchFixture{tr, leads, ev}
	})
}

// BenchmarkTransformTable1Mx40 transforms 1M leads × 40 attribute
// features, without events and with ~3 events per lead (10 more
// features). Run with -cpu 1: the transform is single-threaded.
func BenchmarkTransformTable1Mx40(b *testing.B) {
	for _, events := range []bool{false, true} {
		b.Run(fmt.Sprintf("events=%v", events), func(b *testing.B) {
			fx := benchFixtureFor(b, events)
			b.ReportAllocs()
			b.ResetTimer()
			var m Matrix // reused: measures the transform, not page faults of a new 400 MB matrix
			cpu0 := cpuTime()
			for b.Loop() {
				if err := fx.tr.TransformTableTo(context.Background(), &m, fx.leads, fx.events); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(fx.leads.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			// CPU time of the process (GC included) is steadier than wall
			// time on a shared machine.
			b.ReportMetric(float64(fx.leads.Rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
		})
	}
}

// BenchmarkTransformLead transforms one lead with 40 attributes and 50
// events.
func BenchmarkTransformLead(b *testing.B) { benchTransformLead(b, 50, false) }

// BenchmarkTransformLeadNoEvents transforms one lead with 40 attributes
// and no events, as the gRPC load test sends, through the same
// transformer (whose spec has event features).
func BenchmarkTransformLeadNoEvents(b *testing.B) { benchTransformLead(b, 0, false) }

// BenchmarkTransformLeadShuffled is BenchmarkTransformLead with the
// attributes out of spec order (the slot of each is looked up, not
// guessed).
func BenchmarkTransformLeadShuffled(b *testing.B) { benchTransformLead(b, 50, true) }

func benchTransformLead(b *testing.B, events int, shuffle bool) {
	leads, ev := benchTables(b, 20_000, 3, 2)
	tr, _, err := Fit(context.Background(), mustSpec(b, benchSpec(true)), leads, ev)
	if err != nil {
		b.Fatal(err)
	}
	l := benchLead(tr, rand.New(rand.NewPCG(1, 2)))
	l.Events = l.Events[:events]
	freshStrings(l)
	if shuffle {
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(l.Attributes), func(i, j int) {
			l.Attributes[i], l.Attributes[j] = l.Attributes[j], l.Attributes[i]
		})
	}
	if len(l.Attributes) != 40 || len(l.Events) != events {
		b.Fatalf("%d attributes, %d events", len(l.Attributes), len(l.Events))
	}
	dst := make([]float64, tr.Width())
	var w Warnings
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := tr.TransformLead(l, time.Time{}, dst, &w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	if w.Len() != 0 {
		b.Fatalf("%d warnings, first %q", w.Len(), w.List()[0])
	}
}

// freshStrings gives every string of l its own copy, as a decoded request
// has: a lead built from the transformer's own names and levels would
// share their bytes, and make every string compare a pointer compare.
func freshStrings(l *leadscorev1.Lead) {
	for _, a := range l.Attributes {
		a.Name = strings.Clone(a.Name)
		if a.StringValue != nil {
			s := strings.Clone(*a.StringValue)
			a.StringValue = &s
		}
	}
	for _, e := range l.Events {
		e.Type = strings.Clone(e.Type)
	}
}
