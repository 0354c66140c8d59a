//go:build amd64 && !purego

#include "textflag.h"

// func catMasksShufBit(out *uint64, stride int, word *uint64, nL, n int, codes *[64]uint8, valid, nan, all uint64)
TEXT ·catMasksShufBit(SB), NOSPLIT, $0-72
	MOVQ out+0(FP), DI
	MOVQ stride+8(FP), R8
	SHLQ $3, R8
	MOVQ word+16(FP), SI
	MOVQ nL+24(FP), DX
	MOVQ n+32(FP), CX
	MOVQ codes+40(FP), AX
	VMOVDQU64 (AX), Z0
	MOVQ valid+48(FP), AX
	KMOVQ AX, K4
	MOVQ all+64(FP), AX
	KMOVQ AX, K6 // NaN right: all
	MOVQ nan+56(FP), BX
	NOTQ BX
	ANDQ BX, AX
	KMOVQ AX, K5 // NaN left: all &^ nan
	SUBQ DX, CX  // CX: the splits sending NaN right
	TESTQ DX, DX
	JLE right

left:
	// Bit i of K1 is bit codes[i] of the word, for the valid rows.
	VPBROADCASTQ (SI), Z1
	VPSHUFBITQMB Z0, Z1, K4, K1
	KANDNQ K5, K1, K1
	KMOVQ K1, (DI)
	ADDQ $8, SI
	ADDQ R8, DI
	DECQ DX
	JNZ left

right:
	TESTQ CX, CX
	JLE done

rloop:
	VPBROADCASTQ (SI), Z1
	VPSHUFBITQMB Z0, Z1, K4, K1
	KANDNQ K6, K1, K1
	KMOVQ K1, (DI)
	ADDQ $8, SI
	ADDQ R8, DI
	DECQ CX
	JNZ rloop

done:
	VZEROUPPER
	RET

// TRANSPOSE turns the planes of lane m = 0 .. 7 of groupScratch (a
// tree of a group, or a block of a super-block) into the leaf positions
// of its 64 rows at m*STRIDE(DX): it gathers lane m's planes (lane l of
// the gather holds level l-(8-depth), the lanes below 8-depth zero),
// transposes the 8x8 bytes (VPERMB), and transposes each 8x8 bit block
// with GF2P8AFFINEQB against one-hot bytes, so that byte k of qword j is
// the position of row 8j+k. It clobbers Z1-Z3, Z7-Z9, AX, K1 and K3.
#define TRANSPOSE1(LANE, OUT) \
	KMOVQ K3, K1; \
	VPXORQ Z1, Z1, Z1; \
	VPGATHERQQ (LANE*8)(R9)(Z7*8), K1, Z1; \
	VPERMB Z1, Z8, Z2; \
	VGF2P8AFFINEQB $0, Z2, Z9, Z3; \
	VMOVDQU64 Z3, OUT(DX)

#define TRANSPOSE(STRIDE) \
	VMOVDQU64 512(R9), Z7; \
	VMOVDQU64 576(R9), Z8; \
	VMOVDQU64 640(R9), Z9; \
	MOVQ 704(R9), AX; \
	KMOVQ AX, K3; \
	TRANSPOSE1(0, 0); \
	TRANSPOSE1(1, STRIDE); \
	TRANSPOSE1(2, 2*STRIDE); \
	TRANSPOSE1(3, 3*STRIDE); \
	TRANSPOSE1(4, 4*STRIDE); \
	TRANSPOSE1(5, 5*STRIDE); \
	TRANSPOSE1(6, 6*STRIDE); \
	TRANSPOSE1(7, 7*STRIDE)

// func groupLeavesAVX512(masks *uint64, mid *uint32, depth int, all uint64, sets *[256][8]uint64, idx *uint8, gs *groupScratch)
//
// groupScratch: planes [8][8]uint64 at 0, planeIdx [8]uint64 at 512,
// perm [64]uint8 at 576, onehot [64]uint8 at 640, planeMask uint64 at 704.
TEXT ·groupLeavesAVX512(SB), NOSPLIT, $0-56
	MOVQ masks+0(FP), R8
	MOVQ mid+8(FP), SI
	MOVQ depth+16(FP), CX
	MOVQ all+24(FP), AX
	MOVQ sets+32(FP), DI
	MOVQ idx+40(FP), DX
	MOVQ gs+48(FP), R9

	// sets[0] = all, for the eight trees.
	VPBROADCASTQ AX, Z0
	VMOVDQU64 Z0, (DI)
	XORQ R10, R10 // lo: first position of the level
	MOVQ $1, R11  // positions in the level
	XORQ R12, R12 // level

level:
	VPXORQ Z5, Z5, Z5 // plane
	MOVQ R11, R13
	MOVQ R10, R14
	LEAQ 1(R12), AX
	CMPQ AX, CX
	JGE last

node:
	MOVQ R14, BX
	SHLQ $6, BX
	VMOVDQU64 (DI)(BX*1), Z1 // S = sets[p]
	MOVQ R14, R15
	SHLQ $5, R15
	VMOVDQU32 (SI)(R15*1), Y2 // the eight trees' mask entries
	KXNORB K1, K1, K1
	VPXORQ Z3, Z3, Z3
	VPGATHERDQ (R8)(Y2*8), K1, Z3 // M
	VPANDQ Z3, Z1, Z4 // R = S & M: right
	VPORQ Z4, Z5, Z5
	VPXORQ Z4, Z1, Z6 // L = S ^ R: left
	SHLQ $1, BX
	VMOVDQU64 Z6, 64(DI)(BX*1)  // sets[2p+1]
	VMOVDQU64 Z4, 128(DI)(BX*1) // sets[2p+2]
	INCQ R14
	DECQ R13
	JNZ node
	JMP endlevel

last:
	MOVQ R14, BX
	SHLQ $6, BX
	VMOVDQU64 (DI)(BX*1), Z1
	MOVQ R14, R15
	SHLQ $5, R15
	VMOVDQU32 (SI)(R15*1), Y2
	KXNORB K1, K1, K1
	VPXORQ Z3, Z3, Z3
	VPGATHERDQ (R8)(Y2*8), K1, Z3
	VPANDQ Z3, Z1, Z4
	VPORQ Z4, Z5, Z5
	INCQ R14
	DECQ R13
	JNZ last

endlevel:
	MOVQ R12, BX
	SHLQ $6, BX
	VMOVDQU64 Z5, (R9)(BX*1) // planes[level]
	INCQ R12
	ADDQ R11, R10
	SHLQ $1, R11
	CMPQ R12, CX
	JLT level

	TRANSPOSE(512) // trees' positions are superRows bytes apart
	VZEROUPPER
	RET

// func laneLeavesAVX512(masks *uint64, mid *uint32, depth int, all *[8]uint64, sets *[256][8]uint64, idx *[512]uint8, gs *groupScratch)
//
// One tree for the eight blocks of a super-block, one block per lane, on
// the layout of leafPositions: split p's right sets are the eight words
// at masks[8 mid[p]], one load. The levels above the last three are
// walked one split at a time with the node sets in memory; each unit of
// the last three (seven splits) keeps its sets in registers.
TEXT ·laneLeavesAVX512(SB), NOSPLIT, $0-56
	MOVQ masks+0(FP), R8
	MOVQ mid+8(FP), SI
	MOVQ depth+16(FP), CX
	MOVQ all+24(FP), AX
	MOVQ sets+32(FP), DI
	MOVQ idx+40(FP), DX
	MOVQ gs+48(FP), R9

	// sets[0] = all, per block.
	VMOVDQU64 (AX), Z0
	VMOVDQU64 Z0, (DI)
	XORQ R10, R10 // lo: first position of the level
	MOVQ $1, R11  // positions in the level
	XORQ R12, R12 // level
	SUBQ $3, CX   // the levels above the units
	JLE units

ulevel:
	VPXORQ Z5, Z5, Z5 // plane
	MOVQ R11, R13
	MOVQ R10, R14

unode:
	MOVQ R14, BX
	SHLQ $6, BX
	VMOVDQU64 (DI)(BX*1), Z1 // S = sets[p]
	MOVL (SI)(R14*4), R15
	SHLQ $6, R15
	VPANDQ (R8)(R15*1), Z1, Z4 // R = S & M: right
	VPORQ Z4, Z5, Z5
	VPXORQ Z4, Z1, Z6 // L = S ^ R: left
	SHLQ $1, BX
	VMOVDQU64 Z6, 64(DI)(BX*1)  // sets[2p+1]
	VMOVDQU64 Z4, 128(DI)(BX*1) // sets[2p+2]
	INCQ R14
	DECQ R13
	JNZ unode
	MOVQ R12, BX
	SHLQ $6, BX
	VMOVDQU64 Z5, (R9)(BX*1) // planes[level]
	INCQ R12
	ADDQ R11, R10
	SHLQ $1, R11
	CMPQ R12, CX
	JLT ulevel

units:
	// R10 = top, the first unit's split; R11 units; mid[top:] holds
	// per unit its seven splits and one unused entry.
	LEAQ (SI)(R10*4), SI
	SHLQ $6, R10
	ADDQ R10, DI // &sets[top]
	VPXORQ Z20, Z20, Z20 // plane of level D-3
	VPXORQ Z21, Z21, Z21 // D-2
	VPXORQ Z22, Z22, Z22 // D-1

unit:
	VMOVDQU64 (DI), Z1 // s
	MOVL (SI), AX
	SHLQ $6, AX
	VPANDQ (R8)(AX*1), Z1, Z2 // r
	VPXORQ Z2, Z1, Z3         // l
	MOVL 4(SI), AX
	SHLQ $6, AX
	VPANDQ (R8)(AX*1), Z3, Z4 // ra
	MOVL 8(SI), AX
	SHLQ $6, AX
	VPANDQ (R8)(AX*1), Z2, Z6 // rb
	VPXORQ Z4, Z3, Z3         // la
	VPXORQ Z6, Z2, Z7         // lb
	VPORQ Z2, Z20, Z20
	VPTERNLOGQ $0xfe, Z4, Z6, Z21 // |= ra | rb
	MOVL 12(SI), AX
	SHLQ $6, AX
	VPANDQ (R8)(AX*1), Z3, Z3
	MOVL 16(SI), AX
	SHLQ $6, AX
	VPANDQ (R8)(AX*1), Z4, Z4
	MOVL 20(SI), AX
	SHLQ $6, AX
	VPANDQ (R8)(AX*1), Z7, Z7
	MOVL 24(SI), AX
	SHLQ $6, AX
	VPANDQ (R8)(AX*1), Z6, Z6
	VPTERNLOGQ $0xfe, Z3, Z4, Z22
	VPTERNLOGQ $0xfe, Z7, Z6, Z22
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ R11
	JNZ unit
	MOVQ R12, BX
	SHLQ $6, BX
	VMOVDQU64 Z20, (R9)(BX*1)
	VMOVDQU64 Z21, 64(R9)(BX*1)
	VMOVDQU64 Z22, 128(R9)(BX*1)

	TRANSPOSE(64)
	VZEROUPPER
	RET

// GRIDCELL loads the eight values at OFF(SI) into X and sets S to
// start[cell] of each: cell = max(int(min(last, (x-lo)*scale)), 0), so
// NaN and -Inf fall in cell 0 (a dword gather, start padded by one entry).
#define GRIDCELL(OFF, X, S) \
	VMOVUPD OFF(SI), X; \
	VSUBPD Z10, X, Z1; \
	VMULPD Z11, Z1, Z1; \
	VMINPD Z1, Z12, Z1; \
	VCVTTPD2QQ Z1, Z2; \
	VPMAXSQ Z15, Z2, Z2; \
	KXNORB K1, K1, K1; \
	VPXORD Y4, Y4, Y4; \
	VPGATHERQD (R8)(Z2*2), K1, Y4; \
	VPMOVZXDQ Y4, S; \
	VPANDQ Z14, S, S

// GRIDRANK turns S into the ranks of X (S plus the gridScan thresholds
// from S below x), stores them at OFF(DI) and ORs the NaN rows, shifted
// to rows OFF/8 .., into AX.
#define GRIDRANK(OFF, X, S) \
	KXNORB K1, K1, K1; \
	VGATHERQPD (R9)(S*8), K1, Z6; \
	KXNORB K1, K1, K1; \
	VGATHERQPD 8(R9)(S*8), K1, Z7; \
	KXNORB K1, K1, K1; \
	VGATHERQPD 16(R9)(S*8), K1, Z8; \
	KXNORB K1, K1, K1; \
	VGATHERQPD 24(R9)(S*8), K1, Z9; \
	VCMPPD $0x1e, Z6, X, K2; \
	VPADDQ Z13, S, K2, S; \
	VCMPPD $0x1e, Z7, X, K2; \
	VPADDQ Z13, S, K2, S; \
	VCMPPD $0x1e, Z8, X, K2; \
	VPADDQ Z13, S, K2, S; \
	VCMPPD $0x1e, Z9, X, K2; \
	VPADDQ Z13, S, K2, S; \
	VMOVDQU64 S, OFF(DI); \
	VCMPPD $3, X, X, K3; \
	KMOVB K3, BX; \
	SHLQ $(OFF/8), BX; \
	ORQ BX, AX

// func gridRanksAVX512(col *[64]float64, ranks *[64]uint64, start *uint16, thr *float64, lo, scale, last float64) (nan uint64)
//
// All eight start gathers are issued before the threshold gathers that
// depend on them, so that their latencies overlap.
TEXT ·gridRanksAVX512(SB), NOSPLIT, $0-64
	MOVQ col+0(FP), SI
	MOVQ ranks+8(FP), DI
	MOVQ start+16(FP), R8
	MOVQ thr+24(FP), R9
	VBROADCASTSD lo+32(FP), Z10
	VBROADCASTSD scale+40(FP), Z11
	VBROADCASTSD last+48(FP), Z12
	MOVQ $1, BX
	VPBROADCASTQ BX, Z13 // ones
	MOVQ $0xffff, BX
	VPBROADCASTQ BX, Z14
	VPXORQ Z15, Z15, Z15 // zeros
	XORQ AX, AX
	GRIDCELL(0, Z24, Z16)
	GRIDCELL(64, Z25, Z17)
	GRIDCELL(128, Z26, Z18)
	GRIDCELL(192, Z27, Z19)
	GRIDCELL(256, Z28, Z20)
	GRIDCELL(320, Z29, Z21)
	GRIDCELL(384, Z30, Z22)
	GRIDCELL(448, Z31, Z23)
	GRIDRANK(0, Z24, Z16)
	GRIDRANK(64, Z25, Z17)
	GRIDRANK(128, Z26, Z18)
	GRIDRANK(192, Z27, Z19)
	GRIDRANK(256, Z28, Z20)
	GRIDRANK(320, Z29, Z21)
	GRIDRANK(384, Z30, Z22)
	GRIDRANK(448, Z31, Z23)
	MOVQ AX, nan+56(FP)
	VZEROUPPER
	RET

// func suffixOrLanesAVX512(above *uint64, n int, ml, mr *uint64, nan *[8]uint64)
TEXT ·suffixOrLanesAVX512(SB), NOSPLIT, $0-40
	MOVQ above+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ ml+16(FP), DI
	MOVQ mr+24(FP), DX
	MOVQ nan+32(FP), AX
	VMOVDQU64 (AX), Z10
	VPXORQ Z9, Z9, Z9 // zeros
	VPXORQ Z0, Z0, Z0 // s: the OR of the ranks above
	DECQ CX
	SHLQ $6, CX // offset of entry n-1
	TESTQ DI, DI
	JZ ronly
	TESTQ DX, DX
	JZ lonly

both:
	VPORQ (SI)(CX*1), Z0, Z0
	VMOVDQU64 Z9, (SI)(CX*1)
	VMOVDQU64 Z0, (DI)(CX*1)
	VPORQ Z10, Z0, Z1
	VMOVDQU64 Z1, (DX)(CX*1)
	SUBQ $64, CX
	JGE both
	VZEROUPPER
	RET

lonly:
	VPORQ (SI)(CX*1), Z0, Z0
	VMOVDQU64 Z9, (SI)(CX*1)
	VMOVDQU64 Z0, (DI)(CX*1)
	SUBQ $64, CX
	JGE lonly
	VZEROUPPER
	RET

ronly:
	VPORQ (SI)(CX*1), Z0, Z0
	VMOVDQU64 Z9, (SI)(CX*1)
	VPORQ Z10, Z0, Z1
	VMOVDQU64 Z1, (DX)(CX*1)
	SUBQ $64, CX
	JGE ronly
	VZEROUPPER
	RET
// func suffixOrAVX512(above *uint64, n int, ml, mr *uint64, nan uint64)
TEXT ·suffixOrAVX512(SB), NOSPLIT, $0-40
	MOVQ above+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ ml+16(FP), DI
	MOVQ mr+24(FP), DX
	VPBROADCASTQ nan+32(FP), Z10
	VPXORQ Z9, Z9, Z9 // zeros
	VPXORQ Z8, Z8, Z8 // carry: the OR of the chunks above
	// The top chunk starts at (n-1)&^7 and has n-that lanes to store.
	LEAQ -1(CX), BX
	ANDQ $-8, BX
	SUBQ BX, CX
	MOVQ $1, R8
	SHLQ CX, R8
	DECQ R8
	KMOVQ R8, K1

loop:
	// Lane i = OR of lanes i..7, then of the chunks above; the chunk is
	// left zero.
	VMOVDQU64 (SI)(BX*8), Z0
	VMOVDQU64 Z9, (SI)(BX*8)
	VALIGNQ $1, Z0, Z9, Z1
	VPORQ Z1, Z0, Z0
	VALIGNQ $2, Z0, Z9, Z1
	VPORQ Z1, Z0, Z0
	VALIGNQ $4, Z0, Z9, Z1
	VPORQ Z1, Z0, Z0
	VPORQ Z8, Z0, Z0
	TESTQ DI, DI
	JZ noL
	VMOVDQU64 Z0, K1, (DI)(BX*8)

noL:
	TESTQ DX, DX
	JZ noR
	VPORQ Z10, Z0, Z2
	VMOVDQU64 Z2, K1, (DX)(BX*8)

noR:
	VPBROADCASTQ X0, Z8
	KXNORB K1, K1, K1
	SUBQ $8, BX
	JGE loop
	VZEROUPPER
	RET


// CATCODES codes the eight values at OFF*8(SI): their code bytes (x
// truncated to an integer, & 63) at OFF(DI), their valid (0 <= x < 64)
// and NaN bits ORed, shifted to rows OFF .., into R8 and R9.
#define CATCODES(OFF) \
	VMOVUPD (OFF*8)(SI), Z0; \
	VCMPPD $0x1d, Z10, Z0, K1; \
	VCMPPD $0x11, Z11, Z0, K2; \
	KANDB K1, K2, K1; \
	VCMPPD $3, Z0, Z0, K3; \
	VCVTTPD2QQ Z0, Z1; \
	VPANDQ Z12, Z1, Z1; \
	VPMOVQB Z1, OFF(DI); \
	KMOVB K1, AX; \
	SHLQ $OFF, AX; \
	ORQ AX, R8; \
	KMOVB K3, AX; \
	SHLQ $OFF, AX; \
	ORQ AX, R9

// func catCodesAVX512(col *[64]float64, codes *[64]uint8) (valid, nan uint64)
TEXT ·catCodesAVX512(SB), NOSPLIT, $0-32
	MOVQ col+0(FP), SI
	MOVQ codes+8(FP), DI
	VXORPD Z10, Z10, Z10 // 0.0
	MOVQ $0x4050000000000000, AX // 64.0
	VPBROADCASTQ AX, Z11
	MOVQ $63, AX
	VPBROADCASTQ AX, Z12
	XORQ R8, R8
	XORQ R9, R9
	CATCODES(0)
	CATCODES(8)
	CATCODES(16)
	CATCODES(24)
	CATCODES(32)
	CATCODES(40)
	CATCODES(48)
	CATCODES(56)
	MOVQ R8, valid+16(FP)
	MOVQ R9, nan+24(FP)
	VZEROUPPER
	RET
