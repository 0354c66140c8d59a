package rules_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"leadscore/data"
	"leadscore/model/rules"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

func loadDefault(t testing.TB) *rules.Model {
	t.Helper()
	b, err := os.ReadFile("testdata/default_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := rules.Parse(b)
	if err != nil {
		t.Fatalf("parse default rules: %v", err)
	}
	return m
}

func str(name, s string) *leadscorev1.Attribute {
	return leadscorev1.StringAttribute(name, s)
}
func num(name string, x float64) *leadscorev1.Attribute {
	return leadscorev1.NumberAttribute(name, x)
}
func boolean(name string, b bool) *leadscorev1.Attribute {
	return leadscorev1.BoolAttribute(name, b)
}
func ev(typ string, ts time.Time) *leadscorev1.Event {
	return &leadscorev1.Event{Type: typ, Ts: timestamppb.New(ts)}
}

var created = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestParseDefault(t *testing.T) {
	m := loadDefault(t)
	if got, want := len(m.Points), 26; got != want {
		t.Errorf("default rules: %d rules, want %d", got, want)
	}
	if m.Version != "default-2026-11" || m.Horizon != 720*time.Hour {
		t.Errorf("version %q horizon %v", m.Version, m.Horizon)
	}
	out, err := m.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := rules.Parse(out)
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Errorf("round trip changed the model:\n%s", out)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // substrings of the error, every one must appear
	}{
		{"unknown key", "version: x\npoints:\n  - name: a\n    attribute: role\n    equal: student\n    points: 1\n",
			[]string{"line 5", "field equal not found"}},
		{"every problem at once", `
points:
  - name: a
    attribute: role
    points: 1
  - name: a
    event: demo_request
    points: 2
  - name: c
    attribute: employees
    range: [10, 5]
    points: 1
  - name: d
    attribute: x
    event: y
    half_life: 1h
    points: 1
stages: {disqualify: 10, mql: 5, sql: 20}
calibration: [{points: 1, probability: 0.5}, {points: 0, probability: 0.4}]
`, []string{
			`points[0] ("a"): attribute "role" needs exactly one of equals, in, range, exists`,
			`points[1] ("a"): duplicate name`,
			`points[1] ("a"): event "demo_request" needs a positive half_life`,
			`points[2] ("c"): range [10, 5): min must be below max`,
			`points[3] ("d"): exactly one of attribute, event or inactive_days`,
			`stages must satisfy disqualify <= mql <= sql, got 10, 5, 20`,
			`calibration[1]: points must increase`,
		}},
		{"no rules", "stages: {disqualify: 0, mql: 1, sql: 2}\n", []string{"no points rules"}},
		{"bad group", "points:\n  - {name: a, attribute: r, exists: true, group: hot, points: 1}\n", []string{`group "hot"`}},
		{"empty in", "points:\n  - {name: a, attribute: r, in: [], points: 1}\n", []string{"in: empty list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.Parse([]byte(tc.in))
			if err == nil {
				t.Fatal("Parse accepted a bad file")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestScoreKnownAnswer checks one lead worked by hand against
// testdata/default_rules.yaml.
func TestScoreKnownAnswer(t *testing.T) {
	m := loadDefault(t)
	cutoff := created.Add(720 * time.Hour)
	lead := &leadscorev1.Lead{
		Id:        "L1",
		CreatedAt: timestamppb.New(created),
		Attributes: []*leadscorev1.Attribute{
			str("icp_tier", "A"),        // +15
			str("industry", "software"), // +6
			str("role", "student"),      // -40
			str("employees", "many"),    // a string for a range rule: ignored, warned
			num("budget", math.NaN()),   // missing, warned
			str("unknown", "x"),         // not named by any rule
		},
		Events: []*leadscorev1.Event{
			ev("demo_request", cutoff.Add(-336*time.Hour)), // one half-life old: 0.5 × 25 = 12.5
			ev("pricing_page", cutoff),                     // at the cut-off: ignored
			ev("not_a_type", cutoff.Add(-time.Hour)),
		},
	}
	for range 10 { // 10 × ~1.0 × 1 point, capped at 5
		lead.Events = append(lead.Events, ev("email_open", cutoff.Add(-time.Microsecond)))
	}
	got := m.Score(lead, time.Time{})
	wantPts := 15 + 6 - 40 + 12.5 + 5.0
	if got.Points != wantPts || got.FitPoints != -19 || got.EngagementPoints != 17.5 {
		t.Errorf("points %v (fit %v, engagement %v), want %v (-19, 17.5)", got.Points, got.FitPoints, got.EngagementPoints, wantPts)
	}
	wantP := 1 / (1 + math.Exp(-(wantPts-rules.DefaultCalibrationMidpoint)/rules.DefaultCalibrationScale))
	if got.Probability != wantP {
		t.Errorf("probability %v, want %v (default logistic)", got.Probability, wantP)
	}
	if got.Stage != leadscorev1.Stage_STAGE_DISQUALIFIED {
		t.Errorf("stage %v, want disqualified (%v < 0)", got.Stage, wantPts)
	}
	// fit_full 60: -19 → 0; engagement_full 50: 17.5 → 35.
	if got.FitScore != 0 || got.EngagementScore != 35 {
		t.Errorf("sub-scores %d/%d, want 0/35", got.FitScore, got.EngagementScore)
	}
	wantReasons := []rules.Reason{
		{Rule: "student", Value: "student", Points: -40, Group: leadscorev1.FeatureGroup_FEATURE_GROUP_NEGATIVE},
		{Rule: "icp_tier_a", Value: "A", Points: 15, Group: leadscorev1.FeatureGroup_FEATURE_GROUP_FIT},
		{Rule: "demo_request", Value: "0.50", Points: 12.5, Group: leadscorev1.FeatureGroup_FEATURE_GROUP_INTENT},
		{Rule: "target_industry", Value: "software", Points: 6, Group: leadscorev1.FeatureGroup_FEATURE_GROUP_FIT},
		{Rule: "email_opens", Value: "10.00", Points: 5, Group: leadscorev1.FeatureGroup_FEATURE_GROUP_ENGAGEMENT},
	}
	if diff := cmp.Diff(wantReasons, got.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	wantWarn := []string{`attribute "budget": NaN treated as missing`, `attribute "employees": string value ignored by rule "mid_to_large_company"`}
	if diff := cmp.Diff(wantWarn, got.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	// An explicit as-of 14 days earlier drops the demo request's... no: it
	// moves the cut-off, so the demo request is now brand new (×1) and the
	// email opens lie after the cut-off.
	early := m.Score(lead, cutoff.Add(-336*time.Hour+time.Microsecond))
	if want := 15 + 6 - 40 + 25*math.Exp(-math.Ln2*1e-6/(336*3600)); math.Abs(early.Points-want) > 1e-12 {
		t.Errorf("as-of points %v, want %v", early.Points, want)
	}
}

func TestBooleansNumbersAndInactivity(t *testing.T) {
	m := loadDefault(t)
	lead := &leadscorev1.Lead{
		Id:        "L2",
		CreatedAt: timestamppb.New(created),
		Attributes: []*leadscorev1.Attribute{
			boolean("is_competitor", true), // -60
			num("employees", 51),           // +6: 51 is in [51, inf)
			num("budget", 250000),          // +3 known, +5 large
		},
	}
	// No events, created 30 days before the cut-off: inactive (-10).
	got := m.Score(lead, time.Time{})
	if want := -60 + 6 + 3 + 5 - 10.0; got.Points != want {
		t.Errorf("points %v, want %v; reasons %+v", got.Points, want, got.Reasons)
	}
	// A page view 20 days before the cut-off: active within 21 days.
	lead.Events = []*leadscorev1.Event{ev("page_view", created.Add(10*24*time.Hour))}
	got = m.Score(lead, time.Time{})
	want := -60 + 6 + 3 + 5 + math.Exp(-math.Ln2*20*24/336)
	if math.Abs(got.Points-want) > 1e-12 {
		t.Errorf("points %v, want %v", got.Points, want)
	}
	lead.SetAttribute(boolean("is_competitor", false))
	if got := m.Score(lead, time.Time{}); math.Abs(got.Points-(want+60)) > 1e-12 {
		t.Errorf("non-competitor points %v, want %v", got.Points, want+60)
	}
}

func TestCalibrate(t *testing.T) {
	m := loadDefault(t)
	m.Calibration = []rules.CalPoint{{Points: 0, Probability: 0.1}, {Points: 10, Probability: 0.3}, {Points: 20, Probability: 0.3}, {Points: 40, Probability: 0.9}}
	if err := m.Compile(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ x, want float64 }{
		{-5, 0.1}, {0, 0.1}, {5, 0.2}, {10, 0.3}, {15, 0.3}, {30, 0.6}, {40, 0.9}, {100, 0.9},
	} {
		if got := m.Calibrate(tc.x); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("Calibrate(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

func TestFitCalibration(t *testing.T) {
	// By hand: scores 1..4 with wins F,T,F,T. PAV pools 2 and 3 (rates 1, 0)
	// into 0.5 at mean 2.5; the end rates 0 and 1 are clamped to
	// eps = 0.5/(4+1) = 0.1.
	got, err := rules.FitCalibration([]float64{3, 1, 4, 2}, []bool{false, false, true, true})
	if err != nil {
		t.Fatal(err)
	}
	want := []rules.CalPoint{{Points: 1, Probability: 0.1}, {Points: 2.5, Probability: 0.5}, {Points: 4, Probability: 0.9}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calibration (-want +got):\n%s", diff)
	}

	// Property: on random data the map is monotone, within bounds, and has
	// at most MaxCalPoints knots; it validates inside a Model.
	rng := rand.New(rand.NewPCG(1, 2))
	n := 5000
	s, w := make([]float64, n), make([]bool, n)
	for i := range s {
		s[i] = math.Round(rng.NormFloat64()*2000) / 100
		w[i] = rng.Float64() < 1/(1+math.Exp(-s[i]/5))
	}
	cal, err := rules.FitCalibration(s, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(cal) > rules.MaxCalPoints || len(cal) < 5 {
		t.Errorf("%d knots", len(cal))
	}
	m := loadDefault(t)
	m.Calibration = cal
	if err := m.Compile(); err != nil {
		t.Errorf("fitted calibration does not validate: %v", err)
	}
	if _, err := rules.FitCalibration([]float64{math.NaN()}, []bool{true}); err == nil {
		t.Error("NaN score accepted")
	}
}

// TestScoreTableMatchesScore scores random leads through both paths and
// requires equal points, bit for bit.
func TestScoreTableMatchesScore(t *testing.T) {
	m := loadDefault(t)
	rng := rand.New(rand.NewPCG(7, 11))
	tiers := []string{"A", "B", "C", "D"}
	roles := []string{"student", "data_analyst", "executive", "sales_rep"}
	types := []string{"email_open", "email_click", "demo_request", "pricing_page", "unsubscribe", "blog_view"}
	const n = 300
	ids, tier, role := make([]string, n), make([]string, n), make([]string, n)
	tierOK := make([]bool, n)
	emp := make([]float64, n)
	comp := make([]bool, n)
	createdAt, cutoffs := make([]int64, n), make([]int64, n)
	var evID, evType []string
	var evTS []int64
	leads := make([]*leadscorev1.Lead, n)
	for i := range n {
		ids[i] = fmt.Sprintf("L%04d", i)
		tier[i], role[i] = tiers[rng.IntN(4)], roles[rng.IntN(4)]
		tierOK[i] = rng.IntN(5) > 0
		emp[i] = math.NaN()
		if rng.IntN(3) > 0 {
			emp[i] = float64(rng.IntN(400))
		}
		comp[i] = rng.IntN(20) == 0
		c := created.Add(time.Duration(rng.IntN(1000)) * time.Hour)
		createdAt[i] = c.UnixMicro()
		cutoffs[i] = c.Add(720 * time.Hour).UnixMicro()
		l := &leadscorev1.Lead{Id: ids[i], CreatedAt: timestamppb.New(c), Attributes: []*leadscorev1.Attribute{
			str("role", role[i]), boolean("is_competitor", comp[i]),
		}}
		if tierOK[i] {
			l.SetAttribute(str("icp_tier", tier[i]))
		}
		if !math.IsNaN(emp[i]) {
			l.SetAttribute(num("employees", emp[i]))
		}
		for range rng.IntN(8) {
			typ := types[rng.IntN(len(types))]
			ts := c.Add(time.Duration(rng.IntN(40*24*3600)) * time.Second)
			l.Events = append(l.Events, ev(typ, ts))
			evID, evType, evTS = append(evID, ids[i]), append(evType, typ), append(evTS, ts.UnixMicro())
		}
		leads[i] = l
	}
	// Rules naming columns this table lacks would be an error; drop them.
	var kept []rules.Rule
	for _, r := range m.Points {
		switch r.Attribute {
		case "", "icp_tier", "role", "employees", "is_competitor":
			kept = append(kept, r)
		}
	}
	m.Points = kept
	if err := m.Compile(); err != nil {
		t.Fatal(err)
	}
	lt, err := data.NewTable(data.NewStringColumn("lead_id", ids, nil), data.NewTimeColumn("created_at", createdAt, nil),
		data.NewStringColumn("icp_tier", tier, tierOK), data.NewStringColumn("role", role, nil),
		data.NewFloatColumn("employees", emp), data.NewBoolColumn("is_competitor", comp, nil))
	if err != nil {
		t.Fatal(err)
	}
	et, err := data.NewTable(data.NewStringColumn("lead_id", evID, nil), data.NewTimeColumn("ts", evTS, nil), data.NewStringColumn("type", evType, nil))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.ScoreTable(lt, et, cutoffs)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[float64]bool{}
	for i, l := range leads {
		want := m.Score(l, time.Time{}).Points
		if math.Float64bits(got[i]) != math.Float64bits(want) {
			t.Errorf("lead %d: table %v, Score %v", i, got[i], want)
		}
		distinct[want] = true
	}
	if len(distinct) < 50 {
		t.Errorf("only %d distinct totals: the test data exercises too little", len(distinct))
	}

	if _, err := m.ScoreTable(lt, et, cutoffs[1:]); err == nil {
		t.Error("short cut-offs accepted")
	}
	m.Points = append(m.Points, rules.Rule{Name: "x", Attribute: "country", Exists: new(bool), Points: 1})
	if err := m.Compile(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ScoreTable(lt, et, cutoffs); err == nil || !strings.Contains(err.Error(), `no column "country" (rule "x")`) {
		t.Errorf("missing column: err = %v", err)
	}
}

func TestScoreUncompiledPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "rules: ") {
			t.Errorf("recover() = %v, want a rules: panic", r)
		}
	}()
	var m rules.Model
	m.Score(&leadscorev1.Lead{}, time.Time{})
}

func FuzzParseRoundTrip(f *testing.F) {
	if b, err := os.ReadFile("testdata/default_rules.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("points:\n  - {name: a, attribute: r, in: [x, \"1\", true], points: -1.5, group: intent}\nstages: {disqualify: -1, mql: 0, sql: 0}\n"))
	f.Add([]byte("points:\n  - {name: e, event: t, half_life: 1h30m, cap: 2, points: 3}\n  - {name: i, inactive_days: 3, points: -1}\ncalibration: [{points: -1, probability: 0}, {points: 2, probability: 1}]\n"))
	f.Add([]byte("points:\n  - {name: r, attribute: n, range: [-.inf, 1e300], points: 1}\nsub_scores: {fit_full: 3}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := rules.Parse(in)
		if err != nil {
			return // rejecting input is fine; panicking is not
		}
		out, err := m.MarshalText()
		if err != nil {
			t.Fatalf("marshal a parsed model: %v", err)
		}
		m2, err := rules.Parse(out)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the model\nin:  %q\nout: %q\nerr: %v", in, out, err)
		}
	})
}

func BenchmarkRulesScore(b *testing.B) {
	m := loadDefault(b)
	cutoff := created.Add(720 * time.Hour)
	lead := &leadscorev1.Lead{
		Id: "L1", CreatedAt: timestamppb.New(created),
		Attributes: []*leadscorev1.Attribute{
			str("icp_tier", "B"), str("industry", "software"), num("employees", 300), str("country", "US"),
			str("role", "data_analyst"), str("seniority", "director"), str("email_type", "business"),
			str("source", "inbound"), str("product_line", "analytics"), boolean("is_competitor", false), num("budget", 5e4),
		},
	}
	for i := range 20 {
		lead.Events = append(lead.Events, ev([]string{"email_open", "page_view", "pricing_page", "webinar"}[i%4], cutoff.Add(-time.Duration(i)*36*time.Hour)))
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := m.Score(lead, time.Time{}); r.Points == 0 {
			b.Fatal("no points")
		}
	}
}
