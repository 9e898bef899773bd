package conv

// Im2col: convolution as matrix multiplication (Chellapilla, Puri & Simard,
// "High Performance Convolutional Neural Networks for Document Processing",
// IWFHR 2006).
//
// Computes out[n,o,y,x] = bias[o] + Σ_{c,i,j} in[n, g·Cin/G + c, y·s−p + i·d, x·s−p + j·d] · w[o,c,i,j]
// (the same cross-correlation as naive.go) by unrolling, for each image n and
// group g, the input patches into a column matrix
//
//	cols[(c·KH + i)·KW + j, y·Wo + x] = in[n, g·Cin/G + c, y·sH − pT + i·dH, x·sW − pL + j·dW]  (0 in the padding)
//
// of K = (Cin/G)·KH·KW rows and Ho·Wo columns, then multiplying
// out[n, g·Cout/G : (g+1)·Cout/G] (Cout/G × Ho·Wo) = W_g (Cout/G × K) · cols
// with engine/gemm. W_g is the OIHW weight slab of group g as stored, packed
// once at Plan time into the kernel set's panels. The bias (and a fused
// epilogue: residual, activation) is added to each block of the output as the
// GEMM finishes it, while it is in cache (epilogue.go).
// A 1×1, stride-1, unpadded convolution skips the copy: the input slab of a
// group is already the K×(H·W) column matrix.
//
// Supports every shape Params.Validate accepts: stride, dilation, asymmetric
// padding, groups (depthwise runs as G products with M = 1: correct, slow)
// and batch > 1.
//
// Cost: N·Cout·Ho·Wo·(Cin/G)·KH·KW multiply-adds; workspace
// K·Ho·Wo (columns, 0 for the 1×1 fast path) + one packed GEMM block of B
// (min(K, KC)·min(Ho·Wo rounded up to NR, NC) elements) float32; packed weights
// Cout·K rounded up to the kernel tile, held by the plan.
//
// Threads: the column fill is split over rows of cols, the GEMM over blocks of
// the output; nothing splits a reduction, so results are bitwise identical for
// any thread count.

import (
	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// Im2col is the im2col + GEMM algorithm. The zero value uses the active
// kernel set and default blocking; set Config to pin a kernel set (tests,
// benchmarks) or try another blocking.
type Im2col struct {
	Config gemm.Config
}

func init() { Register(Im2col{}) }

// Name implements Algorithm.
func (Im2col) Name() string { return "im2col" }

// Plan implements Algorithm: it packs the weights of every group.
func (a Im2col) Plan(p Params, weights, bias []float32) (Plan, error) {
	if err := checkPlanArgs(p, weights, bias); err != nil {
		return nil, err
	}
	coutG := p.Cout / p.Groups
	k := (p.Cin / p.Groups) * p.KH * p.KW
	pl := &im2colPlan{p: p, bias: bias, k: k}
	pl.direct = p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadT == 0 && p.PadB == 0 && p.PadL == 0 && p.PadR == 0
	for g := 0; g < p.Groups; g++ {
		pl.w = append(pl.w, a.Config.PackA(false, coutG, k, 1, weights[g*coutG*k:(g+1)*coutG*k], k))
	}
	hw := p.OutH() * p.OutW()
	if !pl.direct {
		pl.colLen = k * hw
	}
	pl.ws = pl.colLen + pl.w[0].WorkspaceSize(hw)
	return pl, nil
}

type im2colPlan struct {
	p      Params
	w      []*gemm.PackedA // one per group: Cout/G × K
	bias   []float32
	k      int  // rows of the column matrix: (Cin/G)·KH·KW
	direct bool // 1×1, stride 1, no padding: the input is the column matrix
	colLen int  // K·Ho·Wo, 0 when direct
	ws     int
}

func (pl *im2colPlan) Workspace() int { return pl.ws }
func (pl *im2colPlan) Params() Params { return pl.p }

func (pl *im2colPlan) Forward(out, in, ws []float32, threads int) {
	pl.ForwardEpilogue(out, in, ws, threads, Epilogue{})
}

// ForwardEpilogue implements EpiloguePlan: the bias, residual and activation
// are applied to blocks of the output as the GEMM finishes them.
func (pl *im2colPlan) ForwardEpilogue(out, in, ws []float32, threads int, e Epilogue) {
	p := pl.p
	checkForwardArgs("Im2col", p, out, in, ws, pl.ws)
	ho, wo := p.OutH(), p.OutW()
	hw := ho * wo
	cinG, coutG := p.Cin/p.Groups, p.Cout/p.Groups
	cols, gws := ws[:pl.colLen], ws[pl.colLen:pl.ws]
	for n := 0; n < p.N; n++ {
		for g := 0; g < p.Groups; g++ {
			src := in[(n*p.Cin+g*cinG)*p.H*p.W : (n*p.Cin+(g+1)*cinG)*p.H*p.W]
			off := (n*p.Cout + g*coutG) * hw
			dst := out[off : off+coutG*hw]
			b := src
			if !pl.direct {
				im2col(p, cols, src, threads)
				b = cols
			}
			var bias, res []float32
			if pl.bias != nil {
				bias = pl.bias[g*coutG : (g+1)*coutG]
			}
			if e.Residual != nil {
				res = e.Residual[off : off+coutG*hw]
			}
			fin := rowFinisher(pl.w[g].Kernels(), dst, hw, bias, res, e.Act)
			gemm.SgemmPackedFinish(pl.w[g], false, hw, b, hw, 0, dst, hw, gws, threads, fin)
		}
	}
}

// im2col fills cols (K × Ho·Wo, K = (Cin/G)·KH·KW) from src, the Cin/G
// channels of one image and group; see the file comment for the layout.
func im2col(p Params, cols, src []float32, threads int) {
	hw := p.OutH() * p.OutW()
	ExpandColumns(p, cols, hw, 0, src, threads)
}

// ExpandColumns is im2col with a leading dimension: it writes row r of the
// column matrix of src (the Cin/G channels of one image and group, K =
// (Cin/G)·KH·KW rows of Ho·Wo) at cols[r·ld+off : r·ld+off+Ho·Wo], so that
// several images' columns can sit side by side (the weight gradient uses it).
func ExpandColumns(p Params, cols []float32, ld, off int, src []float32, threads int) {
	ho, wo := p.OutH(), p.OutW()
	hw := ho * wo
	khw := p.KH * p.KW
	rows := (p.Cin / p.Groups) * khw
	parallel.For(rows, copyThreads(rows*hw, threads), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			c, i, j := r/khw, r%khw/p.KW, r%p.KW
			plane := src[c*p.H*p.W : (c+1)*p.H*p.W]
			dst := cols[r*ld+off : r*ld+off+hw]
			// Output columns x in [x0, x1) read inside the image:
			// 0 ≤ x·sW − pL + j·dW < W.
			xoff := j*p.DilW - p.PadL
			x0, x1 := 0, 0
			if xoff < 0 {
				x0 = min((-xoff+p.StrideW-1)/p.StrideW, wo)
			}
			if p.W-xoff > 0 {
				x1 = min((p.W-xoff+p.StrideW-1)/p.StrideW, wo)
			}
			x1 = max(x1, x0)
			for y := 0; y < ho; y++ {
				row := dst[y*wo : (y+1)*wo]
				iy := y*p.StrideH - p.PadT + i*p.DilH
				if iy < 0 || iy >= p.H {
					clear(row)
					continue
				}
				line := plane[iy*p.W : (iy+1)*p.W]
				clear(row[:x0])
				if p.StrideW == 1 {
					if x1 > x0 { // the whole row may lie in the padding
						copy(row[x0:x1], line[x0+xoff:x1+xoff])
					}
				} else {
					for x := x0; x < x1; x++ {
						row[x] = line[x*p.StrideW+xoff]
					}
				}
				clear(row[x1:])
			}
		}
	})
}

// copyThreads keeps small copies on one goroutine, where spawning would cost
// more than the copy. Thread counts never change results, only speed.
func copyThreads(elems, threads int) int {
	const minElemsPerThread = 1 << 14
	return max(1, min(parallel.Threads(threads), elems/minElemsPerThread))
}
