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
// Layout of the work. Each output row is computed by one row kernel call for
// its interior columns (every tap inside the image width) reading the KH
// input rows in place (rows in the top or bottom padding read a row of
// zeros), and one call each for the left and right border columns, reading
// KH small windows into which the few input columns they touch are copied
// with zeros for the padding. Narrow planes (Wo < 32: the 7×7 to 28×28
// layers, where three calls per row cost more than their work) are instead
// copied into a padded buffer, and each output row — at stride 1 the whole
// plane, as one flat row of pitch W + pads whose wrap-around outputs are
// dropped — is a single call. No tap is ever bounds-checked. The row kernels
// keep all KH·KW weights in locals, read the input through slices whose
// lengths the compiler can prove, write one output row segment with no
// branches, and sum each kernel row into its own partial sum (short
// dependency chains), adding the bias last.
//
// Cost: N·Cout·Ho·Wo·KH·KW multiply-adds; weights copied once at Plan;
// workspace slots × (a row of zeros + KH border windows, or the padded plane
// for narrow planes), slots = GOMAXPROCS at Plan time. In pure Go the loop is
// bound by scalar floating-point throughput, not memory: about 3 ns per 3×3
// output here (4–6.6 GFLOP/s), which is still 1.9× (MobileNet features.1.0)
// to 5.5× (MobileNet features.13.0, 1024@7×7) faster than im2col with the
// avx2 GEMM, whose depthwise GEMMs have M = 1. A vectorised row kernel in
// engine/kernels (8 outputs per instruction) is the next step. Threads split
// over the N·Cout output planes, each computed by one worker, so results are
// bitwise identical for any thread count.

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
	dwModeAuto    = iota // padded below dwPaddedWidth output columns, windows above
	dwModeWindows        // border windows: for wide planes
	dwModePadded         // the plane copied into a padded buffer: for narrow planes
)

// dwPaddedWidth: planes with fewer output columns are copied into a padded
// buffer; there, per-call overhead of three row-kernel calls per output row
// costs more than the copy.
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
		if p.OutW() < dwPaddedWidth {
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
	slotLen int // per worker: a row of zeros and KH border windows
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
	epi := kernels.Active().Epilogue
	checkForwardArgs("Depthwise", p, out, in, ws, pl.Workspace())
	hw, khw := pl.g.ho*pl.g.wo, p.KH*p.KW
	mult := p.Cout / p.Cin
	planes := p.N * p.Cout
	forSlotTasks(planes, threads, pl.slots, int64(planes)*int64(hw*khw), func(no, w int, last *int) {
		n, o := no/p.Cout, no%p.Cout
		src := in[(n*p.Cin+o/mult)*p.H*p.W : (n*p.Cin+o/mult+1)*p.H*p.W]
		dst := out[no*hw : (no+1)*hw]
		var b float32
		if pl.b != nil {
			b = pl.b[o]
		}
		scratch := ws[w*pl.slotLen : (w+1)*pl.slotLen]
		if pl.g.padded {
			// The padding of the buffer is written by the worker's first
			// plane only; later planes overwrite just the image.
			dwPaddedPlane(&pl.g, dst, src, pl.w[o*khw:(o+1)*khw], b, scratch, *last < 0)
			*last = no
		} else {
			dwPlane(&pl.g, dst, src, pl.w[o*khw:(o+1)*khw], b, scratch)
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
	kernel            int // row kernel for this kernel size and stride: dwGeneric, dw3x3s1, ...

	// Padded mode: the plane is copied into an hp×wp buffer with its
	// padding; at stride 1 the whole plane is then one flat row of
	// flatLen = (Ho−1)·wp + Wo outputs (pitch wp, the wp − Wo extra outputs
	// of each row land in a scratch row and are dropped).
	padded  bool
	hp, wp  int
	flatLen int
}

// The row kernels. Each computes one output row segment dst[x] (len(dst)
// outputs) from the KH input rows rows[i] (each starting at the input column
// of the segment's first output, span (len(dst)−1)·sW + (KW−1)·dW + 1), the
// weights w and the bias b.
const (
	dwGeneric = iota
	dw3x3s1
	dw3x3s2
	dw5x5s1
	dw5x5s2
)

// row runs the plan's row kernel. A switch of direct calls, not a function
// value, so that rows stays on the caller's stack.
func (g *dwGeom) row(dst []float32, rows [][]float32, w []float32, b float32) {
	switch g.kernel {
	case dw3x3s1:
		dwRow3x3s1(dst, rows, w, b)
	case dw3x3s2:
		dwRow3x3s2(dst, rows, w, b)
	case dw5x5s1:
		dwRow5x5s1(dst, rows, w, b)
	case dw5x5s2:
		dwRow5x5s2(dst, rows, w, b)
	default:
		dwRowGeneric(&g.p, dst, rows, w, b)
	}
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
	g.kernel = dwGeneric
	if p.DilW == 1 {
		switch {
		case p.KH == 3 && p.KW == 3 && p.StrideW == 1:
			g.kernel = dw3x3s1
		case p.KH == 3 && p.KW == 3 && p.StrideW == 2:
			g.kernel = dw3x3s2
		case p.KH == 5 && p.KW == 5 && p.StrideW == 1:
			g.kernel = dw5x5s1
		case p.KH == 5 && p.KW == 5 && p.StrideW == 2:
			g.kernel = dw5x5s2
		}
	}
	return g
}

// dwPlane computes one output plane dst (Ho×Wo) from one input plane src;
// scratch holds the zero row and the border windows.
func dwPlane(g *dwGeom, dst, src, w []float32, b float32, scratch []float32) {
	p := &g.p
	wo := g.wo
	zero := scratch[:g.zeroLen]
	clear(zero)
	win := scratch[g.zeroLen:]
	var rowsBuf [16][]float32
	rows := rowsBuf[:0]
	if p.KH > len(rowsBuf) {
		rows = make([][]float32, 0, p.KH)
	}
	rows = rows[:p.KH]
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
			g.row(drow[g.x0:g.x1], rows, w, b)
		}
		// Border columns: copy the few input columns they read, zeros in
		// the padding, into small windows.
		if g.x0 > 0 {
			dwWindows(p, rows, win, src, iy0, -p.PadL, g.leftLen)
			g.row(drow[:g.x0], rows, w, b)
		}
		if g.x1 < wo {
			dwWindows(p, rows, win, src, iy0, g.x1*p.StrideW-p.PadL, g.rightLen)
			g.row(drow[g.x1:], rows, w, b)
		}
	}
}

// dwPaddedPlane is dwPlane for padded mode: src is copied into the hp×wp
// buffer (its padding cleared first when clearPad), then each output row, or
// at stride 1 the whole plane as one flat row, is one row-kernel call.
func dwPaddedPlane(g *dwGeom, dst, src, w []float32, b float32, scratch []float32, clearPad bool) {
	p := &g.p
	buf := scratch[:g.hp*g.wp]
	if clearPad {
		clear(buf)
	}
	for y := 0; y < p.H; y++ {
		o := (y+p.PadT)*g.wp + p.PadL
		copy(buf[o:o+p.W], src[y*p.W:(y+1)*p.W])
	}
	var rowsBuf [16][]float32
	rows := rowsBuf[:0]
	if p.KH > len(rowsBuf) {
		rows = make([][]float32, 0, p.KH)
	}
	rows = rows[:p.KH]
	if g.flatLen > 0 {
		span := g.flatLen + (p.KW-1)*p.DilW
		for i := range rows {
			o := i * p.DilH * g.wp
			rows[i] = buf[o : o+span]
		}
		flat := scratch[g.hp*g.wp : g.hp*g.wp+g.flatLen]
		g.row(flat, rows, w, b)
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
		g.row(dst[y*g.wo:(y+1)*g.wo], rows, w, b)
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

// dwRow3x3s1 is the 3×3 stride-1 interior row: rows[i] holds len(dst)+2
// input values.
func dwRow3x3s1(dst []float32, rows [][]float32, w []float32, b float32) {
	n := len(dst)
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	r0, r1, r2 := rows[0][:n+2], rows[1][:n+2], rows[2][:n+2]
	for x := 0; x < n; x++ {
		a, c, e := r0[x:x+3:x+3], r1[x:x+3:x+3], r2[x:x+3:x+3]
		s0 := w0*a[0] + w1*a[1] + w2*a[2]
		s1 := w3*c[0] + w4*c[1] + w5*c[2]
		s2 := w6*e[0] + w7*e[1] + w8*e[2]
		dst[x] = s0 + s1 + s2 + b
	}
}

// dwRow3x3s2 is the 3×3 stride-2 interior row: rows[i] holds 2·len(dst)+1
// input values.
func dwRow3x3s2(dst []float32, rows [][]float32, w []float32, b float32) {
	n := len(dst)
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	r0, r1, r2 := rows[0][:2*n+1], rows[1][:2*n+1], rows[2][:2*n+1]
	for x := 0; x < n; x++ {
		a, c, e := r0[2*x:2*x+3:2*x+3], r1[2*x:2*x+3:2*x+3], r2[2*x:2*x+3:2*x+3]
		s0 := w0*a[0] + w1*a[1] + w2*a[2]
		s1 := w3*c[0] + w4*c[1] + w5*c[2]
		s2 := w6*e[0] + w7*e[1] + w8*e[2]
		dst[x] = s0 + s1 + s2 + b
	}
}

// dwRow5x5s1 is the 5×5 stride-1 interior row: rows[i] holds len(dst)+4
// input values. Twenty-five weights do not fit the 15 usable float
// registers, so the row is computed in two passes (rows 0–2, then 3–4 added),
// each holding its weights in locals.
func dwRow5x5s1(dst []float32, rows [][]float32, w []float32, b float32) {
	n := len(dst)
	w = w[:25]
	{
		w00, w01, w02, w03, w04 := w[0], w[1], w[2], w[3], w[4]
		w10, w11, w12, w13, w14 := w[5], w[6], w[7], w[8], w[9]
		w20, w21, w22, w23, w24 := w[10], w[11], w[12], w[13], w[14]
		r0, r1, r2 := rows[0][:n+4], rows[1][:n+4], rows[2][:n+4]
		for x := 0; x < n; x++ {
			a, c, e := r0[x:x+5:x+5], r1[x:x+5:x+5], r2[x:x+5:x+5]
			s0 := w00*a[0] + w01*a[1] + w02*a[2] + w03*a[3] + w04*a[4]
			s1 := w10*c[0] + w11*c[1] + w12*c[2] + w13*c[3] + w14*c[4]
			s2 := w20*e[0] + w21*e[1] + w22*e[2] + w23*e[3] + w24*e[4]
			dst[x] = s0 + s1 + s2
		}
	}
	w30, w31, w32, w33, w34 := w[15], w[16], w[17], w[18], w[19]
	w40, w41, w42, w43, w44 := w[20], w[21], w[22], w[23], w[24]
	r3, r4 := rows[3][:n+4], rows[4][:n+4]
	for x := 0; x < n; x++ {
		a, c := r3[x:x+5:x+5], r4[x:x+5:x+5]
		s3 := w30*a[0] + w31*a[1] + w32*a[2] + w33*a[3] + w34*a[4]
		s4 := w40*c[0] + w41*c[1] + w42*c[2] + w43*c[3] + w44*c[4]
		dst[x] += (s3 + s4) + b
	}
}

// dwRow5x5s2 is the 5×5 stride-2 interior row: rows[i] holds 2·len(dst)+3
// input values; two passes as in dwRow5x5s1.
func dwRow5x5s2(dst []float32, rows [][]float32, w []float32, b float32) {
	n := len(dst)
	w = w[:25]
	{
		w00, w01, w02, w03, w04 := w[0], w[1], w[2], w[3], w[4]
		w10, w11, w12, w13, w14 := w[5], w[6], w[7], w[8], w[9]
		w20, w21, w22, w23, w24 := w[10], w[11], w[12], w[13], w[14]
		r0, r1, r2 := rows[0][:2*n+3], rows[1][:2*n+3], rows[2][:2*n+3]
		for x := 0; x < n; x++ {
			a, c, e := r0[2*x:2*x+5:2*x+5], r1[2*x:2*x+5:2*x+5], r2[2*x:2*x+5:2*x+5]
			s0 := w00*a[0] + w01*a[1] + w02*a[2] + w03*a[3] + w04*a[4]
			s1 := w10*c[0] + w11*c[1] + w12*c[2] + w13*c[3] + w14*c[4]
			s2 := w20*e[0] + w21*e[1] + w22*e[2] + w23*e[3] + w24*e[4]
			dst[x] = s0 + s1 + s2
		}
	}
	w30, w31, w32, w33, w34 := w[15], w[16], w[17], w[18], w[19]
	w40, w41, w42, w43, w44 := w[20], w[21], w[22], w[23], w[24]
	r3, r4 := rows[3][:2*n+3], rows[4][:2*n+3]
	for x := 0; x < n; x++ {
		a, c := r3[2*x:2*x+5:2*x+5], r4[2*x:2*x+5:2*x+5]
		s3 := w30*a[0] + w31*a[1] + w32*a[2] + w33*a[3] + w34*a[4]
		s4 := w40*c[0] + w41*c[1] + w42*c[2] + w43*c[3] + w44*c[4]
		dst[x] += (s3 + s4) + b
	}
}
