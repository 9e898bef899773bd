package graph

import (
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/ops"
)

// Fusion: the inference rewrites that let a convolution finish its own
// output (engine/conv's epilogues) instead of leaving it to later passes
// over memory. Fuse applies, in order:
//
//  1. FoldBatchNorm: BN after a convolution becomes the convolution's
//     scale and bias;
//  2. a ReLU, ReLU6, SiLU or Sigmoid that is the only reader of a
//     convolution becomes its epilogue activation (Conv2D.Act);
//  3. an Add whose inputs are a convolution read by nothing else and an
//     operand computed before it becomes the convolution's residual input
//     (Conv2D.Residual), and an activation after that Add fuses as in 2:
//     ResNet's relu(bn3(conv3(y)) + shortcut) is one convolution;
//  4. an activation that is the only reader of a BatchNorm that could not
//     be folded (DenseNet's BN-ReLU before each convolution) becomes the
//     BN's activation (BatchNorm2D.Act): one pass instead of two.
//
// Absorbed nodes stay in the graph as Identity (their names and shapes
// still show in summaries) but nothing reads them any more. Like
// FoldBatchNorm, Fuse is for inference: a fused graph has no backward pass
// and its State no longer has torchvision's keys. It returns how many BNs,
// activations and residual adds were fused.
func (g *Graph) Fuse() (bns, acts, adds int) {
	bns = g.FoldBatchNorm()
	g.bypassIdentities()
	for _, n := range g.Nodes[1:] {
		if bn, ok := n.Layer.(*ops.BatchNorm2D); ok && bn.Act == kernels.ActNone {
			if r := g.soleReader(n); r != nil {
				if a, ok := r.Layer.(*ops.Activation); ok {
					if act, ok := a.Kind.Epilogue(); ok {
						bn.Act = act
						g.absorb(n, r)
						acts++
					}
				}
			}
			continue
		}
		c, ok := n.Layer.(*ops.Conv2D)
		if !ok || c.Act != kernels.ActNone || c.Residual {
			continue
		}
		for {
			r := g.soleReader(n)
			if r == nil {
				break
			}
			if a, ok := r.Layer.(*ops.Activation); ok && c.Act == kernels.ActNone {
				act, ok := a.Kind.Epilogue()
				if !ok {
					break
				}
				c.Act = act
				g.absorb(n, r)
				acts++
				continue
			}
			if _, ok := r.Layer.(ops.Add); ok && !c.Residual && c.Act == kernels.ActNone && len(r.Inputs) == 2 {
				other := r.Inputs[0]
				if other == n {
					other = r.Inputs[1]
				}
				if other == n || other.Index > n.Index || !other.Shape.Equal(n.Shape) {
					break
				}
				c.Residual = true
				n.Inputs = append(n.Inputs, other)
				r.Inputs = []*Node{n}
				g.absorb(n, r)
				adds++
				continue
			}
			break
		}
	}
	return bns, acts, adds
}

// soleReader returns the only node reading n, or nil when n has several
// readers, none, or is the graph's output. Identity nodes do not count:
// during Fuse they are all bypassed (read by nothing).
func (g *Graph) soleReader(n *Node) *Node {
	if n == g.Output {
		return nil
	}
	var r *Node
	for _, m := range g.Nodes[n.Index+1:] {
		if _, ok := m.Layer.(ops.Identity); ok {
			continue
		}
		for _, in := range m.Inputs {
			if in == n {
				if r != nil {
					return nil
				}
				r = m
			}
		}
	}
	return r
}

// absorb makes node r (now computed by n) an Identity of n and points every
// reader of r, and the output, at n.
func (g *Graph) absorb(n, r *Node) {
	r.Layer = ops.Identity{}
	r.Inputs = []*Node{n}
	g.redirect(r, n)
}

// redirect points every reader of from, and the output, at to.
func (g *Graph) redirect(from, to *Node) {
	for _, m := range g.Nodes[from.Index+1:] {
		for i, in := range m.Inputs {
			if in == from {
				m.Inputs[i] = to
			}
		}
	}
	if g.Output == from {
		g.Output = to
	}
}

// bypassIdentities points the readers of every Identity node at the
// Identity's input, so that fusion sees through folded BNs.
func (g *Graph) bypassIdentities() {
	for _, n := range g.Nodes[1:] {
		if _, ok := n.Layer.(ops.Identity); ok && len(n.Inputs) == 1 {
			g.redirect(n, n.Inputs[0])
		}
	}
}
