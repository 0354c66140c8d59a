package tree_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"leadscore/model/tree"
)

// threeNode is a hand-built tree: the root splits feature 0 at t = 2.5,
// its right child splits categorical feature 1 on the set {1, 3}.
//
//	node 0: x0 <= 2.5 ? leaf 0 (-1) : node 1
//	node 1: x1 in {1,3} ? leaf 1 (+2) : leaf 2 (+5)
func threeNode(missLeft0, missLeft1 bool) tree.Tree {
	return tree.Tree{
		Nodes: []tree.Node{
			{Feature: 0, Threshold: 2.5, MissingLeft: missLeft0, Left: ^0, Right: 1, Cover: 10},
			{Feature: 1, Categorical: true, Categories: []uint64{1<<1 | 1<<3}, MissingLeft: missLeft1, Left: ^1, Right: ^2, Cover: 6},
		},
		Leaves:    []float64{-1, 2, 5},
		LeafCover: []float64{4, 2, 4},
	}
}

func mustForest(t testing.TB, d int, base float64, trees ...tree.Tree) *tree.Forest {
	t.Helper()
	f, err := tree.NewForest(d, base, trees)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRouting(t *testing.T) {
	nan := math.NaN()
	for i, c := range []struct {
		missLeft0, missLeft1 bool
		x0, x1               float64
		want                 float64 // base 0.5 + leaf
	}{
		{false, false, 2, 0, 0.5 - 1},            // 0: x < t goes left
		{false, false, 2.5, 0, 0.5 - 1},          // 1: x == t goes left
		{false, false, 2.5000000001, 1, 0.5 + 2}, // 2: x > t goes right; category 1 in set
		{false, false, nan, 1, 0.5 + 2},          // 3: NaN, missing right
		{true, false, nan, 1, 0.5 - 1},           // 4: NaN, missing left
		{false, false, 3, 3, 0.5 + 2},            // 5: category 3 in set
		{false, false, 3, 2, 0.5 + 5},            // 6: category 2 not in set
		{false, false, 3, 64, 0.5 + 5},           // 7: code beyond the bitset goes right
		{false, false, 3, -1, 0.5 + 5},           // 8: negative code goes right
		{false, false, 3, nan, 0.5 + 5},          // 9: categorical NaN, missing right
		{false, true, 3, nan, 0.5 + 2},           // 10: categorical NaN, missing left
		{false, false, math.Inf(-1), 2, 0.5 - 1}, // 11: -Inf goes left
		{false, false, 3, 1.5, 0.5 + 2},          // 12: a code is truncated to an integer
	} {
		f := mustForest(t, 2, 0.5, threeNode(c.missLeft0, c.missLeft1))
		if got := f.Margin([]float64{c.x0, c.x1}); got != c.want {
			t.Errorf("case %d: Margin(%v, %v) = %v, want %v", i, c.x0, c.x1, got, c.want)
		}
	}
}

func TestMarginPanicsOnWrongLength(t *testing.T) {
	f := mustForest(t, 2, 0, threeNode(false, false))
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.HasPrefix(s, "tree:") {
			t.Fatalf("recovered %v, want a panic starting with \"tree:\"", r)
		}
	}()
	f.Margin([]float64{1})
}

// randomTree builds a random tree of up to depth levels over d features,
// mixing numeric and categorical splits (odd features are categorical
// with 6 levels) and both missing directions.
func randomTree(rng *rand.Rand, d, depth int) tree.Tree {
	var t tree.Tree
	var grow func(level int) int
	grow = func(level int) int {
		if level == depth || (level > 0 && rng.IntN(4) == 0) {
			t.Leaves = append(t.Leaves, rng.NormFloat64())
			t.LeafCover = append(t.LeafCover, 1+rng.Float64()*10)
			return ^(len(t.Leaves) - 1)
		}
		i := len(t.Nodes)
		f := rng.IntN(d)
		n := tree.Node{Feature: f, MissingLeft: rng.IntN(2) == 0, Gain: rng.Float64(), Cover: 1}
		if f%2 == 1 {
			n.Categorical = true
			n.Categories = []uint64{rng.Uint64() & 63}
		} else {
			n.Threshold = rng.NormFloat64()
		}
		t.Nodes = append(t.Nodes, n)
		l := grow(level + 1)
		r := grow(level + 1)
		t.Nodes[i].Left, t.Nodes[i].Right = l, r
		return i
	}
	grow(0)
	return t
}

func randomForest(t testing.TB, rng *rand.Rand, d, trees, depth int) *tree.Forest {
	ts := make([]tree.Tree, trees)
	for i := range ts {
		ts[i] = randomTree(rng, d, depth)
	}
	return mustForest(t, d, rng.NormFloat64(), ts...)
}

// randomRow draws values near the thresholds, category codes 0..6 and
// about 10% NaN.
func randomRow(rng *rand.Rand, x []float64) {
	for j := range x {
		switch {
		case rng.IntN(10) == 0:
			x[j] = math.NaN()
		case j%2 == 1:
			x[j] = float64(rng.IntN(7))
		default:
			x[j] = rng.NormFloat64()
		}
	}
}

func TestMarginsEqualsMargin(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const d, rows = 5, 200
	f := randomForest(t, rng, d, 30, 5)
	X := make([]float64, rows*d)
	for r := range rows {
		randomRow(rng, X[r*d:(r+1)*d])
	}
	got := make([]float64, rows)
	f.Margins(got, X, rows)
	for r := range rows {
		if want := f.Margin(X[r*d : (r+1)*d]); got[r] != want {
			t.Fatalf("row %d: Margins %v, Margin %v", r, got[r], want)
		}
	}
}

func TestTruncate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	trees := []tree.Tree{randomTree(rng, 4, 4), randomTree(rng, 4, 4), randomTree(rng, 4, 4)}
	full := mustForest(t, 4, 0.25, trees...)
	x := []float64{0.1, 2, -0.3, 1}
	for k := 0; k <= 3; k++ {
		want := mustForest(t, 4, 0.25, trees[:k]...).Margin(x)
		if got := full.Truncate(k).Margin(x); got != want {
			t.Errorf("Truncate(%d).Margin = %v, want %v", k, got, want)
		}
	}
	// Truncation keeps only the kept trees' importances.
	g1, s1 := full.Truncate(1).Importance()
	g0, s0 := mustForest(t, 4, 0.25, trees[0]).Importance()
	for j := range g1 {
		if g1[j] != g0[j] || s1[j] != s0[j] {
			t.Errorf("feature %d: truncated importance (%v, %d), want (%v, %d)", j, g1[j], s1[j], g0[j], s0[j])
		}
	}
}

func TestImportance(t *testing.T) {
	tr := threeNode(false, false)
	tr.Nodes[0].Gain, tr.Nodes[1].Gain = 3, 1.5
	f := mustForest(t, 2, 0, tr, tr)
	gain, splits := f.Importance()
	if gain[0] != 6 || gain[1] != 3 || splits[0] != 2 || splits[1] != 2 {
		t.Errorf("Importance = %v, %v; want [6 3], [2 2]", gain, splits)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	f := randomForest(t, rng, 6, 20, 5)
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var g tree.Forest
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&g)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("round trip changed the JSON:\n%s\n%s", b, b2)
	}
	x := make([]float64, 6)
	phi1, phi2 := make([]float64, 6), make([]float64, 6)
	for range 100 {
		randomRow(rng, x)
		if f.Margin(x) != g.Margin(x) {
			t.Fatalf("margin changed by round trip at %v", x)
		}
		if f.SHAP(x, phi1) != g.SHAP(x, phi2) {
			t.Fatalf("SHAP base changed by round trip")
		}
	}
	for i := range f.NumTrees() {
		if a, b := f.Tree(i), g.Tree(i); len(a.Nodes) != len(b.Nodes) || len(a.Leaves) != len(b.Leaves) {
			t.Fatalf("tree %d changed shape", i)
		}
	}
}

// TestSingleLeafTree covers trees with no split (a round that found no
// useful split).
func TestSingleLeafTree(t *testing.T) {
	f := mustForest(t, 1, 1, tree.Tree{Leaves: []float64{0.5}, LeafCover: []float64{3}}, threeNodeOneFeature())
	x := []float64{1}
	if got := f.Margin(x); got != 1+0.5+7 {
		t.Errorf("Margin = %v, want 8.5", got)
	}
	b, _ := json.Marshal(f)
	var g tree.Forest
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if got := g.Margin(x); got != 8.5 {
		t.Errorf("after round trip Margin = %v, want 8.5", got)
	}
}

func threeNodeOneFeature() tree.Tree {
	return tree.Tree{
		Nodes:  []tree.Node{{Feature: 0, Threshold: 2, Left: ^0, Right: ^1, Cover: 2}},
		Leaves: []float64{7, -7}, LeafCover: []float64{1, 1},
	}
}

func TestNewForestRejectsBadTrees(t *testing.T) {
	good := threeNode(false, false)
	for name, mutate := range map[string]func(*tree.Tree){
		"feature out of range":  func(t *tree.Tree) { t.Nodes[1].Feature = 2 },
		"child before parent":   func(t *tree.Tree) { t.Nodes[1].Left = 0 },
		"self loop":             func(t *tree.Tree) { t.Nodes[1].Right = 1 },
		"leaf used twice":       func(t *tree.Tree) { t.Nodes[1].Left = ^2 },
		"leaf out of range":     func(t *tree.Tree) { t.Nodes[1].Left = ^7 },
		"NaN leaf":              func(t *tree.Tree) { t.Leaves[0] = math.NaN() },
		"infinite leaf":         func(t *tree.Tree) { t.Leaves[0] = math.Inf(1) },
		"NaN threshold":         func(t *tree.Tree) { t.Nodes[0].Threshold = math.NaN() },
		"empty category bitset": func(t *tree.Tree) { t.Nodes[1].Categories = nil },
		"negative cover":        func(t *tree.Tree) { t.LeafCover[1] = -1 },
		"cover count mismatch":  func(t *tree.Tree) { t.LeafCover = t.LeafCover[:2] },
		"extra leaf":            func(t *tree.Tree) { t.Leaves = append(t.Leaves, 1); t.LeafCover = append(t.LeafCover, 1) },
	} {
		tr := good
		tr.Nodes = append([]tree.Node(nil), good.Nodes...)
		tr.Leaves = append([]float64(nil), good.Leaves...)
		tr.LeafCover = append([]float64(nil), good.LeafCover...)
		mutate(&tr)
		if _, err := tree.NewForest(2, 0, []tree.Tree{tr}); err == nil {
			t.Errorf("%s: NewForest accepted a corrupt tree", name)
		}
	}
	if _, err := tree.NewForest(2, math.NaN(), []tree.Tree{good}); err == nil {
		t.Error("NaN base accepted")
	}
}

func TestUnmarshalRejectsCorruptJSON(t *testing.T) {
	f := mustForest(t, 2, 0.5, threeNode(false, true))
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	good := string(b)
	for name, edit := range map[string][2]string{
		"version":            {`"version":1`, `"version":2`},
		"feature range":      {`"feature":[0,1]`, `"feature":[0,9]`},
		"node child cycle":   {`"right":[1,2]`, `"right":[0,2]`},
		"leaf child range":   {`"left":[0,1]`, `"left":[0,5]`},
		"flags":              {`"flags":[1,15]`, `"flags":[1,31]`},
		"cat range":          {`"cat_len":[0,1]`, `"cat_len":[0,3]`},
		"node array lengths": {`"gain":[0,0]`, `"gain":[0]`},
		"tree offsets":       {`"tree_nodes":[0,2]`, `"tree_nodes":[0,3]`},
		"leaf counts":        {`"tree_leaves":[0,3]`, `"tree_leaves":[0,2]`},
		"not json":           {`{`, `[`},
	} {
		if !strings.Contains(good, edit[0]) {
			t.Fatalf("%s: %q not in %s", name, edit[0], good)
		}
		var g tree.Forest
		if err := json.Unmarshal([]byte(strings.Replace(good, edit[0], edit[1], 1)), &g); err == nil {
			t.Errorf("%s: corrupt forest accepted", name)
		}
	}
}

// FuzzForestJSON checks that no input makes the loader or a loaded
// forest panic, that Margin equals the reference walk on accepted
// forests, and that accepted forests round-trip.
func FuzzForestJSON(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, fo := range []*tree.Forest{
		mustForest(f, 2, 0.5, threeNode(false, true)),
		randomForest(f, rng, 4, 3, 3),
	} {
		b, err := json.Marshal(fo)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"num_features":1,"base":0,"tree_nodes":[0],"tree_leaves":[0]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var g tree.Forest
		if err := json.Unmarshal(in, &g); err != nil {
			return
		}
		d := g.NumFeatures()
		if d > 1000 {
			return
		}
		x, phi := make([]float64, d), make([]float64, d)
		for _, v := range []float64{0, 1, -1, 1e300, 63, 64, math.NaN()} {
			for j := range x {
				x[j] = v
			}
			if m, r := g.Margin(x), g.MarginRef(x); math.Float64bits(m) != math.Float64bits(r) {
				t.Fatalf("x = %v: Margin %v, reference walk %v", v, m, r)
			}
			g.SHAP(x, phi)
		}
		out, err := json.Marshal(&g)
		if err != nil {
			t.Fatalf("marshal an accepted forest: %v", err)
		}
		var h tree.Forest
		if err := json.Unmarshal(out, &h); err != nil {
			t.Fatalf("re-read a marshalled forest: %v", err)
		}
	})
}
