package leadscorev1_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// TestUnmarshalSlabsEqualsProto is the property test of the slab
// decoders: random requests and batches (seeded; with corruptions), all
// decoded into one DecodeSlabs reset between requests, as a server's pool
// reuses it, decode as proto.Unmarshal decodes them; and a request
// decoded earlier is unchanged by later decodes until the Reset.
func TestUnmarshalSlabsEqualsProto(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var sl leadscorev1.DecodeSlabs
	det := proto.MarshalOptions{Deterministic: true}
	same := func(raw []byte, got, want proto.Message, errGot error) {
		t.Helper()
		errWant := proto.Unmarshal(raw, want)
		if (errGot == nil) != (errWant == nil) {
			t.Fatalf("% x: error %v, proto.Unmarshal's %v", raw, errGot, errWant)
		}
		if errWant != nil {
			return
		}
		g, err := det.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		w, err := det.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("% x: differs from proto.Unmarshal (-want +got):\n%s", raw, cmp.Diff(want, got, protocmp.Transform()))
		}
	}
	for i := range 2000 {
		raw, err := proto.Marshal(randomRequest(rng))
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 && len(raw) > 0 {
			raw[rng.IntN(len(raw))] = byte(rng.IntN(256))
		}
		var first leadscorev1.PredictRequest
		errFirst := leadscorev1.UnmarshalPredictRequestSlabs(raw, &first, &sl)
		snapshot, _ := det.Marshal(&first)
		// A second request and a batch of leads decoded into the same
		// slabs before the Reset must not disturb the first.
		var leads []*leadscorev1.Lead
		for range rng.IntN(4) {
			if l := randomRequest(rng).GetLead(); l != nil {
				leads = append(leads, l)
			}
		}
		braw, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads, Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		var batch leadscorev1.PredictBatchRequest
		errBatch := leadscorev1.UnmarshalPredictBatchRequestSlabs(braw, &batch, &sl)
		same(braw, &batch, &leadscorev1.PredictBatchRequest{}, errBatch)
		same(raw, &first, &leadscorev1.PredictRequest{}, errFirst)
		if again, _ := det.Marshal(&first); !bytes.Equal(again, snapshot) {
			t.Fatalf("% x: changed by the batch decoded after it", raw)
		}
		sl.Reset()
	}
}

// TestUnmarshalSlabsAllocates checks what the slabs are for: once they
// have grown, decoding the benchmark request (40 attributes) allocates
// only the copy of the lead's bytes its strings point into, a batch of
// 100 such leads one such copy per lead, and the same leads as a
// LeadTable a handful of objects.
func TestUnmarshalSlabsAllocates(t *testing.T) {
	raw, err := proto.Marshal(benchRequest(3))
	if err != nil {
		t.Fatal(err)
	}
	var sl leadscorev1.DecodeSlabs
	var req leadscorev1.PredictRequest
	allocs := testing.AllocsPerRun(100, func() {
		if err := leadscorev1.UnmarshalPredictRequestSlabs(raw, &req, &sl); err != nil {
			t.Fatal(err)
		}
		sl.Reset()
	})
	if allocs > 1 {
		t.Errorf("%v allocations per decode, want 1 (the string copy)", allocs)
	}
	var leads []*leadscorev1.Lead
	for i := range 100 {
		l := benchRequest(3).GetLead()
		l.Id = fmt.Sprintf("lead-%d", i)
		leads = append(leads, l)
	}
	braw, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads})
	if err != nil {
		t.Fatal(err)
	}
	var breq leadscorev1.PredictBatchRequest
	allocs = testing.AllocsPerRun(20, func() {
		if err := leadscorev1.UnmarshalPredictBatchRequestSlabs(braw, &breq, &sl); err != nil {
			t.Fatal(err)
		}
		sl.Reset()
	})
	if allocs > 100 {
		t.Errorf("%v allocations per decode of 100 leads, want 100 (a string copy each)", allocs)
	}
	// The same leads as a LeadTable: the table, and one string for all its
	// strings.
	tab, err := leadscorev1.NewLeadTable(leads)
	if err != nil {
		t.Fatal(err)
	}
	traw, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Table: tab})
	if err != nil {
		t.Fatal(err)
	}
	allocs = testing.AllocsPerRun(20, func() {
		if err := leadscorev1.UnmarshalPredictBatchRequestSlabs(traw, &breq, &sl); err != nil {
			t.Fatal(err)
		}
		if len(breq.GetTable().GetColumns()) != 40 {
			t.Fatalf("%d columns decoded, want 40", len(breq.GetTable().GetColumns()))
		}
		sl.Reset()
	})
	if allocs > 3 {
		t.Errorf("%v allocations per decode of a 100-row table, want at most 3 (the table, its events, the strings)", allocs)
	}
}
