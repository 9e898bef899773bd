package architectures

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// DenseNet-BC (Huang, Liu, van der Maaten, Weinberger 2017, arXiv:1608.06993)
// in torchvision's layout and keys: features.conv0/norm0 (7×7/2 stem with 2k
// channels, 3×3/2 max pooling), features.denseblockB.denselayerL.norm1/conv1
// (BN-ReLU-1×1 conv to 4k) and norm2/conv2 (BN-ReLU-3×3 conv to k), each
// layer's output concatenated to its input, features.transitionB.norm/conv
// (BN-ReLU-1×1 conv halving the channels, 2×2/2 average pooling),
// features.norm5, then ReLU, global average pooling and classifier.
//
// densenet_bc_100_12 is the paper's CIFAR DenseNet-BC (L=100, k=12): a 3×3
// stem conv with 2k = 24 channels, three blocks of 16 bottleneck layers,
// compression 0.5, the same key layout without norm0.

// densenetBlock adds a dense block of n layers and returns its output and
// channel count.
func densenetBlock(g *graph.Graph, x *graph.Node, p string, cin, n, k int) (*graph.Node, int) {
	for l := 1; l <= n; l++ {
		q := fmt.Sprintf("%sdenselayer%d.", p, l)
		y := g.Chain(x, q,
			graph.Named{Name: "norm1", Layer: ops.NewBatchNorm2D(cin)},
			graph.Named{Name: "relu1", Layer: ops.ReLU()},
			graph.Named{Name: "conv1", Layer: ops.NewConv2D(cin, 4*k, 1)},
			graph.Named{Name: "norm2", Layer: ops.NewBatchNorm2D(4 * k)},
			graph.Named{Name: "relu2", Layer: ops.ReLU()},
			graph.Named{Name: "conv2", Layer: ops.NewConv2D(4*k, k, 3, ops.Pad(1))},
		)
		x = g.Add(q+"cat", ops.Concat{}, x, y)
		cin += k
	}
	return x, cin
}

// densenetTransition adds a transition (BN-ReLU-1×1 conv to cout, 2×2/2
// average pooling).
func densenetTransition(g *graph.Graph, x *graph.Node, p string, cin, cout int) *graph.Node {
	return g.Chain(x, p,
		graph.Named{Name: "norm", Layer: ops.NewBatchNorm2D(cin)},
		graph.Named{Name: "relu", Layer: ops.ReLU()},
		graph.Named{Name: "conv", Layer: ops.NewConv2D(cin, cout, 1)},
		graph.Named{Name: "pool", Layer: ops.AvgPool2D(2, 2, 0)},
	)
}

// densenetBody adds the blocks, transitions (compression 0.5), norm5 and
// the head.
func densenetBody(g *graph.Graph, x *graph.Node, c, k int, blocks []int, classes int) {
	for i, n := range blocks {
		x, c = densenetBlock(g, x, fmt.Sprintf("features.denseblock%d.", i+1), c, n, k)
		if i != len(blocks)-1 {
			x = densenetTransition(g, x, fmt.Sprintf("features.transition%d.", i+1), c, c/2)
			c /= 2
		}
	}
	x = g.Chain(x, "",
		graph.Named{Name: "features.norm5", Layer: ops.NewBatchNorm2D(c)},
		graph.Named{Name: "relu", Layer: ops.ReLU()},
		graph.Named{Name: "avgpool", Layer: ops.GlobalAvgPool()},
		graph.Named{Name: "flatten", Layer: ops.Flatten{}},
	)
	g.Add("classifier", ops.NewDense(c, classes), x)
}

// densenetBuilder returns the builder of an ImageNet DenseNet-BC.
func densenetBuilder(k, init int, blocks []int) func(Options) (*graph.Graph, error) {
	return func(o Options) (*graph.Graph, error) {
		g, x := graph.New("densenet", o.Input)
		x = g.Chain(x, "features.",
			graph.Named{Name: "conv0", Layer: ops.NewConv2D(o.Input[0], init, 7, ops.Stride(2), ops.Pad(3))},
			graph.Named{Name: "norm0", Layer: ops.NewBatchNorm2D(init)},
			graph.Named{Name: "relu0", Layer: ops.ReLU()},
			graph.Named{Name: "pool0", Layer: ops.MaxPool2D(3, 2, 1)},
		)
		densenetBody(g, x, init, k, blocks, o.Classes)
		return g, g.Err()
	}
}

// densenetCIFARBuilder returns the builder of the CIFAR DenseNet-BC with
// depth L and growth k: (L−4)/6 bottleneck layers per block, 2k stem channels.
func densenetCIFARBuilder(depth, k int) func(Options) (*graph.Graph, error) {
	return func(o Options) (*graph.Graph, error) {
		n := (depth - 4) / 6
		g, x := graph.New("densenet_cifar", o.Input)
		x = g.Add("features.conv0", ops.NewConv2D(o.Input[0], 2*k, 3, ops.Pad(1)), x)
		densenetBody(g, x, 2*k, k, []int{n, n, n}, o.Classes)
		return g, g.Err()
	}
}

func init() {
	const (
		huang     = "Huang et al. 2017 (arXiv:1608.06993)"
		graphOnly = " The paper gives ImageNet params and FLOPs only graphically (Fig. 3), so torchvision's num_params and " +
			"GFLOPS (= GMACs, conv + linear) are given; both match exactly."
	)
	type dn struct {
		name      string
		blocks    []int
		tv        string
		params    Reported
		gmacs     float64
		gmacsPrec float64
		note      string
	}
	tvParams := func(name string, n int64) Reported {
		return Reported{Value: float64(n), Precision: 1, Source: "torchvision " + name + " num_params"}
	}
	nets := []dn{
		{name: "densenet121", blocks: []int{6, 12, 24, 16}, tv: "densenet121", params: tvParams("densenet121", 7978856),
			gmacs: 2.834, gmacsPrec: 1e6,
			note: "DenseNet-BC-121 (k=32, blocks 6-12-24-16)." + graphOnly},
		{name: "densenet169", blocks: []int{6, 12, 32, 32}, tv: "densenet169", params: tvParams("densenet169", 14149480),
			gmacs: 3.36, gmacsPrec: 1e7,
			note: "DenseNet-BC-169 (k=32, blocks 6-12-32-32)." + graphOnly},
		{name: "densenet201", blocks: []int{6, 12, 48, 32}, tv: "densenet201",
			params: Reported{Value: 20e6, Precision: 1e6, Source: huang + " Sec. 4.4 text: \"DenseNet-201 with 20M parameters\""},
			gmacs:  4.291, gmacsPrec: 1e6,
			note: "DenseNet-BC-201 (k=32, blocks 6-12-48-32): 20,013,928 params, as torchvision's num_params, round to the " +
				"paper's \"20M\". The paper gives FLOPs only graphically (Fig. 3): torchvision's GFLOPS 4.291 (= GMACs) is given " +
				"and matches exactly."},
		{name: "densenet264", blocks: []int{6, 12, 64, 48},
			params: Reported{Value: 34e6, Precision: 1e6, Source: "quoted by Tan & Le 2019 (EfficientNet) Table 2"},
			gmacs:  6.0, gmacsPrec: 0.1e9,
			note: "DenseNet-BC-264 (k=32, blocks 6-12-64-48; Table 1 of the paper, which plots its cost only in Fig. 3). " +
				"Not in torchvision. Exact: 33,337,704 trainable params, 5,751,653,376 MACs (conv + linear). EfficientNet's " +
				"quote (34M params, 6.0B FLOPs) is above both: counting the BN running statistics as parameters (Keras style, " +
				"+ 398,528 = 33,736,232) rounds to 34M, and the 6.0B is not reproduced by conv + linear MACs " +
				"(5.75e9); it likely includes BN/ReLU/pooling work or other rounding."},
	}
	for _, d := range nets {
		s := Spec{Name: d.name, Family: "DenseNet", Input: tensor.Shape{3, 224, 224}, Classes: 1000, Torchvision: d.tv,
			PaperParams: d.params, Note: d.note, Build: densenetBuilder(32, 64, d.blocks)}
		s.PaperMACs = Reported{Value: d.gmacs * 1e9, Precision: d.gmacsPrec,
			Source: fmt.Sprintf("torchvision %s GFLOPS %g (= GMACs)", d.tv, d.gmacs)}
		if d.tv == "" {
			s.PaperMACs.Source = "quoted by Tan & Le 2019 (EfficientNet) Table 2"
		}
		Register(s)
	}
	Register(Spec{Name: "densenet_bc_100_12", Family: "DenseNet-CIFAR", Input: tensor.Shape{3, 32, 32}, Classes: 10,
		PaperParams: Reported{Value: 0.8e6, Precision: 0.1e6, Source: huang + " Table 2"},
		Note: "CIFAR DenseNet-BC (L=100, k=12): 3x3 stem conv with 2k = 24 channels, three dense blocks of 16 bottleneck layers " +
			"(BN-ReLU-1x1 conv 4k, BN-ReLU-3x3 conv k), transitions with compression 0.5 and 2x2 average pooling, final BN-ReLU, " +
			"global average pooling, fc 10. 769,162 trainable params round to the paper's 0.8M. The paper reports no FLOPs.",
		Build: densenetCIFARBuilder(100, 12)})
}
