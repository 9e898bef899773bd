package ops

// Tests of Dense.Forward: against a float64 reference within the GEMV and
// GEMM tolerances for every batch size around the GEMV/GEMM switch, with and
// without bias, bitwise independent of the thread count; and the benchmark
// on the classifier shapes of AlexNet and VGG.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

func newDenseCase(in, out, batch int, bias bool, seed uint64) (*Dense, *tensor.Tensor) {
	d := NewDenseNoBias(in, out)
	if bias {
		d = NewDense(in, out)
	}
	r := rand.New(rand.NewPCG(seed, uint64(in*out+batch)))
	d.Init(r)
	x := tensor.New(batch, in)
	for i := range x.Data {
		x.Data[i] = 2*r.Float32() - 1
	}
	return d, x
}

func denseForward(t testing.TB, d *Dense, x *tensor.Tensor, threads int) *tensor.Tensor {
	t.Helper()
	out := tensor.New(x.Shape[0], d.Out)
	for i := range out.Data {
		out.Data[i] = float32(math.NaN())
	}
	if err := d.Forward(&Context{Threads: threads}, out, []*tensor.Tensor{x}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDenseMatchesFloat64 checks every output against the float64 sum within
// (in/16 + 8)·2⁻²³·(Σ|w·x| + |b|): the GEMV bound of engine/kernels with
// room for the GEMM's ascending sums over k blocks and the bias add.
func TestDenseMatchesFloat64(t *testing.T) {
	worst := map[bool]float64{} // by GEMM or not
	for _, in := range []int{1, 7, 16, 33, 300, 1000, denseChunk/40 + 3} {
		for _, out := range []int{1, 3, 4, 9, 70} {
			for _, batch := range []int{1, 2, 3, 5, 8, 15, 16, 17} {
				if in > 1000 && (out != 70 || (batch != 1 && batch != 16)) {
					continue // in > denseChunk/70: three GEMM row blocks
				}
				for _, bias := range []bool{false, true} {
					d, x := newDenseCase(in, out, batch, bias, 1)
					y := denseForward(t, d, x, 2)
					gemm := batch >= denseGemmBatch
					for b := 0; b < batch; b++ {
						for o := 0; o < out; o++ {
							var sum, abs float64
							for i := 0; i < in; i++ {
								p := float64(x.Data[b*in+i]) * float64(d.Weight.Data[o*in+i])
								sum, abs = sum+p, abs+math.Abs(p)
							}
							if bias {
								sum += float64(d.Bias.Data[o])
								abs += math.Abs(float64(d.Bias.Data[o]))
							}
							got := float64(y.Data[b*out+o])
							tol := float64(in/16+8) * 0x1p-23 * abs
							if math.IsNaN(got) || math.Abs(got-sum) > tol {
								t.Fatalf("in=%d out=%d batch=%d bias=%v: y[%d,%d] = %v, want %v (tolerance %.3g)",
									in, out, batch, bias, b, o, got, sum, tol)
							}
							if abs > 0 {
								worst[gemm] = max(worst[gemm], math.Abs(got-sum)/(0x1p-23*abs))
							}
						}
					}
				}
			}
		}
	}
	t.Logf("worst error, in 2⁻²³·(Σ|w·x| + |b|): GEMV %.2f, GEMM %.2f", worst[false], worst[true])
}

// TestDenseThreadInvariance checks that the result is bitwise the same for
// any thread count, at batch sizes on both sides of the GEMV/GEMM switch.
func TestDenseThreadInvariance(t *testing.T) {
	for _, batch := range []int{1, 2, 3, 9, denseGemmBatch, denseGemmBatch + 1} {
		d, x := newDenseCase(2049, 37, batch, true, 2) // GEMV blocks of 12 rows
		ref := denseForward(t, d, x, 1)
		for _, threads := range []int{2, 3, 5, 8} {
			y := denseForward(t, d, x, threads)
			for i := range y.Data {
				if math.Float32bits(y.Data[i]) != math.Float32bits(ref.Data[i]) {
					t.Fatalf("batch=%d threads=%d: y[%d] = %v, one thread gives %v", batch, threads, i, y.Data[i], ref.Data[i])
				}
			}
		}
	}
}

// BenchmarkDense times Dense.Forward on the classifier layers of AlexNet
// (9216→4096→4096→1000) and VGG (25088→4096), reporting the weight
// bandwidth at batch 1.
func BenchmarkDense(b *testing.B) {
	for _, sh := range [][2]int{{9216, 4096}, {4096, 4096}, {4096, 1000}, {25088, 4096}} {
		for _, batch := range []int{1, 8, 32, 500} {
			if batch == 500 && sh[0] == 25088 {
				continue
			}
			b.Run(fmt.Sprintf("in=%d/out=%d/batch=%d", sh[0], sh[1], batch), func(b *testing.B) {
				d, x := newDenseCase(sh[0], sh[1], batch, true, 3)
				out := tensor.New(batch, d.Out)
				ctx := &Context{}
				// Once outside the timing: the first call allocates (and
				// page-faults) the GEMM workspace.
				if err := d.Forward(ctx, out, []*tensor.Tensor{x}); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if err := d.Forward(ctx, out, []*tensor.Tensor{x}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(4*sh[0]*sh[1])*float64(b.N)/b.Elapsed().Seconds()/1e9, "weightGB/s")
				b.ReportMetric(2*float64(sh[0]*sh[1]*batch)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
