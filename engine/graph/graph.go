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

// Init fills every parameter deterministically from seed. Each layer draws
// from its own stream derived from seed and its name, so adding a layer does
// not change the others' weights.
func (g *Graph) Init(seed uint64) {
	for _, n := range g.Nodes[1:] {
		if in, ok := n.Layer.(ops.Initializer); ok {
			h := fnv.New64a()
			h.Write([]byte(n.Name))
			in.Init(rand.New(rand.NewPCG(seed, h.Sum64())))
		}
	}
}

// Forward runs the graph on x of shape [N, input...]. Intermediate tensors
// are dropped after their last consumer.
func (g *Graph) Forward(ctx *ops.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
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
	vals := make([]*tensor.Tensor, len(g.Nodes))
	vals[0] = x
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
		out := tensor.New(s...)
		start := time.Now()
		if err := n.Layer.Forward(ctx, out, ins); err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", g.Name, n.Name, err)
		}
		if ctx.Trace != nil {
			ctx.Trace(n.Name, time.Since(start))
		}
		vals[n.Index] = out
		for _, in := range n.Inputs {
			if uses[in.Index]--; uses[in.Index] == 0 && in.Index != 0 {
				vals[in.Index] = nil
			}
		}
	}
	return vals[g.Output.Index], nil
}
