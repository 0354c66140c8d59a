package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"leadscore/eval"
)

// section is one part of the report, rendered the same way in Markdown and
// HTML (HTML adds the charts).
type section struct {
	id, title, howto string
	unavailable      string // "not enough data: …" instead of content
	tables           []*tbl
	charts           []string // chart ids, HTML only
}

func (r *Report) headlineTable() *tbl {
	m := r.Headline
	why := whyNA(m)
	metric := func(v float64, d int) string {
		if math.IsNaN(v) && why != "" {
			return na + " (" + why + ")"
		}
		return num(v, d)
	}
	t := &tbl{head: []string{"Figure", "Value", "What it means"}, right: []bool{false, true, false}}
	t.add("Leads scored", count(r.Scored), "leads created in "+r.Period.Label+" with a usable prediction")
	t.add("Deals won", count(r.Won), "closed as won")
	t.add("Deals lost", count(r.Lost), "closed as lost")
	open := count(r.Open)
	if r.Open > 0 {
		open += " (mean predicted " + pct(r.OpenMeanPred) + ")"
	}
	t.add("Still open", open, "not counted as lost; excluded from every metric below")
	br := pct(m.BaseRate)
	if math.IsNaN(m.BaseRate) {
		br = na + " (no closed deals)"
	}
	t.add("Base rate", br, "share of closed deals that were won")
	mp := pct(m.MeanPred)
	if math.IsNaN(m.MeanPred) {
		mp = na + " (no closed deals)"
	}
	t.add("Mean predicted", mp, "average predicted win probability of the closed deals")
	t.add("ROC AUC", metric(m.AUC, 3), "chance a won deal outranks a lost one (0.5 = coin flip)")
	t.add("PR AUC", metric(m.PRAUC, 3), "average precision; compare with the base rate")
	t.add("Brier score", metric(m.Brier, 4), "mean squared error of the probabilities (lower is better)")
	t.add("Log loss", metric(m.LogLoss, 4), "penalises confident mistakes (lower is better)")
	t.add("ECE", metric(m.ECE, 4), "average gap between predicted and actual win rate, 10 bins")
	t.add("Top-decile lift", metric(m.Lift10, 2), "win rate of the top 10 % scores ÷ base rate")
	psi := num(r.PSI, 3)
	if math.IsNaN(r.PSI) {
		psi = na + " (no baseline scores)"
	} else {
		psi += " (" + psiWord(r.PSI) + ")"
	}
	t.add("Score shift (PSI)", psi, "vs baseline "+orNA(r.Quarters.Baseline)+"; < 0.1 stable, 0.1–0.25 some shift, > 0.25 major")
	return t
}

func orNA(s string) string {
	if s == "" {
		return na
	}
	return s
}

func psiWord(v float64) string {
	switch {
	case math.IsNaN(v):
		return na
	case v < 0.1:
		return "stable"
	case v <= 0.25:
		return "some shift"
	}
	return "major shift"
}

func decileTable(ds []eval.Decile) *tbl {
	t := &tbl{head: []string{"Decile", "Leads", "Won", "Score range", "Mean predicted", "Actual win rate", "Lift", "Cum. won captured"},
		right: colsRight(8)}
	for _, d := range ds {
		t.add(strconv.Itoa(d.Decile), count(d.N), count(d.Positives),
			pct(d.MinP)+" – "+pct(d.MaxP), pct(d.MeanP), pct(d.Rate), num(d.Lift, 2), pct(d.CumCapture))
	}
	return t
}

func (r *Report) sections() []section {
	var out []section
	unavail := r.Unavailable

	out = append(out, section{id: "headline", title: "Headline",
		howto:  "Closed deals of leads created in the period. The verdict applies the rules listed at the end of this report.",
		tables: []*tbl{r.headlineTable()}})

	s := section{id: "deciles", title: "Decile table",
		howto: "Closed deals ranked by predicted probability, cut into ten equal groups (1 = highest scores). " +
			"A good ranking has win rates falling from decile 1 to 10; a calibrated one has mean predicted ≈ actual win rate.",
		charts: []string{"gains", "lift"}}
	if unavail != "" && len(r.Deciles) == 0 {
		s.unavailable = unavail
	} else {
		s.tables = []*tbl{decileTable(r.Deciles)}
		if unavail != "" {
			s.tables[0].foot = "Lift and capture are n/a: " + unavail + "."
		}
	}
	out = append(out, s)

	s = section{id: "reliability", title: "Calibration (reliability)",
		howto: "Closed deals grouped by predicted probability (10 equal-width bins). Points on the diagonal mean " +
			"predictions match reality; below it the model is over-confident, above it under-confident.",
		charts: []string{"reliability", "dist"}}
	if len(r.Reliability) == 0 {
		s.unavailable = unavail
	} else {
		t := &tbl{head: []string{"Predicted bin", "Leads", "Mean predicted", "Actual win rate", "Gap (actual − predicted)"}, right: colsRight(5)}
		for _, b := range r.Reliability {
			t.add(pct(b.Lo)+" – "+pct(b.Hi), count(b.N), pct(b.MeanP), pct(b.Rate), signedPoints(b.Rate-b.MeanP))
		}
		s.tables = []*tbl{t}
	}
	out = append(out, s)

	s = section{id: "thresholds", title: "Stage thresholds",
		howto: "Closed deals scored at or above each threshold: how many leads pass, how well they convert, and how many of the won deals they hold."}
	if r.Thresholds.Unavailable != "" {
		s.unavailable = r.Thresholds.Unavailable
	} else {
		t := &tbl{head: []string{"Stage", "Threshold", "Leads above", "Conversion above", "Won deals held", "Source"}, right: colsRight(6, 0, 5)}
		var notes []string
		for _, row := range r.Thresholds.Rows {
			t.add(row.Name, pct(row.Threshold), pct(row.ShareAbove), pct(row.RateAbove), pct(row.CaptureAbove), row.Source)
			if row.Note != "" {
				notes = append(notes, row.Name+": "+na+" — "+row.Note+".")
			}
		}
		t.foot = strings.Join(notes, " ")
		s.tables = []*tbl{t}
	}
	out = append(out, s)

	s = section{id: "segments", title: "Segments",
		howto: "The headline per segment, then the actual win rate per decile (D1 = top scores) within each segment. " +
			"Small segments are judged only with enough won and lost deals."}
	for _, g := range r.Segments {
		if g.Unavailable != "" {
			t := &tbl{head: []string{g.Column}, foot: ""}
			t.add("not available: " + g.Unavailable)
			s.tables = append(s.tables, t)
			continue
		}
		t := &tbl{head: []string{g.Column, "Scored", "Won", "Lost", "Open", "Base rate", "ROC AUC", "ECE", "Mean predicted", "Top-decile lift", "Verdict"},
			right: colsRight(11, 0, 10)}
		c := &tbl{head: []string{g.Column + ": win rate by decile"}, right: []bool{false}}
		for d := 1; d <= 10; d++ {
			c.head = append(c.head, "D"+strconv.Itoa(d))
			c.right = append(c.right, true)
		}
		for _, sg := range g.Segments {
			m := sg.Metrics
			auc := num(m.AUC, 3)
			if w := whyNA(m); w != "" && math.IsNaN(m.AUC) {
				auc = na + " (" + w + ")"
			}
			t.add(sg.Value, count(sg.Scored), count(m.Positives), count(m.N-m.Positives), count(sg.Open),
				pct(m.BaseRate), auc, num(m.ECE, 3), pct(m.MeanPred), num(m.Lift10, 2), sg.Verdict.Summary)
			row := []string{sg.Value}
			got := make(map[int]string)
			for _, d := range sg.Deciles {
				got[d.Decile] = pct(d.Rate)
			}
			for d := 1; d <= 10; d++ {
				v, ok := got[d]
				if !ok {
					v = "–"
				}
				row = append(row, v)
			}
			c.rows = append(c.rows, row)
		}
		s.tables = append(s.tables, t, c)
	}
	if len(r.Segments) == 0 {
		s.unavailable = "no segment columns (product_line, source, answered_by) in the input"
	}
	out = append(out, s)

	s = section{id: "quarters", title: "Quarter over quarter",
		howto: "The same metrics for the last quarters (by lead creation date), and the shift of the score distribution " +
			"against the baseline " + orNA(r.Quarters.Baseline) + " (PSI: < 0.1 stable, 0.1–0.25 some shift, > 0.25 major shift).",
		charts: []string{"trend"}}
	if r.Quarters.Unavailable != "" {
		s.unavailable = r.Quarters.Unavailable
		s.charts = nil
	} else {
		t := &tbl{head: []string{"Quarter", "Scored", "Won", "Lost", "Open", "Base rate", "ROC AUC", "ECE", "Mean predicted", "PSI", "Note"},
			right: colsRight(11, 0, 10)}
		for _, q := range r.Quarters.Rows {
			m := q.Metrics
			name := q.Quarter
			if q.InPeriod {
				name += " (this period)"
			}
			var note []string
			if w := whyNA(m); w != "" {
				note = append(note, w)
			}
			if q.Scored == 0 {
				note = append(note, "no scored leads")
			}
			t.add(name, count(q.Scored), count(m.Positives), count(m.N-m.Positives), count(q.Open), pct(m.BaseRate),
				num(m.AUC, 3), num(m.ECE, 3), pct(m.MeanPred), num(q.PSI, 3), strings.Join(note, "; "))
		}
		if !math.IsNaN(r.Quarters.PrevAUC) {
			t.foot = fmt.Sprintf("Mean ROC AUC of the earlier quarters: %.3f (the verdict compares against it).", r.Quarters.PrevAUC)
		}
		s.tables = []*tbl{t}
	}
	out = append(out, s)

	s = section{id: "challenger", title: "Champion vs challenger",
		howto: "Both models on the same closed deals (those with a shadow score). Higher AUC, lower log loss and ECE are better."}
	if r.Challenger.Unavailable != "" {
		s.unavailable = r.Challenger.Unavailable
	} else {
		a, b := r.Challenger.Champion, r.Challenger.Challenger
		t := &tbl{head: []string{"Metric", "Champion", "Challenger", "Better"}, right: []bool{false, true, true, false}}
		better := func(x, y float64, higher bool) string {
			if math.IsNaN(x) || math.IsNaN(y) || x == y {
				return "–"
			}
			if (x > y) == higher {
				return "champion"
			}
			return "challenger"
		}
		t.add("Closed deals", count(r.Challenger.Leads), count(r.Challenger.Leads), "")
		t.add("ROC AUC", num(a.AUC, 3), num(b.AUC, 3), better(a.AUC, b.AUC, true))
		t.add("PR AUC", num(a.PRAUC, 3), num(b.PRAUC, 3), better(a.PRAUC, b.PRAUC, true))
		t.add("Log loss", num(a.LogLoss, 4), num(b.LogLoss, 4), better(a.LogLoss, b.LogLoss, false))
		t.add("Brier score", num(a.Brier, 4), num(b.Brier, 4), better(a.Brier, b.Brier, false))
		t.add("ECE", num(a.ECE, 4), num(b.ECE, 4), better(a.ECE, b.ECE, false))
		t.add("Mean predicted", pct(a.MeanPred), pct(b.MeanPred), "")
		if w := whyNA(a); w != "" {
			t.foot = "n/a: " + w + "."
		}
		s.tables = []*tbl{t}
	}
	out = append(out, s)
	return out
}

// signedPoints formats a difference of probabilities in percentage points.
func signedPoints(v float64) string {
	if math.IsNaN(v) {
		return na
	}
	s := strconv.FormatFloat(math.Abs(v)*100, 'f', 1, 64) + " pts"
	if v < 0 {
		return "−" + s
	}
	return "+" + s
}

// rulesText states the verdict rules, for the end of the report.
func rulesText(minClosed int) []string {
	return []string{
		fmt.Sprintf("Fewer than %d won or %d lost closed deals: not enough closed deals to judge.", minClosed, minClosed),
		fmt.Sprintf("ROC AUC below %.2f: retrain (the ranking barely beats chance).", MinAUC),
		fmt.Sprintf("ROC AUC more than %.2f below the mean of the earlier quarters: retrain (rank has degraded).", MaxAUCDrop),
		fmt.Sprintf("Mean predicted probability more than %.0f %% away from the actual win rate (relative), or ECE above %.2f: recalibrate.", MaxRelBias*100, MaxECE),
		"Otherwise: healthy.",
	}
}

// inputLines describes where the numbers came from.
func (r *Report) inputLines() []string {
	st := r.Inputs
	lines := []string{
		fmt.Sprintf("Predictions: %s rows; outcomes: %s leads (%s of them without a usable prediction).",
			count(st.PredictionRows), count(st.OutcomeRows), count(st.NotScored)),
	}
	if len(r.Models) > 0 {
		var parts []string
		for _, m := range r.Models {
			parts = append(parts, fmt.Sprintf("%s (%s)", m.Name, pct(m.Share)))
		}
		lines = append(lines, "Scored by: "+strings.Join(parts, ", ")+".")
	}
	which := "the first prediction at or after the lead was created (the score that routed it)"
	if r.Pick == PickLast {
		which = "the latest prediction"
	}
	lines = append(lines, "Each lead is judged by "+which+".")
	return lines
}
