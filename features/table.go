package features

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"leadscore/data"
)

// A Matrix is a dense row-major matrix of feature vectors.
type Matrix struct {
	Rows, Cols int
	X          []float64 // row i is X[i*Cols : (i+1)*Cols]
}

// Row returns row i.
func (m *Matrix) Row(i int) []float64 { return m.X[i*m.Cols : (i+1)*m.Cols] }

// data.ErrNull marks a required value that is absent: a null creation
// time or event field in a table, or an unset field of a proto Lead.
var ErrMissingValue = errors.New("missing")

func truncate(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

// Labels returns one label per row of leads: 1 won, 0 lost, −1 open (also
// for a null in a Bool label column). A value in none of the spec's lists
// (data.ErrBadOutcome), or a null in a String label column, is a
// *data.ColumnError whose File is "leads".
func (s *Spec) Labels(leads *data.Table) ([]int8, error) {
	c := leads.Col(s.Label.Column)
	if c == nil {
		return nil, &data.ColumnError{File: "leads", Column: s.Label.Column, Err: data.ErrMissingColumn}
	}
	y := make([]int8, leads.Rows)
	switch c.Type {
	case data.Bool:
		for i := range y {
			switch {
			case c.IsNull(i):
				y[i] = -1
			case c.Bools[i]:
				y[i] = 1
			}
		}
	case data.String:
		byCode := make([]int8, len(c.Dict))
		for k, v := range c.Dict {
			switch {
			case slices.Contains(s.Label.Positive, v):
				byCode[k] = 1
			case slices.Contains(s.Label.Negative, v):
				byCode[k] = 0
			case slices.Contains(s.Label.Open, v):
				byCode[k] = -1
			default:
				byCode[k] = -2
			}
		}
		for i := range y {
			code := c.Codes[i]
			if c.IsNull(i) || code < 0 {
				return nil, &data.ColumnError{File: "leads", Row: i + 1, Column: c.Name, Err: fmt.Errorf("label %w", data.ErrNull)}
			}
			if y[i] = byCode[code]; y[i] == -2 {
				return nil, &data.ColumnError{File: "leads", Row: i + 1, Column: c.Name, Value: truncate(c.Dict[code]), Err: data.ErrBadOutcome}
			}
		}
	default:
		return nil, &data.ColumnError{File: "leads", Column: c.Name, Err: fmt.Errorf("%w: label column is %v, want string or bool", data.ErrBadType, c.Type)}
	}
	return y, nil
}

// Labels returns the labels of leads under the transformer's spec; see
// Spec.Labels.
func (t *Transformer) Labels(leads *data.Table) ([]int8, error) { return t.spec.Labels(leads) }

// tableRows reads rows of a leads table (and the joined events) for encode.
type tableRows struct {
	nattr   int
	rows    int
	start   int     // first row of the filled block
	block   []cell  // cells of rows start.., row-major
	cutoffs []int64 // cut-offs of the block's rows
	errs    []error // per-row errors of the block (null creation time)
	cols    []tableCol
	created *data.Column
	cut     *data.Column // explicit cut-off column, or nil
	horizon int64
	evOff   []int32 // events of row i are ev[evOff[i]:evOff[i+1]]; nil: no events
	ev      []evRec
}

type tableCol struct {
	c       *data.Column
	codeMap []int32 // String: dictionary code → level code
}

// kindType is the column type a feature kind reads.
func kindType(k FeatureKind) data.Type {
	switch k {
	case KindNumeric:
		return data.Float
	case KindCategorical:
		return data.String
	case KindBoolean:
		return data.Bool
	case KindTimestamp:
		return data.Time
	}
	return 0
}

func (t *Transformer) openTable(leads, events *data.Table) (*tableRows, error) {
	r := &tableRows{cols: make([]tableCol, t.nattr), horizon: t.horizon, nattr: t.nattr, rows: leads.Rows, start: -2 * blockRows,
		block: make([]cell, blockRows*t.nattr), cutoffs: make([]int64, blockRows), errs: make([]error, blockRows)}
	for i := range t.nattr {
		f := &t.feats[i]
		c := leads.Col(f.Source)
		if c == nil {
			return nil, &data.ColumnError{File: "leads", Column: f.Source, Err: data.ErrMissingColumn}
		}
		if want := kindType(f.Kind); c.Type != want {
			return nil, &data.ColumnError{File: "leads", Column: f.Source, Err: fmt.Errorf("%w: %v, want %v for a %v feature", data.ErrBadType, c.Type, want, f.Kind)}
		}
		r.cols[i].c = c
		if f.Kind == KindCategorical {
			m := make([]int32, len(c.Dict))
			for k, v := range c.Dict {
				m[k] = f.levelCode(v)
			}
			r.cols[i].codeMap = m
		}
	}
	var err error
	if !t.needCut {
		return r, nil
	}
	if r.created, err = timeCol(leads, "leads", t.spec.Time); err != nil {
		return nil, err
	}
	if t.spec.Cutoff.Column != "" {
		if r.cut, err = timeCol(leads, "leads", t.spec.Cutoff.Column); err != nil {
			return nil, err
		}
	}
	if t.hasEvents && events != nil {
		if err := t.joinEvents(r, leads, events); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func timeCol(tab *data.Table, name, col string) (*data.Column, error) {
	c := tab.Col(col)
	if c == nil {
		return nil, &data.ColumnError{File: name, Column: col, Err: data.ErrMissingColumn}
	}
	if c.Type != data.Time {
		return nil, &data.ColumnError{File: name, Column: col, Err: fmt.Errorf("%w: %v, want timestamp", data.ErrBadType, c.Type)}
	}
	return c, nil
}

func stringCol(tab *data.Table, name, col string) (*data.Column, error) {
	c := tab.Col(col)
	if c == nil {
		return nil, &data.ColumnError{File: name, Column: col, Err: data.ErrMissingColumn}
	}
	if c.Type != data.String {
		return nil, &data.ColumnError{File: name, Column: col, Err: fmt.Errorf("%w: %v, want string", data.ErrBadType, c.Type)}
	}
	return c, nil
}

// joinEvents groups the events by lead row: a counting sort, O(n + m).
func (t *Transformer) joinEvents(r *tableRows, leads, events *data.Table) error {
	ec := t.spec.Events.Columns
	ids, err := stringCol(leads, "leads", t.spec.ID)
	if err != nil {
		return err
	}
	eid, err := stringCol(events, "events", ec.LeadID)
	if err != nil {
		return err
	}
	ets, err := timeCol(events, "events", ec.TS)
	if err != nil {
		return err
	}
	ety, err := stringCol(events, "events", ec.Type)
	if err != nil {
		return err
	}
	// lead id dictionary code → lead row
	rowOf := make([]int32, len(ids.Dict))
	for i := range rowOf {
		rowOf[i] = -1
	}
	for i := range leads.Rows {
		if code := ids.Codes[i]; code >= 0 && !ids.IsNull(i) {
			if rowOf[code] >= 0 {
				return &data.ColumnError{File: "leads", Row: i + 1, Column: ids.Name, Value: truncate(ids.Dict[code]),
					Err: fmt.Errorf("%w (also row %d)", data.ErrDuplicateID, rowOf[code]+1)}
			}
			rowOf[code] = int32(i)
		}
	}
	idx := make(map[string]int32, len(ids.Dict))
	for k, v := range ids.Dict {
		if rowOf[k] >= 0 {
			idx[v] = rowOf[k]
		}
	}
	evRow := make([]int32, len(eid.Dict))
	for k, v := range eid.Dict {
		if row, ok := idx[v]; ok {
			evRow[k] = row
		} else {
			evRow[k] = -1
		}
	}
	typeOf := make([]int32, len(ety.Dict))
	for k, v := range ety.Dict {
		typeOf[k] = -1
		if ti, ok := t.typeIndex[v]; ok {
			typeOf[k] = ti
		}
		if v == "" {
			typeOf[k] = -2
		}
	}
	off := make([]int32, leads.Rows+1)
	rows := make([]int32, events.Rows)
	for j := range events.Rows {
		rows[j] = -1
		code := eid.Codes[j]
		if eid.IsNull(j) || code < 0 {
			return &data.ColumnError{File: "events", Row: j + 1, Column: eid.Name, Err: fmt.Errorf("lead id %w", data.ErrNull)}
		}
		if rows[j] = evRow[code]; rows[j] < 0 {
			continue // a lead not in this table
		}
		if ets.IsNull(j) {
			return &data.ColumnError{File: "events", Row: j + 1, Column: ets.Name, Err: fmt.Errorf("timestamp %w", data.ErrNull)}
		}
		if tc := ety.Codes[j]; ety.IsNull(j) || tc < 0 || typeOf[tc] == -2 {
			return &data.ColumnError{File: "events", Row: j + 1, Column: ety.Name, Err: fmt.Errorf("event type %w", data.ErrNull)}
		}
		off[rows[j]+1]++
	}
	for i := range leads.Rows {
		off[i+1] += off[i]
	}
	ev := make([]evRec, off[leads.Rows])
	pos := slices.Clone(off[:leads.Rows])
	for j, row := range rows {
		if row < 0 {
			continue
		}
		ev[pos[row]] = evRec{ts: ets.Times[j], typ: typeOf[ety.Codes[j]]}
		pos[row]++
	}
	r.evOff, r.ev = off, ev
	return nil
}

// blockRows is how many rows tableRows decodes at a time, column by column.
const blockRows = 32

// clone returns a copy of r with its own block buffers, for another goroutine.
func (r *tableRows) clone() *tableRows {
	c := *r
	c.start = -2 * blockRows
	c.block = make([]cell, len(r.block))
	c.cutoffs = make([]int64, len(r.cutoffs))
	c.errs = make([]error, len(r.errs))
	return &c
}

func (r *tableRows) read(i int, in *rowInput, _ *Warnings) error {
	if i < r.start || i >= r.start+blockRows {
		r.fill(i - i%blockRows)
	}
	k := i - r.start
	if err := r.errs[k]; err != nil {
		return err
	}
	in.cells = r.block[k*r.nattr : (k+1)*r.nattr : (k+1)*r.nattr]
	in.cutoff = r.cutoffs[k]
	in.events = nil
	if r.evOff != nil {
		in.events = r.ev[r.evOff[i]:r.evOff[i+1]]
	}
	return nil
}

// fill decodes the block of rows from start, one column at a time.
func (r *tableRows) fill(start int) {
	r.start = start
	n := min(blockRows, r.rows-start)
	na := r.nattr
	for s := range r.cols {
		tc := &r.cols[s]
		c := tc.c
		out := r.block[s:]
		switch c.Type {
		case data.Float:
			for k, v := range c.Floats[start : start+n] {
				out[k*na] = cell{ok: true, f: v}
			}
		case data.String:
			for k, code := range c.Codes[start : start+n] {
				if code < 0 {
					out[k*na] = cell{}
				} else {
					out[k*na] = cell{ok: true, f: float64(tc.codeMap[code])}
				}
			}
		case data.Bool:
			for k, v := range c.Bools[start : start+n] {
				x := cell{ok: true}
				if v {
					x.f = 1
				}
				out[k*na] = x
			}
		case data.Time:
			for k, v := range c.Times[start : start+n] {
				out[k*na] = cell{ok: true, t: v}
			}
		}
		if c.Valid != nil {
			for k, ok := range c.Valid[start : start+n] {
				if !ok {
					out[k*na].ok = false
				}
			}
		}
	}
	for k := range n {
		i := start + k
		r.errs[k] = nil
		switch {
		case r.created == nil:
			r.cutoffs[k] = 0 // not used
		case r.cut != nil && !r.cut.IsNull(i):
			r.cutoffs[k] = r.cut.Times[i]
		case r.created.IsNull(i):
			r.errs[k] = &data.ColumnError{File: "leads", Row: i + 1, Column: r.created.Name, Err: fmt.Errorf("creation time %w", data.ErrNull)}
		default:
			r.cutoffs[k] = r.created.Times[i] + r.horizon
		}
	}
}

// TransformTable returns the tree view of every row of leads, with events
// (which may be nil) joined by lead id. It fails on a missing or mistyped
// column, a null creation time (when the cut-off is needed and no explicit
// cut-off is given), a duplicate lead id (when events are given), and on an
// event without lead id, timestamp or type; events of leads not in the
// table are skipped. The tables must be well-formed (as data.NewTable
// checks: equal column lengths, dictionary codes in range).
func (t *Transformer) TransformTable(ctx context.Context, leads, events *data.Table) (*Matrix, error) {
	m := &Matrix{}
	if err := t.TransformTableTo(ctx, m, leads, events); err != nil {
		return nil, err
	}
	return m, nil
}

// TransformTableTo is TransformTable writing into m, whose X is reused when
// it is large enough (this saves the page faults of a fresh matrix when
// transforming many tables). Large tables are split into row chunks
// transformed in parallel on up to GOMAXPROCS goroutines; the result does
// not depend on the split.
func (t *Transformer) TransformTableTo(ctx context.Context, m *Matrix, leads, events *data.Table) error {
	return t.transformTable(ctx, m, leads, events, runtime.GOMAXPROCS(0), parallelChunk)
}

// parallelChunk is the fewest rows a goroutine is started for.
const parallelChunk = 1 << 15

func (t *Transformer) transformTable(ctx context.Context, m *Matrix, leads, events *data.Table, workers, minChunk int) error {
	r, err := t.openTable(leads, events)
	if err != nil {
		return err
	}
	w := len(t.feats)
	n := leads.Rows * w
	if cap(m.X) < n {
		m.X = make([]float64, n)
	}
	m.Rows, m.Cols, m.X = leads.Rows, w, m.X[:n]
	workers = max(1, min(workers, leads.Rows/minChunk))
	if workers == 1 {
		return t.transformRows(ctx, r, m, 0, leads.Rows)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		lo, hi := leads.Rows*k/workers, leads.Rows*(k+1)/workers
		lo -= lo % blockRows // blocks must not straddle workers
		if k == workers-1 {
			hi = leads.Rows
		} else {
			hi -= hi % blockRows
		}
		rk := r.clone()
		wg.Go(func() { errs[k] = t.transformRows(ctx, rk, m, lo, hi) })
	}
	wg.Wait()
	for _, err := range errs { // the first failing chunk has the first bad row
		if err != nil {
			return err
		}
	}
	return nil
}

// transformRows fills rows [lo, hi) of m.
func (t *Transformer) transformRows(ctx context.Context, r *tableRows, m *Matrix, lo, hi int) error {
	w := m.Cols
	in := t.newInput() // its cells are replaced by r's block
	for i := lo; i < hi; i++ {
		if i&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := t.row(r, i, in, m.X[i*w:(i+1)*w:(i+1)*w], nil); err != nil {
			return err
		}
	}
	return nil
}
