package features

import (
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/types/known/timestamppb"

	"leadscore/data"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// LeadsToProto converts rows of a leads table (and their events) into API
// leads, as a backend would send them: every column except the id,
// account and creation-time columns becomes a typed attribute; nulls are
// left out; attributes come in column order. rows nil means every row. It is how offline data is replayed
// against the server (the demo client, the parity test).
func LeadsToProto(spec *Spec, leads, events *data.Table, rows []int) ([]*leadscorev1.Lead, error) {
	id := leads.Col(spec.ID)
	if id == nil || id.Type != data.String {
		return nil, fmt.Errorf("leads to proto: no string id column %q", spec.ID)
	}
	created := leads.Col(spec.Time)
	if created == nil || created.Type != data.Time {
		return nil, fmt.Errorf("leads to proto: no timestamp column %q", spec.Time)
	}
	account := leads.Col(spec.Account)
	if rows == nil {
		rows = make([]int, leads.Rows)
		for i := range rows {
			rows[i] = i
		}
	}
	skip := map[string]bool{spec.ID: true, spec.Time: true, spec.Account: true}
	out := make([]*leadscorev1.Lead, len(rows))
	index := make(map[string]int, len(rows))
	for k, i := range rows {
		l := &leadscorev1.Lead{Attributes: make([]*leadscorev1.Attribute, 0, len(leads.Columns))}
		l.Id, _ = id.Str(i)
		if t, ok := created.TimeAt(i); ok {
			l.CreatedAt = timestamppb.New(t)
		}
		if account != nil {
			l.AccountId, _ = account.Str(i)
		}
		for _, c := range leads.Columns {
			if skip[c.Name] || c.IsNull(i) {
				continue
			}
			var a *leadscorev1.Attribute
			switch c.Type {
			case data.Float:
				if math.IsNaN(c.Floats[i]) {
					continue
				}
				a = leadscorev1.NumberAttribute(c.Name, c.Floats[i])
			case data.String:
				s, _ := c.Str(i)
				a = leadscorev1.StringAttribute(c.Name, s)
			case data.Bool:
				a = leadscorev1.BoolAttribute(c.Name, c.Bools[i])
			case data.Time:
				t, _ := c.TimeAt(i)
				a = leadscorev1.TimestampAttribute(c.Name, t)
			default:
				continue
			}
			l.Attributes = append(l.Attributes, a)
		}
		out[k] = l
		index[l.Id] = k
	}
	if events == nil || spec.Events == nil {
		return out, nil
	}
	ec := spec.Events.Columns
	eid, ets, etype, eval := events.Col(ec.LeadID), events.Col(ec.TS), events.Col(ec.Type), events.Col(ec.Value)
	if eid == nil || ets == nil || etype == nil || eid.Type != data.String || ets.Type != data.Time || etype.Type != data.String {
		return nil, fmt.Errorf("leads to proto: events need string %q, timestamp %q and string %q columns", ec.LeadID, ec.TS, ec.Type)
	}
	for j := 0; j < events.Rows; j++ {
		lid, _ := eid.Str(j)
		k, ok := index[lid]
		if !ok || ets.IsNull(j) {
			continue
		}
		typ, _ := etype.Str(j)
		t, _ := ets.TimeAt(j)
		e := &leadscorev1.Event{Type: typ, Ts: timestamppb.New(t)}
		if eval != nil && eval.Type == data.Float && !eval.IsNull(j) && !math.IsNaN(eval.Floats[j]) {
			v := eval.Floats[j]
			e.Value = &v
		}
		out[k].Events = append(out[k].Events, e)
	}
	for _, l := range out {
		sort.SliceStable(l.Events, func(a, b int) bool { return l.Events[a].Ts.AsTime().Before(l.Events[b].Ts.AsTime()) })
	}
	return out, nil
}
