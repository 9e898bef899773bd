package main

// Winograd transforms F(m×m, 3×3), m = 2, 4, 6 (α = m+2): the input
// transform V = Bᵀ d B and the output transform Y = Aᵀ M A + bias of
// winogradGroup = 8 tiles at once, one tile per ymm lane (avx2 only; the
// instructions are AVX).
//
// Input: for each of the α rows i, the row of every tile is loaded (4
// floats with VMOVUPS, 2 with VMOVSD/VMOVHPS, two tiles per ymm) and
// transposed in registers so that vector X_j holds element j of the row of
// the 8 tiles; the horizontal 1-D transform x ↦ Bᵀx gives W[i][·], kept in
// a stack scratch; then column by column the vertical 1-D transform gives
// V[r][j], stored as 8 contiguous floats (one per tile) at v[(r·α+j)·vs].
// Output: column by column, M[i][j] for the 8 tiles is one vector load at
// mm[(i·α+j)·ms]; S = Aᵀ M goes to the scratch; row by row Y[r] = S[r]·A +
// bias is transposed back (unpck) and stored as m floats into each tile's
// row r.
//
// The 1-D transforms below are the same operations, in the same order and
// without fused multiply-adds, as the generic Go code in
// engine/kernels/winograd.go, so both give the same bits (kernels_test
// checks it).

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// wgConsts are the multipliers of the 1-D transforms, each stored as one
// full ymm of copies in the table winogradConstAVX2.
var wgConsts = []float32{2, 4, 8, 16, 32, 0.5, 0.25, 0.125, 0.0625, 0.03125, 5.25, 4.25, 1.25, 2.5, 5}

type wg struct {
	*gen
	consts operand.Mem
}

func (g *gen) winograd() {
	w := &wg{gen: g}
	w.consts = g.StaticGlobal("winogradConst" + g.suffix)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	for i, c := range wgConsts {
		for l := 0; l < 8; l++ {
			g.AddDatum(4*(i*8+l), operand.U32(math.Float32bits(c)))
		}
	}
	for _, m := range []int{2, 4, 6} {
		w.input(m)
		w.output(m)
	}
}

func (w *wg) k(c float32) operand.Mem {
	for i, x := range wgConsts {
		if x == c {
			return w.consts.Offset(32 * i)
		}
	}
	panic(fmt.Sprintf("no constant %v", c))
}

func (w *wg) add(a, b reg.Register) reg.Register { r := w.YMM(); w.VADDPS(b, a, r); return r }
func (w *wg) sub(a, b reg.Register) reg.Register { r := w.YMM(); w.VSUBPS(b, a, r); return r }
func (w *wg) mul(c float32, a reg.Register) reg.Register {
	r := w.YMM()
	w.VMULPS(w.k(c), a, r)
	return r
}

// in1D is x ↦ Bᵀx (α values), handing each result v_j to out as soon as
// it is computed (so that it need not stay in a register).
func (w *wg) in1D(m int, x []reg.Register, out func(j int, v reg.Register)) {
	switch m {
	case 2:
		out(0, w.sub(x[0], x[2]))
		out(1, w.add(x[1], x[2]))
		out(2, w.sub(x[2], x[1]))
		out(3, w.sub(x[1], x[3]))
	case 4:
		a := w.sub(x[4], w.mul(4, x[2]))
		b := w.sub(x[3], w.mul(4, x[1]))
		c := w.sub(x[4], x[2])
		e := w.mul(2, w.sub(x[3], x[1]))
		out(0, w.add(w.mul(4, w.sub(x[0], x[2])), c))
		out(5, w.add(w.mul(4, w.sub(x[1], x[3])), w.sub(x[5], x[3])))
		out(1, w.add(a, b))
		out(2, w.sub(a, b))
		out(3, w.add(c, e))
		out(4, w.sub(c, e))
	case 6:
		out(0, w.add(w.sub(x[0], x[6]), w.mul(5.25, w.sub(x[4], x[2]))))
		out(7, w.add(w.sub(x[7], x[1]), w.mul(5.25, w.sub(x[3], x[5]))))
		a := w.sub(w.add(x[2], x[6]), w.mul(4.25, x[4]))
		b := w.sub(w.add(x[1], x[5]), w.mul(4.25, x[3]))
		out(1, w.add(a, b))
		out(2, w.sub(a, b))
		a = w.sub(w.add(x[6], w.mul(0.25, x[2])), w.mul(1.25, x[4]))
		b = w.sub(w.add(w.mul(0.5, x[1]), w.mul(2, x[5])), w.mul(2.5, x[3]))
		out(3, w.add(a, b))
		out(4, w.sub(a, b))
		a = w.sub(w.add(x[6], w.mul(4, x[2])), w.mul(5, x[4]))
		b = w.sub(w.add(w.mul(2, x[1]), w.mul(0.5, x[5])), w.mul(2.5, x[3]))
		out(5, w.add(a, b))
		out(6, w.sub(a, b))
	default:
		panic("m")
	}
}

// out1D is x ↦ Aᵀx (α values in, m out).
func (w *wg) out1D(m int, x []reg.Register) []reg.Register {
	switch m {
	case 2:
		return []reg.Register{w.add(w.add(x[0], x[1]), x[2]), w.sub(w.sub(x[1], x[2]), x[3])}
	case 4:
		s, d := w.add(x[1], x[2]), w.sub(x[1], x[2])
		S, D := w.add(x[3], x[4]), w.sub(x[3], x[4])
		return []reg.Register{
			w.add(w.add(x[0], s), S),
			w.add(d, w.mul(2, D)),
			w.add(s, w.mul(4, S)),
			w.add(w.add(d, w.mul(8, D)), x[5]),
		}
	case 6:
		s1, d1 := w.add(x[1], x[2]), w.sub(x[1], x[2])
		s2, d2 := w.add(x[3], x[4]), w.sub(x[3], x[4])
		s3, d3 := w.add(x[5], x[6]), w.sub(x[5], x[6])
		return []reg.Register{
			w.add(w.add(w.add(x[0], s1), s2), s3),
			w.add(w.add(d1, w.mul(2, d2)), w.mul(0.5, d3)),
			w.add(w.add(s1, w.mul(4, s2)), w.mul(0.25, s3)),
			w.add(w.add(d1, w.mul(8, d2)), w.mul(0.125, d3)),
			w.add(w.add(s1, w.mul(16, s2)), w.mul(0.0625, s3)),
			w.add(w.add(w.add(d1, w.mul(32, d2)), w.mul(0.03125, d3)), x[7]),
		}
	}
	panic("m")
}

// tilePointers loads the 8 tiles' base pointers from d (*[8][]float32).
func (w *wg) tilePointers(d reg.Register) []reg.Register {
	p := make([]reg.Register, 8)
	for k := range p {
		p[k] = w.GP64()
		w.MOVQ(operand.Mem{Base: d, Disp: 24 * k}, p[k])
	}
	return p
}

// nextRow advances each tile pointer by its row stride ld[k] floats.
func (w *wg) nextRow(p []reg.Register, ld reg.Register) {
	for k := range p {
		t := w.GP64()
		w.MOVQ(operand.Mem{Base: ld, Disp: 8 * k}, t)
		w.LEAQ(operand.Mem{Base: p[k], Index: t, Scale: 4}, p[k])
	}
}

// loadQuad returns X_0..X_3, X_j holding the floats at byte offset off+4j
// of the 8 tiles' rows (tile k in lane k).
func (w *wg) loadQuad(p []reg.Register, off int) []reg.Register {
	r := make([]reg.Register, 4)
	for k := range r {
		r[k] = w.YMM()
		// A broadcast, not a 128-bit load into the low half: it defines
		// the whole register, so the allocator sees no live upper half.
		w.VBROADCASTF128(operand.Mem{Base: p[k], Disp: off}, r[k])
		w.VINSERTF128(operand.Imm(1), operand.Mem{Base: p[k+4], Disp: off}, r[k], r[k])
	}
	return w.transpose4(r)
}

// transpose4 transposes the 4×4 blocks of both 128-bit halves of r.
func (w *wg) transpose4(r []reg.Register) []reg.Register {
	t := make([]reg.Register, 4)
	for i := range t {
		t[i] = w.YMM()
	}
	w.VUNPCKLPS(r[1], r[0], t[0])
	w.VUNPCKHPS(r[1], r[0], t[1])
	w.VUNPCKLPS(r[3], r[2], t[2])
	w.VUNPCKHPS(r[3], r[2], t[3])
	x := make([]reg.Register, 4)
	for i := range x {
		x[i] = w.YMM()
	}
	w.VUNPCKLPD(t[2], t[0], x[0])
	w.VUNPCKHPD(t[2], t[0], x[1])
	w.VUNPCKLPD(t[3], t[1], x[2])
	w.VUNPCKHPD(t[3], t[1], x[3])
	return x
}

// loadPair returns X_0, X_1 from the two floats at byte offset off.
func (w *wg) loadPair(p []reg.Register, off int) []reg.Register {
	q := make([]reg.Register, 2)
	for h := range q {
		// [a a | c c] and [b b | d d] from 64-bit broadcasts, then
		// q = [a b | c d]: tiles 2h, 2h+1 | 2h+4, 2h+5.
		var ac, bd [2]reg.Register
		for i, t := range [4]int{2 * h, 2*h + 4, 2*h + 1, 2*h + 5} {
			r := w.YMM()
			w.VBROADCASTSD(operand.Mem{Base: p[t], Disp: off}, r)
			if i < 2 {
				ac[i] = r
			} else {
				bd[i-2] = r
			}
		}
		a, b := w.YMM(), w.YMM()
		w.VBLENDPS(operand.Imm(0xF0), ac[1], ac[0], a)
		w.VBLENDPS(operand.Imm(0xF0), bd[1], bd[0], b)
		q[h] = w.YMM()
		w.VBLENDPS(operand.Imm(0xCC), b, a, q[h])
	}
	x0, x1 := w.YMM(), w.YMM()
	w.VSHUFPS(operand.Imm(0x88), q[1], q[0], x0)
	w.VSHUFPS(operand.Imm(0xDD), q[1], q[0], x1)
	return []reg.Register{x0, x1}
}

// loadRow returns the α vectors of one row of the 8 tiles.
func (w *wg) loadRow(m int, p []reg.Register) []reg.Register {
	switch m {
	case 2:
		return w.loadQuad(p, 0)
	case 4:
		return append(w.loadQuad(p, 0), w.loadPair(p, 16)...)
	default:
		return append(w.loadQuad(p, 0), w.loadQuad(p, 16)...)
	}
}

// storeQuad stores y_0..y_3 (lane k: tile k) as 4 floats at byte offset off
// of each tile's row.
func (w *wg) storeQuad(p []reg.Register, off int, y []reg.Register) {
	t := make([]reg.Register, 4)
	for i := range t {
		t[i] = w.YMM()
	}
	w.VUNPCKLPS(y[1], y[0], t[0]) // tiles 0, 1 | 4, 5: y0 y1
	w.VUNPCKHPS(y[1], y[0], t[1]) // tiles 2, 3 | 6, 7
	w.VUNPCKLPS(y[3], y[2], t[2])
	w.VUNPCKHPS(y[3], y[2], t[3])
	for k := 0; k < 4; k++ {
		e := w.YMM()
		a, b := t[k/2], t[2+k/2]
		if k%2 == 0 {
			w.VUNPCKLPD(b, a, e)
		} else {
			w.VUNPCKHPD(b, a, e)
		}
		w.VMOVUPS(e.(reg.VecVirtual).AsX(), operand.Mem{Base: p[k], Disp: off})
		w.VEXTRACTF128(operand.Imm(1), e, operand.Mem{Base: p[k+4], Disp: off})
	}
}

// storePair stores y_0, y_1 as 2 floats at byte offset off.
func (w *wg) storePair(p []reg.Register, off int, y []reg.Register) {
	for h := 0; h < 2; h++ {
		t := w.YMM()
		if h == 0 {
			w.VUNPCKLPS(y[1], y[0], t) // tiles 0, 1 | 4, 5
		} else {
			w.VUNPCKHPS(y[1], y[0], t) // tiles 2, 3 | 6, 7
		}
		tx := t.(reg.VecVirtual).AsX()
		w.VMOVLPS(tx, operand.Mem{Base: p[2*h], Disp: off})
		w.VMOVHPS(tx, operand.Mem{Base: p[2*h+1], Disp: off})
		hi := w.XMM()
		w.VEXTRACTF128(operand.Imm(1), t, hi)
		w.VMOVLPS(hi, operand.Mem{Base: p[2*h+4], Disp: off})
		w.VMOVHPS(hi, operand.Mem{Base: p[2*h+5], Disp: off})
	}
}

func (w *wg) storeRow(m int, p []reg.Register, y []reg.Register) {
	switch m {
	case 2:
		w.storePair(p, 0, y)
	case 4:
		w.storeQuad(p, 0, y)
	default:
		w.storeQuad(p, 0, y[:4])
		w.storePair(p, 16, y[4:])
	}
}

// input emits winogradInputF<m>x3AVX2(d *[8][]float32, ld *[8]int, v []float32, vs int).
func (w *wg) input(m int) {
	alpha := m + 2
	name := fmt.Sprintf("winogradInputF%dx3%s", m, w.suffix)
	w.Function(name)
	w.Pragma("noescape")
	w.SignatureExpr("func(d *[8][]float32, ld *[8]int, v []float32, vs int)")
	w.Doc(
		fmt.Sprintf("%s is the input transform V = Bᵀ d B of Winograd F(%dx%d, 3x3) for 8 tiles:", name, m, m),
		fmt.Sprintf("tile k is the %d×%d block d[k][i·ld[k]+j]; V[ξ] of tile k goes to v[ξ·vs+k], ξ = row·%d + column.", alpha, alpha, alpha),
		"The caller checks the lengths (see winograd_amd64.go).",
	)
	scratch := w.AllocLocal(alpha * alpha * 32) // W[i][j] at (j·α+i)·32
	dp := w.Load(w.Param("d"), w.GP64())
	ld := w.Load(w.Param("ld"), w.GP64())
	p := w.tilePointers(dp)
	for i := 0; i < alpha; i++ {
		x := w.loadRow(m, p)
		w.in1D(m, x, func(j int, y reg.Register) {
			w.VMOVUPS(y, scratch.Offset((j*alpha+i)*32))
		})
		if i < alpha-1 {
			w.nextRow(p, ld)
		}
	}
	v := w.Load(w.Param("v").Base(), w.GP64())
	vs := w.Load(w.Param("vs"), w.GP64())
	w.SHLQ(operand.Imm(2), vs) // bytes
	planes := w.GP64()         // α·vs: from V[r][j] to V[r+1][j]
	w.IMUL3Q(operand.Imm(uint64(alpha)), vs, planes)
	for j := 0; j < alpha; j++ {
		x := make([]reg.Register, alpha)
		for i := range x {
			x[i] = w.YMM()
			w.VMOVUPS(scratch.Offset((j*alpha+i)*32), x[i])
		}
		// V[r][j] is at v + j·vs + r·α·vs (bytes).
		w.in1D(m, x, func(r int, y reg.Register) {
			if r == 0 {
				w.VMOVUPS(y, operand.Mem{Base: v})
				return
			}
			q := w.GP64()
			w.IMUL3Q(operand.Imm(uint64(r)), planes, q)
			w.VMOVUPS(y, operand.Mem{Base: v, Index: q, Scale: 1})
		})
		if j < alpha-1 {
			w.ADDQ(vs, v)
		}
	}
	w.VZEROUPPER()
	w.RET()
}

// output emits winogradOutputF<m>x3AVX2(mm []float32, ms int, bias float32, y *[8][]float32, ly *[8]int).
func (w *wg) output(m int) {
	alpha := m + 2
	name := fmt.Sprintf("winogradOutputF%dx3%s", m, w.suffix)
	w.Function(name)
	w.Pragma("noescape")
	w.SignatureExpr("func(mm []float32, ms int, bias float32, y *[8][]float32, ly *[8]int)")
	w.Doc(
		fmt.Sprintf("%s is the output transform Y = Aᵀ M A + bias of Winograd F(%dx%d, 3x3) for 8 tiles:", name, m, m),
		fmt.Sprintf("M[ξ] of tile k is mm[ξ·ms+k]; Y[i][j] goes to y[k][i·ly[k]+j] (%d×%d).", m, m),
		"The caller checks the lengths (see winograd_amd64.go).",
	)
	scratch := w.AllocLocal(m * alpha * 32) // S[r][j] at (r·α+j)·32
	mp := w.Load(w.Param("mm").Base(), w.GP64())
	ms := w.Load(w.Param("ms"), w.GP64())
	w.SHLQ(operand.Imm(2), ms)
	planes := w.GP64() // α·ms: from M[i][j] to M[i+1][j]
	w.IMUL3Q(operand.Imm(uint64(alpha)), ms, planes)
	for j := 0; j < alpha; j++ {
		q := w.GP64()
		w.MOVQ(mp, q)
		x := make([]reg.Register, alpha)
		for i := range x {
			x[i] = w.YMM()
			w.VMOVUPS(operand.Mem{Base: q}, x[i])
			if i < alpha-1 {
				w.ADDQ(planes, q)
			}
		}
		for r, s := range w.out1D(m, x) {
			w.VMOVUPS(s, scratch.Offset((r*alpha+j)*32))
		}
		if j < alpha-1 {
			w.ADDQ(ms, mp)
		}
	}
	bias, _ := w.Param("bias").Resolve()
	bv := w.YMM()
	w.VBROADCASTSS(bias.Addr, bv)
	yp := w.Load(w.Param("y"), w.GP64())
	ly := w.Load(w.Param("ly"), w.GP64())
	p := w.tilePointers(yp)
	for r := 0; r < m; r++ {
		x := make([]reg.Register, alpha)
		for j := range x {
			x[j] = w.YMM()
			w.VMOVUPS(scratch.Offset((r*alpha+j)*32), x[j])
		}
		out := w.out1D(m, x)
		for i := range out {
			out[i] = w.add(out[i], bv)
		}
		w.storeRow(m, p, out)
		if r < m-1 {
			w.nextRow(p, ly)
		}
	}
	w.VZEROUPPER()
	w.RET()
}
