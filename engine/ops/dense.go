package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

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

// Forward computes each output as a float32 dot product in a fixed order, so
// the result does not depend on the thread count.
func (d *Dense) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	n := in[0].Shape[0]
	x, w := in[0].Data, d.Weight.Data
	parallel.For(d.Out, ctx.Threads, func(lo, hi int) {
		for b := 0; b < n; b++ {
			xb := x[b*d.In : (b+1)*d.In]
			for o := lo; o < hi; o++ {
				wo := w[o*d.In : (o+1)*d.In]
				var s0, s1, s2, s3 float32
				i := 0
				for ; i+4 <= len(xb); i += 4 {
					s0 += xb[i] * wo[i]
					s1 += xb[i+1] * wo[i+1]
					s2 += xb[i+2] * wo[i+2]
					s3 += xb[i+3] * wo[i+3]
				}
				for ; i < len(xb); i++ {
					s0 += xb[i] * wo[i]
				}
				s := (s0 + s1) + (s2 + s3)
				if d.Bias != nil {
					s += d.Bias.Data[o]
				}
				out.Data[b*d.Out+o] = s
			}
		}
	})
	return nil
}
