package architectures

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// AlexNet in two forms:
//
//   - alexnet: torchvision's model (Krizhevsky 2014, "One weird trick"):
//     channels 64-192-384-256-256, 224 input, conv1 padded by 2, adaptive
//     6×6 average pooling before the classifier (so any input ≥ 63 fits),
//     no LRN, no groups. Keys features.N / classifier.N as torchvision.
//   - alexnet_paper: the network of Krizhevsky, Sutskever, Hinton 2012
//     (NIPS): 96-256-384-384-256 on a 227×227 input, conv2/4/5 split over the
//     two GPUs (2 groups), LRN (k=2, n=5, α=1e-4, β=0.75) after the ReLU of
//     conv1 and conv2 with the overlapping 3×3/2 max pooling after it, FC
//     4096-4096-1000 with dropout on the first two. Same key layout.

// alexNetConfig is an AlexNet-style network: five convolutions with these
// output channels (conv1 with its own kernel, stride and padding, conv2 5×5,
// conv3-5 3×3, all with bias and ReLU), overlapping 3×3/2 max pooling after
// conv1, conv2 and conv5, adaptive average pooling to pool×pool and the
// classifier with two hidden layers of hidden units.
type alexNetConfig struct {
	channels   [5]int
	k1, s1, p1 int
	pool       int
	hidden     int
}

// alexNetTorchvision is torchvision's alexnet.
var alexNetTorchvision = alexNetConfig{channels: [5]int{64, 192, 384, 256, 256}, k1: 11, s1: 4, p1: 2, pool: 6, hidden: 4096}

// alexNetBuilder returns the builder of an AlexNet-style network.
func alexNetBuilder(c alexNetConfig) func(Options) (*graph.Graph, error) {
	return func(o Options) (*graph.Graph, error) {
		ch := c.channels
		g, x := graph.New("alexnet", o.Input)
		x = g.Chain(x, "features.",
			graph.Named{Name: "0", Layer: ops.NewConv2D(o.Input[0], ch[0], c.k1, ops.Stride(c.s1), ops.Pad(c.p1), ops.Bias())},
			graph.Named{Name: "1", Layer: ops.ReLU()},
			graph.Named{Name: "2", Layer: ops.MaxPool2D(3, 2, 0)},
			graph.Named{Name: "3", Layer: ops.NewConv2D(ch[0], ch[1], 5, ops.Pad(2), ops.Bias())},
			graph.Named{Name: "4", Layer: ops.ReLU()},
			graph.Named{Name: "5", Layer: ops.MaxPool2D(3, 2, 0)},
			graph.Named{Name: "6", Layer: ops.NewConv2D(ch[1], ch[2], 3, ops.Pad(1), ops.Bias())},
			graph.Named{Name: "7", Layer: ops.ReLU()},
			graph.Named{Name: "8", Layer: ops.NewConv2D(ch[2], ch[3], 3, ops.Pad(1), ops.Bias())},
			graph.Named{Name: "9", Layer: ops.ReLU()},
			graph.Named{Name: "10", Layer: ops.NewConv2D(ch[3], ch[4], 3, ops.Pad(1), ops.Bias())},
			graph.Named{Name: "11", Layer: ops.ReLU()},
			graph.Named{Name: "12", Layer: ops.MaxPool2D(3, 2, 0)},
		)
		x = g.Add("avgpool", &ops.AdaptiveAvgPool2D{OutH: c.pool, OutW: c.pool}, x)
		x = g.Add("flatten", ops.Flatten{}, x)
		alexNetClassifier(g, x, ch[4]*c.pool*c.pool, c.hidden, o.Classes)
		return g, g.Err()
	}
}

// alexNetClassifier adds torchvision's classifier: Dropout, FC hidden, ReLU,
// Dropout, FC hidden, ReLU, FC classes.
func alexNetClassifier(g *graph.Graph, x *graph.Node, in, hidden, classes int) *graph.Node {
	return g.Chain(x, "classifier.",
		graph.Named{Name: "0", Layer: &ops.Dropout{P: 0.5}},
		graph.Named{Name: "1", Layer: ops.NewDense(in, hidden)},
		graph.Named{Name: "2", Layer: ops.ReLU()},
		graph.Named{Name: "3", Layer: &ops.Dropout{P: 0.5}},
		graph.Named{Name: "4", Layer: ops.NewDense(hidden, hidden)},
		graph.Named{Name: "5", Layer: ops.ReLU()},
		graph.Named{Name: "6", Layer: ops.NewDense(hidden, classes)},
	)
}

// alexNetPaperLRN is the paper's response normalisation (k=2, n=5, α=1e-4,
// β=0.75) in PyTorch's convention, which divides α by n.
func alexNetPaperLRN() *ops.LRN { return &ops.LRN{Size: 5, Alpha: 5e-4, Beta: 0.75, K: 2} }

func buildAlexNetPaper(o Options) (*graph.Graph, error) {
	g, x := graph.New("alexnet_paper", o.Input)
	x = g.Chain(x, "features.",
		graph.Named{Name: "0", Layer: ops.NewConv2D(o.Input[0], 96, 11, ops.Stride(4), ops.Bias())},
		graph.Named{Name: "1", Layer: ops.ReLU()},
		graph.Named{Name: "2", Layer: alexNetPaperLRN()},
		graph.Named{Name: "3", Layer: ops.MaxPool2D(3, 2, 0)},
		graph.Named{Name: "4", Layer: ops.NewConv2D(96, 256, 5, ops.Pad(2), ops.Groups(2), ops.Bias())},
		graph.Named{Name: "5", Layer: ops.ReLU()},
		graph.Named{Name: "6", Layer: alexNetPaperLRN()},
		graph.Named{Name: "7", Layer: ops.MaxPool2D(3, 2, 0)},
		graph.Named{Name: "8", Layer: ops.NewConv2D(256, 384, 3, ops.Pad(1), ops.Bias())},
		graph.Named{Name: "9", Layer: ops.ReLU()},
		graph.Named{Name: "10", Layer: ops.NewConv2D(384, 384, 3, ops.Pad(1), ops.Groups(2), ops.Bias())},
		graph.Named{Name: "11", Layer: ops.ReLU()},
		graph.Named{Name: "12", Layer: ops.NewConv2D(384, 256, 3, ops.Pad(1), ops.Groups(2), ops.Bias())},
		graph.Named{Name: "13", Layer: ops.ReLU()},
		graph.Named{Name: "14", Layer: ops.MaxPool2D(3, 2, 0)},
	)
	if g.Err() == nil && (x.Shape[2] != 6 || x.Shape[3] != 6) {
		return nil, fmt.Errorf("alexnet_paper: features end at %dx%d, the classifier needs 6x6", x.Shape[2], x.Shape[3])
	}
	x = g.Add("flatten", ops.Flatten{}, x)
	alexNetClassifier(g, x, 256*6*6, 4096, o.Classes)
	return g, g.Err()
}

func init() {
	Register(Spec{
		Name: "alexnet", Family: "AlexNet", Input: tensor.Shape{3, 224, 224}, Classes: 1000, Torchvision: "alexnet",
		PaperParams: Reported{Value: 61100840, Precision: 1, Source: "torchvision alexnet num_params (AlexNet_Weights.IMAGENET1K_V1 meta)"},
		PaperMACs:   Reported{Value: 0.714e9, Precision: 1e6, Source: "torchvision alexnet GFLOPS 0.714 (= GMACs)"},
		Note: "torchvision's AlexNet follows Krizhevsky 2014 (\"One weird trick\", arXiv:1404.5997), not the 2012 paper: " +
			"channels 64-192-384-256-256, no LRN, no groups, 224 input with conv1 padding 2, adaptive 6x6 average pooling. " +
			"That paper prints no parameter or FLOP counts, so torchvision's are given; both match exactly " +
			"(61,100,840 params, 714,188,480 MACs). The 2012 network is alexnet_paper.",
		Build: alexNetBuilder(alexNetTorchvision),
	})
	Register(Spec{
		Name: "alexnet_paper", Family: "AlexNet", Input: tensor.Shape{3, 227, 227}, Classes: 1000, FixedInput: true,
		PaperParams: Reported{Value: 60e6, Precision: 1e6, Source: "Krizhevsky, Sutskever, Hinton 2012 (NIPS), abstract: \"60 million parameters\""},
		PaperMACs: Reported{Value: 720e6, Precision: 1e6,
			Source: "quoted by Howard et al. 2017 (MobileNet) Table 9; the AlexNet paper reports no FLOPs"},
		Note: "The 2012 network: 96-256-384-384-256 with conv2/4/5 split over two GPUs (2 groups), LRN after conv1 and conv2 " +
			"(k=2, n=5, alpha=1e-4, beta=0.75; PyTorch's LocalResponseNorm alpha=5e-4 as it divides by n), overlapping 3x3/2 " +
			"max pooling, FC 4096-4096-1000. The paper's 224x224 input must be 227x227 for its 55x55 conv1 output. " +
			"Exact count 60,965,224 params (60.97M): the abstract's \"60 million\" is a loose round figure, not a rounding to " +
			"the nearest million (without the GPU groups it would be 62,378,344). MACs 724,406,816 (conv + linear); the 2012 " +
			"paper gives no FLOPs and MobileNet's quoted \"720M mult-adds\" is 0.6% below ours, a rounded quote.",
		Build: buildAlexNetPaper,
	})
}
