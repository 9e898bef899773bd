package graph

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Node is one layer of a graph with its inputs and its output shape at
// batch 1.
type Node struct {
	Name   string
	Layer  ops.Layer // nil for the input node
	Inputs []*Node
	Shape  tensor.Shape // output shape, batch 1
	Index  int
}

// Graph is a model. Build it with New and Add; the first error stops the
// build and is returned by Err (and by every later use).
type Graph struct {
	Name   string
	Nodes  []*Node // Nodes[0] is the input; the rest in topological order
	Output *Node
	names  map[string]bool
	err    error
}

// New starts a graph whose input is one sample of shape in (C, H, W or
// features). It returns the graph and its input node.
func New(name string, in tensor.Shape) (*Graph, *Node) {
	x := &Node{Name: "input", Shape: append(tensor.Shape{1}, in...)}
	g := &Graph{Name: name, Nodes: []*Node{x}, names: map[string]bool{"input": true}}
	g.Output = x
	return g, x
}

// Input is the input node.
func (g *Graph) Input() *Node { return g.Nodes[0] }

// InputShape is the shape of one sample (without the batch dimension).
func (g *Graph) InputShape() tensor.Shape { return g.Nodes[0].Shape[1:].Clone() }

// Err is the first error met while building.
func (g *Graph) Err() error { return g.err }

// Add appends a layer fed by inputs, infers its shape and makes it the
// graph's output. Names must be unique; a layer with parameters is named by
// its state-dict prefix ("layer1.0.conv1").
func (g *Graph) Add(name string, l ops.Layer, inputs ...*Node) *Node {
	n := &Node{Name: name, Layer: l, Inputs: inputs, Index: len(g.Nodes)}
	if g.err != nil {
		return n
	}
	if g.names[name] {
		g.err = fmt.Errorf("%s: duplicate layer name %q", g.Name, name)
		return n
	}
	shapes := make([]tensor.Shape, len(inputs))
	for i, in := range inputs {
		if in == nil || in.Index >= len(g.Nodes) || g.Nodes[in.Index] != in {
			panic(fmt.Sprintf("graph.Add: input %d of %q is not a node of graph %q", i, name, g.Name))
		}
		shapes[i] = in.Shape
	}
	s, err := l.OutShape(shapes)
	if err != nil {
		g.err = fmt.Errorf("%s: layer %s: %w", g.Name, name, err)
		return n
	}
	n.Shape = s
	g.names[name] = true
	g.Nodes = append(g.Nodes, n)
	g.Output = n
	return n
}

// Chain adds layers one after another, named prefix+suffix; it returns the last node.
func (g *Graph) Chain(x *Node, prefix string, layers ...Named) *Node {
	for _, l := range layers {
		x = g.Add(prefix+l.Name, l.Layer, x)
	}
	return x
}

// Named pairs a layer with its (relative) name for Chain.
type Named struct {
	Name  string
	Layer ops.Layer
}

// Init fills every parameter deterministically from seed, then calibrates
// the BatchNorm running statistics (see Calibrate) on a seeded input. Each
// layer draws from its own stream derived from seed and its name, so adding
// a layer does not change the others' weights.
//
// Calibration runs one im2col forward pass (over a small batch when the
// last feature maps are tiny); its float32 arithmetic makes the
// BN statistics (and so the weights) depend on the kernel set in the last
// bits, far below any golden tolerance.
func (g *Graph) Init(seed uint64) {
	for _, n := range g.Nodes[1:] {
		if in, ok := n.Layer.(ops.Initializer); ok {
			h := fnv.New64a()
			h.Write([]byte(n.Name))
			in.Init(rand.New(rand.NewPCG(seed, h.Sum64())))
		}
	}
	minPlane := g.minBatchNormPlane()
	if g.err != nil || minPlane == 0 {
		return
	}
	// Enough samples that every BN sees ≥ 64 values per channel: a channel
	// statistic from a 1×1 map of one sample would be degenerate.
	batch := min((64+minPlane-1)/minPlane, 64)
	x := tensor.New(append(tensor.Shape{batch}, g.InputShape()...)...)
	r := rand.New(rand.NewPCG(seed, 0x63616c6962)) // "calib"
	for i := range x.Data {
		x.Data[i] = float32(2*r.Float64() - 1)
	}
	if err := g.Calibrate(&ops.Context{Algo: "im2col"}, x); err != nil {
		panic(fmt.Sprintf("graph.Init: calibrating %s: %v", g.Name, err))
	}
}

// minBatchNormPlane is the smallest H·W a BatchNorm sees at batch 1 (0 if
// the graph has none).
func (g *Graph) minBatchNormPlane() int {
	best := 0
	for _, n := range g.Nodes[1:] {
		if _, ok := n.Layer.(*ops.BatchNorm2D); ok {
			if p := n.Shape[2:].Numel(); best == 0 || p < best {
				best = p
			}
		}
	}
	return best
}

// Calibrate sets every BatchNorm's running mean and variance to the
// per-channel statistics of its input when the graph runs on x, layer by
// layer, so each BN really normalises. Random weights then keep activations
// of order one through any depth (plain He initialisation with identity BN
// statistics lets residual nets grow by ~2× per block). Variances are
// floored at a tenth of the layer's mean variance (and 1e-3) so that
// channels with nearly constant inputs are not blown up.
func (g *Graph) Calibrate(ctx *ops.Context, x *tensor.Tensor) error {
	_, err := g.forward(ctx, x, func(n *Node, in []*tensor.Tensor) {
		bn, ok := n.Layer.(*ops.BatchNorm2D)
		if !ok {
			return
		}
		calibrate(bn, in[0])
	}, nil)
	return err
}

func calibrate(bn *ops.BatchNorm2D, x *tensor.Tensor) {
	s := x.Shape
	plane := s[2:].Numel()
	mean := make([]float64, bn.C)
	vars := make([]float64, bn.C)
	for c := 0; c < bn.C; c++ {
		var sum, sq float64
		for n := 0; n < s[0]; n++ {
			for _, v := range x.Data[(n*bn.C+c)*plane : (n*bn.C+c+1)*plane] {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
		}
		cnt := float64(s[0] * plane)
		mean[c] = sum / cnt
		vars[c] = max(sq/cnt-mean[c]*mean[c], 0)
	}
	var avg float64
	for _, v := range vars {
		avg += v / float64(bn.C)
	}
	floor := max(1.0*avg, 1e-3)
	for c := range mean {
		bn.RunningMean.Data[c] = float32(mean[c])
		bn.RunningVar.Data[c] = float32(max(vars[c], floor))
	}
}

// Forward runs the graph on x of shape [N, input...]. Each intermediate
// tensor goes back to ctx.Pool after its last reader has run, and layer
// outputs are taken from the pool, so a pass holds only the activations
// that are live at once. The returned tensor is the caller's: the pool
// never hands it out again.
func (g *Graph) Forward(ctx *ops.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	pool := ctx.Pool
	if pool == nil {
		pool = new(tensor.Pool)
	}
	return g.forward(ctx, x, nil, pool)
}

// forward runs the graph, calling before (if set) with each node's inputs
// before the node runs. With a pool (nil: allocate every output), outputs
// come from it and dead intermediates return to it.
func (g *Graph) forward(ctx *ops.Context, x *tensor.Tensor, before func(*Node, []*tensor.Tensor), pool *tensor.Pool) (*tensor.Tensor, error) {
	if g.err != nil {
		return nil, g.err
	}
	want := g.InputShape()
	if len(x.Shape) != len(want)+1 || !x.Shape[1:].Equal(want) {
		return nil, fmt.Errorf("%s: input shape %v, want [N %s]", g.Name, x.Shape, want.Dims()[0:])
	}
	uses := make([]int, len(g.Nodes))
	for _, n := range g.Nodes[1:] {
		for _, in := range n.Inputs {
			uses[in.Index]++
		}
	}
	uses[g.Output.Index]++
	// owner[i] is the node whose buffer node i's value is (an Identity
	// shares its input's); pending[o] counts the reads still to come of
	// owner o's buffer, through any node sharing it.
	owner := make([]int, len(g.Nodes))
	pending := make([]int, len(g.Nodes))
	vals := make([]*tensor.Tensor, len(g.Nodes))
	vals[0] = x
	pending[0] = uses[0]
	release := func(n *Node) {
		for _, in := range n.Inputs {
			o := owner[in.Index]
			if pending[o]--; pending[o] == 0 && o != 0 {
				if pool != nil {
					pool.Put(vals[o])
				}
				vals[o] = nil
			}
			if uses[in.Index]--; uses[in.Index] == 0 && in.Index != 0 {
				vals[in.Index] = nil
			}
		}
	}
	for _, n := range g.Nodes[1:] {
		ins := make([]*tensor.Tensor, len(n.Inputs))
		shapes := make([]tensor.Shape, len(n.Inputs))
		for i, in := range n.Inputs {
			ins[i] = vals[in.Index]
			shapes[i] = ins[i].Shape
		}
		s, err := n.Layer.OutShape(shapes)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", g.Name, n.Name, err)
		}
		if before != nil {
			before(n, ins)
		}
		if _, ok := n.Layer.(ops.Identity); ok { // a folded BN: share, don't copy
			o := owner[n.Inputs[0].Index]
			owner[n.Index] = o
			pending[o] += uses[n.Index]
			vals[n.Index] = ins[0]
			release(n)
			continue
		}
		var out *tensor.Tensor
		if pool != nil {
			out = pool.Get(s...)
		} else {
			out = tensor.New(s...)
		}
		start := time.Now()
		if err := n.Layer.Forward(ctx, out, ins); err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", g.Name, n.Name, err)
		}
		if ctx.Trace != nil {
			ctx.Trace(n.Name, time.Since(start))
		}
		owner[n.Index] = n.Index
		pending[n.Index] = uses[n.Index]
		vals[n.Index] = out
		if uses[n.Index] == 0 && pool != nil { // read by nothing (a dead branch)
			pool.Put(out)
			vals[n.Index] = nil
		}
		release(n)
	}
	return vals[g.Output.Index], nil
}
