package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// run infers the output shape of l on inputs and runs it.
func run(t *testing.T, l Layer, in ...*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	shapes := make([]tensor.Shape, len(in))
	for i, x := range in {
		shapes[i] = x.Shape
	}
	s, err := l.OutShape(shapes)
	if err != nil {
		t.Fatalf("%s: %v", l.Type(), err)
	}
	out := tensor.New(s...)
	out.Fill(float32(math.NaN()))
	if err := l.Forward(&Context{Threads: 2}, out, in); err != nil {
		t.Fatalf("%s: %v", l.Type(), err)
	}
	return out
}

func ramp(shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	return x
}

func near(t *testing.T, what string, got []float32, want ...float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s: value %d is %v, want %v (all %v)", what, i, got[i], want[i], got)
		}
	}
}

// PyTorch: out = ceil((H+2p−k)/s)+1, minus one if the last window would
// start in the right padding; max_pool2d(arange(36).view(1,1,6,6), 3, 2,
// ceil_mode=True) = [[14,16,17],[26,28,29],[32,34,35]].
func TestMaxPoolCeilModeMatchesPyTorch(t *testing.T) {
	y := run(t, MaxPool2D(3, 2, 0).CeilMode(), ramp(1, 1, 6, 6))
	near(t, "ceil", y.Data, 14, 16, 17, 26, 28, 29, 32, 34, 35)
	y = run(t, MaxPool2D(3, 2, 0), ramp(1, 1, 6, 6))
	near(t, "floor", y.Data, 14, 16, 26, 28)
}

// avg_pool2d(ones(1,1,4,4), 3, 2, 1): corners see 4 of 9 padded taps
// (count_include_pad=True); the divisor counts taps inside the padded input.
func TestAvgPoolCountsPaddingLikePyTorch(t *testing.T) {
	x := tensor.New(1, 1, 4, 4)
	x.Fill(1)
	y := run(t, AvgPool2D(3, 2, 1), x)
	near(t, "pad", y.Data, 4.0/9, 6.0/9, 6.0/9, 9.0/9)
	// ceil mode with a last window that hangs past the input (and no padding):
	// PyTorch divides by the taps inside, so ones stay ones.
	x5 := tensor.New(1, 1, 5, 5)
	x5.Fill(1)
	y = run(t, AvgPool2D(2, 2, 0).CeilMode(), x5)
	near(t, "ceil", y.Data, 1, 1, 1, 1, 1, 1, 1, 1, 1)
}

// adaptive_avg_pool2d to 3 bins over 5: [0,2), [1,4), [3,5).
func TestAdaptiveAvgPoolBinsLikePyTorch(t *testing.T) {
	y := run(t, &AdaptiveAvgPool2D{1, 3}, ramp(1, 1, 1, 5))
	near(t, "bins", y.Data, 0.5, 2, 3.5)
	y = run(t, GlobalAvgPool(), ramp(1, 2, 2, 2))
	near(t, "global", y.Data, 1.5, 5.5)
}

func TestChannelShuffleInterleavesGroups(t *testing.T) {
	y := run(t, &ChannelShuffle{Groups: 2}, ramp(1, 6, 1, 1))
	near(t, "shuffle", y.Data, 0, 3, 1, 4, 2, 5)
}

// b_c = a_c / (k + α/n Σ a²)^β over the channel window [c−⌊n/2⌋, c+⌊(n−1)/2⌋].
func TestLRNMatchesFormula(t *testing.T) {
	x := tensor.FromData([]float32{1, 2, 3}, 1, 3, 1, 1)
	l := &LRN{Size: 2, Alpha: 0.5, Beta: 0.75, K: 2}
	y := run(t, l, x)
	f := func(a, sum float64) float64 { return a / math.Pow(2+0.25*sum, 0.75) }
	near(t, "lrn", y.Data, f(1, 1), f(2, 1+4), f(3, 4+9))
}

func TestBatchNormEvalFormula(t *testing.T) {
	bn := NewBatchNorm2DEps(2, 0.5)
	copy(bn.Weight.Data, []float32{2, 3})
	copy(bn.Bias.Data, []float32{1, -1})
	copy(bn.RunningMean.Data, []float32{1, 2})
	copy(bn.RunningVar.Data, []float32{3.5, 1.5})
	y := run(t, bn, tensor.FromData([]float32{3, 4}, 1, 2, 1, 1))
	near(t, "bn", y.Data, (3-1)/2.0*2+1, (4-2)/math.Sqrt(2)*3-1)
}

func TestActivations(t *testing.T) {
	x := tensor.FromData([]float32{-7, -1, 0, 1, 7}, 1, 5)
	near(t, "relu", run(t, ReLU(), x).Data, 0, 0, 0, 1, 7)
	near(t, "relu6", run(t, ReLU6(), x).Data, 0, 0, 0, 1, 6)
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	near(t, "sigmoid", run(t, Sigmoid(), x).Data, sig(-7), sig(-1), 0.5, sig(1), sig(7))
	near(t, "silu", run(t, SiLU(), x).Data, -7*sig(-7), -sig(-1), 0, sig(1), 7*sig(7))
	near(t, "tanh", run(t, Tanh(), x).Data, math.Tanh(-7), math.Tanh(-1), 0, math.Tanh(1), math.Tanh(7))
	lt := func(v float64) float64 { return 1.7159 * math.Tanh(2*v/3) }
	near(t, "lecun", run(t, LeCunTanh(), x).Data, lt(-7), lt(-1), 0, lt(1), lt(7))
}

func TestMulBroadcastsPerChannel(t *testing.T) {
	y := run(t, Mul{}, ramp(1, 2, 1, 2), tensor.FromData([]float32{10, 100}, 1, 2, 1, 1))
	near(t, "mul", y.Data, 0, 10, 200, 300)
	if _, err := (Mul{}).OutShape([]tensor.Shape{{1, 2, 2, 2}, {1, 3, 1, 1}}); err == nil {
		t.Error("Mul accepted a scale with the wrong channel count")
	}
}

func TestConcatAndAdd(t *testing.T) {
	a, b := ramp(2, 1, 1, 2), ramp(2, 2, 1, 2)
	near(t, "concat", run(t, Concat{}, a, b).Data, 0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 6, 7)
	near(t, "add", run(t, Add{}, a, a, a).Data, 0, 3, 6, 9)
	if _, err := (Add{}).OutShape([]tensor.Shape{{1, 2}, {1, 3}}); err == nil {
		t.Error("Add accepted different shapes")
	}
}

func TestSoftmaxSumsToOne(t *testing.T) {
	y := run(t, Softmax{}, tensor.FromData([]float32{1000, 1000, 0, -1000}, 1, 4))
	near(t, "softmax", y.Data, 0.5, 0.5, 0, 0)
}

// LeNet-5's sparse C3: absent connections contribute nothing and are not counted.
func TestConvConnectionsMaskWeightsAndCounts(t *testing.T) {
	c := NewConv2D(2, 2, 1)
	c.Connections = [][]bool{{true, false}, {true, true}}
	copy(c.Weight.Data, []float32{1, 100, 1, 1})
	y := run(t, c, tensor.FromData([]float32{1, 2}, 1, 2, 1, 1))
	near(t, "masked", y.Data, 1, 3)
	tr, _ := ParamCount(c)
	if tr != 3 {
		t.Errorf("params %d, want 3 connected weights", tr)
	}
	if m := c.Cost(nil, tensor.Shape{1, 2, 1, 1}).MACs; m != 3 {
		t.Errorf("MACs %d, want 3", m)
	}
}

func TestSubsampleAndRBF(t *testing.T) {
	s := NewSubsample(1, 2)
	s.Weight.Data[0], s.Bias.Data[0] = 0.5, 1
	near(t, "subsample", run(t, s, ramp(1, 1, 2, 2)).Data, (0+1+2+3)*0.5+1)
	r := NewRBF(2, 2)
	copy(r.Weight.Data, []float32{1, 1, -1, 0})
	near(t, "rbf", run(t, r, tensor.FromData([]float32{1, 2}, 1, 2)).Data, 1, 4+4)
}

func TestShapeErrorsAreErrors(t *testing.T) {
	bad := []struct {
		l  Layer
		in []tensor.Shape
	}{
		{NewConv2D(3, 8, 3), []tensor.Shape{{1, 4, 8, 8}}},
		{NewConv2D(3, 8, 5), []tensor.Shape{{1, 3, 2, 2}}},
		{NewDense(10, 2), []tensor.Shape{{1, 11}}},
		{MaxPool2D(3, 2, 0), []tensor.Shape{{1, 1, 2, 2}}},
		{&ChannelShuffle{Groups: 3}, []tensor.Shape{{1, 4, 2, 2}}},
		{Concat{}, []tensor.Shape{{1, 1, 2, 2}, {1, 1, 3, 3}}},
	}
	for _, b := range bad {
		if _, err := b.l.OutShape(b.in); err == nil {
			t.Errorf("%s accepted %v", b.l.Type(), b.in)
		}
	}
}

// TestMaxPoolMatchesBruteForce: the separable max pooling equals the max
// over each window taken directly, for kernels 2–5, strides 1–3, padding,
// ceil mode, odd sizes, and NaN inputs (which propagate, as in PyTorch).
func TestMaxPoolMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for k := 2; k <= 5; k++ {
		for s := 1; s <= 3; s++ {
			for pad := 0; pad <= k/2; pad++ {
				for _, ceil := range []bool{false, true} {
					for _, hw := range [][2]int{{7, 9}, {12, 5}, {k, k + 1}} {
						p := MaxPool2D(k, s, pad)
						p.Ceil = ceil
						x := tensor.New(2, 3, hw[0], hw[1])
						for i := range x.Data {
							x.Data[i] = r.Float32()*2 - 1
						}
						x.Data[r.IntN(len(x.Data))] = float32(math.NaN())
						y := run(t, p, x)
						h, w, oh, ow := hw[0], hw[1], y.Shape[2], y.Shape[3]
						for nc := 0; nc < 6; nc++ {
							for oy := 0; oy < oh; oy++ {
								for ox := 0; ox < ow; ox++ {
									m, nan := float32(math.Inf(-1)), false
									for iy := max(oy*s-pad, 0); iy < min(oy*s-pad+k, h); iy++ {
										for ix := max(ox*s-pad, 0); ix < min(ox*s-pad+k, w); ix++ {
											v := x.Data[(nc*h+iy)*w+ix]
											nan = nan || v != v
											m = max(m, v)
										}
									}
									got := y.Data[(nc*oh+oy)*ow+ox]
									if nan != (got != got) || (!nan && got != m) {
										t.Fatalf("k=%d s=%d pad=%d ceil=%t %dx%d: out(%d,%d,%d) = %v, want %v",
											k, s, pad, ceil, h, w, nc, oy, ox, got, m)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
