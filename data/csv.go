package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ImportOptions configures ImportCSV. The zero value auto-detects the
// delimiter and infers every type.
type ImportOptions struct {
	// Delimiter separates fields; 0 detects it among ',', ';', '\t' and
	// '|' from the first lines of the file.
	Delimiter rune
	// Null lists extra cell values read as null. An empty (or all-space)
	// cell is always null, and so are "NA", "null" and "NULL".
	Null []string
	// Types overrides the inferred type of the named columns. A value that
	// does not convert is an error.
	Types map[string]Type
	// MaxErrors caps the conversion problems reported. Default
	// DefaultMaxErrors.
	MaxErrors int
}

// defaultNulls are the cell values that ImportCSV always reads as null,
// besides the empty cell.
var defaultNulls = []string{"NA", "null", "NULL"}

// ImportReport says how ImportCSV read a file.
type ImportReport struct {
	Name      string
	Delimiter rune
	Rows      int
	Columns   []ImportColumn
}

// ImportColumn describes one imported column.
type ImportColumn struct {
	Name string
	Type Type
	// Detail refines Type: "int" or "float" for Float columns, the
	// timestamp layout family ("date", "datetime", "rfc3339") for Time
	// columns, "all null" for a column with no values.
	Detail string
	// Overridden reports that Type came from ImportOptions.Types.
	Overridden bool
	Nulls      int
	// Examples holds up to three distinct values, as written in the file.
	Examples []string
}

// timeLayouts are the timestamp layouts ImportCSV recognises, all read as
// UTC unless they carry an offset. Fractional seconds are accepted after
// the seconds of any layout that has them.
var timeLayouts = []struct{ layout, family string }{
	{time.RFC3339, "rfc3339"},
	{"2006-01-02T15:04:05", "datetime"},
	{"2006-01-02 15:04:05", "datetime"},
	{"2006-01-02 15:04", "datetime"},
	{"2006-01-02", "date"},
}

// ImportCSV reads a CSV file with a header row into a Table, inferring each
// column's type from every value in the file: numbers become Float (the
// report says whether all were integers), true/false in any of the cases
// true, TRUE, True become Bool, values that all parse as one of the
// supported timestamp layouts become Time, and anything else String.
// Header names are kept exactly. Quotes, CRLF line ends, a UTF-8 byte order
// mark and a missing final newline are handled; a record with the wrong
// number of fields is an error naming its line. name is used in errors and
// the report only.
func ImportCSV(r io.Reader, name string, opts ImportOptions) (*Table, *ImportReport, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", name, err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	delim := opts.Delimiter
	if delim == 0 {
		delim = detectDelimiter(raw)
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("import %s: empty file, want a header row", name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", name, err)
	}
	header = slices.Clone(header)
	seen := make(map[string]int, len(header))
	for i, h := range header {
		if h == "" {
			return nil, nil, fmt.Errorf("import %s: header field %d is empty", name, i+1)
		}
		if j, ok := seen[h]; ok {
			return nil, nil, fmt.Errorf("import %s: header names column %q twice (fields %d and %d)", name, h, j+1, i+1)
		}
		seen[h] = i
	}
	for col := range opts.Types {
		if _, ok := seen[col]; !ok {
			return nil, nil, &ColumnError{File: name, Column: col, Err: fmt.Errorf("%w: type override for a column not in the header", ErrMissingColumn)}
		}
	}

	nulls := make(map[string]bool)
	for _, s := range defaultNulls {
		nulls[s] = true
	}
	for _, s := range opts.Null {
		nulls[s] = true
	}

	// Read every cell, keeping one []string per column. Cells share the
	// file's memory through one string.
	cells := make([][]string, len(header))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("import %s: %w", name, err)
		}
		if len(rec) != len(header) {
			line, _ := cr.FieldPos(0)
			return nil, nil, fmt.Errorf("import %s: line %d: %w: %d fields, header has %d", name, line, ErrRaggedRow, len(rec), len(header))
		}
		for i, s := range rec {
			cells[i] = append(cells[i], strings.Clone(s))
		}
	}
	rows := 0
	if len(cells) > 0 {
		rows = len(cells[0])
	}

	rep := &ImportReport{Name: name, Delimiter: delim, Rows: rows}
	errs := errList{max: opts.MaxErrors}
	if errs.max <= 0 {
		errs.max = DefaultMaxErrors
	}
	cols := make([]*Column, len(header))
	for i, h := range header {
		ic := ImportColumn{Name: h}
		isNull := make([]bool, rows)
		for j, s := range cells[i] {
			if nulls[s] || strings.TrimSpace(s) == "" {
				isNull[j] = true
				ic.Nulls++
			} else if len(ic.Examples) < 3 && !slices.Contains(ic.Examples, s) {
				ic.Examples = append(ic.Examples, s)
			}
		}
		if typ, ok := opts.Types[h]; ok {
			ic.Type, ic.Overridden = typ, true
		} else {
			ic.Type, ic.Detail = inferType(cells[i], isNull)
		}
		if ic.Overridden && ic.Type == Float {
			_, ic.Detail = inferType(cells[i], isNull)
			if ic.Detail != "int" {
				ic.Detail = "float"
			}
		}
		cols[i] = convertColumn(h, ic.Type, cells[i], isNull, name, &errs)
		cells[i] = nil // let the strings go as we convert
		rep.Columns = append(rep.Columns, ic)
	}
	if err := errs.err(); err != nil {
		return nil, nil, err
	}
	t, err := NewTable(cols...)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", name, err)
	}
	t.Rows = rows
	return t, rep, nil
}

// detectDelimiter picks the candidate that splits the first lines of the
// file into the same, largest number of fields.
func detectDelimiter(raw []byte) rune {
	lines := sampleLines(raw, 20)
	best, bestCount := ',', 0
	for _, d := range []byte{',', ';', '\t', '|'} {
		count := -1
		for _, l := range lines {
			n := countOutsideQuotes(l, d)
			if count == -1 {
				count = n
			} else if n != count {
				count = -2
				break
			}
		}
		if count > bestCount {
			best, bestCount = rune(d), count
		}
	}
	if bestCount == 0 && len(lines) > 0 {
		// No consistent candidate: fall back to the header alone.
		for _, d := range []byte{',', ';', '\t', '|'} {
			if n := countOutsideQuotes(lines[0], d); n > bestCount {
				best, bestCount = rune(d), n
			}
		}
	}
	return best
}

// sampleLines returns up to n logical lines (newlines inside quotes do not
// end a line), without line ends.
func sampleLines(raw []byte, n int) [][]byte {
	var lines [][]byte
	inQuote := false
	start := 0
	for i := 0; i < len(raw) && len(lines) < n; i++ {
		switch raw[i] {
		case '"':
			inQuote = !inQuote
		case '\n':
			if !inQuote {
				lines = append(lines, bytes.TrimSuffix(raw[start:i], []byte("\r")))
				start = i + 1
			}
		}
	}
	if len(lines) < n && start < len(raw) {
		lines = append(lines, bytes.TrimSuffix(raw[start:], []byte("\r")))
	}
	return lines
}

func countOutsideQuotes(line []byte, d byte) int {
	n := 0
	inQuote := false
	for _, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == d && !inQuote:
			n++
		}
	}
	return n
}

func isBool(s string) (v, ok bool) {
	switch s {
	case "true", "TRUE", "True":
		return true, true
	case "false", "FALSE", "False":
		return false, true
	}
	return false, false
}

// looksNumeric rejects the spellings strconv accepts that are not plain
// numbers in a CSV file: NaN, Inf, Infinity, hexadecimal.
func looksNumeric(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i = 1
	}
	if i >= len(s) || !(s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		return false
	}
	return !strings.ContainsAny(s, "xXpP_")
}

func parseFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if !looksNumeric(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, !math.IsInf(f, 0) || err == nil
}

func isInt(s string) bool {
	s = strings.TrimSpace(s)
	if !looksNumeric(s) {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// parseTime parses s with the first matching layout, returning the layout's
// family.
func parseTime(s string) (int64, string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 || s[4] != '-' {
		return 0, "", false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return t.UnixMicro(), l.family, true
		}
	}
	return 0, "", false
}

// inferType finds the narrowest type that holds every non-null cell.
func inferType(cells []string, isNull []bool) (Type, string) {
	allInt, allFloat, allBool, allTime := true, true, true, true
	families := map[string]bool{}
	seenValue := false
	for j, s := range cells {
		if isNull[j] {
			continue
		}
		seenValue = true
		if allBool {
			_, allBool = isBool(s)
		}
		if allInt {
			allInt = isInt(s)
		}
		if allFloat && !allInt {
			_, allFloat = parseFloat(s)
		}
		if allTime {
			var fam string
			_, fam, allTime = parseTime(s)
			families[fam] = true
		}
		if !allBool && !allFloat && !allTime {
			break
		}
	}
	switch {
	case !seenValue:
		return String, "all null"
	case allInt:
		return Float, "int"
	case allFloat:
		return Float, "float"
	case allBool:
		return Bool, ""
	case allTime:
		fams := make([]string, 0, len(families))
		for f := range families {
			fams = append(fams, f)
		}
		slices.Sort(fams)
		return Time, strings.Join(fams, "+")
	}
	return String, ""
}

// convertColumn builds a column of type typ, recording every cell that
// does not convert.
func convertColumn(name string, typ Type, cells []string, isNull []bool, file string, errs *errList) *Column {
	n := len(cells)
	var valid []bool
	hasNull := slices.Contains(isNull, true)
	if hasNull {
		valid = make([]bool, n)
		for j := range valid {
			valid[j] = !isNull[j]
		}
	}
	bad := func(j int, sentinel error) {
		errs.add(&ColumnError{File: file, Row: j + 1, Column: name, Value: truncate(cells[j]), Err: fmt.Errorf("%w: want %v", sentinel, typ)})
	}
	switch typ {
	case Float:
		v := make([]float64, n)
		for j, s := range cells {
			if isNull[j] {
				v[j] = math.NaN()
				continue
			}
			f, ok := parseFloat(s)
			if !ok {
				bad(j, ErrBadValue)
			}
			v[j] = f
		}
		return &Column{Name: name, Type: Float, Floats: v, Valid: valid}
	case Bool:
		v := make([]bool, n)
		for j, s := range cells {
			if isNull[j] {
				continue
			}
			b, ok := isBool(strings.TrimSpace(s))
			if !ok {
				bad(j, ErrBadValue)
			}
			v[j] = b
		}
		return NewBoolColumn(name, v, valid)
	case Time:
		v := make([]int64, n)
		for j, s := range cells {
			if isNull[j] {
				continue
			}
			us, _, ok := parseTime(s)
			if !ok {
				bad(j, ErrBadTimestamp)
			}
			v[j] = us
		}
		return NewTimeColumn(name, v, valid)
	default:
		return NewStringColumn(name, cells, valid)
	}
}

// WriteText writes the report as an aligned table, one line per column.
func (r *ImportReport) WriteText(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%s: %d rows, %d columns, delimiter %q\n", r.Name, r.Rows, len(r.Columns), string(r.Delimiter)); err != nil {
		return err
	}
	rows := [][]string{{"column", "type", "detail", "nulls", "examples"}}
	for _, c := range r.Columns {
		typ := c.Type.String()
		if c.Overridden {
			typ += " (set)"
		}
		ex := make([]string, len(c.Examples))
		for i, e := range c.Examples {
			ex[i] = strconv.Quote(truncate(e))
		}
		if len(ex) == 0 {
			ex = []string{"-"}
		}
		detail := c.Detail
		if detail == "" {
			detail = "-"
		}
		rows = append(rows, []string{c.Name, typ, detail, strconv.Itoa(c.Nulls), strings.Join(ex, " ")})
	}
	return writeAligned(w, rows, []bool{false, false, false, true, false})
}
