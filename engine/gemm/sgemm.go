package gemm

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with the active kernel set and
// DefaultBlocking; see Config.Sgemm.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ws []float32, threads int) {
	Config{}.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ws, threads)
}

// WorkspaceSize is the scratch, in float32 elements, that Sgemm needs for an
// m×n×k product with the active kernel set and DefaultBlocking.
func WorkspaceSize(m, n, k int) int { return Config{}.WorkspaceSize(m, n, k) }

// WorkspaceSize is the scratch, in float32 elements, that cfg.Sgemm needs for
// an m×n×k product: A packed once over all of k, plus the packed-B panels the
// threads share out (see bPackSize). It does not depend on the thread count.
func (cfg Config) WorkspaceSize(m, n, k int) int {
	if m == 0 || n == 0 || k == 0 {
		return 0
	}
	s, b := cfg.resolve()
	return bPackSize(s, b, n, k) + aPackSize(s, m, k)
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices:
// op(A) is m×k (A stored m×k with lda ≥ k, or k×m with lda ≥ m when transA),
// op(B) is k×n (B stored k×n with ldb ≥ n, or n×k with ldb ≥ k when transB),
// C is m×n with ldc ≥ n. When beta is 0 C is only written, never read; when
// k or alpha is 0, C = beta·C and A and B are not read.
//
// ws is scratch of at least cfg.WorkspaceSize(m, n, k) elements, or nil to
// allocate one. threads ≤ 0 means GOMAXPROCS; the result is bitwise identical
// for every thread count. Bad sizes or short buffers panic.
func (cfg Config) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ws []float32, threads int) {
	const fn = "gemm.Sgemm"
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("%s: negative dimension m=%d n=%d k=%d", fn, m, n, k))
	}
	if transA {
		checkMatrix(fn, "A", k, m, a, lda)
	} else {
		checkMatrix(fn, "A", m, k, a, lda)
	}
	checkB(fn, transB, k, n, b, ldb)
	checkMatrix(fn, "C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	s, blk := cfg.resolve()
	ws = workspace(fn, ws, bPackSize(s, blk, n, k)+aPackSize(s, m, k))
	d := driver{
		set: s, blk: blk, m: m, n: n, k: k,
		lTrans: transA, l: a, ldl: lda, alpha: alpha,
		rTrans: transB, r: b, ldr: ldb,
		beta: beta, c: c, ldc: ldc,
	}
	d.run(ws, threads)
}

// checkMatrix panics unless x can hold a rows×cols row-major matrix with
// leading dimension ld.
func checkMatrix(fn, name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("%s: bad leading dimension of %s: %d < %d columns", fn, name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("%s: %s has %d elements, want ≥ %d for %dx%d with leading dimension %d",
			fn, name, len(x), (rows-1)*ld+cols, rows, cols, ld))
	}
}

func checkB(fn string, transB bool, k, n int, b []float32, ldb int) {
	if transB {
		checkMatrix(fn, "B", n, k, b, ldb)
	} else {
		checkMatrix(fn, "B", k, n, b, ldb)
	}
}

// workspace returns ws[:need], allocating when ws is nil.
func workspace(fn string, ws []float32, need int) []float32 {
	if ws == nil {
		return tensor.Aligned(need)
	}
	if len(ws) < need {
		panic(fmt.Sprintf("%s: workspace has %d elements, want ≥ %d", fn, len(ws), need))
	}
	return ws[:need]
}

// scaleC sets C = beta·C (C = 0 exactly when beta is 0, whatever C held).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
