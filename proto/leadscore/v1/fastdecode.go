package leadscorev1

import (
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// UnmarshalPredictRequest decodes b into req (which it resets) exactly as
// proto.Unmarshal does, with a handful of allocations per request instead
// of three or four per attribute: the lead's attributes, values, events
// and timestamps are carved from one slab each, and its strings are
// substrings of one copy of the lead's bytes (so one kept string keeps
// that copy alive). Hand-written: `make proto` leaves this file alone.
//
// It decodes the fields the schema has today, each at most once per
// message where proto would merge; anything else (an unknown or reserved
// field, an unexpected wire type, a repeated singular message, invalid
// UTF-8, a malformed encoding) makes it decode b with proto.Unmarshal
// instead, so the result, unknown fields and errors included, is always
// proto.Unmarshal's.
func UnmarshalPredictRequest(b []byte, req *PredictRequest) error {
	return UnmarshalPredictRequestSlabs(b, req, nil)
}

// field reads one tag and its value: the number, the wire type, the
// varint or fixed64 value, or the bytes of a length-delimited field, and
// the rest of b. ok is false when b is malformed or the wire type is a
// group or unknown.
func field(b []byte) (num protowire.Number, typ protowire.Type, v uint64, data, rest []byte, ok bool) {
	// The common case first: a one-byte tag of a field numbered below 16
	// and a length below 128 (protowire's general path is 3× slower).
	if len(b) >= 2 && b[0] < 0x80 && b[0] >= 0x08 && b[0]&7 == byte(protowire.BytesType) && b[1] < 0x80 {
		if n := int(b[1]); len(b)-2 >= n {
			return protowire.Number(b[0] >> 3), protowire.BytesType, 0, b[2 : 2+n], b[2+n:], true
		}
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, nil, nil, false
	}
	b = b[n:]
	switch typ {
	case protowire.VarintType:
		v, n = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		v, n = protowire.ConsumeFixed64(b)
	case protowire.BytesType:
		data, n = protowire.ConsumeBytes(b)
	default:
		return 0, 0, 0, nil, nil, false
	}
	if n < 0 {
		return 0, 0, 0, nil, nil, false
	}
	return num, typ, v, data, b[n:], true
}

// str returns data as a string and whether it is valid UTF-8; in is the
// string copy of the bytes data lies in, starting at base.
func str(data []byte, in string, base []byte) (string, bool) {
	if !utf8.Valid(data) {
		return "", false
	}
	if len(data) == 0 {
		return "", true
	}
	// data is a subslice of base (protowire reslices without capping the
	// capacity), so the capacities' difference is data's offset in base.
	off := cap(base) - cap(data)
	return in[off : off+len(data)], true
}

func fastPredictRequest(b []byte, req *PredictRequest, sl *DecodeSlabs) bool {
	var seenLead, seenAsOf bool
	for len(b) > 0 {
		num, typ, v, data, rest, ok := field(b)
		if !ok {
			return false
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType && !seenLead:
			seenLead = true
			req.Lead = &take(sl.leadArena(), 1)[0]
			if !fastLead(data, req.Lead, sl) {
				return false
			}
		case (num == 2 || num == 7) && typ == protowire.BytesType:
			if !utf8.Valid(data) {
				return false
			}
			if num == 2 {
				req.Model = string(data)
			} else {
				req.RequestId = string(data)
			}
		case num == 3 && typ == protowire.VarintType:
			req.Explain = v != 0
		case num == 4 && typ == protowire.VarintType:
			req.MaxReasons = int32(v)
		case num == 5 && typ == protowire.VarintType:
			req.UseRules = v != 0
		case num == 6 && typ == protowire.BytesType && !seenAsOf:
			seenAsOf = true
			req.AsOf = new(timestamppb.Timestamp)
			if !fastTimestamp(data, req.AsOf) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fastTimestamp decodes a google.protobuf.Timestamp.
func fastTimestamp(b []byte, t *timestamppb.Timestamp) bool {
	for len(b) > 0 {
		num, typ, v, _, rest, ok := field(b)
		if !ok || typ != protowire.VarintType {
			return false
		}
		b = rest
		switch num {
		case 1:
			t.Seconds = int64(v)
		case 2:
			t.Nanos = int32(v)
		default:
			return false
		}
	}
	return true
}

// fastLead decodes a Lead: a first pass counts the attributes, events and
// timestamps to size the slabs (taken from sl, or allocated when sl is
// nil), a second fills them.
func fastLead(b []byte, l *Lead, sl *DecodeSlabs) bool {
	nAttr, nEv, nTS, nNum, nBool, nStr := 0, 0, 0, 0, 0, 0
	for p := b; len(p) > 0; {
		num, typ, _, data, rest, ok := field(p)
		if !ok {
			return false
		}
		p = rest
		switch {
		case num == 3 && typ == protowire.BytesType:
			nTS++
		case num == 5 && typ == protowire.BytesType:
			nEv++
			nTS++ // at most one ts each; more falls back below
		case num == 6 && typ == protowire.BytesType:
			nAttr++
			// The attribute's value kinds, for the value slabs.
			for q := data; len(q) > 0; {
				an, at, _, _, r, ok := field(q)
				if !ok {
					return false
				}
				q = r
				switch {
				case an == 2 && at == protowire.Fixed64Type:
					nNum++
				case an == 3 && at == protowire.BytesType:
					nStr++
				case an == 4 && at == protowire.VarintType:
					nBool++
				case an == 5 && at == protowire.BytesType:
					nTS++
				}
			}
		}
	}
	in := string(b) // the lead's strings are substrings of this copy
	var (
		attrs   []Attribute
		ptrs    []*Attribute
		events  []Event
		evPtrs  []*Event
		ts      []timestamppb.Timestamp
		numbers []float64
		bools   []bool
		strs    []string
	)
	if sl == nil {
		attrs, ptrs = take[Attribute](nil, nAttr), takeEmpty[*Attribute](nil, nAttr)
		events, evPtrs = take[Event](nil, nEv), takeEmpty[*Event](nil, nEv)
		ts, numbers = take[timestamppb.Timestamp](nil, nTS), take[float64](nil, nNum)
		bools, strs = take[bool](nil, nBool), take[string](nil, nStr)
	} else {
		attrs, ptrs = take(&sl.attrs, nAttr), takeEmpty(&sl.attrPtrs, nAttr)
		events, evPtrs = take(&sl.events, nEv), takeEmpty(&sl.evPtrs, nEv)
		ts, numbers = take(&sl.ts, nTS), take(&sl.numbers, nNum)
		bools, strs = take(&sl.bools, nBool), take(&sl.strs, nStr)
	}
	newTS := func() *timestamppb.Timestamp {
		if len(ts) == 0 {
			return nil
		}
		t := &ts[0]
		ts = ts[1:]
		return t
	}
	seenCreated := false
	for p := b; len(p) > 0; {
		num, typ, _, data, rest, _ := field(p) // well-formed: checked above
		p = rest
		if typ != protowire.BytesType {
			return false
		}
		switch {
		case num == 1 || num == 2:
			s, ok := str(data, in, b)
			if !ok {
				return false
			}
			if num == 1 {
				l.Id = s
			} else {
				l.AccountId = s
			}
		case num == 3 && !seenCreated:
			seenCreated = true
			l.CreatedAt = newTS()
			if l.CreatedAt == nil || !fastTimestamp(data, l.CreatedAt) {
				return false
			}
		case num == 5:
			e := &events[0]
			events = events[1:]
			if !fastEvent(data, e, in, b, newTS) {
				return false
			}
			evPtrs = append(evPtrs, e)
		case num == 6:
			a := &attrs[0]
			attrs = attrs[1:]
			seenTS := false
			for q := data; len(q) > 0; {
				an, at, v, ad, r, _ := field(q)
				q = r
				switch {
				case an == 1 && at == protowire.BytesType:
					s, ok := str(ad, in, b)
					if !ok {
						return false
					}
					a.Name = s
				case an == 2 && at == protowire.Fixed64Type:
					numbers[0] = math.Float64frombits(v)
					a.NumberValue = &numbers[0]
					numbers = numbers[1:]
				case an == 3 && at == protowire.BytesType:
					s, ok := str(ad, in, b)
					if !ok {
						return false
					}
					strs[0] = s
					a.StringValue = &strs[0]
					strs = strs[1:]
				case an == 4 && at == protowire.VarintType:
					bools[0] = v != 0
					a.BoolValue = &bools[0]
					bools = bools[1:]
				case an == 5 && at == protowire.BytesType && !seenTS:
					seenTS = true
					a.TimestampValue = newTS()
					if !fastTimestamp(ad, a.TimestampValue) {
						return false
					}
				default:
					return false
				}
			}
			ptrs = append(ptrs, a)
		default:
			return false
		}
	}
	l.Attributes, l.Events = ptrs, evPtrs
	return true
}

// fastEvent decodes an Event.
func fastEvent(b []byte, e *Event, in string, base []byte, newTS func() *timestamppb.Timestamp) bool {
	seenTS := false
	for len(b) > 0 {
		num, typ, v, data, rest, ok := field(b)
		if !ok {
			return false
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			s, ok := str(data, in, base)
			if !ok {
				return false
			}
			e.Type = s
		case num == 2 && typ == protowire.BytesType && !seenTS:
			seenTS = true
			e.Ts = newTS()
			if e.Ts == nil || !fastTimestamp(data, e.Ts) {
				return false
			}
		case num == 3 && typ == protowire.Fixed64Type:
			f := math.Float64frombits(v)
			e.Value = &f
		default:
			return false
		}
	}
	return true
}
