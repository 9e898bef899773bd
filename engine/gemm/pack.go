package gemm

// packA packs rows [i0, i0+mr) and depths [p0, p0+kc) of alpha·op(A) into one
// kc×MR panel (dst[p·MR+ii]), zero-padding rows mr..MR−1.
// op(A)[i,p] is a[i·lda+p], or a[p·lda+i] when transA.
func packA(dst []float32, transA bool, a []float32, lda int, alpha float32, i0, mr, p0, kc, MR int) {
	dst = dst[:kc*MR]
	if !transA {
		for ii := 0; ii < mr; ii++ {
			src := a[(i0+ii)*lda+p0 : (i0+ii)*lda+p0+kc]
			for p, v := range src {
				dst[p*MR+ii] = alpha * v
			}
		}
	} else {
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
