package data

import (
	"fmt"
	"math"
	"time"
)

// Type is the logical type of a Column.
type Type uint8

// The column types. Integers and decimals are widened to Float; strings are
// dictionary-encoded; timestamps are microseconds since the Unix epoch, UTC.
const (
	Float Type = iota + 1
	String
	Bool
	Time
)

// String returns the type's name as used in messages and specs.
func (t Type) String() string {
	switch t {
	case Float:
		return "float"
	case String:
		return "string"
	case Bool:
		return "bool"
	case Time:
		return "timestamp"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// A Column is one named, typed column of a Table. Exactly one of the value
// slices is used, chosen by Type, and it has one entry per row. Valid marks
// the rows that hold a value; a nil Valid means every row does. The value
// stored at a null row is the zero value (NaN for Float).
type Column struct {
	Name string
	Type Type

	Valid []bool

	Floats []float64 // Float
	Codes  []int32   // String: index into Dict; -1 at null rows
	Dict   []string  // String: distinct values, in first-seen order
	Bools  []bool    // Bool
	Times  []int64   // Time: microseconds since 1970-01-01T00:00:00Z
}

// Len returns the number of rows in c.
func (c *Column) Len() int {
	switch c.Type {
	case Float:
		return len(c.Floats)
	case String:
		return len(c.Codes)
	case Bool:
		return len(c.Bools)
	case Time:
		return len(c.Times)
	}
	return 0
}

// IsNull reports whether row i holds no value.
func (c *Column) IsNull(i int) bool { return c.Valid != nil && !c.Valid[i] }

// NullCount returns the number of null rows.
func (c *Column) NullCount() int {
	if c.Valid == nil {
		return 0
	}
	n := 0
	for _, v := range c.Valid {
		if !v {
			n++
		}
	}
	return n
}

// Str returns row i of a String column, and false if it is null.
func (c *Column) Str(i int) (string, bool) {
	if c.IsNull(i) || c.Codes[i] < 0 {
		return "", false
	}
	return c.Dict[c.Codes[i]], true
}

// TimeAt returns row i of a Time column, and false if it is null.
func (c *Column) TimeAt(i int) (time.Time, bool) {
	if c.IsNull(i) {
		return time.Time{}, false
	}
	return time.UnixMicro(c.Times[i]).UTC(), true
}

// Format returns row i formatted for humans: "" for null, RFC 3339 for
// timestamps.
func (c *Column) Format(i int) string {
	if c.IsNull(i) {
		return ""
	}
	switch c.Type {
	case Float:
		return fmt.Sprint(c.Floats[i])
	case String:
		s, _ := c.Str(i)
		return s
	case Bool:
		return fmt.Sprint(c.Bools[i])
	case Time:
		t, _ := c.TimeAt(i)
		return t.Format(time.RFC3339Nano)
	}
	return ""
}

// NewFloatColumn returns a Float column. NaN values become nulls.
func NewFloatColumn(name string, v []float64) *Column {
	c := &Column{Name: name, Type: Float, Floats: v}
	for i, x := range v {
		if math.IsNaN(x) {
			if c.Valid == nil {
				c.Valid = allTrue(len(v))
			}
			c.Valid[i] = false
		}
	}
	return c
}

// NewStringColumn returns a dictionary-encoded String column. valid may be
// nil (no nulls).
func NewStringColumn(name string, v []string, valid []bool) *Column {
	c := &Column{Name: name, Type: String, Codes: make([]int32, len(v)), Valid: valid}
	index := make(map[string]int32)
	for i, s := range v {
		if valid != nil && !valid[i] {
			c.Codes[i] = -1
			continue
		}
		code, ok := index[s]
		if !ok {
			code = int32(len(c.Dict))
			index[s] = code
			c.Dict = append(c.Dict, s)
		}
		c.Codes[i] = code
	}
	return c
}

// NewBoolColumn returns a Bool column. valid may be nil (no nulls).
func NewBoolColumn(name string, v []bool, valid []bool) *Column {
	return &Column{Name: name, Type: Bool, Bools: v, Valid: valid}
}

// NewTimeColumn returns a Time column of microseconds since the epoch.
// valid may be nil (no nulls).
func NewTimeColumn(name string, v []int64, valid []bool) *Column {
	return &Column{Name: name, Type: Time, Times: v, Valid: valid}
}

func allTrue(n int) []bool {
	v := make([]bool, n)
	for i := range v {
		v[i] = true
	}
	return v
}

// A Table is a set of equally long columns with unique names, in order.
type Table struct {
	Rows    int
	Columns []*Column
}

// NewTable returns a table of the given columns, which must all have the
// same length and distinct names.
func NewTable(cols ...*Column) (*Table, error) {
	t := &Table{}
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		if seen[c.Name] {
			return nil, fmt.Errorf("table: duplicate column %q", c.Name)
		}
		seen[c.Name] = true
		if i == 0 {
			t.Rows = c.Len()
		} else if c.Len() != t.Rows {
			return nil, fmt.Errorf("table: column %q has %d rows, want %d", c.Name, c.Len(), t.Rows)
		}
		if c.Valid != nil && len(c.Valid) != c.Len() {
			return nil, fmt.Errorf("table: column %q has %d validity flags for %d rows", c.Name, len(c.Valid), c.Len())
		}
	}
	t.Columns = cols
	return t, nil
}

// Col returns the column with the given name, or nil.
func (t *Table) Col(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Names returns the column names in order.
func (t *Table) Names() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Take returns the rows idx of t, in that order, as a new table. String
// columns share their dictionaries with t.
func (t *Table) Take(idx []int) *Table {
	cols := make([]*Column, len(t.Columns))
	for k, c := range t.Columns {
		n := &Column{Name: c.Name, Type: c.Type, Dict: c.Dict}
		if c.Valid != nil {
			n.Valid = take(c.Valid, idx)
		}
		switch c.Type {
		case Float:
			n.Floats = take(c.Floats, idx)
		case String:
			n.Codes = take(c.Codes, idx)
		case Bool:
			n.Bools = take(c.Bools, idx)
		case Time:
			n.Times = take(c.Times, idx)
		}
		cols[k] = n
	}
	return &Table{Rows: len(idx), Columns: cols}
}

func take[T any](v []T, idx []int) []T {
	out := make([]T, len(idx))
	for j, i := range idx {
		out[j] = v[i]
	}
	return out
}
