package eval_test

import (
	"fmt"

	"leadscore/eval"
)

func ExampleReliability() {
	p := []float64{0.05, 0.15, 0.12, 0.95, 0.85, 0.55}
	y := []bool{false, true, false, true, true, false}
	for _, b := range eval.Reliability(p, y, 10) {
		fmt.Printf("[%.1f, %.1f) n=%d mean p=%.3f rate=%.3f\n", b.Lo, b.Hi, b.N, b.MeanP, b.Rate)
	}
	fmt.Printf("ECE %.3f\n", eval.ECE(p, y, 10))
	// Output:
	// [0.0, 0.1) n=1 mean p=0.050 rate=0.000
	// [0.1, 0.2) n=2 mean p=0.135 rate=0.500
	// [0.5, 0.6) n=1 mean p=0.550 rate=0.000
	// [0.8, 0.9) n=1 mean p=0.850 rate=1.000
	// [0.9, 1.0) n=1 mean p=0.950 rate=1.000
	// ECE 0.255
}

func ExampleCompute() {
	p := []float64{0.9, 0.8, 0.3, 0.1}
	y := []bool{true, false, true, false}
	m := eval.Compute(p, y)
	fmt.Printf("AUC %.2f, PR AUC %.3f, lift@10%% %.1f\n", m.AUC, m.PRAUC, m.Lift10)
	// Output:
	// AUC 0.75, PR AUC 0.833, lift@10% 2.0
}
