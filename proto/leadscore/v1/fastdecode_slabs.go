package leadscorev1

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DecodeSlabs is memory that UnmarshalPredictRequestSlabs and
// UnmarshalPredictBatchRequestSlabs carve leads from (the leads, their
// attributes, values, events and timestamps) and a LeadTable's columns
// and values, kept from one request to the next: a server that decodes every request into slabs of a pool
// allocates nothing per attribute and leaves the collector less to do.
// The zero value is ready; a DecodeSlabs is not safe for concurrent use.
//
// The request then points into the slabs: it (and every lead, attribute,
// value or event of it) must no longer be used when Reset is called. Its
// strings are not in the slabs and stay valid.
type DecodeSlabs struct {
	leads    arena[Lead]
	leadPtrs arena[*Lead]
	attrs    arena[Attribute]
	attrPtrs arena[*Attribute]
	events   arena[Event]
	evPtrs   arena[*Event]
	ts       arena[timestamppb.Timestamp]
	numbers  arena[float64]
	bools    arena[bool]
	strs     arena[string]
	cols     arena[Column]
	colPtrs  arena[*Column]
	i64      arena[int64]
	u32      arena[uint32]
	// text gathers a table's string bytes before they are copied into
	// the one string they are cut from.
	text []byte
}

// Reset zeroes what the requests decoded since the last Reset used, so
// that the slabs hold no pointer into them, and makes it available again.
func (s *DecodeSlabs) Reset() {
	s.leads.reset()
	s.leadPtrs.reset()
	s.attrs.reset()
	s.attrPtrs.reset()
	s.events.reset()
	s.evPtrs.reset()
	s.ts.reset()
	s.numbers.reset()
	s.bools.reset()
	s.strs.reset()
	s.cols.reset()
	s.colPtrs.reset()
	s.i64.reset()
	s.u32.reset()
	s.text = s.text[:0] // bytes only: nothing to clear
}

// UnmarshalPredictRequestSlabs is UnmarshalPredictRequest with the lead
// carved from s (see DecodeSlabs for how long it may be used); a nil s
// allocates as UnmarshalPredictRequest does.
func UnmarshalPredictRequestSlabs(b []byte, req *PredictRequest, s *DecodeSlabs) error {
	req.Reset()
	if fastPredictRequest(b, req, s) {
		return nil
	}
	req.Reset()
	return proto.Unmarshal(b, req)
}

// UnmarshalPredictBatchRequestSlabs is UnmarshalPredictBatchRequest with
// the leads, or the table's columns and values, carved from s (see
// DecodeSlabs for how long they may be used); a nil s allocates as
// UnmarshalPredictBatchRequest does. The table's strings are then cut
// from a copy of their bytes alone, not of the whole table.
func UnmarshalPredictBatchRequestSlabs(b []byte, req *PredictBatchRequest, s *DecodeSlabs) error {
	req.Reset()
	if fastPredictBatchRequest(b, req, s) {
		return nil
	}
	req.Reset()
	return proto.Unmarshal(b, req)
}

// arena hands out zeroed slices from one chunk, replacing the chunk by a
// larger one when it runs out (the slices already handed out keep the old
// one). A nil *arena allocates every slice.
type arena[T any] struct{ buf []T }

// take returns n zero elements; nil when n is 0.
func take[T any](a *arena[T], n int) []T {
	if n == 0 {
		return nil
	}
	if a == nil {
		return make([]T, n)
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]T, 0, max(n, 2*cap(a.buf)))
	}
	k := len(a.buf)
	a.buf = a.buf[:k+n]
	return a.buf[k : k+n : k+n]
}

// takeEmpty returns an empty slice with room for n elements; nil when n
// is 0.
func takeEmpty[T any](a *arena[T], n int) []T { return take(a, n)[:0] }

// reset zeroes the current chunk's used part and makes it free again.
func (a *arena[T]) reset() {
	clear(a.buf)
	a.buf = a.buf[:0]
}

// leadArena is the arena of leads, or nil (allocate) for a nil s.
func (s *DecodeSlabs) leadArena() *arena[Lead] {
	if s == nil {
		return nil
	}
	return &s.leads
}

// The arenas of s for appendVarints, or nil (allocate) for a nil s.

func (s *DecodeSlabs) i64s() *arena[int64] {
	if s == nil {
		return nil
	}
	return &s.i64
}

func (s *DecodeSlabs) u32s() *arena[uint32] {
	if s == nil {
		return nil
	}
	return &s.u32
}

func (s *DecodeSlabs) boolArena() *arena[bool] {
	if s == nil {
		return nil
	}
	return &s.bools
}
