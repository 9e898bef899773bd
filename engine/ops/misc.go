package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// LRN is local response normalisation across channels with PyTorch's
// nn.LocalResponseNorm semantics:
// b_c = a_c / (K + Alpha/Size · Σ_{c' ∈ [c−⌊Size/2⌋, c+⌊(Size−1)/2⌋]} a_{c'}²)^Beta.
// Krizhevsky et al. write α without the 1/Size; their α = 1e-4 with n = 5 is
// Alpha = 5e-4 here.
type LRN struct {
	Size           int
	Alpha, Beta, K float64
}

func (l *LRN) Type() string { return "LRN" }

func (l *LRN) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("LRN", in, 1, 4); err != nil {
		return nil, err
	}
	return in[0].Clone(), nil
}

func (l *LRN) Params() []Param { return nil }

func (l *LRN) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	return Cost{OtherOps: int64(l.Size+3) * int64(out.Numel())}
}

func (l *LRN) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	s := in[0].Shape
	c, plane := s[1], s[2]*s[3]
	x := in[0].Data
	lo, hi := l.Size/2, (l.Size-1)/2
	parallel.For(s[0]*plane, ctx.Threads, func(a, b int) {
		for np := a; np < b; np++ {
			n, p := np/plane, np%plane
			base := n * c * plane
			for ch := 0; ch < c; ch++ {
				var sum float64
				for k := max(ch-lo, 0); k <= min(ch+hi, c-1); k++ {
					v := float64(x[base+k*plane+p])
					sum += v * v
				}
				d := math.Pow(l.K+l.Alpha/float64(l.Size)*sum, l.Beta)
				out.Data[base+ch*plane+p] = float32(float64(x[base+ch*plane+p]) / d)
			}
		}
	})
	return nil
}

// Dropout is the identity at inference; P is kept for training.
type Dropout struct{ P float64 }

func (d *Dropout) Type() string { return "Dropout" }
func (d *Dropout) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("Dropout", in, 1, 0); err != nil {
		return nil, err
	}
	return in[0].Clone(), nil
}
func (d *Dropout) Params() []Param                               { return nil }
func (d *Dropout) Cost(in []tensor.Shape, out tensor.Shape) Cost { return Cost{} }
func (d *Dropout) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	copy(out.Data, in[0].Data)
	return nil
}

// Identity passes its input through (a folded BatchNorm becomes one).
type Identity struct{}

func (Identity) Type() string { return "Identity" }
func (Identity) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("Identity", in, 1, 0); err != nil {
		return nil, err
	}
	return in[0].Clone(), nil
}
func (Identity) Params() []Param                               { return nil }
func (Identity) Cost(in []tensor.Shape, out tensor.Shape) Cost { return Cost{} }
func (Identity) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	copy(out.Data, in[0].Data)
	return nil
}

// Flatten reshapes [N, C, H, W] to [N, C·H·W] (torch.flatten(x, 1)).
type Flatten struct{}

func (Flatten) Type() string { return "Flatten" }
func (Flatten) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("Flatten", in, 1, 0); err != nil {
		return nil, err
	}
	if len(in[0]) < 2 {
		return nil, fmt.Errorf("Flatten: input %v has no batch dimension", in[0])
	}
	return tensor.Shape{in[0][0], in[0][1:].Numel()}, nil
}
func (Flatten) Params() []Param                               { return nil }
func (Flatten) Cost(in []tensor.Shape, out tensor.Shape) Cost { return Cost{} }
func (Flatten) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	copy(out.Data, in[0].Data)
	return nil
}

// Concat joins its inputs along the channel axis (torch.cat(xs, 1)).
type Concat struct{}

func (Concat) Type() string { return "Concat" }
func (Concat) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) < 1 {
		return nil, fmt.Errorf("Concat: no inputs")
	}
	out := in[0].Clone()
	for _, s := range in[1:] {
		if len(s) != len(out) || s[0] != out[0] || !s[2:].Equal(out[2:]) {
			return nil, fmt.Errorf("Concat: shapes %v and %v differ outside the channel axis", in[0], s)
		}
		out[1] += s[1]
	}
	return out, nil
}
func (Concat) Params() []Param                               { return nil }
func (Concat) Cost(in []tensor.Shape, out tensor.Shape) Cost { return Cost{} }
func (Concat) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	n := out.Shape[0]
	per := out.Shape.Numel() / n
	for b := 0; b < n; b++ {
		off := b * per
		for _, t := range in {
			m := t.Shape.Numel() / n
			copy(out.Data[off:off+m], t.Data[b*m:(b+1)*m])
			off += m
		}
	}
	return nil
}

// Add sums its inputs elementwise (residual connections).
type Add struct{}

func (Add) Type() string { return "Add" }
func (Add) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("Add: %d inputs, want at least 2", len(in))
	}
	for _, s := range in[1:] {
		if !s.Equal(in[0]) {
			return nil, fmt.Errorf("Add: shapes %v and %v differ", in[0], s)
		}
	}
	return in[0].Clone(), nil
}
func (Add) Params() []Param { return nil }
func (Add) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	return Cost{OtherOps: int64(len(in)-1) * int64(out.Numel())}
}
func (Add) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	copy(out.Data, in[0].Data)
	for _, t := range in[1:] {
		for i, v := range t.Data {
			out.Data[i] += v
		}
	}
	return nil
}

// Mul multiplies x [N, C, H, W] by s [N, C, 1, 1] broadcast over H×W
// (squeeze-and-excitation scaling), or two equal shapes elementwise.
type Mul struct{}

func (Mul) Type() string { return "Mul" }
func (Mul) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("Mul", in, 2, 4); err != nil {
		return nil, err
	}
	x, s := in[0], in[1]
	if s[0] != x[0] || s[1] != x[1] || !((s[2] == 1 && s[3] == 1) || (s[2] == x[2] && s[3] == x[3])) {
		return nil, fmt.Errorf("Mul: cannot broadcast %v over %v", s, x)
	}
	return x.Clone(), nil
}
func (Mul) Params() []Param { return nil }
func (Mul) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	return Cost{OtherOps: int64(out.Numel())}
}
func (Mul) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	x, s := in[0], in[1]
	if s.Shape.Equal(x.Shape) {
		for i, v := range x.Data {
			out.Data[i] = v * s.Data[i]
		}
		return nil
	}
	plane := x.Shape[2] * x.Shape[3]
	parallel.For(len(s.Data), elementwiseThreads(len(x.Data), ctx.Threads), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			k := s.Data[nc]
			src, dst := x.Data[nc*plane:(nc+1)*plane], out.Data[nc*plane:(nc+1)*plane]
			for i, v := range src {
				dst[i] = v * k
			}
		}
	})
	return nil
}

// elementwiseThreads keeps small elementwise passes on one goroutine, where
// spawning costs more than the pass; results never depend on it.
func elementwiseThreads(elems, threads int) int {
	const minElemsPerThread = 1 << 15
	return max(1, min(parallel.Threads(threads), elems/minElemsPerThread))
}

// ChannelShuffle permutes channels viewed as [G, C/G] to [C/G, G]
// (ShuffleNet's shuffle).
type ChannelShuffle struct{ Groups int }

func (c *ChannelShuffle) Type() string { return "ChannelShuffle" }
func (c *ChannelShuffle) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("ChannelShuffle", in, 1, 4); err != nil {
		return nil, err
	}
	if c.Groups < 1 || in[0][1]%c.Groups != 0 {
		return nil, fmt.Errorf("ChannelShuffle: %d groups do not divide %d channels", c.Groups, in[0][1])
	}
	return in[0].Clone(), nil
}
func (c *ChannelShuffle) Params() []Param                               { return nil }
func (c *ChannelShuffle) Cost(in []tensor.Shape, out tensor.Shape) Cost { return Cost{} }
func (c *ChannelShuffle) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	s := in[0].Shape
	ch, plane := s[1], s[2]*s[3]
	per := ch / c.Groups
	for n := 0; n < s[0]; n++ {
		for g := 0; g < c.Groups; g++ {
			for i := 0; i < per; i++ {
				src := (n*ch + g*per + i) * plane
				dst := (n*ch + i*c.Groups + g) * plane
				copy(out.Data[dst:dst+plane], in[0].Data[src:src+plane])
			}
		}
	}
	return nil
}

// Softmax normalises the last axis of [N, K] to probabilities.
type Softmax struct{}

func (Softmax) Type() string { return "Softmax" }
func (Softmax) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("Softmax", in, 1, 2); err != nil {
		return nil, err
	}
	return in[0].Clone(), nil
}
func (Softmax) Params() []Param { return nil }
func (Softmax) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	return Cost{OtherOps: 3 * int64(out.Numel())}
}
func (Softmax) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	k := in[0].Shape[1]
	for n := 0; n < in[0].Shape[0]; n++ {
		x, y := in[0].Data[n*k:(n+1)*k], out.Data[n*k:(n+1)*k]
		m := math.Inf(-1)
		for _, v := range x {
			m = max(m, float64(v))
		}
		var sum float64
		for i, v := range x {
			e := math.Exp(float64(v) - m)
			y[i] = float32(e)
			sum += e
		}
		for i := range y {
			y[i] = float32(float64(y[i]) / sum)
		}
	}
	return nil
}

// Subsample is LeNet-5's S2/S4 layer: each output is the sum of a K×K
// non-overlapping block times a trainable per-map coefficient, plus a
// trainable per-map bias (2 parameters per map).
type Subsample struct {
	C, K         int
	Weight, Bias *tensor.Tensor
}

// NewSubsample returns a K×K subsampling layer over c maps.
func NewSubsample(c, k int) *Subsample {
	return &Subsample{C: c, K: k, Weight: tensor.New(c), Bias: tensor.New(c)}
}

func (s *Subsample) Type() string { return "Subsample" }
func (s *Subsample) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("Subsample", in, 1, 4); err != nil {
		return nil, err
	}
	x := in[0]
	if x[1] != s.C || x[2] < s.K || x[3] < s.K {
		return nil, fmt.Errorf("Subsample: input %v, want %d maps of at least %dx%d", x, s.C, s.K, s.K)
	}
	return tensor.Shape{x[0], x[1], x[2] / s.K, x[3] / s.K}, nil
}
func (s *Subsample) Params() []Param {
	return []Param{trainable("weight", s.Weight), trainable("bias", s.Bias)}
}
func (s *Subsample) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	return Cost{OtherOps: int64(s.K*s.K+1) * int64(out.Numel())}
}

// Init implements Initializer: coefficients near 1/K², biases near 0.
func (s *Subsample) Init(r *rand.Rand) {
	for i := 0; i < s.C; i++ {
		s.Weight.Data[i] = float32((0.5 + r.Float64()) / float64(s.K*s.K))
		s.Bias.Data[i] = float32(0.2 * (r.Float64() - 0.5))
	}
}

func (s *Subsample) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	x := in[0].Shape
	h, w, oh, ow := x[2], x[3], out.Shape[2], out.Shape[3]
	for nc := 0; nc < x[0]*x[1]; nc++ {
		c := nc % s.C
		src := in[0].Data[nc*h*w:]
		dst := out.Data[nc*oh*ow:]
		for y := 0; y < oh; y++ {
			for xo := 0; xo < ow; xo++ {
				var sum float32
				for i := 0; i < s.K; i++ {
					for j := 0; j < s.K; j++ {
						sum += src[(y*s.K+i)*w+xo*s.K+j]
					}
				}
				dst[y*ow+xo] = sum*s.Weight.Data[c] + s.Bias.Data[c]
			}
		}
	}
	return nil
}

// RBF is LeNet-5's output layer: unit i outputs the squared Euclidean
// distance Σ_j (x_j − w_ij)² between its input and a fixed prototype (the
// paper's 7×12 bitmaps of ±1). The prototypes are a buffer, not trained.
type RBF struct {
	In, Out int
	Weight  *tensor.Tensor
}

// NewRBF returns an RBF layer with zero prototypes.
func NewRBF(in, out int) *RBF { return &RBF{In: in, Out: out, Weight: tensor.New(out, in)} }

func (r *RBF) Type() string { return "RBF" }
func (r *RBF) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want("RBF", in, 1, 2); err != nil {
		return nil, err
	}
	if in[0][1] != r.In {
		return nil, fmt.Errorf("RBF: input has %d features, layer expects %d", in[0][1], r.In)
	}
	return tensor.Shape{in[0][0], r.Out}, nil
}
func (r *RBF) Params() []Param { return []Param{buffer("weight", r.Weight)} }
func (r *RBF) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	return Cost{OtherOps: 3 * int64(out.Numel()) * int64(r.In)}
}

// Init implements Initializer: prototypes of ±1, as the paper's bitmaps.
func (r *RBF) Init(rng *rand.Rand) {
	for i := range r.Weight.Data {
		r.Weight.Data[i] = float32(2*rng.IntN(2) - 1)
	}
}

func (r *RBF) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	for n := 0; n < in[0].Shape[0]; n++ {
		x := in[0].Data[n*r.In : (n+1)*r.In]
		for o := 0; o < r.Out; o++ {
			var d float32
			for j, v := range x {
				e := v - r.Weight.Data[o*r.In+j]
				d += e * e
			}
			out.Data[n*r.Out+o] = d
		}
	}
	return nil
}
