//go:build !amd64 || purego

package tree

// hasShufBit and hasVec are false: catMasksShufBit and
// groupLeavesAVX512 are written for amd64 only.
const hasShufBit, hasVec = false, false

// catMasksShufBit is never called without hasShufBit.
func catMasksShufBit(out *uint64, stride int, word *uint64, nL, n int, codes *[64]uint8, valid, nan, all uint64) {
	panic("tree: catMasksShufBit without AVX-512")
}

// groupLeavesAVX512 is never called without hasVec.
func groupLeavesAVX512(masks *uint64, mid *uint32, depth int, all uint64, sets *[256][8]uint64, idx *uint8, g *groupScratch) {
	panic("tree: groupLeavesAVX512 without AVX-512")
}

// laneLeavesAVX512 is never called without hasVec.
func laneLeavesAVX512(masks *uint64, mid *uint32, depth int, all *[8]uint64, sets *[256][8]uint64, idx *[512]uint8, g *groupScratch) {
	panic("tree: laneLeavesAVX512 without AVX-512")
}

// gridRanksAVX512 is never called without hasVec.
func gridRanksAVX512(col *[64]float64, ranks *[64]uint64, start *uint16, thr *float64, lo, scale, last float64) (nan uint64) {
	panic("tree: gridRanksAVX512 without AVX-512")
}

// suffixOrLanesAVX512 is never called without hasVec.
func suffixOrLanesAVX512(above *uint64, n int, ml, mr *uint64, nan *[8]uint64) {
	panic("tree: suffixOrLanesAVX512 without AVX-512")
}

// suffixOrAVX512 is never called without hasVec.
func suffixOrAVX512(above *uint64, n int, ml, mr *uint64, nan uint64) {
	panic("tree: suffixOrAVX512 without AVX-512")
}

// catCodesAVX512 is never called without hasVec.
func catCodesAVX512(col *[64]float64, codes *[64]uint8) (valid, nan uint64) {
	panic("tree: catCodesAVX512 without AVX-512")
}
