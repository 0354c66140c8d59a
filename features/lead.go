package features

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"

	leadscorev1 "leadscore/proto/leadscore/v1"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// Warnings collects non-fatal problems with one input. A nil *Warnings
// discards them. Adding nothing allocates nothing.
type Warnings struct {
	msgs []string
}

func (w *Warnings) addf(format string, args ...any) {
	w.msgs = append(w.msgs, fmt.Sprintf(format, args...))
}

// Len returns the number of warnings.
func (w *Warnings) Len() int { return len(w.msgs) }

// List returns the warnings in the order they were found. The caller may
// not modify it.
func (w *Warnings) List() []string { return w.msgs }

// Reset empties w, keeping its storage.
func (w *Warnings) Reset() { w.msgs = w.msgs[:0] }

// The valid range of google.protobuf.Timestamp: 0001-01-01 to 9999-12-31.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// micros converts a protobuf timestamp to µs since the epoch, as the data
// package stores times (sub-microsecond digits are dropped).
func micros(ts *timestamppb.Timestamp) (int64, error) {
	us, ok := microsOK(ts)
	if !ok {
		return 0, fmt.Errorf("invalid timestamp (seconds %d, nanos %d)", ts.GetSeconds(), ts.GetNanos())
	}
	return us, nil
}

// microsOK is micros reporting an invalid timestamp as false; ts must not
// be nil. It is small enough to inline into the event loop.
func microsOK(ts *timestamppb.Timestamp) (int64, bool) {
	s, n := ts.Seconds, ts.Nanos
	// One unsigned compare each: s outside [min, max], n outside [0, 1e9).
	if uint64(s-minTimestampSeconds) > maxTimestampSeconds-minTimestampSeconds || uint32(n) >= 1e9 {
		return 0, false
	}
	return s*1_000_000 + int64(uint32(n)/1000), true // n ≥ 0: unsigned division is cheaper
}

// readLead reads one proto Lead into in for encode: the attribute cells,
// the cut-off and the events. asOf is in µs, math.MaxInt64 when unset. It
// is the lead path's counterpart of tableRows.read.
func (t *Transformer) readLead(lead *leadscorev1.Lead, asOf int64, in *rowInput, w *Warnings) error {
	in.cutoff = 0 // not used unless t.needCut
	if t.needCut {
		if lead.CreatedAt == nil {
			return &FieldError{Field: "created_at", Err: ErrMissingValue}
		}
		created, err := micros(lead.CreatedAt)
		if err != nil {
			return &FieldError{Field: "created_at", Err: err}
		}
		in.cutoff = created + t.horizon
	}
	cells := in.cells[:t.nattr]
	for i := range cells {
		cells[i].ok = false
	}
	names, words, slots := t.leadNames, t.leadWords[:len(t.leadNames)], t.leadSlot[:len(t.leadNames)]
	memo := in.names[:len(names)]
	// seen marks the names already read, by position in names, to reject
	// a repeated name; on the stack for ≤ 256 names.
	var seenBuf [4]uint64
	seen := seenBuf[:]
	if len(names) > len(seenBuf)*64 {
		seen = make([]uint64, len(names)/64+1)
	}
	attrs := lead.Attributes
	// unknown holds the indices of the attributes with a name not in
	// names, for unknownAttrs; on the stack for the usual few. dupIgnored
	// is the index of the first repeat of an ignored name, which is
	// reported (as the reader before the names table did) only after the
	// other attributes are read and the unknown names before it warned
	// about.
	var unknownBuf [16]int32
	unknownAttrs := unknownBuf[:0]
	dupIgnored := -1
	nattr := int32(t.nattr)
	next := 0 // clients send attributes in spec order: guess the name after the last
	for k, a := range attrs {
		name := a.GetName()
		var p int32
		switch {
		case next < len(names) && len(memo[next]) == len(name) && unsafe.StringData(memo[next]) == unsafe.StringData(name) && name != "":
			p = int32(next) // the string of the last lead's name there
		case next < len(names) && len(names[next]) == len(name) &&
			(len(name) <= 16 && wordsOf(name) == words[next] || len(name) > 16 && names[next] == name):
			p = int32(next)
			memo[p] = name
		default:
			if p = t.leadTab.get(name); p < 0 {
				if name == "" {
					return &FieldError{Field: fmt.Sprintf("attributes[%d].name", k), Err: ErrMissingValue}
				}
				unknownAttrs = append(unknownAttrs, int32(k))
				continue
			}
			memo[p] = name
		}
		next = int(p) + 1
		slot := slots[p]
		word, bit := uint32(p)/64, uint64(1)<<(uint32(p)%64)
		if seen[word]&bit != 0 {
			if slot == ignoredSlot {
				if dupIgnored < 0 {
					dupIgnored = k
				}
				continue
			}
			return &FieldError{Field: attrField(name), Err: ErrDuplicateAttribute}
		}
		seen[word] |= bit
		switch {
		case slot < nattr:
			f, c := &t.feats[slot], &cells[slot]
			if f.Kind == KindNumeric && a.NumberValue != nil && a.StringValue == nil && a.BoolValue == nil && a.TimestampValue == nil {
				c.ok, c.f = true, *a.NumberValue // readAttr's first case, without the call
				continue
			}
			if err := readAttr(f, a, c); err != nil {
				return err
			}
		case slot == nattr:
			if err := readCutoff(name, a, in); err != nil {
				return err
			}
		}
	}
	if len(unknownAttrs) > 0 || dupIgnored >= 0 {
		if err := t.unknownAttrs(attrs, unknownAttrs, dupIgnored, w); err != nil {
			return err
		}
	}
	if t.needCut && asOf < in.cutoff {
		in.cutoff = asOf
	}
	own := in.own[:0]
	unknown, firstUnknown := 0, ""
	for i, e := range lead.Events {
		if e == nil {
			return &FieldError{Field: fmt.Sprintf("events[%d]", i), Err: ErrMissingValue}
		}
		if e.Type == "" {
			return &FieldError{Field: fmt.Sprintf("events[%d].type", i), Err: ErrMissingValue}
		}
		if e.Ts == nil {
			return &FieldError{Field: fmt.Sprintf("events[%d].ts", i), Err: ErrMissingValue}
		}
		ts, ok := microsOK(e.Ts)
		if !ok {
			_, err := micros(e.Ts)
			return &FieldError{Field: fmt.Sprintf("events[%d].ts", i), Err: err}
		}
		if e.Value != nil && w != nil {
			if v := *e.Value; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				w.addf("events[%d].value: %v ignored", i, v)
			}
		}
		typ := t.lookupType(e.Type)
		if typ < 0 {
			if unknown++; unknown == 1 {
				firstUnknown = e.Type
			}
		}
		own = append(own, evRec{ts: ts, typ: typ})
	}
	in.own, in.events = own, own
	if unknown > 0 && w != nil {
		w.addf("%d events of unknown types ignored (first %q)", unknown, firstUnknown)
	}
	return nil
}

// ErrSeveralValues marks an attribute with more than one value field set.
var ErrSeveralValues = errors.New("more than one value set")

// readAttr reads one attribute value into c, checking its type.
func readAttr(f *featState, v *leadscorev1.Attribute, c *cell) error {
	// Fast path: exactly the value field of f's kind is set.
	switch f.Kind {
	case KindNumeric:
		if v.NumberValue != nil && v.StringValue == nil && v.BoolValue == nil && v.TimestampValue == nil {
			c.ok, c.f = true, *v.NumberValue
			return nil
		}
	case KindCategorical:
		if v.StringValue != nil && v.NumberValue == nil && v.BoolValue == nil && v.TimestampValue == nil {
			c.ok, c.f = true, float64(f.leadLevelCode(*v.StringValue))
			return nil
		}
	case KindBoolean:
		if v.BoolValue != nil && v.NumberValue == nil && v.StringValue == nil && v.TimestampValue == nil {
			c.ok, c.f = true, 0
			if *v.BoolValue {
				c.f = 1
			}
			return nil
		}
	}
	return readAttrSlow(f, v, c)
}

// readAttrSlow is readAttr for every case: a missing value, several
// values, a value of the wrong kind, and timestamps.
func readAttrSlow(f *featState, v *leadscorev1.Attribute, c *cell) error {
	name := f.Source
	switch v.ValueCount() {
	case 0:
		return nil // missing
	case 1:
	default:
		return &FieldError{Field: attrField(name), Err: ErrSeveralValues}
	}
	switch f.Kind {
	case KindNumeric:
		if v.NumberValue == nil {
			return badKind(name, "a number", v)
		}
		c.ok, c.f = true, *v.NumberValue
	case KindCategorical:
		if v.StringValue == nil {
			return badKind(name, "a string", v)
		}
		c.ok, c.f = true, float64(f.leadLevelCode(*v.StringValue))
	case KindBoolean:
		if v.BoolValue == nil {
			return badKind(name, "a bool", v)
		}
		c.ok, c.f = true, 0
		if *v.BoolValue {
			c.f = 1
		}
	case KindTimestamp:
		if v.TimestampValue == nil {
			return badKind(name, "a timestamp", v)
		}
		us, err := micros(v.TimestampValue)
		if err != nil {
			return &FieldError{Field: attrField(name), Err: err}
		}
		c.ok, c.t = true, us
	}
	return nil
}

func readCutoff(name string, v *leadscorev1.Attribute, in *rowInput) error {
	switch v.ValueCount() {
	case 0:
		return nil
	case 1:
	default:
		return &FieldError{Field: attrField(name), Err: ErrSeveralValues}
	}
	if v.TimestampValue == nil {
		return badKind(name, "a timestamp", v)
	}
	us, err := micros(v.TimestampValue)
	if err != nil {
		return &FieldError{Field: attrField(name), Err: err}
	}
	in.cutoff = us
	return nil
}

// attrField is the FieldError.Field of the attribute named name.
func attrField(name string) string { return fmt.Sprintf("attributes[%q]", name) }

// unknownAttrs handles the attributes attrs[unknown[...]] whose names the
// transformer does not know, and the first repeat of an ignored name,
// attrs[dupIgnored] (none when −1): the first repeated name, among the
// unknown ones or of an ignored one, is an error; the unknown names
// before it are warned about, in order of appearance.
func (t *Transformer) unknownAttrs(attrs []*leadscorev1.Attribute, unknown []int32, dupIgnored int, w *Warnings) error {
	for j, k := range unknown {
		if dupIgnored >= 0 && int(k) > dupIgnored {
			break
		}
		name := attrs[k].GetName()
		for _, i := range unknown[:j] {
			if attrs[i].GetName() == name {
				return &FieldError{Field: attrField(name), Err: ErrDuplicateAttribute}
			}
		}
		if w != nil {
			w.addf("unknown attribute %q ignored", name)
		}
	}
	if dupIgnored >= 0 {
		return &FieldError{Field: attrField(attrs[dupIgnored].GetName()), Err: ErrDuplicateAttribute}
	}
	return nil
}

// ErrDuplicateAttribute marks an attribute name given twice in one lead.
var ErrDuplicateAttribute = errors.New("duplicate attribute")

// A FieldError reports a field that makes an API lead unusable. Field is
// relative to the lead: "created_at", `attributes["employees"]`,
// "events[3].type".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func badKind(name, want string, v *leadscorev1.Attribute) error {
	var got string
	switch {
	case v.NumberValue != nil:
		got = "number " + strconv.FormatFloat(*v.NumberValue, 'g', -1, 64)
	case v.StringValue != nil:
		got = "string " + strconv.Quote(truncate(*v.StringValue))
	case v.BoolValue != nil:
		got = "bool " + strconv.FormatBool(*v.BoolValue)
	case v.TimestampValue != nil:
		got = "timestamp " + v.TimestampValue.String()
	}
	return &FieldError{Field: attrField(name), Err: fmt.Errorf("want %s, got %s", want, got)}
}

// TransformLead writes the tree view of one lead into dst, which must have
// length Width(). The cut-off is the lead's (created_at + horizon, or the
// explicit cut-off attribute), or asOf if that is earlier; a zero asOf
// means no limit. Problems that make the lead unusable are errors naming
// the field (created_at, attributes["x"], events[i].type) as a *FieldError; the others are
// added to warn, which may be nil. See the package doc for the full list;
// besides it, an attribute without a name (attributes[3].name: missing),
// a name given twice (ErrDuplicateAttribute) and an attribute with more
// than one value set (ErrSeveralValues) are errors. Unknown attributes are
// warned about in the order they come. Any order of the attributes gives
// the same vector; the order of the spec's columns is the fastest, and a
// lead whose names are the very strings of the lead read before (as the
// gRPC decoder gives the leads of a batch) skips comparing their bytes.
// It panics if len(dst) != Width().
func (t *Transformer) TransformLead(lead *leadscorev1.Lead, asOf time.Time, dst []float64, warn *Warnings) error {
	if len(dst) != len(t.feats) {
		panic(fmt.Sprintf("features: TransformLead: dst has length %d, want %d", len(dst), len(t.feats)))
	}
	if lead == nil {
		return &FieldError{Field: "lead", Err: ErrMissingValue}
	}
	asOfUs := int64(math.MaxInt64)
	if !asOf.IsZero() {
		asOfUs = asOf.UnixMicro()
	}
	in := t.scratch.Get().(*rowInput)
	err := t.readLead(lead, asOfUs, in, warn)
	if err == nil {
		t.encode(in, dst, warn)
	}
	in.events = nil
	t.scratch.Put(in)
	return err
}
