//go:build amd64 && !purego

package kernels

// The Epilogue of the assembly sets: checks the lengths, then runs the
// generated function of the activation (epilogue_<set>_amd64.s), which
// handles every length itself (full vectors, then one masked partial one).

// epilogueAVX2 is the avx2 set's Epilogue: 8 floats per ymm.
func epilogueAVX2(dst, src, res []float32, bias float32, act Act) {
	checkEpilogue("epilogueAVX2", dst, src, res, act)
	switch act {
	case ActNone:
		epilogueNoneAVX2(dst, src, res, bias)
	case ActReLU:
		epilogueReLUAVX2(dst, src, res, bias)
	case ActReLU6:
		epilogueReLU6AVX2(dst, src, res, bias)
	case ActSiLU:
		epilogueSiLUAVX2(dst, src, res, bias)
	case ActSigmoid:
		epilogueSigmoidAVX2(dst, src, res, bias)
	}
}

// epilogueAVX512 is the avx512 set's Epilogue: 16 floats per zmm, the
// partial vector under an opmask.
func epilogueAVX512(dst, src, res []float32, bias float32, act Act) {
	checkEpilogue("epilogueAVX512", dst, src, res, act)
	switch act {
	case ActNone:
		epilogueNoneAVX512(dst, src, res, bias)
	case ActReLU:
		epilogueReLUAVX512(dst, src, res, bias)
	case ActReLU6:
		epilogueReLU6AVX512(dst, src, res, bias)
	case ActSiLU:
		epilogueSiLUAVX512(dst, src, res, bias)
	case ActSigmoid:
		epilogueSigmoidAVX512(dst, src, res, bias)
	}
}
