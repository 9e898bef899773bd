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
}
