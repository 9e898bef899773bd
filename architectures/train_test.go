package architectures

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/train"
	"github.com/cnnbench/cnnbench/engine/train/gradcheck"
)

// ShortcutA's backward against finite differences: odd sizes (the last
// row and column are kept by ::2), zero channels on both sides.
func TestGradients(t *testing.T) {
	for _, c := range []struct {
		name string
		s    *ShortcutA
		in   tensor.Shape
	}{
		{"shortcut-a-stride2-pad-both-sides", &ShortcutA{Stride: 2, Front: 2, Back: 3}, tensor.Shape{2, 3, 5, 5}},
		{"shortcut-a-stride1-identity-channels", &ShortcutA{Stride: 1}, tensor.Shape{2, 2, 3, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := RandomInput(3, c.in[0], c.in[1:])
			res, err := gradcheck.Layer(c.s, []*tensor.Tensor{x}, gradcheck.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if !(r.RelL2 <= 1e-6) || !(r.MaxRel <= 1e-5) {
					t.Errorf("%s", r)
				}
			}
		})
	}
}

// trainInputs is the input each family is trained at in the tests below:
// the smallest the variants allow, as in the forward tests.
func trainInput(s Spec) tensor.Shape {
	if cfg, ok := classicForward[s.Name]; ok {
		return cfg.input
	}
	if mobileFamilies[s.Family] {
		return tensor.Shape{3, 64, 64}
	}
	return nil
}

// trainShort are the variants -short trains: one of each family and of
// each block type.
var trainShort = map[string]bool{
	"lenet5": true, "lenet5_paper": true, "resnet20": true, "densenet_bc_100_12": true,
	"mobilenet_v1_0.25_224": true, "shufflenet_v1_g3_0.5x": true, "efficientnet_b0": true,
}

// trainHeavy are the variants only CNNBENCH_TRAIN_ALL=1 trains (besides
// VGG): several seconds each, and a lighter variant of their family runs.
var trainHeavy = map[string]bool{
	"alexnet_paper": true, "resnet101": true, "resnet101_v1": true, "resnet152": true, "resnet152_v1": true,
	"densenet264": true, "efficientnet_b5": true, "efficientnet_b6": true, "efficientnet_b7": true,
}

// TestEveryVariantTrains proves every variant of the zoo can be trained:
// each of its layers has a backward pass, and one SGD step on a batch of two
// gives a finite loss, finite gradients, a non-zero gradient for every
// trainable tensor, and changed weights.
func TestEveryVariantTrains(t *testing.T) {
	for _, s := range All() {
		if s.AliasOf != "" {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			if testing.Short() && !trainShort[s.Name] {
				t.Skip("skipped in -short; one variant per family runs")
			}
			if !testing.Short() && (s.Family == "VGG" || trainHeavy[s.Name]) && os.Getenv("CNNBENCH_TRAIN_ALL") == "" {
				t.Skip("heavy (a lighter variant of the family runs): set CNNBENCH_TRAIN_ALL=1")
			}
			g, err := Build(s.Name, Options{Input: trainInput(s), Classes: 5})
			if err != nil {
				t.Fatal(err)
			}
			g.Init(1)
			bp, err := graph.NewBackprop(g)
			if err != nil {
				t.Fatal(err)
			}
			before := bp.Params()[0].T.Clone()
			tr := train.NewTrainer(bp, train.NewSGD(0.9, 1e-4, false), train.Constant(0.01), 1)
			x := RandomInput(2, 2, g.InputShape())
			st, err := tr.Step(&ops.Context{Algo: "im2col", Fallback: "naive"}, x, []int{1, 3})
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(st.Loss) || st.GradNorm == 0 {
				t.Fatalf("loss %v, gradient norm %v", st.Loss, st.GradNorm)
			}
			for _, p := range bp.Params() {
				nonzero := false
				for _, v := range p.Grad.Data {
					if v != 0 {
						nonzero = true
						break
					}
				}
				if !nonzero {
					t.Errorf("%s: zero gradient", p.Key)
				}
			}
			if p := bp.Params()[0]; p.T.Data[0] == before.Data[0] && p.T.Data[1] == before.Data[1] {
				t.Errorf("%s not updated", p.Key)
			}
		})
	}
}

// A whole CIFAR ResNet-20 (option A shortcuts, 19 BNs in training mode) on
// 8×8 inputs against finite differences, a few coordinates per tensor. Its
// ReLUs are swapped for SiLU: through 19 ReLU layers any step large enough
// to rise above float32 rounding crosses many kinks (with ReLU the errors
// reach several percent in the first layers, from the numerical side).
func TestResNet20Gradients(t *testing.T) {
	if testing.Short() {
		t.Skip("about 1000 forward passes")
	}
	g, err := Build("resnet20", Options{Input: tensor.Shape{3, 8, 8}, Classes: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes[1:] {
		if a, ok := n.Layer.(*ops.Activation); ok && a.Kind == ops.KindReLU {
			n.Layer = ops.SiLU()
		}
	}
	g.Init(2)
	bp, err := graph.NewBackprop(g)
	if err != nil {
		t.Fatal(err)
	}
	x := RandomInput(4, 4, g.InputShape())
	res, err := gradcheck.Graph(bp, x, []int{0, 1, 2, 3}, 0, gradcheck.Options{Seed: 5, Samples: 3, Step: 1e-2, Algo: "im2col"})
	if err != nil {
		t.Fatal(err)
	}
	skipped, checked := 0, 0
	for _, r := range res {
		if os.Getenv("GRADCHECK_REPORT") != "" {
			fmt.Printf("| resnet20 | %s | %d | %d | %.1e | %.1e |\n", r.Name, r.Checked, r.Skipped, r.RelL2, r.MaxRel)
		}
		skipped += r.Skipped
		checked += r.Checked
		if !(r.RelL2 <= 1e-2) || !(r.MaxRel <= 5e-2) {
			t.Errorf("%s", r)
		}
	}
	if skipped > checked/4 {
		t.Errorf("%d of %d coordinates skipped at kinks", skipped, checked+skipped)
	}
}

// BenchmarkTrainStep times one SGD step (training forward, loss, backward,
// update) and reports images per second.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		net   string
		batch int
		input tensor.Shape
	}{
		{"lenet5", 64, nil},
		{"lenet5_paper", 64, nil},
		{"resnet20", 128, nil},
		{"mobilenet_v1_0.25_224", 32, tensor.Shape{3, 32, 32}},
	} {
		b.Run(fmt.Sprintf("net=%s/batch=%d", c.net, c.batch), func(b *testing.B) {
			g, err := Build(c.net, Options{Input: c.input, Classes: 10})
			if err != nil {
				b.Fatal(err)
			}
			g.Init(1)
			bp, err := graph.NewBackprop(g)
			if err != nil {
				b.Fatal(err)
			}
			tr := train.NewTrainer(bp, train.NewSGD(0.9, 5e-4, false), train.Constant(0.01), 1)
			x := RandomInput(1, c.batch, g.InputShape())
			labels := make([]int, c.batch)
			for i := range labels {
				labels[i] = i % 10
			}
			ctx := &ops.Context{}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(ctx, x, labels); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.batch*b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// lenet5 and lenet5_paper (RBF output, LeCun's MAP criterion) both learn a
// separable 3-class problem on 32×32 inputs in 80 SGD steps.
func TestLeNet5VariantsLearn(t *testing.T) {
	for _, c := range []struct {
		name string
		obj  train.Objective
		lr   float64
	}{
		{"lenet5", train.CrossEntropy{}, 0.05},
		{"lenet5_paper", train.RBFMAP{J: 5}, 0.001},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := Build(c.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			g.Init(1)
			bp, err := graph.NewBackprop(g)
			if err != nil {
				t.Fatal(err)
			}
			tr := train.NewTrainer(bp, train.NewSGD(0.9, 0, false), train.Constant(c.lr), 1)
			tr.Objective = c.obj
			ctx := &ops.Context{Threads: 2}
			r := rand.New(rand.NewPCG(5, 5))
			blobs := func(n int) (*tensor.Tensor, []int) {
				x := tensor.New(n, 1, 32, 32)
				labels := make([]int, n)
				for i := range labels {
					k := r.IntN(3)
					labels[i] = k
					img := x.Data[i*1024 : (i+1)*1024]
					for j := range img {
						img[j] = float32(0.3 * r.NormFloat64())
					}
					for y := 0; y < 8; y++ {
						for xx := 0; xx < 8; xx++ {
							img[(4+y+k*6)*32+4+xx+k*6] += 1
						}
					}
				}
				return x, labels
			}
			var first, last float64
			for s := 0; s < 80; s++ {
				x, labels := blobs(16)
				st, err := tr.Step(ctx, x, labels)
				if err != nil {
					t.Fatal(err)
				}
				if s < 10 {
					first += st.Loss / 10
				}
				if s >= 70 {
					last += st.Loss / 10
				}
			}
			x, labels := blobs(100)
			_, top1, _, err := train.Evaluate(ctx, g, c.obj, x, labels)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("loss %.3f → %.3f, accuracy %d/100", first, last, top1)
			if !(last < 0.5*first) || top1 < 90 {
				t.Errorf("loss %.3f → %.3f, accuracy %d/100", first, last, top1)
			}
		})
	}
}
