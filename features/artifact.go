package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// FormatVersion is the version of the serialised Transformer. UnmarshalJSON
// rejects other versions.
const FormatVersion = 1

type transformerJSON struct {
	Format   int           `json:"format"`
	Spec     string        `json:"spec"` // YAML, as MarshalText writes it
	Features []featureJSON `json:"features"`
}

type featureJSON struct {
	Name      string   `json:"name"`
	Group     string   `json:"group"`
	Kind      string   `json:"kind"`
	Source    string   `json:"source,omitempty"`
	Monotone  int8     `json:"monotone,omitempty"`
	FromEvent bool     `json:"from_event,omitempty"`
	Levels    []string `json:"levels,omitempty"` // kept levels then other, unseen
	Pooled    []string `json:"pooled,omitempty"`
	Clip      bool     `json:"clip,omitempty"`
	Lo        float64  `json:"lo,omitempty"`
	Hi        float64  `json:"hi,omitempty"`
	Mean      float64  `json:"mean"`
	Std       float64  `json:"std"`
	Indicator bool     `json:"missing_indicator,omitempty"`
}

// MarshalJSON writes the transformer (spec and fitted state) with its
// format version.
func (t *Transformer) MarshalJSON() ([]byte, error) {
	spec, err := t.spec.MarshalText()
	if err != nil {
		return nil, err
	}
	j := transformerJSON{Format: FormatVersion, Spec: string(spec), Features: make([]featureJSON, len(t.feats))}
	for i := range t.feats {
		f := &t.feats[i]
		fj := featureJSON{
			Name: f.Name, Group: f.Group.String(), Kind: f.Kind.String(), Source: f.Source,
			Monotone: f.Monotone, FromEvent: f.FromEvent,
			Clip: f.clip, Lo: f.lo, Hi: f.hi, Mean: f.mean, Std: f.std, Indicator: f.indicator,
		}
		if f.Kind == KindCategorical {
			fj.Levels = f.Levels
			fj.Pooled = make([]string, 0, len(f.pooled))
			for l := range f.pooled {
				fj.Pooled = append(fj.Pooled, l)
			}
			slices.Sort(fj.Pooled)
		}
		j.Features[i] = fj
	}
	return json.Marshal(j)
}

// UnmarshalJSON loads a transformer written by MarshalJSON and validates
// it: the spec must parse, the features must be exactly those the spec
// defines, and every fitted number must be usable. A corrupt input is an
// error, never a panic.
func (t *Transformer) UnmarshalJSON(b []byte) error {
	var j transformerJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("load transformer: %w", err)
	}
	if j.Format != FormatVersion {
		return fmt.Errorf("load transformer: format version %d, want %d", j.Format, FormatVersion)
	}
	spec, err := ParseSpec([]byte(j.Spec))
	if err != nil {
		return fmt.Errorf("load transformer: %w", err)
	}
	for _, c := range spec.Columns {
		if c.Role == RoleFeature && !c.Kind.validColumnKind() {
			return fmt.Errorf("load transformer: column %q: kind not resolved", c.Name)
		}
	}
	nt, err := newSkeleton(spec)
	if err != nil {
		return fmt.Errorf("load transformer: %w", err)
	}
	if len(j.Features) != len(nt.feats) {
		return fmt.Errorf("load transformer: %d features, the spec defines %d", len(j.Features), len(nt.feats))
	}
	for i := range nt.feats {
		f, fj := &nt.feats[i], &j.Features[i]
		if fj.Name != f.Name || fj.Kind != f.Kind.String() || fj.Group != f.Group.String() || fj.Source != f.Source ||
			fj.Monotone != f.Monotone || fj.FromEvent != f.FromEvent {
			return fmt.Errorf("load transformer: feature %d (%q %s %s) differs from the spec's (%q %s %s)",
				i, fj.Name, fj.Kind, fj.Group, f.Name, f.Kind, f.Group)
		}
		if f.Kind == KindCategorical {
			if len(fj.Levels) < 2 {
				return fmt.Errorf("load transformer: feature %q: %d levels, want at least other and unseen", f.Name, len(fj.Levels))
			}
			kept := fj.Levels[:len(fj.Levels)-2]
			f.setLevels(kept, fj.Pooled)
			if len(f.levelIndex) != len(kept) || !equalStrings(f.Levels, fj.Levels) {
				return fmt.Errorf("load transformer: feature %q: levels are not distinct or other/unseen are misnamed", f.Name)
			}
		} else if fj.Levels != nil || fj.Pooled != nil {
			return fmt.Errorf("load transformer: feature %q: levels on a %s feature", f.Name, f.Kind)
		}
		f.clip, f.lo, f.hi = fj.Clip, fj.Lo, fj.Hi
		f.mean, f.std, f.indicator = fj.Mean, fj.Std, fj.Indicator
	}
	nt.buildLinear()
	if err := nt.Validate(); err != nil {
		return fmt.Errorf("load transformer: %w", err)
	}
	*t = *nt
	t.scratch = &sync.Pool{New: func() any { return t.newInput() }}
	return nil
}

// Validate checks the fitted state: finite clip bounds with lo ≤ hi, finite
// means, positive finite standard deviations.
func (t *Transformer) Validate() error {
	var errs []error
	for i := range t.feats {
		f := &t.feats[i]
		if f.clip && !(f.lo <= f.hi && !math.IsInf(f.lo, 0) && !math.IsInf(f.hi, 0)) {
			errs = append(errs, fmt.Errorf("feature %q: clip bounds [%v, %v]", f.Name, f.lo, f.hi))
		}
		if math.IsNaN(f.mean) || math.IsInf(f.mean, 0) || !(f.std > 0) || math.IsInf(f.std, 0) {
			errs = append(errs, fmt.Errorf("feature %q: mean %v, std %v", f.Name, f.mean, f.std))
		}
		if f.clip && f.Kind != KindNumeric && f.Kind != KindTimestamp {
			errs = append(errs, fmt.Errorf("feature %q: clip on a %s feature", f.Name, f.Kind))
		}
	}
	return errors.Join(errs...)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
