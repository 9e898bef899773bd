package main

// Epilogues: dst[i] = act((src[i] + bias) + res[i]) over a row of floats,
// one function per activation and set (epilogue<Act><SUFFIX>), vectorised
// with ymm (avx2) or zmm (avx512) registers. Full vectors go U at a time,
// then one at a time, and the last partial vector through a lane mask
// (VMASKMOVPS on avx2, an opmask on avx512), so the Go wrapper only checks
// the lengths. The residual-free case (len(res) = 0) has its own loops.
//
// SiLU and Sigmoid need e^−v. With w = clamp(v, −88, 87) (so −w is the
// [−87, 88] of Exp32): n = round(−w·log2e) by the 1.5·2^23 trick,
// s = w + n·ln2hi + n·ln2lo = −r (Cody–Waite, both FMAs), e^r = p(r) by a
// degree-6 polynomial in s (odd coefficients negated), and 2^n by adding
// n<<23 (the low bits of the rounded float) into the exponent of p. Then
// SiLU = max(v, −88) / (1 + e^−v) and Sigmoid = 1 / (1 + e^−v), divided
// with VDIVPS (correctly rounded).

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// epiAct is one activation an epilogue applies.
type epiAct struct {
	name   string // Go name part: epilogue<name><SUFFIX>
	doc    string // what the function computes for v = (src + bias) + res
	exp    bool   // needs e^−v (SiLU, Sigmoid)
	unroll int    // vectors per iteration of the main loop
}

// epiActs are in the order of kernels.Act.
var epiActs = []epiAct{
	{name: "None", doc: "v", unroll: 4},
	{name: "ReLU", doc: "max(v, 0)", unroll: 4},
	{name: "ReLU6", doc: "min(max(v, 0), 6)", unroll: 4},
	{name: "SiLU", doc: "max(v, −88) / (1 + e^−v)", exp: true, unroll: 2},
	{name: "Sigmoid", doc: "1 / (1 + e^−v)", exp: true, unroll: 2},
}

// expPoly are the coefficients c2..c6 of e^r ≈ 1 + r + c2·r² + … + c6·r⁶
// on |r| ≤ 0.35: the minimax fit of the relative error (Remez exchange in
// float64 on (e^r − 1 − r)/r² weighted by r²/e^r, c0 = c1 = 1 kept exact),
// rounded to float32. Its relative error is 3.3e-9 (4.8e-9 with the float32
// coefficients), against 1.7e-7 for the degree-6 Taylor polynomial of
// Exp32; what remains is the float32 rounding of r and of the Horner steps.
var expPoly = [5]uint32{0x3efffffe, 0x3e2aaa45, 0x3d2aac8b, 0x3c091fda, 0x3ab50d47}

// Constants of the epilogue table: each is one full vector (width copies),
// so it can be a memory operand of any vector instruction.
const (
	kLo      = iota // −88: low clamp of v (and of SiLU's numerator)
	kHi             // 87: high clamp of v
	kNegLog2        // −log2 e
	kMagic          // 1.5·2^23: adding it rounds to an integer
	kLn2Hi          // ln 2 with its low 12 bits of mantissa zero: n·ln2hi is exact
	kLn2Lo          // ln 2 − ln2hi
	kPoly6          // c6, −c5, c4, −c3, c2 (Horner order), then −1 and 1
	kPolyM1  = kPoly6 + 5
	kOne     = kPolyM1 + 1
	kSix     = kOne + 1
	kZero    = kSix + 1
	numK     = kZero + 1
)

// epiConsts returns the value of every table constant.
func epiConsts() [numK]uint32 {
	var k [numK]uint32
	f := math.Float32bits
	k[kLo] = f(-88)
	k[kHi] = f(87)
	k[kNegLog2] = f(-math.Log2E)
	k[kMagic] = f(12582912)
	k[kLn2Hi] = f(0.693145751953125)
	k[kLn2Lo] = f(1.428606765330187e-06)
	for i := 0; i < 5; i++ { // c6 … c2; odd powers negated: p is taken at s = −r
		c := expPoly[4-i]
		if (6-i)%2 == 1 {
			c ^= 1 << 31
		}
		k[kPoly6+i] = c
	}
	k[kPolyM1] = f(-1)
	k[kOne] = f(1)
	k[kSix] = f(6)
	k[kZero] = 0
	return k
}

// epilogues emits the constant table, the tail-mask table and one
// epilogue function per activation.
func (g *gen) epilogues() {
	consts := g.epiTables()
	masks := g.tailMasks()
	for _, a := range epiActs {
		g.epilogue(a, consts, masks)
	}
}

// epi holds the registers and tables of the epilogue being emitted.
type epi struct {
	*gen
	act              epiAct
	consts, masks    operand.Mem
	dst, src, res, i reg.Register // pointers and the byte offset of the current vector
	bias, c0, c1, c2 reg.VecPhysical
	mask             reg.Register // tail lane mask: a vector (avx2) or K1 (avx512)
}

// epiTables emits the constant table: numK vectors of width copies.
func (g *gen) epiTables() operand.Mem {
	m := g.StaticGlobal("epilogueConst" + g.suffix)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	for i, v := range epiConsts() {
		for l := 0; l < g.width; l++ {
			g.AddDatum(4*(i*g.width+l), operand.U32(v))
		}
	}
	return m
}

// k returns table constant c as a full-vector memory operand.
func (e *epi) k(c int) operand.Mem { return e.consts.Offset(4 * c * e.width) }

// epilogue emits epilogue<Act><SUFFIX>(dst, src, res []float32, bias float32).
func (g *gen) epilogue(a epiAct, consts, masks operand.Mem) {
	name := "epilogue" + a.name + g.suffix
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.Pragma("noescape")
	g.SignatureExpr("func(dst, src, res []float32, bias float32)")
	vec := "ymm"
	tail := "a VMASKMOVPS lane mask"
	if g.zmm {
		vec, tail = "zmm", "an opmask"
	}
	g.Doc(
		fmt.Sprintf("%s sets dst[i] = %s with v = (src[i] + bias) + res[i] for i < len(dst),", name, a.doc),
		fmt.Sprintf("or v = src[i] + bias when len(res) = 0; %d floats per %s, the last partial vector through %s.", g.width, vec, tail),
		"dst may be src or res exactly. The caller checks len(src), len(res) ≥ len(dst) (see epilogue_amd64.go).",
	)
	e := &epi{gen: g, act: a, consts: consts, masks: masks}
	e.dst = g.Load(g.Param("dst").Base(), g.GP64())
	e.src = g.Load(g.Param("src").Base(), g.GP64())
	e.res = g.Load(g.Param("res").Base(), g.GP64())
	n := g.Load(g.Param("dst").Len(), g.GP64())
	resLen := g.Load(g.Param("res").Len(), g.GP64())
	e.i = g.GP64()
	g.XORQ(e.i, e.i)

	// Registers: per vector u of an iteration, vec(4u..4u+3) (exp) or
	// vec(u); the constants from the top down.
	top := 15
	if g.zmm {
		top = 31
	}
	e.bias = g.vec(top)
	e.c0, e.c1, e.c2 = g.vec(top-1), g.vec(top-2), g.vec(top-3)
	bias, _ := g.Param("bias").Resolve()
	g.VBROADCASTSS(bias.Addr, e.bias)
	switch {
	case a.exp:
		g.VMOVUPS(e.k(kLo), e.c0)
		g.VMOVUPS(e.k(kHi), e.c1)
		g.VMOVUPS(e.k(kOne), e.c2)
	case a.name == "ReLU" || a.name == "ReLU6":
		g.VMOVUPS(e.k(kZero), e.c0)
		g.VMOVUPS(e.k(kSix), e.c1)
	}
	if g.zmm {
		e.mask = reg.K1
	} else {
		e.mask = g.vec(top - 4)
	}

	g.TESTQ(resLen, resLen)
	g.JZ(operand.LabelRef("nores"))
	e.loops(n, true, "res")
	g.JMP(operand.LabelRef("done"))
	g.Label("nores")
	e.loops(n, false, "nores")
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// tailMasks emits the lane masks of a partial vector: avx2: 2·width int32,
// width×(−1) then width×0 (the mask of r lanes is the width entries at
// width − r); avx512: width+1 uint16, entry r = (1<<r) − 1.
func (g *gen) tailMasks() operand.Mem {
	m := g.StaticGlobal("epilogueMask" + g.suffix)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	if g.zmm {
		for r := 0; r <= g.width; r++ {
			g.AddDatum(2*r, operand.U16(uint16(1<<r-1)))
		}
		return m
	}
	for i := 0; i < 2*g.width; i++ {
		v := uint32(0)
		if i < g.width {
			v = 0xffffffff
		}
		g.AddDatum(4*i, operand.U32(v))
	}
	return m
}

// loops emits the loops over n elements (n is destroyed): unroll vectors at
// a time, then one at a time, then the masked partial vector.
func (e *epi) loops(n reg.Register, withRes bool, label string) {
	vb := 4 * e.width // bytes per vector
	u := e.act.unroll
	e.Comment(fmt.Sprintf("%d vectors per iteration", u))
	e.CMPQ(n, operand.U32(u*e.width))
	e.JB(operand.LabelRef(label + "_one"))
	e.Label(label + "_loop")
	e.body(u, withRes, false)
	e.ADDQ(operand.U32(u*vb), e.i)
	e.SUBQ(operand.U32(u*e.width), n)
	e.CMPQ(n, operand.U32(u*e.width))
	e.JAE(operand.LabelRef(label + "_loop"))

	e.Label(label + "_one")
	e.CMPQ(n, operand.U32(e.width))
	e.JB(operand.LabelRef(label + "_tail"))
	e.body(1, withRes, false)
	e.ADDQ(operand.U32(vb), e.i)
	e.SUBQ(operand.U32(e.width), n)
	e.JMP(operand.LabelRef(label + "_one"))

	e.Label(label + "_tail")
	e.TESTQ(n, n)
	e.JZ(operand.LabelRef("done"))
	e.Comment(fmt.Sprintf("The last 1..%d elements through a lane mask: masked-off lanes are neither read nor written.", e.width-1))
	tbl := e.GP64()
	e.LEAQ(e.masks, tbl)
	if e.zmm {
		e.KMOVW(operand.Mem{Base: tbl, Index: n, Scale: 2}, e.mask)
	} else {
		off := e.GP64()
		e.MOVQ(operand.U32(e.width), off)
		e.SUBQ(n, off)
		e.VMOVUPS(operand.Mem{Base: tbl, Index: off, Scale: 4}, e.mask)
	}
	e.body(1, withRes, true)
}

// mem is vector u of the row at base.
func (e *epi) mem(base reg.Register, u int) operand.Mem {
	return operand.Mem{Base: base, Index: e.i, Scale: 1, Disp: 4 * u * e.width}
}

// maskedLoad loads the masked lanes at m into x and zeroes the others.
func (e *epi) maskedLoad(m operand.Mem, x reg.Register) {
	if e.zmm {
		e.VMOVUPS_Z(m, e.mask, x)
	} else {
		e.VMASKMOVPS(m, e.mask, x)
	}
}

// body emits the epilogue of vectors vectors (masked: one partial vector).
func (e *epi) body(vectors int, withRes, masked bool) {
	// Per vector u: v (the sum, then the result) and, for exp, w, t, f.
	v := func(u int) reg.VecPhysical { return e.vec(e.stride() * u) }
	for u := 0; u < vectors; u++ {
		if masked {
			e.maskedLoad(e.mem(e.src, u), v(u))
			e.VADDPS(e.bias, v(u), v(u))
			if withRes {
				t := e.vec(e.stride()*u + 1)
				e.maskedLoad(e.mem(e.res, u), t)
				e.VADDPS(t, v(u), v(u))
			}
			continue
		}
		e.VADDPS(e.mem(e.src, u), e.bias, v(u))
		if withRes {
			e.VADDPS(e.mem(e.res, u), v(u), v(u))
		}
	}
	// The Go operand order is Intel's reversed: VMAXPS a, b, d is
	// d = max(b, a), which returns a (the "second source") when either is
	// NaN or both are zeros. With a = v a NaN propagates like Go's max and
	// min, and adding +0 afterwards turns ReLU's −0 into Go's +0.
	switch e.act.name {
	case "None":
	case "ReLU", "ReLU6":
		for u := 0; u < vectors; u++ {
			e.VMAXPS(v(u), e.c0, v(u))
			e.VADDPS(e.c0, v(u), v(u))
			if e.act.name == "ReLU6" {
				e.VMINPS(v(u), e.c1, v(u))
			}
		}
	default:
		e.expBody(vectors, v)
	}
	for u := 0; u < vectors; u++ {
		if masked {
			if e.zmm {
				e.VMOVUPS(v(u), e.mask, e.mem(e.dst, u))
			} else {
				e.VMASKMOVPS(v(u), e.mask, e.mem(e.dst, u))
			}
			continue
		}
		e.VMOVUPS(v(u), e.mem(e.dst, u))
	}
}

// stride is the number of vector registers each vector of an iteration uses.
func (e *epi) stride() int {
	if e.act.exp {
		return 4
	}
	return 1
}

// expBody turns v(u) into SiLU(v) or Sigmoid(v), stage by stage across the
// vectors of the iteration.
func (e *epi) expBody(vectors int, v func(int) reg.VecPhysical) {
	w := func(u int) reg.VecPhysical { return e.vec(4*u + 1) }
	t := func(u int) reg.VecPhysical { return e.vec(4*u + 2) }
	f := func(u int) reg.VecPhysical { return e.vec(4*u + 3) }
	each := func(op func(u int)) {
		for u := 0; u < vectors; u++ {
			op(u)
		}
	}
	e.Comment("m = max(v, −88), w = min(m, 87): NaN propagates")
	each(func(u int) { e.VMAXPS(v(u), e.c0, v(u)) })
	each(func(u int) { e.VMINPS(v(u), e.c1, w(u)) })
	e.Comment("t = −w·log2e + 1.5·2^23 (n in its low bits), f = n")
	each(func(u int) { e.VMOVUPS(e.k(kNegLog2), t(u)) })
	each(func(u int) { e.VFMADD213PS(e.k(kMagic), w(u), t(u)) })
	each(func(u int) { e.VSUBPS(e.k(kMagic), t(u), f(u)) })
	e.Comment("s = w + n·ln2hi + n·ln2lo = −r, |r| ≤ ln2/2")
	each(func(u int) { e.VFMADD231PS(e.k(kLn2Hi), f(u), w(u)) })
	each(func(u int) { e.VFMADD231PS(e.k(kLn2Lo), f(u), w(u)) })
	each(func(u int) { e.VPSLLD(operand.U8(23), t(u), t(u)) })
	e.Comment("p = e^r by Horner in s, then e^−v = p·2^n: n<<23 added to the exponent")
	each(func(u int) { e.VMOVUPS(e.k(kPoly6), f(u)) })
	for c := kPoly6 + 1; c <= kOne; c++ {
		each(func(u int) { e.VFMADD213PS(e.k(c), w(u), f(u)) })
	}
	each(func(u int) { e.VPADDD(t(u), f(u), f(u)) })
	each(func(u int) { e.VADDPS(e.c2, f(u), f(u)) })
	if e.act.name == "SiLU" {
		e.Comment("SiLU = m / (1 + e^−v)")
		each(func(u int) { e.VDIVPS(f(u), v(u), v(u)) })
	} else {
		e.Comment("Sigmoid = 1 / (1 + e^−v)")
		each(func(u int) { e.VDIVPS(f(u), e.c2, v(u)) })
	}
}
