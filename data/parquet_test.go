package data_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/quick"

	"github.com/google/go-cmp/cmp"

	"leadscore/data"
)

func roundTrip(t testing.TB, tab *data.Table, opts data.WriteOptions) *data.Table {
	t.Helper()
	var buf bytes.Buffer
	if err := data.WriteParquetTo(&buf, tab, opts); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := data.ReadParquetFrom(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), "mem.parquet", nil)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	return got
}

func TestParquetRoundTripProperty(t *testing.T) {
	// Random tables of every type with nulls, across row-group boundaries
	// (RowGroupRows is drawn small) and all three codecs.
	codecs := []string{"zstd", "snappy", "none"}
	check := func(seed uint64, rows uint16, nullPct uint8, rg uint8, codec uint8) bool {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := int(rows % 3000)
		tab := randomTable(rng, n, float64(nullPct%101)/100)
		opts := data.WriteOptions{RowGroupRows: 1 + int(rg)*13, Compression: codecs[int(codec)%3]}
		got := roundTrip(t, tab, opts)
		if d := diffTables(tab, got); d != "" {
			t.Logf("seed %d rows %d nulls %d%% opts %+v: %s", seed, n, nullPct%101, opts, d)
			return false
		}
		return true
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 40, Rand: nil}); err != nil {
		t.Fatal(err)
	}
}

func TestParquetRoundTripEdgeCases(t *testing.T) {
	allNull := data.NewStringColumn("s", []string{"", "", ""}, []bool{false, false, false})
	nan := data.NewFloatColumn("f", []float64{math.NaN(), math.Inf(1), math.Inf(-1)})
	ts := data.NewTimeColumn("t", []int64{math.MinInt64 + 1, 0, math.MaxInt64}, nil)
	dotted := data.NewBoolColumn("emp.var.rate", []bool{true, false, true}, nil)
	// A String column whose dictionary has unused and out-of-order entries,
	// as the synthetic generator builds them, with -1 codes and no Valid.
	raw := &data.Column{Name: "raw", Type: data.String, Codes: []int32{2, -1, 2}, Dict: []string{"unused", "x", "z"}}
	tab, err := data.NewTable(allNull, nan, ts, dotted, raw)
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, tab, data.WriteOptions{})
	if d := diffTables(tab, got); d != "" {
		t.Fatal(d)
	}
	if got.Col("raw").Valid == nil || got.Col("raw").Valid[1] {
		t.Errorf("code -1 did not read back as null: %+v", got.Col("raw"))
	}

	empty, err := data.NewTable(data.NewFloatColumn("x", nil), data.NewStringColumn("y", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	got = roundTrip(t, empty, data.WriteOptions{})
	if got.Rows != 0 || len(got.Columns) != 2 {
		t.Fatalf("empty table read back as %d rows, %d columns", got.Rows, len(got.Columns))
	}
}

func TestWriteParquetRejectsBadTables(t *testing.T) {
	var buf bytes.Buffer
	for name, tab := range map[string]*data.Table{
		"no columns": {},
		"bad code":   {Rows: 1, Columns: []*data.Column{{Name: "s", Type: data.String, Codes: []int32{3}, Dict: []string{"a"}}}},
		"short col":  {Rows: 2, Columns: []*data.Column{data.NewFloatColumn("f", []float64{1})}},
	} {
		if err := data.WriteParquetTo(&buf, tab, data.WriteOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	tab := randomTable(rand.New(rand.NewPCG(1, 2)), 10, 0)
	if err := data.WriteParquetTo(&buf, tab, data.WriteOptions{Compression: "lzma"}); err == nil || !strings.Contains(err.Error(), "lzma") {
		t.Errorf("unknown codec: err = %v", err)
	}
}

func TestWriteParquetAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leads.parquet")
	good := randomTable(rand.New(rand.NewPCG(3, 4)), 100, 0.1)
	if err := data.WriteParquet(path, good, data.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A failing write must leave the old file untouched and no temp file.
	bad := &data.Table{Rows: 1, Columns: []*data.Column{{Name: "s", Type: data.String, Codes: []int32{5}}}}
	if err := data.WriteParquet(path, bad, data.WriteOptions{}); err == nil {
		t.Fatal("bad table written")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("failed write changed the existing file")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1: %v", len(ents), ents)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	got, err := data.ReadParquet(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTables(good, got); d != "" {
		t.Fatal(d)
	}
	// Writing into a missing directory fails and names the path.
	missing := filepath.Join(dir, "nope", "x.parquet")
	if err := data.WriteParquet(missing, good, data.WriteOptions{}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing dir: err = %v", err)
	}
}

func TestReadParquetColumns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.parquet")
	tab := randomTable(rand.New(rand.NewPCG(5, 6)), 500, 0.05)
	if err := data.WriteParquet(path, tab, data.WriteOptions{RowGroupRows: 128}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := data.ReadParquet(ctx, path, []string{"t", "s"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := data.NewTable(tab.Col("t"), tab.Col("s"))
	if err != nil {
		t.Fatal(err)
	}
	if d := diffTables(want, got); d != "" {
		t.Fatal(d)
	}

	_, err = data.ReadParquet(ctx, path, []string{"s", "nope"})
	wantErr := &data.ColumnError{File: path, Column: "nope", Err: data.ErrMissingColumn}
	var ce *data.ColumnError
	if !errors.As(err, &ce) || *ce != *wantErr {
		t.Errorf("missing column: got %#v, want %#v", err, wantErr)
	}

	infos, err := data.ParquetSchema(path)
	if err != nil {
		t.Fatal(err)
	}
	wantInfos := []data.ColumnInfo{
		{Name: "f", Type: data.Float, Parquet: "DOUBLE", Optional: true, Rows: 500},
		{Name: "s", Type: data.String, Parquet: "BYTE_ARRAY STRING", Optional: true, Rows: 500},
		{Name: "b", Type: data.Bool, Parquet: "BOOLEAN", Optional: true, Rows: 500},
		{Name: "t", Type: data.Time, Parquet: "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", Optional: true, Rows: 500},
		{Name: "g", Type: data.Float, Parquet: "DOUBLE", Optional: true, Rows: 500},
	}
	if d := cmp.Diff(wantInfos, infos); d != "" {
		t.Errorf("schema (-want +got):\n%s", d)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := data.ReadParquet(cctx, path, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestReadParquetDamaged(t *testing.T) {
	tab := randomTable(rand.New(rand.NewPCG(7, 8)), 2000, 0.1)
	var buf bytes.Buffer
	if err := data.WriteParquetTo(&buf, tab, data.WriteOptions{RowGroupRows: 500}); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	ctx := context.Background()
	read := func(b []byte) error {
		_, err := data.ReadParquetFrom(ctx, bytes.NewReader(b), int64(len(b)), "damaged.parquet", nil)
		return err
	}
	// Truncation at many points: always an error naming the file.
	for _, n := range []int{0, 3, 4, 8, len(file) / 3, len(file) / 2, len(file) - 9, len(file) - 1} {
		err := read(file[:n])
		if err == nil || !strings.Contains(err.Error(), "damaged.parquet") {
			t.Errorf("truncated at %d of %d: err = %v", n, len(file), err)
		}
	}
	// Flipped bytes in the data pages: an error or a table, never a panic.
	rng := rand.New(rand.NewPCG(9, 10))
	for range 200 {
		b := bytes.Clone(file)
		for range 1 + rng.IntN(8) {
			b[4+rng.IntN(len(b)/2)] ^= byte(1 + rng.IntN(255))
		}
		if err := read(b); err != nil && !strings.Contains(err.Error(), "damaged.parquet") {
			t.Errorf("corrupted file: error does not name the file: %v", err)
		}
	}
	// A corrupted footer length.
	b := bytes.Clone(file)
	copy(b[len(b)-8:], []byte{0xff, 0xff, 0xff, 0x7f})
	if err := read(b); err == nil || !errors.Is(err, data.ErrCorrupt) {
		t.Errorf("bad footer length: err = %v", err)
	}
	// A file that does not exist.
	if _, err := data.ReadParquet(ctx, filepath.Join(t.TempDir(), "none.parquet"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func FuzzReadParquet(f *testing.F) {
	tab := randomTable(rand.New(rand.NewPCG(11, 12)), 50, 0.2)
	var buf bytes.Buffer
	if err := data.WriteParquetTo(&buf, tab, data.WriteOptions{RowGroupRows: 20}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	for _, name := range []string{"duckdb_types.parquet", "alltypes_dictionary.parquet"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := data.ReadParquetFrom(context.Background(), bytes.NewReader(b), int64(len(b)), "fuzz.parquet", nil)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.parquet") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, c := range got.Columns {
			if c.Len() != got.Rows {
				t.Fatalf("column %q has %d rows, table %d", c.Name, c.Len(), got.Rows)
			}
		}
	})
}
