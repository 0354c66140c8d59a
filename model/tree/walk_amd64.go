//go:build amd64 && !purego

package tree

import "golang.org/x/sys/cpu"

//go:generate go run walk_gen.go

// hasWalk is true: walkRunAsm needs nothing beyond amd64. A Forest
// copies it into its compact layout (compact.asm), where the tests can
// turn it off.
const hasWalk = true

// walkRunAsm is walkRunGo for the n groups of depth depth (0 to
// maxCompactDepth) at blk, for the row coded as codes: it adds the
// groups' leaf values to sum in tree order and returns the sum.
//
//go:noescape
func walkRunAsm(blk *uint64, codes *uint64, n, depth int, sum float64) float64

// hasChunkVec reports whether the processor and the operating system
// support the AVX-512 instructions chunkCodesAVX512 uses (AVX512F).
// A Forest copies it into its compact layout (compact.vecCode).
var hasChunkVec = cpu.X86.HasAVX512F

// chunkCodesAVX512 is chunkCodesGo for the n features of chunk and
// ranks, eight chunks at a time. The processor must support it
// (hasChunkVec).
//
//go:noescape
func chunkCodesAVX512(codes *uint64, chunk *chunkPlan, ranks *int64, n int)

// hasRankVec reports whether the processor and the operating system
// support the AVX-512 instructions gridRanksRowAVX512 uses (AVX512F and
// VL). A Forest copies it into its compact layout (compact.vecRank).
var hasRankVec = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// gridRanksRowAVX512 stores in ranks[i], for i < n, the rank of
// x[feature] among the thresholds of the i-th grid index of rows (-1
// for NaN), as gridIndex.rank, eight features at a time, gathering the
// features' values, start entries (from start, read four bytes at a
// time) and thresholds (from thr). The processor must support it
// (hasRankVec).
//
//go:noescape
func gridRanksRowAVX512(x *float64, rows *gridRow, n int, start *uint16, thr *float64, ranks *int64)
