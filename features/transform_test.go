package features

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"leadscore/data"
)

const eventSpecYAML = `
label: {column: outcome}
cutoff: {horizon: 720h}
columns:
  - {name: amount, kind: numeric, clip: [0, 1]}
events:
  columns: {lead_id: lead_id, ts: ts, type: type}
  half_life: 720h
  window: 1080h
  types:
    - {name: demo_request, group: intent, monotone: 1}
    - {name: email_open}
`

// TestEventAggregates checks the event features against hand-computed
// values. Lead L1 is created on day0, so its cut-off is day0 + 30 days.
func TestEventAggregates(t *testing.T) {
	spec := mustSpec(t, eventSpecYAML)
	cut := day0.Add(30 * 24 * time.Hour)
	leads := mustTable(t,
		data.NewStringColumn("lead_id", []string{"L1", "L2", "L3"}, nil),
		data.NewTimeColumn("created_at", []int64{us(day0), us(day0), us(day0)}, nil),
		data.NewStringColumn("outcome", []string{"won", "lost", "won"}, nil),
		data.NewFloatColumn("amount", []float64{1, 2, 3}),
	)
	type ev struct {
		lead, typ string
		at        time.Time
	}
	evs := []ev{
		{"L1", "demo_request", cut.Add(-days(30))}, // at created_at: age 30 d → 2^-1
		{"L1", "demo_request", cut.Add(-days(60))}, // before created_at: still counts, 2^-2; outside the 45-day window
		{"L1", "demo_request", cut},                // at the cut-off: ignored
		{"L1", "demo_request", cut.Add(days(1))},   // after: ignored
		{"L1", "email_open", cut.Add(-days(15))},   // 2^-0.5
		{"L1", "webinar", cut.Add(-days(2))},       // unknown type: only inactivity
		{"L3", "email_open", cut.Add(time.Hour)},   // after the cut-off only
		{"nobody", "email_open", cut.Add(-days(1))},
	}
	ids, types, ts := []string{}, []string{}, []int64{}
	for _, e := range evs {
		ids, types, ts = append(ids, e.lead), append(types, e.typ), append(ts, us(e.at))
	}
	events := mustTable(t,
		data.NewStringColumn("lead_id", ids, nil),
		data.NewTimeColumn("ts", ts, nil),
		data.NewStringColumn("type", types, nil),
	)
	tr, _, err := Fit(context.Background(), spec, leads, events)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range tr.Features() {
		names = append(names, f.Name)
	}
	wantNames := []string{"amount",
		"demo_request.count_window", "demo_request.decayed_count", "demo_request.days_since_last",
		"email_open.count_window", "email_open.decayed_count", "email_open.days_since_last",
		"days_since_any_event"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("features %q, want %q", names, wantNames)
	}
	m, err := tr.TransformTable(context.Background(), leads, events)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	want := [][]float64{
		{1, 1, 0.5 + 0.25, 30, 1, math.Round(math.Exp2(-0.5)*(1<<40)) / (1 << 40), 15, 2}, // weights are multiples of 2^-40
		{2, 0, 0, nan, 0, 0, nan, nan},
		{3, 0, 0, nan, 0, 0, nan, nan},
	}
	for i, w := range want {
		got := m.Row(i)
		for j := range w {
			if math.Float64bits(got[j]) != math.Float64bits(w[j]) && !(math.IsNaN(got[j]) && math.IsNaN(w[j])) {
				t.Errorf("row %d %s = %v, want %v", i, wantNames[j], got[j], w[j])
			}
		}
	}
	// 2^-0.5 by hand, to show the decay is exp(-ln2·age/half-life).
	if d := m.Row(0)[5] - math.Exp(-math.Ln2*15/30); math.Abs(d) > 1e-12 {
		t.Errorf("email_open decayed = %v, want exp(-ln2/2) = %v", m.Row(0)[5], math.Exp(-math.Ln2*15/30))
	}
	if f := tr.Features()[3]; f.Monotone != -1 || f.Group != GroupIntent || !f.FromEvent {
		t.Errorf("days_since_last feature = %+v, want monotone -1, intent, from events", f)
	}
}

// TestQuantileClip: with values 1..1000, numpy.quantile(np.arange(1, 1001),
// [0.01, 0.99]) is [10.99, 990.01] (linear interpolation, numpy's default).
func TestQuantileClip(t *testing.T) {
	spec := mustSpec(t, `
label: {column: outcome}
columns:
  - {name: x, kind: numeric, clip: [0.01, 0.99]}
  - {name: lx, kind: numeric, clip: [0.01, 0.99], log1p: true}
`)
	n := 1000
	x, y := make([]float64, n), make([]string, n)
	for i := range x {
		x[i] = float64(i + 1)
		y[i] = []string{"won", "lost"}[i%2]
	}
	leads := mustTable(t, data.NewFloatColumn("x", x), data.NewFloatColumn("lx", slices.Clone(x)), data.NewStringColumn("outcome", y, nil))
	tr, rep, err := Fit(context.Background(), spec, leads, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fr := rep.Features[0]; math.Abs(fr.Lo-10.99) > 1e-9 || math.Abs(fr.Hi-990.01) > 1e-9 {
		t.Errorf("clip bounds [%v, %v], want [10.99, 990.01]", fr.Lo, fr.Hi)
	}
	m, err := tr.TransformTable(context.Background(), leads, nil)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := rep.Features[0].Lo, rep.Features[0].Hi
	for _, c := range []struct {
		row  int
		want float64
	}{{0, lo}, {499, 500}, {999, hi}} {
		if got := m.Row(c.row)[0]; got != c.want {
			t.Errorf("x row %d = %v, want %v", c.row, got, c.want)
		}
		if got := m.Row(c.row)[1]; got != math.Log1p(c.want) {
			t.Errorf("lx row %d = %v, want log1p(%v) = %v", c.row, got, c.want, math.Log1p(c.want))
		}
	}
}

func TestQuantile(t *testing.T) {
	v := []float64{1, 2, 3, 4}
	for _, c := range []struct{ q, want float64 }{
		{0, 1}, {1, 4}, {0.5, 2.5}, {1.0 / 3, 2}, {0.25, 1.75}, // numpy.quantile([1,2,3,4], q)
	} {
		if got := quantile(v, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
}

// TestPooling: a 30, b 25, c 25, d 5, e 1 with min_count 20 keeps a, b, c
// (b before c by name), pools d and e into other, and maps new values to
// unseen. Rows with an open label do not count.
func TestPooling(t *testing.T) {
	var v, y []string
	add := func(level string, n int, label string) {
		for range n {
			v, y = append(v, level), append(y, label)
		}
	}
	add("a", 30, "won")
	add("c", 25, "lost")
	add("b", 25, "won")
	add("d", 5, "lost")
	add("e", 1, "won")
	add("f", 50, "open") // open rows are not fitted on
	leads := mustTable(t, data.NewStringColumn("cat", v, nil), data.NewStringColumn("outcome", y, nil))
	for _, c := range []struct {
		spec       string
		wantLevels []string
		codes      map[string]float64
	}{
		{"{name: cat, kind: categorical}", []string{"a", "b", "c", "other", "unseen"},
			map[string]float64{"a": 0, "b": 1, "c": 2, "d": 3, "e": 3, "f": 4}},
		{"{name: cat, kind: categorical, max_levels: 2}", []string{"a", "b", "other", "unseen"},
			map[string]float64{"a": 0, "b": 1, "c": 2, "d": 2, "f": 3}},
		{"{name: cat, kind: categorical, min_count: 1}", []string{"a", "b", "c", "d", "e", "other", "unseen"},
			map[string]float64{"e": 4, "f": 6}},
	} {
		spec := mustSpec(t, "label: {column: outcome}\ncolumns:\n  - "+c.spec+"\n")
		tr, _, err := Fit(context.Background(), spec, leads, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Features()[0].Levels; !slices.Equal(got, c.wantLevels) {
			t.Errorf("%s: levels %q, want %q", c.spec, got, c.wantLevels)
		}
		m, err := tr.TransformTable(context.Background(), leads, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, lv := range v {
			if want, ok := c.codes[lv]; ok && m.Row(i)[0] != want {
				t.Errorf("%s: %q → %v, want %v", c.spec, lv, m.Row(i)[0], want)
				break
			}
		}
	}
}

func TestPoolNameClash(t *testing.T) {
	var f featState
	f.setLevels([]string{"other", "unseen", "_other"}, nil)
	want := []string{"other", "unseen", "_other", "__other", "_unseen"}
	if !slices.Equal(f.Levels, want) {
		t.Errorf("levels %q, want %q", f.Levels, want)
	}
}

// TestTimestampAndBool: a timestamp becomes days before the cut-off
// (created_at + 30 days, or the explicit cut-off column where set).
func TestTimestampAndBool(t *testing.T) {
	spec := mustSpec(t, `
label: {column: outcome}
cutoff: {column: scored_at}
columns:
  - {name: last_visit, kind: timestamp, clip: [0, 1]}
  - {name: is_student, group: negative}
  - {name: scored_at, role: ignore}
`)
	leads := mustTable(t,
		data.NewTimeColumn("created_at", []int64{us(day0), us(day0), us(day0)}, nil),
		data.NewTimeColumn("scored_at", []int64{0, us(day0.Add(days(5))), 0}, []bool{false, true, false}),
		data.NewTimeColumn("last_visit", []int64{us(day0.Add(days(20))), us(day0.Add(days(4))), 0}, []bool{true, true, false}),
		data.NewBoolColumn("is_student", []bool{true, false, false}, []bool{true, true, false}),
		data.NewStringColumn("outcome", []string{"won", "lost", "lost"}, nil),
	)
	tr, _, err := Fit(context.Background(), spec, leads, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tr.TransformTable(context.Background(), leads, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{10, 1}, {1, 0}, {math.NaN(), math.NaN()}}
	for i, w := range want {
		for j := range w {
			if g := m.Row(i)[j]; g != w[j] && !(math.IsNaN(g) && math.IsNaN(w[j])) {
				t.Errorf("row %d col %d = %v, want %v", i, j, g, w[j])
			}
		}
	}
	if f := tr.Features(); f[0].Kind != KindTimestamp || f[1].Kind != KindBoolean || f[1].Group != GroupNegative {
		t.Errorf("features %+v", f)
	}
}

// TestLinear: x = 1, 2, 3, missing gives mean 2 and population std
// sqrt(2/3) over the 3 present values, and a missing-indicator column; the
// categorical's missing row gets its own "cat.missing" column.
func TestLinear(t *testing.T) {
	spec := mustSpec(t, `
label: {column: outcome}
columns:
  - {name: x, kind: numeric, clip: [0, 1]}
  - {name: full, kind: numeric, clip: [0, 1]}
  - {name: flag, kind: numeric, clip: [0, 1], missing_indicator: true}
  - {name: cat, kind: categorical, min_count: 1}
`)
	leads := mustTable(t,
		data.NewFloatColumn("x", []float64{1, 2, 3, math.NaN()}),
		data.NewFloatColumn("full", []float64{5, 5, 5, 5}),
		data.NewFloatColumn("flag", []float64{0, 1, 0, 1}),
		data.NewStringColumn("cat", []string{"p", "q", "p", ""}, []bool{true, true, true, false}),
		data.NewStringColumn("outcome", []string{"won", "lost", "won", "lost"}, nil),
	)
	tr, _, err := Fit(context.Background(), spec, leads, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"x", "x.missing", "full", "flag", "flag.missing", "cat=p", "cat=q", "cat=other", "cat=unseen", "cat.missing"}
	if !slices.Equal(tr.LinearNames(), wantNames) || tr.LinearWidth() != len(wantNames) {
		t.Fatalf("linear names %q, want %q", tr.LinearNames(), wantNames)
	}
	if got := tr.LinearSource(6); got != 3 {
		t.Errorf("LinearSource(6) = %d, want 3", got)
	}
	m, err := tr.TransformTable(context.Background(), leads, nil)
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(2.0 / 3)
	want := [][]float64{
		{-1 / sd, 0, 0, -1, 0, 1, 0, 0, 0, 0},
		{0, 0, 0, 1, 0, 0, 1, 0, 0, 0},
		{1 / sd, 0, 0, -1, 0, 1, 0, 0, 0, 0},
		{0, 1, 0, 1, 0, 0, 0, 0, 0, 1},
	}
	dst := make([]float64, tr.LinearWidth())
	for i, w := range want {
		tr.ToLinear(m.Row(i), dst)
		for j := range w {
			if math.Abs(dst[j]-w[j]) > 1e-12 {
				t.Errorf("row %d %s = %v, want %v", i, wantNames[j], dst[j], w[j])
			}
		}
	}
}

func TestLabels(t *testing.T) {
	spec := mustSpec(t, "label: {column: outcome, positive: [won, yes], negative: [lost], open: [open]}\ncolumns: [{name: x}]\n")
	leads := mustTable(t, data.NewStringColumn("outcome", []string{"won", "yes", "maybe", "open"}, nil))
	_, err := spec.Labels(leads)
	want := &data.ColumnError{File: "leads", Row: 3, Column: "outcome", Value: "maybe", Err: data.ErrBadOutcome}
	var ve *data.ColumnError
	if !errors.As(err, &ve) || !reflect.DeepEqual(ve, want) {
		t.Errorf("Labels error = %#v, want %#v", err, want)
	}
	if !errors.Is(err, data.ErrBadOutcome) || !strings.Contains(err.Error(), `row 3, column "outcome": value "maybe"`) {
		t.Errorf("error %q", err)
	}
	leads = mustTable(t, data.NewStringColumn("outcome", []string{"won", "yes", "lost", "open"}, nil))
	y, err := spec.Labels(leads)
	if err != nil || !slices.Equal(y, []int8{1, 1, 0, -1}) {
		t.Errorf("Labels = %v, %v; want [1 1 0 -1]", y, err)
	}
	leads = mustTable(t, data.NewBoolColumn("outcome", []bool{true, false, false}, []bool{true, true, false}))
	y, err = spec.Labels(leads)
	if err != nil || !slices.Equal(y, []int8{1, 0, -1}) {
		t.Errorf("bool Labels = %v, %v; want [1 0 -1]", y, err)
	}
}

func TestTransformTableErrors(t *testing.T) {
	spec := mustSpec(t, eventSpecYAML)
	good := func() []*data.Column {
		return []*data.Column{
			data.NewStringColumn("lead_id", []string{"L1", "L2"}, nil),
			data.NewTimeColumn("created_at", []int64{us(day0), us(day0)}, nil),
			data.NewStringColumn("outcome", []string{"won", "lost"}, nil),
			data.NewFloatColumn("amount", []float64{1, 2}),
		}
	}
	events := mustTable(t, data.NewStringColumn("lead_id", []string{"L1"}, nil),
		data.NewTimeColumn("ts", []int64{us(day0)}, nil), data.NewStringColumn("type", []string{"email_open"}, nil))
	tr, _, err := Fit(context.Background(), spec, mustTable(t, good()...), events)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		leads  []*data.Column
		events *data.Table
		want   string
	}{
		{"missing column", good()[:3], nil, `leads: row 0, column "amount": value "": missing column`},
		{"wrong type", append(good()[:3], data.NewStringColumn("amount", []string{"a", "b"}, nil)), nil, `column "amount": value "": bad column type: string, want float`},
		{"null created_at", append(good()[:1], data.NewTimeColumn("created_at", []int64{us(day0), 0}, []bool{true, false}), good()[2], good()[3]), nil,
			`leads: row 2, column "created_at": value "": creation time null value`},
		{"duplicate id", append([]*data.Column{data.NewStringColumn("lead_id", []string{"L1", "L1"}, nil)}, good()[1:]...), events,
			`leads: row 2, column "lead_id": value "L1": duplicate id (also row 1)`},
		{"event without type", good(), mustTable(t, data.NewStringColumn("lead_id", []string{"L1"}, nil),
			data.NewTimeColumn("ts", []int64{us(day0)}, nil), data.NewStringColumn("type", []string{""}, []bool{false})),
			`events: row 1, column "type": value "": event type null value`},
	}
	for _, c := range cases {
		_, err := tr.TransformTable(context.Background(), mustTable(t, c.leads...), c.events)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tr.TransformTable(ctx, mustTable(t, good()...), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	tr, leads, events := fittedFixture(t, 500, 1)
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var tr2 Transformer
	if err := json.Unmarshal(b, &tr2); err != nil {
		t.Fatal(err)
	}
	m1, err := tr.TransformTable(context.Background(), leads, events)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := tr2.TransformTable(context.Background(), leads, events)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m1.X {
		if math.Float64bits(m1.X[i]) != math.Float64bits(m2.X[i]) {
			t.Fatalf("X[%d]: %v before, %v after a round trip", i, m1.X[i], m2.X[i])
		}
	}
	if !reflect.DeepEqual(tr.Features(), tr2.Features()) || !slices.Equal(tr.LinearNames(), tr2.LinearNames()) {
		t.Error("features differ after a round trip")
	}
	b2, err := json.Marshal(&tr2)
	if err != nil || string(b2) != string(b) {
		t.Errorf("second marshal differs (err %v)", err)
	}
	// Corruptions are errors, never panics.
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	feats := j["features"].([]any)
	for _, c := range []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"version", func(m map[string]any) { m["format"] = 99 }, "format version 99"},
		{"spec", func(m map[string]any) { m["spec"] = "columns: 3" }, "parse spec"},
		{"feature count", func(m map[string]any) { m["features"] = feats[:2] }, "features, the spec defines"},
		{"std", func(m map[string]any) { setFeat(m, feats, 0, "std", 0.0) }, "std 0"},
		{"clip", func(m map[string]any) { setFeat(m, feats, 0, "lo", 1e9) }, "clip bounds"},
		{"levels", func(m map[string]any) { setFeat(m, feats, catIndex(feats), "levels", []any{"x"}) }, "levels"},
		{"dup levels", func(m map[string]any) {
			setFeat(m, feats, catIndex(feats), "levels", []any{"x", "x", "other", "unseen"})
		}, "not distinct"},
		{"name", func(m map[string]any) { setFeat(m, feats, 1, "name", "zzz") }, "differs from the spec"},
	} {
		m := map[string]any{}
		for k, v := range j {
			m[k] = v
		}
		c.mutate(m)
		bad, _ := json.Marshal(m)
		var tr3 Transformer
		if err := json.Unmarshal(bad, &tr3); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func setFeat(m map[string]any, feats []any, i int, key string, v any) {
	cp := make([]any, len(feats))
	copy(cp, feats)
	f := map[string]any{}
	for k, x := range feats[i].(map[string]any) {
		f[k] = x
	}
	f[key] = v
	cp[i] = f
	m["features"] = cp
}

func catIndex(feats []any) int {
	for i, f := range feats {
		if f.(map[string]any)["kind"] == "categorical" {
			return i
		}
	}
	return 0
}

// TestLookupType covers the event-type table (a strTable), with more types
// than maxOneProbeKeys, so with probe runs.
func TestLookupType(t *testing.T) {
	var b strings.Builder
	b.WriteString("columns: [{name: x, kind: numeric}]\nevents:\n  types:\n")
	var names []string
	for i := range 600 { // more types than slots: collisions are certain
		n := strings.Repeat("t", i%7+1) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		names = append(names, n)
		b.WriteString("    - {name: " + n + "}\n")
	}
	spec := mustSpec(t, b.String())
	tr, err := newSkeleton(spec)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if got := tr.lookupType(n); got != int32(i) {
			t.Fatalf("lookupType(%q) = %d, want %d", n, got, i)
		}
		if got := tr.lookupType(n + "#"); got != -1 {
			t.Fatalf("lookupType(%q) = %d, want -1", n+"#", got)
		}
	}
	if got := tr.lookupType(""); got != -1 {
		t.Errorf(`lookupType("") = %d`, got)
	}
}

// TestDecayWeight compares the fast weight with math.Exp2 over a range of
// ages (in half-lives): they agree to within one fixed-point step, and
// exactly at whole and half half-lives.
func TestDecayWeight(t *testing.T) {
	for _, x := range []float64{0, 1, 2, 3, 10, 40} {
		if got, want := decayWeight(x), uint64(math.Exp2(40-x)); got != want {
			t.Errorf("decayWeight(%v) = %d, want 2^%v = %d", x, got, 40-x, want)
		}
	}
	if got, want := decayWeight(0.5), uint64(math.Round(math.Exp2(-0.5)*(1<<40))); got != want {
		t.Errorf("decayWeight(0.5) = %d, want %d", got, want)
	}
	for i := range 100000 {
		x := float64(i) * 41.5 / 100000
		want := math.Round(math.Exp2(-x) * (1 << 40))
		if d := float64(decayWeight(x)) - want; math.Abs(d) > 1 {
			t.Fatalf("decayWeight(%v) = %d, want %v", x, decayWeight(x), want)
		}
	}
	if decayWeight(math.Inf(1)) != 0 || decayWeight(1e300) != 0 {
		t.Error("huge ages must weigh 0")
	}
}

// TestParallelTransform: splitting a table over goroutines changes nothing.
func TestParallelTransform(t *testing.T) {
	leads, events := benchTables(t, 3000+17, 2, 5)
	tr, _, err := Fit(context.Background(), mustSpec(t, benchSpec(true)), leads, events)
	if err != nil {
		t.Fatal(err)
	}
	var seq, par Matrix
	if err := tr.transformTable(context.Background(), &seq, leads, events, 1, 100); err != nil {
		t.Fatal(err)
	}
	if err := tr.transformTable(context.Background(), &par, leads, events, 3, 100); err != nil {
		t.Fatal(err)
	}
	for i := range seq.X {
		if math.Float64bits(seq.X[i]) != math.Float64bits(par.X[i]) {
			t.Fatalf("X[%d]: sequential %v, parallel %v", i, seq.X[i], par.X[i])
		}
	}
}
