package leadscorev1_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// benchRequest is the request of cmd/bench-serve-client: a lead with the
// 40 attributes of the benchmark model (30 numbers, 8 strings, 2 bools)
// and n events.
func benchRequest(n int) *leadscorev1.PredictRequest {
	created := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	l := &leadscorev1.Lead{Id: "lead-000001", CreatedAt: timestamppb.New(created)}
	for j := range 20 {
		l.Attributes = append(l.Attributes, leadscorev1.NumberAttribute(fmt.Sprintf("num%02d", j), float64(j*13%23)/7-1.5))
	}
	for j := range 10 {
		l.Attributes = append(l.Attributes, leadscorev1.NumberAttribute(fmt.Sprintf("crm%02d", j), float64(j)))
	}
	for k := range 8 {
		l.Attributes = append(l.Attributes, leadscorev1.StringAttribute(fmt.Sprintf("cat%d", k), fmt.Sprintf("c%d_%d", k, k%3)))
	}
	for k := range 2 {
		l.Attributes = append(l.Attributes, leadscorev1.BoolAttribute(fmt.Sprintf("flag%d", k), k == 0))
	}
	types := []string{"email_open", "page_view", "demo_request"}
	for e := range n {
		l.Events = append(l.Events, &leadscorev1.Event{Type: types[e%3], Ts: timestamppb.New(created.Add(time.Duration(e) * time.Hour))})
	}
	return &leadscorev1.PredictRequest{Lead: l}
}

// benchLeads returns n leads of benchRequest(0), with the ids lead-0,
// lead-1, ...: a batch of the benchmark's shape.
func benchLeads(n int) []*leadscorev1.Lead {
	leads := make([]*leadscorev1.Lead, n)
	for i := range leads {
		leads[i] = benchRequest(0).GetLead()
		leads[i].Id = fmt.Sprintf("lead-%d", i)
	}
	return leads
}

// BenchmarkPredictRequest measures what the wire form costs the server
// (Unmarshal; the server decodes with UnmarshalPredictRequestSlabs into
// pooled slabs) and the client (Marshal) for the benchmark lead, with no
// events (the ceiling's request shape) and with 50.
func BenchmarkPredictRequest(b *testing.B) {
	for _, n := range []int{0, 50} {
		req := benchRequest(n)
		raw, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("unmarshal/events=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				var r leadscorev1.PredictRequest
				if err := proto.Unmarshal(raw, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("fast-unmarshal/events=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				var r leadscorev1.PredictRequest
				if err := leadscorev1.UnmarshalPredictRequest(raw, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("slabs-unmarshal/events=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			var sl leadscorev1.DecodeSlabs
			var r leadscorev1.PredictRequest
			for b.Loop() { // as the server's pooled requests
				if err := leadscorev1.UnmarshalPredictRequestSlabs(raw, &r, &sl); err != nil {
					b.Fatal(err)
				}
				sl.Reset()
			}
		})
		b.Run(fmt.Sprintf("marshal/events=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := proto.Marshal(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
