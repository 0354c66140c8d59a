// Package model is the trained-model artifact: what the trainer writes and
// the predictor loads.
//
// An artifact is one directory, ROOT/<name>/<version>/, written atomically
// (a temporary directory renamed into place) and never modified:
//
//	manifest.json        format version, name, version, training time, champion,
//	                     segments and their routing, metrics, leakage warnings,
//	                     input fingerprints, training config, and the SHA-256 of
//	                     every other file
//	spec.yaml            the feature spec the model was trained with
//	rules.yaml           the rules fallback, calibrated on the same history (optional)
//	scorers/<name>.json  one Scorer per sub-model: "global", and one per segment
//	                     with enough won leads (e.g. "product_line=analytics")
//
// A Scorer holds the fitted feature transformer, the champion and the
// challenger (logistic regression and gradient-boosted trees, each with its
// calibrator), the stage thresholds and the distributions behind the fit and
// engagement sub-scores. Load checks the format version, every checksum and
// the consistency of every part, and refuses a corrupt or mismatched artifact
// with an error that names the file.
package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"leadscore/eval"
	"leadscore/features"
	"leadscore/model/calib"
	"leadscore/model/linear"
	"leadscore/model/tree"
)

// FormatVersion is the artifact format this package writes and reads.
const FormatVersion = 1

// ErrCorrupt is wrapped by every error about an artifact's content.
var ErrCorrupt = errors.New("corrupt model artifact")

// Algorithm names.
const (
	Logistic = "logistic"
	GBDT     = "gbdt"
)

// Manifest describes an artifact; it is manifest.json.
type Manifest struct {
	FormatVersion int       `json:"format_version"`
	Name          string    `json:"name"`
	Version       string    `json:"version"`
	TrainedAt     time.Time `json:"trained_at"`
	// SegmentColumn is the lead attribute that routes to segment scorers;
	// empty when the artifact has only the global scorer.
	SegmentColumn string `json:"segment_column,omitempty"`
	// Segments lists every segment value seen in training and what serves it.
	Segments []Segment `json:"segments,omitempty"`
	// Inputs fingerprints the training files.
	Inputs []Fingerprint `json:"inputs,omitempty"`
	// Config is the training configuration, as the trainer resolved it.
	Config json.RawMessage `json:"config,omitempty"`
	// Leakage lists the columns the feature fit suspected of leaking the outcome.
	Leakage []features.LeakageWarning `json:"leakage,omitempty"`
	// Warnings are other notes for the people who read `model inspect`,
	// e.g. "the champion is weak: test AUC 0.49".
	Warnings []string `json:"warnings,omitempty"`
	// Files maps each other file of the artifact to its SHA-256.
	Files map[string]string `json:"files"`
}

// Segment says what serves one value of the segment column.
type Segment struct {
	Value     string `json:"value"`
	Positives int    `json:"positives"` // won leads in the training rows
	// Scorer is the scorer's name when the segment has a model of its own;
	// empty when it fell under the minimum-data gate.
	Scorer string `json:"scorer,omitempty"`
	// Fallback is "global" or "rules" when Scorer is empty.
	Fallback string `json:"fallback,omitempty"`
}

// Fingerprint identifies one input file of a training run.
type Fingerprint struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows"`
}

// Thresholds map a calibrated probability to a lifecycle stage: below
// Disqualify → disqualified, below MQL → nurture, below SQL → MQL, else SQL.
type Thresholds struct {
	Version    string  `json:"version"`
	Disqualify float64 `json:"disqualify"`
	MQL        float64 `json:"mql"`
	SQL        float64 `json:"sql"`
}

// Validate reports whether the thresholds are ordered probabilities.
func (t Thresholds) Validate() error {
	if !(0 <= t.Disqualify && t.Disqualify <= t.MQL && t.MQL <= t.SQL && t.SQL <= 1) {
		return fmt.Errorf("thresholds must satisfy 0 <= disqualify <= mql <= sql <= 1, got %v <= %v <= %v", t.Disqualify, t.MQL, t.SQL)
	}
	return nil
}

// Predictor is one fitted model with its calibrator and its metrics.
type Predictor struct {
	Algorithm string `json:"algorithm"`
	// Forest is set for GBDT; it scores the transformer's tree view.
	Forest *tree.Forest `json:"forest,omitempty"`
	// Linear is set for logistic regression; it scores the linear view.
	Linear *linear.Model `json:"linear,omitempty"`
	// Calibrator maps the margin to a probability.
	Calibrator *calib.Calibrator `json:"calibrator"`
	// Importance per tree-view feature, summing to 1.
	Importance []float64 `json:"importance"`
	// Metrics on the validation and test rows, and per test quarter.
	Valid      eval.Metrics            `json:"valid"`
	Test       eval.Metrics            `json:"test"`
	PerQuarter map[string]eval.Metrics `json:"per_quarter,omitempty"`
	// Training notes: rounds, iterations, convergence, chosen L2.
	Notes map[string]string `json:"notes,omitempty"`
}

// Scorer is one sub-model: the global model, or a segment's.
type Scorer struct {
	Name        string                `json:"name"`
	Transformer *features.Transformer `json:"transformer"`
	Champion    *Predictor            `json:"champion"`
	Challenger  *Predictor            `json:"challenger,omitempty"`
	Thresholds  Thresholds            `json:"thresholds"`
	// FitQuantiles and EngagementQuantiles are the 0th..100th percentiles of
	// the fit and engagement parts of the logistic margin over the training
	// leads; a lead's sub-score is its percentile among them.
	FitQuantiles        []float64 `json:"fit_quantiles"`
	EngagementQuantiles []float64 `json:"engagement_quantiles"`
	// Axes maps each linear-view column to its sub-score axis.
	Axes []Axis `json:"axes"`
	// SubScoreModel is the logistic model whose margin parts give the
	// sub-scores; the challenger or champion logistic regression.
	SubScoreModel *linear.Model `json:"sub_score_model"`
	// TrainRows and TrainPositives describe the training rows.
	TrainRows      int `json:"train_rows"`
	TrainPositives int `json:"train_positives"`

	featsOnce sync.Once
	feats     []features.Feature
}

// Axis is the sub-score a feature counts toward.
type Axis uint8

// The axes.
const (
	AxisNone Axis = iota
	AxisFit
	AxisEngagement
)

// Artifact is a loaded or about-to-be-written model version.
type Artifact struct {
	Manifest Manifest
	Spec     []byte // spec.yaml, as written
	Scorers  map[string]*Scorer
	// Rules is rules.yaml: the rules model with its points-to-probability
	// calibration fitted on the same history, or nil when training had no
	// rules. The server uses it as the fallback unless given another.
	Rules []byte
}

// Global returns the global scorer.
func (a *Artifact) Global() *Scorer { return a.Scorers["global"] }

// Save writes a under root/<name>/<version>/ atomically and returns that
// directory. It fills in the manifest's format version and checksums. An
// existing version directory is never overwritten.
func Save(root string, a *Artifact) (string, error) {
	m := a.Manifest
	if m.Name == "" || m.Version == "" {
		return "", fmt.Errorf("save model: name and version are required")
	}
	if strings.ContainsAny(m.Name, `/\`) || strings.ContainsAny(m.Version, `/\`) {
		return "", fmt.Errorf("save model: name %q and version %q must not contain path separators", m.Name, m.Version)
	}
	if _, ok := a.Scorers["global"]; !ok {
		return "", fmt.Errorf("save model %s: no global scorer", m.Name)
	}
	parent := filepath.Join(root, m.Name)
	final := filepath.Join(parent, m.Version)
	if _, err := os.Stat(final); err == nil {
		return "", fmt.Errorf("save model: %s already exists", final)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+m.Version+"-")
	if err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()

	files := map[string][]byte{"spec.yaml": a.Spec}
	if a.Rules != nil {
		files["rules.yaml"] = a.Rules
	}
	names := make([]string, 0, len(a.Scorers))
	for name := range a.Scorers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := a.Scorers[name]
		if err := s.Validate(); err != nil {
			return "", fmt.Errorf("save model %s: scorer %s: %w", m.Name, name, err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return "", fmt.Errorf("save model %s: scorer %s: %w", m.Name, name, err)
		}
		files[scorerFile(name)] = b
	}
	m.FormatVersion = FormatVersion
	m.Files = make(map[string]string, len(files))
	if err := os.Mkdir(filepath.Join(tmp, "scorers"), 0o755); err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	for rel, b := range files {
		m.Files[rel] = checksum(b)
		if err := writeFileSync(filepath.Join(tmp, rel), b); err != nil {
			return "", fmt.Errorf("save model: %w", err)
		}
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("save model: manifest: %w", err)
	}
	if err := writeFileSync(filepath.Join(tmp, "manifest.json"), append(mb, '\n')); err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("save model: %w", err)
	}
	ok = true
	a.Manifest = m
	return final, syncDir(parent)
}

// scorerFile is the artifact-relative path of a scorer. Segment names such
// as "product_line=analytics" are kept readable; other characters are
// escaped.
func scorerFile(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '=', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "%%%02X", r)
		}
	}
	return "scorers/" + b.String() + ".json"
}

// Load reads and validates the artifact in dir (a version directory).
func Load(dir string) (*Artifact, error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("load model %s: %w: %s", dir, ErrCorrupt, fmt.Sprintf(format, args...))
	}
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, corrupt("no manifest.json")
		}
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, corrupt("manifest.json: %v", err)
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("load model %s: %w: format version %d, this build reads %d", dir, ErrCorrupt, m.FormatVersion, FormatVersion)
	}
	if m.Name == "" || m.Version == "" {
		return nil, corrupt("manifest.json: name or version missing")
	}
	if _, ok := m.Files["spec.yaml"]; !ok {
		return nil, corrupt("manifest.json lists no spec.yaml")
	}
	a := &Artifact{Manifest: m, Scorers: map[string]*Scorer{}}
	rels := make([]string, 0, len(m.Files))
	for rel := range m.Files {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		if !filepath.IsLocal(rel) {
			return nil, corrupt("manifest.json names file %q outside the artifact", rel)
		}
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return nil, corrupt("%s: %v", rel, err)
		}
		if got := checksum(b); got != m.Files[rel] {
			return nil, corrupt("%s: checksum %s, manifest says %s", rel, got[:12], short(m.Files[rel]))
		}
		switch {
		case rel == "spec.yaml":
			a.Spec = b
		case rel == "rules.yaml":
			a.Rules = b
		case strings.HasPrefix(rel, "scorers/"):
			var s Scorer
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, corrupt("%s: %v", rel, err)
			}
			if err := s.Validate(); err != nil {
				return nil, corrupt("%s: %v", rel, err)
			}
			if _, dup := a.Scorers[s.Name]; dup {
				return nil, corrupt("%s: duplicate scorer %q", rel, s.Name)
			}
			a.Scorers[s.Name] = &s
		default:
			return nil, corrupt("manifest.json names unexpected file %q", rel)
		}
	}
	if a.Global() == nil {
		return nil, corrupt("no global scorer")
	}
	for _, seg := range m.Segments {
		if seg.Scorer != "" && a.Scorers[seg.Scorer] == nil {
			return nil, corrupt("segment %q routes to missing scorer %q", seg.Value, seg.Scorer)
		}
		if seg.Scorer == "" && seg.Fallback != "global" && seg.Fallback != "rules" {
			return nil, corrupt("segment %q has neither a scorer nor a fallback", seg.Value)
		}
	}
	return a, nil
}

// Validate checks that the parts of s fit together.
func (s *Scorer) Validate() error {
	if s.Name == "" {
		return errors.New("scorer has no name")
	}
	if s.Transformer == nil {
		return errors.New("no transformer")
	}
	if s.Champion == nil {
		return errors.New("no champion")
	}
	width := len(s.Transformer.Features())
	linWidth := s.Transformer.LinearWidth()
	for _, p := range []*Predictor{s.Champion, s.Challenger} {
		if p == nil {
			continue
		}
		if err := p.validate(width, linWidth); err != nil {
			return fmt.Errorf("%s: %w", p.Algorithm, err)
		}
	}
	if err := s.Thresholds.Validate(); err != nil {
		return err
	}
	if s.SubScoreModel != nil {
		if err := s.SubScoreModel.Validate(); err != nil {
			return fmt.Errorf("sub-score model: %w", err)
		}
		if len(s.SubScoreModel.Coef) != linWidth || len(s.Axes) != linWidth {
			return fmt.Errorf("sub-score model has %d coefficients and %d axes, linear view has %d columns",
				len(s.SubScoreModel.Coef), len(s.Axes), linWidth)
		}
		if err := checkQuantiles(s.FitQuantiles); err != nil {
			return fmt.Errorf("fit quantiles: %w", err)
		}
		if err := checkQuantiles(s.EngagementQuantiles); err != nil {
			return fmt.Errorf("engagement quantiles: %w", err)
		}
	}
	return nil
}

func (p *Predictor) validate(width, linWidth int) error {
	switch p.Algorithm {
	case GBDT:
		if p.Forest == nil {
			return errors.New("no forest")
		}
		if err := p.Forest.Validate(); err != nil {
			return err
		}
		if n := p.Forest.NumFeatures(); n > width {
			return fmt.Errorf("forest uses %d features, transformer makes %d", n, width)
		}
	case Logistic:
		if p.Linear == nil {
			return errors.New("no coefficients")
		}
		if err := p.Linear.Validate(); err != nil {
			return err
		}
		if len(p.Linear.Coef) != linWidth {
			return fmt.Errorf("%d coefficients, linear view has %d columns", len(p.Linear.Coef), linWidth)
		}
	default:
		return fmt.Errorf("unknown algorithm %q", p.Algorithm)
	}
	if p.Calibrator == nil {
		return errors.New("no calibrator")
	}
	return p.Calibrator.Validate()
}

func checkQuantiles(q []float64) error {
	if len(q) != 101 {
		return fmt.Errorf("%d values, want 101", len(q))
	}
	for i := 1; i < len(q); i++ {
		if !(q[i] >= q[i-1]) {
			return fmt.Errorf("not sorted at %d", i)
		}
	}
	return nil
}

func checksum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Versions lists the version directories of the model at dir (ROOT/<name>),
// newest first. Version names sort by time.
func Versions(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var vs []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "manifest.json")); err == nil {
				vs = append(vs, e.Name())
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(vs)))
	return vs, nil
}

// NewVersion returns a version name for an artifact trained at t: sortable
// by time, unique per second.
func NewVersion(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
