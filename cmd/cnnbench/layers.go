package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/suite"
)

// layerShape is one distinct convolution problem of a model.
type layerShape struct {
	net, layer string // first layer with this problem
	count      int    // how many layers share it
	p          conv.Params
}

// runLayers compares every algorithm on every convolution shape of the
// chosen models: time, GFLOP/s, fraction of the measured peak, error against
// the naive oracle, and what auto picks — with how much auto loses against
// the best algorithm per layer.
func runLayers(args []string, stdout io.Writer) error {
	fs := newFlags("layers", "[-models LIST] [-algos LIST|all] [-threads T] [-kernels K] [-input CxHxW] [-out DIR] [-format table|csv|json]", stdout)
	models := fs.String("models", "resnet50", "comma-separated models (see 'cnnbench models')")
	algos := fs.String("algos", "all", "algorithms to compare (comma-separated, or all); auto's pick is always reported")
	threads := fs.Int("threads", 1, "worker threads")
	kernelsFlag := fs.String("kernels", "", "kernel set (generic, avx2, avx512, auto); default $CNNBENCH_KERNELS or auto")
	input := fs.String("input", "", "input resolution CxHxW for every model (default: each model's)")
	minRuns := fs.Int("min-runs", 5, "timed passes per layer and algorithm (at least)")
	minTime := fs.Duration("min-time", 100*time.Millisecond, "timed work per layer and algorithm (at least)")
	check := fs.Bool("check", true, "measure each algorithm's error against the naive float64 oracle")
	outDir := fs.String("out", "", "also write DIR/layers.csv (read by 'cnnbench report')")
	format := fs.String("format", "table", "output format: table, csv or json")
	tune := addTuneFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if *threads < 1 {
		return usageError{fmt.Errorf("-threads %d: want ≥ 1", *threads)}
	}
	if err := selectKernels(*kernelsFlag); err != nil {
		return err
	}
	if err := tune.apply(*threads); err != nil {
		return err
	}
	names, err := suite.SplitList("-models", *models)
	if err != nil {
		return usageError{err}
	}
	candidates, err := layerAlgos(*algos)
	if err != nil {
		return err
	}
	var shapes []layerShape
	for _, m := range names {
		g, err := buildModel(m, *input, 0)
		if err != nil {
			return err
		}
		seen := map[string]int{}
		for _, n := range g.Nodes[1:] {
			c, ok := n.Layer.(*ops.Conv2D)
			if !ok {
				continue
			}
			p := c.Problem(n.Inputs[0].Shape)
			if i, dup := seen[p.String()]; dup {
				shapes[i].count++
				continue
			}
			seen[p.String()] = len(shapes)
			shapes = append(shapes, layerShape{net: m, layer: n.Name, count: 1, p: p})
		}
	}
	set := kernels.Active().Name
	peak, err := suite.MeasurePeak(set, *threads)
	if err != nil {
		return err
	}
	proto := suite.Protocol{Warmup: 1, MinRuns: *minRuns, MinTime: suite.Duration(*minTime)}.Normalize()
	if err := proto.Validate(); err != nil {
		return usageError{err}
	}
	t := &table{header: []string{"net", "layer", "count", "problem", "macs", "algo", "kernels", "threads",
		"median_ms", "p10_ms", "p90_ms", "runs", "gflops_per_s", "peak_fraction", "max_err", "rel_l2", "auto_pick", "status"}}
	var sumBest, sumAuto float64
	progress := isTerminal(os.Stderr)
	for i, s := range shapes {
		if progress {
			fmt.Fprintf(os.Stderr, "\r[%d/%d] %s %s        ", i+1, len(shapes), s.net, s.layer)
		}
		w, b, x := layerOperands(s.p)
		var ref []float32
		if *check {
			ref = runPlanOnce(mustPlan(conv.Naive{}, s.p, w, b), x)
		}
		times := map[string]float64{}
		autoPick := ""
		if ap, err := (conv.Auto{}).Plan(s.p, w, b); err == nil {
			autoPick = ap.(conv.Chooser).Chosen()
		}
		for _, name := range candidates {
			a, _ := conv.Lookup(name)
			pl, err := a.Plan(s.p, w, b)
			if errors.Is(err, conv.ErrUnsupported) {
				if *format == "table" {
					continue // the table lists what ran; csv/json keep the reasons
				}
				t.add(s.net, s.layer, s.count, s.p.String(), s.p.MACs(), name, set, *threads,
					nil, nil, nil, nil, nil, nil, nil, nil, false, "unsupported: "+constraint(err))
				continue
			}
			if err != nil {
				return fmt.Errorf("%s %s %s: %w", s.net, s.layer, name, err)
			}
			st, err := timeLayer(pl, x, proto, *threads)
			if err != nil {
				return err
			}
			times[name] = st.Median
			gf := 2 * float64(s.p.MACs()) / (st.Median * 1e6)
			var maxErr, relL2 any
			if ref != nil {
				me, rl := compareOutputs(runPlanOnce(pl, x), ref)
				maxErr, relL2 = me, rl
			}
			t.add(s.net, s.layer, s.count, s.p.String(), s.p.MACs(), name, set, *threads,
				st.Median, st.P10, st.P90, st.N, gf, gf/peak.GFLOPS, maxErr, relL2, name == autoPick, "ok")
		}
		best := math.Inf(1)
		for _, v := range times {
			best = min(best, v)
		}
		if at, ok := times[autoPick]; ok && !math.IsInf(best, 1) {
			sumBest += best * float64(s.count)
			sumAuto += at * float64(s.count)
		}
	}
	if progress {
		fmt.Fprintln(os.Stderr)
	}
	if err := t.write(stdout, *format); err != nil {
		return err
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(*outDir, "layers.csv"))
		if err != nil {
			return err
		}
		err = t.write(f, "csv")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if *format == "table" {
		fmt.Fprintf(stdout, "\npeak: %.1f GFLOP/s (%s, %d thread(s), %s)\n", peak.GFLOPS, peak.Kernels, peak.Threads, peak.Source)
		if sumBest > 0 {
			fmt.Fprintf(stdout, "auto vs the best algorithm per layer (oracle), summed over every conv layer: %.2f ms vs %.2f ms: auto loses %.1f%%\n",
				sumAuto, sumBest, 100*(sumAuto/sumBest-1))
		}
	}
	return nil
}

// layerAlgos resolves -algos: every registered algorithm but auto (whose
// pick is reported on its own) and naive (the oracle, too slow to time).
func layerAlgos(v string) ([]string, error) {
	if v == "all" {
		var out []string
		for _, n := range conv.Names() {
			if n != "auto" && n != "naive" {
				out = append(out, n)
			}
		}
		return out, nil
	}
	names, err := suite.SplitList("-algos", v)
	if err != nil {
		return nil, usageError{err}
	}
	for _, n := range names {
		if _, err := conv.Lookup(n); err != nil {
			return nil, usageError{err}
		}
	}
	return slices.DeleteFunc(names, func(n string) bool { return n == "auto" }), nil
}

func constraint(err error) string {
	s := err.Error()
	if i := strings.Index(s, "unsupported: "); i >= 0 {
		return s[i+len("unsupported: "):]
	}
	return s
}

// layerOperands are deterministic weights, bias and a post-ReLU-like input.
func layerOperands(p conv.Params) (w, b, x []float32) {
	r := rand.New(rand.NewPCG(3, 5))
	w = make([]float32, p.WeightLen())
	for i := range w {
		w[i] = float32((2*r.Float64() - 1) * math.Sqrt(6/float64(p.Cin/p.Groups*p.KH*p.KW)))
	}
	b = make([]float32, p.Cout)
	for i := range b {
		b[i] = float32(0.1 * (2*r.Float64() - 1))
	}
	x = make([]float32, p.InLen())
	for i := range x {
		x[i] = float32(max(0, 2*r.Float64()-1))
	}
	return
}

func mustPlan(a conv.Algorithm, p conv.Params, w, b []float32) conv.Plan {
	pl, err := a.Plan(p, w, b)
	if err != nil {
		panic(fmt.Sprintf("layers: %s on %s: %v", a.Name(), p, err))
	}
	return pl
}

func runPlanOnce(pl conv.Plan, x []float32) []float32 {
	out := make([]float32, pl.Params().OutLen())
	pl.Forward(out, x, make([]float32, pl.Workspace()), 0)
	return out
}

func timeLayer(pl conv.Plan, x []float32, proto suite.Protocol, threads int) (suite.Stats, error) {
	out := make([]float32, pl.Params().OutLen())
	ws := make([]float32, pl.Workspace())
	for i := 0; i < proto.Warmup; i++ {
		pl.Forward(out, x, ws, threads)
	}
	ds, _, err := suite.Sample(context.Background(), proto, time.Time{}, time.Now, func() (time.Duration, error) {
		t0 := time.Now()
		pl.Forward(out, x, ws, threads)
		return time.Since(t0), nil
	})
	if err != nil {
		return suite.Stats{}, err
	}
	return suite.Summarize(ds), nil
}

// compareOutputs returns max|y−ref|/max|ref| and ||y−ref||₂/||ref||₂.
func compareOutputs(y, ref []float32) (maxErr, relL2 float64) {
	var mr, num, den float64
	for i, r := range ref {
		d := math.Abs(float64(y[i]) - float64(r))
		maxErr = max(maxErr, d)
		mr = max(mr, math.Abs(float64(r)))
		num += d * d
		den += float64(r) * float64(r)
	}
	return maxErr / mr, math.Sqrt(num / den)
}
