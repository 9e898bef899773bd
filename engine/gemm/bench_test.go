package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// benchShapes are C[m×n] = A[m×k]·B[k×n] products: a square one and the
// im2col GEMMs of ResNet-50 (torchvision v1.5, batch 1, one image):
// m = Cout, n = Ho·Wo, k = Cin·KH·KW.
var benchShapes = []struct {
	m, n, k int
	layer   string
}{
	{512, 512, 512, "square"},
	{64, 12544, 147, "conv1 7x7/2 3→64 at 112x112"},
	{64, 3136, 576, "layer1.x.conv2 3x3 64→64 at 56x56"},
	{256, 3136, 64, "layer1.x.conv3 1x1 64→256 at 56x56"},
	{128, 784, 1152, "layer2.x.conv2 3x3 128→128 at 28x28"},
	{256, 196, 2304, "layer3.x.conv2 3x3 256→256 at 14x14"},
	{512, 49, 4608, "layer4.x.conv2 3x3 512→512 at 7x7"},
}

// BenchmarkSgemm reports GFLOP/s (2·m·n·k per call) of Sgemm (A packed
// inside every call) for every kernel set this CPU can run, with the
// workspace allocated once outside the loop.
// Names: BenchmarkSgemm/kernels=avx2/threads=1/m=512/n=512/k=512.
func BenchmarkSgemm(b *testing.B) { benchSgemm(b, false) }

// BenchmarkSgemmPacked is BenchmarkSgemm with A packed once outside the
// loop (PackA + SgemmPacked), as the im2col, pointwise and Winograd
// convolutions run with their weights. Narrow products run as Cᵀ here.
// Names: BenchmarkSgemmPacked/kernels=avx2/threads=1/m=512/n=49/k=4608.
func BenchmarkSgemmPacked(b *testing.B) { benchSgemm(b, true) }

func benchSgemm(b *testing.B, packed bool) {
	for _, name := range kernels.Compiled() {
		set, err := kernels.Lookup(name)
		if err != nil {
			b.Run("kernels="+name, func(b *testing.B) { b.Skipf("not benchmarking %s: %v", name, err) })
			continue
		}
		cfg := Config{Kernels: set}
		for _, threads := range []int{1, 2} {
			for _, s := range benchShapes {
				b.Run(fmt.Sprintf("kernels=%s/threads=%d/m=%d/n=%d/k=%d", name, threads, s.m, s.n, s.k), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					a, bb, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
					randFill(r, a)
					randFill(r, bb)
					var pa *PackedA
					var ws []float32
					if packed {
						pa = cfg.PackA(false, s.m, s.k, 1, a, s.k)
						ws = make([]float32, pa.WorkspaceSize(s.n))
						SgemmPacked(pa, false, s.n, bb, s.n, 0, c, s.n, ws, threads) // builds Aᵀ panels if swapped
					} else {
						ws = make([]float32, cfg.WorkspaceSize(s.m, s.n, s.k))
					}
					for b.Loop() {
						if packed {
							SgemmPacked(pa, false, s.n, bb, s.n, 0, c, s.n, ws, threads)
						} else {
							cfg.Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n, ws, threads)
						}
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
