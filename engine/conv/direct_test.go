package conv

import (
	"fmt"
	"testing"
)

// Measured worst normalised errors |y − ref| / (Σ|x·w| + |b|) of direct
// against the float64 oracle (go test -v -run TestDirect, generic and avx2
// kernels, full shapes, no -short), bound (K+1)·2⁻²³, K = (Cin/G)·KH·KW:
//
//	VGG-16 features.0 (3×3, K = 27): 3.11e-7 = 9.3% of 3.34e-6
//	MobileNet v1 / EfficientNet stem (3×3/2, K = 27, symmetric and TF padding): 3.05e-7 = 9.2%
//	ResNet-50 conv1 (7×7/2, K = 147): 2.87e-7 = 1.6% of 1.76e-5
//	AlexNet conv1 (11×11/4, K = 363): 1.96e-7 = 0.5%
//	K > 256 (reduction split into KC blocks; K = 576, 4608): ≤ 1.33e-7
//	closest to its bound: a 1×1 image with K = 3, 1.0e-7 = 21% of 4.77e-7
//
// The bias enters the micro-kernel as the last reduction step (bias × 1).

// directLayers are the layers direct is meant for (Cin = 3 stems) and a few
// that exercise its other paths (K > 256, groups, Cout/G < MR), scaled down
// under -short.
func directLayers(short bool) map[string]Params {
	s := func(full, small int) int {
		if short {
			return small
		}
		return full
	}
	m := map[string]Params{
		"resnet50-conv1":            conv2d(1, 3, s(224, 46), s(224, 46), 64, 7, 2, 3),
		"mobilenet_v1-features.0.0": conv2d(1, 3, s(224, 34), s(224, 34), 32, 3, 2, 1),
		"vgg16-features.0":          conv2d(1, 3, s(224, 30), s(224, 30), 64, 3, 1, 1),
		"alexnet-features.0":        conv2d(1, 3, s(224, 63), s(224, 63), 64, 11, 4, 2),
		"alexnet_paper-features.0":  conv2d(1, 3, s(227, 67), s(227, 67), 96, 11, 4, 0),
		"lenet5-conv1":              conv2d(1, 1, 32, 32, 6, 5, 1, 0),
		"resnet20-conv1-batch2":     conv2d(2, 3, 32, 32, 16, 3, 1, 1),
		"resnet50-layer1.0.conv2":   conv2d(1, 64, s(56, 12), s(56, 12), 64, 3, 1, 1),
		"resnet50-layer4.0.conv2":   conv2d(1, s(512, 64), 7, 7, s(512, 40), 3, 1, 1),
		"alexnet_paper-features.4":  grouped2d(conv2d(1, s(96, 24), 27, 27, s(256, 32), 5, 1, 2), 2),
		"mobilenet_v1-features.2.0": depthwise2d(s(64, 8), s(112, 20), 3, 2),
	}
	// EfficientNet / MobileNet stem with TensorFlow "same" padding at
	// stride 2 on an even input: 0 rows/columns before, 1 after.
	p := conv2d(1, 3, s(224, 34), s(224, 34), 32, 3, 2, 0)
	p.PadB, p.PadR = 1, 1
	m["efficientnet_b0-features.0.0-tf-same"] = p
	return m
}

// TestValidateRejectsKernelOverhangingPaddedInput proves a kernel larger
// than the padded input is refused even when the stride would round the
// output size up to one (PyTorch refuses these too).
func TestValidateRejectsKernelOverhangingPaddedInput(t *testing.T) {
	p := conv2d(1, 3, 1, 2, 5, 3, 2, 0)
	p.PadB, p.PadR = 1, 0 // padded 2×2 under a 3×3 kernel
	q := conv2d(2, 4, 4, 3, 6, 5, 3, 0)
	q.PadT, q.PadL = 1, 1 // padded 5×4 under a 5×5 kernel
	for _, bad := range []Params{p, q} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestDirectMatchesNaive(t *testing.T) {
	sets := kernelSets(t)
	for _, set := range sortedNames(sets) {
		a := Direct{Kernels: sets[set]}
		t.Run("kernels="+set+"/layers", func(t *testing.T) {
			worst, where := checkShapes(t, a, directLayers(testing.Short()))
			t.Logf("direct/%s layers: worst normalised error %.3g (%s)", set, worst, where)
		})
		t.Run("kernels="+set+"/edge", func(t *testing.T) {
			worst, where := checkShapes(t, a, edgeShapes())
			t.Logf("direct/%s edge shapes: worst normalised error %.3g (%s)", set, worst, where)
		})
	}
}

// TestDirectTaskGrids plans with 1, 3 and 8 workspace slots (other chunks
// and row blocks) and checks each against the oracle and, bit for bit,
// against the others.
func TestDirectTaskGrids(t *testing.T) {
	shapes := map[string]Params{
		"stem":      conv2d(1, 3, 29, 31, 20, 7, 2, 3),
		"k-576":     conv2d(1, 64, 9, 7, 33, 3, 1, 1),
		"groups-3":  grouped2d(conv2d(2, 6, 11, 9, 9, 3, 2, 1), 3),
		"7x7-image": conv2d(1, 40, 7, 7, 130, 3, 1, 1),
	}
	for _, name := range sortedNames(shapes) {
		p := shapes[name]
		t.Run(name, func(t *testing.T) {
			in, w, bias := randomOperands(p, 23)
			var ref []float32
			for _, slots := range []int{1, 3, 8} {
				a := planFunc{fmt.Sprintf("direct-slots-%d", slots), func(p Params, w, b []float32) (Plan, error) {
					return Direct{}.plan(p, w, b, slots)
				}}
				checkAlgorithmAgainstNaive(t, a, p, 23)
				got, _ := runPlan(t, a, p, in, w, bias, 3)
				if ref == nil {
					ref = got
				} else if !bitwiseEqual(got, ref) {
					t.Fatalf("%d slots differ from 1 slot", slots)
				}
			}
		})
	}
}

func TestDirectThreadInvariance(t *testing.T) {
	shapes := directLayers(true)
	for _, name := range sortedNames(shapes) {
		t.Run(name, func(t *testing.T) { checkInvariance(t, Direct{}, shapes[name]) })
	}
}

func TestDirectWithoutBias(t *testing.T) {
	for name, p := range map[string]Params{
		"stem":  conv2d(1, 3, 23, 23, 10, 7, 2, 3),
		"k-576": conv2d(1, 64, 6, 5, 7, 3, 1, 1),
	} {
		t.Run(name, func(t *testing.T) {
			in, w, _ := randomOperands(p, 3)
			got, _ := runPlan(t, Direct{}, p, in, w, nil, 2)
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
