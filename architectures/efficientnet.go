package architectures

import (
	"math"
	"strconv"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// EfficientNet-B0 to B7 (Tan & Le 2019, arXiv:1905.11946) exactly as
// torchvision builds them (torchvision/models/efficientnet.py), state-dict
// keys included:
//
//	features.0       Conv2dNormActivation: .0 conv 3×3/2 (no bias), .1 BN, .2 SiLU
//	features.1..7    stages of MBConv blocks features.S.B.block.K:
//	                   [.0 expand 1×1 conv/BN/SiLU, only when expand ratio ≠ 1]
//	                   dw:      .0 depthwise k×k conv (stride in block 0), .1 BN, .2 SiLU
//	                   SE:      avgpool, fc1 (1×1 conv with bias), SiLU, fc2 (1×1 conv with bias), sigmoid, scale
//	                   project: .0 1×1 conv, .1 BN (no activation)
//	                 plus the input when stride is 1 and channels are unchanged
//	                 (stochastic depth is the identity in eval)
//	features.8       1×1 conv to 4×(last stage channels), BN, SiLU
//	avgpool          global average pooling   classifier.0 Dropout   classifier.1 Linear
//
// Compound scaling: channels c·w rounded to a multiple of 8 (never below
// 90%), stage depths ceil(L·d). Convolution padding is torchvision's
// symmetric (k−1)/2, not TF's "SAME" (same output sizes, so same MACs). BN
// eps is torchvision's: PyTorch's default 1e-5 for B0–B4, 1e-3 for B5–B7.

// efficientNetStages is B0's stage table (Table 1 / torchvision's
// _efficientnet_conf): expand ratio, kernel, stride, input and output
// channels, layers.
var efficientNetStages = [7]struct{ expand, kernel, stride, cin, cout, layers int }{
	{1, 3, 1, 32, 16, 1},
	{6, 3, 2, 16, 24, 2},
	{6, 5, 2, 24, 40, 2},
	{6, 3, 2, 40, 80, 3},
	{6, 5, 1, 80, 112, 3},
	{6, 5, 2, 112, 192, 4},
	{6, 3, 1, 192, 320, 1},
}

// efficientNetDivisible is torchvision's _make_divisible(v, 8): the nearest
// multiple of 8, at least 8, never more than 10% below v.
func efficientNetDivisible(v float64) int {
	n := max(8, int(v+4)/8*8)
	if float64(n) < 0.9*v {
		n += 8
	}
	return n
}

// efficientNetBuilder returns the builder for width and depth multipliers.
func efficientNetBuilder(width, depth, dropout, eps float64) func(Options) (*graph.Graph, error) {
	return efficientNetStridedBuilder(width, depth, dropout, eps, 2, [7]int{})
}

// efficientNetStridedBuilder returns the builder for width and depth
// multipliers with the stem conv's stride and each stage's stride given (a
// zero stage stride keeps the table's).
func efficientNetStridedBuilder(width, depth, dropout, eps float64, stemStride int, strides [7]int) func(Options) (*graph.Graph, error) {
	return func(o Options) (*graph.Graph, error) {
		bn := func(c int) *ops.BatchNorm2D { return ops.NewBatchNorm2DEps(c, eps) }
		g, x := graph.New("efficientnet", o.Input)
		stem := efficientNetDivisible(float64(efficientNetStages[0].cin) * width)
		x = g.Chain(x, "features.0.",
			graph.Named{Name: "0", Layer: ops.NewConv2D(o.Input[0], stem, 3, ops.Stride(stemStride), ops.Pad(1))},
			graph.Named{Name: "1", Layer: bn(stem)},
			graph.Named{Name: "2", Layer: ops.SiLU()},
		)
		cin := stem
		for si, st := range efficientNetStages {
			cout := efficientNetDivisible(float64(st.cout) * width)
			n := int(math.Ceil(float64(st.layers) * depth))
			for b := range n {
				stride := st.stride
				if strides[si] > 0 {
					stride = strides[si]
				}
				if b > 0 {
					stride = 1
				}
				prefix := "features." + strconv.Itoa(si+1) + "." + strconv.Itoa(b) + "."
				in := x
				exp := efficientNetDivisible(float64(cin * st.expand))
				k := 0
				sub := func() string { s := prefix + "block." + strconv.Itoa(k) + "."; k++; return s }
				if exp != cin {
					x = g.Chain(x, sub(),
						graph.Named{Name: "0", Layer: ops.NewConv2D(cin, exp, 1)},
						graph.Named{Name: "1", Layer: bn(exp)},
						graph.Named{Name: "2", Layer: ops.SiLU()},
					)
				}
				x = g.Chain(x, sub(),
					graph.Named{Name: "0", Layer: ops.NewConv2D(exp, exp, st.kernel, ops.Stride(stride), ops.Pad((st.kernel-1)/2), ops.Groups(exp))},
					graph.Named{Name: "1", Layer: bn(exp)},
					graph.Named{Name: "2", Layer: ops.SiLU()},
				)
				se := sub()
				squeeze := max(1, cin/4)
				s := g.Chain(x, se,
					graph.Named{Name: "avgpool", Layer: ops.GlobalAvgPool()},
					graph.Named{Name: "fc1", Layer: ops.NewConv2D(exp, squeeze, 1, ops.Bias())},
					graph.Named{Name: "activation", Layer: ops.SiLU()},
					graph.Named{Name: "fc2", Layer: ops.NewConv2D(squeeze, exp, 1, ops.Bias())},
					graph.Named{Name: "scale_activation", Layer: ops.Sigmoid()},
				)
				x = g.Add(se+"scale", ops.Mul{}, x, s)
				x = g.Chain(x, sub(),
					graph.Named{Name: "0", Layer: ops.NewConv2D(exp, cout, 1)},
					graph.Named{Name: "1", Layer: bn(cout)},
				)
				if stride == 1 && cin == cout {
					x = g.Add(prefix+"add", ops.Add{}, x, in)
				}
				cin = cout
			}
		}
		last := 4 * cin
		x = g.Chain(x, "features.8.",
			graph.Named{Name: "0", Layer: ops.NewConv2D(cin, last, 1)},
			graph.Named{Name: "1", Layer: bn(last)},
			graph.Named{Name: "2", Layer: ops.SiLU()},
		)
		x = g.Add("avgpool", ops.GlobalAvgPool(), x)
		x = g.Add("flatten", ops.Flatten{}, x)
		g.Chain(x, "classifier.",
			graph.Named{Name: "0", Layer: &ops.Dropout{P: dropout}},
			graph.Named{Name: "1", Layer: ops.NewDense(last, o.Classes)},
		)
		return g, g.Err()
	}
}

func init() {
	const (
		table2 = "Tan & Le 2019 (arXiv:1905.11946, final version) Table 2"
		common = "Counting: params = conv and FC weights, SE and FC biases, BN gamma/beta (BN running statistics are buffers); " +
			"MACs = conv (SE 1x1 convs included) + FC multiply-accumulates, which equal torchvision's GFLOPS to all printed digits. "
		footnote = "The paper's FLOPS are mult-adds by value; its footnote says they \"may differ from theoretical value due to rounding\". "
	)
	type effVariant struct {
		width, depth, dropout, eps float64
		res                        int
		params, macs               int64 // exact = torchvision num_params and GFLOPS
		tvGFLOPS                   string
		pParams, pParamsPrec       float64
		pMACs, pMACsPrec           float64
		pParamsText, pMACsText     string
		gap                        string
	}
	variants := []effVariant{
		{1.0, 1.0, 0.2, 1e-5, 224, 5288548, 385814752, "0.386", 5.3e6, 0.1e6, 0.39e9, 0.01e9, "5.3M", "0.39B", ""},
		{1.0, 1.1, 0.2, 1e-5, 240, 7794184, 686802832, "0.687", 7.8e6, 0.1e6, 0.70e9, 0.01e9, "7.8M", "0.70B",
			"The paper's 0.70B FLOPS is 2% above the exact 686,802,832 MACs (0.69B): " + footnote},
		{1.1, 1.2, 0.3, 1e-5, 260, 9109994, 993561872, "1.088 at 288", 9.2e6, 0.1e6, 1.0e9, 0.1e9, "9.2M", "1.0B",
			"The paper's 9.2M params is above the exact 9,109,994 (9.1M); counting the BN running statistics too " +
				"(TF counts every variable; Keras prints 9,177,569 with its 7-value input normalization) gives 9,177,562, " +
				"which rounds to 9.2M, but B1 counted that way would be 7.9M against the paper's 7.8M, so the paper's " +
				"rounding is not consistent. torchvision evaluates B2 at 288, not 260: its GFLOPS 1.088 is ours at 288 (1,087,529,456)."},
		{1.2, 1.4, 0.3, 1e-5, 300, 12233232, 1827141392, "1.827", 12e6, 1e6, 1.8e9, 0.1e9, "12M", "1.8B", ""},
		{1.4, 1.8, 0.4, 1e-5, 380, 19341616, 4393771024, "4.394", 19e6, 1e6, 4.2e9, 0.1e9, "19M", "4.2B",
			"The paper's 4.2B FLOPS is 4% below the exact 4,393,771,024 MACs (4.4B): " + footnote},
		{1.6, 2.2, 0.4, 1e-3, 456, 30389784, 10266384752, "10.266", 30e6, 1e6, 9.9e9, 0.1e9, "30M", "9.9B",
			"The paper's 9.9B FLOPS is 4% below the exact 10,266,384,752 MACs (10.3B): " + footnote},
		{1.8, 2.6, 0.5, 1e-3, 528, 43040704, 19067593536, "19.068", 43e6, 1e6, 19e9, 1e9, "43M", "19B", ""},
		{2.0, 3.1, 0.5, 1e-3, 600, 66347960, 37745884192, "37.746", 66e6, 1e6, 37e9, 1e9, "66M", "37B",
			"The paper's 37B FLOPS is below the exact 37,745,884,192 MACs, which round to 38B (the README says 37B too): " + footnote},
	}
	for i, v := range variants {
		b := "b" + strconv.Itoa(i)
		name := "efficientnet_" + b
		res := strconv.Itoa(v.res)
		note := "EfficientNet-B" + strconv.Itoa(i) + " (width " + strconv.FormatFloat(v.width, 'f', 1, 64) +
			", depth " + strconv.FormatFloat(v.depth, 'f', 1, 64) + ", " + res + "x" + res + ", dropout " +
			strconv.FormatFloat(v.dropout, 'f', 1, 64) + ", BN eps " + strconv.FormatFloat(v.eps, 'g', -1, 64) +
			") as torchvision " + name + ": " + mobileCommas(v.params) + " params (= torchvision num_params), " +
			mobileCommas(v.macs) + " MACs at " + res + " (torchvision GFLOPS " + v.tvGFLOPS + "). " + common
		if v.gap != "" {
			note += v.gap
		} else {
			note += "Table 2's " + v.pParamsText + " params and " + v.pMACsText + " FLOPS are these rounded to their printed digits."
		}
		Register(Spec{Name: name, Family: "EfficientNet", Input: tensor.Shape{3, v.res, v.res}, Classes: 1000,
			Torchvision: name,
			PaperParams: Reported{Value: v.pParams, Precision: v.pParamsPrec, Source: table2 + ", #Params " + v.pParamsText},
			PaperMACs:   Reported{Value: v.pMACs, Precision: v.pMACsPrec, Source: table2 + ", #FLOPS " + v.pMACsText + " (mult-adds)"},
			Note:        note,
			Build:       efficientNetBuilder(v.width, v.depth, v.dropout, v.eps)})
	}
}
