package features_test

import (
	"context"
	"fmt"
	"time"

	"leadscore/data"
	"leadscore/features"
	leadscorev1 "leadscore/proto/leadscore/v1"

	"google.golang.org/protobuf/types/known/timestamppb"
)

func ExampleTransformer_TransformLead() {
	spec, err := features.ParseSpec([]byte(`
columns:
  - {name: employees, kind: numeric, log1p: true, clip: [0, 1]}
  - {name: industry, kind: categorical, min_count: 2}
events:
  types: [{name: demo_request, group: intent}]
  aggregations: [count_window, decayed]
`))
	if err != nil {
		panic(err)
	}
	day := func(d int) int64 { return time.Date(2024, 1, 1+d, 0, 0, 0, 0, time.UTC).UnixMicro() }
	leads, _ := data.NewTable(
		data.NewStringColumn("lead_id", []string{"a", "b", "c", "d"}, nil),
		data.NewTimeColumn("created_at", []int64{day(0), day(0), day(0), day(0)}, nil),
		data.NewStringColumn("outcome", []string{"won", "lost", "won", "lost"}, nil),
		data.NewFloatColumn("employees", []float64{10, 100, 1000, 50}),
		data.NewStringColumn("industry", []string{"saas", "saas", "retail", "retail"}, nil),
	)
	events, _ := data.NewTable(
		data.NewStringColumn("lead_id", []string{"a"}, nil),
		data.NewTimeColumn("ts", []int64{day(5)}, nil),
		data.NewStringColumn("type", []string{"demo_request"}, nil),
	)
	tr, _, err := features.Fit(context.Background(), spec, leads, events)
	if err != nil {
		panic(err)
	}
	// A new lead at serving time: created on Jan 1, scored at its cut-off
	// (30 days later). One demo request 15 days before the cut-off counts
	// 2^(-15/30); the one after the cut-off does not count.
	lead := &leadscorev1.Lead{
		Id:        "new",
		CreatedAt: timestamppb.New(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		Attributes: []*leadscorev1.Attribute{
			leadscorev1.NumberAttribute("employees", 99),
			leadscorev1.StringAttribute("industry", "mining"),
			leadscorev1.StringAttribute("fax", "yes"),
		},
		Events: []*leadscorev1.Event{
			{Type: "demo_request", Ts: timestamppb.New(time.Date(2024, 1, 16, 0, 0, 0, 0, time.UTC))},
			{Type: "demo_request", Ts: timestamppb.New(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))},
		},
	}
	x := make([]float64, tr.Width())
	var warn features.Warnings
	if err := tr.TransformLead(lead, time.Time{}, x, &warn); err != nil {
		panic(err)
	}
	for i, f := range tr.Features() {
		fmt.Printf("%-28s %-11v %.4f\n", f.Name, f.Group, x[i])
	}
	fmt.Println("levels:", tr.Features()[1].Levels)
	fmt.Println("warnings:", warn.List())
	// Output:
	// employees                    fit         4.6052
	// industry                     fit         3.0000
	// demo_request.count_window    intent      1.0000
	// demo_request.decayed_count   intent      0.7071
	// days_since_any_event         negative    15.0000
	// levels: [retail saas other unseen]
	// warnings: [unknown attribute "fax" ignored]
}
