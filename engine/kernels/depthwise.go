package kernels

// Depthwise row kernels: one output row segment of a depthwise (per-channel)
// convolution with a 3×3 or 5×5 kernel at stride 1 or 2, the inner loop of
// engine/conv's depthwise algorithm (MobileNet, ShuffleNet, EfficientNet):
//
//	dst[x] = Σ_{i<K} Σ_{j<K} w[i·K + j] · rows[i][x·S + j] + b,   x < len(dst)
//
// rows[i] is kernel row i's input row, starting at the input column of
// dst[0], with at least (len(dst)−1)·S + K elements. Cost: K² multiplies and
// adds per output; the inputs are reused from L1 (K²/S² loads per input).
//
// Summation order, the same in every set (so every set gives the generic
// bits; the assembly uses separate multiplies and adds, no FMA):
//
//	s_i = ((w_i0·a_0 + w_i1·a_1) + w_i2·a_2) …   each product rounded
//	out = (((s_0 + s_1) + s_2) … + s_{K−1}) + b
//
// The generic kernels hold the weights in locals (5×5 in two passes, rows
// 0–2 then 3–4, as 25 weights do not fit the float registers); the explicit
// float32 conversions keep the Go compiler from fusing a multiply and an add
// (which it may do under GOAMD64=v3), so the products round as the
// assembly's do.

import "fmt"

// DWKernel names a depthwise row kernel: kernel size and stride.
type DWKernel uint8

// The depthwise row kernels.
const (
	DW3x3S1 DWKernel = iota // 3×3, stride 1
	DW3x3S2                 // 3×3, stride 2
	DW5x5S1                 // 5×5, stride 1
	DW5x5S2                 // 5×5, stride 2
	numDWKernels
)

// dwShapes are the kernel size and stride of each DWKernel.
var dwShapes = [numDWKernels][2]int{{3, 1}, {3, 2}, {5, 1}, {5, 2}}

// Size returns the kernel size K and the stride S.
func (k DWKernel) Size() (kernel, stride int) {
	if k >= numDWKernels {
		badDWKernel(k)
	}
	return dwShapes[k][0], dwShapes[k][1]
}

func badDWKernel(k DWKernel) { panic(fmt.Sprintf("kernels: bad DWKernel(%d)", uint8(k))) }

// String returns e.g. "3x3s1".
func (k DWKernel) String() string {
	if k >= numDWKernels {
		return fmt.Sprintf("DWKernel(%d)", uint8(k))
	}
	kk, s := k.Size()
	return fmt.Sprintf("%dx%ds%d", kk, kk, s)
}

// DWSpan is the input row length n outputs of kernel k read: (n−1)·S + K.
func DWSpan(k DWKernel, n int) int {
	if n <= 0 {
		return 0
	}
	kk, s := k.Size()
	return (n-1)*s + kk
}

// checkDepthwiseRow panics on arguments only a programming error can produce.
func checkDepthwiseRow(name string, k DWKernel, dst []float32, rows [][]float32, w []float32) {
	kk, _ := k.Size()
	if len(rows) < kk || len(w) < kk*kk {
		panic(fmt.Sprintf("kernels.%s: %s needs %d rows and %d weights, have %d and %d", name, k, kk, kk*kk, len(rows), len(w)))
	}
	span := DWSpan(k, len(dst))
	for i, r := range rows[:kk] {
		if len(r) < span {
			panic(fmt.Sprintf("kernels.%s: %s row %d has %d inputs, %d outputs need %d", name, k, i, len(r), len(dst), span))
		}
	}
}

// depthwiseRowGeneric is the generic set's DepthwiseRow: the oracle.
func depthwiseRowGeneric(k DWKernel, dst []float32, rows [][]float32, w []float32, b float32) {
	checkDepthwiseRow("depthwiseRowGeneric", k, dst, rows, w)
	switch k {
	case DW3x3S1:
		dwRow3x3Generic(dst, rows, w, b, 1)
	case DW3x3S2:
		dwRow3x3Generic(dst, rows, w, b, 2)
	case DW5x5S1:
		dwRow5x5Generic(dst, rows, w, b, 1)
	case DW5x5S2:
		dwRow5x5Generic(dst, rows, w, b, 2)
	}
}

// dwRow3x3Generic is the 3×3 row at stride s (1 or 2).
func dwRow3x3Generic(dst []float32, rows [][]float32, w []float32, b float32, s int) {
	n := len(dst)
	if n == 0 {
		return
	}
	span := (n-1)*s + 3
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	r0, r1, r2 := rows[0][:span], rows[1][:span], rows[2][:span]
	for x := range dst {
		o := x * s
		a, c, e := r0[o:o+3:o+3], r1[o:o+3:o+3], r2[o:o+3:o+3]
		s0 := float32(w0*a[0]) + float32(w1*a[1]) + float32(w2*a[2])
		s1 := float32(w3*c[0]) + float32(w4*c[1]) + float32(w5*c[2])
		s2 := float32(w6*e[0]) + float32(w7*e[1]) + float32(w8*e[2])
		dst[x] = s0 + s1 + s2 + b
	}
}

// dwRow5x5Generic is the 5×5 row at stride s (1 or 2), in two passes: rows
// 0–2 into dst, then rows 3–4 and the bias added.
func dwRow5x5Generic(dst []float32, rows [][]float32, w []float32, b float32, s int) {
	n := len(dst)
	if n == 0 {
		return
	}
	span := (n-1)*s + 5
	w = w[:25]
	{
		w00, w01, w02, w03, w04 := w[0], w[1], w[2], w[3], w[4]
		w10, w11, w12, w13, w14 := w[5], w[6], w[7], w[8], w[9]
		w20, w21, w22, w23, w24 := w[10], w[11], w[12], w[13], w[14]
		r0, r1, r2 := rows[0][:span], rows[1][:span], rows[2][:span]
		for x := range dst {
			o := x * s
			a, c, e := r0[o:o+5:o+5], r1[o:o+5:o+5], r2[o:o+5:o+5]
			s0 := float32(w00*a[0]) + float32(w01*a[1]) + float32(w02*a[2]) + float32(w03*a[3]) + float32(w04*a[4])
			s1 := float32(w10*c[0]) + float32(w11*c[1]) + float32(w12*c[2]) + float32(w13*c[3]) + float32(w14*c[4])
			s2 := float32(w20*e[0]) + float32(w21*e[1]) + float32(w22*e[2]) + float32(w23*e[3]) + float32(w24*e[4])
			dst[x] = s0 + s1 + s2
		}
	}
	w30, w31, w32, w33, w34 := w[15], w[16], w[17], w[18], w[19]
	w40, w41, w42, w43, w44 := w[20], w[21], w[22], w[23], w[24]
	r3, r4 := rows[3][:span], rows[4][:span]
	for x := range dst {
		o := x * s
		a, c := r3[o:o+5:o+5], r4[o:o+5:o+5]
		s3 := float32(w30*a[0]) + float32(w31*a[1]) + float32(w32*a[2]) + float32(w33*a[3]) + float32(w34*a[4])
		s4 := float32(w40*c[0]) + float32(w41*c[1]) + float32(w42*c[2]) + float32(w43*c[3]) + float32(w44*c[4])
		dst[x] = dst[x] + s3 + s4 + b
	}
}
