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
// channel), output 14 of 30 plus the bias (456 per tile and filter), run by
// the kernel set (engine/kernels/winograd.go; avx2: 184 ns input and 143 ns
// output per 8 tiles, against 1382 and 1202 ns in scalar Go). On 56–224
// images it now matches F(4x4) (ResNet-18 layer1 3.43 → 1.61 ms, VGG-16
// features.5 24.1 → 9.1 ms, one thread, avx2, against the driver of commit 0948f10);
// on 14×14 and 7×7 images its tiles hang over the edge and its GEMMs are
// thin (n = 9 or 4 tiles), so it loses to F(4x4). It is
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
}
