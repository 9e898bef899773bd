package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Dense is a fully connected layer (nn.Linear): y = x·Wᵀ + b with W [out, in].
type Dense struct {
	In, Out      int
	Weight, Bias *tensor.Tensor
}

// NewDense returns a linear layer with bias.
func NewDense(in, out int) *Dense {
	return &Dense{In: in, Out: out, Weight: tensor.New(out, in), Bias: tensor.New(out)}
}

// NewDenseNoBias returns a linear layer without bias.
func NewDenseNoBias(in, out int) *Dense {
	return &Dense{In: in, Out: out, Weight: tensor.New(out, in)}
}

func (d *Dense) Type() string { return "Dense" }

func (d *Dense) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("Dense", in, 1, 2); err != nil {
		return nil, err
	}
	if in[0][1] != d.In {
		return nil, fmt.Errorf("Dense: input has %d features, layer expects %d", in[0][1], d.In)
	}
	return tensor.Shape{in[0][0], d.Out}, nil
}

func (d *Dense) Params() []Param {
	ps := []Param{trainable("weight", d.Weight)}
	if d.Bias != nil {
		ps = append(ps, trainable("bias", d.Bias))
	}
	return ps
}

func (d *Dense) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	c := Cost{MACs: int64(out[0]) * int64(d.In) * int64(d.Out)}
	if d.Bias != nil {
		c.OtherOps = int64(out[0]) * int64(d.Out)
	}
	return c
}

// Init implements Initializer: uniform in ±√(3/in) (unit-variance outputs for
// unit-variance inputs), biases in ±1/√in.
func (d *Dense) Init(r *rand.Rand) {
	uniform(r, d.Weight.Data, math.Sqrt(3/float64(d.In)))
	if d.Bias != nil {
		uniform(r, d.Bias.Data, 1/math.Sqrt(float64(d.In)))
	}
}

// denseGemmBatch is the batch from which Forward runs GEMMs instead of
// GEMVs. The GEMV path reads the weights from memory once per batch (a
// block of rows at a time, reused from L2 for every sample) and then runs at
// L2 bandwidth per extra sample; the GEMM packs the weights (three passes
// over them) and then runs near the FMA peak. Measured with avx2 on one
// Zen 4 core, fc 9216→4096 (151 MB of weights), GEMV vs GEMM: batch 1
// 7 vs 45 ms, 8: 22 vs 39, 12: 30 vs 41, 16: 39 vs 37–41, 32: 80 vs 58–64,
// 48: 120 vs 68; fc 4096→1000 crosses at the same batch.
const denseGemmBatch = 16

// denseGemvBlock is the weight block, in floats (128 KB), that the GEMV path
// reuses for every sample of a batch: it stays in L2. Without it batch 8
// took 50 ms instead of 22 (fc 9216→4096).
const denseGemvBlock = 1 << 15

// denseChunk bounds, in floats, the block of weight rows one GEMM packs
// (32 MB): without it the packed copy of VGG's fc6 would hold 411 MB of
// workspace. Chunks of 768 to 4096 rows ran at the same speed.
const denseChunk = 1 << 23

// Forward computes y = x·Wᵀ + b.
//
// Below denseGemmBatch samples, each sample is a matrix-vector product
// (kernels.Set.Sgemv) over ranges of output rows split between the threads,
// block of rows by block of rows.
// From it, GEMMs over blocks of output rows compute Yᵀ = W·Xᵀ (gemm.Sgemm,
// W as the left operand: its row-major rows pack into A panels with the
// set's fast packer, where X·Wᵀ would pack W transposed and runs 2–3×
// slower at batch 8–32), which is then transposed into y with the bias
// added.
//
// Each output is a float32 dot product in an order fixed by the kernel set
// (Sgemv: 16 partial sums and a tree; GEMM: ascending k per KC block), plus
// the bias last, never by the split into threads or row blocks, so the
// result does not depend on the thread count; it differs by rounding
// between the two sides of denseGemmBatch.
func (d *Dense) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	n := in[0].Shape[0]
	x, w, y := in[0].Data, d.Weight.Data, out.Data
	var bias []float32
	if d.Bias != nil {
		bias = d.Bias.Data[:d.Out]
	}
	if n >= denseGemmBatch {
		d.forwardGemm(ctx, n, x, w, y, bias)
		return nil
	}
	sgemv := kernels.Active().Sgemv
	// Whole 4-row groups keep the assembly in its 4-row loop; with several
	// samples, a block of rows is reused from L2 for each of them, so the
	// weights come from memory once per batch.
	groups := (d.Out + 3) / 4
	block := max(4, denseGemvBlock/max(d.In, 1)/4*4)
	parallel.For(groups, ctx.Threads, func(glo, ghi int) {
		for lo := 4 * glo; lo < min(4*ghi, d.Out); lo += block {
			hi := min(lo+block, 4*ghi, d.Out)
			for b := 0; b < n; b++ {
				yb := y[b*d.Out+lo : b*d.Out+hi]
				sgemv(hi-lo, w[lo*d.In:], d.In, x[b*d.In:(b+1)*d.In], yb)
				if bias != nil {
					for o, v := range bias[lo:hi] {
						yb[o] += v
					}
				}
			}
		}
	})
	return nil
}

// forwardGemm is Forward for n ≥ denseGemmBatch samples.
func (d *Dense) forwardGemm(ctx *Context, n int, x, w, y, bias []float32) {
	chunk := min(d.Out, max(16, denseChunk/max(d.In, 1)/16*16))
	gws := gemm.WorkspaceSize(chunk, n, d.In)
	ws := ctx.arena().Get(0, gws+d.Out*n)
	yt := ws[gws:]
	for r0 := 0; r0 < d.Out; r0 += chunk {
		r1 := min(r0+chunk, d.Out)
		gemm.Sgemm(false, true, r1-r0, n, d.In, 1, w[r0*d.In:], d.In, x, d.In, 0, yt[r0*n:], n, ws[:gws], ctx.Threads)
	}
	const block = 64 // output columns per pass: the yt rows they read stay in L1
	parallel.For(n, ctx.Threads, func(lo, hi int) {
		for o0 := 0; o0 < d.Out; o0 += block {
			o1 := min(o0+block, d.Out)
			for b := lo; b < hi; b++ {
				row := y[b*d.Out+o0 : b*d.Out+o1]
				for o := range row {
					row[o] = yt[(o0+o)*n+b]
				}
				if bias != nil {
					for o, v := range bias[o0:o1] {
						row[o] += v
					}
				}
			}
		}
	})
}
