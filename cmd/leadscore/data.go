package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"leadscore/data"
)

func importCommand() command {
	return command{
		name:    "import",
		summary: "convert a CSV file to Parquet, inferring each column's type from the whole file",
		usage:   "--csv FILE [--delimiter ';'] [--null TOKEN] --out FILE.parquet",
		run:     runImport,
	}
}

func runImport(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	in := fs.String("csv", "", "CSV file to import (required)")
	delim := fs.String("delimiter", "", "field delimiter; default: detected among , ; tab |")
	var nulls stringList
	fs.Var(&nulls, "null", "a token that means missing, besides the empty cell (repeatable, or comma-separated)")
	out := fs.String("out", "", "Parquet file to write (required)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usagef("--csv and --out are required")
	}
	opts := data.ImportOptions{Null: nulls}
	if *delim != "" {
		d := *delim
		if d == `\t` || d == "tab" {
			d = "\t"
		}
		if len([]rune(d)) != 1 {
			return usagef("--delimiter %q: want one character", *delim)
		}
		opts.Delimiter = []rune(d)[0]
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	t, rep, err := data.ImportCSV(bufio.NewReaderSize(f, 1<<20), *in, opts)
	if err != nil {
		return err
	}
	if err := data.WriteParquet(*out, t, data.WriteOptions{}); err != nil {
		return err
	}
	if err := rep.WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d rows × %d columns to %s\n", t.Rows, len(t.Columns), *out)
	return nil
}

func describeCommand() command {
	return command{
		name:    "data describe",
		summary: "describe a Parquet file: rows, column types, nulls, distinct values, label balance, rows per quarter",
		usage:   "[--label COL] [--time COL] FILE.parquet",
		run:     runDescribe,
	}
}

func runDescribe(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	label := fs.String("label", "", "label column whose balance to show")
	timeCol := fs.String("time", "", "timestamp column for rows per quarter (default: created_at if present)")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one Parquet file")
	}
	t, err := data.ReadParquet(ctx, rest[0], nil)
	if err != nil {
		return err
	}
	tc := *timeCol
	if tc == "" && t.Col("created_at") != nil {
		tc = "created_at"
	}
	d := data.Describe(t, data.DescribeOptions{Label: *label, TimeColumn: tc})
	return d.WriteText(e.stdout)
}

func exportCommand() command {
	return command{
		name:    "data export",
		summary: "write a Parquet file as CSV or JSON lines (for notebooks and spreadsheets)",
		usage:   "[--format csv|jsonl] [--columns a,b] [--out FILE] FILE.parquet",
		run:     runExport,
	}
}

func runExport(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	format := fs.String("format", "csv", "output format: csv or jsonl")
	var cols stringList
	fs.Var(&cols, "columns", "columns to export (default all; comma-separated)")
	out := fs.String("out", "", "output file (default standard output)")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one Parquet file")
	}
	if *format != "csv" && *format != "jsonl" {
		return usagef("--format %q: want csv or jsonl", *format)
	}
	t, err := data.ReadParquet(ctx, rest[0], cols)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		var err error
		if *format == "csv" {
			err = exportCSV(bw, t)
		} else {
			err = exportJSONL(bw, t)
		}
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	if *out == "" {
		return write(e.stdout)
	}
	if err := data.WriteFileAtomic(*out, write); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return nil
}

func exportCSV(w *bufio.Writer, t *data.Table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Names()); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for i := 0; i < t.Rows; i++ {
		for j, c := range t.Columns {
			rec[j] = cellString(c, i)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func exportJSONL(w *bufio.Writer, t *data.Table) error {
	enc := json.NewEncoder(w)
	row := make(map[string]any, len(t.Columns))
	for i := 0; i < t.Rows; i++ {
		for _, c := range t.Columns {
			row[c.Name] = cellValue(c, i)
		}
		if err := enc.Encode(row); err != nil {
			return err
		}
	}
	return nil
}

// cellString formats a cell for CSV: empty for null, shortest round-trip
// numbers, RFC 3339 timestamps.
func cellString(c *data.Column, i int) string {
	if c.IsNull(i) {
		return ""
	}
	if c.Type == data.Float {
		return strconv.FormatFloat(c.Floats[i], 'g', -1, 64)
	}
	return c.Format(i)
}

// cellValue is a cell as a JSON value: null, number, string or bool.
func cellValue(c *data.Column, i int) any {
	if c.IsNull(i) {
		return nil
	}
	switch c.Type {
	case data.Float:
		if v := c.Floats[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v
		}
		return nil
	case data.Bool:
		return c.Bools[i]
	}
	return c.Format(i)
}

// stringList is a repeatable, comma-separated string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*s = append(*s, x)
		}
	}
	return nil
}

// readLeads reads a leads file and, when eventsPath is not empty, its
// events file.
func readLeads(ctx context.Context, leadsPath, eventsPath string) (leads, events *data.Table, err error) {
	if leads, err = data.ReadParquet(ctx, leadsPath, nil); err != nil {
		return nil, nil, err
	}
	if eventsPath != "" {
		if events, err = data.ReadParquet(ctx, eventsPath, nil); err != nil {
			return nil, nil, err
		}
	}
	return leads, events, nil
}
