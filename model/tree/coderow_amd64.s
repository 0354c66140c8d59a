//go:build amd64 && !purego

#include "textflag.h"

// chunkStep<> is 63k for the lanes k = 0 .. 7.
DATA chunkStep<>+0(SB)/8, $0
DATA chunkStep<>+8(SB)/8, $63
DATA chunkStep<>+16(SB)/8, $126
DATA chunkStep<>+24(SB)/8, $189
DATA chunkStep<>+32(SB)/8, $252
DATA chunkStep<>+40(SB)/8, $315
DATA chunkStep<>+48(SB)/8, $378
DATA chunkStep<>+56(SB)/8, $441
GLOBL chunkStep<>(SB), RODATA|NOPTR, $64

// func chunkCodesAVX512(codes *uint64, chunk *chunkPlan, ranks *int64, n int)
//
// For each feature: chunk k's code is all ones shifted left by
// min(max(rank-63k, 0), 63), without bit 63; every chunk's is 1<<63 for
// NaN (rank -1). Eight chunks per masked store.
TEXT ·chunkCodesAVX512(SB), NOSPLIT, $0-32
	MOVQ codes+0(FP), DI
	MOVQ chunk+8(FP), SI
	MOVQ ranks+16(FP), R8
	MOVQ n+24(FP), R9
	VMOVDQU64 chunkStep<>(SB), Z10
	MOVQ $63, AX
	VPBROADCASTQ AX, Z11
	MOVQ $0x8000000000000000, AX
	VPBROADCASTQ AX, Z12 // nanBit
	VPTERNLOGQ $0xff, Z13, Z13, Z13 // all ones
	VPXORQ Z14, Z14, Z14 // zeros
	MOVQ $504, AX
	VPBROADCASTQ AX, Z15 // 63 * 8

feature:
	MOVLQSX 0(SI), AX
	MOVLQSX 4(SI), BX // chunks left
	LEAQ (DI)(AX*8), DX
	VPBROADCASTQ (R8), Z0
	VPCMPQ $1, Z14, Z0, K2 // NaN: rank < 0, all lanes or none

chunk:
	MOVQ BX, CX
	CMPQ CX, $8
	JLE lanes
	MOVQ $8, CX

lanes:
	MOVL $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	VPSUBQ Z10, Z0, Z1
	VPMAXSQ Z14, Z1, Z1
	VPMINSQ Z11, Z1, Z1
	VPSLLVQ Z1, Z13, Z2
	VPANDNQ Z2, Z12, Z2
	VMOVDQA64 Z12, K2, Z2
	VMOVDQU64 Z2, K1, (DX)
	VPSUBQ Z15, Z0, Z0
	ADDQ $64, DX
	SUBQ $8, BX
	JG chunk
	ADDQ $12, SI // sizeof(chunkPlan)
	ADDQ $8, R8
	DECQ R9
	JNZ feature
	VZEROUPPER
	RET

// func gridRanksRowAVX512(x *float64, rows *gridRow, n int, start *uint16, thr *float64, ranks *int64)
//
// gridRow: lo at 0, scale at 64, last at 128 (float64 x8), feature at
// 192, start at 224, thr at 256 (int32 x8); 288 bytes.
TEXT ·gridRanksRowAVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ rows+8(FP), DI
	MOVQ n+16(FP), BX
	MOVQ start+24(FP), R8
	MOVQ thr+32(FP), R9
	MOVQ ranks+40(FP), DX
	MOVQ $1, AX
	VPBROADCASTQ AX, Z13 // ones
	MOVL $0xffff, AX
	VPBROADCASTD AX, Y14
	VPXORD Y15, Y15, Y15 // zeros
	VPTERNLOGQ $0xff, Z12, Z12, Z12 // -1

row:
	MOVQ BX, CX
	CMPQ CX, $8
	JLE lanes
	MOVQ $8, CX

lanes:
	MOVL $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K7 // the lanes in use
	VMOVDQU32 192(DI), Y0
	KMOVW K7, K1
	VPXORQ Z1, Z1, Z1
	VGATHERDPD (SI)(Y0*8), K1, Z1 // x
	// cell = max(int32(min((x-lo)*scale, last)), 0): NaN stays NaN
	// through VMINPD (its second source), and NaN, -Inf and values far
	// below lo convert to the negative indefinite integer.
	VSUBPD 0(DI), Z1, Z2
	VMULPD 64(DI), Z2, Z2
	VMOVUPD 128(DI), Z3
	VMINPD Z2, Z3, Z2
	VCVTTPD2DQ Z2, Y2
	VPMAXSD Y15, Y2, Y2
	VPADDD 224(DI), Y2, Y2
	KMOVW K7, K1
	VPXORD Y4, Y4, Y4
	VPGATHERDD (R8)(Y2*2), K1, Y4
	VPANDD Y14, Y4, Y4 // s = start[cell]
	VPADDD 256(DI), Y4, Y5
	KMOVW K7, K1
	VPXORQ Z6, Z6, Z6
	VGATHERDPD (R9)(Y5*8), K1, Z6
	KMOVW K7, K2
	VPXORQ Z7, Z7, Z7
	VGATHERDPD 8(R9)(Y5*8), K2, Z7
	KMOVW K7, K3
	VPXORQ Z8, Z8, Z8
	VGATHERDPD 16(R9)(Y5*8), K3, Z8
	KMOVW K7, K4
	VPXORQ Z9, Z9, Z9
	VGATHERDPD 24(R9)(Y5*8), K4, Z9
	VPMOVZXDQ Y4, Z10
	VCMPPD $0x1e, Z6, Z1, K2 // x > t
	VPADDQ Z13, Z10, K2, Z10
	VCMPPD $0x1e, Z7, Z1, K2
	VPADDQ Z13, Z10, K2, Z10
	VCMPPD $0x1e, Z8, Z1, K2
	VPADDQ Z13, Z10, K2, Z10
	VCMPPD $0x1e, Z9, Z1, K2
	VPADDQ Z13, Z10, K2, Z10
	VCMPPD $3, Z1, Z1, K3 // NaN: -1
	VMOVDQA64 Z12, K3, Z10
	VMOVDQU64 Z10, K7, (DX)
	ADDQ $288, DI
	ADDQ $64, DX
	SUBQ $8, BX
	JG row
	VZEROUPPER
	RET
