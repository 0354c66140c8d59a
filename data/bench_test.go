package data_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"leadscore/data"
)

// The 1M × 40 benchmark table of ecosystem.md section 2: 25 doubles, 5
// dictionary strings (8 values), 5 int64 and 5 timestamps, all with ~2%
// nulls. It is generated once per test binary into a temporary directory.
const benchRows = 1_000_000

var bench struct {
	once sync.Once
	dir  string
	tab  *data.Table
	path string
	opts data.WriteOptions
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchTable(rows int) (*data.Table, data.WriteOptions) {
	rng := rand.New(rand.NewPCG(42, 40))
	valid := func() []bool {
		v := make([]bool, rows)
		for i := range v {
			v[i] = rng.Float64() >= 0.02
		}
		return v
	}
	var cols []*data.Column
	for j := range 25 {
		f := make([]float64, rows)
		v := valid()
		for i := range f {
			if v[i] {
				f[i] = rng.NormFloat64()
			} else {
				f[i] = math.NaN()
			}
		}
		cols = append(cols, data.NewFloatColumn(fmt.Sprintf("num_%02d", j), f))
	}
	levels := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
	for j := range 5 {
		codes := make([]int32, rows)
		v := valid()
		for i := range codes {
			codes[i] = int32(rng.IntN(len(levels)))
			if !v[i] {
				codes[i] = -1
			}
		}
		cols = append(cols, &data.Column{Name: fmt.Sprintf("cat_%d", j), Type: data.String, Codes: codes, Dict: levels, Valid: v})
	}
	var ints []string
	for j := range 5 {
		f := make([]float64, rows)
		v := valid()
		for i := range f {
			if v[i] {
				f[i] = float64(rng.Int64N(1_000_000))
			} else {
				f[i] = math.NaN()
			}
		}
		name := fmt.Sprintf("int_%d", j)
		ints = append(ints, name)
		cols = append(cols, data.NewFloatColumn(name, f))
	}
	base := int64(1_700_000_000_000_000)
	for j := range 5 {
		ts := make([]int64, rows)
		for i := range ts {
			ts[i] = base + rng.Int64N(365*86400*1_000_000)
		}
		cols = append(cols, data.NewTimeColumn(fmt.Sprintf("ts_%d", j), ts, valid()))
	}
	tab, err := data.NewTable(cols...)
	if err != nil {
		panic(err)
	}
	return tab, data.WriteOptions{Int64: ints}
}

func benchFile(b *testing.B) (*data.Table, string, data.WriteOptions) {
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "leadscore-data-bench-")
		if bench.err != nil {
			return
		}
		bench.tab, bench.opts = benchTable(benchRows)
		bench.path = filepath.Join(bench.dir, "bench.parquet")
		bench.err = data.WriteParquet(bench.path, bench.tab, bench.opts)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.tab, bench.path, bench.opts
}

func BenchmarkReadParquet1Mx40(b *testing.B) {
	_, path, _ := benchFile(b)
	b.ReportAllocs()
	for b.Loop() {
		tab, err := data.ReadParquet(context.Background(), path, nil)
		if err != nil {
			b.Fatal(err)
		}
		if tab.Rows != benchRows || len(tab.Columns) != 40 {
			b.Fatalf("read %d × %d", tab.Rows, len(tab.Columns))
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadParquet1Mx5(b *testing.B) {
	_, path, _ := benchFile(b)
	cols := []string{"num_00", "num_01", "cat_0", "int_0", "ts_0"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := data.ReadParquet(context.Background(), path, cols); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWriteParquet1Mx40(b *testing.B) {
	tab, _, opts := benchFile(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := data.WriteParquetTo(io.Discard, tab, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
