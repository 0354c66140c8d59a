package predlog_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"leadscore/data"
	"leadscore/predict"
	"leadscore/predict/predlog"
)

var t0 = time.Date(2026, 11, 23, 20, 0, 0, 123456000, time.UTC)

func record(i int) predict.Record {
	r := predict.Record{
		LeadID: fmt.Sprintf("L%d", i), ScoredAt: t0.Add(time.Duration(i) * time.Second), Model: "global", Version: "v1",
		Source: "MODEL", Probability: float64(i) / 10, Score: int32(10 * i), Stage: "MQL", FitScore: 40, EngagementScore: int32(i),
		Reasons: "industry:+0.42;role:-0.1", ChallengerProbability: 0.3, ProductLine: "analytics", LeadSource: "inbound",
	}
	if i%2 == 1 { // a rules answer without reasons, challenger or attributes
		r.Source, r.Model, r.FallbackReason, r.Reasons = "RULES", "rules", "model_error", ""
		r.ChallengerProbability, r.ProductLine, r.LeadSource = math.NaN(), "", ""
	}
	return r
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
		out = append(out, e.Name())
	}
	return out
}

func TestRoundTripAndRotation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	l, err := predlog.New(predlog.Config{Dir: dir, MaxRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		l.Append(record(i))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Append(record(99)) // after Close: dropped, counted, no panic
	if l.Dropped() != 1 {
		t.Errorf("dropped %d, want 1", l.Dropped())
	}
	if f, r := l.Written(); f != 3 || r != 7 {
		t.Errorf("written %d files %d rows, want 3 and 7", f, r)
	}
	names := files(t, dir)
	want := []string{
		"predictions-20261123T200000.123456Z-000001.parquet",
		"predictions-20261123T200003.123456Z-000002.parquet",
		"predictions-20261123T200006.123456Z-000003.parquet",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	i := 0
	for _, name := range names {
		tab, err := data.ReadParquet(ctx, filepath.Join(dir, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		wantCols := []string{"lead_id", "scored_at", "model", "version", "answered_by", "fallback_reason", "probability", "score",
			"stage", "fit_score", "engagement_score", "reasons", "challenger_probability", "product_line", "source"}
		if !slices.Equal(tab.Names(), wantCols) {
			t.Fatalf("%s: columns %v", name, tab.Names())
		}
		for r := 0; r < tab.Rows; r++ {
			w := record(i)
			got := make([]string, len(wantCols))
			for c, col := range tab.Columns {
				got[c] = col.Format(r)
			}
			chal := ""
			if !math.IsNaN(w.ChallengerProbability) {
				chal = fmt.Sprint(w.ChallengerProbability)
			}
			exp := []string{w.LeadID, w.ScoredAt.Format(time.RFC3339Nano), w.Model, w.Version, w.Source, w.FallbackReason,
				fmt.Sprint(w.Probability), fmt.Sprint(w.Score), w.Stage, "40", fmt.Sprint(w.EngagementScore), w.Reasons,
				chal, w.ProductLine, w.LeadSource}
			if !slices.Equal(got, exp) {
				t.Errorf("%s row %d:\n got %q\nwant %q", name, r, got, exp)
			}
			if w.FallbackReason == "" && !tab.Col("fallback_reason").IsNull(r) {
				t.Errorf("%s row %d: empty fallback reason is not null", name, r)
			}
			i++
		}
	}
	if i != 7 {
		t.Errorf("read back %d rows, want 7", i)
	}
}

func TestFlushAndAge(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	l, err := predlog.New(predlog.Config{Dir: dir, MaxAge: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Append(record(0))
	// MaxAge writes the file without a Flush or Close.
	for ctx.Err() == nil {
		if f, _ := l.Written(); f == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if f, _ := l.Written(); f != 1 {
		t.Fatal("MaxAge never wrote the file")
	}
	l.Append(record(2))
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if f, r := l.Written(); f != 2 || r != 2 {
		t.Errorf("after Flush: %d files %d rows", f, r)
	}
	if err := l.Flush(); err != nil { // nothing queued: no file
		t.Fatal(err)
	}
	if n := len(files(t, dir)); n != 2 {
		t.Errorf("%d files, want 2", n)
	}
}

func TestWriteErrorReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	l, err := predlog.New(predlog.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The directory disappears after start (a full disk or a bad mount
	// behaves alike): writing the file must fail and Close must say so.
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	l.Append(record(0))
	if err := l.Close(); err == nil {
		t.Error("Close hid the write error")
	}
}
