package graph

import (
	"math"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// block is two residual blocks and a branch that must not fuse:
//
//	x → conv1 → bn1 → relu1 → conv2 → bn2 → add(·, x) → relu2 ─┬→ conv3 → silu ─┐
//	                                                        └→ conv4 ────────┴→ add2 → pool → fc
//
// conv3 and conv4 both read relu2's output (fine: it is conv2's); add2's
// operands are both convolutions, so only the later one (conv4) takes the
// residual; the SiLU fuses into conv3.
func block() *Graph {
	g, x := New("block", tensor.Shape{4, 7, 7})
	c1 := g.Add("conv1", ops.NewConv2D(4, 4, 3, ops.Pad(1)), x)
	b1 := g.Add("bn1", ops.NewBatchNorm2D(4), c1)
	r1 := g.Add("relu1", ops.ReLU(), b1)
	c2 := g.Add("conv2", ops.NewConv2D(4, 4, 3, ops.Pad(1)), r1)
	b2 := g.Add("bn2", ops.NewBatchNorm2D(4), c2)
	a := g.Add("add", ops.Add{}, b2, x)
	r2 := g.Add("relu2", ops.ReLU(), a)
	c3 := g.Add("conv3", ops.NewConv2D(4, 6, 1), r2)
	s3 := g.Add("silu", ops.SiLU(), c3)
	c4 := g.Add("conv4", ops.NewConv2D(4, 6, 3, ops.Pad(1)), r2)
	a2 := g.Add("add2", ops.Add{}, s3, c4)
	p := g.Add("pool", ops.GlobalAvgPool(), a2)
	f := g.Add("flatten", ops.Flatten{}, p)
	g.Add("fc", ops.NewDense(6, 3), f)
	return g
}

func testInput(shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(3*i + 1)))
	}
	return x
}

// TestFuseKeepsOutputsAndAbsorbsWhatItCan: Fuse folds both BNs, fuses
// relu1, relu2 (after the residual add), the SiLU and add2, and the fused
// graph computes what the original did, with every kernel set.
func TestFuseKeepsOutputsAndAbsorbsWhatItCan(t *testing.T) {
	for _, set := range kernels.Available() {
		t.Run(set, func(t *testing.T) {
			if err := kernels.Select(set); err != nil {
				t.Fatal(err)
			}
			defer kernels.Select("auto")
			g := block()
			g.Init(5)
			x := testInput(2, 4, 7, 7)
			want, err := g.Forward(&ops.Context{}, x)
			if err != nil {
				t.Fatal(err)
			}
			bns, acts, adds := g.Fuse()
			if bns != 2 || acts != 3 || adds != 2 {
				t.Fatalf("fused bn=%d act=%d add=%d, want 2, 3, 2", bns, acts, adds)
			}
			fused := map[string]string{}
			for _, n := range g.Nodes[1:] {
				if c, ok := n.Layer.(*ops.Conv2D); ok {
					fused[n.Name] = c.Fused()
				}
			}
			for name, f := range map[string]string{"conv1": "relu", "conv2": "+residual,relu", "conv3": "silu", "conv4": "+residual"} {
				if fused[name] != f {
					t.Errorf("%s fused %q, want %q", name, fused[name], f)
				}
			}
			for _, pool := range []*tensor.Pool{nil, {Poison: true}} {
				got, err := g.Forward(&ops.Context{Pool: pool}, x)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want.Data {
					if d := math.Abs(float64(got.Data[i] - want.Data[i])); !(d <= 1e-5*(1+math.Abs(float64(want.Data[i])))) {
						t.Fatalf("output %d: fused %v, unfused %v", i, got.Data[i], want.Data[i])
					}
				}
			}
		})
	}
}

// TestFuseLeavesSharedOutputsAlone: a convolution whose output has two
// readers keeps them (neither the activation nor the add may absorb it),
// and an Add whose other operand comes later is not fused.
func TestFuseLeavesSharedOutputsAlone(t *testing.T) {
	g, x := New("shared", tensor.Shape{3, 5, 5})
	c := g.Add("conv", ops.NewConv2D(3, 3, 3, ops.Pad(1)), x)
	r := g.Add("relu", ops.ReLU(), c)
	g.Add("add", ops.Add{}, r, c)
	g.Init(1)
	want, _ := g.Forward(&ops.Context{}, testInput(1, 3, 5, 5))
	if bns, acts, adds := g.Fuse(); bns+acts+adds != 0 {
		t.Fatalf("fused bn=%d act=%d add=%d in a graph where nothing may fuse", bns, acts, adds)
	}
	got, _ := g.Forward(&ops.Context{}, testInput(1, 3, 5, 5))
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("output %d changed: %v, was %v", i, got.Data[i], want.Data[i])
		}
	}
}

// TestFusedConvHasNoBackward: training a fused graph is an error, not a
// silently wrong gradient.
func TestFusedConvHasNoBackward(t *testing.T) {
	c := ops.NewConv2D(2, 2, 1)
	c.Act = kernels.ActReLU
	if err := c.Backward(&ops.Context{}, &ops.Grad{}); err == nil {
		t.Fatal("a fused convolution ran a backward pass")
	}
}

// TestPoolRecyclesWithoutLeakingTheOutput: repeated passes on one Context
// (one pool) give the same output each time, and the output of one pass is
// not overwritten by the next.
func TestPoolRecyclesWithoutLeakingTheOutput(t *testing.T) {
	g := block()
	g.Init(9)
	g.Fuse()
	ctx := &ops.Context{Pool: &tensor.Pool{Poison: true}}
	x := testInput(1, 4, 7, 7)
	first, err := g.Forward(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	keep := first.Clone()
	for range 3 {
		y, err := g.Forward(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		for i := range keep.Data {
			if y.Data[i] != keep.Data[i] || first.Data[i] != keep.Data[i] {
				t.Fatalf("pass output %d: %v, first pass %v (now %v)", i, y.Data[i], keep.Data[i], first.Data[i])
			}
		}
	}
	if ctx.Pool.Bytes() == 0 {
		t.Error("the pool holds nothing after a pass: intermediates are not recycled")
	}
}

// TestFuseBatchNormActivation: a BN that follows no convolution (DenseNet's
// pre-activation) takes the ReLU after it, and the output is unchanged.
func TestFuseBatchNormActivation(t *testing.T) {
	g, x := New("preact", tensor.Shape{3, 6, 6})
	b := g.Add("norm", ops.NewBatchNorm2D(3), x)
	r := g.Add("relu", ops.ReLU(), b)
	g.Add("conv", ops.NewConv2D(3, 5, 3, ops.Pad(1)), r)
	g.Init(3)
	in := testInput(2, 3, 6, 6)
	want, _ := g.Forward(&ops.Context{}, in)
	if bns, acts, adds := g.Fuse(); bns != 0 || acts != 1 || adds != 0 {
		t.Fatalf("fused bn=%d act=%d add=%d, want 0, 1, 0", bns, acts, adds)
	}
	if bn := g.Nodes[1].Layer.(*ops.BatchNorm2D); bn.Act != kernels.ActReLU {
		t.Fatalf("the BN's activation is %s, want relu", bn.Act)
	}
	got, _ := g.Forward(&ops.Context{}, in)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("output %d: fused %v, unfused %v", i, got.Data[i], want.Data[i])
		}
	}
}
