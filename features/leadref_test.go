package features

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	leadscorev1 "leadscore/proto/leadscore/v1"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// refLeadRow is the straightforward lead reader TransformLead replaced
// (attribute slots and levels from the maps, one event type lookup in the
// map, every attribute through ValueCount), kept as the oracle of
// TestTransformLeadMatchesReference.
type refLeadRow struct {
	t    *Transformer
	lead *leadscorev1.Lead
	asOf int64
}

func refMicros(ts *timestamppb.Timestamp) (int64, error) {
	s, n := ts.GetSeconds(), ts.GetNanos()
	if s < minTimestampSeconds || s > maxTimestampSeconds || n < 0 || n >= 1e9 {
		return 0, fmt.Errorf("invalid timestamp (seconds %d, nanos %d)", s, n)
	}
	return s*1_000_000 + int64(n)/1000, nil
}

func (r *refLeadRow) read(_ int, in *rowInput, w *Warnings) error {
	t, lead := r.t, r.lead
	in.cutoff = 0
	if t.needCut {
		if lead.GetCreatedAt() == nil {
			return &FieldError{Field: "created_at", Err: ErrMissingValue}
		}
		created, err := refMicros(lead.GetCreatedAt())
		if err != nil {
			return &FieldError{Field: "created_at", Err: err}
		}
		in.cutoff = created + t.horizon
	}
	for slot := range t.nattr {
		in.cells[slot].ok = false
	}
	seen := map[int32]bool{}
	cutCol := t.spec.Cutoff.Column
	attrs := lead.GetAttributes()
	var unknownAttrs []int32
	for k, a := range attrs {
		name := a.GetName()
		slot, ok := t.attrIndex[name]
		switch {
		case ok:
		case cutCol != "" && name == cutCol:
			slot = int32(t.nattr)
		default:
			if name == "" {
				return &FieldError{Field: fmt.Sprintf("attributes[%d].name", k), Err: ErrMissingValue}
			}
			unknownAttrs = append(unknownAttrs, int32(k))
			continue
		}
		if seen[slot] {
			return &FieldError{Field: attrField(name), Err: ErrDuplicateAttribute}
		}
		seen[slot] = true
		if int(slot) == t.nattr {
			if err := refReadCutoff(name, a, in); err != nil {
				return err
			}
			continue
		}
		if err := refReadAttr(&t.feats[slot], a, &in.cells[slot]); err != nil {
			return err
		}
	}
	if len(unknownAttrs) > 0 {
		if err := refUnknownAttrs(t, attrs, unknownAttrs, w); err != nil {
			return err
		}
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
		ts, err := refMicros(e.GetTs())
		if err != nil {
			return &FieldError{Field: fmt.Sprintf("events[%d].ts", i), Err: err}
		}
		if e.Value != nil && w != nil {
			if v := *e.Value; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				w.addf("events[%d].value: %v ignored", i, v)
			}
		}
		typ, ok := t.typeIndex[e.GetType()]
		if !ok {
			typ = -1
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

// refUnknownAttrs is the handling of the attributes attrs[unknown[...]]
// without a slot (unknown and known non-feature names alike) before the
// lead path looked up known names too: a name repeated among them is an
// error; the others are warned about (unless the spec lists them as
// known), in order of appearance.
func refUnknownAttrs(t *Transformer, attrs []*leadscorev1.Attribute, unknown []int32, w *Warnings) error {
	for j, k := range unknown {
		name := attrs[k].GetName()
		for _, i := range unknown[:j] {
			if attrs[i].GetName() == name {
				return &FieldError{Field: attrField(name), Err: ErrDuplicateAttribute}
			}
		}
		if w != nil && !t.known[name] {
			w.addf("unknown attribute %q ignored", name)
		}
	}
	return nil
}

func refReadAttr(f *featState, v *leadscorev1.Attribute, c *cell) error {
	name := f.Source
	switch v.ValueCount() {
	case 0:
		return nil
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
		c.ok, c.f = true, float64(f.levelCode(*v.StringValue))
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
		us, err := refMicros(v.TimestampValue)
		if err != nil {
			return &FieldError{Field: attrField(name), Err: err}
		}
		c.ok, c.t = true, us
	}
	return nil
}

func refReadCutoff(name string, v *leadscorev1.Attribute, in *rowInput) error {
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
	us, err := refMicros(v.TimestampValue)
	if err != nil {
		return &FieldError{Field: attrField(name), Err: err}
	}
	in.cutoff = us
	return nil
}

// refTransformLead is TransformLead through refLeadRow.
func refTransformLead(t *Transformer, lead *leadscorev1.Lead, asOf time.Time, dst []float64, w *Warnings) error {
	r := refLeadRow{t: t, lead: lead, asOf: math.MaxInt64}
	if !asOf.IsZero() {
		r.asOf = asOf.UnixMicro()
	}
	return t.row(&r, 0, t.newInput(), dst, w)
}

// mutateLead makes l harder: shuffled attributes, and now and then a
// duplicate, unnamed, nil, unknown, multi-valued, wrongly typed or badly
// timed attribute, a bad created_at, and bad or odd events.
func mutateLead(r *rand.Rand, l *leadscorev1.Lead) {
	pick := func() *leadscorev1.Attribute {
		if len(l.Attributes) == 0 {
			return nil
		}
		return l.Attributes[r.IntN(len(l.Attributes))]
	}
	badTs := []*timestamppb.Timestamp{{Seconds: 1, Nanos: -1}, {Seconds: 1, Nanos: 1e9}, {Seconds: 1 << 60}, {Seconds: -1 << 60},
		{Seconds: maxTimestampSeconds, Nanos: 999_999_999}, {Seconds: minTimestampSeconds}, {Seconds: -1, Nanos: 999}}
	for range r.IntN(3) {
		switch r.IntN(14) {
		case 0: // duplicate of a known name, any value
			if a := pick(); a != nil {
				l.Attributes = append(l.Attributes, leadscorev1.NumberAttribute(a.GetName(), 1))
			}
		case 1:
			l.Attributes = append(l.Attributes, leadscorev1.NumberAttribute("", 1))
		case 2:
			l.Attributes = append(l.Attributes, nil)
		case 3: // unknown names, possibly repeated, possibly a prefix or extension of a known one
			for _, n := range []string{"shoe_size", "hat", "shoe_size", "employee", "employeesx", "scored_a", "source "}[r.IntN(7):] {
				l.Attributes = append(l.Attributes, leadscorev1.StringAttribute(n, "x"))
				if r.IntN(2) == 0 {
					break
				}
			}
		case 4: // a second value
			if a := pick(); a != nil {
				s := "two"
				a.StringValue = &s
				if a.StringValue != nil && a.NumberValue == nil && a.BoolValue == nil && a.TimestampValue == nil {
					a.BoolValue = proto.Bool(true)
				}
			}
		case 5: // the wrong kind
			if a := pick(); a != nil {
				a.NumberValue, a.StringValue, a.BoolValue, a.TimestampValue = nil, nil, nil, nil
				switch r.IntN(4) {
				case 0:
					a.NumberValue = proto.Float64(2)
				case 1:
					a.StringValue = proto.String("saas")
				case 2:
					a.BoolValue = proto.Bool(false)
				default:
					a.TimestampValue = timestamppb.New(day0)
				}
			}
		case 6: // a bad or extreme timestamp on a timestamp attribute or created_at
			ts := badTs[r.IntN(len(badTs))]
			switch r.IntN(3) {
			case 0:
				l.SetAttribute(&leadscorev1.Attribute{Name: "last_seen", TimestampValue: ts})
			case 1:
				l.SetAttribute(&leadscorev1.Attribute{Name: "scored_at", TimestampValue: ts})
			default:
				l.CreatedAt = ts
			}
		case 7:
			l.CreatedAt = nil
		case 8:
			l.Events = append(l.Events, nil)
		case 9:
			l.Events = append(l.Events, &leadscorev1.Event{Ts: timestamppb.New(day0)})
		case 10:
			l.Events = append(l.Events, &leadscorev1.Event{Type: "email_open"})
		case 11:
			l.Events = append(l.Events, &leadscorev1.Event{Type: "email_open", Ts: badTs[r.IntN(len(badTs))]})
		case 12: // event values, some warned about
			for _, e := range l.Events {
				if e != nil && r.IntN(3) == 0 {
					e.Value = proto.Float64([]float64{math.NaN(), -1, 2, math.Inf(1)}[r.IntN(4)])
				}
			}
		default: // events of unknown types, and names close to known ones
			for _, n := range []string{"tweet", "email_ope", "email_openx", "Email_open", "webinar"}[r.IntN(5):] {
				l.Events = append(l.Events, &leadscorev1.Event{Type: n, Ts: timestamppb.New(day0.Add(days(r.Float64()*20 - 10)))})
			}
		}
	}
	if r.IntN(4) > 0 {
		r.Shuffle(len(l.Attributes), func(i, j int) { l.Attributes[i], l.Attributes[j] = l.Attributes[j], l.Attributes[i] })
	}
}

// TestTransformLeadMatchesReference: on random leads, clean and broken in
// the ways mutateLead picks, with attributes in spec order or shuffled,
// TransformLead gives what the straightforward reader gives: the same
// error text, the same warnings in the same order, and (without an error)
// a bit-identical vector. It runs on a transformer with events and one
// without (which used to panic on a lead with events).
func TestTransformLeadMatchesReference(t *testing.T) {
	withEvents, _, _ := fittedFixture(t, 800, 1)
	noEvents, _, _ := fittedFixture(t, 300, 1)
	spec := noEvents.Spec()
	spec.Events = nil
	noEvents, err := newSkeleton(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	outcomes := map[string]int{}
	for _, tr := range []*Transformer{withEvents, noEvents} {
		got, want := make([]float64, tr.Width()), make([]float64, tr.Width())
		var gotW, wantW Warnings
		for i := range 3000 {
			g := randLead(r, i, true)
			l := g.proto()
			mutateLead(r, l)
			var asOf time.Time
			if r.IntN(4) == 0 {
				asOf = day0.Add(days(r.Float64()*400 - 20))
			}
			gotW.Reset()
			wantW.Reset()
			for j := range got {
				got[j], want[j] = -1, -1
			}
			gotErr := tr.TransformLead(l, asOf, got, &gotW)
			wantErr := refTransformLead(tr, l, asOf, want, &wantW)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("lead %d: error %v, want %v\n%v", i, gotErr, wantErr, l)
			}
			if !slices.Equal(gotW.List(), wantW.List()) {
				t.Fatalf("lead %d: warnings %q, want %q\n%v", i, gotW.List(), wantW.List(), l)
			}
			switch {
			case gotErr != nil:
				outcomes["error"]++
				continue
			case gotW.Len() > 0:
				outcomes["warning"]++
			default:
				outcomes["clean"]++
			}
			for j, f := range tr.Features() {
				if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
					t.Fatalf("lead %d: %s = %v, want %v\n%v", i, f.Name, got[j], want[j], l)
				}
			}
		}
	}
	// Each kind of outcome must be common, or the test proves little.
	for _, k := range []string{"error", "warning", "clean"} {
		if outcomes[k] < 300 {
			t.Errorf("%d leads with outcome %q of 6000, want ≥ 300 (%v)", outcomes[k], k, outcomes)
		}
	}
}

// TestShuffledAttributes: the order of a lead's attributes does not
// change its vector, nor its error when it has one problem; its warnings
// are the same up to order (unknown attributes are warned about in the
// order they come).
func TestShuffledAttributes(t *testing.T) {
	tr, _, _ := fittedFixture(t, 800, 1)
	r := rand.New(rand.NewPCG(8, 9))
	want, got := make([]float64, tr.Width()), make([]float64, tr.Width())
	var wantW, gotW Warnings
	checked := 0
	for i := range 500 {
		g := randLead(r, i, true)
		l := g.proto()
		if i%2 == 1 { // one problem: a wrongly typed or duplicate feature attribute
			// (a repeated non-feature name is found among the unknown
			// names, after the warnings for those before it)
			a := l.Attributes[r.IntN(len(l.Attributes))]
			for _, ok := tr.attrIndex[a.GetName()]; !ok; _, ok = tr.attrIndex[a.GetName()] {
				a = l.Attributes[r.IntN(len(l.Attributes))]
			}
			if r.IntN(2) == 0 {
				l.Attributes = append(l.Attributes, proto.CloneOf(a))
			} else {
				a.NumberValue, a.StringValue, a.BoolValue, a.TimestampValue = nil, nil, proto.Bool(true), nil
			}
		}
		wantW.Reset()
		wantErr := tr.TransformLead(l, time.Time{}, want, &wantW)
		for range 5 {
			r.Shuffle(len(l.Attributes), func(i, j int) { l.Attributes[i], l.Attributes[j] = l.Attributes[j], l.Attributes[i] })
			gotW.Reset()
			gotErr := tr.TransformLead(l, time.Time{}, got, &gotW)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("lead %d shuffled: error %v, want %v", i, gotErr, wantErr)
			}
			if gw, ww := slices.Sorted(slices.Values(gotW.List())), slices.Sorted(slices.Values(wantW.List())); !slices.Equal(gw, ww) {
				t.Fatalf("lead %d shuffled: warnings %q, want %q; err %v, %v\n%v", i, gw, ww, gotErr, wantErr, l)
			}
			if wantErr != nil {
				continue
			}
			checked++
			for j := range got {
				if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
					t.Fatalf("lead %d shuffled: feature %d = %v, want %v", i, j, got[j], want[j])
				}
			}
		}
	}
	if checked < 500 {
		t.Fatalf("%d shuffled vectors compared, want ≥ 500", checked)
	}
}
