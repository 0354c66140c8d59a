package report

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"leadscore/data"
)

// FuzzBuild feeds Build small random tables with nulls, NaN and
// out-of-range probabilities, unknown and missing leads, one-class and
// all-open periods, and checks that it returns an error or a report that
// writes out without NaN shown to people. It must never panic.
func FuzzBuild(f *testing.F) {
	for seed := range uint64(12) {
		f.Add(seed, uint8(seed*7), uint8(seed))
	}
	f.Fuzz(func(t *testing.T, seed uint64, size, flags uint8) {
		rng := rand.New(rand.NewPCG(seed, uint64(flags)))
		n := int(size)
		ids := make([]string, n)
		created := make([]int64, n)
		cValid := make([]bool, n)
		labels := make([]string, n)
		lValid := make([]bool, n)
		seg := make([]string, n)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
		choices := []string{"won", "lost", "open"}
		if flags&1 != 0 {
			choices = []string{"lost", "open"} // one class
		}
		for i := range n {
			ids[i] = fmt.Sprintf("L%d", i)
			created[i] = base + rng.Int64N(365*24*3600e6)
			cValid[i] = rng.IntN(10) > 0
			labels[i] = choices[rng.IntN(len(choices))]
			lValid[i] = rng.IntN(20) > 0
			seg[i] = []string{"a", "b", ""}[rng.IntN(3)]
		}
		out, err := data.NewTable(data.NewStringColumn("lead_id", ids, nil), data.NewTimeColumn("created_at", created, cValid),
			data.NewStringColumn("outcome", labels, lValid), data.NewStringColumn("product_line", seg, nil))
		if err != nil {
			t.Fatal(err)
		}
		m := n + int(flags%16)
		pids := make([]string, m)
		p := make([]float64, m)
		scored := make([]int64, m)
		chall := make([]float64, m)
		for i := range m {
			pids[i] = fmt.Sprintf("L%d", rng.IntN(n+3))
			p[i] = []float64{rng.Float64(), rng.Float64(), math.NaN(), 1.5, 0, 1}[rng.IntN(6)]
			scored[i] = base + rng.Int64N(365*24*3600e6)
			chall[i] = []float64{rng.Float64(), math.NaN()}[rng.IntN(2)]
		}
		cols := []*data.Column{data.NewStringColumn("lead_id", pids, nil), data.NewFloatColumn("probability", p)}
		if flags&2 != 0 {
			cols = append(cols, data.NewTimeColumn("scored_at", scored, nil), data.NewFloatColumn("challenger_probability", chall))
		}
		pred, err := data.NewTable(cols...)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Quarter: []string{"", "2026Q2", "2027Q1"}[flags%3], TargetRate: float64(flags%5) / 5, MinClosed: 2}
		if flags&4 != 0 {
			opts.Pick = PickLast
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r, err := Build(ctx, pred, out, opts)
		if err != nil {
			return // a clear error is fine
		}
		dir := t.TempDir()
		if err := r.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"report.md", "index.html"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "NaN") || strings.Contains(string(b), "Inf") {
				t.Errorf("%s shows NaN or Inf", name)
			}
		}
	})
}
