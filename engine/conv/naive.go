package conv

// Naive: the textbook convolution, the oracle for every other algorithm.
//
// Computes out[n,o,y,x] = bias[o] + Σ_{c,i,j} in[n, g·Cin/G + c, y·s−p + i·d, x·s−p + j·d] · w[o,c,i,j]
// with zero padding, accumulating each output in float64 and rounding once.
// Supports every shape Params.Validate accepts (groups, depthwise, dilation,
// asymmetric padding). Cost: N·Cout·Ho·Wo·(Cin/G)·KH·KW multiply-adds, no
// workspace, no blocking: slow by design, exact to one float32 rounding.

import "github.com/cnnbench/cnnbench/engine/parallel"

// Naive is the float64-accumulating reference algorithm.
type Naive struct{}

func init() { Register(Naive{}) }

// Name implements Algorithm.
func (Naive) Name() string { return "naive" }

// Plan implements Algorithm.
func (Naive) Plan(p Params, weights, bias []float32) (Plan, error) {
	if err := checkPlanArgs(p, weights, bias); err != nil {
		return nil, err
	}
	return &naivePlan{p: p, w: weights, b: bias}, nil
}

type naivePlan struct {
	p    Params
	w, b []float32
}

func (pl *naivePlan) Workspace() int { return 0 }
func (pl *naivePlan) Params() Params { return pl.p }

func (pl *naivePlan) Forward(out, in, ws []float32, threads int) {
	p := pl.p
	checkForwardArgs("Naive", p, out, in, ws, 0)
	ho, wo := p.OutH(), p.OutW()
	cinG, coutG := p.Cin/p.Groups, p.Cout/p.Groups
	parallel.For(p.N*p.Cout, threads, func(lo, hi int) {
		for no := lo; no < hi; no++ {
			n, o := no/p.Cout, no%p.Cout
			g := o / coutG
			dst := out[no*ho*wo : (no+1)*ho*wo]
			for y := 0; y < ho; y++ {
				for x := 0; x < wo; x++ {
					var acc float64
					if pl.b != nil {
						acc = float64(pl.b[o])
					}
					for c := 0; c < cinG; c++ {
						src := in[(n*p.Cin+g*cinG+c)*p.H*p.W:]
						wk := pl.w[(o*cinG+c)*p.KH*p.KW:]
						for i := 0; i < p.KH; i++ {
							iy := y*p.StrideH - p.PadT + i*p.DilH
							if iy < 0 || iy >= p.H {
								continue
							}
							for j := 0; j < p.KW; j++ {
								ix := x*p.StrideW - p.PadL + j*p.DilW
								if ix < 0 || ix >= p.W {
									continue
								}
								acc += float64(src[iy*p.W+ix]) * float64(wk[i*p.KW+j])
							}
						}
					}
					dst[y*wo+x] = float32(acc)
				}
			}
		}
	})
}
