package graph

import (
	"math"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// tiny is conv → BN → ReLU → (residual add) → pool → dense.
func tiny() *Graph {
	g, x := New("tiny", tensor.Shape{2, 6, 6})
	c := g.Add("conv", ops.NewConv2D(2, 4, 3, ops.Pad(1)), x)
	b := g.Add("bn", ops.NewBatchNorm2D(4), c)
	r := g.Add("relu", ops.ReLU(), b)
	s := g.Add("skip", ops.NewConv2D(2, 4, 1), x)
	a := g.Add("add", ops.Add{}, r, s)
	p := g.Add("pool", ops.GlobalAvgPool(), a)
	f := g.Add("flatten", ops.Flatten{}, p)
	g.Add("fc", ops.NewDense(4, 3), f)
	return g
}

func TestShapesInferredAtBuild(t *testing.T) {
	g := tiny()
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	if !g.Output.Shape.Equal(tensor.Shape{1, 3}) {
		t.Errorf("output shape %v", g.Output.Shape)
	}
	tot := g.Totals()
	// conv 4·2·9 + bn 8 + skip 8 + fc 12+3
	if tot.Params != 72+8+8+15 || tot.Buffers != 8 {
		t.Errorf("params %d buffers %d", tot.Params, tot.Buffers)
	}
	if tot.MACs != 36*4*18+36*4*2+12 {
		t.Errorf("MACs %d", tot.MACs)
	}
}

func TestBuildErrorsNameTheLayer(t *testing.T) {
	g, x := New("bad", tensor.Shape{3, 4, 4})
	g.Add("conv", ops.NewConv2D(3, 8, 7), x)
	g.Add("after", ops.ReLU(), g.Output)
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "layer conv") {
		t.Fatalf("err = %v", err)
	}
	g2, x2 := New("dup", tensor.Shape{3, 4, 4})
	g2.Add("a", ops.ReLU(), x2)
	g2.Add("a", ops.ReLU(), x2)
	if err := g2.Err(); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("err = %v", err)
	}
}

func TestStateKeysAndLoadRoundTrip(t *testing.T) {
	g := tiny()
	g.Init(3)
	keys := []string{}
	m := map[string]*tensor.Tensor{}
	for _, e := range g.State() {
		keys = append(keys, e.Key)
		m[e.Key] = e.T.Clone()
	}
	want := "conv.weight conv.bias? bn.weight bn.bias bn.running_mean bn.running_var skip.weight fc.weight fc.bias"
	want = strings.ReplaceAll(want, "conv.bias? ", "")
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("keys %q, want %q", got, want)
	}
	x := tensor.New(2, 2, 6, 6)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
	}
	y1, err := g.Forward(&ops.Context{}, x)
	if err != nil {
		t.Fatal(err)
	}
	h := tiny()
	if err := h.Load(m); err != nil {
		t.Fatal(err)
	}
	y2, err := h.Forward(&ops.Context{}, x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range y1.Data {
		if y1.Data[i] != y2.Data[i] {
			t.Fatalf("loaded graph differs at %d", i)
		}
	}
}

func TestLoadRefusesBadState(t *testing.T) {
	base := func() map[string]*tensor.Tensor {
		m := map[string]*tensor.Tensor{}
		for _, e := range tiny().State() {
			m[e.Key] = e.T.Clone()
		}
		return m
	}
	m := base()
	delete(m, "bn.running_var")
	if err := tiny().Load(m); err == nil || !strings.Contains(err.Error(), `missing tensor "bn.running_var"`) {
		t.Errorf("missing: %v", err)
	}
	m = base()
	m["fc.weight"] = tensor.New(3, 5)
	if err := tiny().Load(m); err == nil || !strings.Contains(err.Error(), `"fc.weight" has shape [3 5], want [3 4]`) {
		t.Errorf("misshaped: %v", err)
	}
	m = base()
	m["extra.weight"] = tensor.New(1)
	if err := tiny().Load(m); err == nil || !strings.Contains(err.Error(), `unexpected tensor "extra.weight"`) {
		t.Errorf("extra: %v", err)
	}
	m = base()
	m["conv.weight"].Data[7] = float32(math.Inf(1))
	if err := tiny().Load(m); err == nil || !strings.Contains(err.Error(), `"conv.weight": non-finite value +Inf at index 7`) {
		t.Errorf("inf: %v", err)
	}
}

func TestForwardRejectsWrongInputShape(t *testing.T) {
	if _, err := tiny().Forward(&ops.Context{}, tensor.New(1, 3, 6, 6)); err == nil {
		t.Error("accepted a 3-channel input")
	}
}

// TestThreadCountDoesNotChangeOutput proves the forward pass is bitwise
// identical for 1, 2 and 3 threads.
func TestThreadCountDoesNotChangeOutput(t *testing.T) {
	g := tiny()
	g.Init(5)
	x := tensor.New(3, 2, 6, 6)
	for i := range x.Data {
		x.Data[i] = float32(math.Cos(float64(i)))
	}
	var ref *tensor.Tensor
	for _, th := range []int{1, 2, 3} {
		y, err := g.Forward(&ops.Context{Threads: th}, x)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = y
			continue
		}
		for i := range y.Data {
			if y.Data[i] != ref.Data[i] {
				t.Fatalf("threads=%d differs at %d", th, i)
			}
		}
	}
}

func TestInitIsDeterministicPerLayer(t *testing.T) {
	a, b := tiny(), tiny()
	a.Init(9)
	b.Init(9)
	sa, sb := a.State(), b.State()
	for i := range sa {
		for j := range sa[i].T.Data {
			if sa[i].T.Data[j] != sb[i].T.Data[j] {
				t.Fatalf("%s differs", sa[i].Key)
			}
		}
	}
}

// TestFoldBatchNormKeepsOutputs proves folding BN into the preceding conv
// changes the logits by no more than float32 rounding.
func TestFoldBatchNormKeepsOutputs(t *testing.T) {
	g := tiny()
	g.Init(11)
	x := tensor.New(2, 2, 6, 6)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(3 * i)))
	}
	want, err := g.Forward(&ops.Context{}, x)
	if err != nil {
		t.Fatal(err)
	}
	if n := g.FoldBatchNorm(); n != 1 {
		t.Fatalf("folded %d BNs, want 1", n)
	}
	got, err := g.Forward(&ops.Context{}, x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Data {
		if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-5*(1+math.Abs(float64(want.Data[i]))) {
			t.Fatalf("output %d: folded %v, unfolded %v", i, got.Data[i], want.Data[i])
		}
	}
}

// TestInitCalibratesBatchNorm proves Init leaves a deep residual stack of
// conv-BN-ReLU blocks with activations of order one (identity statistics
// would double the stream's variance per block: 2^40 here).
func TestInitCalibratesBatchNorm(t *testing.T) {
	g, x := New("deep", tensor.Shape{8, 4, 4})
	for b := 0; b < 40; b++ {
		p := "block" + string(rune('A'+b%26)) + string(rune('a'+b/26))
		c := g.Add(p+".conv", ops.NewConv2D(8, 8, 3, ops.Pad(1)), x)
		n := g.Add(p+".bn", ops.NewBatchNorm2D(8), c)
		r := g.Add(p+".relu", ops.ReLU(), n)
		x = g.Add(p+".add", ops.Add{}, r, x)
	}
	g.Init(1)
	in := tensor.New(1, 8, 4, 4)
	for i := range in.Data {
		in.Data[i] = float32(math.Cos(float64(i)))
	}
	y, err := g.Forward(&ops.Context{}, in)
	if err != nil {
		t.Fatal(err)
	}
	var m float64
	for _, v := range y.Data {
		m = math.Max(m, math.Abs(float64(v)))
	}
	if m > 100 || m == 0 {
		t.Errorf("max |activation| after 40 residual blocks = %g, want order one to ten", m)
	}
}
