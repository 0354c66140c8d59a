package features

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

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
	s, n := ts.GetSeconds(), ts.GetNanos()
	if s < minTimestampSeconds || s > maxTimestampSeconds || n < 0 || n >= 1e9 {
		return 0, fmt.Errorf("invalid timestamp (seconds %d, nanos %d)", s, n)
	}
	return s*1_000_000 + int64(n)/1000, nil
}

// leadRow reads one proto Lead for encode.
type leadRow struct {
	t    *Transformer
	lead *leadscorev1.Lead
	asOf int64 // µs; math.MaxInt64 when unset
}

func (r *leadRow) read(_ int, in *rowInput, w *Warnings) error {
	t, lead := r.t, r.lead
	in.cutoff = 0 // not used unless t.needCut
	if t.needCut {
		if lead.GetCreatedAt() == nil {
			return &FieldError{Field: "created_at", Err: ErrMissingValue}
		}
		created, err := micros(lead.GetCreatedAt())
		if err != nil {
			return &FieldError{Field: "created_at", Err: err}
		}
		in.cutoff = created + t.horizon
	}
	attrs := lead.GetAttributes()
	matched := 0
	for slot := range t.nattr {
		f, c := &t.feats[slot], &in.cells[slot]
		c.ok = false
		v, ok := attrs[f.Source]
		if !ok {
			continue
		}
		matched++
		if err := readAttr(f, v, c); err != nil {
			return err
		}
	}
	if col := t.spec.Cutoff.Column; col != "" {
		if v, ok := attrs[col]; ok {
			matched++
			if err := r.readCutoff(col, v, in); err != nil {
				return err
			}
		}
	}
	if matched < len(attrs) && w != nil {
		first := len(w.msgs)
		for name := range attrs {
			if _, ok := t.attrIndex[name]; !ok && !t.known[name] {
				w.addf("unknown attribute %q ignored", name)
			}
		}
		slices.Sort(w.msgs[first:]) // map order is random
	}
	if t.needCut && r.asOf < in.cutoff {
		in.cutoff = r.asOf
	}
	in.own = in.own[:0]
	unknown, firstUnknown := 0, ""
	for i, e := range lead.GetEvents() {
		if e == nil {
			return &FieldError{Field: fmt.Sprintf("events[%d]", i), Err: ErrMissingValue}
		}
		if e.GetType() == "" {
			return &FieldError{Field: fmt.Sprintf("events[%d].type", i), Err: ErrMissingValue}
		}
		if e.GetTs() == nil {
			return &FieldError{Field: fmt.Sprintf("events[%d].ts", i), Err: ErrMissingValue}
		}
		ts, err := micros(e.GetTs())
		if err != nil {
			return &FieldError{Field: fmt.Sprintf("events[%d].ts", i), Err: err}
		}
		if e.Value != nil && w != nil {
			if v := *e.Value; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				w.addf("events[%d].value: %v ignored", i, v)
			}
		}
		typ := t.lookupType(e.GetType())
		if typ < 0 {
			if unknown++; unknown == 1 {
				firstUnknown = e.GetType()
			}
		}
		in.own = append(in.own, evRec{ts: ts, typ: typ})
	}
	if unknown > 0 && w != nil {
		w.addf("%d events of unknown types ignored (first %q)", unknown, firstUnknown)
	}
	in.events = in.own
	return nil
}

// readAttr reads one attribute value into c, checking its type.
func readAttr(f *featState, v *leadscorev1.Value, c *cell) error {
	if v.GetKind() == nil {
		return nil // missing
	}
	name := f.Source
	switch f.Kind {
	case KindNumeric:
		x, ok := v.GetKind().(*leadscorev1.Value_NumberValue)
		if !ok {
			return badKind(name, "a number", v)
		}
		c.ok, c.f = true, x.NumberValue
	case KindCategorical:
		x, ok := v.GetKind().(*leadscorev1.Value_StringValue)
		if !ok {
			return badKind(name, "a string", v)
		}
		c.ok, c.f = true, float64(f.levelCode(x.StringValue))
	case KindBoolean:
		x, ok := v.GetKind().(*leadscorev1.Value_BoolValue)
		if !ok {
			return badKind(name, "a bool", v)
		}
		c.ok, c.f = true, 0
		if x.BoolValue {
			c.f = 1
		}
	case KindTimestamp:
		x, ok := v.GetKind().(*leadscorev1.Value_TimestampValue)
		if !ok {
			return badKind(name, "a timestamp", v)
		}
		if x.TimestampValue == nil {
			return nil
		}
		us, err := micros(x.TimestampValue)
		if err != nil {
			return &FieldError{Field: fmt.Sprintf("attributes[%q]", name), Err: err}
		}
		c.ok, c.t = true, us
	}
	return nil
}

func (r *leadRow) readCutoff(name string, v *leadscorev1.Value, in *rowInput) error {
	if v.GetKind() == nil {
		return nil
	}
	x, ok := v.GetKind().(*leadscorev1.Value_TimestampValue)
	if !ok {
		return badKind(name, "a timestamp", v)
	}
	if x.TimestampValue == nil {
		return nil
	}
	us, err := micros(x.TimestampValue)
	if err != nil {
		return &FieldError{Field: fmt.Sprintf("attributes[%q]", name), Err: err}
	}
	in.cutoff = us
	return nil
}

// A FieldError reports a field that makes an API lead unusable. Field is
// relative to the lead: "created_at", `attributes["employees"]`,
// "events[3].type".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func badKind(name, want string, v *leadscorev1.Value) error {
	var got string
	switch x := v.GetKind().(type) {
	case *leadscorev1.Value_NumberValue:
		got = "number " + strconv.FormatFloat(x.NumberValue, 'g', -1, 64)
	case *leadscorev1.Value_StringValue:
		got = "string " + strconv.Quote(truncate(x.StringValue))
	case *leadscorev1.Value_BoolValue:
		got = "bool " + strconv.FormatBool(x.BoolValue)
	case *leadscorev1.Value_TimestampValue:
		got = "timestamp " + x.TimestampValue.String()
	}
	return &FieldError{Field: fmt.Sprintf("attributes[%q]", name), Err: fmt.Errorf("want %s, got %s", want, got)}
}

// TransformLead writes the tree view of one lead into dst, which must have
// length Width(). The cut-off is the lead's (created_at + horizon, or the
// explicit cut-off attribute), or asOf if that is earlier; a zero asOf
// means no limit. Problems that make the lead unusable are errors naming
// the field (created_at, attributes["x"], events[i].type) as a *FieldError; the others are
// added to warn, which may be nil. See the package doc for the full list.
// It panics if len(dst) != Width().
func (t *Transformer) TransformLead(lead *leadscorev1.Lead, asOf time.Time, dst []float64, warn *Warnings) error {
	if len(dst) != len(t.feats) {
		panic(fmt.Sprintf("features: TransformLead: dst has length %d, want %d", len(dst), len(t.feats)))
	}
	if lead == nil {
		return &FieldError{Field: "lead", Err: ErrMissingValue}
	}
	r := leadRow{t: t, lead: lead, asOf: math.MaxInt64}
	if !asOf.IsZero() {
		r.asOf = asOf.UnixMicro()
	}
	in := t.scratch.Get().(*rowInput)
	err := t.row(&r, 0, in, dst, warn)
	in.events = nil
	t.scratch.Put(in)
	return err
}
