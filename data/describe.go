package data

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DescribeOptions configures Describe.
type DescribeOptions struct {
	// Label names a column whose value counts are reported; empty or
	// missing means none.
	Label string
	// TimeColumn names a Time column whose rows are counted per calendar
	// quarter; empty or missing means none.
	TimeColumn string
}

// A Description summarises a table for humans; see Describe.
type Description struct {
	Rows    int
	Columns []ColumnDescription
	// Label holds the value counts of DescribeOptions.Label, most frequent
	// first (nulls counted as "<null>"); nil if not asked for or missing.
	Label *ValueCounts
	// TimeColumn is the column Quarters was computed from, if any.
	TimeColumn string
	// Quarters counts the rows per quarter of TimeColumn, in time order;
	// rows with a null time are not counted.
	Quarters []QuarterCount
}

// ColumnDescription summarises one column.
type ColumnDescription struct {
	Name      string
	Type      Type
	Nulls     int
	NullShare float64 // Nulls / rows; 0 for an empty table
	// Distinct counts the distinct non-null values.
	Distinct int
	// HasRange reports whether the range is set: Float and Time columns
	// with at least one value.
	HasRange bool
	// Min and Max hold the range of a Float column.
	Min, Max float64
	// MinTime and MaxTime hold the range of a Time column (UTC).
	MinTime, MaxTime time.Time
}

// ValueCounts lists the values of one column with their counts.
type ValueCounts struct {
	Column string
	Counts []ValueCount
}

// ValueCount is one value and how often it occurs.
type ValueCount struct {
	Value string
	Count int
	Share float64
}

// QuarterCount is the number of rows in one quarter, e.g. "2026Q3".
type QuarterCount struct {
	Quarter string
	Rows    int
}

// Describe summarises t: per column its type, nulls, distinct values and
// range, plus the label balance and the rows per quarter when asked.
func Describe(t *Table, opts DescribeOptions) *Description {
	d := &Description{Rows: t.Rows}
	for _, c := range t.Columns {
		d.Columns = append(d.Columns, describeColumn(c, t.Rows))
	}
	if c := t.Col(opts.Label); opts.Label != "" && c != nil {
		d.Label = valueCounts(c, t.Rows)
	}
	if c := t.Col(opts.TimeColumn); opts.TimeColumn != "" && c != nil && c.Type == Time {
		d.TimeColumn = c.Name
		counts := map[string]int{}
		for i, x := range c.Times {
			if !c.IsNull(i) {
				counts[Quarter(x)]++
			}
		}
		for q, n := range counts {
			d.Quarters = append(d.Quarters, QuarterCount{Quarter: q, Rows: n})
		}
		// "1999Q4" < "2000Q1" as strings for years 1000..9999.
		slices.SortFunc(d.Quarters, func(a, b QuarterCount) int { return cmp.Compare(a.Quarter, b.Quarter) })
	}
	return d
}

func describeColumn(c *Column, rows int) ColumnDescription {
	cd := ColumnDescription{Name: c.Name, Type: c.Type}
	switch c.Type {
	case Float:
		seen := make(map[float64]struct{})
		for i, x := range c.Floats {
			if c.IsNull(i) || math.IsNaN(x) {
				cd.Nulls++
				continue
			}
			seen[x] = struct{}{}
			if !cd.HasRange || x < cd.Min {
				cd.Min = x
			}
			if !cd.HasRange || x > cd.Max {
				cd.Max = x
			}
			cd.HasRange = true
		}
		cd.Distinct = len(seen)
	case Time:
		var lo, hi int64
		seen := make(map[int64]struct{})
		for i, x := range c.Times {
			if c.IsNull(i) {
				cd.Nulls++
				continue
			}
			seen[x] = struct{}{}
			if !cd.HasRange || x < lo {
				lo = x
			}
			if !cd.HasRange || x > hi {
				hi = x
			}
			cd.HasRange = true
		}
		cd.Distinct = len(seen)
		if cd.HasRange {
			cd.MinTime, cd.MaxTime = time.UnixMicro(lo).UTC(), time.UnixMicro(hi).UTC()
		}
	case String:
		used := make([]bool, len(c.Dict))
		for i, k := range c.Codes {
			if c.IsNull(i) || k < 0 {
				cd.Nulls++
				continue
			}
			used[k] = true
		}
		distinct := make(map[string]struct{})
		for k, u := range used {
			if u {
				distinct[c.Dict[k]] = struct{}{}
			}
		}
		cd.Distinct = len(distinct)
	case Bool:
		var t, f bool
		for i, b := range c.Bools {
			if c.IsNull(i) {
				cd.Nulls++
			} else if b {
				t = true
			} else {
				f = true
			}
		}
		if t {
			cd.Distinct++
		}
		if f {
			cd.Distinct++
		}
	}
	if rows > 0 {
		cd.NullShare = float64(cd.Nulls) / float64(rows)
	}
	return cd
}

const nullLabel = "<null>"

func valueCounts(c *Column, rows int) *ValueCounts {
	counts := map[string]int{}
	for i := 0; i < rows; i++ {
		if c.IsNull(i) || (c.Type == String && c.Codes[i] < 0) || (c.Type == Float && math.IsNaN(c.Floats[i])) {
			counts[nullLabel]++
			continue
		}
		counts[c.Format(i)]++
	}
	vc := &ValueCounts{Column: c.Name}
	for v, n := range counts {
		vc.Counts = append(vc.Counts, ValueCount{Value: v, Count: n, Share: float64(n) / float64(rows)})
	}
	slices.SortFunc(vc.Counts, func(a, b ValueCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return vc
}

// WriteText writes d as aligned plain text: one line per column, then the
// label balance and the rows per quarter if present. Names are aligned
// left and numbers right.
func (d *Description) WriteText(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%d rows, %d columns\n\n", d.Rows, len(d.Columns)); err != nil {
		return err
	}
	rows := [][]string{{"column", "type", "nulls", "null %", "distinct", "min", "max"}}
	for _, c := range d.Columns {
		lo, hi := "-", "-"
		switch {
		case c.HasRange && c.Type == Time:
			lo, hi = formatTime(c.MinTime), formatTime(c.MaxTime)
		case c.HasRange:
			lo, hi = strconv.FormatFloat(c.Min, 'g', 6, 64), strconv.FormatFloat(c.Max, 'g', 6, 64)
		}
		rows = append(rows, []string{c.Name, c.Type.String(), strconv.Itoa(c.Nulls),
			fmt.Sprintf("%.1f%%", 100*c.NullShare), strconv.Itoa(c.Distinct), lo, hi})
	}
	if err := writeAligned(w, rows, []bool{false, false, true, true, true, true, true}); err != nil {
		return err
	}
	if d.Label != nil {
		rows = [][]string{{"label " + d.Label.Column, "count", "share"}}
		for _, v := range d.Label.Counts {
			rows = append(rows, []string{v.Value, strconv.Itoa(v.Count), fmt.Sprintf("%.1f%%", 100*v.Share)})
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := writeAligned(w, rows, []bool{false, true, true}); err != nil {
			return err
		}
	}
	if d.TimeColumn != "" {
		rows = [][]string{{"quarter (" + d.TimeColumn + ")", "rows"}}
		for _, q := range d.Quarters {
			rows = append(rows, []string{q.Quarter, strconv.Itoa(q.Rows)})
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := writeAligned(w, rows, []bool{false, true}); err != nil {
			return err
		}
	}
	return nil
}

// writeAligned writes rows as columns separated by two spaces, padding each
// cell to its column's width (counted in runes), right-aligned where asked.
// Trailing spaces are not written.
func writeAligned(w io.Writer, rows [][]string, right []bool) error {
	width := make([]int, len(right))
	for _, r := range rows {
		for i, cell := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, cell := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + cell)
			} else if i < len(r)-1 {
				b.WriteString(cell + pad)
			} else {
				b.WriteString(cell)
			}
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

func formatTime(tm time.Time) string {
	if tm.Hour() == 0 && tm.Minute() == 0 && tm.Second() == 0 && tm.Nanosecond() == 0 {
		return tm.Format("2006-01-02")
	}
	return tm.Format(time.RFC3339)
}
