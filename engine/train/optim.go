package train

import (
	"fmt"
	"math"
	"sort"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Name is "sgd", "adam" or "adamw".
	Name() string
	// Step applies one update with learning rate lr to every parameter.
	Step(params []graph.ParamRef, lr float64, threads int) error
	// State lists the optimizer's buffers for a checkpoint: one entry per
	// buffer and parameter, keyed "<parameter key>.<buffer>" with PyTorch's
	// buffer names (momentum_buffer, exp_avg, exp_avg_sq), plus "step" for
	// Adam's step count. Buffers appear after the first Step.
	State() []graph.Entry
	// Load restores buffers written by State (for resuming); it checks
	// shapes and finiteness and rejects unknown keys.
	Load(state map[string]*tensor.Tensor, params []graph.ParamRef) error
}

// buffers holds per-parameter optimizer buffers in creation order.
type buffers struct {
	names []string // buffer names per parameter, e.g. {"exp_avg", "exp_avg_sq"}
	keys  []string // parameter keys in creation order
	bufs  map[string][]*tensor.Tensor
}

func (b *buffers) get(p graph.ParamRef) []*tensor.Tensor {
	if bs, ok := b.bufs[p.Key]; ok {
		return bs
	}
	if b.bufs == nil {
		b.bufs = map[string][]*tensor.Tensor{}
	}
	bs := make([]*tensor.Tensor, len(b.names))
	for i := range bs {
		bs[i] = tensor.New(p.T.Shape...)
	}
	b.bufs[p.Key] = bs
	b.keys = append(b.keys, p.Key)
	return bs
}

func (b *buffers) state() []graph.Entry {
	var out []graph.Entry
	for _, k := range b.keys {
		for i, name := range b.names {
			out = append(out, graph.Entry{Key: k + "." + name, T: b.bufs[k][i], Buffer: true})
		}
	}
	return out
}

// load replaces the buffers with those in state; extra lists keys the
// caller handles itself.
func (b *buffers) load(state map[string]*tensor.Tensor, params []graph.ParamRef, extra ...string) error {
	known := map[string]bool{}
	for _, k := range extra {
		known[k] = true
	}
	next := buffers{names: b.names}
	for _, p := range params {
		present := 0
		for _, name := range b.names {
			if _, ok := state[p.Key+"."+name]; ok {
				present++
			}
		}
		if present == 0 {
			continue
		}
		if present != len(b.names) {
			return fmt.Errorf("optimizer state: %s has only some of its buffers %v", p.Key, b.names)
		}
		bs := next.get(p)
		for i, name := range b.names {
			key := p.Key + "." + name
			known[key] = true
			t := state[key]
			if !t.Shape.Equal(p.T.Shape) {
				return fmt.Errorf("optimizer state: %s has shape %v, want %v", key, t.Shape, p.T.Shape)
			}
			if j := t.FirstNonFinite(); j >= 0 {
				return fmt.Errorf("optimizer state: %s: non-finite value %v at index %d", key, t.Data[j], j)
			}
			copy(bs[i].Data, t.Data)
		}
	}
	var unknown []string
	for k := range state {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("optimizer state: unexpected tensor %q", unknown[0])
	}
	*b = next
	return nil
}

// update runs f over the elements of one parameter in parallel chunks.
func update(n, threads int, f func(lo, hi int)) {
	const chunk = 1 << 14
	parallel.For((n+chunk-1)/chunk, threads, func(lo, hi int) { f(lo*chunk, min(hi*chunk, n)) })
}

// SGD is stochastic gradient descent with momentum and weight decay, with
// torch.optim.SGD's update (dampening 0):
//
//	g = ∇ + wd·w;  v = μ·v + g (v = g on the first step);  w −= lr·(g + μ·v if Nesterov else v)
type SGD struct {
	Momentum    float64
	WeightDecay float64
	Nesterov    bool
	// SkipNoDecay excludes biases and normalisation parameters
	// (ParamRef.NoDecay) from weight decay.
	SkipNoDecay bool
	buf         buffers
}

// NewSGD returns an SGD optimizer.
func NewSGD(momentum, weightDecay float64, nesterov bool) *SGD {
	return &SGD{Momentum: momentum, WeightDecay: weightDecay, Nesterov: nesterov}
}

// Name implements Optimizer.
func (o *SGD) Name() string { return "sgd" }

// Step implements Optimizer.
func (o *SGD) Step(params []graph.ParamRef, lr float64, threads int) error {
	if o.Nesterov && o.Momentum <= 0 {
		return fmt.Errorf("sgd: Nesterov momentum needs a positive momentum")
	}
	o.buf.names = []string{"momentum_buffer"}
	for _, p := range params {
		wd := o.WeightDecay
		if o.SkipNoDecay && p.NoDecay {
			wd = 0
		}
		w, gr := p.T.Data, p.Grad.Data
		if o.Momentum == 0 {
			update(len(w), threads, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					g := float64(gr[i]) + wd*float64(w[i])
					w[i] = float32(float64(w[i]) - lr*g)
				}
			})
			continue
		}
		_, seen := o.buf.bufs[p.Key]
		v := o.buf.get(p)[0].Data
		mu := o.Momentum
		update(len(w), threads, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := float64(gr[i]) + wd*float64(w[i])
				var b float64
				if seen {
					b = mu*float64(v[i]) + g
				} else {
					b = g
				}
				v[i] = float32(b)
				d := float64(v[i])
				if o.Nesterov {
					d = g + mu*d
				}
				w[i] = float32(float64(w[i]) - lr*d)
			}
		})
	}
	return nil
}

// State implements Optimizer.
func (o *SGD) State() []graph.Entry { return o.buf.state() }

// Load implements Optimizer.
func (o *SGD) Load(state map[string]*tensor.Tensor, params []graph.ParamRef) error {
	o.buf.names = []string{"momentum_buffer"}
	return o.buf.load(state, params)
}

// Adam is Adam (Kingma & Ba 2015) with torch.optim.Adam's update, or AdamW
// (Loshchilov & Hutter 2019, torch.optim.AdamW) when Decoupled:
//
//	Adam:  g = ∇ + wd·w      AdamW: w −= lr·wd·w;  g = ∇
//	m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//	w −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)
type Adam struct {
	Beta1, Beta2, Eps float64
	WeightDecay       float64
	Decoupled         bool
	// SkipNoDecay excludes biases and normalisation parameters from
	// weight decay.
	SkipNoDecay bool
	step        int
	buf         buffers
}

// NewAdam returns Adam with PyTorch's defaults (β 0.9, 0.999, ε 1e-8) and
// the given L2 weight decay (PyTorch's default is 0).
func NewAdam(weightDecay float64) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay}
}

// NewAdamW returns AdamW with PyTorch's defaults (β 0.9, 0.999, ε 1e-8) and
// the given decoupled weight decay (PyTorch's default is 0.01).
func NewAdamW(weightDecay float64) *Adam {
	a := NewAdam(weightDecay)
	a.Decoupled = true
	return a
}

// Name implements Optimizer.
func (o *Adam) Name() string {
	if o.Decoupled {
		return "adamw"
	}
	return "adam"
}

// Steps is the number of updates applied so far.
func (o *Adam) Steps() int { return o.step }

// Step implements Optimizer.
func (o *Adam) Step(params []graph.ParamRef, lr float64, threads int) error {
	if o.Beta1 < 0 || o.Beta1 >= 1 || o.Beta2 < 0 || o.Beta2 >= 1 || o.Eps < 0 {
		return fmt.Errorf("%s: betas (%v, %v) must lie in [0, 1) and eps %v be ≥ 0", o.Name(), o.Beta1, o.Beta2, o.Eps)
	}
	o.buf.names = []string{"exp_avg", "exp_avg_sq"}
	o.step++
	b1, b2 := o.Beta1, o.Beta2
	bc1 := 1 - math.Pow(b1, float64(o.step))
	bc2 := math.Sqrt(1 - math.Pow(b2, float64(o.step)))
	stepSize := lr / bc1
	for _, p := range params {
		wd := o.WeightDecay
		if o.SkipNoDecay && p.NoDecay {
			wd = 0
		}
		bs := o.buf.get(p)
		m, v := bs[0].Data, bs[1].Data
		w, gr := p.T.Data, p.Grad.Data
		update(len(w), threads, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := float64(gr[i])
				wi := float64(w[i])
				if o.Decoupled {
					wi *= 1 - lr*wd
				} else {
					g += wd * wi
				}
				mi := b1*float64(m[i]) + (1-b1)*g
				vi := b2*float64(v[i]) + (1-b2)*g*g
				m[i], v[i] = float32(mi), float32(vi)
				mi, vi = float64(m[i]), float64(v[i]) // the stored state, as a resumed run sees it
				w[i] = float32(wi - stepSize*mi/(math.Sqrt(vi)/bc2+o.Eps))
			}
		})
	}
	return nil
}

// State implements Optimizer.
func (o *Adam) State() []graph.Entry {
	st := o.buf.state()
	if o.step > 0 {
		t := tensor.New(1)
		t.Data[0] = float32(o.step)
		st = append(st, graph.Entry{Key: "step", T: t, Buffer: true})
	}
	return st
}

// Load implements Optimizer.
func (o *Adam) Load(state map[string]*tensor.Tensor, params []graph.ParamRef) error {
	o.buf.names = []string{"exp_avg", "exp_avg_sq"}
	step := 0
	if t, ok := state["step"]; ok {
		if len(t.Data) != 1 || t.Data[0] < 0 || t.Data[0] != float32(int(t.Data[0])) {
			return fmt.Errorf("optimizer state: bad step count %v", t.Data)
		}
		step = int(t.Data[0])
	}
	if err := o.buf.load(state, params, "step"); err != nil {
		return err
	}
	o.step = step
	return nil
}
