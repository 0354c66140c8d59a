package rules_test

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"leadscore/model/rules"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

func ExampleModel_Score() {
	m, err := rules.Parse([]byte(`
version: example
points:
  - {name: senior, attribute: seniority, in: [director, vp], points: 10}
  - {name: student, attribute: role, equals: student, points: -40}
  - {name: demo_request, event: demo_request, half_life: 336h, points: 20, cap: 30}
stages: {disqualify: 0, mql: 15, sql: 30}
calibration: [{points: 0, probability: 0.02}, {points: 40, probability: 0.5}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	created := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	asOf := created.Add(28 * 24 * time.Hour)
	lead := &leadscorev1.Lead{
		Id:        "L1",
		CreatedAt: timestamppb.New(created),
		Attributes: []*leadscorev1.Attribute{
			leadscorev1.StringAttribute("seniority", "vp"),
		},
		Events: []*leadscorev1.Event{
			// 14 days before the as-of time: counts 0.5 → 10 points.
			{Type: "demo_request", Ts: timestamppb.New(asOf.Add(-14 * 24 * time.Hour))},
		},
	}
	r := m.Score(lead, asOf)
	fmt.Printf("points %.1f (fit %.1f, engagement %.1f), p=%.2f, %v\n", r.Points, r.FitPoints, r.EngagementPoints, r.Probability, r.Stage)
	for _, reason := range r.Reasons {
		fmt.Printf("  %s = %s: %+.1f\n", reason.Rule, reason.Value, reason.Points)
	}
	// Output:
	// points 20.0 (fit 10.0, engagement 10.0), p=0.26, STAGE_MQL
	//   demo_request = 0.50: +10.0
	//   senior = vp: +10.0
}
