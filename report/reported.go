package report

import "strings"

// Reported ImageNet accuracies, copied from the papers and torchvision with
// their sources (the reference file /work/shared/reference/paper_reference.csv
// and .md of the project). These are REPORTED numbers: nothing here was
// measured by this suite.

// Accuracy is one reported ImageNet result.
type Accuracy struct {
	Top1, Top5 float64 // percent; 0 = not reported
	Source     string
	Protocol   string
}

const (
	srcTV      = "torchvision IMAGENET1K_V1 weights meta (acc@1/acc@5)"
	protoTV    = "ImageNet-1k val, single centre crop"
	srcMobile  = "Howard et al. 2017 (MobileNet, arXiv:1704.04861)"
	srcShuffle = "Zhang et al. 2017 (ShuffleNet, arXiv:1707.01083)"
	srcEff     = "Tan & Le 2019 (EfficientNet, arXiv:1905.11946) Table 2"
	protoPaper = "ImageNet val, single crop (paper)"
)

// reportedTop1 is the ImageNet top-1 used on the accuracy charts, one value
// per zoo model: torchvision's single-crop evaluation where torchvision has
// the model (one protocol for AlexNet, VGG, ResNet, DenseNet), the paper's
// otherwise.
var reportedTop1 = map[string]Accuracy{
	"alexnet":       {56.522, 79.066, srcTV, protoTV},
	"alexnet_paper": {59.3, 81.8, "Krizhevsky et al. 2012 Table 2, 1 CNN (100 − 40.7 / 100 − 18.2 error)", "ILSVRC-2012 val, 10-patch average (paper)"},
	"vgg11":         {69.020, 88.628, srcTV, protoTV},
	"vgg13":         {69.928, 89.246, srcTV, protoTV},
	"vgg16":         {71.592, 90.382, srcTV, protoTV},
	"vgg19":         {72.376, 90.876, srcTV, protoTV},
	"vgg11_bn":      {70.370, 89.810, srcTV, protoTV},
	"vgg13_bn":      {71.586, 90.374, srcTV, protoTV},
	"vgg16_bn":      {73.360, 91.516, srcTV, protoTV},
	"vgg19_bn":      {74.218, 91.842, srcTV, protoTV},
	"resnet18":      {69.758, 89.078, srcTV, protoTV},
	"resnet34":      {73.314, 91.420, srcTV, protoTV},
	"resnet50":      {76.130, 92.862, srcTV, protoTV},
	"resnet101":     {77.374, 93.546, srcTV, protoTV},
	"resnet152":     {78.312, 94.046, srcTV, protoTV},
	"densenet121":   {74.434, 91.972, srcTV, protoTV},
	"densenet169":   {75.600, 92.806, srcTV, protoTV},
	"densenet201":   {76.896, 93.370, srcTV, protoTV},
	"densenet264":   {77.85, 93.88, "Huang et al. 2017 (DenseNet) Table 3 (100 − 22.15 / 100 − 6.12 error)", protoPaper},

	"mobilenet_v1_1.0_224":  {70.6, 0, srcMobile + " Table 6", protoPaper},
	"mobilenet_v1_0.75_224": {68.4, 0, srcMobile + " Table 6", protoPaper},
	"mobilenet_v1_0.5_224":  {63.7, 0, srcMobile + " Table 6", protoPaper},
	"mobilenet_v1_0.25_224": {50.6, 0, srcMobile + " Table 6", protoPaper},
	"mobilenet_v1_1.0_192":  {69.1, 0, srcMobile + " Table 7", protoPaper},
	"mobilenet_v1_1.0_160":  {67.2, 0, srcMobile + " Table 7", protoPaper},
	"mobilenet_v1_1.0_128":  {64.4, 0, srcMobile + " Table 7", protoPaper},
	"mobilenet_v1_0.5_160":  {60.2, 0, srcMobile + " Table 9", protoPaper},
	"mobilenet_v1_conv":     {71.7, 0, srcMobile + " Table 4", protoPaper},
	"mobilenet_v1_shallow":  {65.3, 0, srcMobile + " Table 5", protoPaper},

	"shufflenet_v1_g1_1.0x":  {66.4, 0, srcShuffle + " Table 2 (100 − 33.6 error)", protoPaper},
	"shufflenet_v1_g2_1.0x":  {67.3, 0, srcShuffle + " Table 2 (100 − 32.7 error)", protoPaper},
	"shufflenet_v1_g3_1.0x":  {67.4, 0, srcShuffle + " Table 2 (100 − 32.6 error)", protoPaper},
	"shufflenet_v1_g4_1.0x":  {67.2, 0, srcShuffle + " Table 2 (100 − 32.8 error)", protoPaper},
	"shufflenet_v1_g8_1.0x":  {67.6, 0, srcShuffle + " Table 2 (100 − 32.4 error)", protoPaper},
	"shufflenet_v1_g1_0.5x":  {54.9, 0, srcShuffle + " Table 2 (100 − 45.1 error)", protoPaper},
	"shufflenet_v1_g2_0.5x":  {55.6, 0, srcShuffle + " Table 2 (100 − 44.4 error)", protoPaper},
	"shufflenet_v1_g3_0.5x":  {56.8, 0, srcShuffle + " Table 2 (100 − 43.2 error)", protoPaper},
	"shufflenet_v1_g4_0.5x":  {58.4, 0, srcShuffle + " Table 2 (100 − 41.6 error)", protoPaper},
	"shufflenet_v1_g8_0.5x":  {57.7, 0, srcShuffle + " Table 2 (100 − 42.3 error)", protoPaper},
	"shufflenet_v1_g1_0.25x": {42.9, 0, srcShuffle + " Table 2 (100 − 57.1 error)", protoPaper},
	"shufflenet_v1_g2_0.25x": {43.2, 0, srcShuffle + " Table 2 (100 − 56.8 error)", protoPaper},
	"shufflenet_v1_g3_0.25x": {45.0, 0, srcShuffle + " Table 2 (100 − 55.0 error)", protoPaper},
	"shufflenet_v1_g4_0.25x": {45.8, 0, srcShuffle + " Table 2 (100 − 54.2 error)", protoPaper},
	"shufflenet_v1_g8_0.25x": {47.3, 0, srcShuffle + " Table 2 (100 − 52.7 error)", protoPaper},
	"shufflenet_v1_g3_1.5x":  {71.5, 0, srcShuffle + " Table 5 (100 − 28.5 error)", protoPaper},
	"shufflenet_v1_g3_2.0x":  {73.7, 0, srcShuffle + " Table 5 (100 − 26.3 error)", protoPaper},

	"efficientnet_b0": {77.1, 93.3, srcEff, protoPaper},
	"efficientnet_b1": {79.1, 94.4, srcEff, protoPaper},
	"efficientnet_b2": {80.1, 94.9, srcEff, protoPaper},
	"efficientnet_b3": {81.6, 95.7, srcEff, protoPaper},
	"efficientnet_b4": {82.9, 96.4, srcEff, protoPaper},
	"efficientnet_b5": {83.6, 96.7, srcEff, protoPaper},
	"efficientnet_b6": {84.0, 96.8, srcEff, protoPaper},
	"efficientnet_b7": {84.3, 97.0, srcEff, protoPaper},
}

// ReportedTop1 returns the reported ImageNet accuracy of a zoo model.
func ReportedTop1(model string) (Accuracy, bool) {
	a, ok := reportedTop1[model]
	return a, ok
}

// bubbleModels are the models on the accuracy-vs-MACs chart with the
// short labels printed beside them.
var bubbleModels = []struct{ model, label string }{
	{"alexnet", "AlexNet"},
	{"vgg11", "VGG-11"}, {"vgg13", "VGG-13"}, {"vgg16", "VGG-16"}, {"vgg19", "VGG-19"},
	{"resnet18", "ResNet-18"}, {"resnet34", "ResNet-34"}, {"resnet50", "ResNet-50"}, {"resnet101", "ResNet-101"}, {"resnet152", "ResNet-152"},
	{"densenet121", "DenseNet-121"}, {"densenet169", "DenseNet-169"}, {"densenet201", "DenseNet-201"}, {"densenet264", "DenseNet-264"},
	{"mobilenet_v1_1.0_224", "MobileNet 1.0"}, {"mobilenet_v1_0.75_224", "MobileNet 0.75"}, {"mobilenet_v1_0.5_224", "MobileNet 0.5"},
	{"mobilenet_v1_0.25_224", "MobileNet 0.25"}, {"mobilenet_v1_1.0_160", "MobileNet 1.0-160"},
	{"shufflenet_v1_g3_0.25x", "ShuffleNet 0.25×"}, {"shufflenet_v1_g3_0.5x", "ShuffleNet 0.5×"}, {"shufflenet_v1_g3_1.0x", "ShuffleNet 1×"},
	{"shufflenet_v1_g3_1.5x", "ShuffleNet 1.5×"}, {"shufflenet_v1_g3_2.0x", "ShuffleNet 2×"},
	{"efficientnet_b0", "B0"}, {"efficientnet_b1", "B1"}, {"efficientnet_b2", "B2"}, {"efficientnet_b3", "B3"},
	{"efficientnet_b4", "B4"}, {"efficientnet_b5", "B5"}, {"efficientnet_b6", "B6"}, {"efficientnet_b7", "B7"},
}

// effQuoted are the comparison rows of EfficientNet Table 2 (accuracy as
// the EfficientNet paper quotes it), drawn on the EfficientNet chart at our
// exact params and MACs.
var effQuoted = []struct {
	model, label  string
	top1          float64
	params, flops string // as printed
}{
	{"resnet50", "ResNet-50", 76.0, "26M", "4.1B"},
	{"densenet169", "DenseNet-169", 76.2, "14M", "3.5B"},
	{"resnet152", "ResNet-152", 77.8, "60M", "11B"},
	{"densenet264", "DenseNet-264", 77.9, "34M", "6.0B"},
}

var extraLabels = map[string]string{
	"alexnet_paper": "AlexNet 2012", "mobilenet_v1_conv": "Conv MobileNet", "mobilenet_v1_shallow": "Shallow MobileNet",
	"resnet50_v1": "ResNet-50 v1", "resnet101_v1": "ResNet-101 v1", "resnet152_v1": "ResNet-152 v1",
	"vgg16_c": "VGG-16 C", "lenet5": "LeNet-5", "lenet5_paper": "LeNet-5 1998",
}

// shortLabel is a compact display name for charts other than the
// accuracy bubbles (which use bubbleModels' labels).
func shortLabel(model string) string {
	if l, ok := extraLabels[model]; ok {
		return l
	}
	switch {
	case strings.HasPrefix(model, "efficientnet_b"):
		return "EfficientNet-B" + strings.TrimPrefix(model, "efficientnet_b")
	case strings.HasPrefix(model, "shufflenet_v1_g"):
		rest := strings.TrimPrefix(model, "shufflenet_v1_")
		if i := strings.Index(rest, "_"); i > 0 {
			return "ShuffleNet " + rest[:i] + " " + strings.TrimSuffix(strings.TrimSuffix(rest[i+1:], "x"), ".0") + "×"
		}
	case strings.HasPrefix(model, "mobilenet_v1_") && strings.Count(model, "_") == 3:
		parts := strings.Split(model, "_")
		return "MobileNet " + parts[2] + "-" + parts[3]
	}
	for _, b := range bubbleModels {
		if b.model == model {
			return b.label
		}
	}
	for _, q := range effQuoted {
		if q.model == model {
			return q.label
		}
	}
	return model
}
