package leadscorev1_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// TestNewLeadTable checks the columns of a small, hand-worked table: a
// column first seen on the second lead, a lead lacking an attribute, a
// column missing everywhere (left out), and events of two leads.
func TestNewLeadTable(t *testing.T) {
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	leads := []*leadscorev1.Lead{
		{Id: "a", CreatedAt: timestamppb.New(day), Attributes: []*leadscorev1.Attribute{
			leadscorev1.NumberAttribute("n", 1), {Name: "none"},
		}, Events: []*leadscorev1.Event{{Type: "open", Ts: timestamppb.New(day.Add(time.Hour))}}},
		{Id: "b", CreatedAt: timestamppb.New(day.Add(time.Second)), Attributes: []*leadscorev1.Attribute{
			leadscorev1.StringAttribute("s", "x"), leadscorev1.NumberAttribute("n", 2),
		}, Events: []*leadscorev1.Event{{Type: "click", Ts: timestamppb.New(day)}, {Type: "open", Ts: timestamppb.New(day)}}},
		{Id: "c", CreatedAt: timestamppb.New(day), Attributes: []*leadscorev1.Attribute{
			leadscorev1.BoolAttribute("b", true),
		}},
	}
	tab, err := leadscorev1.NewLeadTable(leads)
	if err != nil {
		t.Fatal(err)
	}
	us := day.UnixMicro()
	if got := tab.CreatedAtMicros; len(got) != 3 || got[0] != us || got[1] != us+1e6 || got[2] != us {
		t.Errorf("created_at_micros %v", got)
	}
	var names []string
	for _, c := range tab.Columns {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "n,s,b" {
		t.Fatalf("columns %v, want n,s,b (none is missing everywhere)", names)
	}
	n, s, b := tab.Columns[0], tab.Columns[1], tab.Columns[2]
	if len(n.Numbers) != 3 || n.Numbers[0] != 1 || n.Numbers[1] != 2 || !math.IsNaN(n.Numbers[2]) || len(n.MissingRows) != 1 || n.MissingRows[0] != 2 {
		t.Errorf("column n: %v", n)
	}
	if len(s.Strings) != 3 || s.Strings[1] != "x" || len(s.MissingRows) != 2 || s.MissingRows[0] != 0 || s.MissingRows[1] != 2 {
		t.Errorf("column s: %v", s)
	}
	if len(b.Bools) != 3 || !b.Bools[2] || len(b.MissingRows) != 2 {
		t.Errorf("column b: %v", b)
	}
	ev := tab.Events
	if strings.Join(ev.TypeNames, ",") != "open,click" || len(ev.Rows) != 3 || ev.Rows[0] != 0 || ev.Rows[1] != 1 || ev.Types[1] != 1 || ev.Types[2] != 0 || ev.TsMicros[0] != us+3600e6 {
		t.Errorf("events %v", ev)
	}
}

func TestNewLeadTableErrors(t *testing.T) {
	day := timestamppb.New(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name  string
		leads []*leadscorev1.Lead
		want  string
	}{
		{"no created_at", []*leadscorev1.Lead{{Id: "a"}}, "leads[0].created_at: missing"},
		{"duplicate", []*leadscorev1.Lead{{Id: "a", CreatedAt: day, Attributes: []*leadscorev1.Attribute{
			leadscorev1.NumberAttribute("n", 1), leadscorev1.NumberAttribute("n", 2)}}}, `leads[0].attributes["n"]: duplicate attribute`},
		{"two types", []*leadscorev1.Lead{
			{Id: "a", CreatedAt: day, Attributes: []*leadscorev1.Attribute{leadscorev1.NumberAttribute("n", 1)}},
			{Id: "b", CreatedAt: day, Attributes: []*leadscorev1.Attribute{leadscorev1.StringAttribute("n", "x")}},
		}, `leads[1].attributes["n"]: a value of another type than the column's`},
	} {
		_, err := leadscorev1.NewLeadTable(tc.leads)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
