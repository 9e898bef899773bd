package ops

import (
	"fmt"
	"math"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// ActKind names an elementwise activation.
type ActKind int

// The activations of the zoo.
const (
	KindReLU ActKind = iota
	KindReLU6
	KindSiLU    // x·σ(x), "swish" (EfficientNet)
	KindSigmoid // σ(x) = 1/(1+e^−x)
	KindTanh
	KindLeCunTanh // 1.7159·tanh(2x/3), LeNet-5's squashing function
)

var actNames = [...]string{"ReLU", "ReLU6", "SiLU", "Sigmoid", "Tanh", "LeCunTanh"}

// Activation applies an elementwise function.
type Activation struct{ Kind ActKind }

// ReLU, ReLU6, SiLU, Sigmoid, Tanh and LeCunTanh return activation layers.
func ReLU() *Activation      { return &Activation{KindReLU} }
func ReLU6() *Activation     { return &Activation{KindReLU6} }
func SiLU() *Activation      { return &Activation{KindSiLU} }
func Sigmoid() *Activation   { return &Activation{KindSigmoid} }
func Tanh() *Activation      { return &Activation{KindTanh} }
func LeCunTanh() *Activation { return &Activation{KindLeCunTanh} }

func (a *Activation) Type() string { return actNames[a.Kind] }

func (a *Activation) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want(a.Type(), in, 1, 0); err != nil {
		return nil, err
	}
	return in[0].Clone(), nil
}

func (a *Activation) Params() []Param { return nil }

func (a *Activation) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	return Cost{OtherOps: int64(out.Numel())}
}

// Apply computes the activation of one value (float64 inside for the
// transcendental ones).
func (a *Activation) Apply(v float32) float32 {
	switch a.Kind {
	case KindReLU:
		return max(v, 0)
	case KindReLU6:
		return min(max(v, 0), 6)
	case KindSiLU:
		return float32(float64(v) / (1 + math.Exp(-float64(v))))
	case KindSigmoid:
		return float32(1 / (1 + math.Exp(-float64(v))))
	case KindTanh:
		return float32(math.Tanh(float64(v)))
	case KindLeCunTanh:
		return float32(1.7159 * math.Tanh(2*float64(v)/3))
	}
	panic(fmt.Sprintf("ops.Activation: unknown kind %d", a.Kind))
}

func (a *Activation) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	x := in[0].Data
	const chunk = 4096
	act, fused := a.Kind.Epilogue()
	epi := kernels.Active().Epilogue
	parallel.For((len(x)+chunk-1)/chunk, ctx.Threads, func(lo, hi int) {
		src := x[lo*chunk : min(hi*chunk, len(x))]
		dst := out.Data[lo*chunk : min(hi*chunk, len(x))]
		if fused {
			epi(dst, src, nil, 0, act)
			return
		}
		for i, v := range src {
			dst[i] = a.Apply(v)
		}
	})
	return nil
}

// Epilogue returns the kernels' epilogue activation computing k, and false
// for the kinds no epilogue computes (Tanh, LeCunTanh).
func (k ActKind) Epilogue() (kernels.Act, bool) {
	switch k {
	case KindReLU:
		return kernels.ActReLU, true
	case KindReLU6:
		return kernels.ActReLU6, true
	case KindSiLU:
		return kernels.ActSiLU, true
	case KindSigmoid:
		return kernels.ActSigmoid, true
	}
	return 0, false
}
