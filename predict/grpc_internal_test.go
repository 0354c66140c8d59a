package predict

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestRecoveryHidesThePanic runs the server's unary interceptor chain
// around a panicking handler: the client must get INTERNAL "internal
// error" without the stack, and the log must have the stack.
func TestRecoveryHidesThePanic(t *testing.T) {
	var logs bytes.Buffer
	s := NewServer(ServerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	unary, _ := s.interceptors()
	// Chain the interceptors by hand, outermost first, as grpc.Server does.
	handler := grpc.UnaryHandler(func(context.Context, any) (any, error) { panic("boom in handler") })
	info := &grpc.UnaryServerInfo{FullMethod: "/leadscore.v1.LeadScoring/Predict"}
	h := handler
	for i := len(unary) - 1; i >= 0; i-- {
		next, ic := h, unary[i]
		h = func(ctx context.Context, req any) (any, error) { return ic(ctx, req, info, next) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := h(ctx, nil)
	st, _ := status.FromError(err)
	if st.Code() != codes.Internal || st.Message() != "internal error" {
		t.Errorf("got %v %q, want Internal \"internal error\"", st.Code(), st.Message())
	}
	if !strings.Contains(logs.String(), "boom in handler") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("the log lacks the panic and its stack:\n%s", logs.String())
	}
}

// TestLogUnary: an OK call is logged at debug only, a client mistake at
// info with its method and code, a server failure at error.
func TestLogUnary(t *testing.T) {
	var logs bytes.Buffer
	s := NewServer(ServerConfig{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	info := &grpc.UnaryServerInfo{FullMethod: "/leadscore.v1.LeadScoring/Predict"}
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		want []string // substrings of the line; none: no line
	}{
		{nil, nil},
		{status.Error(codes.InvalidArgument, "lead.id: missing"),
			[]string{"level=INFO", `msg="finished call"`, "grpc.service=leadscore.v1.LeadScoring", "grpc.method=Predict", "grpc.code=InvalidArgument", `grpc.error="rpc error: code = InvalidArgument desc = lead.id: missing"`}},
		{status.Error(codes.Internal, "internal error"), []string{"level=ERROR", "grpc.code=Internal"}},
	} {
		logs.Reset()
		_, err := s.logUnary(ctx, nil, info, func(context.Context, any) (any, error) { return nil, tc.err })
		if err != tc.err {
			t.Errorf("logUnary changed the error %v into %v", tc.err, err)
		}
		line := logs.String()
		if len(tc.want) == 0 && line != "" {
			t.Errorf("OK call logged at info: %s", line)
		}
		for _, w := range tc.want {
			if !strings.Contains(line, w) {
				t.Errorf("code %v: log line lacks %q:\n%s", status.Code(tc.err), w, line)
			}
		}
	}
}
