package architectures

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
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
	// conditioningFactor: where PyTorch's own float32 pass is already further
	// than goldenTolerance from its float64 one (deep random nets are chaotic),
	// we allow this multiple of PyTorch's float32 error instead.
	conditioningFactor = 2
)

// conditioning reads PyTorch's float32 error per golden (conditioning.csv).
func conditioning(t *testing.T) map[string]float64 {
	data, err := os.ReadFile(filepath.Join(goldenDir, "conditioning.csv"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		name, v, _ := strings.Cut(line, ",")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("conditioning.csv: %q: %v", line, err)
		}
		m[name] = f
	}
	return m
}

// TestLogitsMatchPyTorchGoldens proves every family's forward pass agrees
// with PyTorch's for the same weights: with every algorithm, the largest
// logit error is within 1e-4 of the largest logit (or, for the few deep nets
// whose random weights make PyTorch's own float32 pass err more than that,
// within twice PyTorch's float32 error) and the top-1 class agrees.
func TestLogitsMatchPyTorchGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.npy"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no goldens in %s (%v)", goldenDir, err)
	}
	families := map[string]bool{}
	cond := conditioning(t)
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
		// fused: the inference graph (graph.Fuse: BN folded, activations
		// and residual adds in the convolutions' epilogues).
		for _, v := range []struct {
			algo  string
			fused bool
		}{{"naive", false}, {"im2col", false}, {"im2col", true}} {
			algo := v.algo
			name := base + "/algo=" + algo
			if v.fused {
				name += "/fused"
			}
			t.Run(name, func(t *testing.T) {
				if testing.Short() && algo == "naive" && heavy(model) {
					t.Skip("naive pass of a large model skipped in -short")
				}
				g, err := Build(model, opt)
				if err != nil {
					t.Fatal(err)
				}
				g.Init(goldenWeightSeed)
				if v.fused {
					g.Fuse()
				}
				x := RandomInput(goldenInputSeed, want.Shape[0], g.InputShape())
				// Poison: recycled activation buffers start as NaN, so a
				// layer that reads its output before writing it fails.
				y, err := g.Forward(&ops.Context{Algo: algo, Pool: &tensor.Pool{Poison: true}}, x)
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
				torch32, ok := cond[base]
				if !ok {
					t.Fatalf("%s missing from conditioning.csv", base)
				}
				tol := max(goldenTolerance, conditioningFactor*torch32)
				t.Logf("%s algo=%s fused=%t: max|err| %.3g, max|logit| %.4g, relative %.3g (PyTorch float32 %.3g, tolerance %.3g)",
					base, algo, v.fused, maxErr, scale, rel, torch32, tol)
				if !(rel <= tol) {
					t.Errorf("max|err| %.3g = %.3g × max|logit|, want ≤ %.3g", maxErr, rel, tol)
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
