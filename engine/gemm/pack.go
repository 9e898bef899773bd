package gemm

import "github.com/cnnbench/cnnbench/engine/kernels"

// packAPanel is packA through the kernel set's assembly packer when it has
// one and the panel is full and not transposed (the same bits either way).
func packAPanel(s *kernels.Set, dst []float32, transA bool, a []float32, lda int, alpha float32, i0, mr, kc int) {
	if s.PackA != nil && !transA && mr == s.MR && kc > 0 {
		s.PackA(dst, a[i0*lda:], lda, kc, alpha)
		return
	}
	packA(dst, transA, a, lda, alpha, i0, mr, 0, kc, s.MR)
}

// packA packs rows [i0, i0+mr) and depths [p0, p0+kc) of alpha·op(A) into one
// kc×MR panel (dst[p·MR+ii]), zero-padding rows mr..MR−1.
// op(A)[i,p] is a[i·lda+p], or a[p·lda+i] when transA.
func packA(dst []float32, transA bool, a []float32, lda int, alpha float32, i0, mr, p0, kc, MR int) {
	dst = dst[:kc*MR]
	if !transA && mr == MR && MR == 6 && kc > 0 {
		// The avx2 tile: six rows interleaved step by step, one pass.
		r0 := a[(i0+0)*lda+p0:][:kc]
		r1 := a[(i0+1)*lda+p0:][:kc]
		r2 := a[(i0+2)*lda+p0:][:kc]
		r3 := a[(i0+3)*lda+p0:][:kc]
		r4 := a[(i0+4)*lda+p0:][:kc]
		r5 := a[(i0+5)*lda+p0:][:kc]
		for p := range r0 {
			d := (*[6]float32)(dst[p*6:])
			d[0], d[1], d[2], d[3], d[4], d[5] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p], alpha*r4[p], alpha*r5[p]
		}
		return
	}
	if !transA {
		for ii := 0; ii < mr; ii++ {
			src := a[(i0+ii)*lda+p0 : (i0+ii)*lda+p0+kc]
			for p, v := range src {
				dst[p*MR+ii] = alpha * v
			}
		}
	} else {
		if mr == MR && MR == 6 {
			for p := 0; p < kc; p++ {
				src := (*[6]float32)(a[(p0+p)*lda+i0:])
				d := (*[6]float32)(dst[p*6:])
				d[0], d[1], d[2], d[3], d[4], d[5] = alpha*src[0], alpha*src[1], alpha*src[2], alpha*src[3], alpha*src[4], alpha*src[5]
			}
			return
		}
		for p := 0; p < kc; p++ {
			src := a[(p0+p)*lda+i0 : (p0+p)*lda+i0+mr]
			d := dst[p*MR : p*MR+mr]
			for ii, v := range src {
				d[ii] = alpha * v
			}
		}
	}
	if mr < MR {
		for p := 0; p < kc; p++ {
			clear(dst[p*MR+mr : (p+1)*MR])
		}
	}
}

// packB packs depths [p0, p0+kc) and columns [j0, j0+nr) of op(B) into one
// kc×NR panel (dst[p·NR+jj]), zero-padding columns nr..NR−1.
// op(B)[p,j] is b[p·ldb+j], or b[j·ldb+p] when transB.
func packB(dst []float32, transB bool, b []float32, ldb int, p0, kc, j0, nr, NR int) {
	dst = dst[:kc*NR]
	if !transB {
		if nr == NR { // full panel: the common case, kept free of calls
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0:][:NR]
				d := dst[p*NR:][:NR]
				for jj := range d {
					d[jj] = src[jj]
				}
			}
			return
		}
		for p := 0; p < kc; p++ {
			src := b[(p0+p)*ldb+j0 : (p0+p)*ldb+j0+nr]
			d := dst[p*NR : p*NR+NR]
			for jj, v := range src {
				d[jj] = v
			}
			clear(d[nr:])
		}
		return
	}
	for jj := 0; jj < nr; jj++ {
		src := b[(j0+jj)*ldb+p0 : (j0+jj)*ldb+p0+kc]
		for p, v := range src {
			dst[p*NR+jj] = v
		}
	}
	if nr < NR {
		for p := 0; p < kc; p++ {
			clear(dst[p*NR+nr : (p+1)*NR])
		}
	}
}
