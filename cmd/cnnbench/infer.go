package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/tensorio"
)

func runInfer(args []string, stdout io.Writer) error {
	fs := newFlags("infer", "-model M [-weights F.safetensors] [-input F.npy|CxHxW] [-seed N] [-batch B] [-algo A] [-kernels K] [-threads T] [-out F.npy]", stdout)
	model := fs.String("model", "", "model name (see 'cnnbench models')")
	weights := fs.String("weights", "", "weights file (safetensors, torchvision state_dict keys); default: deterministic weights from -weight-seed")
	weightSeed := fs.Uint64("weight-seed", 1, "seed for generated weights when -weights is not given")
	input := fs.String("input", "", "input tensor F.npy ([N,C,H,W] or [C,H,W] float32), or a resolution CxHxW for a generated input")
	seed := fs.Uint64("seed", 2, "seed for the generated input when -input is not a file")
	batch := fs.Int("batch", 1, "batch size of a generated input")
	classes := fs.Int("classes", 0, "number of classes (default: the model's)")
	algo := fs.String("algo", ops.DefaultAlgo, "convolution algorithm: "+strings.Join(conv.Names(), ", "))
	kernels := fs.String("kernels", "", "kernel set (generic, avx2, avx512, auto); default $CNNBENCH_KERNELS or auto")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	out := fs.String("out", "", "write the logits here (.npy, float32)")
	foldBN := fs.Bool("fold-bn", false, "fold BatchNorm into the preceding convolutions before running (implied by -fuse)")
	fuse := fs.Bool("fuse", true, "run the inference graph: BatchNorm folded, activations and residual adds fused into the convolutions (-fuse=false: every layer as built)")
	tune := addTuneFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := conv.Lookup(*algo); err != nil {
		return usageError{err}
	}
	if err := selectKernels(*kernels); err != nil {
		return err
	}
	if err := tune.apply(*threads); err != nil {
		return err
	}
	if *batch < 1 {
		return usageError{fmt.Errorf("-batch %d: want ≥ 1", *batch)}
	}
	var x *tensor.Tensor
	resolution := *input
	if isFile(*input) {
		t, err := tensorio.ReadNPY(*input)
		if err != nil {
			return err
		}
		if len(t.Shape) == 3 {
			t = t.Reshape(append(tensor.Shape{1}, t.Shape...)...)
		}
		if len(t.Shape) != 4 {
			return fmt.Errorf("%s: shape %v, want [N,C,H,W] or [C,H,W]", *input, t.Shape)
		}
		if i := t.FirstNonFinite(); i >= 0 {
			return fmt.Errorf("%s: non-finite value %v at index %d", *input, t.Data[i], i)
		}
		x, resolution = t, t.Shape[1:].Dims()
	}
	g, err := buildModel(*model, resolution, *classes)
	if err != nil {
		return err
	}
	if x == nil {
		x = architectures.RandomInput(*seed, *batch, g.InputShape())
	} else if !x.Shape[1:].Equal(g.InputShape()) {
		return fmt.Errorf("%s: input shape %v does not fit %s (want [N %s])", *input, x.Shape, g.Name, g.InputShape().Dims())
	}
	if *weights != "" {
		if err := loadWeights(g, *weights); err != nil {
			return err
		}
	} else {
		g.Init(*weightSeed)
	}
	switch {
	case *fuse:
		g.Fuse()
	case *foldBN:
		g.FoldBatchNorm()
	}
	if err := tune.applyPlan(g); err != nil {
		return err
	}
	ctx := &ops.Context{Algo: *algo, Threads: *threads}
	start := time.Now()
	y, err := g.Forward(ctx, x)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if *out != "" {
		if err := tensorio.WriteNPY(*out, y); err != nil {
			return err
		}
	}
	if *tune.savePlan != "" {
		pf, err := g.ResolvePlan(ctx)
		if err != nil {
			return err
		}
		if err := graph.WritePlanFile(*tune.savePlan, pf); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s: input %v, algo %s, threads %d, %.2f ms (one cold pass; use 'bench' for timing)\n",
		g.Name, x.Shape, *algo, effectiveThreads(*threads), float64(elapsed.Microseconds())/1000)
	if len(y.Shape) == 2 {
		k := y.Shape[1]
		for n := 0; n < y.Shape[0] && n < 4; n++ {
			fmt.Fprintf(stdout, "  sample %d top-5: %s\n", n, top5(y.Data[n*k:(n+1)*k]))
		}
	}
	if *out != "" {
		fmt.Fprintf(stdout, "  logits %v written to %s\n", y.Shape, *out)
	}
	return nil
}

func isFile(p string) bool {
	if p == "" {
		return false
	}
	if strings.HasSuffix(p, ".npy") {
		return true
	}
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func top5(logits []float32) string {
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	var parts []string
	for _, i := range idx[:min(5, len(idx))] {
		parts = append(parts, fmt.Sprintf("%d (%.4g)", i, logits[i]))
	}
	return strings.Join(parts, ", ")
}

// loadWeights reads a safetensors file into g, checking every key.
func loadWeights(g *graph.Graph, path string) error {
	named, _, err := tensorio.ReadSafetensors(path)
	if err != nil {
		return err
	}
	m := make(map[string]*tensor.Tensor, len(named))
	for _, n := range named {
		m[n.Name] = n.T
	}
	if err := g.Load(m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
