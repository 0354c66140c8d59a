// Package gbdt trains gradient-boosted decision trees for binary
// classification (logistic loss) with quantile histograms, in the manner
// of LightGBM and XGBoost's "hist" method.
//
//	features, Dataset (X n×d, NaN = missing), Config ──Train──▶ *tree.Forest, *Result
//
// Numeric features are cut into at most MaxBins quantile bins once, plus
// a bin for missing values; each split learns where missing values go.
// Categorical features (integer codes 0..Levels-1) are split natively:
// one-vs-rest for few categories, otherwise LightGBM's partition of
// categories sorted by G/(H+CatSmooth). Each tree is a Newton step on the
// log loss; leaves are regularised (L2) and shrunk (LearningRate).
// Monotone constraints follow LightGBM's basic method: a split that
// would break the direction is rejected and children inherit output
// bounds, so the whole model is monotone.
//
// By default histograms are built from gradients quantized each round to
// small integers with seeded stochastic rounding, packed so that a bin
// update is one integer add (LightGBM's use_quantized_grad); split gains
// are approximate, but every leaf value is renewed from the exact
// gradients of its rows. Config.ExactGradients builds float64
// histograms instead.
//
// Training is deterministic: the same data, features and Config (Seed
// included) give a bit-identical forest whatever Workers is.
package gbdt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"leadscore/model/tree"
)

// Feature describes one column of the feature matrix.
type Feature struct {
	Name string
	// Categorical marks integer codes 0..Levels-1 (as float64; NaN is
	// missing) to be split by category sets.
	Categorical bool
	Levels      int
	// Monotone constrains the model to be increasing (+1) or decreasing
	// (-1) in this numeric feature; 0 is free.
	Monotone int8
}

// Dataset is a dense row-major matrix with labels.
type Dataset struct {
	X          []float64 // Rows*Cols values; X[r*Cols+f]; NaN is missing; ±Inf is rejected
	Rows, Cols int
	Y          []float64 // labels, 0 or 1
	W          []float64 // optional non-negative row weights; nil means all 1
}

// RoundInfo reports one boosting round to the progress callback.
type RoundInfo struct {
	Round        int     // 1-based
	Leaves       int     // leaves of this round's tree
	TrainLogLoss float64 // weighted mean log loss on the training rows after this round; NaN unless Config.TrainLoss
	ValidLogLoss float64 // NaN without validation rows
	ValidAUC     float64 // NaN without validation rows
}

// Result describes a training run.
type Result struct {
	// Config is the resolved configuration (defaults filled in).
	Config Config
	// BestRound is the number of trees kept in the forest: the round with
	// the lowest validation log loss, or every round without validation.
	BestRound int
	// StoppedEarly reports that training ended before Config.Rounds
	// because validation loss stopped improving.
	StoppedEarly bool
	// TrainLogLoss[i] and ValidLogLoss[i] are the losses after round
	// i+1; ValidAUC[i] is the ROC AUC on the validation rows. The Valid
	// slices are nil without validation rows, TrainLogLoss is nil unless
	// Config.TrainLoss.
	TrainLogLoss, ValidLogLoss, ValidAUC []float64
	// GainImportance and SplitImportance are, per feature, the total
	// split gain and the number of splits in the kept trees.
	GainImportance  []float64
	SplitImportance []int
}

// Train fits a forest on train, stopping early on valid (which may be
// nil) when Config.EarlyStoppingRounds allows. progress, if non-nil, is
// called after every round. If ctx is cancelled, Train returns an error
// wrapping ctx.Err().
func Train(ctx context.Context, features []Feature, train Dataset, valid *Dataset, cfg Config, progress func(RoundInfo)) (*tree.Forest, *Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("gbdt: invalid config:\n%w", err)
	}
	cfg = cfg.withDefaults()
	mono, err := checkInputs(features, &train, valid, cfg)
	if err != nil {
		return nil, nil, err
	}
	if valid != nil && valid.Rows == 0 {
		valid = nil
	}
	n, d := train.Rows, train.Cols
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x1ead5c0e))

	bn, err := newBinning(features, &train, cfg.MaxBins, rng, cfg.Workers)
	if err != nil {
		return nil, nil, err
	}
	g := &grower{
		cfg: cfg, feats: features, mono: mono, bn: bn, n: n, workers: cfg.Workers,
		gh:     make([]hbin, n),
		leafOf: make([]int32, n),
		quant:  !cfg.ExactGradients,
	}
	extra := 0
	if g.quant {
		extra = 1 // each row's packed quantized pair, beside its bins
	}
	g.cols, g.hb.words, g.hb.ng, g.hb.stride = bn.binMatrices(&train, extra, cfg.Workers)
	if g.quant {
		g.hb.qoff = g.hb.ng
		g.ord = newOrderedRows(n, g.hb.stride)
	} else {
		g.tmp = make([]int32, n)
		g.ow, g.og = make([]uint64, n*g.hb.stride), make([]hbin, n)
	}

	// Initial margin: log-odds of the weighted positive rate.
	var sw, swy float64
	for r := range n {
		w := weight(train.W, r)
		sw += w
		swy += w * train.Y[r]
	}
	if swy <= 0 || swy >= sw {
		return nil, nil, fmt.Errorf("gbdt: training labels are all %v: need both classes", train.Y[0])
	}
	base := math.Log(swy / (sw - swy))

	F := make([]float64, n)
	for r := range F {
		F[r] = base
	}
	var Fv []float64
	res := &Result{Config: cfg}
	if valid != nil {
		Fv = make([]float64, valid.Rows)
		for r := range Fv {
			Fv[r] = base
		}
	}
	gradients(F, train.Y, train.W, g.gh, sw, nil, cfg.Workers, false)
	// quantKey seeds round t's stochastic rounding.
	quantKey := func(t int) uint64 { return splitmix64(cfg.Seed ^ uint64(t)<<40) }

	idx := make([]int32, n)
	var trees []tree.Tree
	best, bestLoss := 0, math.Inf(1)
	patience := cfg.EarlyStoppingRounds
	for round := 1; round <= cfg.Rounds; round++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("gbdt: training stopped before round %d: %w", round, err)
		}
		g.setUsed(chooseFeatures(d, cfg.ColSubsample, rng, g.used[:0]))
		rows, all := chooseRows(n, cfg.RowSubsample, rng, idx)
		if g.quant {
			g.qz = quantize(g.gh, g.hb.words[g.hb.qoff:], g.hb.stride, quantKey(round), cfg.Workers)
		}
		gt := g.grow(rows, all)
		trees = append(trees, gt.t)

		// Update training margins. When the tree holds every row, the
		// update is folded into the gradients' pass over the rows (by
		// g.leafOf). Otherwise rows in the sample move by their leaf
		// (leaves hold disjoint rows, so they are updated in parallel),
		// the others by walking the binned tree.
		var step *leafStep
		if all {
			step = &leafStep{leafOf: g.leafOf, values: gt.t.Leaves}
		} else {
			leafWorkers := cfg.Workers
			if len(rows) < 2*rowChunk {
				leafWorkers = 1
			}
			parallel(leafWorkers, len(gt.leaves), func(j int) {
				v := gt.t.Leaves[j]
				for _, r := range gt.leaves[j].rows {
					F[r] += v
				}
			})

			in := make([]bool, n)
			for _, r := range rows {
				in[r] = true
			}
			for r := range n {
				if !in[r] {
					F[r] += gt.t.Leaves[gt.predictBinned(g.cols, n, r)]
				}
			}
		}
		info := RoundInfo{Round: round, Leaves: len(gt.t.Leaves), TrainLogLoss: math.NaN(), ValidLogLoss: math.NaN(), ValidAUC: math.NaN()}
		loss := gradients(F, train.Y, train.W, g.gh, sw, step, cfg.Workers, cfg.TrainLoss)
		if cfg.TrainLoss {
			info.TrainLogLoss = loss
			res.TrainLogLoss = append(res.TrainLogLoss, loss)
		}

		if valid != nil {
			one, err := tree.NewForest(d, 0, []tree.Tree{gt.t})
			if err != nil {
				return nil, nil, fmt.Errorf("gbdt: round %d: internal error: %w", round, err)
			}
			delta := make([]float64, valid.Rows)
			one.Margins(delta, valid.X, valid.Rows)
			for r := range Fv {
				Fv[r] += delta[r]
			}
			info.ValidLogLoss = logLoss(Fv, valid.Y, valid.W)
			info.ValidAUC = auc(Fv, valid.Y, valid.W)
			res.ValidLogLoss = append(res.ValidLogLoss, info.ValidLogLoss)
			res.ValidAUC = append(res.ValidAUC, info.ValidAUC)
		}
		if progress != nil {
			progress(info)
		}
		if valid == nil {
			best = round
			continue
		}
		if info.ValidLogLoss < bestLoss {
			best, bestLoss = round, info.ValidLogLoss
		}
		if patience > 0 && round-best >= patience {
			res.StoppedEarly = round < cfg.Rounds
			break
		}
	}
	if valid != nil && patience < 0 {
		best = len(trees)
	}
	forest, err := tree.NewForest(d, base, trees[:best])
	if err != nil {
		return nil, nil, fmt.Errorf("gbdt: internal error: %w", err)
	}
	res.BestRound = best
	res.GainImportance, res.SplitImportance = forest.Importance()
	return forest, res, nil
}

// checkInputs validates the data contract and returns the monotone
// direction of each feature.
func checkInputs(features []Feature, train, valid *Dataset, cfg Config) ([]int8, error) {
	var errs []error
	d := len(features)
	check := func(name string, ds *Dataset) {
		if ds.Cols != d {
			errs = append(errs, fmt.Errorf("%s: %d columns, %d features", name, ds.Cols, d))
		}
		if ds.Rows < 0 || len(ds.X) != ds.Rows*ds.Cols {
			errs = append(errs, fmt.Errorf("%s: X has %d values, want %d rows × %d columns", name, len(ds.X), ds.Rows, ds.Cols))
		}
		if len(ds.Y) != ds.Rows {
			errs = append(errs, fmt.Errorf("%s: Y has %d labels, want %d", name, len(ds.Y), ds.Rows))
		}
		if ds.W != nil && len(ds.W) != ds.Rows {
			errs = append(errs, fmt.Errorf("%s: W has %d weights, want %d", name, len(ds.W), ds.Rows))
		}
		for r, y := range ds.Y {
			if y != 0 && y != 1 {
				errs = append(errs, fmt.Errorf("%s: row %d: label %v is not 0 or 1", name, r, y))
				break
			}
		}
		for r, w := range ds.W {
			if !(w >= 0) || math.IsInf(w, 0) {
				errs = append(errs, fmt.Errorf("%s: row %d: weight %v is not finite and >= 0", name, r, w))
				break
			}
		}
	}
	if d == 0 {
		errs = append(errs, errors.New("no features"))
	}
	check("train", train)
	if train.Rows == 0 {
		errs = append(errs, errors.New("train: no rows"))
	}
	if valid != nil {
		check("valid", valid)
	}
	mono := make([]int8, d)
	if cfg.Monotone != nil && len(cfg.Monotone) != d {
		errs = append(errs, fmt.Errorf("Config.Monotone has %d entries, want %d", len(cfg.Monotone), d))
	}
	for f, ft := range features {
		mono[f] = ft.Monotone
		if len(cfg.Monotone) == d {
			mono[f] = cfg.Monotone[f]
		}
		if mono[f] < -1 || mono[f] > 1 {
			errs = append(errs, fmt.Errorf("feature %d (%q): monotone %d must be -1, 0 or 1", f, ft.Name, mono[f]))
		}
		if ft.Categorical && ft.Levels < 1 {
			errs = append(errs, fmt.Errorf("feature %d (%q): categorical with %d levels", f, ft.Name, ft.Levels))
		}
		if ft.Categorical && mono[f] != 0 {
			errs = append(errs, fmt.Errorf("feature %d (%q): a categorical feature cannot be monotone", f, ft.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("gbdt: invalid input:\n%w", err)
	}
	return mono, nil
}

func weight(w []float64, r int) float64 {
	if w == nil {
		return 1
	}
	return w[r]
}

// chooseFeatures returns the features used by one tree, ascending.
func chooseFeatures(d int, frac float64, rng *rand.Rand, dst []int) []int {
	if frac >= 1 {
		for f := range d {
			dst = append(dst, f)
		}
		return dst
	}
	k := max(1, int(math.Round(frac*float64(d))))
	dst = append(dst, rng.Perm(d)[:k]...)
	slices.Sort(dst)
	return dst
}

// chooseRows fills idx with the rows of one tree, ascending, and reports
// whether that is every row.
func chooseRows(n int, frac float64, rng *rand.Rand, idx []int32) ([]int32, bool) {
	if frac >= 1 {
		for r := range idx {
			idx[r] = int32(r)
		}
		return idx, true
	}
	k := 0
	for r := range n {
		if rng.Float64() < frac {
			idx[k] = int32(r)
			k++
		}
	}
	return idx[:k], k == n
}

// gradChunk is the number of rows per parallel gradient task; partial
// loss sums are added in chunk order, so the result does not depend on
// the number of workers.
const gradChunk = 1 << 14

// leafStep is a tree's update of the training margins: row r gains
// values[leafOf[r]].
type leafStep struct {
	leafOf []int32
	values []float64
}

// gradients first adds step (if not nil) to the margins F, then writes
// the logistic-loss gradient and hessian of each row at margin F into gh
// and, if withLoss, returns the weighted mean log loss (otherwise NaN:
// the loss costs a logarithm per row).
//
// With p = 1/(1+exp(-F)): loss = w·(log(1+exp(F)) - y·F),
// d loss/dF = w·(p - y), d² loss/dF² = w·p·(1-p).
func gradients(F, y, w []float64, gh []hbin, sumW float64, step *leafStep, workers int, withLoss bool) float64 {
	n := len(F)
	chunks := (n + gradChunk - 1) / gradChunk
	if !withLoss {
		parallel(workers, chunks, func(c int) {
			lo, hi := c*gradChunk, min(n, (c+1)*gradChunk)
			for r := lo; r < hi; r++ {
				if step != nil {
					F[r] += step.values[step.leafOf[r]]
				}
				gr, hr := logisticGrad(F[r], y[r])
				if w != nil {
					gr, hr = w[r]*gr, w[r]*hr
				}
				gh[r] = hbin{gr, hr}
			}
		})
		return math.NaN()
	}
	part := make([]float64, chunks)
	parallel(workers, chunks, func(c int) {
		s := 0.0
		for r := c * gradChunk; r < min(n, (c+1)*gradChunk); r++ {
			if step != nil {
				F[r] += step.values[step.leafOf[r]]
			}
			wr := weight(w, r)
			gr, hr, l := logistic(F[r], y[r])
			gh[r] = hbin{wr * gr, wr * hr}
			s += wr * l
		}
		part[c] = s
	})
	total := 0.0
	for _, s := range part {
		total += s
	}
	return total / sumW
}

// hessFloor keeps hessians positive when p saturates.
const hessFloor = 1e-16

// logistic returns the gradient, hessian and log loss of margin f for
// label y.
func logistic(f, y float64) (g, h, loss float64) {
	p, e := sigmoid(f)
	return p - y, max(p*(1-p), hessFloor), max(f, 0) + math.Log1p(e) - y*f
}

// logisticGrad returns the gradient and hessian of margin f for label
// y, as logistic does, without the loss.
func logisticGrad(f, y float64) (g, h float64) {
	p, _ := sigmoid(f)
	return p - y, max(p*(1-p), hessFloor)
}

// sigmoid returns p = 1/(1+exp(-f)) and e = exp(-|f|), in (0, 1], from
// which p is computed without overflow for any f: 1/(1+e) for f >= 0,
// e/(1+e) otherwise. The numerator is chosen by the sign bit of f with
// bit operations, not a branch the processor would mispredict on every
// other row (15-20 % faster over a round's rows, the same bits).
func sigmoid(f float64) (p, e float64) {
	e = math.Exp(-math.Abs(f))
	num := math.Float64bits(e)
	nonNeg := math.Float64bits(f)>>63 - 1 // all ones when the sign bit is clear
	num ^= (num ^ math.Float64bits(1)) & nonNeg
	return math.Float64frombits(num) / (1 + e), e
}

// logLoss is the weighted mean log loss of margins F.
func logLoss(F, y, w []float64) float64 {
	var s, sw float64
	for r, f := range F {
		wr := weight(w, r)
		_, _, l := logistic(f, y[r])
		s += wr * l
		sw += wr
	}
	return s / sw
}

// auc is the weighted ROC AUC of scores F for labels y (ties count one
// half). It is NaN when a class is absent.
func auc(F, y, w []float64) float64 {
	order := make([]int, len(F))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case F[a] < F[b]:
			return -1
		case F[a] > F[b]:
			return 1
		}
		return a - b
	})
	var negBelow, area, pos, neg float64
	for i := 0; i < len(order); {
		j := i
		var p, q float64
		for ; j < len(order) && F[order[j]] == F[order[i]]; j++ {
			if y[order[j]] == 1 {
				p += weight(w, order[j])
			} else {
				q += weight(w, order[j])
			}
		}
		area += p * (negBelow + q/2)
		negBelow += q
		pos += p
		neg += q
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return area / (pos * neg)
}
