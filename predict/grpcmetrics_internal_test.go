package predict

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	refpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
)

// TestGRPCMetricsMatchTheProvider serves the same calls (unary OK and
// NOT_FOUND, a bidi stream) through grpcMetrics and through
// go-grpc-middleware's Prometheus provider, which it replaced, and checks
// that both expose the same families, help texts, series (labels, the
// zero series created up front for every method and code) and counts.
// Only the handling times, hence the histograms' bucket counts and sums,
// may differ.
func TestGRPCMetricsMatchTheProvider(t *testing.T) {
	buckets := []float64{.0001, .001, .01, .1, 1}
	ours := newGRPCMetrics(buckets)
	theirs := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(buckets)))
	got := exercise(t, ours, grpc.ChainUnaryInterceptor(ours.unary), grpc.ChainStreamInterceptor(ours.stream),
		func(g *grpc.Server) { ours.initialize(g) })
	want := exercise(t, theirs, grpc.ChainUnaryInterceptor(theirs.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(theirs.StreamServerInterceptor()), func(g *grpc.Server) { theirs.InitializeMetrics(g) })
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("metrics differ from the provider's (-provider +ours):\n%s", d)
	}
	for _, line := range []string{ // the calls were counted at all
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary"} 3`,
		`grpc_server_handled_total{grpc_code="NotFound",grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary"} 1`,
		`grpc_server_msg_sent_total{grpc_method="ServerReflectionInfo",grpc_service="grpc.reflection.v1.ServerReflection",grpc_type="bidi_stream"} 2`,
	} {
		if !strings.Contains(strings.Join(got, "\n"), line) {
			t.Errorf("our metrics lack %s", line)
		}
	}
}

// exercise serves health and reflection with the interceptors of c, makes
// the test's calls and returns c's metrics, one line per series.
func exercise(t *testing.T, c prometheus.Collector, unary, stream grpc.ServerOption, init func(*grpc.Server)) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	g := grpc.NewServer(unary, stream)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)
	init(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = g.Serve(lis) }()
	defer g.Stop()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hc := healthpb.NewHealthClient(cc)
	for range 3 {
		if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"}); err == nil {
		t.Fatal("Check of an unknown service succeeded")
	}
	st, err := refpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.Send(&refpb.ServerReflectionRequest{MessageRequest: &refpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("the reflection stream ended with %v, want EOF", err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range fams {
		lines = append(lines, fmt.Sprintf("# %s %s %s", f.GetName(), f.GetType(), f.GetHelp()))
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			series := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				lines = append(lines, fmt.Sprintf("%s %g", series, m.GetCounter().GetValue()))
			case m.GetHistogram() != nil:
				var bounds []string
				for _, b := range m.GetHistogram().GetBucket() {
					bounds = append(bounds, fmt.Sprint(b.GetUpperBound()))
				}
				lines = append(lines, fmt.Sprintf("%s count=%d buckets=%s", series, m.GetHistogram().GetSampleCount(), strings.Join(bounds, ",")))
			}
		}
	}
	return lines
}

// BenchmarkUnaryMetrics is the cost of the metrics interceptor around a
// handler that does nothing: ours, and the provider's it replaced.
func BenchmarkUnaryMetrics(b *testing.B) {
	buckets := []float64{.0001, .001, .01, .1, 1}
	ours := newGRPCMetrics(buckets)
	theirs := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(buckets)))
	info := &grpc.UnaryServerInfo{FullMethod: "/leadscore.v1.LeadScoring/Predict"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ic   grpc.UnaryServerInterceptor
	}{{"ours", ours.unary}, {"provider", theirs.UnaryServerInterceptor()}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.ic(ctx, nil, info, handler); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
