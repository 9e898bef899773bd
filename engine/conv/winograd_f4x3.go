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
// bias (146 per tile and filter). They are the kernel set's
// (engine/kernels/winograd.go; avx2: 8 tiles per call, one per lane, 100 ns
// input and 76 ns output per 8 tiles against 418 and 303 ns in scalar Go).
// Measured, one thread, avx2, shared 2-core AMD EPYC (ms; before the
// vectorised transforms → after; im2col in the same run;
// before = the driver of commit 0948f10):
//
//	ResNet-18 layer1 64→64@56     3.45 → 1.59   im2col  4.11   (146 GFLOP/s)
//	ResNet-18 layer2 128→128@28   2.37 → 1.50   im2col  3.36   (154)
//	ResNet-18 layer3 256→256@14   2.65 → 1.65   im2col  5.63   (140)
//	VGG-16 features.2 64→64@224   48.8 → 23.8   im2col  67.3   (155)
//	VGG-16 features.12 256@56     34.3 → 19.3   im2col  53.6   (192)
//	VGG-16 features.19 512@28     30.5 → 25.5   im2col  73.3   (145)
//	VGG-16 features.0 3→64@224    17.7 → 7.2    im2col  4.3    (24: K = 3)
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
