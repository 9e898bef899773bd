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
// partial panel), so a kernel only ever sees full panels. Edges of C go
// through SgemmEdge (which computes only the valid corner with the same FMA
// chains) or, for sets without it, the same kernel on an MR×NR scratch tile,
// so an element's value never depends on where the blocking put it.
//
// Kernel sets. A Set names one family (register tile, packing format, kernel
// functions). The "generic" set is pure Go, always compiled and the oracle for
// every other set: the assembly sets are tested against it and against a
// float64 reference, and the whole engine test suite runs for every set the
// CPU supports.
//
//	generic  2×4   pure Go                       always
//	avx2     6×16  12 ymm accumulators, FMA3     AVX2 and FMA3
//	avx512   14×32 28 zmm accumulators           AVX512F (OS-enabled; cpuid checks XCR0)
//
// Besides the micro-kernels, a set carries the row kernels layers call
// directly, each with a generic Go oracle: Epilogue (bias, residual and
// activation, epilogue.go), Sgemv (the batch-1 fully connected layer,
// gemv.go) and DepthwiseRow (3×3 and 5×5 depthwise convolution rows,
// depthwise.go, bitwise equal to the oracle). avx512 uses the avx2 Sgemv
// and DepthwiseRow: a GEMV is bound by memory bandwidth, and depthwise rows
// are short.
//
// The assembly is generated with avo by the program in _gen (a module of its
// own) into sgemm_<set>_amd64.s with Go declarations in sgemm_<set>_amd64.go;
// `go generate ./...` (or `make generate`) rewrites them and `make
// check-generate` fails when they are stale. The purego build tag (or any
// GOARCH but amd64) drops the assembly: only generic is compiled.
//
// Summation order. Every kernel sums the products of one element from zero
// in ascending p and adds C last, as the contract says; the assembly sets
// fuse each multiply-add (VFMADD231PS), so they round once per step where
// generic rounds twice. Results of different sets therefore differ in the
// last bits (within the GEMM tolerance (k+1)·2⁻²³ normalised); results of
// one set never depend on tile position, edge handling or thread count.
//
// Dispatch. Available lists the sets this binary and CPU can run (Names is
// the same list); Best picks avx512 > avx2 > generic. Active is the set in
// use: chosen lazily on first use (never in init) from $CNNBENCH_KERNELS
// (generic, avx2, avx512 or auto) or Best, and replaced by Select (the
// -kernels flag). Asking for a set the CPU lacks is an error naming the
// missing feature; Active panics rather than silently run another set when
// $CNNBENCH_KERNELS asks for one.
//
// On Zen 4, 512-bit FMAs run as two 256-bit halves, so avx2 and avx512 have
// the same peak (about 116 GFLOP/s per core at full clock); avx512's gain is
// its 32 registers: a 14×32 tile needs 16 loads per 28 FMAs where 6×16 needs
// 8 per 12.
//
// Naming follows XNNPACK/NNPACK: a kernel function is
// sgemm<MR>x<NR><Kind><Set>, e.g. sgemm2x4Generic, sgemm6x16StripAVX2.
//
// Why 2×4 for generic: Go does not vectorise and keeps scalar float32 locals in
// the 15 usable XMM registers, so larger tiles (4×8, 8×8) spill accumulators
// to the stack. Measured on an AMD EPYC (Zen, 2.6 GHz) with k=256:
// 2×4 unrolled by 8 ≈ 7.5–8 GFLOP/s; 3×3 ≈ 7.7; 4×4 ≈ 5.3; 2×8 ≈ 5.2; 4×8 ≈ 2.6;
// 8×8 ≈ 2.4; without the 8-step unroll 2×4 runs at ≈ 5.
package kernels
