package conv

// The OldWinograd driver and scalar transforms as they were at commit 0948f10,
// before the vectorised transforms of engine/kernels, with every name
// prefixed old, kept only so that BenchmarkWinogradBeforeAfter can time
// before and after side by side in one process. Not registered.

import (
	"fmt"
	"runtime"

	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

type OldWinograd struct {
	M         int // output tile size: 2, 4 or 6
	Config    gemm.Config
	TileBlock int
}

// Block-size defaults (see the file comment).
const (
	oldWinogradBlockFloats   = 1 << 19 // V + M of one block: 2 MiB
	oldWinogradMinBlockTiles = 32
	oldWinogradMaxAlpha      = 8
	// oldWinogradMinGemmsPerWorker: the α² GEMMs of a block are shared out
	// whole among at most α²/4 goroutines (≤ 20% imbalance); see Forward.
	oldWinogradMinGemmsPerWorker = 4
	oldWinogradMinGemmMACs       = 1 << 17 // below this, a block's GEMMs run on one goroutine
	// oldWinogradGroup tiles of one channel are transformed together through
	// a oldWinogradGroupBuf, so that V and M are read and written in runs of
	// oldWinogradGroup contiguous values rather than one strided value per
	// tile. A power of two.
	oldWinogradGroup = 8
)

// oldWinogradGroupBuf holds the α² transformed values of oldWinogradGroup tiles:
// value ξ of tile k at [ξ·oldWinogradGroup + k].
type oldWinogradGroupBuf = [oldWinogradMaxAlpha * oldWinogradMaxAlpha * oldWinogradGroup]float32

// oldWinogradKind holds the transforms of one F(m×m, 3×3).
type oldWinogradKind struct {
	m int
	// bt (α×α), g (α×3) and at (m×α) are the transform matrices. g is used
	// by Plan (in float64); bt and at document the unrolled transforms and
	// are what the tests check them against.
	bt, g, at [][]float64
	input     oldWinogradInputFunc
	output    oldWinogradOutputFunc
}

func (k *oldWinogradKind) alpha() int { return k.m + 2 }

// oldWinogradInputFunc computes V = Bᵀ d B for tile k of a group: d is α×α
// with row stride ld (d[i·ld + j]); V[ξ], ξ = row·α + column, goes to
// v[ξ·oldWinogradGroup + k].
type oldWinogradInputFunc func(d []float32, ld int, v *oldWinogradGroupBuf, k int)

// oldWinogradOutputFunc computes Y = Aᵀ M A + bias for tile k of a group: M[ξ]
// is mm[ξ·oldWinogradGroup + k]; Y (m×m) goes to y[i·ly + j].
type oldWinogradOutputFunc func(mm *oldWinogradGroupBuf, k int, bias float32, y []float32, ly int)

// oldWinogradKinds maps a tile size to its transforms.
var oldWinogradKinds = map[int]*oldWinogradKind{2: &oldWinogradF2x3, 4: &oldWinogradF4x3, 6: &oldWinogradF6x3}

// Name implements Algorithm: "winograd-f<M>x3".
func (a OldWinograd) Name() string { return fmt.Sprintf("old-winograd-f%dx3", a.M) }

// Plan implements Algorithm: it checks the shape and transforms and packs
// the weights (α² packed Cout×Cin matrices).
func (a OldWinograd) Plan(p Params, weights, bias []float32) (Plan, error) {
	kind, ok := oldWinogradKinds[a.M]
	if !ok {
		return nil, fmt.Errorf("conv: %s: no such tile size (have F(2x2,3x3), F(4x4,3x3), F(6x6,3x3))", a.Name())
	}
	return a.plan(kind, p, weights, bias)
}

// plan is Plan with the transforms given (tests pass other interpolation
// points through it).
func (a OldWinograd) plan(kind *oldWinogradKind, p Params, weights, bias []float32) (Plan, error) {
	if err := checkPlanArgs(p, weights, bias); err != nil {
		return nil, err
	}
	name := a.Name()
	switch {
	case p.KH != 3 || p.KW != 3:
		return nil, Unsupported(name, "needs a 3x3 kernel, got %dx%d", p.KH, p.KW)
	case p.StrideH != 1 || p.StrideW != 1:
		return nil, Unsupported(name, "needs stride 1, got %dx%d", p.StrideH, p.StrideW)
	case p.DilH != 1 || p.DilW != 1:
		return nil, Unsupported(name, "needs dilation 1, got %dx%d", p.DilH, p.DilW)
	case p.Groups != 1:
		return nil, Unsupported(name, "needs groups=1, got %d", p.Groups)
	}
	if a.TileBlock < 0 {
		return nil, fmt.Errorf("conv: %s: negative TileBlock %d", name, a.TileBlock)
	}
	pl := &oldWinogradPlan{p: p, kind: kind, bias: bias}
	pl.u = oldWinogradTransformWeights(a.Config, kind, p.Cout, p.Cin, weights)
	m, alpha := kind.m, kind.alpha()
	pl.tilesH, pl.tilesW = oldCeilDivInt(p.OutH(), m), oldCeilDivInt(p.OutW(), m)
	pl.tiles = p.N * pl.tilesH * pl.tilesW
	tb := a.TileBlock
	if tb == 0 {
		tb = max(oldWinogradMinBlockTiles, oldWinogradBlockFloats/(alpha*alpha*(p.Cin+p.Cout)))
	}
	tb = min(tb, pl.tiles)
	// Even the blocks out (same count, a less ragged last block), in whole
	// column panels of the GEMM kernel (NR) where that fits.
	blocks := oldCeilDivInt(pl.tiles, tb)
	nr := pl.u[0].Kernels().NR
	pl.tb = min(pl.tiles, oldCeilDivInt(oldCeilDivInt(pl.tiles, blocks), nr)*nr)
	pl.vLen = alpha * alpha * oldWinogradPlaneStride(p.Cin*pl.tb)
	pl.mLen = alpha * alpha * oldWinogradPlaneStride(p.Cout*pl.tb)
	// One GEMM packing buffer per worker of the GEMM phase (see Forward);
	// each is small (one packed Cin×Tb block of V[ξ] at most).
	pl.gemmLen = pl.u[0].WorkspaceSize(pl.tb)
	pl.slots = max(1, min(alpha*alpha/oldWinogradMinGemmsPerWorker, runtime.GOMAXPROCS(0)))
	pl.ws = pl.vLen + pl.mLen + pl.slots*pl.gemmLen
	return pl, nil
}

// oldWinogradTransformWeights returns U[ξ] = (G g Gᵀ)[ξ] for every (o, c),
// computed in float64 and rounded once, packed as α² Cout×Cin left operands.
func oldWinogradTransformWeights(cfg gemm.Config, kind *oldWinogradKind, cout, cin int, w []float32) []*gemm.PackedA {
	alpha := kind.alpha()
	u := make([]*gemm.PackedA, alpha*alpha)
	buf := make([]float32, cout*cin)
	var gg [9]float64
	for xi := range u {
		r, s := xi/alpha, xi%alpha
		for k := 0; k < 3; k++ {
			for l := 0; l < 3; l++ {
				gg[k*3+l] = kind.g[r][k] * kind.g[s][l]
			}
		}
		for oc := range buf {
			g := w[oc*9 : oc*9+9 : oc*9+9]
			var acc float64
			for kl, c := range gg {
				acc += c * float64(g[kl])
			}
			buf[oc] = float32(acc)
		}
		u[xi] = cfg.PackA(false, cout, cin, 1, buf, cin)
	}
	return u
}

type oldWinogradPlan struct {
	p                     Params
	kind                  *oldWinogradKind
	u                     []*gemm.PackedA // α² packed Cout×Cin
	bias                  []float32
	tilesH, tilesW, tiles int // tiles per column and row of an image; in all
	tb                    int // tiles per block
	vLen, mLen            int // V and M of one block, plane strides included
	gemmLen, slots        int // one GEMM workspace; how many (see Forward)
	ws                    int
}

func (pl *oldWinogradPlan) Workspace() int { return pl.ws }
func (pl *oldWinogradPlan) Params() Params { return pl.p }

func (pl *oldWinogradPlan) Forward(out, in, ws []float32, threads int) {
	pl.ForwardEpilogue(out, in, ws, threads, Epilogue{})
}

// ForwardEpilogue implements EpiloguePlan: after each block of tiles, the
// output rows whose tiles are all transformed get the residual and the
// activation, while the block is still in cache.
func (pl *oldWinogradPlan) ForwardEpilogue(out, in, ws []float32, threads int, e Epilogue) {
	p := pl.p
	checkForwardArgs("OldWinograd", p, out, in, ws, pl.ws)
	rowsDone := 0 // tile rows (over all images) that have had the epilogue
	alpha := pl.kind.alpha()
	a2 := alpha * alpha
	v, mm := ws[:pl.vLen], ws[pl.vLen:pl.vLen+pl.mLen]
	gws := ws[pl.vLen+pl.mLen : pl.ws]
	// The GEMM phase runs the α² products side by side, one goroutine each
	// (single-threaded), when every goroutine gets a few of them: one
	// fork-join per block instead of one per product. With more threads
	// than that, each product is split by engine/gemm instead.
	threads = parallel.Threads(threads)
	workers := min(threads, pl.slots)
	if threads > a2/oldWinogradMinGemmsPerWorker {
		workers = 1
	}
	for t0 := 0; t0 < pl.tiles; t0 += pl.tb {
		nt := min(pl.tb, pl.tiles-t0)
		vs, ms := oldWinogradPlaneStride(p.Cin*nt), oldWinogradPlaneStride(p.Cout*nt)
		parallel.For(p.Cin*nt, oldWinogradThreads(a2*p.Cin*nt, threads), func(lo, hi int) {
			pl.inputTransform(v, vs, in, t0, nt, lo, hi)
		})
		bw, gemmThreads := workers, threads
		if a2*p.Cout*p.Cin*nt < oldWinogradMinGemmMACs {
			bw = 1 // tiny products: not worth a goroutine
		}
		if bw > 1 {
			gemmThreads = 1
		}
		parallel.For(bw, bw, func(lo, hi int) {
			for w := lo; w < hi; w++ {
				g := gws[w*pl.gemmLen : (w+1)*pl.gemmLen]
				for xi := w * a2 / bw; xi < (w+1)*a2/bw; xi++ {
					gemm.SgemmPacked(pl.u[xi], false, nt, v[xi*vs:xi*vs+p.Cin*nt], nt,
						0, mm[xi*ms:xi*ms+p.Cout*nt], nt, g, gemmThreads)
				}
			}
		})
		parallel.For(p.Cout*nt, oldWinogradThreads(a2*p.Cout*nt, threads), func(lo, hi int) {
			pl.outputTransform(out, mm, ms, t0, nt, lo, hi)
		})
		if !e.None() {
			end := (t0 + nt) / pl.tilesW // tile rows now complete
			if t0+nt == pl.tiles {
				end = p.N * pl.tilesH
			}
			pl.epilogueRows(out, rowsDone, end, e, threads)
			rowsDone = end
		}
	}
}

// epilogueRows applies e to the output rows of tile rows [r0, r1), counted
// over all images (tile row r is row r mod tilesH of image r / tilesH): one
// contiguous segment per image and channel.
func (pl *oldWinogradPlan) epilogueRows(out []float32, r0, r1 int, e Epilogue, threads int) {
	if r0 >= r1 {
		return
	}
	p := pl.p
	m := pl.kind.m
	ho, wo := p.OutH(), p.OutW()
	n0, n1 := r0/pl.tilesH, (r1-1)/pl.tilesH
	segs := (n1 - n0 + 1) * p.Cout
	epi := kernels.Active().Epilogue
	parallel.For(segs, oldWinogradThreads(segs*(r1-r0)*m*wo/(n1-n0+1), threads), func(lo, hi int) {
		for s := lo; s < hi; s++ {
			n, o := n0+s/p.Cout, s%p.Cout
			ra, rb := max(r0, n*pl.tilesH)-n*pl.tilesH, min(r1, (n+1)*pl.tilesH)-n*pl.tilesH
			y0, y1 := ra*m, min(rb*m, ho)
			off := (n*p.Cout+o)*ho*wo + y0*wo
			seg := out[off : off+(y1-y0)*wo]
			var res []float32
			if e.Residual != nil {
				res = e.Residual[off : off+len(seg)]
			}
			epi(seg, seg, res, 0, e.Act)
		}
	})
}

// oldWinogradThreads keeps small transforms on one goroutine, where spawning
// would cost more than the work. Thread counts never change results.
func oldWinogradThreads(elems, threads int) int {
	const minElemsPerThread = 1 << 13
	return max(1, min(parallel.Threads(threads), elems/minElemsPerThread))
}

// oldTileCursor walks tiles in the order images, tile rows, tile columns.
type oldTileCursor struct{ n, ty, tx int }

func (pl *oldWinogradPlan) cursor(tile int) oldTileCursor {
	perImage := pl.tilesH * pl.tilesW
	r := tile % perImage
	return oldTileCursor{tile / perImage, r / pl.tilesW, r % pl.tilesW}
}

func (pl *oldWinogradPlan) next(c *oldTileCursor) {
	c.tx++
	if c.tx == pl.tilesW {
		c.tx = 0
		c.ty++
		if c.ty == pl.tilesH {
			c.ty = 0
			c.n++
		}
	}
}

// inputTransform fills V[ξ][c][t] (V[ξ] is Cin×nt at v[ξ·vs:]) for the
// (c, t) pairs c·nt + t in [lo, hi) of the block of nt tiles starting at
// tile t0, oldWinogradGroup tiles of a channel at a time.
func (pl *oldWinogradPlan) inputTransform(v []float32, vs int, in []float32, t0, nt, lo, hi int) {
	p := pl.p
	m, alpha := pl.kind.m, pl.kind.alpha()
	a2 := alpha * alpha
	input := pl.kind.input
	hw := p.H * p.W
	var patch [oldWinogradMaxAlpha * oldWinogradMaxAlpha]float32
	var buf oldWinogradGroupBuf
	for idx := lo; idx < hi; {
		c, t := idx/nt, idx%nt
		run := min(hi-idx, nt-t) // tiles of channel c in this range
		cur := pl.cursor(t0 + t)
		for g0 := 0; g0 < run; g0 += oldWinogradGroup {
			gn := min(oldWinogradGroup, run-g0)
			for k := 0; k < gn; k++ {
				plane := in[(cur.n*p.Cin+c)*hw : (cur.n*p.Cin+c+1)*hw]
				y0, x0 := cur.ty*m-p.PadT, cur.tx*m-p.PadL
				if y0 >= 0 && x0 >= 0 && y0+alpha <= p.H && x0+alpha <= p.W {
					input(plane[y0*p.W+x0:], p.W, &buf, k)
				} else {
					// Border tile: copy the part inside the image into a
					// zeroed α×α patch (the padding, and rows or columns
					// past the end of partial tiles, whose outputs are
					// never written).
					clear(patch[:alpha*alpha])
					jlo, jhi := max(0, -x0), min(alpha, p.W-x0)
					for i := max(0, -y0); i < min(alpha, p.H-y0); i++ {
						row := (y0+i)*p.W + x0
						for j := jlo; j < jhi; j++ { // a few values: cheaper than copy
							patch[i*alpha+j] = plane[row+j]
						}
					}
					input(patch[:], alpha, &buf, k)
				}
				pl.next(&cur)
			}
			base := idx + g0
			if gn == oldWinogradGroup {
				for xi := 0; xi < a2; xi++ {
					oldWinogradCopyGroup(v[xi*vs+base:], buf[xi*oldWinogradGroup:])
				}
			} else {
				for xi := 0; xi < a2; xi++ {
					for k := 0; k < gn; k++ {
						v[xi*vs+base+k] = buf[xi*oldWinogradGroup+k]
					}
				}
			}
		}
		idx += run
	}
}

// outputTransform writes the output tiles of the (o, t) pairs o·nt + t in
// [lo, hi) from M[ξ][o][t] (M[ξ] is Cout×nt at mm[ξ·ms:]), adding the bias,
// oldWinogradGroup tiles of a filter at a time.
func (pl *oldWinogradPlan) outputTransform(out, mm []float32, ms int, t0, nt, lo, hi int) {
	p := pl.p
	m, alpha := pl.kind.m, pl.kind.alpha()
	a2 := alpha * alpha
	output := pl.kind.output
	ho, wo := p.OutH(), p.OutW()
	var tile [(oldWinogradMaxAlpha - 2) * (oldWinogradMaxAlpha - 2)]float32
	var buf oldWinogradGroupBuf
	for idx := lo; idx < hi; {
		o, t := idx/nt, idx%nt
		run := min(hi-idx, nt-t)
		var b float32
		if pl.bias != nil {
			b = pl.bias[o]
		}
		cur := pl.cursor(t0 + t)
		for g0 := 0; g0 < run; g0 += oldWinogradGroup {
			gn := min(oldWinogradGroup, run-g0)
			base := idx + g0
			if gn == oldWinogradGroup {
				for xi := 0; xi < a2; xi++ {
					oldWinogradCopyGroup(buf[xi*oldWinogradGroup:], mm[xi*ms+base:])
				}
			} else {
				for xi := 0; xi < a2; xi++ {
					for k := 0; k < gn; k++ {
						buf[xi*oldWinogradGroup+k] = mm[xi*ms+base+k]
					}
				}
			}
			for k := 0; k < gn; k++ {
				plane := out[(cur.n*p.Cout+o)*ho*wo : (cur.n*p.Cout+o+1)*ho*wo]
				y0, x0 := cur.ty*m, cur.tx*m
				if y0+m <= ho && x0+m <= wo {
					output(&buf, k, b, plane[y0*wo+x0:], wo)
				} else {
					// Partial tile at the bottom or right edge.
					output(&buf, k, b, tile[:], m)
					rows, cols := min(m, ho-y0), min(m, wo-x0)
					for i := 0; i < rows; i++ {
						for j := 0; j < cols; j++ {
							plane[(y0+i)*wo+x0+j] = tile[i*m+j]
						}
					}
				}
				pl.next(&cur)
			}
		}
		idx += run
	}
}

// oldWinogradCopyGroup copies oldWinogradGroup values from src to dst in 16-byte
// moves (a single vector load and store each, inlined; a wider array
// assignment between buffers the compiler cannot prove disjoint becomes a
// call to memmove).
func oldWinogradCopyGroup(dst, src []float32) {
	for h := 0; h < oldWinogradGroup; h += 4 {
		*(*[4]float32)(dst[h:]) = *(*[4]float32)(src[h:])
	}
}

func oldCeilDivInt(a, b int) int { return (a + b - 1) / b }

// oldWinogradPlaneStride is the distance between the α² planes V[ξ] (or M[ξ])
// of n elements: n rounded up to whole 64-byte lines, plus one line if that
// count is even. A transform touches the same element of every plane, and
// with an even (typically power-of-two-rich) stride those α² addresses fall
// into one L1 set and evict each other on every tile; an odd number of
// lines spreads them over α² different sets.
func oldWinogradPlaneStride(n int) int {
	const line = 16 // float32 per 64-byte line
	s := oldCeilDivInt(n, line)
	if s%2 == 0 {
		s++
	}
	return s * line
}

var oldWinogradF2x3 = oldWinogradKind{
	m: 2,
	bt: [][]float64{
		{1, 0, -1, 0},
		{0, 1, 1, 0},
		{0, -1, 1, 0},
		{0, 1, 0, -1},
	},
	g: [][]float64{
		{1, 0, 0},
		{1.0 / 2, 1.0 / 2, 1.0 / 2},
		{1.0 / 2, -1.0 / 2, 1.0 / 2},
		{0, 0, 1},
	},
	at: [][]float64{
		{1, 1, 1, 0},
		{0, 1, -1, -1},
	},
	input:  oldWinogradInputF2x3,
	output: oldWinogradOutputF2x3,
}

// oldWinogradInputF2x3 is V = Bᵀ d B: first W = d B row by row (stored
// transposed, w[j·4+i] = W[i][j]), then V = Bᵀ W column by column.
func oldWinogradInputF2x3(d []float32, ld int, v *oldWinogradGroupBuf, k int) {
	k &= oldWinogradGroup - 1
	var w [16]float32
	for i := 0; i < 4; i++ {
		r := d[i*ld : i*ld+4 : i*ld+4]
		d0, d1, d2, d3 := r[0], r[1], r[2], r[3]
		w[0*4+i] = d0 - d2
		w[1*4+i] = d1 + d2
		w[2*4+i] = d2 - d1
		w[3*4+i] = d1 - d3
	}
	for j := 0; j < 4; j++ {
		c := w[j*4 : j*4+4 : j*4+4]
		d0, d1, d2, d3 := c[0], c[1], c[2], c[3]
		v[(0*4+j)*oldWinogradGroup+k] = d0 - d2
		v[(1*4+j)*oldWinogradGroup+k] = d1 + d2
		v[(2*4+j)*oldWinogradGroup+k] = d2 - d1
		v[(3*4+j)*oldWinogradGroup+k] = d1 - d3
	}
}

// oldWinogradOutputF2x3 is Y = Aᵀ M A + bias: first S = Aᵀ M column by column
// (s[i·4+j] = S[i][j]), then Y = S A row by row, so that each output row
// is written contiguously.
func oldWinogradOutputF2x3(mm *oldWinogradGroupBuf, k int, bias float32, y []float32, ly int) {
	const g = oldWinogradGroup
	k &= g - 1
	var s [8]float32
	for j := 0; j < 4; j++ {
		c := mm[j*g+k:] // column j: M[i][j] at c[i·4·g]
		m0, m1, m2, m3 := c[0], c[4*g], c[8*g], c[12*g]
		s[0*4+j] = m0 + m1 + m2
		s[1*4+j] = m1 - m2 - m3
	}
	for i := 0; i < 2; i++ {
		r := s[i*4 : i*4+4 : i*4+4]
		m0, m1, m2, m3 := r[0], r[1], r[2], r[3]
		yr := y[i*ly : i*ly+2 : i*ly+2]
		yr[0] = m0 + m1 + m2 + bias
		yr[1] = m1 - m2 - m3 + bias
	}
}

var oldWinogradF4x3 = oldWinogradKind{
	m: 4,
	bt: [][]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	},
	g: [][]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	},
	at: [][]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	},
	input:  oldWinogradInputF4x3,
	output: oldWinogradOutputF4x3,
}

// oldWinogradInputF4x3 is V = Bᵀ d B: first W = d B row by row (stored
// transposed, w[j·6+i] = W[i][j]), then V = Bᵀ W column by column. One
// row (or column) x ↦ Bᵀx is
//
//	v0 = 4(x0 − x2) + (x4 − x2)      v5 = 4(x1 − x3) + (x5 − x3)
//	v1 = (x4 − 4x2) + (x3 − 4x1)     v2 = (x4 − 4x2) − (x3 − 4x1)
//	v3 = (x4 − x2) + 2(x3 − x1)      v4 = (x4 − x2) − 2(x3 − x1)
func oldWinogradInputF4x3(d []float32, ld int, v *oldWinogradGroupBuf, k int) {
	k &= oldWinogradGroup - 1
	var w [36]float32
	for i := 0; i < 6; i++ {
		r := d[i*ld : i*ld+6 : i*ld+6]
		x0, x1, x2, x3, x4, x5 := r[0], r[1], r[2], r[3], r[4], r[5]
		a, b := x4-4*x2, x3-4*x1
		c, e := x4-x2, 2*(x3-x1)
		w[0*6+i] = 4*(x0-x2) + c
		w[1*6+i] = a + b
		w[2*6+i] = a - b
		w[3*6+i] = c + e
		w[4*6+i] = c - e
		w[5*6+i] = 4*(x1-x3) + (x5 - x3)
	}
	for j := 0; j < 6; j++ {
		r := w[j*6 : j*6+6 : j*6+6]
		x0, x1, x2, x3, x4, x5 := r[0], r[1], r[2], r[3], r[4], r[5]
		a, b := x4-4*x2, x3-4*x1
		c, e := x4-x2, 2*(x3-x1)
		v[(0*6+j)*oldWinogradGroup+k] = 4*(x0-x2) + c
		v[(1*6+j)*oldWinogradGroup+k] = a + b
		v[(2*6+j)*oldWinogradGroup+k] = a - b
		v[(3*6+j)*oldWinogradGroup+k] = c + e
		v[(4*6+j)*oldWinogradGroup+k] = c - e
		v[(5*6+j)*oldWinogradGroup+k] = 4*(x1-x3) + (x5 - x3)
	}
}

// oldWinogradOutputF4x3 is Y = Aᵀ M A + bias: first S = Aᵀ M column by column
// (t[i·6+j] = S[i][j]), then Y = S A row by row, so that each output row is
// written contiguously. One column (or row) x ↦ Aᵀx is, with s = x1 + x2,
// d = x1 − x2, S = x3 + x4, D = x3 − x4:
// y0 = x0 + s + S, y1 = d + 2D, y2 = s + 4S, y3 = d + 8D + x5.
func oldWinogradOutputF4x3(mm *oldWinogradGroupBuf, k int, bias float32, y []float32, ly int) {
	const g = oldWinogradGroup
	k &= g - 1
	var t [24]float32
	for j := 0; j < 6; j++ {
		c := mm[j*g+k : j*g+k+30*g+1] // column j: M[i][j] at c[i·6·g]
		x0, x1, x2, x3, x4, x5 := c[0], c[6*g], c[12*g], c[18*g], c[24*g], c[30*g]
		s, d, S, D := x1+x2, x1-x2, x3+x4, x3-x4
		t[0*6+j] = x0 + s + S
		t[1*6+j] = d + 2*D
		t[2*6+j] = s + 4*S
		t[3*6+j] = d + 8*D + x5
	}
	for i := 0; i < 4; i++ {
		r := t[i*6 : i*6+6 : i*6+6]
		x0, x1, x2, x3, x4, x5 := r[0], r[1], r[2], r[3], r[4], r[5]
		s, d, S, D := x1+x2, x1-x2, x3+x4, x3-x4
		yr := y[i*ly : i*ly+4 : i*ly+4]
		yr[0] = x0 + s + S + bias
		yr[1] = d + 2*D + bias
		yr[2] = s + 4*S + bias
		yr[3] = d + 8*D + x5 + bias
	}
}

var oldWinogradF6x3 = oldWinogradKind{
	m: 6,
	bt: [][]float64{
		{1, 0, -21.0 / 4, 0, 21.0 / 4, 0, -1, 0},
		{0, 1, 1, -17.0 / 4, -17.0 / 4, 1, 1, 0},
		{0, -1, 1, 17.0 / 4, -17.0 / 4, -1, 1, 0},
		{0, 1.0 / 2, 1.0 / 4, -5.0 / 2, -5.0 / 4, 2, 1, 0},
		{0, -1.0 / 2, 1.0 / 4, 5.0 / 2, -5.0 / 4, -2, 1, 0},
		{0, 2, 4, -5.0 / 2, -5, 1.0 / 2, 1, 0},
		{0, -2, 4, 5.0 / 2, -5, -1.0 / 2, 1, 0},
		{0, -1, 0, 21.0 / 4, 0, -21.0 / 4, 0, 1},
	},
	g: [][]float64{
		{1, 0, 0},
		{-2.0 / 9, -2.0 / 9, -2.0 / 9},
		{-2.0 / 9, 2.0 / 9, -2.0 / 9},
		{1.0 / 90, 1.0 / 45, 2.0 / 45},
		{1.0 / 90, -1.0 / 45, 2.0 / 45},
		{32.0 / 45, 16.0 / 45, 8.0 / 45},
		{32.0 / 45, -16.0 / 45, 8.0 / 45},
		{0, 0, 1},
	},
	at: [][]float64{
		{1, 1, 1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 1.0 / 2, -1.0 / 2, 0},
		{0, 1, 1, 4, 4, 1.0 / 4, 1.0 / 4, 0},
		{0, 1, -1, 8, -8, 1.0 / 8, -1.0 / 8, 0},
		{0, 1, 1, 16, 16, 1.0 / 16, 1.0 / 16, 0},
		{0, 1, -1, 32, -32, 1.0 / 32, -1.0 / 32, 1},
	},
	input:  oldWinogradInputF6x3,
	output: oldWinogradOutputF6x3,
}

// oldWinogradInput1DF6x3 is x ↦ Bᵀx for one row or column.
func oldWinogradInput1DF6x3(x0, x1, x2, x3, x4, x5, x6, x7 float32) (v0, v1, v2, v3, v4, v5, v6, v7 float32) {
	v0 = (x0 - x6) + 5.25*(x4-x2)
	v7 = (x7 - x1) + 5.25*(x3-x5)
	a, b := (x2+x6)-4.25*x4, (x1+x5)-4.25*x3
	v1, v2 = a+b, a-b
	a, b = (x6+0.25*x2)-1.25*x4, (0.5*x1+2*x5)-2.5*x3
	v3, v4 = a+b, a-b
	a, b = (x6+4*x2)-5*x4, (2*x1+0.5*x5)-2.5*x3
	v5, v6 = a+b, a-b
	return
}

// oldWinogradInputF6x3 is V = Bᵀ d B: first W = d B row by row (stored
// transposed, w[j·8+i] = W[i][j]), then V = Bᵀ W column by column.
func oldWinogradInputF6x3(d []float32, ld int, v *oldWinogradGroupBuf, k int) {
	k &= oldWinogradGroup - 1
	var w [64]float32
	for i := 0; i < 8; i++ {
		r := d[i*ld : i*ld+8 : i*ld+8]
		w[0*8+i], w[1*8+i], w[2*8+i], w[3*8+i], w[4*8+i], w[5*8+i], w[6*8+i], w[7*8+i] =
			oldWinogradInput1DF6x3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
	}
	for j := 0; j < 8; j++ {
		const g = oldWinogradGroup
		r := w[j*8 : j*8+8 : j*8+8]
		o := v[j*g+k : j*g+k+56*g+1]
		o[0], o[8*g], o[16*g], o[24*g], o[32*g], o[40*g], o[48*g], o[56*g] =
			oldWinogradInput1DF6x3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
	}
}

// oldWinogradOutput1DF6x3 is x ↦ Aᵀx for one row or column.
func oldWinogradOutput1DF6x3(x0, x1, x2, x3, x4, x5, x6, x7 float32) (y0, y1, y2, y3, y4, y5 float32) {
	s1, d1 := x1+x2, x1-x2
	s2, d2 := x3+x4, x3-x4
	s3, d3 := x5+x6, x5-x6
	y0 = x0 + s1 + s2 + s3
	y1 = d1 + 2*d2 + 0.5*d3
	y2 = s1 + 4*s2 + 0.25*s3
	y3 = d1 + 8*d2 + 0.125*d3
	y4 = s1 + 16*s2 + 0.0625*s3
	y5 = d1 + 32*d2 + 0.03125*d3 + x7
	return
}

// oldWinogradOutputF6x3 is Y = Aᵀ M A + bias: first S = Aᵀ M column by column
// (t[i·8+j] = S[i][j]), then Y = S A row by row, so that each output row is
// written contiguously.
func oldWinogradOutputF6x3(mm *oldWinogradGroupBuf, k int, bias float32, y []float32, ly int) {
	const g = oldWinogradGroup
	k &= g - 1
	var t [48]float32
	for j := 0; j < 8; j++ {
		c := mm[j*g+k : j*g+k+56*g+1] // column j: M[i][j] at c[i·8·g]
		t[0*8+j], t[1*8+j], t[2*8+j], t[3*8+j], t[4*8+j], t[5*8+j] = oldWinogradOutput1DF6x3(
			c[0], c[8*g], c[16*g], c[24*g], c[32*g], c[40*g], c[48*g], c[56*g])
	}
	for i := 0; i < 6; i++ {
		r := t[i*8 : i*8+8 : i*8+8]
		y0, y1, y2, y3, y4, y5 := oldWinogradOutput1DF6x3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
		yr := y[i*ly : i*ly+6 : i*ly+6]
		yr[0], yr[1], yr[2], yr[3], yr[4], yr[5] = y0+bias, y1+bias, y2+bias, y3+bias, y4+bias, y5+bias
	}
}
