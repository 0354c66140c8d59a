package data_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"leadscore/data"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// diffTables describes the first differences between two tables, comparing
// values (not dictionary layout) and treating a nil Valid as all-valid.
func diffTables(want, got *data.Table) string {
	if want.Rows != got.Rows {
		return fmt.Sprintf("rows: want %d, got %d", want.Rows, got.Rows)
	}
	if d := cmp.Diff(want.Names(), got.Names()); d != "" {
		return "column names differ:\n" + d
	}
	for ci, wc := range want.Columns {
		gc := got.Columns[ci]
		if wc.Type != gc.Type {
			return fmt.Sprintf("column %q: type want %v, got %v", wc.Name, wc.Type, gc.Type)
		}
		for i := 0; i < want.Rows; i++ {
			wn := wc.IsNull(i) || (wc.Type == data.String && wc.Codes[i] < 0) || (wc.Type == data.Float && math.IsNaN(wc.Floats[i]))
			gn := gc.IsNull(i)
			if wn != gn {
				return fmt.Sprintf("column %q row %d: null want %v, got %v", wc.Name, i, wn, gn)
			}
			if wn {
				continue
			}
			var same bool
			switch wc.Type {
			case data.Float:
				same = math.Float64bits(wc.Floats[i]) == math.Float64bits(gc.Floats[i])
			case data.String:
				w, _ := wc.Str(i)
				g, _ := gc.Str(i)
				same = w == g
			case data.Bool:
				same = wc.Bools[i] == gc.Bools[i]
			case data.Time:
				same = wc.Times[i] == gc.Times[i]
			}
			if !same {
				return fmt.Sprintf("column %q row %d: want %q, got %q", wc.Name, i, wc.Format(i), gc.Format(i))
			}
		}
	}
	return ""
}

// randomTable builds a table with every column type, nulls in each with
// probability pNull, from a seeded generator.
func randomTable(rng *rand.Rand, rows int, pNull float64) *data.Table {
	valid := func() []bool {
		if pNull == 0 {
			return nil
		}
		v := make([]bool, rows)
		for i := range v {
			v[i] = rng.Float64() >= pNull
		}
		return v
	}
	f := make([]float64, rows)
	fv := valid()
	for i := range f {
		f[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
		if fv != nil && !fv[i] {
			f[i] = math.NaN()
		}
	}
	words := []string{"", "a", "won", "lost", "ünïcødé", "with,comma", "x\"q\"", "long-" + string(make([]byte, 40))}
	s := make([]string, rows)
	for i := range s {
		s[i] = words[rng.IntN(len(words))]
	}
	b := make([]bool, rows)
	for i := range b {
		b[i] = rng.IntN(2) == 1
	}
	ts := make([]int64, rows)
	for i := range ts {
		ts[i] = rng.Int64N(4_000_000_000_000_000) - 1_000_000_000_000_000
	}
	t, err := data.NewTable(
		data.NewFloatColumn("f", f),
		data.NewStringColumn("s", s, valid()),
		data.NewBoolColumn("b", b, valid()),
		data.NewTimeColumn("t", ts, valid()),
		data.NewFloatColumn("g", f[:rows:rows]),
	)
	if err != nil {
		panic(err)
	}
	return t
}

// datasetsDir returns /work/shared/datasets resolved from the package
// directory, failing the test if it is missing.
func datasetsDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared datasets missing (want them at ../../shared/datasets relative to data/): %v", err)
	}
	return dir
}

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (go test ./data -update to accept):\n%s", golden, diff)
	}
}
