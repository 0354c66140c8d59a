// Package predlog appends every answer of the prediction server to Parquet
// files, for monitoring and for the quarterly calibration report.
//
// Append never blocks the request path: records go into a bounded queue,
// and a record that finds the queue full is dropped and counted. One
// goroutine buffers the records and writes a file when it holds MaxRows
// rows, reaches about MaxBytes, or is MaxAge old, and on Close. Each file
// is written by data.WriteParquet, which writes a hidden temporary file and
// renames it into place only when complete, so a crash never leaves an
// unreadable file. Files are named <prefix>-<first record UTC>-<seq>.parquet
// and hold the columns
//
//	lead_id, scored_at, model, version, answered_by (model/rules), fallback_reason,
//	probability, score, stage, fit_score, engagement_score, reasons
//	("feat:+0.42;feat2:-0.1"), challenger_probability, product_line, source (the lead's)
//
// with nulls for an empty fallback reason or reasons, a missing challenger,
// and absent product_line or lead source (the lead's `source` attribute).
package predlog

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"leadscore/data"
	"leadscore/predict"
)

// Config configures a Logger. A zero field means the default documented on it.
type Config struct {
	// Dir is the directory of the files; it must exist. Required.
	Dir string
	// Prefix starts every file name. Default "predictions".
	Prefix string
	// MaxRows rotates after this many rows. Default 100,000.
	MaxRows int
	// MaxBytes rotates when the buffered records reach about this size
	// (strings plus 80 bytes a row). Default 64 MiB.
	MaxBytes int
	// MaxAge writes a file at the latest this long after its first record.
	// Default 5 minutes.
	MaxAge time.Duration
	// Queue is the number of records waiting to be buffered before
	// Append drops. Default 8192.
	Queue int
	// Write is passed to data.WriteParquet.
	Write data.WriteOptions
	// Logger receives write errors. Default discard.
	Logger *slog.Logger
}

// Logger is the prediction log. It implements predict.Sink.
type Logger struct {
	cfg     Config
	log     *slog.Logger
	ch      chan predict.Record
	flushCh chan chan error
	done    chan struct{}

	mu     sync.RWMutex // guards closed against Append racing Close
	closed bool

	dropped atomic.Uint64
	files   atomic.Uint64
	rows    atomic.Uint64
	err     error // first write error; read after done
}

var _ predict.Sink = (*Logger)(nil)

// New starts a Logger.
func New(cfg Config) (*Logger, error) {
	if cfg.Dir == "" {
		return nil, errors.New("predlog: Dir is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("predlog: %w", err)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "predictions"
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = 100_000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 64 << 20
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 5 * time.Minute
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 8192
	}
	cfg.Write.Int64 = append(cfg.Write.Int64, "score", "fit_score", "engagement_score")
	l := &Logger{cfg: cfg, log: cfg.Logger, ch: make(chan predict.Record, cfg.Queue),
		flushCh: make(chan chan error), done: make(chan struct{})}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	go l.run()
	return l, nil
}

// Append queues r, or drops and counts it when the queue is full or the
// Logger is closed. It never blocks.
func (l *Logger) Append(r predict.Record) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.dropped.Add(1)
		return
	}
	select {
	case l.ch <- r:
	default:
		l.dropped.Add(1)
	}
}

// Dropped returns the number of records dropped so far.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Written returns the files and rows written so far.
func (l *Logger) Written() (files, rows uint64) { return l.files.Load(), l.rows.Load() }

// Collectors returns counters of the dropped and written rows, for
// predict.Metrics.Registry().
func (l *Logger) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "leadscore_predlog_dropped_total",
			Help: "Prediction log records dropped because the queue was full."}, func() float64 { return float64(l.Dropped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "leadscore_predlog_rows_total",
			Help: "Prediction log rows written."}, func() float64 { return float64(l.rows.Load()) }),
	}
}

// Flush writes the records queued so far into a file now (none when there
// are none) and returns the write error, if any.
func (l *Logger) Flush() error {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return errors.New("predlog: flush after close")
	}
	reply := make(chan error, 1)
	l.flushCh <- reply
	l.mu.RUnlock()
	return <-reply
}

// Close writes every queued record and stops the Logger. It returns the
// first write error since New.
func (l *Logger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return l.err
	}
	l.closed = true
	close(l.ch)
	l.mu.Unlock()
	<-l.done
	return l.err
}

func (l *Logger) run() {
	defer close(l.done)
	var b buffer
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	write := func() error {
		if b.n == 0 {
			return nil
		}
		err := l.write(&b)
		if err != nil {
			l.log.Error("prediction log: write failed; records lost", "rows", b.n, "err", err)
			if l.err == nil {
				l.err = err
			}
		}
		b.reset()
		timer.Stop()
		return err
	}
	for {
		select {
		case r, ok := <-l.ch:
			if !ok {
				_ = write()
				return
			}
			if b.n == 0 {
				timer.Reset(l.cfg.MaxAge)
			}
			b.add(r)
			if b.n >= l.cfg.MaxRows || b.bytes >= l.cfg.MaxBytes {
				_ = write()
			}
		case <-timer.C:
			_ = write()
		case reply := <-l.flushCh:
			// Take what is queued now, then write it.
			for drained := false; !drained; {
				select {
				case r, ok := <-l.ch:
					if !ok {
						drained = true
						break
					}
					b.add(r)
					if b.n >= l.cfg.MaxRows || b.bytes >= l.cfg.MaxBytes {
						_ = write()
					}
				default:
					drained = true
				}
			}
			reply <- write()
		}
	}
}

func (l *Logger) write(b *buffer) error {
	seq := l.files.Load() + 1
	name := fmt.Sprintf("%s-%s-%06d.parquet", l.cfg.Prefix, b.first.UTC().Format("20060102T150405.000000Z"), seq)
	t, err := b.table()
	if err != nil {
		return fmt.Errorf("predlog: %s: %w", name, err)
	}
	if err := data.WriteParquet(filepath.Join(l.cfg.Dir, name), t, l.cfg.Write); err != nil {
		return fmt.Errorf("predlog: %w", err)
	}
	l.files.Add(1)
	l.rows.Add(uint64(b.n))
	return nil
}

// buffer holds the records of the file being filled, by column.
type buffer struct {
	n     int
	bytes int
	first time.Time

	leadID, model, version, source, reason, stage, reasons, productLine, leadSource []string
	reasonOK, reasonsOK, productLineOK, leadSourceOK                                []bool
	scoredAt                                                                        []int64
	prob, score, fit, eng, challenger                                               []float64
}

func (b *buffer) add(r predict.Record) {
	if b.n == 0 {
		b.first = r.ScoredAt
	}
	b.n++
	b.bytes += 80 + len(r.LeadID) + len(r.Model) + len(r.Version) + len(r.Reasons) + len(r.ProductLine) + len(r.LeadSource)
	b.leadID = append(b.leadID, r.LeadID)
	b.scoredAt = append(b.scoredAt, r.ScoredAt.UnixMicro())
	b.model = append(b.model, r.Model)
	b.version = append(b.version, r.Version)
	b.source = append(b.source, r.Source)
	b.reason, b.reasonOK = append(b.reason, r.FallbackReason), append(b.reasonOK, r.FallbackReason != "")
	b.prob = append(b.prob, r.Probability)
	b.score = append(b.score, float64(r.Score))
	b.stage = append(b.stage, r.Stage)
	b.fit = append(b.fit, float64(r.FitScore))
	b.eng = append(b.eng, float64(r.EngagementScore))
	b.reasons, b.reasonsOK = append(b.reasons, r.Reasons), append(b.reasonsOK, r.Reasons != "")
	b.challenger = append(b.challenger, r.ChallengerProbability)
	b.productLine, b.productLineOK = append(b.productLine, r.ProductLine), append(b.productLineOK, r.ProductLine != "")
	b.leadSource, b.leadSourceOK = append(b.leadSource, r.LeadSource), append(b.leadSourceOK, r.LeadSource != "")
}

func (b *buffer) reset() { *b = buffer{} }

func (b *buffer) table() (*data.Table, error) {
	challenger := make([]float64, b.n)
	for i, c := range b.challenger {
		challenger[i] = c
		if math.IsInf(c, 0) {
			challenger[i] = math.NaN()
		}
	}
	return data.NewTable(
		data.NewStringColumn("lead_id", b.leadID, nil),
		data.NewTimeColumn("scored_at", b.scoredAt, nil),
		data.NewStringColumn("model", b.model, nil),
		data.NewStringColumn("version", b.version, nil),
		data.NewStringColumn("answered_by", b.source, nil),
		data.NewStringColumn("fallback_reason", b.reason, b.reasonOK),
		data.NewFloatColumn("probability", b.prob),
		data.NewFloatColumn("score", b.score),
		data.NewStringColumn("stage", b.stage, nil),
		data.NewFloatColumn("fit_score", b.fit),
		data.NewFloatColumn("engagement_score", b.eng),
		data.NewStringColumn("reasons", b.reasons, b.reasonsOK),
		data.NewFloatColumn("challenger_probability", challenger),
		data.NewStringColumn("product_line", b.productLine, b.productLineOK),
		data.NewStringColumn("source", b.leadSource, b.leadSourceOK),
	)
}
