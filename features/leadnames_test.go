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
)

// TestKnownNamesMatchReference: the lead path looks up the names a lead
// may send without a warning (features, the cut-off column and the other
// known names, such as the label and the spec's ignored columns) in one
// table, and reports a repeated ignored name after reading the other
// attributes, as the reader that collected them with the unknown names
// did. On random leads with known, unknown and repeated names mixed with
// wrongly typed and repeated features, in spec order or shuffled,
// TransformLead gives the reference reader's error text, warnings (in
// order) and vector.
func TestKnownNamesMatchReference(t *testing.T) {
	tr, _, _ := fittedFixture(t, 300, 1)
	var ignored []string // known names that are neither features nor the cut-off column
	for name := range tr.known {
		if _, ok := tr.attrIndex[name]; !ok && name != "" && name != tr.spec.Cutoff.Column {
			ignored = append(ignored, name)
		}
	}
	slices.Sort(ignored)
	if len(ignored) < 2 {
		t.Fatalf("ignored names %q: want at least 2 for the test to mean something", ignored)
	}
	unknown := []string{"shoe_size", "hat", ignored[0] + "x", "Outcome"}
	r := rand.New(rand.NewPCG(31, 32))
	got, want := make([]float64, tr.Width()), make([]float64, tr.Width())
	var gotW, wantW Warnings
	outcomes := map[string]int{}
	for i := range 4000 {
		g := randLead(r, i, true)
		l := g.proto()
		for range r.IntN(5) {
			var a *leadscorev1.Attribute
			switch r.IntN(5) {
			case 0, 1:
				a = leadscorev1.StringAttribute(ignored[r.IntN(len(ignored))], "x")
			case 2:
				a = leadscorev1.NumberAttribute(unknown[r.IntN(len(unknown))], 1)
			case 3: // a repeated or wrongly typed feature
				if len(l.Attributes) > 0 {
					a = proto.CloneOf(l.Attributes[r.IntN(len(l.Attributes))])
					if r.IntN(2) == 0 {
						a.NumberValue, a.StringValue, a.BoolValue, a.TimestampValue = nil, nil, proto.Bool(true), nil
						l.Attributes = slices.DeleteFunc(l.Attributes, func(b *leadscorev1.Attribute) bool { return b.GetName() == a.GetName() })
					}
				}
			default:
				a = &leadscorev1.Attribute{Name: ignored[r.IntN(len(ignored))]} // no value
			}
			if a != nil {
				l.Attributes = slices.Insert(l.Attributes, r.IntN(len(l.Attributes)+1), a)
			}
		}
		if r.IntN(3) == 0 {
			r.Shuffle(len(l.Attributes), func(i, j int) { l.Attributes[i], l.Attributes[j] = l.Attributes[j], l.Attributes[i] })
		}
		gotW.Reset()
		wantW.Reset()
		gotErr := tr.TransformLead(l, time.Time{}, got, &gotW)
		wantErr := refTransformLead(tr, l, time.Time{}, want, &wantW)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("lead %d: error %v, want %v\n%v", i, gotErr, wantErr, l)
		}
		if !slices.Equal(gotW.List(), wantW.List()) {
			t.Fatalf("lead %d: warnings %q, want %q\n%v", i, gotW.List(), wantW.List(), l)
		}
		switch {
		case gotErr != nil && gotW.Len() > 0:
			outcomes["error after warnings"]++
		case gotErr != nil:
			outcomes["error"]++
		case gotW.Len() > 0:
			outcomes["warning"]++
		default:
			outcomes["clean"]++
		}
		if gotErr != nil {
			continue
		}
		for j := range got {
			if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
				t.Fatalf("lead %d: feature %d = %v, want %v\n%v", i, j, got[j], want[j], l)
			}
		}
	}
	for _, k := range []string{"error after warnings", "error", "warning", "clean"} {
		if outcomes[k] < 200 {
			t.Errorf("%d leads with outcome %q of 4000, want ≥ 200 (%v)", outcomes[k], k, outcomes)
		}
	}
}
