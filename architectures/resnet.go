package architectures

import (
	"fmt"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// ResNet (He, Zhang, Ren, Sun 2015, arXiv:1512.03385).
//
// ImageNet nets in torchvision's layout and keys (conv1, bn1, layerS.B.convK,
// layerS.B.bnK, layerS.B.downsample.0/1, fc), with projection shortcuts where
// the shape changes (the paper's option B):
//
//   - resnet18/34/50/101/152: torchvision, "v1.5": a bottleneck strides in
//     its 3×3 conv.
//   - resnet50_v1/101_v1/152_v1: the paper's bottleneck, striding in its
//     first 1×1 conv; same weights, fewer MACs (the paper's Table 1 FLOPs).
//
// CIFAR nets (Sec. 4.2): resnet20/32/44/56/110 = 6n+2 layers on 3×32×32,
// 16/32/64 filters, option A shortcuts (ShortcutA: stride-2 subsampling and
// zero channel padding, no parameters), global average pooling, fc.

// ShortcutA is the parameter-free shortcut of the paper's option A as the
// common PyTorch CIFAR implementation writes it:
// F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, Front, Back)), i.e. every s-th row and
// column, then Front zero channels before and Back after.
type ShortcutA struct {
	Stride      int
	Front, Back int
}

// Type implements ops.Layer.
func (s *ShortcutA) Type() string { return "ShortcutA" }

// OutShape implements ops.Layer.
func (s *ShortcutA) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 1 || len(in[0]) != 4 {
		return nil, fmt.Errorf("ShortcutA: want one NCHW input, got %v", in)
	}
	if s.Stride < 1 || s.Front < 0 || s.Back < 0 {
		return nil, fmt.Errorf("ShortcutA: stride %d, padding %d+%d", s.Stride, s.Front, s.Back)
	}
	x := in[0]
	return tensor.Shape{x[0], s.Front + x[1] + s.Back, (x[2] + s.Stride - 1) / s.Stride, (x[3] + s.Stride - 1) / s.Stride}, nil
}

// Params implements ops.Layer: none.
func (s *ShortcutA) Params() []ops.Param { return nil }

// Cost implements ops.Layer: pure data movement costs nothing.
func (s *ShortcutA) Cost(in []tensor.Shape, out tensor.Shape) ops.Cost { return ops.Cost{} }

// Forward implements ops.Layer.
func (s *ShortcutA) Forward(ctx *ops.Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	x := in[0]
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oc, oh, ow := out.Shape[1], out.Shape[2], out.Shape[3]
	clear(out.Data)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			src := x.Data[(b*c+ch)*h*w:]
			dst := out.Data[(b*oc+s.Front+ch)*oh*ow:]
			for y := 0; y < oh; y++ {
				for xo := 0; xo < ow; xo++ {
					dst[y*ow+xo] = src[y*s.Stride*w+xo*s.Stride]
				}
			}
		}
	}
	return nil
}

// resnetConvBN adds conv → BN named conv/bn under prefix.
func resnetConvBN(g *graph.Graph, x *graph.Node, conv, bn string, c *ops.Conv2D) *graph.Node {
	x = g.Add(conv, c, x)
	return g.Add(bn, ops.NewBatchNorm2D(c.Cout), x)
}

// resnetBasic adds a basic block (3×3, 3×3) with a projection shortcut
// (option B) or, when optionA, a ShortcutA where the shape changes.
func resnetBasic(g *graph.Graph, x *graph.Node, p string, cin, planes, stride int, optionA bool) *graph.Node {
	y := resnetConvBN(g, x, p+"conv1", p+"bn1", ops.NewConv2D(cin, planes, 3, ops.Stride(stride), ops.Pad(1)))
	y = g.Add(p+"relu1", ops.ReLU(), y)
	y = resnetConvBN(g, y, p+"conv2", p+"bn2", ops.NewConv2D(planes, planes, 3, ops.Pad(1)))
	short := x
	if stride != 1 || cin != planes {
		if optionA {
			front := (planes - cin) / 2
			short = g.Add(p+"shortcut", &ShortcutA{Stride: stride, Front: front, Back: planes - cin - front}, x)
		} else {
			short = resnetConvBN(g, x, p+"downsample.0", p+"downsample.1", ops.NewConv2D(cin, planes, 1, ops.Stride(stride)))
		}
	}
	y = g.Add(p+"add", ops.Add{}, y, short)
	return g.Add(p+"relu2", ops.ReLU(), y)
}

// resnetBottleneck adds a bottleneck block (1×1, 3×3, 1×1 ×4) with a
// projection shortcut where the shape changes; v1 strides in the first 1×1,
// v1.5 in the 3×3.
func resnetBottleneck(g *graph.Graph, x *graph.Node, p string, cin, planes, stride int, v1 bool) *graph.Node {
	s1, s2 := 1, stride
	if v1 {
		s1, s2 = stride, 1
	}
	out := planes * 4
	y := resnetConvBN(g, x, p+"conv1", p+"bn1", ops.NewConv2D(cin, planes, 1, ops.Stride(s1)))
	y = g.Add(p+"relu1", ops.ReLU(), y)
	y = resnetConvBN(g, y, p+"conv2", p+"bn2", ops.NewConv2D(planes, planes, 3, ops.Stride(s2), ops.Pad(1)))
	y = g.Add(p+"relu2", ops.ReLU(), y)
	y = resnetConvBN(g, y, p+"conv3", p+"bn3", ops.NewConv2D(planes, out, 1))
	short := x
	if stride != 1 || cin != out {
		short = resnetConvBN(g, x, p+"downsample.0", p+"downsample.1", ops.NewConv2D(cin, out, 1, ops.Stride(stride)))
	}
	y = g.Add(p+"add", ops.Add{}, y, short)
	return g.Add(p+"relu3", ops.ReLU(), y)
}

// resnetBuilder returns the builder of an ImageNet ResNet.
func resnetBuilder(bottleneck bool, blocks [4]int, v1 bool) func(Options) (*graph.Graph, error) {
	return func(o Options) (*graph.Graph, error) {
		g, x := graph.New("resnet", o.Input)
		x = resnetConvBN(g, x, "conv1", "bn1", ops.NewConv2D(o.Input[0], 64, 7, ops.Stride(2), ops.Pad(3)))
		x = g.Add("relu", ops.ReLU(), x)
		x = g.Add("maxpool", ops.MaxPool2D(3, 2, 1), x)
		cin := 64
		for s, n := range blocks {
			planes := 64 << s
			for b := 0; b < n; b++ {
				stride := 1
				if s > 0 && b == 0 {
					stride = 2
				}
				p := fmt.Sprintf("layer%d.%d.", s+1, b)
				if bottleneck {
					x = resnetBottleneck(g, x, p, cin, planes, stride, v1)
					cin = planes * 4
				} else {
					x = resnetBasic(g, x, p, cin, planes, stride, false)
					cin = planes
				}
			}
		}
		x = g.Add("avgpool", ops.GlobalAvgPool(), x)
		x = g.Add("flatten", ops.Flatten{}, x)
		g.Add("fc", ops.NewDense(cin, o.Classes), x)
		return g, g.Err()
	}
}

// resnetCIFARBuilder returns the builder of the 6n+2-layer CIFAR ResNet.
func resnetCIFARBuilder(n int) func(Options) (*graph.Graph, error) {
	return func(o Options) (*graph.Graph, error) {
		g, x := graph.New("resnet_cifar", o.Input)
		x = resnetConvBN(g, x, "conv1", "bn1", ops.NewConv2D(o.Input[0], 16, 3, ops.Pad(1)))
		x = g.Add("relu", ops.ReLU(), x)
		cin := 16
		for s := 0; s < 3; s++ {
			planes := 16 << s
			for b := 0; b < n; b++ {
				stride := 1
				if s > 0 && b == 0 {
					stride = 2
				}
				x = resnetBasic(g, x, fmt.Sprintf("layer%d.%d.", s+1, b), cin, planes, stride, true)
				cin = planes
			}
		}
		x = g.Add("avgpool", ops.GlobalAvgPool(), x)
		x = g.Add("flatten", ops.Flatten{}, x)
		g.Add("fc", ops.NewDense(cin, o.Classes), x)
		return g, g.Err()
	}
}

func init() {
	const (
		he     = "He et al. 2015 (arXiv:1512.03385)"
		table1 = he + " Table 1 FLOPs (multiply-adds)"
	)
	basic, bottle := false, true
	type rn struct {
		name       string
		bottleneck bool
		blocks     [4]int
		v1         bool
		tvParams   int64
		paperGMACs float64
		note       string
	}
	noParams := "The paper reports no ImageNet parameter counts; torchvision's num_params is given and matches exactly. "
	v15 := func(paper, v1, v15, diff string) string {
		return noParams + "torchvision's ResNet is \"v1.5\": a bottleneck strides in its 3x3 conv instead of the paper's first 1x1, " +
			"which runs the 1x1 conv of the first block of stages 2-4 at the higher resolution: " + v15 + " MACs vs " + v1 +
			" for the paper's v1 (+" + diff + "), hence torchvision's GFLOPS above the paper's " + paper +
			". The paper network, same weights, is the _v1 variant."
	}
	imagenet := []rn{
		{name: "resnet18", bottleneck: basic, blocks: [4]int{2, 2, 2, 2}, tvParams: 11689512, paperGMACs: 1.8,
			note: noParams + "MACs 1,814,073,344 (conv + linear) round to the paper's 1.8e9. Basic blocks stride in their first 3x3, " +
				"so v1 and v1.5 coincide; torchvision uses projection shortcuts where the shape changes (the paper's option B)."},
		{name: "resnet34", bottleneck: basic, blocks: [4]int{3, 4, 6, 3}, tvParams: 21797672, paperGMACs: 3.6,
			note: noParams + "Exact MACs 3,663,761,408 (3.7e9 to one decimal) vs the paper's 3.6e9: Table 1's figure is that of " +
				"the 34-layer plain baseline (Sec. 3.3: \"Our 34-layer baseline has 3.6 billion FLOPs (multiply-adds)\"), " +
				"3,644,493,824 MACs; the three 1x1 projection shortcuts (option B) add 19,267,584. " +
				"Basic blocks stride in their first 3x3, so v1 and v1.5 coincide."},
		{name: "resnet50", bottleneck: bottle, blocks: [4]int{3, 4, 6, 3}, tvParams: 25557032, paperGMACs: 3.8,
			note: v15("3.8e9", "3,857,973,248", "4,089,184,256", "231,211,008")},
		{name: "resnet101", bottleneck: bottle, blocks: [4]int{3, 4, 23, 3}, tvParams: 44549160, paperGMACs: 7.6,
			note: v15("7.6e9", "7,570,194,432", "7,801,405,440", "231,211,008")},
		{name: "resnet152", bottleneck: bottle, blocks: [4]int{3, 8, 36, 3}, tvParams: 60192808, paperGMACs: 11.3,
			note: v15("11.3e9", "11,282,415,616", "11,513,626,624", "231,211,008")},
		{name: "resnet50_v1", bottleneck: bottle, blocks: [4]int{3, 4, 6, 3}, v1: true, paperGMACs: 3.8,
			note: "The paper's bottleneck (v1: stride 2 in the first 1x1 conv of stages 2-4), projection shortcuts where the shape " +
				"changes (option B). The paper reports no params; the count equals torchvision resnet50's 25,557,032 (moving the " +
				"stride changes no weight). Exact MACs 3,857,973,248 vs Table 1's 3.8e9: to one decimal it is 3.9e9, so the paper " +
				"truncates here (ResNet-101/152 v1 round to their printed 7.6e9/11.3e9); no counting rule we tried " +
				"(fc excluded, shortcuts excluded) gives 3.8e9 by rounding."},
		{name: "resnet101_v1", bottleneck: bottle, blocks: [4]int{3, 4, 23, 3}, v1: true, paperGMACs: 7.6,
			note: "The paper's bottleneck (v1: stride 2 in the first 1x1 conv). The paper reports no params; the count equals " +
				"torchvision resnet101's 44,549,160. MACs 7,570,194,432 round to Table 1's 7.6e9."},
		{name: "resnet152_v1", bottleneck: bottle, blocks: [4]int{3, 8, 36, 3}, v1: true, paperGMACs: 11.3,
			note: "The paper's bottleneck (v1: stride 2 in the first 1x1 conv). The paper reports no params; the count equals " +
				"torchvision resnet152's 60,192,808. MACs 11,282,415,616 round to Table 1's 11.3e9."},
	}
	for _, r := range imagenet {
		s := Spec{Name: r.name, Family: "ResNet", Input: tensor.Shape{3, 224, 224}, Classes: 1000, Note: r.note,
			PaperMACs: Reported{Value: r.paperGMACs * 1e9, Precision: 0.1e9, Source: table1},
			Build:     resnetBuilder(r.bottleneck, r.blocks, r.v1)}
		if !r.v1 {
			s.Torchvision = r.name
			s.PaperParams = Reported{Value: float64(r.tvParams), Precision: 1, Source: "torchvision " + r.name + " num_params"}
		}
		Register(s)
	}

	cifar := []struct {
		name  string
		n     int
		paper float64 // millions, as printed in Table 6
		prec  float64
	}{
		{"resnet20", 3, 0.27, 0.01e6}, {"resnet32", 5, 0.46, 0.01e6}, {"resnet44", 7, 0.66, 0.01e6},
		{"resnet56", 9, 0.85, 0.01e6}, {"resnet110", 18, 1.7, 0.1e6},
	}
	for _, c := range cifar {
		Register(Spec{Name: c.name, Family: "ResNet-CIFAR", Input: tensor.Shape{3, 32, 32}, Classes: 10,
			PaperParams: Reported{Value: c.paper * 1e6, Precision: c.prec, Source: he + " Table 6"},
			Note: fmt.Sprintf("CIFAR-10 ResNet with %d layers (n=%d): 3x3 conv 16, three stages of %d basic blocks with 16/32/64 "+
				"filters, option A identity shortcuts (stride-2 subsampling and zero-padded channels, no parameters), global "+
				"average pooling, fc 10. Trainable params counted with BN gamma/beta; they round to the paper's %gM. "+
				"The paper reports no FLOPs. Not in torchvision.", 6*c.n+2, c.n, c.n, c.paper),
			Build: resnetCIFARBuilder(c.n)})
	}
}
