package leadscorev1

import (
	"bytes"
	"encoding/binary"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// UnmarshalPredictRequest decodes b into req (which it resets) exactly as
// proto.Unmarshal does, with a handful of allocations per request instead
// of three or four per attribute: the lead's attributes, values, events
// and timestamps are carved from one slab each, and its strings (and the
// model and request id) are cut from one string holding a copy of their
// bytes alone, so one kept string keeps that copy (a few bytes per
// attribute) alive. Hand-written: `make proto` leaves this file alone.
//
// It reads the leads in two passes: the first counts what they take
// from the slabs and gathers their strings' bytes; the second fills the
// slabs in one go over each lead's bytes, reading the usual attribute (a
// short name, then a number, a bool or a short string) without protowire.
// In a batch, a lead whose attribute k has the name of attribute k of the
// lead before (as clients send them: the same names in the same order)
// gets that lead's string: no copy, no UTF-8 check, and one string for
// whoever compares names (features and predict shortcut on it).
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

// Wire bytes of the Lead and Attribute fields the decoder reads without
// protowire: (field number << 3) | wire type.
const (
	tagLeadAttribute = 6<<3 | byte(protowire.BytesType)   // Lead.attributes
	tagAttrName      = 1<<3 | byte(protowire.BytesType)   // Attribute.name
	tagAttrNumber    = 2<<3 | byte(protowire.Fixed64Type) // Attribute.number_value
	tagAttrString    = 3<<3 | byte(protowire.BytesType)   // Attribute.string_value
	tagAttrBool      = 4<<3 | byte(protowire.VarintType)  // Attribute.bool_value
)

// sharedNames is how many attribute positions the decoder remembers the
// names of (see decoder.name).
const sharedNames = 64

// A decoder decodes the leads of one request in one pass over their
// bytes, into slabs with room made for them, and strings cut from one
// copy of their bytes, by a first pass that only counts and gathers
// (leadScan).
type decoder struct {
	sl   *DecodeSlabs
	text string // the bytes of the strings, in the order they are met
	cur  int    // text[:cur] is handed out
	// names[k] is the name of attribute k of the last lead whose
	// attribute k had another name, so that a lead sending the names of
	// the one before it, in the same order, as the leads of a batch
	// usually do, gets the same strings (and nothing to copy or check).
	names [sharedNames]string
}

// leadScan is the first pass over the leads of a request: it counts what
// they take from the slabs, and gathers the bytes of the strings the
// decoder cuts from text, in the order it meets them.
type leadScan struct {
	attrs, events, numbers, strs, bools, ts int
	text                                    []byte
	// names is decoder.names, as the bytes of the names.
	names [sharedNames][]byte
}

// lead scans the Lead b; false when b is malformed. It reads only the
// tags and lengths of the lead's fields and of its attributes' name and
// value, and the fields of the other attributes and of events.
func (c *leadScan) lead(b []byte) bool {
	k := 0 // attributes so far
	// The counts of the usual attributes, in registers.
	attrs, numbers, bools, strs := 0, 0, 0, 0
	for i := 0; i < len(b); {
		if b[i] == tagLeadAttribute && i+1 < len(b) && b[i+1] < 0x80 && i+2+int(b[i+1]) <= len(b) {
			// The attribute b[s:e]. At a glance: a short name b[s+2:m],
			// then a number, a bool or a short string (as decoder.lead);
			// else field by field.
			s, e := i+2, i+2+int(b[i+1])
			i = e
			if e-s >= 2 && b[s] == tagAttrName && b[s+1] < 0x80 && s+2+int(b[s+1]) < e {
				m := s + 2 + int(b[s+1])
				switch t := b[m]; {
				case t == tagAttrNumber && e-m == 9:
					numbers++
				case t == tagAttrBool && e-m == 2 && b[m+1] < 0x80:
					bools++
				case t == tagAttrString && e-m >= 2 && b[m+1] < 0x80 && e-m == 2+int(b[m+1]):
					strs++
				default:
					goto fields
				}
				attrs++
				if k < len(c.names) {
					if name := b[s+2 : m]; !bytes.Equal(c.names[k], name) {
						c.names[k] = name
						c.text = append(c.text, name...)
					}
				} else {
					c.text = append(c.text, b[s+2:m]...)
				}
				if b[m] == tagAttrString { // after the name, as the decoder meets them
					c.text = append(c.text, b[m+2:e]...)
				}
				k++
				continue
			}
		fields:
			if !c.attr(b[s:e], k) {
				return false
			}
			k++
			continue
		}
		num, typ, _, data, rest, ok := field(b[i:])
		if !ok {
			return false
		}
		i = len(b) - len(rest)
		if typ != protowire.BytesType {
			continue // the decoder falls back
		}
		switch num {
		case 1, 2: // id, account_id
			c.text = append(c.text, data...)
		case 3:
			c.ts++
		case 5:
			if !c.event(data) {
				return false
			}
		case 6:
			if !c.attr(data, k) {
				return false
			}
			k++
		}
	}
	c.attrs += attrs
	c.numbers += numbers
	c.bools += bools
	c.strs += strs
	return true
}

// attr scans the Attribute b, the lead's attribute k, field by field.
func (c *leadScan) attr(b []byte, k int) bool {
	c.attrs++
	return c.fields(b, k)
}

// name gathers the name of the lead's attribute k unless the decoder
// reuses a string for it (decoder.name).
func (c *leadScan) name(data []byte, k int) {
	if k < len(c.names) {
		if bytes.Equal(c.names[k], data) {
			return
		}
		c.names[k] = data
	}
	c.text = append(c.text, data...)
}

// fields scans the Attribute b, the lead's attribute k, field by field.
func (c *leadScan) fields(b []byte, k int) bool {
	for len(b) > 0 {
		n, typ, _, data, rest, ok := field(b)
		if !ok {
			return false
		}
		b = rest
		switch {
		case n == 1 && typ == protowire.BytesType:
			c.name(data, k)
		case n == 2 && typ == protowire.Fixed64Type:
			c.numbers++
		case n == 3 && typ == protowire.BytesType:
			c.strs++
			c.text = append(c.text, data...)
		case n == 4 && typ == protowire.VarintType:
			c.bools++
		case n == 5 && typ == protowire.BytesType:
			c.ts++
		}
	}
	return true
}

// event scans the Event b.
func (c *leadScan) event(b []byte) bool {
	c.events++
	for len(b) > 0 {
		n, typ, _, data, rest, ok := field(b)
		if !ok {
			return false
		}
		b = rest
		switch {
		case n == 1 && typ == protowire.BytesType:
			c.text = append(c.text, data...)
		case n == 2 && typ == protowire.BytesType:
			c.ts++
		case n == 3 && typ == protowire.Fixed64Type:
			c.numbers++
		}
	}
	return true
}

// init sets d to decode the leads scanned by c into sl, or into slabs of
// their own when sl is nil, and makes room for them there.
func (d *decoder) init(sl *DecodeSlabs, c *leadScan) {
	if sl == nil {
		sl = new(DecodeSlabs)
	}
	sl.attrs.reserve(c.attrs)
	sl.attrPtrs.reserve(c.attrs)
	sl.events.reserve(c.events)
	sl.evPtrs.reserve(c.events)
	sl.numbers.reserve(c.numbers)
	sl.strs.reserve(c.strs)
	sl.bools.reserve(c.bools)
	sl.ts.reserve(c.ts)
	d.sl, d.text = sl, string(c.text)
	sl.text = c.text // to gather into next time (text is a copy)
}

// str returns the string of data, valid UTF-8: the next piece of text,
// which the scan gathered from data's bytes (false if it did not).
func (d *decoder) str(data []byte) (string, bool) {
	if len(data) == 0 {
		return "", true
	}
	if len(d.text)-d.cur < len(data) {
		return "", false
	}
	s := d.text[d.cur : d.cur+len(data)]
	if s != string(data) || !utf8.ValidString(s) {
		return "", false
	}
	d.cur += len(data)
	return s, true
}

// name is str for the name of the lead's attribute k: the name of
// attribute k of the lead before, when it has the same bytes (valid
// UTF-8, then, and the same string for whoever compares names).
func (d *decoder) name(data []byte, k int) (string, bool) {
	if s, ok := d.reused(data, k); ok {
		return s, true
	}
	return d.newName(data, k)
}

// reused returns the name of attribute k of the lead before when data
// has its bytes (small enough to inline: the usual case).
func (d *decoder) reused(data []byte, k int) (string, bool) {
	if k < len(d.names) && d.names[k] == string(data) {
		return d.names[k], true
	}
	return "", false
}

// newName is name for a name that is not reused: the next piece of text,
// remembered for the next lead.
func (d *decoder) newName(data []byte, k int) (string, bool) {
	s, ok := d.str(data)
	if ok && k < len(d.names) {
		d.names[k] = s
	}
	return s, ok
}

func fastPredictRequest(b []byte, req *PredictRequest, sl *DecodeSlabs) bool {
	var c leadScan
	if sl != nil {
		c.text = sl.text[:0]
	} else {
		c.text = make([]byte, 0, len(b)) // more than enough: one allocation
	}
	seenLead := false
	for p := b; len(p) > 0; {
		num, typ, _, data, rest, ok := field(p)
		if !ok {
			return false
		}
		p = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			if seenLead { // merged by proto: fall back
				return false
			}
			seenLead = true
			if !c.lead(data) {
				return false
			}
		case (num == 2 || num == 7) && typ == protowire.BytesType: // model, request_id
			c.text = append(c.text, data...)
		}
	}
	var d decoder
	d.init(sl, &c)
	var seenAsOf bool
	for len(b) > 0 {
		num, typ, v, data, rest, _ := field(b) // well-formed: checked above
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			req.Lead = &take(&d.sl.leads, 1)[0]
			if !d.lead(data, req.Lead) {
				return false
			}
		case (num == 2 || num == 7) && typ == protowire.BytesType:
			s, ok := d.str(data)
			if !ok {
				return false
			}
			if num == 2 {
				req.Model = s
			} else {
				req.RequestId = s
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

// lead decodes the Lead b into l, in one pass: its attributes and events
// are taken one at a time from the slabs, which d.reserve made room in,
// and their pointer lists are built in place at the end of the slabs'
// chunks. An attribute with a one-byte length and its usual fields (a
// one-byte name length, a number or a one-byte bool) is read without
// protowire.
func (d *decoder) lead(b []byte, l *Lead) bool {
	attrs, evs, ok := d.leadFields(b, l, d.sl.attrPtrs.open(), d.sl.evPtrs.open())
	// What was written is handed out even when the lead falls back, so
	// that Reset zeroes it (the slabs keep nothing past their length).
	l.Attributes, l.Events = d.sl.attrPtrs.close(attrs), d.sl.evPtrs.close(evs)
	return ok
}

// leadFields decodes the fields of the Lead b into l, appending its
// attributes and events to the open slices attrs and evs, which it
// returns, with false when the lead falls back.
func (d *decoder) leadFields(b []byte, l *Lead, attrs []*Attribute, evs []*Event) ([]*Attribute, []*Event, bool) {
	sl := d.sl
	seenCreated := false
	for len(b) > 0 {
		var data []byte
		if b[0] == tagLeadAttribute && len(b) >= 2 && b[1] < 0x80 && int(b[1]) <= len(b)-2 {
			data, b = b[2:2+int(b[1])], b[2+int(b[1]):]
		} else {
			num, typ, _, fd, rest, ok := field(b)
			if !ok || typ != protowire.BytesType {
				return attrs, evs, false
			}
			b = rest
			switch {
			case num == 6:
				data = fd
			case num == 1 || num == 2:
				s, ok := d.str(fd)
				if !ok {
					return attrs, evs, false
				}
				if num == 1 {
					l.Id = s
				} else {
					l.AccountId = s
				}
				continue
			case num == 3 && !seenCreated:
				seenCreated = true
				l.CreatedAt = sl.ts.one()
				if !fastTimestamp(fd, l.CreatedAt) {
					return attrs, evs, false
				}
				continue
			case num == 5:
				if len(evs) == cap(evs) { // more than counted: cannot happen
					return attrs, evs, false
				}
				e := sl.events.one()
				if !d.event(fd, e) {
					return attrs, evs, false
				}
				evs = append(evs, e)
				continue
			default:
				return attrs, evs, false
			}
		}
		if len(attrs) == cap(attrs) { // more than counted: cannot happen
			return attrs, evs, false
		}
		k := len(attrs)
		a := sl.attrs.one()
		// At a glance, as leadScan.attr: a short name, then a number, a
		// bool or a short string; else field by field.
		if len(data) >= 2 && data[0] == tagAttrName && data[1] < 0x80 && 2+int(data[1]) <= len(data) {
			m := 2 + int(data[1])
			v := data[m:]
			kind := 0 // of the value: 1 number, 2 bool, 3 short string
			switch {
			case len(v) == 9 && v[0] == tagAttrNumber:
				kind = 1
			case len(v) == 2 && v[0] == tagAttrBool && v[1] < 0x80:
				kind = 2
			case len(v) >= 2 && v[0] == tagAttrString && v[1] < 0x80 && len(v) == 2+int(v[1]):
				kind = 3
			}
			if kind != 0 {
				// d.name, written out: reused inlines.
				name, ok := d.reused(data[2:m], k)
				if !ok {
					if name, ok = d.newName(data[2:m], k); !ok {
						return attrs, evs, false
					}
				}
				a.Name = name
				switch kind {
				case 1:
					f := sl.numbers.one()
					*f = math.Float64frombits(binary.LittleEndian.Uint64(v[1:]))
					a.NumberValue = f
				case 2:
					t := sl.bools.one()
					*t = v[1] != 0
					a.BoolValue = t
				default:
					str, ok := d.str(v[2:])
					if !ok {
						return attrs, evs, false
					}
					p := sl.strs.one()
					*p = str
					a.StringValue = p
				}
				attrs = append(attrs, a)
				continue
			}
		}
		if !d.attr(data, a, k) {
			return attrs, evs, false
		}
		attrs = append(attrs, a)
	}
	return attrs, evs, true
}

// attr decodes the Attribute b, the lead's attribute k, into a.
func (d *decoder) attr(b []byte, a *Attribute, k int) bool {
	sl := d.sl
	seenTS := false
	for len(b) > 0 {
		switch c := b[0]; {
		case c == tagAttrName && len(b) >= 2 && b[1] < 0x80 && int(b[1]) <= len(b)-2:
			s, ok := d.name(b[2:2+int(b[1])], k)
			if !ok {
				return false
			}
			a.Name = s
			b = b[2+int(b[1]):]
			continue
		case c == tagAttrNumber && len(b) >= 9:
			f := sl.numbers.one()
			*f = math.Float64frombits(binary.LittleEndian.Uint64(b[1:9]))
			a.NumberValue = f
			b = b[9:]
			continue
		case c == tagAttrBool && len(b) >= 2 && b[1] < 0x80:
			v := sl.bools.one()
			*v = b[1] != 0
			a.BoolValue = v
			b = b[2:]
			continue
		}
		an, at, v, ad, r, ok := field(b)
		if !ok {
			return false
		}
		b = r
		switch {
		case an == 1 && at == protowire.BytesType:
			s, ok := d.name(ad, k)
			if !ok {
				return false
			}
			a.Name = s
		case an == 2 && at == protowire.Fixed64Type:
			f := sl.numbers.one()
			*f = math.Float64frombits(v)
			a.NumberValue = f
		case an == 3 && at == protowire.BytesType:
			s, ok := d.str(ad)
			if !ok {
				return false
			}
			p := sl.strs.one()
			*p = s
			a.StringValue = p
		case an == 4 && at == protowire.VarintType:
			p := sl.bools.one()
			*p = v != 0
			a.BoolValue = p
		case an == 5 && at == protowire.BytesType && !seenTS:
			seenTS = true
			a.TimestampValue = sl.ts.one()
			if !fastTimestamp(ad, a.TimestampValue) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// event decodes the Event b into e.
func (d *decoder) event(b []byte, e *Event) bool {
	seenTS := false
	for len(b) > 0 {
		num, typ, v, data, rest, ok := field(b)
		if !ok {
			return false
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			s, ok := d.str(data)
			if !ok {
				return false
			}
			e.Type = s
		case num == 2 && typ == protowire.BytesType && !seenTS:
			seenTS = true
			e.Ts = d.sl.ts.one()
			if !fastTimestamp(data, e.Ts) {
				return false
			}
		case num == 3 && typ == protowire.Fixed64Type:
			f := d.sl.numbers.one()
			*f = math.Float64frombits(v)
			e.Value = f
		default:
			return false
		}
	}
	return true
}
