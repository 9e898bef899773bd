package conv

// Winograd F(2x2, 3x3): "winograd-f2x3" (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016), interpolation points
// 0, 1, −1, ∞. The driver, shapes and threading are in winograd.go.
//
// Each 2×2 output tile comes from a 4×4 input tile:
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// with the matrices below (those of the paper). Cost per output element and
// channel pair: 16/4 = 4 multiplies in the GEMMs against 9 for direct
// convolution (2.25× fewer). Transforms, additions only: input 8 one-
// dimensional transforms of 4 operations (32 per tile and input channel),
// output 6 of 4 plus the bias (28 per tile and filter). The error is
// that of direct convolution to within a small factor: all transform
// coefficients are 0, ±1 (input, output) or ±1/2 (weights, applied in
// float64 at plan time).

func init() { Register(Winograd{M: 2}) }

var winogradF2x3 = winogradKind{
	m: 2,
	bt: [][]float64{
		{1, 0, -1, 0},
		{0, 1, 1, 0},
		{0, -1, 1, 0},
		{0, 1, 0, -1},
	},
	g: [][]float64{
		{1, 0, 0},
		{1.0 / 2, 1.0 / 2, 1.0 / 2},
		{1.0 / 2, -1.0 / 2, 1.0 / 2},
		{0, 0, 1},
	},
	at: [][]float64{
		{1, 1, 1, 0},
		{0, 1, -1, -1},
	},
	input:  winogradInputF2x3,
	output: winogradOutputF2x3,
}

// winogradInputF2x3 is V = Bᵀ d B: first W = d B row by row (stored
// transposed, w[j·4+i] = W[i][j]), then V = Bᵀ W column by column.
func winogradInputF2x3(d []float32, ld int, v *winogradGroupBuf, k int) {
	k &= winogradGroup - 1
	var w [16]float32
	for i := 0; i < 4; i++ {
		r := d[i*ld : i*ld+4 : i*ld+4]
		d0, d1, d2, d3 := r[0], r[1], r[2], r[3]
		w[0*4+i] = d0 - d2
		w[1*4+i] = d1 + d2
		w[2*4+i] = d2 - d1
		w[3*4+i] = d1 - d3
	}
	for j := 0; j < 4; j++ {
		c := w[j*4 : j*4+4 : j*4+4]
		d0, d1, d2, d3 := c[0], c[1], c[2], c[3]
		v[(0*4+j)*winogradGroup+k] = d0 - d2
		v[(1*4+j)*winogradGroup+k] = d1 + d2
		v[(2*4+j)*winogradGroup+k] = d2 - d1
		v[(3*4+j)*winogradGroup+k] = d1 - d3
	}
}

// winogradOutputF2x3 is Y = Aᵀ M A + bias: first S = Aᵀ M column by column
// (s[i·4+j] = S[i][j]), then Y = S A row by row, so that each output row
// is written contiguously.
func winogradOutputF2x3(mm *winogradGroupBuf, k int, bias float32, y []float32, ly int) {
	const g = winogradGroup
	k &= g - 1
	var s [8]float32
	for j := 0; j < 4; j++ {
		c := mm[j*g+k:] // column j: M[i][j] at c[i·4·g]
		m0, m1, m2, m3 := c[0], c[4*g], c[8*g], c[12*g]
		s[0*4+j] = m0 + m1 + m2
		s[1*4+j] = m1 - m2 - m3
	}
	for i := 0; i < 2; i++ {
		r := s[i*4 : i*4+4 : i*4+4]
		m0, m1, m2, m3 := r[0], r[1], r[2], r[3]
		yr := y[i*ly : i*ly+2 : i*ly+2]
		yr[0] = m0 + m1 + m2 + bias
		yr[1] = m1 - m2 - m3 + bias
	}
}
