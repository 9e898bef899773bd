package gemm

import (
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// minMACsPerThread keeps tiny products on one goroutine: spawning costs more
// than it saves. The thread count never changes a result, only the speed.
const minMACsPerThread = 1 << 15

// packGroup is how many right panels are packed in one pass. One: the panel
// is packed just before its first use and is still in L1 when the kernels
// read it, while the packer prefetches the next panel's source lines into
// L2. (Groups of 2, 4 or 8, which read longer runs of each source row, were
// no faster on Zen 4.)
const packGroup = 1

// swapped reports whether a product with m rows and n columns of C runs as
// Cᵀ = op(B)ᵀ·op(A)ᵀ: the register tile covers MR rows × NR columns, NR a
// multiple of the vector width, so a narrow C (ResNet's 7×7 layers, n = 49,
// use 49 of 64 columns) wastes much less as Cᵀ (49 rows: 8 tiles of 6 and an
// edge of 1). Only sets with a transposed-store strip can, and only
// SgemmPacked does it: its A is packed once, so the transposed copy is free
// per call. The choice depends only on the set and the shape, and both
// orientations sum the same FMA chains, so results are the same bits.
// noSwap turns the swapped orientation off (tests compare both).
var noSwap bool

func swapped(s *kernels.Set, m, n int) bool {
	if noSwap {
		return false
	}
	if s.SgemmStripT == nil {
		return false
	}
	normal := rowCost(m, s.MR) * float64(roundUp(n, s.NR))
	swap := rowCost(n, s.MR) * float64(roundUp(m, s.NR))
	return swap*1.05 < 0.95*normal // 5% for the transposed stores
}

// rowCost estimates the work of x rows in MR-row tiles: edge tiles run a
// code path per row count, but fewer than 3 rows are latency-bound.
func rowCost(x, MR int) float64 {
	e := x % MR
	if e > 0 {
		e = max(e, 3)
	}
	return float64(x/MR*MR + e)
}

// driver is one GEMM call: the GotoBLAS loop nest over a kernel set. It
// computes the m×n product L·R of a left operand (MR-tall panels) and a
// right one (NR-wide panels) into C, or into Cᵀ when swap is set.
type driver struct {
	set     *kernels.Set
	blk     Blocking
	m, n, k int  // the product the kernels compute
	swap    bool // the kernels compute Cᵀ: element (i, j) is C[j·ldc+i]

	// Left operand: MR-tall panels over all of k, prepacked (left) or
	// packed by run from op(L)[i,p] = l[i·ldl+p] (l[p·ldl+i] when lTrans),
	// scaled by alpha.
	left   []float32
	lTrans bool
	l      []float32
	ldl    int
	alpha  float32

	// Right operand: NR-wide panels over all of k, prepacked (right), or
	// packed per region from op(R)[p,j] = r[p·ldr+j] (r[j·ldr+p] when rTrans).
	right  []float32
	rTrans bool
	r      []float32
	ldr    int

	beta float32
	c    []float32
	ldc  int

	// fin, when set, is called on every block of C whose final values
	// are in place, in C's coordinates (rows [r0, r1), columns [c0, c1)),
	// while the block is still in cache; see Finisher.
	fin Finisher
}

// finCols is the width, in columns of the kernels' product, of the blocks
// handed to a Finisher: a few NR panels, so that the block (MC rows of it)
// is still in L2 and each call does enough work to amortise its overhead.
const finCols = 64

// finish hands kernel row tiles [t0, t1) × column panels [p0, p1) to fin
// in C's coordinates.
func (d *driver) finish(t0, t1, p0, p1 int) {
	i0, i1 := t0*d.set.MR, min(t1*d.set.MR, d.m)
	j0, j1 := p0*d.set.NR, min(p1*d.set.NR, d.n)
	if d.swap {
		d.fin(j0, j1, i0, i1)
	} else {
		d.fin(i0, i1, j0, j1)
	}
}

// run multiplies. C is cut into a tm×tn grid of regions (ranges of MR-row
// tiles × ranges of NR-column panels), one per thread; each thread packs the
// right panels it needs into its own share of the workspace and runs the
// whole loop nest on its region, so the threads never wait for one another.
// The left operand is packed first, once, split over the threads (unless
// prepacked).
func (d *driver) run(ws []float32, threads int) {
	MR, NR := d.set.MR, d.set.NR
	mTiles, nPanels := ceilDiv(d.m, MR), ceilDiv(d.n, NR)
	threads = parallel.Threads(threads)
	if work := int64(d.m) * int64(d.n) * int64(d.k) / minMACsPerThread; work < int64(threads) {
		threads = int(max(work, 1))
	}

	if d.left == nil {
		d.left = ws[:aPackSize(d.set, d.m, d.k)]
		ws = ws[len(d.left):]
		parallel.For(mTiles, threads, func(lo, hi int) {
			for t := lo; t < hi; t++ {
				packAPanel(d.set, d.left[t*d.k*MR:], d.lTrans, d.l, d.ldl, d.alpha, t*MR, min(MR, d.m-t*MR), d.k)
			}
		})
	}
	var bBuf []float32
	maxRegions := threads
	panelLen := min(d.k, d.blk.KC) * NR
	if d.right == nil {
		bBuf = ws[:bPackSize(d.set, d.blk, d.n, d.k)]
		maxRegions = min(threads, len(bBuf)/panelLen)
	}
	tm, tn := grid(threads, maxRegions, mTiles, nPanels)
	share := len(bBuf) / (tm * tn) / panelLen * panelLen
	parallel.For(tm*tn, tm*tn, func(lo, hi int) {
		for u := lo; u < hi; u++ {
			i, j := u/tn, u%tn
			d.region(bBuf[u*share:(u+1)*share],
				i*mTiles/tm, (i+1)*mTiles/tm, j*nPanels/tn, (j+1)*nPanels/tn)
		}
	})
}

// grid chooses tm×tn ≤ maxRegions regions for threads threads over mTiles
// row tiles and nPanels column panels: the split whose largest region has
// the fewest tiles, preferring column splits (no B panel is packed twice).
func grid(threads, maxRegions, mTiles, nPanels int) (tm, tn int) {
	tm, tn = 1, 1
	best := mTiles * nPanels
	for n := 1; n <= min(threads, nPanels, maxRegions); n++ {
		m := min(threads/n, mTiles, maxRegions/n)
		if m < 1 {
			continue
		}
		cost := ceilDiv(mTiles, m) * ceilDiv(nPanels, n)
		if cost < best || (cost == best && n > tn) {
			tm, tn, best = m, n, cost
		}
	}
	return tm, tn
}

// region runs the loop nest over row tiles [t0, t1) × column panels
// [q0, q1), packing the right operand into buf (a whole number of KC×NR
// panels) unless it is prepacked.
func (d *driver) region(buf []float32, t0, t1, q0, q1 int) {
	if t0 >= t1 || q0 >= q1 {
		return
	}
	NR := d.set.NR
	KC := kcStep(d.k, d.blk.KC)
	// MC blocks of near-equal size (no short last block that reuses each
	// B panel only a few times); MC does not change results.
	mcTiles := d.blk.MC / d.set.MR
	mcTiles = ceilDiv(t1-t0, ceilDiv(t1-t0, mcTiles))
	ncPanels := d.blk.NC / NR
	if d.right == nil {
		ncPanels = min(ncPanels, len(buf)/(min(d.k, KC)*NR))
	}
	var tile []float32 // scratch edge tile
	for jq := q0; jq < q1; jq += ncPanels {
		qn := min(ncPanels, q1-jq)
		for pc := 0; pc < d.k; pc += KC {
			kc := min(KC, d.k-pc)
			last := pc+kc >= d.k && d.fin != nil
			for tb := t0; tb < t1; tb += mcTiles {
				tbEnd := min(tb+mcTiles, t1)
				qFin := 0 // first panel not yet finished
				for q := 0; q < qn; q++ {
					j0 := (jq + q) * NR
					nr := min(NR, d.n-j0)
					var bp []float32
					if d.right != nil {
						bp = d.right[(jq+q)*d.k*NR+pc*NR:][:kc*NR]
					} else {
						bp = buf[q*kc*NR : (q+1)*kc*NR]
						if tb == t0 && q%packGroup == 0 {
							// Pack a few panels just before their first
							// use, while they are hot in L1/L2; later MC
							// blocks reuse them.
							d.packPanels(buf[q*kc*NR:], pc, kc, j0, min(packGroup, qn-q))
						}
					}
					d.panel(&tile, pc, kc, bp, tb, tbEnd, j0, nr)
					if last && ((q-qFin+1)*NR >= finCols || q == qn-1) {
						d.finish(tb, tbEnd, jq+qFin, jq+q+1)
						qFin = q + 1
					}
				}
			}
		}
	}
}

// kcStep is the depth of the KC blocks of a k-deep product: k split into
// ceil(k/KC) near-equal blocks (rounded up to 4, the kernels' unroll), so
// that no block is a short remainder paying the C loads and stores of a
// full one. It depends on k and KC only, so results stay independent of
// threads and orientation.
func kcStep(k, KC int) int {
	if k <= KC {
		return k
	}
	return min(roundUp(ceilDiv(k, ceilDiv(k, KC)), 4), KC)
}

// packPanels packs panels consecutive right panels (depths [pc, pc+kc),
// columns from j0) into dst, the last one possibly partial.
func (d *driver) packPanels(dst []float32, pc, kc, j0, panels int) {
	NR := d.set.NR
	full := min(panels, (d.n-j0)/NR)
	if pk := d.set.PackB; pk != nil && !d.rTrans && full > 0 {
		pk(dst, d.r[pc*d.ldr+j0:], d.ldr, kc, full)
	} else {
		full = 0
	}
	for q := full; q < panels; q++ {
		jq := j0 + q*NR
		packB(dst[q*kc*NR:], d.rTrans, d.r, d.ldr, pc, kc, jq, min(NR, d.n-jq), NR)
	}
}

// at returns the offset in c of element (i, j) of the kernels' product.
func (d *driver) at(i, j int) int {
	if d.swap {
		return j*d.ldc + i
	}
	return i*d.ldc + j
}

// panel runs the micro-kernels of row tiles [t0, t1) against one packed
// right panel (depths [pc, pc+kc), columns [j0, j0+nr)). On the first KC
// block beta applies: C is overwritten (beta = 0), accumulated (1) or
// scaled first.
func (d *driver) panel(tile *[]float32, pc, kc int, bp []float32, t0, t1, j0, nr int) {
	s := d.set
	MR, NR := s.MR, s.NR
	aStride := d.k * MR
	first := pc == 0
	accumulate := !first || d.beta != 0
	if first && d.beta != 0 && d.beta != 1 {
		for i := t0 * MR; i < min(t1*MR, d.m); i++ {
			for j := j0; j < j0+nr; j++ {
				d.c[d.at(i, j)] *= d.beta
			}
		}
	}
	full := t1
	if t1*MR > d.m {
		full-- // the last row tile is partial
	}
	if nr == NR && full > t0 {
		a := d.left[t0*aStride+pc*MR:]
		c := d.c[d.at(t0*MR, j0):]
		switch {
		case d.swap:
			s.SgemmStripT(kc, full-t0, a, aStride, bp, c, d.ldc, accumulate)
		case s.SgemmStrip != nil:
			s.SgemmStrip(kc, full-t0, a, aStride, bp, c, d.ldc, accumulate)
		default:
			for t := 0; t < full-t0; t++ {
				s.Sgemm(kc, a[t*aStride:], bp, c[t*MR*d.ldc:], d.ldc, accumulate)
			}
		}
	} else {
		full = t0
	}
	for t := full; t < t1; t++ {
		i0 := t * MR
		mr := min(MR, d.m-i0)
		a := d.left[t*aStride+pc*MR:]
		if !d.swap {
			c := d.c[i0*d.ldc+j0:]
			if s.SgemmEdge != nil {
				s.SgemmEdge(kc, a, bp, c, d.ldc, accumulate, mr, nr)
				continue
			}
			if mr == MR && nr == NR {
				s.Sgemm(kc, a, bp, c, d.ldc, accumulate)
				continue
			}
		}
		// Edge tile: the same kernel on a scratch MR×NR tile, copied in
		// and out (transposed when swapped).
		if *tile == nil {
			*tile = make([]float32, MR*NR)
		}
		tt := *tile
		if accumulate {
			for i := 0; i < mr; i++ {
				for j := 0; j < nr; j++ {
					tt[i*NR+j] = d.c[d.at(i0+i, j0+j)]
				}
			}
		}
		if s.SgemmEdge != nil {
			s.SgemmEdge(kc, a, bp, tt, NR, accumulate, mr, nr)
		} else {
			s.Sgemm(kc, a, bp, tt, NR, accumulate)
		}
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				d.c[d.at(i0+i, j0+j)] = tt[i*NR+j]
			}
		}
	}
}
