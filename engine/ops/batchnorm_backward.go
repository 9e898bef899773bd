package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// BatchNormMomentum is the weight of a batch's statistics in the running
// statistics (PyTorch's default momentum 0.1):
// running = (1 − m)·running + m·batch.
const BatchNormMomentum = 0.1

// bnSaved is what a training-mode BatchNorm2D forward keeps for Backward.
type bnSaved struct {
	mean, invStd []float64 // per channel: batch mean and 1/√(var + eps)
}

// ForwardTrain implements TrainForwarder: normalises with the batch's
// per-channel mean and (biased) variance over N×H×W, and updates the running
// statistics as PyTorch does (momentum BatchNormMomentum, the running
// variance from the unbiased batch variance). Statistics are summed in
// float64 in a fixed order.
func (b *BatchNorm2D) ForwardTrain(ctx *Context, r *rand.Rand, out *tensor.Tensor, in []*tensor.Tensor) (any, error) {
	x := in[0]
	s := x.Shape
	plane := s[2:].Numel()
	count := s[0] * plane
	if count < 2 {
		return nil, fmt.Errorf("BatchNorm2D: training needs more than one value per channel, input %v", s)
	}
	sv := &bnSaved{mean: make([]float64, b.C), invStd: make([]float64, b.C)}
	parallel.For(b.C, ctx.Threads, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var sum float64
			for n := 0; n < s[0]; n++ {
				for _, v := range x.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane] {
					sum += float64(v)
				}
			}
			mean := sum / float64(count)
			var sq float64
			for n := 0; n < s[0]; n++ {
				for _, v := range x.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane] {
					d := float64(v) - mean
					sq += d * d
				}
			}
			vr := sq / float64(count)
			inv := 1 / math.Sqrt(vr+b.Eps)
			sv.mean[c], sv.invStd[c] = mean, inv
			sc := float64(b.Weight.Data[c]) * inv
			sh := float64(b.Bias.Data[c]) - mean*sc
			for n := 0; n < s[0]; n++ {
				src := x.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane]
				dst := out.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane]
				for i, v := range src {
					dst[i] = float32(float64(v)*sc + sh)
				}
			}
			const m = BatchNormMomentum
			unbiased := sq / float64(count-1)
			b.RunningMean.Data[c] = float32((1-m)*float64(b.RunningMean.Data[c]) + m*mean)
			b.RunningVar.Data[c] = float32((1-m)*float64(b.RunningVar.Data[c]) + m*unbiased)
		}
	})
	return sv, nil
}

// BackwardNeeds implements Backwarder.
func (b *BatchNorm2D) BackwardNeeds() (inputs, output bool) { return true, false }

// Backward implements Backwarder for the training-mode forward pass (batch
// statistics): with x̂ = (x − μ)·σ⁻¹ over the M = N·H·W values of a channel,
// dγ += Σ dy·x̂, dβ += Σ dy and dx = γσ⁻¹/M·(M·dy − Σdy − x̂·Σ dy·x̂).
// Without saved batch statistics (the layer ran Forward, eval mode) it
// differentiates the eval formula: dx = dy·γσ⁻¹ with the running statistics.
func (b *BatchNorm2D) Backward(ctx *Context, g *Grad) error {
	if b.Act != kernels.ActNone {
		return fmt.Errorf("BatchNorm2D: no backward pass with a fused %s: train the graph before graph.Fuse", b.Act)
	}
	checkGrad("BatchNorm2D", g, 1, 4)
	x := g.In[0]
	s := x.Shape
	plane := s[2:].Numel()
	count := float64(s[0] * plane)
	dx, dGamma, dBeta := g.DIn[0], g.DParams[0], g.DParams[1]
	sv, _ := g.Saved.(*bnSaved)
	parallel.For(b.C, ctx.Threads, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var mean, inv float64
			if sv != nil {
				mean, inv = sv.mean[c], sv.invStd[c]
			} else {
				mean = float64(b.RunningMean.Data[c])
				inv = 1 / math.Sqrt(float64(b.RunningVar.Data[c])+b.Eps)
			}
			var sdy, sdyx float64
			for n := 0; n < s[0]; n++ {
				src := x.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane]
				dy := g.DOut.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane]
				for i, v := range src {
					d := float64(dy[i])
					sdy += d
					sdyx += d * (float64(v) - mean) * inv
				}
			}
			if dGamma != nil {
				dGamma.Data[c] += float32(sdyx)
			}
			if dBeta != nil {
				dBeta.Data[c] += float32(sdy)
			}
			if dx == nil {
				continue
			}
			gi := float64(b.Weight.Data[c]) * inv
			for n := 0; n < s[0]; n++ {
				src := x.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane]
				dy := g.DOut.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane]
				dst := dx.Data[(n*b.C+c)*plane : (n*b.C+c+1)*plane]
				if sv == nil {
					for i, d := range dy {
						dst[i] = float32(float64(d) * gi)
					}
					continue
				}
				a, k := sdy/count, sdyx/count
				for i, v := range src {
					xh := (float64(v) - mean) * inv
					dst[i] = float32(gi * (float64(dy[i]) - a - xh*k))
				}
			}
		}
	})
	return nil
}
