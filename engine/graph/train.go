package graph

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// ParamRef is one trainable tensor of a graph with its gradient.
type ParamRef struct {
	// Key is the state-dict key, e.g. "layer1.0.conv1.weight".
	Key string
	// Node is the node owning the tensor.
	Node *Node
	// T is the parameter itself (the optimizer updates it in place).
	T *tensor.Tensor
	// Grad accumulates ∂L/∂T over Backward calls until ZeroGrad.
	Grad *tensor.Tensor
	// NoDecay marks biases and normalisation parameters (tensors of rank
	// ≤ 1): the ones optimizers exclude from weight decay when asked to.
	NoDecay bool
}

// Backprop trains a graph: a training-mode forward pass that keeps what the
// backward pass needs, and a backward pass that accumulates a gradient for
// every trainable parameter. One training step is
//
//	out, err := bp.Forward(ctx, x, seed) // logits, training mode
//	loss, dOut := ...                     // e.g. train.SoftmaxCrossEntropy
//	err = bp.Backward(ctx, dOut)          // adds ∂L/∂θ into bp.Params()[i].Grad
//	... optimizer step on bp.Params() ...
//	bp.Updated()                          // weights changed: drop prepared plans
//	bp.ZeroGrad()
//
// (engine/train's Trainer runs exactly this.) In training mode BatchNorm
// normalises with batch statistics and updates its running statistics,
// Dropout and StochasticDepth draw their masks; every other layer runs its
// ordinary Forward. Gradients do not depend on the thread count.
//
// Memory: Forward keeps a node's output only while a later forward step or
// some backward step reads it (per each layer's BackwardNeeds); Backward
// frees each node's output and gradient once the node is done. Freed
// buffers go to a pool the next step reuses (shapes repeat), so a steady
// training loop allocates almost nothing. The tensor Forward returns stays
// the caller's; the input x is read, never written, and must not change
// before Backward.
//
// A Backprop holds the graph's gradients; it is not safe for concurrent use.
type Backprop struct {
	g       *Graph
	params  []ParamRef
	pgrads  [][]*tensor.Tensor // per node, parallel to Layer.Params(); nil for buffers
	keep    []bool             // node output read by some backward step
	readers []int              // forward consumers of each node (+1 for the output)

	// the tape of the last Forward
	vals  []*tensor.Tensor
	saved []any
	taped bool

	// InputGrad, when set, makes Backward also compute the gradient of the
	// graph's input, read with DInput.
	InputGrad bool
	dInput    *tensor.Tensor

	pool pool
}

// pool recycles the activation and gradient buffers of one step for the
// next: every step has the same shapes, so after the first one no step
// allocates (or page-faults) its working memory.
type pool struct{ free map[int][]*tensor.Tensor }

// get returns a tensor of the given shape; its contents are undefined
// unless zero is set.
func (p *pool) get(shape tensor.Shape, zero bool) *tensor.Tensor {
	n := shape.Numel()
	if l := p.free[n]; len(l) > 0 {
		t := l[len(l)-1]
		p.free[n] = l[:len(l)-1]
		t.Shape = shape.Clone()
		if zero {
			clear(t.Data)
		}
		return t
	}
	return tensor.New(shape...)
}

func (p *pool) put(t *tensor.Tensor) {
	if t == nil {
		return
	}
	if p.free == nil {
		p.free = map[int][]*tensor.Tensor{}
	}
	p.free[len(t.Data)] = append(p.free[len(t.Data)], t)
}

// NewBackprop prepares g for training: it allocates a zero gradient per
// trainable parameter. It fails if g has a build error or a layer has no
// backward pass.
func NewBackprop(g *Graph) (*Backprop, error) {
	if g.err != nil {
		return nil, g.err
	}
	bp := &Backprop{g: g, pgrads: make([][]*tensor.Tensor, len(g.Nodes)),
		keep: make([]bool, len(g.Nodes)), readers: make([]int, len(g.Nodes))}
	for _, n := range g.Nodes[1:] {
		b, ok := n.Layer.(ops.Backwarder)
		if !ok {
			return nil, fmt.Errorf("%s: layer %s (%s) has no backward pass", g.Name, n.Name, n.Layer.Type())
		}
		needIn, needOut := b.BackwardNeeds()
		if needOut {
			bp.keep[n.Index] = true
		}
		for _, in := range n.Inputs {
			bp.readers[in.Index]++
			if needIn {
				bp.keep[in.Index] = true
			}
		}
		ps := n.Layer.Params()
		bp.pgrads[n.Index] = make([]*tensor.Tensor, len(ps))
		for i, p := range ps {
			if p.Buffer {
				continue
			}
			gr := tensor.New(p.T.Shape...)
			bp.pgrads[n.Index][i] = gr
			bp.params = append(bp.params, ParamRef{Key: n.Name + "." + p.Name, Node: n, T: p.T, Grad: gr,
				NoDecay: len(p.T.Shape) <= 1})
		}
	}
	bp.readers[g.Output.Index]++
	return bp, nil
}

// Graph is the graph being trained.
func (bp *Backprop) Graph() *Graph { return bp.g }

// Params lists the trainable parameters and their gradients in state-dict
// order.
func (bp *Backprop) Params() []ParamRef { return bp.params }

// ZeroGrad sets every parameter gradient to zero.
func (bp *Backprop) ZeroGrad() {
	for _, p := range bp.params {
		clear(p.Grad.Data)
	}
}

// Updated tells the layers that their weights changed (an optimizer step, a
// load): convolutions drop their prepared plans. Call it before any forward
// pass, training or inference, that must see the new weights.
func (bp *Backprop) Updated() {
	for _, n := range bp.g.Nodes[1:] {
		if r, ok := n.Layer.(ops.Resetter); ok {
			r.Reset()
		}
	}
}

// DInput is the input gradient of the last Backward (nil unless InputGrad
// was set).
func (bp *Backprop) DInput() *tensor.Tensor { return bp.dInput }

// nodeSeed derives the random stream of a node for one pass: the pass seed
// and the node's name, so masks do not depend on the thread count or on
// other layers.
func nodeRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Forward runs the graph in training mode on x ([N, input...]) and returns
// its output, keeping what Backward needs. seed fixes the random masks of
// this pass (use a different seed per step). Weights are re-read (plans
// rebuilt) on every call.
func (bp *Backprop) Forward(ctx *ops.Context, x *tensor.Tensor, seed uint64) (*tensor.Tensor, error) {
	g := bp.g
	want := g.InputShape()
	if len(x.Shape) != len(want)+1 || !x.Shape[1:].Equal(want) {
		return nil, fmt.Errorf("%s: input shape %v, want [N %s]", g.Name, x.Shape, want.Dims())
	}
	bp.Updated()
	bp.taped = false
	uses := append([]int(nil), bp.readers...)
	bp.vals = make([]*tensor.Tensor, len(g.Nodes))
	bp.saved = make([]any, len(g.Nodes))
	bp.vals[0] = x
	for _, n := range g.Nodes[1:] {
		ins := make([]*tensor.Tensor, len(n.Inputs))
		shapes := make([]tensor.Shape, len(n.Inputs))
		for i, in := range n.Inputs {
			ins[i] = bp.vals[in.Index]
			shapes[i] = ins[i].Shape
		}
		s, err := n.Layer.OutShape(shapes)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", g.Name, n.Name, err)
		}
		out := bp.pool.get(s, true)
		var r *rand.Rand
		if _, ok := n.Layer.(ops.TrainForwarder); ok {
			r = nodeRand(seed, n.Name)
		}
		start := time.Now()
		saved, err := ops.ForwardTrainOf(n.Layer, ctx, r, out, ins)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", g.Name, n.Name, err)
		}
		if ctx.Trace != nil {
			ctx.Trace(n.Name, time.Since(start))
		}
		bp.vals[n.Index], bp.saved[n.Index] = out, saved
		for _, in := range n.Inputs {
			if uses[in.Index]--; uses[in.Index] == 0 && !bp.keep[in.Index] && in.Index != 0 {
				bp.pool.put(bp.vals[in.Index])
				bp.vals[in.Index] = nil
			}
		}
	}
	bp.taped = true
	return bp.vals[g.Output.Index], nil
}

// Backward propagates dOut (∂L/∂output, shaped like the last Forward's
// output) back through the graph, adding each parameter's gradient into its
// ParamRef.Grad. Where a node feeds several consumers their gradients are
// summed, in reverse node order. It consumes the tape: a second Backward
// needs a new Forward.
func (bp *Backprop) Backward(ctx *ops.Context, dOut *tensor.Tensor) error {
	g := bp.g
	if !bp.taped {
		return fmt.Errorf("%s: Backward without a training Forward", g.Name)
	}
	bp.taped = false
	out := bp.vals[g.Output.Index]
	if !dOut.Shape.Equal(out.Shape) {
		return fmt.Errorf("%s: output gradient of shape %v, want %v", g.Name, dOut.Shape, out.Shape)
	}
	grads := make([]*tensor.Tensor, len(g.Nodes))
	grads[g.Output.Index] = bp.pool.get(dOut.Shape, false)
	copy(grads[g.Output.Index].Data, dOut.Data)
	bp.dInput = nil
	// release returns node i's forward value to the pool (not the caller's
	// input, nor the output the caller holds).
	release := func(i int) {
		if i != 0 && i != g.Output.Index {
			bp.pool.put(bp.vals[i])
		}
		bp.vals[i], bp.saved[i] = nil, nil
	}
	defer func() {
		for i := range bp.vals {
			release(i)
		}
		bp.vals, bp.saved = nil, nil
	}()
	for i := g.Output.Index; i >= 1; i-- {
		n := g.Nodes[i]
		dy := grads[i]
		if dy == nil { // the node does not reach the output
			release(i)
			continue
		}
		b := n.Layer.(ops.Backwarder)
		needIn, needOut := b.BackwardNeeds()
		gr := &ops.Grad{DOut: dy, Saved: bp.saved[i], DParams: bp.pgrads[i],
			In: make([]*tensor.Tensor, len(n.Inputs)), DIn: make([]*tensor.Tensor, len(n.Inputs))}
		if needOut {
			gr.Out = bp.vals[i]
		}
		fresh := make([]bool, len(n.Inputs))
		for k, in := range n.Inputs {
			if needIn || in.Index == 0 { // the graph input is always at hand (Concat needs its shape)
				gr.In[k] = bp.vals[in.Index]
			}
			if in.Index == 0 && !bp.InputGrad {
				continue
			}
			shape := in.Shape.Clone()
			shape[0] = dy.Shape[0]
			if v := bp.vals[in.Index]; v != nil {
				shape = v.Shape
			}
			gr.DIn[k] = bp.pool.get(shape, false)
			fresh[k] = grads[in.Index] == nil
			for _, prev := range n.Inputs[:k] { // the same node twice: only the first slot is fresh
				if prev == in {
					fresh[k] = false
				}
			}
		}
		if err := b.Backward(ctx, gr); err != nil {
			return fmt.Errorf("%s: layer %s: backward: %w", g.Name, n.Name, err)
		}
		for k, in := range n.Inputs {
			d := gr.DIn[k]
			if d == nil {
				continue
			}
			if fresh[k] {
				grads[in.Index] = d
				continue
			}
			acc := grads[in.Index].Data
			for j, v := range d.Data {
				acc[j] += v
			}
			bp.pool.put(d)
		}
		bp.pool.put(grads[i])
		grads[i] = nil
		release(i)
	}
	if bp.InputGrad {
		bp.dInput = grads[0].Clone()
		bp.pool.put(grads[0])
	}
	return nil
}
