package conv

// Winograd F(6x6, 3x3): "winograd-f6x3" (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016, with the 8×8 input tile of
// NNPACK's wt8x8), interpolation points 0, ±1, ±2, ±1/2, ∞. The driver,
// shapes and threading are in winograd.go.
//
// Each 6×6 output tile comes from an 8×8 input tile:
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// Cost per output element and channel pair: 64/36 ≈ 1.78 multiplies in the
// GEMMs against 9 for direct convolution (5.06× fewer). Transforms: input 16
// one-dimensional transforms of 38 operations (608 per tile and input
// channel), output 14 of 30 plus the bias (456 per tile and filter). It is
// the least accurate of the three (Aᵀ spans 1/32 … 32):
// DESIGN.md §8 allows it a relative L2 error of 1e-4 against the float64
// direct convolution, and winograd_test.go records what it reaches.

func init() { Register(Winograd{M: 6}) }

var winogradF6x3 = winogradKind{
	m: 6,
	bt: [][]float64{
		{1, 0, -21.0 / 4, 0, 21.0 / 4, 0, -1, 0},
		{0, 1, 1, -17.0 / 4, -17.0 / 4, 1, 1, 0},
		{0, -1, 1, 17.0 / 4, -17.0 / 4, -1, 1, 0},
		{0, 1.0 / 2, 1.0 / 4, -5.0 / 2, -5.0 / 4, 2, 1, 0},
		{0, -1.0 / 2, 1.0 / 4, 5.0 / 2, -5.0 / 4, -2, 1, 0},
		{0, 2, 4, -5.0 / 2, -5, 1.0 / 2, 1, 0},
		{0, -2, 4, 5.0 / 2, -5, -1.0 / 2, 1, 0},
		{0, -1, 0, 21.0 / 4, 0, -21.0 / 4, 0, 1},
	},
	g: [][]float64{
		{1, 0, 0},
		{-2.0 / 9, -2.0 / 9, -2.0 / 9},
		{-2.0 / 9, 2.0 / 9, -2.0 / 9},
		{1.0 / 90, 1.0 / 45, 2.0 / 45},
		{1.0 / 90, -1.0 / 45, 2.0 / 45},
		{32.0 / 45, 16.0 / 45, 8.0 / 45},
		{32.0 / 45, -16.0 / 45, 8.0 / 45},
		{0, 0, 1},
	},
	at: [][]float64{
		{1, 1, 1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 1.0 / 2, -1.0 / 2, 0},
		{0, 1, 1, 4, 4, 1.0 / 4, 1.0 / 4, 0},
		{0, 1, -1, 8, -8, 1.0 / 8, -1.0 / 8, 0},
		{0, 1, 1, 16, 16, 1.0 / 16, 1.0 / 16, 0},
		{0, 1, -1, 32, -32, 1.0 / 32, -1.0 / 32, 1},
	},
	input:  winogradInputF6x3,
	output: winogradOutputF6x3,
}

// winogradInput1DF6x3 is x ↦ Bᵀx for one row or column.
func winogradInput1DF6x3(x0, x1, x2, x3, x4, x5, x6, x7 float32) (v0, v1, v2, v3, v4, v5, v6, v7 float32) {
	v0 = (x0 - x6) + 5.25*(x4-x2)
	v7 = (x7 - x1) + 5.25*(x3-x5)
	a, b := (x2+x6)-4.25*x4, (x1+x5)-4.25*x3
	v1, v2 = a+b, a-b
	a, b = (x6+0.25*x2)-1.25*x4, (0.5*x1+2*x5)-2.5*x3
	v3, v4 = a+b, a-b
	a, b = (x6+4*x2)-5*x4, (2*x1+0.5*x5)-2.5*x3
	v5, v6 = a+b, a-b
	return
}

// winogradInputF6x3 is V = Bᵀ d B: first W = d B row by row (stored
// transposed, w[j·8+i] = W[i][j]), then V = Bᵀ W column by column.
func winogradInputF6x3(d []float32, ld int, v *winogradGroupBuf, k int) {
	k &= winogradGroup - 1
	var w [64]float32
	for i := 0; i < 8; i++ {
		r := d[i*ld : i*ld+8 : i*ld+8]
		w[0*8+i], w[1*8+i], w[2*8+i], w[3*8+i], w[4*8+i], w[5*8+i], w[6*8+i], w[7*8+i] =
			winogradInput1DF6x3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
	}
	for j := 0; j < 8; j++ {
		const g = winogradGroup
		r := w[j*8 : j*8+8 : j*8+8]
		o := v[j*g+k : j*g+k+56*g+1]
		o[0], o[8*g], o[16*g], o[24*g], o[32*g], o[40*g], o[48*g], o[56*g] =
			winogradInput1DF6x3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
	}
}

// winogradOutput1DF6x3 is x ↦ Aᵀx for one row or column.
func winogradOutput1DF6x3(x0, x1, x2, x3, x4, x5, x6, x7 float32) (y0, y1, y2, y3, y4, y5 float32) {
	s1, d1 := x1+x2, x1-x2
	s2, d2 := x3+x4, x3-x4
	s3, d3 := x5+x6, x5-x6
	y0 = x0 + s1 + s2 + s3
	y1 = d1 + 2*d2 + 0.5*d3
	y2 = s1 + 4*s2 + 0.25*s3
	y3 = d1 + 8*d2 + 0.125*d3
	y4 = s1 + 16*s2 + 0.0625*s3
	y5 = d1 + 32*d2 + 0.03125*d3 + x7
	return
}

// winogradOutputF6x3 is Y = Aᵀ M A + bias: first S = Aᵀ M column by column
// (t[i·8+j] = S[i][j]), then Y = S A row by row, so that each output row is
// written contiguously.
func winogradOutputF6x3(mm *winogradGroupBuf, k int, bias float32, y []float32, ly int) {
	const g = winogradGroup
	k &= g - 1
	var t [48]float32
	for j := 0; j < 8; j++ {
		c := mm[j*g+k : j*g+k+56*g+1] // column j: M[i][j] at c[i·8·g]
		t[0*8+j], t[1*8+j], t[2*8+j], t[3*8+j], t[4*8+j], t[5*8+j] = winogradOutput1DF6x3(
			c[0], c[8*g], c[16*g], c[24*g], c[32*g], c[40*g], c[48*g], c[56*g])
	}
	for i := 0; i < 6; i++ {
		r := t[i*8 : i*8+8 : i*8+8]
		y0, y1, y2, y3, y4, y5 := winogradOutput1DF6x3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
		yr := y[i*ly : i*ly+6 : i*ly+6]
		yr[0], yr[1], yr[2], yr[3], yr[4], yr[5] = y0+bias, y1+bias, y2+bias, y3+bias, y4+bias, y5+bias
	}
}
