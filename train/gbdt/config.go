package gbdt

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// Config configures training. A zero field means the default documented
// on it (so an exact zero cannot be asked for where the default differs:
// use a tiny positive value instead).
type Config struct {
	// Rounds is the maximum number of boosting rounds (one tree each).
	// Default 500.
	Rounds int
	// LearningRate shrinks each tree's leaf values. Default 0.1; must be in (0, 1].
	LearningRate float64
	// MaxDepth limits tree depth (the root is depth 0, so depth d allows
	// 2^d leaves). Default: 6 for depth-wise growth (MaxLeaves == 0),
	// unlimited for leaf-wise growth (MaxLeaves > 0). At most 64.
	MaxDepth int
	// MaxLeaves selects leaf-wise (best-first) growth up to this many
	// leaves per tree, as LightGBM's num_leaves. 0 (the default) grows
	// depth-wise, as XGBoost, splitting every splittable node per level.
	MaxLeaves int
	// MinChildWeight is the minimum hessian sum in a leaf. Default 1e-3.
	MinChildWeight float64
	// MinRowsPerLeaf is the minimum number of training rows in a leaf.
	// Default 20. As in LightGBM, candidate splits are checked on row
	// counts estimated from hessian sums (exact while all rows have equal
	// hessians, as in the first round); a node with fewer than twice this
	// many rows is never split.
	MinRowsPerLeaf int
	// L2 regularises leaf values: a leaf's value is -G/(H+L2) times the
	// learning rate. Default 1.
	L2 float64
	// MinSplitGain is the minimum loss reduction of a split, in LightGBM
	// units: G_L²/(H_L+L2) + G_R²/(H_R+L2) - G²/(H+L2). Default 0 (any
	// positive gain).
	MinSplitGain float64
	// MaxBins is the number of histogram bins per feature, not counting
	// the bin for missing values. Default 255; must be in [2, 255].
	MaxBins int
	// RowSubsample is the fraction of rows drawn (without replacement,
	// Bernoulli) for each tree. Default 1; must be in (0, 1].
	RowSubsample float64
	// ColSubsample is the fraction of features drawn for each tree.
	// Default 1; must be in (0, 1].
	ColSubsample float64
	// Seed drives every random choice (subsampling and bin sampling).
	// Required: 0 is rejected so that a forgotten seed is noticed.
	Seed uint64
	// EarlyStoppingRounds stops training when the validation log loss has
	// not improved for this many rounds, and keeps the best round. Used
	// only when validation rows are given. Default 30; negative disables
	// early stopping and keeps every round.
	EarlyStoppingRounds int
	// Workers is the number of goroutines. Default runtime.GOMAXPROCS(0).
	// The trained forest does not depend on it.
	Workers int
	// MaxCatToOneHot: a categorical feature with at most this many
	// non-empty categories in a node is split one-vs-rest. Default 4
	// (LightGBM max_cat_to_onehot).
	MaxCatToOneHot int
	// MaxCatThreshold is the most categories on the scanned side of a
	// gradient-sorted categorical split. Default 32 (LightGBM max_cat_threshold).
	MaxCatThreshold int
	// CatSmooth is added to the hessian when sorting categories by
	// G/(H+CatSmooth). Default 10 (LightGBM cat_smooth).
	CatSmooth float64
	// CatL2 is added to L2 when scoring gradient-sorted categorical
	// splits. Default 10 (LightGBM cat_l2).
	CatL2 float64
	// MinRowsPerCategory: categories with fewer (estimated) rows in a
	// node stay on the right side of gradient-sorted splits. Default 100
	// (LightGBM min_data_per_group).
	MinRowsPerCategory int
	// ExactGradients builds histograms from float64 gradient and hessian
	// sums. By default (false) they are built from gradients quantized
	// each round to integers (|g| <= 127, 0 <= h <= 255 steps, stochastic
	// rounding seeded by Seed), as LightGBM's use_quantized_grad: a
	// histogram update is then one integer add instead of two float adds.
	// Split gains are approximate, but every leaf value is renewed from
	// the exact gradients of its rows.
	ExactGradients bool
	// TrainLoss records the training log loss after every round
	// (Result.TrainLogLoss, RoundInfo.TrainLogLoss). Off by default: it
	// costs a logarithm per row per round and nothing in training needs it.
	TrainLoss bool
	// Monotone, when non-nil, overrides Feature.Monotone: one entry per
	// feature, -1 (decreasing), 0 (free) or +1 (increasing).
	Monotone []int8

	// nodeHook, set only by tests in this package, is called for every
	// node once its histogram is complete, before its best split is
	// searched.
	nodeHook func(g *grower, l *leaf)
}

// DefaultConfig returns the configuration with every default filled in
// and the given seed.
func DefaultConfig(seed uint64) Config {
	return Config{Seed: seed}.withDefaults()
}

// withDefaults replaces zero fields with their documented defaults.
func (c Config) withDefaults() Config {
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	defI := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defI(&c.Rounds, 500)
	def(&c.LearningRate, 0.1)
	if c.MaxDepth == 0 && c.MaxLeaves == 0 {
		c.MaxDepth = 6
	}
	def(&c.MinChildWeight, 1e-3)
	defI(&c.MinRowsPerLeaf, 20)
	def(&c.L2, 1)
	defI(&c.MaxBins, 255)
	def(&c.RowSubsample, 1)
	def(&c.ColSubsample, 1)
	defI(&c.EarlyStoppingRounds, 30)
	defI(&c.Workers, runtime.GOMAXPROCS(0))
	defI(&c.MaxCatToOneHot, 4)
	defI(&c.MaxCatThreshold, 32)
	def(&c.CatSmooth, 10)
	def(&c.CatL2, 10)
	defI(&c.MinRowsPerCategory, 100)
	return c
}

// Validate reports every invalid field, one per line. It checks the
// configuration after defaults are applied, as Train does.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Rounds < 1 {
		bad("Rounds %d must be positive", c.Rounds)
	}
	if !(c.LearningRate > 0 && c.LearningRate <= 1) {
		bad("LearningRate %v must be in (0, 1]", c.LearningRate)
	}
	if c.MaxDepth < 0 || c.MaxDepth > 64 {
		bad("MaxDepth %d must be in [0, 64]", c.MaxDepth)
	}
	if c.MaxLeaves < 0 || c.MaxLeaves == 1 {
		bad("MaxLeaves %d must be 0 (depth-wise) or at least 2", c.MaxLeaves)
	}
	if !(c.MinChildWeight >= 0) || math.IsInf(c.MinChildWeight, 0) {
		bad("MinChildWeight %v must be finite and >= 0", c.MinChildWeight)
	}
	if c.MinRowsPerLeaf < 1 {
		bad("MinRowsPerLeaf %d must be at least 1", c.MinRowsPerLeaf)
	}
	if !(c.L2 >= 0) || math.IsInf(c.L2, 0) {
		bad("L2 %v must be finite and >= 0", c.L2)
	}
	if !(c.MinSplitGain >= 0) || math.IsInf(c.MinSplitGain, 0) {
		bad("MinSplitGain %v must be finite and >= 0", c.MinSplitGain)
	}
	if c.MaxBins < 2 || c.MaxBins > 255 {
		bad("MaxBins %d must be in [2, 255]", c.MaxBins)
	}
	if !(c.RowSubsample > 0 && c.RowSubsample <= 1) {
		bad("RowSubsample %v must be in (0, 1]", c.RowSubsample)
	}
	if !(c.ColSubsample > 0 && c.ColSubsample <= 1) {
		bad("ColSubsample %v must be in (0, 1]", c.ColSubsample)
	}
	if c.Seed == 0 {
		bad("Seed is required (0 is rejected as unset)")
	}
	if c.Workers < 1 {
		bad("Workers %d must be positive", c.Workers)
	}
	if c.MaxCatToOneHot < 1 {
		bad("MaxCatToOneHot %d must be positive", c.MaxCatToOneHot)
	}
	if c.MaxCatThreshold < 1 {
		bad("MaxCatThreshold %d must be positive", c.MaxCatThreshold)
	}
	if !(c.CatSmooth >= 0) || math.IsInf(c.CatSmooth, 0) {
		bad("CatSmooth %v must be finite and >= 0", c.CatSmooth)
	}
	if !(c.CatL2 >= 0) || math.IsInf(c.CatL2, 0) {
		bad("CatL2 %v must be finite and >= 0", c.CatL2)
	}
	if c.MinRowsPerCategory < 1 {
		bad("MinRowsPerCategory %d must be positive", c.MinRowsPerCategory)
	}
	for i, m := range c.Monotone {
		if m < -1 || m > 1 {
			bad("Monotone[%d] = %d must be -1, 0 or 1", i, m)
		}
	}
	return errors.Join(errs...)
}
