package features

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSpecDefaults(t *testing.T) {
	s := mustSpec(t, `
columns:
  - {name: industry, kind: categorical}
  - {name: employees, kind: numeric, log1p: true}
  - {name: is_student, kind: boolean, group: negative}
  - {name: product_line, role: segment}
segments: [product_line]
events:
  types: [{name: demo_request, group: intent}, {name: email_open}]
`)
	want := &Spec{
		ID: "lead_id", Account: "account_id", Time: "created_at",
		Label:    LabelSpec{Column: "outcome", Positive: []string{"won"}, Negative: []string{"lost"}, Open: []string{"open"}},
		Cutoff:   CutoffSpec{Horizon: 720 * time.Hour},
		Segments: []string{"product_line"},
		Columns: []ColumnSpec{
			{Name: "industry", Role: RoleFeature, Kind: KindCategorical, Group: GroupFit, MinCount: 20, MaxLevels: 250},
			{Name: "employees", Role: RoleFeature, Kind: KindNumeric, Group: GroupFit, Log1p: true, Clip: []float64{0.001, 0.999}},
			{Name: "is_student", Role: RoleFeature, Kind: KindBoolean, Group: GroupNegative},
			{Name: "product_line", Role: RoleSegment},
		},
		Events: &EventSpec{
			Columns:      EventColumns{LeadID: "lead_id", TS: "ts", Type: "type", Value: "value"},
			HalfLife:     720 * time.Hour,
			Window:       2160 * time.Hour,
			Aggregations: []Aggregation{AggCountWindow, AggDecayed, AggDaysSinceLast},
			Types:        []EventType{{Name: "demo_request", Group: GroupIntent}, {Name: "email_open", Group: GroupEngagement}},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("ParseSpec =\n%+v\nwant\n%+v", s, want)
	}
}

// TestValidateReportsEverything: every problem is reported, one per line.
func TestValidateReportsEverything(t *testing.T) {
	_, err := ParseSpec([]byte(`
label: {column: outcome, positive: [won], negative: [won]}
cutoff: {horizon: -1h}
segments: [nope]
columns:
  - {name: a, role: boss}
  - {name: a, kind: categorical, log1p: true, clip: [0.9, 0.1], monotone: 2, min_count: -1}
  - {name: outcome}
events:
  aggregations: [count_window, count_window, sum]
  types: [{name: x}, {name: x, monotone: -2}]
`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`label.negative: value "won" is also in label.positive`,
		"cutoff.horizon: -1h0m0s must be positive",
		`segments[0]: "nope" is not in columns`,
		`columns[0] ("a").role: "boss" is not one of`,
		`columns[1] ("a"): duplicate of columns[0]`,
		`columns[1] ("a").log1p: only for numeric columns, not categorical`,
		`columns[1] ("a").clip: [0.9, 0.1] must be quantiles`,
		`columns[1] ("a").monotone: 2 must be -1, 0 or 1`,
		`columns[1] ("a").min_count: -1 must not be negative`,
		`columns[2] ("outcome"): the id, time and label columns cannot be features`,
		`events.aggregations[1]: duplicate "count_window"`,
		`events.aggregations[2]: "sum" is not one of`,
		`events.types[1] ("x"): duplicate of events.types[0]`,
		`events.types[1] ("x").monotone: -2 must be -1, 0 or 1`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseSpecRejects(t *testing.T) {
	for _, in := range []string{
		"columns: [{name: a, knd: numeric}]", // unknown field (KnownFields)
		"colums: []",
		"columns: [{name: a, kind: vector}]",
		"columns: [{name: a, group: vip}]",
		"cutoff: {horizon: soon}\ncolumns: [{name: a}]",
		"columns: []", // no features
		"columns: [{name: a, clip: [0.1]}]",
	} {
		if _, err := ParseSpec([]byte(in)); err == nil {
			t.Errorf("ParseSpec(%q) succeeded", in)
		}
	}
}

func FuzzSpecRoundTrip(f *testing.F) {
	f.Add([]byte(paritySpecYAML))
	f.Add([]byte(eventSpecYAML))
	f.Add([]byte("columns:\n  - name: industry\n    kind: categorical\n"))
	f.Add([]byte("label: {column: y, positive: [yes], negative: [no]}\ncolumns: [{name: age, clip: [0, 1]}]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseSpec(in)
		if err != nil {
			return // rejecting input is fine; panicking is not
		}
		out, err := s.MarshalText()
		if err != nil {
			t.Fatalf("marshal a parsed spec: %v", err)
		}
		s2, err := ParseSpec(out)
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip changed the spec\nin:  %q\nout: %q\nerr: %v\n%+v\n%+v", in, out, err, s, s2)
		}
	})
}
