package tree

import "fmt"

// pathElem is one element of the TreeSHAP unique feature path.
type pathElem struct {
	feature int     // -1 for the root's placeholder
	zero    float64 // fraction of "feature unknown" paths that flow through
	one     float64 // 1 if x follows this branch, else 0
	weight  float64 // permutation weight
}

// SHAP computes exact path-dependent TreeSHAP values (Lundberg, Erion and
// Lee 2018, "Consistent individualized feature attribution for tree
// ensembles", Algorithm 2) for x, adding one value per feature into phi,
// and returns the base value: Base() plus each tree's cover-weighted mean
// leaf value. The attributions are additive:
//
//	base + sum(phi) == Margin(x)   (up to rounding, ~1e-12)
//
// phi must have length NumFeatures() and is not cleared first, so it can
// accumulate. A child's share of its parent ("cover") is its training
// hessian sum divided by the sum of both children's. It panics (a caller
// bug) if len(x) or len(phi) differ from NumFeatures().
func (f *Forest) SHAP(x []float64, phi []float64) (base float64) {
	if len(x) != f.numFeatures || len(phi) != f.numFeatures {
		panic(fmt.Sprintf("tree: SHAP: x has %d and phi %d values, forest needs %d", len(x), len(phi), f.numFeatures))
	}
	d := f.maxDepth + 2
	path := make([]pathElem, d*(d+1)/2)
	base = f.base
	for t, r := range f.roots {
		base += f.expected[t]
		if r&leafBit == 0 {
			f.shapRecurse(r, x, phi, path, 0, 1, 1, -1)
		}
	}
	return base
}

// shapRecurse is RECURSE of Algorithm 2. parent holds the parent's path
// (uniqueDepth elements used); this call's path starts right after it.
func (f *Forest) shapRecurse(c uint32, x, phi []float64, parent []pathElem, uniqueDepth int, pZero, pOne float64, pFeature int) {
	path := parent[uniqueDepth:]
	if uniqueDepth > 0 {
		copy(path, parent[:uniqueDepth])
	}
	extendPath(path, uniqueDepth, pZero, pOne, pFeature, f.recip)

	if c&leafBit != 0 {
		f.leafPhi(path, uniqueDepth, f.leaves[c&^leafBit], phi)
		return
	}

	n := &f.nodes[c]
	hot, cold := n.right, n.left
	wl, wr := f.childCovers(n)
	hotZero, coldZero := wr, wl
	if f.goLeft(n, x[n.feature]) {
		hot, cold = n.left, n.right
		hotZero, coldZero = wl, wr
	}
	inZero, inOne := 1.0, 1.0
	feat := int(n.feature)
	k := 0
	for ; k <= uniqueDepth; k++ {
		if path[k].feature == feat {
			break
		}
	}
	if k <= uniqueDepth {
		inZero, inOne = path[k].zero, path[k].one
		unwindPath(path, uniqueDepth, k, f.recip)
		uniqueDepth--
	}
	f.shapRecurse(hot, x, phi, path, uniqueDepth+1, hotZero*inZero, inOne, feat)
	f.shapRecurse(cold, x, phi, path, uniqueDepth+1, coldZero*inZero, 0, feat)
}

// The path functions below are EXTEND, UNWIND and the weight sum of
// Algorithm 2 with the divisions by loop counters replaced by products
// with recip (recip[n] = 1/n), computed off the loop-carried chain, and
// the divisions by one and zero hoisted out of the loops; one is 0 or 1
// here (a path either follows x or not), so dividing by it is exact.

// extendPath is EXTEND of Algorithm 2.
func extendPath(path []pathElem, uniqueDepth int, zero, one float64, feature int, recip []float64) {
	w := 0.0
	if uniqueDepth == 0 {
		w = 1
	}
	path[uniqueDepth] = pathElem{feature: feature, zero: zero, one: one, weight: w}
	inv := recip[uniqueDepth+1]
	for i := uniqueDepth - 1; i >= 0; i-- {
		pw := path[i].weight
		path[i+1].weight += one * pw * (float64(i+1) * inv)
		path[i].weight = zero * pw * (float64(uniqueDepth-i) * inv)
	}
}

// unwindPath is UNWIND of Algorithm 2: it removes element k.
func unwindPath(path []pathElem, uniqueDepth, k int, recip []float64) {
	one, zero := path[k].one, path[k].zero
	next := path[uniqueDepth].weight
	d1 := float64(uniqueDepth + 1)
	inv := recip[uniqueDepth+1]
	if one != 0 {
		invOne := 1 / one
		for i := uniqueDepth - 1; i >= 0; i-- {
			tmp := path[i].weight
			path[i].weight = next * (d1 * recip[i+1] * invOne)
			next = tmp - path[i].weight*(zero*float64(uniqueDepth-i)*inv)
		}
	} else {
		invZero := 1 / zero
		for i := uniqueDepth - 1; i >= 0; i-- {
			path[i].weight *= d1 * invZero * recip[uniqueDepth-i]
		}
	}
	for i := k; i < uniqueDepth; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

// leafPhi adds to phi the contributions of a leaf of value v reached by
// path (uniqueDepth+1 elements, the first the root's placeholder): each
// element's unwound path sum times (one - zero) times v. The elements x
// follows (one != 0) are unwound two at a time (unwoundPathSum2), so that
// the processor overlaps their dependency chains; for the others the sum
// is unwoundZeroSum/zero, with one unwoundZeroSum for the whole path.
func (f *Forest) leafPhi(path []pathElem, uniqueDepth int, v float64, phi []float64) {
	zeroSum, haveZeroSum := 0.0, false
	pending := -1 // an element with one != 0 waiting for a partner
	for i := 1; i <= uniqueDepth; i++ {
		e := &path[i]
		switch {
		case e.one != 0:
			if pending < 0 {
				pending = i
				continue
			}
			w1, w2 := unwoundPathSum2(path, uniqueDepth, pending, i, f.recip)
			p := &path[pending]
			phi[p.feature] += w1 * (p.one - p.zero) * v
			phi[e.feature] += w2 * (e.one - e.zero) * v
			pending = -1
		case e.zero != 0:
			if !haveZeroSum {
				zeroSum, haveZeroSum = unwoundZeroSum(path, uniqueDepth, f.recip), true
			}
			phi[e.feature] += zeroSum / e.zero * (e.one - e.zero) * v
		}
	}
	if pending >= 0 {
		p := &path[pending]
		phi[p.feature] += unwoundPathSum(path, uniqueDepth, pending, f.recip) * (p.one - p.zero) * v
	}
}

// unwoundPathSum2 is unwoundPathSum for the elements j and k, both with
// one != 0, computed side by side.
func unwoundPathSum2(path []pathElem, uniqueDepth, j, k int, recip []float64) (float64, float64) {
	d1 := float64(uniqueDepth + 1)
	inv := recip[uniqueDepth+1]
	cj, zj := d1/path[j].one, path[j].zero*inv
	ck, zk := d1/path[k].one, path[k].zero*inv
	nj, nk := path[uniqueDepth].weight, path[uniqueDepth].weight
	tj, tk := 0.0, 0.0
	for i := uniqueDepth - 1; i >= 0; i-- {
		r, q, w := recip[i+1], float64(uniqueDepth-i), path[i].weight
		aj := nj * (cj * r)
		ak := nk * (ck * r)
		tj += aj
		tk += ak
		nj = w - aj*(zj*q)
		nk = w - ak*(zk*q)
	}
	return tj, tk
}

// unwoundZeroSum is unwoundPathSum for an element with one == 0,
// multiplied by its zero (which it divides every term by).
func unwoundZeroSum(path []pathElem, uniqueDepth int, recip []float64) float64 {
	d1 := float64(uniqueDepth + 1)
	total := 0.0
	for i := uniqueDepth - 1; i >= 0; i-- {
		total += path[i].weight * (d1 * recip[uniqueDepth-i])
	}
	return total
}

// unwoundPathSum is the total permutation weight of the path with
// element k removed, without modifying the path.
func unwoundPathSum(path []pathElem, uniqueDepth, k int, recip []float64) float64 {
	one, zero := path[k].one, path[k].zero
	d1 := float64(uniqueDepth + 1)
	total := 0.0
	if one != 0 {
		next := path[uniqueDepth].weight
		c := d1 / one
		z := zero * recip[uniqueDepth+1]
		for i := uniqueDepth - 1; i >= 0; i-- {
			tmp := next * (c * recip[i+1])
			total += tmp
			next = path[i].weight - tmp*(z*float64(uniqueDepth-i))
		}
	} else if zero != 0 {
		c := d1 / zero
		for i := uniqueDepth - 1; i >= 0; i-- {
			total += path[i].weight * (c * recip[uniqueDepth-i])
		}
	}
	return total
}
