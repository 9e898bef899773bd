package conv

import (
	"fmt"
	"testing"
)

// Measured worst normalised errors |y − ref| / (Σ|x·w| + |b|) of pointwise
// against the float64 oracle (go test -v -run TestPointwise, generic and avx2
// kernels, full shapes, no -short), bound (K+1)·2⁻²³ with K = Cin/G:
//
//	ResNet-50 1×1s (K = 64..1024): 3.26e-7 = 4.2% of 7.75e-6 (layer1.0.conv3, 64→256)
//	ShuffleNet grouped 1×1 (g = 2..8, K = 12..160): ≤ 2.5e-7, at most 16% of the bound (g = 8, K = 12)
//	edge shapes: ≤ 1.5e-7; closest to its bound: K = 1 (1×1 depthwise),
//	1.18e-7 = 50% of 2.38e-7 (one rounding for the product, one for the bias)
//
// The GEMM sums each output in one fixed order whatever the task grid, so
// the results do not change with threads or workspace slots (checked below).

// pointwiseEdgeShapes turns every shared edge shape into a 1×1 unpadded one
// (keeping stride, groups, batch and odd sizes), and adds strides larger than
// the image, rectangular strides, and grouped and depthwise 1×1s.
func pointwiseEdgeShapes() map[string]Params {
	m := map[string]Params{}
	for name, p := range edgeShapes() {
		p.KH, p.KW = 1, 1
		p.PadT, p.PadB, p.PadL, p.PadR = 0, 0, 0, 0
		m[name] = p
	}
	m["stride-3"] = conv2d(1, 5, 10, 11, 7, 1, 3, 0)
	m["stride-larger-than-image"] = conv2d(1, 5, 3, 4, 7, 1, 5, 0)
	p := conv2d(2, 6, 9, 7, 9, 1, 1, 0)
	p.StrideH, p.StrideW = 1, 2
	m["stride-1x2-batch-2"] = p
	p.StrideH, p.StrideW = 3, 1
	m["stride-3x1-batch-2"] = p
	m["groups-3-stride-2"] = grouped2d(conv2d(2, 12, 9, 9, 15, 1, 2, 0), 3)
	m["groups-8"] = grouped2d(conv2d(1, 64, 6, 6, 16, 1, 1, 0), 8)
	m["depthwise-1x1"] = grouped2d(conv2d(1, 7, 5, 5, 14, 1, 1, 0), 7)
	m["one-output-channel"] = conv2d(1, 9, 5, 5, 1, 1, 1, 0)
	m["odd-channels-k17-m19"] = conv2d(1, 17, 13, 11, 19, 1, 1, 0)
	return m
}

// pointwiseLayers are 1×1 layers of the zoo, scaled down under -short.
func pointwiseLayers(short bool) map[string]Params {
	s := func(full, small int) int {
		if short {
			return small
		}
		return full
	}
	return map[string]Params{
		"resnet50-layer1.0.conv3":                conv2d(1, 64, s(56, 14), s(56, 14), s(256, 64), 1, 1, 0),
		"resnet50-layer1.1.conv1":                conv2d(1, s(256, 64), s(56, 14), s(56, 14), 64, 1, 1, 0),
		"resnet50-layer2.0.downsample.0":         conv2d(1, s(256, 64), s(56, 14), s(56, 14), s(512, 64), 1, 2, 0),
		"resnet50_v1-layer2.0.conv1":             conv2d(1, s(256, 64), s(56, 14), s(56, 14), s(128, 32), 1, 2, 0),
		"resnet50-layer4.0.downsample.0":         conv2d(1, s(1024, 128), 14, 14, s(2048, 256), 1, 2, 0),
		"resnet50-layer4.0.conv3-batch2":         conv2d(2, s(512, 64), 7, 7, s(2048, 128), 1, 1, 0),
		"mobilenet_v1-features.1.3":              conv2d(1, 32, s(112, 30), s(112, 30), 64, 1, 1, 0),
		"mobilenet_v1-features.13.3":             conv2d(1, s(1024, 128), 7, 7, s(1024, 128), 1, 1, 0),
		"shufflenet_v1_g3-stage2.1.conv1":        grouped2d(conv2d(1, 240, s(28, 14), s(28, 14), 60, 1, 1, 0), 3),
		"shufflenet_v1_g3-stage3.1.conv1":        grouped2d(conv2d(1, 480, 14, 14, 120, 1, 1, 0), 3),
		"shufflenet_v1_g8-stage2.1.conv3":        grouped2d(conv2d(1, 96, s(28, 14), s(28, 14), 384, 1, 1, 0), 8),
		"efficientnet_b0-features.2.1.block.0.0": conv2d(1, 24, s(56, 20), s(56, 20), 144, 1, 1, 0),
	}
}

func TestPointwiseMatchesNaive(t *testing.T) {
	sets := kernelSets(t)
	for _, set := range sortedNames(sets) {
		a := Pointwise{Config: gemmConfig(sets[set])}
		t.Run("kernels="+set+"/edge", func(t *testing.T) {
			worst, where := checkShapes(t, a, pointwiseEdgeShapes())
			t.Logf("pointwise/%s edge shapes: worst normalised error %.3g (%s)", set, worst, where)
		})
		t.Run("kernels="+set+"/layers", func(t *testing.T) {
			worst, where := checkShapes(t, a, pointwiseLayers(testing.Short()))
			t.Logf("pointwise/%s layers: worst normalised error %.3g (%s)", set, worst, where)
		})
	}
}

// TestPointwiseTaskGrids plans with 1, 3 and 8 workspace slots, which changes
// the task grid (chunks and row blocks), and checks every grid against the
// oracle and against each other, bit for bit.
func TestPointwiseTaskGrids(t *testing.T) {
	shapes := pointwiseLayers(true)
	shapes["groups-3-stride-2"] = pointwiseEdgeShapes()["groups-3-stride-2"]
	for _, name := range sortedNames(shapes) {
		p := shapes[name]
		t.Run(name, func(t *testing.T) {
			in, w, bias := randomOperands(p, 17)
			var ref []float32
			for _, slots := range []int{1, 3, 8} {
				a := planFunc{fmt.Sprintf("pointwise-slots-%d", slots), func(p Params, w, b []float32) (Plan, error) {
					return Pointwise{}.plan(p, w, b, slots)
				}}
				checkAlgorithmAgainstNaive(t, a, p, 17)
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

func TestPointwiseThreadInvariance(t *testing.T) {
	shapes := pointwiseLayers(true)
	for _, name := range sortedNames(shapes) {
		t.Run(name, func(t *testing.T) { checkInvariance(t, Pointwise{}, shapes[name]) })
	}
}

func TestPointwiseWithoutBias(t *testing.T) {
	for _, name := range []string{"stride-3", "groups-3-stride-2", "odd-channels-k17-m19"} {
		p := pointwiseEdgeShapes()[name]
		t.Run(name, func(t *testing.T) {
			in, w, _ := randomOperands(p, 3)
			got, _ := runPlan(t, Pointwise{}, p, in, w, nil, 2)
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

func TestPointwiseUnsupported(t *testing.T) {
	wantUnsupported(t, Pointwise{}, conv2d(1, 4, 8, 8, 4, 3, 1, 1), "kernel 3x3 is not 1x1")
	wantUnsupported(t, Pointwise{}, conv2d(1, 4, 8, 8, 4, 1, 1, 1), "padding 1,1,1,1 is not 0")
}

// TestPointwisePlanModes checks that stride 1 feeds the input to the GEMM as
// it is (no gather buffer), stride 2 gathers one chunk of Cin/G rows (+ the
// row of ones with a bias) per slot, and that fewer than 2·slots images ×
// groups run one GEMM each, threaded inside (inner mode, one slot).
func TestPointwisePlanModes(t *testing.T) {
	for _, c := range []struct {
		p         Params
		bias      bool
		inner     bool
		gatherRow int // rows of the gather buffer
	}{
		{grouped2d(conv2d(2, 32, 40, 40, 48, 1, 1, 0), 2), false, false, 0},
		{grouped2d(conv2d(2, 32, 40, 40, 48, 1, 1, 0), 2), true, false, 0},
		{grouped2d(conv2d(2, 32, 40, 40, 48, 1, 2, 0), 2), false, false, 16},
		{grouped2d(conv2d(2, 32, 40, 40, 48, 1, 2, 0), 2), true, false, 17},
		{conv2d(1, 32, 40, 40, 48, 1, 1, 0), true, true, 0},
		{conv2d(1, 32, 14, 14, 48, 1, 2, 0), true, true, 33},
	} {
		name := fmt.Sprintf("%s/bias=%t", c.p, c.bias)
		t.Run(name, func(t *testing.T) {
			_, w, bias := randomOperands(c.p, 1)
			if !c.bias {
				bias = nil
			}
			plan, err := Pointwise{}.plan(c.p, w, bias, 2)
			if err != nil {
				t.Fatal(err)
			}
			pl := plan.(*pointwisePlan)
			if pl.inner != c.inner || pl.gatherLen != c.gatherRow*pl.chunk || plan.Workspace() != pl.slots*pl.slotLen ||
				(c.inner && pl.slots != 1) || (!c.inner && pl.slots != 2) {
				t.Fatalf("inner=%t gather buffer %d (chunk %d) slots %d workspace %d, want inner=%t gather rows %d",
					pl.inner, pl.gatherLen, pl.chunk, pl.slots, plan.Workspace(), c.inner, c.gatherRow)
			}
			checkAlgorithmAgainstNaive(t, planFunc{"pointwise", func(p Params, w, b []float32) (Plan, error) {
				return Pointwise{}.plan(p, w, b, 2)
			}}, c.p, 1)
		})
	}
}

// TestTaskGrid checks the grid arithmetic: chunks cover the columns with
// chunk a multiple of nr, row blocks cover the rows with a multiple of mr,
// and small problems are split for the slots.
func TestTaskGrid(t *testing.T) {
	for _, c := range []struct{ units, cols, rows, nr, mr, slots, maxChunk int }{
		{1, 3136, 256, 4, 2, 2, 512}, {1, 49, 2048, 16, 6, 2, 512}, {3, 784, 20, 4, 2, 2, 512},
		{1, 1, 1, 4, 2, 8, 512}, {2, 12544, 64, 16, 6, 1, 256}, {1, 5, 3, 32, 14, 4, 256},
	} {
		chunk, chunks, rb, rbs := taskGrid(c.units, c.cols, c.rows, c.nr, c.mr, c.slots, c.maxChunk)
		if chunk%c.nr != 0 || rb%c.mr != 0 || chunks*chunk < c.cols || (chunks-1)*chunk >= c.cols ||
			rbs*rb < c.rows || (rbs-1)*rb >= c.rows {
			t.Errorf("taskGrid(%+v) = chunk %d × %d, rows %d × %d: does not tile", c, chunk, chunks, rb, rbs)
		}
		if c.units*chunks*rbs < tasksPerSlot*c.slots && chunks < c.cols/pwMinChunk && rbs < c.rows/pwMinRows {
			t.Errorf("taskGrid(%+v): only %d tasks although it could split more", c, c.units*chunks*rbs)
		}
	}
}
