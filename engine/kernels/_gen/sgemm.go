package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa describes one register-tiled SGEMM kernel family: an MR×NR tile of C
// held in MR·NV vector accumulators (NR = NV·width), fed per k step by NV
// vector loads of the packed B panel and MR broadcasts from the packed A panel.
type isa struct {
	set    string // name in engine/kernels: "avx2", "avx512"
	file   string // sgemm_<file>_amd64.s
	suffix string // Go function suffix: AVX2, AVX512
	width  int    // float32 lanes per vector register
	zmm    bool   // 512-bit registers and opmask edges (AVX-512F)
	mr, nv int    // tile rows and vectors per tile row
	unroll int    // k steps per loop iteration
}

func (s isa) nr() int { return s.nv * s.width }

// sets are the generated families. Register budget: MR·NV accumulators,
// NV B vectors and two broadcast registers (alternated) must fit the file:
// 6·2+2+2 = 16 ymm; 14·2+2+2 = 32 zmm.
var sets = []isa{
	{set: "avx2", file: "avx2", suffix: "AVX2", width: 8, mr: 6, nv: 2, unroll: 4},
	{set: "avx512", file: "avx512", suffix: "AVX512", width: 16, zmm: true, mr: 14, nv: 2, unroll: 4},
}

// prefetchA is how far ahead (bytes) the k loop prefetches the A panel; the
// strip kernel prefetches the first prefetchA bytes of the next tile's panel.
const prefetchA = 1024

// prefetchB is how far ahead (bytes) the k loop prefetches the B panel.
const prefetchB = 2048

func ceilDiv(a, b int) int { return (a + b - 1) / b }

type gen struct {
	*build.Context
	isa
	mask operand.Mem // column-mask table for edge tiles
}

func newGen(ctx *build.Context, s isa) *gen { return &gen{Context: ctx, isa: s} }

// vec returns physical vector register i of the family's width.
func (g *gen) vec(i int) reg.VecPhysical {
	ys := []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}
	zs := []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}
	if g.zmm {
		return zs[i]
	}
	return ys[i]
}

func (g *gen) acc(i, v int) reg.VecPhysical { return g.vec(i*g.nv + v) }
func (g *gen) bvec(v int) reg.VecPhysical   { return g.vec(g.mr*g.nv + v) }
func (g *gen) bcast(i int) reg.VecPhysical  { return g.vec(g.mr*g.nv + g.nv + i%2) }

func (g *gen) name(kind string) string {
	return fmt.Sprintf("sgemm%dx%d%s%s", g.mr, g.nr(), kind, g.suffix)
}

// all emits the table and the two functions of the family.
func (g *gen) all() {
	g.maskTable()
	g.strip(false)
	if g.hasTransposed() {
		g.strip(true)
	}
	g.edge()
	g.packB()
	if g.hasTransposed() {
		g.packA()
	}
	g.peak()
}

// maskTable emits the column masks of edge tiles, indexed by off = the
// number of invalid lanes of a vector (0..width).
//
//	ymm: 2·width int32, width×(-1) then width×0: the mask is the 8 lanes at off
//	zmm: width+1 uint16, entry off = (1 << (width−off)) − 1
func (g *gen) maskTable() {
	g.mask = g.StaticGlobal("sgemmMask" + g.suffix)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	if g.zmm {
		for off := 0; off <= g.width; off++ {
			g.AddDatum(2*off, operand.U16(uint16(1<<(g.width-off)-1)))
		}
		return
	}
	for i := 0; i < 2*g.width; i++ {
		v := uint32(0)
		if i < g.width {
			v = 0xffffffff
		}
		g.AddDatum(4*i, operand.U32(v))
	}
}

// zero clears the accumulators of the first rows rows.
func (g *gen) zero(rows int) {
	for i := 0; i < rows; i++ {
		for v := 0; v < g.nv; v++ {
			r := g.acc(i, v)
			if g.zmm {
				g.VPXORD(r, r, r) // VXORPS on zmm would need AVX512DQ
			} else {
				g.VXORPS(r, r, r)
			}
		}
	}
}

// step emits k step u of an unrolled iteration for the first rows rows:
// NV loads of B, then per row one broadcast of A and NV FMAs.
func (g *gen) step(rows int, a, b reg.Register, u int) {
	for v := 0; v < g.nv; v++ {
		g.VMOVUPS(operand.Mem{Base: b, Disp: 4 * (u*g.nr() + v*g.width)}, g.bvec(v))
	}
	for i := 0; i < rows; i++ {
		t := g.bcast(i)
		g.VBROADCASTSS(operand.Mem{Base: a, Disp: 4 * (u*g.mr + i)}, t)
		for v := 0; v < g.nv; v++ {
			g.VFMADD231PS(g.bvec(v), t, g.acc(i, v))
		}
	}
}

// kloop emits the k loop: cnt steps (cnt ≥ 0, destroyed), a and b advanced.
// Every accumulator is one FMA chain in ascending k.
func (g *gen) kloop(rows int, a, b, cnt reg.Register, label string) {
	g.kloopPF(rows, a, b, cnt, label, false)
}

// kloopPF is kloop, also prefetching B ahead when pfB: for a B panel that
// may come from memory (a prepacked right operand), in the first tile of a
// strip only, since the prefetches cost 10–20% on an L1-resident panel.
func (g *gen) kloopPF(rows int, a, b, cnt reg.Register, label string, pfB bool) {
	u := g.unroll
	g.Comment(fmt.Sprintf("k loop, %d rows, unrolled by %d", rows, u))
	g.CMPQ(cnt, operand.U32(u))
	g.JB(operand.LabelRef(label + "_tail"))
	g.Label(label + "_loop")
	// Prefetch A a fixed distance ahead: the A panel streams from L2 (or
	// further) while the B panel stays in L1. Two lines per iteration
	// cover the u·MR·4 bytes it consumes.
	for l := 0; l < ceilDiv(4*u*g.mr, 64); l++ {
		g.PREFETCHT0(operand.Mem{Base: a, Disp: prefetchA + 64*l})
	}
	for l := 0; pfB && l < ceilDiv(4*u*g.nr(), 64); l++ {
		g.PREFETCHT0(operand.Mem{Base: b, Disp: prefetchB + 64*l})
	}
	for s := 0; s < u; s++ {
		g.step(rows, a, b, s)
	}
	g.ADDQ(operand.U32(4*u*g.mr), a)
	g.ADDQ(operand.U32(4*u*g.nr()), b)
	g.SUBQ(operand.U32(u), cnt)
	g.CMPQ(cnt, operand.U32(u))
	g.JAE(operand.LabelRef(label + "_loop"))
	g.Label(label + "_tail")
	g.TESTQ(cnt, cnt)
	g.JZ(operand.LabelRef(label + "_done"))
	g.Label(label + "_one")
	g.step(rows, a, b, 0)
	g.ADDQ(operand.U32(4*g.mr), a)
	g.ADDQ(operand.U32(4*g.nr()), b)
	g.DECQ(cnt)
	g.JNZ(operand.LabelRef(label + "_one"))
	g.Label(label + "_done")
}

// hasTransposed reports whether the family has a transposed-store strip:
// only the 6×16 ymm tile, whose register transpose is written out below.
func (g *gen) hasTransposed() bool { return !g.zmm && g.mr == 6 && g.nv == 2 && g.width == 8 }

// strip emits the full-tile kernel over a column of tiles sharing one B
// panel. With transposed, tile t is stored transposed at c + t·MR: element
// (r, j) of the tile goes to c[j·ldc + t·MR + r].
func (g *gen) strip(transposed bool) {
	kind := "Strip"
	if transposed {
		kind = "StripT"
	}
	g.Function(g.name(kind))
	g.Attributes(attr.NOSPLIT)
	g.Pragma("noescape")
	g.SignatureExpr("func(k, tiles int, a []float32, aStride int, b, c []float32, ldc int, accumulate bool)")
	if transposed {
		g.Doc(
			g.name(kind)+" is "+g.name("Strip")+" with every tile stored transposed: element (r, j) of",
			"tile t goes to c[j·ldc + t·MR + r] (ldc ≥ tiles·MR). The driver uses it to compute Cᵀ = Bᵀ·Aᵀ",
			"when C is narrow; the sums are the same FMA chains, so the bits are those of "+g.name("Strip")+".",
			"The caller checks the bounds (see sets_amd64.go).",
		)
	} else {
		g.Doc(
			g.name(kind)+" computes tiles full "+fmt.Sprintf("%d×%d", g.mr, g.nr())+" tiles of C that share the packed B panel b:",
			"tile t reads the packed A panel at a[t·aStride:] and writes C at c[t·MR·ldc:] (ldc ≥ NR),",
			"C = (C if accumulate) + Σ_{p<k} A·B, every element one FMA chain in ascending p, C added last.",
			"The caller checks the bounds (see sets_amd64.go).",
		)
	}
	tiles := g.Load(g.Param("tiles"), g.GP64())
	aTile := g.Load(g.Param("a").Base(), g.GP64())
	aStride := g.Load(g.Param("aStride"), g.GP64())
	g.SHLQ(operand.U8(2), aStride)
	cTile := g.Load(g.Param("c").Base(), g.GP64())
	ldc := g.Load(g.Param("ldc"), g.GP64())
	g.SHLQ(operand.U8(2), ldc)
	cnt, a, b, cRow := g.GP64(), g.GP64(), g.GP64(), g.GP64()

	g.TESTQ(tiles, tiles)
	g.JZ(operand.LabelRef("done"))
	g.Label("tile")
	g.Load(g.Param("k"), cnt)
	g.MOVQ(aTile, a)
	g.Load(g.Param("b").Base(), b)
	g.zero(g.mr)
	g.Comment("Prefetch the C tile: it is read (accumulate) or written after the k loop.")
	g.MOVQ(cTile, cRow)
	if transposed {
		for j := 0; j < g.nr(); j++ {
			g.PREFETCHT0(operand.Mem{Base: cRow})
			g.PREFETCHT0(operand.Mem{Base: cRow, Disp: 4*g.mr - 4})
			g.ADDQ(ldc, cRow)
		}
	} else {
		for i := 0; i < g.mr; i++ {
			g.PREFETCHT0(operand.Mem{Base: cRow})
			g.PREFETCHT0(operand.Mem{Base: cRow, Disp: 4*g.nr() - 4})
			g.ADDQ(ldc, cRow)
		}
	}
	g.Comment("Prefetch the start of the next tile's A panel; the k loop prefetches the rest.")
	g.MOVQ(aTile, cRow)
	g.ADDQ(aStride, cRow)
	for l := 0; l < prefetchA/64; l++ {
		g.PREFETCHT0(operand.Mem{Base: cRow, Disp: 64 * l})
	}
	g.Comment("The first tile may stream the B panel from memory: prefetch it there.")
	first, _ := g.Param("tiles").Resolve()
	g.CMPQ(tiles, first.Addr)
	g.JNE(operand.LabelRef("warm"))
	g.kloopPF(g.mr, a, b, cnt, "cold", true)
	g.JMP(operand.LabelRef("stored"))
	g.Label("warm")
	g.kloop(g.mr, a, b, cnt, "full")
	g.Label("stored")

	g.MOVQ(cTile, cRow)
	acc, _ := g.Param("accumulate").Resolve()
	if transposed {
		g.CMPB(acc.Addr, operand.U8(0))
		g.JE(operand.LabelRef("store"))
		g.storeTransposed(cRow, ldc, true)
		g.JMP(operand.LabelRef("next"))
		g.Label("store")
		g.storeTransposed(cRow, ldc, false)
		g.Label("next")
		g.ADDQ(operand.U32(4*g.mr), cTile) // the next MR columns
	} else {
		g.CMPB(acc.Addr, operand.U8(0))
		g.JE(operand.LabelRef("store"))
		for i := 0; i < g.mr; i++ {
			for v := 0; v < g.nv; v++ {
				m := operand.Mem{Base: cRow, Disp: 4 * v * g.width}
				g.VADDPS(m, g.acc(i, v), g.acc(i, v))
				g.VMOVUPS(g.acc(i, v), m)
			}
			g.ADDQ(ldc, cRow)
		}
		g.JMP(operand.LabelRef("next"))
		g.Label("store")
		for i := 0; i < g.mr; i++ {
			for v := 0; v < g.nv; v++ {
				g.VMOVUPS(g.acc(i, v), operand.Mem{Base: cRow, Disp: 4 * v * g.width})
			}
			g.ADDQ(ldc, cRow)
		}
		g.Label("next")
		g.MOVQ(cRow, cTile) // cTile + MR·ldc
	}
	g.ADDQ(aStride, aTile)
	g.DECQ(tiles)
	g.JNZ(operand.LabelRef("tile"))
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// storeTransposed writes the 6×16 accumulator tile transposed: C row l
// (l < 16) gets the 6 floats acc(0..5, l), as 4 + 2 contiguous floats. Per
// group of 8 rows (vector v) a 4×8 unpack/shuffle transpose of accumulator
// rows 0–3 gives the 4-float quads (low 128 bits: rows 0–3, high: rows 4–7),
// and an unpack of rows 4–5 gives the pairs. cRow advances 16 rows.
// Accumulators are consumed; Y12–Y15 and the dead inputs are temporaries.
func (g *gen) storeTransposed(cRow, ldc reg.Register, accumulate bool) {
	x := func(r reg.VecPhysical) reg.VecPhysical { return r.AsX().(reg.VecPhysical) }
	for v := 0; v < 2; v++ {
		r := func(i int) reg.VecPhysical { return g.acc(i, v) }
		t0, t1, t2, t3 := reg.Y12, reg.Y13, reg.Y14, reg.Y15
		g.VUNPCKLPS(r(1), r(0), t0) // r0_0 r1_0 r0_1 r1_1 | r0_4 r1_4 r0_5 r1_5
		g.VUNPCKHPS(r(1), r(0), t1) // r0_2 r1_2 r0_3 r1_3 | r0_6 ...
		g.VUNPCKLPS(r(3), r(2), t2)
		g.VUNPCKHPS(r(3), r(2), t3)
		u := []reg.VecPhysical{r(0), r(1), r(2), r(3)}
		g.VSHUFPS(operand.U8(0x44), t2, t0, u[0]) // rows 0 | 4: r0 r1 r2 r3
		g.VSHUFPS(operand.U8(0xEE), t2, t0, u[1]) // rows 1 | 5
		g.VSHUFPS(operand.U8(0x44), t3, t1, u[2]) // rows 2 | 6
		g.VSHUFPS(operand.U8(0xEE), t3, t1, u[3]) // rows 3 | 7
		p01, p23 := reg.Y12, reg.Y13
		g.VUNPCKLPS(r(5), r(4), p01) // r4_0 r5_0 r4_1 r5_1 | r4_4 r5_4 r4_5 r5_5
		g.VUNPCKHPS(r(5), r(4), p23) // r4_2 r5_2 r4_3 r5_3 | r4_6 ...
		qt, pt := x(reg.Y14), x(reg.Y15)
		ct, st := x(r(4)), x(r(5)) // dead inputs
		for l := 0; l < 8; l++ {
			h, idx := l/4, l%4
			quad := x(u[idx])
			pairs := p01
			if idx >= 2 {
				pairs = p23
			}
			pair := x(pairs)
			if h == 1 {
				g.VEXTRACTF128(operand.U8(1), u[idx], qt)
				quad = qt
				g.VEXTRACTF128(operand.U8(1), pairs, pt)
				pair = pt
			}
			m4 := operand.Mem{Base: cRow}
			m2 := operand.Mem{Base: cRow, Disp: 16}
			if accumulate {
				g.VADDPS(m4, quad, qt)
				g.VMOVUPS(qt, m4)
				lo := pair
				if idx%2 == 1 {
					g.VMOVHLPS(pair, pair, st)
					lo = st
				}
				g.VMOVSD(m2, ct)
				g.VADDPS(ct, lo, st)
				g.VMOVLPS(st, m2)
			} else {
				g.VMOVUPS(quad, m4)
				if idx%2 == 0 {
					g.VMOVLPS(pair, m2)
				} else {
					g.VMOVHPS(pair, m2)
				}
			}
			g.ADDQ(ldc, cRow)
		}
	}
}

// edge emits the partial-tile kernel: the top-left mr×nr corner of one tile,
// with a code path per row count (fewer FMAs, not just fewer stores) and
// masked loads and stores of C for the columns.
func (g *gen) edge() {
	g.Function(g.name("Edge"))
	g.Attributes(attr.NOSPLIT)
	g.Pragma("noescape")
	g.SignatureExpr("func(k int, a, b, c []float32, ldc int, accumulate bool, mr, nr int)")
	g.Doc(
		g.name("Edge")+" computes the top-left mr×nr corner (1 ≤ mr ≤ MR, 1 ≤ nr ≤ NR) of one tile",
		"like "+g.name("Strip")+", reading and writing no other element of C. Each element is",
		"computed by the same FMA chain as in the full tile, so the results are bitwise equal.",
		"The caller checks the bounds (see sets_amd64.go).",
	)
	a := g.Load(g.Param("a").Base(), g.GP64())
	b := g.Load(g.Param("b").Base(), g.GP64())
	cnt := g.Load(g.Param("k"), g.GP64())
	cRow := g.Load(g.Param("c").Base(), g.GP64())
	mr := g.Load(g.Param("mr"), g.GP64())
	for r := g.mr; r >= 1; r-- {
		g.CMPQ(mr, operand.U32(r))
		g.JE(operand.LabelRef(fmt.Sprintf("rows%d", r)))
	}
	g.JMP(operand.LabelRef("done"))
	acc, _ := g.Param("accumulate").Resolve()
	for r := g.mr; r >= 1; r-- {
		l := fmt.Sprintf("rows%d", r)
		g.Label(l)
		g.zero(r)
		g.kloop(r, a, b, cnt, l)
		masks := g.columnMasks()
		ldc := g.Load(g.Param("ldc"), g.GP64())
		g.SHLQ(operand.U8(2), ldc)
		g.CMPB(acc.Addr, operand.U8(0))
		g.JE(operand.LabelRef(l + "_store"))
		for i := 0; i < r; i++ {
			for v := 0; v < g.nv; v++ {
				g.maskedAdd(operand.Mem{Base: cRow, Disp: 4 * v * g.width}, masks[v], g.acc(i, v))
			}
			g.ADDQ(ldc, cRow)
		}
		g.JMP(operand.LabelRef("done"))
		g.Label(l + "_store")
		for i := 0; i < r; i++ {
			for v := 0; v < g.nv; v++ {
				g.maskedStore(operand.Mem{Base: cRow, Disp: 4 * v * g.width}, masks[v], g.acc(i, v))
			}
			g.ADDQ(ldc, cRow)
		}
		g.JMP(operand.LabelRef("done"))
	}
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// columnMasks loads the masks of the NV vectors of a tile row for nr valid
// columns: ymm masks into the (now free) B registers, opmasks into K1...
func (g *gen) columnMasks() []reg.Register {
	nr := g.Load(g.Param("nr"), g.GP64())
	tbl := g.GP64()
	g.LEAQ(g.mask, tbl)
	zero, w := g.GP64(), g.GP64()
	g.XORQ(zero, zero)
	g.MOVQ(operand.U32(g.width), w)
	ks := []reg.Register{reg.K1, reg.K2, reg.K3, reg.K4}
	var masks []reg.Register
	for v := 0; v < g.nv; v++ {
		// off = clamp(width − (nr − v·width), 0, width): invalid lanes of vector v.
		off := g.GP64()
		g.MOVQ(operand.U32((v+1)*g.width), off)
		g.SUBQ(nr, off)
		g.CMPQ(off, operand.U32(0))
		g.CMOVQLT(zero, off)
		g.CMPQ(off, operand.U32(g.width))
		g.CMOVQGT(w, off)
		if g.zmm {
			g.KMOVW(operand.Mem{Base: tbl, Index: off, Scale: 2}, ks[v])
			masks = append(masks, ks[v])
		} else {
			g.VMOVUPS(operand.Mem{Base: tbl, Index: off, Scale: 4}, g.bvec(v))
			masks = append(masks, g.bvec(v))
		}
	}
	return masks
}

// maskedAdd stores x + C at m, touching only the masked lanes of C.
func (g *gen) maskedAdd(m operand.Mem, mask, x reg.Register) {
	t := g.bcast(0) // free after the k loop
	if g.zmm {
		g.VMOVUPS_Z(m, mask, t)
		g.VADDPS(t, x, x)
		g.VMOVUPS(x, mask, m)
		return
	}
	g.VMASKMOVPS(m, mask, t)
	g.VADDPS(t, x, x)
	g.VMASKMOVPS(x, mask, m)
}

// maskedStore stores x at m, touching only the masked lanes.
func (g *gen) maskedStore(m operand.Mem, mask, x reg.Register) {
	if g.zmm {
		g.VMOVUPS(x, mask, m)
		return
	}
	g.VMASKMOVPS(x, mask, m)
}

// packB emits the B-panel packer: panels full KC×NR panels of consecutive
// columns, row p of panel q taken from src + p·ld + q·NR and stored at
// dst + q·kc·NR + p·NR. Going row by row over all the panels reads each
// source row as one contiguous run, which keeps the TLB and the hardware
// prefetchers effective when the rows are far apart (im2col matrices).
func (g *gen) packB() {
	name := fmt.Sprintf("packB%d%s", g.nr(), g.suffix)
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.Pragma("noescape")
	g.SignatureExpr("func(dst, src []float32, ld, kc, panels int)")
	g.Doc(
		name+" packs panels full B panels: for q < panels and p < kc,",
		"dst[q·kc·NR + p·NR : … + NR] = src[p·ld + q·NR : … + NR].",
		"The caller checks the bounds (see sets_amd64.go).",
	)
	dstRow := g.Load(g.Param("dst").Base(), g.GP64())
	src := g.Load(g.Param("src").Base(), g.GP64())
	ld := g.Load(g.Param("ld"), g.GP64())
	g.SHLQ(operand.U8(2), ld)
	cnt := g.Load(g.Param("kc"), g.GP64())
	panelBytes := g.GP64() // kc·NR·4
	g.MOVQ(cnt, panelBytes)
	g.SHLQ(operand.U8(uint8(2+log2(g.nr()))), panelBytes)
	panels := g.Load(g.Param("panels"), g.GP64())
	q, s, d := g.GP64(), g.GP64(), g.GP64()
	g.TESTQ(cnt, cnt)
	g.JZ(operand.LabelRef("done"))
	g.TESTQ(panels, panels)
	g.JZ(operand.LabelRef("done"))
	g.Label("row")
	g.MOVQ(panels, q)
	g.MOVQ(src, s)
	g.MOVQ(dstRow, d)
	g.Label("panel")
	for v := 0; v < g.nv; v++ {
		g.VMOVUPS(operand.Mem{Base: s, Disp: 4 * v * g.width}, g.vec(v))
	}
	for v := 0; v < g.nv; v++ {
		g.VMOVUPS(g.vec(v), operand.Mem{Base: d, Disp: 4 * v * g.width})
	}
	g.ADDQ(operand.U32(4*g.nr()), s)
	g.ADDQ(panelBytes, d)
	g.DECQ(q)
	g.JNZ(operand.LabelRef("panel"))
	// The next group of panels reads the next run of this row: fetch its
	// first lines into L2 while the kernels work on this group.
	for l := 0; l < ceilDiv(4*g.nr(), 64); l++ {
		g.PREFETCHT1(operand.Mem{Base: s, Disp: 64 * l})
	}
	g.ADDQ(ld, src)
	g.ADDQ(operand.U32(4*g.nr()), dstRow)
	g.DECQ(cnt)
	g.JNZ(operand.LabelRef("row"))
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

func log2(x int) int {
	n := 0
	for 1<<n < x {
		n++
	}
	if 1<<n != x {
		panic("not a power of two")
	}
	return n
}

// packA emits the A-panel packer of the 6×16 family: 6 rows of a row-major
// matrix interleaved step by step, 16 steps per iteration through the same
// register transpose as the transposed store (a 24-byte "row" per step).
func (g *gen) packA() {
	name := fmt.Sprintf("packA%d%s", g.mr, g.suffix)
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.Pragma("noescape")
	g.SignatureExpr("func(dst, src []float32, lda, kc int, alpha float32)")
	g.Doc(
		name+" packs kc (a multiple of 16) steps of one full A panel:",
		fmt.Sprintf("dst[p·%d + i] = alpha·src[i·lda + p] for i < %d, p < kc.", g.mr, g.mr),
		"The caller checks the bounds and packs the remainder (see sets_amd64.go).",
	)
	dst := g.Load(g.Param("dst").Base(), g.GP64())
	src := g.Load(g.Param("src").Base(), g.GP64())
	lda := g.Load(g.Param("lda"), g.GP64())
	g.SHLQ(operand.U8(2), lda)
	cnt := g.Load(g.Param("kc"), g.GP64())
	alpha, _ := g.Param("alpha").Resolve()
	al := reg.Y12
	g.VBROADCASTSS(alpha.Addr, al)
	row, step := g.GP64(), g.GP64()
	g.MOVQ(operand.U32(4*g.mr), step)
	g.CMPQ(cnt, operand.U32(16))
	g.JB(operand.LabelRef("done"))
	g.Label("loop")
	g.MOVQ(src, row)
	for i := 0; i < g.mr; i++ {
		for v := 0; v < 2; v++ {
			g.VMULPS(operand.Mem{Base: row, Disp: 32 * v}, al, g.acc(i, v))
		}
		if i < g.mr-1 {
			g.ADDQ(lda, row)
		}
	}
	g.storeTransposed(dst, step, false) // advances dst by 16 steps
	g.VBROADCASTSS(alpha.Addr, al)      // Y12 was a temporary
	g.ADDQ(operand.U32(64), src)
	g.SUBQ(operand.U32(16), cnt)
	g.CMPQ(cnt, operand.U32(16))
	g.JAE(operand.LabelRef("loop"))
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// peakChains is the number of independent FMA chains of the peak probe:
// enough to cover FMA latency × throughput on current cores (4 × 2 on Zen 4).
func (g *gen) peakChains() int { return 12 }

// peak emits the FMA throughput probe: iters iterations of peakChains
// independent register-only FMAs, no loads.
func (g *gen) peak() {
	name := "fmaPeak" + g.suffix
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.SignatureExpr("func(iters int)")
	g.Doc(
		fmt.Sprintf("%s runs iters × %d independent register-only FMAs (%d flops each): timing it", name, g.peakChains(), 2*g.width),
		"measures this core's FMA peak, the bound every kernel of the set is compared with.",
	)
	n := g.Load(g.Param("iters"), g.GP64())
	ch := g.peakChains()
	for i := 0; i < ch+2; i++ {
		r := g.vec(i)
		if g.zmm {
			g.VPXORD(r, r, r)
		} else {
			g.VXORPS(r, r, r)
		}
	}
	g.TESTQ(n, n)
	g.JZ(operand.LabelRef("done"))
	g.Label("loop")
	for i := 0; i < ch; i++ {
		g.VFMADD231PS(g.vec(ch), g.vec(ch+1), g.vec(i))
	}
	g.DECQ(n)
	g.JNZ(operand.LabelRef("loop"))
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}
