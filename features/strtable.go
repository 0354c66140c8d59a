package features

import "math/bits"

// A strTable maps a fixed set of strings to non-negative int32 codes, for
// the lookups on the serving path (attribute names, categorical levels,
// event types), where it is faster than a Go map. It is open addressing
// with linear probing at a load of at most 1/2, keyed by a multiply-mix
// hash of the length and the bytes; a key of at most 16 bytes is compared
// as its length and two words, without a call to compare bytes. A small
// set of keys gets a table with each key in its home slot (a larger table
// or another hash seed), so that a hit takes one probe: no mispredicted
// branch when, say, random event types alternate. It is read-only after
// newStrTable, so safe for concurrent use. The zero strTable is empty.
type strTable struct {
	slots []strSlot // len is a power of two, or 0
	mask  uint64
	seed  uint64
}

type strSlot struct {
	s    string
	w    shortWords // of s, if len(s) ≤ 16
	code int32      // −1: empty slot
}

// newStrTable builds a table of keys[i] → codes[i]. If a key repeats, its
// first code wins (as in a map built by "if absent, insert"). Codes must
// be ≥ 0; newStrTable panics otherwise (a caller bug).
func newStrTable(keys []string, codes []int32) strTable {
	if len(keys) != len(codes) {
		panic("features: newStrTable: len(keys) != len(codes)")
	}
	if len(keys) == 0 {
		return strTable{}
	}
	n := 2
	for n < 2*len(keys) {
		n *= 2
	}
	if len(keys) <= maxOneProbeKeys {
		for m := n; m <= 4*n; m *= 2 {
			for seed := range uint64(16) {
				if t, displaced := buildStrTable(keys, codes, m, seed); displaced == 0 {
					return t
				}
			}
		}
	}
	t, _ := buildStrTable(keys, codes, n, 0)
	return t
}

// maxOneProbeKeys is the most keys newStrTable tries to place each in its
// home slot (event types, say). More would need tables far larger than
// twice the keys (birthday bound), which cost cache lines on every lookup.
const maxOneProbeKeys = 16

// buildStrTable builds a table of m slots (a power of two) with the given
// hash seed, and counts the keys not in their home slot.
func buildStrTable(keys []string, codes []int32, m int, seed uint64) (t strTable, displaced int) {
	t = strTable{slots: make([]strSlot, m), mask: uint64(m - 1), seed: seed}
	for i := range t.slots {
		t.slots[i].code = -1
	}
	for i, k := range keys {
		if codes[i] < 0 {
			panic("features: newStrTable: negative code")
		}
		home := strHash(k, seed) & t.mask
		for h := home; ; h = (h + 1) & t.mask {
			e := &t.slots[h]
			if e.code < 0 {
				e.s, e.code = k, codes[i]
				if len(k) <= 16 {
					e.w = wordsOf(k)
				}
				if h != home {
					displaced++
				}
				break
			}
			if e.s == k {
				break
			}
		}
	}
	return t, displaced
}

// get returns the code of s, or −1 if s is not in the table.
func (t *strTable) get(s string) int32 {
	// The switch is wordsOf written out (too big to inline, and a call
	// costs as much as the rest of a hit).
	n := len(s)
	var w shortWords
	switch {
	case n > 16 || len(t.slots) == 0:
		return t.getLong(s)
	case n >= 8:
		w = shortWords{le64(s, 0), le64(s, n-8)}
	case n >= 4:
		w = shortWords{le32(s, 0), le32(s, n-4)}
	case n > 0:
		w.a = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	for h := w.hash(len(s), t.seed) & t.mask; ; h = (h + 1) & t.mask {
		e := &t.slots[h]
		if e.code < 0 || e.w == w && len(e.s) == len(s) {
			return e.code
		}
	}
}

// getLong is get for a key longer than 16 bytes, or an empty table.
func (t *strTable) getLong(s string) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	for h := strHash(s, t.seed) & t.mask; ; h = (h + 1) & t.mask {
		e := &t.slots[h]
		if e.code < 0 || e.s == s {
			return e.code
		}
	}
}

// shortWords holds the bytes of a string of at most 16 bytes: with its
// length, they determine the string.
type shortWords struct{ a, b uint64 }

// wordsOf returns the words of s, len(s) ≤ 16: its first and last 8 bytes
// (which overlap when it is shorter than 16), or 4 and 4, or for under 4
// bytes the first, middle and last byte.
func wordsOf(s string) shortWords {
	n := len(s)
	switch {
	case n >= 8:
		return shortWords{le64(s, 0), le64(s, n-8)}
	case n >= 4:
		return shortWords{le32(s, 0), le32(s, n-4)}
	case n > 0:
		return shortWords{uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1]), 0}
	}
	return shortWords{}
}

const (
	hashK0 = 0xa0761d6478bd642f // wyhash's constants
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
)

// mix is the folded 128-bit product of wyhash.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// le64 reads 8 bytes of s from i, little-endian.
func le64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// le32 reads 4 bytes of s from i, little-endian.
func le32(s string, i int) uint64 {
	s = s[i : i+4]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// hash is strHash of the string of length n with words w.
func (w shortWords) hash(n int, seed uint64) uint64 {
	return mix(w.a^hashK1^seed, w.b^hashK2^uint64(n))
}

// strHash hashes every byte of s and its length. It is deterministic: the
// table is built from trusted training data and only read at serving, so
// colliding inputs can slow a lookup by at most the longest probe run.
func strHash(s string, seed uint64) uint64 {
	n := len(s)
	if n <= 16 {
		return wordsOf(s).hash(n, seed)
	}
	// 16-byte blocks from the front, then the last 16 bytes (which may
	// overlap the previous block), and the length.
	h := uint64(hashK0) ^ uint64(n) ^ seed
	for i := 0; n-i > 16; i += 16 {
		h = mix(le64(s, i)^hashK1, le64(s, i+8)^h)
	}
	return mix(le64(s, n-16)^h^hashK1, le64(s, n-8)^hashK2)
}
