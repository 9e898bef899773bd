package gemm_test

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/gemm"
)

func ExampleSgemm() {
	a := []float32{ // 2×3
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{ // 3×2
		1, 0,
		0, 1,
		1, 1,
	}
	c := make([]float32, 2*2)
	gemm.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, nil, 1)
	fmt.Println(c)
	// Output: [4 5 10 11]
}

func ExampleSgemmPacked() {
	w := []float32{1, 2, 3, 4, 5, 6} // constant 2×3 weights, packed once
	pw := gemm.PackA(false, 2, 3, 1, w, 3)
	x := []float32{1, 0, 0, 1, 1, 1} // 3×2
	y := make([]float32, 4)
	ws := make([]float32, pw.WorkspaceSize(2))
	gemm.SgemmPacked(pw, false, 2, x, 2, 0, y, 2, ws, 1)
	fmt.Println(y)
	// Output: [4 5 10 11]
}
