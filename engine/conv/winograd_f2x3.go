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
// output 6 of 4 plus the bias (28 per tile and filter), run by the kernel
// set (engine/kernels/winograd.go; avx2: 55 ns input and 48 ns output per
// 8 tiles). With them it beats im2col on the 64–256-channel layers of
// VGG-16 and ResNet-18 by 1.3–2.2× (one thread, avx2; e.g. ResNet-18
// layer1 4.96 → 2.54 ms against im2col's 4.11; before = commit 0948f10)
// but trails F(4x4) everywhere except 7×7 images. The error is
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
}
