package architectures

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/tensorio"
)

// Goldens are logits PyTorch computed (in float64) for the weights and input
// that `cnnbench export -seed 1 -input-seed 2` writes; scripts/goldens.py
// makes them. A file is named <model>[@CxHxW].npy.
const (
	goldenDir        = "testdata/goldens"
	goldenWeightSeed = 1
	goldenInputSeed  = 2
	goldenTolerance  = 1e-4 // max |ours − torch| ≤ tol · max |torch|
)

// TestLogitsMatchPyTorchGoldens proves every family's forward pass agrees
// with PyTorch's for the same weights: with every algorithm, the largest
// logit error is within 1e-4 of the largest logit and the top-1 class agrees.
func TestLogitsMatchPyTorchGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.npy"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no goldens in %s (%v)", goldenDir, err)
	}
	families := map[string]bool{}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".npy")
		model, shape, _ := strings.Cut(base, "@")
		want, err := tensorio.ReadNPY(f)
		if err != nil {
			t.Fatal(err)
		}
		var opt Options
		if shape != "" {
			if opt.Input, err = tensor.ParseDims(shape); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
		spec, err := Lookup(model)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		families[spec.Family] = true
		for _, algo := range []string{"naive", "im2col"} {
			t.Run(base+"/algo="+algo, func(t *testing.T) {
				if testing.Short() && algo == "naive" && spec.Torchvision != "" && heavy(model) {
					t.Skip("naive pass of a large model skipped in -short")
				}
				g, err := Build(model, opt)
				if err != nil {
					t.Fatal(err)
				}
				g.Init(goldenWeightSeed)
				x := RandomInput(goldenInputSeed, want.Shape[0], g.InputShape())
				y, err := g.Forward(&ops.Context{Algo: algo}, x)
				if err != nil {
					t.Fatal(err)
				}
				if !y.Shape.Equal(want.Shape) {
					t.Fatalf("logits shape %v, golden %v", y.Shape, want.Shape)
				}
				maxErr, scale := 0.0, 0.0
				for i, v := range want.Data {
					scale = math.Max(scale, math.Abs(float64(v)))
					maxErr = math.Max(maxErr, math.Abs(float64(y.Data[i])-float64(v)))
				}
				rel := maxErr / scale
				t.Logf("%s algo=%s: max|err| %.3g, max|logit| %.4g, relative %.3g", base, algo, maxErr, scale, rel)
				if !(rel <= goldenTolerance) {
					t.Errorf("max|err| %.3g = %.3g × max|logit|, want ≤ %g", maxErr, rel, goldenTolerance)
				}
				k := want.Shape[len(want.Shape)-1]
				for n := 0; n < want.Shape[0]; n++ {
					if a, b := argmax(y.Data[n*k:(n+1)*k]), argmax(want.Data[n*k:(n+1)*k]); a != b {
						t.Errorf("sample %d: top-1 %d, PyTorch %d", n, a, b)
					}
				}
			})
		}
	}
	for _, f := range []string{"LeNet-5", "AlexNet", "VGG", "ResNet", "ResNet-CIFAR", "DenseNet", "DenseNet-CIFAR", "MobileNet v1", "ShuffleNet v1", "EfficientNet"} {
		if !families[f] {
			t.Errorf("no golden covers family %s", f)
		}
	}
}

func heavy(model string) bool {
	for _, p := range []string{"vgg", "resnet101", "resnet152", "densenet2", "efficientnet_b6", "efficientnet_b7"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
