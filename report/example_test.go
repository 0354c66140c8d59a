package report_test

import (
	"fmt"

	"leadscore/eval"
	"leadscore/report"
)

// Judge turns the metrics of a period's closed deals into the verdict that
// heads the report.
func ExampleJudge() {
	// 500 closed deals, 100 won (20 %), but the model predicted 12 % on
	// average; the earlier quarters had AUC 0.83.
	m := eval.Metrics{N: 500, Positives: 100, BaseRate: 0.20, AUC: 0.81, MeanPred: 0.12, ECE: 0.03}
	v := report.Judge(m, 0.83, 30)
	fmt.Println(v.Status)
	fmt.Println(v.Summary)
	// Output:
	// recalibrate
	// ranking holds (AUC 0.81, was 0.83); probabilities run 40 % low: recalibrate
}
