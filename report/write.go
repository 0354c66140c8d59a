package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"leadscore/data"
	"leadscore/eval"
)

// Files lists the files WriteDir writes, in order.
var Files = []string{"index.html", "report.md", "deciles.csv", "reliability.csv", "segments.csv", "thresholds.csv", "summary.json"}

// WriteDir writes the report into dir, creating it if needed: index.html
// (one self-contained page with inline SVG charts), report.md (the same
// tables), deciles.csv, reliability.csv, segments.csv, thresholds.csv and
// summary.json (every headline figure; undefined ones are null). Each file
// is written atomically: a temporary file in dir, fsync, rename.
func (r *Report) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	page, err := r.HTML()
	if err != nil {
		return err
	}
	js, err := r.SummaryJSON()
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"index.html":      page,
		"report.md":       r.Markdown(),
		"deciles.csv":     r.DecilesCSV(),
		"reliability.csv": r.ReliabilityCSV(),
		"segments.csv":    r.SegmentsCSV(),
		"thresholds.csv":  r.ThresholdsCSV(),
		"summary.json":    js,
	}
	for _, name := range Files {
		if err := writeAtomic(filepath.Join(dir, name), files[name]); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// writeAtomic writes b to path through data.WriteFileAtomic: a synced
// temporary file in the same directory and a rename.
func writeAtomic(path string, b []byte) error {
	if err := data.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Markdown returns report.md: the headline, verdict and every table.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s — %s\n\n", r.Title, r.Period.Label)
	if !r.GeneratedAt.IsZero() {
		fmt.Fprintf(&b, "As of %s.\n\n", r.GeneratedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "**Verdict: %s** (%s)\n\n", r.Verdict.Summary, r.Verdict.Status)
	fmt.Fprintf(&b, "Why: %s.\n\n", r.Verdict.Reason)
	for _, l := range r.inputLines() {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	for _, s := range r.sections() {
		fmt.Fprintf(&b, "## %s\n\n", s.title)
		fmt.Fprintf(&b, "_How to read this:_ %s\n\n", s.howto)
		if s.unavailable != "" {
			fmt.Fprintf(&b, "**Not available:** %s\n\n", s.unavailable)
			continue
		}
		for _, t := range s.tables {
			t.markdown(&b)
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("## Data notes\n\n")
		for _, n := range r.Notes {
			b.WriteString("- " + n + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("## Verdict rules\n\n")
	for i, l := range rulesText(minClosedOf(r)) {
		fmt.Fprintf(&b, "%d. %s\n", i+1, l)
	}
	return []byte(b.String())
}

// minClosedOf recovers the MinClosed the verdict used (kept on the report).
func minClosedOf(r *Report) int { return r.minClosed }

func csvBytes(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows) // writes to memory; cannot fail
	return b.Bytes()
}

// DecilesCSV returns deciles.csv; undefined values are empty cells.
func (r *Report) DecilesCSV() []byte {
	rows := [][]string{{"decile", "leads", "won", "min_p", "max_p", "mean_p", "win_rate", "lift", "cum_capture"}}
	for _, d := range r.Deciles {
		rows = append(rows, []string{strconv.Itoa(d.Decile), strconv.Itoa(d.N), strconv.Itoa(d.Positives),
			csvNum(d.MinP), csvNum(d.MaxP), csvNum(d.MeanP), csvNum(d.Rate), csvNum(d.Lift), csvNum(d.CumCapture)})
	}
	return csvBytes(rows)
}

// ReliabilityCSV returns reliability.csv: the non-empty bins.
func (r *Report) ReliabilityCSV() []byte {
	rows := [][]string{{"bin_lo", "bin_hi", "leads", "mean_p", "win_rate"}}
	for _, b := range r.Reliability {
		rows = append(rows, []string{csvNum(b.Lo), csvNum(b.Hi), strconv.Itoa(b.N), csvNum(b.MeanP), csvNum(b.Rate)})
	}
	return csvBytes(rows)
}

// SegmentsCSV returns segments.csv: one row per segment value, with the
// whole period first (column "all").
func (r *Report) SegmentsCSV() []byte {
	rows := [][]string{{"column", "value", "scored", "won", "lost", "open", "base_rate", "auc", "pr_auc",
		"brier", "logloss", "ece", "mean_pred", "lift10", "capture10", "status", "verdict", "note"}}
	line := func(col, val string, scored, open int, m eval.Metrics, v Verdict, note string) []string {
		if note == "" {
			note = whyNA(m)
		}
		return []string{col, val, strconv.Itoa(scored), strconv.Itoa(m.Positives), strconv.Itoa(m.N - m.Positives),
			strconv.Itoa(open), csvNum(m.BaseRate), csvNum(m.AUC), csvNum(m.PRAUC), csvNum(m.Brier),
			csvNum(m.LogLoss), csvNum(m.ECE), csvNum(m.MeanPred), csvNum(m.Lift10), csvNum(m.Capture10),
			v.Status, v.Summary, note}
	}
	rows = append(rows, line("all", r.Period.Label, r.Scored, r.Open, r.Headline, r.Verdict, ""))
	for _, g := range r.Segments {
		if g.Unavailable != "" {
			rows = append(rows, []string{g.Column, "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "not available: " + g.Unavailable})
			continue
		}
		for _, s := range g.Segments {
			rows = append(rows, line(g.Column, s.Value, s.Scored, s.Open, s.Metrics, s.Verdict, ""))
		}
	}
	return csvBytes(rows)
}

// ThresholdsCSV returns thresholds.csv.
func (r *Report) ThresholdsCSV() []byte {
	rows := [][]string{{"name", "threshold", "share_above", "rate_above", "capture_above", "source", "note"}}
	if r.Thresholds.Unavailable != "" {
		rows = append(rows, []string{"", "", "", "", "", "", r.Thresholds.Unavailable})
	}
	for _, t := range r.Thresholds.Rows {
		rows = append(rows, []string{t.Name, csvNum(t.Threshold), csvNum(t.ShareAbove), csvNum(t.RateAbove),
			csvNum(t.CaptureAbove), t.Source, t.Note})
	}
	return csvBytes(rows)
}

// jnum is a float that encodes NaN as null.
type jnum float64

func (v jnum) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) {
		return []byte("null"), nil
	}
	if math.IsInf(f, 0) {
		return nil, errors.New("report: infinite value in summary")
	}
	return json.Marshal(f)
}

// SummaryJSON returns summary.json: every headline figure, NaN as null.
func (r *Report) SummaryJSON() ([]byte, error) {
	type thr struct {
		Name         string `json:"name"`
		Source       string `json:"source"`
		Threshold    jnum   `json:"threshold"`
		ShareAbove   jnum   `json:"share_above"`
		RateAbove    jnum   `json:"rate_above"`
		CaptureAbove jnum   `json:"capture_above"`
		Note         string `json:"note,omitempty"`
	}
	type qrow struct {
		Quarter  string       `json:"quarter"`
		Scored   int          `json:"scored"`
		Open     int          `json:"open"`
		InPeriod bool         `json:"in_period"`
		Metrics  eval.Metrics `json:"metrics"`
		PSI      jnum         `json:"psi"`
	}
	s := struct {
		Title        string            `json:"title"`
		Period       Period            `json:"period"`
		GeneratedAt  time.Time         `json:"generated_at,omitzero"`
		Verdict      Verdict           `json:"verdict"`
		Scored       int               `json:"scored"`
		Won          int               `json:"won"`
		Lost         int               `json:"lost"`
		Open         int               `json:"open"`
		OpenMeanPred jnum              `json:"open_mean_pred"`
		Headline     eval.Metrics      `json:"headline"`
		PSI          jnum              `json:"psi"`
		Unavailable  string            `json:"unavailable,omitempty"`
		Pick         string            `json:"pick"`
		Inputs       InputStats        `json:"inputs"`
		Models       []Share           `json:"models"`
		Thresholds   []thr             `json:"thresholds"`
		ThrNA        string            `json:"thresholds_unavailable,omitempty"`
		Segments     []SegmentGroup    `json:"segments"`
		Baseline     string            `json:"psi_baseline"`
		PrevAUC      jnum              `json:"previous_quarters_auc"`
		Quarters     []qrow            `json:"quarters"`
		QuartersNA   string            `json:"quarters_unavailable,omitempty"`
		Challenger   ChallengerSection `json:"challenger"`
		Notes        []string          `json:"notes"`
	}{
		Title: r.Title, Period: r.Period, GeneratedAt: r.GeneratedAt, Verdict: r.Verdict,
		Scored: r.Scored, Won: r.Won, Lost: r.Lost, Open: r.Open, OpenMeanPred: jnum(r.OpenMeanPred),
		Headline: r.Headline, PSI: jnum(r.PSI), Unavailable: r.Unavailable, Pick: r.Pick, Inputs: r.Inputs,
		Models: r.Models, ThrNA: r.Thresholds.Unavailable, Segments: r.Segments,
		Baseline: r.Quarters.Baseline, PrevAUC: jnum(r.Quarters.PrevAUC), QuartersNA: r.Quarters.Unavailable,
		Challenger: r.Challenger, Notes: r.Notes,
	}
	for _, t := range r.Thresholds.Rows {
		s.Thresholds = append(s.Thresholds, thr{t.Name, t.Source, jnum(t.Threshold), jnum(t.ShareAbove), jnum(t.RateAbove), jnum(t.CaptureAbove), t.Note})
	}
	for _, q := range r.Quarters.Rows {
		s.Quarters = append(s.Quarters, qrow{q.Quarter, q.Scored, q.Open, q.InPeriod, q.Metrics, jnum(q.PSI)})
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("summary.json: %w", err)
	}
	return append(b, '\n'), nil
}

// esc escapes text for HTML.
func esc(s string) string { return html.EscapeString(s) }

// MarshalJSON encodes r as summary.json does (see SummaryJSON).
func (r *Report) MarshalJSON() ([]byte, error) { return r.SummaryJSON() }
