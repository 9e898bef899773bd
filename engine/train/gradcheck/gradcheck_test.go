package gradcheck

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// scale is y = w·x elementwise with a deliberately configurable backward.
type scale struct {
	w    *tensor.Tensor
	bug  string // "", "factor", "unwritten", "overwrite"
	uses bool   // declare that Backward reads its input
}

func (s *scale) Type() string                                     { return "Scale" }
func (s *scale) OutShape(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
func (s *scale) Params() []ops.Param {
	return []ops.Param{{Name: "weight", T: s.w, Count: len(s.w.Data)}}
}
func (s *scale) Cost(in []tensor.Shape, out tensor.Shape) ops.Cost { return ops.Cost{} }
func (s *scale) BackwardNeeds() (inputs, output bool)              { return s.uses, false }
func (s *scale) Forward(ctx *ops.Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	for i, v := range in[0].Data {
		out.Data[i] = v * s.w.Data[i]
	}
	return nil
}

func (s *scale) Backward(ctx *ops.Context, g *ops.Grad) error {
	f := float32(1)
	if s.bug == "factor" {
		f = 1.01
	}
	for i, d := range g.DOut.Data {
		if s.bug != "unwritten" || i > 0 {
			g.DIn[0].Data[i] = d * s.w.Data[i] * f
		}
		if g.In[0] == nil {
			continue
		}
		if s.bug == "overwrite" {
			g.DParams[0].Data[i] = d * g.In[0].Data[i]
		} else {
			g.DParams[0].Data[i] += d * g.In[0].Data[i]
		}
	}
	return nil
}

func layer(bug string) (*scale, []*tensor.Tensor) {
	r := rand.New(rand.NewPCG(1, 1))
	w, x := tensor.New(2, 5), tensor.New(2, 5)
	for i := range w.Data {
		w.Data[i], x.Data[i] = float32(r.Float64()+0.5), float32(r.Float64()-0.5)
	}
	return &scale{w: w, bug: bug, uses: true}, []*tensor.Tensor{x}
}

// The checker passes a correct backward to rounding and catches each kind
// of mistake: a wrong value, an unwritten input gradient, parameter
// gradients overwritten instead of accumulated, and a backward that reads an
// input it did not declare.
func TestCheckerCatchesMistakes(t *testing.T) {
	l, in := layer("")
	res, err := Layer(l, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.RelL2 > 1e-5 {
			t.Errorf("correct backward: %s", r)
		}
	}

	l, in = layer("factor")
	res, _ = Layer(l, in, Options{})
	if res[0].RelL2 < 5e-3 {
		t.Errorf("1%% error not seen: %s", res[0])
	}

	l, in = layer("unwritten")
	if _, err := Layer(l, in, Options{}); err == nil || !strings.Contains(err.Error(), "element 0 not written") {
		t.Errorf("unwritten input gradient: %v", err)
	}

	l, in = layer("overwrite")
	res, _ = Layer(l, in, Options{})
	if res[1].Name != "weight" || res[1].MaxAbs < 0.4 {
		t.Errorf("overwritten parameter gradient not seen: %v", res)
	}

	l, in = layer("")
	l.uses = false // reads In without declaring it: gets nil, computes no weight gradient
	res, _ = Layer(l, in, Options{})
	if res[1].RelL2 < 0.5 {
		t.Errorf("undeclared input read not seen: %v", res)
	}
}
