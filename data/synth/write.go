package synth

import (
	"fmt"
	"os"
	"path/filepath"

	"leadscore/data"
)

// File names written by WriteDir.
const (
	LeadsFile  = "leads.parquet"
	EventsFile = "events.parquet"
	TruthFile  = "truth.parquet"
)

// WriteDir writes the history to dir (created if missing) as LeadsFile,
// EventsFile and TruthFile, with data.WriteParquet's defaults. Each file
// is replaced atomically; the three together are not, so a failure can
// leave some written. The error names the file that failed.
func (h *History) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("synth: write history: %w", err)
	}
	for _, f := range []struct {
		name string
		t    *data.Table
	}{{LeadsFile, h.Leads}, {EventsFile, h.Events}, {TruthFile, h.Truth}} {
		path := filepath.Join(dir, f.name)
		if err := data.WriteParquet(path, f.t, data.WriteOptions{}); err != nil {
			return fmt.Errorf("synth: %s table: %w", f.name, err)
		}
	}
	return nil
}
