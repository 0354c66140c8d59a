package synth

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestConfigWithDefaults(t *testing.T) {
	got := Config{Seed: 7}.WithDefaults()
	want := Config{Leads: 50_000, Quarters: 8, Seed: 7, End: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Workers: runtime.GOMAXPROCS(0)}
	if got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
	set := Config{Leads: 3, Quarters: 2, Seed: 0, End: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), Workers: 5}
	if got := set.WithDefaults(); got != set {
		t.Errorf("WithDefaults changed set fields: %+v -> %+v", set, got)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{},
		{Leads: 1, Quarters: 1, Seed: 0, End: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Workers: 1},
		{Leads: MaxLeads, Quarters: MaxQuarters},
		// The same instant in another zone is still a quarter start in UTC.
		{End: time.Date(2026, 10, 1, 2, 0, 0, 0, time.FixedZone("CEST", 2*3600))},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: Validate() = %v, want nil", c, err)
		}
	}

	bad := Config{Leads: -1, Quarters: MaxQuarters + 1, End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Workers: -2}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate() = nil for a config with four bad fields")
	}
	// Every problem is reported at once, one per line.
	lines := strings.Split(err.Error(), "\n")
	want := []string{"Leads -1", "Quarters 41", "End 2026-11-01T00:00:00Z", "Workers -2"}
	if len(lines) != len(want) {
		t.Fatalf("Validate() reported %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to name %q", i, lines[i], w)
		}
	}
	for _, end := range []time.Time{
		time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 1, 0, 0, 1, 0, time.UTC),
		time.Date(2026, 10, 1, 0, 0, 0, 0, time.FixedZone("X", 3600)), // 2026-09-30T23:00Z
	} {
		if err := (Config{End: end}).Validate(); err == nil {
			t.Errorf("End %v: Validate() = nil, want an error", end)
		}
	}
	if err := (Config{Leads: MaxLeads + 1}).Validate(); err == nil {
		t.Errorf("Leads %d: Validate() = nil, want an error", MaxLeads+1)
	}
}

func TestGenerateRejectsInvalidConfig(t *testing.T) {
	h, err := Generate(context.Background(), Config{Leads: -5})
	if err == nil || h != nil {
		t.Fatalf("Generate(Leads -5) = %v, %v; want nil and an error", h, err)
	}
	if !strings.Contains(err.Error(), "Leads -5") {
		t.Errorf("error %q does not name the field and value", err)
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h, err := Generate(ctx, Config{Leads: 10_000, Seed: 1})
	if !errors.Is(err, context.Canceled) || h != nil {
		t.Fatalf("Generate(cancelled) = %v, %v; want nil and context.Canceled", h, err)
	}
}

func TestQuarters(t *testing.T) {
	end := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	b := quarterStarts(end, 3)
	want := []time.Time{
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		end,
	}
	for i, w := range want {
		if b[i] != w.UnixMicro() {
			t.Errorf("quarterStarts[%d] = %v, want %v", i, time.UnixMicro(b[i]).UTC(), w)
		}
	}
	for in, want := range map[time.Time]string{
		time.Date(2026, 9, 30, 23, 59, 59, 0, time.UTC):                    "2026Q3",
		time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC):                       "2026Q4",
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC):                        "2025Q1",
		time.Date(2025, 4, 1, 1, 0, 0, 0, time.FixedZone("CEST", 2*60*60)): "2025Q1", // 2025-03-31T23:00Z
	} {
		if got := QuarterLabel(in); got != want {
			t.Errorf("QuarterLabel(%v) = %q, want %q", in, got, want)
		}
	}
}
