package conv

// Epilogues: what a layer does to a convolution's output before anything
// else reads it, fused into the convolution so that it runs while the output
// is in cache instead of as extra passes over memory:
//
//	out[n,o,y,x] = act(conv(in)[n,o,y,x] + bias[o] + residual[n,o,y,x])
//
// The activation and the optional residual (ResNet's shortcut, an inverted
// residual's input) come from the layers that graph.Fuse folds into the
// convolution. The sums are taken in that order in float32; plans that
// implement EpiloguePlan apply the epilogue to blocks of output as the GEMM
// finishes them (gemm.Finisher), the others (Forward below) in one pass
// after the convolution. Either way each element is computed from itself
// alone, so results stay independent of the thread count. Cost: one
// kernels.Set.Epilogue call per output row segment; no extra memory.

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// Epilogue is the fused tail of a convolution.
type Epilogue struct {
	// Act is applied last (kernels.ActNone: none).
	Act kernels.Act
	// Residual, when not nil, holds Params.OutLen() elements added to the
	// output (in the output's layout) before the activation.
	Residual []float32
}

// None reports whether e leaves the output as it is.
func (e Epilogue) None() bool { return e.Act == kernels.ActNone && e.Residual == nil }

// String describes e, e.g. "+residual,relu"; "" for none.
func (e Epilogue) String() string {
	s := ""
	if e.Residual != nil {
		s = "+residual"
	}
	if e.Act != kernels.ActNone {
		if s != "" {
			s += ","
		}
		s += e.Act.String()
	}
	return s
}

// EpiloguePlan is a Plan that applies an epilogue itself, on blocks of
// output while they are in cache. ForwardEpilogue with a None epilogue is
// Forward.
type EpiloguePlan interface {
	Plan
	ForwardEpilogue(out, in, ws []float32, threads int, e Epilogue)
}

// Forward runs pl with the epilogue e: out = act(conv(in) + bias +
// e.Residual). Plans without their own epilogue run Forward and then one
// pass of the active kernel set's epilogue over out.
func Forward(pl Plan, out, in, ws []float32, threads int, e Epilogue) {
	if e.None() {
		pl.Forward(out, in, ws, threads)
		return
	}
	p := pl.Params()
	if e.Residual != nil && len(e.Residual) < p.OutLen() {
		panic(fmt.Sprintf("conv.Forward: residual has %d elements, want %d", len(e.Residual), p.OutLen()))
	}
	if ep, ok := pl.(EpiloguePlan); ok {
		ep.ForwardEpilogue(out, in, ws, threads, e)
		return
	}
	pl.Forward(out, in, ws, threads)
	applyEpilogue(kernels.Active(), p, out, e, threads)
}

// applyEpilogue applies e to the whole of out (the bias is already in it),
// one output plane per step, split over threads.
func applyEpilogue(set *kernels.Set, p Params, out []float32, e Epilogue, threads int) {
	hw := p.OutH() * p.OutW()
	parallel.For(p.N*p.Cout, copyThreads(p.OutLen(), threads), func(lo, hi int) {
		for no := lo; no < hi; no++ {
			plane := out[no*hw : (no+1)*hw]
			var res []float32
			if e.Residual != nil {
				res = e.Residual[no*hw : (no+1)*hw]
			}
			set.Epilogue(plane, plane, res, 0, e.Act)
		}
	})
}

// rowFinisher returns a gemm.Finisher that applies bias (one per row of C,
// or nil), the residual res (C's layout, or nil) and act to each finished
// block of C (row r at c[r·ldc:]), or nil when there is nothing to apply.
func rowFinisher(set *kernels.Set, c []float32, ldc int, bias, res []float32, act kernels.Act) gemm.Finisher {
	if bias == nil && res == nil && act == kernels.ActNone {
		return nil
	}
	return func(r0, r1, c0, c1 int) {
		var b float32
		var rr []float32
		for r := r0; r < r1; r++ {
			row := c[r*ldc+c0 : r*ldc+c1]
			if bias != nil {
				b = bias[r]
			}
			if res != nil {
				rr = res[r*ldc+c0 : r*ldc+c1]
			}
			set.Epilogue(row, row, rr, b, act)
		}
	}
}
