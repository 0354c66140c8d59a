package predict

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// TestLeadTableRoundTrip is a property test: random leads (every attribute
// kind, missing attributes, negative and sub-second timestamps, events in
// any order) turned into a LeadTable by leadscorev1.NewLeadTable and back
// into leads by leadsFromTable are the leads they were, field for field.
func TestLeadTableRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 55))
	base := time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)
	ts := func() *timestamppb.Timestamp {
		return timestamppb.New(base.Add(time.Duration(rng.Int64N(1e12)-5e11) * time.Microsecond))
	}
	sl := new(tableSlabs)
	for trial := range 200 {
		n := 1 + rng.IntN(6)
		leads := make([]*leadscorev1.Lead, n)
		for i := range leads {
			l := &leadscorev1.Lead{Id: "L" + string(rune('a'+i)), CreatedAt: ts()}
			if rng.IntN(4) > 0 {
				l.Attributes = append(l.Attributes, leadscorev1.NumberAttribute("n", rng.NormFloat64()))
			}
			if rng.IntN(4) > 0 {
				l.Attributes = append(l.Attributes, leadscorev1.StringAttribute("s", []string{"", "a", "b"}[rng.IntN(3)]))
			}
			if rng.IntN(4) > 0 {
				l.Attributes = append(l.Attributes, leadscorev1.BoolAttribute("b", rng.IntN(2) == 0))
			}
			if rng.IntN(4) > 0 {
				l.Attributes = append(l.Attributes, &leadscorev1.Attribute{Name: "t", TimestampValue: ts()})
			}
			rng.Shuffle(len(l.Attributes), func(a, b int) { l.Attributes[a], l.Attributes[b] = l.Attributes[b], l.Attributes[a] })
			for range rng.IntN(4) {
				l.Events = append(l.Events, &leadscorev1.Event{Type: []string{"open", "click"}[rng.IntN(2)], Ts: ts()})
			}
			leads[i] = l
		}
		tab, err := leadscorev1.NewLeadTable(leads)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := proto.Marshal(tab) // what travels
		if err != nil {
			t.Fatal(err)
		}
		var back leadscorev1.LeadTable
		if err := proto.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		sl.release() // reuse the slabs of the previous trial, as the server does
		got, err := leadsFromTable(&back, 100, sl)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		for i := range leads {
			// Attributes come back in column order.
			want := proto.Clone(leads[i]).(*leadscorev1.Lead)
			order := map[string]int{}
			for j, c := range back.Columns {
				order[c.Name] = j
			}
			sortAttrs(want.Attributes, order)
			if !proto.Equal(got[i], want) {
				t.Fatalf("trial %d lead %d:\ngot  %v\nwant %v", trial, i, got[i], want)
			}
		}
	}
}

func sortAttrs(a []*leadscorev1.Attribute, order map[string]int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && order[a[j].Name] < order[a[j-1].Name]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// TestLeadTableNaNIsMissing: a NaN number in a table is a missing value.
func TestLeadTableNaNIsMissing(t *testing.T) {
	tab := &leadscorev1.LeadTable{Ids: []string{"a", "b"}, CreatedAtMicros: []int64{0, 1},
		Columns: []*leadscorev1.Column{{Name: "x", Numbers: []float64{math.NaN(), 2}}}}
	got, err := leadsFromTable(tab, 10, new(tableSlabs))
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0].Attributes) != 0 || len(got[1].Attributes) != 1 || got[1].Attributes[0].GetNumberValue() != 2 {
		t.Errorf("got %v", got)
	}
}

// BenchmarkBatchDecode is what the server spends turning the bytes of a
// PredictBatchRequest of 100 benchmark leads (40 attributes: 30 numbers,
// 8 strings, 2 bools; no events) into leads: proto.Unmarshal of Lead
// messages, against proto.Unmarshal of one LeadTable plus leadsFromTable.
func BenchmarkBatchDecode(b *testing.B) {
	leads := make([]*leadscorev1.Lead, 100)
	created := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for i := range leads {
		l := &leadscorev1.Lead{Id: "lead-" + string(rune('0'+i%10)) + string(rune('0'+i/10)), CreatedAt: timestamppb.New(created)}
		for j := range 30 {
			l.Attributes = append(l.Attributes, leadscorev1.NumberAttribute("num"+string(rune('A'+j)), float64(i*j%23)))
		}
		for k := range 8 {
			l.Attributes = append(l.Attributes, leadscorev1.StringAttribute("cat"+string(rune('0'+k)), "c"+string(rune('0'+(i+k)%7))))
		}
		for k := range 2 {
			l.Attributes = append(l.Attributes, leadscorev1.BoolAttribute("flag"+string(rune('0'+k)), (i+k)%3 == 0))
		}
		leads[i] = l
	}
	tab, err := leadscorev1.NewLeadTable(leads)
	if err != nil {
		b.Fatal(err)
	}
	asLeads, _ := proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads})
	asTable, _ := proto.Marshal(&leadscorev1.PredictBatchRequest{Table: tab})
	b.Run("leads", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(asLeads)))
		for b.Loop() {
			var r leadscorev1.PredictBatchRequest
			if err := proto.Unmarshal(asLeads, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("table", func(b *testing.B) {
		sl := new(tableSlabs)
		b.ReportAllocs()
		b.SetBytes(int64(len(asTable)))
		for b.Loop() {
			var r leadscorev1.PredictBatchRequest
			if err := proto.Unmarshal(asTable, &r); err != nil {
				b.Fatal(err)
			}
			if _, err := leadsFromTable(r.Table, 1000, sl); err != nil {
				b.Fatal(err)
			}
			sl.release()
		}
	})
	b.Run("marshal_leads", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads})
		}
	})
	b.Run("marshal_table", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			proto.Marshal(&leadscorev1.PredictBatchRequest{Table: tab})
		}
	})
}
