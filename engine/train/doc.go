// Package train trains the engine's graphs: objectives (softmax
// cross-entropy with label smoothing; LeNet-5's MAP criterion for its RBF
// distances), top-k accuracy, optimizers (SGD with momentum and
// Nesterov, Adam, AdamW, all with PyTorch's update rules and defaults),
// learning-rate schedules (step, multi-step and cosine, with linear
// warm-up), gradient checks (non-finite values, global norm, clipping) and
// a Trainer that runs one step on a batch:
//
//	bp, _ := graph.NewBackprop(g)
//	tr := train.NewTrainer(bp, train.NewSGD(0.9, 5e-4, false), train.Cosine{Base: 0.1, Total: steps}, seed)
//	tr.Objective = train.CrossEntropy{Smoothing: 0.1}
//	for each batch {
//		st, err := tr.Step(ctx, x, labels) // forward, loss, backward, update
//		if errors.Is(err, train.ErrDiverged) { keep the last checkpoint; stop }
//	}
//	loss, top1, top5, err := train.Evaluate(ctx, g, tr.Objective, x, labels) // inference mode
//
// A checkpoint is g.State() (weights and BN statistics), tr.Opt.State()
// and tr.Steps; resume with g.Load, tr.Opt.Load(state, bp.Params()) and
// tr.Steps = n, which continues bit for bit.
//
// Everything is deterministic for a seed and a thread count: the engine's
// kernels never split a reduction over threads, random masks come from
// streams derived from the seed, the step number and the layer's name, and
// optimizer updates run elementwise.
//
// The gradients themselves (every layer's backward pass) live in
// engine/ops; engine/graph's Backprop runs them over a graph. Package
// gradcheck compares them with central finite differences.
package train
