package data

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// ColumnInfo describes one leaf column of a Parquet file.
type ColumnInfo struct {
	// Name is the column name; nested columns join their path with ".".
	Name string
	// Type is the type the column is read as, or 0 if it cannot be read
	// (see Reason).
	Type Type
	// Parquet is the physical and logical Parquet type, e.g.
	// "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)".
	Parquet string
	// Optional reports whether the column may hold nulls.
	Optional bool
	// Rows is the number of rows in the file.
	Rows int64
	// Reason says why the column cannot be read; empty if it can.
	Reason string
}

// ParquetSchema returns the leaf columns of the Parquet file at path, in file
// order, without reading any data pages.
func ParquetSchema(path string) (infos []ColumnInfo, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read parquet schema: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read parquet schema: %w", err)
	}
	defer recoverParquet(path, &err)
	pf, err := openParquet(f, st.Size(), path)
	if err != nil {
		return nil, err
	}
	schema := pf.Schema()
	for _, p := range schema.Columns() {
		leaf, _ := schema.Lookup(p...)
		info := ColumnInfo{
			Name:     strings.Join(p, "."),
			Parquet:  parquetTypeString(leaf.Node),
			Optional: leaf.MaxDefinitionLevel > 0,
			Rows:     pf.NumRows(),
		}
		if c, cerr := convOf(leaf); cerr != nil {
			info.Reason = cerr.Error()
		} else {
			info.Type = c.typ
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// ReadParquet reads the named columns of the Parquet file at path into a
// Table, in the order asked. A nil columns reads every leaf column that can
// be represented, in file order, and skips repeated (list and map) columns
// and types it cannot hold; fields of plain groups (structs) are read under
// their dotted path, e.g. "address.city". A column that is asked for but
// missing, repeated or unsupported is a *ColumnError naming the file and the
// column. A damaged file gives an error naming the file and wrapping
// ErrCorrupt, never a panic: sizes claimed by the footer and page headers
// are checked before parquet-go allocates for them.
//
// Integers, floats and decimals (INT32, INT64, FLOAT, DOUBLE, and DECIMAL in
// any physical layout, scaled) become Float; BYTE_ARRAY strings, enums and
// JSON become String (UUIDs are formatted); BOOLEAN becomes Bool; TIMESTAMP
// in millis, micros or nanos (floored), INT96 and DATE (midnight) become
// Time in UTC microseconds, whatever isAdjustedToUTC says.
func ReadParquet(ctx context.Context, path string, columns []string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	return ReadParquetFrom(ctx, f, st.Size(), path, columns)
}

// ReadParquetFrom is ReadParquet over any io.ReaderAt of the given size; name
// is used in errors only. r must be safe for concurrent ReadAt calls, as
// *os.File and *bytes.Reader are: columns are decoded in parallel.
func ReadParquetFrom(ctx context.Context, r io.ReaderAt, size int64, name string, columns []string) (t *Table, err error) {
	defer recoverParquet(name, &err)
	pf, err := openParquet(r, size, name)
	if err != nil {
		return nil, err
	}
	schema := pf.Schema()

	type job struct {
		leaf parquet.LeafColumn
		conv conv
		col  *Column
	}
	var jobs []*job
	if columns == nil {
		for _, p := range schema.Columns() {
			leaf, _ := schema.Lookup(p...)
			c, cerr := convOf(leaf)
			if cerr != nil {
				continue // nested, repeated or of a type we cannot hold
			}
			jobs = append(jobs, &job{leaf: leaf, conv: c, col: &Column{Name: strings.Join(p, "."), Type: c.typ}})
		}
	} else {
		seen := make(map[string]bool, len(columns))
		for _, col := range columns {
			if seen[col] {
				return nil, fmt.Errorf("read parquet %s: column %q asked for twice", name, col)
			}
			seen[col] = true
		}
		for _, col := range columns {
			leaf, ok := schema.Lookup(col)
			if !ok && strings.Contains(col, ".") {
				leaf, ok = schema.Lookup(strings.Split(col, ".")...)
			}
			if !ok {
				for _, p := range schema.Columns() {
					if p[0] == col {
						return nil, &ColumnError{File: name, Column: col, Value: strings.Join(p, "."), Err: fmt.Errorf("%w: nested or repeated column", ErrUnsupported)}
					}
				}
				return nil, &ColumnError{File: name, Column: col, Err: ErrMissingColumn}
			}
			c, cerr := convOf(leaf)
			if cerr != nil {
				return nil, &ColumnError{File: name, Column: col, Value: parquetTypeString(leaf.Node), Err: cerr}
			}
			jobs = append(jobs, &job{leaf: leaf, conv: c, col: &Column{Name: col, Type: c.typ}})
		}
	}

	leaves := make([]int, len(jobs))
	for i, j := range jobs {
		leaves[i] = j.leaf.ColumnIndex
	}
	if err := checkChunks(pf, r, size, leaves); err != nil {
		return nil, fmt.Errorf("read parquet %s: %w: %w", name, ErrCorrupt, err)
	}
	n := pf.NumRows()
	if n < 0 || n > math.MaxInt32*8 {
		return nil, fmt.Errorf("read parquet %s: %w: footer says %d rows", name, ErrCorrupt, n)
	}
	var total int64
	for _, rg := range pf.RowGroups() {
		total += rg.NumRows()
	}
	if total != n {
		return nil, fmt.Errorf("read parquet %s: %w: row groups hold %d rows, footer says %d", name, ErrCorrupt, total, n)
	}

	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	next := make(chan *job)
	errs := make([]error, len(jobs))
	index := make(map[*job]int, len(jobs))
	for i, j := range jobs {
		index[j] = i
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range next {
				errs[index[j]] = readColumn(ctx, pf, size, j.leaf, j.conv, j.col, int(n), name)
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cols := make([]*Column, len(jobs))
	for i, j := range jobs {
		cols[i] = j.col
	}
	t, err = NewTable(cols...)
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w", name, err)
	}
	t.Rows = int(n) // also right when no columns were read
	return t, nil
}

func openParquet(r io.ReaderAt, size int64, name string) (*parquet.File, error) {
	if err := checkFooter(r, size); err != nil {
		return nil, fmt.Errorf("read parquet %s: %w: %w", name, ErrCorrupt, err)
	}
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("read parquet %s: %w: %w", name, ErrCorrupt, err)
	}
	return pf, nil
}

// recoverParquet turns a panic inside parquet-go into an error naming the
// file. It must be deferred directly.
func recoverParquet(name string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("read parquet %s: %w: parquet-go panicked: %v", name, ErrCorrupt, p)
	}
}

// conv says how to turn the values of one Parquet column into a Column.
type conv struct {
	typ      Type
	kind     parquet.Kind
	decimal  bool
	scale    float64 // 10^scale for decimals
	unsigned bool
	timeMul  int64 // micros = raw*timeMul/timeDiv
	timeDiv  int64
	date     bool
	int96    bool
	uuid     bool
	maxDef   int
}

func parquetTypeString(n parquet.Node) string {
	if n == nil {
		return ""
	}
	if !n.Leaf() {
		return "GROUP"
	}
	t := n.Type()
	s := t.Kind().String()
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		s += " " + lt.String()
	} else if ct := t.ConvertedType(); ct != nil {
		s += fmt.Sprintf(" CONVERTED(%d)", int(*ct))
	}
	return s
}

// convOf decides how a leaf column is read, or why it cannot be.
func convOf(leaf parquet.LeafColumn) (conv, error) {
	if leaf.Node == nil || !leaf.Node.Leaf() {
		return conv{}, fmt.Errorf("%w: not a leaf column", ErrUnsupported)
	}
	if leaf.MaxRepetitionLevel > 0 {
		return conv{}, fmt.Errorf("%w: nested or repeated column", ErrUnsupported)
	}
	t := leaf.Node.Type()
	c := conv{kind: t.Kind(), maxDef: leaf.MaxDefinitionLevel}
	var lv format.LogicalTypeValue
	if lt := t.LogicalType(); lt != nil {
		lv = lt.Value
	}
	var ct deprecated.ConvertedType = -1
	if p := t.ConvertedType(); p != nil {
		ct = *p
	}
	unsupported := func() (conv, error) {
		return conv{}, fmt.Errorf("%w: parquet type %s", ErrUnsupported, parquetTypeString(leaf.Node))
	}
	if d, ok := lv.(*format.DecimalType); ok {
		switch c.kind {
		case parquet.Int32, parquet.Int64, parquet.ByteArray, parquet.FixedLenByteArray:
		default:
			return unsupported()
		}
		c.typ, c.decimal, c.scale = Float, true, math.Pow10(int(d.Scale))
		return c, nil
	}
	switch c.kind {
	case parquet.Boolean:
		c.typ = Bool
	case parquet.Int32:
		switch l := lv.(type) {
		case *format.DateType:
			c.typ, c.date = Time, true
		case *format.IntType:
			c.typ, c.unsigned = Float, !l.IsSigned
		case nil:
			if ct == deprecated.Date {
				c.typ, c.date = Time, true
				break
			}
			c.typ = Float
		default:
			return unsupported()
		}
	case parquet.Int64:
		switch l := lv.(type) {
		case *format.TimestampType:
			c.typ, c.timeMul, c.timeDiv = Time, 1, 1
			switch l.Unit.Value.(type) {
			case *format.MilliSeconds:
				c.timeMul = 1000
			case *format.NanoSeconds:
				c.timeDiv = 1000
			}
		case *format.IntType:
			c.typ, c.unsigned = Float, !l.IsSigned
		case nil:
			switch ct {
			case deprecated.TimestampMillis:
				c.typ, c.timeMul, c.timeDiv = Time, 1000, 1
			case deprecated.TimestampMicros:
				c.typ, c.timeMul, c.timeDiv = Time, 1, 1
			default:
				c.typ = Float
			}
		default:
			return unsupported()
		}
	case parquet.Int96:
		c.typ, c.int96 = Time, true
	case parquet.Float, parquet.Double:
		if lv != nil {
			return unsupported()
		}
		c.typ = Float
	case parquet.ByteArray:
		switch lv.(type) {
		case nil, *format.StringType, *format.EnumType, *format.JsonType:
			c.typ = String
		default:
			return unsupported()
		}
	case parquet.FixedLenByteArray:
		switch lv.(type) {
		case *format.UUIDType:
			c.typ, c.uuid = String, true
		case nil:
			if ct >= 0 {
				return unsupported() // INTERVAL and friends
			}
			c.typ = String
		default:
			return unsupported()
		}
	default:
		return unsupported()
	}
	return c, nil
}

// colBuilder accumulates one column's values across pages.
type colBuilder struct {
	c      conv
	col    *Column
	at     int // next row
	total  int // rows the footer promises
	dict   map[string]int32
	lastD  parquet.Dictionary
	dmap   []int32   // file dictionary index → our code (String)
	dflt   []float64 // file dictionary → values (Float)
	dtime  []int64
	dbool  []bool
	scratF []float64
	scratT []int64
	scratS []int32
	scratB []bool
	values []parquet.Value
}

func readColumn(ctx context.Context, pf *parquet.File, size int64, leaf parquet.LeafColumn, c conv, col *Column, n int, name string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("read parquet %s: column %q: %w: parquet-go panicked: %v", name, col.Name, ErrCorrupt, p)
		}
	}()
	b := &colBuilder{c: c, col: col, total: n}
	// Trust the footer's row count for the initial allocation only as far
	// as the file size makes it plausible; beyond that the column grows as
	// pages actually decode, so a lying footer cannot make us allocate more
	// than the data holds.
	capacity := int(min(int64(n), max(1<<16, size*8)))
	switch c.typ {
	case Float:
		col.Floats = make([]float64, 0, capacity)
	case Time:
		col.Times = make([]int64, 0, capacity)
	case Bool:
		col.Bools = make([]bool, 0, capacity)
	case String:
		col.Codes = make([]int32, 0, capacity)
		b.dict = make(map[string]int32)
	}
	for gi, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read parquet %s: %w", name, err)
		}
		start := b.at
		want := int(rg.NumRows())
		if err := b.readChunk(rg.ColumnChunks()[leaf.ColumnIndex]); err != nil {
			return fmt.Errorf("read parquet %s: column %q, row group %d: %w: %w", name, col.Name, gi, ErrCorrupt, err)
		}
		if got := b.at - start; got != want {
			return fmt.Errorf("read parquet %s: column %q, row group %d: %w: %d values for %d rows", name, col.Name, gi, ErrCorrupt, got, want)
		}
	}
	return nil
}

func (b *colBuilder) readChunk(chunk parquet.ColumnChunk) error {
	pages := chunk.Pages()
	defer pages.Close()
	b.lastD = nil
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		err = b.addPage(page)
		parquet.Release(page)
		if err != nil {
			return err
		}
	}
}

// extend adds rows zero rows (valid, if the column tracks validity) to the
// column, for the next page to fill.
func (b *colBuilder) extend(rows int) {
	col := b.col
	// Memory past len was never used, so it is zero.
	switch b.c.typ {
	case Float:
		col.Floats = slices.Grow(col.Floats, rows)[:len(col.Floats)+rows]
	case Time:
		col.Times = slices.Grow(col.Times, rows)[:len(col.Times)+rows]
	case Bool:
		col.Bools = slices.Grow(col.Bools, rows)[:len(col.Bools)+rows]
	case String:
		col.Codes = slices.Grow(col.Codes, rows)[:len(col.Codes)+rows]
	}
	if col.Valid != nil {
		for range rows {
			col.Valid = append(col.Valid, true)
		}
	}
}

// setNull marks row i null.
func (b *colBuilder) setNull(i int) {
	if b.col.Valid == nil {
		b.col.Valid = make([]bool, b.col.Len(), cap(b.col.Floats)+cap(b.col.Times)+cap(b.col.Bools)+cap(b.col.Codes))
		for j := range b.col.Valid {
			b.col.Valid[j] = true
		}
	}
	b.col.Valid[i] = false
	switch b.c.typ {
	case Float:
		b.col.Floats[i] = math.NaN()
	case String:
		b.col.Codes[i] = -1
	}
}

func (b *colBuilder) addPage(page parquet.Page) error {
	rows := int(page.NumRows())
	if rows < 0 || b.at+rows > b.total {
		return fmt.Errorf("page holds %d rows past the %d of the file", rows, b.total)
	}
	if b.col.Len() < b.at+rows {
		b.extend(b.at + rows - b.col.Len())
	}
	defs := page.DefinitionLevels()
	if b.c.maxDef > 0 && len(defs) != rows {
		return fmt.Errorf("page has %d definition levels for %d rows", len(defs), rows)
	}
	nulls := 0
	if b.c.maxDef > 0 {
		for _, d := range defs {
			if int(d) != b.c.maxDef {
				nulls++
			}
		}
	}
	dense := rows - nulls

	// Decode the dense (non-null) values into scratch, or straight into the
	// column when there are no nulls.
	if b.c.typ == Bool || b.c.int96 || b.c.kind == parquet.FixedLenByteArray {
		return b.addGeneric(page, rows)
	}
	var ok bool
	var err error
	at := b.at
	switch b.c.typ {
	case Float:
		dst := b.col.Floats[at : at+rows]
		if nulls > 0 {
			b.scratF = grow(b.scratF, dense)
			dst = b.scratF
		}
		ok, err = b.floats(page, dst)
		if ok && nulls > 0 {
			scatter(b, defs, dst, b.col.Floats[at:at+rows])
		}
	case Time:
		dst := b.col.Times[at : at+rows]
		if nulls > 0 {
			b.scratT = grow(b.scratT, dense)
			dst = b.scratT
		}
		ok, err = b.times(page, dst)
		if ok && nulls > 0 {
			scatter(b, defs, dst, b.col.Times[at:at+rows])
		}
	case String:
		dst := b.col.Codes[at : at+rows]
		if nulls > 0 {
			b.scratS = grow(b.scratS, dense)
			dst = b.scratS
		}
		ok, err = b.strings(page, dst)
		if ok && nulls > 0 {
			scatter(b, defs, dst, b.col.Codes[at:at+rows])
		}
	}
	if err != nil {
		return err
	}
	if !ok {
		return b.addGeneric(page, rows)
	}
	b.at += rows
	return nil
}

// scatter spreads the dense values over the page's rows, marking nulls.
func scatter[T any](b *colBuilder, defs []byte, dense, dst []T) {
	j := 0
	for i, d := range defs {
		if int(d) == b.c.maxDef {
			dst[i] = dense[j]
			j++
		} else {
			b.setNull(b.at + i)
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func checkLen(got, want int) error {
	if got != want {
		return fmt.Errorf("page holds %d values, want %d", got, want)
	}
	return nil
}

// dictionary returns the page's dictionary indexes if the page is
// dictionary-encoded.
func dictIndexes(page parquet.Page) (parquet.Dictionary, []int32) {
	d := page.Dictionary()
	if d == nil {
		return nil, nil
	}
	v := page.Data()
	return d, v.Int32()
}

func checkIndexes(idx []int32, n int) error {
	for _, i := range idx {
		if i < 0 || int(i) >= n {
			return fmt.Errorf("dictionary index %d out of range [0, %d)", i, n)
		}
	}
	return nil
}

// floats decodes the dense values of a Float column into dst; false means
// no fast path applies.
func (b *colBuilder) floats(page parquet.Page, dst []float64) (bool, error) {
	if d, idx := dictIndexes(page); d != nil {
		if d != b.lastD {
			b.lastD = d
			dp := d.Page()
			b.dflt = make([]float64, int(dp.NumValues()))
			ok, err := b.floatsOf(dp.Data(), b.dflt)
			if !ok || err != nil {
				b.lastD = nil
				return ok, err
			}
		}
		if err := checkLen(len(idx), len(dst)); err != nil {
			return false, err
		}
		if err := checkIndexes(idx, len(b.dflt)); err != nil {
			return false, err
		}
		for i, k := range idx {
			dst[i] = b.dflt[k]
		}
		return true, nil
	}
	return b.floatsOf(page.Data(), dst)
}

func (b *colBuilder) floatsOf(v encoding.Values, dst []float64) (bool, error) {
	c := b.c
	switch c.kind {
	case parquet.Double:
		src := v.Double()
		if err := checkLen(len(src), len(dst)); err != nil {
			return false, err
		}
		copy(dst, src)
	case parquet.Float:
		src := v.Float()
		if err := checkLen(len(src), len(dst)); err != nil {
			return false, err
		}
		for i, x := range src {
			dst[i] = float64(x)
		}
	case parquet.Int32:
		src := v.Int32()
		if err := checkLen(len(src), len(dst)); err != nil {
			return false, err
		}
		for i, x := range src {
			if c.unsigned {
				dst[i] = float64(uint32(x))
			} else {
				dst[i] = float64(x)
			}
		}
		if c.decimal {
			for i := range dst {
				dst[i] /= c.scale
			}
		}
	case parquet.Int64:
		src := v.Int64()
		if err := checkLen(len(src), len(dst)); err != nil {
			return false, err
		}
		for i, x := range src {
			if c.unsigned {
				dst[i] = float64(uint64(x))
			} else {
				dst[i] = float64(x)
			}
		}
		if c.decimal {
			for i := range dst {
				dst[i] /= c.scale
			}
		}
	case parquet.ByteArray:
		if !c.decimal {
			return false, nil
		}
		data, off := v.ByteArray()
		if err := checkLen(len(off)-1, len(dst)); err != nil {
			return false, err
		}
		for i := range dst {
			dst[i] = decimalBytes(data[off[i]:off[i+1]], c.scale)
		}
	default:
		return false, nil
	}
	return true, nil
}

// decimalBytes converts a big-endian two's complement unscaled decimal.
func decimalBytes(p []byte, scale float64) float64 {
	if len(p) <= 8 {
		var x int64
		for _, c := range p {
			x = x<<8 | int64(c)
		}
		if len(p) > 0 && len(p) < 8 && p[0]&0x80 != 0 {
			x -= 1 << (8 * uint(len(p)))
		}
		return float64(x) / scale
	}
	z := new(big.Int).SetBytes(p)
	if p[0]&0x80 != 0 {
		z.Sub(z, new(big.Int).Lsh(big.NewInt(1), uint(8*len(p))))
	}
	f, _ := new(big.Float).SetInt(z).Float64()
	return f / scale
}

func (b *colBuilder) times(page parquet.Page, dst []int64) (bool, error) {
	if d, idx := dictIndexes(page); d != nil {
		if d != b.lastD {
			b.lastD = d
			dp := d.Page()
			b.dtime = make([]int64, int(dp.NumValues()))
			ok, err := b.timesOf(dp.Data(), b.dtime)
			if !ok || err != nil {
				b.lastD = nil
				return ok, err
			}
		}
		if err := checkLen(len(idx), len(dst)); err != nil {
			return false, err
		}
		if err := checkIndexes(idx, len(b.dtime)); err != nil {
			return false, err
		}
		for i, k := range idx {
			dst[i] = b.dtime[k]
		}
		return true, nil
	}
	return b.timesOf(page.Data(), dst)
}

const microsPerDay = 86400 * 1_000_000

func (b *colBuilder) timesOf(v encoding.Values, dst []int64) (bool, error) {
	c := b.c
	switch {
	case c.kind == parquet.Int32 && c.date:
		src := v.Int32()
		if err := checkLen(len(src), len(dst)); err != nil {
			return false, err
		}
		for i, x := range src {
			dst[i] = int64(x) * microsPerDay
		}
	case c.kind == parquet.Int64:
		src := v.Int64()
		if err := checkLen(len(src), len(dst)); err != nil {
			return false, err
		}
		switch {
		case c.timeMul == 1 && c.timeDiv == 1:
			copy(dst, src)
		case c.timeDiv == 1:
			for i, x := range src {
				dst[i] = x * c.timeMul
			}
		default:
			for i, x := range src {
				dst[i] = floorDiv(x, c.timeDiv)
			}
		}
	default:
		return false, nil
	}
	return true, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (b *colBuilder) code(s []byte) int32 {
	if k, ok := b.dict[string(s)]; ok { // no allocation for the lookup
		return k
	}
	k := int32(len(b.col.Dict))
	str := string(s)
	b.dict[str] = k
	b.col.Dict = append(b.col.Dict, str)
	return k
}

func (b *colBuilder) strings(page parquet.Page, dst []int32) (bool, error) {
	if b.c.kind != parquet.ByteArray {
		return false, nil
	}
	if d, idx := dictIndexes(page); d != nil {
		if d != b.lastD {
			b.lastD = d
			dv := d.Page().Data()
			data, off := dv.ByteArray()
			if len(off) == 0 {
				off = []uint32{0}
			}
			b.dmap = make([]int32, len(off)-1)
			for i := range b.dmap {
				b.dmap[i] = b.code(data[off[i]:off[i+1]])
			}
		}
		if err := checkLen(len(idx), len(dst)); err != nil {
			return false, err
		}
		if err := checkIndexes(idx, len(b.dmap)); err != nil {
			return false, err
		}
		for i, k := range idx {
			dst[i] = b.dmap[k]
		}
		return true, nil
	}
	pv := page.Data()
	data, off := pv.ByteArray()
	if len(off) == 0 && len(dst) == 0 {
		return true, nil
	}
	if err := checkLen(len(off)-1, len(dst)); err != nil {
		return false, err
	}
	for i := range dst {
		dst[i] = b.code(data[off[i]:off[i+1]])
	}
	return true, nil
}

// addGeneric reads a page value by value; it serves booleans, INT96,
// fixed-length byte arrays and anything without a fast path.
func (b *colBuilder) addGeneric(page parquet.Page, rows int) error {
	if cap(b.values) < 1024 {
		b.values = make([]parquet.Value, 1024)
	}
	r := page.Values()
	got := 0
	for {
		n, err := r.ReadValues(b.values[:cap(b.values)])
		if got+n > rows {
			return fmt.Errorf("page holds more than its %d rows", rows)
		}
		for _, v := range b.values[:n] {
			if err := b.setValue(b.at+got, v); err != nil {
				return err
			}
			got++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("page reader made no progress")
		}
	}
	if got != rows {
		return fmt.Errorf("page holds %d values for %d rows", got, rows)
	}
	b.at += rows
	return nil
}

func (b *colBuilder) setValue(i int, v parquet.Value) error {
	if v.IsNull() {
		b.setNull(i)
		return nil
	}
	c := b.c
	switch c.typ {
	case Bool:
		b.col.Bools[i] = v.Boolean()
	case Float:
		switch v.Kind() {
		case parquet.Double:
			b.col.Floats[i] = v.Double()
		case parquet.Float:
			b.col.Floats[i] = float64(v.Float())
		case parquet.Int32:
			x := float64(v.Int32())
			if c.unsigned {
				x = float64(v.Uint32())
			}
			if c.decimal {
				x /= c.scale
			}
			b.col.Floats[i] = x
		case parquet.Int64:
			x := float64(v.Int64())
			if c.unsigned {
				x = float64(v.Uint64())
			}
			if c.decimal {
				x /= c.scale
			}
			b.col.Floats[i] = x
		case parquet.ByteArray, parquet.FixedLenByteArray:
			b.col.Floats[i] = decimalBytes(v.ByteArray(), c.scale)
		default:
			return fmt.Errorf("value of kind %s in a float column", v.Kind())
		}
	case Time:
		switch {
		case v.Kind() == parquet.Int96:
			b.col.Times[i] = int96Micros(v.Int96())
		case v.Kind() == parquet.Int32 && c.date:
			b.col.Times[i] = int64(v.Int32()) * microsPerDay
		case v.Kind() == parquet.Int64:
			x := v.Int64()
			if c.timeDiv != 1 {
				b.col.Times[i] = floorDiv(x, c.timeDiv)
			} else {
				b.col.Times[i] = x * c.timeMul
			}
		default:
			return fmt.Errorf("value of kind %s in a timestamp column", v.Kind())
		}
	case String:
		p := v.ByteArray()
		if c.uuid && len(p) == 16 {
			b.col.Codes[i] = b.code([]byte(formatUUID(p)))
		} else {
			b.col.Codes[i] = b.code(p)
		}
	}
	return nil
}

func formatUUID(p []byte) string {
	h := hex.EncodeToString(p)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// int96Micros converts a legacy INT96 timestamp (nanoseconds of the day, then
// the Julian day number) to microseconds since the epoch.
func int96Micros(x deprecated.Int96) int64 {
	nanos := int64(uint64(x[1])<<32 | uint64(x[0]))
	day := int64(x[2]) - 2440588 // Julian day of 1970-01-01
	return day*microsPerDay + floorDiv(nanos, 1000)
}
