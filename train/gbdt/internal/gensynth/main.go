// Command gensynth writes gbdttest.SyntheticMatrix to a file for the
// peer timing script train/gbdt/testdata/peers_bench.py:
//
//	go run ./train/gbdt/internal/gensynth -rows 1000000 -seed 1 -o /tmp/synth.bin
//	python3 train/gbdt/testdata/peers_bench.py /tmp/synth.bin
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"leadscore/data"
	"leadscore/train/gbdt/gbdttest"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows to generate")
	seed := flag.Uint64("seed", 1, "generator seed (BenchmarkTrain1Mx40 uses 1)")
	out := flag.String("o", "", "output file")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gensynth: -o is required")
		os.Exit(2)
	}
	if err := run(*rows, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gensynth:", err)
		os.Exit(1)
	}
}

// run writes the file atomically (data.WriteFileAtomic).
func run(rows int, seed uint64, out string) error {
	feats, ds := gbdttest.SyntheticMatrix(rows, seed)
	return data.WriteFileAtomic(out, func(w io.Writer) error { return gbdttest.WriteBinary(w, feats, ds) })
}
