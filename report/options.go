package report

import (
	"errors"
	"fmt"
	"math"
	"time"

	"leadscore/data"
)

// Which prediction of a lead the report uses when the lead was scored
// several times.
const (
	// PickFirst uses the first prediction at or after the lead's created_at:
	// the score that routed the lead. This is the default.
	PickFirst = "first"
	// PickLast uses the latest prediction.
	PickLast = "last"
)

// Thresholds are the stage cut-offs on the calibrated probability: a lead
// with probability >= MQL is at least an MQL, >= SQL an SQL. Zero means
// unknown.
type Thresholds struct {
	MQL float64 `json:"mql"`
	SQL float64 `json:"sql"`
}

// Options configure Build. A zero field means the default documented on it.
type Options struct {
	// Quarter is the reporting period, "2026Q3". It overrides From and To.
	// With neither Quarter nor From/To, the period is the latest quarter in
	// which a scored lead was created.
	Quarter string
	// From and To bound the period when Quarter is empty: a lead is in the
	// period when From <= created_at < To. Both must be set together.
	From, To time.Time
	// CompareQuarters is the number of quarters, ending with the period's
	// last quarter, in the quarter-over-quarter table. Default 4.
	CompareQuarters int
	// SegmentBy lists the lead columns to break the report down by. Default
	// product_line and source, where present. answered_by (model vs rules)
	// is always added when the predictions have it.
	SegmentBy []string
	// TargetRate asks for the lowest threshold whose leads convert at least
	// at this rate. Zero skips it; otherwise it must be in (0, 1].
	TargetRate float64
	// Thresholds are the stage cut-offs. A zero field is inferred from the
	// predictions' stage column (the lowest model probability labelled mql
	// or sql, resp. sql), and is unavailable without one.
	Thresholds Thresholds
	// Baseline is the reference period of the score-distribution shift
	// (PSI): one quarter, or several joined by commas. Default the earliest
	// quarter in which a scored lead was created.
	Baseline string
	// Pick chooses among several predictions of one lead: PickFirst
	// (default) or PickLast.
	Pick string

	// LabelColumn is the outcome column of the leads table. Default
	// "outcome". A string column holds Positive, Negative or Open values; a
	// bool column holds true (won) and false (lost). A null label is open.
	LabelColumn string
	// Positive, Negative and Open are the label values. Defaults "won",
	// "lost" and "open".
	Positive, Negative, Open string

	// MinClosed is the fewest won deals, and the fewest lost deals, the
	// verdict needs to judge a period or a segment. Default 30.
	MinClosed int
	// Now is the "as of" time: a deal closed after Now counts as open, and
	// the report shows it as its generation time. Default: no cut-off, and
	// the report omits the generation time (so output is reproducible).
	Now time.Time
	// Title heads the report. Default "Lead scoring calibration report".
	Title string
}

// Verdict thresholds. They are fixed rather than options so that every
// report uses the same rules; see Verdict.
const (
	// MaxAUCDrop is the largest fall in ROC AUC against the mean of the
	// previous quarters that still counts as "ranking holds".
	MaxAUCDrop = 0.03
	// MinAUC is the lowest ROC AUC that counts as a working ranking.
	MinAUC = 0.60
	// MaxRelBias is the largest relative gap |mean predicted − actual rate|
	// / actual rate that still counts as calibrated.
	MaxRelBias = 0.20
	// MaxECE is the largest expected calibration error (10 bins) that still
	// counts as calibrated.
	MaxECE = 0.05
)

func (o Options) withDefaults() Options {
	if o.CompareQuarters == 0 {
		o.CompareQuarters = 4
	}
	if o.Pick == "" {
		o.Pick = PickFirst
	}
	if o.LabelColumn == "" {
		o.LabelColumn = "outcome"
	}
	if o.Positive == "" {
		o.Positive = "won"
	}
	if o.Negative == "" {
		o.Negative = "lost"
	}
	if o.Open == "" {
		o.Open = "open"
	}
	if o.MinClosed == 0 {
		o.MinClosed = 30
	}
	if o.Title == "" {
		o.Title = "Lead scoring calibration report"
	}
	return o
}

// Validate reports every invalid field, one per line.
func (o Options) Validate() error {
	var errs []error
	if o.Quarter != "" {
		if _, _, err := data.ParseQuarter(o.Quarter); err != nil {
			errs = append(errs, fmt.Errorf("Quarter: %w", err))
		}
	} else if o.From.IsZero() != o.To.IsZero() {
		errs = append(errs, errors.New("From and To must be set together"))
	} else if !o.From.IsZero() && !o.From.Before(o.To) {
		errs = append(errs, fmt.Errorf("From %s must be before To %s", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339)))
	}
	if o.CompareQuarters < 0 || o.CompareQuarters > 40 {
		errs = append(errs, fmt.Errorf("CompareQuarters %d must be in [1, 40]", o.CompareQuarters))
	}
	if o.TargetRate != 0 && !(o.TargetRate > 0 && o.TargetRate <= 1) {
		errs = append(errs, fmt.Errorf("TargetRate %v must be in (0, 1]", o.TargetRate))
	}
	for name, v := range map[string]float64{"MQL": o.Thresholds.MQL, "SQL": o.Thresholds.SQL} {
		if math.IsNaN(v) || v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("Thresholds.%s %v must be in [0, 1]", name, v))
		}
	}
	if o.Thresholds.MQL > 0 && o.Thresholds.SQL > 0 && o.Thresholds.MQL > o.Thresholds.SQL {
		errs = append(errs, fmt.Errorf("Thresholds.MQL %v must not exceed Thresholds.SQL %v", o.Thresholds.MQL, o.Thresholds.SQL))
	}
	if o.Pick != "" && o.Pick != PickFirst && o.Pick != PickLast {
		errs = append(errs, fmt.Errorf("Pick %q must be %q or %q", o.Pick, PickFirst, PickLast))
	}
	if o.MinClosed < 0 {
		errs = append(errs, fmt.Errorf("MinClosed %d must not be negative", o.MinClosed))
	}
	if o.Positive != "" && (o.Positive == o.Negative || o.Positive == o.Open) || o.Negative != "" && o.Negative == o.Open {
		errs = append(errs, fmt.Errorf("label values %q, %q and %q must differ", o.Positive, o.Negative, o.Open))
	}
	return errors.Join(errs...)
}
