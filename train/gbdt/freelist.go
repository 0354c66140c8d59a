package gbdt

import "sync"

// freeList is a stack of reusable buffers (histograms, gather blocks),
// safe for concurrent use. Unlike sync.Pool it never drops what it
// holds, so a training run allocates each kind of buffer only as many
// times as it needs them at once.
type freeList[T any] struct {
	mu   sync.Mutex
	free []T
}

// get returns a held buffer, or newBuf() when none is free.
func (l *freeList[T]) get(newBuf func() T) T {
	l.mu.Lock()
	if k := len(l.free); k > 0 {
		v := l.free[k-1]
		l.free = l.free[:k-1]
		l.mu.Unlock()
		return v
	}
	l.mu.Unlock()
	return newBuf()
}

// put hands v back for reuse.
func (l *freeList[T]) put(v T) {
	l.mu.Lock()
	l.free = append(l.free, v)
	l.mu.Unlock()
}
