package conv

// Direct: convolution straight from the input planes, register-blocked over
// output channels and pixels with the kernel set's GEMM micro-kernel, with no
// column matrix: the "implicit GEMM" of NNPACK's implicit_gemm algorithm and
// of Chetlur et al., "cuDNN: Efficient Primitives for Deep Learning",
// arXiv 1410.0759, §3. It is meant for the Cin = 3 stems of ResNet, VGG,
// MobileNet and EfficientNet, where im2col copies a K × Ho·Wo matrix
// (147 × 12544 floats for ResNet-50's conv1) only to pack it again.
//
// Computes out[n,o,y,x] = bias[o] + Σ_{c,i,j} in[n, g·Cin/G + c, y·s−p + i·d, x·s−p + j·d] · w[o,c,i,j]
// (the same cross-correlation as naive.go) as, for each image n and group g,
// out_g (Cout/G × Ho·Wo) = W_g (Cout/G × K) · X_g, K = (Cin/G)·KH·KW, where the
// K × Ho·Wo patch matrix X_g is never stored:
//
//   - Once per image the input is rewritten, padding made explicit, with each
//     channel split into sH·sW stride phases (a space-to-depth; see xIndex), so
//     that for every tap the NR lanes of consecutive output pixels on one
//     output row read NR consecutive floats, at any stride, with no bounds
//     checks (Cin·(H+pads)·(W+pads) floats: small next to X_g).
//   - For every run of NR output pixels the k×NR panel of X_g that the
//     micro-kernel reads is gathered from that copy (L1-sized: k ≤ KC = 256
//     steps at a time), and the output tiles above it, MR channels by NR
//     pixels, are computed by the set's micro-kernel (SgemmStrip for the run
//     of full tiles, SgemmEdge or a scratch tile at the edges) from the
//     weights packed once at Plan into MR-row panels in the order the loop
//     reads them (k = (c·KH + i)·KW + j, MR output channels contiguous).
//   - The bias is one more reduction step, bias[o] × 1 (a plane of ones in the
//     rewritten input): it rides in the micro-kernel instead of costing a
//     pass over the output, and with K + 1 ≤ KC it gives exactly the bits of
//     adding it last.
//
// Supports every shape Params.Validate accepts (any kernel, stride,
// dilation, asymmetric padding, groups, batch). Measured on this machine (AMD
// EPYC Zen 4, avx2 set, one thread, thread CPU time, best of 45 runs):
// 1.3× to 1.6× faster than im2col on the stems — ResNet-50 conv1 3.6 vs
// 5.3 ms, VGG-16 features.0 2.9 vs 4.7 ms, MobileNet v1 features.0.0 0.59 vs
// 0.75 ms — and also ahead on small-K layers (ResNet-50 layer1.0.conv2, K =
// 576: 3.4 vs 3.9 ms; the 64-channel 1×1s). It falls behind where K is large
// (layer3.0.conv2, K = 2304: 4.3 vs 3.6 ms; 1×1s over 256..1024 channels, up
// to 1.4×), where re-gathering a panel per pixel run costs more than the
// GEMM's one packing of B; and with Cout/G < MR (depthwise) most of the
// register tile is wasted: correct but slow, use depthwise there.
//
// Work split: a fixed grid of tasks (group, chunk of output pixels, block of
// output channels) fixed at Plan from the shape alone, dealt to at most
// min(threads, slots) workers, each with its own workspace slot. The
// reduction is never split and every output is summed in the same order (each
// KC block from zero in ascending k, then the running output), so results
// are bitwise identical for any thread count.
//
// Cost: N·Cout·Ho·Wo·(Cin/G)·KH·KW multiply-adds (plus Cout·Ho·Wo for the
// bias); packed weights Cout·(K+1) rounded up to MR per group; workspace the
// rewritten image (Cin·sH·sW·⌈Hp/sH⌉·⌈Wp/sW⌉, + G planes of ones) plus
// slots × (min(K+1, 256)·NR + MR·NR) float32, slots = GOMAXPROCS at Plan time.

import (
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// Direct is the direct (implicit-GEMM) algorithm. The zero value uses the
// active kernel set; set Kernels to pin one (tests, benchmarks).
type Direct struct {
	Kernels *kernels.Set
}

func init() { Register(Direct{}) }

// Name implements Algorithm.
func (Direct) Name() string { return "direct" }

// Blocking of the direct loop.
const (
	directKC       = 256 // reduction block at most: a KC×NR panel stays in L1
	directMaxChunk = 256 // output pixels per task at most
)

// Plan implements Algorithm: it packs the weights into MR-row panels.
func (a Direct) Plan(p Params, weights, bias []float32) (Plan, error) {
	return a.plan(p, weights, bias, workerSlots())
}

// plan is Plan with the number of workspace slots given (tests vary it to
// exercise other task grids).
func (a Direct) plan(p Params, weights, bias []float32, slots int) (Plan, error) {
	if err := checkPlanArgs(p, weights, bias); err != nil {
		return nil, err
	}
	set := a.Kernels
	if set == nil {
		set = kernels.Active()
	}
	MR, NR := set.MR, set.NR
	cinG, coutG := p.Cin/p.Groups, p.Cout/p.Groups
	khw := p.KH * p.KW
	// The reduction runs over r = (c·KH + i)·KW + j < (Cin/G)·KH·KW and, with
	// a bias, one more step r = K that multiplies the bias by a plane of
	// ones: the bias then rides in the micro-kernel as the last product (the
	// same value as adding it last), with no extra pass over the output.
	k := cinG * khw
	if bias != nil {
		k++
	}
	pl := &directPlan{p: p, set: set, k: k, slots: slots}

	// Weights: per group, ceil(Cout/G / MR) panels of k×MR.
	tiles := divUp(coutG, MR)
	pl.w = make([][]float32, p.Groups)
	for g := range pl.w {
		pw := make([]float32, tiles*k*MR)
		for o := 0; o < coutG; o++ {
			t, i := o/MR, o%MR
			src := weights[(g*coutG+o)*cinG*khw : (g*coutG+o+1)*cinG*khw]
			dst := pw[t*k*MR:]
			for r, v := range src {
				dst[r*MR+i] = v
			}
			if bias != nil {
				dst[(k-1)*MR+i] = bias[g*coutG+o]
			}
		}
		pl.w[g] = pw
	}

	// The padded, phase-split input (see xIndex) and, per reduction index,
	// where output pixel (0, 0) reads it. (The max is a guard: Params.Validate
	// refuses kernels that overhang the padded input.)
	hp := max(p.H+p.PadT+p.PadB, (p.OutH()-1)*p.StrideH+(p.KH-1)*p.DilH+1)
	wp := max(p.W+p.PadL+p.PadR, (p.OutW()-1)*p.StrideW+(p.KW-1)*p.DilW+1)
	pl.hu, pl.wv = divUp(hp, p.StrideH), divUp(wp, p.StrideW)
	pl.xg = cinG * p.StrideH * p.StrideW * pl.hu * pl.wv
	if bias != nil {
		pl.xg += pl.hu * pl.wv // the plane of ones
	}
	pl.off = make([]int, k)
	for r := range k {
		c, i, j := r/khw, r%khw/p.KW, r%p.KW
		pl.off[r] = pl.xIndex(c, i*p.DilH, j*p.DilW) // r = K (bias): the ones plane
	}

	hw := p.OutH() * p.OutW()
	pl.chunk, pl.chunks, pl.rows, pl.rowBlocks = taskGrid(p.Groups, hw, coutG, NR, MR, pl.slots, directMaxChunk)
	// Equal reduction blocks of at most KC: the bias step never ends up a
	// block of its own.
	pl.kcStep = divUp(k, divUp(k, directKC))
	pl.slotLen = pl.kcStep*NR + MR*NR
	return pl, nil
}

type directPlan struct {
	p   Params
	set *kernels.Set
	w   [][]float32 // [group]: ceil(Cout/G / MR) panels of k×MR
	k   int         // reduction length: (Cin/G)·KH·KW, + 1 with a bias
	// kcStep is the reduction block, ≤ KC.
	kcStep int

	hu, wv int   // phase plane size: ceil(padded H / sH) × ceil(padded W / sW)
	xg     int   // the transformed input of one image and group
	off    []int // per reduction index: its element of the transformed input for pixel (0, 0)

	slots           int
	chunk, chunks   int // output pixels per task, tasks per group
	rows, rowBlocks int // output channels per task (a multiple of MR), blocks per group
	slotLen         int
}

// xIndex is where padded[c][py][px] (channel c of one image and group,
// with the padding made explicit) lives in the transformed input of the
// group: channel c is split into sH·sW phase planes of hu×wv, phase
// (py mod sH, px mod sW) holding the rows ≡ py and columns ≡ px. Output
// pixel (y, x) then reads tap (i, j) at xIndex(c, i·dH, j·dW) + y·wv + x, so
// the NR lanes of a panel row that lie on one output row are contiguous,
// whatever the stride, and padding needs no bounds checks. Channel c = Cin/G
// (phase 0, 0) is the plane of ones that multiplies the bias.
func (pl *directPlan) xIndex(c, py, px int) int {
	sH, sW := pl.p.StrideH, pl.p.StrideW
	return ((c*sH+py%sH)*sW+px%sW)*pl.hu*pl.wv + (py/sH)*pl.wv + px/sW
}

func (pl *directPlan) Workspace() int { return pl.p.Groups*pl.xg + pl.slots*pl.slotLen }
func (pl *directPlan) Params() Params { return pl.p }

func (pl *directPlan) Forward(out, in, ws []float32, threads int) {
	p := pl.p
	checkForwardArgs("Direct", p, out, in, ws, pl.Workspace())
	ho, wo := p.OutH(), p.OutW()
	hw := ho * wo
	coutG := p.Cout / p.Groups
	MR, NR := pl.set.MR, pl.set.NR
	kern, strip, edge := pl.set.Sgemm, pl.set.SgemmStrip, pl.set.SgemmEdge
	k := pl.k
	x, slots := ws[:p.Groups*pl.xg], ws[p.Groups*pl.xg:]
	xg := pl.xg
	tasks := p.Groups * pl.chunks * pl.rowBlocks
	work := int64(coutG) * int64(k) * int64(hw) * int64(p.Groups)
	for n := 0; n < p.N; n++ {
		pl.transform(x, in[n*p.Cin*p.H*p.W:(n+1)*p.Cin*p.H*p.W], threads)
		forSlotTasks(tasks, threads, pl.slots, work, func(t, w int, _ *int) {
			rb := t % pl.rowBlocks
			q := t / pl.rowBlocks % pl.chunks
			g := t / pl.rowBlocks / pl.chunks
			c0 := q * pl.chunk
			cols := min(pl.chunk, hw-c0)
			r0 := rb * pl.rows
			r1 := min(r0+pl.rows, coutG)

			slot := slots[w*pl.slotLen : (w+1)*pl.slotLen]
			panel, tile := slot[:len(slot)-MR*NR], slot[len(slot)-MR*NR:]
			src := x[g*xg : (g+1)*xg]
			og := out[(n*p.Cout+g*coutG)*hw : (n*p.Cout+(g+1)*coutG)*hw]
			aw := pl.w[g]
			for p0 := c0; p0 < c0+cols; p0 += NR {
				nl := min(NR, c0+cols-p0)
				for pc := 0; pc < k; pc += pl.kcStep {
					kc := min(pl.kcStep, k-pc)
					bp := panel[:kc*NR]
					pl.gather(bp, src, p0, nl, pc, kc)
					acc := pc > 0
					i0 := r0
					if full := (r1 - r0) / MR; strip != nil && nl == NR && full > 1 {
						// The full tiles of the block in one call sharing bp.
						strip(kc, full, aw[(r0/MR)*k*MR+pc*MR:], k*MR, bp, og[r0*hw+p0:], hw, acc)
						i0 += full * MR
					}
					for ; i0 < r1; i0 += MR {
						ap := aw[(i0/MR)*k*MR+pc*MR : (i0/MR)*k*MR+(pc+kc)*MR]
						mr := min(MR, r1-i0)
						if mr == MR && nl == NR {
							kern(kc, ap, bp, og[i0*hw+p0:], hw, acc)
							continue
						}
						if edge != nil {
							edge(kc, ap, bp, og[i0*hw+p0:], hw, acc, mr, nl)
							continue
						}
						// Edge tile without an edge kernel: the full kernel on
						// the scratch tile.
						if acc {
							for i := 0; i < mr; i++ {
								copy(tile[i*NR:i*NR+nl], og[(i0+i)*hw+p0:(i0+i)*hw+p0+nl])
							}
						}
						kern(kc, ap, bp, tile, NR, acc)
						for i := 0; i < mr; i++ {
							copy(og[(i0+i)*hw+p0:(i0+i)*hw+p0+nl], tile[i*NR:i*NR+nl])
						}
					}
				}
			}
		})
	}
}

// transform writes the padded, phase-split form of one image (Cin planes of
// H×W) into x, G blocks of xg (see xIndex), zeros included, and the plane of
// ones of each group when there is a bias; split over channels.
func (pl *directPlan) transform(x, img []float32, threads int) {
	p := pl.p
	sH, sW := p.StrideH, p.StrideW
	cinG := p.Cin / p.Groups
	plane := pl.hu * pl.wv
	parallel.For(p.Cin, copyThreads(p.Groups*pl.xg, threads), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			src := img[c*p.H*p.W : (c+1)*p.H*p.W]
			xc := x[(c/cinG)*pl.xg+(c%cinG)*sH*sW*plane:]
			if c%cinG == cinG-1 && pl.xg > cinG*sH*sW*plane {
				ones := xc[sH*sW*plane : (sH*sW+1)*plane]
				for i := range ones {
					ones[i] = 1
				}
			}
			for a := 0; a < sH; a++ {
				for b := 0; b < sW; b++ {
					dst := xc[(a*sW+b)*plane : (a*sW+b+1)*plane]
					for u := 0; u < pl.hu; u++ {
						row := dst[u*pl.wv : (u+1)*pl.wv]
						iy := u*sH + a - p.PadT
						if iy < 0 || iy >= p.H {
							clear(row)
							continue
						}
						line := src[iy*p.W : (iy+1)*p.W]
						// Columns v with 0 ≤ v·sW + b − pL < W.
						v0 := min(max(0, divUp(p.PadL-b, sW)), pl.wv)
						v1 := min(max(v0, divUp(p.W+p.PadL-b, sW)), pl.wv)
						clear(row[:v0])
						if sW == 1 {
							copy(row[v0:v1], line[v0+b-p.PadL:v1+b-p.PadL])
						} else {
							ix := v0*sW + b - p.PadL
							for v := v0; v < v1; v++ {
								row[v] = line[ix]
								ix += sW
							}
						}
						clear(row[v1:])
					}
				}
			}
		}
	})
}

// gather fills the panel bp (kc×NR, NR contiguous per reduction step) with
// the patch-matrix entries X[r, p0+l] for r ∈ [pc, pc+kc) and lanes l < nl
// (lanes ≥ nl are zeroed), from src, the transformed input of one group. The
// lanes on one output row read one contiguous run of src per step.
func (pl *directPlan) gather(bp, src []float32, p0, nl, pc, kc int) {
	NR := pl.set.NR
	wo := pl.p.OutW()
	if nl < NR {
		for r := 0; r < kc; r++ {
			clear(bp[r*NR+nl : (r+1)*NR])
		}
	}
	off := pl.off[pc : pc+kc]
	for l0 := 0; l0 < nl; {
		y, x := (p0+l0)/wo, (p0+l0)%wo
		n := min(nl-l0, wo-x)
		base := y*pl.wv + x
		switch {
		case n == 16 && NR == 16:
			for r, o := range off {
				*(*[16]float32)(bp[r*16:]) = *(*[16]float32)(src[o+base:])
			}
		case n == 8 && NR == 8:
			for r, o := range off {
				*(*[8]float32)(bp[r*8:]) = *(*[8]float32)(src[o+base:])
			}
		case n == 4 && NR == 4:
			for r, o := range off {
				*(*[4]float32)(bp[r*4:]) = *(*[4]float32)(src[o+base:])
			}
		case n >= 32:
			for r, o := range off {
				copy(bp[r*NR+l0:r*NR+l0+n], src[o+base:o+base+n])
			}
		default:
			for r, o := range off {
				d, s := bp[r*NR+l0:r*NR+l0+n], src[o+base:o+base+n]
				for i, v := range s {
					d[i] = v
				}
			}
		}
		l0 += n
	}
}
