package leadscorev1

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// Constructors for the four kinds of Attribute, so that a Go caller writes
//
//	lead.Attributes = append(lead.Attributes,
//		leadscorev1.StringAttribute("industry", "saas"),
//		leadscorev1.NumberAttribute("employees", 120))
//
// instead of taking the address of each value. Hand-written: `make proto`
// leaves this file alone.

// NumberAttribute returns a numeric attribute.
func NumberAttribute(name string, v float64) *Attribute {
	return &Attribute{Name: name, NumberValue: &v}
}

// StringAttribute returns a categorical or text attribute.
func StringAttribute(name, v string) *Attribute {
	return &Attribute{Name: name, StringValue: &v}
}

// BoolAttribute returns a boolean attribute.
func BoolAttribute(name string, v bool) *Attribute {
	return &Attribute{Name: name, BoolValue: &v}
}

// TimestampAttribute returns a timestamp attribute.
func TimestampAttribute(name string, v time.Time) *Attribute {
	return &Attribute{Name: name, TimestampValue: timestamppb.New(v)}
}

// Attribute returns the lead's attribute named name, or nil. It scans the
// list: fine for the few look-ups a server makes per lead.
func (x *Lead) Attribute(name string) *Attribute {
	for _, a := range x.GetAttributes() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// SetAttribute sets a on the lead: it replaces the attribute of the same
// name, or appends a.
func (x *Lead) SetAttribute(a *Attribute) {
	for i, b := range x.Attributes {
		if b.GetName() == a.GetName() {
			x.Attributes[i] = a
			return
		}
	}
	x.Attributes = append(x.Attributes, a)
}

// WithName sets a's name and returns a, for building attributes from
// value-only helpers.
func (x *Attribute) WithName(name string) *Attribute {
	x.Name = name
	return x
}

// ValueCount is the number of value fields set on x: 0 for a missing
// value, 1 for a valid attribute; more is INVALID_ARGUMENT.
func (x *Attribute) ValueCount() int {
	n := 0
	for _, set := range [...]bool{x.NumberValue != nil, x.StringValue != nil, x.BoolValue != nil, x.TimestampValue != nil} {
		if set {
			n++
		}
	}
	return n
}
