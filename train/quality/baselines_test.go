//go:build quality

package quality

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseBaselines reads an excerpt in the layout of baselines.md: rows
// of the main table, a row of the end-to-end table (which must be
// skipped: its third cell is a throughput), and the LightGBM table.
func TestParseBaselines(t *testing.T) {
	in := `# Peer baselines
## Results: quality and speed (test split)
| dataset | model | ROC AUC | PR AUC | log loss | Brier | ECE(10) | lift@top10% | train s (wall) |
|---|---|---|---|---|---|---|---|---|
| online-shoppers | sklearn-logreg | 0.8915 | 0.6582 | 0.2826 | 0.0832 | 0.0282 | 4.78 | 0.20 |
| online-shoppers | xgboost-hist | 0.9376 | 0.7487 | 0.2195 | 0.0672 | 0.0170 | 5.02 | 0.22 |
## End-to-end prediction
| online-shoppers | sklearn-logreg | 630k | 450k | 3.61 | 8.67 | 0.479 | 0.1566 | 72 | 205 |
## LightGBM 4.6.0 (command-line program, built on this machine)
| dataset | LightGBM |
|---|---|
| online-shoppers | 0.9347 / 0.7422 / 0.2229 / 0.0117 / 5.07 |
| bank-additional-noduration (time split) | 0.6574 / 0.4320 / 0.8314 / 0.2322 / 1.65 |
`
	got, err := ParseBaselines(strings.NewReader(in), "baselines.md")
	if err != nil {
		t.Fatal(err)
	}
	want := Baselines{
		"online-shoppers": {
			{Model: "sklearn-logreg", AUC: 0.8915, PRAUC: 0.6582, LogLoss: 0.2826, ECE: 0.0282, Lift10: 4.78},
			{Model: "xgboost-hist", AUC: 0.9376, PRAUC: 0.7487, LogLoss: 0.2195, ECE: 0.0170, Lift10: 5.02},
			{Model: "LightGBM", AUC: 0.9347, PRAUC: 0.7422, LogLoss: 0.2229, ECE: 0.0117, Lift10: 5.07},
		},
		"bank-additional-noduration": {
			{Model: "LightGBM", AUC: 0.6574, PRAUC: 0.4320, LogLoss: 0.8314, ECE: 0.2322, Lift10: 1.65},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseBaselines (-want +got):\n%s", d)
	}
	if best, _ := got.Best("online-shoppers"); best.Model != "xgboost-hist" {
		t.Errorf("Best = %s, want xgboost-hist", best.Model)
	}
	bad := strings.Replace(in, "0.8915", "0.89x", 1)
	if _, err := ParseBaselines(strings.NewReader(bad), "baselines.md"); err == nil || !strings.Contains(err.Error(), `line 5: column "ROC AUC": value "0.89x"`) {
		t.Errorf("bad number: error %v, want one naming line 5, the column and the value", err)
	}
}
