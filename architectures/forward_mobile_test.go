package architectures

import (
	"math"
	"testing"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// mobileShortForward are the variants -short still runs: one of each block
// type (separable, grouped with and without rounding, MBConv with and
// without expansion).
var mobileShortForward = map[string]bool{
	"mobilenet_v1_0.25_224":  true,
	"shufflenet_v1_g3_0.5x":  true,
	"shufflenet_v1_g8_0.25x": true,
	"efficientnet_b0":        true,
}

// TestMobileFamiliesForwardAtSmallInput builds every MobileNet v1, ShuffleNet
// v1 and EfficientNet variant at 3x64x64 with 17 classes (so Options.Input
// and Options.Classes are honoured), runs a batch of two and checks the
// logits' shape and finiteness, and that the two samples differ.
func TestMobileFamiliesForwardAtSmallInput(t *testing.T) {
	const classes = 17
	in := tensor.Shape{3, 64, 64}
	x := RandomInput(7, 2, in)
	for _, s := range All() {
		if !mobileFamilies[s.Family] || s.AliasOf != "" {
			continue
		}
		if testing.Short() && !mobileShortForward[s.Name] {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			g, err := Build(s.Name, Options{Input: in, Classes: classes})
			if err != nil {
				t.Fatal(err)
			}
			g.Init(1)
			y, err := g.Forward(&ops.Context{}, x)
			if err != nil {
				t.Fatal(err)
			}
			if want := (tensor.Shape{2, classes}); !y.Shape.Equal(want) {
				t.Fatalf("logits shape %v, want %v", y.Shape, want)
			}
			if i := y.FirstNonFinite(); i >= 0 {
				t.Fatalf("logit %d is %v", i, y.Data[i])
			}
			var diff float64
			for j := range classes {
				diff = math.Max(diff, math.Abs(float64(y.Data[j]-y.Data[classes+j])))
			}
			if diff == 0 {
				t.Errorf("both samples give the same logits %v", y.Data[:classes])
			}
		})
	}
}

// TestMobileFamiliesNaiveAgreesWithDefaultAlgo runs one small variant of
// each family with the naive oracle and the default algorithm: the grouped,
// depthwise and SE convolutions must agree.
func TestMobileFamiliesNaiveAgreesWithDefaultAlgo(t *testing.T) {
	in := tensor.Shape{3, 48, 48}
	x := RandomInput(3, 1, in)
	for _, name := range []string{"mobilenet_v1_0.25_224", "shufflenet_v1_g4_0.25x", "efficientnet_b0"} {
		g, err := Build(name, Options{Input: in, Classes: 10})
		if err != nil {
			t.Fatal(err)
		}
		g.Init(5)
		ref, err := g.Forward(&ops.Context{Algo: "naive"}, x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.Forward(&ops.Context{}, x)
		if err != nil {
			t.Fatal(err)
		}
		var maxErr, scale float64
		for i, v := range ref.Data {
			scale = math.Max(scale, math.Abs(float64(v)))
			maxErr = math.Max(maxErr, math.Abs(float64(got.Data[i]-v)))
		}
		if maxErr > 1e-4*scale {
			t.Errorf("%s: default algorithm differs from naive by %.3g (max|logit| %.3g)", name, maxErr, scale)
		}
	}
}
