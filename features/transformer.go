package features

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

const dayMicros = 86_400_000_000

// A Transformer holds the fitted state of a Spec and turns leads into
// vectors. It is safe for concurrent use. Build it with Fit, or load it with
// UnmarshalJSON.
type Transformer struct {
	spec  *Spec
	feats []featState
	nattr int // feats[:nattr] are attribute features; slot i is feature i

	types      []typeState
	typeIndex  map[string]int32
	typeTab    strTable // typeIndex, for the lead path
	inactivity int      // feature index of days_since_any_event, or −1
	window     int64
	horizon    int64
	hasEvents  bool
	needCut    bool // events or timestamp features need a cut-off

	attrIndex map[string]int32 // attribute name → slot
	known     map[string]bool  // names accepted silently at serving

	// The lead path's attribute names (readLead): every name a lead may
	// send without a warning, in the order of the spec's columns (the
	// order clients send them in), then the cut-off column and the other
	// known names. leadSlot[p] is the slot of leadNames[p]: its feature
	// slot, nattr for the cut-off column, or ignoredSlot for a name
	// ignored silently.
	leadNames []string
	leadWords []shortWords // wordsOf(leadNames[p]) if it has ≤ 16 bytes
	leadSlot  []int32
	leadTab   strTable // leadNames[p] → p

	lin      []linCol
	linNames []string

	scratch *sync.Pool // of *rowInput
}

// featState is a Feature plus its fitted state.
type featState struct {
	Feature

	// numeric and timestamp
	log1p, nonNeg bool
	clip          bool
	lo, hi        float64

	// categorical
	levelIndex    map[string]int32 // kept level → code
	pooled        map[string]struct{}
	levels        strTable // levelCode as a table: kept and pooled levels → code
	other, unseen int32

	// event
	agg Aggregation

	// linear view
	mean, std float64
	indicator bool // linear view has a missing column
	linLog    bool // linear view takes log1p first (event counts)
	linStart  int
}

type typeState struct {
	name        string
	halfLife    int64   // µs
	invHalfLife float64 // 1 / halfLife
	count       int     // feature index, or −1
	decayed     int
	last        int
}

type linCol struct {
	src     int
	missing bool // the missing-indicator column of src
}

// A cell is one attribute value handed to encode by a row accessor.
type cell struct {
	ok bool    // false: missing
	f  float64 // numeric value; boolean 0/1; categorical code
	t  int64   // timestamp, µs
}

// evRec is one event: when, and the index of its type (−1: not a feature type).
type evRec struct {
	ts  int64
	typ int32
}

// decayScale is the fixed-point scale of decayed counts: each event's
// weight is rounded to a multiple of 2^-40 (≈ 1e-12) and summed exactly as
// an integer, so the sum is the same in any event order.
const decayScale = 1 << 40

type typeAcc struct {
	win  float64
	dec  uint64 // Σ weight × decayScale
	last int64
	has  bool
}

// rowInput is what a row accessor gives to encode. It is scratch space,
// reused between rows.
type rowInput struct {
	cells  []cell
	cutoff int64   // effective cut-off, µs
	events []evRec // in any order
	acc    []typeAcc
	own    []evRec // backing store for events when the accessor copies them
	// names[p] is the last lead attribute name readLead found to be
	// t.leadNames[p]: a later lead whose name there is the same string
	// (the same bytes in memory, as the gRPC decoder gives the leads of a
	// batch) matches without comparing bytes. It keeps the strings of the
	// last lead read alive until they are replaced.
	names []string
}

// A rowReader fills a rowInput for row i of some source. The one
// implementation is tableRows (TransformTable, Fit); TransformLead calls
// readLead directly (an interface call would move its reader to the heap),
// and both feed the same encode.
type rowReader interface {
	read(i int, in *rowInput, w *Warnings) error
}

// row is the one per-row function behind every vector this package makes.
func (t *Transformer) row(src rowReader, i int, in *rowInput, dst []float64, w *Warnings) error {
	if err := src.read(i, in, w); err != nil {
		return err
	}
	t.encode(in, dst, w)
	return nil
}

func (t *Transformer) newInput() *rowInput {
	return &rowInput{
		cells: make([]cell, t.nattr),
		acc:   make([]typeAcc, len(t.types)),
		own:   make([]evRec, 0, 64),
		names: make([]string, len(t.leadNames)),
	}
}

// encode writes the tree view of one row into dst (len(t.feats)).
func (t *Transformer) encode(in *rowInput, dst []float64, w *Warnings) {
	_ = dst[len(t.feats)-1]
	for i := range t.nattr {
		c := &in.cells[i]
		if !c.ok {
			dst[i] = math.NaN()
			continue
		}
		f := &t.feats[i]
		switch f.Kind {
		case KindNumeric:
			dst[i] = f.number(c.f, w)
		case KindTimestamp:
			dst[i] = f.number(float64(in.cutoff-c.t)/dayMicros, w)
		default: // categorical code, boolean 0/1
			dst[i] = c.f
		}
	}
	if !t.hasEvents {
		return
	}
	acc := in.acc
	clear(acc)
	cut := in.cutoff
	lo := cut - t.window
	var last int64
	any := false
	for _, e := range in.events {
		if e.ts >= cut {
			continue
		}
		if !any || e.ts > last {
			last, any = e.ts, true
		}
		if e.typ < 0 {
			continue
		}
		a := &acc[e.typ]
		if e.ts >= lo {
			a.win++
		}
		// Fixed point, so that the sum does not depend on event order.
		a.dec += decayWeight(float64(cut-e.ts) * t.types[e.typ].invHalfLife)
		if !a.has || e.ts > a.last {
			a.last, a.has = e.ts, true
		}
	}
	for k := range t.types {
		ty, a := &t.types[k], &acc[k]
		if ty.count >= 0 {
			dst[ty.count] = a.win
		}
		if ty.decayed >= 0 {
			dst[ty.decayed] = float64(a.dec) / decayScale
		}
		if ty.last >= 0 {
			dst[ty.last] = math.NaN()
			if a.has {
				dst[ty.last] = float64(cut-a.last) / dayMicros
			}
		}
	}
	if t.inactivity >= 0 {
		dst[t.inactivity] = math.NaN()
		if any {
			dst[t.inactivity] = float64(cut-last) / dayMicros
		}
	}
}

// number applies the numeric transform: NaN/±Inf and forbidden negatives
// become missing (with a warning), then clip, then log1p.
func (f *featState) number(v float64, w *Warnings) float64 {
	if v-v != 0 || (f.nonNeg && v < 0) { // v-v is NaN for NaN and ±Inf
		return f.bad(v, w)
	}
	if f.clip {
		if v < f.lo {
			v = f.lo
		} else if v > f.hi {
			v = f.hi
		}
	}
	if f.log1p {
		v = math.Log1p(v)
	}
	return v
}

// bad reports an unusable numeric value and returns NaN (missing).
func (f *featState) bad(v float64, w *Warnings) float64 {
	if w != nil {
		if v-v != 0 {
			w.addf("attribute %q: %v treated as missing", f.Name, v)
		} else {
			w.addf("attribute %q: negative value %v treated as missing", f.Name, v)
		}
	}
	return math.NaN()
}

// levelCode maps a categorical string to its code: a kept level, "other"
// for levels pooled in training, or "unseen".
func (f *featState) levelCode(s string) int32 {
	if c, ok := f.levelIndex[s]; ok {
		return c
	}
	if _, ok := f.pooled[s]; ok {
		return f.other
	}
	return f.unseen
}

// leadLevelCode is levelCode through f.levels, for the lead path.
func (f *featState) leadLevelCode(s string) int32 {
	if c := f.levels.get(s); c >= 0 {
		return c
	}
	return f.unseen
}

// newSkeleton builds the feature layout of a spec whose column kinds are
// resolved; fitted state is left at identity (no clip, no levels).
func newSkeleton(s *Spec) (*Transformer, error) {
	t := &Transformer{
		spec:       s,
		inactivity: -1,
		horizon:    s.Cutoff.Horizon.Microseconds(),
		attrIndex:  map[string]int32{},
		known:      map[string]bool{s.ID: true, s.Account: true, s.Time: true, s.Label.Column: true},
	}
	if s.Cutoff.Column != "" {
		t.known[s.Cutoff.Column] = true
	}
	for _, c := range s.Columns {
		if c.Role != RoleFeature {
			t.known[c.Name] = true
			continue
		}
		if !c.Kind.validColumnKind() {
			return nil, fmt.Errorf("column %q: kind not resolved", c.Name)
		}
		f := featState{
			Feature: Feature{Name: c.Name, Group: c.Group, Kind: c.Kind, Source: c.Name, Monotone: c.Monotone},
			log1p:   c.Log1p && c.Kind == KindNumeric,
			nonNeg:  (c.NonNegative || c.Log1p) && c.Kind == KindNumeric,
			std:     1,
		}
		t.attrIndex[c.Name] = int32(len(t.feats))
		t.feats = append(t.feats, f)
	}
	t.nattr = len(t.feats)
	t.buildLeadNames()
	if e := s.Events; e != nil {
		t.hasEvents = true
		t.window = e.Window.Microseconds()
		t.typeIndex = make(map[string]int32, len(e.Types))
		for k, et := range e.Types {
			hl := e.HalfLife
			if et.HalfLife > 0 {
				hl = et.HalfLife
			}
			ts := typeState{name: et.Name, halfLife: hl.Microseconds(), count: -1, decayed: -1, last: -1}
			ts.invHalfLife = 1 / float64(ts.halfLife)
			if ts.halfLife <= 0 {
				return nil, fmt.Errorf("events.types[%d] (%q): half-life %v is under a microsecond", k, et.Name, hl)
			}
			for _, a := range e.Aggregations {
				f := featState{
					Feature: Feature{Group: et.Group, Kind: KindEvent, Source: et.Name, Monotone: et.Monotone, FromEvent: true},
					agg:     a,
					std:     1,
				}
				switch a {
				case AggCountWindow:
					f.Name, ts.count, f.linLog = et.Name+".count_window", len(t.feats), true
				case AggDecayed:
					f.Name, ts.decayed, f.linLog = et.Name+".decayed_count", len(t.feats), true
				case AggDaysSinceLast:
					f.Name, ts.last, f.Monotone = et.Name+".days_since_last", len(t.feats), -et.Monotone
				}
				t.feats = append(t.feats, f)
			}
			t.typeIndex[et.Name] = int32(k)
			t.types = append(t.types, ts)
		}
		names, codes := make([]string, len(t.types)), make([]int32, len(t.types))
		for k, ty := range t.types {
			names[k], codes[k] = ty.name, int32(k)
		}
		t.typeTab = newStrTable(names, codes)
		if !e.NoInactivity {
			t.inactivity = len(t.feats)
			t.feats = append(t.feats, featState{
				Feature: Feature{Name: "days_since_any_event", Group: GroupNegative, Kind: KindEvent, FromEvent: true},
				agg:     AggDaysSinceLast,
				std:     1,
			})
		}
	}
	t.needCut = t.hasEvents
	seen := map[string]int{}
	for i, f := range t.feats {
		if f.Kind == KindTimestamp {
			t.needCut = true
		}
		if j, ok := seen[f.Name]; ok {
			return nil, fmt.Errorf("features %d and %d are both named %q", j, i, f.Name)
		}
		seen[f.Name] = i
	}
	if len(t.feats) == 0 {
		return nil, fmt.Errorf("spec has no features")
	}
	t.scratch = &sync.Pool{New: func() any { return t.newInput() }}
	return t, nil
}

// ignoredSlot is the leadSlot of a name the lead path ignores silently.
const ignoredSlot = math.MaxInt32

// buildLeadNames lays out the lead path's attribute names (leadNames).
func (t *Transformer) buildLeadNames() {
	cut := t.spec.Cutoff.Column
	known := make([]string, 0, len(t.known))
	for name := range t.known {
		known = append(known, name)
	}
	slices.Sort(known)
	var names []string
	for _, c := range t.spec.Columns {
		names = append(names, c.Name)
	}
	names = append(append(names, cut), known...)
	had := make(map[string]bool, len(names))
	t.leadNames, t.leadWords, t.leadSlot = nil, nil, nil
	for _, name := range names {
		// The slot as readLead gave it when it looked names up in turn in
		// attrIndex, as the cut-off column, and in known.
		slot, ok := t.attrIndex[name]
		switch {
		case had[name]:
			continue
		case ok:
		case name == "": // an error, unless a feature's name
			continue
		case name == cut:
			slot = int32(t.nattr)
		case t.known[name]:
			slot = ignoredSlot
		default:
			continue
		}
		had[name] = true
		var w shortWords
		if len(name) <= 16 {
			w = wordsOf(name)
		}
		t.leadNames, t.leadWords, t.leadSlot = append(t.leadNames, name), append(t.leadWords, w), append(t.leadSlot, slot)
	}
	pos := make([]int32, len(t.leadNames))
	for p := range pos {
		pos[p] = int32(p)
	}
	t.leadTab = newStrTable(t.leadNames, pos)
}

// setLevels installs a categorical vocabulary: kept levels in code order,
// and the training levels pooled into "other".
func (f *featState) setLevels(kept, pooled []string) {
	f.levelIndex = make(map[string]int32, len(kept))
	for i, l := range kept {
		f.levelIndex[l] = int32(i)
	}
	f.pooled = make(map[string]struct{}, len(pooled))
	for _, l := range pooled {
		f.pooled[l] = struct{}{}
	}
	other := LevelOther
	for _, ok := f.levelIndex[other]; ok; _, ok = f.levelIndex[other] {
		other = "_" + other
	}
	unseen := LevelUnseen
	for _, ok := f.levelIndex[unseen]; ok || unseen == other; _, ok = f.levelIndex[unseen] {
		unseen = "_" + unseen
	}
	f.Levels = append(append(make([]string, 0, len(kept)+2), kept...), other, unseen)
	f.other, f.unseen = int32(len(kept)), int32(len(kept)+1)
	keys := make([]string, 0, len(kept)+len(pooled))
	codes := make([]int32, 0, len(kept)+len(pooled))
	for _, l := range kept {
		keys, codes = append(keys, l), append(codes, f.levelIndex[l])
	}
	for _, l := range pooled {
		if _, ok := f.levelIndex[l]; !ok {
			keys, codes = append(keys, l), append(codes, f.other)
		}
	}
	f.levels = newStrTable(keys, codes)
}

// buildLinear lays out the linear view from the fitted state.
func (t *Transformer) buildLinear() {
	t.lin, t.linNames = t.lin[:0], t.linNames[:0]
	for j := range t.feats {
		f := &t.feats[j]
		f.linStart = len(t.lin)
		if f.Kind == KindCategorical {
			for _, l := range f.Levels {
				t.lin = append(t.lin, linCol{src: j})
				t.linNames = append(t.linNames, f.Name+"="+l)
			}
			if f.indicator {
				t.lin = append(t.lin, linCol{src: j, missing: true})
				t.linNames = append(t.linNames, f.Name+".missing")
			}
			continue
		}
		t.lin = append(t.lin, linCol{src: j})
		t.linNames = append(t.linNames, f.Name)
		if f.indicator {
			t.lin = append(t.lin, linCol{src: j, missing: true})
			t.linNames = append(t.linNames, f.Name+".missing")
		}
	}
}

// Spec returns a copy of the resolved spec the transformer was fitted with.
func (t *Transformer) Spec() *Spec { return t.spec.clone() }

// Width returns the length of the tree view, len(Features()).
func (t *Transformer) Width() int { return len(t.feats) }

// Features describes the tree view, one Feature per slot. The caller may
// not modify the result's Levels.
func (t *Transformer) Features() []Feature {
	out := make([]Feature, len(t.feats))
	for i := range t.feats {
		out[i] = t.feats[i].Feature
		out[i].Log1p = t.feats[i].log1p
	}
	return out
}

// Horizon returns the spec's cut-off horizon.
func (t *Transformer) Horizon() time.Duration { return t.spec.Cutoff.Horizon }

// lookupType returns the index of an event type, or −1 if it is not a
// feature type.
func (t *Transformer) lookupType(s string) int32 { return t.typeTab.get(s) }

// exp2Table[j] = 2^(−j/256).
var exp2Table = func() (t [256]float64) {
	for j := range t {
		t[j] = math.Exp2(-float64(j) / 256)
	}
	return t
}()

// decayWeight returns round(2^−x × decayScale) for x ≥ 0: a table step
// and a 4th-order Taylor term, accurate to about 1e-15 relative, far below
// the 2^−40 fixed-point step; 0 once the weight is under half a step.
func decayWeight(x float64) uint64 {
	if !(x < 41) {
		return 0
	}
	k := int(x) // x ≥ 0: truncation is floor
	f := x - float64(k)
	j := int(f * 256)
	y := (f - float64(j)/256) * math.Ln2
	p := 1 - y*(1-y*(0.5-y*(1.0/6-y/24)))
	return uint64(int64(exp2Table[j]*p*pow2[40-k] + 0.5))
}

// pow2[i] = 2^i.
var pow2 = func() (t [41]float64) {
	for i := range t {
		t[i] = float64(int64(1) << i)
	}
	return t
}()
