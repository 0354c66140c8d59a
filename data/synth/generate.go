package synth

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"leadscore/data"
)

// A History is a generated lead history: three tables that share lead_id.
// The tables may share dictionary slices with each other; treat them as
// read-only.
type History struct {
	// Leads has one row per lead, in lead_id order; see the package doc
	// for its columns.
	Leads *data.Table
	// Events has one row per event, sorted by lead_id and then ts.
	Events *data.Table
	// Truth has one row per lead, in the order of Leads: lead_id, p_true
	// (the true probability of winning at the cut-off) and quarter (the
	// calendar quarter of created_at, e.g. "2026Q3").
	Truth *data.Table
	// Stats counts what was generated.
	Stats Stats
	// Config is the configuration used, with defaults filled in.
	Config Config
}

// Stats counts the rows of a History.
type Stats struct {
	Leads    int // rows of Leads and Truth
	Accounts int // distinct account_id
	Events   int // rows of Events
	Won      int // leads with outcome "won"
	Lost     int // leads with outcome "lost"
	Open     int // leads with outcome "open"
}

// WinRate returns the share of closed leads that were won, or NaN if none
// closed.
func (s Stats) WinRate() float64 {
	if s.Won+s.Lost == 0 {
		return math.NaN()
	}
	return float64(s.Won) / float64(s.Won+s.Lost)
}

// Generate builds a lead history as described in the package doc. The
// result depends only on cfg.Leads, cfg.Quarters, cfg.Seed and cfg.End;
// cfg.Workers only changes the speed. It returns ctx.Err() (wrapped) if ctx
// is cancelled first.
func Generate(ctx context.Context, cfg Config) (*History, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	w := newWorld(cfg)
	nChunks := (cfg.Leads + chunkSize - 1) / chunkSize
	chunks := make([]*chunk, nChunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cfg.Workers, nChunks) {
		wg.Go(func() {
			for ctx.Err() == nil {
				c := int(next.Add(1) - 1)
				if c >= nChunks {
					return
				}
				chunks[c] = w.genChunk(c)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("synth: generate %d leads: %w", cfg.Leads, err)
	}
	return w.assemble(chunks)
}

// assemble concatenates the chunks into tables, releasing each chunk once
// it has been copied.
func (w *world) assemble(chunks []*chunk) (*History, error) {
	n := w.cfg.Leads
	h := &History{Config: w.cfg}
	nev := 0
	for _, ch := range chunks {
		nev += len(ch.evTS)
		h.Stats.Accounts += ch.accounts
	}
	h.Stats.Leads, h.Stats.Events = n, nev

	leads := make([]leadRec, 0, n)
	evLead := make([]int32, 0, nev)
	evTS := make([]int64, 0, nev)
	evType := make([]uint8, 0, nev)
	evVal := make([]float64, 0, nev)
	accBase := int32(0)
	for i, ch := range chunks {
		for _, r := range ch.leads {
			r.account += accBase
			leads = append(leads, r)
		}
		accBase += int32(ch.accounts)
		evLead = append(evLead, ch.evLead...)
		evTS = append(evTS, ch.evTS...)
		evType = append(evType, ch.evType...)
		evVal = append(evVal, ch.evVal...)
		chunks[i] = nil
	}

	leadIDs := ids('L', n)
	accountIDs := ids('A', h.Stats.Accounts)

	col := func(get func(r *leadRec) uint8) []uint8 {
		v := make([]uint8, n)
		for i := range leads {
			v[i] = get(&leads[i])
		}
		return v
	}
	created := make([]int64, n)
	closed := make([]int64, n)
	closedValid := make([]bool, n)
	amount := make([]float64, n)
	employees := make([]float64, n)
	budget := make([]float64, n)
	calls := make([]float64, n)
	competitor := make([]bool, n)
	pTrue := make([]float64, n)
	accCodes := make([]int32, n)
	for i := range leads {
		r := &leads[i]
		created[i] = r.created
		if r.closed >= 0 {
			closed[i], closedValid[i] = r.closed, true
		}
		amount[i] = r.amount
		employees[i] = r.employees
		budget[i] = r.p.budget
		calls[i] = r.salesCalls
		competitor[i] = r.p.competitor
		pTrue[i] = r.pTrue
		accCodes[i] = r.account
		switch r.outcome {
		case outWon:
			h.Stats.Won++
		case outLost:
			h.Stats.Lost++
		default:
			h.Stats.Open++
		}
	}

	var err error
	h.Leads, err = data.NewTable(
		identityColumn("lead_id", leadIDs),
		&data.Column{Name: "account_id", Type: data.String, Codes: accCodes, Dict: accountIDs},
		data.NewTimeColumn("created_at", created, nil),
		enumColumn("outcome", col(func(r *leadRec) uint8 { return r.outcome }), outcomeNames),
		data.NewTimeColumn("closed_at", closed, closedValid),
		data.NewFloatColumn("amount", amount),
		enumColumn("product_line", col(func(r *leadRec) uint8 { return r.p.product }), productNames),
		enumColumn("source", col(func(r *leadRec) uint8 { return r.p.source }), sourceNames),
		enumColumn("industry", col(func(r *leadRec) uint8 { return r.p.industry }), industryNames),
		enumColumn("employee_band", col(func(r *leadRec) uint8 { return r.p.band }), bandNames),
		data.NewFloatColumn("employees", employees),
		enumColumn("country", col(func(r *leadRec) uint8 { return r.p.country }), countryNames),
		enumColumn("icp_tier", col(func(r *leadRec) uint8 { return r.tier }), tierNames),
		enumColumn("role", col(func(r *leadRec) uint8 { return r.p.role }), roleNames),
		enumColumn("seniority", col(func(r *leadRec) uint8 { return r.p.seniority }), seniorityNames),
		enumColumn("email_type", col(func(r *leadRec) uint8 { return r.p.email }), emailNames),
		data.NewBoolColumn("is_competitor", competitor, nil),
		data.NewFloatColumn("budget", budget),
		data.NewFloatColumn(LeakyColumn, calls),
	)
	if err != nil {
		return nil, fmt.Errorf("synth: leads table: %w", err)
	}

	quarterNames := make([]string, w.cfg.Quarters)
	for q := range quarterNames {
		quarterNames[q] = QuarterLabel(time.UnixMicro(w.bounds[q]))
	}
	h.Truth, err = data.NewTable(
		identityColumn("lead_id", leadIDs),
		data.NewFloatColumn("p_true", pTrue),
		enumColumn("quarter", col(func(r *leadRec) uint8 { return uint8(r.p.quarter) }), quarterNames),
	)
	if err != nil {
		return nil, fmt.Errorf("synth: truth table: %w", err)
	}
	leads = nil

	// Events are grouped by lead in increasing lead order, so the leads
	// that have events, in that order, are the first-seen dictionary.
	evLeadCol := &data.Column{Name: "lead_id", Type: data.String, Codes: evLead}
	last := int32(-1)
	code := int32(-1)
	for i, l := range evLead {
		if l != last {
			last = l
			code++
			evLeadCol.Dict = append(evLeadCol.Dict, leadIDs[l])
		}
		evLead[i] = code
	}
	h.Events, err = data.NewTable(
		evLeadCol,
		data.NewTimeColumn("ts", evTS, nil),
		enumColumn("type", evType, eventNames),
		data.NewFloatColumn("value", evVal),
	)
	if err != nil {
		return nil, fmt.Errorf("synth: events table: %w", err)
	}
	return h, nil
}

// LeakyColumn is the planted leaky column of the leads table: the number
// of sales calls logged, which the CRM fills in up to the close. It is
// strongly associated with the outcome but unknown at the cut-off, so a
// leakage guard should flag it and no model may use it.
const LeakyColumn = "sales_calls"

// ids returns n ids "<prefix>0000001", "<prefix>0000002", ..., as
// substrings of one allocation.
func ids(prefix byte, n int) []string {
	const width = 8
	b := make([]byte, n*width)
	for i := range n {
		s := b[i*width : (i+1)*width]
		s[0] = prefix
		v := i + 1
		for j := width - 1; j > 0; j-- {
			s[j] = byte('0' + v%10)
			v /= 10
		}
	}
	all := string(b)
	out := make([]string, n)
	for i := range out {
		out[i] = all[i*width : (i+1)*width]
	}
	return out
}

// identityColumn returns a String column whose row i holds values[i], which
// must be distinct.
func identityColumn(name string, values []string) *data.Column {
	codes := make([]int32, len(values))
	for i := range codes {
		codes[i] = int32(i)
	}
	return &data.Column{Name: name, Type: data.String, Codes: codes, Dict: values}
}

// enumColumn returns a String column of names[codes[i]], with the
// dictionary in first-seen order as data.Column requires.
func enumColumn(name string, codes []uint8, names []string) *data.Column {
	remap := make([]int32, len(names))
	for i := range remap {
		remap[i] = -1
	}
	var dict []string
	out := make([]int32, len(codes))
	for i, c := range codes {
		r := remap[c]
		if r < 0 {
			r = int32(len(dict))
			remap[c] = r
			dict = append(dict, names[c])
		}
		out[i] = r
	}
	return &data.Column{Name: name, Type: data.String, Codes: out, Dict: dict}
}
