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
	extendPath(path, uniqueDepth, pZero, pOne, pFeature)

	if c&leafBit != 0 {
		v := f.leaves[c&^leafBit]
		for i := 1; i <= uniqueDepth; i++ {
			w := unwoundPathSum(path, uniqueDepth, i)
			e := &path[i]
			phi[e.feature] += w * (e.one - e.zero) * v
		}
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
		unwindPath(path, uniqueDepth, k)
		uniqueDepth--
	}
	f.shapRecurse(hot, x, phi, path, uniqueDepth+1, hotZero*inZero, inOne, feat)
	f.shapRecurse(cold, x, phi, path, uniqueDepth+1, coldZero*inZero, 0, feat)
}

// extendPath is EXTEND of Algorithm 2.
func extendPath(path []pathElem, uniqueDepth int, zero, one float64, feature int) {
	w := 0.0
	if uniqueDepth == 0 {
		w = 1
	}
	path[uniqueDepth] = pathElem{feature: feature, zero: zero, one: one, weight: w}
	for i := uniqueDepth - 1; i >= 0; i-- {
		path[i+1].weight += one * path[i].weight * float64(i+1) / float64(uniqueDepth+1)
		path[i].weight = zero * path[i].weight * float64(uniqueDepth-i) / float64(uniqueDepth+1)
	}
}

// unwindPath is UNWIND of Algorithm 2: it removes element k.
func unwindPath(path []pathElem, uniqueDepth, k int) {
	one, zero := path[k].one, path[k].zero
	next := path[uniqueDepth].weight
	for i := uniqueDepth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].weight
			path[i].weight = next * float64(uniqueDepth+1) / (float64(i+1) * one)
			next = tmp - path[i].weight*zero*float64(uniqueDepth-i)/float64(uniqueDepth+1)
		} else {
			path[i].weight = path[i].weight * float64(uniqueDepth+1) / (zero * float64(uniqueDepth-i))
		}
	}
	for i := k; i < uniqueDepth; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

// unwoundPathSum is the total permutation weight of the path with
// element k removed, without modifying the path.
func unwoundPathSum(path []pathElem, uniqueDepth, k int) float64 {
	one, zero := path[k].one, path[k].zero
	next := path[uniqueDepth].weight
	total := 0.0
	for i := uniqueDepth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := next * float64(uniqueDepth+1) / (float64(i+1) * one)
			total += tmp
			next = path[i].weight - tmp*zero*float64(uniqueDepth-i)/float64(uniqueDepth+1)
		} else if zero != 0 {
			total += path[i].weight / zero / (float64(uniqueDepth-i) / float64(uniqueDepth+1))
		}
	}
	return total
}
