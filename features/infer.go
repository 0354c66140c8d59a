package features

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"leadscore/data"
)

// InferOptions steers InferSpec. A zero field means: guess.
type InferOptions struct {
	// Label is the outcome column. Guessed from the names outcome, y,
	// revenue, label, converted, won.
	Label string
	// Positive, Negative and Open are the label values; guessed from
	// won/yes/true/1, lost/no/false/0 and open.
	Positive, Negative, Open []string
	// ID and Time name the lead id and creation time columns. Guessed from
	// lead_id / id and created_at / first_contact_date.
	ID, Time string
	// MaxDistinctShare: a string column with more distinct values than
	// this share of its non-null rows is an identifier and is ignored.
	// Default 0.95.
	MaxDistinctShare float64
}

// InferInfo says why InferSpec chose what it chose; WriteCommentedSpec
// prints it as comments.
type InferInfo struct {
	Rows    int
	Columns map[string]string // column name → explanation
	Label   string            // explanation of the label mapping
	Events  map[string]string // event type → explanation
	Notes   []string          // general remarks
}

// InferSpec guesses a starting spec from a leads table (and an optional
// events table); see Infer.
func InferSpec(leads, events *data.Table, opts InferOptions) (*Spec, error) {
	s, _, err := Infer(leads, events, opts)
	return s, err
}

var (
	idNames    = []string{"lead_id", "id", "mql_id"}
	labelNames = []string{"outcome", "y", "revenue", "label", "converted", "won"}
	timeNames  = []string{"created_at", "first_contact_date", "created", "created_date"}
	posValues  = []string{"won", "yes", "true", "1", "converted", "y"}
	negValues  = []string{"lost", "no", "false", "0", "n"}
	openValues = []string{"open", "pending"}
	fitWords   = []string{"industry", "employee", "role", "seniority", "country", "budget", "company", "size", "title", "region", "revenue_band"}
	negWords   = []string{"student", "competitor", "job_seeker", "jobseeker", "invalid", "unsubscribe", "bounce", "spam", "complaint"}
	intentW    = []string{"demo", "pricing", "trial", "contact", "consultation", "quote"}
	engageW    = []string{"email", "open", "click", "page", "visit", "webinar", "download", "view", "session"}
	segWords   = []string{"product_line", "source"}
	postWords  = []string{"closed_at", "won_date", "lost_date", "close_date"}
)

func nameIs(name string, list []string) bool {
	return slices.Contains(list, strings.ToLower(name))
}

func nameHas(name string, words []string) (string, bool) {
	n := strings.ToLower(name)
	for _, w := range words {
		if strings.Contains(n, w) {
			return w, true
		}
	}
	return "", false
}

// groupByName guesses a group from a column or event-type name.
// Activity words (intent, engagement) only count for event types and
// numeric columns: a categorical "contact" is a channel, not a request.
func groupByName(name string, dflt Group, activity bool) (Group, string) {
	if w, ok := nameHas(name, negWords); ok {
		return GroupNegative, fmt.Sprintf("group negative: the name contains %q", w)
	}
	if w, ok := nameHas(name, intentW); ok && activity {
		return GroupIntent, fmt.Sprintf("group intent: the name contains %q", w)
	}
	if w, ok := nameHas(name, engageW); ok && activity {
		return GroupEngagement, fmt.Sprintf("group engagement: the name contains %q", w)
	}
	if w, ok := nameHas(name, fitWords); ok {
		return GroupFit, fmt.Sprintf("group fit: the name contains %q", w)
	}
	if dflt == GroupEngagement {
		return dflt, "group engagement (default for events)"
	}
	return dflt, "group fit (default for attributes)"
}

// Infer guesses a spec from the tables: roles from column names, kinds from
// column types, groups from names, label values from the label column. The
// result is a starting point for a human, with the reasons in InferInfo.
func Infer(leads, events *data.Table, opts InferOptions) (*Spec, *InferInfo, error) {
	if opts.MaxDistinctShare == 0 {
		opts.MaxDistinctShare = 0.95
	}
	info := &InferInfo{Rows: leads.Rows, Columns: map[string]string{}, Events: map[string]string{}}
	s := &Spec{}
	pick := func(explicit string, names []string, ok func(*data.Column) bool) string {
		if explicit != "" {
			return explicit
		}
		for _, c := range leads.Columns {
			if nameIs(c.Name, names) && ok(c) {
				return c.Name
			}
		}
		return ""
	}
	any := func(*data.Column) bool { return true }
	s.ID = pick(opts.ID, idNames, func(c *data.Column) bool { return c.Type == data.String })
	s.Time = pick(opts.Time, timeNames, func(c *data.Column) bool { return c.Type == data.Time })
	if s.ID == "" {
		info.Notes = append(info.Notes, fmt.Sprintf("no lead id column found (looked for %s): it is needed only to join events", strings.Join(idNames, ", ")))
	}
	if s.Time == "" {
		info.Notes = append(info.Notes, fmt.Sprintf("no creation time column found (looked for timestamp columns named %s): events and timestamp features need one", strings.Join(timeNames, ", ")))
	}
	s.Label.Column = pick(opts.Label, labelNames, any)
	if s.Label.Column == "" {
		return nil, nil, fmt.Errorf("infer spec: no label column found (looked for %s); set InferOptions.Label", strings.Join(labelNames, ", "))
	}
	lc := leads.Col(s.Label.Column)
	if lc == nil {
		return nil, nil, fmt.Errorf("infer spec: %w", &data.ColumnError{File: "leads", Column: s.Label.Column, Err: data.ErrMissingColumn})
	}
	switch lc.Type {
	case data.Bool:
		info.Label = "a bool column: true is won, false lost, null open"
		s.Label.Positive, s.Label.Negative, s.Label.Open = []string{"true"}, []string{"false"}, nil
	case data.String:
		counts := levelCounts(lc)
		var parts []string
		for _, lv := range counts {
			parts = append(parts, fmt.Sprintf("%s (%d)", lv.level, lv.n))
			v := strings.ToLower(lv.level)
			switch {
			case opts.Positive != nil || opts.Negative != nil:
			case slices.Contains(posValues, v):
				s.Label.Positive = append(s.Label.Positive, lv.level)
			case slices.Contains(negValues, v):
				s.Label.Negative = append(s.Label.Negative, lv.level)
			case slices.Contains(openValues, v):
				s.Label.Open = append(s.Label.Open, lv.level)
			}
		}
		if opts.Positive != nil || opts.Negative != nil {
			s.Label.Positive, s.Label.Negative, s.Label.Open = opts.Positive, opts.Negative, opts.Open
			// Positive values alone: every other value is lost, except the
			// ones that read as open (unless Open was given).
			if opts.Negative == nil {
				for _, lv := range counts {
					switch {
					case slices.Contains(s.Label.Positive, lv.level):
					case opts.Open == nil && slices.Contains(openValues, strings.ToLower(lv.level)):
						s.Label.Open = append(s.Label.Open, lv.level)
					case !slices.Contains(s.Label.Open, lv.level):
						s.Label.Negative = append(s.Label.Negative, lv.level)
					}
				}
			}
		}
		info.Label = fmt.Sprintf("%d values: %s", len(counts), strings.Join(parts, ", "))
		if len(s.Label.Positive) == 0 {
			return nil, nil, fmt.Errorf("infer spec: label column %q: cannot tell which of %s means won; set InferOptions.Positive", lc.Name, strings.Join(parts, ", "))
		}
	default:
		return nil, nil, fmt.Errorf("infer spec: label column %q is %v, want string or bool", lc.Name, lc.Type)
	}
	for _, c := range leads.Columns {
		nonNull := c.Len() - c.NullCount()
		nullShare := 0.0
		if c.Len() > 0 {
			nullShare = float64(c.NullCount()) / float64(c.Len())
		}
		distinct := distinctCount(c)
		stats := fmt.Sprintf("%v, %d distinct, %.1f%% null", c.Type, distinct, 100*nullShare)
		cs := ColumnSpec{Name: c.Name, Role: RoleFeature}
		why := ""
		switch {
		case c.Name == s.ID:
			cs.Role, why = RoleID, "the lead id"
		case c.Name == s.Label.Column:
			cs.Role, why = RoleLabel, "the label"
		case c.Name == s.Time:
			cs.Role, why = RoleTime, "the creation time: anchors the cut-off"
		case strings.EqualFold(c.Name, DefaultAccountColumn):
			cs.Role, why = RoleID, "the account id"
		case nameIs(c.Name, postWords):
			cs.Role, why = RoleIgnore, "recorded when the lead closes: it would leak the outcome"
		case c.Type == data.String && nonNull > 0 && float64(distinct) > opts.MaxDistinctShare*float64(nonNull):
			cs.Role, why = RoleIgnore, fmt.Sprintf("%.0f%% of the values are distinct: an identifier", 100*float64(distinct)/float64(nonNull))
		}
		if cs.Role == RoleFeature {
			var kindWhy string
			switch c.Type {
			case data.Float:
				cs.Kind, kindWhy = KindNumeric, "numeric: a float column"
				if ints, lo, skew := numericShape(c); ints && distinct <= 20 && distinct > 2 {
					kindWhy += fmt.Sprintf("; only %d distinct integers: if they are codes, make it categorical", distinct)
				} else if lo >= 0 && skew {
					cs.Log1p = true
					kindWhy += "; non-negative and long-tailed: log1p"
				}
			case data.String:
				cs.Kind, kindWhy = KindCategorical, fmt.Sprintf("categorical: a string column with %d distinct values", distinct)
				if distinct > DefaultMaxLevels {
					kindWhy += fmt.Sprintf("; only the %d most frequent seen ≥ %d times are kept", DefaultMaxLevels, DefaultMinCount)
				}
			case data.Bool:
				cs.Kind, kindWhy = KindBoolean, "boolean: a bool column"
			case data.Time:
				cs.Kind, kindWhy = KindTimestamp, "timestamp: becomes days before the cut-off"
			}
			var groupWhy string
			cs.Group, groupWhy = groupByName(c.Name, GroupFit, cs.Kind == KindNumeric)
			if cs.Group == GroupNegative && cs.Kind == KindNumeric {
				cs.Monotone = -1
			}
			why = kindWhy + "; " + groupWhy
			if w, ok := nameHas(c.Name, segWords); ok && cs.Kind == KindCategorical {
				s.Segments = append(s.Segments, c.Name)
				why += fmt.Sprintf("; also a segment (the name contains %q)", w)
			}
		}
		info.Columns[c.Name] = stats + ": " + why
		s.Columns = append(s.Columns, cs)
	}
	if events != nil {
		e := &EventSpec{}
		tc := events.Col("type")
		if tc == nil || tc.Type != data.String {
			return nil, nil, fmt.Errorf("infer spec: %w", &data.ColumnError{File: "events", Column: "type", Err: data.ErrMissingColumn})
		}
		for _, lv := range levelCounts(tc) {
			g, why := groupByName(lv.level, GroupEngagement, true)
			et := EventType{Name: lv.level, Group: g}
			switch g {
			case GroupNegative:
				et.Monotone = -1
				why += "; monotone -1: more of it never raises the score"
			case GroupIntent:
				et.Monotone = 1
				why += "; monotone +1: more of it never lowers the score"
			}
			e.Types = append(e.Types, et)
			info.Events[lv.level] = fmt.Sprintf("%d events; %s", lv.n, why)
		}
		s.Events = e
	}
	s.setDefaults()
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("infer spec: the guess is invalid:\n%w", err)
	}
	return s, info, nil
}

type levelCount struct {
	level string
	n     int
}

// levelCounts returns a String column's levels, most frequent first.
func levelCounts(c *data.Column) []levelCount {
	n := make([]int, len(c.Dict))
	for i, code := range c.Codes {
		if code >= 0 && !c.IsNull(i) {
			n[code]++
		}
	}
	out := make([]levelCount, 0, len(n))
	for k, v := range n {
		if v > 0 {
			out = append(out, levelCount{c.Dict[k], v})
		}
	}
	slices.SortFunc(out, func(a, b levelCount) int {
		if d := cmp.Compare(b.n, a.n); d != 0 {
			return d
		}
		return cmp.Compare(a.level, b.level)
	})
	return out
}

func distinctCount(c *data.Column) int {
	switch c.Type {
	case data.String:
		return len(levelCounts(c))
	case data.Bool:
		var t, f bool
		for i, b := range c.Bools {
			if !c.IsNull(i) {
				t, f = t || b, f || !b
			}
		}
		n := 0
		if t {
			n++
		}
		if f {
			n++
		}
		return n
	case data.Float:
		m := map[float64]struct{}{}
		for i, v := range c.Floats {
			if !c.IsNull(i) {
				m[v] = struct{}{}
			}
		}
		return len(m)
	case data.Time:
		m := map[int64]struct{}{}
		for i, v := range c.Times {
			if !c.IsNull(i) {
				m[v] = struct{}{}
			}
		}
		return len(m)
	}
	return 0
}

// numericShape reports whether a Float column holds only integers, its
// minimum, and whether it is long-tailed (99th percentile above 10 × the
// median plus 1).
func numericShape(c *data.Column) (ints bool, lo float64, skew bool) {
	var v []float64
	ints, lo = true, math.Inf(1)
	for i, x := range c.Floats {
		if c.IsNull(i) || math.IsNaN(x) {
			continue
		}
		v = append(v, x)
		ints = ints && x == math.Trunc(x)
		lo = min(lo, x)
	}
	if len(v) == 0 {
		return false, 0, false
	}
	slices.Sort(v)
	med, p99 := quantile(v, 0.5), quantile(v, 0.99)
	return ints, lo, p99 > 10*(med+1)
}

// WriteCommentedSpec writes spec as YAML with comments from info (which
// may be nil) explaining each choice. ParseSpec reads the result back.
func WriteCommentedSpec(w io.Writer, spec *Spec, info *InferInfo) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	q := strconv.Quote
	list := func(v []string) string {
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = q(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	comment := func(indent, text string) {
		if text != "" {
			p("%s# %s\n", indent, strings.ReplaceAll(text, "\n", " "))
		}
	}
	p("# leadscore feature spec.\n")
	if info != nil {
		p("# Inferred from %d rows; every choice is a guess, explained in the comment above it.\n", info.Rows)
		for _, n := range info.Notes {
			comment("", "Note: "+n)
		}
	}
	p("# Roles: id, label, time, segment (split models only), feature, ignore.\n")
	p("# Kinds: numeric, categorical, boolean, timestamp. Groups: fit, engagement, intent, negative.\n\n")
	p("id: %s\naccount: %s\ntime: %s\n", q(spec.ID), q(spec.Account), q(spec.Time))
	p("label:\n")
	if info != nil {
		comment("  ", "label column: "+info.Label)
	}
	p("  column: %s\n", q(spec.Label.Column))
	for _, l := range []struct {
		n string
		v []string
	}{{"positive", spec.Label.Positive}, {"negative", spec.Label.Negative}, {"open", spec.Label.Open}} {
		if len(l.v) > 0 {
			p("  %s: %s\n", l.n, list(l.v))
		}
	}
	p("cutoff:\n")
	comment("  ", "a lead is scored this long after it was created; later events are ignored")
	p("  horizon: %s\n", spec.Cutoff.Horizon)
	if spec.Cutoff.Column != "" {
		p("  column: %s\n", q(spec.Cutoff.Column))
	}
	if len(spec.Segments) > 0 {
		comment("", "columns that per-segment models may split on")
		p("segments: %s\n", list(spec.Segments))
	}
	if len(spec.Columns) > 0 {
		p("columns:\n")
	}
	for _, c := range spec.Columns {
		if info != nil {
			comment("  ", c.Name+": "+info.Columns[c.Name])
		}
		p("  - name: %s\n    role: %s\n", q(c.Name), c.Role)
		if c.Kind != 0 {
			p("    kind: %s\n", c.Kind)
		}
		if c.Group != 0 {
			p("    group: %s\n", c.Group)
		}
		if c.Log1p {
			p("    log1p: true\n")
		}
		if c.NonNegative {
			p("    nonnegative: true\n")
		}
		if len(c.Clip) == 2 {
			p("    clip: [%s, %s]\n", fmtFloat(c.Clip[0]), fmtFloat(c.Clip[1]))
		}
		if c.MissingIndicator {
			p("    missing_indicator: true\n")
		}
		if c.MinCount != 0 {
			p("    min_count: %d\n", c.MinCount)
		}
		if c.MaxLevels != 0 {
			p("    max_levels: %d\n", c.MaxLevels)
		}
		if c.Monotone != 0 {
			p("    monotone: %d\n", c.Monotone)
		}
	}
	if e := spec.Events; e != nil {
		p("events:\n  columns:\n    lead_id: %s\n    ts: %s\n    type: %s\n    value: %s\n",
			q(e.Columns.LeadID), q(e.Columns.TS), q(e.Columns.Type), q(e.Columns.Value))
		comment("  ", "decayed counts weigh an event by 2^(-age/half_life)")
		p("  half_life: %s\n  window: %s\n", e.HalfLife, e.Window)
		aggs := make([]string, len(e.Aggregations))
		for i, a := range e.Aggregations {
			aggs[i] = string(a)
		}
		p("  aggregations: [%s]\n", strings.Join(aggs, ", "))
		if e.NoInactivity {
			p("  no_inactivity: true\n")
		}
		if len(e.Types) > 0 {
			p("  types:\n")
		}
		for _, et := range e.Types {
			if info != nil {
				comment("    ", et.Name+": "+info.Events[et.Name])
			}
			p("    - name: %s\n      group: %s\n", q(et.Name), et.Group)
			if et.Monotone != 0 {
				p("      monotone: %d\n", et.Monotone)
			}
			if et.HalfLife != 0 {
				p("      half_life: %s\n", et.HalfLife)
			}
		}
	}
	return bw.Flush()
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
