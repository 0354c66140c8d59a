package predict

import (
	"context"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// Default message-size limits. A batch of 1000 leads with 20 attributes
// and 50 events each is about 3 MiB.
const (
	DefaultMaxRecvMsgSize = 16 << 20
	DefaultMaxSendMsgSize = 16 << 20
)

// DefaultStreamWorkers is the default GRPCOptions.StreamWorkers: enough
// for the concurrency of a busy client pool (the bench-serve loads run 32
// and 64 calls at once).
const DefaultStreamWorkers = 128

// GRPCOptions configure NewGRPCServer. A zero field means the default.
type GRPCOptions struct {
	// MaxRecvMsgSize and MaxSendMsgSize bound one message, in bytes.
	// Defaults DefaultMaxRecvMsgSize and DefaultMaxSendMsgSize.
	MaxRecvMsgSize, MaxSendMsgSize int
	// StreamWorkers is the number of long-lived goroutines that run
	// calls (grpc.NumStreamWorkers); a call that finds them all busy gets
	// a goroutine of its own, as without workers. Reusing goroutines whose
	// stacks have already grown saves the stack growth a fresh goroutine
	// pays on every call: scoring needs tens of KB of stack (the forest's
	// row codes), and growing a fresh goroutine's stack to that was 20% of
	// a Predict call's CPU at 32 concurrent calls with GOMAXPROCS workers.
	// So there should be a worker for every call in flight, not for every
	// core: a call is in flight while it waits for a core too. Idle
	// workers cost only their stacks. Default DefaultStreamWorkers (or
	// GOMAXPROCS, if larger); negative: none.
	StreamWorkers int
	// Extra options (TLS credentials, keepalive, …) are appended. An
	// interceptor added here must not use a Predict or PredictBatch
	// request after the call returns: the server reuses its memory
	// (handlers.go).
	Extra []grpc.ServerOption
}

// NewGRPCServer returns a gRPC server with s, the health service and
// reflection registered, and the interceptors chained as metrics → slog
// logging → recovery. The recovery interceptor answers a panic with
// INTERNAL "internal error" and logs the stack; the client never sees it.
func (s *Server) NewGRPCServer(o GRPCOptions) *grpc.Server {
	if o.MaxRecvMsgSize <= 0 {
		o.MaxRecvMsgSize = DefaultMaxRecvMsgSize
	}
	if o.MaxSendMsgSize <= 0 {
		o.MaxSendMsgSize = DefaultMaxSendMsgSize
	}
	if o.StreamWorkers == 0 {
		o.StreamWorkers = max(DefaultStreamWorkers, runtime.GOMAXPROCS(0))
	}
	unary, stream := s.interceptors()
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(o.MaxRecvMsgSize),
		grpc.MaxSendMsgSize(o.MaxSendMsgSize),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.ForceServerCodecV2(newCodec()),
	}
	if o.StreamWorkers > 0 {
		opts = append(opts, grpc.NumStreamWorkers(uint32(o.StreamWorkers)))
	}
	opts = append(opts, o.Extra...)
	g := grpc.NewServer(opts...)
	g.RegisterService(s.serviceDesc(), s) // leadscorev1.RegisterLeadScoringServer with pooled requests
	healthpb.RegisterHealthServer(g, s.health)
	reflection.Register(g)
	s.metrics.grpc.initialize(g)
	return g
}

func (s *Server) interceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		s.log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	onPanic := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		s.log.ErrorContext(ctx, "panic in a gRPC handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	})
	// One line per finished call: OK at debug (the hot path), client
	// mistakes at info, server-side failures at error.
	logOpts := []logging.Option{logging.WithLogOnEvents(logging.FinishCall), logging.WithLevels(callLevel)}
	return []grpc.UnaryServerInterceptor{
			s.metrics.grpc.unary,
			s.logUnary,
			recovery.UnaryServerInterceptor(onPanic),
		}, []grpc.StreamServerInterceptor{
			s.metrics.grpc.stream,
			logging.StreamServerInterceptor(logger, logOpts...),
			recovery.StreamServerInterceptor(onPanic),
		}
}

// Shutdown stops g gracefully: health turns NOT_SERVING, so load
// balancers stop sending, and in-flight calls finish; when ctx ends first,
// the remaining calls are cancelled.
func (s *Server) Shutdown(ctx context.Context, g *grpc.Server) {
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		g.Stop()
		<-done
	}
}

func callLevel(c codes.Code) logging.Level {
	switch c {
	case codes.OK:
		return logging.LevelDebug
	case codes.InvalidArgument, codes.NotFound, codes.Canceled, codes.DeadlineExceeded, codes.ResourceExhausted:
		return logging.LevelInfo
	}
	return logging.LevelError
}

// logUnary logs one line per finished unary call at callLevel of its code,
// with the fields the go-grpc-middleware logging interceptor (still used
// for streams) writes. That interceptor built its fields on every call,
// even when the line was then discarded at debug level: 12% of a Predict
// call's CPU. This one does nothing but time the call unless the line is
// written.
func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	code := status.Code(err)
	if lvl := slog.Level(callLevel(code)); s.log.Enabled(ctx, lvl) {
		service, method := splitMethod(info.FullMethod)
		attrs := []slog.Attr{
			slog.String("protocol", "grpc"), slog.String("grpc.component", "server"),
			slog.String("grpc.service", service), slog.String("grpc.method", method),
			slog.String("grpc.method_type", "unary"), slog.String("grpc.code", code.String()),
			slog.String("grpc.time_ms", strconv.FormatFloat(float64(time.Since(start).Microseconds())/1000, 'f', 3, 64)),
		}
		if err != nil {
			attrs = append(attrs, slog.String("grpc.error", err.Error()))
		}
		s.log.LogAttrs(ctx, lvl, "finished call", attrs...)
	}
	return resp, err
}

// splitMethod splits "/package.Service/Method".
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "unknown", full
}
