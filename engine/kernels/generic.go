package kernels

// sgemm2x4Generic is the generic set's micro-kernel: a 2×4 register tile held
// in eight scalar locals, the k loop unrolled by eight. It computes
//
//	for i := 0; i < 2; i++ {
//		for j := 0; j < 4; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[p*2+i] * b[p*4+j]
//			}
//			if accumulate {
//				s += c[i*ldc+j]
//			}
//			c[i*ldc+j] = s
//		}
//	}
func sgemm2x4Generic(k int, a, b, c []float32, ldc int, accumulate bool) {
	const mr, nr = 2, 4
	if k < 0 || len(a) < k*mr || len(b) < k*nr || ldc < nr || len(c) < (mr-1)*ldc+nr {
		panic("kernels.sgemm2x4Generic: bad k, ldc or short panel")
	}
	a, b = a[:k*mr], b[:k*nr] // bounds-check hints for the loops below
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	p := 0
	for ; p+8 <= k; p += 8 {
		ap := a[p*mr : p*mr+8*mr : p*mr+8*mr]
		bp := b[p*nr : p*nr+8*nr : p*nr+8*nr]
		// Eight steps by hand: the Go compiler does not unroll loops.
		{
			a0, a1 := ap[0], ap[1]
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
		{
			a0, a1 := ap[2], ap[3]
			b0, b1, b2, b3 := bp[4], bp[5], bp[6], bp[7]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
		{
			a0, a1 := ap[4], ap[5]
			b0, b1, b2, b3 := bp[8], bp[9], bp[10], bp[11]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
		{
			a0, a1 := ap[6], ap[7]
			b0, b1, b2, b3 := bp[12], bp[13], bp[14], bp[15]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
		{
			a0, a1 := ap[8], ap[9]
			b0, b1, b2, b3 := bp[16], bp[17], bp[18], bp[19]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
		{
			a0, a1 := ap[10], ap[11]
			b0, b1, b2, b3 := bp[20], bp[21], bp[22], bp[23]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
		{
			a0, a1 := ap[12], ap[13]
			b0, b1, b2, b3 := bp[24], bp[25], bp[26], bp[27]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
		{
			a0, a1 := ap[14], ap[15]
			b0, b1, b2, b3 := bp[28], bp[29], bp[30], bp[31]
			c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
			c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
		}
	}
	for ; p < k; p++ {
		ap := a[p*mr : p*mr+mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr : p*nr+nr]
		a0, a1 := ap[0], ap[1]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00, c01, c02, c03 = c00+a0*b0, c01+a0*b1, c02+a0*b2, c03+a0*b3
		c10, c11, c12, c13 = c10+a1*b0, c11+a1*b1, c12+a1*b2, c13+a1*b3
	}
	r0 := c[0:nr:nr]
	r1 := c[ldc : ldc+nr : ldc+nr]
	if accumulate {
		c00, c01, c02, c03 = c00+r0[0], c01+r0[1], c02+r0[2], c03+r0[3]
		c10, c11, c12, c13 = c10+r1[0], c11+r1[1], c12+r1[2], c13+r1[3]
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
}
