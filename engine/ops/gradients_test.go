package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/train/gradcheck"
)

// Gradient checks of every op against float64 central differences of its
// float32 forward pass (see engine/train/gradcheck). Gates: relative L2
// error of each gradient ≤ maxRelL2 and worst element ≤ maxRel (relative,
// with a floor at 1% of the largest gradient). Measured worst errors are in
// engine/train/gradcheck/TOLERANCES.md; GRADCHECK_REPORT=1 prints them.
const (
	maxRelL2 = 2e-4
	maxRel   = 3e-3
)

// rnd returns a tensor uniform in [-1, 1).
func rnd(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(2*r.Float64() - 1)
	}
	return t
}

// awayFrom returns a tensor uniform in [lo, hi) whose elements keep at least
// gap from every kink.
func awayFrom(r *rand.Rand, lo, hi, gap float64, kinks []float64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
	draw:
		v := lo + (hi-lo)*r.Float64()
		for _, k := range kinks {
			if math.Abs(v-k) < gap {
				goto draw
			}
		}
		t.Data[i] = float32(v)
	}
	return t
}

// distinct returns a tensor whose planes hold a random permutation of
// evenly spaced values (spacing 0.05): no max-pool window has a near tie.
func distinct(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	plane := shape[len(shape)-1] * shape[len(shape)-2]
	for off := 0; off < len(t.Data); off += plane {
		for i, p := range r.Perm(plane) {
			t.Data[off+i] = float32(0.05*float64(p) - 0.025*float64(plane))
		}
	}
	return t
}

type gradCase struct {
	name  string
	layer func(r *rand.Rand) ops.Layer
	in    func(r *rand.Rand) []*tensor.Tensor
	opt   gradcheck.Options
}

func conv(cin, cout, k int, opts ...ops.ConvOpt) func(r *rand.Rand) ops.Layer {
	return func(r *rand.Rand) ops.Layer {
		c := ops.NewConv2D(cin, cout, k, opts...)
		c.Init(r)
		if c.Bias != nil { // make the bias visible
			for i := range c.Bias.Data {
				c.Bias.Data[i] = float32(r.Float64() - 0.5)
			}
		}
		return c
	}
}

func one(f func(r *rand.Rand) *tensor.Tensor) func(r *rand.Rand) []*tensor.Tensor {
	return func(r *rand.Rand) []*tensor.Tensor { return []*tensor.Tensor{f(r)} }
}

func uniformIn(shape ...int) func(r *rand.Rand) []*tensor.Tensor {
	return one(func(r *rand.Rand) *tensor.Tensor { return rnd(r, shape...) })
}

func fixed(l ops.Layer) func(r *rand.Rand) ops.Layer { return func(*rand.Rand) ops.Layer { return l } }

func gradCases() []gradCase {
	relu := []float64{0}
	return []gradCase{
		{name: "conv2d-3x3-pad1-bias", layer: conv(3, 4, 3, ops.Pad(1), ops.Bias()), in: uniformIn(2, 3, 6, 6)},
		{name: "conv2d-3x3-stride2-pad1", layer: conv(3, 5, 3, ops.Stride(2), ops.Pad(1)), in: uniformIn(2, 3, 7, 7)},
		{name: "conv2d-2x3-asymmetric-pad", layer: conv(2, 3, 0, ops.Rect(2, 3), ops.PadTBLR(0, 1, 2, 1), ops.Bias()), in: uniformIn(2, 2, 5, 6)},
		{name: "conv2d-3x3-dilation2", layer: conv(2, 3, 3, ops.Dilation(2), ops.Pad(2)), in: uniformIn(1, 2, 7, 7)},
		{name: "conv2d-stride3-kernel2", layer: conv(2, 3, 2, ops.Stride(3)), in: uniformIn(2, 2, 8, 7)},
		{name: "conv2d-pad-larger-than-kernel", layer: conv(2, 2, 2, ops.Pad(3)), in: uniformIn(1, 2, 3, 3)},
		{name: "conv2d-groups2", layer: conv(4, 6, 3, ops.Groups(2), ops.Pad(1), ops.Bias()), in: uniformIn(2, 4, 5, 5)},
		{name: "conv2d-depthwise", layer: conv(4, 4, 3, ops.Groups(4), ops.Pad(1)), in: uniformIn(2, 4, 6, 6)},
		{name: "conv2d-depthwise-stride2", layer: conv(4, 4, 3, ops.Groups(4), ops.Stride(2), ops.Pad(1), ops.Bias()), in: uniformIn(2, 4, 7, 7)},
		{name: "conv2d-depthwise-5x5-multiplier2", layer: conv(3, 6, 5, ops.Groups(3), ops.Pad(2)), in: uniformIn(1, 3, 6, 5)},
		{name: "conv2d-depthwise-dilation2-asymmetric", layer: conv(2, 2, 3, ops.Groups(2), ops.Dilation(2), ops.PadTBLR(1, 2, 2, 0)), in: uniformIn(2, 2, 6, 6)},
		{name: "conv2d-pointwise", layer: conv(5, 7, 1, ops.Bias()), in: uniformIn(2, 5, 4, 4)},
		{name: "conv2d-pointwise-grouped", layer: conv(6, 9, 1, ops.Groups(3)), in: uniformIn(2, 6, 3, 4)},
		{name: "conv2d-pointwise-stride2", layer: conv(3, 4, 1, ops.Stride(2)), in: uniformIn(2, 3, 5, 5)},
		{name: "conv2d-single-input-channel", layer: conv(1, 6, 5, ops.Bias()), in: uniformIn(2, 1, 7, 7)},
		{name: "conv2d-lenet-connections", layer: func(r *rand.Rand) ops.Layer {
			c := conv(4, 3, 3, ops.Bias())(r).(*ops.Conv2D)
			c.Connections = [][]bool{{true, true, false, false}, {false, true, true, true}, {true, false, false, true}}
			return c
		}, in: uniformIn(2, 4, 5, 5)},
		{name: "conv2d-im2col-forward", layer: conv(3, 4, 3, ops.Stride(2), ops.Pad(1), ops.Bias()), in: uniformIn(2, 3, 7, 7),
			opt: gradcheck.Options{Algo: "im2col"}},
		{name: "dense", layer: func(r *rand.Rand) ops.Layer {
			d := ops.NewDense(7, 5)
			d.Init(r)
			return d
		}, in: uniformIn(3, 7)},
		{name: "dense-no-bias", layer: func(r *rand.Rand) ops.Layer {
			d := ops.NewDenseNoBias(6, 4)
			d.Init(r)
			return d
		}, in: uniformIn(2, 6)},
		{name: "batchnorm2d-train", layer: func(r *rand.Rand) ops.Layer {
			b := ops.NewBatchNorm2D(3)
			b.Init(r)
			return b
		}, in: one(func(r *rand.Rand) *tensor.Tensor {
			x := rnd(r, 4, 3, 3, 3)
			for i := range x.Data { // an offset and scale per channel, as real activations have
				c := i / 9 % 3
				x.Data[i] = x.Data[i]*float32(1+c) + float32(c)
			}
			return x
		})},
		{name: "batchnorm2d-train-1x1-maps", layer: func(r *rand.Rand) ops.Layer {
			b := ops.NewBatchNorm2D(4)
			b.Init(r)
			return b
		}, in: uniformIn(5, 4, 1, 1), opt: gradcheck.Options{Step: 3e-3}}, // 5 values per channel: strongly curved
		{name: "relu", layer: fixed(ops.ReLU()), in: one(func(r *rand.Rand) *tensor.Tensor { return awayFrom(r, -1, 1, 0.05, relu, 2, 3, 4, 4) })},
		{name: "relu6", layer: fixed(ops.ReLU6()), in: one(func(r *rand.Rand) *tensor.Tensor {
			return awayFrom(r, -2, 8, 0.05, []float64{0, 6}, 2, 3, 4, 4)
		})},
		{name: "silu", layer: fixed(ops.SiLU()), in: one(func(r *rand.Rand) *tensor.Tensor { return awayFrom(r, -4, 4, 0, nil, 2, 3, 4, 4) })},
		{name: "sigmoid", layer: fixed(ops.Sigmoid()), in: one(func(r *rand.Rand) *tensor.Tensor { return awayFrom(r, -4, 4, 0, nil, 2, 3, 4, 4) })},
		{name: "tanh", layer: fixed(ops.Tanh()), in: one(func(r *rand.Rand) *tensor.Tensor { return awayFrom(r, -2, 2, 0, nil, 2, 3, 4, 4) })},
		{name: "lecun-tanh", layer: fixed(ops.LeCunTanh()), in: one(func(r *rand.Rand) *tensor.Tensor { return awayFrom(r, -2, 2, 0, nil, 2, 3, 4, 4) })},
		{name: "maxpool-2x2-stride2", layer: fixed(ops.MaxPool2D(2, 2, 0)), in: one(func(r *rand.Rand) *tensor.Tensor { return distinct(r, 2, 3, 6, 6) })},
		{name: "maxpool-3x3-stride2-pad1-ceil", layer: fixed(ops.MaxPool2D(3, 2, 1).CeilMode()), in: one(func(r *rand.Rand) *tensor.Tensor { return distinct(r, 2, 2, 6, 7) })},
		{name: "maxpool-3x3-stride1-overlapping", layer: fixed(ops.MaxPool2D(3, 1, 1)), in: one(func(r *rand.Rand) *tensor.Tensor { return distinct(r, 1, 2, 5, 5) })},
		{name: "avgpool-3x3-stride2-pad1-count-include-pad", layer: fixed(ops.AvgPool2D(3, 2, 1)), in: uniformIn(2, 2, 6, 6)},
		{name: "avgpool-3x3-stride2-pad1-ceil-exclude-pad", layer: fixed(&ops.Pool2D{K: 3, Stride: 2, Pad: 1, Ceil: true}), in: uniformIn(2, 2, 6, 7)},
		{name: "avgpool-2x2-ceil", layer: fixed(ops.AvgPool2D(2, 2, 0).CeilMode()), in: uniformIn(1, 3, 5, 5)},
		{name: "adaptive-avgpool-5x7-to-3x2", layer: fixed(&ops.AdaptiveAvgPool2D{OutH: 3, OutW: 2}), in: uniformIn(2, 2, 5, 7)},
		{name: "global-avgpool", layer: fixed(ops.GlobalAvgPool()), in: uniformIn(2, 3, 4, 5)},
		{name: "lrn-size5", layer: fixed(&ops.LRN{Size: 5, Alpha: 0.5, Beta: 0.75, K: 2}), in: uniformIn(2, 7, 3, 3)},
		{name: "lrn-size4-even-window", layer: fixed(&ops.LRN{Size: 4, Alpha: 1, Beta: 0.75, K: 1}), in: uniformIn(1, 6, 2, 3)},
		{name: "dropout-train-p0.5", layer: fixed(&ops.Dropout{P: 0.5}), in: uniformIn(3, 10)},
		{name: "dropout-train-p0", layer: fixed(&ops.Dropout{P: 0}), in: uniformIn(3, 10)},
		{name: "stochastic-depth-train-p0.5", layer: fixed(&ops.StochasticDepth{P: 0.5}), in: uniformIn(6, 2, 3, 3)},
		{name: "identity", layer: fixed(ops.Identity{}), in: uniformIn(2, 3, 2, 2)},
		{name: "flatten", layer: fixed(ops.Flatten{}), in: uniformIn(2, 3, 2, 2)},
		{name: "concat-3-inputs", layer: fixed(ops.Concat{}), in: func(r *rand.Rand) []*tensor.Tensor {
			return []*tensor.Tensor{rnd(r, 2, 1, 3, 3), rnd(r, 2, 3, 3, 3), rnd(r, 2, 2, 3, 3)}
		}},
		{name: "add-3-inputs", layer: fixed(ops.Add{}), in: func(r *rand.Rand) []*tensor.Tensor {
			return []*tensor.Tensor{rnd(r, 2, 3, 3, 3), rnd(r, 2, 3, 3, 3), rnd(r, 2, 3, 3, 3)}
		}},
		{name: "mul-broadcast-nc11", layer: fixed(ops.Mul{}), in: func(r *rand.Rand) []*tensor.Tensor {
			return []*tensor.Tensor{rnd(r, 2, 3, 4, 4), rnd(r, 2, 3, 1, 1)}
		}},
		{name: "mul-elementwise", layer: fixed(ops.Mul{}), in: func(r *rand.Rand) []*tensor.Tensor {
			return []*tensor.Tensor{rnd(r, 2, 3, 2, 2), rnd(r, 2, 3, 2, 2)}
		}},
		{name: "channel-shuffle-g3", layer: fixed(&ops.ChannelShuffle{Groups: 3}), in: uniformIn(2, 6, 2, 2)},
		{name: "softmax", layer: fixed(ops.Softmax{}), in: uniformIn(3, 6)},
		{name: "subsample-odd-size", layer: func(r *rand.Rand) ops.Layer {
			s := ops.NewSubsample(3, 2)
			s.Init(r)
			return s
		}, in: uniformIn(2, 3, 5, 5)},
		{name: "rbf", layer: func(r *rand.Rand) ops.Layer {
			l := ops.NewRBF(6, 4)
			l.Init(r)
			return l
		}, in: uniformIn(3, 6)},
	}
}

// TestGradients checks every op; GRADCHECK_SEED=n draws other shapes'
// values and coordinates (the gates hold for seeds 0-19).
func TestGradients(t *testing.T) {
	report := os.Getenv("GRADCHECK_REPORT") != ""
	base, _ := strconv.ParseUint(os.Getenv("GRADCHECK_SEED"), 10, 64)
	var lines []string
	for i, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i)+1, 7+base))
			l := c.layer(r)
			in := c.in(r)
			opt := c.opt
			opt.Seed = uint64(i) + 11 + 1000*base
			res, err := gradcheck.Layer(l, in, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range res {
				if !(x.RelL2 <= maxRelL2) || !(x.MaxRel <= maxRel) {
					t.Errorf("%s", x)
				}
				if report {
					lines = append(lines, fmt.Sprintf("| %s | %s | %d | %.1e | %.1e |", c.name, x.Name, x.Checked, x.RelL2, x.MaxRel))
				}
			}
		})
	}
	if report {
		sort.Strings(lines)
		fmt.Println(strings.Join(lines, "\n"))
	}
}
