package gemm

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
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
// an m×n×k product: one packed KC×NC block of B plus one packed KC-deep slice
// of A over all m rows. It does not depend on the thread count.
func (cfg Config) WorkspaceSize(m, n, k int) int {
	if m == 0 || n == 0 || k == 0 {
		return 0
	}
	s, b := cfg.resolve()
	return bPackSize(s, b, n, k) + aPackSize(s, b, m, k)
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
	need := bPackSize(s, blk, n, k) + aPackSize(s, blk, m, k)
	ws = workspace(fn, ws, need)
	d := driver{
		set: s, blk: blk, m: m, n: n, k: k,
		transA: transA, alpha: alpha, a: a, lda: lda,
		transB: transB, b: b, ldb: ldb,
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

// minMACsPerThread keeps tiny products on one goroutine: spawning costs more
// than it saves. The thread count never changes a result, only the speed.
const minMACsPerThread = 1 << 15

// driver is one GEMM call: the GotoBLAS loop nest over a kernel set.
type driver struct {
	set     *kernels.Set
	blk     Blocking
	m, n, k int

	// A: raw (packed per KC block into the workspace) or prepacked (pa != nil,
	// panels of depth k).
	transA bool
	alpha  float32
	a      []float32
	lda    int
	pa     []float32

	transB bool
	b      []float32
	ldb    int

	beta float32
	c    []float32
	ldc  int
}

func (d *driver) run(ws []float32, threads int) {
	MR, NR := d.set.MR, d.set.NR
	KC, NC := d.blk.KC, d.blk.NC
	mTiles := ceilDiv(d.m, MR)
	threads = parallel.Threads(threads)
	if work := int64(d.m) * int64(d.n) * int64(d.k) / minMACsPerThread; work < int64(threads) {
		threads = int(max(work, 1))
	}
	bBuf := ws[:bPackSize(d.set, d.blk, d.n, d.k)]
	aBuf := ws[len(bBuf):]

	for jc := 0; jc < d.n; jc += NC {
		nc := min(NC, d.n-jc)
		nPanels := ceilDiv(nc, NR)
		for pc := 0; pc < d.k; pc += KC {
			kc := min(KC, d.k-pc)

			// Pack the B block, and the A slice unless prepacked: one unit
			// per panel, split over threads.
			aUnits := 0
			if d.pa == nil {
				aUnits = mTiles
			}
			parallel.For(nPanels+aUnits, threads, func(lo, hi int) {
				for u := lo; u < hi; u++ {
					if u < nPanels {
						j0 := jc + u*NR
						packB(bBuf[u*kc*NR:], d.transB, d.b, d.ldb, pc, kc, j0, min(NR, jc+nc-j0), NR)
					} else {
						t := u - nPanels
						packA(aBuf[t*kc*MR:], d.transA, d.a, d.lda, d.alpha, t*MR, min(MR, d.m-t*MR), pc, kc, MR)
					}
				}
			})

			// Multiply: split C's block into a tm×tn grid of row-tile ×
			// column-panel ranges, one per thread.
			aData, aStride, aOff := aBuf, kc*MR, 0
			if d.pa != nil {
				aData, aStride, aOff = d.pa, d.k*MR, pc*MR
			}
			tn := min(threads, nPanels)
			tm := min(max(threads/tn, 1), mTiles)
			first := pc == 0
			parallel.For(tm*tn, threads, func(lo, hi int) {
				var tile []float32
				for u := lo; u < hi; u++ {
					i, j := u/tn, u%tn
					d.macro(&tile, aData, aStride, aOff, bBuf, jc, nc, kc, first,
						i*mTiles/tm, (i+1)*mTiles/tm, j*nPanels/tn, (j+1)*nPanels/tn)
				}
			})
		}
	}
}

// macro runs the micro-kernel over row tiles [t0, t1) × column panels
// [q0, q1) of the current (jc, pc) block. first says whether this is the
// first KC block, where beta applies.
func (d *driver) macro(tile *[]float32, aData []float32, aStride, aOff int, bBuf []float32,
	jc, nc, kc int, first bool, t0, t1, q0, q1 int) {
	MR, NR := d.set.MR, d.set.NR
	kern := d.set.Sgemm
	mcTiles := d.blk.MC / MR
	accumulate := !first || d.beta != 0
	scale := first && d.beta != 0 && d.beta != 1
	for tb := t0; tb < t1; tb += mcTiles {
		tbEnd := min(tb+mcTiles, t1)
		for q := q0; q < q1; q++ {
			bp := bBuf[q*kc*NR : (q+1)*kc*NR]
			j0 := jc + q*NR
			nr := min(NR, jc+nc-j0)
			for t := tb; t < tbEnd; t++ {
				ap := aData[t*aStride+aOff : t*aStride+aOff+kc*MR]
				i0 := t * MR
				mr := min(MR, d.m-i0)
				if mr == MR && nr == NR {
					cc := d.c[i0*d.ldc+j0:]
					if scale {
						for i := 0; i < MR; i++ {
							row := cc[i*d.ldc : i*d.ldc+NR]
							for j := range row {
								row[j] *= d.beta
							}
						}
					}
					kern(kc, ap, bp, cc, d.ldc, accumulate)
					continue
				}
				// Edge tile: the same kernel on a scratch MR×NR tile.
				if *tile == nil {
					*tile = make([]float32, MR*NR)
				}
				tt := *tile
				if accumulate {
					for i := 0; i < mr; i++ {
						row := d.c[(i0+i)*d.ldc+j0 : (i0+i)*d.ldc+j0+nr]
						for j, v := range row {
							if scale {
								v *= d.beta
							}
							tt[i*NR+j] = v
						}
					}
				}
				kern(kc, ap, bp, tt, NR, accumulate)
				for i := 0; i < mr; i++ {
					copy(d.c[(i0+i)*d.ldc+j0:(i0+i)*d.ldc+j0+nr], tt[i*NR:i*NR+nr])
				}
			}
		}
	}
}
