package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Entry is one state-dict tensor: Key is torchvision's state_dict() key.
type Entry struct {
	Key    string
	T      *tensor.Tensor
	Buffer bool
}

// State lists every parameter and buffer in state-dict order.
func (g *Graph) State() []Entry {
	var out []Entry
	for _, n := range g.Nodes[1:] {
		for _, p := range n.Layer.Params() {
			out = append(out, Entry{Key: n.Name + "." + p.Name, T: p.T, Buffer: p.Buffer})
		}
	}
	return out
}

// Load copies tensors into the graph's parameters. Every key of the state
// must be present with the right shape and finite values, and no key may be
// left over; errors name the tensor.
func (g *Graph) Load(tensors map[string]*tensor.Tensor) error {
	state := g.State()
	known := make(map[string]bool, len(state))
	for _, e := range state {
		known[e.Key] = true
		t, ok := tensors[e.Key]
		if !ok {
			return fmt.Errorf("%s: missing tensor %q (shape %v)", g.Name, e.Key, e.T.Shape)
		}
		if !t.Shape.Equal(e.T.Shape) {
			return fmt.Errorf("%s: tensor %q has shape %v, want %v", g.Name, e.Key, t.Shape, e.T.Shape)
		}
		if i := t.FirstNonFinite(); i >= 0 {
			return fmt.Errorf("%s: tensor %q: non-finite value %v at index %d", g.Name, e.Key, t.Data[i], i)
		}
	}
	var extra []string
	for k := range tensors {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		more := ""
		if len(extra) > 3 {
			more = fmt.Sprintf(" and %d more", len(extra)-3)
			extra = extra[:3]
		}
		return fmt.Errorf("%s: unexpected tensor %s%s", g.Name, strings.Join(quote(extra), ", "), more)
	}
	for _, e := range state {
		copy(e.T.Data, tensors[e.Key].Data)
	}
	for _, n := range g.Nodes[1:] {
		if r, ok := n.Layer.(interface{ Reset() }); ok {
			r.Reset()
		}
	}
	return nil
}

func quote(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// LayerInfo is one row of a per-layer summary.
type LayerInfo struct {
	Name     string
	Type     string
	Shape    tensor.Shape // output, batch 1
	Params   int64
	Buffers  int64
	Cost     ops.Cost
	Algo     string // convolution algorithm used last ("" when not a conv or not run)
	IsConv   bool
	IsLinear bool
}

// Summary lists every layer with its accounting at batch 1.
func (g *Graph) Summary() []LayerInfo {
	out := make([]LayerInfo, 0, len(g.Nodes)-1)
	for _, n := range g.Nodes[1:] {
		shapes := make([]tensor.Shape, len(n.Inputs))
		for i, in := range n.Inputs {
			shapes[i] = in.Shape
		}
		tr, buf := ops.ParamCount(n.Layer)
		li := LayerInfo{Name: n.Name, Type: n.Layer.Type(), Shape: n.Shape, Params: tr, Buffers: buf,
			Cost: n.Layer.Cost(shapes, n.Shape)}
		switch l := n.Layer.(type) {
		case *ops.Conv2D:
			li.IsConv, li.Algo = true, l.UsedAlgo()
		case *ops.Dense:
			li.IsLinear = true
		}
		out = append(out, li)
	}
	return out
}

// Totals is the whole model's accounting at batch 1 (DESIGN.md §4).
type Totals struct {
	Params      int64 // trainable
	Buffers     int64 // BN running statistics and other fixed state
	MACs        int64 // conv + linear
	OtherOps    int64
	Activations int64 // output elements of conv and linear layers
}

// FLOPs is 2·MACs.
func (t Totals) FLOPs() int64 { return 2 * t.MACs }

// Totals sums the summary.
func (g *Graph) Totals() Totals {
	var t Totals
	for _, li := range g.Summary() {
		t.Params += li.Params
		t.Buffers += li.Buffers
		t.MACs += li.Cost.MACs
		t.OtherOps += li.Cost.OtherOps
		if li.IsConv || li.IsLinear {
			t.Activations += int64(li.Shape.Numel())
		}
	}
	return t
}
