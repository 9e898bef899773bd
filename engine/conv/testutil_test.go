package conv

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Shared helpers for testing convolution algorithms against the naive oracle.

// conv2d is a square-kernel, symmetric-padding, ungrouped problem; tests
// adjust the other fields of the returned value.
func conv2d(n, cin, h, w, cout, k, stride, pad int) Params {
	return Params{N: n, Cin: cin, H: h, W: w, Cout: cout, KH: k, KW: k,
		StrideH: stride, StrideW: stride, PadT: pad, PadB: pad, PadL: pad, PadR: pad,
		DilH: 1, DilW: 1, Groups: 1}
}

// randomOperands returns deterministic input, weights and bias for p, with
// values uniform in [−1, 1).
func randomOperands(p Params, seed uint64) (in, w, bias []float32) {
	r := rand.New(rand.NewPCG(seed, 0x636f6e76))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = 2*r.Float32() - 1
		}
		return x
	}
	return fill(p.InLen()), fill(p.WeightLen()), fill(p.Cout)
}

// guardLen is the NaN band written around outputs and workspaces.
const guardLen = 64

// nanBuffer returns a NaN-filled buffer of n elements framed by NaN guard
// bands, and the n-element window in the middle.
func nanBuffer(n int) (buf, mid []float32) {
	buf = make([]float32, n+2*guardLen)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	return buf, buf[guardLen : guardLen+n]
}

// guardsIntact reports whether both guard bands of buf still hold NaN.
func guardsIntact(buf []float32) bool {
	for _, v := range buf[:guardLen] {
		if !math.IsNaN(float64(v)) {
			return false
		}
	}
	for _, v := range buf[len(buf)-guardLen:] {
		if !math.IsNaN(float64(v)) {
			return false
		}
	}
	return true
}

// runPlan plans algo on p and runs one Forward with a NaN-prefilled output
// and workspace, both guard-banded. It fails the test if the output or
// workspace guards were touched or the inputs changed. ok is false (and the
// test skipped) when the algorithm reports ErrUnsupported.
func runPlan(t *testing.T, a Algorithm, p Params, in, w, bias []float32, threads int) (out []float32, ok bool) {
	t.Helper()
	plan, err := a.Plan(p, w, bias)
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("%s: %v", a.Name(), err)
		return nil, false
	}
	if err != nil {
		t.Fatalf("%s.Plan(%s): %v", a.Name(), p, err)
	}
	if plan.Params() != p {
		t.Fatalf("%s: plan reports %s, planned %s", a.Name(), plan.Params(), p)
	}
	in0, w0 := slices.Clone(in), slices.Clone(w)
	obuf, out := nanBuffer(p.OutLen())
	wbuf, ws := nanBuffer(plan.Workspace())
	plan.Forward(out, in, ws, threads)
	if !guardsIntact(obuf) {
		t.Fatalf("%s wrote outside its output", a.Name())
	}
	if !guardsIntact(wbuf) {
		t.Fatalf("%s wrote outside its workspace of %d elements", a.Name(), plan.Workspace())
	}
	if !slices.Equal(in, in0) || !slices.Equal(w, w0) {
		t.Fatalf("%s modified its input or weights", a.Name())
	}
	return out, true
}

// gemmTolerance is the bound for GEMM-like algorithms (im2col, direct):
// |y − ref| ≤ (K+1)·2⁻²³ · (Σ|x·w| + |b|), with K = (Cin/G)·KH·KW the
// reduction length (DESIGN.md §8).
func gemmTolerance(p Params) float64 {
	return float64((p.Cin/p.Groups)*p.KH*p.KW+1) * 0x1p-23
}

// checkAgainstNaive runs algorithm algoName on p with deterministic random
// operands (seed), NaN-prefilled guard-banded output and workspace, two
// threads, and compares every output with the naive float64 oracle under
// gemmTolerance. The normaliser Σ|x·w| + |b| is itself computed by the
// oracle, on the absolute values of the operands. It returns the worst
// normalised error |y − ref| / (Σ|x·w| + |b|) and logs it.
func checkAgainstNaive(t *testing.T, algoName string, p Params, seed uint64) float64 {
	t.Helper()
	a, err := Lookup(algoName)
	if err != nil {
		t.Fatal(err)
	}
	return checkAlgorithmAgainstNaive(t, a, p, seed)
}

// checkAlgorithmAgainstNaive is checkAgainstNaive for an Algorithm value
// (e.g. Im2col pinned to one kernel set).
func checkAlgorithmAgainstNaive(t *testing.T, a Algorithm, p Params, seed uint64) float64 {
	t.Helper()
	in, w, bias := randomOperands(p, seed)
	got, ok := runPlan(t, a, p, in, w, bias, 2)
	if !ok {
		return 0
	}
	want, scale := naiveReference(t, p, in, w, bias)
	tol := gemmTolerance(p)
	worst := 0.0
	for i := range want {
		y, ref, s := float64(got[i]), float64(want[i]), float64(scale[i])
		diff := math.Abs(y - ref)
		if math.IsNaN(y) || diff > tol*s {
			t.Fatalf("%s: out[%d] = %v, naive %v: |diff| %.3g > %.3g = (K+1)·2⁻²³·Σ|x·w|",
				a.Name(), i, y, ref, diff, tol*s)
		}
		if s > 0 {
			worst = max(worst, diff/s)
		}
	}
	t.Logf("%s %s: worst normalised error %.3g (bound %.3g, %.1f%% of it)", a.Name(), p, worst, tol, 100*worst/tol)
	return worst
}

// naiveReference returns the oracle's output and, per output, Σ|x·w| + |b|.
func naiveReference(t *testing.T, p Params, in, w, bias []float32) (want, scale []float32) {
	t.Helper()
	abs := func(x []float32) []float32 {
		if x == nil {
			return nil
		}
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = float32(math.Abs(float64(v)))
		}
		return y
	}
	run := func(in, w, bias []float32) []float32 {
		plan, err := Naive{}.Plan(p, w, bias)
		if err != nil {
			t.Fatalf("naive.Plan(%s): %v", p, err)
		}
		out := make([]float32, p.OutLen())
		plan.Forward(out, in, nil, 0)
		return out
	}
	return run(in, w, bias), run(abs(in), abs(w), abs(bias))
}

// bitwiseEqual compares float32 slices bit for bit (NaN payloads included).
func bitwiseEqual(x, y []float32) bool {
	return slices.EqualFunc(x, y, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) })
}
