package data_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"leadscore/data"
)

// dumpTable renders every cell, one row per line, nulls as <null>.
func dumpTable(tab *data.Table) string {
	var b strings.Builder
	for _, c := range tab.Columns {
		fmt.Fprintf(&b, "%s(%v) | ", c.Name, c.Type)
	}
	b.WriteString("\n")
	for i := 0; i < tab.Rows; i++ {
		for _, c := range tab.Columns {
			if c.IsNull(i) {
				b.WriteString("<null> | ")
			} else {
				fmt.Fprintf(&b, "%q | ", c.Format(i))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestImportCSVGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "csv", "*.*sv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CSV fixtures: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tab, rep, err := data.ImportCSV(f, filepath.Base(path), data.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := rep.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			out.WriteString("\n")
			out.WriteString(dumpTable(tab))
			checkGolden(t, filepath.Join("csv", filepath.Base(path)+".golden"), out.Bytes())
		})
	}
}

func TestImportCSVInference(t *testing.T) {
	// Spot checks of the golden fixture that matter downstream.
	f, err := os.Open(filepath.Join("testdata", "csv", "mixed_no_newline.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, rep, err := data.ImportCSV(f, "mixed.csv", data.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		typ    data.Type
		detail string
		nulls  int
	}{
		"n":       {data.Float, "int", 0},
		"mixed":   {data.Float, "float", 1},
		"almost":  {data.String, "", 0}, // numeric but for "thirty"
		"flag":    {data.Bool, "", 1},
		"yesno":   {data.String, "", 0}, // yes/no stay strings
		"day":     {data.Time, "date", 1},
		"when":    {data.Time, "datetime+rfc3339", 0},
		"empty":   {data.String, "all null", 4},
		"nullish": {data.String, "", 2}, // "null" and "NULL" are null tokens
	}
	for _, c := range rep.Columns {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("unexpected column %q", c.Name)
			continue
		}
		if c.Type != w.typ || c.Detail != w.detail || c.Nulls != w.nulls {
			t.Errorf("column %q: got %v/%q/%d nulls, want %v/%q/%d", c.Name, c.Type, c.Detail, c.Nulls, w.typ, w.detail, w.nulls)
		}
	}
	// 2024-03-01T12:30:00+02:00 is 10:30 UTC.
	if got := tab.Col("when").Times[3]; got != time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("offset timestamp read as %v", time.UnixMicro(got).UTC())
	}
}

func TestImportCSVOptions(t *testing.T) {
	in := "id|score|when\nA|7|2024-01-01\nB|-|2024-01-02\n"
	tab, rep, err := data.ImportCSV(strings.NewReader(in), "p.csv", data.ImportOptions{
		Null:  []string{"-"},
		Types: map[string]data.Type{"id": data.String, "when": data.String},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Delimiter != '|' {
		t.Errorf("delimiter %q", rep.Delimiter)
	}
	if c := tab.Col("score"); c.Type != data.Float || !c.IsNull(1) || c.Floats[0] != 7 {
		t.Errorf("score column %+v", c)
	}
	if c := tab.Col("when"); c.Type != data.String || !rep.Columns[2].Overridden {
		t.Errorf("override ignored: %+v", rep.Columns[2])
	}

	// An override that does not fit reports every bad cell as a ColumnError.
	_, _, err = data.ImportCSV(strings.NewReader("a,b\nx,1\n2,y\nz,3\n"), "o.csv", data.ImportOptions{
		Types: map[string]data.Type{"a": data.Float, "b": data.Time},
	})
	want := []string{
		`o.csv|1|a|x|bad value: want float`,
		`o.csv|3|a|z|bad value: want float`,
		`o.csv|1|b|1|bad timestamp: want timestamp`,
		`o.csv|2|b|y|bad timestamp: want timestamp`,
		`o.csv|3|b|3|bad timestamp: want timestamp`,
	}
	if d := cmp.Diff(want, columnErrors(t, err)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	var ce *data.ColumnError
	if !errors.As(err, &ce) || !errors.Is(ce, data.ErrBadValue) {
		t.Errorf("first error %v does not wrap ErrBadValue", err)
	}
}

func TestImportCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		opts     data.ImportOptions
		want     string
		is       error
	}{
		{"ragged", "a,b\n1,2\n3\n4,5\n", data.ImportOptions{}, "import r.csv: line 3: wrong number of fields: 1 fields, header has 2", data.ErrRaggedRow},
		{"ragged after quoted newline", "a,b\n\"x\ny\",2\n3,4,5\n", data.ImportOptions{}, "import r.csv: line 4: wrong number of fields: 3 fields, header has 2", data.ErrRaggedRow},
		{"empty", "", data.ImportOptions{}, "import r.csv: empty file, want a header row", nil},
		{"duplicate header", "a,b,a\n1,2,3\n", data.ImportOptions{}, `import r.csv: header names column "a" twice (fields 1 and 3)`, nil},
		{"bad quote", "a,b\n1,\"2\n", data.ImportOptions{}, "import r.csv: parse error on line 2, column 6: extraneous or missing \" in quoted-field", nil},
		{"override unknown column", "a\n1\n", data.ImportOptions{Types: map[string]data.Type{"zz": data.Float}}, `r.csv: row 0, column "zz": value "": missing column: type override for a column not in the header`, data.ErrMissingColumn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := data.ImportCSV(strings.NewReader(tc.in), "r.csv", tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant  %s", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v) = false", tc.is)
			}
		})
	}
}

// TestImportSharedDatasets converts every CSV under the shared datasets and
// checks its shape against the PROVENANCE.md files.
func TestImportSharedDatasets(t *testing.T) {
	dir := datasetsDir(t)
	for _, tc := range []struct {
		file       string
		rows, cols int
		delim      rune
	}{
		{"bank-marketing/bank-additional-full.csv", 41188, 21, ';'},
		{"bank-marketing/bank-full.csv", 45211, 17, ';'},
		{"bank-marketing/split-bank-additional-full.csv", 41188, 7, ','},
		{"bank-marketing/split-bank-full.csv", 45211, 7, ','},
		{"crm-sales-opportunities/sales_pipeline.csv", 8800, 8, ','},
		{"crm-sales-opportunities/accounts.csv", 85, 7, ','},
		{"crm-sales-opportunities/products.csv", 7, 3, ','},
		{"crm-sales-opportunities/sales_teams.csv", 35, 3, ','},
		{"crm-sales-opportunities/data_dictionary.csv", 21, 3, ','},
		{"crm-sales-opportunities/split.csv", 8800, 5, ','},
		{"olist-marketing-funnel/olist_marketing_qualified_leads_dataset.csv", 8000, 4, ','},
		{"olist-marketing-funnel/olist_closed_deals_dataset.csv", 842, 14, ','},
		{"olist-marketing-funnel/split.csv", 8000, 5, ','},
		{"online-shoppers/online_shoppers_intention.csv", 12330, 18, ','},
		{"online-shoppers/split.csv", 12330, 3, ','},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tab, rep, err := data.ImportCSV(f, tc.file, data.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tab.Rows != tc.rows || len(tab.Columns) != tc.cols || rep.Delimiter != tc.delim {
				t.Fatalf("%d rows × %d columns, delimiter %q; want %d × %d, %q", tab.Rows, len(tab.Columns), rep.Delimiter, tc.rows, tc.cols, tc.delim)
			}
			// Every file survives a Parquet round trip unchanged.
			got := roundTrip(t, tab, data.WriteOptions{})
			if d := diffTables(tab, got); d != "" {
				t.Fatal(d)
			}
		})
	}

	// Facts from the PROVENANCE.md files.
	imp := func(file string) *data.Table {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tab, _, err := data.ImportCSV(f, file, data.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	shop := imp("online-shoppers/online_shoppers_intention.csv")
	rev := shop.Col("Revenue")
	if rev.Type != data.Bool {
		t.Fatalf("Revenue is %v, want bool", rev.Type)
	}
	won := 0
	for _, b := range rev.Bools {
		if b {
			won++
		}
	}
	if won != 1908 {
		t.Errorf("Revenue TRUE %d times, PROVENANCE.md says 1908", won)
	}
	if shop.Col("Weekend").Type != data.Bool || shop.Col("Month").Type != data.String || shop.Col("BounceRates").Type != data.Float {
		t.Errorf("online shoppers types: %v %v %v", shop.Col("Weekend").Type, shop.Col("Month").Type, shop.Col("BounceRates").Type)
	}

	bank := imp("bank-marketing/bank-additional-full.csv")
	if d := cmp.Diff("emp.var.rate", bank.Columns[15].Name); d != "" {
		t.Errorf("header name not kept: %s", d)
	}
	yes := 0
	y := bank.Col("y")
	for i := range y.Codes {
		if s, _ := y.Str(i); s == "yes" {
			yes++
		}
	}
	if yes != 4640 || bank.Col("age").Type != data.Float || bank.Col("job").Type != data.String {
		t.Errorf("bank: %d yes (want 4640), age %v, job %v", yes, bank.Col("age").Type, bank.Col("job").Type)
	}

	pipe := imp("crm-sales-opportunities/sales_pipeline.csv")
	closeDate := pipe.Col("close_date")
	if closeDate.Type != data.Time || closeDate.NullCount() != 2089 {
		t.Errorf("close_date: %v with %d nulls, want timestamp with 2089 (open deals)", closeDate.Type, closeDate.NullCount())
	}
	mql := imp("olist-marketing-funnel/olist_marketing_qualified_leads_dataset.csv")
	if c := mql.Col("origin"); c.NullCount() != 60 {
		t.Errorf("origin has %d nulls, PROVENANCE.md says 60", c.NullCount())
	}
}

func FuzzImportCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,x\n2,y\n",
		"\xef\xbb\xbfa;b\r\n\"1;2\";TRUE\r\n;false",
		"t,v\n2024-01-01,1.5\n2024-02-01 10:00,NA\n",
		"x\n\n",
		"a|b\n\"q\"\"q\"|3e5\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tab, rep, err := data.ImportCSV(bytes.NewReader(in), "fuzz.csv", data.ImportOptions{})
		if err != nil {
			return // rejecting input is fine; panicking is not
		}
		if len(rep.Columns) != len(tab.Columns) {
			t.Fatalf("report has %d columns, table %d", len(rep.Columns), len(tab.Columns))
		}
		// Import → Parquet → read back gives the same table.
		var buf bytes.Buffer
		if err := data.WriteParquetTo(&buf, tab, data.WriteOptions{RowGroupRows: 3}); err != nil {
			t.Fatalf("write imported table: %v", err)
		}
		got, err := data.ReadParquetFrom(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), "fuzz.parquet", nil)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if d := diffTables(tab, got); d != "" {
			t.Fatalf("round trip changed the table: %s\ninput %q", d, in)
		}
	})
}
