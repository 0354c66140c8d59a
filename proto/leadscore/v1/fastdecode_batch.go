package leadscorev1

import (
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// UnmarshalPredictBatchRequest decodes b into req (which it resets)
// exactly as proto.Unmarshal does, as UnmarshalPredictRequest does for
// one request: the leads as there, their strings cut from one copy of the
// bytes of all of them (names repeated from the lead before are not
// copied again), and a LeadTable with one slab of columns and its strings
// (ids, categorical values, event type names) as substrings of one copy
// of the table's bytes instead of one allocation each. Anything it does
// not expect makes it fall back to proto.Unmarshal.
func UnmarshalPredictBatchRequest(b []byte, req *PredictBatchRequest) error {
	return UnmarshalPredictBatchRequestSlabs(b, req, nil)
}

func fastPredictBatchRequest(b []byte, req *PredictBatchRequest, sl *DecodeSlabs) bool {
	var seenTable, seenAsOf bool
	nLeads := 0
	var c leadScan
	if sl != nil {
		c.text = sl.text[:0]
	} else {
		c.text = make([]byte, 0, len(b)) // more than enough: one allocation
	}
	for p := b; len(p) > 0; {
		num, typ, _, data, rest, ok := field(p)
		if !ok {
			return false
		}
		p = rest
		if num == 1 && typ == protowire.BytesType {
			nLeads++
			if !c.lead(data) {
				return false
			}
		}
	}
	if nLeads > 0 {
		// The leads' strings are cut from one copy of their bytes.
		var d decoder
		d.init(sl, &c)
		var leads []Lead
		leads, req.Leads = take(&d.sl.leads, nLeads), takeEmpty(&d.sl.leadPtrs, nLeads)
		for p := b; len(p) > 0; {
			num, typ, _, data, rest, _ := field(p) // well-formed: checked above
			p = rest
			if num == 1 && typ == protowire.BytesType {
				l := &leads[0]
				leads = leads[1:]
				if !d.lead(data, l) {
					return false
				}
				req.Leads = append(req.Leads, l)
			}
		}
	}
	for len(b) > 0 {
		num, typ, v, data, rest, _ := field(b) // well-formed: checked above
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType: // decoded above
		case num == 7 && typ == protowire.BytesType && !seenTable:
			seenTable = true
			req.Table = new(LeadTable)
			if !fastTable(data, req.Table, sl) {
				return false
			}
		case num == 2 && typ == protowire.BytesType:
			if !utf8.Valid(data) {
				return false
			}
			req.Model = string(data)
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

// count returns the number of fields numbered num in the message b, and
// false when b is malformed.
func count(b []byte, num protowire.Number) (int, bool) {
	n := 0
	for len(b) > 0 {
		f, _, _, _, rest, ok := field(b)
		if !ok {
			return 0, false
		}
		b = rest
		if f == num {
			n++
		}
	}
	return n, true
}

// packedLen returns the number of varints in the packed field data.
func packedLen(data []byte) int {
	n := 0
	for _, c := range data {
		if c < 0x80 {
			n++
		}
	}
	return n
}

// appendVarints appends the packed (BytesType) or single (VarintType)
// varints of one field occurrence to dst, each converted by conv; a new
// dst for packed varints is taken from a (allocated when a is nil).
func appendVarints[T any](dst []T, typ protowire.Type, v uint64, data []byte, conv func(uint64) T, a *arena[T]) ([]T, bool) {
	if typ == protowire.VarintType {
		return append(dst, conv(v)), true
	}
	if typ != protowire.BytesType {
		return nil, false
	}
	if dst == nil {
		dst = takeEmpty(a, packedLen(data))
	}
	for len(data) > 0 {
		x, n := protowire.ConsumeVarint(data)
		if n < 0 {
			return nil, false
		}
		dst = append(dst, conv(x))
		data = data[n:]
	}
	return dst, true
}

func zigzag(v uint64) int64    { return protowire.DecodeZigZag(v) }
func toUint32(v uint64) uint32 { return uint32(v) }
func toBool(v uint64) bool     { return v != 0 }

// tableStrings hands out a table's strings. Without slabs they are
// substrings of one copy of the table's bytes (in, whose bytes b are
// base). With slabs, only the bytes of its strings are copied, in the
// order the decoder meets them (gatherTableStrings), and each string is
// the next piece of that copy, checked against its bytes.
type tableStrings struct {
	in   string
	base []byte // nil: sequential
	cur  int
}

func (s *tableStrings) get(data []byte) (string, bool) {
	if s.base != nil {
		return str(data, s.in, s.base)
	}
	if !utf8.Valid(data) || len(s.in)-s.cur < len(data) {
		return "", false
	}
	v := s.in[s.cur : s.cur+len(data)]
	if v != string(data) { // the order differs from gatherTableStrings': fall back
		return "", false
	}
	s.cur += len(data)
	return v, true
}

// gatherTableStrings appends to dst the bytes of the LeadTable b's
// strings in the order fastTable decodes them: ids, and column names,
// column strings and event type names as their messages come.
func gatherTableStrings(dst, b []byte) ([]byte, bool) {
	for len(b) > 0 {
		num, typ, _, data, rest, ok := field(b)
		if !ok {
			return nil, false
		}
		b = rest
		if typ != protowire.BytesType {
			continue
		}
		var inner protowire.Number // the string field of a column or events message
		switch num {
		case 1:
			dst = append(dst, data...)
			continue
		case 3:
			inner = 3
		case 4:
			inner = 4
		default:
			continue
		}
		for q := data; len(q) > 0; {
			n, t, _, d, r, ok := field(q)
			if !ok {
				return nil, false
			}
			q = r
			if t == protowire.BytesType && (n == inner || (inner == 3 && n == 1)) {
				dst = append(dst, d...)
			}
		}
	}
	return dst, true
}

// fastTable decodes a LeadTable, with its columns and their values carved
// from sl (allocated when sl is nil).
func fastTable(b []byte, t *LeadTable, sl *DecodeSlabs) bool {
	nIDs, ok := count(b, 1)
	if !ok {
		return false
	}
	nCols, _ := count(b, 3)
	ts := &tableStrings{in: "", base: b}
	if sl == nil {
		ts.in = string(b) // the table's strings are substrings of this copy
	} else {
		if sl.text, ok = gatherTableStrings(sl.text[:0], b); !ok {
			return false
		}
		ts.in, ts.base = string(sl.text), nil
	}
	var cols []Column
	if sl == nil {
		t.Ids = takeEmpty[string](nil, nIDs)
		cols, t.Columns = take[Column](nil, nCols), takeEmpty[*Column](nil, nCols)
	} else {
		t.Ids = takeEmpty(&sl.strs, nIDs)
		cols, t.Columns = take(&sl.cols, nCols), takeEmpty(&sl.colPtrs, nCols)
	}
	seenEvents := false
	for p := b; len(p) > 0; {
		num, typ, v, data, rest, _ := field(p)
		p = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			s, ok := ts.get(data)
			if !ok {
				return false
			}
			t.Ids = append(t.Ids, s)
		case num == 2:
			if t.CreatedAtMicros, ok = appendVarints(t.CreatedAtMicros, typ, v, data, zigzag, sl.i64s()); !ok {
				return false
			}
		case num == 3 && typ == protowire.BytesType:
			c := &cols[0]
			cols = cols[1:]
			if !fastColumn(data, c, ts, sl) {
				return false
			}
			t.Columns = append(t.Columns, c)
		case num == 4 && typ == protowire.BytesType && !seenEvents:
			seenEvents = true
			t.Events = new(EventColumns)
			if !fastEventColumns(data, t.Events, ts, sl) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fastColumn decodes a Column.
func fastColumn(b []byte, c *Column, ts *tableStrings, sl *DecodeSlabs) bool {
	nStr, ok := count(b, 3)
	if !ok {
		return false
	}
	if sl == nil {
		c.Strings = takeEmpty[string](nil, nStr)
	} else {
		c.Strings = takeEmpty(&sl.strs, nStr)
	}
	for len(b) > 0 {
		num, typ, v, data, rest, _ := field(b)
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			if c.Name, ok = ts.get(data); !ok {
				return false
			}
		case num == 2 && typ == protowire.Fixed64Type:
			c.Numbers = append(c.Numbers, math.Float64frombits(v))
		case num == 2 && typ == protowire.BytesType:
			if len(data)%8 != 0 {
				return false
			}
			if c.Numbers == nil {
				if sl == nil {
					c.Numbers = takeEmpty[float64](nil, len(data)/8)
				} else {
					c.Numbers = takeEmpty(&sl.numbers, len(data)/8)
				}
			}
			for ; len(data) > 0; data = data[8:] {
				x, _ := protowire.ConsumeFixed64(data)
				c.Numbers = append(c.Numbers, math.Float64frombits(x))
			}
		case num == 3 && typ == protowire.BytesType:
			s, ok := ts.get(data)
			if !ok {
				return false
			}
			c.Strings = append(c.Strings, s)
		case num == 4:
			if c.Bools, ok = appendVarints(c.Bools, typ, v, data, toBool, sl.boolArena()); !ok {
				return false
			}
		case num == 5:
			if c.TimestampsMicros, ok = appendVarints(c.TimestampsMicros, typ, v, data, zigzag, sl.i64s()); !ok {
				return false
			}
		case num == 6:
			if c.MissingRows, ok = appendVarints(c.MissingRows, typ, v, data, toUint32, sl.u32s()); !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fastEventColumns decodes an EventColumns.
func fastEventColumns(b []byte, e *EventColumns, ts *tableStrings, sl *DecodeSlabs) bool {
	nNames, ok := count(b, 4)
	if !ok {
		return false
	}
	if sl == nil {
		e.TypeNames = takeEmpty[string](nil, nNames)
	} else {
		e.TypeNames = takeEmpty(&sl.strs, nNames)
	}
	for len(b) > 0 {
		num, typ, v, data, rest, _ := field(b)
		b = rest
		switch {
		case num == 1:
			if e.Rows, ok = appendVarints(e.Rows, typ, v, data, toUint32, sl.u32s()); !ok {
				return false
			}
		case num == 2:
			if e.Types, ok = appendVarints(e.Types, typ, v, data, toUint32, sl.u32s()); !ok {
				return false
			}
		case num == 3:
			if e.TsMicros, ok = appendVarints(e.TsMicros, typ, v, data, zigzag, sl.i64s()); !ok {
				return false
			}
		case num == 4 && typ == protowire.BytesType:
			s, ok := ts.get(data)
			if !ok {
				return false
			}
			e.TypeNames = append(e.TypeNames, s)
		default:
			return false
		}
	}
	return true
}
