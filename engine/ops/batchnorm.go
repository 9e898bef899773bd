package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// BatchNorm2D normalises each channel with its running statistics (eval
// mode): y = (x − mean)/√(var + eps)·γ + β. γ and β are trainable; the running
// statistics are buffers.
type BatchNorm2D struct {
	C                       int
	Eps                     float64
	Weight, Bias            *tensor.Tensor // γ, β
	RunningMean, RunningVar *tensor.Tensor
	// Act is an activation fused into the layer by graph.Fuse (inference
	// only: a BN with one has no backward pass). DenseNet's BN-ReLU pairs
	// before each convolution run as one pass.
	Act kernels.Act
}

// NewBatchNorm2D returns an identity-initialised BN over c channels with
// PyTorch's default eps 1e-5.
func NewBatchNorm2D(c int) *BatchNorm2D { return NewBatchNorm2DEps(c, 1e-5) }

// NewBatchNorm2DEps returns a BN with the given eps.
func NewBatchNorm2DEps(c int, eps float64) *BatchNorm2D {
	bn := &BatchNorm2D{C: c, Eps: eps, Weight: tensor.New(c), Bias: tensor.New(c),
		RunningMean: tensor.New(c), RunningVar: tensor.New(c)}
	bn.Weight.Fill(1)
	bn.RunningVar.Fill(1)
	return bn
}

func (b *BatchNorm2D) Type() string { return "BatchNorm2D" }

func (b *BatchNorm2D) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("BatchNorm2D", in, 1, 0); err != nil {
		return nil, err
	}
	if len(in[0]) < 2 || in[0][1] != b.C {
		return nil, fmt.Errorf("BatchNorm2D: input %v, want %d channels", in[0], b.C)
	}
	return in[0].Clone(), nil
}

func (b *BatchNorm2D) Params() []Param {
	return []Param{trainable("weight", b.Weight), trainable("bias", b.Bias),
		buffer("running_mean", b.RunningMean), buffer("running_var", b.RunningVar)}
}

func (b *BatchNorm2D) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	ops := 2 * int64(out.Numel())
	if b.Act != kernels.ActNone { // keeps the count of the activation it absorbed
		ops += int64(out.Numel())
	}
	return Cost{OtherOps: ops}
}

// Init implements Initializer: γ in [0.5, 1.5), β and the mean near 0, the
// variance in [0.5, 1.5), so a golden test exercises every term.
func (b *BatchNorm2D) Init(r *rand.Rand) {
	for i := 0; i < b.C; i++ {
		b.Weight.Data[i] = float32(0.5 + r.Float64())
		b.Bias.Data[i] = float32(0.2 * (r.Float64() - 0.5))
		b.RunningMean.Data[i] = float32(0.2 * (r.Float64() - 0.5))
		b.RunningVar.Data[i] = float32(0.5 + r.Float64())
	}
}

// ScaleShift returns the per-channel affine form y = x·scale + shift.
func (b *BatchNorm2D) ScaleShift() (scale, shift []float32) {
	scale, shift = make([]float32, b.C), make([]float32, b.C)
	for c := range scale {
		s := float64(b.Weight.Data[c]) / math.Sqrt(float64(b.RunningVar.Data[c])+b.Eps)
		scale[c] = float32(s)
		shift[c] = float32(float64(b.Bias.Data[c]) - float64(b.RunningMean.Data[c])*s)
	}
	return
}

func (b *BatchNorm2D) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	scale, shift := b.ScaleShift()
	s := in[0].Shape
	plane := 1
	for _, d := range s[2:] {
		plane *= d
	}
	x := in[0].Data
	epi := kernels.Active().Epilogue
	parallel.For(s[0]*b.C, ctx.Threads, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			c := nc % b.C
			sc, sh := scale[c], shift[c]
			src, dst := x[nc*plane:(nc+1)*plane], out.Data[nc*plane:(nc+1)*plane]
			for i, v := range src {
				dst[i] = v*sc + sh
			}
			if b.Act != kernels.ActNone {
				epi(dst, dst, nil, 0, b.Act)
			}
		}
	})
	return nil
}
