package leadscorev1_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// randomRequest is a PredictRequest with every field of the schema set
// or not at random, seeded.
func randomRequest(rng *rand.Rand) *leadscorev1.PredictRequest {
	ts := func() *timestamppb.Timestamp {
		return &timestamppb.Timestamp{Seconds: rng.Int64N(4e11) - 6e10, Nanos: rng.Int32N(1e9)}
	}
	s := func() string { return []string{"", "a", "saas", "é-ü", "lead-000001"}[rng.IntN(5)] }
	l := &leadscorev1.Lead{Id: s(), AccountId: s()}
	if rng.IntN(4) > 0 {
		l.CreatedAt = ts()
	}
	for j := range rng.IntN(12) {
		a := &leadscorev1.Attribute{Name: fmt.Sprintf("a%d", j)}
		switch rng.IntN(6) {
		case 0:
			v := rng.NormFloat64()
			a.NumberValue = &v
		case 1:
			v := s()
			a.StringValue = &v
		case 2:
			v := rng.IntN(2) == 0
			a.BoolValue = &v
		case 3:
			a.TimestampValue = ts()
		case 4: // two values: the server rejects it, the decoder must keep it
			v, w := math.NaN(), s()
			a.NumberValue, a.StringValue = &v, &w
		}
		l.Attributes = append(l.Attributes, a)
	}
	for range rng.IntN(5) {
		e := &leadscorev1.Event{Type: s()}
		if rng.IntN(3) > 0 {
			e.Ts = ts()
		}
		if rng.IntN(2) == 0 {
			v := rng.Float64()
			e.Value = &v
		}
		l.Events = append(l.Events, e)
	}
	r := &leadscorev1.PredictRequest{Model: s(), Explain: rng.IntN(2) == 0, MaxReasons: rng.Int32N(7) - 1,
		UseRules: rng.IntN(2) == 0, RequestId: s()}
	if rng.IntN(5) > 0 {
		r.Lead = l
	}
	if rng.IntN(3) == 0 {
		r.AsOf = ts()
	}
	return r
}

// reusedSlabs are the DecodeSlabs checkSame and checkSameBatch decode
// into besides, reset after each use as the server's pool does, so that
// the property tests and fuzz targets cover slabs holding what earlier
// inputs left (the tests of this package do not run in parallel).
var reusedSlabs leadscorev1.DecodeSlabs

// sameBytes reports whether a and b have the same deterministic
// encoding: bit for bit (NaNs too), unknown fields included.
func sameBytes(t *testing.T, a, b proto.Message) bool {
	t.Helper()
	det := proto.MarshalOptions{Deterministic: true}
	x, err := det.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := det.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

// checkSame decodes raw with UnmarshalPredictRequest (and
// UnmarshalPredictRequestSlabs) and proto.Unmarshal and fails unless all
// fail or all give equal messages (unknown fields included).
func checkSame(t *testing.T, raw []byte) {
	t.Helper()
	var got, want, slabbed leadscorev1.PredictRequest
	errGot, errWant := leadscorev1.UnmarshalPredictRequest(raw, &got), proto.Unmarshal(raw, &want)
	if (errGot == nil) != (errWant == nil) {
		t.Fatalf("% x: error %v, proto.Unmarshal's %v", raw, errGot, errWant)
	}
	defer reusedSlabs.Reset()
	if err := leadscorev1.UnmarshalPredictRequestSlabs(raw, &slabbed, &reusedSlabs); (err == nil) != (errWant == nil) {
		t.Fatalf("% x: error %v with slabs, proto.Unmarshal's %v", raw, err, errWant)
	}
	if errWant != nil {
		return
	}
	if !sameBytes(t, &slabbed, &got) {
		t.Fatalf("% x: decoded into slabs, differs from UnmarshalPredictRequest (-want +got):\n%s", raw, cmp.Diff(&got, &slabbed, protocmp.Transform()))
	}
	// Compared by deterministic encoding: bit for bit (NaNs too), unknown
	// fields included.
	det := proto.MarshalOptions{Deterministic: true}
	g, err := det.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := det.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("% x: differs from proto.Unmarshal (-want +got):\n%s", raw, cmp.Diff(&want, &got, protocmp.Transform()))
	}
}

// TestUnmarshalPredictRequestEqualsProto is a property test: random
// requests, their encodings with unknown and reserved fields appended,
// repeated fields, and random byte corruptions all decode as
// proto.Unmarshal decodes them.
func TestUnmarshalPredictRequestEqualsProto(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 3000 {
		raw, err := proto.Marshal(randomRequest(rng))
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, raw)
		// Concatenation merges: a second lead, as_of, created_at.
		checkSame(t, append(append([]byte(nil), raw...), raw...))
		// An unknown field, and the reserved Lead field 4.
		checkSame(t, protowire.AppendVarint(protowire.AppendTag(append([]byte(nil), raw...), 99, protowire.VarintType), 5))
		lead := protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), []byte{0x0a, 0x01, 'x'})
		checkSame(t, protowire.AppendBytes(protowire.AppendTag(append([]byte(nil), raw...), 1, protowire.BytesType), lead))
		// Corruptions.
		for range 4 {
			if len(raw) == 0 {
				break
			}
			bad := append([]byte(nil), raw...)
			bad[rng.IntN(len(bad))] = byte(rng.IntN(256))
			checkSame(t, bad)
			checkSame(t, bad[:rng.IntN(len(bad))])
		}
	}
	// Invalid UTF-8 in a lead's string.
	checkSame(t, protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff, 0xfe})))
}

// TestUnmarshalPredictRequestAllocates checks that the benchmark request
// (40 attributes) takes the fast path: a fixed handful of allocations,
// not several per attribute (proto.Unmarshal makes 139).
func TestUnmarshalPredictRequestAllocates(t *testing.T) {
	raw, err := proto.Marshal(benchRequest(0))
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		var r leadscorev1.PredictRequest
		if err := leadscorev1.UnmarshalPredictRequest(raw, &r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 12 {
		t.Errorf("%v allocations per decode, want at most 12", allocs)
	}
}

// FuzzUnmarshalPredictRequest checks that any input decodes as
// proto.Unmarshal decodes it.
func FuzzUnmarshalPredictRequest(f *testing.F) {
	for _, n := range []int{0, 3} {
		raw, err := proto.Marshal(benchRequest(n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkSame(t, raw) })
}

// checkSameBatch is checkSame for PredictBatchRequest.
func checkSameBatch(t *testing.T, raw []byte) {
	t.Helper()
	var got, want, slabbed leadscorev1.PredictBatchRequest
	errGot, errWant := leadscorev1.UnmarshalPredictBatchRequest(raw, &got), proto.Unmarshal(raw, &want)
	if (errGot == nil) != (errWant == nil) {
		t.Fatalf("% x: error %v, proto.Unmarshal's %v", raw, errGot, errWant)
	}
	defer reusedSlabs.Reset()
	if err := leadscorev1.UnmarshalPredictBatchRequestSlabs(raw, &slabbed, &reusedSlabs); (err == nil) != (errWant == nil) {
		t.Fatalf("% x: error %v with slabs, proto.Unmarshal's %v", raw, err, errWant)
	}
	if errWant != nil {
		return
	}
	if !sameBytes(t, &slabbed, &got) {
		t.Fatalf("% x: decoded into slabs, differs from UnmarshalPredictBatchRequest (-want +got):\n%s", raw, cmp.Diff(&got, &slabbed, protocmp.Transform()))
	}
	det := proto.MarshalOptions{Deterministic: true}
	g, err := det.Marshal(&got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := det.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("% x: differs from proto.Unmarshal (-want +got):\n%s", raw, cmp.Diff(&want, &got, protocmp.Transform()))
	}
}

// TestUnmarshalPredictBatchRequestEqualsProto is the property test of
// TestUnmarshalPredictRequestEqualsProto for batches: random leads, sent
// as Lead messages and as a LeadTable, unpacked repeated scalars, and
// corruptions decode as proto.Unmarshal decodes them.
func TestUnmarshalPredictBatchRequestEqualsProto(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 12))
	for range 1000 {
		var leads []*leadscorev1.Lead
		for range 1 + rng.IntN(6) {
			l := randomRequest(rng).GetLead()
			if l == nil {
				l = &leadscorev1.Lead{}
			}
			if l.CreatedAt == nil {
				l.CreatedAt = timestamppb.New(time.Unix(rng.Int64N(2e9), 0))
			}
			for _, a := range l.Attributes { // one type per column for NewLeadTable
				if a.NumberValue != nil && a.StringValue != nil {
					a.StringValue = nil
				}
			}
			leads = append(leads, l)
		}
		req := &leadscorev1.PredictBatchRequest{Model: "m", Explain: rng.IntN(2) == 0, MaxReasons: 3}
		if rng.IntN(2) == 0 {
			req.Leads = leads
		} else if tab, err := leadscorev1.NewLeadTable(leads); err == nil {
			req.Table = tab
		} else {
			req.Leads = leads
		}
		raw, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		checkSameBatch(t, raw)
		checkSameBatch(t, append(append([]byte(nil), raw...), raw...))
		for range 4 {
			bad := append([]byte(nil), raw...)
			bad[rng.IntN(len(bad))] = byte(rng.IntN(256))
			checkSameBatch(t, bad)
			checkSameBatch(t, bad[:rng.IntN(len(bad))])
		}
	}
	// Unpacked repeated scalars, as an older or another encoder may send.
	col := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "n")
	col = protowire.AppendFixed64(protowire.AppendTag(col, 2, protowire.Fixed64Type), math.Float64bits(1.5))
	col = protowire.AppendVarint(protowire.AppendTag(col, 6, protowire.VarintType), 0)
	tab := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "id")
	tab = protowire.AppendVarint(protowire.AppendTag(tab, 2, protowire.VarintType), protowire.EncodeZigZag(-5))
	tab = protowire.AppendBytes(protowire.AppendTag(tab, 3, protowire.BytesType), col)
	checkSameBatch(t, protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType), tab))
}

// TestUnmarshalPredictBatchRequestAllocates checks that a table of 100
// leads takes the fast path: allocations per column, not per string.
func TestUnmarshalPredictBatchRequestAllocates(t *testing.T) {
	leads := benchLeads(100)
	tab, err := leadscorev1.NewLeadTable(leads)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Table: tab})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		var r leadscorev1.PredictBatchRequest
		if err := leadscorev1.UnmarshalPredictBatchRequest(raw, &r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 50 { // 40 columns' value slices, the column slab, ids, the string copy
		t.Errorf("%v allocations per decode, want at most 50", allocs)
	}
}

// FuzzUnmarshalPredictBatchRequest checks that any input decodes as
// proto.Unmarshal decodes it.
func FuzzUnmarshalPredictBatchRequest(f *testing.F) {
	leads := []*leadscorev1.Lead{benchRequest(2).GetLead(), benchRequest(0).GetLead()}
	tab, err := leadscorev1.NewLeadTable(leads)
	if err != nil {
		f.Fatal(err)
	}
	for _, req := range []*leadscorev1.PredictBatchRequest{{Leads: leads}, {Table: tab}} {
		raw, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkSameBatch(t, raw) })
}

// rawLead appends a Lead field (number 1 of a request) whose attributes
// are written by hand, so that a name may be invalid UTF-8 (proto.Marshal
// refuses it) and fields may come in any order: each attribute is the
// name, then one value (number, string or bool, by kind), or the value
// first when valueFirst.
func rawLead(dst []byte, id string, names [][]byte, kinds []int, valueFirst bool) []byte {
	var l []byte
	l = protowire.AppendString(protowire.AppendTag(l, 1, protowire.BytesType), id)
	for k, name := range names {
		var val, a []byte
		switch kinds[k] % 4 {
		case 0:
			val = protowire.AppendFixed64(protowire.AppendTag(nil, 2, protowire.Fixed64Type), math.Float64bits(float64(k)+0.5))
		case 1:
			val = protowire.AppendString(protowire.AppendTag(nil, 3, protowire.BytesType), fmt.Sprintf("v%d", k))
		case 2:
			val = protowire.AppendVarint(protowire.AppendTag(nil, 4, protowire.VarintType), uint64(k%2))
		case 3: // no value
		}
		nm := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), name)
		if valueFirst {
			a = append(val, nm...)
		} else {
			a = append(nm, val...)
		}
		l = protowire.AppendBytes(protowire.AppendTag(l, 6, protowire.BytesType), a)
	}
	return protowire.AppendBytes(protowire.AppendTag(dst, 1, protowire.BytesType), l)
}

// TestUnmarshalBatchSharedNames is the property test of the decoder's
// reuse of names: a lead whose attribute k has the bytes of the name of
// attribute k of the lead before gets that string. Random batches whose
// leads send the same names in the same order, in another order, subsets,
// more names than the decoder remembers (64), long names (a two-byte
// length), empty names, values before names, and invalid UTF-8 in a later
// lead's name (of the length of the valid name before it, or one byte of
// it changed) all decode as proto.Unmarshal decodes them. And the reuse
// happens: in a batch whose leads all send the same names, every lead's
// names are the first lead's strings.
func TestUnmarshalBatchSharedNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	pool := [][]byte{[]byte("num00"), []byte("num01"), []byte("cat0"), []byte("é-ü"), []byte(""), []byte("x"),
		bytes.Repeat([]byte("long"), 40), []byte("crm07"), []byte("flag1")}
	invalid := [][]byte{{0xff, 0xfe, 0xfd, 0xfc, 0xfb}, {'n', 'u', 'm', '0', 0x80}, {0xc3}, []byte("é-\xfc"), bytes.Repeat([]byte{0xe2}, 160)}
	for range 2000 {
		n := 1 + rng.IntN(70) // some over the 64 names remembered
		names := make([][]byte, n)
		kinds := make([]int, n)
		for k := range names {
			names[k] = pool[rng.IntN(len(pool))]
			if rng.IntN(8) == 0 {
				names[k] = fmt.Appendf(nil, "a%d", k)
			}
			kinds[k] = rng.IntN(4)
		}
		var raw []byte
		for i := range 1 + rng.IntN(5) {
			ln, lk := names, kinds
			switch rng.IntN(6) {
			case 0: // another order
				ln, lk = slices.Clone(names), slices.Clone(kinds)
				rng.Shuffle(len(ln), func(i, j int) { ln[i], ln[j], lk[i], lk[j] = ln[j], ln[i], lk[j], lk[i] })
			case 1: // a prefix
				m := rng.IntN(n + 1)
				ln, lk = names[:m], kinds[:m]
			case 2: // invalid UTF-8 in one name
				ln = slices.Clone(names)
				k := rng.IntN(n)
				if len(ln[k]) > 0 && rng.IntN(2) == 0 {
					bad := slices.Clone(ln[k])
					bad[rng.IntN(len(bad))] = 0xff // same length as the valid name before
					ln[k] = bad
				} else {
					ln[k] = invalid[rng.IntN(len(invalid))]
				}
			}
			raw = rawLead(raw, fmt.Sprintf("lead-%d", i), ln, lk, rng.IntN(8) == 0)
		}
		if rng.IntN(3) == 0 {
			raw = protowire.AppendString(protowire.AppendTag(raw, 2, protowire.BytesType), "model")
		}
		checkSameBatch(t, raw)
	}

	// Same names throughout: the strings are the first lead's.
	leads := benchLeads(5)
	raw, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads})
	if err != nil {
		t.Fatal(err)
	}
	var req leadscorev1.PredictBatchRequest
	defer reusedSlabs.Reset()
	if err := leadscorev1.UnmarshalPredictBatchRequestSlabs(raw, &req, &reusedSlabs); err != nil {
		t.Fatal(err)
	}
	first := req.GetLeads()[0].GetAttributes()
	for i, l := range req.GetLeads() {
		for k, a := range l.GetAttributes() {
			if a.GetName() != first[k].GetName() || unsafe.StringData(a.GetName()) != unsafe.StringData(first[k].GetName()) {
				t.Fatalf("lead %d, attribute %d: name %q is not the first lead's string %q", i, k, a.GetName(), first[k].GetName())
			}
		}
	}
}

// TestUnmarshalBatchSlabsAllocatesOnce checks what the two-pass lead
// decoder is for: once pooled slabs have grown, a batch of 100 benchmark
// leads (40 attributes each, the same names) costs one allocation, the
// copy of its strings' bytes, which holds the ids, the string values and
// the names once (not once per lead).
func TestUnmarshalBatchSlabsAllocatesOnce(t *testing.T) {
	leads := benchLeads(100)
	raw, err := proto.Marshal(&leadscorev1.PredictBatchRequest{Leads: leads})
	if err != nil {
		t.Fatal(err)
	}
	var sl leadscorev1.DecodeSlabs
	var req leadscorev1.PredictBatchRequest
	allocs := testing.AllocsPerRun(20, func() {
		if err := leadscorev1.UnmarshalPredictBatchRequestSlabs(raw, &req, &sl); err != nil {
			t.Fatal(err)
		}
		sl.Reset()
	})
	if allocs > 1 {
		t.Errorf("%v allocations per decode of 100 leads, want 1 (the strings' bytes)", allocs)
	}
	// The strings' bytes: 100 ids, 800 string values, 40 names.
	var want int
	for i, l := range leads {
		want += len(l.GetId())
		for _, a := range l.GetAttributes() {
			want += len(a.GetStringValue())
			if i == 0 {
				want += len(a.GetName())
			}
		}
	}
	if err := leadscorev1.UnmarshalPredictBatchRequestSlabs(raw, &req, &sl); err != nil {
		t.Fatal(err)
	}
	defer sl.Reset()
	var got int
	seen := map[*byte]bool{}
	for _, l := range req.GetLeads() {
		for _, s := range append([]string{l.GetId()}, namesAndStrings(l)...) {
			if p := unsafe.StringData(s); len(s) > 0 && !seen[p] {
				seen[p] = true
				got += len(s)
			}
		}
	}
	if got != want {
		t.Errorf("the decoded strings hold %d distinct bytes, want %d (names shared by the leads)", got, want)
	}
}

// namesAndStrings lists the names and string values of l's attributes.
func namesAndStrings(l *leadscorev1.Lead) []string {
	var out []string
	for _, a := range l.GetAttributes() {
		out = append(out, a.GetName())
		if a.StringValue != nil {
			out = append(out, a.GetStringValue())
		}
	}
	return out
}
