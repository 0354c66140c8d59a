package data_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"leadscore/data"
)

func describeFixture(t *testing.T) *data.Table {
	t.Helper()
	tab, err := data.NewTable(
		data.NewStringColumn("lead_id", []string{"L1", "L2", "L3", "L4", "L5"}, nil),
		data.NewTimeColumn("created_at", []int64{
			micros("2026-01-15T00:00:00Z"), micros("2026-03-31T23:59:59Z"), micros("2026-04-01T00:00:00Z"),
			micros("2025-12-01T08:30:00Z"), 0,
		}, []bool{true, true, true, true, false}),
		data.NewStringColumn("outcome", []string{"won", "lost", "open", "won", ""}, []bool{true, true, true, true, false}),
		data.NewFloatColumn("amount", []float64{1200, math.NaN(), 0.5, -3, 1200}),
		data.NewBoolColumn("inbound", []bool{true, true, false, true, false}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestDescribe(t *testing.T) {
	d := data.Describe(describeFixture(t), data.DescribeOptions{Label: "outcome", TimeColumn: "created_at"})
	want := &data.Description{
		Rows: 5,
		Columns: []data.ColumnDescription{
			{Name: "lead_id", Type: data.String, Distinct: 5},
			{Name: "created_at", Type: data.Time, Nulls: 1, NullShare: 0.2, Distinct: 4, HasRange: true,
				MinTime: time.Date(2025, 12, 1, 8, 30, 0, 0, time.UTC), MaxTime: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
			{Name: "outcome", Type: data.String, Nulls: 1, NullShare: 0.2, Distinct: 3},
			{Name: "amount", Type: data.Float, Nulls: 1, NullShare: 0.2, Distinct: 3, HasRange: true, Min: -3, Max: 1200},
			{Name: "inbound", Type: data.Bool, Distinct: 2},
		},
		Label: &data.ValueCounts{Column: "outcome", Counts: []data.ValueCount{
			{Value: "won", Count: 2, Share: 0.4}, {Value: "<null>", Count: 1, Share: 0.2},
			{Value: "lost", Count: 1, Share: 0.2}, {Value: "open", Count: 1, Share: 0.2},
		}},
		TimeColumn: "created_at",
		Quarters:   []data.QuarterCount{{Quarter: "2025Q4", Rows: 1}, {Quarter: "2026Q1", Rows: 2}, {Quarter: "2026Q2", Rows: 1}},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("description (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := d.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "describe.golden", out.Bytes())

	// Without options there is no label or quarter section.
	plain := data.Describe(describeFixture(t), data.DescribeOptions{Label: "nope", TimeColumn: "amount"})
	if plain.Label != nil || plain.TimeColumn != "" || plain.Quarters != nil {
		t.Errorf("unexpected sections: %+v", plain)
	}
}
