package train_test

import (
	"math"
	"testing"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/tensorio"
	"github.com/cnnbench/cnnbench/engine/train"
)

// torchTiny is the net of scripts/grad_check.py, with its state-dict keys.
func torchTiny() *graph.Graph {
	g, x := graph.New("torch_tiny", tensor.Shape{3, 8, 8})
	x = g.Chain(x, "",
		graph.Named{Name: "conv1", Layer: ops.NewConv2D(3, 6, 3, ops.Pad(1))},
		graph.Named{Name: "bn1", Layer: ops.NewBatchNorm2D(6)},
		graph.Named{Name: "relu1", Layer: ops.ReLU()},
		graph.Named{Name: "lrn", Layer: &ops.LRN{Size: 3, Alpha: 0.1, Beta: 0.75, K: 2}},
	)
	p := g.Add("pool", ops.MaxPool2D(3, 2, 1).CeilMode(), x)
	y := g.Chain(p, "",
		graph.Named{Name: "dw", Layer: ops.NewConv2D(6, 6, 3, ops.Pad(1), ops.Groups(6), ops.Bias())},
		graph.Named{Name: "bn2", Layer: ops.NewBatchNorm2D(6)},
		graph.Named{Name: "silu", Layer: ops.SiLU()},
	)
	s := g.Chain(y, "",
		graph.Named{Name: "se_pool", Layer: ops.GlobalAvgPool()},
		graph.Named{Name: "se_fc1", Layer: ops.NewConv2D(6, 3, 1, ops.Bias())},
		graph.Named{Name: "se_relu", Layer: ops.ReLU()},
		graph.Named{Name: "se_fc2", Layer: ops.NewConv2D(3, 6, 1, ops.Bias())},
		graph.Named{Name: "se_gate", Layer: ops.Sigmoid()},
	)
	y = g.Add("scale", ops.Mul{}, y, s)
	y = g.Add("add", ops.Add{}, y, p)
	y = g.Add("shuffle", &ops.ChannelShuffle{Groups: 2}, y)
	pw := g.Add("pw", ops.NewConv2D(6, 4, 1, ops.Groups(2)), y)
	y = g.Add("cat", ops.Concat{}, y, pw)
	g.Chain(y, "",
		graph.Named{Name: "avg", Layer: ops.AvgPool2D(2, 2, 0)},
		graph.Named{Name: "flatten", Layer: ops.Flatten{}},
		graph.Named{Name: "fc", Layer: ops.NewDense(40, 5)},
	)
	return g
}

// relErr is max|a − b| / max(max|b|, 1e-2): a gradient that is zero in
// exact arithmetic (a bias before a training-mode BN: ~1e-8 in both) is
// compared absolutely.
func relErr(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	return d / math.Max(m, 1e-2)
}

// TestMatchesPyTorch compares one training step with PyTorch 1.13 on the
// same net, weights and batch (scripts/grad_check.py): logits and loss of
// the training-mode forward pass, every parameter gradient, the BN running
// statistics, and the state after two SGD steps (momentum 0.9, weight decay
// 5e-4, label smoothing 0.1). Worst relative errors (max |Δ| / max |ref| per
// tensor) measured: about 1e-6 for gradients and 1e-7 for the SGD state.
func TestMatchesPyTorch(t *testing.T) {
	named, _, err := tensorio.ReadSafetensors("testdata/torch_grads.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]*tensor.Tensor{}
	for _, n := range named {
		ref[n.Name] = n.T
	}
	load := func(g *graph.Graph) {
		w := map[string]*tensor.Tensor{}
		for _, e := range g.State() {
			w[e.Key] = ref["w."+e.Key]
		}
		if err := g.Load(w); err != nil {
			t.Fatal(err)
		}
	}
	x := ref["x"]
	labels := make([]int, len(ref["labels"].Data))
	for i, v := range ref["labels"].Data {
		labels[i] = int(v)
	}
	check := func(what string, got, want *tensor.Tensor, tol float64) {
		t.Helper()
		if want == nil || !got.Shape.Equal(want.Shape) {
			t.Fatalf("%s: shape %v, golden %v", what, got.Shape, want)
		}
		e := relErr(got.Data, want.Data)
		if !(e <= tol) {
			t.Errorf("%s: relative error %.2e > %.0e", what, e, tol)
		}
		t.Logf("%s: %.1e", what, e)
	}

	g := torchTiny()
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	load(g)
	bp, err := graph.NewBackprop(g)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &ops.Context{Threads: 2}
	logits, err := bp.Forward(ctx, x, 0)
	if err != nil {
		t.Fatal(err)
	}
	check("logits", logits, ref["logits"], 1e-5)
	loss, dLogits, err := train.SoftmaxCrossEntropy(logits, labels, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	check("loss", tensor.FromData([]float32{float32(loss)}, 1), ref["loss"], 1e-6)
	if err := bp.Backward(ctx, dLogits); err != nil {
		t.Fatal(err)
	}
	for _, p := range bp.Params() {
		check("gradient of "+p.Key, p.Grad, ref["g."+p.Key], 1e-5)
	}
	for _, e := range g.State() {
		if e.Buffer {
			check(e.Key+" after the forward pass", e.T, ref["bn."+e.Key], 1e-6)
		}
	}

	g2 := torchTiny()
	load(g2)
	tr := train.NewTrainer(mustBP(t, g2), train.NewSGD(0.9, 5e-4, false), train.Constant(0.1), 0)
	tr.Objective = train.CrossEntropy{Smoothing: 0.1}
	for s := 0; s < 2; s++ {
		if _, err := tr.Step(ctx, x, labels); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range g2.State() {
		check(e.Key+" after two SGD steps", e.T, ref["sgd."+e.Key], 1e-5)
	}
}
