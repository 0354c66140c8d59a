package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"leadscore/eval"
)

// na is how an undefined figure renders for people.
const na = "n/a"

// pct formats a share as "12.3 %"; NaN is "n/a".
func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return na
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + " %"
}

// signedPct formats a relative change as "+12 %" or "−40 %".
func signedPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return na
	}
	s := strconv.FormatFloat(math.Abs(v)*100, 'f', 0, 64) + " %"
	if v < 0 {
		return "−" + s
	}
	return "+" + s
}

// num formats v with d decimals; NaN is "n/a".
func num(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return na
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// count formats an integer with thin thousands separators: 1 234 567.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// csvNum formats v for CSV: 6 decimals, or an empty cell for NaN.
func csvNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

// whyNA explains why the metrics of a set of closed deals are undefined,
// or returns "" when they are defined.
func whyNA(m eval.Metrics) string {
	switch {
	case m.N == 0:
		return "no closed deals"
	case m.Positives == 0:
		return "no won deals (one class)"
	case m.Positives == m.N:
		return "no lost deals (one class)"
	}
	return ""
}

// tbl is a table for people, rendered as Markdown or HTML.
type tbl struct {
	head  []string
	right []bool // right-align column (numbers)
	rows  [][]string
	foot  string // a note under the table
}

func (t *tbl) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *tbl) markdown(b *strings.Builder) {
	b.WriteString("|")
	for _, h := range t.head {
		b.WriteString(" " + mdEscape(h) + " |")
	}
	b.WriteString("\n|")
	for i := range t.head {
		if i < len(t.right) && t.right[i] {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
	if t.foot != "" {
		b.WriteString("\n" + t.foot + "\n")
	}
	b.WriteString("\n")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func colsRight(n int, left ...int) []bool {
	r := make([]bool, n)
	for i := range r {
		r[i] = true
	}
	for _, l := range left {
		r[l] = false
	}
	return r
}

var _ = fmt.Sprint
