package predict

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Default message-size limits. A batch of 1000 leads with 20 attributes
// and 50 events each is about 3 MiB.
const (
	DefaultMaxRecvMsgSize = 16 << 20
	DefaultMaxSendMsgSize = 16 << 20
)

// GRPCOptions configure NewGRPCServer. A zero field means the default.
type GRPCOptions struct {
	// MaxRecvMsgSize and MaxSendMsgSize bound one message, in bytes.
	// Defaults DefaultMaxRecvMsgSize and DefaultMaxSendMsgSize.
	MaxRecvMsgSize, MaxSendMsgSize int
	// Extra options (TLS credentials, keepalive, …) are appended.
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
	unary, stream := s.interceptors()
	opts := append([]grpc.ServerOption{
		grpc.MaxRecvMsgSize(o.MaxRecvMsgSize),
		grpc.MaxSendMsgSize(o.MaxSendMsgSize),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, o.Extra...)
	g := grpc.NewServer(opts...)
	leadscorev1.RegisterLeadScoringServer(g, s)
	healthpb.RegisterHealthServer(g, s.health)
	reflection.Register(g)
	s.metrics.grpc.InitializeMetrics(g)
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
			s.metrics.grpc.UnaryServerInterceptor(),
			logging.UnaryServerInterceptor(logger, logOpts...),
			recovery.UnaryServerInterceptor(onPanic),
		}, []grpc.StreamServerInterceptor{
			s.metrics.grpc.StreamServerInterceptor(),
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
