package features

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"leadscore/data"
)

// datasetPath resolves a file under /work/shared/datasets relative to this
// package directory (../../shared/datasets) and fails if it is missing.
func datasetPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "datasets", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("dataset missing (expected the shared datasets next to the repo): %v", err)
	}
	return p
}

// readCSV reads a CSV file into a Table with data.ImportCSV (the importer
// behind "leadscore import"), so the tests see what users see.
func readCSV(t testing.TB, path string, sep rune) *data.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, _, err := data.ImportCSV(f, filepath.Base(path), data.ImportOptions{Delimiter: sep})
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return tab
}

func mustTable(t testing.TB, cols ...*data.Column) *data.Table {
	t.Helper()
	tab, err := data.NewTable(cols...)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func mustSpec(t testing.TB, y string) *Spec {
	t.Helper()
	s, err := ParseSpec([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// day0 is the reference creation time of the synthetic leads.
var day0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func us(tm time.Time) int64 { return tm.UnixMicro() }

func days(n float64) time.Duration { return time.Duration(n * 24 * float64(time.Hour)) }
