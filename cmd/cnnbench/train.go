package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/datasets"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/tensorio"
	"github.com/cnnbench/cnnbench/engine/train"
	"github.com/cnnbench/cnnbench/suite"
)

// trainStderr receives train's progress and per-epoch lines; tests replace it.
var trainStderr io.Writer = os.Stderr

// File formats written by train (the "format" metadata key).
const (
	checkpointFormat = "cnnbench.checkpoint/1"
	weightsFormat    = "cnnbench.weights/1"
	// optimizerPrefix prefixes the optimizer's tensors in a checkpoint.
	optimizerPrefix = "optimizer."
)

const trainSynopsis = "-model M -dataset D -out F.safetensors [-epochs N] [-batch B] [-lr X] " +
	"[-optimizer sgd|adam|adamw] [-momentum M] [-wd W] [-schedule step|cosine|constant] [-smoothing S] " +
	"[-augment crop,flip] [-seed S] [-threads T] [-algo A] [-resume]\n\n" +
	"Trains a model from its seeded initial weights. Every model/data-set pair has a default recipe\n" +
	"(-print-recipe shows it; flags override single fields). After every epoch it writes, atomically:\n" +
	"  F.safetensors       the weights (torchvision state_dict keys; for eval, infer -weights)\n" +
	"  F.ckpt.safetensors  weights + optimizer state + epoch/step (for -resume)\n" +
	"  F.jsonl             one JSON line per epoch (loss, accuracy, images/s, times), data set hashes\n" +
	"A run is deterministic for a seed and a thread count; -resume continues it bit for bit.\n" +
	"Data sets: mnist, fashion-mnist (make data), cifar10 (-data DIR), folder (-data DIR with train/, val/),\n" +
	"synthetic (generated, for tests)."

// runInfo describes a training run; it is stored as JSON in the metadata
// of every checkpoint and weights file (key "cnnbench").
type runInfo struct {
	Model      string                `json:"model"`
	Dataset    string                `json:"dataset"`
	Input      string                `json:"input"` // CxHxW the model sees
	Classes    int                   `json:"classes"`
	Pad        int                   `json:"pad"` // pixels of padding around each image
	Seed       uint64                `json:"seed"`
	Threads    int                   `json:"threads"`
	Algo       string                `json:"algo"`
	Kernels    string                `json:"kernels"`
	Subset     int                   `json:"subset,omitempty"`
	TestSubset int                   `json:"test_subset,omitempty"`
	Recipe     recipe                `json:"recipe"`
	Epoch      int                   `json:"epoch"` // completed epochs
	Step       int                   `json:"step"`  // completed optimizer steps
	ElapsedS   float64               `json:"elapsed_s"`
	Test       *evalStats            `json:"test,omitempty"` // after the last completed epoch
	TrainFiles []datasets.FileRecord `json:"train_files,omitempty"`
	TestFiles  []datasets.FileRecord `json:"test_files,omitempty"`
	Commit     string                `json:"commit,omitempty"`
}

// evalStats are accuracy figures over a data set, in percent.
type evalStats struct {
	N     int     `json:"n"`
	Loss  float64 `json:"loss"`
	Top1  float64 `json:"top1"`
	Top5  float64 `json:"top5"`
	Error float64 `json:"error"` // 100 − top1
}

// trainPaths are the files of a run.
type trainPaths struct{ weights, ckpt, log string }

func pathsFor(out string) trainPaths {
	stem := strings.TrimSuffix(out, ".safetensors")
	return trainPaths{weights: out, ckpt: stem + ".ckpt.safetensors", log: stem + ".jsonl"}
}

func runTrain(args []string, stdout io.Writer) error {
	fs := newFlags("train", trainSynopsis, stdout)
	model := fs.String("model", "", "model name (see 'cnnbench models')")
	dataset := fs.String("dataset", "", "data set: mnist, fashion-mnist, cifar10, folder or synthetic")
	dataDir := fs.String("data", "", "folder of the data set files (default: where 'make data' puts MNIST and Fashion-MNIST; required for cifar10 and folder)")
	out := fs.String("out", "", "weights file F.safetensors (required); the checkpoint is F.ckpt.safetensors, the log F.jsonl")
	resume := fs.Bool("resume", false, "continue the run in F.ckpt.safetensors (start one if there is none); flags given override its recipe")
	epochs := fs.Int("epochs", 0, "passes over the training set (default: the recipe's)")
	batch := fs.Int("batch", 0, "mini-batch size (default: the recipe's)")
	lr := fs.Float64("lr", 0, "base learning rate (default: the recipe's)")
	optimizer := fs.String("optimizer", "", "sgd, adam or adamw (default: the recipe's)")
	momentum := fs.Float64("momentum", 0, "SGD momentum (default: the recipe's)")
	nesterov := fs.Bool("nesterov", false, "Nesterov momentum (SGD)")
	wd := fs.Float64("wd", 0, "weight decay (L2 for sgd/adam, decoupled for adamw; default: the recipe's)")
	schedule := fs.String("schedule", "", "learning-rate schedule: step, cosine or constant (default: the recipe's)")
	milestones := fs.String("milestones", "", "step schedule: epochs after which the rate is multiplied by -gamma, e.g. 10,13")
	gamma := fs.Float64("gamma", 0, "step schedule: factor at each milestone (default: the recipe's, else 0.1)")
	warmup := fs.Int("warmup", 0, "epochs of linear learning-rate warm-up")
	smoothing := fs.Float64("smoothing", 0, "label smoothing of the cross-entropy")
	clip := fs.Float64("clip", 0, "clip the global gradient norm to this value (0: off)")
	augment := fs.String("augment", "", "augmentation: crop, flip, crop,flip or none (default: the recipe's)")
	cropPad := fs.Int("crop-pad", 0, "padding of the random crop (default: the recipe's, else 4)")
	seed := fs.Uint64("seed", 1, "seed of the initial weights, the shuffling, the augmentation and dropout")
	threads := fs.Int("threads", 0, "worker threads (0: all cores); results are bit-for-bit reproducible for a seed and thread count")
	algo := fs.String("algo", ops.DefaultAlgo, "convolution algorithm: "+strings.Join(conv.Names(), ", "))
	kernelsFlag := fs.String("kernels", "", "kernel set (generic, avx2, avx512, auto); default $CNNBENCH_KERNELS or auto")
	subset := fs.Int("subset", 0, "train on the first N training images only (0: all)")
	testSubset := fs.Int("test-subset", 0, "evaluate on the first N test images only (0: all)")
	evalBatch := fs.Int("eval-batch", 500, "batch size of the per-epoch test evaluation")
	printRecipe := fs.Bool("print-recipe", false, "print the resolved recipe as JSON and exit")
	stopAfter := fs.Int("stop-after", 0, "end this session after N epochs, as an interruption would (continue with -resume)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the training to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *model == "" {
		return usageError{fmt.Errorf("-model is required (see 'cnnbench models')")}
	}
	spec, err := architectures.Lookup(*model)
	if err != nil {
		return err
	}
	if *dataset == "" {
		return usageError{fmt.Errorf("-dataset is required (mnist, fashion-mnist, cifar10, folder, synthetic)")}
	}
	dsName, err := canonicalDataset(*dataset)
	if err != nil {
		return err
	}
	if err := checkData(dsName, *dataDir, spec); err != nil {
		return err
	}
	if *out == "" && !*printRecipe {
		return usageError{fmt.Errorf("-out F.safetensors is required")}
	}
	if *subset < 0 || *testSubset < 0 || *evalBatch < 1 || *stopAfter < 0 {
		return usageError{fmt.Errorf("-subset, -test-subset and -stop-after want ≥ 0, -eval-batch ≥ 1")}
	}
	if _, err := conv.Lookup(*algo); err != nil {
		return usageError{err}
	}
	if *threads < 0 {
		return usageError{fmt.Errorf("-threads %d: want ≥ 0", *threads)}
	}

	paths := pathsFor(*out)
	var ckpt *checkpoint
	if *out != "" {
		ckpt, err = readCheckpoint(paths.ckpt)
		switch {
		case errors.Is(err, os.ErrNotExist):
			ckpt = nil
		case err != nil:
			return err
		case !*resume:
			return fmt.Errorf("%s exists (epoch %d of %d): pass -resume to continue it, or remove it to start over",
				paths.ckpt, ckpt.info.Epoch, ckpt.info.Recipe.Epochs)
		}
	}

	// The recipe: the default one, or the checkpoint's when resuming, with
	// the flags given on top.
	rc := defaultRecipe(spec.Name, dsName)
	if ckpt != nil {
		if ckpt.info.Model != spec.Name {
			return fmt.Errorf("%s: checkpoint of model %s, not %s", paths.ckpt, ckpt.info.Model, spec.Name)
		}
		if ckpt.info.Dataset != dsName {
			return fmt.Errorf("%s: checkpoint trained on %s, not %s", paths.ckpt, ckpt.info.Dataset, dsName)
		}
		rc = ckpt.info.Recipe
		rc.Milestones = slices.Clone(rc.Milestones)
	}
	var overridden []string
	override := func(name string, apply func() error) error {
		if !set[name] {
			return nil
		}
		overridden = append(overridden, "-"+name)
		return apply()
	}
	for _, o := range []struct {
		name  string
		apply func() error
	}{
		{"epochs", func() error { rc.Epochs = *epochs; return nil }},
		{"batch", func() error { rc.Batch = *batch; return nil }},
		{"lr", func() error { rc.LR = *lr; return nil }},
		{"optimizer", func() error { rc.Optimizer = *optimizer; return nil }},
		{"momentum", func() error { rc.Momentum = *momentum; return nil }},
		{"nesterov", func() error { rc.Nesterov = *nesterov; return nil }},
		{"wd", func() error { rc.WD = *wd; return nil }},
		{"schedule", func() error {
			rc.Schedule = *schedule
			if rc.Schedule == "step" && rc.Gamma == 0 {
				rc.Gamma = 0.1
			}
			return nil
		}},
		{"milestones", func() error {
			ms, err := suite.ParseInts("-milestones", *milestones, false)
			if *milestones == "" || *milestones == "none" {
				ms, err = nil, nil
			}
			rc.Milestones = ms
			return err
		}},
		{"gamma", func() error { rc.Gamma = *gamma; return nil }},
		{"warmup", func() error { rc.Warmup = *warmup; return nil }},
		{"smoothing", func() error { rc.Smoothing = *smoothing; return nil }},
		{"clip", func() error { rc.Clip = *clip; return nil }},
		{"augment", func() error { rc.Augment = *augment; return nil }},
		{"crop-pad", func() error { rc.CropPad = *cropPad; return nil }},
	} {
		if err := override(o.name, o.apply); err != nil {
			return usageError{err}
		}
	}
	if rc.Schedule == "step" && rc.Gamma == 0 {
		rc.Gamma = 0.1
	}
	if ckpt == nil && set["epochs"] && !set["milestones"] && !set["schedule"] {
		// A shorter or longer run keeps the recipe's schedule in proportion.
		rc.Milestones = scaleMilestones(defaultRecipe(spec.Name, dsName), rc.Epochs)
	}
	if err := rc.validate(); err != nil {
		return err
	}
	if rc.Loss == "rbf-map" && spec.Name != "lenet5_paper" {
		return usageError{fmt.Errorf("the RBF MAP loss needs a model with an RBF output (lenet5_paper)")}
	}
	if *printRecipe {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rc)
	}

	if err := selectKernels(*kernelsFlag); err != nil {
		return err
	}
	kset, err := kernels.Current()
	if err != nil {
		return err
	}
	info := runInfo{Model: spec.Name, Dataset: dsName, Seed: *seed, Threads: effectiveThreads(*threads), Algo: *algo,
		Kernels: kset.Name, Subset: *subset, TestSubset: *testSubset, Recipe: rc}
	var notes []string
	if ckpt != nil {
		prev := ckpt.info
		if !set["seed"] {
			info.Seed = prev.Seed
		} else if *seed != prev.Seed {
			overridden = append(overridden, "-seed")
		}
		if !set["subset"] {
			info.Subset = prev.Subset
		}
		if !set["test-subset"] {
			info.TestSubset = prev.TestSubset
		}
		if info.Subset != prev.Subset {
			overridden = append(overridden, "-subset")
		}
		if !set["threads"] && prev.Threads > 0 {
			info.Threads = prev.Threads
		}
		if info.Threads != prev.Threads {
			notes = append(notes, fmt.Sprintf("the checkpoint ran on %d threads, this run on %d: results match a straight run only at the same thread count", prev.Threads, info.Threads))
		}
		if len(overridden) > 0 {
			notes = append(notes, fmt.Sprintf("%s change the checkpoint's run (recipe now: %s)", strings.Join(overridden, ", "), rc.describe()))
		}
	}

	// Data.
	trainSet, err := openData(dsName, "train", *dataDir, spec, rc.Norm, info.Subset)
	if err != nil {
		return err
	}
	testSet, err := openData(dsName, "test", *dataDir, spec, rc.Norm, info.TestSubset)
	if err != nil {
		return err
	}
	info.Input, info.Classes, info.Pad = trainSet.input.Dims(), trainSet.ds.Classes(), trainSet.pad
	info.TrainFiles, info.TestFiles = trainSet.files, testSet.files
	if ckpt != nil {
		if err := sameFiles(paths.ckpt, ckpt.info.TrainFiles, info.TrainFiles); err != nil {
			return err
		}
	}
	for _, w := range append(trainSet.warnings, testSet.warnings...) {
		notes = append(notes, w)
	}
	if rc.Batch > trainSet.ds.Len() {
		return usageError{fmt.Errorf("-batch %d is larger than the training set (%d images)", rc.Batch, trainSet.ds.Len())}
	}

	// Model, trainer.
	g, err := architectures.Build(spec.Name, architectures.Options{Input: trainSet.input, Classes: info.Classes})
	if err != nil {
		return err
	}
	g.Init(info.Seed)
	bp, err := graph.NewBackprop(g)
	if err != nil {
		return err
	}
	aug, _ := parseAugment(rc.Augment, rc.CropPad)
	workers := 1
	if dsName == "folder" { // decoding and resizing images is the expensive part
		workers = info.Threads
	}
	loader, err := datasets.NewLoader(trainSet.ds, datasets.LoaderOptions{BatchSize: rc.Batch, Shuffle: true,
		Seed: info.Seed, Augment: aug, Workers: workers})
	if err != nil {
		return err
	}
	stepsPerEpoch := loader.Steps()
	tr := train.NewTrainer(bp, rc.optimizer(), rc.schedule(stepsPerEpoch), info.Seed)
	tr.Objective, tr.ClipNorm = rc.objective(), rc.Clip
	if err := train.Validate(tr.Sched, rc.Epochs*stepsPerEpoch); err != nil {
		return usageError{err}
	}
	if ckpt != nil {
		if err := ckpt.restore(g, tr); err != nil {
			return err
		}
		info.Epoch, info.Step, info.ElapsedS, info.Test = ckpt.info.Epoch, ckpt.info.Step, ckpt.info.ElapsedS, ckpt.info.Test
		if info.Step != info.Epoch*stepsPerEpoch {
			return fmt.Errorf("%s: %d steps after %d epochs, but an epoch is %d steps here (batch %d, %d images): resume with the checkpoint's -batch and -subset",
				paths.ckpt, info.Step, info.Epoch, stepsPerEpoch, rc.Batch, trainSet.ds.Len())
		}
	}
	// Log.
	machine := suite.DescribeMachine()
	info.Commit = machine.Commit.Revision
	if m := machine.Commit.Modified; m != nil && *m {
		info.Commit += "-dirty"
	}
	logw, err := openTrainLog(paths.log, ckpt != nil, info.Epoch)
	if err != nil {
		return err
	}
	defer logw.Close()
	event := "start"
	if ckpt != nil {
		event = "resume"
	}
	logw.write(map[string]any{"event": event, "time": now(), "model": info.Model, "dataset": info.Dataset,
		"input": info.Input, "classes": info.Classes, "train_images": trainSet.ds.Len(), "test_images": testSet.ds.Len(),
		"seed": info.Seed, "threads": info.Threads, "algo": info.Algo, "kernels": info.Kernels, "recipe": rc,
		"epoch": info.Epoch, "steps_per_epoch": stepsPerEpoch, "train_files": info.TrainFiles, "test_files": info.TestFiles,
		"notes": notes, "command": os.Args, "cpu": machine.CPU.Brand, "go": machine.Go.Version, "commit": info.Commit})

	w := trainStderr
	fmt.Fprintf(w, "train %s on %s (%d images %s, test %d) · %s · seed %d, %s, %s/%s\n",
		info.Model, info.Dataset, trainSet.ds.Len(), info.Input, testSet.ds.Len(), rc.describe(), info.Seed,
		plural(info.Threads, "thread"), info.Algo, info.Kernels)
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if ckpt != nil {
		fmt.Fprintf(w, "resuming %s at epoch %d of %d (step %d)\n", paths.ckpt, info.Epoch, rc.Epochs, info.Step)
	} else if *resume {
		fmt.Fprintf(w, "no checkpoint %s yet: starting the run\n", paths.ckpt)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	octx := &ops.Context{Algo: *algo, Threads: info.Threads, Pool: new(tensor.Pool)}
	testLoader, err := datasets.NewLoader(testSet.ds, datasets.LoaderOptions{BatchSize: *evalBatch})
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("-cpuprofile: %v", err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	bar := isTerminal(w)
	var epochSecs []float64
	last := rc.Epochs
	if *stopAfter > 0 {
		last = min(last, info.Epoch+*stopAfter)
	}
	for e := info.Epoch; e < last; e++ {
		t0 := time.Now()
		var lossSum float64
		var seen, correct int
		lastDraw := t0
		lastLR := 0.0
		step := 0
		for b, err := range loader.Epoch(ctx, e) {
			if err != nil {
				return interrupted(err, paths, info)
			}
			x := tensor.FromData(b.X, b.Shape[:]...)
			st, err := tr.Step(octx, x, b.Labels)
			loader.Release(b)
			if err != nil {
				if errors.Is(err, train.ErrDiverged) {
					logw.write(map[string]any{"event": "diverged", "time": now(), "epoch": e + 1, "batch": step + 1,
						"step": tr.Steps, "lr": st.LR, "error": err.Error()})
					return divergedError(err, e, step, st.LR, rc.Epochs, paths, info)
				}
				return err
			}
			if ctx.Err() != nil {
				return interrupted(ctx.Err(), paths, info)
			}
			lossSum += st.Loss * float64(st.N)
			seen += st.N
			correct += st.Top1
			lastLR = st.LR
			step++
			if bar && time.Since(lastDraw) > 300*time.Millisecond {
				lastDraw = time.Now()
				rate := float64(seen) / time.Since(t0).Seconds()
				epochS := meanOr(epochSecs, float64(loader.Dataset().Len())/rate)
				left := time.Duration((float64(loader.Dataset().Len()-seen)/rate + float64(rc.Epochs-e-1)*epochS) * float64(time.Second))
				fmt.Fprintf(w, "\r\033[Kepoch %d/%d %s %d/%d loss %.4f train %.2f%% %.0f img/s ETA %s",
					e+1, rc.Epochs, progressBar(step, stepsPerEpoch, 20), step, stepsPerEpoch,
					lossSum/float64(seen), 100*float64(correct)/float64(seen), rate, fmtDuration(left))
			}
		}
		if bar {
			fmt.Fprint(w, "\r\033[K")
		}
		trainS := time.Since(t0).Seconds()
		t1 := time.Now()
		test, err := evaluate(ctx, octx, g, tr.Objective, testLoader)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx.Err(), paths, info)
			}
			return err
		}
		evalS := time.Since(t1).Seconds()
		epochSecs = append(epochSecs, trainS+evalS)
		info.Epoch, info.Step, info.Test = e+1, tr.Steps, &test
		info.ElapsedS += trainS + evalS
		if err := saveRun(paths, g, tr, info); err != nil {
			return err
		}
		ips := float64(seen) / trainS
		eta := time.Duration(float64(rc.Epochs-e-1) * meanOr(epochSecs, 0) * float64(time.Second))
		logw.write(map[string]any{"event": "epoch", "time": now(), "epoch": e + 1, "epochs": rc.Epochs, "step": tr.Steps,
			"lr": lastLR, "train_loss": lossSum / float64(seen), "train_top1": 100 * float64(correct) / float64(seen),
			"test_loss": test.Loss, "test_top1": test.Top1, "test_top5": test.Top5, "test_error": test.Error,
			"train_s": round3(trainS), "eval_s": round3(evalS), "images_per_s": math.Round(ips), "elapsed_s": round3(info.ElapsedS)})
		fmt.Fprintf(w, "epoch %*d/%d  loss %.4f  train %6.2f%%  test %6.2f%% (error %.2f%%, top-5 %.2f%%)  lr %.3g  %s img/s  %.1fs + eval %.1fs  ETA %s\n",
			len(strconv.Itoa(rc.Epochs)), e+1, rc.Epochs, lossSum/float64(seen), 100*float64(correct)/float64(seen),
			test.Top1, test.Error, test.Top5, lastLR, commas(int64(math.Round(ips))), trainS, evalS, fmtDuration(eta))
	}
	if info.Test == nil { // resumed a finished run with nothing left to do: evaluate once
		test, err := evaluate(ctx, octx, g, tr.Objective, testLoader)
		if err != nil {
			return err
		}
		info.Test = &test
	}
	if info.Epoch < rc.Epochs {
		logw.write(map[string]any{"event": "stopped", "time": now(), "epoch": info.Epoch, "step": info.Step})
		fmt.Fprintf(stdout, "%s on %s: stopped after epoch %d of %d (-stop-after), test top-1 %.2f%%; continue with -resume (%s)\n",
			info.Model, info.Dataset, info.Epoch, rc.Epochs, info.Test.Top1, paths.ckpt)
		return nil
	}
	logw.write(map[string]any{"event": "done", "time": now(), "epochs": info.Epoch, "step": info.Step,
		"test_top1": info.Test.Top1, "test_top5": info.Test.Top5, "test_error": info.Test.Error, "elapsed_s": round3(info.ElapsedS)})
	fmt.Fprintf(stdout, "%s on %s: test top-1 %.2f%% (error %.2f%%), top-5 %.2f%% on %d images after %s (%s)\n",
		info.Model, info.Dataset, info.Test.Top1, info.Test.Error, info.Test.Top5, info.Test.N, plural(info.Epoch, "epoch"),
		fmtDuration(time.Duration(info.ElapsedS*float64(time.Second))))
	fmt.Fprintf(stdout, "weights %s, checkpoint %s, log %s\n", paths.weights, paths.ckpt, paths.log)
	return nil
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func meanOr(xs []float64, def float64) float64 {
	if len(xs) == 0 {
		return def
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func progressBar(done, total, width int) string {
	fill := 0
	if total > 0 {
		fill = min(done*width/total, width)
	}
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "]"
}

func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// plural is "1 epoch", "2 epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// interrupted is the error of a run stopped by a signal.
func interrupted(err error, paths trainPaths, info runInfo) error {
	if !errors.Is(err, context.Canceled) {
		return err
	}
	if info.Epoch == 0 {
		return fmt.Errorf("interrupted in the first epoch; no checkpoint was written")
	}
	return fmt.Errorf("interrupted; %s holds epoch %d of %d: continue with -resume", paths.ckpt, info.Epoch, info.Recipe.Epochs)
}

// divergedError is the one-line message of a run whose loss, gradients or
// weights became non-finite.
func divergedError(err error, epoch, batch int, lr float64, epochs int, paths trainPaths, info runInfo) error {
	keep := "no checkpoint was written yet"
	if info.Epoch > 0 {
		keep = fmt.Sprintf("the last good checkpoint, %s (epoch %d), is kept", paths.ckpt, info.Epoch)
	}
	return fmt.Errorf("%v (epoch %d of %d, batch %d, lr %g): stopped; %s; try a lower -lr (or -clip)",
		err, epoch+1, epochs, batch+1, lr, keep)
}

// evaluate runs g in inference mode over every batch of l.
func evaluate(ctx context.Context, octx *ops.Context, g *graph.Graph, obj train.Objective, l *datasets.Loader) (evalStats, error) {
	var st evalStats
	var lossSum float64
	var top1, top5 int
	for b, err := range l.Epoch(ctx, 0) {
		if err != nil {
			return st, err
		}
		x := tensor.FromData(b.X, b.Shape[:]...)
		loss, c1, c5, err := train.Evaluate(octx, g, obj, x, b.Labels)
		n := len(b.Labels)
		l.Release(b)
		if err != nil {
			return st, err
		}
		lossSum += loss * float64(n)
		top1 += c1
		top5 += c5
		st.N += n
	}
	if st.N == 0 {
		return st, fmt.Errorf("evaluation: empty data set")
	}
	st.Loss = lossSum / float64(st.N)
	st.Top1 = 100 * float64(top1) / float64(st.N)
	st.Top5 = 100 * float64(top5) / float64(st.N)
	st.Error = 100 - st.Top1
	st.Top1, st.Top5, st.Error = roundPct(st.Top1), roundPct(st.Top5), roundPct(st.Error)
	return st, nil
}

// roundPct rounds a percentage to 4 decimals (exact for any count ≤ 10⁶).
func roundPct(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// --- data --------------------------------------------------------------

// dataSets are the names -dataset accepts, with their aliases.
var dataSets = map[string]string{
	"mnist": "mnist", "fashion-mnist": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
	"cifar10": "cifar10", "cifar-10": "cifar10", "folder": "folder", "imagefolder": "folder", "synthetic": "synthetic",
}

func canonicalDataset(name string) (string, error) {
	if c, ok := dataSets[strings.ToLower(name)]; ok {
		return c, nil
	}
	return "", usageError{fmt.Errorf("-dataset %q: want mnist, fashion-mnist, cifar10, folder or synthetic", name)}
}

// dataChannels are the image channels of the data sets with a fixed format.
var dataChannels = map[string]int{"mnist": 1, "fashion-mnist": 1, "cifar10": 3, "folder": 3}

// checkData refuses a data set the model cannot take, or one that needs a
// folder that was not given, before anything is loaded.
func checkData(name, dir string, spec architectures.Spec) error {
	switch {
	case name == "cifar10" && dir == "":
		return usageError{fmt.Errorf("-dataset cifar10 needs -data DIR (the cifar-10-batches-bin folder of the CIFAR-10 binary version)")}
	case name == "folder" && dir == "":
		return usageError{fmt.Errorf("-dataset folder needs -data DIR (an ImageNet-style folder: DIR/<class>/<image>, or DIR/train and DIR/val)")}
	}
	if c, ok := dataChannels[name]; ok && c != spec.Input[0] {
		return fmt.Errorf("%s takes %d-channel inputs (%s); %s images have %d channel(s) (the zoo has no %d-channel variant of it yet)",
			spec.Name, spec.Input[0], spec.Input.Dims(), name, c, c)
	}
	return nil
}

// Sizes of the synthetic data set's splits.
const (
	syntheticTrain = 2048
	syntheticTest  = 512
)

// openedData is one split of a data set, shaped for a model.
type openedData struct {
	ds       datasets.Dataset
	input    tensor.Shape // what the model sees (C, H, W)
	pad      int
	files    []datasets.FileRecord
	warnings []string
}

// openData opens a split of a data set for a model: the images are
// normalised with the recipe's norm and padded to the model's input when the
// model's input is fixed (28×28 digits in LeNet-5's 32×32 field).
func openData(name, split, dir string, spec architectures.Spec, normName string, limit int) (*openedData, error) {
	norm := norms[normName]
	od := &openedData{}
	var ds datasets.Dataset
	switch name {
	case "synthetic":
		s, err := datasets.NewSynthetic(syntheticTrain+syntheticTest, spec.Input[0], spec.Input[1], spec.Input[2], spec.Classes, 1)
		if err != nil {
			return nil, err
		}
		s.Signal = 1 // learnable in a few dozen steps: a smoke test of the training loop
		lo, n := 0, syntheticTrain
		if split != "train" {
			lo, n = syntheticTrain, syntheticTest
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = lo + i
		}
		ds, od.input = &datasets.Subset{Dataset: s, Indices: idx}, spec.Input.Clone()
	case "folder":
		if dir == "" {
			return nil, usageError{fmt.Errorf("-dataset folder needs -data DIR (an ImageNet-style folder: DIR/<class>/<image>, or DIR/train and DIR/val)")}
		}
		sub := dir
		for _, s := range folderSplits[split] {
			if st, err := os.Stat(filepath.Join(dir, s)); err == nil && st.IsDir() {
				sub = filepath.Join(dir, s)
				break
			}
		}
		crop := spec.Input[1]
		pre := datasets.Preprocess{Resize: int(math.Round(float64(crop) * 256 / 224)), Crop: crop, Norm: norm}
		f, err := datasets.OpenImageFolder(sub, pre)
		if err != nil {
			return nil, err
		}
		ds, od.input = f, tensor.Shape{3, crop, crop}
	default:
		var img *datasets.Images
		var err error
		switch name {
		case "cifar10":
			if dir == "" {
				return nil, usageError{fmt.Errorf("-dataset cifar10 needs -data DIR (the cifar-10-batches-bin folder of the CIFAR-10 binary version)")}
			}
			img, err = datasets.CIFAR10(dir, split)
		default:
			var opts []datasets.Option
			if dir != "" {
				opts = append(opts, datasets.WithDir(dir))
			}
			img, err = datasets.Open(name, split, opts...)
			if err != nil && !strings.Contains(err.Error(), "make data") &&
				(errors.Is(err, datasets.ErrNotFound) || errors.Is(err, os.ErrNotExist)) {
				err = fmt.Errorf("%w; set the data up with: make data (or give -data DIR holding the four IDX .gz files)", err)
			}
		}
		if err != nil {
			return nil, err
		}
		od.files, od.warnings = img.Files, img.Warnings
		pad := norm.Pad
		if spec.FixedInput || spec.Input[1] > img.H+2*pad {
			// Centre the images in the model's fixed field.
			dh, dw := spec.Input[1]-img.H, spec.Input[2]-img.W
			if dh < 0 || dh != dw || dh%2 != 0 {
				return nil, fmt.Errorf("%s takes %s inputs; %s images are %dx%dx%d and cannot be padded to fit",
					spec.Name, spec.Input.Dims(), name, img.C, img.H, img.W)
			}
			pad = dh / 2
		}
		if img.C != spec.Input[0] {
			return nil, fmt.Errorf("%s takes %d-channel inputs (%s); %s images have %d channel(s) (the zoo has no %d-channel variant of it yet)",
				spec.Name, spec.Input[0], spec.Input.Dims(), name, img.C, img.C)
		}
		norm.Pad = pad
		v, err := img.WithNorm(norm)
		if err != nil {
			return nil, err
		}
		sh := v.Shape()
		ds, od.input, od.pad = v, tensor.Shape{sh[0], sh[1], sh[2]}, pad
	}
	if limit > 0 && limit < ds.Len() {
		ds = datasets.Head(ds, limit)
	}
	if ds.Len() == 0 {
		return nil, fmt.Errorf("%s %s: no images", name, split)
	}
	od.ds = ds
	return od, nil
}

// folderSplits are the sub-folders an ImageNet-style folder may hold per split.
var folderSplits = map[string][]string{"train": {"train"}, "test": {"val", "test"}, "val": {"val", "test"}}

// sameFiles refuses to resume on other data than the checkpoint's.
func sameFiles(ckpt string, was, now []datasets.FileRecord) error {
	if len(was) == 0 {
		return nil
	}
	if len(was) != len(now) {
		return fmt.Errorf("%s: trained on %d data files, now %d", ckpt, len(was), len(now))
	}
	for i := range was {
		if was[i].SHA256 != now[i].SHA256 {
			return fmt.Errorf("%s: trained on %s with SHA-256 %s, but %s now has %s", ckpt, was[i].Path, was[i].SHA256, now[i].Path, now[i].SHA256)
		}
	}
	return nil
}

// --- checkpoints ---------------------------------------------------------

// checkpoint is a checkpoint file read back.
type checkpoint struct {
	path    string
	info    runInfo
	weights map[string]*tensor.Tensor
	optim   map[string]*tensor.Tensor
}

// readCheckpoint reads a checkpoint written by saveRun; a missing file
// wraps fs.ErrNotExist.
func readCheckpoint(path string) (*checkpoint, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	named, meta, err := tensorio.ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	if meta["format"] != checkpointFormat {
		return nil, fmt.Errorf("%s: not a cnnbench training checkpoint (metadata format %q, want %q)", path, meta["format"], checkpointFormat)
	}
	c := &checkpoint{path: path, weights: map[string]*tensor.Tensor{}, optim: map[string]*tensor.Tensor{}}
	if err := json.Unmarshal([]byte(meta["cnnbench"]), &c.info); err != nil {
		return nil, fmt.Errorf("%s: bad run description in the metadata: %v", path, err)
	}
	for _, n := range named {
		if k, ok := strings.CutPrefix(n.Name, optimizerPrefix); ok {
			c.optim[k] = n.T
		} else {
			c.weights[n.Name] = n.T
		}
	}
	return c, nil
}

// restore loads the checkpoint into the graph and the trainer.
func (c *checkpoint) restore(g *graph.Graph, tr *train.Trainer) error {
	if err := g.Load(c.weights); err != nil {
		return fmt.Errorf("%s: %w", c.path, err)
	}
	if err := tr.Opt.Load(c.optim, tr.BP.Params()); err != nil {
		return fmt.Errorf("%s: %w", c.path, err)
	}
	tr.BP.Updated()
	tr.Steps = c.info.Step
	return nil
}

// saveRun writes the checkpoint, then the weights, each atomically.
func saveRun(paths trainPaths, g *graph.Graph, tr *train.Trainer, info runInfo) error {
	desc, err := json.Marshal(info)
	if err != nil {
		return err
	}
	meta := map[string]string{"format": checkpointFormat, "model": info.Model, "dataset": info.Dataset,
		"epoch": strconv.Itoa(info.Epoch), "step": strconv.Itoa(info.Step), "cnnbench": string(desc)}
	if info.Test != nil {
		meta["test_top1"] = strconv.FormatFloat(info.Test.Top1, 'f', -1, 64)
	}
	var weights []tensorio.Named
	for _, e := range g.State() {
		weights = append(weights, tensorio.Named{Name: e.Key, T: e.T})
	}
	all := slices.Clone(weights)
	for _, e := range tr.Opt.State() {
		all = append(all, tensorio.Named{Name: optimizerPrefix + e.Key, T: e.T})
	}
	if err := tensorio.WriteSafetensors(paths.ckpt, all, meta); err != nil {
		return err
	}
	meta["format"] = weightsFormat
	return tensorio.WriteSafetensors(paths.weights, weights, meta)
}

// --- log -----------------------------------------------------------------

// trainLog appends JSON lines to the run's log.
type trainLog struct {
	f   *os.File
	err error
}

// openTrainLog opens the log for a run. A fresh run starts a new log; a
// resumed one keeps the lines up to its checkpoint's epoch (dropping those
// of epochs the checkpoint does not hold).
func openTrainLog(path string, resume bool, epoch int) (*trainLog, error) {
	if resume {
		if data, err := os.ReadFile(path); err == nil {
			var keep bytes.Buffer
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 1<<20), 1<<24)
			for sc.Scan() {
				var ev struct {
					Event string `json:"event"`
					Epoch int    `json:"epoch"`
				}
				if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event == "epoch" && ev.Epoch > epoch {
					continue
				}
				keep.Write(sc.Bytes())
				keep.WriteByte('\n')
			}
			if err := suite.WriteAtomic(path, keep.Bytes()); err != nil {
				return nil, err
			}
		}
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !resume {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	return &trainLog{f: f}, nil
}

func (l *trainLog) write(v map[string]any) {
	if l.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		l.err = err
		return
	}
	_, l.err = l.f.Write(append(b, '\n'))
}

func (l *trainLog) Close() error {
	err := l.f.Close()
	if l.err != nil {
		return l.err
	}
	return err
}
