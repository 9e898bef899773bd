package train

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

func near(t *testing.T, what string, got []float64, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s: element %d is %v, want %v (all %v)", what, i, got[i], want[i], got)
		}
	}
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// Values from torch.nn.functional.cross_entropy (PyTorch 1.13), mean over
// the batch, with and without label smoothing.
func TestSoftmaxCrossEntropyMatchesPyTorch(t *testing.T) {
	z := tensor.FromData([]float32{1, 2, 3, 0.5, -1, 2}, 2, 3)
	labels := []int{2, 0}
	for _, c := range []struct {
		smoothing float64
		loss      float64
		grad      []float64
	}{
		{0, 1.0744585990905762, []float64{0.04501529037952423, 0.12236424535512924, -0.1673794984817505,
			-0.41235479712486267, 0.019556285813450813, 0.392798513174057}},
		{0.1, 1.1244585514068604, []float64{0.02834862284362316, 0.10569757968187332, -0.13404616713523865,
			-0.37902146577835083, 0.0028896182775497437, 0.3761318325996399}},
	} {
		loss, grad, err := SoftmaxCrossEntropy(z, labels, c.smoothing)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "loss", []float64{loss}, []float64{c.loss}, 1e-6)
		near(t, "grad", f64(grad.Data), c.grad, 1e-6)
	}
}

// The loss gradient against central differences in float64.
func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	z := tensor.FromData([]float32{0.3, -1.2, 2.5, 0.1, 1, -0.5, 0.7, 0.2}, 2, 4)
	labels := []int{1, 3}
	_, grad, _ := SoftmaxCrossEntropy(z, labels, 0.2)
	const h = 1e-2
	for i := range z.Data {
		orig := z.Data[i]
		z.Data[i] = orig + h
		lp, _, _ := SoftmaxCrossEntropy(z, labels, 0.2)
		z.Data[i] = orig - h
		lm, _, _ := SoftmaxCrossEntropy(z, labels, 0.2)
		z.Data[i] = orig
		num := (lp - lm) / (float64(orig+h) - float64(orig-h))
		if math.Abs(num-float64(grad.Data[i])) > 1e-4 {
			t.Errorf("logit %d: analytic %v, numerical %v", i, grad.Data[i], num)
		}
	}
}

func TestLossRejectsBadLabels(t *testing.T) {
	z := tensor.New(2, 3)
	for _, c := range []struct {
		labels []int
		want   string
	}{
		{[]int{0}, "1 labels for a batch of 2"},
		{[]int{0, 3}, "label 3 of sample 1 outside [0, 3)"},
		{[]int{-1, 0}, "label -1 of sample 0"},
	} {
		if _, _, err := SoftmaxCrossEntropy(z, c.labels, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("labels %v: %v, want %q", c.labels, err, c.want)
		}
	}
	if _, _, err := SoftmaxCrossEntropy(z, []int{0, 0}, 1.5); err == nil {
		t.Error("smoothing 1.5 accepted")
	}
}

func TestTopKAccuracy(t *testing.T) {
	z := tensor.FromData([]float32{
		0.1, 0.9, 0.3, 0.2, 0.0, -1, // label 1: top-1
		0.5, 0.4, 0.6, 0.7, 0.8, 0.9, // label 1: 5 higher → not top-5
		0.5, 0.4, 0.6, 0.7, 0.8, 0.1, // label 1: 4 higher → top-5
		0.5, 0.5, 0.2, 0.2, 0.2, 0.2, // label 1: tie with 0 counts as top-1
		float32(math.NaN()), 0, 0, 0, 0, 0, // label 0 is NaN: wrong
	}, 5, 6)
	top1, top5, err := Accuracy(z, []int{1, 1, 1, 1, 0})
	if err != nil || top1 != 2 || top5 != 3 {
		t.Errorf("top1 %d top5 %d err %v, want 2 3", top1, top5, err)
	}
}

// run applies three optimizer steps to w = [1, −2, 0.5] with gradients
// (t+1)·[0.1, −0.3, 0.2] − 0.05·t, lr 0.1, as the PyTorch script did.
func run(t *testing.T, o Optimizer) []float64 {
	w := tensor.FromData([]float32{1, -2, 0.5}, 3)
	g := tensor.New(3)
	ps := []graph.ParamRef{{Key: "w", T: w, Grad: g}}
	for s := 0; s < 3; s++ {
		for i, v := range []float64{0.1, -0.3, 0.2} {
			g.Data[i] = float32(v*float64(s+1) - 0.05*float64(s))
		}
		if err := o.Step(ps, 0.1, 1); err != nil {
			t.Fatal(err)
		}
	}
	return f64(w.Data)
}

// Final weights from torch.optim (PyTorch 1.13) on the same problem.
func TestOptimizersMatchPyTorch(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Optimizer
		want []float64
	}{
		{"sgd-momentum-wd", NewSGD(0.9, 0.01, false), []float64{0.9188477993011475, -1.6841686964035034, 0.3266083598136902}},
		{"sgd-nesterov-wd", NewSGD(0.9, 0.01, true), []float64{0.8790819644927979, -1.515153169631958, 0.23768463730812073}},
		{"sgd-plain", NewSGD(0, 0, false), []float64{0.9550000429153442, -1.8049999475479126, 0.39499998092651367}},
		{"adam-l2", NewAdam(0.01), []float64{0.7016314268112183, -1.7086246013641357, 0.20469322800636292}},
		{"adamw", NewAdamW(0.01), []float64{0.6994966268539429, -1.7036927938461304, 0.2037511169910431}},
	} {
		t.Run(c.name, func(t *testing.T) { near(t, c.name, run(t, c.o), c.want, 2e-7) })
	}
}

func TestSkipNoDecay(t *testing.T) {
	w := tensor.FromData([]float32{1}, 1)
	b := tensor.FromData([]float32{1}, 1)
	ps := []graph.ParamRef{{Key: "w", T: w, Grad: tensor.New(1)}, {Key: "b", T: b, Grad: tensor.New(1), NoDecay: true}}
	o := NewSGD(0, 0.5, false)
	o.SkipNoDecay = true
	if err := o.Step(ps, 0.1, 1); err != nil {
		t.Fatal(err)
	}
	if w.Data[0] != 0.95 || b.Data[0] != 1 {
		t.Errorf("w %v b %v, want 0.95 and 1 (bias not decayed)", w.Data[0], b.Data[0])
	}
}

// Values of torch.optim.lr_scheduler.CosineAnnealingLR(T_max=10,
// eta_min=0.001) over the first 11 steps.
func TestSchedules(t *testing.T) {
	cos := Cosine{Base: 0.1, Min: 0.001, Total: 10}
	want := []float64{0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599,
		0.0505, 0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001}
	var got []float64
	for s := range want {
		got = append(got, cos.LR(s))
	}
	near(t, "cosine", got, want, 1e-12)
	if cos.LR(50) != 0.001 {
		t.Errorf("after Total: %v", cos.LR(50))
	}
	warm := Cosine{Base: 1, Total: 12, Warmup: 4}
	near(t, "warm-up", []float64{warm.LR(0), warm.LR(1), warm.LR(3), warm.LR(4), warm.LR(8), warm.LR(12)},
		[]float64{0.25, 0.5, 1, 1, 0.5, 0}, 1e-12)
	ms := StepLR{Base: 0.1, Gamma: 0.1, Milestones: []int{3, 5}}
	near(t, "multistep", []float64{ms.LR(0), ms.LR(2), ms.LR(3), ms.LR(4), ms.LR(5), ms.LR(100)},
		[]float64{0.1, 0.1, 0.01, 0.01, 0.001, 0.001}, 1e-12)
	every := StepLR{Base: 1, Gamma: 0.5, Every: 2, Warmup: 2}
	near(t, "step", []float64{every.LR(0), every.LR(1), every.LR(2), every.LR(5)}, []float64{0.5, 1, 0.5, 0.25}, 1e-12)
	if err := Validate(StepLR{Base: -1}, 10); err == nil {
		t.Error("negative rate accepted")
	}
}

func TestCheckGradientsNamesTheParameter(t *testing.T) {
	good := graph.ParamRef{Key: "conv1.weight", T: tensor.New(2), Grad: tensor.New(2)}
	bad := graph.ParamRef{Key: "layer1.0.bn1.bias", T: tensor.New(3), Grad: tensor.FromData([]float32{0, float32(math.Inf(1)), float32(math.NaN())}, 3)}
	err := CheckGradients([]graph.ParamRef{good, bad})
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "gradient of layer1.0.bn1.bias is +Inf at index 1") {
		t.Errorf("got %v", err)
	}
	if err := CheckGradients([]graph.ParamRef{good}); err != nil {
		t.Error(err)
	}
	g := graph.ParamRef{Key: "w", T: tensor.New(2), Grad: tensor.FromData([]float32{3, 4}, 2)}
	if n := ClipGradNorm([]graph.ParamRef{g}, 1); n != 5 || math.Abs(float64(g.Grad.Data[0])-0.6) > 1e-6 {
		t.Errorf("clip: norm %v, grad %v", n, g.Grad.Data)
	}
}

func TestOptimizerStateRoundTripAndRejects(t *testing.T) {
	w := tensor.FromData([]float32{1, 2}, 2)
	ps := []graph.ParamRef{{Key: "fc.weight", T: w, Grad: tensor.FromData([]float32{0.5, -0.5}, 2)}}
	a := NewAdamW(0.01)
	a.Step(ps, 0.1, 1)
	a.Step(ps, 0.1, 1)
	state := map[string]*tensor.Tensor{}
	var keys []string
	for _, e := range a.State() {
		state[e.Key] = e.T.Clone()
		keys = append(keys, e.Key)
	}
	if got := strings.Join(keys, " "); got != "fc.weight.exp_avg fc.weight.exp_avg_sq step" {
		t.Errorf("state keys %s", got)
	}
	b := NewAdamW(0.01)
	if err := b.Load(state, ps); err != nil {
		t.Fatal(err)
	}
	w2 := w.Clone()
	ps2 := []graph.ParamRef{{Key: "fc.weight", T: w2, Grad: ps[0].Grad}}
	a.Step(ps, 0.1, 1)
	b.Step(ps2, 0.1, 1)
	if w.Data[0] != w2.Data[0] || w.Data[1] != w2.Data[1] {
		t.Errorf("resumed %v, continued %v", w2.Data, w.Data)
	}
	state["fc.bias.momentum"] = tensor.New(1)
	if err := b.Load(state, ps); err == nil || !strings.Contains(err.Error(), `unexpected tensor "fc.bias.momentum"`) {
		t.Errorf("extra key: %v", err)
	}
	delete(state, "fc.bias.momentum")
	state["fc.weight.exp_avg"] = tensor.New(3)
	if err := b.Load(state, ps); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("bad shape: %v", err)
	}
}

// LeNet-5's criterion is the cross-entropy of the logits −d plus a fixed
// rejection logit −J; its gradient matches central differences.
func TestRBFMAPIsCrossEntropyWithRejectionClass(t *testing.T) {
	d := tensor.FromData([]float32{3, 0.5, 7, 2, 9, 1.5}, 2, 3)
	labels := []int{1, 2}
	const J = 4
	obj := RBFMAP{J: J}
	loss, grad, err := obj.Loss(d, labels)
	if err != nil {
		t.Fatal(err)
	}
	ext := tensor.New(2, 4)
	for b := 0; b < 2; b++ {
		for i := 0; i < 3; i++ {
			ext.Data[b*4+i] = -d.Data[b*3+i]
		}
		ext.Data[b*4+3] = -J
	}
	want, wgrad, _ := SoftmaxCrossEntropy(ext, labels, 0)
	near(t, "loss", []float64{loss}, []float64{want}, 1e-12)
	for b := 0; b < 2; b++ {
		for i := 0; i < 3; i++ {
			near(t, "grad", []float64{float64(grad.Data[b*3+i])}, []float64{-float64(wgrad.Data[b*4+i])}, 1e-6)
		}
	}
	if s := obj.Scores(d); s.Data[1] != -0.5 {
		t.Errorf("scores %v", s.Data)
	}
	top1, _, _ := Accuracy(obj.Scores(d), labels)
	if top1 != 2 { // both labels are the nearest prototypes
		t.Errorf("top1 %d", top1)
	}
}
