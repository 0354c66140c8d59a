package features

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults applied by ParseSpec (and by Fit to a Spec built in code).
const (
	DefaultIDColumn      = "lead_id"
	DefaultAccountColumn = "account_id"
	DefaultTimeColumn    = "created_at"
	DefaultLabelColumn   = "outcome"
	DefaultHorizon       = 720 * time.Hour  // 30 days
	DefaultHalfLife      = 720 * time.Hour  // 30 days
	DefaultWindow        = 2160 * time.Hour // 90 days
	DefaultMinCount      = 20
	DefaultMaxLevels     = 250
	DefaultClipLo        = 0.001
	DefaultClipHi        = 0.999
)

// A Spec says which columns of a leads table (and of an optional events
// table) become features, and how. It is written by hand or by
// WriteCommentedSpec, read with ParseSpec, and stored in the model artifact
// inside the Transformer. A zero field means the default documented on it.
type Spec struct {
	// ID is the lead id column. Default "lead_id".
	ID string `yaml:"id,omitempty"`
	// Account is the account id column. Default "account_id".
	Account string `yaml:"account,omitempty"`
	// Time is the creation timestamp column; it anchors the cut-off.
	// Default "created_at".
	Time string `yaml:"time,omitempty"`
	// Label says how the outcome column maps to won / lost / open.
	Label LabelSpec `yaml:"label"`
	// Cutoff says when a lead is scored.
	Cutoff CutoffSpec `yaml:"cutoff"`
	// Segments lists the columns usable for per-segment models.
	Segments []string `yaml:"segments,omitempty"`
	// Columns lists the leads-table columns and their roles. Only columns
	// with role "feature" enter the vector, in this order.
	Columns []ColumnSpec `yaml:"columns,omitempty"`
	// Events, if set, turns the events table into features.
	Events *EventSpec `yaml:"events,omitempty"`
}

// LabelSpec maps outcome values to labels. A Bool label column needs no
// value lists: true is won, false is lost, null is open.
type LabelSpec struct {
	// Column is the outcome column. Default "outcome".
	Column string `yaml:"column,omitempty"`
	// Positive values mean won. Default [won] (when all three lists are empty).
	Positive []string `yaml:"positive,omitempty"`
	// Negative values mean lost. Default [lost].
	Negative []string `yaml:"negative,omitempty"`
	// Open values mean undecided; such rows are left out of training.
	// Default [open].
	Open []string `yaml:"open,omitempty"`
}

// CutoffSpec says when a lead is scored: events at or after the cut-off are
// ignored, and timestamp columns are measured in days before it.
type CutoffSpec struct {
	// Horizon is added to the creation time. Default 720h (30 days).
	Horizon time.Duration `yaml:"horizon,omitempty"`
	// Column, if set, is a timestamp column holding an explicit cut-off;
	// where it is null, created_at + Horizon is used.
	Column string `yaml:"column,omitempty"`
}

// Role is what a column is used for.
type Role string

// The column roles.
const (
	RoleID      Role = "id"
	RoleLabel   Role = "label"
	RoleTime    Role = "time"
	RoleSegment Role = "segment" // usable to split models; not a feature
	RoleFeature Role = "feature"
	RoleIgnore  Role = "ignore"
)

func (r Role) valid() bool {
	switch r {
	case RoleID, RoleLabel, RoleTime, RoleSegment, RoleFeature, RoleIgnore:
		return true
	}
	return false
}

// ColumnSpec describes one leads-table column.
type ColumnSpec struct {
	// Name is the column name. Required.
	Name string `yaml:"name"`
	// Role defaults to "feature".
	Role Role `yaml:"role,omitempty"`
	// Kind is numeric, categorical, boolean or timestamp. Empty means: from
	// the table's column type at Fit (float → numeric, string → categorical,
	// bool → boolean, timestamp → timestamp).
	Kind FeatureKind `yaml:"kind,omitempty"`
	// Group is the feature's axis. Default fit.
	Group Group `yaml:"group,omitempty"`
	// Log1p applies log(1+x) after clipping (numeric only). It implies
	// NonNegative.
	Log1p bool `yaml:"log1p,omitempty"`
	// NonNegative makes a negative value missing, with a warning at serving.
	NonNegative bool `yaml:"nonnegative,omitempty"`
	// Clip holds the lower and upper training quantiles the value is clipped
	// to (numeric and timestamp). Default [0.001, 0.999]; [0, 1] clips to
	// the training range.
	Clip []float64 `yaml:"clip,flow,omitempty"`
	// NoClip turns clipping off. Use it for columns whose future values
	// may leave the training range on purpose (macro-economic indicators,
	// prices): clipping would flatten exactly the change the model should
	// see. Clip must then be empty.
	NoClip bool `yaml:"no_clip,omitempty"`
	// MissingIndicator adds a 0/1 "missing" column to the linear view even
	// when the training rows had no missing values.
	MissingIndicator bool `yaml:"missing_indicator,omitempty"`
	// MinCount is the number of training rows a categorical level needs to
	// be kept; rarer levels are pooled into "other". Default 20.
	MinCount int `yaml:"min_count,omitempty"`
	// MaxLevels caps the kept levels, most frequent first. Default 250.
	MaxLevels int `yaml:"max_levels,omitempty"`
	// Monotone is the constraint a tree learner may impose: -1, 0 or 1.
	Monotone int8 `yaml:"monotone,omitempty"`
}

// EventSpec turns an events table (one row per event) into per-type
// aggregate features as of each lead's cut-off.
type EventSpec struct {
	// Columns names the events-table columns.
	Columns EventColumns `yaml:"columns"`
	// HalfLife of the decayed count. Default 720h (30 days).
	HalfLife time.Duration `yaml:"half_life,omitempty"`
	// Window of count_window. Default 2160h (90 days).
	Window time.Duration `yaml:"window,omitempty"`
	// Aggregations computed per type. Default all three:
	// [count_window, decayed, days_since_last].
	Aggregations []Aggregation `yaml:"aggregations,flow,omitempty"`
	// NoInactivity drops the days_since_any_event feature (group negative).
	NoInactivity bool `yaml:"no_inactivity,omitempty"`
	// Types lists the event types that become features; other types only
	// count towards inactivity.
	Types []EventType `yaml:"types,omitempty"`
}

// EventColumns names the columns of the events table.
type EventColumns struct {
	LeadID string `yaml:"lead_id,omitempty"` // default "lead_id"
	TS     string `yaml:"ts,omitempty"`      // default "ts"
	Type   string `yaml:"type,omitempty"`    // default "type"
	Value  string `yaml:"value,omitempty"`   // default "value"; optional in the table
}

// EventType is one event type that becomes features.
type EventType struct {
	// Name is the value of the type column. Required.
	Name string `yaml:"name"`
	// Group defaults to engagement.
	Group Group `yaml:"group,omitempty"`
	// Monotone constraint for all of this type's features, in the direction
	// of "more / more recent events": -1, 0 or 1 (days_since_last gets the
	// opposite sign).
	Monotone int8 `yaml:"monotone,omitempty"`
	// HalfLife overrides EventSpec.HalfLife for this type.
	HalfLife time.Duration `yaml:"half_life,omitempty"`
}

// Aggregation is one per-type event feature.
type Aggregation string

// The event aggregations.
const (
	// AggCountWindow counts events in [cut-off − window, cut-off).
	AggCountWindow Aggregation = "count_window"
	// AggDecayed sums exp(−ln2·age/half_life) over events before the cut-off.
	AggDecayed Aggregation = "decayed"
	// AggDaysSinceLast is the age in days of the last event before the cut-off.
	AggDaysSinceLast Aggregation = "days_since_last"
)

func (a Aggregation) valid() bool {
	return a == AggCountWindow || a == AggDecayed || a == AggDaysSinceLast
}

// ParseSpec decodes a YAML spec, rejecting unknown fields, fills in the
// defaults and validates it.
func ParseSpec(b []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	s.setDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("invalid spec:\n%w", err)
	}
	return &s, nil
}

// MarshalText writes the spec as YAML that ParseSpec reads back.
func (s *Spec) MarshalText() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	type plain Spec // without MarshalText, which yaml would call
	if err := enc.Encode((*plain)(s)); err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	return buf.Bytes(), nil
}

func nilIfEmpty[T any](v []T) []T {
	if len(v) == 0 {
		return nil
	}
	return v
}

// setDefaults fills every defaulted field, and normalises empty lists to
// nil so that a spec survives a YAML round trip unchanged.
func (s *Spec) setDefaults() {
	if s.ID == "" {
		s.ID = DefaultIDColumn
	}
	if s.Account == "" {
		s.Account = DefaultAccountColumn
	}
	if s.Time == "" {
		s.Time = DefaultTimeColumn
	}
	if s.Label.Column == "" {
		s.Label.Column = DefaultLabelColumn
	}
	l := &s.Label
	if len(l.Positive) == 0 && len(l.Negative) == 0 && len(l.Open) == 0 {
		l.Positive, l.Negative, l.Open = []string{"won"}, []string{"lost"}, []string{"open"}
	}
	l.Positive, l.Negative, l.Open = nilIfEmpty(l.Positive), nilIfEmpty(l.Negative), nilIfEmpty(l.Open)
	if s.Cutoff.Horizon == 0 {
		s.Cutoff.Horizon = DefaultHorizon
	}
	s.Segments = nilIfEmpty(s.Segments)
	s.Columns = nilIfEmpty(s.Columns)
	for i := range s.Columns {
		c := &s.Columns[i]
		if c.Role == "" {
			c.Role = RoleFeature
		}
		if c.Role != RoleFeature {
			continue
		}
		if c.Group == 0 {
			c.Group = GroupFit
		}
		switch c.Kind {
		case KindNumeric, KindTimestamp, 0:
			if len(c.Clip) == 0 && !c.NoClip {
				c.Clip = []float64{DefaultClipLo, DefaultClipHi}
			}
		}
		if c.Kind == KindCategorical || c.Kind == 0 {
			if c.MinCount == 0 {
				c.MinCount = DefaultMinCount
			}
			if c.MaxLevels == 0 {
				c.MaxLevels = DefaultMaxLevels
			}
		}
	}
	if e := s.Events; e != nil {
		if e.Columns.LeadID == "" {
			e.Columns.LeadID = "lead_id"
		}
		if e.Columns.TS == "" {
			e.Columns.TS = "ts"
		}
		if e.Columns.Type == "" {
			e.Columns.Type = "type"
		}
		if e.Columns.Value == "" {
			e.Columns.Value = "value"
		}
		if e.HalfLife == 0 {
			e.HalfLife = DefaultHalfLife
		}
		if e.Window == 0 {
			e.Window = DefaultWindow
		}
		if len(e.Aggregations) == 0 {
			e.Aggregations = []Aggregation{AggCountWindow, AggDecayed, AggDaysSinceLast}
		}
		e.Types = nilIfEmpty(e.Types)
		for i := range e.Types {
			if e.Types[i].Group == 0 {
				e.Types[i].Group = GroupEngagement
			}
		}
	}
}

// Validate reports every problem of the spec, one per line. It expects the
// defaults to be filled in (ParseSpec does that).
func (s *Spec) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, f := range []struct{ name, v string }{{"id", s.ID}, {"time", s.Time}, {"label.column", s.Label.Column}} {
		if f.v == "" {
			add("%s: missing", f.name)
		}
	}
	seenLabel := map[string]string{}
	for _, l := range []struct {
		name string
		v    []string
	}{{"positive", s.Label.Positive}, {"negative", s.Label.Negative}, {"open", s.Label.Open}} {
		for _, v := range l.v {
			if prev, ok := seenLabel[v]; ok {
				add("label.%s: value %q is also in label.%s", l.name, v, prev)
			}
			seenLabel[v] = l.name
		}
	}
	if s.Cutoff.Horizon <= 0 {
		add("cutoff.horizon: %v must be positive", s.Cutoff.Horizon)
	}
	names := map[string]int{}
	features := 0
	for i, c := range s.Columns {
		p := fmt.Sprintf("columns[%d] (%q)", i, c.Name)
		if c.Name == "" {
			add("columns[%d].name: missing", i)
		}
		if j, ok := names[c.Name]; ok && c.Name != "" {
			add("%s: duplicate of columns[%d]", p, j)
		}
		names[c.Name] = i
		if !c.Role.valid() {
			add("%s.role: %q is not one of id, label, time, segment, feature, ignore", p, c.Role)
		}
		if c.Kind != 0 && !c.Kind.validColumnKind() {
			add("%s.kind: %v is not one of numeric, categorical, boolean, timestamp", p, c.Kind)
		}
		if c.Group != 0 && !c.Group.valid() {
			add("%s.group: %v is not one of fit, engagement, intent, negative", p, c.Group)
		}
		if c.Monotone < -1 || c.Monotone > 1 {
			add("%s.monotone: %d must be -1, 0 or 1", p, c.Monotone)
		}
		if c.Role != RoleFeature {
			continue
		}
		features++
		if c.Name == s.ID || c.Name == s.Time || c.Name == s.Label.Column {
			add("%s: the id, time and label columns cannot be features", p)
		}
		if c.Log1p && c.Kind != 0 && c.Kind != KindNumeric {
			add("%s.log1p: only for numeric columns, not %v", p, c.Kind)
		}
		if c.NoClip && len(c.Clip) != 0 {
			add("%s: no_clip with clip %v: give one or the other", p, c.Clip)
		}
		if len(c.Clip) != 0 {
			if len(c.Clip) != 2 {
				add("%s.clip: want [lo, hi], got %d values", p, len(c.Clip))
			} else if lo, hi := c.Clip[0], c.Clip[1]; !(lo >= 0 && lo <= hi && hi <= 1) {
				add("%s.clip: [%v, %v] must be quantiles with 0 <= lo <= hi <= 1", p, lo, hi)
			}
		}
		if c.MinCount < 0 {
			add("%s.min_count: %d must not be negative", p, c.MinCount)
		}
		if c.MaxLevels < 0 {
			add("%s.max_levels: %d must not be negative", p, c.MaxLevels)
		}
	}
	if s.Cutoff.Column != "" {
		if i, ok := names[s.Cutoff.Column]; ok && s.Columns[i].Role == RoleFeature {
			add("cutoff.column: %q cannot also be a feature", s.Cutoff.Column)
		}
	}
	for i, seg := range s.Segments {
		if seg == "" {
			add("segments[%d]: empty name", i)
		} else if j, ok := names[seg]; !ok {
			add("segments[%d]: %q is not in columns", i, seg)
		} else if r := s.Columns[j].Role; r != RoleFeature && r != RoleSegment {
			add("segments[%d]: column %q has role %s, want segment or feature", i, seg, r)
		}
	}
	if e := s.Events; e != nil {
		features += len(e.Types) * len(e.Aggregations)
		if !e.NoInactivity {
			features++
		}
		if e.Columns.LeadID == "" || e.Columns.TS == "" || e.Columns.Type == "" {
			add("events.columns: lead_id, ts and type are required")
		}
		if e.HalfLife <= 0 {
			add("events.half_life: %v must be positive", e.HalfLife)
		}
		if e.Window <= 0 {
			add("events.window: %v must be positive", e.Window)
		}
		seenAgg := map[Aggregation]bool{}
		for i, a := range e.Aggregations {
			if !a.valid() {
				add("events.aggregations[%d]: %q is not one of count_window, decayed, days_since_last", i, a)
			}
			if seenAgg[a] {
				add("events.aggregations[%d]: duplicate %q", i, a)
			}
			seenAgg[a] = true
		}
		seenType := map[string]int{}
		for i, et := range e.Types {
			p := fmt.Sprintf("events.types[%d] (%q)", i, et.Name)
			if et.Name == "" {
				add("events.types[%d].name: missing", i)
			}
			if j, ok := seenType[et.Name]; ok {
				add("%s: duplicate of events.types[%d]", p, j)
			}
			seenType[et.Name] = i
			if !et.Group.valid() {
				add("%s.group: %v is not one of fit, engagement, intent, negative", p, et.Group)
			}
			if et.Monotone < -1 || et.Monotone > 1 {
				add("%s.monotone: %d must be -1, 0 or 1", p, et.Monotone)
			}
			if et.HalfLife < 0 {
				add("%s.half_life: %v must not be negative", p, et.HalfLife)
			}
		}
	}
	if features == 0 {
		add("no features: give columns with role feature, or events types")
	}
	return errors.Join(errs...)
}

// clone returns a deep copy of s.
func (s *Spec) clone() *Spec {
	c := *s
	c.Label.Positive = append([]string(nil), s.Label.Positive...)
	c.Label.Negative = append([]string(nil), s.Label.Negative...)
	c.Label.Open = append([]string(nil), s.Label.Open...)
	c.Segments = append([]string(nil), s.Segments...)
	c.Columns = append([]ColumnSpec(nil), s.Columns...)
	for i := range c.Columns {
		c.Columns[i].Clip = append([]float64(nil), s.Columns[i].Clip...)
	}
	if s.Events != nil {
		e := *s.Events
		e.Aggregations = append([]Aggregation(nil), e.Aggregations...)
		e.Types = append([]EventType(nil), e.Types...)
		c.Events = &e
	}
	c.setDefaults()
	return &c
}
