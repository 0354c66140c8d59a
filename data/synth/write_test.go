package synth

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"leadscore/data"
)

// TestWriteDirRoundTrip writes a history and reads every file back with
// data.ReadParquet: the same columns, types and cells.
func TestWriteDirRoundTrip(t *testing.T) {
	h, err := Generate(context.Background(), Config{Leads: 3000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "hist") // WriteDir creates it
	if err := h.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		want *data.Table
	}{{LeadsFile, h.Leads}, {EventsFile, h.Events}, {TruthFile, h.Truth}} {
		got, err := data.ReadParquet(context.Background(), filepath.Join(dir, f.name), nil)
		if err != nil {
			t.Fatalf("read back %s: %v", f.name, err)
		}
		if got.Rows != f.want.Rows {
			t.Fatalf("%s: %d rows, want %d", f.name, got.Rows, f.want.Rows)
		}
		for _, wc := range f.want.Columns {
			gc := got.Col(wc.Name)
			if gc == nil || gc.Type != wc.Type {
				t.Fatalf("%s: column %s missing or of another type (%v)", f.name, wc.Name, gc)
			}
			for i := 0; i < f.want.Rows; i++ {
				if g, w := gc.Format(i), wc.Format(i); g != w {
					t.Fatalf("%s row %d column %s: read %q, wrote %q", f.name, i, wc.Name, g, w)
				}
			}
		}
		if len(got.Columns) != len(f.want.Columns) {
			t.Errorf("%s: read %d columns, wrote %d", f.name, len(got.Columns), len(f.want.Columns))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("%s holds %d entries, want the 3 files and no temporaries", dir, len(entries))
	}
}

func TestWriteDirError(t *testing.T) {
	h, err := Generate(context.Background(), Config{Leads: 10, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	// A regular file where the directory should be.
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteDir(file); err == nil {
		t.Fatalf("WriteDir(%s) = nil for a regular file", file)
	}
}
