// Package rules is the points model that answers when no trained model can:
// a YAML file in the language of marketing teams, with points for lead
// attributes and for recent activity, negative points for bad signs, stage
// thresholds on the points total, and a calibration table that turns points
// into a probability.
//
//	version: 2026-11-default
//	horizon: 720h                # scoring cut-off after created_at
//	points:
//	  - name: icp_tier_a
//	    attribute: icp_tier
//	    equals: A
//	    points: 15
//	  - name: demo_requests
//	    event: demo_request
//	    half_life: 336h           # an event 14 days old counts 0.5
//	    points: 20                # per decayed event ...
//	    cap: 40                   # ... at most 40 in all
//	  - name: inactive_60d
//	    inactive_days: 60
//	    points: -10
//	stages: {disqualify: 0, mql: 30, sql: 60}
//
// Each rule has exactly one condition: an attribute test (equals, in,
// range [min, max), exists), an event type whose decayed count before the
// cut-off earns points, or inactive_days. Attribute rules count toward the
// fit sub-score, event and inactivity rules toward engagement.
//
// Score (one lead, from a request) and ScoreTable (columns, for the trainer
// that fits the calibration) share one evaluation path, so a lead gets the
// same points either way.
package rules

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Name is the model name the rules model answers under.
const Name = "rules"

// DefaultHorizon is the scoring cut-off after created_at used when the
// file sets no horizon; it matches the synthetic history's 30 days.
const DefaultHorizon = 30 * 24 * time.Hour

// DefaultSubScoreFull is the number of fit (or engagement) points at which
// the sub-score reaches 100 when sub_scores does not say otherwise.
const DefaultSubScoreFull = 50

// The default calibration, used until a calibration table is fitted:
// p = 1 / (1 + exp(-(points - DefaultCalibrationMidpoint) / DefaultCalibrationScale)).
// 0 points gives 1.8 %, 30 points 11.9 %, 60 points 50 %, 90 points 88 %.
const (
	DefaultCalibrationMidpoint = 60
	DefaultCalibrationScale    = 15
)

// Model is a parsed, validated rules file. Build one with Parse, or fill
// the fields and call Compile. A Model must not be modified once it is
// shared between goroutines; Score and ScoreTable are then safe for
// concurrent use.
type Model struct {
	// Version names this rule set; it is reported as the model version.
	Version string `yaml:"version"`
	// Horizon is the scoring cut-off after created_at when the caller gives
	// no as-of time. Default DefaultHorizon.
	Horizon time.Duration `yaml:"horizon,omitempty"`
	// Points are the rules, evaluated independently and summed.
	Points []Rule `yaml:"points"`
	// Stages are the thresholds on the points total.
	Stages Stages `yaml:"stages"`
	// SubScores scale the fit and engagement points to 0–100.
	SubScores SubScores `yaml:"sub_scores,omitempty"`
	// Calibration maps points to a probability: a piecewise-linear,
	// non-decreasing table fitted on history by FitCalibration. Empty means
	// the default logistic map (DefaultCalibrationMidpoint, …Scale).
	Calibration []CalPoint `yaml:"calibration,omitempty"`

	c *compiled
}

// A Rule earns Points when its one condition holds.
type Rule struct {
	// Name identifies the rule in reasons, e.g. "student".
	Name string `yaml:"name"`
	// Group overrides the reason group: fit, engagement, intent or
	// negative. Default: fit for attribute rules, engagement for event
	// rules, negative for inactivity and for any rule with negative points.
	Group string `yaml:"group,omitempty"`

	// Attribute is the lead attribute an attribute rule tests, with one of
	// Equals, In, Range or Exists.
	Attribute string `yaml:"attribute,omitempty"`
	// Equals matches a string value exactly, a number equal to it, or a
	// boolean when it is "true" or "false".
	Equals *string `yaml:"equals,omitempty"`
	// In matches any of the listed values, compared as for Equals.
	In []string `yaml:"in,omitempty,flow"`
	// Range matches a number in [Range[0], Range[1]); use .inf and -.inf
	// for open ends.
	Range []float64 `yaml:"range,omitempty,flow"`
	// Exists matches when the attribute is present (true) or absent (false).
	Exists *bool `yaml:"exists,omitempty"`

	// Event is the event type an event rule counts. Each event before the
	// cut-off counts exp(-ln2 · age / HalfLife); the rule earns Points per
	// counted event, at most Cap in absolute value (0: no cap).
	Event    string        `yaml:"event,omitempty"`
	HalfLife time.Duration `yaml:"half_life,omitempty"`
	Cap      float64       `yaml:"cap,omitempty"`

	// InactiveDays fires when the lead did nothing (no event of any type,
	// and was not created) in the InactiveDays days before the cut-off.
	InactiveDays int `yaml:"inactive_days,omitempty"`

	// Points earned when the rule fires; negative for bad signs.
	Points float64 `yaml:"points"`
}

// Stages map the points total to a stage: below Disqualify → disqualified,
// below MQL → nurture, below SQL → MQL, else SQL.
type Stages struct {
	Disqualify float64 `yaml:"disqualify"`
	MQL        float64 `yaml:"mql"`
	SQL        float64 `yaml:"sql"`
}

// SubScores are the fit and engagement points at which the sub-scores reach
// 100 (0 means DefaultSubScoreFull). A sub-score is round(100 · points /
// full), clamped to [0, 100].
type SubScores struct {
	FitFull        float64 `yaml:"fit_full,omitempty"`
	EngagementFull float64 `yaml:"engagement_full,omitempty"`
}

// A CalPoint is one knot of the calibration table.
type CalPoint struct {
	Points      float64 `yaml:"points"`
	Probability float64 `yaml:"probability"`
}

// Result is the rules model's answer for one lead.
type Result struct {
	Points      float64
	Probability float64
	Stage       leadscorev1.Stage
	// FitPoints sums the attribute rules; EngagementPoints the event and
	// inactivity rules. Points = FitPoints + EngagementPoints.
	FitPoints, EngagementPoints float64
	// FitScore and EngagementScore are the sub-scores, 0–100 (SubScores).
	FitScore, EngagementScore int32
	// Reasons are the rules that fired, largest |points| first (ties by
	// name).
	Reasons []Reason
	// Warnings report input the rules ignored, e.g. a string where a range
	// rule wants a number.
	Warnings []string
}

// A Reason is one rule that fired.
type Reason struct {
	Rule   string
	Value  string // the lead's value, formatted for humans
	Points float64
	Group  leadscorev1.FeatureGroup
}

// Parse reads a rules file. Unknown keys are errors (with their line), and
// the model is validated and compiled.
func Parse(b []byte) (*Model, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if len(m.Calibration) == 0 {
		m.Calibration = nil
	}
	if err := m.Compile(); err != nil {
		return nil, err
	}
	return &m, nil
}

// MarshalText writes m as YAML that Parse reads back into an equal Model.
func (m *Model) MarshalText() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	// plain drops the methods, or the encoder would call MarshalText again.
	type plain Model
	if err := enc.Encode((*plain)(m)); err != nil {
		return nil, fmt.Errorf("rules: marshal: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rules: marshal: %w", err)
	}
	return buf.Bytes(), nil
}

// Validate reports every problem of m, one per line.
func (m *Model) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.Horizon < 0 {
		bad("rules: horizon %v must not be negative", m.Horizon)
	}
	if len(m.Points) == 0 {
		bad("rules: no points rules")
	}
	seen := make(map[string]bool, len(m.Points))
	for i, r := range m.Points {
		where := fmt.Sprintf("rules: points[%d] (%q)", i, r.Name)
		if r.Name == "" {
			bad("%s: name missing", where)
		} else if seen[r.Name] {
			bad("%s: duplicate name", where)
		}
		seen[r.Name] = true
		if !finite(r.Points) {
			bad("%s: points %v must be finite", where, r.Points)
		}
		if _, err := groupOf(r.Group); err != nil {
			bad("%s: %v", where, err)
		}
		kinds := 0
		for _, set := range []bool{r.Attribute != "", r.Event != "", r.InactiveDays != 0} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			bad("%s: exactly one of attribute, event or inactive_days must be set", where)
			continue
		}
		attrOnly := r.Equals != nil || r.In != nil || r.Range != nil || r.Exists != nil
		eventOnly := r.HalfLife != 0 || r.Cap != 0
		switch {
		case r.Attribute != "":
			conds := 0
			for _, set := range []bool{r.Equals != nil, r.In != nil, r.Range != nil, r.Exists != nil} {
				if set {
					conds++
				}
			}
			if conds != 1 {
				bad("%s: attribute %q needs exactly one of equals, in, range, exists", where, r.Attribute)
			}
			if r.In != nil && len(r.In) == 0 {
				bad("%s: in: empty list", where)
			}
			if r.Range != nil {
				if len(r.Range) != 2 {
					bad("%s: range: want [min, max), got %d values", where, len(r.Range))
				} else if math.IsNaN(r.Range[0]) || math.IsNaN(r.Range[1]) || !(r.Range[0] < r.Range[1]) {
					bad("%s: range [%v, %v): min must be below max", where, r.Range[0], r.Range[1])
				}
			}
			if eventOnly {
				bad("%s: half_life and cap apply to event rules only", where)
			}
		case r.Event != "":
			if attrOnly {
				bad("%s: equals, in, range and exists apply to attribute rules only", where)
			}
			if r.HalfLife <= 0 {
				bad("%s: event %q needs a positive half_life, got %v", where, r.Event, r.HalfLife)
			}
			if !(r.Cap >= 0) || math.IsInf(r.Cap, 0) {
				bad("%s: cap %v must be a finite number >= 0 (0: no cap)", where, r.Cap)
			}
		default:
			if attrOnly || eventOnly {
				bad("%s: inactive_days takes no condition, half_life or cap", where)
			}
			if r.InactiveDays < 0 {
				bad("%s: inactive_days %d must be positive", where, r.InactiveDays)
			}
		}
	}
	s := m.Stages
	if !finite(s.Disqualify) || !finite(s.MQL) || !finite(s.SQL) || !(s.Disqualify <= s.MQL && s.MQL <= s.SQL) {
		bad("rules: stages must satisfy disqualify <= mql <= sql, got %v, %v, %v", s.Disqualify, s.MQL, s.SQL)
	}
	for _, v := range []float64{m.SubScores.FitFull, m.SubScores.EngagementFull} {
		if !(v >= 0) || math.IsInf(v, 0) {
			bad("rules: sub_scores: %v must be a finite number >= 0", v)
		}
	}
	for i, p := range m.Calibration {
		if !finite(p.Points) || !(p.Probability >= 0 && p.Probability <= 1) {
			bad("rules: calibration[%d]: points %v must be finite and probability %v in [0, 1]", i, p.Points, p.Probability)
			continue
		}
		if i > 0 {
			q := m.Calibration[i-1]
			if !(p.Points > q.Points) || p.Probability < q.Probability {
				bad("rules: calibration[%d]: points must increase and probabilities must not decrease (%v→%v after %v→%v)",
					i, p.Points, p.Probability, q.Points, q.Probability)
			}
		}
	}
	return errors.Join(errs...)
}

// Compile validates m and prepares it for scoring. Parse calls it; call it
// yourself after building or changing a Model in code.
func (m *Model) Compile() error {
	if err := m.Validate(); err != nil {
		return err
	}
	m.c = compile(m)
	return nil
}

// Calibrate maps a points total to a probability in [0, 1].
func (m *Model) Calibrate(points float64) float64 {
	cal := m.Calibration
	if len(cal) == 0 {
		return 1 / (1 + math.Exp(-(points-DefaultCalibrationMidpoint)/DefaultCalibrationScale))
	}
	if points <= cal[0].Points {
		return cal[0].Probability
	}
	last := cal[len(cal)-1]
	if points >= last.Points {
		return last.Probability
	}
	lo, hi := 0, len(cal)-1 // cal[lo].Points < points < cal[hi].Points
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if cal[mid].Points <= points {
			lo = mid
		} else {
			hi = mid
		}
	}
	a, b := cal[lo], cal[hi]
	t := (points - a.Points) / (b.Points - a.Points)
	return a.Probability + t*(b.Probability-a.Probability)
}

// StageOf maps a points total to a stage.
func (m *Model) StageOf(points float64) leadscorev1.Stage {
	switch s := m.Stages; {
	case points < s.Disqualify:
		return leadscorev1.Stage_STAGE_DISQUALIFIED
	case points < s.MQL:
		return leadscorev1.Stage_STAGE_NURTURE
	case points < s.SQL:
		return leadscorev1.Stage_STAGE_MQL
	}
	return leadscorev1.Stage_STAGE_SQL
}

// HorizonOrDefault returns the horizon, or DefaultHorizon when unset.
func (m *Model) HorizonOrDefault() time.Duration {
	if m.Horizon > 0 {
		return m.Horizon
	}
	return DefaultHorizon
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func groupOf(s string) (leadscorev1.FeatureGroup, error) {
	switch s {
	case "":
		return leadscorev1.FeatureGroup_FEATURE_GROUP_UNSPECIFIED, nil
	case "fit":
		return leadscorev1.FeatureGroup_FEATURE_GROUP_FIT, nil
	case "engagement":
		return leadscorev1.FeatureGroup_FEATURE_GROUP_ENGAGEMENT, nil
	case "intent":
		return leadscorev1.FeatureGroup_FEATURE_GROUP_INTENT, nil
	case "negative":
		return leadscorev1.FeatureGroup_FEATURE_GROUP_NEGATIVE, nil
	}
	return 0, fmt.Errorf("group %q: want fit, engagement, intent or negative", s)
}

// formatNumber formats x for reasons and comparisons: shortest exact form.
func formatNumber(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func isTrue(s string) bool  { return strings.EqualFold(s, "true") }
func isFalse(s string) bool { return strings.EqualFold(s, "false") }
