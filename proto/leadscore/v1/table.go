package leadscorev1

import (
	"fmt"
	"math"
)

// NewLeadTable builds the LeadTable of leads, for a Go caller that has its
// leads as messages: columns in order of first appearance, each typed by
// its first value, with the rows that lack the attribute (or leave it
// unset) listed in missing_rows; events keep their order. A value of
// another type than its column's first, a repeated attribute name, or a
// lead without created_at is an error naming the lead. Event values are
// not carried (the models do not read them).
func NewLeadTable(leads []*Lead) (*LeadTable, error) {
	n := len(leads)
	t := &LeadTable{Ids: make([]string, n), CreatedAtMicros: make([]int64, n), Events: &EventColumns{}}
	col := map[string]*Column{}
	typeIndex := map[string]uint32{}
	for i, l := range leads {
		t.Ids[i] = l.GetId()
		if l.GetCreatedAt() == nil {
			return nil, fmt.Errorf("leads[%d].created_at: missing", i)
		}
		t.CreatedAtMicros[i] = l.GetCreatedAt().AsTime().UnixMicro()
		for _, a := range l.GetAttributes() {
			c, ok := col[a.GetName()]
			if !ok {
				c = &Column{Name: a.GetName()}
				col[c.Name] = c
				t.Columns = append(t.Columns, c)
				for r := range i { // rows before the first appearance
					c.MissingRows = append(c.MissingRows, uint32(r))
				}
			}
			if columnLen(c) > i {
				return nil, fmt.Errorf("leads[%d].attributes[%q]: duplicate attribute", i, a.GetName())
			}
			if err := appendValue(c, a, i); err != nil {
				return nil, fmt.Errorf("leads[%d].attributes[%q]: %w", i, a.GetName(), err)
			}
		}
		for _, c := range t.Columns { // attributes this lead lacks
			if columnLen(c) == i {
				if err := appendValue(c, &Attribute{}, i); err != nil {
					return nil, err
				}
			}
		}
		for _, e := range l.GetEvents() {
			k, ok := typeIndex[e.GetType()]
			if !ok {
				k = uint32(len(t.Events.TypeNames))
				typeIndex[e.GetType()] = k
				t.Events.TypeNames = append(t.Events.TypeNames, e.GetType())
			}
			t.Events.Rows = append(t.Events.Rows, uint32(i))
			t.Events.Types = append(t.Events.Types, k)
			t.Events.TsMicros = append(t.Events.TsMicros, e.GetTs().AsTime().UnixMicro())
		}
	}
	kept := t.Columns[:0]
	for _, c := range t.Columns {
		if len(c.MissingRows) < n { // a column missing everywhere is left out
			kept = append(kept, c)
		}
	}
	t.Columns = kept
	return t, nil
}

// columnLen is the number of rows filled in c so far.
func columnLen(c *Column) int {
	return max(len(c.Numbers), len(c.Strings), len(c.Bools), len(c.TimestampsMicros), lastMissing(c))
}

func lastMissing(c *Column) int {
	if len(c.MissingRows) == 0 {
		return 0
	}
	return int(c.MissingRows[len(c.MissingRows)-1]) + 1
}

// appendValue appends a's value as row i of c; an unset value appends a
// placeholder and marks the row missing.
func appendValue(c *Column, a *Attribute, i int) error {
	kind := 0 // of the column: 1 numbers, 2 strings, 3 bools, 4 timestamps
	switch {
	case len(c.Numbers) > 0:
		kind = 1
	case len(c.Strings) > 0:
		kind = 2
	case len(c.Bools) > 0:
		kind = 3
	case len(c.TimestampsMicros) > 0:
		kind = 4
	}
	var got int
	switch {
	case a.NumberValue != nil:
		got = 1
	case a.StringValue != nil:
		got = 2
	case a.BoolValue != nil:
		got = 3
	case a.TimestampValue != nil:
		got = 4
	}
	if got == 0 {
		c.MissingRows = append(c.MissingRows, uint32(i))
		got = kind
	} else if kind != 0 && got != kind {
		return fmt.Errorf("a value of another type than the column's")
	}
	if kind == 0 && got != 0 {
		// The first value: rows before it were placeholders for nothing.
		for range i {
			switch got {
			case 1:
				c.Numbers = append(c.Numbers, math.NaN())
			case 2:
				c.Strings = append(c.Strings, "")
			case 3:
				c.Bools = append(c.Bools, false)
			case 4:
				c.TimestampsMicros = append(c.TimestampsMicros, 0)
			}
		}
	}
	switch got {
	case 1:
		v := math.NaN()
		if a.NumberValue != nil {
			v = *a.NumberValue
		}
		c.Numbers = append(c.Numbers, v)
	case 2:
		c.Strings = append(c.Strings, a.GetStringValue())
	case 3:
		c.Bools = append(c.Bools, a.GetBoolValue())
	case 4:
		var us int64
		if a.TimestampValue != nil {
			us = a.TimestampValue.AsTime().UnixMicro()
		}
		c.TimestampsMicros = append(c.TimestampsMicros, us)
	}
	return nil
}
