package conv

import (
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by every error an algorithm returns for a shape
// it cannot handle; the wrapping message names the constraint.
var ErrUnsupported = errors.New("unsupported")

// Params describes one convolution problem. Padding may be asymmetric
// (PadT/PadB rows above/below, PadL/PadR columns left/right); dilation 1 means
// none. Cin and Cout must be multiples of Groups.
type Params struct {
	N, Cin, H, W     int
	Cout, KH, KW     int
	StrideH, StrideW int
	PadT, PadB       int
	PadL, PadR       int
	DilH, DilW       int
	Groups           int
}

// OutH is the output height.
func (p Params) OutH() int { return (p.H+p.PadT+p.PadB-p.DilH*(p.KH-1)-1)/p.StrideH + 1 }

// OutW is the output width.
func (p Params) OutW() int { return (p.W+p.PadL+p.PadR-p.DilW*(p.KW-1)-1)/p.StrideW + 1 }

// InLen, OutLen and WeightLen are the element counts of the three tensors.
func (p Params) InLen() int     { return p.N * p.Cin * p.H * p.W }
func (p Params) OutLen() int    { return p.N * p.Cout * p.OutH() * p.OutW() }
func (p Params) WeightLen() int { return p.Cout * (p.Cin / p.Groups) * p.KH * p.KW }

// MACs is N·Cout·Ho·Wo·(Cin/groups)·KH·KW: padding taps included, bias excluded.
func (p Params) MACs() int64 {
	return int64(p.N) * int64(p.Cout) * int64(p.OutH()) * int64(p.OutW()) *
		int64(p.Cin/p.Groups) * int64(p.KH) * int64(p.KW)
}

// Depthwise reports whether every group has one input channel.
func (p Params) Depthwise() bool { return p.Groups == p.Cin && p.Groups > 1 }

// Validate reports a problem a user could cause (a shape that makes no sense).
func (p Params) Validate() error {
	switch {
	case p.N < 1 || p.Cin < 1 || p.H < 1 || p.W < 1:
		return fmt.Errorf("conv: input %dx%dx%dx%d must be positive", p.N, p.Cin, p.H, p.W)
	case p.Cout < 1 || p.KH < 1 || p.KW < 1:
		return fmt.Errorf("conv: %d filters of %dx%d must be positive", p.Cout, p.KH, p.KW)
	case p.StrideH < 1 || p.StrideW < 1 || p.DilH < 1 || p.DilW < 1:
		return fmt.Errorf("conv: stride %dx%d and dilation %dx%d must be ≥ 1", p.StrideH, p.StrideW, p.DilH, p.DilW)
	case p.PadT < 0 || p.PadB < 0 || p.PadL < 0 || p.PadR < 0:
		return fmt.Errorf("conv: negative padding")
	case p.Groups < 1 || p.Cin%p.Groups != 0 || p.Cout%p.Groups != 0:
		return fmt.Errorf("conv: %d groups must divide Cin=%d and Cout=%d", p.Groups, p.Cin, p.Cout)
	case p.H+p.PadT+p.PadB < p.DilH*(p.KH-1)+1 || p.W+p.PadL+p.PadR < p.DilW*(p.KW-1)+1:
		return fmt.Errorf("conv: %dx%d kernel (dilation %dx%d) larger than padded %dx%d input",
			p.KH, p.KW, p.DilH, p.DilW, p.H+p.PadT+p.PadB, p.W+p.PadL+p.PadR)
	}
	return nil
}

// String prints the problem in benchdnn-like form, e.g.
// "n1_c64x56x56_o64_k3x3_s1x1_p1x1x1x1_d1x1_g1".
func (p Params) String() string {
	return fmt.Sprintf("n%d_c%dx%dx%d_o%d_k%dx%d_s%dx%d_p%dx%dx%dx%d_d%dx%d_g%d",
		p.N, p.Cin, p.H, p.W, p.Cout, p.KH, p.KW, p.StrideH, p.StrideW,
		p.PadT, p.PadB, p.PadL, p.PadR, p.DilH, p.DilW, p.Groups)
}

// Unsupported returns an error wrapping ErrUnsupported for algorithm algo.
func Unsupported(algo, constraint string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", algo, ErrUnsupported, fmt.Sprintf(constraint, args...))
}
