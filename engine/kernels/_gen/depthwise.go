package main

// Depthwise row kernels: one output row segment of a 3×3 or 5×5 depthwise
// convolution at stride 1 or 2, 8 outputs per ymm (depthwiseRow<K><S>AVX2),
// in the order the generic kernels of engine/kernels/depthwise.go define,
// with the same roundings (separate VMULPS and VADDPS, no FMA), so both
// give the same bits:
//
//	s_i = ((w_i0·a_0 + w_i1·a_1) + w_i2·a_2) …   the taps of kernel row i, in order
//	out = ((s_0 + s_1) + s_2 …) + b             the rows in order, the bias last
//
// On Zen 4 the multiplies and the adds go to different pipes, so the
// unfused form costs no throughput: 2 multiplies and 2 adds per cycle.
//
// Each kernel row's weights are broadcast into registers once per pass;
// 5×5 needs three passes (kernel rows 0–1, 2–3, 4) to keep its weights in
// registers, storing the partial sum in dst between passes. At stride 1
// tap j of output vector x reads the 8 inputs at x + j (an unaligned load
// that is the multiply's memory operand). At stride 2 output x + q reads
// input 2x + 2q + j; the taps are taken from two loads A (at 2x + j − j%2)
// and B (8 further) by one VSHUFPS: the even elements of A:B (imm 0x88)
// for even j, the odd ones (0xDD) for odd j, and for the last tap (j = K−1,
// even) A at 2x + j and B at 2x + j + 7, its odd elements (0xD8), so that
// no load reaches past the row's last input. VSHUFPS works within 128-bit
// lanes, so every tap vector holds the outputs in the order
// q = 0 1 4 5 2 3 6 7; the sums are per lane, and one VPERMPD (0xD8) puts
// the result in order before the last pass stores it (earlier passes store
// the permuted partial sums, which only the next pass reads).
//
// The last 1–7 outputs are one more vector computed after the passes, all
// kernel rows at once (the weights broadcast tap by tap), every input load
// through a VMASKMOVPS lane mask covering just the inputs the row still has
// (masked-off lanes read as zeros, touch no memory and feed only lanes that
// are not stored), and the outputs stored one by one from the stack (a
// masked store is slower on Zen 4). The arithmetic per lane is that of the
// whole vectors, so an output's bits do not depend on where it lies. A
// masked load whose masked-off lanes reach an unmapped page is correct but
// slow (hundreds of cycles): the tests put rows against guard pages, the
// benchmarks do not.
//
// Measured on one Zen 4 core (2.6 GHz, shared): 112-output rows at about
// 0.5 ns per 3×3 s1 output, 0.9 at 3×3 s2, 1.2 at 5×5 s1, 1.8 at 5×5 s2,
// against 2.6 to 7.6 for the generic Go rows: the stride-1 kernels are
// bound by the unaligned loads (two per cycle, more when one crosses a
// cache line), the stride-2 ones by the shuffles.

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// dwSpec is one row kernel: a k×k kernel at stride s, its kernel rows split
// into passes of at most passRows rows.
type dwSpec struct {
	k, s     int
	passRows int
}

func (d dwSpec) name() string { return fmt.Sprintf("%dx%dS%d", d.k, d.k, d.s) }

// passes returns the kernel rows of each pass.
func (d dwSpec) passes() [][]int {
	var ps [][]int
	for r := 0; r < d.k; r += d.passRows {
		var p []int
		for i := r; i < min(r+d.passRows, d.k); i++ {
			p = append(p, i)
		}
		ps = append(ps, p)
	}
	return ps
}

// dwSpecs are the kernels, in the order of kernels.DWKernel. Registers per
// pass: passRows·k weights, the bias, the sum, the row sum and two
// temporaries (stride 2: A and the shuffled taps) ≤ 16.
var dwSpecs = []dwSpec{
	{k: 3, s: 1, passRows: 3},
	{k: 3, s: 2, passRows: 3},
	{k: 5, s: 1, passRows: 2},
	{k: 5, s: 2, passRows: 2},
}

// depthwise emits the lane-mask table and every depthwise row kernel of a
// ymm set.
func (g *gen) depthwise() {
	masks := g.StaticGlobal("depthwiseMask" + g.suffix)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		g.AddDatum(4*i, operand.U32(v))
	}
	for _, d := range dwSpecs {
		g.dwRow(d, masks)
	}
}

func (g *gen) dwRow(d dwSpec, masks operand.Mem) {
	name := "depthwiseRow" + d.name() + g.suffix
	g.Function(name)
	g.Attributes(attr.NOSPLIT)
	g.Pragma("noescape")
	g.SignatureExpr("func(dst []float32, rows [][]float32, w []float32, b float32)")
	g.Doc(
		fmt.Sprintf("%s computes dst[x] for x < len(dst): the %d×%d stride-%d depthwise row of", name, d.k, d.k, d.s),
		fmt.Sprintf("kernel rows rows[0..%d] (each from the input column of dst[0]) and weights w[0..%d],", d.k-1, d.k*d.k-1),
		"the bias b added last, in the order of the generic kernel; 8 outputs per ymm, the last",
		"1–7 through lane masks. The caller checks the bounds (see depthwise_amd64.go).",
	)
	k := &dwK{gen: g, d: d, masks: masks}
	k.dst = g.Load(g.Param("dst").Base(), g.GP64())
	n := g.Load(g.Param("dst").Len(), g.GP64())
	k.r = g.GP64()
	g.MOVQ(n, k.r)
	g.ANDQ(operand.U32(7), k.r) // outputs in the partial vector
	k.full = n
	g.ANDQ(operand.I32(-8), k.full)
	g.SHLQ(operand.U8(2), k.full) // bytes of the whole vectors
	rowsBase := g.Load(g.Param("rows").Base(), g.GP64())
	k.rows = make([]reg.Register, d.k)
	for i := range k.rows {
		k.rows[i] = g.GP64()
		g.MOVQ(operand.Mem{Base: rowsBase, Disp: 24 * i}, k.rows[i]) // the data pointer of slice header i
	}
	k.w = g.Load(g.Param("w").Base(), g.GP64())
	b, _ := g.Param("b").Resolve()
	k.bias = b.Addr
	k.i = g.GP64()
	g.TESTQ(k.full, k.full)
	g.JZ(operand.LabelRef("tail"))
	g.VBROADCASTSS(k.bias, k.vec(dwBias))
	passes := d.passes()
	for pi, pass := range passes {
		g.Comment(fmt.Sprintf("Pass %d over the whole vectors: kernel rows %v", pi, pass))
		for q, r := range pass {
			for j := 0; j < d.k; j++ {
				g.VBROADCASTSS(k.weight(r, j), g.vec(q*d.k+j))
			}
		}
		label := fmt.Sprintf("pass%d", pi)
		g.XORQ(k.i, k.i)
		g.Label(label)
		k.vector(pass, pi == 0, pi == len(passes)-1)
		g.ADDQ(operand.U32(32), k.i)
		g.CMPQ(k.i, k.full)
		g.JB(operand.LabelRef(label))
	}
	g.Label("tail")
	g.TESTQ(k.r, k.r)
	g.JZ(operand.LabelRef("done"))
	k.tail()
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// Vector registers of the whole-vector loops: the pass's weights from Y0
// (at most 10), then the bias, the sum, the row sum and a temporary.
const (
	dwBias = 10
	dwAcc  = 11
	dwSum  = 12
	dwTmp  = 13
)

// dwK holds the registers of the row kernel being emitted.
type dwK struct {
	*gen
	d            dwSpec
	masks        operand.Mem
	dst, full, r reg.Register // dst; bytes of the whole vectors; outputs of the partial one
	i, w         reg.Register // byte offset of the current output vector; the weights
	rows         []reg.Register
	bias         operand.Mem // the float32 argument
}

func (k *dwK) weight(r, j int) operand.Mem { return operand.Mem{Base: k.w, Disp: 4 * (r*k.d.k + j)} }

// in is the input of kernel row r at float offset off from the input column
// of the output vector at byte offset idx (scaled by the stride).
func (k *dwK) in(r int, idx reg.Register, off int) operand.Mem {
	return operand.Mem{Base: k.rows[r], Index: idx, Scale: uint8(k.d.s), Disp: 4 * off}
}

// tap returns, for tap j at stride 2, the offsets of the loads A and B and
// the VSHUFPS immediate that picks the tap's inputs from them.
func (k *dwK) tap(j int) (a, b int, imm uint8) {
	switch {
	case j == k.d.k-1:
		return j, j + 7, 0xD8
	case j%2 == 1:
		return j - 1, j + 7, 0xDD
	}
	return j, j + 8, 0x88
}

// vector emits one output vector of a pass at byte offset i.
func (k *dwK) vector(pass []int, first, last bool) {
	d := k.d
	acc, sum, t := k.vec(dwAcc), k.vec(dwSum), k.vec(dwTmp)
	dst := operand.Mem{Base: k.dst, Index: k.i, Scale: 1}
	if !first {
		k.VMOVUPS(dst, acc)
	}
	for q, r := range pass {
		into := sum // the very first row sums straight into acc
		if first && q == 0 {
			into = acc
		}
		for j := 0; j < d.k; j++ {
			w := k.vec(q*d.k + j)
			prod := t
			if j == 0 {
				prod = into
			}
			if d.s == 1 {
				k.VMULPS(k.in(r, k.i, j), w, prod)
			} else {
				a, b, imm := k.tap(j)
				k.VMOVUPS(k.in(r, k.i, a), t)
				k.VSHUFPS(operand.U8(imm), k.in(r, k.i, b), t, t)
				k.VMULPS(t, w, prod)
			}
			if j > 0 {
				k.VADDPS(t, into, into)
			}
		}
		if into != acc {
			k.VADDPS(sum, acc, acc)
		}
	}
	if last {
		k.VADDPS(k.vec(dwBias), acc, acc)
		if d.s == 2 {
			k.VPERMPD(operand.U8(0xD8), acc, acc)
		}
	}
	k.VMOVUPS(acc, dst)
}

// tail emits the partial vector of r = 1..7 outputs at byte offset full:
// every kernel row in one go (the order of the passes), the weights
// broadcast tap by tap, every load through a lane mask that covers the
// inputs the row still has (the rest read as zeros and land in lanes that
// are not stored), and a masked store of the r outputs.
func (k *dwK) tail() {
	d := k.d
	k.Comment("The partial vector: its inputs and outputs through lane masks.")
	acc, sum, ta, tb, wt := k.vec(0), k.vec(1), k.vec(2), k.vec(3), k.vec(4)
	// Inputs left from the vector's first input column: rem = (r−1)·S + K.
	rem := k.GP64()
	if d.s == 1 {
		k.LEAQ(operand.Mem{Base: k.r, Disp: d.k - 1}, rem)
	} else {
		k.LEAQ(operand.Mem{Base: k.r, Index: k.r, Scale: 1, Disp: d.k - 2}, rem)
	}
	tbl, lo, hi := k.GP64(), k.GP64(), k.GP64()
	k.LEAQ(k.masks, tbl)
	k.XORQ(lo, lo)
	k.MOVQ(operand.U32(8), hi)
	next := 5
	maskOf := map[int]reg.VecPhysical{}
	// mask loads the mask of min(max(c, 0), 8) lanes: the table entries
	// at 8 − that.
	mask := func(c reg.Register) reg.VecPhysical {
		idx := k.GP64()
		k.MOVQ(operand.U32(8), idx)
		k.SUBQ(c, idx)
		k.CMPQ(idx, lo)
		k.CMOVQLT(lo, idx)
		k.CMPQ(idx, hi)
		k.CMOVQGT(hi, idx)
		m := k.vec(next)
		next++
		k.VMOVUPS(operand.Mem{Base: tbl, Index: idx, Scale: 4}, m)
		return m
	}
	var offs []int
	for j := 0; j < d.k; j++ {
		if d.s == 1 {
			offs = append(offs, j)
			continue
		}
		a, b, _ := k.tap(j)
		offs = append(offs, a, b)
	}
	for _, off := range offs {
		if _, ok := maskOf[off]; ok {
			continue
		}
		c := k.GP64()
		k.LEAQ(operand.Mem{Base: rem, Disp: -off}, c)
		maskOf[off] = mask(c)
	}
	for r := 0; r < d.k; r++ {
		into := sum
		if r == 0 {
			into = acc
		}
		for j := 0; j < d.k; j++ {
			k.VBROADCASTSS(k.weight(r, j), wt)
			prod := ta
			if j == 0 {
				prod = into
			}
			if d.s == 1 {
				k.VMASKMOVPS(k.in(r, k.full, j), maskOf[j], ta)
			} else {
				a, b, imm := k.tap(j)
				k.VMASKMOVPS(k.in(r, k.full, a), maskOf[a], ta)
				k.VMASKMOVPS(k.in(r, k.full, b), maskOf[b], tb)
				k.VSHUFPS(operand.U8(imm), tb, ta, ta)
			}
			k.VMULPS(ta, wt, prod)
			if j > 0 {
				k.VADDPS(ta, into, into)
			}
		}
		if r > 0 {
			k.VADDPS(sum, acc, acc)
		}
	}
	k.VBROADCASTSS(k.bias, wt)
	k.VADDPS(wt, acc, acc)
	if d.s == 2 {
		k.VPERMPD(operand.U8(0xD8), acc, acc)
	}
	// The r outputs go out one by one through the stack: a masked store
	// (VMASKMOVPS to memory) costs more on Zen 4.
	tmp := k.AllocLocal(32)
	k.VMOVUPS(acc, tmp)
	p, j, v := k.GP64(), k.GP64(), k.GP32()
	k.LEAQ(operand.Mem{Base: k.dst, Index: k.full, Scale: 1}, p)
	k.XORQ(j, j)
	k.Label("store")
	k.MOVL(operand.Mem{Base: tmp.Base, Index: j, Scale: 4, Disp: tmp.Disp}, v)
	k.MOVL(v, operand.Mem{Base: p, Index: j, Scale: 4})
	k.INCQ(j)
	k.CMPQ(j, k.r)
	k.JB(operand.LabelRef("store"))
}
