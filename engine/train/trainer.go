package train

import (
	"fmt"
	"math"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Trainer runs training steps on a graph: training-mode forward, loss,
// backward, checks, optimizer update.
type Trainer struct {
	BP    *graph.Backprop
	Opt   Optimizer
	Sched Schedule
	// Objective is the loss (default CrossEntropy without smoothing;
	// RBFMAP for lenet5_paper's distance outputs).
	Objective Objective
	// ClipNorm, if positive, clips the global gradient norm before the update.
	ClipNorm float64
	// Seed and Steps fix the random masks of each step: step k draws from
	// streams derived from (Seed, k) and each layer's name. Steps counts
	// completed updates; set it when resuming.
	Seed  uint64
	Steps int
}

// NewTrainer returns a Trainer at step 0.
func NewTrainer(bp *graph.Backprop, opt Optimizer, sched Schedule, seed uint64) *Trainer {
	return &Trainer{BP: bp, Opt: opt, Sched: sched, Seed: seed, Objective: CrossEntropy{}}
}

// StepStats describes one training step.
type StepStats struct {
	Loss       float64 // mean loss over the batch (before the update)
	Top1, Top5 int     // correct predictions in the batch (training mode, before the update)
	N          int     // batch size
	LR         float64 // learning rate applied
	GradNorm   float64 // global gradient norm (before clipping)
}

// StepSeed is the seed of step k's random masks.
func StepSeed(seed uint64, k int) uint64 {
	return splitmix(seed ^ splitmix(uint64(k)+0x9e3779b97f4a7c15))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Step trains on one batch x ([N, input...]) with labels. A non-finite loss,
// gradient or updated weight returns an error wrapping ErrDiverged; the
// update is then not applied (for a bad loss or gradient), BatchNorm running
// statistics are restored to their values before the step, and Steps is not
// advanced — but a bad updated weight has been written, so resume from the
// last checkpoint.
func (t *Trainer) Step(ctx *ops.Context, x *tensor.Tensor, labels []int) (StepStats, error) {
	st := StepStats{N: len(labels), LR: t.Sched.LR(t.Steps)}
	if math.IsNaN(st.LR) || math.IsInf(st.LR, 0) || st.LR < 0 {
		return st, fmt.Errorf("step %d: learning rate %v", t.Steps, st.LR)
	}
	buffers := t.snapshotBuffers()
	restore := func() {
		for i, e := range t.BP.Graph().State() {
			if e.Buffer {
				copy(e.T.Data, buffers[i])
			}
		}
	}
	logits, err := t.BP.Forward(ctx, x, StepSeed(t.Seed, t.Steps))
	if err != nil {
		restore()
		return st, err
	}
	obj := t.Objective
	if obj == nil {
		obj = CrossEntropy{}
	}
	loss, dLogits, err := obj.Loss(logits, labels)
	if err != nil {
		restore()
		return st, fmt.Errorf("step %d: %w", t.Steps, err)
	}
	st.Loss = loss
	st.Top1, st.Top5, _ = Accuracy(obj.Scores(logits), labels)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		restore()
		return st, fmt.Errorf("%w: loss is %v at step %d", ErrDiverged, loss, t.Steps)
	}
	t.BP.ZeroGrad()
	if err := t.BP.Backward(ctx, dLogits); err != nil {
		restore()
		return st, err
	}
	params := t.BP.Params()
	if err := CheckGradients(params); err != nil {
		restore()
		return st, fmt.Errorf("step %d: %w", t.Steps, err)
	}
	if t.ClipNorm > 0 {
		st.GradNorm = ClipGradNorm(params, t.ClipNorm)
	} else {
		st.GradNorm = GradNorm(params)
	}
	if err := t.Opt.Step(params, st.LR, ctx.Threads); err != nil {
		restore()
		return st, err
	}
	t.BP.Updated()
	if err := CheckWeights(params); err != nil {
		return st, fmt.Errorf("step %d: %w", t.Steps, err)
	}
	t.Steps++
	return st, nil
}

// snapshotBuffers copies the graph's buffers (BN running statistics).
func (t *Trainer) snapshotBuffers() [][]float32 {
	st := t.BP.Graph().State()
	out := make([][]float32, len(st))
	for i, e := range st {
		if e.Buffer {
			out[i] = append([]float32(nil), e.T.Data...)
		}
	}
	return out
}

// Evaluate runs g in inference mode on one batch and returns the mean loss
// under obj (nil: CrossEntropy without smoothing) and the top-1/top-5
// correct counts. After training steps, call Backprop.Updated (Trainer.Step
// does) so the forward pass sees the new weights.
func Evaluate(ctx *ops.Context, g *graph.Graph, obj Objective, x *tensor.Tensor, labels []int) (loss float64, top1, top5 int, err error) {
	if obj == nil {
		obj = CrossEntropy{}
	}
	out, err := g.Forward(ctx, x)
	if err != nil {
		return 0, 0, 0, err
	}
	loss, _, err = obj.Loss(out, labels)
	if err != nil {
		return 0, 0, 0, err
	}
	top1, top5, err = Accuracy(obj.Scores(out), labels)
	return loss, top1, top5, err
}
