//go:build amd64 && !purego

package tree

import "golang.org/x/sys/cpu"

// hasShufBit reports whether the processor and the operating system
// support the AVX-512 instructions catMasksShufBit uses (AVX512F, BW and
// BITALG); hasVec, those groupLeavesAVX512, gridRanksAVX512 and
// suffixOrAVX512 use (AVX512F, DQ, BW, VBMI and GFNI). golang.org/x/sys/cpu
// reports AVX-512 features only when the operating system saves the
// ZMM and opmask state. They are fixed at start; a Forest copies them
// into its block layout, where the tests can turn them off.
var (
	hasShufBit = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512BITALG
	hasVec     = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ &&
		cpu.X86.HasAVX512VBMI && cpu.X86.HasAVX512GFNI
)

// catMasksShufBit stores in out[s*stride], for s < n, the right set of the
// categorical split with bitset word[s], which sends NaN left for s < nL
// and right for the others, over a block whose row i has code codes[i]
// (0 .. 63; any value for the rows outside valid): all &^ (left | nan)
// for s < nL, all &^ left for the others, where left is the rows of
// valid whose code's bit is set in word[s]. One VPSHUFBITQMB gathers
// the 64 rows' bits, masked by valid; the rest is opmask arithmetic. The
// processor must support it (hasShufBit).
//
//go:noescape
func catMasksShufBit(out *uint64, stride int, word *uint64, nL, n int, codes *[64]uint8, valid, nan, all uint64)

// catCodesAVX512 stores in codes[i] the categorical code of col[i] (as
// catMasks: x truncated to an integer, & 63; meaningful only for valid
// rows) and returns the valid rows (0 <= x < 64) and the NaN rows, eight
// at a time. The processor must support it (hasVec).
//
//go:noescape
func catCodesAVX512(col *[64]float64, codes *[64]uint8) (valid, nan uint64)

// groupLeavesAVX512 stores in idx[512k+i] the leaf position of row i of
// the block in tree k of a group of eight trees of one depth (1 to 8),
// whose splits' mask entries are interleaved in heap order in mid
// (mid[8p+k]: split p of tree k), given the block's masks (split e's
// right set at masks[e]) and all, its rows. It walks the
// eight trees together, one split position at a time, gathering the
// eight right sets (VPGATHERDQ), and transposes the planes with VPERMB
// and VGF2P8AFFINEQB. sets is scratch (the node sets); gs holds the
// constants (groupScratch.setDepth) and the planes. The processor must
// support it (hasVec).
//
//go:noescape
func groupLeavesAVX512(masks *uint64, mid *uint32, depth int, all uint64, sets *[256][8]uint64, idx *uint8, gs *groupScratch)

// laneLeavesAVX512 stores in idx[64j+i] the leaf position of row i of
// block j of a super-block in one tree of depth 3 to 8 of the block
// layout, whose mask entries mid has in leafPositions' order (the splits
// above the last three levels in heap order, then units of seven splits
// and an unused entry), given the interleaved masks (split e's right
// sets of the eight blocks at masks[8e:8e+8]) and all, the rows of each
// block (none for absent blocks). It is leafPositions for the eight
// blocks at once, one zmm lane per block, so a split's right sets are
// one load, not a gather as in groupLeavesAVX512; each unit's node sets
// stay in registers. sets is scratch; gs holds the constants
// (groupScratch.setDepth) and the planes. The processor must support it
// (hasVec).
//
//go:noescape
func laneLeavesAVX512(masks *uint64, mid *uint32, depth int, all *[8]uint64, sets *[256][8]uint64, idx *[512]uint8, gs *groupScratch)

// gridRanksAVX512 stores in ranks[i] the rank of col[i] among a grid
// index's thresholds (gridIndex.rank: start and thr as in a gridIndex,
// start with one more entry), eight rows at a time, and returns the NaN
// rows. The processor must support it (hasVec).
//
//go:noescape
func gridRanksAVX512(col *[64]float64, ranks *[64]uint64, start *uint16, thr *float64, lo, scale, last float64) (nan uint64)

// suffixOrAVX512 stores, for k < n, the OR of above[k ..] (with above =
// bucket[1:], the rows of rank > k) in ml[k] and that | nan in mr[k],
// skipping a nil ml or mr, eight entries at a time from the top, and
// zeroes above. above holds n entries rounded up to a multiple of eight,
// those past n zero: suffixOr's loop for one block. The processor must
// support it (hasVec).
//
//go:noescape
func suffixOrAVX512(above *uint64, n int, ml, mr *uint64, nan uint64)

// suffixOrLanesAVX512 is suffixOr's loop: for k < n from the top, with
// s = the OR of above[8k:8k+8] and of the entries above it (eight lanes
// at once), it stores s in ml[8k:] and s | nan in mr[8k:], skipping a nil
// ml or mr, and zeroes above[8k:8k+8]. n must be at least 1. The
// processor must support it (hasVec).
//
//go:noescape
func suffixOrLanesAVX512(above *uint64, n int, ml, mr *uint64, nan *[8]uint64)
