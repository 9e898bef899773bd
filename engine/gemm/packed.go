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
		packA(pa.data[t*k*s.MR:], transA, a, lda, alpha, t*s.MR, min(s.MR, m-t*s.MR), 0, k, s.MR)
	}
	return pa
}

// M and K are the dimensions of op(A).
func (pa *PackedA) M() int { return pa.m }
func (pa *PackedA) K() int { return pa.k }

// Kernels is the kernel set the panels were packed for.
func (pa *PackedA) Kernels() *kernels.Set { return pa.set }

// Len is the number of float32 the packed panels hold (m rounded up to MR, times k).
func (pa *PackedA) Len() int { return len(pa.data) }

// WorkspaceSize is the scratch SgemmPacked needs for n columns: one packed
// KC×NC block of B. It does not depend on the thread count.
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
		return
	}
	ws = workspace(fn, ws, pa.WorkspaceSize(n))
	d := driver{set: pa.set, blk: pa.blk, beta: beta, c: c, ldc: ldc}
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
