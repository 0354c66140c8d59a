package predict

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// A fieldError is a bad request field; it becomes INVALID_ARGUMENT with a
// message such as `leads[3].created_at: missing`. The path is built only
// when the error is formatted, so validation allocates nothing on success.
type fieldError struct {
	path  string // "lead" or "leads"; "" for request-level fields
	index int    // index into leads, or -1
	field string // relative to the lead, or the request-level field
	msg   string
}

func (e *fieldError) Error() string {
	prefix := e.path
	if e.index >= 0 {
		prefix += "[" + strconv.Itoa(e.index) + "]"
	}
	switch {
	case prefix == "":
		return e.field + ": " + e.msg
	case e.field == "":
		return prefix + ": " + e.msg
	}
	return prefix + "." + e.field + ": " + e.msg
}

// validateLead checks what every model relies on: an id, a well-formed
// created_at, events with a type and a well-formed ts, attributes with a
// name given at most once, and well-formed timestamp attributes. Attribute types are the model's business.
func validateLead(l *leadscorev1.Lead, path string, index int) error {
	return validateLeadAttrs(l, path, index, true, nil)
}

// validateLeadAttrs is validateLead, checking the attributes only when
// attrs: a lead expanded from a LeadTable has them well-formed by
// construction (leadsFromTable checked the columns: named, unique, one
// value kind, timestamps in range), so its checks would be wasted. prev
// are the attributes of a lead validated before (nil: none), whose names
// spare the check of the same names (see validateAttributes).
func validateLeadAttrs(l *leadscorev1.Lead, path string, index int, attrs bool, prev []*leadscorev1.Attribute) error {
	bad := func(field, msg string) error { return &fieldError{path: path, index: index, field: field, msg: msg} }
	if l == nil {
		return bad("", "missing")
	}
	if l.GetId() == "" {
		return bad("id", "missing")
	}
	if l.GetCreatedAt() == nil {
		return bad("created_at", "missing")
	}
	if err := l.GetCreatedAt().CheckValid(); err != nil {
		return bad("created_at", "malformed: "+err.Error())
	}
	if attrs {
		if err := validateAttributes(l, prev, bad); err != nil {
			return err
		}
	}
	for i, e := range l.GetEvents() {
		switch {
		case e == nil:
			return bad("events["+strconv.Itoa(i)+"]", "missing")
		case e.GetType() == "":
			return bad("events["+strconv.Itoa(i)+"].type", "missing")
		case e.GetTs() == nil:
			return bad("events["+strconv.Itoa(i)+"].ts", "missing")
		}
		if err := e.GetTs().CheckValid(); err != nil {
			return bad("events["+strconv.Itoa(i)+"].ts", "malformed: "+err.Error())
		}
	}
	return nil
}

// validateAttributes checks that every attribute has a name, at most once,
// at most one value, and that timestamp values are well-formed. Repeats are found with a
// 1024-bit set of name hashes on the stack; only a hash collision costs a
// scan of the names before it, so a valid lead allocates nothing.
//
// prev, when not nil, are the attributes of a lead that passed these
// checks: while the names are those of prev, in the same order (as the
// leads of a batch usually send them; the decoder then gives them the same
// strings, which compare at once), they are known to be present and
// distinct, and only the values are checked. The errors are the same.
func validateAttributes(l *leadscorev1.Lead, prev []*leadscorev1.Attribute, bad func(field, msg string) error) error {
	if u := l.ProtoReflect().GetUnknown(); len(u) > 0 && hasField(u, oldAttributesField) {
		return bad("attributes", "field 4 (the former map<string, Value> form) is no longer accepted: send repeated Attribute (field 6)")
	}
	attrs := l.GetAttributes()
	same := len(prev) == len(attrs) // the names so far are prev's
	var seen [16]uint64
	for k, a := range attrs {
		name := a.GetName()
		if same && name != prev[k].GetName() {
			same = false
			for _, b := range attrs[:k] { // present and distinct, as prev's
				h := nameHash(b.GetName())
				seen[h/64] |= 1 << (h % 64)
			}
		}
		if !same {
			if name == "" {
				return bad("attributes["+strconv.Itoa(k)+"].name", "missing")
			}
			h := nameHash(name)
			if seen[h/64]&(1<<(h%64)) != 0 {
				for _, b := range attrs[:k] {
					if b.GetName() == name {
						return bad(attrField(name), "duplicate attribute")
					}
				}
			}
			seen[h/64] |= 1 << (h % 64)
		}
		// a is not nil: its name is not empty.
		if ts := a.TimestampValue; ts != nil {
			if err := ts.CheckValid(); err != nil {
				return bad(attrField(name), "malformed timestamp: "+err.Error())
			}
		}
		if severalValues(a) {
			return bad(attrField(name), "more than one value set (number_value, string_value, bool_value and timestamp_value are exclusive)")
		}
	}
	return nil
}

// nameHash is the FNV-1a hash of name, modulo 1024.
func nameHash(name string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return h % 1024
}

// severalValues reports whether more than one value field of a is set
// (a.ValueCount() > 1, without its loop).
func severalValues(a *leadscorev1.Attribute) bool {
	n := 0
	if a.NumberValue != nil {
		n++
	}
	if a.StringValue != nil {
		n++
	}
	if a.BoolValue != nil {
		n++
	}
	if a.TimestampValue != nil {
		n++
	}
	return n > 1
}

// oldAttributesField is the number of the map<string, Value> attributes
// field that Lead had until 2026-11 (now reserved).
const oldAttributesField protowire.Number = 4

// hasField reports whether the raw (unknown) fields b hold field num.
func hasField(b []byte, num protowire.Number) bool {
	for len(b) > 0 {
		n, typ, m := protowire.ConsumeTag(b)
		if m < 0 {
			return false
		}
		if n == num {
			return true
		}
		b = b[m:]
		if m = protowire.ConsumeFieldValue(n, typ, b); m < 0 {
			return false
		}
		b = b[m:]
	}
	return false
}

func attrField(name string) string { return fmt.Sprintf("attributes[%q]", name) }
