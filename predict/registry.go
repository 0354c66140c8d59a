package predict

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"leadscore/model"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// RegistryConfig configures a Registry. A zero field means the default
// documented on it.
type RegistryConfig struct {
	// Root is the models directory: Root/<name>/<version>/. Required.
	// Names and versions starting with "." (temporary directories of an
	// artifact being written) are ignored. Versions sort by name, newest
	// last, e.g. 20261123T194500Z-abcdef.
	Root string
	// Loader loads one version directory. Required.
	Loader Loader
	// Pins maps a model name to the version to serve instead of the newest;
	// pinning an older version is the rollback.
	Pins map[string]string
	// Default is the model answering requests that name none and match no
	// segment route. Default: the only model, when there is exactly one.
	Default string
	// PollInterval is how often Run rescans Root. Default 30 s.
	PollInterval time.Duration
	// Probe is the lead each new version must score before it is swapped
	// in. Default DefaultProbe().
	Probe *leadscorev1.Lead
	// CheckTimeout bounds the self-check of a new version. Default 10 s.
	CheckTimeout time.Duration
	// Logger receives reload events. Default: discard.
	Logger *slog.Logger
	// Metrics counts reloads; nil counts nothing.
	Metrics *Metrics
}

// DefaultProbe returns the probe lead of the self-check: a typical
// analytics lead of the synthetic history with a few events.
func DefaultProbe() *leadscorev1.Lead {
	created := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s, n := leadscorev1.StringAttribute, leadscorev1.NumberAttribute
	return &leadscorev1.Lead{
		Id:        "probe",
		CreatedAt: timestamppb.New(created),
		Attributes: []*leadscorev1.Attribute{
			s("product_line", "analytics"), s("source", "inbound"), s("industry", "software"),
			s("employee_band", "201-1000"), n("employees", 400), s("country", "US"), s("icp_tier", "B"),
			s("role", "data_analyst"), s("seniority", "manager"), s("email_type", "business"),
			leadscorev1.BoolAttribute("is_competitor", false), n("budget", 50000),
		},
		Events: []*leadscorev1.Event{
			{Type: "email_open", Ts: timestamppb.New(created.Add(24 * time.Hour))},
			{Type: "pricing_page", Ts: timestamppb.New(created.Add(5 * 24 * time.Hour))},
		},
	}
}

// A Registry serves the newest (or pinned) version of every model under a
// models directory and reloads them on Reload, on the poll of Run, and on
// the admin handler. Each reload builds a new immutable Snapshot off to the
// side and swaps it in atomically; requests in flight finish on the
// snapshot they started with. A version that fails to load or fails the
// self-check is refused, logged and counted, and the version served before
// keeps serving.
type Registry struct {
	cfg  RegistryConfig
	log  *slog.Logger
	snap atomic.Pointer[Snapshot]

	mu       sync.Mutex // serialises reloads; guards the fields below
	pins     map[string]string
	refused  map[string]refusal // version dirs refused since the last forced reload
	watchers []func(*Snapshot)
}

// A refusal remembers why a version directory was refused, and the
// directory's modification time then: a poll retries the version only when
// the directory changed (e.g. a copy that was still in progress).
type refusal struct {
	err   error
	mtime time.Time
}

func dirMtime(dir string) time.Time {
	fi, err := os.Stat(dir)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// Snapshot is one immutable view of the served models.
type Snapshot struct {
	models      map[string]*entry
	unavailable map[string]error // models with no loadable version
	def         string
	routes      map[string]map[string]string // column → value → model name
	routeCols   []string
}

type entry struct {
	name, version, dir string
	model              Model
	info               *leadscorev1.ModelInfo // with available_versions and pinned
	score              prometheus.Observer    // nil without metrics
}

// Names returns the served model names, sorted.
func (s *Snapshot) Names() []string { return slices.Sorted(maps.Keys(s.models)) }

// Model returns the served model of that name.
func (s *Snapshot) Model(name string) (Model, bool) {
	e, ok := s.models[name]
	if !ok {
		return nil, false
	}
	return e.model, true
}

// Default returns the default model's name, or "".
func (s *Snapshot) Default() string { return s.def }

// Unavailable returns the models present on disk that no version of could
// be loaded, with the last error.
func (s *Snapshot) Unavailable() map[string]error { return maps.Clone(s.unavailable) }

// NewRegistry loads every model under cfg.Root once and returns the
// registry. It fails only for an invalid configuration or an unreadable
// root; models that fail to load are logged and reported as unavailable.
func NewRegistry(ctx context.Context, cfg RegistryConfig) (*Registry, error) {
	if cfg.Root == "" || cfg.Loader == nil {
		return nil, errors.New("predict: registry: Root and Loader are required")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 30 * time.Second
	}
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = 10 * time.Second
	}
	if cfg.Probe == nil {
		cfg.Probe = DefaultProbe()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{cfg: cfg, log: log, pins: map[string]string{}, refused: map[string]refusal{}}
	maps.Copy(r.pins, cfg.Pins)
	if _, err := os.ReadDir(cfg.Root); err != nil {
		return nil, fmt.Errorf("predict: registry: models directory: %w", err)
	}
	r.snap.Store(&Snapshot{})
	_ = r.reload(ctx, true) // failures are logged and leave models unavailable
	return r, nil
}

// Snapshot returns the current snapshot.
func (r *Registry) Snapshot() *Snapshot { return r.snap.Load() }

// Watch calls fn with the current snapshot now and after every swap, under
// the reload lock (fn must not call Reload).
func (r *Registry) Watch(fn func(*Snapshot)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.watchers = append(r.watchers, fn)
	fn(r.snap.Load())
}

// Reload rescans the models directory now (SIGHUP, admin call), retrying
// versions refused before. It returns every refusal, joined; the snapshot
// is swapped even then, with the refused models left as they were.
func (r *Registry) Reload(ctx context.Context) error { return r.reload(ctx, true) }

// Pin serves version of model name from now on ("" unpins: newest again)
// and reloads. Pinning an older version is the rollback.
func (r *Registry) Pin(ctx context.Context, name, version string) error {
	r.mu.Lock()
	if version == "" {
		delete(r.pins, name)
	} else {
		r.pins[name] = version
	}
	r.mu.Unlock()
	return r.reload(ctx, true)
}

// Run polls the models directory every PollInterval until ctx is done,
// loading new versions; a version refused before is retried only when its
// directory changed (Reload retries every one). Version directories are
// expected to appear complete (renamed into place) and never change; a
// changed one is not reloaded while it is being served. It returns ctx.Err().
func (r *Registry) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_ = r.reload(ctx, false)
		}
	}
}

// AdminHandler serves POST /reload and POST /pin?model=NAME&version=V
// (empty version unpins). It answers 200 with "ok", or 500 with the
// refusals. Mount it on an address only operators reach.
func (r *Registry) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, req *http.Request) {
		reply(w, r.Reload(req.Context()))
	})
	mux.HandleFunc("POST /pin", func(w http.ResponseWriter, req *http.Request) {
		name := req.URL.Query().Get("model")
		if name == "" {
			http.Error(w, "model: missing", http.StatusBadRequest)
			return
		}
		reply(w, r.Pin(req.Context(), name, req.URL.Query().Get("version")))
	})
	return mux
}

func listDirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil // os.ReadDir sorts by name
}

func (r *Registry) reload(ctx context.Context, force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if force {
		clear(r.refused)
	}
	cur := r.snap.Load()
	names, err := listDirs(r.cfg.Root)
	if err != nil {
		r.log.Error("models directory unreadable; keeping the served models", "dir", r.cfg.Root, "err", err)
		return fmt.Errorf("predict: reload: %w", err)
	}
	next := &Snapshot{models: map[string]*entry{}, unavailable: map[string]error{}, routes: map[string]map[string]string{}}
	var errs []error
	for _, name := range names {
		e, err := r.loadModel(ctx, cur, name)
		if err != nil {
			errs = append(errs, err)
		}
		switch {
		case e != nil:
			next.models[name] = e
		case err != nil:
			next.unavailable[name] = err
		}
	}
	switch {
	case r.cfg.Default != "":
		next.def = r.cfg.Default
	case len(names) == 1:
		next.def = names[0]
	}
	for name, e := range next.models {
		col, val, ok := strings.Cut(e.info.GetSegment(), "=")
		if !ok {
			continue
		}
		if next.routes[col] == nil {
			next.routes[col] = map[string]string{}
			next.routeCols = append(next.routeCols, col)
		}
		next.routes[col][val] = name
	}
	slices.Sort(next.routeCols)
	r.snap.Store(next)
	for _, w := range r.watchers {
		w(next)
	}
	return errors.Join(errs...)
}

// loadModel returns the entry to serve for name: the current one when its
// version is still the one wanted, else a newly loaded and checked one.
// When the wanted version is refused, it keeps the current entry (and
// returns the refusal too); without one it tries older versions.
func (r *Registry) loadModel(ctx context.Context, cur *Snapshot, name string) (*entry, error) {
	versions, err := listDirs(filepath.Join(r.cfg.Root, name))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	slices.Reverse(versions) // newest first
	old := cur.models[name]
	pin, pinned := r.pins[name]
	candidates := versions
	if pinned {
		if !slices.Contains(versions, pin) {
			err := fmt.Errorf("model %s: pinned version %q not found in %s", name, pin, filepath.Join(r.cfg.Root, name))
			r.log.Error("pinned version missing; keeping the served version", "model", name, "pin", pin)
			r.cfg.Metrics.reload(name, false)
			return r.refresh(old, versions, false), err
		}
		candidates = []string{pin}
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("model %s: %w: no versions", name, fs.ErrNotExist)
	}
	var lastErr error
	for _, v := range candidates {
		dir := filepath.Join(r.cfg.Root, name, v)
		if old != nil && old.dir == dir {
			return r.refresh(old, versions, pinned), lastErr
		}
		if ref, ok := r.refused[dir]; ok && ref.mtime.Equal(dirMtime(dir)) {
			lastErr = ref.err
			continue
		}
		e, err := r.load(ctx, name, v, dir)
		if err != nil {
			r.refused[dir] = refusal{err: err, mtime: dirMtime(dir)}
			r.cfg.Metrics.reload(name, false)
			r.log.Error("model version refused", "model", name, "version", v, "err", err)
			lastErr = err
			if old != nil {
				r.log.Warn("keeping the served version", "model", name, "version", old.version)
				return r.refresh(old, versions, pinned && old.version == pin), err
			}
			continue
		}
		r.cfg.Metrics.reload(name, true)
		r.log.Info("model version loaded", "model", name, "version", v, "dir", dir)
		return r.refresh(e, versions, pinned), lastErr
	}
	if old != nil {
		return r.refresh(old, versions, false), lastErr
	}
	return nil, lastErr
}

// refresh returns e with its ModelInfo's available versions and pin flag
// brought up to date; e itself is never modified (snapshots share it).
func (r *Registry) refresh(e *entry, versions []string, pinned bool) *entry {
	if e == nil {
		return nil
	}
	if slices.Equal(e.info.AvailableVersions, versions) && e.info.Pinned == pinned {
		return e
	}
	info := proto.Clone(e.info).(*leadscorev1.ModelInfo)
	info.AvailableVersions, info.Pinned = slices.Clone(versions), pinned
	ne := *e
	ne.info = info
	return &ne
}

// load runs the Loader and the self-check, recovering panics of either.
func (r *Registry) load(ctx context.Context, name, version, dir string) (e *entry, err error) {
	defer func() {
		if p := recover(); p != nil {
			e, err = nil, fmt.Errorf("load %s: panic: %v", dir, p)
		}
	}()
	m, err := r.cfg.Loader(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if m == nil {
		return nil, fmt.Errorf("load %s: loader returned no model", dir)
	}
	info := m.Info()
	if info == nil || info.Name != name || info.Version != version {
		return nil, fmt.Errorf("load %s: model says name %q version %q, directory says %q %q",
			dir, info.GetName(), info.GetVersion(), name, version)
	}
	if err := r.selfCheck(ctx, m); err != nil {
		return nil, fmt.Errorf("self-check %s: %w", dir, err)
	}
	e = &entry{name: name, version: version, dir: dir, model: m, info: proto.Clone(info).(*leadscorev1.ModelInfo)}
	if r.cfg.Metrics != nil {
		e.score = r.cfg.Metrics.scores.WithLabelValues(name)
	}
	return e, nil
}

// selfCheck scores the probe lead: it must succeed (or be gated to the
// rules) with a probability in [0, 1] and a matching score.
func (r *Registry) selfCheck(ctx context.Context, m Model) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.CheckTimeout)
	defer cancel()
	probe := r.cfg.Probe
	p, err := m.Predict(ctx, probe, Options{Explain: true, MaxReasons: 5, Now: probe.GetCreatedAt().AsTime().Add(90 * 24 * time.Hour)})
	if errors.Is(err, ErrSegmentBelowMinimum) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("probe lead: %w", err)
	}
	if pr := p.GetProbability(); !(pr >= 0 && pr <= 1) || math.IsNaN(pr) {
		return fmt.Errorf("probe lead: probability %v outside [0, 1]", pr)
	}
	if p.GetScore() != model.Score(p.GetProbability()) {
		return fmt.Errorf("probe lead: score %d, want round(100 × %v)", p.GetScore(), p.GetProbability())
	}
	return nil
}
