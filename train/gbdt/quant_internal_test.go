package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackSums checks that sums of packed (g, h) pairs unpack to the
// sums of the parts, at the extremes of quantLevels for several row
// counts, including after subtracting a subset (histogram subtraction).
func TestPackSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 1000, 1 << 20, 50_000_000} {
		gMax, hMax := quantLevels(n)
		if gMax < 1 || hMax < 1 || gMax*int64(n) >= 1<<31 || hMax*int64(n) >= 1<<32 {
			t.Fatalf("n %d: levels g %d h %d overflow 32 bits", n, gMax, hMax)
		}
		// All rows at an extreme: the packed total must still unpack.
		for _, gq := range []int64{-gMax, gMax, 0} {
			for _, hq := range []int64{0, hMax} {
				s := pack(gq, hq) * int64(n)
				if g, h := unpack(s); g != gq*int64(n) || h != hq*int64(n) {
					t.Errorf("n %d: %d rows of (%d, %d) unpack to (%d, %d)", n, n, gq, hq, g, h)
				}
			}
		}
		if n > 1000 {
			continue
		}
		var s, sub, sg, sh, subG, subH int64
		for i := range n {
			gq, hq := rng.Int64N(2*gMax+1)-gMax, rng.Int64N(hMax+1)
			s += pack(gq, hq)
			sg += gq
			sh += hq
			if i%3 == 0 {
				sub += pack(gq, hq)
				subG += gq
				subH += hq
			}
		}
		if g, h := unpack(s); g != sg || h != sh {
			t.Errorf("n %d: sum unpacks to (%d, %d), want (%d, %d)", n, g, h, sg, sh)
		}
		if g, h := unpack(s - sub); g != sg-subG || h != sh-subH {
			t.Errorf("n %d: difference unpacks to (%d, %d), want (%d, %d)", n, g, h, sg-subG, sh-subH)
		}
	}
}

// TestQuantizeUnbiased checks stochastic rounding: every value lands on
// one of its two neighbouring levels, the largest magnitudes map to the
// extreme levels, the mean over many rows of the same value is the value
// (within 4 standard errors), and the result does not depend on workers.
func TestQuantizeUnbiased(t *testing.T) {
	const n = 200_000
	gh := make([]hbin, n)
	for r := range gh {
		switch r % 4 {
		case 0:
			gh[r] = hbin{0.3, 0.21}
		case 1:
			gh[r] = hbin{-0.8, 0.16}
		case 2:
			gh[r] = hbin{-1, 0.25} // the largest |g| and h
		default:
			gh[r] = hbin{0.001, 0.0001}
		}
	}
	q1 := make([]int64, n)
	qz := quantize(gh, q1, 1, 99, 1)
	gMax, hMax := quantLevels(n)
	if qz.gScale != 1/float64(gMax) || qz.hScale != 0.25/float64(hMax) {
		t.Fatalf("scales %v %v, want %v %v", qz.gScale, qz.hScale, 1/float64(gMax), 0.25/float64(hMax))
	}
	q3 := make([]int64, n)
	if quantize(gh, q3, 1, 99, 3); !slices.Equal(q1, q3) {
		t.Fatal("quantize depends on workers")
	}
	q4 := make([]int64, n)
	if quantize(gh, q4, 1, 100, 2); slices.Equal(q1, q4) {
		t.Fatal("a different key gave the same rounding")
	}
	for k := range 4 {
		var sg, sh, sg2, sh2 float64
		cnt := 0
		for r := k; r < n; r += 4 {
			p := qz.bin(q1[r])
			wantG, wantH := gh[r].g/qz.gScale, gh[r].h/qz.hScale
			gq, hq := p.g/qz.gScale, p.h/qz.hScale
			if gq != math.Floor(wantG) && gq != math.Ceil(wantG) || hq != math.Floor(wantH) && hq != math.Ceil(wantH) {
				t.Fatalf("row %d: %v quantized to levels (%v, %v), want neighbours of (%v, %v)", r, gh[r], gq, hq, wantG, wantH)
			}
			sg += p.g
			sh += p.h
			sg2 += p.g * p.g
			sh2 += p.h * p.h
			cnt++
		}
		c := float64(cnt)
		mg, mh := sg/c, sh/c
		seG := math.Sqrt(max(sg2/c-mg*mg, 0)/c) + 1e-15
		seH := math.Sqrt(max(sh2/c-mh*mh, 0)/c) + 1e-15
		if math.Abs(mg-gh[k].g) > 4*seG || math.Abs(mh-gh[k].h) > 4*seH {
			t.Errorf("value %v: mean of quantized (%v, %v), standard errors (%v, %v)", gh[k], mg, mh, seG, seH)
		}
	}
}

// TestBuildHistMatchesBruteForce checks histBuilder.build against sums
// taken feature by feature, for both kinds of histogram, whole-data and
// gathered nodes spanning several chunks, a subset of groups and several
// worker counts. Quantized sums must be exact; float sums must not
// depend on workers.
func TestBuildHistMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, d = 3*histChunkRows + 101, 19 // 3 groups, the last one partial
	ng := (d + groupSize - 1) / groupSize
	words := make([]uint64, n*ng)
	bins := make([][]uint8, d)
	for f := range d {
		bins[f] = make([]uint8, n)
		nb := 2 + f*13
		for r := range n {
			b := uint8(min(rng.IntN(nb), rng.IntN(nb)))
			bins[f][r] = b
			words[r*ng+f/groupSize] |= uint64(b) << (8 * (f % groupSize))
		}
	}
	gh := make([]hbin, n)
	for r := range gh {
		gh[r] = hbin{rng.NormFloat64(), rng.Float64()}
	}
	qh := make([]int64, n)
	qz := quantize(gh, qh, 1, 7, 2)
	// The same words with each row's packed pair beside its bins, as
	// Train stores them; quantize must write the same pairs there.
	si := ng + 1
	wordsI := make([]uint64, n*si)
	for r := range n {
		copy(wordsI[r*si:], words[r*ng:(r+1)*ng])
	}
	if qzI := quantize(gh, wordsI[ng:], si, 7, 3); qzI != qz {
		t.Fatalf("strided quantize: %+v, want %+v", qzI, qz)
	}
	var rows []int32
	for r := range n {
		if rng.IntN(3) > 0 {
			rows = append(rows, int32(r))
		}
	}
	gs := []int{0, 2} // features 0-7 and 16-18
	for _, node := range []struct {
		name string
		rows []int32
	}{{"all", nil}, {"rows", rows}} {
		m := n
		ow, oq, of, owI := words, qh, gh, wordsI
		if node.rows != nil {
			m = len(node.rows)
			ow, oq, of, owI = make([]uint64, m*ng), make([]int64, m), make([]hbin, m), make([]uint64, m*si)
			for i, r := range node.rows {
				copy(ow[i*ng:(i+1)*ng], words[int(r)*ng:])
				copy(owI[i*si:(i+1)*si], wordsI[int(r)*si:])
				oq[i], of[i] = qh[r], gh[r]
			}
		}
		var firstF []hbin
		for _, workers := range []int{1, 2, 3} {
			b := &histBuilder{words: words, ng: ng, stride: ng}
			hq := histogram{q: make([]int64, ng*groupBins)}
			hf := histogram{f: make([]hbin, ng*groupBins)}
			b.build(hq, gs, ow, ng, m, oq, nil, workers)
			b.build(hf, gs, ow, ng, m, nil, of, workers)
			bI := &histBuilder{words: wordsI, ng: ng, stride: si, qoff: ng}
			hqI := histogram{q: make([]int64, ng*groupBins)}
			bI.build(hqI, gs, owI, si, m, nil, nil, workers)
			if !slices.Equal(hqI.q, hq.q) {
				t.Fatalf("%s, workers %d: histogram from packed pairs beside the bins differs", node.name, workers)
			}
			for _, grp := range gs {
				for f := grp * groupSize; f < min(d, (grp+1)*groupSize); f++ {
					var wantQ [256]int64
					var wantF [256]hbin
					for i := range m {
						r := i
						if node.rows != nil {
							r = int(node.rows[i])
						}
						wantQ[bins[f][r]] += qh[r]
						wantF[bins[f][r]].g += gh[r].g
						wantF[bins[f][r]].h += gh[r].h
					}
					for bin := range 256 {
						if got := hq.q[f*256+bin]; got != wantQ[bin] {
							t.Fatalf("%s, workers %d: feature %d bin %d: quantized sum %v, want %v", node.name, workers, f, bin, qz.bin(got), qz.bin(wantQ[bin]))
						}
						if got := hf.f[f*256+bin]; math.Abs(got.g-wantF[bin].g) > 1e-9 || math.Abs(got.h-wantF[bin].h) > 1e-9 {
							t.Fatalf("%s, workers %d: feature %d bin %d: float sum %v, want %v", node.name, workers, f, bin, got, wantF[bin])
						}
					}
				}
			}
			if firstF == nil {
				firstF = hf.f
			} else if !slices.Equal(firstF, hf.f) {
				t.Errorf("%s: float histogram with %d workers differs from 1 worker", node.name, workers)
			}
		}
	}
}
