package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"
)

// DefaultRowGroupRows is the default number of rows per Parquet row group.
const DefaultRowGroupRows = 128 * 1024

// WriteOptions configures WriteParquet. The zero value gives the defaults
// documented on each field.
type WriteOptions struct {
	// RowGroupRows is the number of rows per row group. Default
	// DefaultRowGroupRows.
	RowGroupRows int
	// Compression is "zstd" (the default, at its fastest level), "snappy"
	// or "none".
	Compression string
	// Metadata is written into the file footer as key/value pairs.
	Metadata map[string]string
	// Workers is the number of columns encoded at once. Default
	// GOMAXPROCS.
	Workers int
	// Int64 names Float columns to store as INT64 rather than DOUBLE, for
	// smaller files and exact integers in other tools. Every non-null value
	// of such a column must be an integer in the int64 range.
	Int64 []string
}

func (o WriteOptions) codec() (compress.Codec, error) {
	switch o.Compression {
	case "", "zstd":
		return &zstd.Codec{Level: zstd.SpeedFastest, Concurrency: 1}, nil
	case "snappy":
		return &snappy.Codec{}, nil
	case "none":
		return &uncompressed.Codec{}, nil
	}
	return nil, fmt.Errorf("unknown compression %q (want zstd, snappy or none)", o.Compression)
}

// WriteParquet writes t to a Parquet file at path, atomically: the data goes
// to a temporary file in the same directory, which is synced and renamed over
// path only when everything succeeded. On error no file is left behind and
// an existing file at path is untouched.
func WriteParquet(path string, t *Table, opts WriteOptions) error {
	err := WriteFileAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := WriteParquetTo(bw, t, opts); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("write parquet %s: %w", path, err)
	}
	return nil
}

// WriteParquetTo writes t as a Parquet file to w. Every column is optional;
// Float is DOUBLE, String is a dictionary-encoded UTF-8 BYTE_ARRAY, Bool is
// BOOLEAN and Time is TIMESTAMP(MICROS, adjusted to UTC). Column order is
// kept. The file is complete only if WriteParquetTo returns nil.
func WriteParquetTo(w io.Writer, t *Table, opts WriteOptions) (err error) {
	if err := checkWritable(t); err != nil {
		return err
	}
	codec, err := opts.codec()
	if err != nil {
		return err
	}
	rgRows := opts.RowGroupRows
	if rgRows <= 0 {
		rgRows = DefaultRowGroupRows
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquet-go panicked while writing: %v", p)
		}
	}()

	asInt := make(map[string]bool, len(opts.Int64))
	for _, name := range opts.Int64 {
		if c := t.Col(name); c == nil || c.Type != Float {
			return fmt.Errorf("write parquet: Int64 names %q, which is not a float column of the table", name)
		}
		asInt[name] = true
	}
	fields := make(orderedGroup, len(t.Columns))
	for i, c := range t.Columns {
		var node parquet.Node
		switch c.Type {
		case Float:
			node = parquet.Leaf(parquet.DoubleType)
			if asInt[c.Name] {
				node = parquet.Int(64)
			}
		case String:
			node = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		case Bool:
			node = parquet.Leaf(parquet.BooleanType)
		case Time:
			node = parquet.Timestamp(parquet.Microsecond)
		}
		fields[i] = orderedField{Node: parquet.Optional(node), name: c.Name}
	}
	schema := parquet.NewSchema("table", fields)
	options := []parquet.WriterOption{
		schema,
		parquet.Compression(codec),
		parquet.MaxRowsPerRowGroup(int64(rgRows)),
		parquet.CreatedBy("leadscore", "", ""),
	}
	for k, v := range opts.Metadata {
		options = append(options, parquet.KeyValueMetadata(k, v))
	}
	cfg, err := parquet.NewWriterConfig(options...)
	if err != nil {
		return fmt.Errorf("parquet writer config: %w", err)
	}
	pw := parquet.NewGenericWriter[any](w, cfg)

	index := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		leaf, ok := schema.Lookup(c.Name)
		if !ok {
			return fmt.Errorf("column %q: not found in the schema built for it", c.Name)
		}
		index[i] = leaf.ColumnIndex
	}
	enc := make([]*colEncoder, len(t.Columns))
	for i, c := range t.Columns {
		enc[i] = newColEncoder(c, index[i])
		enc[i].int64 = asInt[c.Name]
	}
	for start := 0; start < t.Rows; start += rgRows {
		end := min(start+rgRows, t.Rows)
		rg := pw.BeginRowGroup()
		cws := rg.ColumnWriters()
		errs := make([]error, len(t.Columns))
		next := make(chan int)
		var wg sync.WaitGroup
		for range min(workers, len(t.Columns)) {
			wg.Go(func() {
				for i := range next {
					errs[i] = enc[i].writeSafe(cws[index[i]], start, end)
				}
			})
		}
		for i := range t.Columns {
			next <- i
		}
		close(next)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if _, err := rg.Commit(); err != nil {
			return fmt.Errorf("write row group at row %d: %w", start, err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

func checkWritable(t *Table) error {
	if t == nil || len(t.Columns) == 0 {
		return errors.New("write parquet: table has no columns")
	}
	seen := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		if c.Name == "" {
			return errors.New("write parquet: column with an empty name")
		}
		if seen[c.Name] {
			return fmt.Errorf("write parquet: duplicate column %q", c.Name)
		}
		seen[c.Name] = true
		if c.Len() != t.Rows {
			return fmt.Errorf("write parquet: column %q has %d rows, table has %d", c.Name, c.Len(), t.Rows)
		}
		if c.Valid != nil && len(c.Valid) != t.Rows {
			return fmt.Errorf("write parquet: column %q has %d validity flags for %d rows", c.Name, len(c.Valid), t.Rows)
		}
		switch c.Type {
		case Float, Bool, Time:
		case String:
			for i, k := range c.Codes {
				if k >= int32(len(c.Dict)) && !c.IsNull(i) {
					return fmt.Errorf("write parquet: column %q, row %d: code %d outside its dictionary of %d", c.Name, i+1, k, len(c.Dict))
				}
			}
		default:
			return fmt.Errorf("write parquet: column %q has unknown type %v", c.Name, c.Type)
		}
	}
	return nil
}

// colEncoder turns one Column into parquet.Values, a batch at a time.
type colEncoder struct {
	c     *Column
	index int
	dict  []parquet.Value // String: one value per dictionary entry
	buf   []parquet.Value
	int64 bool // write a Float column as INT64
}

func newColEncoder(c *Column, index int) *colEncoder {
	e := &colEncoder{c: c, index: index, buf: make([]parquet.Value, 0, 4096)}
	if c.Type == String {
		e.dict = make([]parquet.Value, len(c.Dict))
		for i, s := range c.Dict {
			// The writer copies the bytes into its own dictionary and pages.
			e.dict[i] = parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s))).Level(0, 1, index)
		}
	}
	return e
}

// present sets the levels of a non-null value. The pointer setters inline,
// unlike Value.Level, which matters at tens of millions of values.
func (e *colEncoder) present(v *parquet.Value) {
	v.SetDefinitionLevel(1)
	v.SetColumnIndex(e.index)
}

// writeSafe is write with a panic inside parquet-go turned into an error.
func (e *colEncoder) writeSafe(cw *parquet.ColumnWriter, start, end int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("column %q: parquet-go panicked while writing: %v", e.c.Name, p)
		}
	}()
	if err := e.write(cw, start, end); err != nil {
		return fmt.Errorf("column %q: %w", e.c.Name, err)
	}
	return nil
}

func (e *colEncoder) write(cw *parquet.ColumnWriter, start, end int) error {
	c := e.c
	null := parquet.NullValue().Level(0, 0, e.index)
	for lo := start; lo < end; lo += cap(e.buf) {
		hi := min(lo+cap(e.buf), end)
		buf := e.buf[:hi-lo]
		switch c.Type {
		case Float:
			for i, x := range c.Floats[lo:hi] {
				switch {
				case c.IsNull(lo+i) || math.IsNaN(x):
					buf[i] = null
				case e.int64:
					if x != math.Trunc(x) || x < -(1<<63) || x >= 1<<63 {
						return fmt.Errorf("row %d: value %v is not an int64", lo+i+1, x)
					}
					buf[i] = parquet.Int64Value(int64(x))
					e.present(&buf[i])
				default:
					buf[i] = parquet.DoubleValue(x)
					e.present(&buf[i])
				}
			}
		case Time:
			for i, x := range c.Times[lo:hi] {
				if c.IsNull(lo + i) {
					buf[i] = null
				} else {
					buf[i] = parquet.Int64Value(x)
					e.present(&buf[i])
				}
			}
		case Bool:
			for i, x := range c.Bools[lo:hi] {
				if c.IsNull(lo + i) {
					buf[i] = null
				} else {
					buf[i] = parquet.BooleanValue(x)
					e.present(&buf[i])
				}
			}
		case String:
			for i, k := range c.Codes[lo:hi] {
				if k < 0 || c.IsNull(lo+i) {
					buf[i] = null
				} else {
					buf[i] = e.dict[k]
				}
			}
		}
		if _, err := cw.WriteRowValues(buf); err != nil {
			return err
		}
	}
	return nil
}

// orderedGroup is a parquet group node that keeps its fields in the order
// given, unlike parquet.Group, which sorts them by name.
type orderedGroup []orderedField

type orderedField struct {
	parquet.Node
	name string
}

func (f orderedField) Name() string { return f.name }

func (f orderedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Map {
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return reflect.Value{}
}

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return "table" }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }
func (g orderedGroup) Fields() []parquet.Field {
	fields := make([]parquet.Field, len(g))
	for i := range g {
		fields[i] = g[i]
	}
	return fields
}
