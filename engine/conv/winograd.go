package conv

// Winograd: minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms
// for Convolutional Neural Networks", CVPR 2016, arXiv:1509.09308), with the
// transforms in the files winograd_f2x3.go, winograd_f4x3.go and
// winograd_f6x3.go and the shared driver here.
//
// Computes the same cross-correlation as naive.go,
// out[n,o,y,x] = bias[o] + Σ_{c,i,j} in[n, c, y−pT+i, x−pL+j] · w[o,c,i,j],
// for 3×3 kernels at stride 1 and dilation 1, groups = 1, any padding
// (asymmetric too), any batch and any H, W (tiles hanging over the bottom or
// right edge are computed whole and written in part). Other shapes give an
// error wrapping ErrUnsupported that names the constraint.
//
// The output is cut into m×m tiles; tile (ty, tx) of image n reads the α×α
// input patch (α = m+2) whose top-left corner is in[n, c, ty·m−pT, tx·m−pL]
// (zeros outside the image). With the transform matrices Bᵀ (α×α), G (α×3)
// and Aᵀ (m×α) of the file for m, one tile is
//
//	Y = Aᵀ [ Σ_c (G g_{o,c} Gᵀ) ⊙ (Bᵀ d_c B) ] A      (⊙: elementwise)
//
// so for each of the α² positions ξ of the transformed tile the sum over c is
// a matrix product over all tiles at once:
//
//	M[ξ] (Cout × T) = U[ξ] (Cout × Cin) · V[ξ] (Cin × T).
//
// Plan computes U[ξ][o][c] = (G g_{o,c} Gᵀ)[ξ] once, in float64 rounded once
// to float32, and packs each U[ξ] with gemm.PackA. Forward works through the
// N·⌈Ho/m⌉·⌈Wo/m⌉ tiles (images, then tile rows, then tile columns) in
// blocks of Tb tiles, and for each block:
//
//  1. input transform: V[ξ][c][t] = (Bᵀ d_{c,t} B)[ξ] for every channel c and
//     tile t of the block (workspace V: α²·Cin·Tb);
//  2. α² GEMMs M[ξ] = U[ξ]·V[ξ] with gemm.SgemmPacked (workspace M:
//     α²·Cout·Tb, plus one packed-B block of the GEMM per GEMM worker);
//  3. output transform: out tile (o, t) = (Aᵀ M[·][o][t] A) + bias[o].
//
// Tb is chosen so that V and M together take about winogradBlockFloats
// float32 (2 MiB: L2/L3 resident) but at least winogradMinBlockTiles tiles
// (fewer make the GEMMs too thin), then evened out over the blocks and
// rounded up to whole NR-wide panels of the GEMM kernel; Winograd.TileBlock
// overrides it (measured on Zen 4 with AVX2 kernels, Tb from 16 to 256
// changes the time by a few percent at most). The workspace is thus bounded
// whatever the image size: VGG-16's 64×224×224 layer with F(4x4,3x3) (3136
// tiles) needs ≈ 2 MB instead of the 58 MB of all tiles at once.
//
// Layout details that matter for speed. The α² planes V[ξ] (and M[ξ]) are
// spaced an odd number of cache lines apart (winogradPlaneStride): a tile
// reads or writes the same position of every plane, and with a power-of-two
// spacing those α² lines would all map to one L1 set (measured: 3× slower
// transforms on VGG-16 features.2). The transforms work on groups of
// winogradGroup tiles of one channel through a small buffer, so that V and M
// are moved in contiguous runs and the unrolled transforms index only
// fixed-size arrays (no bounds checks).
//
// Cost per output element and pair of channels: α²/m² multiplies in the
// GEMMs instead of 9 (F(2x2): 4, 2.25× fewer; F(4x4): 2.25, 4×;
// F(6x6): 1.78, 5.06×), plus the transforms, which are O(Cin + Cout) per
// tile instead of O(Cin·Cout). They are scalar Go, so with vector GEMM
// kernels they take about half the time on 64-channel layers and ~15% at
// 256–512 channels. Two more costs show on small images: tiles that hang
// over the edge are computed whole (7×7 outputs in F(6x6) tiles: 2.9× the
// work), and the transformed weights, α²/9 times the weights (4× for
// F(4x4), 7.1× for F(6x6): 37 MB and 67 MB for 512×512 filters), are read
// once per Forward for only a few tiles. On ResNet-50's 512×7×7 layers that
// makes F(4x4) and F(6x6) slower than im2col; F(2x2) still wins. Choosing
// per layer is the job of the auto algorithm.
//
// Accuracy: Winograd is not a reordering of the direct sum; its error grows
// with m (the transforms mix values of very different magnitudes). DESIGN.md
// §8 bounds the relative L2 error against the float64 naive convolution at
// 2e-5 for F(2x2) and F(4x4) and 1e-4 for F(6x6); winograd_test.go records
// the measured worst cases.
//
// Threads: the input transform is split over (channel, tile) pairs, the
// output transform over (filter, tile) pairs, and the α² GEMMs are shared
// out whole among the threads (each single-threaded) when there are at most
// α²/4 threads, otherwise each is split over output blocks by engine/gemm.
// So a block costs three fork-joins, not α²+2. The workspace holds one GEMM
// packing buffer per possible worker: min(α²/4, GOMAXPROCS at Plan time)
// of them, a few KB to a few tens of KB each. No reduction is ever split,
// so results are bitwise identical for any thread count (and for any Tb: a
// GEMM element's value does not depend on where the blocking put it, nor
// on the GEMM's own thread count).

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// Winograd is the Winograd minimal-filtering algorithm F(M×M, 3×3). The
// registered values are Winograd{M: 2} ("winograd-f2x3"), Winograd{M: 4}
// ("winograd-f4x3") and Winograd{M: 6} ("winograd-f6x3"). The zero Config
// uses the active kernel set and default blocking; TileBlock > 0 fixes the
// number of tiles transformed and multiplied together (for experiments: it
// changes speed and workspace, never the result).
type Winograd struct {
	M         int // output tile size: 2, 4 or 6
	Config    gemm.Config
	TileBlock int
}

// Block-size defaults (see the file comment).
const (
	winogradBlockFloats   = 1 << 19 // V + M of one block: 2 MiB
	winogradMinBlockTiles = 32
	winogradMaxAlpha      = 8
	// winogradMinGemmsPerWorker: the α² GEMMs of a block are shared out
	// whole among at most α²/4 goroutines (≤ 20% imbalance); see Forward.
	winogradMinGemmsPerWorker = 4
	winogradMinGemmMACs       = 1 << 17 // below this, a block's GEMMs run on one goroutine
	// winogradGroup tiles of one channel are transformed together through
	// a winogradGroupBuf, so that V and M are read and written in runs of
	// winogradGroup contiguous values rather than one strided value per
	// tile. A power of two.
	winogradGroup = kernels.WinogradGroup
)

// winogradGroupBuf holds the α² transformed values of winogradGroup tiles:
// value ξ of tile k at [ξ·winogradGroup + k].
type winogradGroupBuf = [winogradMaxAlpha * winogradMaxAlpha * winogradGroup]float32

// winogradKind holds the transforms of one F(m×m, 3×3).
type winogradKind struct {
	m int
	// bt (α×α), g (α×3) and at (m×α) are the transform matrices. g is used
	// by Plan (in float64); bt and at document the transforms of the
	// kernel sets (engine/kernels/winograd.go) and are what the tests check
	// them against.
	bt, g, at [][]float64
	// input and output, when not nil, replace the kernel set's transforms
	// with per-tile ones (the tests' kinds built from other matrices).
	input  winogradInputFunc
	output winogradOutputFunc
}

func (k *winogradKind) alpha() int { return k.m + 2 }

// winogradInputFunc computes V = Bᵀ d B for tile k of a group: d is α×α
// with row stride ld (d[i·ld + j]); V[ξ], ξ = row·α + column, goes to
// v[ξ·winogradGroup + k].
type winogradInputFunc func(d []float32, ld int, v *winogradGroupBuf, k int)

// winogradOutputFunc computes Y = Aᵀ M A + bias for tile k of a group: M[ξ]
// is mm[ξ·winogradGroup + k]; Y (m×m) goes to y[i·ly + j].
type winogradOutputFunc func(mm *winogradGroupBuf, k int, bias float32, y []float32, ly int)

// groupTransforms returns the transforms of a group of winogradGroup
// tiles, in the form of kernels.Set.WinogradInput and WinogradOutput with m
// bound: the kernel set's, or the kind's own per-tile ones.
func (k *winogradKind) groupTransforms(set *kernels.Set) (
	input func(d *kernels.WinogradTiles, v []float32, vs int),
	output func(mm []float32, ms int, bias float32, y *kernels.WinogradTiles)) {
	m, a2 := k.m, k.alpha()*k.alpha()
	if k.input == nil {
		if set == nil || set.WinogradInput == nil || set.WinogradOutput == nil {
			set = kernels.Generic
		}
		in, out := set.WinogradInput, set.WinogradOutput
		return func(d *kernels.WinogradTiles, v []float32, vs int) { in(m, d, v, vs) },
			func(mm []float32, ms int, bias float32, y *kernels.WinogradTiles) { out(m, mm, ms, bias, y) }
	}
	input = func(d *kernels.WinogradTiles, v []float32, vs int) {
		var buf winogradGroupBuf
		for t := range d.Data {
			k.input(d.Data[t], d.Stride[t], &buf, t)
		}
		for xi := 0; xi < a2; xi++ {
			copy(v[xi*vs:xi*vs+winogradGroup], buf[xi*winogradGroup:])
		}
	}
	output = func(mm []float32, ms int, bias float32, y *kernels.WinogradTiles) {
		var buf winogradGroupBuf
		for xi := 0; xi < a2; xi++ {
			copy(buf[xi*winogradGroup:(xi+1)*winogradGroup], mm[xi*ms:])
		}
		for t := range y.Data {
			k.output(&buf, t, bias, y.Data[t], y.Stride[t])
		}
	}
	return input, output
}

// winogradKinds maps a tile size to its transforms.
var winogradKinds = map[int]*winogradKind{2: &winogradF2x3, 4: &winogradF4x3, 6: &winogradF6x3}

// Name implements Algorithm: "winograd-f<M>x3".
func (a Winograd) Name() string { return fmt.Sprintf("winograd-f%dx3", a.M) }

// Plan implements Algorithm: it checks the shape and transforms and packs
// the weights (α² packed Cout×Cin matrices).
func (a Winograd) Plan(p Params, weights, bias []float32) (Plan, error) {
	kind, ok := winogradKinds[a.M]
	if !ok {
		return nil, fmt.Errorf("conv: %s: no such tile size (have F(2x2,3x3), F(4x4,3x3), F(6x6,3x3))", a.Name())
	}
	return a.plan(kind, p, weights, bias)
}

// plan is Plan with the transforms given (tests pass other interpolation
// points through it).
func (a Winograd) plan(kind *winogradKind, p Params, weights, bias []float32) (Plan, error) {
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
	pl := &winogradPlan{p: p, kind: kind, bias: bias}
	pl.u = winogradTransformWeights(a.Config, kind, p.Cout, p.Cin, weights)
	pl.input, pl.output = kind.groupTransforms(pl.u[0].Kernels())
	m, alpha := kind.m, kind.alpha()
	pl.tilesH, pl.tilesW = ceilDivInt(p.OutH(), m), ceilDivInt(p.OutW(), m)
	pl.tiles = p.N * pl.tilesH * pl.tilesW
	tb := a.TileBlock
	if tb == 0 {
		tb = max(winogradMinBlockTiles, winogradBlockFloats/(alpha*alpha*(p.Cin+p.Cout)))
	}
	tb = min(tb, pl.tiles)
	// Even the blocks out (same count, a less ragged last block), in whole
	// column panels of the GEMM kernel (NR) where that fits.
	blocks := ceilDivInt(pl.tiles, tb)
	nr := pl.u[0].Kernels().NR
	pl.tb = min(pl.tiles, ceilDivInt(ceilDivInt(pl.tiles, blocks), nr)*nr)
	pl.vLen = alpha * alpha * winogradPlaneStride(p.Cin*pl.tb)
	pl.mLen = alpha * alpha * winogradPlaneStride(p.Cout*pl.tb)
	// One GEMM packing buffer per worker of the GEMM phase (see Forward);
	// each is small (one packed Cin×Tb block of V[ξ] at most).
	pl.gemmLen = pl.u[0].WorkspaceSize(pl.tb)
	pl.slots = max(1, min(alpha*alpha/winogradMinGemmsPerWorker, runtime.GOMAXPROCS(0)))
	pl.ws = pl.vLen + pl.mLen + pl.slots*pl.gemmLen
	return pl, nil
}

// winogradTransformWeights returns U[ξ] = (G g Gᵀ)[ξ] for every (o, c),
// computed in float64 and rounded once, packed as α² Cout×Cin left operands.
func winogradTransformWeights(cfg gemm.Config, kind *winogradKind, cout, cin int, w []float32) []*gemm.PackedA {
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

type winogradPlan struct {
	p                     Params
	kind                  *winogradKind
	u                     []*gemm.PackedA // α² packed Cout×Cin
	bias                  []float32
	input                 func(d *kernels.WinogradTiles, v []float32, vs int)
	output                func(mm []float32, ms int, bias float32, y *kernels.WinogradTiles)
	tilesH, tilesW, tiles int // tiles per column and row of an image; in all
	tb                    int // tiles per block
	vLen, mLen            int // V and M of one block, plane strides included
	gemmLen, slots        int // one GEMM workspace; how many (see Forward)
	ws                    int
}

func (pl *winogradPlan) Workspace() int { return pl.ws }
func (pl *winogradPlan) Params() Params { return pl.p }

func (pl *winogradPlan) Forward(out, in, ws []float32, threads int) {
	pl.ForwardEpilogue(out, in, ws, threads, Epilogue{})
}

// ForwardEpilogue implements EpiloguePlan: after each block of tiles, the
// output rows whose tiles are all transformed get the residual and the
// activation, while the block is still in cache.
func (pl *winogradPlan) ForwardEpilogue(out, in, ws []float32, threads int, e Epilogue) {
	p := pl.p
	checkForwardArgs("Winograd", p, out, in, ws, pl.ws)
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
	if threads > a2/winogradMinGemmsPerWorker {
		workers = 1
	}
	for t0 := 0; t0 < pl.tiles; t0 += pl.tb {
		nt := min(pl.tb, pl.tiles-t0)
		vs, ms := winogradPlaneStride(p.Cin*nt), winogradPlaneStride(p.Cout*nt)
		parallel.For(p.Cin*nt, winogradThreads(a2*p.Cin*nt, threads), func(lo, hi int) {
			pl.inputTransform(v, vs, in, t0, nt, lo, hi)
		})
		bw, gemmThreads := workers, threads
		if a2*p.Cout*p.Cin*nt < winogradMinGemmMACs {
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
		parallel.For(p.Cout*nt, winogradThreads(a2*p.Cout*nt, threads), func(lo, hi int) {
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
func (pl *winogradPlan) epilogueRows(out []float32, r0, r1 int, e Epilogue, threads int) {
	if r0 >= r1 {
		return
	}
	p := pl.p
	m := pl.kind.m
	ho, wo := p.OutH(), p.OutW()
	n0, n1 := r0/pl.tilesH, (r1-1)/pl.tilesH
	segs := (n1 - n0 + 1) * p.Cout
	epi := kernels.Active().Epilogue
	parallel.For(segs, winogradThreads(segs*(r1-r0)*m*wo/(n1-n0+1), threads), func(lo, hi int) {
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

// winogradThreads keeps small transforms on one goroutine, where spawning
// would cost more than the work. Thread counts never change results.
func winogradThreads(elems, threads int) int {
	const minElemsPerThread = 1 << 13
	return max(1, min(parallel.Threads(threads), elems/minElemsPerThread))
}

// tileCursor walks tiles in the order images, tile rows, tile columns.
type tileCursor struct{ n, ty, tx int }

func (pl *winogradPlan) cursor(tile int) tileCursor {
	perImage := pl.tilesH * pl.tilesW
	r := tile % perImage
	return tileCursor{tile / perImage, r / pl.tilesW, r % pl.tilesW}
}

func (pl *winogradPlan) next(c *tileCursor) {
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
// tile t0, winogradGroup tiles of a channel at a time. The α input rows of
// each tile row are first copied into a zero-padded strip as wide as the
// tiles reach (one memmove per image row), so every tile is read in place
// from a strip: the transform needs no border cases, and a group may mix
// tiles of several tile rows or images.
func (pl *winogradPlan) inputTransform(v []float32, vs int, in []float32, t0, nt, lo, hi int) {
	p := pl.p
	m, alpha := pl.kind.m, pl.kind.alpha()
	a2 := alpha * alpha
	hw := p.H * p.W
	wp := pl.tilesW*m + 2 // strip width: columns −pL … tilesW·m+1−pL
	// Tile rows (over all images) one run of nt tiles can touch.
	rows := min(pl.p.N*pl.tilesH, (nt+pl.tilesW-2)/pl.tilesW+1)
	sp := winogradStrips.Get().(*[]float32)
	defer winogradStrips.Put(sp)
	if need := rows * alpha * wp; len(*sp) < need {
		*sp = make([]float32, need)
	}
	strips := *sp
	var tiles kernels.WinogradTiles
	var buf winogradGroupBuf
	for idx := lo; idx < hi; {
		c, t := idx/nt, idx%nt
		run := min(hi-idx, nt-t) // tiles of channel c in this range
		cur := pl.cursor(t0 + t)
		r0 := cur.n*pl.tilesH + cur.ty // first tile row of the run
		last := pl.cursor(t0 + t + run - 1)
		for r := r0; r <= last.n*pl.tilesH+last.ty; r++ {
			n, ty := r/pl.tilesH, r%pl.tilesH
			pl.fillStrip(strips[(r-r0)*alpha*wp:(r-r0+1)*alpha*wp], wp, in[(n*p.Cin+c)*hw:(n*p.Cin+c+1)*hw], ty)
		}
		for g0 := 0; g0 < run; g0 += winogradGroup {
			gn := min(winogradGroup, run-g0)
			for k := 0; k < gn; k++ {
				r := cur.n*pl.tilesH + cur.ty - r0
				off := r*alpha*wp + cur.tx*m
				tiles.Data[k], tiles.Stride[k] = strips[off:off+(alpha-1)*wp+alpha], wp
				pl.next(&cur)
			}
			for k := gn; k < winogradGroup; k++ { // unused slots of a partial group
				tiles.Data[k], tiles.Stride[k] = tiles.Data[0], tiles.Stride[0]
			}
			base := idx + g0
			if gn == winogradGroup {
				pl.input(&tiles, v[base:], vs)
			} else {
				// The next values of v belong to another channel (and
				// maybe another goroutine): transform into buf.
				pl.input(&tiles, buf[:], winogradGroup)
				for xi := 0; xi < a2; xi++ {
					copy(v[xi*vs+base:xi*vs+base+gn], buf[xi*winogradGroup:])
				}
			}
		}
		idx += run
	}
}

// winogradStrips recycles the strip buffers of inputTransform (*[]float32).
var winogradStrips = sync.Pool{New: func() any { return new([]float32) }}

// fillStrip copies input rows ty·m−pT … ty·m−pT+α−1 of one channel's plane
// into the α×wp strip s, column x of the image at s[i·wp + pL + x], and
// zeros the padding around them.
func (pl *winogradPlan) fillStrip(s []float32, wp int, plane []float32, ty int) {
	p := pl.p
	m, alpha := pl.kind.m, pl.kind.alpha()
	for i := 0; i < alpha; i++ {
		row := s[i*wp : (i+1)*wp]
		y := ty*m - p.PadT + i
		if y < 0 || y >= p.H {
			clear(row)
			continue
		}
		// Columns pL … pL+W−1 hold the image row; wp ≥ pL + W always
		// (tilesW·m ≥ OutW = W + pL + pR − 2), but the left padding may be
		// wider than the strip when W is tiny.
		l := min(p.PadL, wp)
		clear(row[:l])
		n := copy(row[l:], plane[y*p.W:(y+1)*p.W])
		clear(row[l+n:])
	}
}

// outputTransform writes the output tiles of the (o, t) pairs o·nt + t in
// [lo, hi) from M[ξ][o][t] (M[ξ] is Cout×nt at mm[ξ·ms:]), adding the bias,
// winogradGroup tiles of a filter at a time. Whole tiles are written in
// place; tiles hanging over the bottom or right edge go through a scratch
// tile and are copied in part.
func (pl *winogradPlan) outputTransform(out, mm []float32, ms int, t0, nt, lo, hi int) {
	p := pl.p
	m, alpha := pl.kind.m, pl.kind.alpha()
	a2 := alpha * alpha
	ho, wo := p.OutH(), p.OutW()
	var tiles kernels.WinogradTiles
	var scratch [winogradGroup][(winogradMaxAlpha - 2) * (winogradMaxAlpha - 2)]float32
	var buf winogradGroupBuf
	for idx := lo; idx < hi; {
		o, t := idx/nt, idx%nt
		run := min(hi-idx, nt-t)
		var b float32
		if pl.bias != nil {
			b = pl.bias[o]
		}
		cur := pl.cursor(t0 + t)
		for g0 := 0; g0 < run; g0 += winogradGroup {
			gn := min(winogradGroup, run-g0)
			base := idx + g0
			partial := 0 // bit k: tile k goes through scratch[k]
			c := cur
			for k := 0; k < winogradGroup; k++ {
				if k >= gn {
					tiles.Data[k], tiles.Stride[k] = scratch[k][:m*m], m
					continue
				}
				plane := out[(c.n*p.Cout+o)*ho*wo : (c.n*p.Cout+o+1)*ho*wo]
				y0, x0 := c.ty*m, c.tx*m
				if y0+m <= ho && x0+m <= wo {
					tiles.Data[k], tiles.Stride[k] = plane[y0*wo+x0:y0*wo+x0+(m-1)*wo+m], wo
				} else {
					tiles.Data[k], tiles.Stride[k] = scratch[k][:m*m], m
					partial |= 1 << k
				}
				pl.next(&c)
			}
			if gn == winogradGroup {
				pl.output(mm[base:], ms, b, &tiles)
			} else {
				for xi := 0; xi < a2; xi++ {
					copy(buf[xi*winogradGroup:xi*winogradGroup+gn], mm[xi*ms+base:])
				}
				pl.output(buf[:], winogradGroup, b, &tiles)
			}
			for k := 0; k < gn; k++ {
				if partial&(1<<k) != 0 {
					plane := out[(cur.n*p.Cout+o)*ho*wo : (cur.n*p.Cout+o+1)*ho*wo]
					y0, x0 := cur.ty*m, cur.tx*m
					rows, cols := min(m, ho-y0), min(m, wo-x0)
					for i := 0; i < rows; i++ {
						copy(plane[(y0+i)*wo+x0:(y0+i)*wo+x0+cols], scratch[k][i*m:])
					}
				}
				pl.next(&cur)
			}
		}
		idx += run
	}
}

func ceilDivInt(a, b int) int { return (a + b - 1) / b }

// winogradPlaneStride is the distance between the α² planes V[ξ] (or M[ξ])
// of n elements: n rounded up to whole 64-byte lines, plus one line if that
// count is even. A transform touches the same element of every plane, and
// with an even (typically power-of-two-rich) stride those α² addresses fall
// into one L1 set and evict each other on every tile; an odd number of
// lines spreads them over α² different sets.
func winogradPlaneStride(n int) int {
	const line = 16 // float32 per 64-byte line
	s := ceilDivInt(n, line)
	if s%2 == 0 {
		s++
	}
	return s * line
}
