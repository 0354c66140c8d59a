package leadscorev1

import (
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// TestDecodeSlabsResetAfterFallback: a batch that falls back to
// proto.Unmarshal half-way through a lead (an attribute with a field the
// decoder does not know, after attributes and events it has decoded)
// leaves nothing in the slabs past what Reset zeroes: the attribute and
// event lists the decoder had begun are handed out with the rest, so a
// pooled DecodeSlabs keeps no pointer into the request, and the next
// request decodes as proto.Unmarshal does.
func TestDecodeSlabsResetAfterFallback(t *testing.T) {
	attr := func(name string, v float64) []byte {
		a := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), name)
		return protowire.AppendFixed64(protowire.AppendTag(a, 2, protowire.Fixed64Type), math.Float64bits(v))
	}
	lead := func(id string, odd bool) []byte {
		l := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), id)
		ev := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "email_open")
		l = protowire.AppendBytes(protowire.AppendTag(l, 5, protowire.BytesType), ev)
		for _, n := range []string{"num00", "num01", "num02"} {
			l = protowire.AppendBytes(protowire.AppendTag(l, 6, protowire.BytesType), attr(n, 1.5))
		}
		if odd { // field 9 of an Attribute: unknown, kept by proto.Unmarshal
			a := protowire.AppendVarint(protowire.AppendTag(attr("num03", 2), 9, protowire.VarintType), 1)
			l = protowire.AppendBytes(protowire.AppendTag(l, 6, protowire.BytesType), a)
		}
		return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), l)
	}
	raw := append(append(lead("a", false), lead("b", false)...), lead("c", true)...)
	var sl DecodeSlabs
	var got, want PredictBatchRequest
	if err := UnmarshalPredictBatchRequestSlabs(raw, &got, &sl); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&got, &want) {
		t.Fatalf("decoded %v, want %v", &got, &want)
	}
	if len(got.GetLeads()) != 3 || len(got.GetLeads()[2].GetAttributes()[3].ProtoReflect().GetUnknown()) == 0 {
		t.Fatalf("decoded %v: want the unknown field kept (proto.Unmarshal's result)", &got)
	}
	sl.Reset()
	allZero(t, "attribute pointers", sl.attrPtrs.buf, func(p **Attribute) bool { return *p == nil })
	allZero(t, "event pointers", sl.evPtrs.buf, func(p **Event) bool { return *p == nil })
	allZero(t, "attributes", sl.attrs.buf, func(a *Attribute) bool {
		return a.Name == "" && a.NumberValue == nil && a.StringValue == nil && a.BoolValue == nil && a.TimestampValue == nil
	})
	allZero(t, "events", sl.events.buf, func(e *Event) bool { return e.Type == "" && e.Ts == nil && e.Value == nil })
	allZero(t, "leads", sl.leads.buf, func(l *Lead) bool { return l.Id == "" && l.Attributes == nil && l.Events == nil })
	allZero(t, "numbers", sl.numbers.buf, func(f *float64) bool { return *f == 0 })
}
