//go:build amd64 && !purego

package kernels

// depthwiseRowAVX2 is the DepthwiseRow of the assembly sets: it checks the
// bounds and runs the generated kernel of depthwise_avx2_amd64.s, which
// handles any length (whole vectors of 8 outputs, then the last 1–7 through
// lane masks, with the same arithmetic per lane). The avx512 set uses it
// too: MobileNet's and EfficientNet's depthwise rows (7 to 112 outputs, or
// a few hundred as flat padded planes) fill few 16-lane vectors.
func depthwiseRowAVX2(k DWKernel, dst []float32, rows [][]float32, w []float32, b float32) {
	checkDepthwiseRow("depthwiseRowAVX2", k, dst, rows, w)
	switch k {
	case DW3x3S1:
		depthwiseRow3x3S1AVX2(dst, rows, w, b)
	case DW3x3S2:
		depthwiseRow3x3S2AVX2(dst, rows, w, b)
	case DW5x5S1:
		depthwiseRow5x5S1AVX2(dst, rows, w, b)
	case DW5x5S2:
		depthwiseRow5x5S2AVX2(dst, rows, w, b)
	}
}
