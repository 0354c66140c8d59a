package predict

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics, on a registry of their own
// (no global state):
//
//	grpc_server_started_total, grpc_server_handled_total{grpc_method,grpc_code}, …
//	grpc_server_handling_seconds                     latency by RPC
//	leadscore_fallback_total{reason}                 rules answers by fallback reason
//	leadscore_model_reloads_total{model,result}      loads of a version: ok / failed
//	leadscore_prediction_score{model}                histogram of the 0–100 scores
//	leadscore_shadow_predictions_total{model}        challenger scores computed
//	leadscore_model_panics_total{model}              panics recovered in Model.Predict
type Metrics struct {
	reg       *prometheus.Registry
	grpc      *grpcMetrics
	fallbacks *prometheus.CounterVec
	reloads   *prometheus.CounterVec
	scores    *prometheus.HistogramVec
	shadow    *prometheus.CounterVec
	panics    *prometheus.CounterVec
}

// NewMetrics returns the metrics, registered on a new registry together
// with the Go and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg:  prometheus.NewRegistry(),
		grpc: newGRPCMetrics([]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadscore_fallback_total", Help: "Predictions answered by the rules model, by fallback reason.",
		}, []string{"reason"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadscore_model_reloads_total", Help: "Model version loads, by model and result (ok, failed).",
		}, []string{"model", "result"}),
		scores: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leadscore_prediction_score", Help: "Distribution of the 0-100 scores, by answering model.",
			Buckets: prometheus.LinearBuckets(10, 10, 10),
		}, []string{"model"}),
		shadow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadscore_shadow_predictions_total", Help: "Challenger scores computed in shadow, by model.",
		}, []string{"model"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadscore_model_panics_total", Help: "Panics recovered inside Model.Predict, by model.",
		}, []string{"model"}),
	}
	m.reg.MustRegister(m.grpc, m.fallbacks, m.reloads, m.scores, m.shadow, m.panics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range FallbackReasons {
		m.fallbacks.WithLabelValues(r)
	}
	return m
}

// Registry returns the Prometheus registry, for adding collectors (e.g.
// the prediction log's drop counter).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *Metrics) reload(model string, ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "failed"
	}
	m.reloads.WithLabelValues(model, result).Inc()
}
