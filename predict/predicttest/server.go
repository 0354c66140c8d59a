// Package predicttest helps test code that serves or implements
// predict.Model: an in-memory gRPC server over bufconn, fake models driven
// by files in version directories, and CheckModel, the Model conformance
// checker.
package predicttest

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"leadscore/predict"
	leadscorev1 "leadscore/proto/leadscore/v1"
)

// Harness is a running server and a client connected to it.
type Harness struct {
	Server *predict.Server
	GRPC   *grpc.Server
	Conn   *grpc.ClientConn
	Client leadscorev1.LeadScoringClient
}

// NewServer serves predict.NewServer(cfg) on an in-memory bufconn listener
// and returns a connected client. gopts, at most one, configures the gRPC
// server (default: predict.GRPCOptions{}). Cleanup stops both.
func NewServer(t testing.TB, cfg predict.ServerConfig, gopts ...predict.GRPCOptions) *Harness {
	t.Helper()
	if len(gopts) > 1 {
		t.Fatal("predicttest.NewServer: at most one GRPCOptions")
	}
	srv := predict.NewServer(cfg)
	var o predict.GRPCOptions
	if len(gopts) == 1 {
		o = gopts[0]
	}
	g := srv.NewGRPCServer(o)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = g.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
	})
	return &Harness{Server: srv, GRPC: g, Conn: conn, Client: leadscorev1.NewLeadScoringClient(conn)}
}
