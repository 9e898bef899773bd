package graph

import (
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// FoldBatchNorm folds every eval-mode BatchNorm that directly follows a
// convolution (whose output nothing else reads) into that convolution:
// w' = w·γ/√(var+ε) per output channel and b' = (b − mean)·γ/√(var+ε) + β.
// The BN node becomes an Identity that forwards its input without a copy.
// It returns the number of BNs folded.
//
// Folding is an inference transformation: afterwards State() no longer has
// torchvision's keys (convs gain biases, folded BNs lose theirs), so fold
// after loading weights, never before saving them.
func (g *Graph) FoldBatchNorm() int {
	readers := make([]int, len(g.Nodes))
	for _, n := range g.Nodes[1:] {
		for _, in := range n.Inputs {
			readers[in.Index]++
		}
	}
	readers[g.Output.Index]++
	folded := 0
	for _, n := range g.Nodes[1:] {
		bn, ok := n.Layer.(*ops.BatchNorm2D)
		if !ok || len(n.Inputs) != 1 {
			continue
		}
		src := n.Inputs[0]
		c, ok := src.Layer.(*ops.Conv2D)
		if !ok || readers[src.Index] != 1 || c.Cout != bn.C {
			continue
		}
		scale, shift := bn.ScaleShift()
		per := c.Weight.Shape.Numel() / c.Cout
		for o := 0; o < c.Cout; o++ {
			w := c.Weight.Data[o*per : (o+1)*per]
			for i := range w {
				w[i] *= scale[o]
			}
		}
		if c.Bias == nil {
			c.Bias = tensor.New(c.Cout)
		}
		for o := range c.Bias.Data {
			c.Bias.Data[o] = c.Bias.Data[o]*scale[o] + shift[o]
		}
		c.Reset()
		n.Layer = ops.Identity{}
		folded++
	}
	return folded
}
