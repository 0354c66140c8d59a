package synth_test

import (
	"context"
	"fmt"

	"leadscore/data/synth"
)

func ExampleGenerate() {
	h, err := synth.Generate(context.Background(), synth.Config{Leads: 2000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("leads:", h.Leads.Names())
	fmt.Println("events:", h.Events.Names())
	fmt.Println("truth:", h.Truth.Names())
	fmt.Printf("%+v\n", h.Stats)
	for i := range 2 {
		fmt.Println(h.Leads.Col("lead_id").Format(i), h.Leads.Col("created_at").Format(i),
			h.Leads.Col("outcome").Format(i), h.Truth.Col("quarter").Format(i))
	}
	// Output:
	// leads: [lead_id account_id created_at outcome closed_at amount product_line source industry employee_band employees country icp_tier role seniority email_type is_competitor budget sales_calls]
	// events: [lead_id ts type value]
	// truth: [lead_id p_true quarter]
	// {Leads:2000 Accounts:677 Events:35937 Won:154 Lost:1627 Open:219}
	// L0000001 2026-04-14T12:46:12Z won 2026Q2
	// L0000002 2024-10-20T04:31:08Z lost 2024Q4
}
