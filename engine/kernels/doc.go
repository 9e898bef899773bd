// Package kernels holds the SGEMM micro-kernels the blocked GEMM driver in
// engine/gemm is built on, grouped into kernel sets.
//
// A micro-kernel computes one MR×NR register tile of C from two packed panels:
//
//	C[i·ldc + j] = (C[i·ldc + j] if accumulate) + Σ_{p<k} A[p·MR + i] · B[p·NR + j]
//
// for 0 ≤ i < MR and 0 ≤ j < NR. The panels are the packing format shared by
// every kernel of a set:
//
//	A panel (k×MR, MR contiguous per step)    B panel (k×NR, NR contiguous per step)
//	p=0: a00 a10 … a(MR-1)0                   p=0: b00 b01 … b0(NR-1)
//	p=1: a01 a11 … a(MR-1)1                   p=1: b10 b11 … b1(NR-1)
//	…                                         …
//
// The driver packs the operands into this layout (zero-padding the last
// partial panel), so a kernel only ever sees full tiles; for the edges of C it
// computes into an MR×NR scratch tile and copies the valid part. Edge tiles go
// through exactly the same kernel, so an element's value never depends on where
// the blocking put it.
//
// Kernel sets. A Set names one family (register tile, packing format, kernel
// functions). The "generic" set is pure Go, always compiled and the oracle for
// every other set: assembly sets (avx2, avx512, generated with avo from _gen)
// are tested against it. Active returns the set in use; today that is always
// generic (CPU detection and the -kernels override come with the assembly).
//
// Naming follows XNNPACK/NNPACK: a kernel function is
// sgemm<MR>x<NR><Set>, e.g. sgemm2x4Generic, sgemm6x16AVX2.
//
// Why 2×4 for generic: Go does not vectorise and keeps scalar float32 locals in
// the 15 usable XMM registers, so larger tiles (4×8, 8×8) spill accumulators
// to the stack. Measured on an AMD EPYC (Zen, 2.6 GHz) with k=256:
// 2×4 unrolled by 8 ≈ 7.5–8 GFLOP/s; 3×3 ≈ 7.7; 4×4 ≈ 5.3; 2×8 ≈ 5.2; 4×8 ≈ 2.6;
// 8×8 ≈ 2.4; without the 8-step unroll 2×4 runs at ≈ 5.
package kernels
