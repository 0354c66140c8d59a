package rules

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"leadscore/data"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

type condKind uint8

const (
	condEquals condKind = iota + 1 // Equals and In
	condRange
	condExists
	condEvent
	condInactive
)

// cond is one compiled rule.
type cond struct {
	kind     condKind
	strs     map[string]bool // Equals/In: the listed values
	nums     []float64       // Equals/In: the listed values that parse as numbers
	matchT   bool            // Equals/In: "true" is listed
	matchF   bool            // Equals/In: "false" is listed
	lo, hi   float64         // Range
	exists   bool            // Exists
	halfLife float64         // Event: microseconds
	cap      float64         // Event: 0 = no cap
	inactive int64           // Inactive: microseconds
	group    leadscorev1.FeatureGroup
	fit      bool // counts toward the fit sub-score
}

// compiled is the evaluation form of a Model, derived from its fields.
type compiled struct {
	conds  []cond
	events map[string][]int // event type → indices of its rules
	attrs  []int            // indices of the attribute rules
}

func compile(m *Model) *compiled {
	c := &compiled{conds: make([]cond, len(m.Points)), events: map[string][]int{}}
	for i, r := range m.Points {
		k := &c.conds[i]
		k.group, _ = groupOf(r.Group)
		switch {
		case r.Attribute != "":
			c.attrs = append(c.attrs, i)
			k.fit = true
			if k.group == 0 {
				k.group = leadscorev1.FeatureGroup_FEATURE_GROUP_FIT
			}
			switch {
			case r.Equals != nil || r.In != nil:
				k.kind = condEquals
				vals := r.In
				if r.Equals != nil {
					vals = []string{*r.Equals}
				}
				k.strs = make(map[string]bool, len(vals))
				for _, v := range vals {
					k.strs[v] = true
					if x, err := strconv.ParseFloat(v, 64); err == nil {
						k.nums = append(k.nums, x)
					}
					k.matchT = k.matchT || isTrue(v)
					k.matchF = k.matchF || isFalse(v)
				}
			case r.Range != nil:
				k.kind, k.lo, k.hi = condRange, r.Range[0], r.Range[1]
			default:
				k.kind, k.exists = condExists, *r.Exists
			}
		case r.Event != "":
			k.kind = condEvent
			k.halfLife = float64(r.HalfLife.Microseconds())
			k.cap = r.Cap
			c.events[r.Event] = append(c.events[r.Event], i)
			if k.group == 0 {
				k.group = leadscorev1.FeatureGroup_FEATURE_GROUP_ENGAGEMENT
			}
		default:
			k.kind = condInactive
			k.inactive = int64(r.InactiveDays) * 24 * int64(time.Hour/time.Microsecond)
			if k.group == 0 {
				k.group = leadscorev1.FeatureGroup_FEATURE_GROUP_NEGATIVE
			}
		}
		if r.Points < 0 && r.Group == "" {
			k.group = leadscorev1.FeatureGroup_FEATURE_GROUP_NEGATIVE
		}
	}
	return c
}

type valueKind uint8

const (
	valNone valueKind = iota
	valString
	valNumber
	valBool
	valTime
)

// value is one attribute value, from a request or from a table row.
type value struct {
	kind valueKind
	s    string
	f    float64 // number, or microseconds for valTime
	b    bool
}

func (v value) String() string {
	switch v.kind {
	case valString:
		return v.s
	case valNumber:
		return formatNumber(v.f)
	case valBool:
		return strconv.FormatBool(v.b)
	case valTime:
		return time.UnixMicro(int64(v.f)).UTC().Format(time.RFC3339)
	}
	return "missing"
}

// state holds one lead's inputs while it is evaluated: the attribute
// values and decayed event counts by rule index.
type state struct {
	vals    []value
	decayed []float64
	last    int64 // newest event before the cut-off, or the creation time
	cutoff  int64
}

// stackRules is the largest rule set whose Score state lives on the stack.
const stackRules = 48

func (c *compiled) newState() *state {
	return &state{vals: make([]value, len(c.conds)), decayed: make([]float64, len(c.conds))}
}

func (st *state) reset(created, cutoff int64) {
	clear(st.vals)
	clear(st.decayed)
	st.last, st.cutoff = created, cutoff
}

// event adds one event of the rules idx at ts (microseconds).
func (st *state) event(c *compiled, idx []int, ts int64) {
	if ts >= st.cutoff {
		return
	}
	if ts > st.last {
		st.last = ts
	}
	for _, i := range idx {
		age := float64(st.cutoff - ts)
		st.decayed[i] += math.Exp(-math.Ln2 * age / c.conds[i].halfLife)
	}
}

// match reports whether attribute rule k holds for v, and whether v had a
// kind the rule cannot compare (a warning).
func (k *cond) match(v value) (ok, wrongKind bool) {
	switch k.kind {
	case condExists:
		return (v.kind != valNone) == k.exists, false
	case condEquals:
		switch v.kind {
		case valString:
			return k.strs[v.s], false
		case valNumber:
			for _, x := range k.nums {
				if x == v.f {
					return true, false
				}
			}
			return false, false
		case valBool:
			return (v.b && k.matchT) || (!v.b && k.matchF), false
		case valTime:
			return false, true
		}
	case condRange:
		switch v.kind {
		case valNumber:
			return k.lo <= v.f && v.f < k.hi, false
		case valNone:
			return false, false
		}
		return false, true
	}
	return false, false
}

// evaluate sums the points of the rules that fire for st. It is the one
// evaluation path behind Score and ScoreTable. With res nil it only returns
// the total.
func (m *Model) evaluate(st *state, res *Result) float64 {
	c := m.c
	var fit, eng float64
	for i := range c.conds {
		k := &c.conds[i]
		r := &m.Points[i]
		var pts float64
		var fired bool
		var val string
		switch k.kind {
		case condEvent:
			if d := st.decayed[i]; d > 0 {
				fired, pts = true, r.Points*d
				if k.cap > 0 {
					pts = math.Max(-k.cap, math.Min(k.cap, pts))
				}
				if res != nil {
					val = strconv.FormatFloat(d, 'f', 2, 64)
				}
			}
		case condInactive:
			if idle := st.cutoff - st.last; idle > k.inactive {
				fired, pts = true, r.Points
				if res != nil {
					val = strconv.FormatInt(idle/int64(24*time.Hour/time.Microsecond), 10) + " days"
				}
			}
		default:
			ok, wrong := k.match(st.vals[i])
			if wrong && res != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("attribute %q: %s value ignored by rule %q", r.Attribute, kindName(st.vals[i].kind), r.Name))
			}
			if ok {
				fired, pts = true, r.Points
				if res != nil {
					val = st.vals[i].String()
				}
			}
		}
		if !fired {
			continue
		}
		if k.fit {
			fit += pts
		} else {
			eng += pts
		}
		if res != nil {
			res.Reasons = append(res.Reasons, Reason{Rule: r.Name, Value: val, Points: pts, Group: k.group})
		}
	}
	total := fit + eng
	if res != nil {
		res.Points, res.FitPoints, res.EngagementPoints = total, fit, eng
		res.Probability = m.Calibrate(total)
		res.Stage = m.StageOf(total)
		res.FitScore = subScore(fit, m.SubScores.FitFull)
		res.EngagementScore = subScore(eng, m.SubScores.EngagementFull)
		slices.SortFunc(res.Reasons, func(a, b Reason) int {
			if c := cmp.Compare(math.Abs(b.Points), math.Abs(a.Points)); c != 0 {
				return c
			}
			return strings.Compare(a.Rule, b.Rule) // names are unique
		})
	}
	return total
}

func subScore(points, full float64) int32 {
	if full == 0 {
		full = DefaultSubScoreFull
	}
	return int32(math.Round(100 * math.Max(0, math.Min(1, points/full))))
}

func kindName(k valueKind) string {
	switch k {
	case valString:
		return "string"
	case valNumber:
		return "number"
	case valBool:
		return "boolean"
	case valTime:
		return "timestamp"
	}
	return "missing"
}

// Cutoff returns the scoring cut-off for a lead created at created: asOf
// when it is set, else created + the model's horizon.
func (m *Model) Cutoff(created, asOf time.Time) time.Time {
	if !asOf.IsZero() {
		return asOf
	}
	return created.Add(m.HorizonOrDefault())
}

// Score evaluates the rules for one lead. Events at or after the cut-off
// (see Cutoff) are ignored. A NaN or infinite number counts as missing and
// a value a rule cannot compare (a string for a range) is ignored; both are
// reported in Result.Warnings. Score panics if m was not compiled (Parse
// and Compile do that).
func (m *Model) Score(lead *leadscorev1.Lead, asOf time.Time) Result {
	if m.c == nil {
		panic("rules: Score on a Model that was not compiled (use Parse or Compile)")
	}
	created := lead.GetCreatedAt().AsTime()
	cutoff := m.Cutoff(created, asOf)
	// Small rule sets keep the evaluation state on the stack.
	var valBuf [stackRules]value
	var decBuf [stackRules]float64
	st := &state{vals: valBuf[:], decayed: decBuf[:]}
	if n := len(m.c.conds); n <= stackRules {
		st.vals, st.decayed = st.vals[:n], st.decayed[:n]
	} else {
		st = m.c.newState()
	}
	st.reset(created.UnixMicro(), cutoff.UnixMicro())
	res := Result{Reasons: make([]Reason, 0, 8)}
	for _, i := range m.c.attrs {
		name := m.Points[i].Attribute
		v := lead.Attribute(name) // the first of that name; the server rejects repeats
		if v == nil {
			continue
		}
		switch {
		case v.StringValue != nil:
			st.vals[i] = value{kind: valString, s: *v.StringValue}
		case v.NumberValue != nil:
			if x := *v.NumberValue; finite(x) {
				st.vals[i] = value{kind: valNumber, f: x}
			} else {
				res.Warnings = appendOnce(res.Warnings, fmt.Sprintf("attribute %q: %v treated as missing", name, x))
			}
		case v.BoolValue != nil:
			st.vals[i] = value{kind: valBool, b: *v.BoolValue}
		case v.TimestampValue != nil:
			st.vals[i] = value{kind: valTime, f: float64(v.TimestampValue.AsTime().UnixMicro())}
		}
	}
	for _, e := range lead.GetEvents() {
		idx, known := m.c.events[e.GetType()]
		if !known {
			idx = nil // still counts as activity for inactivity rules
		}
		st.event(m.c, idx, e.GetTs().AsTime().UnixMicro())
	}
	m.evaluate(st, &res)
	return res
}

func appendOnce(ws []string, w string) []string {
	for _, x := range ws {
		if x == w {
			return ws
		}
	}
	return append(ws, w)
}

// ScoreTable returns the points total of every row of leads, as Score would
// give for the same lead: leads needs a String column lead_id, a Time
// column created_at and a column for every attribute a rule names; events
// (nil for none) needs lead_id (String), ts (Time) and type (String).
// cutoffs[i] is row i's cut-off in microseconds; events at or after it are
// ignored. Events of leads not in leads are ignored.
func (m *Model) ScoreTable(leads, events *data.Table, cutoffs []int64) ([]float64, error) {
	if m.c == nil {
		panic("rules: ScoreTable on a Model that was not compiled (use Parse or Compile)")
	}
	if len(cutoffs) != leads.Rows {
		return nil, fmt.Errorf("rules: score table: %d cut-offs for %d leads", len(cutoffs), leads.Rows)
	}
	ids, err := column(leads, "leads", "lead_id", data.String)
	if err != nil {
		return nil, err
	}
	created, err := column(leads, "leads", "created_at", data.Time)
	if err != nil {
		return nil, err
	}
	attrCols := make([]*data.Column, len(m.Points))
	for _, i := range m.c.attrs {
		name := m.Points[i].Attribute
		col := leads.Col(name)
		if col == nil {
			return nil, fmt.Errorf("rules: score table: leads has no column %q (rule %q)", name, m.Points[i].Name)
		}
		attrCols[i] = col
	}
	// Group the events by lead row: start[r]..start[r+1] index order.
	start := make([]int, leads.Rows+1)
	var order []int
	var evTS *data.Column
	var evRules [][]int // by type dictionary code
	var evTypes *data.Column
	if events != nil && events.Rows > 0 {
		evIDs, err := column(events, "events", "lead_id", data.String)
		if err != nil {
			return nil, err
		}
		if evTS, err = column(events, "events", "ts", data.Time); err != nil {
			return nil, err
		}
		if evTypes, err = column(events, "events", "type", data.String); err != nil {
			return nil, err
		}
		evRules = make([][]int, len(evTypes.Dict))
		for code, t := range evTypes.Dict {
			evRules[code] = m.c.events[t]
		}
		row := make(map[string]int, leads.Rows)
		for r := 0; r < leads.Rows; r++ {
			if id, ok := ids.Str(r); ok {
				row[id] = r
			}
		}
		// idCode maps an event lead_id dictionary code to a lead row (-1: none).
		idCode := make([]int, len(evIDs.Dict))
		for code, id := range evIDs.Dict {
			if r, ok := row[id]; ok {
				idCode[code] = r
			} else {
				idCode[code] = -1
			}
		}
		leadOf := make([]int, events.Rows)
		for e := range leadOf {
			leadOf[e] = -1
			if evIDs.IsNull(e) || evTS.IsNull(e) || evIDs.Codes[e] < 0 {
				continue
			}
			if r := idCode[evIDs.Codes[e]]; r >= 0 {
				leadOf[e] = r
				start[r+1]++
			}
		}
		for r := 0; r < leads.Rows; r++ {
			start[r+1] += start[r]
		}
		order = make([]int, start[leads.Rows])
		next := append([]int(nil), start[:leads.Rows]...)
		for e, r := range leadOf {
			if r >= 0 {
				order[next[r]] = e
				next[r]++
			}
		}
	}
	out := make([]float64, leads.Rows)
	st := m.c.newState()
	for r := 0; r < leads.Rows; r++ {
		if created.IsNull(r) {
			return nil, fmt.Errorf("rules: score table: leads row %d, column \"created_at\": null", r+1)
		}
		st.reset(created.Times[r], cutoffs[r])
		for _, i := range m.c.attrs {
			st.vals[i] = cellValue(attrCols[i], r)
		}
		for _, e := range order[start[r]:start[r+1]] {
			var idx []int
			if code := evTypes.Codes[e]; code >= 0 && !evTypes.IsNull(e) {
				idx = evRules[code]
			}
			st.event(m.c, idx, evTS.Times[e])
		}
		out[r] = m.evaluate(st, nil)
	}
	return out, nil
}

func column(t *data.Table, table, name string, typ data.Type) (*data.Column, error) {
	c := t.Col(name)
	if c == nil {
		return nil, fmt.Errorf("rules: score table: %s has no column %q", table, name)
	}
	if c.Type != typ {
		return nil, fmt.Errorf("rules: score table: %s column %q is %v, want %v", table, name, c.Type, typ)
	}
	return c, nil
}

func cellValue(c *data.Column, r int) value {
	if c.IsNull(r) {
		return value{}
	}
	switch c.Type {
	case data.String:
		if s, ok := c.Str(r); ok {
			return value{kind: valString, s: s}
		}
	case data.Float:
		if finite(c.Floats[r]) {
			return value{kind: valNumber, f: c.Floats[r]}
		}
	case data.Bool:
		return value{kind: valBool, b: c.Bools[r]}
	case data.Time:
		return value{kind: valTime, f: float64(c.Times[r])}
	}
	return value{}
}
