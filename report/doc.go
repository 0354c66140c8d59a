// Package report builds the quarterly calibration and rank report of the
// lead scores: it joins what the scorer said (a scores file or the
// predictor's prediction log) with what happened (the leads table's
// outcomes) and writes one self-contained HTML page with inline SVG charts,
// the same tables as Markdown and CSV, and every headline figure as JSON.
//
//	predictions *data.Table ─┐
//	                         ├─Build(ctx, preds, leads, Options{Quarter: "2026Q3"})─▶ *Report ──WriteDir(dir)─▶ index.html, report.md, *.csv, summary.json
//	outcomes    *data.Table ─┘
//
// Joining. Predictions join outcomes by lead_id. When a lead was scored more
// than once, the report uses the first prediction at or after the lead's
// created_at, the score that routed the lead (Options.Pick = PickLast uses
// the latest one instead). Predictions whose lead is missing from the
// outcomes are counted and listed in the data notes, never dropped
// silently; so are rows with a missing or out-of-range probability.
//
// Periods. A lead belongs to the period in which it was created (created_at
// of the leads table; the prediction's scored_at when the leads table has
// none). Still-open leads are reported separately (count and mean predicted
// probability) and are never counted as lost.
//
// Metrics come from package eval (ROC AUC with ties as one half, average
// precision, Brier, log loss, ECE over 10 equal-width bins, deciles, gains,
// PSI over 10 quantile bins of the baseline). An undefined metric (one class,
// no closed deals) is NaN in the Report, null in summary.json, an empty cell
// in the CSVs and "n/a" with its reason in the page and the Markdown.
//
// The verdict rules are stated on Judge. Build never trains or predicts.
package report
