package gemm

import (
	"fmt"
	"sync"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// PackedA is a left operand packed once into the micro-kernel layout of one
// kernel set (MR-tall panels over all of k), for repeated SgemmPacked calls.
// Convolution plans pack their weights this way. It is read-only after
// PackA, so one PackedA may serve concurrent calls.
type PackedA struct {
	set  *kernels.Set
	blk  Blocking
	m, k int
	data []float32 // ceil(m/MR) panels of k×MR

	tOnce sync.Once
	tData []float32 // ceil(m/NR) panels of k×NR (Aᵀ), see transposed
}

// PackA packs alpha·op(A) (m×k; A stored m×k with lda ≥ k, or k×m with
// lda ≥ m when transA) with the active kernel set; see Config.PackA.
func PackA(transA bool, m, k int, alpha float32, a []float32, lda int) *PackedA {
	return Config{}.PackA(transA, m, k, alpha, a, lda)
}

// PackA packs alpha·op(A) for cfg's kernel set; the PackedA keeps cfg's
// blocking for the SgemmPacked calls that use it.
func (cfg Config) PackA(transA bool, m, k int, alpha float32, a []float32, lda int) *PackedA {
	const fn = "gemm.PackA"
	if m < 0 || k < 0 {
		panic(fmt.Sprintf("%s: negative dimension m=%d k=%d", fn, m, k))
	}
	if transA {
		checkMatrix(fn, "A", k, m, a, lda)
	} else {
		checkMatrix(fn, "A", m, k, a, lda)
	}
	s, blk := cfg.resolve()
	pa := &PackedA{set: s, blk: blk, m: m, k: k, data: tensor.Aligned(roundUp(m, s.MR) * k)}
	if k == 0 {
		return pa
	}
	for t := 0; t*s.MR < m; t++ {
		packAPanel(s, pa.data[t*k*s.MR:], transA, a, lda, alpha, t*s.MR, min(s.MR, m-t*s.MR), k)
	}
	return pa
}

// M and K are the dimensions of op(A).
func (pa *PackedA) M() int { return pa.m }
func (pa *PackedA) K() int { return pa.k }

// Kernels is the kernel set the panels were packed for.
func (pa *PackedA) Kernels() *kernels.Set { return pa.set }

// Len is the number of float32 the packed panels hold (m rounded up to MR,
// times k). A PackedA used for narrow products (SgemmPacked computing Cᵀ)
// also keeps a transposed copy of about the same size, built on first use.
func (pa *PackedA) Len() int { return len(pa.data) }

// WorkspaceSize is the scratch SgemmPacked needs for n columns: the packed-B
// panels the threads share out or, for a product narrow enough to run as Cᵀ
// (see the package documentation), op(B)ᵀ packed into MR panels. It does not
// depend on the thread count.
func (pa *PackedA) WorkspaceSize(n int) int {
	if pa.m == 0 || n == 0 || pa.k == 0 {
		return 0
	}
	if swapped(pa.set, pa.m, n) {
		return aPackSize(pa.set, n, pa.k) // op(B)ᵀ packed into MR panels
	}
	return bPackSize(pa.set, pa.blk, n, pa.k)
}

// transposed returns the panels of A re-laid out as the right operand of
// the swapped product (NR-wide panels of Aᵀ over all of k), built on first
// use and kept: it doubles the PackedA's memory, and only products narrow
// enough to swap (see swapped) ask for it.
func (pa *PackedA) transposed() []float32 {
	pa.tOnce.Do(func() {
		s := pa.set
		MR, NR := s.MR, s.NR
		t := tensor.Aligned(roundUp(pa.m, NR) * pa.k)
		for i := 0; i < pa.m; i++ {
			src := pa.data[i/MR*pa.k*MR+i%MR:]
			dst := t[i/NR*pa.k*NR+i%NR:]
			for p := 0; p < pa.k; p++ {
				dst[p*NR] = src[p*MR]
			}
		}
		pa.tData = t
	})
	return pa.tData
}

// SgemmPacked computes C = A·op(B) + beta·C with A prepacked (alpha was
// applied by PackA): op(B) is k×n (B stored k×n with ldb ≥ n, or n×k with
// ldb ≥ k when transB) and C is m×n with ldc ≥ n. ws holds at least
// pa.WorkspaceSize(n) elements or is nil. Semantics of beta, threads and
// determinism are those of Sgemm.
func SgemmPacked(pa *PackedA, transB bool, n int, b []float32, ldb int, beta float32,
	c []float32, ldc int, ws []float32, threads int) {
	SgemmPackedFinish(pa, transB, n, b, ldb, beta, c, ldc, ws, threads, nil)
}

// Finisher is called by a GEMM on blocks of C (rows [r0, r1), columns
// [c0, c1)) as soon as their values are final, while they are still in
// cache: the place for a layer's bias, residual and activation. The blocks
// tile C exactly once; calls for different blocks may run concurrently (one
// per thread), so a Finisher may only touch its own block. Block shapes
// depend on the thread count, so a Finisher must compute each element from
// that element alone for results to stay independent of threads.
type Finisher func(r0, r1, c0, c1 int)

// SgemmPackedFinish is SgemmPacked calling fin (if not nil) on every block
// of C once it is final.
func SgemmPackedFinish(pa *PackedA, transB bool, n int, b []float32, ldb int, beta float32,
	c []float32, ldc int, ws []float32, threads int, fin Finisher) {
	const fn = "gemm.SgemmPacked"
	if pa == nil {
		panic(fn + ": nil PackedA")
	}
	if n < 0 {
		panic(fmt.Sprintf("%s: negative dimension n=%d", fn, n))
	}
	m, k := pa.m, pa.k
	checkB(fn, transB, k, n, b, ldb)
	checkMatrix(fn, "C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		if fin != nil {
			fin(0, m, 0, n)
		}
		return
	}
	ws = workspace(fn, ws, pa.WorkspaceSize(n))
	d := driver{set: pa.set, blk: pa.blk, beta: beta, c: c, ldc: ldc, fin: fin}
	if swapped(pa.set, m, n) {
		// Cᵀ = op(B)ᵀ·Aᵀ: op(B)ᵀ is packed into MR panels (the left
		// operand), A's NR-panel copy is the right one.
		d.m, d.n, d.k, d.swap = n, m, k, true
		d.lTrans, d.l, d.ldl, d.alpha = !transB, b, ldb, 1
		d.right = pa.transposed()
	} else {
		d.m, d.n, d.k = m, n, k
		d.left = pa.data
		d.rTrans, d.r, d.ldr = transB, b, ldb
	}
	d.run(ws, threads)
}

// PackedBLen is the length of a right operand packed for SgemmPrepacked
// with pa's kernel set: n rounded up to the set's NR, times k.
func (pa *PackedA) PackedBLen(n int) int { return roundUp(n, pa.set.NR) * pa.k }

// PackB packs op(B) (k×n; B stored k×n with ldb ≥ n, or n×k with ldb ≥ k
// when transB) into dst, len(dst) ≥ pa.PackedBLen(n), for SgemmPrepacked:
// ceil(n/NR) panels of k×NR, dst[q·k·NR + p·NR + j] = op(B)[p, q·NR+j],
// the last panel zero-padded. A producer of B (an im2col or Winograd
// transform) may write this layout directly instead and skip the copy.
func (pa *PackedA) PackB(transB bool, n int, b []float32, ldb int, dst []float32) {
	const fn = "gemm.PackedA.PackB"
	checkB(fn, transB, pa.k, n, b, ldb)
	if len(dst) < pa.PackedBLen(n) {
		panic(fmt.Sprintf("%s: dst has %d elements, want ≥ %d", fn, len(dst), pa.PackedBLen(n)))
	}
	NR := pa.set.NR
	for q := 0; q*NR < n; q++ {
		packB(dst[q*pa.k*NR:], transB, b, ldb, 0, pa.k, q*NR, min(NR, n-q*NR), NR)
	}
}

// SgemmPrepacked computes C = A·B + beta·C with both operands packed: A by
// PackA, B (k×n) in pa's panel layout (see PackB). It needs no workspace and
// gives the bits of SgemmPacked on the same operands (it never swaps the
// orientation). Semantics of beta, threads and determinism are those of
// Sgemm.
func SgemmPrepacked(pa *PackedA, pb []float32, n int, beta float32, c []float32, ldc int, threads int) {
	SgemmPrepackedFinish(pa, pb, n, beta, c, ldc, threads, nil)
}

// SgemmPrepackedFinish is SgemmPrepacked calling fin (if not nil) on every
// block of C once it is final.
func SgemmPrepackedFinish(pa *PackedA, pb []float32, n int, beta float32, c []float32, ldc int, threads int, fin Finisher) {
	const fn = "gemm.SgemmPrepacked"
	if pa == nil {
		panic(fn + ": nil PackedA")
	}
	if n < 0 {
		panic(fmt.Sprintf("%s: negative dimension n=%d", fn, n))
	}
	m, k := pa.m, pa.k
	checkMatrix(fn, "C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		if fin != nil {
			fin(0, m, 0, n)
		}
		return
	}
	if len(pb) < pa.PackedBLen(n) {
		panic(fmt.Sprintf("%s: packed B has %d elements, want ≥ %d", fn, len(pb), pa.PackedBLen(n)))
	}
	d := driver{set: pa.set, blk: pa.blk, m: m, n: n, k: k,
		left: pa.data, right: pb, beta: beta, c: c, ldc: ldc, fin: fin}
	d.run(nil, threads)
}
