package ops

import (
	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// BackwardNeeds implements Backwarder.
func (d *Dense) BackwardNeeds() (inputs, output bool) { return true, false }

// Backward implements Backwarder with two GEMMs: dX (N×In) = dY (N×Out)·W
// (Out×In), dW += dYᵀ·X, and db += Σ_n dY.
func (d *Dense) Backward(ctx *Context, g *Grad) error {
	nParams := 1
	if d.Bias != nil {
		nParams = 2
	}
	checkGrad("Dense", g, 1, nParams)
	n := g.DOut.Shape[0]
	dy := g.DOut.Data
	a := ctx.arena()
	if dx := g.DIn[0]; dx != nil {
		ws := a.Get(slotGemm, gemm.WorkspaceSize(n, d.In, d.Out))
		gemm.Sgemm(false, false, n, d.In, d.Out, 1, dy, d.Out, d.Weight.Data, d.In, 0, dx.Data, d.In, ws, ctx.Threads)
	}
	if dw := g.DParams[0]; dw != nil {
		ws := a.Get(slotGemm, gemm.WorkspaceSize(d.Out, d.In, n))
		gemm.Sgemm(true, false, d.Out, d.In, n, 1, dy, d.Out, g.In[0].Data, d.In, 1, dw.Data, d.In, ws, ctx.Threads)
	}
	if nParams == 2 && g.DParams[1] != nil {
		db := g.DParams[1].Data
		parallel.For(d.Out, ctx.Threads, func(lo, hi int) {
			for o := lo; o < hi; o++ {
				var s float64
				for b := 0; b < n; b++ {
					s += float64(dy[b*d.Out+o])
				}
				db[o] += float32(s)
			}
		})
	}
	return nil
}
