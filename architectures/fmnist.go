package architectures

import (
	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Small-input versions of each family for the family comparison on
// Fashion-MNIST (issue 5: 1×28×28 grey images, 10 classes), trained here
// under one fixed budget (cmd/cnnbench/recipes.go, scripts/accuracy.sh).
//
// Each is built by its family's own builder, parameterised (input channels,
// stem stride, stage strides, width, depth, head) rather than copied:
//
//	alexnet_fmnist          alexNetBuilder: ¼ width, 5×5/1 conv1, FC 1024
//	vgg_fmnist              vggNetBuilder: config B's first three stages at ½ width, BN, FC 256
//	resnet20_fmnist         resnetCIFARBuilder(3) on one channel
//	resnet56_fmnist         resnetCIFARBuilder(9) on one channel
//	densenet_bc_fmnist      densenetCIFARBuilder(40, 12)
//	mobilenet_v1_fmnist     mobileNetV1StridedBuilder: α 0.5, stem stride 1, block 6 stride 1
//	shufflenet_v1_fmnist    shuffleNetV1StemBuilder: g 3, 0.5x, conv1 stride 1, no max pooling
//	efficientnet_b0_fmnist  efficientNetStridedBuilder: width 0.5, depth 0.5, stem stride 1, stage 6 stride 1
//
// and LeNet-5 is the zoo's lenet5 itself (28×28 images centred in its 32×32
// field). They share the family "Fashion-MNIST" in the registry;
// FashionMNISTComparison maps each to the paper family it stands for.

// FashionMNISTFamily is the registry family of the Fashion-MNIST versions.
const FashionMNISTFamily = "Fashion-MNIST"

// ComparisonModel is one model of the family comparison on Fashion-MNIST.
type ComparisonModel struct {
	Name   string // registered model name
	Family string // the paper family it stands for ("ResNet-CIFAR", "MobileNet v1", ...)
}

// fmnistComparison is the comparison, in the order of its tables.
var fmnistComparison = []ComparisonModel{
	{"lenet5", "LeNet-5"},
	{"alexnet_fmnist", "AlexNet"},
	{"vgg_fmnist", "VGG"},
	{"resnet20_fmnist", "ResNet-CIFAR"},
	{"resnet56_fmnist", "ResNet-CIFAR"},
	{"densenet_bc_fmnist", "DenseNet-CIFAR"},
	{"mobilenet_v1_fmnist", "MobileNet v1"},
	{"shufflenet_v1_fmnist", "ShuffleNet v1"},
	{"efficientnet_b0_fmnist", "EfficientNet"},
}

// FashionMNISTComparison lists the models of the family comparison on
// Fashion-MNIST, one or two per family, smallest family first.
func FashionMNISTComparison() []ComparisonModel {
	return append([]ComparisonModel(nil), fmnistComparison...)
}

// fmnistAlexNet is AlexNet at a quarter of torchvision's channels, with a
// 5×5/1 conv1 and 1024-unit FC layers.
var fmnistAlexNet = alexNetConfig{channels: [5]int{16, 48, 96, 64, 64}, k1: 5, s1: 1, p1: 2, pool: 2, hidden: 1024}

// fmnistVGG is configuration B's first three stages at half width.
var fmnistVGG = []int{32, 32, 0, 64, 64, 0, 128, 128, 0}

// fmnistMobileNetV1Blocks is Table 1 with block 6 (256→512) at stride 1.
var fmnistMobileNetV1Blocks = func() [13]struct{ out, stride int } {
	b := mobileNetV1Blocks
	b[5].stride = 1
	return b
}()

// fmnistEfficientNetStrides are the stage strides of efficientnet_b0_fmnist:
// B0's (1, 2, 2, 2, 1, 2, 1) with stage 6 at stride 1.
var fmnistEfficientNetStrides = [7]int{1, 2, 2, 2, 1, 1, 1}

func init() {
	const (
		why = "Why: Fashion-MNIST images are 1x28x28, 8 times smaller on a side than ImageNet's 224, and the comparison " +
			"trains every model under one budget that must fit 40 minutes on two cores of this machine. "
		counting = "Counting as everywhere in the zoo: params = trainable weights, biases and BN gamma/beta; " +
			"MACs = conv + linear multiply-accumulates at 1x28x28, batch 1. No paper reports this network, so there are no paper numbers."
	)
	in := tensor.Shape{1, 28, 28}
	for _, m := range []struct {
		name, note string
		build      func(Options) (*graph.Graph, error)
	}{
		{"alexnet_fmnist", "AlexNet-style net (torchvision's alexnet layout and keys, features.N / classifier.N): " +
			"five convs at a quarter of torchvision's channels (16-48-96-64-64 for 64-192-384-256-256), conv1 5x5 stride 1 " +
			"padding 2 instead of 11x11 stride 4 (a 28x28 image has no 11-pixel structure to stride over), the three " +
			"overlapping 3x3/2 max poolings kept (28 -> 13 -> 6 -> 2), adaptive average pooling to 2x2 instead of 6x6 " +
			"(the identity at 28x28), and the classifier's two hidden layers at 1024 units instead of 4096, dropout 0.5 " +
			"as in the paper; as in AlexNet the classifier holds most of the parameters (1,323,018 of 1,476,538). " +
			"1,476,538 params, 9,690,112 MACs. " + why + counting,
			alexNetBuilder(fmnistAlexNet)},
		{"vgg_fmnist", "VGG-style net (torchvision's vgg layout and keys): configuration B's first three stages, two 3x3 " +
			"convs each, at half width (32-32, 64-64, 128-128 for 64-64, 128-128, 256-256), each followed by BatchNorm " +
			"(as torchvision's vgg13_bn: the paper trained its deeper nets from net A's weights, which one short run from " +
			"scratch cannot do), three 2x2/2 max poolings (28 -> 14 -> 7 -> 3) instead of five, adaptive average pooling " +
			"to 3x3 (the identity at 28x28) and the classifier's two hidden layers at 256 units instead of 4096, dropout 0.5. " +
			"650,858 params, 29,490,176 MACs. " + why + counting,
			vggNetBuilder(fmnistVGG, true, false, 3, 256)},
		{"resnet20_fmnist", "The CIFAR ResNet-20 of He et al. 2016 Sec. 4.2 (resnet20: 16/32/64 filters, 3 basic blocks " +
			"per stage, option A shortcuts) with one input channel instead of three (288 fewer conv1 weights); its stages " +
			"run at 28, 14 and 7 instead of 32, 16 and 8. 269,434 params, 30,821,248 MACs. " + counting,
			resnetCIFARBuilder(3)},
		{"resnet56_fmnist", "The CIFAR ResNet-56 of He et al. 2016 Sec. 4.2 (resnet56: 9 basic blocks per stage) with one " +
			"input channel instead of three; stages at 28, 14 and 7. The deepest net of the comparison and, with " +
			"densenet_bc_fmnist, the one that bounds its wall time. 852,730 params, 95,849,344 MACs. " + counting,
			resnetCIFARBuilder(9)},
		{"densenet_bc_fmnist", "DenseNet-BC of Huang et al. 2017 in its CIFAR form (densenet_bc_100_12's builder) at depth " +
			"L=40 instead of 100, growth k=12: a 3x3 stem conv with 2k = 24 channels, three dense blocks of 6 bottleneck " +
			"layers (BN-ReLU-1x1 conv 4k, BN-ReLU-3x3 conv k), compression 0.5, blocks at 28, 14 and 7, one input channel. " +
			"L=100 costs 220,108,284 MACs at 28x28, 4 times L=40, which already trains as slowly as ResNet-56 here (its " +
			"many BN, ReLU and concatenations run far below the conv rate); L=40 is the shallowest DenseNet of the paper. " +
			"175,690 params, 55,066,344 MACs. " + why + counting,
			densenetCIFARBuilder(40, 12)},
		{"mobilenet_v1_fmnist", "MobileNet v1 (Howard et al. 2017, Table 1; mobilenet_v1 layout and keys) at width " +
			"multiplier 0.5 with three stride-2 stages instead of five: the stem conv at stride 1 instead of 2 and " +
			"separable block 6 (256 -> 512 at 0.5: 128 -> 256) at stride 1 instead of 2, so the blocks run at 28, 14, 7 " +
			"and 4 (the 224 network ends at 7x7; with five halvings a 28x28 image would be 1x1 by block 12). " +
			"823,434 params, 27,979,712 MACs. " + why + counting,
			mobileNetV1StridedBuilder(0.5, mobileNetV1Separable, 1, fmnistMobileNetV1Blocks)},
		{"shufflenet_v1_fmnist", "ShuffleNet v1 (Zhang et al. 2018, Table 1; shufflenet_v1 layout and keys) with g=3 " +
			"at 0.5x (conv1 12, stages 120/240/480, bottlenecks 30/60/120, as shufflenet_v1_g3_0.5x) with conv1 at stride 1 instead of 2 " +
			"and without the 3x3/2 max pooling (the 224 network downsamples by 4 before stage 2), so stages 2-4 run at " +
			"14, 7 and 4. Params are shufflenet_v1_g3_0.5x's less 216 conv1 weights (one input channel) and 476,190 of " +
			"the FC (10 classes): 241,918 params, 8,835,072 MACs. " + why + counting,
			shuffleNetV1StemBuilder(3, 0.5, 1, false)},
		{"efficientnet_b0_fmnist", "EfficientNet-B0-style net (Tan & Le 2019; torchvision's efficientnet layout and keys): " +
			"B0's MBConv stages (expansion 6, squeeze-excitation 0.25, SiLU, 3x3 and 5x5 depthwise kernels) scaled down by " +
			"the paper's own compound-scaling rules to width 0.5 and depth 0.5 (channels 16 stem, 8/16/24/40/56/96/160, " +
			"head 640; 1-1-1-2-2-2-1 blocks, 10 instead of 16), the stem at stride 1 instead of 2 and stage 6 at stride 1 " +
			"instead of 2, so the stages run at 28, 14, 7 and 4 instead of 112 to 7. Dropout 0.2 before the classifier " +
			"as B0. 663,242 params, 10,344,096 MACs. " + why + counting,
			efficientNetStridedBuilder(0.5, 0.5, 0.2, 1e-5, 1, fmnistEfficientNetStrides)},
	} {
		Register(Spec{Name: m.name, Family: FashionMNISTFamily, Input: in.Clone(), Classes: 10, Note: m.note, Build: m.build})
	}
}
