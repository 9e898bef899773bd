//go:build amd64 && !purego

package kernels

// The Sgemv of the assembly sets: checks the bounds, then runs the generated
// sgemvAVX2 (gemv_avx2_amd64.s). The avx512 set uses it too: a GEMV is
// bound by memory bandwidth, which zmm registers do not raise, and every
// AVX-512 CPU has AVX2 and FMA3.
func sgemvAVX2Checked(rows int, w []float32, ldw int, x, y []float32) {
	checkSgemv("sgemvAVX2", rows, w, ldw, x, y)
	if rows == 0 {
		return
	}
	sgemvAVX2(rows, w, ldw, x, y)
}
