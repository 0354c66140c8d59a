package model

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"leadscore/data"
)

// EngagedScore is the engagement sub-score from which a lead counts as
// engaged in the account roll-up.
const EngagedScore = 60

// RollUpAccounts turns a scores table (ScoreTable's output with the
// account column copied) into one row per account: account_id, leads,
// p_any (the chance that at least one lead converts, 1 − Π(1 − p), treating
// leads as independent — an upper bound when they share a buying
// decision), best_lead_id, best_probability, engaged_leads (engagement
// sub-score ≥ EngagedScore), mean_probability. Leads without an account
// are left out. Rows are sorted by p_any, highest first.
func RollUpAccounts(scores *data.Table, accountCol string) (*data.Table, error) {
	acc := scores.Col(accountCol)
	if acc == nil || acc.Type != data.String {
		return nil, fmt.Errorf("account roll-up: scores have no string column %q", accountCol)
	}
	id, prob, eng := scores.Col("lead_id"), scores.Col("probability"), scores.Col("engagement_score")
	if id == nil || prob == nil {
		return nil, fmt.Errorf("account roll-up: scores need lead_id and probability")
	}
	type agg struct {
		leads, engaged int
		logNone, sum   float64
		best           int
	}
	by := map[string]*agg{}
	var order []string
	for i := 0; i < scores.Rows; i++ {
		a, ok := acc.Str(i)
		if !ok || a == "" {
			continue
		}
		g := by[a]
		if g == nil {
			g = &agg{best: i}
			by[a] = g
			order = append(order, a)
		}
		p := prob.Floats[i]
		g.leads++
		g.sum += p
		g.logNone += math.Log1p(-math.Min(p, 1-1e-12))
		if p > prob.Floats[g.best] {
			g.best = i
		}
		if eng != nil && !eng.IsNull(i) && eng.Floats[i] >= EngagedScore {
			g.engaged++
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return by[order[a]].logNone < by[order[b]].logNone })
	n := len(order)
	ids, best := make([]string, n), make([]string, n)
	leads, pAny, bestP, engaged, mean := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for k, a := range order {
		g := by[a]
		ids[k] = a
		best[k], _ = id.Str(g.best)
		leads[k] = float64(g.leads)
		pAny[k] = -math.Expm1(g.logNone)
		bestP[k] = prob.Floats[g.best]
		engaged[k] = float64(g.engaged)
		mean[k] = g.sum / float64(g.leads)
	}
	return data.NewTable(
		data.NewStringColumn("account_id", ids, nil),
		data.NewFloatColumn("leads", leads),
		data.NewFloatColumn("p_any", pAny),
		data.NewStringColumn("best_lead_id", best, nil),
		data.NewFloatColumn("best_probability", bestP),
		data.NewFloatColumn("engaged_leads", engaged),
		data.NewFloatColumn("mean_probability", mean),
	)
}

// Names lists the models under a models root: the subdirectories that hold
// at least one version.
func Names(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		if vs, err := Versions(filepath.Join(root, e.Name())); err == nil && len(vs) > 0 {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}
