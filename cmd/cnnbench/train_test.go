package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensorio"
	"github.com/cnnbench/cnnbench/suite"
)

// trainCLI runs train (or eval) in-process with train's progress captured.
func trainCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var progress bytes.Buffer
	old := trainStderr
	trainStderr = &progress
	defer func() { trainStderr = old }()
	code, stdout, stderr = cli(t, args...)
	return code, stdout, progress.String() + stderr
}

// tinyTrain is a small, fast synthetic training run of LeNet-5.
func tinyTrain(out string, extra ...string) []string {
	return append([]string{"train", "-model", "lenet5", "-dataset", "synthetic", "-subset", "256", "-test-subset", "128",
		"-batch", "32", "-threads", "2", "-out", out}, extra...)
}

type logLine struct {
	Event     string  `json:"event"`
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	TestTop1  float64 `json:"test_top1"`
	TestTop5  float64 `json:"test_top5"`
	IPS       float64 `json:"images_per_s"`
	Error     string  `json:"error"`
}

func readLog(t *testing.T, path string) []logLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: bad JSON line %q: %v", path, sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

func epochs(lines []logLine) []logLine {
	var out []logLine
	for _, l := range lines {
		if l.Event == "epoch" {
			out = append(out, l)
		}
	}
	return out
}

// tensorBytes is the tensor part of a safetensors file (after the header,
// whose metadata holds times).
func tensorBytes(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	named, _, err := tensorio.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]float32{}
	for _, n := range named {
		m[n.Name] = n.T.Data
	}
	return m
}

func sameTensors(t *testing.T, a, b string) {
	t.Helper()
	ta, tb := tensorBytes(t, a), tensorBytes(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("%s has %d tensors, %s %d", a, len(ta), b, len(tb))
	}
	for k, va := range ta {
		vb, ok := tb[k]
		if !ok {
			t.Fatalf("%s lacks %s", b, k)
		}
		for i := range va {
			if va[i] != vb[i] {
				t.Fatalf("%s[%d]: %v in %s, %v in %s", k, i, va[i], a, vb[i], b)
			}
		}
	}
}

// Train, then eval the weights: the loss falls, the log has a line per
// epoch, eval's JSON has top1/top5 equal to train's last test accuracy, and
// -out writes a results row with top1, top5 and the data set.
func TestTrainThenEval(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "w.safetensors")
	code, stdout, stderr := trainCLI(t, tinyTrain(out, "-epochs", "4")...)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "epoch 4/4") || !strings.Contains(stdout, "test top-1") {
		t.Errorf("progress:\n%s\nstdout:\n%s", stderr, stdout)
	}
	lines := readLog(t, filepath.Join(dir, "w.jsonl"))
	ep := epochs(lines)
	if len(ep) != 4 || lines[0].Event != "start" || lines[len(lines)-1].Event != "done" {
		t.Fatalf("log: %+v", lines)
	}
	if !(ep[3].TrainLoss < ep[0].TrainLoss) {
		t.Errorf("training loss did not fall: %v → %v", ep[0].TrainLoss, ep[3].TrainLoss)
	}
	if !(ep[3].TestTop1 > 20) {
		t.Errorf("test top-1 %v%% after 4 epochs: nothing learnt (chance is 10%%)", ep[3].TestTop1)
	}
	for _, e := range ep {
		if !(e.IPS > 0) {
			t.Errorf("epoch %d: images/s %v", e.Epoch, e.IPS)
		}
	}
	for _, f := range []string{"w.safetensors", "w.ckpt.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	res := filepath.Join(dir, "results")
	code, stdout, stderr = trainCLI(t, "eval", "-model", "lenet5", "-weights", out, "-dataset", "synthetic",
		"-subset", "128", "-format", "json", "-out", res)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var got struct {
		Top1, Top5 *float64
		Images     int
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Top1 == nil || got.Top5 == nil {
		t.Fatalf("eval JSON %q: %v", stdout, err)
	}
	if *got.Top1 != ep[3].TestTop1 || *got.Top5 != ep[3].TestTop5 || got.Images != 128 {
		t.Errorf("eval top1/top5 %v/%v on %d images, train's last epoch %v/%v", *got.Top1, *got.Top5, got.Images, ep[3].TestTop1, ep[3].TestTop5)
	}
	f, err := suite.Load(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 1 || f.Rows[0].Top1 == nil || *f.Rows[0].Top1 != *got.Top1 || f.Rows[0].Dataset != "synthetic/test" ||
		f.Rows[0].Params == nil || *f.Rows[0].Params != 61706 {
		t.Errorf("result rows: %+v", f.Rows)
	}
	// The checkpoint evaluates the same; a second eval replaces the row.
	code, stdout, stderr = trainCLI(t, "eval", "-model", "lenet5", "-weights", filepath.Join(dir, "w.ckpt.safetensors"),
		"-dataset", "synthetic", "-subset", "128", "-out", res)
	if code != 0 || !strings.Contains(stdout, "top1") {
		t.Fatalf("eval of the checkpoint: exit %d: %s%s", code, stdout, stderr)
	}
	if f, _ := suite.Load(res); len(f.Rows) != 2 {
		t.Errorf("rows after evaluating a second file: %d, want 2", len(f.Rows))
	}
}

// A run stopped after one epoch and resumed twice ends bit for bit where a
// straight run ends: weights, BN statistics and optimizer state.
func TestTrainResumeIsBitForBit(t *testing.T) {
	dir := t.TempDir()
	straight := filepath.Join(dir, "straight.safetensors")
	pieces := filepath.Join(dir, "pieces.safetensors")
	extra := []string{"-epochs", "3", "-augment", "crop,flip", "-schedule", "cosine"}
	if code, _, stderr := trainCLI(t, tinyTrain(straight, extra...)...); code != 0 {
		t.Fatalf("straight run: %s", stderr)
	}
	if code, stdout, stderr := trainCLI(t, tinyTrain(pieces, append(extra, "-stop-after", "1")...)...); code != 0 || !strings.Contains(stdout, "stopped after epoch 1 of 3") {
		t.Fatalf("first piece: exit %d: %s%s", code, stdout, stderr)
	}
	// Without -resume an existing checkpoint is not overwritten.
	code, _, stderr := trainCLI(t, tinyTrain(pieces, extra...)...)
	if code != 1 || !strings.Contains(stderr, "pass -resume") {
		t.Errorf("existing checkpoint without -resume: exit %d: %s", code, stderr)
	}
	if code, _, stderr := trainCLI(t, tinyTrain(pieces, "-resume", "-stop-after", "1")...); code != 0 || !strings.Contains(stderr, "resuming") {
		t.Fatalf("second piece: exit %d: %s", code, stderr)
	}
	if code, _, stderr := trainCLI(t, tinyTrain(pieces, "-resume")...); code != 0 {
		t.Fatalf("third piece: %s", stderr)
	}
	sameTensors(t, straight, pieces)
	sameTensors(t, filepath.Join(dir, "straight.ckpt.safetensors"), filepath.Join(dir, "pieces.ckpt.safetensors"))
	a, b := epochs(readLog(t, filepath.Join(dir, "straight.jsonl"))), epochs(readLog(t, filepath.Join(dir, "pieces.jsonl")))
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("epoch lines: %d and %d", len(a), len(b))
	}
	for i := range a {
		if a[i].TrainLoss != b[i].TrainLoss || a[i].TestTop1 != b[i].TestTop1 {
			t.Errorf("epoch %d: straight %+v, resumed %+v", i+1, a[i], b[i])
		}
	}
	// Resuming a finished run does nothing more.
	if code, stdout, _ := trainCLI(t, tinyTrain(pieces, "-resume")...); code != 0 || !strings.Contains(stdout, "after 3 epochs") {
		t.Errorf("resuming a finished run: exit %d: %s", code, stdout)
	}
	sameTensors(t, straight, pieces)
}

// A learning rate that blows up stops the run with one line naming the
// divergence and the checkpoint kept; the checkpoint still holds the last
// good epoch.
func TestTrainDivergenceKeepsLastGoodCheckpoint(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "d.safetensors")
	// Epoch 1 at lr 0.05, then ×1e8.
	code, _, stderr := trainCLI(t, tinyTrain(out, "-epochs", "3", "-schedule", "step", "-milestones", "1", "-gamma", "1e8")...)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	last := lastLine(stderr)
	for _, want := range []string{"training diverged", "epoch 2 of 3", "d.ckpt.safetensors (epoch 1), is kept", "lower -lr"} {
		if !strings.Contains(last, want) {
			t.Errorf("message %q lacks %q", last, want)
		}
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stack trace in stderr: %s", stderr)
	}
	named, meta, err := tensorio.ReadSafetensors(filepath.Join(dir, "d.ckpt.safetensors"))
	if err != nil || meta["epoch"] != "1" {
		t.Fatalf("checkpoint after divergence: epoch %q, err %v", meta["epoch"], err)
	}
	for _, n := range named {
		if err := tensorio.CheckFinite(n); err != nil {
			t.Errorf("checkpoint holds non-finite values: %v", err)
		}
	}
	lines := readLog(t, filepath.Join(dir, "d.jsonl"))
	if l := lines[len(lines)-1]; l.Event != "diverged" || !strings.Contains(l.Error, "diverged") {
		t.Errorf("last log line %+v", l)
	}
	// The kept checkpoint evaluates.
	if code, _, stderr := trainCLI(t, "eval", "-model", "lenet5", "-weights", out, "-dataset", "synthetic", "-subset", "64"); code != 0 {
		t.Errorf("eval of the kept weights: %s", stderr)
	}

	// An absurd rate from the start: nothing to keep, and it says so.
	out2 := filepath.Join(dir, "e.safetensors")
	code, _, stderr = trainCLI(t, tinyTrain(out2, "-lr", "1e6")...)
	if last := lastLine(stderr); code != 1 || !strings.Contains(last, "diverged") || !strings.Contains(last, "no checkpoint was written yet") {
		t.Errorf("lr 1e6: exit %d, %q", code, last)
	}
	if _, err := os.Stat(filepath.Join(dir, "e.ckpt.safetensors")); err == nil {
		t.Error("a diverged first epoch wrote a checkpoint")
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// Bad input gets one line on stderr and a non-zero exit, never a panic.
func TestTrainEvalBadInput(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.safetensors")
	if code, _, stderr := trainCLI(t, tinyTrain(weights, "-epochs", "1", "-subset", "64")...); code != 0 {
		t.Fatalf("setup: %s", stderr)
	}
	paperWeights := filepath.Join(dir, "paper.safetensors")
	if code, _, stderr := cli(t, "export", "-model", "lenet5_paper", "-weights-out", paperWeights); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	trunc := filepath.Join(dir, "trunc.safetensors")
	os.WriteFile(trunc, []byte("\x10\x00\x00"), 0o644)
	emptyCache := t.TempDir()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want []string
	}{
		{"train-no-model", []string{"train", "-dataset", "mnist", "-out", weights}, nil, 2, []string{"-model is required"}},
		{"train-no-dataset", []string{"train", "-model", "lenet5", "-out", weights}, nil, 2, []string{"-dataset is required"}},
		{"train-no-out", []string{"train", "-model", "lenet5", "-dataset", "synthetic"}, nil, 2, []string{"-out"}},
		{"train-unknown-dataset", []string{"train", "-model", "lenet5", "-dataset", "imagenet22k", "-out", weights}, nil, 2, []string{"imagenet22k"}},
		{"train-unknown-model", []string{"train", "-model", "lenet9", "-dataset", "synthetic", "-out", weights}, nil, 1, []string{`unknown model "lenet9"`}},
		{"train-bad-optimizer", tinyTrain(filepath.Join(dir, "o.safetensors"), "-optimizer", "lbfgs"), nil, 2, []string{"-optimizer", "sgd, adam or adamw"}},
		{"train-bad-schedule", tinyTrain(filepath.Join(dir, "o.safetensors"), "-schedule", "poly"), nil, 2, []string{"-schedule"}},
		{"train-bad-augment", tinyTrain(filepath.Join(dir, "o.safetensors"), "-augment", "rotate"), nil, 2, []string{"-augment"}},
		{"train-bad-lr", tinyTrain(filepath.Join(dir, "o.safetensors"), "-lr", "-1"), nil, 2, []string{"-lr"}},
		{"train-bad-milestones", tinyTrain(filepath.Join(dir, "o.safetensors"), "-schedule", "step", "-milestones", "3,2"), nil, 2, []string{"-milestones"}},
		{"train-3-channel-model-on-mnist", []string{"train", "-model", "resnet20", "-dataset", "mnist", "-out", filepath.Join(dir, "r.safetensors")},
			map[string]string{"CNNBENCH_MNIST_DIR": dir}, 1, []string{"resnet20"}},
		{"train-existing-checkpoint", tinyTrain(weights, "-epochs", "1", "-subset", "64"), nil, 1, []string{"w.ckpt.safetensors exists", "-resume"}},
		{"train-resume-other-model", []string{"train", "-model", "lenet5_paper", "-dataset", "synthetic", "-out", weights, "-resume"}, nil, 1,
			[]string{"w.ckpt.safetensors", "checkpoint of model lenet5, not lenet5_paper"}},
		{"train-missing-mnist", []string{"train", "-model", "lenet5", "-dataset", "mnist", "-out", filepath.Join(dir, "m.safetensors")},
			map[string]string{"CNNBENCH_MNIST_DIR": "", "GOMODCACHE": emptyCache}, 1, []string{"MNIST not found", "make data"}},
		{"eval-missing-mnist-dir", []string{"eval", "-model", "lenet5", "-weights", weights, "-dataset", "mnist"},
			map[string]string{"CNNBENCH_MNIST_DIR": filepath.Join(dir, "nowhere")}, 1, []string{"nowhere", "make data"}},
		{"eval-no-weights", []string{"eval", "-model", "lenet5", "-dataset", "synthetic"}, nil, 2, []string{"-weights"}},
		{"eval-missing-weights", []string{"eval", "-model", "lenet5", "-dataset", "synthetic", "-weights", filepath.Join(dir, "nope.safetensors")}, nil, 1,
			[]string{"nope.safetensors", "no such file"}},
		{"eval-truncated-weights", []string{"eval", "-model", "lenet5", "-dataset", "synthetic", "-weights", trunc}, nil, 1, []string{"trunc.safetensors"}},
		{"eval-trained-weights-of-other-model", []string{"eval", "-model", "lenet5_paper", "-dataset", "synthetic", "-weights", weights}, nil, 1,
			[]string{"w.safetensors", "weights of model lenet5", "not lenet5_paper"}},
		{"eval-state-dict-of-other-model", []string{"eval", "-model", "lenet5", "-dataset", "synthetic", "-weights", paperWeights}, nil, 1,
			[]string{"paper.safetensors", "not weights for lenet5", "tensor"}},
		{"eval-bad-format", []string{"eval", "-model", "lenet5", "-dataset", "synthetic", "-weights", weights, "-format", "xml"}, nil, 2, []string{"-format"}},
		{"eval-cifar-without-dir", []string{"eval", "-model", "resnet20", "-dataset", "cifar10", "-weights", weights}, nil, 2, []string{"cifar10 needs -data DIR"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			code, _, stderr := trainCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, stderr)
			}
			msg := strings.TrimRight(stderr, "\n")
			if strings.Count(msg, "\n") > 0 && !strings.HasPrefix(c.name, "train-existing") {
				// Only train's own header may precede the error line.
				if !strings.HasPrefix(msg, "train ") {
					t.Errorf("more than one line on stderr:\n%s", msg)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(lastLine(msg), w) {
					t.Errorf("stderr %q lacks %q", lastLine(msg), w)
				}
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("panic: %s", stderr)
			}
		})
	}
}

// -print-recipe shows the default LeNet-5 recipe on MNIST: the paper's
// shape of run (SGD, ~20 passes, decreasing rate) without any data.
func TestDefaultRecipes(t *testing.T) {
	code, stdout, stderr := trainCLI(t, "train", "-model", "lenet5", "-dataset", "mnist", "-print-recipe")
	if code != 0 {
		t.Fatal(stderr)
	}
	var r recipe
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Optimizer != "sgd" || r.Schedule != "step" || len(r.Milestones) == 0 || r.Epochs < 10 || r.Epochs > 20 || r.Norm != "lenet-paper" {
		t.Errorf("lenet5/mnist recipe: %+v", r)
	}
	code, stdout, _ = trainCLI(t, "train", "-model", "lenet5_paper", "-dataset", "mnist", "-print-recipe", "-epochs", "3")
	if code != 0 || !strings.Contains(stdout, `"loss": "rbf-map"`) || !strings.Contains(stdout, `"epochs": 3`) {
		t.Errorf("lenet5_paper recipe with -epochs 3: %s", stdout)
	}
	for _, m := range []string{"lenet5", "lenet5_paper", "resnet20", "vgg11", "mobilenet_v1_1.0_224"} {
		for _, d := range []string{"mnist", "fashion-mnist", "cifar10", "folder", "synthetic"} {
			if err := defaultRecipe(m, d).validate(); err != nil {
				t.Errorf("%s on %s: default recipe invalid: %v", m, d, err)
			}
		}
	}
	_ = io.Discard
}
