package architectures

import (
	"testing"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// classicForward lists the input each classic variant runs at in the forward
// test: the smallest its layers allow (or its fixed input), and whether the
// float64 naive convolution is cheap enough to use (otherwise im2col).
var classicForward = map[string]struct {
	input tensor.Shape // nil: the default (fixed) input
	naive bool
	heavy bool // skipped in -short
}{
	"lenet5":             {naive: true},
	"lenet5_paper":       {naive: true},
	"alexnet":            {input: tensor.Shape{3, 64, 64}, naive: true},
	"alexnet_paper":      {},
	"vgg11":              {input: tensor.Shape{3, 32, 32}, heavy: true},
	"vgg11_lrn":          {input: tensor.Shape{3, 32, 32}},
	"vgg13":              {input: tensor.Shape{3, 32, 32}, heavy: true},
	"vgg16_c":            {input: tensor.Shape{3, 32, 32}},
	"vgg16":              {input: tensor.Shape{3, 32, 32}, heavy: true},
	"vgg19":              {input: tensor.Shape{3, 32, 32}, heavy: true},
	"vgg11_bn":           {input: tensor.Shape{3, 32, 32}},
	"vgg13_bn":           {input: tensor.Shape{3, 32, 32}, heavy: true},
	"vgg16_bn":           {input: tensor.Shape{3, 32, 32}, heavy: true},
	"vgg19_bn":           {input: tensor.Shape{3, 32, 32}, heavy: true},
	"resnet18":           {input: tensor.Shape{3, 32, 32}, naive: true},
	"resnet34":           {input: tensor.Shape{3, 32, 32}, heavy: true},
	"resnet50":           {input: tensor.Shape{3, 32, 32}},
	"resnet101":          {input: tensor.Shape{3, 32, 32}, heavy: true},
	"resnet152":          {input: tensor.Shape{3, 32, 32}, heavy: true},
	"resnet50_v1":        {input: tensor.Shape{3, 32, 32}},
	"resnet101_v1":       {input: tensor.Shape{3, 32, 32}, heavy: true},
	"resnet152_v1":       {input: tensor.Shape{3, 32, 32}, heavy: true},
	"resnet20":           {naive: true},
	"resnet32":           {naive: true, heavy: true},
	"resnet44":           {heavy: true},
	"resnet56":           {heavy: true},
	"resnet110":          {},
	"densenet121":        {input: tensor.Shape{3, 32, 32}},
	"densenet169":        {input: tensor.Shape{3, 32, 32}, heavy: true},
	"densenet201":        {input: tensor.Shape{3, 32, 32}, heavy: true},
	"densenet264":        {input: tensor.Shape{3, 32, 32}, heavy: true},
	"densenet_bc_100_12": {input: tensor.Shape{3, 16, 16}},
}

// TestClassicVariantsRunForward proves every classic variant builds at a
// small input, runs a forward pass of a batch of two and returns finite,
// non-constant logits of shape [2, classes] (and, with Options.Classes, of
// the requested width).
func TestClassicVariantsRunForward(t *testing.T) {
	for _, s := range All() {
		if !classicFamilies[s.Family] || s.AliasOf != "" {
			continue
		}
		cfg, ok := classicForward[s.Name]
		if !ok {
			t.Errorf("%s has no forward-test configuration", s.Name)
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			if testing.Short() && cfg.heavy {
				t.Skip("skipped in -short; a lighter variant of the family runs")
			}
			classes := 7
			g, err := Build(s.Name, Options{Input: cfg.input, Classes: classes})
			if err != nil {
				t.Fatal(err)
			}
			g.Init(1)
			ctx := &ops.Context{Algo: "im2col", Fallback: "naive"}
			if cfg.naive {
				ctx.Algo = "naive"
			}
			x := RandomInput(2, 2, g.InputShape())
			y, err := g.Forward(ctx, x)
			if err != nil {
				t.Fatal(err)
			}
			if !y.Shape.Equal(tensor.Shape{2, classes}) {
				t.Fatalf("logits %v, want [2 %d]", y.Shape, classes)
			}
			if i := y.FirstNonFinite(); i >= 0 {
				t.Fatalf("logit %d is %v", i, y.Data[i])
			}
			constant := true
			for _, v := range y.Data[1:] {
				if v != y.Data[0] {
					constant = false
				}
			}
			if constant {
				t.Errorf("all logits equal %v", y.Data[0])
			}
			// the two samples differ, so must their logits
			same := true
			for i := 0; i < classes; i++ {
				if y.Data[i] != y.Data[classes+i] {
					same = false
				}
			}
			if same {
				t.Errorf("both samples give the same logits %v", y.Data[:classes])
			}
		})
	}
}

// TestClassicInputOverrides proves adaptive-pooling models accept other
// resolutions and fixed-head models refuse them with an error.
func TestClassicInputOverrides(t *testing.T) {
	for _, s := range All() {
		if !classicFamilies[s.Family] || s.AliasOf != "" {
			continue
		}
		in := s.Input.Clone()
		in[1], in[2] = in[1]+32, in[2]+16
		g, err := Build(s.Name, Options{Input: in})
		if s.FixedInput {
			if err == nil {
				t.Errorf("%s: fixed input %s, but %s was accepted", s.Name, s.Input.Dims(), in.Dims())
			}
			continue
		}
		if err != nil {
			t.Errorf("%s at %s: %v", s.Name, in.Dims(), err)
			continue
		}
		if !g.InputShape().Equal(in) || !g.Output.Shape.Equal(tensor.Shape{1, s.Classes}) {
			t.Errorf("%s at %s: input %v, output %v", s.Name, in.Dims(), g.InputShape(), g.Output.Shape)
		}
	}
	for _, name := range []string{"lenet5", "lenet5_paper", "alexnet_paper"} {
		if s, _ := Lookup(name); !s.FixedInput {
			t.Errorf("%s: its classifier fits only %s, want FixedInput", name, s.Input.Dims())
		}
	}
}

// TestShortcutAMatchesPyTorchPad proves ShortcutA computes
// F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, front, back)): every other row and
// column, zero channels before and after, odd sizes rounded up.
func TestShortcutAMatchesPyTorchPad(t *testing.T) {
	const n, c, h, w = 2, 3, 5, 4
	x := tensor.New(n, c, h, w)
	for i := range x.Data {
		x.Data[i] = float32(i + 1)
	}
	s := &ShortcutA{Stride: 2, Front: 2, Back: 1}
	shape, err := s.OutShape([]tensor.Shape{x.Shape})
	if err != nil {
		t.Fatal(err)
	}
	if want := (tensor.Shape{n, 6, 3, 2}); !shape.Equal(want) {
		t.Fatalf("shape %v, want %v", shape, want)
	}
	out := tensor.New(shape...)
	out.Fill(-1) // every element must be written
	if err := s.Forward(&ops.Context{}, out, []*tensor.Tensor{x}); err != nil {
		t.Fatal(err)
	}
	for b := 0; b < n; b++ {
		for ch := 0; ch < 6; ch++ {
			for y := 0; y < 3; y++ {
				for xo := 0; xo < 2; xo++ {
					var want float32
					if ic := ch - 2; ic >= 0 && ic < c {
						want = x.Data[((b*c+ic)*h+2*y)*w+2*xo]
					}
					if got := out.Data[((b*6+ch)*3+y)*2+xo]; got != want {
						t.Errorf("out[%d,%d,%d,%d] = %v, want %v", b, ch, y, xo, got, want)
					}
				}
			}
		}
	}
	if p := s.Params(); len(p) != 0 {
		t.Errorf("ShortcutA has %d params, want none", len(p))
	}
}
