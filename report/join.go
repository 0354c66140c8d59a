package report

import (
	"fmt"
	"math"
	"strconv"

	"leadscore/data"
)

// Names of the table columns the report reads.
const (
	colLeadID      = "lead_id"
	colProbability = "probability"
	colScoredAt    = "scored_at"
	colAnsweredBy  = "answered_by"
	colChallenger  = "challenger_probability"
	colStage       = "stage"
	colModel       = "model"
	colVersion     = "version"
	colCreatedAt   = "created_at"
	colClosedAt    = "closed_at"
)

// Label codes of a joined lead.
const (
	labelOpen int8 = -1
	labelLost int8 = 0
	labelWon  int8 = 1
)

// joined holds one row per lead of the outcomes table that has at least one
// usable prediction: the chosen prediction and the lead's outcome.
type joined struct {
	p          []float64 // chosen prediction's probability
	label      []int8    // labelWon, labelLost, labelOpen
	t          []int64   // created_at (or the prediction's scored_at), µs
	tValid     []bool    // t is known
	challenger []float64 // shadow probability, NaN when absent
	stage      []int32   // code into stageDict, -1 when absent
	answer     []int32   // code into answerDict ("model"/"rules"), -1 when absent
	modelVer   []int32   // code into modelDict ("name version"), -1 when absent

	stageDict, answerDict, modelDict []string

	// segs[k] holds the codes of segment dimension k for each joined lead.
	segs []segCodes

	stats InputStats
}

// segCodes is one segment dimension: codes per joined lead into dict; -1 is
// a missing value.
type segCodes struct {
	name  string
	codes []int32
	dict  []string
}

// InputStats counts what the join of predictions to outcomes saw, so that
// nothing is dropped silently.
type InputStats struct {
	PredictionRows     int      `json:"prediction_rows"`       // rows in the predictions table
	InvalidProbability int      `json:"invalid_probability"`   // rows with a null, NaN or out-of-range probability
	NullLeadID         int      `json:"null_lead_id"`          // prediction rows without a lead_id
	Unmatched          int      `json:"unmatched_predictions"` // prediction rows whose lead is not in the outcomes
	UnmatchedLeads     int      `json:"unmatched_leads"`       // distinct lead_ids among them
	UnmatchedExamples  []string `json:"unmatched_examples"`    // a few of those lead_ids
	RescoredLeads      int      `json:"rescored_leads"`        // leads with more than one usable prediction
	ScoredBeforeCreate int      `json:"scored_before_created"` // leads whose only predictions predate created_at
	OutcomeRows        int      `json:"outcome_rows"`          // rows in the outcomes table
	NotScored          int      `json:"not_scored"`            // outcome rows with no usable prediction
	ClosedAfterNow     int      `json:"closed_after_now"`      // closed deals counted as open because closed_at > Now
	NoTimestamps       bool     `json:"no_timestamps"`         // neither created_at nor scored_at: periods are unavailable
}

// strAt returns a function reading row i of c as a string, and false for
// null. String columns read their dictionary; other types are formatted.
func strAt(c *data.Column) func(i int) (string, bool) {
	if c.Type == data.String {
		return c.Str
	}
	return func(i int) (string, bool) {
		if c.IsNull(i) {
			return "", false
		}
		if c.Type == data.Float {
			return strconv.FormatFloat(c.Floats[i], 'g', -1, 64), true
		}
		return c.Format(i), true
	}
}

// encoder dictionary-encodes strings.
type encoder struct {
	index map[string]int32
	dict  []string
}

func newEncoder() *encoder { return &encoder{index: make(map[string]int32)} }

func (e *encoder) code(s string) int32 {
	c, ok := e.index[s]
	if !ok {
		c = int32(len(e.dict))
		e.index[s] = c
		e.dict = append(e.dict, s)
	}
	return c
}

// colOfType returns the named column of t if it has type want; a column of
// another type is an error, a missing one is nil.
func colOfType(t *data.Table, file, name string, want data.Type) (*data.Column, error) {
	c := t.Col(name)
	if c == nil {
		return nil, nil
	}
	if c.Type != want {
		return nil, &data.ColumnError{File: file, Column: name, Value: c.Type.String(),
			Err: fmt.Errorf("%w: want %s", data.ErrBadType, want)}
	}
	return c, nil
}

// join matches predictions to outcomes by lead_id and picks one prediction
// per lead (see Options.Pick). segNames are the requested segment columns;
// missing ones are returned in missingSegs.
func join(pred, out *data.Table, o Options, segNames []string) (*joined, []string, error) {
	const pf, of = "predictions", "outcomes"
	pid := pred.Col(colLeadID)
	if pid == nil {
		return nil, nil, &data.ColumnError{File: pf, Column: colLeadID, Err: data.ErrMissingColumn}
	}
	prob, err := colOfType(pred, pf, colProbability, data.Float)
	if err != nil {
		return nil, nil, err
	}
	if prob == nil {
		return nil, nil, &data.ColumnError{File: pf, Column: colProbability, Err: data.ErrMissingColumn}
	}
	oid := out.Col(colLeadID)
	if oid == nil {
		return nil, nil, &data.ColumnError{File: of, Column: colLeadID, Err: data.ErrMissingColumn}
	}
	lab := out.Col(o.LabelColumn)
	if lab == nil {
		return nil, nil, &data.ColumnError{File: of, Column: o.LabelColumn, Err: data.ErrMissingColumn}
	}
	if lab.Type != data.String && lab.Type != data.Bool {
		return nil, nil, &data.ColumnError{File: of, Column: o.LabelColumn, Value: lab.Type.String(),
			Err: fmt.Errorf("%w: want string or bool", data.ErrBadType)}
	}
	scoredAt, err := colOfType(pred, pf, colScoredAt, data.Time)
	if err != nil {
		return nil, nil, err
	}
	created, err := colOfType(out, of, colCreatedAt, data.Time)
	if err != nil {
		return nil, nil, err
	}
	closed, err := colOfType(out, of, colClosedAt, data.Time)
	if err != nil {
		return nil, nil, err
	}
	chall, err := colOfType(pred, pf, colChallenger, data.Float)
	if err != nil {
		return nil, nil, err
	}

	// Index the outcomes by lead_id.
	st := InputStats{PredictionRows: pred.Rows, OutcomeRows: out.Rows}
	oidAt := strAt(oid)
	rowOf := make(map[string]int32, out.Rows)
	for i := range out.Rows {
		id, ok := oidAt(i)
		if !ok || id == "" {
			return nil, nil, &data.ColumnError{File: of, Row: i + 1, Column: colLeadID, Err: data.ErrNull}
		}
		if _, dup := rowOf[id]; dup {
			return nil, nil, &data.ColumnError{File: of, Row: i + 1, Column: colLeadID, Value: id, Err: data.ErrDuplicateID}
		}
		rowOf[id] = int32(i)
	}

	// Map every prediction row to an outcome row, through the dictionary
	// when lead_id is a string column.
	predOut := make([]int32, pred.Rows)
	if pid.Type == data.String {
		dictRow := make([]int32, len(pid.Dict))
		for k, s := range pid.Dict {
			if r, ok := rowOf[s]; ok {
				dictRow[k] = r
			} else {
				dictRow[k] = -1
			}
		}
		for i, c := range pid.Codes {
			if c < 0 || pid.IsNull(i) {
				predOut[i] = -2
			} else {
				predOut[i] = dictRow[c]
			}
		}
	} else {
		at := strAt(pid)
		for i := range pred.Rows {
			s, ok := at(i)
			if !ok {
				predOut[i] = -2
				continue
			}
			if r, ok := rowOf[s]; ok {
				predOut[i] = r
			} else {
				predOut[i] = -1
			}
		}
	}

	// Choose one prediction per outcome row.
	best := make([]int32, out.Rows)
	for i := range best {
		best[i] = -1
	}
	nUsable := make([]uint8, out.Rows)
	unmatchedSeen := make(map[string]bool)
	pidAt := strAt(pid)
	before := func(i int, r int32) bool { // prediction i predates its lead's creation
		return scoredAt != nil && created != nil && !scoredAt.IsNull(i) && !created.IsNull(int(r)) &&
			scoredAt.Times[i] < created.Times[r]
	}
	// better reports whether prediction i should replace prediction j.
	better := func(i, j int, r int32) bool {
		if o.Pick == PickLast {
			if scoredAt == nil {
				return true // file order: a later row is later
			}
			ni, nj := scoredAt.IsNull(i), scoredAt.IsNull(j)
			if ni || nj {
				return !ni // a known time beats an unknown one
			}
			return scoredAt.Times[i] >= scoredAt.Times[j]
		}
		bi, bj := before(i, r), before(j, r)
		if bi != bj {
			return !bi
		}
		if scoredAt == nil {
			return false
		}
		ni, nj := scoredAt.IsNull(i), scoredAt.IsNull(j)
		if ni || nj {
			return !ni && nj
		}
		return scoredAt.Times[i] < scoredAt.Times[j]
	}
	for i := range pred.Rows {
		r := predOut[i]
		switch {
		case r == -2:
			st.NullLeadID++
			continue
		case r < 0:
			st.Unmatched++
			if s, _ := pidAt(i); !unmatchedSeen[s] {
				unmatchedSeen[s] = true
				if len(st.UnmatchedExamples) < 5 {
					st.UnmatchedExamples = append(st.UnmatchedExamples, s)
				}
			}
			continue
		}
		v := prob.Floats[i]
		if prob.IsNull(i) || !(v >= 0 && v <= 1) {
			st.InvalidProbability++
			continue
		}
		if nUsable[r] < 2 {
			nUsable[r]++
		}
		if b := best[r]; b < 0 || better(i, int(b), r) {
			best[r] = int32(i)
		}
	}
	st.UnmatchedLeads = len(unmatchedSeen)

	// Encoders for the optional prediction columns.
	optStr := func(name string) (func(int) (string, bool), *encoder) {
		c := pred.Col(name)
		if c == nil {
			return nil, nil
		}
		return strAt(c), newEncoder()
	}
	stageAt, stageEnc := optStr(colStage)
	answerAt, answerEnc := optStr(colAnsweredBy)
	var modelAt, versionAt func(int) (string, bool)
	var modelEnc *encoder
	if c := pred.Col(colModel); c != nil {
		modelAt, modelEnc = strAt(c), newEncoder()
		if v := pred.Col(colVersion); v != nil {
			versionAt = strAt(v)
		}
	}

	// Segment dimensions: the leads table first, then the predictions.
	type segSrc struct {
		at       func(int) (string, bool)
		enc      *encoder
		fromPred bool
	}
	var srcs []segSrc
	var missing []string
	j := &joined{}
	for _, name := range segNames {
		if c := out.Col(name); c != nil {
			srcs = append(srcs, segSrc{at: strAt(c), enc: newEncoder()})
		} else if c := pred.Col(name); c != nil {
			srcs = append(srcs, segSrc{at: strAt(c), enc: newEncoder(), fromPred: true})
		} else {
			missing = append(missing, name)
			continue
		}
		j.segs = append(j.segs, segCodes{name: name})
	}

	labAt := strAt(lab)
	n := 0
	for r := range best {
		if best[r] >= 0 {
			n++
		}
	}
	j.p = make([]float64, 0, n)
	j.label = make([]int8, 0, n)
	j.t = make([]int64, 0, n)
	j.tValid = make([]bool, 0, n)
	if chall != nil {
		j.challenger = make([]float64, 0, n)
	}
	for k := range j.segs {
		j.segs[k].codes = make([]int32, 0, n)
	}
	st.NoTimestamps = created == nil && scoredAt == nil
	for r := range out.Rows {
		b := int(best[r])
		if b < 0 {
			st.NotScored++
			continue
		}
		if nUsable[r] > 1 {
			st.RescoredLeads++
		}
		if before(b, int32(r)) {
			st.ScoredBeforeCreate++
		}
		// Outcome.
		var l int8
		if lab.Type == data.Bool {
			switch {
			case lab.IsNull(r):
				l = labelOpen
			case lab.Bools[r]:
				l = labelWon
			default:
				l = labelLost
			}
		} else {
			s, ok := labAt(r)
			switch {
			case !ok || s == o.Open:
				l = labelOpen
			case s == o.Positive:
				l = labelWon
			case s == o.Negative:
				l = labelLost
			default:
				return nil, nil, &data.ColumnError{File: of, Row: r + 1, Column: o.LabelColumn, Value: s,
					Err: fmt.Errorf("%w: want %q, %q or %q (set the label values to match the file)", data.ErrBadOutcome, o.Positive, o.Negative, o.Open)}
			}
		}
		if l != labelOpen && !o.Now.IsZero() && closed != nil && !closed.IsNull(r) && closed.Times[r] > o.Now.UnixMicro() {
			l = labelOpen
			st.ClosedAfterNow++
		}
		j.p = append(j.p, prob.Floats[b])
		j.label = append(j.label, l)
		switch {
		case created != nil && !created.IsNull(r):
			j.t = append(j.t, created.Times[r])
			j.tValid = append(j.tValid, true)
		case scoredAt != nil && !scoredAt.IsNull(b):
			j.t = append(j.t, scoredAt.Times[b])
			j.tValid = append(j.tValid, true)
		default:
			j.t = append(j.t, 0)
			j.tValid = append(j.tValid, false)
		}
		if chall != nil {
			c := chall.Floats[b]
			if chall.IsNull(b) || !(c >= 0 && c <= 1) {
				c = math.NaN()
			}
			j.challenger = append(j.challenger, c)
		}
		if stageEnc != nil {
			j.stage = appendCode(j.stage, stageAt, stageEnc, b)
		}
		if answerEnc != nil {
			j.answer = appendCode(j.answer, answerAt, answerEnc, b)
		}
		if modelEnc != nil {
			code := int32(-1)
			if m, ok := modelAt(b); ok {
				if versionAt != nil {
					if v, ok := versionAt(b); ok && v != "" {
						m += " " + v
					}
				}
				code = modelEnc.code(m)
			}
			j.modelVer = append(j.modelVer, code)
		}
		for k, s := range srcs {
			row := r
			if s.fromPred {
				row = b
			}
			j.segs[k].codes = appendCode(j.segs[k].codes, s.at, s.enc, row)
		}
	}
	if stageEnc != nil {
		j.stageDict = stageEnc.dict
	}
	if answerEnc != nil {
		j.answerDict = answerEnc.dict
	}
	if modelEnc != nil {
		j.modelDict = modelEnc.dict
	}
	for k := range srcs {
		j.segs[k].dict = srcs[k].enc.dict
	}
	j.stats = st
	return j, missing, nil
}

func appendCode(dst []int32, at func(int) (string, bool), e *encoder, row int) []int32 {
	s, ok := at(row)
	if !ok || s == "" {
		return append(dst, -1)
	}
	return append(dst, e.code(s))
}
