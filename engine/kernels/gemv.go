package kernels

// GEMV: the matrix-vector product of a batch-1 fully connected layer,
//
//	y[r] = Σ_{i<n} w[r·ldw + i] · x[i]   for r < rows, n = len(x),
//
// w row-major with leading dimension ldw ≥ n. Cost: rows·n multiply-adds and
// one pass over the rows·n weights, which for the classifier layers of
// AlexNet and VGG (16–400 MB) come from memory: the kernel is bound by
// memory bandwidth, not arithmetic, and only has to keep enough loads in
// flight (the assembly runs four rows at a time sharing each load of x).
//
// Summation order. Every set sums a row the same way, up to the rounding of
// fused multiply-adds: 16 partial sums s[j] = Σ_{i ≡ j mod 16} w·x from zero
// in ascending i (the vector lanes of two 8-float accumulators), then
// t[j] = s[j] + s[j+8] and y = ((t0+t1)+(t2+t3)) + ((t4+t5)+(t6+t7)). The
// assembly fuses each multiply-add, so it rounds once per step where generic
// rounds twice; the two differ within (n/16 + 4)·2⁻²³·Σ|w·x|. A row's bits
// depend only on its weights and x, never on rows or on where the caller
// split the matrix, so splitting rows over threads gives identical results.

import "fmt"

// checkSgemv panics on arguments only a programming error can produce.
func checkSgemv(name string, rows int, w []float32, ldw int, x, y []float32) {
	if rows < 0 || len(y) < rows || (rows > 1 && ldw < len(x)) ||
		(rows > 0 && len(w) < (rows-1)*ldw+len(x)) {
		panic(fmt.Sprintf("kernels.%s: bad rows=%d or ldw=%d for len x=%d, or short buffer (len w=%d y=%d)",
			name, rows, ldw, len(x), len(w), len(y)))
	}
}

// sgemvGeneric is the pure-Go GEMV, the oracle of the assembly ones.
func sgemvGeneric(rows int, w []float32, ldw int, x, y []float32) {
	checkSgemv("sgemvGeneric", rows, w, ldw, x, y)
	n := len(x)
	for r := 0; r < rows; r++ {
		y[r] = dot16(w[r*ldw:r*ldw+n], x)
	}
}

// dot16 is Σ w[i]·x[i] (len(w) = len(x)) in the GEMV order: 16 partial sums,
// then the pairwise tree. The last partial block is padded with zeros, which
// add 0·0 to its partial sums just as the assembly's masked lanes do.
func dot16(w, x []float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15 float32
	n := len(x)
	w = w[:n]
	var tw, tx [16]float32
	for i := 0; i < n; i += 16 {
		var ww, xx *[16]float32
		if i+16 <= n {
			ww, xx = (*[16]float32)(w[i:i+16]), (*[16]float32)(x[i:i+16])
		} else {
			copy(tw[:], w[i:])
			copy(tx[:], x[i:])
			ww, xx = &tw, &tx
		}
		s0 += ww[0] * xx[0]
		s1 += ww[1] * xx[1]
		s2 += ww[2] * xx[2]
		s3 += ww[3] * xx[3]
		s4 += ww[4] * xx[4]
		s5 += ww[5] * xx[5]
		s6 += ww[6] * xx[6]
		s7 += ww[7] * xx[7]
		s8 += ww[8] * xx[8]
		s9 += ww[9] * xx[9]
		s10 += ww[10] * xx[10]
		s11 += ww[11] * xx[11]
		s12 += ww[12] * xx[12]
		s13 += ww[13] * xx[13]
		s14 += ww[14] * xx[14]
		s15 += ww[15] * xx[15]
	}
	t0, t1, t2, t3 := s0+s8, s1+s9, s2+s10, s3+s11
	t4, t5, t6, t7 := s4+s12, s5+s13, s6+s14, s7+s15
	return ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7))
}
