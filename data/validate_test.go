package data_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"leadscore/data"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func micros(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMicro()
}

// leadsTable builds a leads table; a "" in closed means null.
func leadsTable(t *testing.T, ids, outcomes []string, created, closed []string) *data.Table {
	t.Helper()
	cr := make([]int64, len(created))
	for i, s := range created {
		cr[i] = micros(s)
	}
	cols := []*data.Column{
		data.NewStringColumn("lead_id", ids, nil),
		data.NewTimeColumn("created_at", cr, nil),
		data.NewStringColumn("outcome", outcomes, nil),
	}
	if closed != nil {
		cl := make([]int64, len(closed))
		valid := make([]bool, len(closed))
		for i, s := range closed {
			if s != "" {
				cl[i], valid[i] = micros(s), true
			}
		}
		cols = append(cols, data.NewTimeColumn("closed_at", cl, valid))
	}
	tab, err := data.NewTable(cols...)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// errorList flattens an errors.Join result.
func errorList(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// columnErrors renders each error of a joined list as the fields of its
// *ColumnError plus the message of its Err, so whole values are compared.
func columnErrors(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, e := range errorList(err) {
		var ce *data.ColumnError
		if !errors.As(e, &ce) {
			out = append(out, "not a ColumnError: "+e.Error())
			continue
		}
		out = append(out, fmt.Sprintf("%s|%d|%s|%s|%v", ce.File, ce.Row, ce.Column, ce.Value, ce.Err))
	}
	return out
}

func TestValidateLeadsOK(t *testing.T) {
	tab := leadsTable(t,
		[]string{"L1", "L2", "L3", "L4"},
		[]string{"won", "lost", "open", "won"},
		[]string{"2026-01-05T10:00:00Z", "2025-12-31T23:00:00Z", "2026-11-24T11:00:00Z", "2026-03-01T00:00:00Z"},
		[]string{"2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z", "", "2026-03-01T00:00:00Z"})
	c := data.DefaultLeadsContract()
	c.Now = testNow
	s, err := data.ValidateLeads(tab, "leads.parquet", c)
	if err != nil {
		t.Fatal(err)
	}
	want := &data.LeadsSummary{
		Rows: 4, Won: 2, Lost: 1, Open: 1,
		CreatedMin: time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC),
		CreatedMax: time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC), // 23 h after Now: allowed
		Labels:     []int8{data.LabelWon, data.LabelLost, data.LabelOpen, data.LabelWon},
		OpenRows:   []int{2},
	}
	if d := cmp.Diff(want, s); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
}

func TestValidateLeadsBoolLabel(t *testing.T) {
	tab, err := data.NewTable(
		data.NewStringColumn("id", []string{"a", "b", "c"}, nil),
		data.NewTimeColumn("created", []int64{micros("2020-01-01T00:00:00Z"), micros("2020-01-02T00:00:00Z"), micros("2020-01-03T00:00:00Z")}, nil),
		data.NewBoolColumn("Revenue", []bool{true, false, false}, []bool{true, true, false}),
	)
	if err != nil {
		t.Fatal(err)
	}
	c := data.LeadsContract{ID: "id", Created: "created", Label: "Revenue", Now: testNow}
	s, err := data.ValidateLeads(tab, "x", c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Won != 1 || s.Lost != 1 || s.Open != 1 || !cmp.Equal(s.OpenRows, []int{2}) {
		t.Errorf("summary %+v", s)
	}
}

func TestValidateLeadsReportsEveryProblem(t *testing.T) {
	tab := leadsTable(t,
		[]string{"L1", "L2", "L1", "L4", "L5"},
		[]string{"won", "WON", "lost", "lost", "pending"},
		[]string{"2026-01-01T00:00:00Z", "1989-12-31T23:59:59Z", "2026-01-01T00:00:00Z", "2026-11-25T00:00:01Z", "2026-01-01T00:00:00Z"},
		[]string{"", "", "2025-12-31T00:00:00Z", "", ""})
	c := data.DefaultLeadsContract()
	c.Now = testNow
	s, err := data.ValidateLeads(tab, "leads.csv", c)
	if s != nil {
		t.Errorf("summary returned with errors: %+v", s)
	}
	want := []string{
		`leads.csv|3|lead_id|L1|duplicate id: also at row 1`,
		`leads.csv|2|created_at|1989-12-31T23:59:59Z|bad timestamp: before 1990-01-01`,
		`leads.csv|4|created_at|2026-11-25T00:00:01Z|bad timestamp: more than a day after 2026-11-23T12:00:00Z`,
		`leads.csv|3|closed_at|2025-12-31T00:00:00Z|bad timestamp: before created_at 2026-01-01T00:00:00Z`,
		`leads.csv|2|outcome|WON|bad outcome`,
		`leads.csv|5|outcome|pending|bad outcome`,
	}
	if d := cmp.Diff(want, columnErrors(t, err)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	// The sentinels are reachable with errors.Is, and the whole ColumnError
	// of an outcome problem compares equal.
	for _, sentinel := range []error{data.ErrDuplicateID, data.ErrBadTimestamp, data.ErrBadOutcome} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(err, %v) = false", sentinel)
		}
	}
	wantCE := data.ColumnError{File: "leads.csv", Row: 5, Column: "outcome", Value: "pending", Err: data.ErrBadOutcome}
	if got := *errorList(err)[5].(*data.ColumnError); got != wantCE {
		t.Errorf("got %#v, want %#v", got, wantCE)
	}
	if got := errorList(err)[5].Error(); got != `leads.csv: row 5, column "outcome": value "pending": bad outcome` {
		t.Errorf("message %q", got)
	}
}

func TestValidateLeadsStructure(t *testing.T) {
	c := data.DefaultLeadsContract()
	c.Now = testNow
	// Missing columns and wrong types are all reported at once.
	tab, err := data.NewTable(
		data.NewFloatColumn("lead_id", []float64{1, 2}),
		data.NewStringColumn("created_at", []string{"x", "y"}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	_, err = data.ValidateLeads(tab, "f", c)
	want := []string{
		`f|0|lead_id|float|bad column type: want [string]`,
		`f|0|created_at|string|bad column type: want [timestamp]`,
		`f|0|outcome||missing column`,
	}
	if d := cmp.Diff(want, columnErrors(t, err)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}

	// Only one class among closed rows.
	one := leadsTable(t, []string{"a", "b", "c"}, []string{"won", "open", "won"},
		[]string{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"}, nil)
	_, err = data.ValidateLeads(one, "one.parquet", c)
	want = []string{`one.parquet|0|outcome|won=2 lost=0 open=1|label has only one class`}
	if d := cmp.Diff(want, columnErrors(t, err)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}

	// Null ids and null created_at.
	nulls, err := data.NewTable(
		data.NewStringColumn("lead_id", []string{"a", ""}, []bool{true, false}),
		data.NewTimeColumn("created_at", []int64{micros("2026-01-01T00:00:00Z"), 0}, []bool{true, false}),
		data.NewStringColumn("outcome", []string{"won", "lost"}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	_, err = data.ValidateLeads(nulls, "n", c)
	want = []string{`n|2|lead_id||null value`, `n|2|created_at||null value`}
	if d := cmp.Diff(want, columnErrors(t, err)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
}

func TestValidateLeadsCap(t *testing.T) {
	n := 100
	ids := make([]string, n)
	out := make([]string, n)
	cr := make([]string, n)
	for i := range ids {
		ids[i] = "same"
		out[i] = "won"
		cr[i] = "2026-01-01T00:00:00Z"
	}
	out[1] = "lost"
	c := data.DefaultLeadsContract()
	c.Now = testNow
	c.MaxErrors = 5
	_, err := data.ValidateLeads(leadsTable(t, ids, out, cr, nil), "cap", c)
	errs := errorList(err)
	if len(errs) != 6 || !errors.Is(errs[5], data.ErrTooManyErrors) || errs[5].Error() != "too many errors; stopped reporting (94 more)" {
		t.Errorf("got %d errors, last %v", len(errs), errs[len(errs)-1])
	}
}

func TestValidateEvents(t *testing.T) {
	tab, err := data.NewTable(
		data.NewStringColumn("lead_id", []string{"L1", "L1", "L2", "L3"}, nil),
		data.NewTimeColumn("ts", []int64{micros("2026-01-01T00:00:00Z"), micros("2026-01-02T00:00:00Z"), micros("2025-06-01T00:00:00Z"), micros("2026-02-01T00:00:00Z")}, nil),
		data.NewStringColumn("type", []string{"email_open", "web_visit", "email_open", "call"}, nil),
		data.NewFloatColumn("value", []float64{1, 2, 3, 4}),
	)
	if err != nil {
		t.Fatal(err)
	}
	c := data.DefaultEventsContract()
	c.Now = testNow
	s, err := data.ValidateEvents(tab, "events.parquet", c)
	if err != nil {
		t.Fatal(err)
	}
	want := &data.EventsSummary{
		Rows: 4, Leads: 3,
		First: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Last: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Types: map[string]int{"email_open": 2, "web_visit": 1, "call": 1},
	}
	if d := cmp.Diff(want, s); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}

	bad, err := data.NewTable(
		data.NewStringColumn("lead_id", []string{"L1", ""}, []bool{true, false}),
		data.NewTimeColumn("ts", []int64{micros("2026-01-01T00:00:00Z"), micros("1970-01-01T00:00:00Z")}, nil),
		data.NewStringColumn("type", []string{"", "x"}, nil),
		data.NewStringColumn("value", []string{"1", "2"}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	_, err = data.ValidateEvents(bad, "ev", c)
	wantErrs := []string{
		`ev|2|lead_id||null value`,
		`ev|2|ts|1970-01-01T00:00:00Z|bad timestamp: before 1990-01-01`,
		`ev|1|type||empty value`,
		`ev|0|value|string|bad column type: want [float]`,
	}
	if d := cmp.Diff(wantErrs, columnErrors(t, err)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
}
