package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

func randT(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(2*r.Float64() - 1)
	}
	return t
}

// backward runs l forward (training mode, fixed mask seed) and backward
// with dOut, returning the input and parameter gradients.
func backward(t *testing.T, l Layer, threads int, dOut *tensor.Tensor, in ...*tensor.Tensor) ([]*tensor.Tensor, []*tensor.Tensor) {
	t.Helper()
	shapes := make([]tensor.Shape, len(in))
	for i, x := range in {
		shapes[i] = x.Shape
	}
	s, err := l.OutShape(shapes)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &Context{Threads: threads}
	out := tensor.New(s...)
	saved, err := ForwardTrainOf(l, ctx, rand.New(rand.NewPCG(1, 2)), out, in)
	if err != nil {
		t.Fatal(err)
	}
	g := &Grad{In: in, Out: out, Saved: saved, DOut: dOut, DIn: make([]*tensor.Tensor, len(in))}
	for i, x := range in {
		g.DIn[i] = tensor.New(x.Shape...)
	}
	for _, p := range l.Params() {
		var d *tensor.Tensor
		if !p.Buffer {
			d = tensor.New(p.T.Shape...)
		}
		g.DParams = append(g.DParams, d)
	}
	if err := l.(Backwarder).Backward(ctx, g); err != nil {
		t.Fatal(err)
	}
	return g.DIn, g.DParams
}

func sameBits(a, b []*tensor.Tensor) bool {
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) {
			return false
		}
		if a[i] == nil {
			continue
		}
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				return false
			}
		}
	}
	return true
}

// Gradients are bitwise identical for any thread count (work is split over
// outputs only), and the conv backward's chunking of images does not change
// the input gradient, nor the weight gradient beyond the order of one sum.
func TestBackwardThreadInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	layers := map[string]func() (Layer, []*tensor.Tensor){
		"conv-gemm": func() (Layer, []*tensor.Tensor) {
			c := NewConv2D(8, 16, 3, Pad(1), Stride(2), Bias())
			c.Init(r)
			return c, []*tensor.Tensor{randT(r, 4, 8, 33, 31)}
		},
		"conv-depthwise": func() (Layer, []*tensor.Tensor) {
			c := NewConv2D(16, 16, 3, Pad(1), Groups(16))
			c.Init(r)
			return c, []*tensor.Tensor{randT(r, 3, 16, 20, 20)}
		},
		"dense": func() (Layer, []*tensor.Tensor) {
			d := NewDense(300, 70)
			d.Init(r)
			return d, []*tensor.Tensor{randT(r, 9, 300)}
		},
		"batchnorm": func() (Layer, []*tensor.Tensor) {
			return NewBatchNorm2D(8), []*tensor.Tensor{randT(r, 4, 8, 9, 9)}
		},
		"maxpool": func() (Layer, []*tensor.Tensor) { return MaxPool2D(3, 2, 1), []*tensor.Tensor{randT(r, 4, 8, 17, 17)} },
		"lrn": func() (Layer, []*tensor.Tensor) {
			return &LRN{Size: 5, Alpha: 1e-3, Beta: 0.75, K: 2}, []*tensor.Tensor{randT(r, 2, 9, 8, 8)}
		},
	}
	for name, mk := range layers {
		t.Run(name, func(t *testing.T) {
			l, in := mk()
			shapes := []tensor.Shape{in[0].Shape}
			s, _ := l.OutShape(shapes)
			dy := randT(r, s...)
			din1, dp1 := backward(t, l, 1, dy, in...)
			for _, th := range []int{2, 3, 7} {
				din, dp := backward(t, l, th, dy, in...)
				if !sameBits(din1, din) || !sameBits(dp1, dp) {
					t.Errorf("threads %d: gradients differ from 1 thread", th)
				}
			}
		})
	}
}

func TestConvBackwardChunking(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	c := NewConv2D(6, 4, 3, Pad(1), Groups(2), Bias())
	c.Init(r)
	x := randT(r, 5, 6, 7, 7)
	dy := randT(r, 5, 4, 7, 7)
	din1, dp1 := backward(t, c, 2, dy, x)
	defer func(v int) { maxColElems = v }(maxColElems)
	maxColElems = 2 * 27 * 49 // two images per chunk: chunks of 2, 2, 1
	din2, dp2 := backward(t, c, 2, dy, x)
	if !sameBits(din1, din2) {
		t.Error("input gradient depends on the chunking")
	}
	for i := range dp1 {
		for j := range dp1[i].Data {
			if d := math.Abs(float64(dp1[i].Data[j] - dp2[i].Data[j])); d > 1e-5 {
				t.Fatalf("param %d element %d: %v vs %v", i, j, dp1[i].Data[j], dp2[i].Data[j])
			}
		}
	}
}

// Dropout keeps about 1−p of the elements, scales them by 1/(1−p), draws
// the same mask from the same stream, and is the identity in Forward.
func TestDropoutTrainingMask(t *testing.T) {
	d := &Dropout{P: 0.3}
	x := tensor.New(1, 10000)
	x.Fill(1)
	run := func(seed uint64) *tensor.Tensor {
		out := tensor.New(1, 10000)
		if _, err := d.ForwardTrain(&Context{}, rand.New(rand.NewPCG(seed, 0)), out, []*tensor.Tensor{x}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, c := run(1), run(1), run(2)
	kept, differ := 0, 0
	for i, v := range a.Data {
		switch v {
		case 0:
		case float32(1 / 0.7):
			kept++
		default:
			t.Fatalf("element %d = %v, want 0 or 1/0.7", i, v)
		}
		if v != b.Data[i] {
			t.Fatal("same seed, different masks")
		}
		if v != c.Data[i] {
			differ++
		}
	}
	if kept < 6800 || kept > 7200 {
		t.Errorf("kept %d of 10000 at p=0.3", kept)
	}
	if differ == 0 {
		t.Error("different seeds gave the same mask")
	}
	y := run(1)
	if err := d.Forward(&Context{}, y, []*tensor.Tensor{x}); err != nil || y.Data[0] != 1 {
		t.Error("eval Forward is not the identity")
	}
}

func TestStochasticDepthDropsWholeSamples(t *testing.T) {
	s := &StochasticDepth{P: 0.5}
	x := tensor.New(64, 2, 3, 3)
	x.Fill(1)
	out := tensor.New(x.Shape...)
	if _, err := s.ForwardTrain(&Context{}, rand.New(rand.NewPCG(9, 9)), out, []*tensor.Tensor{x}); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for b := 0; b < 64; b++ {
		v := out.Data[b*18]
		for _, u := range out.Data[b*18 : (b+1)*18] {
			if u != v {
				t.Fatalf("sample %d partly dropped", b)
			}
		}
		if v == 2 {
			kept++
		} else if v != 0 {
			t.Fatalf("sample %d scaled by %v", b, v)
		}
	}
	if kept < 16 || kept > 48 {
		t.Errorf("kept %d of 64 at p=0.5", kept)
	}
}

// BatchNorm in training mode normalises with the batch statistics and
// moves the running statistics by momentum 0.1 towards the batch mean and
// the unbiased batch variance, as torch.nn.BatchNorm2d does.
func TestBatchNormTrainingUpdatesRunningStats(t *testing.T) {
	bn := NewBatchNorm2D(1)
	x := tensor.FromData([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 1, 2, 2) // mean 4.5, var 5.25 (unbiased 6)
	out := tensor.New(2, 1, 2, 2)
	if _, err := bn.ForwardTrain(&Context{}, nil, out, []*tensor.Tensor{x}); err != nil {
		t.Fatal(err)
	}
	near(t, "running mean", bn.RunningMean.Data, 0.45)
	near(t, "running var", bn.RunningVar.Data, 0.9+0.6)
	inv := 1 / math.Sqrt(5.25+1e-5)
	near(t, "out[0], out[7]", []float32{out.Data[0], out.Data[7]}, -3.5*inv, 3.5*inv)
	if _, err := bn.ForwardTrain(&Context{}, nil, tensor.New(1, 1, 1, 1), []*tensor.Tensor{tensor.New(1, 1, 1, 1)}); err == nil {
		t.Error("one value per channel accepted in training")
	}
}

// Every op of the zoo can be trained through.
func TestEveryOpHasBackward(t *testing.T) {
	layers := []Layer{NewConv2D(1, 1, 1), NewDense(1, 1), NewBatchNorm2D(1), ReLU(), ReLU6(), SiLU(), Sigmoid(),
		Tanh(), LeCunTanh(), MaxPool2D(2, 2, 0), AvgPool2D(2, 2, 0), GlobalAvgPool(), &LRN{}, &Dropout{}, Identity{},
		Flatten{}, Concat{}, Add{}, Mul{}, &ChannelShuffle{}, Softmax{}, NewSubsample(1, 2), NewRBF(1, 1), &StochasticDepth{}}
	for _, l := range layers {
		if _, ok := l.(Backwarder); !ok {
			t.Errorf("%s has no backward pass", l.Type())
		}
	}
}
