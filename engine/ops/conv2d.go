package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Conv2D is a 2-D convolution layer (PyTorch nn.Conv2d semantics) with
// optional bias, asymmetric padding, dilation and groups. Weights are OIHW.
//
// Connections, if set, is a Cout×(Cin/Groups) table of which input maps feed
// which output map (LeNet-5's sparse C3); absent connections have their
// weights held at zero and count neither as parameters nor as MACs.
type Conv2D struct {
	Cin, Cout, KH, KW int
	StrideH, StrideW  int
	PadT, PadB        int
	PadL, PadR        int
	DilH, DilW        int
	Groups            int
	Weight, Bias      *tensor.Tensor
	Connections       [][]bool
	// Algo overrides the context's algorithm for this layer ("" = context).
	Algo string
	// Act is an activation fused into the layer by graph.Fuse (inference
	// only): out = Act(conv(x) + bias [+ residual]). With it, or with a
	// residual, the layer has no backward pass.
	Act kernels.Act
	// Residual is set by graph.Fuse when the layer takes a second input
	// of its output's shape that is added before Act (ResNet's shortcut).
	Residual bool

	mu    sync.Mutex
	plans map[planKey]conv.Plan
	used  string
}

type planKey struct {
	algo    string
	n, h, w int
}

// ConvOpt adjusts a Conv2D as it is built.
type ConvOpt func(*Conv2D)

// Stride sets both strides.
func Stride(s int) ConvOpt { return func(c *Conv2D) { c.StrideH, c.StrideW = s, s } }

// Pad sets symmetric padding on all four sides.
func Pad(p int) ConvOpt { return func(c *Conv2D) { c.PadT, c.PadB, c.PadL, c.PadR = p, p, p, p } }

// PadTBLR sets each side's padding (top, bottom, left, right).
func PadTBLR(t, b, l, r int) ConvOpt {
	return func(c *Conv2D) { c.PadT, c.PadB, c.PadL, c.PadR = t, b, l, r }
}

// Dilation sets both dilations.
func Dilation(d int) ConvOpt { return func(c *Conv2D) { c.DilH, c.DilW = d, d } }

// Groups sets the number of groups (Cin for depthwise).
func Groups(g int) ConvOpt { return func(c *Conv2D) { c.Groups = g } }

// Bias gives the layer a bias vector (PyTorch's bias=True).
func Bias() ConvOpt { return func(c *Conv2D) { c.Bias = tensor.New(c.Cout) } }

// Rect sets a non-square kernel.
func Rect(kh, kw int) ConvOpt { return func(c *Conv2D) { c.KH, c.KW = kh, kw } }

// NewConv2D returns a k×k convolution from cin to cout channels, stride 1,
// no padding, no bias, one group, adjusted by opts. Weights are zero until
// Init or a state-dict load.
func NewConv2D(cin, cout, k int, opts ...ConvOpt) *Conv2D {
	c := &Conv2D{Cin: cin, Cout: cout, KH: k, KW: k, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	var bias bool
	for _, o := range opts {
		o(c)
		if c.Bias != nil {
			bias = true
			c.Bias = nil
		}
	}
	if c.Groups < 1 || cin%c.Groups != 0 || cout%c.Groups != 0 {
		panic(fmt.Sprintf("ops.NewConv2D: %d groups do not divide %d→%d channels", c.Groups, cin, cout))
	}
	c.Weight = tensor.New(cout, cin/c.Groups, c.KH, c.KW)
	if bias {
		c.Bias = tensor.New(cout)
	}
	return c
}

// Type implements Layer.
func (c *Conv2D) Type() string { return "Conv2D" }

// Problem returns the convolution problem for an input of shape [N, C, H, W].
func (c *Conv2D) Problem(in tensor.Shape) conv.Params {
	return conv.Params{N: in[0], Cin: c.Cin, H: in[2], W: in[3], Cout: c.Cout, KH: c.KH, KW: c.KW,
		StrideH: c.StrideH, StrideW: c.StrideW, PadT: c.PadT, PadB: c.PadB, PadL: c.PadL, PadR: c.PadR,
		DilH: c.DilH, DilW: c.DilW, Groups: c.Groups}
}

// OutShape implements Layer.
func (c *Conv2D) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	inputs := 1
	if c.Residual {
		inputs = 2
	}
	if err := want("Conv2D", in, inputs, 4); err != nil {
		return nil, err
	}
	if in[0][1] != c.Cin {
		return nil, fmt.Errorf("Conv2D: input has %d channels, layer expects %d", in[0][1], c.Cin)
	}
	p := c.Problem(in[0])
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := tensor.Shape{p.N, p.Cout, p.OutH(), p.OutW()}
	if c.Residual && !in[1].Equal(out) {
		return nil, fmt.Errorf("Conv2D: residual input %v, want the output's shape %v", in[1], out)
	}
	return out, nil
}

// Fused describes what graph.Fuse put into the layer, e.g. "+residual,relu"
// ("" for nothing).
func (c *Conv2D) Fused() string {
	e := conv.Epilogue{Act: c.Act}
	if c.Residual {
		e.Residual = []float32{} // any non-nil slice: String names it
	}
	return e.String()
}

// epilogue is the fused tail for one Forward: the activation, and the
// second input as the residual.
func (c *Conv2D) epilogue(in []*tensor.Tensor) conv.Epilogue {
	e := conv.Epilogue{Act: c.Act}
	if c.Residual {
		e.Residual = in[1].Data
	}
	return e
}

func (c *Conv2D) connected() int {
	if c.Connections == nil {
		return c.Cout * c.Cin / c.Groups
	}
	n := 0
	for _, row := range c.Connections {
		for _, on := range row {
			if on {
				n++
			}
		}
	}
	return n
}

// Params implements Layer.
func (c *Conv2D) Params() []Param {
	w := trainable("weight", c.Weight)
	w.Count = c.connected() * c.KH * c.KW
	ps := []Param{w}
	if c.Bias != nil {
		ps = append(ps, trainable("bias", c.Bias))
	}
	return ps
}

// Cost implements Layer.
func (c *Conv2D) Cost(in []tensor.Shape, out tensor.Shape) Cost {
	spatial := int64(out[0]) * int64(out[2]) * int64(out[3])
	cost := Cost{MACs: spatial * int64(c.connected()) * int64(c.KH*c.KW)}
	if c.Bias != nil {
		cost.OtherOps = spatial * int64(c.Cout)
	}
	// Fused layers keep the counts of the Add and activation they absorbed.
	if c.Residual {
		cost.OtherOps += int64(out.Numel())
	}
	if c.Act != kernels.ActNone {
		cost.OtherOps += int64(out.Numel())
	}
	return cost
}

// Init implements Initializer: He-uniform weights (fan-in of the connected
// inputs), biases uniform in ±1/√fan-in.
func (c *Conv2D) Init(r *rand.Rand) {
	fanIn := float64(c.Cin / c.Groups * c.KH * c.KW)
	uniform(r, c.Weight.Data, math.Sqrt(6/fanIn))
	if c.Bias != nil {
		uniform(r, c.Bias.Data, 1/math.Sqrt(fanIn))
	}
	c.Reset()
}

// Reset drops prepared plans; call it after changing Weight or Bias.
func (c *Conv2D) Reset() {
	c.mu.Lock()
	c.plans = nil
	c.mu.Unlock()
}

// UsedAlgo is the algorithm the last Forward actually ran ("" before any).
func (c *Conv2D) UsedAlgo() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// weights returns the weights to plan with: masked copies when sparse.
func (c *Conv2D) weights() []float32 {
	if c.Connections == nil {
		return c.Weight.Data
	}
	w := append([]float32(nil), c.Weight.Data...)
	k := c.KH * c.KW
	cin := c.Cin / c.Groups
	for o, row := range c.Connections {
		for i, on := range row {
			if !on {
				clear(w[(o*cin+i)*k : (o*cin+i+1)*k])
			}
		}
	}
	return w
}

// plan returns a prepared plan for this input, trying the chosen algorithm
// and falling back when it does not support the shape.
func (c *Conv2D) plan(ctx *Context, p conv.Params) (conv.Plan, error) {
	algo := c.Algo
	if algo == "" {
		algo = ctx.Algo
	}
	if algo == "" {
		algo = DefaultAlgo
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := planKey{algo, p.N, p.H, p.W}
	if pl, ok := c.plans[key]; ok {
		c.used = usedName(algo, pl)
		return pl, nil
	}
	pl, err := makePlan(algo, p, c.weights(), biasData(c.Bias))
	if errors.Is(err, conv.ErrUnsupported) {
		fb := ctx.Fallback
		if fb == "" {
			fb = DefaultAlgo
		}
		algo = fb
		pl, err = makePlan(fb, p, c.weights(), biasData(c.Bias))
	}
	if err != nil {
		return nil, err
	}
	if c.plans == nil {
		c.plans = map[planKey]conv.Plan{}
	}
	c.plans[key] = pl
	c.used = usedName(algo, pl)
	return pl, nil
}

// usedName is algo, or "auto:<choice>" when auto delegated.
func usedName(algo string, pl conv.Plan) string {
	if ch, ok := pl.(conv.Chooser); ok {
		return algo + ":" + ch.Chosen()
	}
	return algo
}

// Resolve prepares (without running) the plan for an input of shape in and
// returns the algorithm that would run, e.g. "im2col" or "auto:direct".
func (c *Conv2D) Resolve(ctx *Context, in tensor.Shape) (string, error) {
	if _, err := c.plan(ctx, c.Problem(in)); err != nil {
		return "", err
	}
	return c.UsedAlgo(), nil
}

func makePlan(algo string, p conv.Params, w, b []float32) (conv.Plan, error) {
	a, err := conv.Lookup(algo)
	if err != nil {
		return nil, err
	}
	return a.Plan(p, w, b)
}

func biasData(b *tensor.Tensor) []float32 {
	if b == nil {
		return nil
	}
	return b.Data
}

// Forward implements Layer.
func (c *Conv2D) Forward(ctx *Context, out *tensor.Tensor, in []*tensor.Tensor) error {
	p := c.Problem(in[0].Shape)
	pl, err := c.plan(ctx, p)
	if err != nil {
		return err
	}
	ws := ctx.arena().Get(0, pl.Workspace())
	conv.Forward(pl, out.Data, in[0].Data, ws, ctx.Threads, c.epilogue(in))
	return nil
}
