package leadscorev1

// The arena operations of the lead decoder (fastdecode.go), besides take
// and takeEmpty: it makes room for a request's leads once (reserve), then
// takes attributes and values one at a time as its second pass meets
// them, and builds each lead's attribute and event pointer lists in place
// at the end of a chunk (open, close).

// reserve makes room for n more elements in a's chunk, replacing it by a
// new one of max(n, 2×cap) elements when it has less (the slices already
// handed out keep the old one).
func (a *arena[T]) reserve(n int) {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]T, 0, max(n, 2*cap(a.buf)))
	}
}

// one returns the next element of a, zero, starting a new chunk of
// max(2×cap, 16) elements when the chunk is full (the decoder reserves
// what it takes, so it is not).
func (a *arena[T]) one() *T {
	if len(a.buf) == cap(a.buf) {
		a.buf = make([]T, 0, max(2*cap(a.buf), 16))
	}
	a.buf = a.buf[:len(a.buf)+1]
	return &a.buf[len(a.buf)-1]
}

// open returns the free part of a's chunk as an empty slice to append to
// in place (its capacity is what reserve made room for; appending past it
// would move it out of the chunk). Nothing else may take from a until
// close.
func (a *arena[T]) open() []T { return a.buf[len(a.buf):len(a.buf):cap(a.buf)] }

// close hands out s, the slice open returned with elements appended, so
// that Reset zeroes them and the next take starts after them, and returns
// it capped, or nil when it is empty, as proto.Unmarshal leaves an empty
// repeated field.
func (a *arena[T]) close(s []T) []T {
	if len(s) == 0 {
		return nil
	}
	a.buf = a.buf[:len(a.buf)+len(s)]
	return s[:len(s):len(s)]
}
