package conv

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// epilogueShapes are the problems the epilogue tests run every algorithm
// on: 1×1 (the pointwise paths), 3×3 (im2col, Winograd, direct), strided,
// odd sizes, grouped and depthwise, batch 2.
func epilogueShapes() map[string]Params {
	m := map[string]Params{
		"1x1":           conv2d(2, 24, 9, 7, 40, 1, 1, 0),
		"1x1-stride2":   conv2d(1, 16, 13, 13, 24, 1, 2, 0),
		"3x3":           conv2d(1, 16, 14, 14, 32, 3, 1, 1),
		"3x3-narrow":    conv2d(1, 64, 7, 7, 72, 3, 1, 1),
		"5x5-stride2":   conv2d(2, 5, 17, 15, 11, 5, 2, 2),
		"stem-7x7-cin3": conv2d(1, 3, 32, 32, 16, 7, 2, 3),
	}
	p := conv2d(2, 24, 12, 12, 24, 3, 1, 1)
	p.Groups = 24
	m["depthwise-3x3"] = p
	p = conv2d(1, 16, 11, 11, 16, 5, 2, 2)
	p.Groups = 16
	m["depthwise-5x5-stride2"] = p
	p = conv2d(1, 24, 10, 10, 36, 1, 1, 0)
	p.Groups = 3
	m["grouped-1x1"] = p
	return m
}

// TestEpilogueIsConvThenBiasResidualActivation: for every algorithm, shape
// and epilogue, conv.Forward with the epilogue equals the plain forward
// pass followed by (+ residual, activation) in float64, up to the rounding
// of the fused sums and the activation's tolerance; guard bands stay
// intact; and the fused result does not depend on the thread count.
func TestEpilogueIsConvThenBiasResidualActivation(t *testing.T) {
	epilogues := []struct {
		act      kernels.Act
		residual bool
	}{{kernels.ActReLU, false}, {kernels.ActNone, true}, {kernels.ActReLU, true},
		{kernels.ActReLU6, false}, {kernels.ActSiLU, false}, {kernels.ActSigmoid, true}}
	for _, algo := range Names() {
		if algo == "naive" {
			continue
		}
		a, _ := Lookup(algo)
		for _, name := range sortedNames(epilogueShapes()) {
			p := epilogueShapes()[name]
			in, w, bias := randomOperands(p, 31)
			plan, err := a.Plan(p, w, bias)
			if errors.Is(err, ErrUnsupported) {
				continue
			}
			if err != nil {
				t.Fatalf("%s.Plan(%s): %v", algo, p, err)
			}
			plain := make([]float32, p.OutLen())
			plan.Forward(plain, in, make([]float32, plan.Workspace()), 2)
			res, _, _ := randomOperands(Params{N: p.N, Cin: p.Cout, H: p.OutH(), W: p.OutW(), Cout: 1,
				KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}, 32)
			for _, ep := range epilogues {
				e := Epilogue{Act: ep.act}
				if ep.residual {
					e.Residual = res
				}
				t.Run(fmt.Sprintf("%s/%s/%s", algo, name, e), func(t *testing.T) {
					var ref []float32
					for _, threads := range []int{1, 2, 3} {
						obuf, out := nanBuffer(p.OutLen())
						wbuf, ws := nanBuffer(plan.Workspace())
						Forward(plan, out, in, ws, threads, e)
						if !guardsIntact(obuf) || !guardsIntact(wbuf) {
							t.Fatalf("threads=%d: wrote outside the output or workspace", threads)
						}
						if ref == nil {
							ref = out
							checkEpilogue(t, out, plain, e)
						} else if !bitwiseEqual(out, ref) {
							t.Fatalf("threads=%d differs from threads=1", threads)
						}
					}
				})
			}
		}
	}
}

// checkEpilogue compares got with act(plain + residual) computed in float64.
func checkEpilogue(t *testing.T, got, plain []float32, e Epilogue) {
	t.Helper()
	for i, v := range plain {
		x := float64(v)
		mag := math.Abs(x)
		if e.Residual != nil {
			x += float64(e.Residual[i])
			mag += math.Abs(float64(e.Residual[i]))
		}
		var want float64
		switch e.Act {
		case kernels.ActNone:
			want = x
		case kernels.ActReLU:
			want = max(x, 0)
		case kernels.ActReLU6:
			want = min(max(x, 0), 6)
		case kernels.ActSiLU:
			want = x / (1 + math.Exp(-x))
		case kernels.ActSigmoid:
			want = 1 / (1 + math.Exp(-x))
		}
		// The fused sums may round differently from plain's (the bias
		// added after the whole reduction instead of into its first
		// block): a few ulps of the operands; SiLU and Sigmoid add their
		// own 1e-6 relative.
		tol := 8*0x1p-24*mag + 1e-6*math.Abs(want) + 1e-7
		if d := math.Abs(float64(got[i]) - want); math.IsNaN(float64(got[i])) || d > tol {
			t.Fatalf("out[%d] = %v, want %v (plain %v): |diff| %.3g > %.3g", i, got[i], want, v, d, tol)
		}
	}
}

// TestWinogradEpilogueAcrossTileBlocks: Winograd applies the epilogue to
// whole tile rows as blocks complete them; blocks that end mid-row, split
// images or hold one tile must give the same bits as one block of all tiles.
func TestWinogradEpilogueAcrossTileBlocks(t *testing.T) {
	p := conv2d(2, 7, 23, 19, 13, 3, 1, 1)
	in, w, bias := randomOperands(p, 41)
	res, _, _ := randomOperands(Params{N: p.N, Cin: p.Cout, H: p.OutH(), W: p.OutW(), Cout: 1,
		KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}, 42)
	e := Epilogue{Act: kernels.ActReLU, Residual: res}
	for _, m := range []int{2, 4, 6} {
		var ref []float32
		for _, tb := range []int{1 << 20, 1, 5, 17} {
			plan, err := Winograd{M: m, TileBlock: tb}.Plan(p, w, bias)
			if err != nil {
				t.Fatal(err)
			}
			obuf, out := nanBuffer(p.OutLen())
			Forward(plan, out, in, make([]float32, plan.Workspace()), 2, e)
			if !guardsIntact(obuf) {
				t.Fatalf("f%dx3 TileBlock=%d wrote outside its output", m, tb)
			}
			if ref == nil {
				plain := make([]float32, p.OutLen())
				plan.Forward(plain, in, make([]float32, plan.Workspace()), 1)
				checkEpilogue(t, out, plain, e)
				ref = out
			} else if !bitwiseEqual(out, ref) {
				t.Fatalf("f%dx3 TileBlock=%d differs from one block of all tiles", m, tb)
			}
		}
	}
}
