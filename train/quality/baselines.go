package quality

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"leadscore/eval"
	"leadscore/train"
)

// A Peer is one peer model's test metrics on one dataset, from
// baselines.md.
type Peer struct {
	Model                            string // sklearn-logreg, sklearn-hgb, xgboost-hist, LightGBM
	AUC, PRAUC, LogLoss, ECE, Lift10 float64
}

// Baselines maps a dataset name to its peers, in file order.
type Baselines map[string][]Peer

// Best returns the peer with the highest ROC AUC on dataset, and false if
// there is none.
func (b Baselines) Best(dataset string) (Peer, bool) {
	var best Peer
	ok := false
	for _, p := range b[dataset] {
		if !ok || p.AUC > best.AUC {
			best, ok = p, true
		}
	}
	return best, ok
}

// ParseBaselines reads the two quality tables of baselines.md: the main
// results table under the heading "## Results..." (| dataset | model | ROC AUC | PR AUC | log loss | Brier |
// ECE(10) | lift@top10% | ...) and the table under "## LightGBM..." (| dataset | AUC / PR
// AUC / log loss / ECE / lift |, where a " (time split)" suffix of the
// dataset name is dropped). Other lines are skipped. name is used in errors.
func ParseBaselines(r io.Reader, name string) (Baselines, error) {
	b := Baselines{}
	sc := bufio.NewScanner(r)
	line := 0
	section := ""
	num := func(s string, col string) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: line %d: column %q: value %q: not a number", name, line, col, s)
		}
		return v, nil
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "## ") {
			section = text
			continue
		}
		if !strings.HasPrefix(text, "|") || !strings.HasSuffix(text, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(text, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case strings.HasPrefix(section, "## Results") && len(cells) >= 8 && isPeerModel(cells[1]):
			p := Peer{Model: cells[1]}
			var err error
			for _, f := range []struct {
				dst *float64
				i   int
				col string
			}{{&p.AUC, 2, "ROC AUC"}, {&p.PRAUC, 3, "PR AUC"}, {&p.LogLoss, 4, "log loss"}, {&p.ECE, 6, "ECE(10)"}, {&p.Lift10, 7, "lift@top10%"}} {
				if *f.dst, err = num(cells[f.i], f.col); err != nil {
					return nil, err
				}
			}
			b[cells[0]] = append(b[cells[0]], p)
		case strings.HasPrefix(section, "## LightGBM") && len(cells) == 2 && strings.Count(cells[1], "/") == 4:
			parts := strings.Split(cells[1], "/")
			if _, err := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64); err != nil {
				continue // a header such as "AUC / PR AUC / ..."
			}
			p := Peer{Model: "LightGBM"}
			var err error
			for i, dst := range []*float64{&p.AUC, &p.PRAUC, &p.LogLoss, &p.ECE, &p.Lift10} {
				if *dst, err = num(parts[i], "LightGBM"); err != nil {
					return nil, err
				}
			}
			ds := strings.TrimSuffix(cells[0], " (time split)")
			b[ds] = append(b[ds], p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: no peer results found", name)
	}
	return b, nil
}

func isPeerModel(s string) bool {
	return s == "sklearn-logreg" || s == "sklearn-hgb" || s == "xgboost-hist"
}

// FormatComparison returns a markdown section comparing our models' test
// metrics (champion marked) with the peers': ROC AUC, PR AUC, log loss,
// ECE, lift@10%, and each row's AUC difference to the best peer.
func FormatComparison(dataset string, s *train.Summary, peers []Peer) string {
	var b strings.Builder
	best := math.Inf(-1)
	for _, p := range peers {
		best = math.Max(best, p.AUC)
	}
	fmt.Fprintf(&b, "### %s\n\n", dataset)
	fmt.Fprintf(&b, "| model | ROC AUC | PR AUC | log loss | ECE(10) | lift@10%% | AUC − best peer |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|\n")
	row := func(name string, auc, pr, ll, ece, lift float64) {
		d := "—"
		if !math.IsInf(best, -1) {
			d = fmt.Sprintf("%+.4f", auc-best)
		}
		fmt.Fprintf(&b, "| %s | %.4f | %.4f | %.4f | %.4f | %.2f | %s |\n", name, auc, pr, ll, ece, lift, d)
	}
	for _, m := range s.Models {
		name := "ours " + m.Name + " (" + m.Calibrator + ")"
		if m.Name == s.Champion {
			name = "**" + name + ", champion**"
		}
		t := m.Test
		row(name, t.AUC, t.PRAUC, t.LogLoss, t.ECE, t.Lift10)
	}
	for _, p := range peers {
		row(p.Model, p.AUC, p.PRAUC, p.LogLoss, p.ECE, p.Lift10)
	}
	for i, m := range s.Models {
		if i == 0 {
			fmt.Fprintf(&b, "\ntest base rate %.4f; mean test prediction:", m.Test.BaseRate)
		}
		fmt.Fprintf(&b, " %s %.4f", m.Name, m.Test.MeanPred)
	}
	fmt.Fprintf(&b, "; validation base rate ")
	if len(s.Models) > 0 {
		fmt.Fprintf(&b, "%.4f", s.Models[0].Valid.BaseRate)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "validation (model choice): ")
	for i, m := range s.Models {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s log loss %.4f, AUC %.4f", m.Name, m.Valid.LogLoss, m.Valid.AUC)
	}
	b.WriteString("\n")
	if s.Weak {
		b.WriteString("\nweak: yes\n")
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "\nwarning: %s\n", w)
	}
	return b.String()
}

// ChampionTest returns the test metrics of the summary's champion, and
// false if no model carries the champion's name.
func ChampionTest(s *train.Summary) (eval.Metrics, bool) {
	for _, m := range s.Models {
		if m.Name == s.Champion {
			return m.Test, true
		}
	}
	return eval.Metrics{}, false
}
