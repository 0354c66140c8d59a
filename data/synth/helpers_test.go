package synth

import (
	"context"
	"math"
	"slices"
	"sort"
	"sync"
	"testing"

	"leadscore/data"
)

// view is a test's decoded copy of a History: one entry per lead, rebuilt
// from the tables alone (never from generator internals), so the tests
// check what a reader of the files would see.
type view struct {
	h        *History
	n        int
	profiles []profile
	outcome  []string
	created  []int64
	closed   []int64 // -1 when null
	pTrue    []float64
	quarter  []string
	calls    []float64
	amount   []float64
	// events of lead i are evTS[evStart[i]:evStart[i+1]] (and evType).
	evStart []int
	evTS    []int64
	evType  []uint8
}

var (
	sharedOnce sync.Once
	shared     *view
	sharedErr  error
)

// sharedSeed and sharedLeads define the history most tests share; it is
// generated once per test binary.
const (
	sharedSeed  = 20261001
	sharedLeads = 50_000
)

func sharedView(t *testing.T) *view {
	t.Helper()
	sharedOnce.Do(func() {
		var h *History
		h, sharedErr = Generate(context.Background(), Config{Leads: sharedLeads, Seed: sharedSeed})
		if sharedErr == nil {
			shared, sharedErr = decode(h)
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func mustCol(t *data.Table, name string, typ data.Type) *data.Column {
	c := t.Col(name)
	if c == nil {
		panic("synth test: missing column " + name)
	}
	if c.Type != typ {
		panic("synth test: column " + name + " has type " + c.Type.String())
	}
	return c
}

// code returns the index of row i's string in names, or panics.
func code(c *data.Column, i int, names []string) uint8 {
	s, ok := c.Str(i)
	if !ok {
		panic("synth test: null in " + c.Name)
	}
	k := slices.Index(names, s)
	if k < 0 {
		panic("synth test: unknown value " + s + " in " + c.Name)
	}
	return uint8(k)
}

func decode(h *History) (*view, error) {
	L := h.Leads
	v := &view{h: h, n: L.Rows}
	bounds := quarterStarts(h.Config.End, h.Config.Quarters)
	cols := map[string]*data.Column{}
	for _, name := range []string{"product_line", "source", "industry", "employee_band", "country", "role", "seniority", "email_type", "outcome", "lead_id"} {
		cols[name] = mustCol(L, name, data.String)
	}
	created := mustCol(L, "created_at", data.Time)
	closed := mustCol(L, "closed_at", data.Time)
	budget := mustCol(L, "budget", data.Float)
	comp := mustCol(L, "is_competitor", data.Bool)
	v.calls = mustCol(L, LeakyColumn, data.Float).Floats
	v.amount = mustCol(L, "amount", data.Float).Floats
	v.pTrue = mustCol(h.Truth, "p_true", data.Float).Floats
	qcol := mustCol(h.Truth, "quarter", data.String)
	for i := 0; i < v.n; i++ {
		var p profile
		p.product = code(cols["product_line"], i, productNames)
		p.source = code(cols["source"], i, sourceNames)
		p.industry = code(cols["industry"], i, industryNames)
		p.band = code(cols["employee_band"], i, bandNames)
		p.country = code(cols["country"], i, countryNames)
		p.role = code(cols["role"], i, roleNames)
		p.seniority = code(cols["seniority"], i, seniorityNames)
		p.email = code(cols["email_type"], i, emailNames)
		p.competitor = comp.Bools[i]
		p.budget = budget.Floats[i]
		if budget.IsNull(i) {
			p.budget = math.NaN()
		}
		c := created.Times[i]
		p.quarter = sort.Search(len(bounds), func(k int) bool { return bounds[k] > c }) - 1
		v.profiles = append(v.profiles, p)
		v.created = append(v.created, c)
		if closed.IsNull(i) {
			v.closed = append(v.closed, -1)
		} else {
			v.closed = append(v.closed, closed.Times[i])
		}
		o, _ := cols["outcome"].Str(i)
		v.outcome = append(v.outcome, o)
		q, _ := qcol.Str(i)
		v.quarter = append(v.quarter, q)
	}

	// Map event lead ids to lead rows; events must be grouped by lead in
	// lead order (TestEventsSorted checks this separately).
	E := h.Events
	el := mustCol(E, "lead_id", data.String)
	ets := mustCol(E, "ts", data.Time)
	ety := mustCol(E, "type", data.String)
	row := make(map[string]int, v.n)
	for i := 0; i < v.n; i++ {
		id, _ := cols["lead_id"].Str(i)
		row[id] = i
	}
	v.evStart = make([]int, v.n+1)
	counts := make([]int, v.n)
	typeCode := make([]uint8, len(ety.Dict))
	for k, s := range ety.Dict {
		typeCode[k] = uint8(slices.Index(eventNames, s))
	}
	leadOf := make([]int, len(el.Dict))
	for k, s := range el.Dict {
		leadOf[k] = row[s]
	}
	for i := 0; i < E.Rows; i++ {
		counts[leadOf[el.Codes[i]]]++
	}
	for i := 0; i < v.n; i++ {
		v.evStart[i+1] = v.evStart[i] + counts[i]
	}
	v.evTS = make([]int64, E.Rows)
	v.evType = make([]uint8, E.Rows)
	fill := slices.Clone(v.evStart[:v.n])
	for i := 0; i < E.Rows; i++ {
		l := leadOf[el.Codes[i]]
		v.evTS[fill[l]] = ets.Times[i]
		v.evType[fill[l]] = typeCode[ety.Codes[i]]
		fill[l]++
	}
	return v, nil
}

func (v *view) events(i int) ([]int64, []uint8) {
	return v.evTS[v.evStart[i]:v.evStart[i+1]], v.evType[v.evStart[i]:v.evStart[i+1]]
}

// auc is the Mann-Whitney estimate of P(score of a positive > score of a
// negative), counting ties as one half.
func auc(scores []float64, pos []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum float64
	var np, nn float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for k := i; k < j; k++ {
			if pos[idx[k]] {
				rankSum += mid
				np++
			} else {
				nn++
			}
		}
		i = j
	}
	return (rankSum - np*(np+1)/2) / (np * nn)
}
