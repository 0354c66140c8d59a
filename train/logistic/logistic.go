// Package logistic fits L2-regularised logistic regression with gonum's
// L-BFGS and compiles it into a linear.Model for scoring.
//
//	X (standardised by package features), y, w ──FitLogistic──▶ *linear.Model, *Result
//
// The objective is the weighted sum of log losses plus a ridge penalty on the
// coefficients (never on the intercept):
//
//	J(b₀, b) = Σᵢ wᵢ·[log(1 + e^{zᵢ}) − yᵢ·zᵢ] + L2/2·‖b‖²,   zᵢ = b₀ + xᵢ·b
//
// This is scikit-learn's LogisticRegression objective with C = 1/L2 (sklearn
// sums, not averages, the per-row losses; sample weights multiply them), so
// Config{L2: 1} reproduces LogisticRegression(C=1.0). The penalty does not
// grow with the number of rows: the same L2 regularises a large training set
// less. ChooseL2's default grid scales with the row count for that reason.
package logistic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"leadscore/model/linear"
)

// Config configures FitLogistic. A zero field means the default documented
// on it, except L2, whose zero means no penalty.
type Config struct {
	// Names are the input columns, copied into the model. Default "x0",
	// "x1", ...; if set, there must be one per column of X.
	Names []string
	// L2 is the ridge penalty strength in the objective above; sklearn's
	// C is 1/L2. 0 means unpenalised (the optimum may not exist if the
	// classes are separable). Must be finite and >= 0.
	L2 float64
	// GradTol stops L-BFGS when the largest component of the gradient of
	// J/Σw (the per-row objective) is below it. Default 1e-6.
	GradTol float64
	// MaxIter bounds the L-BFGS major iterations. Default 1000.
	MaxIter int
	// Recorder, if set, receives every optimisation step (gonum's
	// optimize.Recorder). Nil means silence.
	Recorder optimize.Recorder
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if !(c.L2 >= 0) || math.IsInf(c.L2, 0) {
		errs = append(errs, fmt.Errorf("L2 %v must be finite and >= 0", c.L2))
	}
	if !(c.GradTol >= 0) || math.IsInf(c.GradTol, 0) {
		errs = append(errs, fmt.Errorf("GradTol %v must be finite and >= 0", c.GradTol))
	}
	if c.MaxIter < 0 {
		errs = append(errs, fmt.Errorf("MaxIter %d must be >= 0", c.MaxIter))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.GradTol == 0 {
		c.GradTol = 1e-6
	}
	if c.MaxIter == 0 {
		c.MaxIter = 1000
	}
	return c
}

// Result reports how the optimisation went.
type Result struct {
	// Converged is true when the gradient test (Config.GradTol) was met.
	Converged bool `json:"converged"`
	// Status is gonum's termination status, e.g. "GradientThreshold",
	// followed by the optimiser's error if it stopped on one.
	Status          string `json:"status"`
	Iterations      int    `json:"iterations"`
	FuncEvaluations int    `json:"func_evaluations"`
	GradEvaluations int    `json:"grad_evaluations"`
	// GradNorm is the largest component of the gradient of J/Σw at the
	// solution.
	GradNorm float64 `json:"grad_norm"`
	// Objective is J at the solution (weighted sum of losses plus penalty).
	Objective float64 `json:"objective"`
	// L2 is the penalty used.
	L2      float64       `json:"l2"`
	Runtime time.Duration `json:"runtime_ns"`
}

// FitLogistic fits L2-regularised logistic regression with L-BFGS on the
// rows of X (standardised inputs), targets y in [0, 1] (usually 0 or 1) and
// optional weights w (nil means all 1; weights must be finite and >= 0, and
// a weight of k is exactly k copies of the row). Fitting stops early, with
// ctx's error, if ctx is cancelled; cancellation is checked after every
// function evaluation.
//
// The model's Means are the unweighted column means of X (the average lead
// for linear.Model.Contributions). The gradient is computed over two row
// chunks in parallel and summed in a fixed order, so the same inputs give the
// same model bit for bit.
//
// Bad inputs (mismatched lengths, non-finite values, a single class) are
// errors. Not converging within MaxIter is not an error: check
// Result.Converged.
func FitLogistic(ctx context.Context, X *mat.Dense, y, w []float64, cfg Config) (*linear.Model, *Result, error) {
	return fit(ctx, X, y, w, cfg, nil)
}

func fit(ctx context.Context, X *mat.Dense, y, w []float64, cfg Config, init []float64) (*linear.Model, *Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("fit logistic regression: config: %w", err)
	}
	cfg = cfg.withDefaults()
	prob, err := newProblem(X, y, w, cfg.L2)
	if err != nil {
		return nil, nil, fmt.Errorf("fit logistic regression: %w", err)
	}
	names := cfg.Names
	if names == nil {
		names = make([]string, prob.d)
		for j := range names {
			names[j] = fmt.Sprintf("x%d", j)
		}
	} else if len(names) != prob.d {
		return nil, nil, fmt.Errorf("fit logistic regression: %d names for %d columns", len(names), prob.d)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("fit logistic regression: %w", err)
	}

	x0 := make([]float64, prob.d+1)
	if init != nil {
		copy(x0, init)
	} else {
		// Start at the weighted base rate, which is the optimum of the
		// intercept alone.
		x0[0] = math.Log(prob.wy / (prob.wsum - prob.wy))
	}
	p := optimize.Problem{
		Func:   prob.func_,
		Grad:   prob.grad,
		Status: func() (optimize.Status, error) { return optimize.NotTerminated, ctx.Err() },
	}
	settings := &optimize.Settings{
		GradientThreshold: cfg.GradTol,
		MajorIterations:   cfg.MaxIter,
		Converger:         &optimize.FunctionConverge{Iterations: 20},
		Recorder:          cfg.Recorder,
	}
	res, err := optimize.Minimize(p, x0, settings, &optimize.LBFGS{})
	if cerr := ctx.Err(); cerr != nil {
		return nil, nil, fmt.Errorf("fit logistic regression: %w", cerr)
	}
	if res == nil {
		return nil, nil, fmt.Errorf("fit logistic regression: %w", err)
	}
	g := make([]float64, len(res.X))
	f := prob.eval(res.X, g)
	r := &Result{
		Status:          res.Status.String(),
		Iterations:      res.MajorIterations,
		FuncEvaluations: res.FuncEvaluations,
		GradEvaluations: res.GradEvaluations,
		GradNorm:        floats.Norm(g, math.Inf(1)),
		Objective:       f * prob.wsum,
		L2:              cfg.L2,
		Runtime:         res.Runtime,
	}
	r.Converged = r.GradNorm < cfg.GradTol
	if err != nil {
		r.Status += ": " + err.Error()
		// L-BFGS can fail its line search at the limit of float64 precision
		// after the gradient test is already met in all but name; only a
		// fit that is still far from the optimum is an error.
		if !r.Converged {
			return nil, r, fmt.Errorf("fit logistic regression: after %d iterations, gradient %.3g: %w", r.Iterations, r.GradNorm, err)
		}
	}
	for _, v := range res.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, r, fmt.Errorf("fit logistic regression: non-finite coefficients after %d iterations", r.Iterations)
		}
	}
	m := &linear.Model{
		Names:     append([]string(nil), names...),
		Coef:      append([]float64(nil), res.X[1:]...),
		Intercept: res.X[0],
		Means:     prob.means(),
	}
	return m, r, nil
}

// problem holds the data and scratch space of one fit. Its methods are
// called by one optimiser goroutine at a time.
type problem struct {
	raw      []float64 // row-major data with stride
	stride   int
	n, d     int
	y, w     []float64 // w nil means all 1
	l2       float64
	wsum, wy float64

	chunks [2]chunk
	lastX  []float64 // the point of the cached evaluation
	lastG  []float64
	lastF  float64
}

// chunk is one goroutine's share of the rows and its partial sums.
type chunk struct {
	lo, hi int
	g      []float64
	f      float64
}

func newProblem(X *mat.Dense, y, w []float64, l2 float64) (*problem, error) {
	if X == nil {
		return nil, errors.New("no data")
	}
	raw := X.RawMatrix()
	n, d := raw.Rows, raw.Cols
	if len(y) != n {
		return nil, fmt.Errorf("%d rows but %d targets", n, len(y))
	}
	if w != nil && len(w) != n {
		return nil, fmt.Errorf("%d rows but %d weights", n, len(w))
	}
	if n == 0 {
		return nil, errors.New("no rows")
	}
	p := &problem{raw: raw.Data, stride: raw.Stride, n: n, d: d, y: y, w: w, l2: l2}
	for i := range n {
		if v := y[i]; !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("row %d: target %v, want a value in [0, 1]", i, v)
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
			if !(wi >= 0) || math.IsInf(wi, 0) {
				return nil, fmt.Errorf("row %d: weight %v, want finite and >= 0", i, wi)
			}
		}
		p.wsum += wi
		p.wy += wi * y[i]
		for j, v := range p.row(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("row %d, column %d: value %v is not finite", i, j, v)
			}
		}
	}
	if p.wy <= 0 || p.wy >= p.wsum {
		return nil, fmt.Errorf("need both classes: weighted positives %v of total weight %v", p.wy, p.wsum)
	}
	half := n / 2
	p.chunks[0] = chunk{lo: 0, hi: half, g: make([]float64, d+1)}
	p.chunks[1] = chunk{lo: half, hi: n, g: make([]float64, d+1)}
	p.lastG = make([]float64, d+1)
	return p, nil
}

func (p *problem) row(i int) []float64 {
	return p.raw[i*p.stride : i*p.stride+p.d]
}

// means returns the unweighted column means.
func (p *problem) means() []float64 {
	m := make([]float64, p.d)
	for i := range p.n {
		floats.Add(m, p.row(i))
	}
	floats.Scale(1/float64(p.n), m)
	return m
}

// parallelRows is the row count from which the second chunk runs on its own
// goroutine; below it both chunks run inline (same sums, same bits).
const parallelRows = 4096

// eval writes the gradient of J/Σw at b = (b₀, coef) into g and returns J/Σw.
func (p *problem) eval(b, g []float64) float64 {
	if p.n >= parallelRows {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.chunks[1].run(p, b)
		}()
		p.chunks[0].run(p, b)
		wg.Wait()
	} else {
		p.chunks[0].run(p, b)
		p.chunks[1].run(p, b)
	}
	f := p.chunks[0].f + p.chunks[1].f
	floats.AddTo(g, p.chunks[0].g, p.chunks[1].g)
	coef := b[1:]
	f += p.l2 / 2 * floats.Dot(coef, coef)
	floats.AddScaled(g[1:], p.l2, coef)
	inv := 1 / p.wsum
	floats.Scale(inv, g)
	return f * inv
}

// run accumulates the loss and gradient of its rows.
func (c *chunk) run(p *problem, b []float64) {
	b0, coef := b[0], b[1:]
	g := c.g
	clear(g)
	gc := g[1:]
	var f, g0 float64
	for i := c.lo; i < c.hi; i++ {
		x := p.row(i)
		z := b0 + floats.Dot(coef, x)
		yi := p.y[i]
		wi := 1.0
		if p.w != nil {
			wi = p.w[i]
			if wi == 0 {
				continue
			}
		}
		// Stable log(1 + e^z) and σ(z).
		var sp, s float64
		if z > 0 {
			e := math.Exp(-z)
			sp = z + math.Log1p(e)
			s = 1 / (1 + e)
		} else {
			e := math.Exp(z)
			sp = math.Log1p(e)
			s = e / (1 + e)
		}
		f += wi * (sp - yi*z)
		r := wi * (s - yi)
		g0 += r
		floats.AddScaled(gc, r, x)
	}
	g[0] = g0
	c.f = f
}

// func_ is optimize.Problem.Func; it caches the gradient for grad.
func (p *problem) func_(b []float64) float64 {
	p.lastF = p.eval(b, p.lastG)
	p.lastX = append(p.lastX[:0], b...)
	return p.lastF
}

// grad is optimize.Problem.Grad.
func (p *problem) grad(g, b []float64) {
	if p.lastX != nil && floats.Equal(b, p.lastX) {
		copy(g, p.lastG)
		return
	}
	p.func_(b)
	copy(g, p.lastG)
}

// Unstandardise converts coefficients fitted on standardised inputs,
// x' = (x − mean)/scale, back to the original units:
// coefⱼ/scaleⱼ and intercept − Σ coefⱼ·meanⱼ/scaleⱼ, so that both give the
// same margin. A scale of 0 (a constant column) is treated as 1, as
// scikit-learn's StandardScaler does. It panics if the lengths differ.
func Unstandardise(coef []float64, intercept float64, means, scales []float64) ([]float64, float64) {
	if len(means) != len(coef) || len(scales) != len(coef) {
		panic("logistic: Unstandardise: coef, means and scales differ in length")
	}
	out := make([]float64, len(coef))
	for j, c := range coef {
		s := scales[j]
		if s == 0 {
			s = 1
		}
		out[j] = c / s
		intercept -= c * means[j] / s
	}
	return out, intercept
}
