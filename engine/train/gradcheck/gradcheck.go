// Package gradcheck compares backward passes with central finite
// differences of the forward pass, for single layers (Layer) and whole
// graphs under the cross-entropy loss (Graph).
//
// For a layer, the loss is L = Σ_i out_i·R_i with R a fixed random tensor,
// so ∂L/∂out = R exercises every output. Each checked coordinate θ gets
// (L(θ+h) − L(θ−h)) / (θ₊ − θ₋), where θ± are the float32 values actually
// stored (so the rounding of θ ± h does not bias the quotient), and L is
// summed in float64 over the float32 outputs. The forward passes run in
// float32 (the naive convolution accumulates in float64 and rounds once),
// so the numerical side carries an error of about ε₃₂·|out|·√(outputs
// touched)/h besides the O(h²) truncation; inputs should keep at least 2h
// away from kinks (ReLU at 0, max-pool ties).
//
// Backward's conventions are checked on the way: input gradients are
// prefilled with NaN (every element must be written), parameter gradients
// with a constant that must survive as an offset (they accumulate), and
// In/Out are handed to Backward only when BackwardNeeds asks for them.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/train"
)

// Options tune a check; zero values take the defaults.
type Options struct {
	// Step is the finite-difference step h (default 1e-2).
	Step float64
	// Samples is the most coordinates checked per tensor (default 48); a
	// tensor with fewer elements is checked everywhere.
	Samples int
	// Seed fixes R, the sampled coordinates and the layers' random masks.
	Seed uint64
	// Algo is the convolution algorithm of the forward passes (default
	// "naive": float64 accumulation).
	Algo string
	// Threads for the forward and backward passes (default 1).
	Threads int
	// SkipKinks skips coordinates where the loss is not smooth within h:
	// where the central differences with steps h and h/2 disagree by more
	// than 10% of their size (floored at 1% of the tensor's largest
	// gradient), a ReLU input or a max-pool winner switched inside the step.
	// A wrong analytic gradient still fails: both estimates agree with each
	// other there, not with it. Result.Skipped counts them.
	SkipKinks bool
}

func (o Options) withDefaults() Options {
	if o.Step == 0 {
		o.Step = 1e-2
	}
	if o.Samples == 0 {
		o.Samples = 48
	}
	if o.Algo == "" {
		o.Algo = "naive"
	}
	if o.Threads == 0 {
		o.Threads = 1
	}
	return o
}

// Result compares one tensor's analytic gradient a with the numerical one n
// over the checked coordinates.
type Result struct {
	Name    string
	Checked int
	// Skipped counts coordinates left out by SkipKinks.
	Skipped int
	// RelL2 is ‖a − n‖₂ / ‖n‖₂ (‖a − n‖₂ when n is zero).
	RelL2 float64
	// MaxRel is max_i |a_i − n_i| / max(|a_i|, |n_i|, 1e-2·max|n|): the
	// relative error, measured against a floor near zero.
	MaxRel float64
	// MaxAbs is max_i |a_i − n_i|.
	MaxAbs float64
}

func (r Result) String() string {
	return fmt.Sprintf("%s: %d checked (%d skipped at kinks), rel L2 %.2e, max rel %.2e, max abs %.2e", r.Name, r.Checked, r.Skipped, r.RelL2, r.MaxRel, r.MaxAbs)
}

func compare(name string, ana, num []float64) Result {
	r := Result{Name: name, Checked: len(num)}
	var diff2, norm2, maxN float64
	for _, v := range num {
		maxN = max(maxN, math.Abs(v))
	}
	floor := 1e-2 * maxN
	for i := range num {
		d := math.Abs(ana[i] - num[i])
		diff2 += d * d
		norm2 += num[i] * num[i]
		r.MaxAbs = max(r.MaxAbs, d)
		if den := max(math.Abs(ana[i]), math.Abs(num[i]), floor); den > 0 {
			r.MaxRel = max(r.MaxRel, d/den)
		} else if d > 0 || math.IsNaN(d) {
			r.MaxRel = math.Inf(1)
		}
		if math.IsNaN(d) {
			r.MaxRel, r.RelL2 = math.NaN(), math.NaN()
		}
	}
	if math.IsNaN(r.RelL2) {
		return r
	}
	if norm2 > 0 {
		r.RelL2 = math.Sqrt(diff2 / norm2)
	} else {
		r.RelL2 = math.Sqrt(diff2)
	}
	return r
}

// sample returns the coordinates to check in a tensor of n elements.
func sample(r *rand.Rand, n, k int) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return r.Perm(n)[:k]
}

// estimate returns the numerical gradient at the coordinates idx of x and
// which of them to keep (all, unless kinks are skipped).
func estimate(x []float32, idx []int, o Options, loss func() (float64, error), reset func()) ([]float64, []bool, error) {
	num, err := numeric(x, idx, o.Step, loss, reset)
	keep := make([]bool, len(idx))
	for i := range keep {
		keep[i] = true
	}
	if err != nil || !o.SkipKinks {
		return num, keep, err
	}
	half, err := numeric(x, idx, o.Step/2, loss, reset)
	if err != nil {
		return nil, nil, err
	}
	var maxN float64
	for _, v := range num {
		maxN = max(maxN, math.Abs(v))
	}
	for i := range num {
		if math.Abs(num[i]-half[i]) > 0.1*max(math.Abs(num[i]), math.Abs(half[i]), 1e-2*maxN) {
			keep[i] = false
		}
	}
	return num, keep, nil
}

// compareKept is compare over the kept coordinates.
func compareKept(name string, ana, num []float64, keep []bool) Result {
	var a, n []float64
	for i, k := range keep {
		if k {
			a, n = append(a, ana[i]), append(n, num[i])
		}
	}
	r := compare(name, a, n)
	r.Skipped = len(keep) - len(n)
	return r
}

// numeric returns the central difference of loss at each coordinate of x,
// restoring x afterwards; reset runs after every change.
func numeric(x []float32, idx []int, h float64, loss func() (float64, error), reset func()) ([]float64, error) {
	out := make([]float64, len(idx))
	for k, i := range idx {
		orig := x[i]
		xp, xm := float32(float64(orig)+h), float32(float64(orig)-h)
		x[i] = xp
		reset()
		lp, err := loss()
		if err != nil {
			x[i] = orig
			reset()
			return nil, err
		}
		x[i] = xm
		reset()
		lm, err := loss()
		x[i] = orig
		reset()
		if err != nil {
			return nil, err
		}
		out[k] = (lp - lm) / (float64(xp) - float64(xm))
	}
	return out, nil
}

const paramOffset = 0.5 // prefill of parameter gradients (they accumulate)

// Layer checks l's Backward on inputs in against finite differences of its
// (training-mode) forward pass, for every input and trainable parameter.
// It changes in and the parameters only temporarily.
func Layer(l ops.Layer, in []*tensor.Tensor, o Options) ([]Result, error) {
	o = o.withDefaults()
	b, ok := l.(ops.Backwarder)
	if !ok {
		return nil, fmt.Errorf("%s has no backward pass", l.Type())
	}
	ctx := &ops.Context{Algo: o.Algo, Threads: o.Threads}
	shapes := make([]tensor.Shape, len(in))
	for i, x := range in {
		shapes[i] = x.Shape
	}
	s, err := l.OutShape(shapes)
	if err != nil {
		return nil, err
	}
	forward := func() (*tensor.Tensor, any, error) {
		out := tensor.New(s...)
		saved, err := ops.ForwardTrainOf(l, ctx, rand.New(rand.NewPCG(o.Seed, 1)), out, in)
		return out, saved, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	R := tensor.New(s...)
	for i := range R.Data {
		R.Data[i] = float32(2*rng.Float64() - 1)
	}
	loss := func() (float64, error) {
		out, _, err := forward()
		if err != nil {
			return 0, err
		}
		var sum float64
		for i, v := range out.Data {
			sum += float64(v) * float64(R.Data[i])
		}
		return sum, nil
	}
	reset := func() {
		if r, ok := l.(ops.Resetter); ok {
			r.Reset()
		}
	}

	// analytic
	reset()
	out, saved, err := forward()
	if err != nil {
		return nil, err
	}
	needIn, needOut := b.BackwardNeeds()
	g := &ops.Grad{DOut: R, Saved: saved, In: make([]*tensor.Tensor, len(in)), DIn: make([]*tensor.Tensor, len(in))}
	if needOut {
		g.Out = out
	}
	for i, x := range in {
		if needIn {
			g.In[i] = x
		}
		g.DIn[i] = tensor.New(x.Shape...)
		g.DIn[i].Fill(float32(math.NaN()))
	}
	params := l.Params()
	g.DParams = make([]*tensor.Tensor, len(params))
	for j, p := range params {
		if !p.Buffer {
			g.DParams[j] = tensor.New(p.T.Shape...)
			g.DParams[j].Fill(paramOffset)
		}
	}
	if err := b.Backward(ctx, g); err != nil {
		return nil, err
	}

	var results []Result
	check := func(name string, x []float32, ana func(i int) float64) error {
		idx := sample(rng, len(x), o.Samples)
		num, keep, err := estimate(x, idx, o, loss, reset)
		if err != nil {
			return err
		}
		a := make([]float64, len(idx))
		for k, i := range idx {
			a[k] = ana(i)
		}
		results = append(results, compareKept(name, a, num, keep))
		return nil
	}
	for i, x := range in {
		d := g.DIn[i]
		if j := d.FirstNonFinite(); j >= 0 {
			return nil, fmt.Errorf("%s: input gradient %d: element %d not written (or not finite: %v)", l.Type(), i, j, d.Data[j])
		}
		if err := check(fmt.Sprintf("input%d", i), x.Data, func(k int) float64 { return float64(d.Data[k]) }); err != nil {
			return nil, err
		}
	}
	for j, p := range params {
		if p.Buffer {
			continue
		}
		d := g.DParams[j]
		if err := check(p.Name, p.T.Data, func(k int) float64 { return float64(d.Data[k]) - paramOffset }); err != nil {
			return nil, err
		}
	}
	reset()
	return results, nil
}

// Graph checks the parameter gradients of bp (and the input gradient) for
// the loss train.SoftmaxCrossEntropy(graph(x), labels, smoothing), the
// graph running in training mode with a fixed mask seed.
func Graph(bp *graph.Backprop, x *tensor.Tensor, labels []int, smoothing float64, o Options) ([]Result, error) {
	o = o.withDefaults()
	ctx := &ops.Context{Algo: o.Algo, Threads: o.Threads}
	loss := func() (float64, error) {
		logits, err := bp.Forward(ctx, x, o.Seed)
		if err != nil {
			return 0, err
		}
		l, _, err := train.SoftmaxCrossEntropy(logits, labels, smoothing)
		return l, err
	}
	logits, err := bp.Forward(ctx, x, o.Seed)
	if err != nil {
		return nil, err
	}
	_, dLogits, err := train.SoftmaxCrossEntropy(logits, labels, smoothing)
	if err != nil {
		return nil, err
	}
	bp.ZeroGrad()
	bp.InputGrad = true
	defer func() { bp.InputGrad = false }()
	if err := bp.Backward(ctx, dLogits); err != nil {
		return nil, err
	}
	dx := bp.DInput().Clone()
	rng := rand.New(rand.NewPCG(o.Seed, 3))
	var results []Result
	check := func(name string, x, d []float32) error {
		idx := sample(rng, len(x), o.Samples)
		num, keep, err := estimate(x, idx, o, loss, func() {})
		if err != nil {
			return err
		}
		a := make([]float64, len(idx))
		for k, i := range idx {
			a[k] = float64(d[i])
		}
		results = append(results, compareKept(name, a, num, keep))
		return nil
	}
	if err := check("input", x.Data, dx.Data); err != nil {
		return nil, err
	}
	for _, p := range bp.Params() {
		grad := append([]float32(nil), p.Grad.Data...)
		if err := check(p.Key, p.T.Data, grad); err != nil {
			return nil, err
		}
	}
	bp.Updated()
	return results, nil
}
