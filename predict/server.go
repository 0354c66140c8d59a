package predict

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"leadscore/model"
	"leadscore/model/rules"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// DefaultMaxBatch is the default limit on the leads of one PredictBatch.
const DefaultMaxBatch = 1000

// DefaultMaxReasons is the number of reasons when a request asks for 0.
const DefaultMaxReasons = 5

// Errors the server maps to gRPC codes in toStatus.
var (
	// ErrUnknownModel: the request names a model that is not served (NOT_FOUND).
	ErrUnknownModel = errors.New("unknown model")
	// ErrNoAnswer: no model can answer and no rules model is loaded (UNAVAILABLE).
	ErrNoAnswer = errors.New("no model can answer and no rules model is loaded")
)

// A Record is one answer, as written to the prediction log.
type Record struct {
	LeadID          string
	ScoredAt        time.Time
	Model, Version  string
	Source          string // "MODEL" or "RULES"
	FallbackReason  string
	Probability     float64
	Score           int32
	Stage           string // e.g. "SQL"
	FitScore        int32
	EngagementScore int32
	// Reasons are the top reasons as "feature:+0.42;feature2:-0.1".
	Reasons string
	// ChallengerProbability is NaN when no challenger scored the lead.
	ChallengerProbability float64
	// ProductLine and LeadSource are the lead's product_line and source
	// attributes; "" when absent.
	ProductLine, LeadSource string
}

// A Sink receives every answer. Append must not block (drop instead).
type Sink interface {
	Append(Record)
}

// ServerConfig configures a Server. A zero field means the default
// documented on it.
type ServerConfig struct {
	// Registry holds the trained models; nil serves the rules model only.
	Registry *Registry
	// Rules is the fallback; nil means none (SetRules may add it later).
	Rules *rules.Model
	// Logger; default discard.
	Logger *slog.Logger
	// Metrics; default NewMetrics(). Give the Registry the same value.
	Metrics *Metrics
	// MaxBatch limits PredictBatch. Default DefaultMaxBatch.
	MaxBatch int
	// Shadow also scores every model answer with the model's challenger,
	// logs both and records the challenger's probability; the answer never
	// changes.
	Shadow bool
	// Log receives every answer; nil logs nothing.
	Log Sink
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Server implements leadscorev1.LeadScoringServer. toStatus is its one
// error boundary.
type Server struct {
	leadscorev1.UnimplementedLeadScoringServer

	reg      *Registry // nil: rules only
	rules    atomic.Pointer[rulesEntry]
	log      *slog.Logger
	metrics  *Metrics
	maxBatch int
	shadow   bool
	sink     Sink
	now      func() time.Time
	health   *health.Server
	slabs    sync.Pool   // of *tableSlabs, for PredictBatch tables
	requests sync.Pool   // of *pooledRequest, for Predict (handlers.go)
	batches  sync.Pool   // of *pooledBatch, for PredictBatch (handlers.go)
	modelsUp atomic.Bool // the registry serves at least one model
	healthMu sync.Mutex  // makes each health update see and set one state

	// predictHandler and predictBatchHandler are Predict and PredictBatch
	// as grpc.UnaryHandler, made once (handlers.go).
	predictHandler, predictBatchHandler grpc.UnaryHandler
}

type rulesEntry struct {
	m     *rules.Model
	model Model
	score func(float64)
}

// NewServer returns a server. Its health service reports NOT_SERVING
// until a model or the rules are loaded.
func NewServer(cfg ServerConfig) *Server {
	s := &Server{
		reg: cfg.Registry, log: cfg.Logger, metrics: cfg.Metrics, maxBatch: cfg.MaxBatch,
		shadow: cfg.Shadow, sink: cfg.Log, now: cfg.Now, health: health.NewServer(),
	}
	s.slabs.New = func() any { return new(tableSlabs) }
	s.requests.New = func() any { return new(pooledRequest) }
	s.batches.New = func() any { return new(pooledBatch) }
	s.predictHandler = func(ctx context.Context, req any) (any, error) {
		return s.Predict(ctx, req.(*leadscorev1.PredictRequest))
	}
	s.predictBatchHandler = func(ctx context.Context, req any) (any, error) {
		return s.PredictBatch(ctx, req.(*leadscorev1.PredictBatchRequest))
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if s.maxBatch <= 0 {
		s.maxBatch = DefaultMaxBatch
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.setHealth()
	if cfg.Rules != nil {
		s.SetRules(cfg.Rules)
	}
	if s.reg != nil {
		s.reg.Watch(func(snap *Snapshot) {
			s.modelsUp.Store(len(snap.models) > 0)
			s.setHealth()
		})
	}
	return s
}

// SetRules replaces the rules model (nil removes it).
func (s *Server) SetRules(m *rules.Model) {
	if m == nil {
		s.rules.Store(nil)
	} else {
		obs := s.metrics.scores.WithLabelValues(rules.Name)
		s.rules.Store(&rulesEntry{m: m, model: RulesModel(m), score: obs.Observe})
	}
	s.setHealth()
}

// Health returns the gRPC health service, for registering and shutdown.
func (s *Server) Health() *health.Server { return s.health }

// MetricsHandler serves the Prometheus metrics; mount it on its own port.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.Handler() }

func (s *Server) setHealth() {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if s.modelsUp.Load() || s.rules.Load() != nil {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(leadscorev1.LeadScoring_ServiceDesc.ServiceName, st)
}

func (s *Server) snapshot() *Snapshot {
	if s.reg == nil {
		return emptySnapshot
	}
	return s.reg.Snapshot()
}

var emptySnapshot = &Snapshot{}

// request holds what one PredictRequest or PredictBatchRequest asks for.
type request struct {
	model    string
	useRules bool
	opt      Options
}

func (s *Server) parse(model string, explain bool, maxReasons int32, useRules bool, asOf *timestamppb.Timestamp) (request, error) {
	rq := request{model: model, useRules: useRules, opt: Options{Explain: explain, MaxReasons: int(maxReasons), Now: s.now()}}
	if maxReasons < 0 {
		return rq, &fieldError{index: -1, field: "max_reasons", msg: "must not be negative, got " + strconv.Itoa(int(maxReasons))}
	}
	if rq.opt.MaxReasons == 0 {
		rq.opt.MaxReasons = DefaultMaxReasons
	}
	if asOf != nil {
		if err := asOf.CheckValid(); err != nil {
			return rq, &fieldError{index: -1, field: "as_of", msg: "malformed: " + err.Error()}
		}
		rq.opt.AsOf = asOf.AsTime()
	}
	return rq, nil
}

// Predict implements leadscorev1.LeadScoringServer.
func (s *Server) Predict(ctx context.Context, req *leadscorev1.PredictRequest) (*leadscorev1.PredictResponse, error) {
	p, err := s.predictOne(ctx, s.snapshot(), req)
	if err != nil {
		return nil, s.toStatus(err)
	}
	return &leadscorev1.PredictResponse{Prediction: p, RequestId: req.GetRequestId()}, nil
}

func (s *Server) predictOne(ctx context.Context, snap *Snapshot, req *leadscorev1.PredictRequest) (*leadscorev1.Prediction, error) {
	rq, err := s.parse(req.GetModel(), req.GetExplain(), req.GetMaxReasons(), req.GetUseRules(), req.GetAsOf())
	if err != nil {
		return nil, err
	}
	return s.score(ctx, snap, &rq, req.GetLead(), "lead", -1)
}

// PredictBatch implements leadscorev1.LeadScoringServer. The whole batch
// is validated before any lead is scored, and ctx is checked between leads.
// A table is expanded into leads (leadsFromTable) and scored as they are;
// its errors name "table.rows[i]…".
func (s *Server) PredictBatch(ctx context.Context, req *leadscorev1.PredictBatchRequest) (*leadscorev1.PredictBatchResponse, error) {
	leads, path := req.GetLeads(), "leads"
	switch {
	case req.GetTable() != nil && len(leads) > 0:
		return nil, s.toStatus(&fieldError{index: -1, field: "table", msg: "set either leads or table, not both"})
	case req.GetTable() != nil:
		sl := s.slabs.Get().(*tableSlabs)
		defer func() {
			sl.release() // the leads are not used after the answer is built
			s.slabs.Put(sl)
		}()
		var err error
		if leads, err = leadsFromTable(req.GetTable(), s.maxBatch, sl); err != nil {
			return nil, s.toStatus(err)
		}
		path = "table.rows"
	case len(leads) == 0:
		return nil, s.toStatus(&fieldError{index: -1, field: "leads", msg: "empty: at least one lead (or a table) is required"})
	case len(leads) > s.maxBatch:
		return nil, s.toStatus(&fieldError{index: -1, field: "leads", msg: fmt.Sprintf("%d leads, the limit is %d", len(leads), s.maxBatch)})
	}
	rq, err := s.parse(req.GetModel(), req.GetExplain(), req.GetMaxReasons(), req.GetUseRules(), req.GetAsOf())
	if err != nil {
		return nil, s.toStatus(err)
	}
	var prev []*leadscorev1.Attribute // of the lead validated last
	for i, l := range leads {
		if err := validateLeadAttrs(l, path, i, req.GetTable() == nil, prev); err != nil {
			return nil, s.toStatus(err)
		}
		prev = l.GetAttributes()
	}
	snap := s.snapshot()
	out := make([]*leadscorev1.Prediction, len(leads))
	pre := s.prescore(ctx, snap, &rq, leads)
	for i, l := range leads {
		if err := ctx.Err(); err != nil {
			return nil, s.toStatus(err)
		}
		var pi *prescored
		if pre != nil {
			pi = &pre[i]
		}
		p, err := s.scoreValidWith(ctx, snap, &rq, l, path, i, pi)
		if err != nil {
			return nil, s.toStatus(err)
		}
		out[i] = p
	}
	return &leadscorev1.PredictBatchResponse{Predictions: out}, nil
}

// PredictStream implements leadscorev1.LeadScoringServer: one response per
// request, in order; a bad request gets an error response and the stream
// goes on.
func (s *Server) PredictStream(stream leadscorev1.LeadScoring_PredictStreamServer) error {
	ctx := stream.Context()
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp := &leadscorev1.PredictResponse{RequestId: req.GetRequestId()}
		p, err := s.predictOne(ctx, s.snapshot(), req)
		if err != nil {
			if ctx.Err() != nil {
				return s.toStatus(ctx.Err())
			}
			st, _ := status.FromError(s.toStatus(err))
			resp.Error = &leadscorev1.RequestError{Code: int32(st.Code()), Message: st.Message()}
		} else {
			resp.Prediction = p
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// ListModels implements leadscorev1.LeadScoringServer.
func (s *Server) ListModels(context.Context, *leadscorev1.ListModelsRequest) (*leadscorev1.ListModelsResponse, error) {
	snap := s.snapshot()
	resp := &leadscorev1.ListModelsResponse{DefaultModel: snap.def, RulesLoaded: s.rules.Load() != nil}
	for _, name := range snap.Names() {
		resp.Models = append(resp.Models, snap.models[name].info)
	}
	return resp, nil
}

// GetModel implements leadscorev1.LeadScoringServer. "rules" describes the
// rules model.
func (s *Server) GetModel(_ context.Context, req *leadscorev1.GetModelRequest) (*leadscorev1.ModelInfo, error) {
	name := req.GetName()
	if name == "" {
		return nil, s.toStatus(&fieldError{index: -1, field: "name", msg: "missing"})
	}
	if e, ok := s.snapshot().models[name]; ok {
		return e.info, nil
	}
	if r := s.rules.Load(); r != nil && name == rules.Name {
		return r.model.Info(), nil
	}
	return nil, s.toStatus(fmt.Errorf("model %q: %w", name, ErrUnknownModel))
}

// score validates one lead and answers it.
func (s *Server) score(ctx context.Context, snap *Snapshot, rq *request, lead *leadscorev1.Lead, path string, index int) (*leadscorev1.Prediction, error) {
	if err := validateLead(lead, path, index); err != nil {
		return nil, err
	}
	return s.scoreValid(ctx, snap, rq, lead, path, index)
}

// scoreValid answers one validated lead: the routed model, else the rules
// with the reason why.
func (s *Server) scoreValid(ctx context.Context, snap *Snapshot, rq *request, lead *leadscorev1.Lead, path string, index int) (*leadscorev1.Prediction, error) {
	return s.scoreValidWith(ctx, snap, rq, lead, path, index, nil)
}

// scoreValidWith is scoreValid with the model's answer possibly computed
// already (pre, from prescore): it is used when the lead routes to the
// entry that computed it, else the model is called.
func (s *Server) scoreValidWith(ctx context.Context, snap *Snapshot, rq *request, lead *leadscorev1.Lead, path string, index int, pre *prescored) (*leadscorev1.Prediction, error) {
	if rq.useRules || rq.model == rules.Name {
		return s.fallback(ctx, lead, rq, ReasonRequested, path, index)
	}
	e, reason, err := snap.route(rq.model, lead)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return s.fallback(ctx, lead, rq, reason, path, index)
	}
	var p *leadscorev1.Prediction
	if pre != nil && pre.e == e {
		p, err = pre.p, pre.err
		if err == nil && p == nil {
			err = fmt.Errorf("model %s returned no prediction", e.name)
		}
	} else {
		p, err = s.callModel(ctx, e, lead, rq.opt)
	}
	switch {
	case err == nil:
	case asInputError(err) != nil:
		ie := asInputError(err)
		return nil, &fieldError{path: path, index: index, field: ie.Field, msg: "value " + strconv.Quote(ie.Value) + ": " + ie.Err.Error()}
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, ErrSegmentBelowMinimum):
		return s.fallback(ctx, lead, rq, ReasonSegmentBelowMinimum, path, index)
	default:
		s.log.Warn("model failed; answering with rules", "model", e.name, "version", e.version, "lead", lead.GetId(), "err", err)
		return s.fallback(ctx, lead, rq, ReasonModelError, path, index)
	}
	s.finish(p, lead, rq.opt, e.info)
	if e.score != nil {
		e.score.Observe(float64(p.Score))
	}
	challenger := math.NaN()
	if s.shadow {
		if c, ok := s.callChallenger(ctx, e, lead, rq.opt); ok {
			challenger = c
			s.metrics.shadow.WithLabelValues(e.name).Inc()
			s.log.Debug("shadow score", "model", e.name, "version", e.version, "lead", lead.GetId(),
				"champion", p.Probability, "challenger", c)
		}
	}
	s.record(p, lead, challenger, rq.opt.Now)
	return p, nil
}

// prescored is a model's answer to one lead of a batch, computed by
// prescore before the batch is answered lead by lead.
type prescored struct {
	e   *entry // nil: not computed
	p   *leadscorev1.Prediction
	err error
}

// prescore answers, in one call per model, the leads of a batch routed to
// a model that scores batches (batchPredictor); nil when there are none
// or the request asks for reasons or for the rules. A lead that does not
// route, or whose model panics, is left to scoreValidWith, which then
// calls the model for that lead alone (and recovers its panic).
func (s *Server) prescore(ctx context.Context, snap *Snapshot, rq *request, leads []*leadscorev1.Lead) []prescored {
	if rq.useRules || rq.model == rules.Name || rq.opt.Explain || len(leads) < 2 {
		return nil
	}
	pre := make([]prescored, len(leads))
	var ents []*entry
	for i, l := range leads {
		e, _, err := snap.route(rq.model, l)
		if err != nil || e == nil {
			continue
		}
		if _, ok := e.model.(batchPredictor); !ok {
			continue
		}
		pre[i].e = e
		if len(ents) == 0 || !slices.Contains(ents, e) {
			ents = append(ents, e)
		}
	}
	if len(ents) == 0 {
		return nil
	}
	sub := make([]*leadscorev1.Lead, 0, len(leads))
	at := make([]int, 0, len(leads))
	out := make([]*leadscorev1.Prediction, len(leads))
	errs := make([]error, len(leads))
	for _, e := range ents {
		sub, at = sub[:0], at[:0]
		for i := range pre {
			if pre[i].e == e {
				sub, at = append(sub, leads[i]), append(at, i)
			}
		}
		if !s.callBatch(ctx, e, sub, rq.opt, out[:len(sub)], errs[:len(sub)]) {
			for _, i := range at {
				pre[i].e = nil
			}
			continue
		}
		for k, i := range at {
			pre[i].p, pre[i].err = out[k], errs[k]
		}
	}
	return pre
}

// callBatch runs e's predictBatch and reports whether it returned; a
// panic is logged and counted like one of Predict.
func (s *Server) callBatch(ctx context.Context, e *entry, leads []*leadscorev1.Lead, opt Options, out []*leadscorev1.Prediction, errs []error) (ok bool) {
	clear(out)
	clear(errs)
	defer func() {
		if r := recover(); r != nil {
			s.metrics.panics.WithLabelValues(e.name).Inc()
			s.log.Error("model panicked scoring a batch; scoring its leads one by one", "model", e.name, "version", e.version,
				"leads", len(leads), "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	e.model.(batchPredictor).predictBatch(ctx, leads, opt, out, errs)
	return true
}

// asInputError returns err's *InputError, or nil. A function of its own so
// that the target of errors.As escapes to the heap only when a model
// failed, not on every answer.
func asInputError(err error) *InputError {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie
	}
	return nil
}

// route picks the entry for a request: the named model, else the segment
// route, else the default. A nil entry comes with the fallback reason.
func (snap *Snapshot) route(name string, lead *leadscorev1.Lead) (*entry, string, error) {
	if name == "" {
		for _, col := range snap.routeCols {
			if v := lead.Attribute(col); v != nil {
				if n, ok := snap.routes[col][v.GetStringValue()]; ok {
					return snap.models[n], "", nil
				}
			}
		}
		name = snap.def
		if name == "" {
			return nil, ReasonNoModel, nil
		}
	} else if _, ok := snap.models[name]; !ok {
		if _, ok := snap.unavailable[name]; !ok {
			return nil, "", fmt.Errorf("model %q: %w", name, ErrUnknownModel)
		}
	}
	if e, ok := snap.models[name]; ok {
		return e, "", nil
	}
	if _, ok := snap.unavailable[name]; ok {
		return nil, ReasonModelUnavailable, nil
	}
	return nil, ReasonNoModel, nil // the configured default is not on disk
}

// callModel runs Model.Predict, turning a panic into an error.
func (s *Server) callModel(ctx context.Context, e *entry, lead *leadscorev1.Lead, opt Options) (p *leadscorev1.Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.metrics.panics.WithLabelValues(e.name).Inc()
			s.log.Error("model panicked; answering with rules", "model", e.name, "version", e.version,
				"lead", lead.GetId(), "panic", r, "stack", string(debug.Stack()))
			p, err = nil, fmt.Errorf("model %s panicked: %v", e.name, r)
		}
	}()
	p, err = e.model.Predict(ctx, lead, opt)
	if err == nil && p == nil {
		err = fmt.Errorf("model %s returned no prediction", e.name)
	}
	return p, err
}

func (s *Server) callChallenger(ctx context.Context, e *entry, lead *leadscorev1.Lead, opt Options) (c float64, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("challenger panicked", "model", e.name, "version", e.version, "panic", r)
			c, ok = 0, false
		}
	}()
	return e.model.PredictChallenger(ctx, lead, opt)
}

// fallback answers with the rules model.
func (s *Server) fallback(ctx context.Context, lead *leadscorev1.Lead, rq *request, reason, path string, index int) (*leadscorev1.Prediction, error) {
	r := s.rules.Load()
	if r == nil {
		return nil, fmt.Errorf("%w (fallback reason %s)", ErrNoAnswer, reason)
	}
	s.metrics.fallbacks.WithLabelValues(reason).Inc()
	p, err := r.model.Predict(ctx, lead, rq.opt)
	if err != nil {
		return nil, err // the rules model has no errors of its own today
	}
	p.FallbackReason = reason
	s.finish(p, lead, rq.opt, r.model.Info())
	r.score(float64(p.Score))
	s.record(p, lead, math.NaN(), rq.opt.Now)
	return p, nil
}

// finish enforces the parts of the contract the server owns.
func (s *Server) finish(p *leadscorev1.Prediction, lead *leadscorev1.Lead, opt Options, info *leadscorev1.ModelInfo) {
	if p.LeadId == "" {
		p.LeadId = lead.GetId()
	}
	if p.ModelName == "" {
		p.ModelName = info.GetName()
	}
	if p.ModelVersion == "" {
		p.ModelVersion = info.GetVersion()
	}
	if p.Source == leadscorev1.Source_SOURCE_UNSPECIFIED {
		p.Source = leadscorev1.Source_SOURCE_MODEL
	}
	if !opt.Explain {
		p.Reasons = nil
	} else if len(p.Reasons) > opt.MaxReasons {
		p.Reasons = p.Reasons[:opt.MaxReasons]
	}
}

func (s *Server) record(p *leadscorev1.Prediction, lead *leadscorev1.Lead, challenger float64, now time.Time) {
	if s.sink == nil {
		return
	}
	s.sink.Append(Record{
		LeadID: p.LeadId, ScoredAt: now, Model: p.ModelName, Version: p.ModelVersion,
		Source: strings.ToLower(strings.TrimPrefix(p.Source.String(), "SOURCE_")), FallbackReason: p.FallbackReason,
		Probability: p.Probability, Score: p.Score, Stage: model.StageName(p.Stage),
		FitScore: p.FitScore, EngagementScore: p.EngagementScore, Reasons: model.FormatReasons(p.Reasons),
		ChallengerProbability: challenger,
		ProductLine:           lead.Attribute("product_line").GetStringValue(), LeadSource: lead.Attribute("source").GetStringValue(),
	})
}

// toStatus is the one place where errors become gRPC status codes.
func (s *Server) toStatus(err error) error {
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		return status.Error(codes.InvalidArgument, fe.Error())
	case errors.Is(err, ErrUnknownModel):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ErrNoAnswer):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return status.FromContextError(err).Err()
	}
	s.log.Error("internal error", "err", err)
	return status.Error(codes.Internal, "internal error")
}
