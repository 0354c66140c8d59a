package data

import (
	"fmt"
	"slices"
	"time"
)

// Label values in LeadsSummary.Labels.
const (
	LabelOpen int8 = -1
	LabelLost int8 = 0
	LabelWon  int8 = 1
)

// DefaultMaxErrors is how many problems a validator reports before it stops
// listing them.
const DefaultMaxErrors = 20

// earliest is the earliest sane timestamp in an input file.
var earliest = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// LeadsContract names the columns of a leads table and the label values.
// See ARCHITECTURE.md, "Input data contract".
type LeadsContract struct {
	// ID is the lead id column: string, non-null, unique.
	ID string
	// Created is the creation timestamp column: non-null, not before 1990,
	// at most one day after Now.
	Created string
	// Label is the outcome column: a string column whose values are in
	// Positive, Negative or Open, or a bool column (true won, false lost,
	// null open).
	Label string
	// Positive, Negative and Open list the label values for won, lost and
	// still open leads.
	Positive, Negative, Open []string
	// Closed is the optional close timestamp column; when the table has it,
	// it must not be before Created. Empty means none.
	Closed string
	// Now is the reference time for "in the future"; zero means time.Now().
	Now time.Time
	// MaxErrors caps the problems reported. Default DefaultMaxErrors.
	MaxErrors int
}

// DefaultLeadsContract returns the contract of ARCHITECTURE.md: lead_id,
// created_at, outcome (won / lost / open) and an optional closed_at, with
// Now left zero (the time of validation).
func DefaultLeadsContract() LeadsContract {
	return LeadsContract{
		ID:       "lead_id",
		Created:  "created_at",
		Label:    "outcome",
		Positive: []string{"won"},
		Negative: []string{"lost"},
		Open:     []string{"open"},
		Closed:   "closed_at",
	}
}

// LeadsSummary describes a valid leads table.
type LeadsSummary struct {
	Rows            int
	Won, Lost, Open int
	// CreatedMin and CreatedMax bound the creation times (UTC).
	CreatedMin, CreatedMax time.Time
	// Labels has one entry per row: LabelWon, LabelLost or LabelOpen.
	Labels []int8
	// OpenRows lists the 0-based indexes of the open rows, ascending. Open
	// leads are never training rows.
	OpenRows []int
}

// ValidateLeads checks t against c and summarises it. file names the input
// in errors. It reports every problem found, up to c.MaxErrors, as
// *ColumnError values joined with errors.Join; the summary is nil when there
// is any.
func ValidateLeads(t *Table, file string, c LeadsContract) (*LeadsSummary, error) {
	v := newValidator(t, file, c.MaxErrors, c.Now)
	s := &LeadsSummary{Rows: t.Rows}

	if id := v.column(c.ID, String); id != nil {
		v.unique(id)
	}
	if created := v.column(c.Created, Time); created != nil {
		v.times(created, true)
		first := true
		for i, x := range created.Times {
			if created.IsNull(i) {
				continue
			}
			tm := time.UnixMicro(x).UTC()
			if first || tm.Before(s.CreatedMin) {
				s.CreatedMin = tm
			}
			if first || tm.After(s.CreatedMax) {
				s.CreatedMax = tm
			}
			first = false
		}
		if c.Closed != "" && t.Col(c.Closed) != nil {
			if closed := v.column(c.Closed, Time); closed != nil {
				v.times(closed, false)
				for i, x := range closed.Times {
					if closed.IsNull(i) || created.IsNull(i) || x >= created.Times[i] {
						continue
					}
					v.add(&ColumnError{File: file, Row: i + 1, Column: c.Closed, Value: closed.Format(i),
						Err: fmt.Errorf("%w: before %s %s", ErrBadTimestamp, c.Created, created.Format(i))})
				}
			}
		}
	}
	if label := v.columnOf(c.Label, String, Bool); label != nil {
		before := v.errs.count()
		s.Labels = v.labels(label, c)
		for i, l := range s.Labels {
			switch l {
			case LabelWon:
				s.Won++
			case LabelLost:
				s.Lost++
			case LabelOpen:
				s.Open++
				s.OpenRows = append(s.OpenRows, i)
			}
		}
		if v.errs.count() == before && (s.Won == 0 || s.Lost == 0) {
			v.add(&ColumnError{File: file, Column: c.Label, Value: fmt.Sprintf("won=%d lost=%d open=%d", s.Won, s.Lost, s.Open), Err: ErrOneClass})
		}
	}
	if err := v.errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// EventsContract names the columns of an events table.
type EventsContract struct {
	// LeadID is the lead id column: string, non-null.
	LeadID string
	// TS is the event time column: non-null and sane, as for leads.
	TS string
	// Type is the event type column: string, non-null, non-empty.
	Type string
	// Value is the optional numeric value column; empty means none.
	Value string
	// Now is the reference time for "in the future"; zero means time.Now().
	Now time.Time
	// MaxErrors caps the problems reported. Default DefaultMaxErrors.
	MaxErrors int
}

// DefaultEventsContract returns the contract of ARCHITECTURE.md: lead_id,
// ts, type and an optional value.
func DefaultEventsContract() EventsContract {
	return EventsContract{LeadID: "lead_id", TS: "ts", Type: "type", Value: "value"}
}

// EventsSummary describes a valid events table.
type EventsSummary struct {
	Rows int
	// Leads is the number of distinct lead ids.
	Leads int
	// First and Last bound the event times (UTC).
	First, Last time.Time
	// Types counts the rows per event type.
	Types map[string]int
}

// ValidateEvents checks t against c and summarises it, reporting every
// problem up to c.MaxErrors as ValidateLeads does.
func ValidateEvents(t *Table, file string, c EventsContract) (*EventsSummary, error) {
	v := newValidator(t, file, c.MaxErrors, c.Now)
	s := &EventsSummary{Rows: t.Rows, Types: make(map[string]int)}
	if id := v.column(c.LeadID, String); id != nil {
		v.nonNull(id)
		used := make([]bool, len(id.Dict))
		distinct := make(map[string]bool)
		for i, k := range id.Codes {
			if !id.IsNull(i) && k >= 0 && !used[k] {
				used[k] = true
				distinct[id.Dict[k]] = true
			}
		}
		s.Leads = len(distinct)
	}
	if ts := v.column(c.TS, Time); ts != nil {
		v.times(ts, true)
		first := true
		for i, x := range ts.Times {
			if ts.IsNull(i) {
				continue
			}
			tm := time.UnixMicro(x).UTC()
			if first || tm.Before(s.First) {
				s.First = tm
			}
			if first || tm.After(s.Last) {
				s.Last = tm
			}
			first = false
		}
	}
	if typ := v.column(c.Type, String); typ != nil {
		v.nonNull(typ)
		counts := make([]int, len(typ.Dict))
		for i, k := range typ.Codes {
			if typ.IsNull(i) || k < 0 {
				continue
			}
			if typ.Dict[k] == "" {
				v.add(&ColumnError{File: v.file, Row: i + 1, Column: typ.Name, Err: ErrEmpty})
				continue
			}
			counts[k]++
		}
		for k, n := range counts {
			if n > 0 {
				s.Types[typ.Dict[k]] += n
			}
		}
	}
	if c.Value != "" && t.Col(c.Value) != nil {
		v.column(c.Value, Float)
	}
	if err := v.errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// validator collects the problems of one table.
type validator struct {
	t      *Table
	file   string
	now    time.Time
	errs   errList
	latest time.Time
}

func newValidator(t *Table, file string, maxErrors int, now time.Time) *validator {
	if maxErrors <= 0 {
		maxErrors = DefaultMaxErrors
	}
	if now.IsZero() {
		now = time.Now()
	}
	return &validator{t: t, file: file, now: now, errs: errList{max: maxErrors}, latest: now.Add(24 * time.Hour)}
}

func (v *validator) add(err error) { v.errs.add(err) }

// column returns the named column if it exists with type typ, and records
// a problem otherwise.
func (v *validator) column(name string, typ Type) *Column {
	return v.columnOf(name, typ)
}

func (v *validator) columnOf(name string, types ...Type) *Column {
	c := v.t.Col(name)
	if c == nil {
		v.add(&ColumnError{File: v.file, Column: name, Err: ErrMissingColumn})
		return nil
	}
	if !slices.Contains(types, c.Type) {
		v.add(&ColumnError{File: v.file, Column: name, Value: c.Type.String(), Err: fmt.Errorf("%w: want %v", ErrBadType, types)})
		return nil
	}
	return c
}

func (v *validator) nonNull(c *Column) {
	for i := 0; i < v.t.Rows; i++ {
		if c.IsNull(i) || (c.Type == String && c.Codes[i] < 0) {
			v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Err: ErrNull})
			if v.errs.full() {
				return
			}
		}
	}
}

// times checks that every timestamp is within [1990, now+1 day], and that
// none is null when required.
func (v *validator) times(c *Column, required bool) {
	lo, hi := earliest.UnixMicro(), v.latest.UnixMicro()
	for i, x := range c.Times {
		if c.IsNull(i) {
			if required {
				v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Err: ErrNull})
			}
			continue
		}
		if x < lo {
			v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Value: c.Format(i), Err: fmt.Errorf("%w: before %s", ErrBadTimestamp, earliest.Format("2006-01-02"))})
		} else if x > hi {
			v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Value: c.Format(i), Err: fmt.Errorf("%w: more than a day after %s", ErrBadTimestamp, v.now.UTC().Format(time.RFC3339))})
		}
	}
}

// unique checks that an id column is non-null and holds no value twice.
func (v *validator) unique(c *Column) {
	// canon maps each code to the first code with the same string, in case
	// the dictionary itself repeats a value.
	canon := make([]int32, len(c.Dict))
	byValue := make(map[string]int32, len(c.Dict))
	for k, s := range c.Dict {
		if first, ok := byValue[s]; ok {
			canon[k] = first
		} else {
			byValue[s] = int32(k)
			canon[k] = int32(k)
		}
	}
	firstRow := make([]int32, len(c.Dict)) // 1-based row of first use; 0 = unseen
	for i, k := range c.Codes {
		if c.IsNull(i) || k < 0 {
			v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Err: ErrNull})
			continue
		}
		k = canon[k]
		if firstRow[k] != 0 {
			v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Value: truncate(c.Dict[k]),
				Err: fmt.Errorf("%w: also at row %d", ErrDuplicateID, firstRow[k])})
			continue
		}
		firstRow[k] = int32(i + 1)
	}
}

// labels classifies every row of a label column.
func (v *validator) labels(c *Column, contract LeadsContract) []int8 {
	out := make([]int8, v.t.Rows)
	if c.Type == Bool {
		for i, b := range c.Bools {
			switch {
			case c.IsNull(i):
				out[i] = LabelOpen
			case b:
				out[i] = LabelWon
			default:
				out[i] = LabelLost
			}
		}
		return out
	}
	const bad = 2
	class := make([]int8, len(c.Dict))
	for k, s := range c.Dict {
		switch {
		case slices.Contains(contract.Positive, s):
			class[k] = LabelWon
		case slices.Contains(contract.Negative, s):
			class[k] = LabelLost
		case slices.Contains(contract.Open, s):
			class[k] = LabelOpen
		default:
			class[k] = bad
		}
	}
	for i, k := range c.Codes {
		if c.IsNull(i) || k < 0 {
			v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Err: fmt.Errorf("%w: null (want one of %q, %q or %q)", ErrBadOutcome, contract.Positive, contract.Negative, contract.Open)})
			out[i] = LabelOpen
			continue
		}
		out[i] = class[k]
		if out[i] == bad {
			v.add(&ColumnError{File: v.file, Row: i + 1, Column: c.Name, Value: truncate(c.Dict[k]), Err: ErrBadOutcome})
			out[i] = LabelOpen
		}
	}
	return out
}
