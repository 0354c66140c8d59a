package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"leadscore/model"
	"leadscore/model/rules"
	"leadscore/predict"
	"leadscore/predict/predlog"
)

func serveCommand() command {
	return command{
		name:    "serve",
		summary: "serve the models of a directory over gRPC, with the rules model as fallback",
		usage:   "--models DIR [--rules rules.yaml] [--addr 127.0.0.1:50051] [--metrics-addr 127.0.0.1:9090] [--log-dir DIR]",
		run:     runServe,
	}
}

// defaultServeGCPercent is the server's default garbage collector target.
// The server's live heap is small (models and pools, tens of MB) while
// every call allocates its answer, so with Go's default of 100 the
// collector ran very often under load; at 400, PredictBatch of 100-lead
// tables took 350-393 instead of 433-508 µs of server CPU per call
// (bench-serve), for a few tens of MB more memory.
const defaultServeGCPercent = 400

func runServe(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
	modelsDir := fs.String("models", "", "models directory: DIR/<name>/<version>/ (required)")
	rulesPath := fs.String("rules", "", "rules fallback (YAML); default: the calibrated rules stored with the default model, if any")
	addr := fs.String("addr", "127.0.0.1:50051", "gRPC listen address")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9090", "HTTP address for /metrics and the admin endpoints (/admin/reload, /admin/pin); empty disables")
	logDir := fs.String("log-dir", "", "directory for the prediction log (Parquet files); empty disables")
	var pins stringList
	fs.Var(&pins, "pin", "serve NAME at VERSION instead of the newest: NAME=VERSION (repeatable); pinning an older version rolls back")
	def := fs.String("default", "", "model answering requests that name none (default: the only model)")
	shadow := fs.Bool("shadow", false, "also score every request with the challenger and log it (answers never change)")
	poll := fs.Duration("poll", 10*time.Second, "how often to look for new model versions")
	maxBatch := fs.Int("max-batch", predict.DefaultMaxBatch, "largest PredictBatch accepted")
	grace := fs.Duration("grace", 10*time.Second, "how long in-flight calls may finish at shutdown")
	gcPercent := fs.Int("gc-percent", defaultServeGCPercent, "garbage collector target (as GOGC); the GOGC environment variable, when set, wins")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *modelsDir == "" {
		return usagef("--models is required")
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gcPercent)
	}
	pinMap := map[string]string{}
	for _, p := range pins {
		n, v, ok := strings.Cut(p, "=")
		if !ok || n == "" || v == "" {
			return usagef("--pin %q: want NAME=VERSION", p)
		}
		pinMap[n] = v
	}
	if err := os.MkdirAll(*modelsDir, 0o755); err != nil {
		return err
	}

	metrics := predict.NewMetrics()
	reg, err := predict.NewRegistry(ctx, predict.RegistryConfig{
		Root: *modelsDir, Loader: predict.LoadArtifact, Pins: pinMap, Default: *def,
		PollInterval: *poll, Logger: e.log, Metrics: metrics,
	})
	if err != nil {
		return err
	}
	rm, rulesFrom, err := loadRules(*rulesPath, *modelsDir, reg)
	if err != nil {
		return err
	}
	var sink predict.Sink
	var plog *predlog.Logger
	if *logDir != "" {
		if plog, err = predlog.New(predlog.Config{Dir: *logDir, Logger: e.log}); err != nil {
			return err
		}
		metrics.Registry().MustRegister(plog.Collectors()...)
		sink = plog
	}
	srv := predict.NewServer(predict.ServerConfig{
		Registry: reg, Rules: rm, Logger: e.log, Metrics: metrics,
		MaxBatch: *maxBatch, Shadow: *shadow, Log: sink,
	})
	g := srv.NewGRPCServer(predict.GRPCOptions{})
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 3)
	go func() { errc <- g.Serve(lis) }()
	go func() { errc <- reg.Run(ctx) }()
	var hs *http.Server
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", srv.MetricsHandler())
		mux.Handle("/admin/", http.StripPrefix("/admin", reg.AdminHandler()))
		hl, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			g.Stop()
			return err
		}
		hs = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := hs.Serve(hl); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		e.log.Info("metrics and admin", "addr", hl.Addr().String())
	}
	snap := reg.Snapshot()
	e.log.Info("serving", "addr", lis.Addr().String(), "models", strings.Join(snap.Names(), ","),
		"default", snap.Default(), "rules", rulesFrom, "log_dir", *logDir)
	fmt.Fprintf(e.stdout, "serving on %s (models: %s; rules: %s)\n", lis.Addr(), strings.Join(snap.Names(), ", "), rulesFrom)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var runErr error
loop:
	for {
		select {
		case <-hup:
			e.log.Info("SIGHUP: reloading models")
			if err := reg.Reload(ctx); err != nil {
				e.log.Error("reload", "err", err)
			}
		case <-ctx.Done():
			break loop
		case err := <-errc:
			if err != nil && !errors.Is(err, context.Canceled) {
				runErr = err
			}
			break loop
		}
	}
	e.log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	srv.Shutdown(sctx, g)
	if hs != nil {
		hs.Shutdown(sctx)
	}
	stop()
	if plog != nil {
		if err := plog.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	return runErr
}

// loadRules returns the rules fallback: the --rules file, else the
// calibrated rules stored with the default model's artifact, else none.
func loadRules(path, root string, reg *predict.Registry) (*rules.Model, string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		m, err := rules.Parse(b)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return m, path, nil
	}
	snap := reg.Snapshot()
	name := snap.Default()
	if name == "" {
		return nil, "none", nil
	}
	m, ok := snap.Model(name)
	if !ok {
		return nil, "none", nil
	}
	dir := filepath.Join(root, name, m.Info().GetVersion())
	b, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "none", nil
	}
	if err != nil {
		return nil, "", err
	}
	if _, err := model.Load(dir); err != nil { // checksums cover rules.yaml
		return nil, "", err
	}
	r, err := rules.Parse(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", filepath.Join(dir, "rules.yaml"), err)
	}
	return r, filepath.Join(dir, "rules.yaml") + " (calibrated in training)", nil
}
