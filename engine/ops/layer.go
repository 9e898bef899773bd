package ops

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Param is one named tensor of a layer. Name is the local torchvision name
// ("weight", "bias", "running_mean", "running_var"); the graph prefixes the
// node's name to make the state-dict key.
type Param struct {
	Name string
	T    *tensor.Tensor
	// Buffer marks state that is not trained (BN running statistics, fixed
	// RBF prototypes): saved and loaded, never counted in params.
	Buffer bool
	// Count is the number of trainable parameters this tensor contributes;
	// it is T's size except for masked (sparsely connected) weights.
	Count int
}

// Cost is what one forward pass of a layer costs, by the rules in doc.go.
type Cost struct {
	MACs     int64
	OtherOps int64
}

// Layer is one node's computation.
type Layer interface {
	// Type is the layer's class name, e.g. "Conv2D".
	Type() string
	// OutShape infers the output shape (batch first) from the input shapes,
	// or says why the inputs do not fit.
	OutShape(in []tensor.Shape) (tensor.Shape, error)
	// Params lists the layer's tensors in state-dict order.
	Params() []Param
	// Cost counts the work of one forward pass on inputs of these shapes.
	Cost(in []tensor.Shape, out tensor.Shape) Cost
	// Forward computes out (already shaped by OutShape) from in.
	Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error
}

// Initializer is implemented by layers with parameters: it fills them with
// deterministic pseudo-random values suited to the layer (He-uniform for
// weights feeding rectifiers, small biases, BN statistics near identity).
type Initializer interface {
	Init(r *rand.Rand)
}

// Context carries run-time choices through a forward pass.
type Context struct {
	// Algo is the convolution algorithm for layers without their own choice;
	// "" means DefaultAlgo.
	Algo string
	// Fallback runs convolutions the chosen algorithm does not support; ""
	// means DefaultAlgo.
	Fallback string
	// Threads bounds the worker goroutines (≤ 0: GOMAXPROCS).
	Threads int
	// Arena provides reusable workspaces; nil allocates a private one.
	Arena *tensor.Arena
	// Pool recycles activation buffers across the layers of graph.Forward
	// (and across passes when the same Context is reused); nil gives each
	// pass a private one.
	Pool *tensor.Pool
	// Trace, if set, is called after each layer with its duration.
	Trace func(node string, d time.Duration)
}

// DefaultAlgo is the convolution algorithm used when none is chosen.
const DefaultAlgo = "im2col"

func (c *Context) arena() *tensor.Arena {
	if c.Arena == nil {
		c.Arena = new(tensor.Arena)
	}
	return c.Arena
}

// want checks the number of inputs and their rank.
func want(layer string, in []tensor.Shape, n, rank int) error {
	if len(in) != n {
		return fmt.Errorf("%s: %d inputs, want %d", layer, len(in), n)
	}
	for _, s := range in {
		if rank > 0 && len(s) != rank {
			return fmt.Errorf("%s: input shape %v, want rank %d", layer, s, rank)
		}
	}
	return nil
}

// paramCount sums the trainable counts of a layer's params.
func ParamCount(l Layer) (trainable, buffers int64) {
	for _, p := range l.Params() {
		if p.Buffer {
			buffers += int64(p.T.Shape.Numel())
		} else {
			trainable += int64(p.Count)
		}
	}
	return
}

func trainable(name string, t *tensor.Tensor) Param {
	return Param{Name: name, T: t, Count: t.Shape.Numel()}
}

func buffer(name string, t *tensor.Tensor) Param {
	return Param{Name: name, T: t, Buffer: true}
}

// uniform fills x with values in [-b, b).
func uniform(r *rand.Rand, x []float32, b float64) {
	for i := range x {
		x[i] = float32((2*r.Float64() - 1) * b)
	}
}
