package eval

import (
	"encoding/json"
	"math"
)

// metricsJSON is the wire form of Metrics: NaN is null.
type metricsJSON struct {
	N         int      `json:"n"`
	Positives int      `json:"positives"`
	BaseRate  *float64 `json:"base_rate"`
	AUC       *float64 `json:"auc"`
	PRAUC     *float64 `json:"pr_auc"`
	LogLoss   *float64 `json:"logloss"`
	Brier     *float64 `json:"brier"`
	ECE       *float64 `json:"ece"`
	Lift10    *float64 `json:"lift10"`
	Capture10 *float64 `json:"capture10"`
	MeanPred  *float64 `json:"mean_pred"`
}

func nanToNull(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func nullToNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes m with the keys of its struct tags; an undefined (NaN)
// metric becomes null, so a Metrics from a single-class slice still encodes.
// ±Inf cannot occur in a Metrics from Compute and is an error.
func (m Metrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricsJSON{
		N: m.N, Positives: m.Positives,
		BaseRate: nanToNull(m.BaseRate), AUC: nanToNull(m.AUC), PRAUC: nanToNull(m.PRAUC),
		LogLoss: nanToNull(m.LogLoss), Brier: nanToNull(m.Brier), ECE: nanToNull(m.ECE),
		Lift10: nanToNull(m.Lift10), Capture10: nanToNull(m.Capture10), MeanPred: nanToNull(m.MeanPred),
	})
}

// UnmarshalJSON reads what MarshalJSON writes; a null or absent metric
// becomes NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var w metricsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Metrics{
		N: w.N, Positives: w.Positives,
		BaseRate: nullToNaN(w.BaseRate), AUC: nullToNaN(w.AUC), PRAUC: nullToNaN(w.PRAUC),
		LogLoss: nullToNaN(w.LogLoss), Brier: nullToNaN(w.Brier), ECE: nullToNaN(w.ECE),
		Lift10: nullToNaN(w.Lift10), Capture10: nullToNaN(w.Capture10), MeanPred: nullToNaN(w.MeanPred),
	}
	return nil
}
