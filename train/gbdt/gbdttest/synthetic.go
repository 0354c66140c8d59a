// Package gbdttest generates the deterministic synthetic data set used
// by gbdt's training benchmark and by the peer (scikit-learn, xgboost)
// timing script, so that both sides train on identical rows.
package gbdttest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"leadscore/train/gbdt"
)

// Column layout of SyntheticMatrix.
const (
	NumNumeric     = 30
	NumCategorical = 10
	NumFeatures    = NumNumeric + NumCategorical
)

// catLevels are the category counts of the 10 categorical columns.
var catLevels = [NumCategorical]int{2, 3, 5, 8, 12, 20, 35, 60, 100, 200}

// SyntheticMatrix returns rows of a lead-scoring-like problem: 30
// numeric features (normal, heavy-tailed log-normal and uniform; every
// fifth column 5% NaN) followed by 10 categorical features with 2..200
// Zipf-distributed levels (three with 2% missing). Labels come from a
// logistic model with main effects, interactions and per-category
// effects, with about 17.5% positives. The same rows and seed always give
// the same data.
func SyntheticMatrix(rows int, seed uint64) ([]gbdt.Feature, gbdt.Dataset) {
	rng := rand.New(rand.NewPCG(seed, 0x5e17e71c))
	feats := make([]gbdt.Feature, NumFeatures)
	for j := range NumNumeric {
		feats[j] = gbdt.Feature{Name: fmt.Sprintf("num%02d", j)}
	}
	cdfs := make([][]float64, NumCategorical)
	effects := make([][]float64, NumCategorical)
	for k, lv := range catLevels {
		feats[NumNumeric+k] = gbdt.Feature{Name: fmt.Sprintf("cat%d", k), Categorical: true, Levels: lv}
		cdf := make([]float64, lv)
		s := 0.0
		for c := range lv {
			s += 1 / math.Pow(float64(c+1), 1.1)
			cdf[c] = s
		}
		for c := range cdf {
			cdf[c] /= s
		}
		cdfs[k] = cdf
		eff := make([]float64, lv)
		for c := range eff {
			eff[c] = 0.6 * rng.NormFloat64()
		}
		effects[k] = eff
	}
	coef := make([]float64, NumNumeric)
	for j := range coef {
		coef[j] = 0.4 * rng.NormFloat64()
	}
	X := make([]float64, rows*NumFeatures)
	Y := make([]float64, rows)
	z := make([]float64, NumNumeric) // model inputs: standardised, 0 when missing
	for r := range rows {
		x := X[r*NumFeatures : (r+1)*NumFeatures]
		for j := range NumNumeric {
			var v, s float64
			switch j % 3 {
			case 0:
				v = rng.NormFloat64()
				s = v
			case 1:
				v = math.Exp(1.5 * rng.NormFloat64()) // heavy tail
				s = math.Log1p(v) - 1
			default:
				v = 100 * rng.Float64()
				s = (v - 50) / 29
			}
			if j%5 == 0 && rng.Float64() < 0.05 {
				v, s = math.NaN(), 0
			}
			x[j], z[j] = v, s
		}
		logit := -4.2
		for j, c := range coef {
			logit += c * z[j]
		}
		logit += 0.8*z[0]*z[3] - 0.6*z[1]*z[2] + 0.7*math.Max(z[4], 0)*z[7]
		if z[5] > 0.5 {
			logit += 0.8
		}
		for k := range NumCategorical {
			c, _ := slices.BinarySearch(cdfs[k], rng.Float64())
			c = min(c, catLevels[k]-1)
			if (k == 0 || k == 4 || k == 8) && rng.Float64() < 0.02 {
				x[NumNumeric+k] = math.NaN()
				continue
			}
			x[NumNumeric+k] = float64(c)
			logit += effects[k][c]
			if k == 6 {
				logit += 0.5 * effects[k][c] * z[9]
			}
		}
		if rng.Float64() < 1/(1+math.Exp(-logit)) {
			Y[r] = 1
		}
	}
	return feats, gbdt.Dataset{X: X, Rows: rows, Cols: NumFeatures, Y: Y}
}

// Magic starts a file written by WriteBinary.
const Magic = "GBDTSYN1"

// WriteBinary writes feats and ds for the peer script: the 8-byte Magic,
// rows and cols as little-endian int64, one byte per column (1 =
// categorical), then X row-major and Y, as little-endian float64 (NaN =
// missing).
func WriteBinary(w io.Writer, feats []gbdt.Feature, ds gbdt.Dataset) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(Magic)
	binary.Write(bw, binary.LittleEndian, [2]int64{int64(ds.Rows), int64(ds.Cols)})
	for _, f := range feats {
		b := byte(0)
		if f.Categorical {
			b = 1
		}
		bw.WriteByte(b)
	}
	var buf [8]byte
	for _, vs := range [][]float64{ds.X, ds.Y} {
		for _, v := range vs {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			if _, err := bw.Write(buf[:]); err != nil {
				return fmt.Errorf("gbdttest: write synthetic matrix: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("gbdttest: write synthetic matrix: %w", err)
	}
	return nil
}
