package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"leadscore/data"
)

// synthSpec describes a deterministic synthetic history of scored leads.
type synthSpec struct {
	leads    int
	seed     uint64
	quarters []string // creation quarters, spread evenly
	// bias multiplies the predicted odds in the last quarter (1 = calibrated).
	bias float64
	// openShare is the share of last-quarter leads still open.
	openShare float64
	// extras adds rescored leads, unmatched predictions, a challenger,
	// stage and answered_by columns.
	extras bool
}

// synthTables returns predictions and outcomes for spec. Each lead has a
// latent quality z; the true win probability is sigmoid(z − 1.6) and the
// model predicts sigmoid(z + noise − 1.6), with the odds scaled by bias in
// the last quarter.
func synthTables(tb testing.TB, s synthSpec) (pred, out *data.Table) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(s.seed, 0x1ead5c0e))
	n := s.leads
	ids := make([]string, n)
	created := make([]int64, n)
	closed := make([]int64, n)
	closedValid := make([]bool, n)
	outcome := make([]string, n)
	product := make([]string, n)
	source := make([]string, n)
	probs := make([]float64, n)
	products := []string{"analytics", "crm", "payments"}
	sources := []string{"inbound", "outbound"}
	for i := range n {
		ids[i] = fmt.Sprintf("L%07d", i)
		qi := i * len(s.quarters) / n
		start, end, err := data.QuarterBounds(s.quarters[qi])
		if err != nil {
			tb.Fatal(err)
		}
		span := end.Sub(start) - 40*24*time.Hour
		created[i] = start.Add(time.Duration(rng.Int64N(int64(span)))).UnixMicro()
		product[i] = products[rng.IntN(len(products))]
		source[i] = sources[rng.IntN(len(sources))]
		z := rng.NormFloat64() * 1.3
		if source[i] == "inbound" {
			z += 0.4
		}
		truth := 1 / (1 + math.Exp(-(z - 1.6)))
		pz := z + rng.NormFloat64()*0.6 - 1.6
		if qi == len(s.quarters)-1 && s.bias != 0 {
			pz += math.Log(s.bias)
		}
		probs[i] = math.Round(1/(1+math.Exp(-pz))*1e6) / 1e6
		switch {
		case qi == len(s.quarters)-1 && rng.Float64() < s.openShare:
			outcome[i] = "open"
		case rng.Float64() < truth:
			outcome[i] = "won"
		default:
			outcome[i] = "lost"
		}
		if outcome[i] != "open" {
			closed[i] = created[i] + int64(rng.IntN(30*24))*3600e6
			closedValid[i] = true
		}
	}
	out, err := data.NewTable(
		data.NewStringColumn("lead_id", ids, nil),
		data.NewTimeColumn("created_at", created, nil),
		data.NewTimeColumn("closed_at", closed, closedValid),
		data.NewStringColumn("outcome", outcome, nil),
		data.NewStringColumn("product_line", product, nil),
		data.NewStringColumn("source", source, nil),
	)
	if err != nil {
		tb.Fatal(err)
	}

	// Predictions: one per lead, scored an hour after creation.
	pids := append([]string(nil), ids...)
	scored := make([]int64, n)
	p := append([]float64(nil), probs...)
	for i := range n {
		scored[i] = created[i] + 3600e6
	}
	if !s.extras {
		pred, err = data.NewTable(
			data.NewStringColumn("lead_id", pids, nil),
			data.NewTimeColumn("scored_at", scored, nil),
			data.NewFloatColumn("probability", p),
		)
		if err != nil {
			tb.Fatal(err)
		}
		return pred, out
	}
	// Every 7th lead is rescored a day later with a useless score (the
	// first score must win), every 50th has a prediction from before its
	// creation that must lose, and 5 predictions name unknown leads.
	for i := 0; i < n; i += 7 {
		pids = append(pids, ids[i])
		scored = append(scored, created[i]+24*3600e6)
		p = append(p, 0.999)
	}
	for i := 3; i < n; i += 50 {
		pids = append(pids, ids[i])
		scored = append(scored, created[i]-3600e6)
		p = append(p, 0.001)
	}
	for k := range 5 {
		pids = append(pids, fmt.Sprintf("GHOST%d", k))
		scored = append(scored, created[0])
		p = append(p, 0.5)
	}
	m := len(pids)
	answered := make([]string, m)
	stage := make([]string, m)
	chall := make([]float64, m)
	for i := range m {
		answered[i] = "model"
		if i%10 == 9 {
			answered[i] = "rules"
		}
		switch {
		case p[i] >= 0.5:
			stage[i] = "sql"
		case p[i] >= 0.2:
			stage[i] = "mql"
		case p[i] >= 0.05:
			stage[i] = "nurture"
		default:
			stage[i] = "disqualified"
		}
		chall[i] = math.NaN()
		if i%3 != 0 {
			// A challenger that is a noisier copy of the champion.
			chall[i] = math.Round(min(max(p[i]+rng.NormFloat64()*0.05, 0), 1)*1e6) / 1e6
		}
	}
	pred, err = data.NewTable(
		data.NewStringColumn("lead_id", pids, nil),
		data.NewTimeColumn("scored_at", scored, nil),
		data.NewStringColumn("model", repeat("leadscore", m), nil),
		data.NewStringColumn("version", repeat("v3", m), nil),
		data.NewStringColumn("answered_by", answered, nil),
		data.NewFloatColumn("probability", p),
		data.NewStringColumn("stage", stage, nil),
		data.NewFloatColumn("challenger_probability", chall),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return pred, out
}

func repeat(s string, n int) []string {
	v := make([]string, n)
	for i := range v {
		v[i] = s
	}
	return v
}
