package predict

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// TestValidateAttributesWithPrev is the property test of the batch
// shortcut of validateAttributes: given the attributes of a lead that
// passed (prev), a lead is judged exactly as without them (the same error,
// or none), whether it sends prev's names in prev's order (the same
// strings or copies), a prefix, another order, an empty or repeated name
// from some position on, a nil attribute, two values, or a malformed
// timestamp.
func TestValidateAttributesWithPrev(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	bad := func(field, msg string) error { return &fieldError{path: "leads", index: 1, field: field, msg: msg} }
	names := []string{"num00", "num01", "cat0", "flag1", "crm07", "é-ü", "a", "b"}
	outcomes := map[bool]int{}
	for range 20000 {
		var prev []*leadscorev1.Attribute
		for _, k := range rng.Perm(len(names))[:rng.IntN(len(names)+1)] {
			prev = append(prev, leadscorev1.NumberAttribute(names[k], 1))
		}
		if validateAttributes(&leadscorev1.Lead{Attributes: prev}, nil, bad) != nil {
			t.Fatal("prev does not pass")
		}
		var attrs []*leadscorev1.Attribute
		for _, a := range prev {
			name := a.GetName()
			if rng.IntN(2) == 0 {
				name = string([]byte(name)) // a copy: the same bytes elsewhere
			}
			attrs = append(attrs, leadscorev1.StringAttribute(name, "x"))
		}
		switch rng.IntN(8) {
		case 0: // a prefix
			attrs = attrs[:rng.IntN(len(attrs)+1)]
		case 1: // another order
			rng.Shuffle(len(attrs), func(i, j int) { attrs[i], attrs[j] = attrs[j], attrs[i] })
		case 2: // one more
			attrs = append(attrs, leadscorev1.BoolAttribute(names[rng.IntN(len(names))], true))
		}
		if len(attrs) > 0 {
			k := rng.IntN(len(attrs))
			switch rng.IntN(7) {
			case 0:
				attrs[k] = leadscorev1.NumberAttribute("", 1)
			case 1:
				attrs[k] = leadscorev1.NumberAttribute(attrs[rng.IntN(len(attrs))].GetName(), 2)
			case 2:
				attrs[k] = nil
			case 3:
				attrs[k] = proto.CloneOf(attrs[k])
				attrs[k].BoolValue = proto.Bool(true)
			case 4:
				attrs[k] = proto.CloneOf(attrs[k])
				attrs[k].StringValue = nil
				attrs[k].TimestampValue = &timestamppb.Timestamp{Nanos: -1}
			}
		}
		l := &leadscorev1.Lead{Attributes: slices.Clip(attrs)}
		want := validateAttributes(l, nil, bad)
		got := validateAttributes(l, prev, bad)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("with prev %v: %v, want %v\nlead %v", prev, got, want, l)
		}
		outcomes[want == nil]++
	}
	if outcomes[true] < 2000 || outcomes[false] < 2000 {
		t.Errorf("%d valid and %d invalid leads of 20000, want ≥ 2000 each", outcomes[true], outcomes[false])
	}
}
