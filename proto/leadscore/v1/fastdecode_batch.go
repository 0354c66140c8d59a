package leadscorev1

import (
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// UnmarshalPredictBatchRequest decodes b into req (which it resets)
// exactly as proto.Unmarshal does, as UnmarshalPredictRequest does for
// one request: each lead as there, and a LeadTable with one slab of
// columns and its strings (ids, categorical values, event type names) as
// substrings of one copy of the table's bytes instead of one allocation
// each. Anything it does not expect makes it fall back to proto.Unmarshal.
func UnmarshalPredictBatchRequest(b []byte, req *PredictBatchRequest) error {
	req.Reset()
	if fastPredictBatchRequest(b, req) {
		return nil
	}
	req.Reset()
	return proto.Unmarshal(b, req)
}

func fastPredictBatchRequest(b []byte, req *PredictBatchRequest) bool {
	var seenTable, seenAsOf bool
	nLeads := 0
	for p := b; len(p) > 0; {
		num, typ, _, _, rest, ok := field(p)
		if !ok {
			return false
		}
		p = rest
		if num == 1 && typ == protowire.BytesType {
			nLeads++
		}
	}
	var leads []Lead
	if nLeads > 0 {
		leads, req.Leads = make([]Lead, nLeads), make([]*Lead, 0, nLeads)
	}
	for len(b) > 0 {
		num, typ, v, data, rest, _ := field(b) // well-formed: checked above
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			l := &leads[0]
			leads = leads[1:]
			if !fastLead(data, l) {
				return false
			}
			req.Leads = append(req.Leads, l)
		case num == 7 && typ == protowire.BytesType && !seenTable:
			seenTable = true
			req.Table = new(LeadTable)
			if !fastTable(data, req.Table) {
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
// varints of one field occurrence to dst, each converted by conv.
func appendVarints[T any](dst []T, typ protowire.Type, v uint64, data []byte, conv func(uint64) T) ([]T, bool) {
	if typ == protowire.VarintType {
		return append(dst, conv(v)), true
	}
	if typ != protowire.BytesType {
		return nil, false
	}
	if dst == nil {
		dst = make([]T, 0, packedLen(data))
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

// fastTable decodes a LeadTable.
func fastTable(b []byte, t *LeadTable) bool {
	nIDs, ok := count(b, 1)
	if !ok {
		return false
	}
	nCols, _ := count(b, 3)
	in := string(b) // the table's strings are substrings of this copy
	if nIDs > 0 {
		t.Ids = make([]string, 0, nIDs)
	}
	var cols []Column
	if nCols > 0 {
		cols, t.Columns = make([]Column, nCols), make([]*Column, 0, nCols)
	}
	seenEvents := false
	for p := b; len(p) > 0; {
		num, typ, v, data, rest, _ := field(p)
		p = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			s, ok := str(data, in, b)
			if !ok {
				return false
			}
			t.Ids = append(t.Ids, s)
		case num == 2:
			if t.CreatedAtMicros, ok = appendVarints(t.CreatedAtMicros, typ, v, data, zigzag); !ok {
				return false
			}
		case num == 3 && typ == protowire.BytesType:
			c := &cols[0]
			cols = cols[1:]
			if !fastColumn(data, c, in, b) {
				return false
			}
			t.Columns = append(t.Columns, c)
		case num == 4 && typ == protowire.BytesType && !seenEvents:
			seenEvents = true
			t.Events = new(EventColumns)
			if !fastEventColumns(data, t.Events, in, b) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fastColumn decodes a Column whose bytes b lie in base, of which in is
// a string copy.
func fastColumn(b []byte, c *Column, in string, base []byte) bool {
	nStr, ok := count(b, 3)
	if !ok {
		return false
	}
	if nStr > 0 {
		c.Strings = make([]string, 0, nStr)
	}
	for len(b) > 0 {
		num, typ, v, data, rest, _ := field(b)
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			if c.Name, ok = str(data, in, base); !ok {
				return false
			}
		case num == 2 && typ == protowire.Fixed64Type:
			c.Numbers = append(c.Numbers, math.Float64frombits(v))
		case num == 2 && typ == protowire.BytesType:
			if len(data)%8 != 0 {
				return false
			}
			if c.Numbers == nil {
				c.Numbers = make([]float64, 0, len(data)/8)
			}
			for ; len(data) > 0; data = data[8:] {
				x, _ := protowire.ConsumeFixed64(data)
				c.Numbers = append(c.Numbers, math.Float64frombits(x))
			}
		case num == 3 && typ == protowire.BytesType:
			s, ok := str(data, in, base)
			if !ok {
				return false
			}
			c.Strings = append(c.Strings, s)
		case num == 4:
			if c.Bools, ok = appendVarints(c.Bools, typ, v, data, toBool); !ok {
				return false
			}
		case num == 5:
			if c.TimestampsMicros, ok = appendVarints(c.TimestampsMicros, typ, v, data, zigzag); !ok {
				return false
			}
		case num == 6:
			if c.MissingRows, ok = appendVarints(c.MissingRows, typ, v, data, toUint32); !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// fastEventColumns decodes an EventColumns.
func fastEventColumns(b []byte, e *EventColumns, in string, base []byte) bool {
	var ok bool
	for len(b) > 0 {
		num, typ, v, data, rest, _ := field(b)
		b = rest
		switch {
		case num == 1:
			if e.Rows, ok = appendVarints(e.Rows, typ, v, data, toUint32); !ok {
				return false
			}
		case num == 2:
			if e.Types, ok = appendVarints(e.Types, typ, v, data, toUint32); !ok {
				return false
			}
		case num == 3:
			if e.TsMicros, ok = appendVarints(e.TsMicros, typ, v, data, zigzag); !ok {
				return false
			}
		case num == 4 && typ == protowire.BytesType:
			s, ok := str(data, in, base)
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
