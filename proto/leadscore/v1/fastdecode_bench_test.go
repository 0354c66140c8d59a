package leadscorev1_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// BenchmarkPredictBatchRequest measures what decoding the PredictBatch of
// BenchmarkServerSide/batch100 costs the server: 100 benchmark leads (40
// attributes, no events; ids differ) as Lead messages, decoded into
// pooled slabs as the server does, and with proto.Unmarshal for scale.
func BenchmarkPredictBatchRequest(b *testing.B) {
	leads := benchLeads(100)
	raw, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("slabs-unmarshal/leads=100", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		var sl leadscorev1.DecodeSlabs
		var r leadscorev1.PredictBatchRequest
		for b.Loop() {
			if err := leadscorev1.UnmarshalPredictBatchRequestSlabs(raw, &r, &sl); err != nil {
				b.Fatal(err)
			}
			r.Reset()
			sl.Reset()
		}
	})
	b.Run("fast-unmarshal/leads=100", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			var r leadscorev1.PredictBatchRequest
			if err := leadscorev1.UnmarshalPredictBatchRequest(raw, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal/leads=100", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			var r leadscorev1.PredictBatchRequest
			if err := proto.Unmarshal(raw, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
