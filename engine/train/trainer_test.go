package train_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/train"
)

// net is conv → BN → ReLU → max pool → dropout → dense on 1×8×8 images.
func net() *graph.Graph {
	g, x := graph.New("tiny", tensor.Shape{1, 8, 8})
	g.Chain(x, "",
		graph.Named{Name: "conv", Layer: ops.NewConv2D(1, 4, 3, ops.Pad(1))},
		graph.Named{Name: "bn", Layer: ops.NewBatchNorm2D(4)},
		graph.Named{Name: "relu", Layer: ops.ReLU()},
		graph.Named{Name: "pool", Layer: ops.MaxPool2D(2, 2, 0)},
		graph.Named{Name: "flatten", Layer: ops.Flatten{}},
		graph.Named{Name: "drop", Layer: &ops.Dropout{P: 0.1}},
		graph.Named{Name: "fc", Layer: ops.NewDense(64, 3)},
	)
	g.Init(1)
	return g
}

// dataset is a separable 3-class problem: class k is a bright 3×3 patch at
// one of three places, under Gaussian noise of σ 1 (seed 42: training set).
func dataset(n int, seed ...uint64) (*tensor.Tensor, []int) {
	s := uint64(42)
	if len(seed) > 0 {
		s = seed[0]
	}
	r := rand.New(rand.NewPCG(s, 0))
	x := tensor.New(n, 1, 8, 8)
	labels := make([]int, n)
	spots := [3][2]int{{1, 1}, {1, 5}, {5, 3}}
	for i := range labels {
		k := r.IntN(3)
		labels[i] = k
		img := x.Data[i*64 : (i+1)*64]
		for j := range img {
			img[j] = float32(r.NormFloat64())
		}
		for dy := 0; dy < 3; dy++ {
			for dx := 0; dx < 3; dx++ {
				img[(spots[k][0]+dy)*8+spots[k][1]+dx] += 1
			}
		}
	}
	return x, labels
}

// batches returns batch b of an epoch's seeded shuffle.
func batchOf(x *tensor.Tensor, labels []int, size, step int) (*tensor.Tensor, []int) {
	n := len(labels)
	epoch, b := step*size/n, step*size%n
	perm := rand.New(rand.NewPCG(7, uint64(epoch))).Perm(n)
	bx := tensor.New(size, 1, 8, 8)
	bl := make([]int, size)
	for i := 0; i < size; i++ {
		j := perm[(b+i)%n]
		copy(bx.Data[i*64:(i+1)*64], x.Data[j*64:(j+1)*64])
		bl[i] = labels[j]
	}
	return bx, bl
}

func trainer(t *testing.T, g *graph.Graph, total int) *train.Trainer {
	bp, err := graph.NewBackprop(g)
	if err != nil {
		t.Fatal(err)
	}
	return train.NewTrainer(bp, train.NewSGD(0.9, 5e-4, false), train.Cosine{Base: 0.05, Total: total, Warmup: 10}, 3)
}

// A few hundred SGD steps on the separable problem drive the loss down and
// the held-out accuracy (inference mode: running BN statistics, no
// dropout) up.
func TestSGDLearnsSeparableProblem(t *testing.T) {
	const steps, size = 300, 16
	x, labels := dataset(96)
	g := net()
	tr := trainer(t, g, steps)
	ctx := &ops.Context{Threads: 2}
	var first, last float64
	for s := 0; s < steps; s++ {
		bx, bl := batchOf(x, labels, size, s)
		st, err := tr.Step(ctx, bx, bl)
		if err != nil {
			t.Fatal(err)
		}
		if s < 20 {
			first += st.Loss / 20
		}
		if s >= steps-20 {
			last += st.Loss / 20
		}
	}
	tx, tl := dataset(200, 43) // held out
	loss, top1, _, err := train.Evaluate(ctx, g, nil, tx, tl)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.3f → %.3f; eval loss %.3f, accuracy %d/200", first, last, loss, top1)
	if !(last < 0.25*first) || top1 < 180 {
		t.Errorf("loss %.3f → %.3f, eval accuracy %d/200", first, last, top1)
	}
}

// weights returns every state tensor's bits (parameters and BN buffers).
func weights(g *graph.Graph) [][]uint32 {
	var out [][]uint32
	for _, e := range g.State() {
		b := make([]uint32, len(e.T.Data))
		for i, v := range e.T.Data {
			b[i] = math.Float32bits(v)
		}
		out = append(out, b)
	}
	return out
}

func equalBits(a, b [][]uint32) bool {
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func trainSteps(t *testing.T, threads, steps int) [][]uint32 {
	x, labels := dataset(64)
	g := net()
	tr := trainer(t, g, 100)
	for s := 0; s < steps; s++ {
		bx, bl := batchOf(x, labels, 16, s)
		if _, err := tr.Step(&ops.Context{Threads: threads}, bx, bl); err != nil {
			t.Fatal(err)
		}
	}
	return weights(g)
}

// Training is bitwise deterministic for a seed, and the same for any thread
// count (nothing splits a reduction over threads; masks come from seeds).
func TestTrainingIsBitwiseDeterministic(t *testing.T) {
	a := trainSteps(t, 2, 40)
	if b := trainSteps(t, 2, 40); !equalBits(a, b) {
		t.Error("two runs with the same seed and threads differ")
	}
	for _, th := range []int{1, 3} {
		if c := trainSteps(t, th, 40); !equalBits(a, c) {
			t.Errorf("%d threads differ from 2", th)
		}
	}
}

// Stopping after k steps, saving weights, BN statistics and optimizer
// state, and resuming in a fresh process gives the same bits as never
// stopping.
func TestResumeIsBitwiseIdentical(t *testing.T) {
	want := trainSteps(t, 2, 20)
	x, labels := dataset(64)
	ctx := &ops.Context{Threads: 2}
	g := net()
	tr := trainer(t, g, 100)
	for s := 0; s < 12; s++ {
		bx, bl := batchOf(x, labels, 16, s)
		if _, err := tr.Step(ctx, bx, bl); err != nil {
			t.Fatal(err)
		}
	}
	saved := map[string]*tensor.Tensor{}
	for _, e := range g.State() {
		saved[e.Key] = e.T.Clone()
	}
	opt := map[string]*tensor.Tensor{}
	for _, e := range tr.Opt.State() {
		opt[e.Key] = e.T.Clone()
	}

	g2 := net()
	g2.Init(99) // different weights, overwritten by the load
	if err := g2.Load(saved); err != nil {
		t.Fatal(err)
	}
	tr2 := trainer(t, g2, 100)
	if err := tr2.Opt.Load(opt, tr2.BP.Params()); err != nil {
		t.Fatal(err)
	}
	tr2.Steps = tr.Steps
	for s := 12; s < 20; s++ {
		bx, bl := batchOf(x, labels, 16, s)
		if _, err := tr2.Step(ctx, bx, bl); err != nil {
			t.Fatal(err)
		}
	}
	if !equalBits(want, weights(g2)) {
		t.Error("resumed training differs from uninterrupted training")
	}
}

// A non-finite loss stops the step before any update: weights, BN running
// statistics and the step count stay as they were.
func TestDivergenceStopsBeforeTheUpdate(t *testing.T) {
	g := net()
	tr := trainer(t, g, 100)
	x, labels := dataset(16)
	ctx := &ops.Context{Threads: 1}
	if _, err := tr.Step(ctx, x, labels); err != nil {
		t.Fatal(err)
	}
	before := weights(g)
	x.Data[5] = float32(math.NaN())
	_, err := tr.Step(ctx, x, labels)
	if !errors.Is(err, train.ErrDiverged) || !strings.Contains(err.Error(), "loss is NaN at step 1") {
		t.Fatalf("got %v", err)
	}
	if !equalBits(before, weights(g)) || tr.Steps != 1 {
		t.Error("a diverged step changed the model")
	}

	// A learning rate that blows the weights up is caught too.
	g = net()
	tr = train.NewTrainer(mustBP(t, g), train.NewSGD(0, 0, false), train.Constant(1e30), 1)
	x, labels = dataset(16)
	for s := 0; s < 10; s++ {
		if _, err = tr.Step(ctx, x, labels); err != nil {
			break
		}
	}
	if !errors.Is(err, train.ErrDiverged) {
		t.Errorf("lr 1e30: %v", err)
	}
}

func mustBP(t *testing.T, g *graph.Graph) *graph.Backprop {
	bp, err := graph.NewBackprop(g)
	if err != nil {
		t.Fatal(err)
	}
	return bp
}
