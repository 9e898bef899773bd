package ops

// Training: the training-mode forward pass and the backward pass of every
// layer of the zoo.
//
// A training step on one layer is
//
//	saved, err := ForwardTrainOf(l, ctx, r, out, in)     // training-mode forward
//	err = l.(Backwarder).Backward(ctx, &Grad{In: in, Out: out, Saved: saved,
//		DOut: dOut, DIn: dIn, DParams: dParams})
//
// engine/graph's Backprop runs this over a whole graph; engine/train adds
// losses, optimizers and schedules.
//
// Conventions of Backward:
//   - DIn[i] (shaped like input i) is overwritten: every element is written.
//     A nil entry means that gradient is not wanted and is not computed.
//   - DParams[j] (shaped like Params()[j].T) is accumulated into (+=), so
//     gradients of several batches add up until the caller zeroes them. A nil
//     entry (always for buffers: BN running statistics, RBF prototypes) is
//     skipped.
//   - DOut, In and Out are read only.
//   - Results do not depend on ctx.Threads: work is split over outputs only
//     (input-gradient elements, parameter-gradient elements), never over a
//     reduction, and every sum runs in a fixed order.

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Grad is what one layer's backward pass reads and writes; see the
// conventions above.
type Grad struct {
	// In are the forward inputs. Entries may be nil when the layer's
	// BackwardNeeds says it does not read its inputs.
	In []*tensor.Tensor
	// Out is the forward output (nil when the layer does not read it).
	Out *tensor.Tensor
	// Saved is what ForwardTrain returned (nil for layers without one).
	Saved any
	// DOut is ∂L/∂Out.
	DOut *tensor.Tensor
	// DIn[i] receives ∂L/∂In[i] (overwritten); nil entries are not wanted.
	DIn []*tensor.Tensor
	// DParams[j] accumulates ∂L/∂Params()[j].T; nil entries are skipped.
	DParams []*tensor.Tensor
}

// Backwarder is implemented by every layer that can be trained through.
type Backwarder interface {
	Layer
	// BackwardNeeds says which forward tensors Backward reads, so a caller
	// can free the others as soon as the forward pass is done with them.
	BackwardNeeds() (inputs, output bool)
	// Backward computes the gradients of one layer (see Grad).
	Backward(ctx *Context, g *Grad) error
}

// TrainForwarder is implemented by layers whose training-mode forward pass
// differs from Forward (BatchNorm2D uses and updates batch statistics;
// Dropout and StochasticDepth draw random masks) or that save state for
// Backward.
type TrainForwarder interface {
	// ForwardTrain computes out in training mode. r is this layer's random
	// stream for this pass (never nil). The returned value reaches Backward
	// as Grad.Saved.
	ForwardTrain(ctx *Context, r *rand.Rand, out *tensor.Tensor, in []*tensor.Tensor) (saved any, err error)
}

// ForwardTrainOf runs l's training-mode forward pass: ForwardTrain where l
// has one, Forward otherwise.
func ForwardTrainOf(l Layer, ctx *Context, r *rand.Rand, out *tensor.Tensor, in []*tensor.Tensor) (any, error) {
	if tf, ok := l.(TrainForwarder); ok {
		return tf.ForwardTrain(ctx, r, out, in)
	}
	return nil, l.Forward(ctx, out, in)
}

// Resetter is implemented by layers that prepare state from their weights
// (Conv2D's plans): Reset must be called after the weights change, before
// the next forward pass.
type Resetter interface{ Reset() }

// checkGrad panics on argument counts only a programming error can cause.
func checkGrad(layer string, g *Grad, nIn, nParams int) {
	if len(g.DIn) != nIn || (nIn > 0 && len(g.In) != nIn) || len(g.DParams) != nParams || g.DOut == nil {
		panic(fmt.Sprintf("ops.%s.Backward: %d inputs, %d input grads, %d param grads (want %d, %d, %d), dOut %v",
			layer, len(g.In), len(g.DIn), len(g.DParams), nIn, nIn, nParams, g.DOut != nil))
	}
}

// elementwise runs body over [0, n) in chunks on ctx.Threads goroutines.
func elementwise(n, threads int, body func(lo, hi int)) {
	const chunk = 4096
	parallel.For((n+chunk-1)/chunk, threads, func(lo, hi int) {
		body(lo*chunk, min(hi*chunk, n))
	})
}

// ---- activations ----

// BackwardNeeds implements Backwarder: SiLU reads its input, the others
// their output (every other derivative is a function of the output).
func (a *Activation) BackwardNeeds() (inputs, output bool) {
	if a.Kind == KindSiLU {
		return true, false
	}
	return false, true
}

// Backward implements Backwarder. At the kinks of ReLU and ReLU6 the
// gradient is PyTorch's: zero at x = 0 (and at x = 6 for ReLU6).
func (a *Activation) Backward(ctx *Context, g *Grad) error {
	checkGrad(a.Type(), g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	dy := g.DOut.Data
	var y, x []float32
	if g.Out != nil {
		y = g.Out.Data
	}
	if len(g.In) > 0 && g.In[0] != nil {
		x = g.In[0].Data
	}
	elementwise(len(dy), ctx.Threads, func(lo, hi int) {
		d := dx.Data[lo:hi]
		switch a.Kind {
		case KindReLU:
			// Branch-free (the sign of y is random): keep dy where y > 0.
			ys, dys := y[lo:hi][:len(d)], dy[lo:hi][:len(d)]
			for i, v := range ys {
				off := uint32(int32(math.Float32bits(v)-1) >> 31) // all ones where y ≤ 0
				d[i] = math.Float32frombits(math.Float32bits(dys[i]) &^ off)
			}
		case KindReLU6:
			const six = 0x40c00000 // bits of 6
			ys, dys := y[lo:hi][:len(d)], dy[lo:hi][:len(d)]
			for i, v := range ys {
				b := math.Float32bits(v)
				off := uint32(int32(b-1) >> 31)     // all ones where y ≤ 0
				below := uint32(int32(b-six) >> 31) // all ones where y < 6
				d[i] = math.Float32frombits(math.Float32bits(dys[i]) & below &^ off)
			}
		case KindSiLU:
			for i, v := range x[lo:hi] {
				s := 1 / (1 + math.Exp(-float64(v)))
				d[i] = float32(float64(dy[lo+i]) * s * (1 + float64(v)*(1-s)))
			}
		case KindSigmoid:
			for i, v := range y[lo:hi] {
				d[i] = float32(float64(dy[lo+i]) * float64(v) * (1 - float64(v)))
			}
		case KindTanh:
			for i, v := range y[lo:hi] {
				d[i] = float32(float64(dy[lo+i]) * (1 - float64(v)*float64(v)))
			}
		case KindLeCunTanh:
			const A, S = 1.7159, 2.0 / 3
			for i, v := range y[lo:hi] {
				t := float64(v) / A
				d[i] = float32(float64(dy[lo+i]) * A * S * (1 - t*t))
			}
		}
	})
	return nil
}

// ---- pass-through layers ----

// BackwardNeeds implements Backwarder.
func (Identity) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: dx = dy.
func (Identity) Backward(ctx *Context, g *Grad) error {
	checkGrad("Identity", g, 1, 0)
	if g.DIn[0] != nil {
		copy(g.DIn[0].Data, g.DOut.Data)
	}
	return nil
}

// BackwardNeeds implements Backwarder.
func (Flatten) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: dx is dy reshaped.
func (Flatten) Backward(ctx *Context, g *Grad) error {
	checkGrad("Flatten", g, 1, 0)
	if g.DIn[0] != nil {
		copy(g.DIn[0].Data, g.DOut.Data)
	}
	return nil
}

// BackwardNeeds implements Backwarder.
func (Concat) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: each input gets its channel slice of dy.
func (Concat) Backward(ctx *Context, g *Grad) error {
	checkGrad("Concat", g, len(g.DIn), 0)
	n := g.DOut.Shape[0]
	per := g.DOut.Shape.Numel() / n
	sizes := make([]int, len(g.DIn))
	for i := range g.DIn {
		switch {
		case g.DIn[i] != nil:
			sizes[i] = g.DIn[i].Shape.Numel() / n
		case g.In[i] != nil:
			sizes[i] = g.In[i].Shape.Numel() / n
		default:
			return fmt.Errorf("Concat: backward needs the shape of input %d", i)
		}
	}
	for b := 0; b < n; b++ {
		off := b * per
		for i, d := range g.DIn {
			m := sizes[i]
			if d != nil {
				copy(d.Data[b*m:(b+1)*m], g.DOut.Data[off:off+m])
			}
			off += m
		}
	}
	return nil
}

// BackwardNeeds implements Backwarder.
func (Add) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: every input gets dy.
func (Add) Backward(ctx *Context, g *Grad) error {
	checkGrad("Add", g, len(g.DIn), 0)
	for _, d := range g.DIn {
		if d != nil {
			copy(d.Data, g.DOut.Data)
		}
	}
	return nil
}

// BackwardNeeds implements Backwarder: both factors.
func (Mul) BackwardNeeds() (inputs, output bool) { return true, false }

// Backward implements Backwarder: dx = dy·s (s broadcast over H×W) and
// ds = dy·x, summed over H×W when s is [N, C, 1, 1].
func (Mul) Backward(ctx *Context, g *Grad) error {
	checkGrad("Mul", g, 2, 0)
	x, s := g.In[0], g.In[1]
	dy := g.DOut.Data
	dx, ds := g.DIn[0], g.DIn[1]
	if s.Shape.Equal(x.Shape) {
		elementwise(len(dy), ctx.Threads, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if dx != nil {
					dx.Data[i] = dy[i] * s.Data[i]
				}
				if ds != nil {
					ds.Data[i] = dy[i] * x.Data[i]
				}
			}
		})
		return nil
	}
	plane := x.Shape[2] * x.Shape[3]
	parallel.For(len(s.Data), ctx.Threads, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			k := s.Data[nc]
			d := dy[nc*plane : (nc+1)*plane]
			if dx != nil {
				dst := dx.Data[nc*plane : (nc+1)*plane]
				for i, v := range d {
					dst[i] = v * k
				}
			}
			if ds != nil {
				var sum float64
				for i, v := range x.Data[nc*plane : (nc+1)*plane] {
					sum += float64(d[i]) * float64(v)
				}
				ds.Data[nc] = float32(sum)
			}
		}
	})
	return nil
}

// BackwardNeeds implements Backwarder.
func (c *ChannelShuffle) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: the inverse permutation of dy.
func (c *ChannelShuffle) Backward(ctx *Context, g *Grad) error {
	checkGrad("ChannelShuffle", g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	s := g.DOut.Shape
	ch, plane := s[1], s[2]*s[3]
	per := ch / c.Groups
	for n := 0; n < s[0]; n++ {
		for gr := 0; gr < c.Groups; gr++ {
			for i := 0; i < per; i++ {
				src := (n*ch + i*c.Groups + gr) * plane
				dst := (n*ch + gr*per + i) * plane
				copy(dx.Data[dst:dst+plane], g.DOut.Data[src:src+plane])
			}
		}
	}
	return nil
}

// BackwardNeeds implements Backwarder.
func (Softmax) BackwardNeeds() (inputs, output bool) { return false, true }

// Backward implements Backwarder: dx = y ⊙ (dy − Σ dy·y) per row.
func (Softmax) Backward(ctx *Context, g *Grad) error {
	checkGrad("Softmax", g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	k := g.Out.Shape[1]
	for n := 0; n < g.Out.Shape[0]; n++ {
		y, dy, d := g.Out.Data[n*k:(n+1)*k], g.DOut.Data[n*k:(n+1)*k], dx.Data[n*k:(n+1)*k]
		var dot float64
		for i, v := range y {
			dot += float64(v) * float64(dy[i])
		}
		for i, v := range y {
			d[i] = float32(float64(v) * (float64(dy[i]) - dot))
		}
	}
	return nil
}

// ---- LRN ----

// BackwardNeeds implements Backwarder.
func (l *LRN) BackwardNeeds() (inputs, output bool) { return true, false }

// Backward implements Backwarder. With D_c = K + α/n·Σ_{c'∈win(c)} a_{c'}²
// and b_c = a_c·D_c^−β:
// ∂L/∂a_j = dy_j·D_j^−β − (2αβ/n)·a_j·Σ_{c: j∈win(c)} dy_c·a_c·D_c^−β−1.
func (l *LRN) Backward(ctx *Context, g *Grad) error {
	checkGrad("LRN", g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	s := g.In[0].Shape
	c, plane := s[1], s[2]*s[3]
	x, dy := g.In[0].Data, g.DOut.Data
	lo, hi := l.Size/2, (l.Size-1)/2
	coef := 2 * l.Alpha * l.Beta / float64(l.Size)
	parallel.For(s[0]*plane, ctx.Threads, func(a, b int) {
		d := make([]float64, c) // D_c
		t := make([]float64, c) // dy_c·a_c·D_c^−β−1
		for np := a; np < b; np++ {
			n, p := np/plane, np%plane
			base := n*c*plane + p
			for ch := 0; ch < c; ch++ {
				var sum float64
				for k := max(ch-lo, 0); k <= min(ch+hi, c-1); k++ {
					v := float64(x[base+k*plane])
					sum += v * v
				}
				d[ch] = l.K + l.Alpha/float64(l.Size)*sum
				t[ch] = float64(dy[base+ch*plane]) * float64(x[base+ch*plane]) * math.Pow(d[ch], -l.Beta-1)
			}
			for j := 0; j < c; j++ {
				var sum float64
				// c with j ∈ [c−lo, c+hi] ⇔ c ∈ [j−hi, j+lo]
				for k := max(j-hi, 0); k <= min(j+lo, c-1); k++ {
					sum += t[k]
				}
				aj := float64(x[base+j*plane])
				dx.Data[base+j*plane] = float32(float64(dy[base+j*plane])*math.Pow(d[j], -l.Beta) - coef*aj*sum)
			}
		}
	})
	return nil
}

// ---- Dropout and stochastic depth ----

// ForwardTrain implements TrainForwarder: each element is kept with
// probability 1 − P and scaled by 1/(1 − P) (PyTorch's inverted dropout); the
// mask comes from r, so a seeded stream gives the same mask for any thread
// count.
func (d *Dropout) ForwardTrain(ctx *Context, r *rand.Rand, out *tensor.Tensor, in []*tensor.Tensor) (any, error) {
	if d.P < 0 || d.P > 1 {
		return nil, fmt.Errorf("Dropout: probability %v outside [0, 1]", d.P)
	}
	if d.P == 0 {
		copy(out.Data, in[0].Data)
		return nil, nil
	}
	mask := make([]float32, len(in[0].Data))
	scale := float32(0)
	if d.P < 1 {
		scale = float32(1 / (1 - d.P))
	}
	for i := range mask {
		if r.Float64() >= d.P {
			mask[i] = scale
		}
	}
	for i, v := range in[0].Data {
		out.Data[i] = v * mask[i]
	}
	return mask, nil
}

// BackwardNeeds implements Backwarder.
func (d *Dropout) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: dx = dy·mask (the saved mask), or dy when
// the forward pass kept everything.
func (d *Dropout) Backward(ctx *Context, g *Grad) error {
	checkGrad("Dropout", g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	mask, _ := g.Saved.([]float32)
	if mask == nil {
		copy(dx.Data, g.DOut.Data)
		return nil
	}
	for i, v := range g.DOut.Data {
		dx.Data[i] = v * mask[i]
	}
	return nil
}

// StochasticDepth drops whole samples of a residual branch (Huang et al.
// 2016; torchvision.ops.StochasticDepth with mode "row"): in training each
// sample is kept with probability 1 − P and scaled by 1/(1 − P); at
// inference it is the identity. It has no parameters and costs nothing.
type StochasticDepth struct{ P float64 }

func (s *StochasticDepth) Type() string { return "StochasticDepth" }
func (s *StochasticDepth) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("StochasticDepth", in, 1, 0); err != nil {
		return nil, err
	}
	if len(in[0]) < 1 {
		return nil, fmt.Errorf("StochasticDepth: input %v has no batch dimension", in[0])
	}
	return in[0].Clone(), nil
}
func (s *StochasticDepth) Params() []Param                               { return nil }
func (s *StochasticDepth) Cost(in []tensor.Shape, out tensor.Shape) Cost { return Cost{} }
func (s *StochasticDepth) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	copy(out.Data, in[0].Data)
	return nil
}

// ForwardTrain implements TrainForwarder: one keep/drop draw per sample.
func (s *StochasticDepth) ForwardTrain(ctx *Context, r *rand.Rand, out *tensor.Tensor, in []*tensor.Tensor) (any, error) {
	if s.P < 0 || s.P > 1 {
		return nil, fmt.Errorf("StochasticDepth: probability %v outside [0, 1]", s.P)
	}
	if s.P == 0 {
		copy(out.Data, in[0].Data)
		return nil, nil
	}
	n := in[0].Shape[0]
	per := len(in[0].Data) / n
	scale := make([]float32, n)
	for b := range scale {
		if r.Float64() >= s.P {
			scale[b] = float32(1 / (1 - s.P))
		}
	}
	for b, k := range scale {
		for i, v := range in[0].Data[b*per : (b+1)*per] {
			out.Data[b*per+i] = v * k
		}
	}
	return scale, nil
}

// BackwardNeeds implements Backwarder.
func (s *StochasticDepth) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: dx = dy scaled per sample as in the forward pass.
func (s *StochasticDepth) Backward(ctx *Context, g *Grad) error {
	checkGrad("StochasticDepth", g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	scale, _ := g.Saved.([]float32)
	if scale == nil {
		copy(dx.Data, g.DOut.Data)
		return nil
	}
	per := len(dx.Data) / len(scale)
	for b, k := range scale {
		for i, v := range g.DOut.Data[b*per : (b+1)*per] {
			dx.Data[b*per+i] = v * k
		}
	}
	return nil
}

// ---- LeNet-5 paper layers ----

// BackwardNeeds implements Backwarder.
func (s *Subsample) BackwardNeeds() (inputs, output bool) { return true, false }

// Backward implements Backwarder: y = w_c·Σ_block x + b_c, so
// dx = dy·w_c over each block (0 for rows/columns no block covers),
// dw_c += Σ dy·Σ_block x and db_c += Σ dy.
func (s *Subsample) Backward(ctx *Context, g *Grad) error {
	checkGrad("Subsample", g, 1, 2)
	x := g.In[0]
	xs := x.Shape
	h, w := xs[2], xs[3]
	oh, ow := g.DOut.Shape[2], g.DOut.Shape[3]
	dx, dw, db := g.DIn[0], g.DParams[0], g.DParams[1]
	if dx != nil {
		parallel.For(xs[0]*xs[1], ctx.Threads, func(lo, hi int) {
			for nc := lo; nc < hi; nc++ {
				k := s.Weight.Data[nc%s.C]
				dst := dx.Data[nc*h*w : (nc+1)*h*w]
				clear(dst)
				dy := g.DOut.Data[nc*oh*ow:]
				for y := 0; y < oh; y++ {
					for xo := 0; xo < ow; xo++ {
						v := dy[y*ow+xo] * k
						for i := 0; i < s.K; i++ {
							for j := 0; j < s.K; j++ {
								dst[(y*s.K+i)*w+xo*s.K+j] = v
							}
						}
					}
				}
			}
		})
	}
	if dw == nil && db == nil {
		return nil
	}
	parallel.For(s.C, ctx.Threads, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var sw, sb float64
			for n := 0; n < xs[0]; n++ {
				src := x.Data[(n*s.C+c)*h*w:]
				dy := g.DOut.Data[(n*s.C+c)*oh*ow:]
				for y := 0; y < oh; y++ {
					for xo := 0; xo < ow; xo++ {
						var sum float64
						for i := 0; i < s.K; i++ {
							for j := 0; j < s.K; j++ {
								sum += float64(src[(y*s.K+i)*w+xo*s.K+j])
							}
						}
						d := float64(dy[y*ow+xo])
						sw += d * sum
						sb += d
					}
				}
			}
			if dw != nil {
				dw.Data[c] += float32(sw)
			}
			if db != nil {
				db.Data[c] += float32(sb)
			}
		}
	})
	return nil
}

// BackwardNeeds implements Backwarder.
func (r *RBF) BackwardNeeds() (inputs, output bool) { return true, false }

// Backward implements Backwarder: dx_j = Σ_o dy_o·2(x_j − w_oj). The
// prototypes are a fixed buffer: no weight gradient.
func (r *RBF) Backward(ctx *Context, g *Grad) error {
	checkGrad("RBF", g, 1, 1)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	n := g.In[0].Shape[0]
	parallel.For(n, ctx.Threads, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			x := g.In[0].Data[b*r.In : (b+1)*r.In]
			dy := g.DOut.Data[b*r.Out : (b+1)*r.Out]
			d := dx.Data[b*r.In : (b+1)*r.In]
			for j, v := range x {
				var sum float64
				for o, e := range dy {
					sum += float64(e) * 2 * (float64(v) - float64(r.Weight.Data[o*r.In+j]))
				}
				d[j] = float32(sum)
			}
		}
	})
	return nil
}
