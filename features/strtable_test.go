package features

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randKeys draws n keys built to stress strTable: the empty string, every
// length from 0 to 40 (each branch of strHash), keys differing only in
// their last byte, keys that are prefixes of others (differing only in
// length), keys differing only in a middle byte, and repeats.
func randKeys(r *rand.Rand, n int) []string {
	keys := []string{""}
	for len(keys) < n {
		var k string
		switch r.IntN(6) {
		case 0: // random bytes, any length up to 40
			b := make([]byte, r.IntN(41))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			k = string(b)
		case 1: // last byte changed
			p := keys[r.IntN(len(keys))]
			if p == "" {
				continue
			}
			k = p[:len(p)-1] + string(rune('a'+r.IntN(26)))
		case 2: // one byte longer or shorter
			p := keys[r.IntN(len(keys))]
			if p != "" && r.IntN(2) == 0 {
				k = p[:len(p)-1]
			} else {
				k = p + "x"
			}
		case 3: // a middle byte changed
			p := []byte(keys[r.IntN(len(keys))])
			if len(p) == 0 {
				continue
			}
			p[len(p)/2]++
			k = string(p)
		case 4: // a repeat
			k = keys[r.IntN(len(keys))]
		default: // level-like names with a counter
			k = fmt.Sprintf("%s%0*d", strings.Repeat("level", 1+r.IntN(4)), r.IntN(4), r.IntN(1000))
		}
		keys = append(keys, k)
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys
}

// TestStrTableVsMap: for random key sets, strTable.get agrees with a Go
// map built by "insert if absent" on every key, on near misses of every
// key and on random strings.
func TestStrTableVsMap(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		keys := randKeys(r, 1+r.IntN(200))
		codes := make([]int32, len(keys))
		want := map[string]int32{}
		for i, k := range keys {
			codes[i] = int32(r.IntN(1000))
			if _, ok := want[k]; !ok {
				want[k] = codes[i]
			}
		}
		tab := newStrTable(keys, codes)
		if n := len(tab.slots); n < 2*len(want) || n&(n-1) != 0 {
			t.Fatalf("trial %d: %d slots for %d keys", trial, n, len(want))
		}
		probes := append(randKeys(r, 100), keys...)
		for _, k := range keys {
			probes = append(probes, k+"\x00", "\x00"+k, strings.ToUpper(k))
			if k != "" {
				probes = append(probes, k[:len(k)-1], k[1:], k[:len(k)-1]+string(k[len(k)-1]^1))
			}
		}
		for _, p := range probes {
			w, ok := want[p]
			if !ok {
				w = -1
			}
			if got := tab.get(p); got != w {
				t.Fatalf("trial %d: get(%q) = %d, want %d (keys %q)", trial, p, got, w, keys)
			}
		}
	}
}

// TestStrTableOneProbe: sets of up to 16 keys (event types, say) get a
// table where every key sits in its home slot, so a hit is one probe;
// larger sets keep a load of at most 1/2.
func TestStrTableOneProbe(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := range 500 {
		keys := slices.Compact(slices.Sorted(slices.Values(randKeys(r, 1+r.IntN(16)))))
		tab := newStrTable(keys, make([]int32, len(keys)))
		for _, k := range keys {
			if h := strHash(k, tab.seed) & tab.mask; tab.slots[h].s != k || tab.slots[h].code < 0 {
				t.Fatalf("trial %d: %q is not in its home slot (keys %q)", trial, k, keys)
			}
		}
	}
	keys := randKeys(r, 1000)
	tab := newStrTable(keys, make([]int32, len(keys)))
	if len(tab.slots) > 4*len(keys) {
		t.Errorf("%d slots for %d keys, want ≤ %d", len(tab.slots), len(keys), 4*len(keys))
	}
}

func TestStrTableEmpty(t *testing.T) {
	for _, tab := range []strTable{{}, newStrTable(nil, nil)} {
		for _, s := range []string{"", "a", "level001"} {
			if got := tab.get(s); got != -1 {
				t.Errorf("empty table: get(%q) = %d, want -1", s, got)
			}
		}
	}
	tab := newStrTable([]string{""}, []int32{5})
	if got, miss := tab.get(""), tab.get("x"); got != 5 || miss != -1 {
		t.Errorf(`{"": 5}: get("") = %d, get("x") = %d; want 5, -1`, got, miss)
	}
}

// TestStrHashSpread: level-like names that differ in one digit spread
// over the table; a hash that ignored some bytes would pile them into
// long probe runs. The bound is loose: at load 1/2, linear probing
// averages 1.5 probes per hit.
func TestStrHashSpread(t *testing.T) {
	for _, format := range []string{"level%03d", "%d", "https://example.com/campaign/%05d/landing"} {
		var keys []string
		for i := range 1000 {
			keys = append(keys, fmt.Sprintf(format, i))
		}
		tab := newStrTable(keys, make([]int32, len(keys)))
		probes := 0
		for _, k := range keys {
			for h := strHash(k, tab.seed) & tab.mask; ; h = (h + 1) & tab.mask {
				probes++
				if tab.slots[h].s == k {
					break
				}
			}
		}
		if avg := float64(probes) / float64(len(keys)); avg > 2.5 {
			t.Errorf("%q: %.2f probes per hit, want ≤ 2.5", format, avg)
		}
	}
}

// TestLeadLevelCode: the lead path's level table gives the same code as
// levelCode (the maps the table path uses) for every kept and pooled
// level, for near misses and unseen strings, before and after an artifact
// round trip.
func TestLeadLevelCode(t *testing.T) {
	parity, _, _ := fittedFixture(t, 800, 1)
	leads, _ := benchTables(t, 5000, 0, 2)
	bench, _, err := Fit(t.Context(), mustSpec(t, benchSpec(false)), leads, nil)
	if err != nil {
		t.Fatal(err)
	}
	trs := []*Transformer{parity, bench}
	for _, tr := range trs[:2] {
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		tr2 := new(Transformer)
		if err := json.Unmarshal(b, tr2); err != nil {
			t.Fatal(err)
		}
		trs = append(trs, tr2)
	}
	r := rand.New(rand.NewPCG(3, 4))
	cats, pooled := 0, 0
	for _, x := range trs {
		for i := range x.feats {
			f := &x.feats[i]
			if f.Kind != KindCategorical {
				continue
			}
			cats++
			pooled += len(f.pooled)
			probes := append([]string{"", "never-seen", LevelOther, LevelUnseen}, f.Levels...)
			for l := range f.pooled {
				probes = append(probes, l)
			}
			probes = append(probes, randKeys(r, 50)...)
			for _, p := range slices.Clone(probes) {
				probes = append(probes, p+"x")
				if p != "" {
					probes = append(probes, p[:len(p)-1], p[:len(p)-1]+"#")
				}
			}
			for _, p := range probes {
				if got, want := f.leadLevelCode(p), f.levelCode(p); got != want {
					t.Errorf("%s: leadLevelCode(%q) = %d, levelCode %d", f.Name, p, got, want)
				}
			}
		}
	}
	// 2 + 8 categorical features, twice; the bench data has more levels
	// than max_levels, so some are pooled.
	if cats != 20 || pooled == 0 {
		t.Fatalf("%d categorical features, %d pooled levels checked; want 20 and some", cats, pooled)
	}
}

// TestLookupTablesMatchMaps: on fitted transformers, the lead path's
// attribute-name and event-type tables agree with the maps the table path
// uses (attrIndex, typeIndex) on every name and near misses of it: an
// attribute name gives its feature slot, the cut-off column's slot
// (nattr) for that column, ignoredSlot for another known name, and
// nothing for the rest, as the maps and the cut-off column give them.
func TestLookupTablesMatchMaps(t *testing.T) {
	parity, _, _ := fittedFixture(t, 300, 1)
	leads, ev := benchTables(t, 2000, 3, 2)
	bench, _, err := Fit(t.Context(), mustSpec(t, benchSpec(true)), leads, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*Transformer{parity, bench} {
		var probes []string
		for n := range tr.attrIndex {
			probes = append(probes, n)
		}
		for n := range tr.typeIndex {
			probes = append(probes, n)
		}
		for _, p := range slices.Clone(probes) {
			probes = append(probes, p[:len(p)-1], p+"_", p[1:], strings.ToUpper(p))
		}
		for n := range tr.known {
			probes = append(probes, n)
		}
		probes = append(probes, "", tr.spec.Cutoff.Column, "outcome", "lead_id")
		for _, p := range probes {
			want, ok := tr.attrIndex[p]
			switch {
			case ok:
			case p == "":
				want = -1
			case p == tr.spec.Cutoff.Column:
				want = int32(tr.nattr)
			case tr.known[p]:
				want = ignoredSlot
			default:
				want = -1
			}
			got := int32(-1)
			if pos := tr.leadTab.get(p); pos >= 0 {
				if tr.leadNames[pos] != p {
					t.Errorf("leadTab.get(%q) = %d, the position of %q", p, pos, tr.leadNames[pos])
				}
				got = tr.leadSlot[pos]
			}
			if got != want {
				t.Errorf("%q: lead path slot %d, want %d", p, got, want)
			}
			want, ok = tr.typeIndex[p]
			if !ok {
				want = -1
			}
			if got := tr.lookupType(p); got != want {
				t.Errorf("lookupType(%q) = %d, typeIndex %d", p, got, want)
			}
		}
	}
}

// TestLookupTypeNoEvents: a transformer whose spec has no events looks up
// no event type (it used to index an empty type list).
func TestLookupTypeNoEvents(t *testing.T) {
	tr, err := newSkeleton(mustSpec(t, "columns: [{name: x, kind: numeric}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "a", "demo_request", strings.Repeat("z", 40)} {
		if got := tr.lookupType(s); got != -1 {
			t.Errorf("lookupType(%q) = %d, want -1", s, got)
		}
	}
}

// BenchmarkLevelLookup compares the categorical level lookup of the lead
// path (strTable) with the two maps it replaces there, on the 200 levels
// of the widest bench feature: kept, pooled and unseen strings.
func BenchmarkLevelLookup(b *testing.B) {
	leads, _ := benchTables(b, 20_000, 0, 2)
	tr, _, err := Fit(b.Context(), mustSpec(b, benchSpec(false)), leads, nil)
	if err != nil {
		b.Fatal(err)
	}
	f := &tr.feats[tr.attrIndex["cat07"]]
	var probes []string
	for i := range 256 {
		probes = append(probes, fmt.Sprintf("level%03d", i)) // 0-199 seen; ≥ 200 unseen
	}
	b.Run("map", func(b *testing.B) {
		var sum int32
		for i := 0; b.Loop(); i++ {
			sum += f.levelCode(probes[i&255])
		}
		_ = sum
	})
	b.Run("strTable", func(b *testing.B) {
		var sum int32
		for i := 0; b.Loop(); i++ {
			sum += f.leadLevelCode(probes[i&255])
		}
		_ = sum
	})
}
