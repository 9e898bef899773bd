package ops

// Conv2D's backward pass.
//
// With cols the im2col matrix of an image and group (K = (Cin/G)·KH·KW rows,
// Ho·Wo columns, see engine/conv/im2col.go) and dY_g the group's Cout/G ×
// Ho·Wo output gradient:
//
//	weight gradient (a correlation of input and dY):    dW_g += dY_g · colsᵀ
//	data gradient (a transposed convolution):           dX_g  = col2im(W_gᵀ · dY_g)
//	bias gradient:                                      db    += Σ_{n,y,x} dY
//
// Both products run on engine/gemm over chunks of images at once (the
// columns of several images side by side, at most maxColElems elements of
// columns per chunk, so they stay in cache between im2col, the GEMMs and
// col2im; the chunking depends only on the shape). The weight gradient is
// computed transposed, dW_gᵀ = cols·dY_gᵀ, and added into dW. col2im
// scatters each column back onto the input taps it was copied from, adding
// where windows overlap. Depthwise convolutions (Groups == Cin > 1), whose
// GEMMs would have a single row, run direct loops instead.
//
// Sparse connections (LeNet-5's C3): the data gradient uses the masked
// weights the forward pass used, and the weight gradient of an absent
// connection is zero.
//
// Threads: im2col is split over rows of the column matrix, col2im over input
// channels, the GEMMs over blocks of their outputs, the depthwise loops over
// (image, channel) planes for dX and over filters for dW; every sum runs in a
// fixed order, so the gradients are bitwise identical for any thread count.

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// Arena slots of the backward passes (slot 0 is the forward workspace).
const (
	slotCols = 1 + iota
	slotDCols
	slotDY
	slotGemm
	slotDWT
)

// maxColElems bounds the column matrix of one backward chunk (1 MiB, about
// an L2 cache, so col2im reads what the GEMM just wrote); a
// variable so tests can force several chunks.
var maxColElems = 1 << 18

// BackwardNeeds implements Backwarder.
func (c *Conv2D) BackwardNeeds() (inputs, output bool) { return true, false }

// Backward implements Backwarder; see the file comment.
func (c *Conv2D) Backward(ctx *Context, g *Grad) error {
	if f := c.Fused(); f != "" {
		return fmt.Errorf("Conv2D: no backward pass with a fused epilogue (%s): train the graph before graph.Fuse", f)
	}
	nParams := 1
	if c.Bias != nil {
		nParams = 2
	}
	checkGrad("Conv2D", g, 1, nParams)
	p := c.Problem(g.In[0].Shape)
	if err := p.Validate(); err != nil {
		return err
	}
	x, dy := g.In[0].Data, g.DOut.Data
	var dx, dw []float32
	if g.DIn[0] != nil {
		dx = g.DIn[0].Data
	}
	if g.DParams[0] != nil {
		dw = g.DParams[0].Data
	}
	hw := p.OutH() * p.OutW()
	if nParams == 2 && g.DParams[1] != nil {
		db := g.DParams[1].Data
		parallel.For(p.Cout, ctx.Threads, func(lo, hi int) {
			for o := lo; o < hi; o++ {
				var s float64
				for n := 0; n < p.N; n++ {
					for _, v := range dy[(n*p.Cout+o)*hw : (n*p.Cout+o+1)*hw] {
						s += float64(v)
					}
				}
				db[o] += float32(s)
			}
		})
	}
	if dx == nil && dw == nil {
		return nil
	}
	// Absent connections get no gradient: keep what their entries held.
	var kept []float32
	if c.Connections != nil && dw != nil {
		c.eachAbsent(func(w []float32) { kept = append(kept, w...) }, dw)
	}
	if p.Depthwise() {
		c.backwardDepthwise(ctx, p, x, dy, dx, dw)
	} else {
		c.backwardGemm(ctx, p, x, dy, dx, dw)
	}
	if kept != nil {
		c.eachAbsent(func(w []float32) { kept = kept[copy(w, kept):] }, dw)
	}
	return nil
}

// eachAbsent calls f with the KH·KW slice of w of every absent connection.
func (c *Conv2D) eachAbsent(f func(w []float32), w []float32) {
	k := c.KH * c.KW
	cin := c.Cin / c.Groups
	for o, row := range c.Connections {
		for i, on := range row {
			if !on {
				f(w[(o*cin+i)*k : (o*cin+i+1)*k])
			}
		}
	}
}

// backwardGemm computes dx (overwritten) and dw (accumulated), either may
// be nil, with im2col and GEMM over chunks of images.
func (c *Conv2D) backwardGemm(ctx *Context, p conv.Params, x, dy, dx, dw []float32) {
	hw := p.OutH() * p.OutW()
	cinG, coutG := p.Cin/p.Groups, p.Cout/p.Groups
	k := cinG * p.KH * p.KW
	nb := max(1, min(p.N, maxColElems/max(k*hw, 1)))
	a := ctx.arena()
	var cols, dcols []float32
	if dw != nil {
		cols = a.Get(slotCols, k*nb*hw)
	}
	if dx != nil {
		dcols = a.Get(slotDCols, k*nb*hw)
	}
	var dyb []float32
	if nb > 1 {
		dyb = a.Get(slotDY, coutG*nb*hw)
	}
	gws := a.Get(slotGemm, max(gemm.WorkspaceSize(k, coutG, nb*hw), gemm.WorkspaceSize(k, nb*hw, coutG)))
	var dwt []float32
	if dw != nil {
		dwt = a.Get(slotDWT, k*coutG)
	}
	var w []float32
	if dx != nil {
		w = c.weights()
	}
	inPlane, outPlane := p.H*p.W, hw
	for n0 := 0; n0 < p.N; n0 += nb {
		m := min(nb, p.N-n0)
		ld := m * hw
		for g := 0; g < p.Groups; g++ {
			// dY_g for images n0..n0+m−1 as one coutG × m·hw matrix.
			var dyg []float32
			if m == 1 {
				dyg = dy[(n0*p.Cout+g*coutG)*outPlane : (n0*p.Cout+(g+1)*coutG)*outPlane]
			} else {
				dyg = dyb[:coutG*ld]
				parallel.For(coutG, copyThreads(coutG*ld, ctx.Threads), func(lo, hi int) {
					for o := lo; o < hi; o++ {
						for b := 0; b < m; b++ {
							src := dy[((n0+b)*p.Cout+g*coutG+o)*outPlane:]
							copy(dyg[o*ld+b*hw:o*ld+(b+1)*hw], src[:hw])
						}
					}
				})
			}
			if dw != nil {
				for b := 0; b < m; b++ {
					src := x[((n0+b)*p.Cin+g*cinG)*inPlane : ((n0+b)*p.Cin+(g+1)*cinG)*inPlane]
					conv.ExpandColumns(p, cols[:k*ld], ld, b*hw, src, ctx.Threads)
				}
				// dW_gᵀ = cols·dY_gᵀ: the big operand (cols) is the
				// left one, which the GEMM packs fastest.
				gemm.Sgemm(false, true, k, coutG, ld, 1, cols, ld, dyg, ld, 0, dwt, coutG, gws, ctx.Threads)
				dwg := dw[g*coutG*k : (g+1)*coutG*k]
				for o := 0; o < coutG; o++ {
					row := dwg[o*k : (o+1)*k]
					for r := range row {
						row[r] += dwt[r*coutG+o]
					}
				}
			}
			if dx != nil {
				gemm.Sgemm(true, false, k, ld, coutG, 1, w[g*coutG*k:(g+1)*coutG*k], k, dyg, ld, 0,
					dcols[:k*ld], ld, gws, ctx.Threads)
				for b := 0; b < m; b++ {
					dst := dx[((n0+b)*p.Cin+g*cinG)*inPlane : ((n0+b)*p.Cin+(g+1)*cinG)*inPlane]
					col2imFrom(p, dcols[:k*ld], ld, b*hw, dst, ctx.Threads)
				}
			}
		}
	}
}

// outRange returns the output columns x in [x0, x1) whose tap at offset
// off = j·dW − pL reads inside a row of width w: 0 ≤ x·s + off < w.
func outRange(off, s, w, wo int) (x0, x1 int) {
	if off < 0 {
		x0 = min((-off+s-1)/s, wo)
	}
	if w-off > 0 {
		x1 = min((w-off+s-1)/s, wo)
	}
	return x0, max(x1, x0)
}

// col2imFrom is conv.ExpandColumns's adjoint: it sets dst (the Cin/G channel planes
// of one image and group) to the sum, over every column entry, of the entry
// at the input tap it came from. Split over channels; each channel adds its
// KH·KW rows in order.
func col2imFrom(p conv.Params, cols []float32, ld, off int, dst []float32, threads int) {
	ho, wo := p.OutH(), p.OutW()
	hw := ho * wo
	cinG := p.Cin / p.Groups
	parallel.For(cinG, copyThreads(cinG*p.KH*p.KW*hw, threads), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := dst[c*p.H*p.W : (c+1)*p.H*p.W]
			clear(plane)
			for i := 0; i < p.KH; i++ {
				for j := 0; j < p.KW; j++ {
					r := (c*p.KH+i)*p.KW + j
					src := cols[r*ld+off : r*ld+off+hw]
					xoff := j*p.DilW - p.PadL
					x0, x1 := outRange(xoff, p.StrideW, p.W, wo)
					for y := 0; y < ho; y++ {
						iy := y*p.StrideH - p.PadT + i*p.DilH
						if iy < 0 || iy >= p.H {
							continue
						}
						line := plane[iy*p.W : (iy+1)*p.W]
						row := src[y*wo : (y+1)*wo]
						if x1 <= x0 {
							continue
						}
						if p.StrideW == 1 {
							r := row[x0:x1]
							seg := line[x0+xoff : x1+xoff][:len(r)]
							for x, v := range r {
								seg[x] += v
							}
						} else {
							for x := x0; x < x1; x++ {
								line[x*p.StrideW+xoff] += row[x]
							}
						}
					}
				}
			}
		}
	})
}

// backwardDepthwise computes dx (overwritten) and dw (accumulated) of a
// depthwise convolution (Groups == Cin, channel multiplier Cout/Cin) with
// direct loops.
func (c *Conv2D) backwardDepthwise(ctx *Context, p conv.Params, x, dy, dx, dw []float32) {
	ho, wo := p.OutH(), p.OutW()
	hw := ho * wo
	mult := p.Cout / p.Cin
	k := p.KH * p.KW
	inPlane := p.H * p.W
	if dx != nil {
		w := c.weights()
		parallel.For(p.N*p.Cin, ctx.Threads, func(lo, hi int) {
			for nc := lo; nc < hi; nc++ {
				n, ch := nc/p.Cin, nc%p.Cin
				plane := dx[nc*inPlane : (nc+1)*inPlane]
				clear(plane)
				for o := ch * mult; o < (ch+1)*mult; o++ {
					wk := w[o*k : (o+1)*k]
					dyp := dy[(n*p.Cout+o)*hw : (n*p.Cout+o+1)*hw]
					for i := 0; i < p.KH; i++ {
						for j := 0; j < p.KW; j++ {
							wv := wk[i*p.KW+j]
							xoff := j*p.DilW - p.PadL
							x0, x1 := outRange(xoff, p.StrideW, p.W, wo)
							for y := 0; y < ho; y++ {
								iy := y*p.StrideH - p.PadT + i*p.DilH
								if iy < 0 || iy >= p.H {
									continue
								}
								line := plane[iy*p.W : (iy+1)*p.W]
								row := dyp[y*wo : (y+1)*wo]
								for xo := x0; xo < x1; xo++ {
									line[xo*p.StrideW+xoff] += row[xo] * wv
								}
							}
						}
					}
				}
			}
		})
	}
	if dw == nil {
		return
	}
	parallel.For(p.Cout, ctx.Threads, func(lo, hi int) {
		acc := make([]float64, k)
		for o := lo; o < hi; o++ {
			ch := o / mult
			clear(acc)
			for n := 0; n < p.N; n++ {
				plane := x[(n*p.Cin+ch)*inPlane : (n*p.Cin+ch+1)*inPlane]
				dyp := dy[(n*p.Cout+o)*hw : (n*p.Cout+o+1)*hw]
				for i := 0; i < p.KH; i++ {
					for j := 0; j < p.KW; j++ {
						xoff := j*p.DilW - p.PadL
						x0, x1 := outRange(xoff, p.StrideW, p.W, wo)
						var s float32
						for y := 0; y < ho; y++ {
							iy := y*p.StrideH - p.PadT + i*p.DilH
							if iy < 0 || iy >= p.H {
								continue
							}
							line := plane[iy*p.W : (iy+1)*p.W]
							row := dyp[y*wo : (y+1)*wo]
							for xo := x0; xo < x1; xo++ {
								s += row[xo] * line[xo*p.StrideW+xoff]
							}
						}
						acc[i*p.KW+j] += float64(s)
					}
				}
			}
			for t, v := range acc {
				dw[o*k+t] += float32(v)
			}
		}
	})
}

// copyThreads keeps small copies on one goroutine (as engine/conv does).
func copyThreads(elems, threads int) int {
	const minElemsPerThread = 1 << 14
	return max(1, min(parallel.Threads(threads), elems/minElemsPerThread))
}
