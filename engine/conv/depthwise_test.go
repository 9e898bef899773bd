package conv

import (
	"fmt"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// Measured worst normalised errors |y − ref| / (Σ|x·w| + |b|) of depthwise
// against the float64 oracle (go test -v -run TestDepthwise, full shapes, no
// -short; identical in both padding modes and, for 3×3 and 5×5, for every
// kernel set: their row kernels give the generic bits), bound (K+1)·2⁻²³,
// K = KH·KW:
//
//	3×3: 2.05e-7 = 17% of 1.19e-6 (MobileNet v1 features.1.0, 32@112 s1)
//	5×5: 1.37e-7 =  4% of 3.10e-6 (EfficientNet-B0 features.3.0 and 3.1)
//	7×7: 8.3e-8  =  1% of 5.96e-6
//	closest to its bound: 1×1 (K = 1), 1.17e-7 = 49% of 2.38e-7: the
//	product and the bias add round once each, half an ulp apiece.
//
// Each output sums each kernel row in tap order, then the rows in order,
// then the bias; the errors stay far below the bound.

// dwMult returns p as a depthwise layer with channel multiplier m.
func dwMult(p Params, m int) Params {
	p.Groups, p.Cout = p.Cin, m*p.Cin
	return p
}

// depthwiseEdgeShapes turns every shared edge shape into a depthwise one
// (multiplier 1 and 2), and adds the cases that steer the row kernels:
// interiors that are empty or one pixel wide, asymmetric padding on every
// fast path, padding ≥ kernel, stride ≠ between axes, dilation, 7×7.
func depthwiseEdgeShapes() map[string]Params {
	m := map[string]Params{}
	for name, p := range edgeShapes() {
		m[name] = dwMult(p, 1)
		m[name+"-multiplier-2"] = dwMult(p, 2)
	}
	for _, k := range []int{3, 5} {
		for _, s := range []int{1, 2} {
			for _, hw := range [][2]int{{1, 1}, {2, 3}, {k, k}, {k + 1, k + 2}, {13, 17}, {16, 16}} {
				p := conv2d(1, 3, hw[0], hw[1], 3, k, s, k/2)
				p.Groups = 3
				m[fmt.Sprintf("%dx%d-s%d-%dx%d", k, k, s, hw[0], hw[1])] = p
				for pad, name := range map[[4]int]string{
					{0, k / 2, 0, k / 2}: "pad-bottom-right", // TensorFlow "same" at stride 2
					{k - 1, 0, 1, k}:     "pad-lopsided",
					{0, 0, 0, 0}:         "valid",
				} {
					q := p
					q.PadT, q.PadB, q.PadL, q.PadR = pad[0], pad[1], pad[2], pad[3]
					if q.Validate() == nil {
						m[fmt.Sprintf("%dx%d-s%d-%dx%d-%s", k, k, s, hw[0], hw[1], name)] = q
					}
				}
			}
		}
	}
	p := depthwise2d(5, 9, 3, 1)
	p.PadT, p.PadB, p.PadL, p.PadR = 4, 4, 3, 5
	m["3x3-padding-ge-kernel"] = p
	p = depthwise2d(4, 11, 3, 1)
	p.StrideW = 2
	m["3x3-stride-1x2"] = p
	p = depthwise2d(4, 11, 3, 2)
	p.DilH, p.DilW = 2, 2
	m["3x3-dilation-2"] = p
	m["7x7-s2"] = depthwise2d(6, 15, 7, 2)
	m["7x7-s1"] = depthwise2d(6, 12, 7, 1)
	m["3x3-s3"] = depthwise2d(6, 13, 3, 3)
	p = depthwise2d(3, 10, 3, 1)
	p.N = 3
	m["3x3-batch-3"] = p
	p = conv2d(1, 1, 6, 6, 1, 3, 1, 1) // one channel: groups 1 = Cin
	m["single-channel"] = p
	return m
}

// depthwiseLayers are the depthwise layers of the zoo the fast paths target,
// scaled down under -short.
func depthwiseLayers(short bool) map[string]Params {
	s := func(full, small int) int {
		if short {
			return small
		}
		return full
	}
	return map[string]Params{
		"mobilenet_v1-features.1.0":              depthwise2d(s(32, 8), s(112, 30), 3, 1),
		"mobilenet_v1-features.2.0":              depthwise2d(s(64, 8), s(112, 30), 3, 2),
		"mobilenet_v1-features.7.0":              depthwise2d(s(512, 32), 14, 3, 1),
		"mobilenet_v1-features.13.0":             depthwise2d(s(1024, 32), 7, 3, 1),
		"efficientnet_b0-features.2.0.block.1.0": depthwise2d(s(96, 8), s(112, 30), 3, 2),
		"efficientnet_b0-features.3.0.block.1.0": depthwise2d(s(144, 16), s(56, 20), 5, 2),
		"efficientnet_b0-features.3.1.block.1.0": depthwise2d(s(240, 16), 28, 5, 1),
		"efficientnet_b0-features.6.1.block.1.0": depthwise2d(s(1152, 48), 7, 5, 1),
		"shufflenet_v1_g3-stage2.0.conv2":        depthwise2d(s(60, 12), s(56, 20), 3, 2),
		"shufflenet_v1_g3-stage3.1.conv2":        depthwise2d(s(120, 24), 14, 3, 1),
	}
}

// depthwiseModes are the registered algorithm (automatic mode) and plans
// forced into each padding mode, so that both are checked on every shape.
func depthwiseModes() []Algorithm {
	mode := func(name string, m int) Algorithm {
		return planFunc{name, func(p Params, w, b []float32) (Plan, error) {
			return Depthwise{}.plan(p, w, b, 2, m)
		}}
	}
	return []Algorithm{Depthwise{}, mode("depthwise-windows", dwModeWindows), mode("depthwise-padded", dwModePadded)}
}

func TestDepthwiseMatchesNaive(t *testing.T) {
	for _, a := range depthwiseModes() {
		t.Run(a.Name()+"/edge", func(t *testing.T) {
			worst, where := checkShapes(t, a, depthwiseEdgeShapes())
			t.Logf("%s edge shapes: worst normalised error %.3g (%s)", a.Name(), worst, where)
		})
		t.Run(a.Name()+"/layers", func(t *testing.T) {
			worst, where := checkShapes(t, a, depthwiseLayers(testing.Short()))
			t.Logf("%s layers: worst normalised error %.3g (%s)", a.Name(), worst, where)
		})
	}
}

func TestDepthwiseWithoutBias(t *testing.T) {
	for _, name := range []string{"3x3-s1-13x17", "5x5-s2-13x17-pad-lopsided", "7x7-s2"} {
		p := depthwiseEdgeShapes()[name]
		for _, a := range depthwiseModes() {
			t.Run(a.Name()+"/"+name, func(t *testing.T) {
				in, w, _ := randomOperands(p, 3)
				got, _ := runPlan(t, a, p, in, w, nil, 2)
				want, scale := naiveReference(t, p, in, w, nil)
				for i := range want {
					d := float64(got[i] - want[i])
					if got[i] != got[i] || d*d > gemmTolerance(p)*gemmTolerance(p)*float64(scale[i])*float64(scale[i]) {
						t.Fatalf("out[%d] = %v, naive %v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

func TestDepthwiseThreadInvariance(t *testing.T) {
	shapes := depthwiseLayers(true)
	p := depthwise2d(6, 15, 5, 2)
	p.N = 2
	shapes["batch-2-5x5-s2"] = p
	for _, a := range depthwiseModes() {
		for _, name := range sortedNames(shapes) {
			t.Run(a.Name()+"/"+name, func(t *testing.T) { checkInvariance(t, a, shapes[name]) })
		}
	}
}

// TestDepthwiseSetsAgree runs every shape in both padding modes under each
// kernel set this CPU has and requires the generic set's bits: the row
// kernels of every set run the same operations in the same order.
func TestDepthwiseSetsAgree(t *testing.T) {
	prev := kernels.Active()
	defer kernels.Select(prev.Name)
	shapes := depthwiseEdgeShapes()
	for name, p := range depthwiseLayers(true) {
		shapes[name] = p
	}
	want := map[string][]float32{}
	for _, set := range kernels.Available() {
		if err := kernels.Select(set); err != nil {
			t.Fatal(err)
		}
		for _, a := range depthwiseModes() {
			for _, name := range sortedNames(shapes) {
				p := shapes[name]
				in, w, bias := randomOperands(p, 5)
				got, _ := runPlan(t, a, p, in, w, bias, 2)
				key := a.Name() + "/" + name
				if set == "generic" {
					want[key] = got
					continue
				}
				if !bitwiseEqual(got, want[key]) {
					t.Fatalf("%s %s: differs from the generic set", set, key)
				}
			}
		}
	}
}

func TestDepthwiseUnsupported(t *testing.T) {
	wantUnsupported(t, Depthwise{}, conv2d(1, 4, 8, 8, 4, 3, 1, 1), "groups 1 ≠ Cin 4")
	wantUnsupported(t, Depthwise{}, grouped2d(conv2d(1, 4, 8, 8, 4, 3, 1, 1), 2), "groups 2 ≠ Cin 4")
}

// TestDepthwiseInterior checks the interior bounds against their definition.
func TestDepthwiseInterior(t *testing.T) {
	for out := 1; out < 9; out++ {
		for size := 1; size < 12; size++ {
			for k := 1; k < 6; k++ {
				for s := 1; s < 4; s++ {
					for pad := 0; pad < 5; pad++ {
						for d := 1; d < 3; d++ {
							lo, hi := dwInterior(out, size, k, s, pad, d)
							for o := 0; o < out; o++ {
								in := o*s-pad >= 0 && o*s-pad+(k-1)*d < size
								if in != (o >= lo && o < hi) {
									t.Fatalf("dwInterior(out=%d size=%d k=%d s=%d pad=%d d=%d) = [%d,%d): wrong at %d",
										out, size, k, s, pad, d, lo, hi, o)
								}
							}
						}
					}
				}
			}
		}
	}
}
