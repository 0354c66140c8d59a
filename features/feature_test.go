package features

import (
	"testing"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// TestEnums walks every enum value: names, text round trip, proto mapping.
func TestEnums(t *testing.T) {
	groups := []struct {
		g     Group
		name  string
		proto leadscorev1.FeatureGroup
	}{
		{GroupFit, "fit", leadscorev1.FeatureGroup_FEATURE_GROUP_FIT},
		{GroupEngagement, "engagement", leadscorev1.FeatureGroup_FEATURE_GROUP_ENGAGEMENT},
		{GroupIntent, "intent", leadscorev1.FeatureGroup_FEATURE_GROUP_INTENT},
		{GroupNegative, "negative", leadscorev1.FeatureGroup_FEATURE_GROUP_NEGATIVE},
		{0, "Group(0)", leadscorev1.FeatureGroup_FEATURE_GROUP_UNSPECIFIED},
		{9, "Group(9)", leadscorev1.FeatureGroup_FEATURE_GROUP_UNSPECIFIED},
	}
	for _, c := range groups {
		if c.g.String() != c.name || c.g.Proto() != c.proto {
			t.Errorf("Group %d: %q %v, want %q %v", c.g, c.g.String(), c.g.Proto(), c.name, c.proto)
		}
		b, err := c.g.MarshalText()
		if !c.g.valid() {
			if err == nil {
				t.Errorf("Group %d marshals", c.g)
			}
			continue
		}
		var back Group
		if err != nil || back.UnmarshalText(b) != nil || back != c.g {
			t.Errorf("Group %d: text round trip gives %v (%v)", c.g, back, err)
		}
	}
	kinds := []struct {
		k    FeatureKind
		name string
	}{{KindNumeric, "numeric"}, {KindCategorical, "categorical"}, {KindBoolean, "boolean"}, {KindTimestamp, "timestamp"}, {KindEvent, "event"}, {0, "FeatureKind(0)"}, {6, "FeatureKind(6)"}}
	for _, c := range kinds {
		if c.k.String() != c.name {
			t.Errorf("FeatureKind %d: %q, want %q", c.k, c.k.String(), c.name)
		}
		b, err := c.k.MarshalText()
		if !c.k.valid() {
			if err == nil {
				t.Errorf("FeatureKind %d marshals", c.k)
			}
			continue
		}
		var back FeatureKind
		if err != nil || back.UnmarshalText(b) != nil || back != c.k {
			t.Errorf("FeatureKind %d: text round trip gives %v (%v)", c.k, back, err)
		}
	}
	var g Group
	if g.UnmarshalText([]byte("vip")) == nil {
		t.Error(`Group "vip" accepted`)
	}
}
