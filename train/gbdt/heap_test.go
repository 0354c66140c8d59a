package gbdt_test

import (
	"runtime/metrics"
	"sync"
	"time"
)

// watchHeap samples the live heap (objects + unused spans) every 250 ms
// into *peak until stop is called. Training allocates its large buffers
// up front and keeps them, so a slow sample rate finds the same peak;
// sampling every 20 ms cost the training being measured 3-4 % of its CPU
// (each read preempts the workers). bench-peers reports peak RSS too.
func watchHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			*peak = max(*peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
