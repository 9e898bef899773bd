package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/train"
	"github.com/cnnbench/cnnbench/engine/train/gradcheck"
)

// convBNReLUPoolDense is conv → BN → ReLU → max pool → flatten → dropout →
// dense; smooth swaps ReLU for SiLU and the max for an average.
func convBNReLUPoolDense(smooth ...bool) *graph.Graph {
	g, x := graph.New("cbrpd", tensor.Shape{2, 8, 8})
	act, pool := ops.Layer(ops.ReLU()), ops.Layer(ops.MaxPool2D(2, 2, 0))
	if len(smooth) > 0 && smooth[0] {
		act, pool = ops.SiLU(), ops.AvgPool2D(2, 2, 0)
	}
	x = g.Chain(x, "",
		graph.Named{Name: "conv", Layer: ops.NewConv2D(2, 4, 3, ops.Pad(1))},
		graph.Named{Name: "bn", Layer: ops.NewBatchNorm2D(4)},
		graph.Named{Name: "relu", Layer: act},
		graph.Named{Name: "pool", Layer: pool},
		graph.Named{Name: "flatten", Layer: ops.Flatten{}},
		graph.Named{Name: "drop", Layer: &ops.Dropout{P: 0.25}},
		graph.Named{Name: "fc", Layer: ops.NewDense(64, 3)},
	)
	return g
}

// residual is a basic residual block whose input feeds both branches, plus
// a squeeze-and-excitation scaling (a node read by two consumers again);
// smooth swaps its ReLU for SiLU.
func residual(smooth ...bool) *graph.Graph {
	act := ops.Layer(ops.ReLU())
	if len(smooth) > 0 && smooth[0] {
		act = ops.SiLU()
	}
	g, x := graph.New("residual", tensor.Shape{3, 6, 6})
	stem := g.Add("stem", ops.NewConv2D(3, 4, 3, ops.Pad(1), ops.Bias()), x)
	y := g.Chain(stem, "block.",
		graph.Named{Name: "conv1", Layer: ops.NewConv2D(4, 4, 3, ops.Pad(1))},
		graph.Named{Name: "bn1", Layer: ops.NewBatchNorm2D(4)},
		graph.Named{Name: "relu1", Layer: act},
		graph.Named{Name: "conv2", Layer: ops.NewConv2D(4, 4, 3, ops.Pad(1), ops.Groups(2))},
		graph.Named{Name: "bn2", Layer: ops.NewBatchNorm2D(4)},
	)
	s := g.Chain(y, "se.",
		graph.Named{Name: "pool", Layer: ops.GlobalAvgPool()},
		graph.Named{Name: "fc", Layer: ops.NewConv2D(4, 4, 1, ops.Bias())},
		graph.Named{Name: "gate", Layer: ops.Sigmoid()},
	)
	y = g.Add("se.scale", ops.Mul{}, y, s)
	y = g.Add("add", ops.Add{}, y, stem)
	y = g.Add("silu", ops.SiLU(), y)
	y = g.Add("pool", ops.GlobalAvgPool(), y)
	y = g.Add("flatten", ops.Flatten{}, y)
	g.Add("fc", ops.NewDense(4, 5), y)
	return g
}

func batch(g *graph.Graph, n int, seed uint64, classes int) (*tensor.Tensor, []int) {
	r := rand.New(rand.NewPCG(seed, 99))
	x := tensor.New(append(tensor.Shape{n}, g.InputShape()...)...)
	for i := range x.Data {
		x.Data[i] = float32(2*r.Float64() - 1)
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(classes)
	}
	return x, labels
}

// Whole-graph gradient checks: every parameter (sampled) and the input,
// through training-mode BN, dropout, a residual add, a broadcast multiply and
// the cross-entropy loss with label smoothing. The smooth variants (SiLU,
// average pooling) are checked tightly with h = 1e-2. With ReLU and max
// pooling a step of 1e-2 moves many pre-activations across 0 (a BN shift
// moves a whole channel), so the piecewise-linear loss is checked with
// h = 1e-3, skipping coordinates whose step crosses a kink, where float32
// rounding of the forward pass limits the agreement to about 1e-3.
func TestGraphGradients(t *testing.T) {
	for _, c := range []struct {
		name          string
		g             *graph.Graph
		classes       int
		h, l2, maxRel float64
	}{
		{"conv-bn-silu-avgpool-dropout-dense", convBNReLUPoolDense(true), 3, 1e-2, 1e-3, 1e-2},
		{"residual-block-silu-with-se", residual(true), 5, 1e-2, 1e-3, 1e-2},
		{"conv-bn-relu-maxpool-dropout-dense", convBNReLUPoolDense(), 3, 1e-3, 1e-2, 1e-1},
		{"residual-block-relu-with-se", residual(), 5, 1e-3, 1e-2, 1e-1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.g.Err(); err != nil {
				t.Fatal(err)
			}
			c.g.Init(1)
			bp, err := graph.NewBackprop(c.g)
			if err != nil {
				t.Fatal(err)
			}
			x, labels := batch(c.g, 4, 2, c.classes)
			res, err := gradcheck.Graph(bp, x, labels, 0.1, gradcheck.Options{Seed: 3, Samples: 24, Step: c.h, SkipKinks: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if os.Getenv("GRADCHECK_REPORT") != "" {
					fmt.Printf("| %s | %s | %d | %d | %.1e | %.1e |\n", c.name, r.Name, r.Checked, r.Skipped, r.RelL2, r.MaxRel)
				}
				if !(r.RelL2 <= c.l2) || !(r.MaxRel <= c.maxRel) || r.Skipped > r.Checked/4 {
					t.Errorf("%s", r)
				}
			}
		})
	}
}

func grads(t *testing.T, g *graph.Graph, threads int, x *tensor.Tensor, labels []int) [][]float32 {
	t.Helper()
	bp, err := graph.NewBackprop(g)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &ops.Context{Threads: threads}
	logits, err := bp.Forward(ctx, x, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := train.SoftmaxCrossEntropy(logits, labels, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := bp.Backward(ctx, d); err != nil {
		t.Fatal(err)
	}
	var out [][]float32
	for _, p := range bp.Params() {
		out = append(out, append([]float32(nil), p.Grad.Data...))
	}
	return out
}

func TestBackpropThreadInvariance(t *testing.T) {
	g := residual()
	g.Init(4)
	x, labels := batch(g, 8, 5, 5)
	want := grads(t, g, 1, x, labels)
	for _, th := range []int{2, 3} {
		got := grads(t, g, th, x, labels)
		for i := range want {
			for j := range want[i] {
				if math.Float32bits(want[i][j]) != math.Float32bits(got[i][j]) {
					t.Fatalf("threads %d: param %d element %d: %v vs %v", th, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

// Gradients accumulate over Backward calls until ZeroGrad.
func TestBackpropAccumulatesUntilZeroGrad(t *testing.T) {
	g := convBNReLUPoolDense()
	g.Init(2)
	x, labels := batch(g, 4, 1, 3)
	bp, _ := graph.NewBackprop(g)
	ctx := &ops.Context{Threads: 1}
	step := func() {
		logits, err := bp.Forward(ctx, x, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, d, _ := train.SoftmaxCrossEntropy(logits, labels, 0)
		if err := bp.Backward(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	step()
	once := append([]float32(nil), bp.Params()[0].Grad.Data...)
	step()
	for i, v := range bp.Params()[0].Grad.Data {
		if math.Abs(float64(v-2*once[i])) > 1e-5*math.Max(1, math.Abs(float64(v))) {
			t.Fatalf("element %d: %v after two steps, %v after one", i, v, once[i])
		}
	}
	bp.ZeroGrad()
	for _, p := range bp.Params() {
		for _, v := range p.Grad.Data {
			if v != 0 {
				t.Fatalf("%s not zeroed", p.Key)
			}
		}
	}
}

func TestBackpropParamsAndErrors(t *testing.T) {
	g := convBNReLUPoolDense()
	bp, err := graph.NewBackprop(g)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range bp.Params() {
		keys = append(keys, fmt.Sprintf("%s:%v", p.Key, p.NoDecay))
	}
	want := "conv.weight:false bn.weight:true bn.bias:true fc.weight:false fc.bias:true"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("params %s, want %s", got, want)
	}
	ctx := &ops.Context{}
	if err := bp.Backward(ctx, tensor.New(2, 3)); err == nil || !strings.Contains(err.Error(), "without a training Forward") {
		t.Errorf("Backward before Forward: %v", err)
	}
	x, _ := batch(g, 2, 1, 3)
	if _, err := bp.Forward(ctx, x, 0); err != nil {
		t.Fatal(err)
	}
	if err := bp.Backward(ctx, tensor.New(3, 3)); err == nil || !strings.Contains(err.Error(), "output gradient of shape") {
		t.Errorf("wrong dOut shape: %v", err)
	}
	if _, err := bp.Forward(ctx, tensor.New(2, 1, 8, 8), 0); err == nil {
		t.Error("wrong input shape accepted")
	}

	h, in := graph.New("opaque", tensor.Shape{2})
	h.Add("x", opaque{}, in)
	if _, err := graph.NewBackprop(h); err == nil || !strings.Contains(err.Error(), "layer x (Opaque) has no backward pass") {
		t.Errorf("layer without backward: %v", err)
	}
}

// opaque is a layer without a backward pass.
type opaque struct{}

func (opaque) Type() string                                                 { return "Opaque" }
func (opaque) OutShape(in []tensor.Shape) (tensor.Shape, error)             { return in[0], nil }
func (opaque) Params() []ops.Param                                          { return nil }
func (opaque) Cost(in []tensor.Shape, out tensor.Shape) ops.Cost            { return ops.Cost{} }
func (opaque) Forward(*ops.Context, *tensor.Tensor, []*tensor.Tensor) error { return nil }

// After training steps the inference Forward sees the new weights.
func TestForwardAfterUpdateSeesNewWeights(t *testing.T) {
	g := convBNReLUPoolDense()
	g.Init(3)
	x, _ := batch(g, 2, 1, 3)
	ctx := &ops.Context{Threads: 1}
	before, err := g.Forward(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	bp, _ := graph.NewBackprop(g)
	conv := bp.Params()[0]
	for i := range conv.T.Data {
		conv.T.Data[i] *= 2
	}
	bp.Updated()
	after, err := g.Forward(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	if before.Data[0] == after.Data[0] && before.Data[1] == after.Data[1] {
		t.Error("forward after Updated still uses the old conv weights")
	}
}

// A layer reading the graph input directly (a Concat with the input, whose
// gradient nobody wants) still runs backward.
func TestBackpropConcatOfGraphInput(t *testing.T) {
	g, x := graph.New("cat", tensor.Shape{2, 4, 4})
	c := g.Add("conv", ops.NewConv2D(2, 3, 3, ops.Pad(1)), x)
	y := g.Add("cat", ops.Concat{}, x, c)
	y = g.Add("pool", ops.GlobalAvgPool(), y)
	y = g.Add("flatten", ops.Flatten{}, y)
	g.Add("fc", ops.NewDense(5, 2), y)
	g.Init(1)
	bp, err := graph.NewBackprop(g)
	if err != nil {
		t.Fatal(err)
	}
	in, labels := batch(g, 3, 1, 2)
	res, err := gradcheck.Graph(bp, in, labels, 0, gradcheck.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !(r.RelL2 <= 1e-3) {
			t.Errorf("%s", r)
		}
	}
	bp.InputGrad = false
	logits, _ := bp.Forward(&ops.Context{}, in, 0)
	_, d, _ := train.SoftmaxCrossEntropy(logits, labels, 0)
	if err := bp.Backward(&ops.Context{}, d); err != nil {
		t.Fatal(err)
	}
}
