//go:build !amd64 || purego

package tree

// hasWalk is false: walkRunAsm is written for amd64 only.
const hasWalk = false

// walkRunAsm is never called without hasWalk.
func walkRunAsm(blk *uint64, codes *uint64, n, depth int, sum float64) float64 {
	panic("tree: walkRunAsm without amd64")
}

// hasChunkVec is false: chunkCodesAVX512 is written for amd64 only.
const hasChunkVec = false

// chunkCodesAVX512 is never called without hasChunkVec.
func chunkCodesAVX512(codes *uint64, chunk *chunkPlan, ranks *int64, n int) {
	panic("tree: chunkCodesAVX512 without AVX-512")
}

// hasRankVec is false: gridRanksRowAVX512 is written for amd64 only.
const hasRankVec = false

// gridRanksRowAVX512 is never called without hasRankVec.
func gridRanksRowAVX512(x *float64, rows *gridRow, n int, start *uint16, thr *float64, ranks *int64) {
	panic("tree: gridRanksRowAVX512 without AVX-512")
}
