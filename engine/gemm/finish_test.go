package gemm

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// TestFinisherSeesEveryFinalElementOnce: a Finisher is called on blocks
// that tile C exactly once, each after its values are final (what it reads
// is the finished product), in both orientations, with and without
// prepacked B, for several blockings and thread counts; what it writes is
// what stays.
func TestFinisherSeesEveryFinalElementOnce(t *testing.T) {
	forEachSet(t, func(t *testing.T, set *kernels.Set) {
		sizes := [][3]int{{64, 49, 72}, {100, 7, 300}, {13, 200, 9}, {37, 1, 20}, {1, 37, 5}, {200, 300, 40}}
		for _, blk := range []Blocking{{}, {MC: 2 * set.MR, KC: 37, NC: 2 * set.NR}} {
			for _, d := range sizes {
				for _, threads := range []int{1, 2, 3} {
					for _, prepacked := range []bool{false, true} {
						m, n, k := d[0], d[1], d[2]
						name := fmt.Sprintf("blocking=%d-%d-%d/m=%d/n=%d/k=%d/threads=%d/prepacked=%t",
							blk.MC, blk.KC, blk.NC, m, n, k, threads, prepacked)
						t.Run(name, func(t *testing.T) {
							testFinisher(t, Config{Kernels: set, Blocking: blk}, m, n, k, threads, prepacked)
						})
					}
				}
			}
		}
	})
}

func testFinisher(t *testing.T, cfg Config, m, n, k, threads int, prepacked bool) {
	p := newProblem(8, false, false, m, n, k, 1, 0, 1, true)
	pa := cfg.PackA(false, m, k, 1, p.a, p.lda)
	want := slices.Clone(p.c())
	SgemmPacked(pa, false, n, p.b, p.ldb, 0, want, p.ldc, nil, 1)

	c := p.c()
	var mu sync.Mutex
	seen := make([]int, m*n)
	var stale []string
	fin := func(r0, r1, c0, c1 int) {
		if r0 < 0 || r1 > m || c0 < 0 || c1 > n || r0 >= r1 || c0 >= c1 {
			panic(fmt.Sprintf("finisher block rows [%d,%d) cols [%d,%d) outside %dx%d", r0, r1, c0, c1, m, n))
		}
		mu.Lock()
		defer mu.Unlock()
		for i := r0; i < r1; i++ {
			for j := c0; j < c1; j++ {
				seen[i*n+j]++
				v := &c[i*p.ldc+j]
				if math.Float32bits(*v) != math.Float32bits(want[i*p.ldc+j]) && len(stale) < 3 {
					stale = append(stale, fmt.Sprintf("(%d,%d)=%g want %g", i, j, *v, want[i*p.ldc+j]))
				}
				*v = -*v
			}
		}
	}
	if prepacked {
		pb := make([]float32, pa.PackedBLen(n))
		pa.PackB(false, n, p.b, p.ldb, pb)
		SgemmPrepackedFinish(pa, pb, n, 0, c, p.ldc, threads, fin)
	} else {
		SgemmPackedFinish(pa, false, n, p.b, p.ldb, 0, c, p.ldc, nil, threads, fin)
	}
	if len(stale) > 0 {
		t.Fatalf("the finisher saw values that were not final: %v", stale)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if seen[i*n+j] != 1 {
				t.Fatalf("element (%d,%d) finished %d times, want once", i, j, seen[i*n+j])
			}
			if c[i*p.ldc+j] != -want[i*p.ldc+j] {
				t.Fatalf("element (%d,%d) = %g after the finisher, want %g", i, j, c[i*p.ldc+j], -want[i*p.ldc+j])
			}
		}
	}
}
