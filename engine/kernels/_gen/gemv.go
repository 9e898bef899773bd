package main

// GEMV: y[r] = Σ_{i<n} w[r·ldw + i]·x[i] for r < rows, the batch-1 fully
// connected layer (sgemvAVX2). It streams the weights once, so it runs at
// memory bandwidth when the matrix is larger than the caches; the kernel
// only has to keep enough loads in flight.
//
// Register plan (ymm): rows go four at a time, each with two accumulators
// (Y0..Y7: row k in Y(2k), Y(2k+1)); the two x vectors of a 16-float block
// (Y8, Y9) are loaded once and shared by the four rows, whose weights are
// FMA memory operands. Eight independent FMA chains cover the FMA latency
// (4 cycles × 2 per cycle on Zen 4). Remaining rows go one at a time with
// the same two accumulators per row, and the last n mod 16 columns through
// VMASKMOVPS lane masks (Y12, Y13; masked-off lanes are read as zeros and
// add 0·0), so element i of a row always lands in lane i mod 16 and a
// row's bits do not depend on which group computed it.
//
// The sum of a row is then, exactly as sgemvGeneric defines it (with fused
// multiply-adds): partial sums s[j] over i ≡ j (mod 16) in ascending i;
// t[j] = s[j] + s[j+8] (VADDPS of the two accumulators); then two VHADDPS
// and the add of the 128-bit halves give ((t0+t1)+(t2+t3)) + ((t4+t5)+(t6+t7)).
// Four rows share the VHADDPS steps (hadd(hadd(a,b), hadd(c,d)) holds
// the four rows' quarter sums side by side); one row runs the same pairs
// as hadd(hadd(a,a), hadd(a,a)).

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemvRows is the number of rows sharing the x loads.
const gemvRows = 4

// gemvs emits the GEMV of a ymm set: its lane-mask table and sgemv<SUFFIX>.
func (g *gen) gemvs() {
	masks := g.StaticGlobal("gemvMask" + g.suffix)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		g.AddDatum(4*i, operand.U32(v))
	}
	g.gemv(masks)
}

// gemvK holds the registers of the GEMV being emitted.
type gemvK struct {
	*gen
	x, i   reg.Register // x base; byte offset of the current block
	m0, m1 reg.VecPhysical
}

func (g *gen) gemv(masks operand.Mem) {
	name := "sgemv" + g.suffix
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.Pragma("noescape")
	g.SignatureExpr("func(rows int, w []float32, ldw int, x []float32, y []float32)")
	g.Doc(
		name+" sets y[r] = Σ_{i<len(x)} w[r·ldw + i]·x[i] for r < rows: four rows at a time",
		"sharing the x loads, 16 partial sums per row (two ymm accumulators), the last",
		"len(x) mod 16 columns through lane masks; see sgemvGeneric for the order of the sums.",
		"The caller checks the bounds (see sets_amd64.go).",
	)
	k := &gemvK{gen: g}
	rows := g.Load(g.Param("rows"), g.GP64())
	wp := g.Load(g.Param("w").Base(), g.GP64())
	ldw := g.Load(g.Param("ldw"), g.GP64())
	g.SHLQ(operand.U8(2), ldw)
	k.x = g.Load(g.Param("x").Base(), g.GP64())
	n := g.Load(g.Param("x").Len(), g.GP64())
	yp := g.Load(g.Param("y").Base(), g.GP64())

	// full: bytes of the 16-float blocks; full2: of the 32-float pairs of
	// blocks; tail = n mod 16.
	full, full2, tail := g.GP64(), g.GP64(), g.GP64()
	g.MOVQ(n, tail)
	g.ANDQ(operand.U32(15), tail)
	g.MOVQ(n, full)
	g.ANDQ(operand.I32(-16), full)
	g.SHLQ(operand.U8(2), full)
	g.MOVQ(full, full2)
	g.ANDQ(operand.I32(-128), full2)

	g.Comment("Tail masks: m0 covers min(tail, 8) lanes, m1 max(tail−8, 0): the entries at 8 − lanes.")
	k.m0, k.m1 = g.vec(12), g.vec(13)
	tbl, off, lim := g.GP64(), g.GP64(), g.GP64()
	g.LEAQ(masks, tbl)
	g.XORQ(lim, lim)
	g.MOVQ(operand.U32(8), off)
	g.SUBQ(tail, off)
	g.CMOVQLT(lim, off) // off = max(8 − tail, 0)
	g.VMOVUPS(operand.Mem{Base: tbl, Index: off, Scale: 4}, k.m0)
	g.MOVQ(operand.U32(8), lim)
	g.MOVQ(operand.U32(16), off)
	g.SUBQ(tail, off)
	g.CMPQ(off, lim)
	g.CMOVQGT(lim, off) // off = min(16 − tail, 8)
	g.VMOVUPS(operand.Mem{Base: tbl, Index: off, Scale: 4}, k.m1)

	k.i = g.GP64()
	r1, r2, r3 := g.GP64(), g.GP64(), g.GP64()
	g.CMPQ(rows, operand.U32(gemvRows))
	g.JB(operand.LabelRef("single"))

	g.Label("quad")
	ptrs := []reg.Register{wp, r1, r2, r3}
	g.LEAQ(operand.Mem{Base: wp, Index: ldw, Scale: 1}, r1)
	g.LEAQ(operand.Mem{Base: r1, Index: ldw, Scale: 1}, r2)
	g.LEAQ(operand.Mem{Base: r2, Index: ldw, Scale: 1}, r3)
	k.rowLoops(ptrs, full, full2, tail, "quad")
	g.Comment("y[0:4]: hadd(hadd(a,b), hadd(c,d)), then the 128-bit halves added")
	a := func(r, v int) reg.VecPhysical { return g.vec(2*r + v) }
	for r := 0; r < gemvRows; r++ {
		g.VADDPS(a(r, 1), a(r, 0), a(r, 0))
	}
	g.VHADDPS(a(1, 0), a(0, 0), a(0, 0))
	g.VHADDPS(a(3, 0), a(2, 0), a(2, 0))
	g.VHADDPS(a(2, 0), a(0, 0), a(0, 0))
	g.VEXTRACTF128(operand.U8(1), a(0, 0), a(0, 1).AsX())
	g.VADDPS(a(0, 1).AsX(), a(0, 0).AsX(), a(0, 0).AsX())
	g.VMOVUPS(a(0, 0).AsX(), operand.Mem{Base: yp})
	g.LEAQ(operand.Mem{Base: r3, Index: ldw, Scale: 1}, wp)
	g.ADDQ(operand.U32(4*gemvRows), yp)
	g.SUBQ(operand.U32(gemvRows), rows)
	g.CMPQ(rows, operand.U32(gemvRows))
	g.JAE(operand.LabelRef("quad"))

	g.Label("single")
	g.TESTQ(rows, rows)
	g.JZ(operand.LabelRef("done"))
	g.Label("one")
	k.rowLoops([]reg.Register{wp}, full, full2, tail, "one")
	g.Comment("y[0]: the pairs of the four-row reduction")
	g.VADDPS(a(0, 1), a(0, 0), a(0, 0))
	g.VHADDPS(a(0, 0), a(0, 0), a(0, 0))
	g.VHADDPS(a(0, 0), a(0, 0), a(0, 0))
	g.VEXTRACTF128(operand.U8(1), a(0, 0), a(0, 1).AsX())
	g.VADDSS(a(0, 1).AsX(), a(0, 0).AsX(), a(0, 0).AsX())
	g.VMOVSS(a(0, 0).AsX(), operand.Mem{Base: yp})
	g.ADDQ(ldw, wp)
	g.ADDQ(operand.U32(4), yp)
	g.DECQ(rows)
	g.JNZ(operand.LabelRef("one"))

	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// rowLoops emits the column loops of the rows at ptrs: zeroed accumulators,
// pairs of 16-float blocks while they last (only for several rows: one row
// is latency-bound anyway), a last full block, then the masked tail.
func (k *gemvK) rowLoops(ptrs []reg.Register, full, full2, tail reg.Register, label string) {
	for r := range ptrs {
		for v := 0; v < 2; v++ {
			x := k.vec(2*r + v)
			k.VXORPS(x, x, x)
		}
	}
	k.XORQ(k.i, k.i)
	if len(ptrs) > 1 {
		k.CMPQ(k.i, full2)
		k.JAE(operand.LabelRef(label + "_last"))
		k.Label(label + "_pair")
		k.block(ptrs, 0, false)
		k.block(ptrs, 64, false)
		k.ADDQ(operand.U32(128), k.i)
		k.CMPQ(k.i, full2)
		k.JB(operand.LabelRef(label + "_pair"))
		k.Label(label + "_last")
		k.CMPQ(k.i, full)
		k.JAE(operand.LabelRef(label + "_tail"))
		k.block(ptrs, 0, false)
		k.ADDQ(operand.U32(64), k.i)
	} else {
		k.CMPQ(k.i, full)
		k.JAE(operand.LabelRef(label + "_tail"))
		k.Label(label + "_loop")
		k.block(ptrs, 0, false)
		k.ADDQ(operand.U32(64), k.i)
		k.CMPQ(k.i, full)
		k.JB(operand.LabelRef(label + "_loop"))
	}
	k.Label(label + "_tail")
	k.TESTQ(tail, tail)
	k.JZ(operand.LabelRef(label + "_sum"))
	k.block(ptrs, 0, true)
	k.Label(label + "_sum")
}

// block emits one 16-float block at byte offset i+disp of x and of each
// row: two x vectors, then two FMAs per row (masked: the weights loaded
// through the tail masks first).
func (k *gemvK) block(ptrs []reg.Register, disp int, masked bool) {
	xv := []reg.VecPhysical{k.vec(8), k.vec(9)}
	masks := []reg.VecPhysical{k.m0, k.m1}
	for v := 0; v < 2; v++ {
		m := operand.Mem{Base: k.x, Index: k.i, Scale: 1, Disp: disp + 32*v}
		if masked {
			k.VMASKMOVPS(m, masks[v], xv[v])
		} else {
			k.VMOVUPS(m, xv[v])
		}
	}
	for r, p := range ptrs {
		for v := 0; v < 2; v++ {
			m := operand.Mem{Base: p, Index: k.i, Scale: 1, Disp: disp + 32*v}
			acc := k.vec(2*r + v)
			if masked {
				t := k.vec(10 + v)
				k.VMASKMOVPS(m, masks[v], t)
				k.VFMADD231PS(t, xv[v], acc)
			} else {
				k.VFMADD231PS(m, xv[v], acc)
			}
		}
	}
}
