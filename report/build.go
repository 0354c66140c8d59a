package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"leadscore/data"
	"leadscore/eval"
)

// Report is the computed calibration report of one period. Build makes it;
// WriteDir writes it out. Undefined figures are NaN and render as "n/a"
// with the reason stated next to them.
type Report struct {
	Title  string `json:"title"`
	Period Period `json:"period"`
	// GeneratedAt is Options.Now; zero leaves it out.
	GeneratedAt time.Time  `json:"generated_at,omitzero"`
	Pick        string     `json:"pick"` // PickFirst or PickLast
	Inputs      InputStats `json:"inputs"`
	// Models lists the model versions (or "rules") that scored the
	// period's leads, with their share of leads.
	Models []Share `json:"models"`

	Scored int `json:"scored"` // leads in the period with a usable prediction
	Won    int `json:"won"`
	Lost   int `json:"lost"`
	Open   int `json:"open"` // still open: never counted as lost
	// OpenMeanPred is the mean predicted probability of the open leads.
	OpenMeanPred float64 `json:"-"`
	// Headline holds the metrics of the period's closed deals.
	Headline eval.Metrics `json:"headline"`
	// PSI is the score-distribution shift of the period against the
	// baseline (see Quarters).
	PSI     float64 `json:"-"`
	Verdict Verdict `json:"verdict"`

	Deciles     []eval.Decile    `json:"-"`
	Reliability []eval.Bin       `json:"-"`
	Gains       []eval.GainPoint `json:"-"`
	// Unavailable explains why the rank and calibration sections are empty
	// ("" when they are not).
	Unavailable string `json:"unavailable,omitempty"`

	Thresholds ThresholdSection  `json:"thresholds"`
	Segments   []SegmentGroup    `json:"segments"`
	Quarters   QuarterSection    `json:"quarters"`
	Challenger ChallengerSection `json:"challenger"`
	// Notes are warnings about the input, in plain language.
	Notes []string `json:"notes"`

	dist      scoreDist // histogram of won vs lost probabilities
	minClosed int       // Options.MinClosed, for the rules text
}

// Period is the reporting window: leads created in [From, To).
type Period struct {
	Label string    `json:"label"` // "2026Q3", or "2026-07-01 – 2026-09-30"
	From  time.Time `json:"from,omitzero"`
	To    time.Time `json:"to,omitzero"`
}

// Share is one value and its share of leads.
type Share struct {
	Name  string  `json:"name"`
	Leads int     `json:"leads"`
	Share float64 `json:"share"`
}

// ThresholdSection holds the stage thresholds and the target-rate threshold.
type ThresholdSection struct {
	Rows        []ThresholdRow `json:"rows"`
	Unavailable string         `json:"unavailable,omitempty"`
}

// A ThresholdRow describes the closed deals at or above one threshold.
type ThresholdRow struct {
	Name   string `json:"name"`   // "MQL", "SQL", "target 20 %"
	Source string `json:"source"` // where the threshold came from
	eval.ThresholdStat
	// Note explains a missing threshold or figure.
	Note string `json:"note,omitempty"`
}

// A SegmentGroup is the breakdown of the period by one column.
type SegmentGroup struct {
	Column      string    `json:"column"`
	Segments    []Segment `json:"segments"`
	Unavailable string    `json:"unavailable,omitempty"`
}

// A Segment is the headline of one value of a segment column.
type Segment struct {
	Value   string        `json:"value"`
	Scored  int           `json:"scored"`
	Open    int           `json:"open"`
	Metrics eval.Metrics  `json:"metrics"`
	Verdict Verdict       `json:"verdict"`
	Deciles []eval.Decile `json:"-"`
}

// QuarterSection is the quarter-over-quarter trend.
type QuarterSection struct {
	Baseline    string       `json:"baseline"` // quarters the PSI compares against
	Rows        []QuarterRow `json:"rows"`
	Unavailable string       `json:"unavailable,omitempty"`
	// PrevAUC is the mean ROC AUC of the listed quarters before the
	// period (NaN when none has one); the verdict compares against it.
	PrevAUC float64 `json:"-"`
}

// A QuarterRow is one quarter's headline and score shift.
type QuarterRow struct {
	Quarter  string       `json:"quarter"`
	Scored   int          `json:"scored"`
	Open     int          `json:"open"`
	Metrics  eval.Metrics `json:"metrics"`
	PSI      float64      `json:"-"`
	InPeriod bool         `json:"in_period"`
}

// ChallengerSection compares the champion with the shadow model on the
// closed deals that have both scores.
type ChallengerSection struct {
	Leads       int          `json:"leads"`
	Champion    eval.Metrics `json:"champion"`
	Challenger  eval.Metrics `json:"challenger"`
	Unavailable string       `json:"unavailable,omitempty"`
}

// scoreDist is a histogram of predicted probabilities of won and lost deals.
type scoreDist struct {
	bins      int
	won, lost []float64 // share of won (lost) deals per bin
}

const distBins = 20

// Build joins predictions to outcomes by lead_id and computes the report for
// the period in opts. Predictions need lead_id and probability; outcomes need
// lead_id and the label column. Every other column is optional, and a
// missing one marks its section as unavailable. Bad input (a duplicate lead,
// an unknown label value, a column of the wrong type) is an error that names
// the table, row, column and value. Build never trains or predicts. It
// panics if either table is nil.
func Build(ctx context.Context, predictions, outcomes *data.Table, opts Options) (*Report, error) {
	if predictions == nil || outcomes == nil {
		panic("report: Build needs both tables")
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("report options: %w", err)
	}
	o := opts.withDefaults()
	segNames := o.SegmentBy
	if len(segNames) == 0 {
		for _, s := range []string{"product_line", "source"} {
			if outcomes.Col(s) != nil || predictions.Col(s) != nil {
				segNames = append(segNames, s)
			}
		}
	}
	j, missingSegs, err := join(predictions, outcomes, o, segNames)
	if err != nil {
		return nil, fmt.Errorf("join predictions to outcomes: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Report{Title: o.Title, GeneratedAt: o.Now, Pick: o.Pick, Inputs: j.stats, minClosed: o.MinClosed}
	r.notesFromJoin(j, o)
	for _, s := range missingSegs {
		r.Segments = append(r.Segments, SegmentGroup{Column: s,
			Unavailable: fmt.Sprintf("column %q is in neither the leads nor the predictions", s)})
	}

	// One sort of every joined lead by descending probability (ties in join
	// order). Every subset taken in this order is already sorted, so the
	// eval functions' own sorts are linear.
	order := scoreOrder(j.p)

	inPeriod, err := r.resolvePeriod(j, o)
	if err != nil {
		return nil, err
	}

	// The period's leads, in score order.
	var sel []int32
	for _, i := range order {
		if inPeriod(i) {
			sel = append(sel, i)
		}
	}
	r.Scored = len(sel)
	closedP, closedY, open, openSum := split(j, sel)
	r.Open = open
	r.OpenMeanPred = math.NaN()
	if open > 0 {
		r.OpenMeanPred = openSum / float64(open)
	}
	r.Headline = eval.Compute(closedP, closedY)
	r.Won = r.Headline.Positives
	r.Lost = r.Headline.N - r.Headline.Positives
	r.Models = shares(j.modelVer, j.modelDict, sel)
	if r.Scored == 0 {
		r.Unavailable = "not enough data: no scored leads in " + r.Period.Label
	} else if len(closedP) == 0 {
		r.Unavailable = fmt.Sprintf("not enough data: none of the %d scored leads in %s has closed yet", r.Scored, r.Period.Label)
	} else {
		r.Deciles = eval.Deciles(closedP, closedY)
		r.Reliability = eval.Reliability(closedP, closedY, 10)
		r.Gains = eval.Gains(closedP, closedY, 100)
		r.dist = histogram(closedP, closedY)
		switch {
		case r.Won == 0:
			r.Unavailable = fmt.Sprintf("only one class: none of the %d closed deals was won, so ranking metrics are undefined", r.Lost)
		case r.Lost == 0:
			r.Unavailable = fmt.Sprintf("only one class: all %d closed deals were won, so ranking metrics are undefined", r.Won)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The remaining sections are independent: each writes its own fields.
	var wg sync.WaitGroup
	wg.Go(func() { r.thresholds(j, sel, closedP, closedY, o) })
	wg.Go(func() { r.segments(j, sel, o) })
	wg.Go(func() { r.challenger(j, sel) })
	r.quarters(j, order, o)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.Verdict = Judge(r.Headline, r.Quarters.PrevAUC, o.MinClosed)
	return r, nil
}

// scoreOrder returns the indexes of p sorted by descending probability,
// ties in index order.
func scoreOrder(p []float64) []int32 {
	type item struct {
		p float64
		i int32
	}
	items := make([]item, len(p))
	for i, v := range p {
		items[i] = item{v, int32(i)}
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Or(cmp.Compare(b.p, a.p), cmp.Compare(a.i, b.i)) })
	order := make([]int32, len(p))
	for k, it := range items {
		order[k] = it.i
	}
	return order
}

// split returns the closed deals of sel (probabilities and won flags, in
// sel's order) and the count and probability sum of the open ones.
func split(j *joined, sel []int32) (p []float64, y []bool, open int, openSum float64) {
	p = make([]float64, 0, len(sel))
	y = make([]bool, 0, len(sel))
	for _, i := range sel {
		switch j.label[i] {
		case labelOpen:
			open++
			openSum += j.p[i]
		default:
			p = append(p, j.p[i])
			y = append(y, j.label[i] == labelWon)
		}
	}
	return p, y, open, openSum
}

func (r *Report) notesFromJoin(j *joined, o Options) {
	st := j.stats
	if st.Unmatched > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d prediction rows for %d leads have no row in the outcomes table and are left out of every figure (e.g. %s)",
			st.Unmatched, st.UnmatchedLeads, strings.Join(st.UnmatchedExamples, ", ")))
	}
	if st.NullLeadID > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d prediction rows have no lead_id and are left out", st.NullLeadID))
	}
	if st.InvalidProbability > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d prediction rows have a missing or out-of-range probability and are left out", st.InvalidProbability))
	}
	if st.RescoredLeads > 0 {
		which := "the first prediction at or after the lead's created_at (the score that routed it)"
		if o.Pick == PickLast {
			which = "the latest prediction"
		}
		r.Notes = append(r.Notes, fmt.Sprintf("%d leads were scored more than once; the report uses %s", st.RescoredLeads, which))
	}
	if st.ScoredBeforeCreate > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d leads have only predictions scored before their created_at; the report uses them anyway", st.ScoredBeforeCreate))
	}
	if st.ClosedAfterNow > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d deals closed after the report's as-of time and count as open", st.ClosedAfterNow))
	}
	if st.NoTimestamps {
		r.Notes = append(r.Notes, "neither created_at (outcomes) nor scored_at (predictions) is present: the whole input is one period and the quarter-over-quarter section is unavailable")
	}
}

// resolvePeriod sets r.Period and returns the membership test.
func (r *Report) resolvePeriod(j *joined, o Options) (func(int32) bool, error) {
	if j.stats.NoTimestamps {
		r.Period = Period{Label: "all leads"}
		return func(int32) bool { return true }, nil
	}
	from, to := o.From, o.To
	label := ""
	switch {
	case o.Quarter != "":
		var err error
		from, to, err = data.QuarterBounds(o.Quarter)
		if err != nil {
			return nil, err
		}
		label = strings.ToUpper(strings.ReplaceAll(o.Quarter, "-", ""))
	case !from.IsZero():
		label = from.UTC().Format("2006-01-02") + " – " + to.Add(-time.Microsecond).UTC().Format("2006-01-02")
	default:
		latest, ok := int64(math.MinInt64), false
		for i, v := range j.t {
			if j.tValid[i] && v > latest {
				latest, ok = v, true
			}
		}
		if !ok {
			r.Period = Period{Label: "no leads"}
			return func(int32) bool { return false }, nil
		}
		label = data.Quarter(latest)
		from, to, _ = data.QuarterBounds(label)
	}
	r.Period = Period{Label: label, From: from, To: to}
	lo, hi := from.UnixMicro(), to.UnixMicro()
	return func(i int32) bool { return j.tValid[i] && j.t[i] >= lo && j.t[i] < hi }, nil
}

func shares(codes []int32, dict []string, sel []int32) []Share {
	if codes == nil || len(sel) == 0 {
		return nil
	}
	counts := make([]int, len(dict)+1)
	for _, i := range sel {
		counts[codes[i]+1]++
	}
	var out []Share
	for k, c := range counts {
		if c == 0 {
			continue
		}
		name := "(unknown)"
		if k > 0 {
			name = dict[k-1]
		}
		out = append(out, Share{Name: name, Leads: c, Share: float64(c) / float64(len(sel))})
	}
	slices.SortStableFunc(out, func(a, b Share) int { return cmp.Or(cmp.Compare(b.Leads, a.Leads), cmp.Compare(a.Name, b.Name)) })
	return out
}

func histogram(p []float64, y []bool) scoreDist {
	d := scoreDist{bins: distBins, won: make([]float64, distBins), lost: make([]float64, distBins)}
	var nw, nl float64
	for i, v := range p {
		b := min(max(int(v*distBins), 0), distBins-1)
		if y[i] {
			d.won[b]++
			nw++
		} else {
			d.lost[b]++
			nl++
		}
	}
	for b := range distBins {
		if nw > 0 {
			d.won[b] /= nw
		}
		if nl > 0 {
			d.lost[b] /= nl
		}
	}
	return d
}

// thresholds fills the stage and target-rate rows.
func (r *Report) thresholds(j *joined, sel []int32, p []float64, y []bool, o Options) {
	ts := &r.Thresholds
	if len(p) == 0 {
		ts.Unavailable = "not enough data: no closed deals in " + r.Period.Label
		return
	}
	inferred := inferThresholds(j, sel)
	for _, st := range []struct {
		name     string
		opt, inf float64
	}{{"MQL", o.Thresholds.MQL, inferred.MQL}, {"SQL", o.Thresholds.SQL, inferred.SQL}} {
		row := ThresholdRow{Name: st.name}
		switch {
		case st.opt > 0:
			row.Source = "given"
			row.ThresholdStat = eval.ThresholdStats(p, y, st.opt)
		case !math.IsNaN(st.inf):
			row.Source = "inferred: lowest model probability labelled " + strings.ToLower(st.name) + " or above"
			row.ThresholdStat = eval.ThresholdStats(p, y, st.inf)
		default:
			row.Source = "unknown"
			row.ThresholdStat = eval.ThresholdStat{Threshold: math.NaN(), ShareAbove: math.NaN(), RateAbove: math.NaN(), CaptureAbove: math.NaN()}
			row.Note = "no threshold given and no stage column to infer it from"
		}
		if row.Note == "" && math.IsNaN(row.RateAbove) {
			row.Note = "no closed deal scores at or above it"
		}
		ts.Rows = append(ts.Rows, row)
	}
	if o.TargetRate > 0 {
		row := ThresholdRow{Name: "target " + pct(o.TargetRate), Source: "lowest threshold whose leads convert at the target rate"}
		t, ok := eval.ThresholdForRate(p, y, o.TargetRate)
		if ok {
			row.ThresholdStat = eval.ThresholdStats(p, y, t)
		} else {
			row.ThresholdStat = eval.ThresholdStat{Threshold: math.NaN(), ShareAbove: math.NaN(), RateAbove: math.NaN(), CaptureAbove: math.NaN()}
			row.Note = fmt.Sprintf("no threshold reaches a %s conversion rate in %s", pct(o.TargetRate), r.Period.Label)
		}
		ts.Rows = append(ts.Rows, row)
	}
}

// inferThresholds returns, per stage, the lowest probability the model gave
// a lead of that stage or above; NaN when unknown. Rules answers are left
// out because the rules map points, not probabilities, to stages.
func inferThresholds(j *joined, sel []int32) Thresholds {
	t := Thresholds{MQL: math.NaN(), SQL: math.NaN()}
	if j.stage == nil {
		return t
	}
	rank := make([]int, len(j.stageDict)) // 2 sql, 1 mql, 0 other
	for k, s := range j.stageDict {
		switch strings.ToLower(s) {
		case "sql":
			rank[k] = 2
		case "mql":
			rank[k] = 1
		}
	}
	rules := int32(-2)
	for k, s := range j.answerDict {
		if s == "rules" {
			rules = int32(k)
		}
	}
	for _, i := range sel {
		c := j.stage[i]
		if c < 0 || (j.answer != nil && j.answer[i] == rules) {
			continue
		}
		if rk := rank[c]; rk >= 1 {
			if math.IsNaN(t.MQL) || j.p[i] < t.MQL {
				t.MQL = j.p[i]
			}
			if rk == 2 && (math.IsNaN(t.SQL) || j.p[i] < t.SQL) {
				t.SQL = j.p[i]
			}
		}
	}
	return t
}

// maxSegmentValues is the most values of one segment column shown; the
// smaller ones are pooled into "(other)".
const maxSegmentValues = 12

func (r *Report) segments(j *joined, sel []int32, o Options) {
	dims := slices.Clone(j.segs)
	if j.answer != nil && !slices.ContainsFunc(dims, func(s segCodes) bool { return s.name == colAnsweredBy }) {
		dims = append(dims, segCodes{name: colAnsweredBy, codes: j.answer, dict: j.answerDict})
	}
	for _, d := range dims {
		g := SegmentGroup{Column: d.name}
		if len(sel) == 0 {
			g.Unavailable = "not enough data: no scored leads in " + r.Period.Label
			r.Segments = append(r.Segments, g)
			continue
		}
		// Count per code (index 0 = missing), then keep the largest values.
		counts := make([]int, len(d.dict)+1)
		for _, i := range sel {
			counts[d.codes[i]+1]++
		}
		keys := make([]int, 0, len(counts))
		for k, c := range counts {
			if c > 0 {
				keys = append(keys, k)
			}
		}
		slices.SortStableFunc(keys, func(a, b int) int {
			return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(segName(d, a), segName(d, b)))
		})
		group := make([]int, len(counts)) // code+1 → position in keys (pooled at the end)
		other := false
		for pos, k := range keys {
			if pos >= maxSegmentValues-1 && len(keys) > maxSegmentValues {
				group[k] = maxSegmentValues - 1
				other = true
			} else {
				group[k] = pos
			}
		}
		nGroups := min(len(keys), maxSegmentValues)
		members := make([][]int32, nGroups)
		for _, i := range sel {
			gi := group[d.codes[i]+1]
			members[gi] = append(members[gi], i)
		}
		for gi, m := range members {
			name := segName(d, keys[gi])
			if other && gi == nGroups-1 {
				name = fmt.Sprintf("(other: %d values)", len(keys)-(maxSegmentValues-1))
			}
			p, y, open, _ := split(j, m)
			s := Segment{Value: name, Scored: len(m), Open: open, Metrics: eval.Compute(p, y)}
			s.Verdict = Judge(s.Metrics, math.NaN(), o.MinClosed)
			if len(p) > 0 {
				s.Deciles = eval.Deciles(p, y)
			}
			g.Segments = append(g.Segments, s)
		}
		r.Segments = append(r.Segments, g)
	}
}

func segName(d segCodes, key int) string {
	if key == 0 {
		return "(missing)"
	}
	return d.dict[key-1]
}

// psiBins is the number of quantile bins of the PSI.
const psiBins = 10

func (r *Report) quarters(j *joined, order []int32, o Options) {
	qs := &r.Quarters
	qs.PrevAUC = math.NaN()
	r.PSI = math.NaN()
	if j.stats.NoTimestamps {
		qs.Unavailable = "not enough data: no created_at or scored_at to place leads in quarters"
		return
	}
	if r.Period.To.IsZero() {
		qs.Unavailable = "not enough data: no lead has a timestamp"
		return
	}
	// The listed quarters end with the period's last quarter.
	lastQ := data.Quarter(r.Period.To.UnixMicro() - 1)
	firstQ := data.Quarter(r.Period.From.UnixMicro())
	names := []string{lastQ}
	for len(names) < o.CompareQuarters {
		start, _, _ := data.QuarterBounds(names[0])
		names = append([]string{data.Quarter(start.AddDate(0, -3, 0).UnixMicro())}, names...)
	}
	// The baseline: given, or the earliest quarter with a scored lead.
	var base []string
	if o.Baseline != "" {
		for _, b := range strings.Split(o.Baseline, ",") {
			b = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(b), "-", ""))
			if _, _, err := data.ParseQuarter(b); err != nil {
				qs.Unavailable = fmt.Sprintf("baseline: %v", err)
				return
			}
			base = append(base, b)
		}
	} else {
		earliest, ok := int64(math.MaxInt64), false
		for i, v := range j.t {
			if j.tValid[i] && v < earliest {
				earliest, ok = v, true
			}
		}
		if ok {
			base = []string{data.Quarter(earliest)}
		}
	}
	qs.Baseline = strings.Join(base, ", ")

	// Bucket every lead (in score order) by quarter.
	members := make([][]int32, len(names))
	var baseScores []float64
	// Place leads by comparing micros with quarter bounds: no calendar
	// arithmetic per lead.
	type span struct{ lo, hi int64 }
	bounds := func(q string) span {
		s, e, _ := data.QuarterBounds(q)
		return span{s.UnixMicro(), e.UnixMicro()}
	}
	rows := make([]span, len(names))
	for k, n := range names {
		rows[k] = bounds(n)
	}
	var baseSpans []span
	for _, b := range base {
		baseSpans = append(baseSpans, bounds(b))
	}
	for k := len(order) - 1; k >= 0; k-- { // ascending scores: eval.PSI's sort of them is linear
		i := order[k]
		if !j.tValid[i] {
			continue
		}
		t := j.t[i]
		if t >= rows[0].lo && t < rows[len(rows)-1].hi {
			for row, sp := range rows {
				if t < sp.hi {
					members[row] = append(members[row], i)
					break
				}
			}
		}
		for _, sp := range baseSpans {
			if t >= sp.lo && t < sp.hi {
				baseScores = append(baseScores, j.p[i])
				break
			}
		}
	}
	if len(baseScores) == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the PSI baseline %s has no scored leads: score shift is unavailable", qs.Baseline))
	}
	var prevSum float64
	var prevN int
	for k := range members {
		slices.Reverse(members[k]) // back to descending scores
	}
	for k, name := range names {
		p, y, open, _ := split(j, members[k])
		row := QuarterRow{Quarter: name, Scored: len(members[k]), Open: open, Metrics: eval.Compute(p, y),
			InPeriod: name >= firstQ && name <= lastQ, PSI: math.NaN()}
		if len(baseScores) > 0 && len(members[k]) > 0 {
			all := make([]float64, len(members[k]))
			for x, i := range members[k] {
				all[x] = j.p[i]
			}
			row.PSI = eval.PSI(baseScores, all, psiBins)
		}
		if name < firstQ && !math.IsNaN(row.Metrics.AUC) {
			prevSum += row.Metrics.AUC
			prevN++
		}
		qs.Rows = append(qs.Rows, row)
	}
	if prevN > 0 {
		qs.PrevAUC = prevSum / float64(prevN)
	}
	if len(baseScores) > 0 && r.Scored > 0 {
		var all []float64
		for k := len(order) - 1; k >= 0; k-- {
			i := order[k]
			if j.tValid[i] && j.t[i] >= r.Period.From.UnixMicro() && j.t[i] < r.Period.To.UnixMicro() {
				all = append(all, j.p[i])
			}
		}
		r.PSI = eval.PSI(baseScores, all, psiBins)
	}
}

func (r *Report) challenger(j *joined, sel []int32) {
	c := &r.Challenger
	if j.challenger == nil {
		c.Unavailable = "the predictions have no challenger_probability column (no shadow model)"
		return
	}
	var p, q []float64
	var y []bool
	for _, i := range sel {
		if j.label[i] == labelOpen || math.IsNaN(j.challenger[i]) {
			continue
		}
		p = append(p, j.p[i])
		q = append(q, j.challenger[i])
		y = append(y, j.label[i] == labelWon)
	}
	c.Leads = len(p)
	if len(p) == 0 {
		c.Unavailable = "not enough data: no closed deal in " + r.Period.Label + " has a shadow score"
		return
	}
	c.Champion = eval.Compute(p, y)
	c.Challenger = eval.Compute(q, y)
}
