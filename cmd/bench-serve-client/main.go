// Command bench-serve-client is a closed-loop load generator for the
// leadscore gRPC server, the counterpart of the do-nothing ceiling's
// loadgen (../shared/grpc-ceiling/cmd/loadgen) with our proto: each worker
// sends leadscore.v1.PredictRequest (unary) or PredictBatchRequest (batch)
// back to back on a shared connection for -duration after a warm-up.
//
// The lead is the one the benchmark model of predict/bench_test.go is
// trained on: 40 attributes (num00..num19, crm00..crm09, cat0..cat7,
// flag0..flag1), the counterpart of the ceiling's 40 doubles, and by
// default no events (-events 50 adds a realistic activity history). With
// -table, a batch is sent as one LeadTable (columns) instead of Lead
// messages, and the line says "table" instead of "batch". It prints one line in the
// ceiling loadgen's format, so scripts/bench-serve.sh annotates both alike:
//
//	leadscore unary c=32 conns=1 rps=… items/s=… p50=… p90=… p99=… max=… errs=0 total=…
//
// It only dials loopback addresses and every run is bounded (at most 2m).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	leadscorev1 "leadscore/proto/leadscore/v1"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:50062", "server address (loopback only)")
	mode := flag.String("mode", "unary", "unary|batch")
	conc := flag.Int("c", 32, "concurrent workers")
	conns := flag.Int("conns", 1, "client connections (workers are spread over them)")
	batch := flag.Int("batch", 100, "leads per PredictBatch request")
	events := flag.Int("events", 0, "events per lead (the ceiling sends none)")
	explain := flag.Bool("explain", false, "ask for reasons")
	table := flag.Bool("table", false, "batch mode: send the leads as one LeadTable (columns) instead of Lead messages")
	dur := flag.Duration("duration", 10*time.Second, "measurement time (at most 2m)")
	warm := flag.Duration("warmup", time.Second, "warm-up time, not measured")
	flag.Parse()
	if err := check(*addr, *mode, *dur, *conc, *conns, *batch); err != nil {
		fmt.Fprintln(os.Stderr, "bench-serve-client:", err)
		os.Exit(2)
	}
	cc := make([]*grpc.ClientConn, *conns)
	for i := range cc {
		c, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		cc[i] = c
	}
	one := &leadscorev1.PredictRequest{Lead: benchLead("lead-000001", 0, *events), Explain: *explain}
	breq := &leadscorev1.PredictBatchRequest{Explain: *explain}
	for i := range *batch {
		breq.Leads = append(breq.Leads, benchLead("lead-"+strconv.Itoa(i), i, *events))
	}
	if *table {
		tab, err := leadscorev1.NewLeadTable(breq.Leads)
		if err != nil {
			log.Fatal(err)
		}
		breq.Leads, breq.Table = nil, tab
	}

	ctx, cancel := context.WithTimeout(context.Background(), *warm+*dur+10*time.Second)
	defer cancel()
	measureFrom := time.Now().Add(*warm)
	stopAt := measureFrom.Add(*dur)
	var mu sync.Mutex
	var lats []time.Duration
	var errs, total int
	var firstErr error
	var wg sync.WaitGroup
	for w := range *conc {
		wg.Go(func() {
			cli := leadscorev1.NewLeadScoringClient(cc[w%len(cc)])
			local := make([]time.Duration, 0, 1<<16)
			localErr, localTotal := 0, 0
			var lastErr error
			for {
				t := time.Now()
				if t.After(stopAt) {
					break
				}
				var err error
				if *mode == "unary" {
					_, err = cli.Predict(ctx, one)
				} else {
					_, err = cli.PredictBatch(ctx, breq)
				}
				localTotal++
				if t.After(measureFrom) {
					if err != nil {
						localErr++
						lastErr = err
					} else {
						local = append(local, time.Since(t))
					}
				}
			}
			mu.Lock()
			lats = append(lats, local...)
			errs += localErr
			total += localTotal
			if firstErr == nil {
				firstErr = lastErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	q := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[int(p*float64(len(lats)-1))]
	}
	rps := float64(len(lats)) / dur.Seconds()
	items := rps
	if *mode == "batch" {
		items = rps * float64(*batch)
	}
	r := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "bench-serve-client: first error:", firstErr)
	}
	label := *mode
	if *mode == "batch" && *table {
		label = "table"
	}
	fmt.Printf("leadscore %s c=%d conns=%d rps=%.0f items/s=%.0f p50=%s p90=%s p99=%s max=%s errs=%d total=%d\n",
		label, *conc, *conns, rps, items, r(q(0.50)), r(q(0.90)), r(q(0.99)), r(q(1)), errs, total)
	if errs > 0 {
		os.Exit(1)
	}
}

// check validates the flags: loopback only, bounded runs.
func check(addr, mode string, dur time.Duration, conc, conns, batch int) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: only loopback addresses are allowed", addr)
	}
	switch {
	case mode != "unary" && mode != "batch":
		return fmt.Errorf("-mode %q: want unary or batch", mode)
	case dur <= 0 || dur > 2*time.Minute:
		return fmt.Errorf("-duration %v: want (0, 2m]", dur)
	case conc < 1 || conns < 1 || batch < 1:
		return fmt.Errorf("-c %d, -conns %d, -batch %d: want at least 1", conc, conns, batch)
	}
	return nil
}

// benchLead builds the i-th lead of the benchmark schema with n events in
// the 45 days after its creation (three types, 5:4:1).
func benchLead(id string, i, n int) *leadscorev1.Lead {
	created := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
	attrs := make([]*leadscorev1.Attribute, 0, 40)
	for j := range 20 {
		attrs = append(attrs, leadscorev1.NumberAttribute(fmt.Sprintf("num%02d", j), float64((i*7+j*13)%23)/7-1.5))
	}
	for j := range 10 {
		attrs = append(attrs, leadscorev1.NumberAttribute(fmt.Sprintf("crm%02d", j), float64(i+j)))
	}
	levels := []int{3, 5, 8, 12, 4, 20, 40, 6}
	for k, lv := range levels {
		attrs = append(attrs, leadscorev1.StringAttribute(fmt.Sprintf("cat%d", k), fmt.Sprintf("c%d_%d", k, (i+k)%lv)))
	}
	for k := range 2 {
		attrs = append(attrs, leadscorev1.BoolAttribute(fmt.Sprintf("flag%d", k), (i+k)%3 == 0))
	}
	types := []string{"email_open", "page_view", "demo_request"}
	evs := make([]*leadscorev1.Event, n)
	for e := range evs {
		typ := 0
		switch e % 10 {
		case 9:
			typ = 2
		case 5, 6, 7, 8:
			typ = 1
		}
		evs[e] = &leadscorev1.Event{Type: types[typ], Ts: timestamppb.New(created.Add(time.Duration(e*45*24/max(1, n)) * time.Hour))}
	}
	return &leadscorev1.Lead{Id: id, CreatedAt: timestamppb.New(created), Attributes: attrs, Events: evs}
}
