package conv

// Depthwise: the per-channel (depthwise) convolution of MobileNet, ShuffleNet
// and EfficientNet (Howard et al., "MobileNets", arXiv 1704.04861; Sifre,
// "Rigid-Motion Scattering for Image Classification", 2014), written as a
// direct loop over each channel plane.
//
// Computes out[n,o,y,x] = bias[o] + Σ_{i,j} in[n, o/M, y·s−p + i·d, x·s−p + j·d] · w[o,0,i,j]
// for Groups == Cin (each group one input channel) and Cout = M·Cin, the
// channel multiplier M usually 1; the same cross-correlation as naive.go.
//
// Supports: Groups == Cin (any multiplier M), any kernel size, stride,
// dilation and (asymmetric) padding, batch > 1. Other shapes are
// ErrUnsupported. Fast paths, for dilation 1: 3×3 and 5×5 at stride 1 and 2
// (MobileNet v1 and v2, ShuffleNet, EfficientNet); other kernels run a
// generic tap loop.
//
// Layout of the work. The row kernels compute one output row segment from
// the KH input rows it reads. Wide planes with scalar row kernels (Wo ≥ 32)
// run in windows mode: each output row is one call for its interior columns
// (every tap inside the image width) reading the KH input rows in place
// (rows in the top or bottom padding read a row of zeros), and one call each
// for the left and right border columns, reading KH small windows into which
// the few input columns they touch are copied with zeros for the padding.
// Everything else runs in padded mode: the plane is copied into a padded
// buffer and each output row — at stride 1 the whole plane, as one flat row
// of pitch W + pads whose wrap-around outputs are dropped — is a single
// call. No tap is ever bounds-checked.
//
// Row kernels. 3×3 and 5×5 at stride 1 or 2 (without dilation along the
// rows) run the active kernel set's DepthwiseRow (engine/kernels): in the
// avx2 set 8 outputs per ymm, the weights broadcast into registers, the
// stride-2 taps deinterleaved with VSHUFPS, the last partial vector through
// lane masks; in the generic set the same sums in Go. Every set sums each
// kernel row in tap order, then the rows in order, then the bias, with
// each product rounded (no FMA), so all sets give the same bits, in either
// padding mode. Other kernels run dwRowGeneric, a tap loop over any kernel,
// stride and dilation with the same order.
//
// Cost: N·Cout·Ho·Wo·KH·KW multiply-adds; weights copied once at Plan;
// workspace slots × (a row of zeros + KH border windows, or the padded plane
// and the flat row), slots = GOMAXPROCS at Plan time. Measured on one Zen 4
// core (2.6 GHz, shared and noisy: best of five), ns per output, before
// (scalar Go rows, windows mode for Wo ≥ 32) → after (avx2 rows, padded):
//
//	mobilenet_v1 features.1.0      32@112×112  3×3 s1   3.1 → 0.65
//	mobilenet_v1 features.2.0      64@112→56   3×3 s2   4.9 → 1.8
//	efficientnet_b0 features.2.0   96@112→56   3×3 s2   4.3 → 1.8
//	efficientnet_b0 features.3.0  144@56→28    5×5 s2  12.3 → 4.3
//	efficientnet_b0 features.3.1  240@28×28    5×5 s1   8.2 → 1.55
//	efficientnet_b0 features.5.0  480@14×14    5×5 s1   9.8 → 2.2
//	efficientnet_b0 features.6.1 1152@7×7      5×5 s1  11.9 → 4.0
//	mobilenet_v1 features.7.0     512@14×14    3×3 s1   3.4 → 1.3
//	mobilenet_v1 features.13.0   1024@7×7      3×3 s1   5.6 → 2.7
//	mobilenet_v1 features.6.0     256@28→14    3×3 s2   5.0 → 3.9
//
// The 112-wide stride-1 rows run at about 0.5 ns per 3×3 output in the row
// kernel itself; what remains is the padded copy, the per-row calls at
// stride 2 (the input copied is 4× the output) and, on 7×7 planes, the
// fixed cost per plane (two copies of 7 short rows and a call for
// 49 outputs). Threads split over the N·Cout output planes, each computed
// by one worker, so results are bitwise identical for any thread count.

import "github.com/cnnbench/cnnbench/engine/kernels"

// Depthwise is the direct per-channel algorithm for Groups == Cin.
type Depthwise struct{}

func init() { Register(Depthwise{}) }

// Name implements Algorithm.
func (Depthwise) Name() string { return "depthwise" }

// Plan implements Algorithm.
func (a Depthwise) Plan(p Params, weights, bias []float32) (Plan, error) {
	return a.plan(p, weights, bias, workerSlots(), dwModeAuto)
}

// How a plane's padding is handled (see the file comment).
const (
	dwModeAuto    = iota // padded for vector row kernels and below dwPaddedWidth output columns, else windows
	dwModeWindows        // border windows: for wide planes with scalar row kernels
	dwModePadded         // the plane copied into a padded buffer
)

// dwPaddedWidth: with scalar row kernels (the generic set, other kernel
// sizes), planes with fewer output columns are copied into a padded buffer;
// there, per-call overhead of three row-kernel calls per output row costs
// more than the copy. Vector row kernels always run padded: their calls
// for the one or two border outputs of a row cost as much as a whole vector
// and more than the copy (mobilenet_v1 features.1.0, 32@112×112 s1:
// windows 2.7, padded 0.75 ns per output with avx2).
const dwPaddedWidth = 32

// plan is Plan with the number of workspace slots and the padding mode given
// (tests force each mode).
func (Depthwise) plan(p Params, weights, bias []float32, slots, mode int) (Plan, error) {
	if err := checkPlanArgs(p, weights, bias); err != nil {
		return nil, err
	}
	if p.Groups != p.Cin {
		return nil, Unsupported("depthwise", "groups %d ≠ Cin %d (not a depthwise convolution)", p.Groups, p.Cin)
	}
	if mode == dwModeAuto {
		mode = dwModeWindows
		if _, fast := dwFast(p); p.OutW() < dwPaddedWidth || (fast && kernels.Active() != kernels.Generic) {
			mode = dwModePadded
		}
	}
	pl := &depthwisePlan{p: p, w: append([]float32(nil), weights...), g: dwGeometry(p, mode == dwModePadded), slots: slots}
	if bias != nil {
		pl.b = append([]float32(nil), bias...)
	}
	g := &pl.g
	if g.padded {
		pl.slotLen = g.hp*g.wp + g.flatLen
	} else {
		pl.slotLen = g.zeroLen + p.KH*max(g.leftLen, g.rightLen)
	}
	return pl, nil
}

type depthwisePlan struct {
	p       Params
	w, b    []float32 // weights Cout×KH×KW; bias Cout or nil
	g       dwGeom
	slots   int
	slotLen int // per worker: a row of zeros and KH border windows, or the padded plane and the flat row
}

func (pl *depthwisePlan) Workspace() int { return pl.slots * pl.slotLen }
func (pl *depthwisePlan) Params() Params { return pl.p }

func (pl *depthwisePlan) Forward(out, in, ws []float32, threads int) {
	pl.ForwardEpilogue(out, in, ws, threads, Epilogue{})
}

// ForwardEpilogue implements EpiloguePlan: the residual and activation are
// applied to each output plane right after it is computed, while it is in
// cache.
func (pl *depthwisePlan) ForwardEpilogue(out, in, ws []float32, threads int, e Epilogue) {
	p := pl.p
	set := kernels.Active()
	epi, dw := set.Epilogue, set.DepthwiseRow
	checkForwardArgs("Depthwise", p, out, in, ws, pl.Workspace())
	hw, khw := pl.g.ho*pl.g.wo, p.KH*p.KW
	mult := p.Cout / p.Cin
	planes := p.N * p.Cout
	// The kernel rows' slices of each worker, allocated once per call (on
	// a plane's stack they would escape through dw, once per plane).
	rowBufs := make([][]float32, pl.slots*p.KH)
	forSlotTasks(planes, threads, pl.slots, int64(planes)*int64(hw*khw), func(no, w int, last *int) {
		n, o := no/p.Cout, no%p.Cout
		src := in[(n*p.Cin+o/mult)*p.H*p.W : (n*p.Cin+o/mult+1)*p.H*p.W]
		dst := out[no*hw : (no+1)*hw]
		var b float32
		if pl.b != nil {
			b = pl.b[o]
		}
		scratch := ws[w*pl.slotLen : (w+1)*pl.slotLen]
		rows := rowBufs[w*p.KH : (w+1)*p.KH]
		if pl.g.padded {
			// The padding of the buffer is written by the worker's first
			// plane only; later planes overwrite just the image.
			dwPaddedPlane(&pl.g, dw, dst, src, pl.w[o*khw:(o+1)*khw], b, scratch, *last < 0, rows)
			*last = no
		} else {
			dwPlane(&pl.g, dw, dst, src, pl.w[o*khw:(o+1)*khw], b, scratch, rows)
		}
		if !e.None() {
			var res []float32
			if e.Residual != nil {
				res = e.Residual[no*hw : (no+1)*hw]
			}
			epi(dst, dst, res, 0, e.Act)
		}
	})
}

// dwGeom is the geometry shared by every plane of one problem: the output
// size, the interior columns [x0, x1) whose taps all land inside the image
// width, the input span an interior row reads, and the widths of the left
// and right border windows.
type dwGeom struct {
	p       Params
	ho, wo  int
	x0, x1  int
	cx0     int // first input column of the interior: x0·sW − pL
	zeroLen int // input span of the interior columns (and the zero row)
	// Border windows: output columns [0, x0) read input columns
	// [−pL, −pL + leftLen), columns [x1, Wo) read [x1·sW − pL, … + rightLen).
	leftLen, rightLen int
	// fast: 3×3 or 5×5 at stride 1 or 2 without dilation, run by the
	// kernel set's DepthwiseRow kernel kind; otherwise dwRowGeneric.
	fast bool
	kind kernels.DWKernel

	// Padded mode: the plane is copied into an hp×wp buffer with its
	// padding; at stride 1 the whole plane is then one flat row of
	// flatLen = (Ho−1)·wp + Wo outputs (pitch wp, the wp − Wo extra outputs
	// of each row land in a scratch row and are dropped).
	padded  bool
	hp, wp  int
	flatLen int
}

// The row kernels compute one output row segment dst[x] (len(dst) outputs)
// from the KH input rows rows[i] (each starting at the input column of the
// segment's first output, span (len(dst)−1)·sW + (KW−1)·dW + 1), the
// weights w and the bias b.
type dwRowFunc = func(k kernels.DWKernel, dst []float32, rows [][]float32, w []float32, b float32)

// row runs the plan's row kernel: dw (the active kernel set's DepthwiseRow)
// on the fast paths, else the generic tap loop.
func (g *dwGeom) row(dw dwRowFunc, dst []float32, rows [][]float32, w []float32, b float32) {
	if g.fast {
		dw(g.kind, dst, rows, w, b)
		return
	}
	dwRowGeneric(&g.p, dst, rows, w, b)
}

// dwInterior returns the output index range [lo, hi) whose taps
// o·s − pad + t·d, t ∈ [0, k), all lie in [0, size).
func dwInterior(out, size, k, s, pad, d int) (lo, hi int) {
	lo = min((pad+s-1)/s, out)
	last := size - 1 + pad - (k-1)*d // need o·s ≤ last
	hi = 0
	if last >= 0 {
		hi = min(last/s+1, out)
	}
	return lo, max(hi, lo)
}

// span is the input width n outputs of a row read.
func (g *dwGeom) span(n int) int {
	if n <= 0 {
		return 0
	}
	return (n-1)*g.p.StrideW + (g.p.KW-1)*g.p.DilW + 1
}

func dwGeometry(p Params, padded bool) dwGeom {
	g := dwGeom{p: p, ho: p.OutH(), wo: p.OutW(), padded: padded}
	g.x0, g.x1 = dwInterior(g.wo, p.W, p.KW, p.StrideW, p.PadL, p.DilW)
	// The padded size (the max is a guard: Params.Validate refuses kernels
	// that overhang the padded input).
	g.hp = max(p.H+p.PadT+p.PadB, (g.ho-1)*p.StrideH+(p.KH-1)*p.DilH+1)
	g.wp = max(p.W+p.PadL+p.PadR, g.span(g.wo))
	if padded && p.StrideH == 1 && p.StrideW == 1 {
		g.flatLen = (g.ho-1)*g.wp + g.wo
	}
	g.cx0 = g.x0*p.StrideW - p.PadL
	g.zeroLen = g.span(g.x1 - g.x0)
	g.leftLen, g.rightLen = g.span(g.x0), g.span(g.wo-g.x1)
	g.kind, g.fast = dwFast(p)
	return g
}

// dwFast returns the kernel set's row kernel for p, if it has one: 3×3 and
// 5×5 at stride 1 or 2 along the rows, without dilation along them (the
// rows themselves may be strided or dilated: the caller picks them).
func dwFast(p Params) (kernels.DWKernel, bool) {
	if p.DilW != 1 {
		return 0, false
	}
	switch {
	case p.KH == 3 && p.KW == 3 && p.StrideW == 1:
		return kernels.DW3x3S1, true
	case p.KH == 3 && p.KW == 3 && p.StrideW == 2:
		return kernels.DW3x3S2, true
	case p.KH == 5 && p.KW == 5 && p.StrideW == 1:
		return kernels.DW5x5S1, true
	case p.KH == 5 && p.KW == 5 && p.StrideW == 2:
		return kernels.DW5x5S2, true
	}
	return 0, false
}

// dwPlane computes one output plane dst (Ho×Wo) from one input plane src
// with the row kernel dw; scratch holds the zero row and the border windows,
// rows (KH entries) the kernel rows' slices.
func dwPlane(g *dwGeom, dw dwRowFunc, dst, src, w []float32, b float32, scratch []float32, rows [][]float32) {
	p := &g.p
	wo := g.wo
	zero := scratch[:g.zeroLen]
	clear(zero)
	win := scratch[g.zeroLen:]
	n := g.x1 - g.x0
	for y := 0; y < g.ho; y++ {
		drow := dst[y*wo : (y+1)*wo]
		iy0 := y*p.StrideH - p.PadT
		// Interior columns: straight from the input rows, rows in the
		// padding read zeros.
		if n > 0 {
			for i := range rows {
				iy := iy0 + i*p.DilH
				if iy < 0 || iy >= p.H {
					rows[i] = zero
					continue
				}
				o := iy*p.W + g.cx0
				rows[i] = src[o : o+g.zeroLen]
			}
			g.row(dw, drow[g.x0:g.x1], rows, w, b)
		}
		// Border columns: copy the few input columns they read, zeros in
		// the padding, into small windows.
		if g.x0 > 0 {
			dwWindows(p, rows, win, src, iy0, -p.PadL, g.leftLen)
			g.row(dw, drow[:g.x0], rows, w, b)
		}
		if g.x1 < wo {
			dwWindows(p, rows, win, src, iy0, g.x1*p.StrideW-p.PadL, g.rightLen)
			g.row(dw, drow[g.x1:], rows, w, b)
		}
	}
}

// dwPaddedPlane is dwPlane for padded mode: src is copied into the hp×wp
// buffer (its padding cleared first when clearPad), then each output row, or
// at stride 1 the whole plane as one flat row, is one row-kernel call.
func dwPaddedPlane(g *dwGeom, dw dwRowFunc, dst, src, w []float32, b float32, scratch []float32, clearPad bool, rows [][]float32) {
	p := &g.p
	buf := scratch[:g.hp*g.wp]
	if clearPad {
		clear(buf)
	}
	for y := 0; y < p.H; y++ {
		o := (y+p.PadT)*g.wp + p.PadL
		copy(buf[o:o+p.W], src[y*p.W:(y+1)*p.W])
	}
	if g.flatLen > 0 {
		span := g.flatLen + (p.KW-1)*p.DilW
		for i := range rows {
			o := i * p.DilH * g.wp
			rows[i] = buf[o : o+span]
		}
		flat := scratch[g.hp*g.wp : g.hp*g.wp+g.flatLen]
		g.row(dw, flat, rows, w, b)
		for y := 0; y < g.ho; y++ {
			copy(dst[y*g.wo:(y+1)*g.wo], flat[y*g.wp:y*g.wp+g.wo])
		}
		return
	}
	span := g.span(g.wo)
	for y := 0; y < g.ho; y++ {
		for i := range rows {
			o := (y*p.StrideH + i*p.DilH) * g.wp
			rows[i] = buf[o : o+span]
		}
		g.row(dw, dst[y*g.wo:(y+1)*g.wo], rows, w, b)
	}
}

// dwWindows fills rows[i] with win-backed copies of input row iy0 + i·dH,
// columns [c0, c0+width), zero outside the image.
func dwWindows(p *Params, rows [][]float32, win, src []float32, iy0, c0, width int) {
	for i := range rows {
		r := win[i*width : (i+1)*width]
		rows[i] = r
		iy := iy0 + i*p.DilH
		if iy < 0 || iy >= p.H {
			clear(r)
			continue
		}
		// Columns j with 0 ≤ c0 + j < W come from the row, the rest are 0.
		j0 := min(max(0, -c0), width)
		j1 := max(min(width, p.W-c0), j0)
		clear(r[:j0])
		copy(r[j0:j1], src[iy*p.W+c0+j0:iy*p.W+c0+j1])
		clear(r[j1:])
	}
}

// dwRowGeneric is the row kernel for any kernel, stride and dilation.
func dwRowGeneric(p *Params, dst []float32, rows [][]float32, w []float32, b float32) {
	s, d := p.StrideW, p.DilW
	for x := range dst {
		var acc float32
		for i, r := range rows {
			r = r[x*s:]
			wr := w[i*p.KW : (i+1)*p.KW]
			var part float32
			for j, wv := range wr {
				part += r[j*d] * wv
			}
			acc += part
		}
		dst[x] = acc + b
	}
}
