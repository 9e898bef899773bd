package architectures

import (
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Tests of the Fashion-MNIST versions of fmnist.go: their exact counts, the
// same counts derived by hand from their structure, and their forward shapes.

// fmnistExact are the exact trainable params and MACs at 1×28×28 of every
// Fashion-MNIST version; TestFashionMNISTCountsFromStructure derives them.
var fmnistExact = []struct {
	name         string
	params, macs int64
	pooled       tensor.Shape // the feature map entering avgpool (C, H, W)
}{
	{"alexnet_fmnist", 1476538, 9690112, tensor.Shape{64, 2, 2}},
	{"vgg_fmnist", 650858, 29490176, tensor.Shape{128, 3, 3}},
	{"resnet20_fmnist", 269434, 30821248, tensor.Shape{64, 7, 7}},
	{"resnet56_fmnist", 852730, 95849344, tensor.Shape{64, 7, 7}},
	{"densenet_bc_fmnist", 175690, 55066344, tensor.Shape{132, 7, 7}},
	{"mobilenet_v1_fmnist", 823434, 27979712, tensor.Shape{512, 4, 4}},
	{"shufflenet_v1_fmnist", 241918, 8835072, tensor.Shape{480, 4, 4}},
	{"efficientnet_b0_fmnist", 663242, 10344096, tensor.Shape{640, 4, 4}},
}

// TestFashionMNISTExactCounts proves every Fashion-MNIST version has the
// listed params and MACs, that its Note quotes both, and that the list and
// the comparison cover every registered version.
func TestFashionMNISTExactCounts(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range fmnistExact {
		listed[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			s, err := Lookup(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Family != FashionMNISTFamily || !s.Input.Equal(tensor.Shape{1, 28, 28}) || s.Classes != 10 || s.FixedInput {
				t.Errorf("family %q, input %v, %d classes, fixed %v", s.Family, s.Input, s.Classes, s.FixedInput)
			}
			g, err := Build(c.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tot := g.Totals()
			if tot.Params != c.params || tot.MACs != c.macs {
				t.Errorf("params %d, MACs %d; want %d, %d", tot.Params, tot.MACs, c.params, c.macs)
			}
			for _, n := range []int64{c.params, c.macs} {
				if !strings.Contains(s.Note, classicCommas(n)) {
					t.Errorf("Note does not quote %s: %q", classicCommas(n), s.Note)
				}
			}
			if !strings.Contains(s.Note, "instead of") {
				t.Errorf("Note does not say what was changed from the paper's network: %q", s.Note)
			}
		})
	}
	inComparison := map[string]bool{}
	for _, m := range FashionMNISTComparison() {
		inComparison[m.Name] = true
		s, err := Lookup(m.Name)
		if err != nil {
			t.Errorf("comparison model: %v", err)
			continue
		}
		if s.Input[0] != 1 || s.Classes != 10 {
			t.Errorf("%s: input %v, %d classes; Fashion-MNIST is 1x28x28 in 10 classes", m.Name, s.Input, s.Classes)
		}
		if _, ok := familyOrder[m.Family]; !ok || m.Family == FashionMNISTFamily {
			t.Errorf("%s stands for family %q, not a paper family of the zoo", m.Name, m.Family)
		}
	}
	for _, s := range All() {
		if s.Family == FashionMNISTFamily && (!listed[s.Name] || !inComparison[s.Name]) {
			t.Errorf("%s: registered, but listed=%v in comparison=%v", s.Name, listed[s.Name], inComparison[s.Name])
		}
	}
}

// TestFashionMNISTCountsFromStructure derives each version's params and MACs
// from its structure by hand (conv = H·W·Cout·Cin/groups·k², linear =
// in·out, BN 2 params per channel) or from the paper variant it adapts, and
// compares them with the built graphs.
func TestFashionMNISTCountsFromStructure(t *testing.T) {
	totals := func(name string, o Options) (int64, int64) {
		t.Helper()
		g, err := Build(name, o)
		if err != nil {
			t.Fatal(err)
		}
		tt := g.Totals()
		return tt.Params, tt.MACs
	}
	type conv struct{ hw, cin, cout, k, groups int64 }
	sum := func(cs []conv) (macs, weights int64) {
		for _, c := range cs {
			if c.groups == 0 {
				c.groups = 1
			}
			w := c.cout * c.cin / c.groups * c.k * c.k
			weights += w
			macs += c.hw * c.hw * w
		}
		return
	}
	check := func(name string, params, macs int64) {
		t.Helper()
		p, m := totals(name, Options{})
		if p != params || m != macs {
			t.Errorf("%s: built %d params, %d MACs; by hand %d, %d", name, p, m, params, macs)
		}
	}

	// AlexNet: conv1 5×5 at 28, pool to 13, conv2 5×5 at 13, pool to 6,
	// conv3-5 3×3 at 6, pool to 2; FC 256-1024-1024-10; every layer has a bias.
	cm, cw := sum([]conv{{28, 1, 16, 5, 1}, {13, 16, 48, 5, 1}, {6, 48, 96, 3, 1}, {6, 96, 64, 3, 1}, {6, 64, 64, 3, 1}})
	fc := int64(256*1024 + 1024*1024 + 1024*10)
	check("alexnet_fmnist", cw+(16+48+96+64+64)+fc+(1024+1024+10), cm+fc)

	// VGG: two 3×3 convs (bias + BN) per stage at 28, 14, 7; FC 1152-256-256-10.
	cm, cw = sum([]conv{{28, 1, 32, 3, 1}, {28, 32, 32, 3, 1}, {14, 32, 64, 3, 1}, {14, 64, 64, 3, 1}, {7, 64, 128, 3, 1}, {7, 128, 128, 3, 1}})
	fc = 128*3*3*256 + 256*256 + 256*10
	check("vgg_fmnist", cw+3*2*(32+64+128)+fc+(256+256+10), cm+fc)

	// CIFAR ResNet, 6n+2 layers: stages of 2n 3×3 convs at 28, 14, 7 with
	// 16, 32, 64 filters, BN after each, option A shortcuts (no weights).
	// The params are also the 3-channel CIFAR net's less conv1's 16·9·2.
	for _, r := range []struct {
		name, cifar string
		n           int64
	}{{"resnet20_fmnist", "resnet20", 3}, {"resnet56_fmnist", "resnet56", 9}} {
		cs := []conv{{28, 1, 16, 3, 1}}
		for s, c := range []int64{16, 32, 64} {
			hw := int64(28) >> s
			in := c / 2
			if s == 0 {
				in = 16
			}
			cs = append(cs, conv{hw, in, c, 3, 1})
			for range 2*r.n - 1 {
				cs = append(cs, conv{hw, c, c, 3, 1})
			}
		}
		cm, cw := sum(cs)
		bn := 2 * (16 + 2*r.n*(16+32+64))
		check(r.name, cw+bn+64*10+10, cm+64*10)
		cifar, _ := totals(r.cifar, Options{Classes: 10})
		if p, _ := totals(r.name, Options{}); p != cifar-16*9*2 {
			t.Errorf("%s: %d params, want %s's %d less 288", r.name, p, r.cifar, cifar)
		}
	}

	// DenseNet-BC L=40, k=12: stem 3×3 to 24; three blocks of 6 layers
	// (BN, 1×1 to 48, BN, 3×3 to 12) at 28, 14, 7; transitions BN + 1×1
	// halving the channels before 2×2 pooling; final BN, FC.
	{
		var cs []conv
		bnCh := int64(0)
		c := int64(24)
		cs = append(cs, conv{28, 1, 24, 3, 1})
		for b, hw := range []int64{28, 14, 7} {
			for range 6 {
				cs = append(cs, conv{hw, c, 48, 1, 1}, conv{hw, 48, 12, 3, 1})
				bnCh += c + 48
				c += 12
			}
			if b < 2 {
				cs = append(cs, conv{hw, c, c / 2, 1, 1})
				bnCh += c
				c /= 2
			}
		}
		bnCh += c
		cm, cw := sum(cs)
		check("densenet_bc_fmnist", cw+2*bnCh+c*10+10, cm+c*10)
	}

	// MobileNet v1 at α 0.5: stem 3×3 to 16 at 28, then 13 separable blocks
	// (depthwise 3×3 + pointwise 1×1, BN after each) with Table 1's channels
	// halved, stride 2 in blocks 2, 4 and 12 only.
	{
		cs := []conv{{28, 1, 16, 3, 1}}
		bnCh := int64(16)
		hw, cin := int64(28), int64(16)
		for i, b := range mobileNetV1Blocks {
			if b.stride == 2 && i != 5 {
				hw = (hw + 1) / 2
			}
			cout := int64(b.out / 2)
			cs = append(cs, conv{hw, cin, cin, 3, cin}, conv{hw, cin, cout, 1, 1})
			bnCh += cin + cout
			cin = cout
		}
		cm, cw := sum(cs)
		check("mobilenet_v1_fmnist", cw+2*bnCh+cin*10+10, cm+cin*10)
	}

	// ShuffleNet v1 g=3 0.5x: the paper network less one input channel of
	// conv1 and 990 classes; without conv1's stride and the max pooling its
	// stages see on 28×28 what the paper's see on 112×112, so the MACs are
	// the paper network's at 112×112 less conv1's at 56×56, plus conv1's at 28×28.
	{
		p, _ := totals("shufflenet_v1_g3_0.5x", Options{})
		_, m := totals("shufflenet_v1_g3_0.5x", Options{Input: tensor.Shape{3, 112, 112}, Classes: 10})
		conv1 := func(hw, cin int64) int64 { return hw * hw * 12 * cin * 9 }
		check("shufflenet_v1_fmnist", p-2*12*9-990*(480+1), m-conv1(56, 3)+conv1(28, 1))
	}

	// EfficientNet-B0 style: strides change no weight, so the params are those
	// of the same widths and depths at B0's strides.
	{
		g, err := efficientNetBuilder(0.5, 0.5, 0.2, 1e-5)(Options{Input: tensor.Shape{1, 224, 224}, Classes: 10})
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := totals("efficientnet_b0_fmnist", Options{}); p != g.Totals().Params {
			t.Errorf("efficientnet_b0_fmnist: %d params, the same net at B0's strides %d", p, g.Totals().Params)
		}
	}
}

// TestFashionMNISTForwardShapes proves every model of the comparison takes a
// batch of two Fashion-MNIST-shaped images (lenet5 its 32×32 field) to
// finite logits [2, 10], and that each version's features end at the
// documented size before the pooling.
func TestFashionMNISTForwardShapes(t *testing.T) {
	pooled := map[string]tensor.Shape{}
	for _, c := range fmnistExact {
		pooled[c.name] = c.pooled
	}
	for _, m := range FashionMNISTComparison() {
		t.Run(m.Name, func(t *testing.T) {
			g, err := Build(m.Name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			g.Init(1)
			if want, ok := pooled[m.Name]; ok {
				found := false
				for _, n := range g.Nodes {
					if n.Name == "avgpool" {
						found = true
						if got := n.Inputs[0].Shape[1:]; !got.Equal(want) {
							t.Errorf("features end at %v, want %v", got, want)
						}
					}
				}
				if !found {
					t.Error("no avgpool node")
				}
			}
			x := RandomInput(3, 2, g.InputShape())
			y, err := g.Forward(&ops.Context{Algo: "im2col", Fallback: "naive"}, x)
			if err != nil {
				t.Fatal(err)
			}
			if !y.Shape.Equal(tensor.Shape{2, 10}) {
				t.Fatalf("logits %v, want [2 10]", y.Shape)
			}
			if i := y.FirstNonFinite(); i >= 0 {
				t.Fatalf("logit %d is %v", i, y.Data[i])
			}
			if y.Data[0] == y.Data[10] && y.Data[1] == y.Data[11] {
				t.Errorf("both samples give the same logits %v", y.Data[:10])
			}
		})
	}
}
