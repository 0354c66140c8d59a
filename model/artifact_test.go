package model_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"leadscore/data/synth"
	"leadscore/features"
	"leadscore/model"
	"leadscore/train"
)

var (
	fixtureOnce sync.Once
	fixture     *model.Artifact
	fixtureErr  error
)

// trained returns a small artifact trained on a synthetic history, once
// per test binary.
func trained(t *testing.T) *model.Artifact {
	t.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = trainOnce(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func trainOnce(now time.Time) (*model.Artifact, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h, err := synth.Generate(ctx, synth.Config{Leads: 6000, Quarters: 6, Seed: 5})
	if err != nil {
		return nil, err
	}
	spec, err := features.InferSpec(h.Leads, h.Events, features.InferOptions{Label: "outcome", Positive: []string{"won"}})
	if err != nil {
		return nil, err
	}
	for i, c := range spec.Columns {
		if c.Name == "amount" || c.Name == "sales_calls" {
			spec.Columns[i].Role = features.RoleIgnore
		}
	}
	cfg := train.Config{Name: "leads", Spec: spec, Seed: 9, Now: now}
	cfg.GBDT.Rounds = 30
	res, err := train.Run(ctx, h.Leads, h.Events, "leads.parquet", cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	return res.Artifact, nil
}

func save(t *testing.T) string {
	t.Helper()
	a := *trained(t)
	dir, err := model.Save(t.TempDir(), &a)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// rewrite replaces a file of the artifact and, when fixSum is set, its
// checksum in the manifest, so that the damage is found by the content
// checks rather than the checksum.
func rewrite(t *testing.T, dir, rel string, b []byte, fixSum bool) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, rel), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if !fixSum {
		return
	}
	mp := filepath.Join(dir, "manifest.json")
	mb, err := os.ReadFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	m["files"].(map[string]any)[rel] = hex.EncodeToString(sum[:])
	mb, _ = json.Marshal(m)
	if err := os.WriteFile(mp, mb, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRefusesCorruptArtifacts(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantSub string
	}{
		{"flipped byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "scorers", "global.json")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x20
			rewrite(t, dir, "scorers/global.json", b, false)
		}, "scorers/global.json: checksum"},
		{"truncated scorer", func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "scorers", "global.json"))
			rewrite(t, dir, "scorers/global.json", b[:len(b)/3], true)
		}, "scorers/global.json"},
		{"forest feature out of range", func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "scorers", "global.json"))
			var s map[string]any
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			// A threshold table that is not increasing is refused by the
			// calibrator check, whichever model is champion.
			s["champion"].(map[string]any)["calibrator"] = map[string]any{"kind": "isotonic", "x": []float64{0, 1}, "y": []float64{0.9, 0.1}}
			b, _ = json.Marshal(s)
			rewrite(t, dir, "scorers/global.json", b, true)
		}, "calibrator"},
		{"missing manifest", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "manifest.json"))
		}, "no manifest.json"},
		{"missing spec", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "spec.yaml"))
		}, "spec.yaml"},
		{"newer format", func(t *testing.T, dir string) {
			mp := filepath.Join(dir, "manifest.json")
			mb, _ := os.ReadFile(mp)
			mb = bytes.Replace(mb, []byte(`"format_version": 1`), []byte(`"format_version": 99`), 1)
			os.WriteFile(mp, mb, 0o644)
		}, "format version 99"},
		{"file outside the artifact", func(t *testing.T, dir string) {
			mp := filepath.Join(dir, "manifest.json")
			mb, _ := os.ReadFile(mp)
			mb = bytes.Replace(mb, []byte(`"files": {`), []byte(`"files": {"../evil": "00",`), 1)
			os.WriteFile(mp, mb, 0o644)
		}, "outside the artifact"},
		{"unknown manifest field", func(t *testing.T, dir string) {
			mp := filepath.Join(dir, "manifest.json")
			mb, _ := os.ReadFile(mp)
			mb = bytes.Replace(mb, []byte(`{`), []byte(`{"surprise": 1,`), 1)
			os.WriteFile(mp, mb, 0o644)
		}, "surprise"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := save(t)
			c.damage(t, dir)
			_, err := model.Load(dir)
			if err == nil {
				t.Fatal("Load accepted a damaged artifact")
			}
			if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), c.wantSub) {
				t.Errorf("error %q should name %s and say %q", err, dir, c.wantSub)
			}
			if c.name != "missing spec" && !errors.Is(err, model.ErrCorrupt) {
				t.Errorf("error %v does not wrap ErrCorrupt", err)
			}
		})
	}
}

// TestTrainingIsDeterministic trains twice with one seed and compares the
// artifacts byte for byte, minus the training time.
func TestTrainingIsDeterministic(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a := trained(t)
	b, err := trainOnce(now)
	if err != nil {
		t.Fatal(err)
	}
	da, err := model.Save(t.TempDir(), a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := model.Save(t.TempDir(), b)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"spec.yaml", "scorers/global.json", "manifest.json"} {
		x, _ := os.ReadFile(filepath.Join(da, rel))
		y, _ := os.ReadFile(filepath.Join(db, rel))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two trainings with one seed", rel)
		}
	}
}
