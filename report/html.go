package report

import (
	"fmt"
	"math"
	"strings"
	"time"
)

const css = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 "Liberation Sans",Arial,Helvetica,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:26px;margin:0 0 2px}
h2{font-size:19px;margin:34px 0 4px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
.sub{color:var(--muted);margin:0 0 18px}
.howto{color:var(--muted);margin:2px 0 12px;font-size:13px}
.howto b{color:var(--ink)}
.verdict{border-radius:10px;padding:16px 20px;margin:10px 0 18px;border-left:8px solid}
.verdict .label{font-size:12px;text-transform:uppercase;letter-spacing:.08em;font-weight:700}
.verdict .summary{font-size:20px;font-weight:700;margin:2px 0 4px}
.verdict .reason{font-size:13px}
.v-healthy{background:#ecfdf5;border-color:#16a34a;color:#14532d}
.v-recalibrate{background:#fffbeb;border-color:#d97706;color:#78350f}
.v-retrain{background:#fef2f2;border-color:#dc2626;color:#7f1d1d}
.v-insufficient{background:#f3f4f6;border-color:#6b7280;color:#374151}
.kpis{display:grid;grid-template-columns:repeat(8,minmax(0,1fr));gap:10px;margin:0 0 8px}
@media (max-width:900px){.kpis{grid-template-columns:repeat(4,minmax(0,1fr))}.charts{grid-template-columns:1fr}}
.kpi{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.kpi .k{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.kpi .v{font-size:20px;font-weight:700;font-variant-numeric:tabular-nums}
.kpi .n{font-size:11px;color:var(--muted)}
table{border-collapse:collapse;background:#fff;margin:6px 0 10px;font-size:13px;border:1px solid var(--line)}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f1f5f9;text-align:left;font-weight:700;white-space:nowrap}
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fafafa}
.foot{font-size:12px;color:var(--muted);margin:-4px 0 12px}
.na{background:#fff7ed;border:1px dashed #fdba74;color:#9a3412;border-radius:8px;padding:10px 14px;margin:8px 0}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:14px;margin:10px 0}
.chart-box{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
svg.chart{width:100%;height:auto;display:block}
.scroll{overflow-x:auto}
ul.notes li{margin:3px 0}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media print{
 body{background:#fff;font-size:11px}
 main{max-width:none;padding:0}
 .verdict,.kpi,.na,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .chart-box,table,.verdict,.kpis{break-inside:avoid}
 h2{break-after:avoid}
}
`

// HTML returns index.html: one self-contained page with inline CSS and
// inline SVG charts, no scripts and no external requests.
func (r *Report) HTML() ([]byte, error) {
	charts, err := r.charts()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>%s — %s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", esc(r.Title), esc(r.Period.Label), css)
	fmt.Fprintf(&b, "<h1>%s — %s</h1>\n", esc(r.Title), esc(r.Period.Label))
	sub := "Leads created " + periodWords(r.Period)
	if !r.GeneratedAt.IsZero() {
		sub += " · as of " + r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	fmt.Fprintf(&b, "<p class=\"sub\">%s</p>\n", esc(sub))

	v := r.Verdict
	fmt.Fprintf(&b, "<section class=\"verdict v-%s\" id=\"verdict\"><div class=\"label\">Verdict: %s</div>"+
		"<div class=\"summary\">%s</div><div class=\"reason\">Why: %s.</div></section>\n",
		esc(v.Status), esc(verdictWord(v.Status)), esc(v.Summary), esc(v.Reason))

	m := r.Headline
	kpi := func(k, val, note string) {
		fmt.Fprintf(&b, "<div class=\"kpi\"><div class=\"k\">%s</div><div class=\"v\">%s</div><div class=\"n\">%s</div></div>", esc(k), esc(val), esc(note))
	}
	why := whyNA(m)
	metricNote := func(v float64, good string) string {
		if math.IsNaN(v) && why != "" {
			return "n/a: " + why
		}
		return good
	}
	b.WriteString("<div class=\"kpis\">")
	kpi("Leads scored", count(r.Scored), fmt.Sprintf("%s still open", count(r.Open)))
	kpi("Deals won", count(r.Won), fmt.Sprintf("of %s closed", count(m.N)))
	kpi("Base rate", pct(m.BaseRate), "mean predicted "+pct(m.MeanPred))
	kpi("ROC AUC", num(m.AUC, 3), metricNote(m.AUC, "0.5 = coin flip"))
	kpi("PR AUC", num(m.PRAUC, 3), metricNote(m.PRAUC, "vs base rate "+pct(m.BaseRate)))
	kpi("Brier", num(m.Brier, 4), metricNote(m.Brier, "lower is better"))
	kpi("Log loss", num(m.LogLoss, 4), metricNote(m.LogLoss, "lower is better"))
	kpi("ECE", num(m.ECE, 4), metricNote(m.ECE, fmt.Sprintf("limit %.2f", MaxECE)))
	b.WriteString("</div>\n")
	b.WriteString("<p class=\"howto\">")
	b.WriteString(esc(strings.Join(r.inputLines(), " ")))
	b.WriteString("</p>\n")

	for _, s := range r.sections() {
		fmt.Fprintf(&b, "<section id=\"%s\">\n<h2>%s</h2>\n<p class=\"howto\"><b>How to read this:</b> %s</p>\n", s.id, esc(s.title), esc(s.howto))
		if s.unavailable != "" {
			fmt.Fprintf(&b, "<div class=\"na\"><b>Not available.</b> %s</div>\n</section>\n", esc(s.unavailable))
			continue
		}
		var boxes []string
		for _, id := range s.charts {
			if c, ok := charts[id]; ok {
				boxes = append(boxes, c)
			}
		}
		if s.id == "reliability" || s.id == "deciles" {
			writeCharts(&b, boxes)
			boxes = nil
		}
		for _, t := range s.tables {
			writeTable(&b, t)
		}
		writeCharts(&b, boxes)
		b.WriteString("</section>\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("<section id=\"notes\"><h2>Data notes</h2>\n<ul class=\"notes\">")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "<li>%s</li>", esc(n))
		}
		b.WriteString("</ul></section>\n")
	}
	b.WriteString("<section id=\"rules\"><h2>Verdict rules</h2>\n<p class=\"howto\"><b>How to read this:</b> the first rule that applies decides the verdict, for the whole period and for each segment.</p>\n<ol>")
	for _, l := range rulesText(r.minClosed) {
		fmt.Fprintf(&b, "<li>%s</li>", esc(l))
	}
	b.WriteString("</ol></section>\n")
	b.WriteString("<footer>Generated by leadscore report. Files next to this page: report.md, deciles.csv, reliability.csv, segments.csv, thresholds.csv, summary.json.</footer>\n")
	b.WriteString("</main>\n</body>\n</html>\n")
	return []byte(b.String()), nil
}

func writeCharts(b *strings.Builder, boxes []string) {
	if len(boxes) == 0 {
		return
	}
	b.WriteString("<div class=\"charts\">")
	for _, c := range boxes {
		b.WriteString("<div class=\"chart-box\">")
		b.WriteString(c)
		b.WriteString("</div>")
	}
	b.WriteString("</div>\n")
}

func writeTable(b *strings.Builder, t *tbl) {
	b.WriteString("<div class=\"scroll\"><table><thead><tr>")
	cls := func(i int) string {
		if i < len(t.right) && t.right[i] {
			return " class=\"r\""
		}
		return ""
	}
	for i, h := range t.head {
		fmt.Fprintf(b, "<th%s>%s</th>", cls(i), esc(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, row := range t.rows {
		b.WriteString("<tr>")
		for i, c := range row {
			fmt.Fprintf(b, "<td%s>%s</td>", cls(i), esc(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table></div>\n")
	if t.foot != "" {
		fmt.Fprintf(b, "<p class=\"foot\">%s</p>\n", esc(t.foot))
	}
}

func verdictWord(status string) string {
	switch status {
	case StatusHealthy:
		return "healthy"
	case StatusRecalibrate:
		return "recalibrate"
	case StatusRetrain:
		return "retrain"
	}
	return "cannot judge yet"
}

func periodWords(p Period) string {
	if p.From.IsZero() {
		return "in any period (" + p.Label + ")"
	}
	return "from " + p.From.UTC().Format("2 Jan 2006") + " to " + p.To.Add(-time.Microsecond).UTC().Format("2 Jan 2006")
}
