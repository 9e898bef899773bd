package architectures

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/ops"
)

// BackwardNeeds implements ops.Backwarder: ShortcutA is a fixed selection.
func (s *ShortcutA) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements ops.Backwarder: the gradient of each kept input
// element (every Stride-th row and column) is the output gradient of the
// channel it moved to; the other elements, and the zero-padded channels,
// get nothing.
func (s *ShortcutA) Backward(ctx *ops.Context, g *ops.Grad) error {
	if len(g.DIn) != 1 || len(g.DParams) != 0 {
		return fmt.Errorf("ShortcutA: backward with %d input and %d parameter gradients, want 1 and 0", len(g.DIn), len(g.DParams))
	}
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	n, c, h, w := dx.Shape[0], dx.Shape[1], dx.Shape[2], dx.Shape[3]
	oc, oh, ow := g.DOut.Shape[1], g.DOut.Shape[2], g.DOut.Shape[3]
	clear(dx.Data)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			dst := dx.Data[(b*c+ch)*h*w:]
			src := g.DOut.Data[(b*oc+s.Front+ch)*oh*ow:]
			for y := 0; y < oh; y++ {
				for xo := 0; xo < ow; xo++ {
					dst[y*s.Stride*w+xo*s.Stride] = src[y*ow+xo]
				}
			}
		}
	}
	return nil
}
