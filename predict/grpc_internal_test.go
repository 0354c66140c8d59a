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
