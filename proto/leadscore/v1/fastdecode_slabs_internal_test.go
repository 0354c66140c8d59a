package leadscorev1

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestDecodeSlabsResetZeroes checks that after Reset the slabs hold no
// pointer into (nor value of) the requests decoded before, leads and a
// table: every element of every chunk is zero, so a pooled DecodeSlabs
// keeps no request alive.
func TestDecodeSlabsResetZeroes(t *testing.T) {
	v, s := 1.5, "saas"
	b := true
	lead := &Lead{Id: "l1", CreatedAt: timestamppb.Now(), Attributes: []*Attribute{
		{Name: "n", NumberValue: &v}, {Name: "s", StringValue: &s}, {Name: "b", BoolValue: &b},
		{Name: "t", TimestampValue: timestamppb.Now()},
	}, Events: []*Event{{Type: "x", Ts: timestamppb.Now()}}}
	one, _ := proto.Marshal(&PredictRequest{Lead: lead})
	batch, _ := proto.Marshal(&PredictBatchRequest{Leads: []*Lead{lead, lead}})
	var sl DecodeSlabs
	var r PredictRequest
	var br PredictBatchRequest
	if err := UnmarshalPredictRequestSlabs(one, &r, &sl); err != nil {
		t.Fatal(err)
	}
	if err := UnmarshalPredictBatchRequestSlabs(batch, &br, &sl); err != nil {
		t.Fatal(err)
	}
	// The batch's leads outgrew the first chunks: the slabs now hold the
	// new ones, with the batch's two leads.
	if len(sl.attrs.buf) != 8 || len(sl.leads.buf) != 2 || len(sl.strs.buf) != 2 || len(sl.ts.buf) != 6 {
		t.Fatalf("the slabs hold %d attributes, %d leads, %d strings, %d timestamps; want 8, 2, 2, 6",
			len(sl.attrs.buf), len(sl.leads.buf), len(sl.strs.buf), len(sl.ts.buf))
	}
	// And a table (its columns, values and strings).
	tab, err := NewLeadTable([]*Lead{lead, lead})
	if err != nil {
		t.Fatal(err)
	}
	traw, _ := proto.Marshal(&PredictBatchRequest{Table: tab})
	var tr PredictBatchRequest
	if err := UnmarshalPredictBatchRequestSlabs(traw, &tr, &sl); err != nil {
		t.Fatal(err)
	}
	if len(sl.cols.buf) != 4 || len(sl.i64.buf) == 0 || len(sl.text) == 0 {
		t.Fatalf("the slabs hold %d columns, %d int64s, %d string bytes; want 4, some, some",
			len(sl.cols.buf), len(sl.i64.buf), len(sl.text))
	}
	sl.Reset()
	allZero(t, "columns", sl.cols.buf, func(c *Column) bool {
		return c.Name == "" && c.Numbers == nil && c.Strings == nil && c.Bools == nil && c.TimestampsMicros == nil && c.MissingRows == nil
	})
	allZero(t, "column pointers", sl.colPtrs.buf, func(p **Column) bool { return *p == nil })
	allZero(t, "int64s", sl.i64.buf, func(v *int64) bool { return *v == 0 })
	allZero(t, "uint32s", sl.u32.buf, func(v *uint32) bool { return *v == 0 })
	allZero(t, "leads", sl.leads.buf, func(l *Lead) bool { return l.Id == "" && l.CreatedAt == nil && l.Attributes == nil && l.Events == nil })
	allZero(t, "lead pointers", sl.leadPtrs.buf, func(p **Lead) bool { return *p == nil })
	allZero(t, "attributes", sl.attrs.buf, func(a *Attribute) bool {
		return a.Name == "" && a.NumberValue == nil && a.StringValue == nil && a.BoolValue == nil && a.TimestampValue == nil
	})
	allZero(t, "attribute pointers", sl.attrPtrs.buf, func(p **Attribute) bool { return *p == nil })
	allZero(t, "events", sl.events.buf, func(e *Event) bool { return e.Type == "" && e.Ts == nil })
	allZero(t, "event pointers", sl.evPtrs.buf, func(p **Event) bool { return *p == nil })
	allZero(t, "timestamps", sl.ts.buf, func(ts *timestamppb.Timestamp) bool { return ts.Seconds == 0 && ts.Nanos == 0 })
	allZero(t, "numbers", sl.numbers.buf, func(f *float64) bool { return *f == 0 })
	allZero(t, "bools", sl.bools.buf, func(b *bool) bool { return !*b })
	allZero(t, "strings", sl.strs.buf, func(s *string) bool { return *s == "" })
}

// allZero checks every element up to the capacity of buf, which Reset
// must have left empty.
func allZero[T any](t *testing.T, what string, buf []T, zero func(*T) bool) {
	t.Helper()
	if len(buf) != 0 {
		t.Errorf("%s: %d elements in use after Reset", what, len(buf))
	}
	full := buf[:cap(buf)]
	for i := range full {
		if !zero(&full[i]) {
			t.Errorf("%s[%d] not zero after Reset", what, i)
		}
	}
}
