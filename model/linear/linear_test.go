package linear_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"leadscore/model/linear"
)

func testModel() *linear.Model {
	return &linear.Model{
		Names:     []string{"visits", "is_enterprise", "days_since_touch"},
		Coef:      []float64{0.5, 1.25, -0.1},
		Intercept: -2,
		Means:     []float64{3, 0.2, 10},
	}
}

// TestMarginKnownAnswer: −2 + 0.5·4 + 1.25·1 − 0.1·20 = −0.75.
// Base = −2 + 0.5·3 + 1.25·0.2 − 0.1·10 = −1.25.
// Contributions = 0.5·(4−3), 1.25·(1−0.2), −0.1·(20−10) = 0.5, 1, −1.
func TestMarginKnownAnswer(t *testing.T) {
	m := testModel()
	x := []float64{4, 1, 20}
	if got := m.Margin(x); math.Abs(got-(-0.75)) > 1e-15 {
		t.Errorf("Margin = %v, want −0.75", got)
	}
	if got := m.Base(); math.Abs(got-(-1.25)) > 1e-15 {
		t.Errorf("Base = %v, want −1.25", got)
	}
	dst := make([]float64, 3)
	m.Contributions(x, dst)
	want := []float64{0.5, 1, -1}
	for j := range want {
		if math.Abs(dst[j]-want[j]) > 1e-15 {
			t.Errorf("contribution %d = %v, want %v", j, dst[j], want[j])
		}
	}
	// Without means, contributions are Coef·x and Base is the intercept.
	m.Means = nil
	m.Contributions(x, dst)
	if dst[0] != 2 || m.Base() != -2 {
		t.Errorf("no means: contributions %v base %v", dst, m.Base())
	}
}

// TestContributionsSum: Base + Σ contributions = Margin for random inputs.
func TestContributionsSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100 {
		d := 1 + rng.IntN(30)
		m := &linear.Model{Names: make([]string, d), Coef: make([]float64, d), Means: make([]float64, d), Intercept: rng.NormFloat64()}
		x, dst := make([]float64, d), make([]float64, d)
		for j := range d {
			m.Coef[j], m.Means[j], x[j] = rng.NormFloat64(), rng.NormFloat64(), 3*rng.NormFloat64()
		}
		m.Contributions(x, dst)
		s := m.Base()
		for _, c := range dst {
			s += c
		}
		if got := m.Margin(x); math.Abs(got-s) > 1e-12*(1+math.Abs(got)) {
			t.Fatalf("Base + Σ contributions = %v, Margin = %v", s, got)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	m := testModel()
	m.Coef[0] = 0.1 + 0.2 // a value without a short decimal form
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back linear.Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*m, back) {
		t.Errorf("round trip changed the model: %s", b)
	}
	x := []float64{1, 2, 3}
	if m.Margin(x) != back.Margin(x) {
		t.Error("round trip changed the margin")
	}
}

func TestValidate(t *testing.T) {
	if err := testModel().Validate(); err != nil {
		t.Fatalf("valid model: %v", err)
	}
	bad := &linear.Model{
		Names:     []string{"a", "a", ""},
		Coef:      []float64{1, math.NaN()},
		Intercept: math.Inf(1),
		Means:     []float64{0},
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken model")
	}
	for _, want := range []string{"3 names but 2 coefficients", "1 means but 2 coefficients", `name "a" appears at 0 and 1`, "name 2 is empty", "coefficient 1 (a) = NaN", "intercept = +Inf"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var nilModel *linear.Model
	if nilModel.Validate() == nil {
		t.Error("nil model validated")
	}
}

func TestPanicsOnWidth(t *testing.T) {
	m := testModel()
	defer func() {
		if r, _ := recover().(string); !strings.HasPrefix(r, "linear: input has 2 values") {
			t.Errorf("recovered %q", r)
		}
	}()
	m.Margin([]float64{1, 2})
}

func TestZeroAllocs(t *testing.T) {
	m := testModel()
	x, dst := []float64{1, 2, 3}, make([]float64, 3)
	if n := testing.AllocsPerRun(100, func() { x[0] = m.Margin(x); m.Contributions(x, dst) }); n != 0 {
		t.Errorf("Margin + Contributions allocate %v times", n)
	}
}

func BenchmarkMargin40(b *testing.B) {
	m := &linear.Model{Names: make([]string, 40), Coef: make([]float64, 40)}
	x := make([]float64, 40)
	for j := range x {
		m.Coef[j], x[j] = float64(j)/40, float64(j%7)
	}
	b.ReportAllocs()
	var s float64
	for b.Loop() {
		s += m.Margin(x)
	}
	_ = s
}
