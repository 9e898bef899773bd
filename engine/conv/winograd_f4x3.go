package conv

// Winograd F(4x4, 3x3): "winograd-f4x3" (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016), interpolation points
// 0, 1, −1, 2, −2, ∞. The driver, shapes and threading are in winograd.go.
//
// Each 4×4 output tile comes from a 6×6 input tile:
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// with the matrices below (those of the paper). Cost per output element and
// channel pair: 36/16 = 2.25 multiplies in the GEMMs against 9 for direct
// convolution (4× fewer). Transforms: input 12 one-dimensional transforms of
// 18 operations (216 per tile and input channel), output 10 of 13 plus the
// bias (146 per tile and filter).
//
// Points: the paper's 0, ±1, ±2 keep Bᵀ and Aᵀ integer (the fractions 1/4,
// 1/6, 1/12, 1/24 sit in G, applied to the weights in float64) and pair the
// rows of Bᵀ (±x share their terms). Measured on real layers with the same
// driver (TestWinogradInterpolationPoints): 0, ±1, ±1/2 is 10% less
// accurate; the asymmetric 0, ±1, 1/2, −2 is a third more accurate but
// needs about twice the input-transform work, which is what limits this
// algorithm once the GEMM runs at vector speed. Both are far inside the
// 2e-5 tolerance.

func init() { Register(Winograd{M: 4}) }

var winogradF4x3 = winogradKind{
	m: 4,
	bt: [][]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	},
	g: [][]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	},
	at: [][]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	},
	input:  winogradInputF4x3,
	output: winogradOutputF4x3,
}

// winogradInputF4x3 is V = Bᵀ d B: first W = d B row by row (stored
// transposed, w[j·6+i] = W[i][j]), then V = Bᵀ W column by column. One
// row (or column) x ↦ Bᵀx is
//
//	v0 = 4(x0 − x2) + (x4 − x2)      v5 = 4(x1 − x3) + (x5 − x3)
//	v1 = (x4 − 4x2) + (x3 − 4x1)     v2 = (x4 − 4x2) − (x3 − 4x1)
//	v3 = (x4 − x2) + 2(x3 − x1)      v4 = (x4 − x2) − 2(x3 − x1)
func winogradInputF4x3(d []float32, ld int, v *winogradGroupBuf, k int) {
	k &= winogradGroup - 1
	var w [36]float32
	for i := 0; i < 6; i++ {
		r := d[i*ld : i*ld+6 : i*ld+6]
		x0, x1, x2, x3, x4, x5 := r[0], r[1], r[2], r[3], r[4], r[5]
		a, b := x4-4*x2, x3-4*x1
		c, e := x4-x2, 2*(x3-x1)
		w[0*6+i] = 4*(x0-x2) + c
		w[1*6+i] = a + b
		w[2*6+i] = a - b
		w[3*6+i] = c + e
		w[4*6+i] = c - e
		w[5*6+i] = 4*(x1-x3) + (x5 - x3)
	}
	for j := 0; j < 6; j++ {
		r := w[j*6 : j*6+6 : j*6+6]
		x0, x1, x2, x3, x4, x5 := r[0], r[1], r[2], r[3], r[4], r[5]
		a, b := x4-4*x2, x3-4*x1
		c, e := x4-x2, 2*(x3-x1)
		v[(0*6+j)*winogradGroup+k] = 4*(x0-x2) + c
		v[(1*6+j)*winogradGroup+k] = a + b
		v[(2*6+j)*winogradGroup+k] = a - b
		v[(3*6+j)*winogradGroup+k] = c + e
		v[(4*6+j)*winogradGroup+k] = c - e
		v[(5*6+j)*winogradGroup+k] = 4*(x1-x3) + (x5 - x3)
	}
}

// winogradOutputF4x3 is Y = Aᵀ M A + bias: first S = Aᵀ M column by column
// (t[i·6+j] = S[i][j]), then Y = S A row by row, so that each output row is
// written contiguously. One column (or row) x ↦ Aᵀx is, with s = x1 + x2,
// d = x1 − x2, S = x3 + x4, D = x3 − x4:
// y0 = x0 + s + S, y1 = d + 2D, y2 = s + 4S, y3 = d + 8D + x5.
func winogradOutputF4x3(mm *winogradGroupBuf, k int, bias float32, y []float32, ly int) {
	const g = winogradGroup
	k &= g - 1
	var t [24]float32
	for j := 0; j < 6; j++ {
		c := mm[j*g+k : j*g+k+30*g+1] // column j: M[i][j] at c[i·6·g]
		x0, x1, x2, x3, x4, x5 := c[0], c[6*g], c[12*g], c[18*g], c[24*g], c[30*g]
		s, d, S, D := x1+x2, x1-x2, x3+x4, x3-x4
		t[0*6+j] = x0 + s + S
		t[1*6+j] = d + 2*D
		t[2*6+j] = s + 4*S
		t[3*6+j] = d + 8*D + x5
	}
	for i := 0; i < 4; i++ {
		r := t[i*6 : i*6+6 : i*6+6]
		x0, x1, x2, x3, x4, x5 := r[0], r[1], r[2], r[3], r[4], r[5]
		s, d, S, D := x1+x2, x1-x2, x3+x4, x3-x4
		yr := y[i*ly : i*ly+4 : i*ly+4]
		yr[0] = x0 + s + S + bias
		yr[1] = d + 2*D + bias
		yr[2] = s + 4*S + bias
		yr[3] = d + 8*D + x5 + bias
	}
}
