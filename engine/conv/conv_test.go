package conv

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// gemmLikeAlgorithms are checked against naive with the GEMM tolerance
// (K+1)·2⁻²³; algorithms with other error models (Winograd) have their own
// tests. Add new GEMM-like algorithms here.
//
// Measured (go test -v -run TestAlgorithmsMatchNaive, generic kernels, full
// shapes): im2col's worst normalised error |y−ref|/Σ|x·w| is 2.8e-7 (ResNet-50
// conv1, 1.6% of its bound 1.8e-5); the closest to a bound is 1×1 on three
// channels, 8.4e-8 against 4.8e-7 (18%), then depthwise 3×3, 2.0e-7 against
// 1.2e-6 (17%).
var gemmLikeAlgorithms = []string{"im2col", "pointwise", "depthwise", "direct"}

// TestNaiveHandComputed checks the oracle itself on a 1-channel 3×3 input and
// a 2×2 kernel worked out by hand: cross-correlation (no kernel flip), bias,
// zero padding and stride.
//
//	in = 1 2 3    w = 1 2
//	     4 5 6        3 4
//	     7 8 9
func TestNaiveHandComputed(t *testing.T) {
	in := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 2, 3, 4}
	cases := []struct {
		name string
		p    Params
		bias []float32
		want []float32
	}{
		// out[y,x] = Σ in[y+i, x+j]·w[i,j]:
		// 1·1+2·2+4·3+5·4 = 37, 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77.
		{"valid", conv2d(1, 1, 3, 3, 1, 2, 1, 0), nil, []float32{37, 47, 67, 77}},
		{"valid-bias", conv2d(1, 1, 3, 3, 1, 2, 1, 0), []float32{0.5}, []float32{37.5, 47.5, 67.5, 77.5}},
		// Padding 1, stride 2: windows start at rows/cols −1 and 1.
		// (−1,−1): only in[0,0]·w[1,1] = 4;   (−1,1): in[0,1]·w[1,0] + in[0,2]·w[1,1] = 6+12 = 18;
		// (1,−1): in[1,0]·w[0,1] + in[2,0]·w[1,1] = 8+28 = 36;   (1,1): 77 as above.
		{"pad1-stride2", conv2d(1, 1, 3, 3, 1, 2, 2, 1), nil, []float32{4, 18, 36, 77}},
		// Dilation 2 on a 2×2 kernel covers the corners: 1·1+3·2+7·3+9·4 = 64.
		{"dilation2", func() Params { p := conv2d(1, 1, 3, 3, 1, 2, 1, 0); p.DilH, p.DilW = 2, 2; return p }(), nil, []float32{64}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := Naive{}.Plan(c.p, w, c.bias)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, c.p.OutLen())
			plan.Forward(out, in, nil, 1)
			if fmt.Sprint(out) != fmt.Sprint(c.want) {
				t.Fatalf("naive = %v, want %v", out, c.want)
			}
		})
	}
}

// edgeShapes are the shapes where index arithmetic goes wrong.
func edgeShapes() map[string]Params {
	m := map[string]Params{
		"1x1-kernel":                   conv2d(1, 5, 7, 7, 6, 1, 1, 0),
		"1x1-kernel-stride2":           conv2d(1, 5, 7, 7, 6, 1, 2, 0),
		"1x1-kernel-pad1":              conv2d(1, 5, 4, 4, 6, 1, 1, 1),
		"1x1-image":                    conv2d(1, 3, 1, 1, 4, 1, 1, 0),
		"1x1-image-3x3-pad1":           conv2d(1, 3, 1, 1, 4, 3, 1, 1),
		"1x1-image-5x5-pad2":           conv2d(1, 3, 1, 1, 4, 5, 1, 2),
		"2x2-image-5x5-pad2-depthwise": func() Params { p := conv2d(1, 4, 2, 2, 4, 5, 1, 2); p.Groups = 4; return p }(),
		"stride-gt-kernel":             conv2d(1, 3, 9, 9, 4, 2, 3, 0),
		"padding-ge-kernel":            conv2d(1, 2, 5, 5, 3, 3, 1, 3),
		"kernel-equals-input":          conv2d(1, 3, 5, 5, 2, 5, 1, 0),
		"odd-sizes":                    conv2d(1, 3, 7, 5, 5, 3, 2, 1),
		"channels-not-multiple-of-16":  conv2d(1, 17, 6, 6, 19, 3, 1, 1),
		"many-channels-k576":           conv2d(1, 64, 6, 5, 33, 3, 1, 1),
		"batch-3":                      conv2d(3, 4, 6, 7, 5, 3, 1, 1),
	}
	p := conv2d(1, 3, 1, 9, 4, 1, 1, 0) // height 1, 1×3 kernel, padded left/right
	p.KW, p.PadL, p.PadR = 3, 1, 1
	m["height-1"] = p
	p = conv2d(1, 3, 9, 1, 4, 1, 1, 0) // width 1, 3×1 kernel, padded top/bottom
	p.KH, p.PadT, p.PadB = 3, 1, 1
	m["width-1"] = p
	p = conv2d(1, 4, 6, 6, 6, 3, 1, 1)
	p.Groups = 2
	m["groups-2"] = p
	p = conv2d(2, 6, 5, 7, 9, 3, 2, 1)
	p.Groups = 3
	m["groups-3-batch-2"] = p
	p = conv2d(1, 8, 7, 7, 8, 3, 1, 1)
	p.Groups = 8
	m["depthwise"] = p
	p = conv2d(1, 8, 8, 8, 8, 3, 2, 1)
	p.Groups = 8
	m["depthwise-stride2"] = p
	p = conv2d(1, 4, 6, 6, 8, 3, 1, 1)
	p.Groups = 4
	m["depthwise-multiplier-2"] = p
	p = conv2d(1, 3, 9, 9, 4, 3, 1, 2)
	p.DilH, p.DilW = 2, 2
	m["dilation-2"] = p
	p = conv2d(1, 3, 8, 9, 4, 3, 2, 0)
	p.DilH, p.StrideW, p.PadT, p.PadR = 2, 1, 2, 1
	m["dilation-2x1-stride-1x2-mixed"] = p
	p = conv2d(1, 3, 6, 7, 4, 3, 1, 0)
	p.PadT, p.PadB, p.PadL, p.PadR = 0, 2, 1, 0
	m["asymmetric-padding"] = p
	p = conv2d(1, 2, 5, 6, 3, 1, 1, 0)
	p.KH, p.KW, p.StrideH, p.StrideW = 2, 3, 2, 1
	m["rectangular-kernel-and-stride"] = p
	return m
}

// layerShapes are real layers of the zoo (batch 1). Under -short the spatial
// size (and, for the widest layers, the channel counts) is scaled down so
// the float64 oracle stays fast.
func layerShapes(short bool) map[string]Params {
	s := func(full, small int) int {
		if short {
			return small
		}
		return full
	}
	m := map[string]Params{
		// ResNet-50 stem: 3×224×224 → 64, 7×7 stride 2 pad 3.
		"resnet50-conv1": conv2d(1, 3, s(224, 40), s(224, 40), 64, 7, 2, 3),
		// ResNet-50 layer1.0.conv1: 1×1 64 → 64 at 56×56 (the no-copy path).
		"resnet50-layer1.0.conv1": conv2d(1, 64, s(56, 12), s(56, 12), 64, 1, 1, 0),
		// ResNet-50 layer1.0.conv2: 64×56×56 → 64, 3×3 pad 1.
		"resnet50-layer1.0.conv2": conv2d(1, 64, s(56, 12), s(56, 12), 64, 3, 1, 1),
		// ResNet-50 (v1.5) layer2.0.conv2: 3×3 stride 2, 128 → 128, 56 → 28.
		"resnet50-layer2.0.conv2": conv2d(1, s(128, 32), s(56, 14), s(56, 14), s(128, 32), 3, 2, 1),
		// ResNet-50 layer2.0.downsample: 1×1 stride 2, 256 → 512, 56 → 28.
		"resnet50-layer2.0.downsample": conv2d(1, s(256, 64), s(56, 14), s(56, 14), s(512, 64), 1, 2, 0),
		// AlexNet (torchvision) conv1: 3×224×224 → 64, 11×11 stride 4 pad 2.
		"alexnet-conv1": conv2d(1, 3, s(224, 63), s(224, 63), 64, 11, 4, 2),
	}
	// MobileNet v1 conv_dw_2: depthwise 3×3 stride 2 on 64×112×112.
	p := conv2d(1, 64, s(112, 28), s(112, 28), 64, 3, 2, 1)
	p.Groups = 64
	m["mobilenet_v1-conv_dw_2"] = p
	// AlexNet (paper, 2 GPUs) conv2: 96×27×27 → 256, 5×5 pad 2, 2 groups.
	p = conv2d(1, s(96, 24), 27, 27, s(256, 32), 5, 1, 2)
	p.Groups = 2
	m["alexnet_paper-conv2"] = p
	return m
}

// TestAlgorithmsMatchNaive checks every GEMM-like algorithm against the
// oracle on edge shapes and real layers; names read
// TestAlgorithmsMatchNaive/im2col/edge-stride-gt-kernel.
func TestAlgorithmsMatchNaive(t *testing.T) {
	for _, algo := range gemmLikeAlgorithms {
		t.Run(algo, func(t *testing.T) {
			worst := 0.0
			seed := uint64(1)
			for name, p := range edgeShapes() {
				t.Run("edge-"+name, func(t *testing.T) { worst = max(worst, checkAgainstNaive(t, algo, p, seed)) })
				seed++
			}
			for name, p := range layerShapes(testing.Short()) {
				t.Run(name, func(t *testing.T) { worst = max(worst, checkAgainstNaive(t, algo, p, seed)) })
				seed++
			}
			t.Logf("%s: worst normalised error over all shapes %.3g", algo, worst)
		})
	}
}

// TestThreadCountInvariance checks that 1, 2 and 3 threads give bitwise
// identical outputs for every GEMM-like algorithm.
func TestThreadCountInvariance(t *testing.T) {
	shapes := map[string]Params{
		"resnet50-layer1.0.conv2-small": conv2d(1, 64, 14, 14, 64, 3, 1, 1),
		"1x1-direct":                    conv2d(2, 32, 9, 9, 48, 1, 1, 0),
		"odd-stride2":                   conv2d(1, 7, 23, 19, 13, 5, 2, 2),
	}
	p := conv2d(2, 16, 10, 10, 16, 3, 1, 1)
	p.Groups = 16
	shapes["depthwise"] = p
	for _, algo := range gemmLikeAlgorithms {
		a, err := Lookup(algo)
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range shapes {
			t.Run(algo+"/"+name, func(t *testing.T) {
				in, w, bias := randomOperands(p, 7)
				ref, ok := runPlan(t, a, p, in, w, bias, 1)
				if !ok {
					return
				}
				for _, threads := range []int{2, 3} {
					got, _ := runPlan(t, a, p, in, w, bias, threads)
					if !bitwiseEqual(got, ref) {
						t.Fatalf("threads=%d differs from threads=1", threads)
					}
				}
			})
		}
	}
}

// TestInvalidParamsGiveErrors checks that every registered algorithm answers
// nonsense shapes and mismatched weights or bias with an error, never a panic.
func TestInvalidParamsGiveErrors(t *testing.T) {
	good := conv2d(1, 4, 8, 8, 6, 3, 1, 1)
	bad := map[string]Params{}
	mod := func(name string, f func(p *Params)) {
		p := good
		f(&p)
		bad[name] = p
	}
	mod("zero-batch", func(p *Params) { p.N = 0 })
	mod("negative-channels", func(p *Params) { p.Cin = -4 })
	mod("zero-filters", func(p *Params) { p.Cout = 0 })
	mod("zero-stride", func(p *Params) { p.StrideW = 0 })
	mod("zero-dilation", func(p *Params) { p.DilH = 0 })
	mod("negative-padding", func(p *Params) { p.PadR = -1 })
	mod("groups-not-dividing", func(p *Params) { p.Groups = 3 })
	mod("zero-groups", func(p *Params) { p.Groups = 0 })
	mod("kernel-larger-than-padded-input", func(p *Params) { p.KH, p.PadT, p.PadB = 11, 0, 0 })
	for _, name := range Names() {
		a, _ := Lookup(name)
		try := func(t *testing.T, p Params, w, bias []float32) {
			t.Helper()
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s.Plan panicked: %v", name, r)
				}
			}()
			if _, err := a.Plan(p, w, bias); err == nil {
				t.Fatalf("%s.Plan(%s) gave no error", name, p)
			}
		}
		for what, p := range bad {
			t.Run(name+"/"+what, func(t *testing.T) {
				n := max(0, good.WeightLen())
				try(t, p, make([]float32, n), nil)
			})
		}
		t.Run(name+"/short-weights", func(t *testing.T) {
			try(t, good, make([]float32, good.WeightLen()-1), nil)
		})
		t.Run(name+"/wrong-bias-length", func(t *testing.T) {
			try(t, good, make([]float32, good.WeightLen()), make([]float32, good.Cout+1))
		})
	}
}

// TestUnknownAlgorithm checks the registry's error for a bad name.
func TestUnknownAlgorithm(t *testing.T) {
	_, err := Lookup("winograd-f9x9")
	if err == nil || !strings.Contains(err.Error(), "im2col") {
		t.Fatalf("Lookup of an unknown name: %v, want an error listing the algorithms", err)
	}
	if errors.Is(err, ErrUnsupported) {
		t.Fatal("an unknown name is not an unsupported shape")
	}
}

// BenchmarkConv times each algorithm on real layers; names follow DESIGN.md
// §7, e.g. BenchmarkConv/net=resnet50/layer=layer1.0.conv2/algo=im2col/kernels=generic/threads=1,
// and report GFLOP/s (2·MACs per forward pass).
func BenchmarkConv(b *testing.B) {
	layers := []struct {
		net, layer string
		p          Params
	}{
		{"resnet50", "conv1", conv2d(1, 3, 224, 224, 64, 7, 2, 3)},
		{"resnet50", "layer1.0.conv1", conv2d(1, 64, 56, 56, 64, 1, 1, 0)},
		{"resnet50", "layer1.0.conv2", conv2d(1, 64, 56, 56, 64, 3, 1, 1)},
		{"resnet50", "layer1.0.conv3", conv2d(1, 64, 56, 56, 256, 1, 1, 0)},
		{"resnet50", "layer1.1.conv1", conv2d(1, 256, 56, 56, 64, 1, 1, 0)},
		{"resnet50", "layer2.0.downsample.0", conv2d(1, 256, 56, 56, 512, 1, 2, 0)},
		{"resnet50", "layer3.0.conv2", conv2d(1, 256, 28, 28, 256, 3, 2, 1)},
		{"resnet50", "layer4.0.downsample.0", conv2d(1, 1024, 14, 14, 2048, 1, 2, 0)},
		{"vgg16", "features.0", conv2d(1, 3, 224, 224, 64, 3, 1, 1)},
		{"mobilenet_v1", "features.0.0", conv2d(1, 3, 224, 224, 32, 3, 2, 1)},
		{"mobilenet_v1", "features.1.0", depthwise2d(32, 112, 3, 1)},
		{"mobilenet_v1", "features.1.3", conv2d(1, 32, 112, 112, 64, 1, 1, 0)},
		{"mobilenet_v1", "features.2.0", depthwise2d(64, 112, 3, 2)},
		{"mobilenet_v1", "features.7.0", depthwise2d(512, 14, 3, 1)},
		{"mobilenet_v1", "features.13.0", depthwise2d(1024, 7, 3, 1)},
		{"mobilenet_v1", "features.13.3", conv2d(1, 1024, 7, 7, 1024, 1, 1, 0)},
		{"efficientnet_b0", "features.2.0.block.1.0", depthwise2d(96, 112, 3, 2)},
		{"efficientnet_b0", "features.3.0.block.1.0", depthwise2d(144, 56, 5, 2)},
		{"efficientnet_b0", "features.6.1.block.1.0", depthwise2d(1152, 7, 5, 1)},
		{"shufflenet_v1_g3", "stage2.1.conv1", grouped2d(conv2d(1, 240, 28, 28, 60, 1, 1, 0), 3)},
		{"shufflenet_v1_g3", "stage2.1.conv2", depthwise2d(60, 28, 3, 1)},
		{"shufflenet_v1_g3", "stage3.1.conv1", grouped2d(conv2d(1, 480, 14, 14, 120, 1, 1, 0), 3)},
		{"alexnet_paper", "features.4", grouped2d(conv2d(1, 96, 27, 27, 256, 5, 1, 2), 2)},
	}
	type variant struct {
		algo    Algorithm
		kernels string
	}
	var variants []variant
	for _, name := range kernels.Names() {
		set, _ := kernels.Lookup(name)
		variants = append(variants, variant{Im2col{Config: gemmConfig(set)}, name},
			variant{Pointwise{Config: gemmConfig(set)}, name}, variant{Direct{Kernels: set}, name})
	}
	// depthwise runs no GEMM kernel (pure Go): benchmarked once, as generic.
	variants = append(variants, variant{Depthwise{}, "generic"})
	for _, l := range layers {
		for _, v := range variants {
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("net=%s/layer=%s/algo=%s/kernels=%s/threads=%d", l.net, l.layer, v.algo.Name(), v.kernels, threads)
				b.Run(name, func(b *testing.B) { benchPlan(b, v.algo, l.p, threads) })
			}
		}
	}
}

// benchPlan times one algorithm on one problem and reports GFLOP/s
// (2·MACs of the direct convolution per second: "effective" for Winograd).
func benchPlan(b *testing.B, a Algorithm, p Params, threads int) {
	in, w, bias := randomOperands(p, 1)
	plan, err := a.Plan(p, w, bias)
	if err != nil {
		b.Skip(err)
	}
	out, ws := make([]float32, p.OutLen()), make([]float32, plan.Workspace())
	for b.Loop() {
		plan.Forward(out, in, ws, threads)
	}
	if math.IsNaN(float64(out[0])) {
		b.Fatal("NaN output")
	}
	b.ReportMetric(2*float64(p.MACs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
