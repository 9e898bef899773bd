package kernels

// Tests of the epilogues dst[i] = act((src[i] + bias) + res[i]): every
// usable set bitwise against the generic oracle for the exact activations
// (none, relu, relu6), every set against float64 for the smooth ones (silu,
// sigmoid), over every length up to 70 and a few large ones, with and
// without a residual, in place and out of place, inside NaN guard bands;
// then extreme inputs, argument checks and the benchmark.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Tolerances of SiLU and Sigmoid against float64 evaluated at the float32
// sum v: |got − want| ≤ rel·|want| + epiAbsTol. Measured maximum relative
// errors (v over [−88, 90] by 1e-4, and random rows), on a Zen 4:
//
//	generic (Exp32, Taylor, no FMA): silu 3.0e-7, sigmoid 2.7e-7
//	avx2 (FMA, minimax polynomial):  silu 1.7e-7, sigmoid 1.5e-7
//
// avx512 runs the same operations per lane, so it gives the avx2 bits
// (TestEpilogueAssemblySetsAgree, where AVX-512 is available). What remains
// of the assembly error is float32 rounding: of r, of the last Horner steps,
// of 1 + e^−v and of the division. The absolute term covers the saturation
// below v = −88, where SiLU and Sigmoid are below 6e-37 in magnitude and
// the kernels give values of that size (−88/e^88 and 1/e^88).
const (
	epiRelTolGeneric = 4e-7
	epiRelTolAsm     = 2.5e-7
	epiAbsTol        = 1e-36
)

var epiActs = []Act{ActNone, ActReLU, ActReLU6, ActSiLU, ActSigmoid}

// exactAct reports whether every set must give the generic set's bits.
func exactAct(a Act) bool { return a == ActNone || a == ActReLU || a == ActReLU6 }

// epiRelTol is the relative tolerance of set s for SiLU and Sigmoid.
func epiRelTol(s *Set) float64 {
	if s == Generic {
		return epiRelTolGeneric
	}
	return epiRelTolAsm
}

// actFloat64 is act at v in float64: the reference of SiLU and Sigmoid.
func actFloat64(a Act, v float64) float64 {
	switch a {
	case ActReLU:
		return max(v, 0)
	case ActReLU6:
		return min(max(v, 0), 6)
	case ActSiLU:
		return v / (1 + math.Exp(-v))
	case ActSigmoid:
		return 1 / (1 + math.Exp(-v))
	}
	return v
}

// epiErr returns the relative error of got, |got − want| / |want| (0 when
// both are zero), and whether got is within |got − want| ≤ tol·|want| +
// epiAbsTol.
func epiErr(got float32, want, tol float64) (rel float64, ok bool) {
	d := math.Abs(float64(got) - want)
	if d != 0 {
		rel = d / math.Abs(want)
	}
	return rel, d <= tol*math.Abs(want)+epiAbsTol
}

// epiSaturated is the v below which SiLU and Sigmoid saturate (e^−v is
// taken at 88) and only the absolute tolerance holds.
const epiSaturated = -88

// epiLens are the lengths tested: every remainder of the unrolled loops and
// of the masked tail for both widths, and a few long rows.
var epiLens = func() []int {
	var n []int
	for i := 0; i <= 70; i++ {
		n = append(n, i)
	}
	return append(n, 127, 128, 129, 255, 1000, 4099)
}()

// epiMode is where dst lies: its own buffer, on src, or on res.
type epiMode int

const (
	epiOut epiMode = iota
	epiOnSrc
	epiOnRes
)

func (m epiMode) String() string { return [...]string{"out", "on-src", "on-res"}[m] }

// epiRun runs f on n elements from seed (src in [−8, 8], res in [−1, 1])
// in the given mode with the residual or not,
// dst inside a NaN-filled buffer (at an offset that is no multiple of a
// vector) whose guard elements must stay NaN, and src and res one vector
// longer than dst. It returns dst and the float32 sums v it was fed.
func epiRun(t *testing.T, f func(dst, src, res []float32, bias float32, act Act), act Act, seed uint64,
	n int, withRes bool, mode epiMode, bias float32) (dst, v []float32) {
	t.Helper()
	const guard, extra = 19, 16
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	src := make([]float32, n+extra)
	for i := range src {
		src[i] = 16*r.Float32() - 8
	}
	var res []float32
	if withRes {
		res = make([]float32, n+extra)
		for i := range res {
			res[i] = 2*r.Float32() - 1
		}
	}
	v = make([]float32, n)
	for i := range v {
		v[i] = src[i] + bias
		if withRes {
			v[i] += res[i]
		}
	}
	buf := nanSlice(guard + n + guard)
	dst = buf[guard : guard+n]
	switch mode {
	case epiOnSrc:
		copy(dst, src)
		src = buf[guard : guard+n] // len(src) = len(dst) here
	case epiOnRes:
		copy(dst, res)
		res = buf[guard : guard+n]
	}
	f(dst, src, res, bias, act)
	for i, x := range buf {
		if (i < guard || i >= guard+n) && !math.IsNaN(float64(x)) {
			t.Fatalf("n=%d: wrote %v to guard element %d (dst is [%d:%d])", n, x, i, guard, guard+n)
		}
	}
	return dst, v
}

// epiCases runs fn for every length, residual and aliasing mode.
func epiCases(fn func(n int, withRes bool, mode epiMode)) {
	for _, n := range epiLens {
		for _, withRes := range []bool{false, true} {
			for _, mode := range []epiMode{epiOut, epiOnSrc, epiOnRes} {
				if mode == epiOnRes && !withRes {
					continue
				}
				fn(n, withRes, mode)
			}
		}
	}
}

// TestEpilogueMatchesGeneric proves every set gives the generic set's bits
// for none, relu and relu6, and stays within its tolerance of float64 for
// silu and sigmoid, for every length, with and without a residual, in place
// (on src or on res) and out of place, writing nothing beyond len(dst).
func TestEpilogueMatchesGeneric(t *testing.T) {
	for _, s := range sets(t) {
		t.Run(s.Name, func(t *testing.T) {
			for _, act := range epiActs {
				t.Run(act.String(), func(t *testing.T) {
					worst := 0.0
					seed := uint64(0)
					epiCases(func(n int, withRes bool, mode epiMode) {
						name := fmt.Sprintf("n=%d res=%v dst=%v", n, withRes, mode)
						const bias = 0.375
						seed++
						got, v := epiRun(t, s.Epilogue, act, seed, n, withRes, mode, bias)
						if exactAct(act) {
							want, _ := epiRun(t, epilogueGeneric, act, seed, n, withRes, epiOut, bias)
							if !bitsEqual(got, want) {
								t.Fatalf("%s: got %v, want the generic set's %v", name, got, want)
							}
							return
						}
						for i, x := range v {
							want := actFloat64(act, float64(x))
							e, ok := epiErr(got[i], want, epiRelTol(s))
							worst = max(worst, e)
							if !ok {
								t.Fatalf("%s: element %d: act(%v) = %v, want %v (relative error %.3g > %.3g)",
									name, i, x, got[i], want, e, epiRelTol(s))
							}
						}
					})
					if !exactAct(act) {
						t.Logf("worst relative error %.3g", worst)
					}
				})
			}
		})
	}
}

// TestEpilogueAssemblySetsAgree proves the assembly sets give each other's
// bits for every activation: they run the same operations per lane (the
// same constants, FMAs and correctly rounded divisions), only the vector
// width and the tail mask differ. It needs two usable assembly sets (avx512
// and avx2 on an AVX-512 CPU).
func TestEpilogueAssemblySetsAgree(t *testing.T) {
	var asm []*Set
	for _, s := range sets(t) {
		if s != Generic {
			asm = append(asm, s)
		}
	}
	if len(asm) < 2 {
		t.Skipf("only %d usable assembly set(s) here", len(asm))
	}
	ref := asm[0]
	for _, s := range asm[1:] {
		t.Run(s.Name, func(t *testing.T) {
			for _, act := range epiActs {
				t.Run(act.String(), func(t *testing.T) {
					seed := uint64(0)
					epiCases(func(n int, withRes bool, mode epiMode) {
						seed++
						got, _ := epiRun(t, s.Epilogue, act, seed, n, withRes, mode, 0.375)
						want, _ := epiRun(t, ref.Epilogue, act, seed, n, withRes, epiOut, 0.375)
						if !bitsEqual(got, want) {
							t.Fatalf("n=%d res=%v dst=%v: got %v, want %s's %v", n, withRes, mode, got, ref.Name, want)
						}
					})
				})
			}
		})
	}
}

// epiSweep returns the worst relative error of f's act against float64 over
// v in [−90, 90] by 1e-4 (with bias −0, so v = src exactly) and near zero,
// where v ≥ epiSaturated, and the first v where f's result is not within
// tol (NaN if none).
func epiSweep(f func(dst, src, res []float32, bias float32, act Act), act Act, tol float64) (worst float64, at, bad float32) {
	var src []float32
	for x := -90.0; x <= 90; x += 1e-4 {
		src = append(src, float32(x))
	}
	for x := float32(1e-30); x < 1e-3; x *= 1.01 {
		src = append(src, x, -x)
	}
	dst := make([]float32, len(src))
	f(dst, src, nil, negZero, act)
	bad = float32(math.NaN())
	for i, x := range src {
		e, ok := epiErr(dst[i], actFloat64(act, float64(x)), tol)
		if !ok && math.IsNaN(float64(bad)) {
			bad = x
		}
		if x >= epiSaturated && e > worst {
			worst, at = e, x
		}
	}
	return worst, at, bad
}

var negZero = float32(math.Copysign(0, -1))

// TestEpilogueGenericMatchesFloat64 proves the oracle's own tolerance: the
// generic silu and sigmoid stay within epiRelTolGeneric of float64.
func TestEpilogueGenericMatchesFloat64(t *testing.T) {
	for _, act := range []Act{ActSiLU, ActSigmoid} {
		t.Run(act.String(), func(t *testing.T) {
			worst, at, bad := epiSweep(epilogueGeneric, act, epiRelTolGeneric)
			t.Logf("worst relative error %.3g at v = %v", worst, at)
			if !math.IsNaN(float64(bad)) {
				t.Errorf("%s(%v) is not within %.3g relative + %.3g of float64", act, bad, epiRelTolGeneric, epiAbsTol)
			}
		})
	}
}

// TestEpilogueSweepWithinTolerance proves every set's silu and sigmoid stay
// within the set's tolerance of float64 over the whole range of v.
func TestEpilogueSweepWithinTolerance(t *testing.T) {
	for _, s := range sets(t) {
		t.Run(s.Name, func(t *testing.T) {
			for _, act := range []Act{ActSiLU, ActSigmoid} {
				t.Run(act.String(), func(t *testing.T) {
					worst, at, bad := epiSweep(s.Epilogue, act, epiRelTol(s))
					t.Logf("worst relative error %.3g at v = %v", worst, at)
					if !math.IsNaN(float64(bad)) {
						t.Errorf("%s(%v) is not within %.3g relative + %.3g of float64", act, bad, epiRelTol(s), epiAbsTol)
					}
				})
			}
		})
	}
}

// TestEpilogueExtremesSaturate proves every set gives finite, saturated
// results for huge and infinite inputs (silu(−1e30) ≈ −0, silu(1e30) =
// 1e30, sigmoid → 0 or 1), maps −0 and NaN like Go's max and min (relu(−0)
// = +0, NaN stays NaN), and matches the generic bits for the exact acts.
func TestEpilogueExtremesSaturate(t *testing.T) {
	inf := float32(math.Inf(1))
	in := []float32{0, negZero, 1e-30, -1e-30, 1, -1, 6, 7, 86.5, -86.5, 87, -87, 88, -88, 89, -89,
		100, -100, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, inf, -inf, float32(math.NaN())}
	for len(in)%16 != 3 { // some go through the masked tail
		in = append(in, 100)
	}
	for _, s := range sets(t) {
		t.Run(s.Name, func(t *testing.T) {
			for _, act := range epiActs {
				t.Run(act.String(), func(t *testing.T) {
					got := make([]float32, len(in))
					s.Epilogue(got, in, nil, negZero, act) // x + (−0) = x, −0 included
					want := make([]float32, len(in))
					epilogueGeneric(want, in, nil, negZero, act)
					for i, x := range in {
						g := got[i]
						bad := func(why string) { t.Errorf("%s(%v) = %v: %s", act, x, g, why) }
						if math.IsNaN(float64(x)) {
							if !math.IsNaN(float64(g)) {
								bad("want NaN")
							}
							continue
						}
						if exactAct(act) && math.Float32bits(g) != math.Float32bits(want[i]) {
							bad(fmt.Sprintf("want the generic set's %v", want[i]))
						}
						if act == ActReLU && x == 0 && math.Signbit(float64(g)) {
							bad("want +0 like Go's max(−0, 0)")
						}
						if !exactAct(act) && math.IsNaN(float64(g)) {
							bad("want a number")
						}
						if !exactAct(act) && math.IsInf(float64(g), 0) && !math.IsInf(float64(x), 1) {
							bad("want a finite value")
						}
						ref := actFloat64(act, float64(x))
						switch {
						case act == ActSiLU && x >= 88:
							if g != x {
								bad("want v")
							}
						case act == ActSiLU && x <= -88:
							if !(g <= 0 && g >= -epiAbsTol) {
								bad("want ≈ −0")
							}
						case act == ActSigmoid && x >= 88:
							if g != 1 {
								bad("want 1")
							}
						case act == ActSigmoid && x <= -88:
							if !(g >= 0 && g <= epiAbsTol) {
								bad("want ≈ 0")
							}
						case !exactAct(act):
							if e, ok := epiErr(g, ref, epiRelTol(s)); !ok {
								bad(fmt.Sprintf("want %v (relative error %.3g)", ref, e))
							}
						}
					}
				})
			}
		})
	}
}

// TestEpiloguePanicsOnShortSlices checks the named panic for a src or res
// shorter than dst and an unknown activation, before any assembly runs.
func TestEpiloguePanicsOnShortSlices(t *testing.T) {
	for _, s := range sets(t) {
		cases := map[string]func(){
			"short src": func() { s.Epilogue(make([]float32, 9), make([]float32, 8), nil, 0, ActReLU) },
			"short res": func() { s.Epilogue(make([]float32, 9), make([]float32, 9), make([]float32, 8), 0, ActSiLU) },
			"bad act":   func() { s.Epilogue(make([]float32, 9), make([]float32, 9), nil, 0, numActs) },
		}
		for name, f := range cases {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: %s did not panic", s.Name, name)
					}
				}()
				f()
			}()
		}
	}
}

// BenchmarkEpilogue times one epilogue over a row in place (dst = src, no
// residual), as a layer runs it: n = 4096 stays in L1/L2, n = 802816
// (112·112·64, EfficientNet-B0's largest activation) streams from L3.
func BenchmarkEpilogue(b *testing.B) {
	for _, s := range sets(b) {
		for _, act := range epiActs {
			for _, n := range []int{4096, 802816} {
				b.Run(fmt.Sprintf("kernels=%s/act=%s/n=%d", s.Name, act, n), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					x := make([]float32, n)
					for i := range x {
						x[i] = 8*r.Float32() - 4
					}
					b.SetBytes(int64(8 * n)) // read and write each element
					for b.Loop() {
						s.Epilogue(x, x, nil, 0.01, act)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
				})
			}
		}
	}
}
