package architectures

import (
	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998, Proc. IEEE 86(11), Sec. II.B).
//
// Two variants on a 1×32×32 input, both with the paper's layer names (c1, s2,
// c3, s4, c5, f6, output) as state-dict prefixes:
//
//   - lenet5: the usual modern reading: dense C3, ReLU, 2×2 max pooling
//     without weights, linear 84→10 output. 61,706 params.
//   - lenet5_paper: the network of the paper: LeCun's scaled tanh
//     1.7159·tanh(2x/3) after every layer up to F6, trainable subsampling S2/S4
//     (coefficient and bias per map), C3 wired by Table I (60 of the 96 map
//     pairs), and a Euclidean RBF output against fixed ±1 prototypes (a
//     buffer, not trained). 60,000 trainable params.
//
// C5 is a 5×5 convolution in both, so the classifier only fits 32×32 inputs.

// lenetC3Table is Table I of the paper: the S2 maps (0..5) each C3 map
// (0..15) takes as input.
var lenetC3Table = [16][]int{
	{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 5}, {4, 5, 0}, {5, 0, 1},
	{0, 1, 2, 3}, {1, 2, 3, 4}, {2, 3, 4, 5}, {3, 4, 5, 0}, {4, 5, 0, 1}, {5, 0, 1, 2},
	{0, 1, 3, 4}, {1, 2, 4, 5}, {0, 2, 3, 5},
	{0, 1, 2, 3, 4, 5},
}

// lenetC3Connections returns Table I as a 16×6 connection matrix.
func lenetC3Connections() [][]bool {
	conn := make([][]bool, len(lenetC3Table))
	for o, ins := range lenetC3Table {
		conn[o] = make([]bool, 6)
		for _, i := range ins {
			conn[o][i] = true
		}
	}
	return conn
}

func buildLeNet5(o Options) (*graph.Graph, error) {
	g, x := graph.New("lenet5", o.Input)
	x = g.Chain(x, "",
		graph.Named{Name: "c1", Layer: ops.NewConv2D(o.Input[0], 6, 5, ops.Bias())},
		graph.Named{Name: "relu1", Layer: ops.ReLU()},
		graph.Named{Name: "s2", Layer: ops.MaxPool2D(2, 2, 0)},
		graph.Named{Name: "c3", Layer: ops.NewConv2D(6, 16, 5, ops.Bias())},
		graph.Named{Name: "relu3", Layer: ops.ReLU()},
		graph.Named{Name: "s4", Layer: ops.MaxPool2D(2, 2, 0)},
		graph.Named{Name: "c5", Layer: ops.NewConv2D(16, 120, 5, ops.Bias())},
		graph.Named{Name: "relu5", Layer: ops.ReLU()},
		graph.Named{Name: "flatten", Layer: ops.Flatten{}},
		graph.Named{Name: "f6", Layer: ops.NewDense(120, 84)},
		graph.Named{Name: "relu6", Layer: ops.ReLU()},
		graph.Named{Name: "output", Layer: ops.NewDense(84, o.Classes)},
	)
	return g, g.Err()
}

func buildLeNet5Paper(o Options) (*graph.Graph, error) {
	g, x := graph.New("lenet5_paper", o.Input)
	c3 := ops.NewConv2D(6, 16, 5, ops.Bias())
	c3.Connections = lenetC3Connections()
	x = g.Chain(x, "",
		graph.Named{Name: "c1", Layer: ops.NewConv2D(o.Input[0], 6, 5, ops.Bias())},
		graph.Named{Name: "act1", Layer: ops.LeCunTanh()},
		graph.Named{Name: "s2", Layer: ops.NewSubsample(6, 2)},
		graph.Named{Name: "act2", Layer: ops.LeCunTanh()},
		graph.Named{Name: "c3", Layer: c3},
		graph.Named{Name: "act3", Layer: ops.LeCunTanh()},
		graph.Named{Name: "s4", Layer: ops.NewSubsample(16, 2)},
		graph.Named{Name: "act4", Layer: ops.LeCunTanh()},
		graph.Named{Name: "c5", Layer: ops.NewConv2D(16, 120, 5, ops.Bias())},
		graph.Named{Name: "act5", Layer: ops.LeCunTanh()},
		graph.Named{Name: "flatten", Layer: ops.Flatten{}},
		graph.Named{Name: "f6", Layer: ops.NewDense(120, 84)},
		graph.Named{Name: "act6", Layer: ops.LeCunTanh()},
		graph.Named{Name: "output", Layer: ops.NewRBF(84, o.Classes)},
	)
	return g, g.Err()
}

func init() {
	lecun := "LeCun et al. 1998, Proc. IEEE 86(11), Sec. II.B"
	Register(Spec{
		Name: "lenet5", Family: "LeNet-5", Input: tensor.Shape{1, 32, 32}, Classes: 10, FixedInput: true,
		PaperParams: Reported{Value: 60000, Precision: 1, Source: lecun + " (the paper network, see lenet5_paper)"},
		Note: "Modern LeNet-5 (dense C3, ReLU, parameter-free 2x2 max pooling, linear 84->10 output): " +
			"61,706 params = 156 (C1) + 2,416 (C3) + 48,120 (C5) + 10,164 (F6) + 850 (output). " +
			"The paper's 60,000 is the original network (lenet5_paper): its C3 follows Table I (1,516 params, -900), " +
			"its subsampling layers have 2 params per map (S2 12 + S4 32, +44) and its RBF output has 840 fixed, " +
			"untrained weights (-850). MACs 416,520 (conv + linear, bias excluded); the paper counts connections, not MACs.",
		Build: buildLeNet5,
	})
	Register(Spec{
		Name: "lenet5_paper", Family: "LeNet-5", Input: tensor.Shape{1, 32, 32}, Classes: 10, FixedInput: true,
		PaperParams: Reported{Value: 60000, Precision: 1, Source: lecun + ": \"340,908 connections, but only 60,000 trainable free parameters\""},
		Note: "The paper network: scaled tanh 1.7159*tanh(2x/3), trainable subsampling S2/S4 (coefficient + bias per map), " +
			"C3 wired by Table I (60 map pairs: 60*25 + 16 = 1,516 params), C5 5x5 conv, F6 84, Euclidean RBF output " +
			"whose 10x84 prototypes are a fixed buffer of +-1 (the paper's 7x12 bitmaps are not reproduced; ours are " +
			"drawn at random by the weight seed). Trainable params 60,000 exactly as the paper. " +
			"The paper reports 340,908 connections, not MACs: our MACs (conv + linear weights only, unconnected C3 taps " +
			"not counted) are 325,680; the 15,228 difference is the bias connections of C1/C3/C5/F6 (6,508), " +
			"the subsampling connections S2 5,880 and S4 2,000 and the RBF's 840, all counted as other_ops here.",
		Build: buildLeNet5Paper,
	})
}
