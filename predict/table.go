package predict

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// The valid range of google.protobuf.Timestamp in µs: 0001-01-01 to
// 9999-12-31.
const (
	minMicros = -62135596800 * 1_000_000
	maxMicros = 253402300799*1_000_000 + 999_999
)

// leadsFromTable expands a LeadTable into the leads it stands for, so that
// a table request takes the one scoring path of every lead (validation,
// routing, fallback, warnings, the prediction log). It copies no value:
// attribute values point into the table's arrays, and the leads, their
// attributes, events and timestamps are carved from a few slabs, so the
// whole batch costs a handful of allocations instead of several per
// attribute. The leads alias tab and must not be modified. A missing value
// (NaN number, or a row in missing_rows) leaves the attribute out. Errors
// are *fieldError naming the table field.
func leadsFromTable(tab *leadscorev1.LeadTable, maxRows int, sl *tableSlabs) ([]*leadscorev1.Lead, error) {
	bad := func(field, msg string) error { return &fieldError{index: -1, field: "table." + field, msg: msg} }
	ids := tab.GetIds()
	n := len(ids)
	switch {
	case n == 0:
		return nil, bad("ids", "empty: at least one row is required")
	case n > maxRows:
		return nil, bad("ids", fmt.Sprintf("%d rows, the limit is %d", n, maxRows))
	case len(tab.GetCreatedAtMicros()) != n:
		return nil, bad("created_at_micros", fmt.Sprintf("%d values, want %d (one per row)", len(tab.GetCreatedAtMicros()), n))
	}
	cols := tab.GetColumns()
	missing := make([][]bool, len(cols)) // nil: no row missing
	nts := n
	seen := make(map[string]bool, len(cols))
	for j, c := range cols {
		name := c.GetName()
		field := "columns[" + strconv.Quote(name) + "]"
		switch {
		case name == "":
			return nil, bad("columns["+strconv.Itoa(j)+"].name", "missing")
		case seen[name]:
			return nil, bad(field, "duplicate column")
		}
		seen[name] = true
		set, length := 0, 0
		for _, l := range []int{len(c.GetNumbers()), len(c.GetStrings()), len(c.GetBools()), len(c.GetTimestampsMicros())} {
			if l > 0 {
				set, length = set+1, l
			}
		}
		if set != 1 || length != n {
			return nil, bad(field, fmt.Sprintf("want exactly one of numbers, strings, bools, timestamps_micros with %d values (one per row)", n))
		}
		for _, us := range c.GetTimestampsMicros() {
			if us < minMicros || us > maxMicros {
				return nil, bad(field, fmt.Sprintf("timestamp %d µs out of range", us))
			}
		}
		nts += len(c.GetTimestampsMicros())
		if rows := c.GetMissingRows(); len(rows) > 0 {
			missing[j] = make([]bool, n)
			for _, r := range rows {
				if int(r) >= n {
					return nil, bad(field+".missing_rows", fmt.Sprintf("row %d out of range (%d rows)", r, n))
				}
				missing[j][r] = true
			}
		}
	}
	ev := tab.GetEvents()
	evRows, evTypes, evTS, names := ev.GetRows(), ev.GetTypes(), ev.GetTsMicros(), ev.GetTypeNames()
	m := len(evRows)
	if len(evTypes) != m || len(evTS) != m {
		return nil, bad("events", fmt.Sprintf("rows, types and ts_micros have %d, %d and %d values, want equal", m, len(evTypes), len(evTS)))
	}
	perRow := make([]int32, n+1)
	for k, r := range evRows {
		switch {
		case int(r) >= n:
			return nil, bad("events.rows["+strconv.Itoa(k)+"]", fmt.Sprintf("row %d out of range (%d rows)", r, n))
		case int(evTypes[k]) >= len(names):
			return nil, bad("events.types["+strconv.Itoa(k)+"]", fmt.Sprintf("type %d out of range (%d type names)", evTypes[k], len(names)))
		case evTS[k] < minMicros || evTS[k] > maxMicros:
			return nil, bad("events.ts_micros["+strconv.Itoa(k)+"]", fmt.Sprintf("timestamp %d µs out of range", evTS[k]))
		}
		perRow[r+1]++
	}
	for i := range n {
		perRow[i+1] += perRow[i]
	}
	for _, us := range tab.GetCreatedAtMicros() {
		if us < minMicros || us > maxMicros {
			return nil, bad("created_at_micros", fmt.Sprintf("timestamp %d µs out of range", us))
		}
	}

	// The slabs, zero (see tableSlabs.release).
	sl.leads, sl.out = slab(sl.leads, n), slab(sl.out, n)
	sl.attrs, sl.attrPtrs = slab(sl.attrs, n*len(cols)), slab(sl.attrPtrs, n*len(cols))
	sl.ts = slab(sl.ts, nts+m)
	sl.events, sl.eventPtrs = slab(sl.events, m), slab(sl.eventPtrs, m)
	leads, out, attrs, attrPtrs, ts, events, eventPtrs := sl.leads, sl.out, sl.attrs, sl.attrPtrs, sl.ts, sl.events, sl.eventPtrs
	stamp := func(us int64) *timestamppb.Timestamp {
		t := &ts[0]
		ts = ts[1:]
		tm := time.UnixMicro(us) // floors negative µs as Timestamp wants
		t.Seconds, t.Nanos = tm.Unix(), int32(tm.Nanosecond())
		return t
	}
	for i := range n {
		l := &leads[i]
		out[i] = l
		l.Id = ids[i]
		l.CreatedAt = stamp(tab.CreatedAtMicros[i])
		row := attrPtrs[i*len(cols) : i*len(cols) : (i+1)*len(cols)]
		for j, c := range cols {
			if missing[j] != nil && missing[j][i] {
				continue
			}
			a := &attrs[i*len(cols)+j]
			a.Name = c.Name
			switch {
			case len(c.Numbers) > 0:
				if math.IsNaN(c.Numbers[i]) {
					continue
				}
				a.NumberValue = &c.Numbers[i]
			case len(c.Strings) > 0:
				a.StringValue = &c.Strings[i]
			case len(c.Bools) > 0:
				a.BoolValue = &c.Bools[i]
			default:
				a.TimestampValue = stamp(c.TimestampsMicros[i])
			}
			row = append(row, a)
		}
		l.Attributes = row
		l.Events = eventPtrs[perRow[i]:perRow[i]:perRow[i+1]]
	}
	for k, r := range evRows {
		e := &events[k]
		e.Type = names[evTypes[k]]
		e.Ts = stamp(evTS[k])
		l := &leads[r]
		l.Events = append(l.Events, e)
	}
	return out, nil
}

// tableSlabs is the memory leadsFromTable carves a batch's leads from.
// The server keeps a pool of them: a batch of 100 leads of 40 attributes
// is about 450 KB of messages, whose allocation and collection cost more
// than decoding the table.
type tableSlabs struct {
	leads     []leadscorev1.Lead
	out       []*leadscorev1.Lead
	attrs     []leadscorev1.Attribute
	attrPtrs  []*leadscorev1.Attribute
	ts        []timestamppb.Timestamp
	events    []leadscorev1.Event
	eventPtrs []*leadscorev1.Event
}

// release zeroes what the last batch used, so that the pooled slabs hold
// no pointer into a finished request, and leaves them ready for the next.
func (sl *tableSlabs) release() {
	clear(sl.leads)
	clear(sl.out)
	clear(sl.attrs)
	clear(sl.attrPtrs)
	clear(sl.ts)
	clear(sl.events)
	clear(sl.eventPtrs)
}

// slab returns s resized to n elements, reallocating when it is too
// small. The elements are zero: release zeroes every batch's part, so the
// whole capacity stays zero between batches.
func slab[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
