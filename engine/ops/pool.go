package ops

import (
	"fmt"
	"math"

	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Pool2D is max or average pooling with PyTorch's semantics: symmetric
// padding, optional ceil mode (a last window may start in the right/bottom
// padding but not beyond it), and for averages count_include_pad (the
// divisor counts padded taps inside the padded input, as PyTorch's default).
type Pool2D struct {
	Max             bool
	K, Stride, Pad  int
	Ceil            bool
	CountIncludePad bool
}

// MaxPool2D returns a k×k max pooling with the given stride and padding.
func MaxPool2D(k, stride, pad int) *Pool2D { return &Pool2D{Max: true, K: k, Stride: stride, Pad: pad} }

// AvgPool2D returns a k×k average pooling (count_include_pad=true).
func AvgPool2D(k, stride, pad int) *Pool2D {
	return &Pool2D{K: k, Stride: stride, Pad: pad, CountIncludePad: true}
}

// CeilMode switches the layer to ceil mode and returns it.
func (p *Pool2D) CeilMode() *Pool2D { p.Ceil = true; return p }

func (p *Pool2D) Type() string {
	if p.Max {
		return "MaxPool2D"
	}
	return "AvgPool2D"
}

func (p *Pool2D) outLen(n int) int {
	span := n + 2*p.Pad - p.K
	var o int
	if p.Ceil {
		o = (span+p.Stride-1)/p.Stride + 1
		if (o-1)*p.Stride >= n+p.Pad {
			o--
		}
	} else {
		o = span/p.Stride + 1
	}
	return o
}

func (p *Pool2D) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want(p.Type(), in, 1, 4); err != nil {
		return nil, err
	}
	if p.Pad*2 > p.K {
		return nil, fmt.Errorf("%s: padding %d larger than half the %d kernel", p.Type(), p.Pad, p.K)
	}
	s := in[0]
	oh, ow := p.outLen(s[2]), p.outLen(s[3])
	if s[2]+2*p.Pad < p.K || s[3]+2*p.Pad < p.K || oh < 1 || ow < 1 {
		return nil, fmt.Errorf("%s: %dx%d window larger than the %dx%d input", p.Type(), p.K, p.K, s[2], s[3])
	}
	return tensor.Shape{s[0], s[1], oh, ow}, nil
}

func (p *Pool2D) Params() []Param { return nil }

func (p *Pool2D) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	per := int64(p.K * p.K)
	if !p.Max {
		per++
	}
	return Cost{OtherOps: per * int64(out.Numel())}
}

func (p *Pool2D) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	s, o := in[0].Shape, out.Shape
	h, w, oh, ow := s[2], s[3], o[2], o[3]
	x := in[0].Data
	if p.Max {
		p.maxPlanes(ctx, out.Data, x, s[0]*s[1], h, w, oh, ow)
		return nil
	}
	parallel.For(s[0]*s[1], ctx.Threads, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			src := x[nc*h*w : (nc+1)*h*w]
			dst := out.Data[nc*oh*ow : (nc+1)*oh*ow]
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
					if p.Max {
						m := float32(math.Inf(-1))
						for iy := y0; iy < y1; iy++ {
							for ix := x0; ix < x1; ix++ {
								if v := src[iy*w+ix]; v > m || v != v {
									m = v
								}
							}
						}
						dst[y*ow+xo] = m
						continue
					}
					var sum float32
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							sum += src[iy*w+ix]
						}
					}
					div := poolArea
					if !p.CountIncludePad {
						div = (y1 - y0) * (x1 - x0)
					}
					dst[y*ow+xo] = sum / float32(div)
				}
			}
		}
	})
	return nil
}

// maxPlanes is max pooling done separably: each input row is first
// reduced over the horizontal windows into rows[iy][xo], then each output
// is the max of its window's rows: 2K instead of K² comparisons per output
// (3×3 stride 2: 6 instead of 9, and simple loops). The builtin max
// propagates NaN like PyTorch; padding never wins (it is −∞).
func (p *Pool2D) maxPlanes(ctx *Context, out, x []float32, planes, h, w, oh, ow int) {
	parallel.For(planes, ctx.Threads, func(lo, hi int) {
		rows := make([]float32, h*ow)
		for nc := lo; nc < hi; nc++ {
			src := x[nc*h*w : (nc+1)*h*w]
			dst := out[nc*oh*ow : (nc+1)*oh*ow]
			for iy := 0; iy < h; iy++ {
				line, r := src[iy*w:(iy+1)*w], rows[iy*ow:(iy+1)*ow]
				xo := 0
				if p.K == 2 && p.Stride == 2 && p.Pad == 0 { // VGG, AlexNet-style 2×2
					for ; xo < ow && 2*xo+1 < w; xo++ {
						r[xo] = max(line[2*xo], line[2*xo+1])
					}
				}
				for ; xo < ow; xo++ {
					x0 := xo*p.Stride - p.Pad
					x1 := min(x0+p.K, w)
					x0 = max(x0, 0)
					m := line[x0]
					for x := x0 + 1; x < x1; x++ {
						m = max(m, line[x])
					}
					r[xo] = m
				}
			}
			for y := 0; y < oh; y++ {
				y0 := y*p.Stride - p.Pad
				y1 := min(y0+p.K, h)
				y0 = max(y0, 0)
				d := dst[y*ow : (y+1)*ow]
				copy(d, rows[y0*ow:(y0+1)*ow])
				for iy := y0 + 1; iy < y1; iy++ {
					r := rows[iy*ow : (iy+1)*ow]
					for xo, v := range r {
						d[xo] = max(d[xo], v)
					}
				}
			}
		}
	})
}

// sum8 sums x with eight interleaved partial sums (element i goes to sum
// i mod 8), added pairwise at the end: eight independent add chains instead
// of one, so the loop runs at the adder's throughput, not its latency.
func sum8(x []float32) float32 {
	var s [8]float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		s[0] += v[0]
		s[1] += v[1]
		s[2] += v[2]
		s[3] += v[3]
		s[4] += v[4]
		s[5] += v[5]
		s[6] += v[6]
		s[7] += v[7]
	}
	for j := 0; i < len(x); i, j = i+1, j+1 {
		s[j] += x[i]
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

// AdaptiveAvgPool2D averages to a fixed OutH×OutW output (PyTorch's bins:
// start ⌊i·H/OH⌋, end ⌈(i+1)·H/OH⌉). GlobalAvgPool is the 1×1 case.
type AdaptiveAvgPool2D struct{ OutH, OutW int }

// GlobalAvgPool returns an adaptive pooling to 1×1.
func GlobalAvgPool() *AdaptiveAvgPool2D { return &AdaptiveAvgPool2D{1, 1} }

func (a *AdaptiveAvgPool2D) Type() string {
	if a.OutH == 1 && a.OutW == 1 {
		return "GlobalAvgPool"
	}
	return "AdaptiveAvgPool2D"
}

func (a *AdaptiveAvgPool2D) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := want(a.Type(), in, 1, 4); err != nil {
		return nil, err
	}
	return tensor.Shape{in[0][0], in[0][1], a.OutH, a.OutW}, nil
}

func (a *AdaptiveAvgPool2D) Params() []Param { return nil }

func (a *AdaptiveAvgPool2D) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	s := in[0]
	// every input element is added once per bin covering it (≈ once), plus a division per output
	return Cost{OtherOps: int64(s.Numel()) + int64(out.Numel())}
}

func (a *AdaptiveAvgPool2D) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	s := in[0].Shape
	h, w := s[2], s[3]
	x := in[0].Data
	parallel.For(s[0]*s[1], ctx.Threads, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			src := x[nc*h*w : (nc+1)*h*w]
			dst := out.Data[nc*a.OutH*a.OutW : (nc+1)*a.OutH*a.OutW]
			if a.OutH == 1 && a.OutW == 1 { // global: one long sum
				dst[0] = sum8(src) / float32(h*w)
				continue
			}
			for i := 0; i < a.OutH; i++ {
				y0, y1 := i*h/a.OutH, ((i+1)*h+a.OutH-1)/a.OutH
				for j := 0; j < a.OutW; j++ {
					x0, x1 := j*w/a.OutW, ((j+1)*w+a.OutW-1)/a.OutW
					var sum float32
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							sum += src[iy*w+ix]
						}
					}
					dst[i*a.OutW+j] = sum / float32((y1-y0)*(x1-x0))
				}
			}
		}
	})
	return nil
}
