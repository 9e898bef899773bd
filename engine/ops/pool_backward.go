package ops

import (
	"math"

	"github.com/cnnbench/cnnbench/engine/parallel"
)

// BackwardNeeds implements Backwarder: max pooling finds the winners in its
// input again; average pooling reads neither tensor.
func (p *Pool2D) BackwardNeeds() (inputs, output bool) { return p.Max, false }

// Backward implements Backwarder with Forward's windows (padding, ceil
// mode). Max pooling routes each output's gradient to the first maximum of
// its window in row-major order (the element Forward picked; PyTorch picks
// the same one); overlapping windows add up. Average pooling spreads dy/div
// over the window's taps inside the image, div counting padded taps when
// CountIncludePad, as Forward.
func (p *Pool2D) Backward(ctx *Context, g *Grad) error {
	checkGrad(p.Type(), g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	s, o := dx.Shape, g.DOut.Shape
	h, w, oh, ow := s[2], s[3], o[2], o[3]
	var x []float32
	if p.Max {
		x = g.In[0].Data
	}
	parallel.For(s[0]*s[1], ctx.Threads, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			dst := dx.Data[nc*h*w : (nc+1)*h*w]
			clear(dst)
			dy := g.DOut.Data[nc*oh*ow : (nc+1)*oh*ow]
			var src []float32
			if p.Max {
				src = x[nc*h*w : (nc+1)*h*w]
			}
			for y := 0; y < oh; y++ {
				y0 := y*p.Stride - p.Pad
				y1 := min(y0+p.K, h+p.Pad)
				pool := y1 - y0
				y0, y1 = max(y0, 0), min(y1, h)
				for xo := 0; xo < ow; xo++ {
					x0 := xo*p.Stride - p.Pad
					x1 := min(x0+p.K, w+p.Pad)
					poolArea := pool * (x1 - x0)
					x0, x1 = max(x0, 0), min(x1, w)
					d := dy[y*ow+xo]
					if p.Max {
						m, at := float32(math.Inf(-1)), -1
						for iy := y0; iy < y1; iy++ {
							for ix := x0; ix < x1; ix++ {
								if v := src[iy*w+ix]; at < 0 || v > m || (v != v && m == m) {
									m, at = v, iy*w+ix
								}
							}
						}
						if at >= 0 {
							dst[at] += d
						}
						continue
					}
					div := poolArea
					if !p.CountIncludePad {
						div = (y1 - y0) * (x1 - x0)
					}
					v := d / float32(div)
					for iy := y0; iy < y1; iy++ {
						row := dst[iy*w : (iy+1)*w]
						for ix := x0; ix < x1; ix++ {
							row[ix] += v
						}
					}
				}
			}
		}
	})
	return nil
}

// BackwardNeeds implements Backwarder.
func (a *AdaptiveAvgPool2D) BackwardNeeds() (inputs, output bool) { return false, false }

// Backward implements Backwarder: each bin's gradient spread evenly over
// its (possibly overlapping) input window.
func (a *AdaptiveAvgPool2D) Backward(ctx *Context, g *Grad) error {
	checkGrad(a.Type(), g, 1, 0)
	dx := g.DIn[0]
	if dx == nil {
		return nil
	}
	s := dx.Shape
	h, w := s[2], s[3]
	parallel.For(s[0]*s[1], ctx.Threads, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			dst := dx.Data[nc*h*w : (nc+1)*h*w]
			clear(dst)
			dy := g.DOut.Data[nc*a.OutH*a.OutW : (nc+1)*a.OutH*a.OutW]
			for i := 0; i < a.OutH; i++ {
				y0, y1 := i*h/a.OutH, ((i+1)*h+a.OutH-1)/a.OutH
				for j := 0; j < a.OutW; j++ {
					x0, x1 := j*w/a.OutW, ((j+1)*w+a.OutW-1)/a.OutW
					v := dy[i*a.OutW+j] / float32((y1-y0)*(x1-x0))
					for iy := y0; iy < y1; iy++ {
						row := dst[iy*w : (iy+1)*w]
						for ix := x0; ix < x1; ix++ {
							row[ix] += v
						}
					}
				}
			}
		}
	})
	return nil
}
