package data_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"leadscore/data"
)

// Files written by other Parquet implementations. The duckdb_types.parquet
// fixture comes from testdata/duckdb_fixture.mjs (DuckDB 1.5.6), whose SQL
// literals are the expected values below. The other files are copied from
// the parquet-go v0.32.0 module's testdata (originally Apache
// parquet-testing); their expected values were printed by DuckDB 1.5.6
// reading the same files (see the report for the queries).

func readFixture(t *testing.T, name string, cols []string) *data.Table {
	t.Helper()
	tab, err := data.ReadParquet(context.Background(), filepath.Join("testdata", name), cols)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// column renders a column as strings, "<null>" for nulls.
func column(t *testing.T, tab *data.Table, name string) []string {
	t.Helper()
	c := tab.Col(name)
	if c == nil {
		t.Fatalf("no column %q in %v", name, tab.Names())
	}
	out := make([]string, tab.Rows)
	for i := range out {
		if c.IsNull(i) {
			out[i] = "<null>"
		} else {
			out[i] = c.Format(i)
		}
	}
	return out
}

func TestReadDuckDBFixture(t *testing.T) {
	tab := readFixture(t, "duckdb_types.parquet", nil)
	// The list column "tags" is skipped when reading all columns.
	wantNames := []string{"big", "name", "dbl", "i32", "ts", "flag", "amount", "day", "ts_ms", "ts_ns"}
	if d := cmp.Diff(wantNames, tab.Names()); d != "" {
		t.Fatalf("names (-want +got):\n%s", d)
	}
	want := map[string][]string{
		// 9007199254740993 is not a float64; it rounds to ...992.
		"big":    {"1", "-2", "<null>", "9.007199254740992e+15"},
		"name":   {"alpha", "<null>", "beta", "alpha"},
		"dbl":    {"1.5", "<null>", "-0.25", "1e+300"},
		"i32":    {"10", "-20", "<null>", "2.147483647e+09"},
		"ts":     {"2024-01-02T03:04:05.678901Z", "<null>", "1999-12-31T23:59:59Z", "2026-07-01T00:00:00Z"},
		"flag":   {"true", "false", "<null>", "true"},
		"amount": {"12.34", "-0.05", "<null>", "9.99999999999e+09"},
		"day":    {"2024-02-29T00:00:00Z", "1970-01-01T00:00:00Z", "<null>", "2026-09-30T00:00:00Z"},
		"ts_ms":  {"2024-05-06T07:08:09.123Z", "<null>", "1990-01-01T00:00:00Z", "2026-12-31T23:59:59.999Z"},
		// Nanoseconds are floored to microseconds.
		"ts_ns": {"1969-12-31T23:59:59.999999Z", "<null>", "2030-01-01T00:00:00.000001Z", "2026-01-01T00:00:00Z"},
	}
	for name, w := range want {
		if d := cmp.Diff(w, column(t, tab, name)); d != "" {
			t.Errorf("column %s (-want +got):\n%s", name, d)
		}
	}
	if got := tab.Col("amount").Floats[0]; got != 12.34 {
		t.Errorf("DECIMAL 12.34 read as %v", got)
	}
	if got := tab.Col("day").Times[0]; got != time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("DATE 2024-02-29 read as %d µs", got)
	}

	// Asking for the list column is an error naming file and column.
	_, err := data.ReadParquet(context.Background(), filepath.Join("testdata", "duckdb_types.parquet"), []string{"big", "tags"})
	var ce *data.ColumnError
	if !errors.As(err, &ce) || ce.Column != "tags" || ce.File != filepath.Join("testdata", "duckdb_types.parquet") || !errors.Is(err, data.ErrUnsupported) {
		t.Errorf("list column: err = %v", err)
	}
}

func TestReadForeignFiles(t *testing.T) {
	t.Run("alltypes_dictionary (Impala, dictionary pages, INT96)", func(t *testing.T) {
		tab := readFixture(t, "alltypes_dictionary.parquet", nil)
		want := map[string][]string{
			"id":              {"0", "1"},
			"bool_col":        {"true", "false"},
			"bigint_col":      {"0", "10"},
			"float_col":       {"0", "1.100000023841858"},
			"double_col":      {"0", "10.1"},
			"date_string_col": {"01/01/09", "01/01/09"},
			"string_col":      {"0", "1"},
			"timestamp_col":   {"2009-01-01T00:00:00Z", "2009-01-01T00:01:00Z"},
		}
		for name, w := range want {
			if d := cmp.Diff(w, column(t, tab, name)); d != "" {
				t.Errorf("column %s (-want +got):\n%s", name, d)
			}
		}
	})
	for _, name := range []string{"int32_decimal.parquet", "fixed_length_decimal.parquet", "byte_array_decimal.parquet"} {
		t.Run(name, func(t *testing.T) {
			// DECIMAL(p,2) values 1.00 .. 24.00 in three physical layouts.
			tab := readFixture(t, name, []string{"value"})
			v := tab.Col("value").Floats
			if len(v) != 24 {
				t.Fatalf("%d rows, want 24", len(v))
			}
			for i, x := range v {
				if x != float64(i+1) {
					t.Errorf("row %d: %v, want %d", i, x, i+1)
				}
			}
		})
	}
	t.Run("datapage_v2 (page v2, snappy, list column skipped)", func(t *testing.T) {
		tab := readFixture(t, "datapage_v2.snappy.parquet", nil)
		if d := cmp.Diff([]string{"a", "b", "c", "d"}, tab.Names()); d != "" {
			t.Fatalf("names (-want +got):\n%s", d)
		}
		want := map[string][]string{
			"a": {"abc", "abc", "abc", "<null>", "abc"},
			"b": {"1", "2", "3", "4", "5"},
			"c": {"2", "3", "4", "5", "2"},
			"d": {"true", "true", "true", "false", "true"},
		}
		for name, w := range want {
			if d := cmp.Diff(w, column(t, tab, name)); d != "" {
				t.Errorf("column %s (-want +got):\n%s", name, d)
			}
		}
	})
	t.Run("rle_boolean_encoding", func(t *testing.T) {
		tab := readFixture(t, "rle_boolean_encoding.parquet", nil)
		const want = "10N110011100110N1100110N11001110000110N110011100N11001110110N1100111"
		c := tab.Col("datatype_boolean")
		got := make([]byte, tab.Rows)
		for i := range got {
			switch {
			case c.IsNull(i):
				got[i] = 'N'
			case c.Bools[i]:
				got[i] = '1'
			default:
				got[i] = '0'
			}
		}
		if string(got) != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("nullable.impala (structs read by dotted name, maps and lists skipped)", func(t *testing.T) {
		tab := readFixture(t, "nullable.impala.parquet", nil)
		if d := cmp.Diff([]string{"id", "nested_struct.A"}, tab.Names()); d != "" {
			t.Fatalf("names (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"1", "<null>", "<null>", "<null>", "<null>", "<null>", "7"}, column(t, tab, "nested_struct.A")); d != "" {
			t.Errorf("nested_struct.A (-want +got):\n%s", d)
		}
		if !math.IsNaN(tab.Col("nested_struct.A").Floats[1]) {
			t.Error("null float is not NaN")
		}
	})
}
