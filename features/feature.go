package features

import (
	"fmt"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Group is the axis a feature belongs to. The zero value means "not set"
// and only appears in a Spec before defaults are applied.
type Group uint8

// The feature groups; the numbers equal leadscorev1.FeatureGroup's.
const (
	GroupFit        Group = 1 // who the lead is
	GroupEngagement Group = 2 // what the lead did
	GroupIntent     Group = 3 // decision-oriented actions
	GroupNegative   Group = 4 // signals against conversion
)

var groupNames = [...]string{GroupFit: "fit", GroupEngagement: "engagement", GroupIntent: "intent", GroupNegative: "negative"}

func (g Group) valid() bool { return g >= GroupFit && g <= GroupNegative }

// String returns "fit", "engagement", "intent" or "negative".
func (g Group) String() string {
	if g.valid() {
		return groupNames[g]
	}
	return fmt.Sprintf("Group(%d)", uint8(g))
}

// Proto returns the group as the gRPC enum.
func (g Group) Proto() leadscorev1.FeatureGroup {
	if !g.valid() {
		return leadscorev1.FeatureGroup_FEATURE_GROUP_UNSPECIFIED
	}
	return leadscorev1.FeatureGroup(g)
}

// MarshalText implements encoding.TextMarshaler.
func (g Group) MarshalText() ([]byte, error) {
	if !g.valid() {
		return nil, fmt.Errorf("invalid group %d", uint8(g))
	}
	return []byte(groupNames[g]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (g *Group) UnmarshalText(b []byte) error {
	for i, n := range groupNames {
		if i > 0 && n == string(b) {
			*g = Group(i)
			return nil
		}
	}
	return fmt.Errorf("group %q is not one of fit, engagement, intent, negative", b)
}

// FeatureKind is how a feature is encoded. The zero value means "not set"
// and only appears in a Spec, where Fit resolves it from the column type.
type FeatureKind uint8

// The feature kinds.
const (
	KindNumeric     FeatureKind = 1 // a number, clipped (and log1p'd if asked)
	KindCategorical FeatureKind = 2 // a level code 0..K−1
	KindBoolean     FeatureKind = 3 // 0 or 1
	KindTimestamp   FeatureKind = 4 // days before the cut-off
	KindEvent       FeatureKind = 5 // an aggregate of events before the cut-off
)

var kindNames = [...]string{KindNumeric: "numeric", KindCategorical: "categorical", KindBoolean: "boolean", KindTimestamp: "timestamp", KindEvent: "event"}

func (k FeatureKind) valid() bool { return k >= KindNumeric && k <= KindEvent }

func (k FeatureKind) validColumnKind() bool { return k >= KindNumeric && k <= KindTimestamp }

// String returns the kind's name as used in specs and in FeatureInfo.kind.
func (k FeatureKind) String() string {
	if k.valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("FeatureKind(%d)", uint8(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k FeatureKind) MarshalText() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("invalid feature kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *FeatureKind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if i > 0 && n == string(b) {
			*k = FeatureKind(i)
			return nil
		}
	}
	return fmt.Errorf("kind %q is not one of numeric, categorical, boolean, timestamp, event", b)
}

// A Feature is one slot of the tree-view vector.
type Feature struct {
	// Name is the column name for attribute features, and
	// "<type>.count_window", "<type>.decayed_count", "<type>.days_since_last"
	// or "days_since_any_event" for event features.
	Name string
	// Group is the feature's axis.
	Group Group
	// Kind is how the value is encoded.
	Kind FeatureKind
	// Source is the leads-table column, or the event type ("" for
	// days_since_any_event).
	Source string
	// Levels are the categorical levels: Levels[code] is the level of code.
	// The last two are the pooled rare levels ("other") and levels never
	// seen in training ("unseen"). Nil for other kinds.
	Levels []string
	// Monotone is the constraint a tree learner may impose: -1, 0 or 1.
	Monotone int8
	// FromEvent is true for features computed from events (the engagement
	// axis, even for group negative) and false for attributes (the fit axis).
	FromEvent bool
	// Log1p reports that the tree-view value is log(1+x) of the raw value
	// (so a reason shows expm1 of it). Set by Transformer.Features.
	Log1p bool `json:"-"`
}

// Names of the pooled categorical levels (made unique if the data uses them).
const (
	LevelOther  = "other"
	LevelUnseen = "unseen"
)
