package predict

import (
	"fmt"
	"strconv"

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
// created_at, events with a type and a well-formed ts, and well-formed
// timestamp attributes. Attribute types are the model's business.
func validateLead(l *leadscorev1.Lead, path string, index int) error {
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
	for name, v := range l.GetAttributes() {
		if name == "" {
			return bad(`attributes[""]`, "empty attribute name")
		}
		if ts, ok := v.GetKind().(*leadscorev1.Value_TimestampValue); ok {
			if err := ts.TimestampValue.CheckValid(); err != nil {
				return bad(fmt.Sprintf("attributes[%q]", name), "malformed timestamp: "+err.Error())
			}
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
