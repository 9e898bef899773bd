//go:build ignore

// accuracy_table turns the per-seed training logs of a model/data-set pair
// (the F.jsonl files `cnnbench train` writes) into results tables:
// <name>.csv (one row per seed, then mean and std rows) and <name>.md
// (seeds, mean ± std against the paper's figure, test error per epoch,
// time per epoch, training throughput beside PyTorch's, data set hashes,
// recipe, machine, commit). Run by scripts/accuracy.sh:
//
//	go run scripts/accuracy_table.go -runs DIR -name lenet5_mnist -out results/accuracy \
//	    [-paper 0.95 -paper-source "..."] [-throughput DIR] [-load "uptime output"]
//
// -throughput DIR holds ours.jsonl (a one-epoch cnnbench train log) and
// torch.json (the JSON line of scripts/train_lenet_torch.py), measured back
// to back at the same thread count.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type fileRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Known  string `json:"known"`
}

type event struct {
	Event       string          `json:"event"`
	Time        string          `json:"time"`
	Model       string          `json:"model"`
	Dataset     string          `json:"dataset"`
	Seed        uint64          `json:"seed"`
	Threads     int             `json:"threads"`
	Algo        string          `json:"algo"`
	Kernels     string          `json:"kernels"`
	Recipe      json.RawMessage `json:"recipe"`
	TrainImages int             `json:"train_images"`
	TestImages  int             `json:"test_images"`
	TrainFiles  []fileRecord    `json:"train_files"`
	TestFiles   []fileRecord    `json:"test_files"`
	Command     []string        `json:"command"`
	CPU         string          `json:"cpu"`
	Go          string          `json:"go"`
	Commit      string          `json:"commit"`

	Epoch     int     `json:"epoch"`
	Epochs    int     `json:"epochs"`
	TrainLoss float64 `json:"train_loss"`
	TrainTop1 float64 `json:"train_top1"`
	TestLoss  float64 `json:"test_loss"`
	TestTop1  float64 `json:"test_top1"`
	TestTop5  float64 `json:"test_top5"`
	TestError float64 `json:"test_error"`
	TrainS    float64 `json:"train_s"`
	EvalS     float64 `json:"eval_s"`
	IPS       float64 `json:"images_per_s"`
	ElapsedS  float64 `json:"elapsed_s"`
}

type run struct {
	file   string
	start  event // the last start/resume event
	epochs []event
	done   *event
}

func readRun(path string) (*run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &run{file: path}
	byEpoch := map[int]event{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for ln := 1; sc.Scan(); ln++ {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, ln, err)
		}
		switch e.Event {
		case "start", "resume":
			r.start = e
		case "epoch":
			byEpoch[e.Epoch] = e
		case "done":
			r.done = &e
		}
	}
	for _, e := range byEpoch {
		r.epochs = append(r.epochs, e)
	}
	sort.Slice(r.epochs, func(i, j int) bool { return r.epochs[i].Epoch < r.epochs[j].Epoch })
	if len(r.epochs) == 0 {
		return nil, fmt.Errorf("%s: no finished epoch", path)
	}
	return r, nil
}

func (r *run) last() event { return r.epochs[len(r.epochs)-1] }

// throughput is images over training seconds across all epochs.
func (r *run) throughput() (ips, trainS, evalS float64) {
	var img, tr, ev float64
	for _, e := range r.epochs {
		tr += e.TrainS
		ev += e.EvalS
		img += e.IPS * e.TrainS
	}
	n := float64(len(r.epochs))
	return img / tr, tr / n, ev / n
}

func meanStd(xs []float64) (float64, float64) {
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	if len(xs) < 2 {
		return m, math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(xs)-1))
}

func f(v float64, prec int) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func fileSum(fs []fileRecord, i int) string {
	if i < len(fs) {
		return fs[i].SHA256
	}
	return ""
}

func main() {
	runs := flag.String("runs", "", "folder of the per-seed logs (seed*.jsonl)")
	name := flag.String("name", "", "table name, e.g. lenet5_mnist")
	out := flag.String("out", "", "folder for <name>.csv and <name>.md")
	title := flag.String("title", "", "title of the Markdown table")
	paper := flag.Float64("paper", math.NaN(), "the paper's test error in percent")
	paperSource := flag.String("paper-source", "", "where the paper's figure is")
	tp := flag.String("throughput", "", "folder with ours.jsonl and torch.json (training throughput back to back)")
	load := flag.String("load", "", "machine load during the runs (uptime), for the notes")
	flag.Parse()
	if *runs == "" || *name == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/accuracy_table.go -runs DIR -name NAME -out DIR [...]")
		os.Exit(2)
	}
	if err := write(*runs, *name, *out, *title, *paper, *paperSource, *tp, *load); err != nil {
		fmt.Fprintln(os.Stderr, "accuracy_table:", err)
		os.Exit(1)
	}
}

var seedRe = regexp.MustCompile(`seed(\d+)\.jsonl$`)

func write(dir, name, out, title string, paper float64, paperSource, tpDir, load string) error {
	paths, _ := filepath.Glob(filepath.Join(dir, "seed*.jsonl"))
	sort.Slice(paths, func(i, j int) bool {
		a, _ := strconv.Atoi(seedRe.FindStringSubmatch(paths[i])[1])
		b, _ := strconv.Atoi(seedRe.FindStringSubmatch(paths[j])[1])
		return a < b
	})
	var rs []*run
	for _, p := range paths {
		r, err := readRun(p)
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return fmt.Errorf("%s: no seed*.jsonl logs", dir)
	}

	// CSV: one row per seed, then mean and std.
	var cb bytes.Buffer
	cw := csv.NewWriter(&cb)
	cw.Write([]string{"model", "dataset", "seed", "epochs", "test_error", "test_top1", "test_top5", "test_loss",
		"best_test_error", "wall_s", "train_s_per_epoch", "eval_s_per_epoch", "images_per_s", "threads", "kernels", "algo",
		"train_images", "test_images", "recipe", "train_images_sha256", "train_labels_sha256",
		"test_images_sha256", "test_labels_sha256", "finished", "commit", "cpu", "go"})
	var errs, tops1, tops5, losses, walls, ipss, trs, evs, bests []float64
	for _, r := range rs {
		l := r.last()
		ips, trS, evS := r.throughput()
		best := math.Inf(1)
		for _, e := range r.epochs {
			best = min(best, e.TestError)
		}
		errs, tops1, tops5, losses = append(errs, l.TestError), append(tops1, l.TestTop1), append(tops5, l.TestTop5), append(losses, l.TestLoss)
		walls, ipss, trs, evs, bests = append(walls, l.ElapsedS), append(ipss, ips), append(trs, trS), append(evs, evS), append(bests, best)
		s := r.start
		finished := ""
		if r.done != nil {
			finished = r.done.Time
		}
		cw.Write([]string{s.Model, s.Dataset, strconv.FormatUint(s.Seed, 10), strconv.Itoa(l.Epoch), f(l.TestError, 2),
			f(l.TestTop1, 2), f(l.TestTop5, 2), f(l.TestLoss, 4), f(best, 2), f(l.ElapsedS, 1), f(trS, 1), f(evS, 1),
			f(ips, 0), strconv.Itoa(s.Threads), s.Kernels, s.Algo, strconv.Itoa(s.TrainImages), strconv.Itoa(s.TestImages),
			string(s.Recipe), fileSum(s.TrainFiles, 0), fileSum(s.TrainFiles, 1), fileSum(s.TestFiles, 0), fileSum(s.TestFiles, 1),
			finished, s.Commit, s.CPU, s.Go})
	}
	s0 := rs[0].start
	for _, stat := range []string{"mean", "std"} {
		pick := func(xs []float64, prec int) string {
			m, sd := meanStd(xs)
			if stat == "mean" {
				return f(m, prec)
			}
			return f(sd, prec)
		}
		cw.Write([]string{s0.Model, s0.Dataset, stat, strconv.Itoa(rs[0].last().Epoch), pick(errs, 3), pick(tops1, 3), pick(tops5, 3),
			pick(losses, 4), pick(bests, 3), pick(walls, 1), pick(trs, 1), pick(evs, 1), pick(ipss, 0), strconv.Itoa(s0.Threads),
			s0.Kernels, s0.Algo, "", "", "", "", "", "", "", "", "", "", ""})
	}
	cw.Flush()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, name+".csv"), cb.Bytes(), 0o644); err != nil {
		return err
	}

	// Markdown.
	var b strings.Builder
	if title == "" {
		title = fmt.Sprintf("%s on %s", s0.Model, s0.Dataset)
	}
	m, sd := meanStd(errs)
	fmt.Fprintf(&b, "# %s\n\n", title)
	epochWord := "epochs"
	if rs[0].last().Epoch == 1 {
		epochWord = "epoch"
	}
	fmt.Fprintf(&b, "Test error after %d %s: **%.2f%% ± %.2f%%** (mean ± sample std over %d seeds: %s)",
		rs[0].last().Epoch, epochWord, m, sd, len(rs), seedList(rs))
	if !math.IsNaN(paper) {
		verdict := "at or below"
		if m > paper {
			verdict = "above"
		}
		fmt.Fprintf(&b, "; the paper reports %.2f%%%s — ours is %s it", paper, src(paperSource), verdict)
		worst := 0.0
		for _, e := range errs {
			worst = max(worst, e)
		}
		fmt.Fprintf(&b, " (worst seed %.2f%%)", worst)
	}
	fmt.Fprintf(&b, ".\n\n")
	fmt.Fprintf(&b, "| seed | epochs | test error | top-1 | top-5 | test loss | best epoch error | wall time | train s/epoch | eval s/epoch | images/s (train) |\n")
	fmt.Fprintf(&b, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, r := range rs {
		l := r.last()
		fmt.Fprintf(&b, "| %d | %d | %.2f%% | %.2f%% | %.2f%% | %.4f | %.2f%% | %s | %.1f | %.1f | %.0f |\n", r.start.Seed, l.Epoch,
			l.TestError, l.TestTop1, l.TestTop5, l.TestLoss, bests[i], dur(l.ElapsedS), trs[i], evs[i], ipss[i])
	}
	mw, sw := meanStd(walls)
	mi, si := meanStd(ipss)
	mt, st := meanStd(trs)
	fmt.Fprintf(&b, "| **mean ± std** | | **%.2f ± %.2f%%** | %.2f%% | %.2f%% | | | %s ± %s | %.1f ± %.1f | | %.0f ± %.0f |\n\n",
		m, sd, mean(tops1), mean(tops5), dur(mw), dur(sw), mt, st, mi, si)

	// Test error per epoch, mean over seeds.
	fmt.Fprintf(&b, "Test error per epoch (mean over the seeds):\n\n| epoch |")
	n := rs[0].last().Epoch
	for e := 1; e <= n; e++ {
		fmt.Fprintf(&b, " %d |", e)
	}
	fmt.Fprintf(&b, "\n|---|%s\n| error %% |", strings.Repeat("---:|", n))
	for e := 1; e <= n; e++ {
		var xs []float64
		for _, r := range rs {
			for _, ev := range r.epochs {
				if ev.Epoch == e {
					xs = append(xs, ev.TestError)
				}
			}
		}
		if len(xs) == 0 {
			fmt.Fprintf(&b, " |")
			continue
		}
		fmt.Fprintf(&b, " %.2f |", mean(xs))
	}
	fmt.Fprintf(&b, "\n\n")

	if tpDir != "" {
		if err := throughputSection(&b, tpDir); err != nil {
			return err
		}
	}

	fmt.Fprintf(&b, "## Run\n\n")
	// Describe the run by its latest seed; say so where seeds ran differently.
	s0 = rs[len(rs)-1].start
	var recipe map[string]any
	json.Unmarshal(s0.Recipe, &recipe)
	if src, ok := recipe["source"].(string); ok {
		fmt.Fprintf(&b, "- Recipe (%s): `%s`\n", src, compactRecipe(s0.Recipe))
	}
	fmt.Fprintf(&b, "- Command: `%s -seed S -out seedS.safetensors` (seeds %s), %s, convolution %s, kernels %s\n",
		command(s0.Command), seedList(rs), threadsWord(s0.Threads), s0.Algo, s0.Kernels)
	for _, r := range rs {
		if c := command(r.start.Command); c != command(s0.Command) || r.start.Commit != s0.Commit || !bytes.Equal(r.start.Recipe, s0.Recipe) {
			fmt.Fprintf(&b, "  - seed %d ran as `%s` at commit %s with the recipe `%s` (the results of a run depend only on its recipe, seed and data)\n",
				r.start.Seed, c, r.start.Commit, compactRecipe(r.start.Recipe))
		}
	}
	fmt.Fprintf(&b, "- Data: %d training and %d test images; files and SHA-256:\n", s0.TrainImages, s0.TestImages)
	for _, fr := range append(append([]fileRecord{}, s0.TrainFiles...), s0.TestFiles...) {
		fmt.Fprintf(&b, "  - `%s` %s (%s)\n", filepath.Base(fr.Path), fr.SHA256, fr.Known)
	}
	fmt.Fprintf(&b, "- Machine: %s, %s; commit %s\n", s0.CPU, s0.Go, s0.Commit)
	if load != "" {
		fmt.Fprintf(&b, "- Load: %s (the machine is shared: times and images/s vary with it; accuracy does not)\n", strings.TrimSpace(load))
	}
	fmt.Fprintf(&b, "- Wall time is training plus the test evaluation after every epoch; images/s counts training images over training time only.\n")
	fmt.Fprintf(&b, "- Per-epoch logs: %s (JSON lines, one per epoch, with the data set hashes in the first line).\n", logList(rs))
	return os.WriteFile(filepath.Join(out, name+".md"), []byte(b.String()), 0o644)
}

func throughputSection(b *strings.Builder, dir string) error {
	paths, _ := filepath.Glob(filepath.Join(dir, "ours_t*.jsonl"))
	if len(paths) == 0 {
		return fmt.Errorf("%s: no ours_t<threads>.jsonl", dir)
	}
	type pair struct {
		threads int
		ours    *run
		torch   torchRun
		load    string
	}
	var pairs []pair
	for _, p := range paths {
		t, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "ours_t"), ".jsonl"))
		if err != nil {
			return fmt.Errorf("%s: name is not ours_t<threads>.jsonl", p)
		}
		ours, err := readRun(p)
		if err != nil {
			return err
		}
		tf := filepath.Join(dir, fmt.Sprintf("torch_t%d.json", t))
		data, err := os.ReadFile(tf)
		if err != nil {
			return err
		}
		var tr torchRun
		if err := json.Unmarshal(bytes.TrimSpace(lastLine(data)), &tr); err != nil {
			return fmt.Errorf("%s: %v", tf, err)
		}
		load, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("load_t%d.txt", t)))
		pairs = append(pairs, pair{t, ours, tr, loadAverages(string(load))})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].threads < pairs[j].threads })
	fmt.Fprintf(b, "## Training throughput beside PyTorch\n\n")
	fmt.Fprintf(b, "One epoch of the same run (%d images, batch %d, SGD with momentum, the same network, input and "+
		"initialisation scheme), ours then PyTorch's back to back at each thread count; images/s counts training only "+
		"(forward, loss, backward, update), not the test evaluation:\n\n", pairs[0].ours.start.TrainImages, pairs[0].torch.Batch)
	fmt.Fprintf(b, "| threads | cnnbench images/s | PyTorch images/s | cnnbench / PyTorch | cnnbench test top-1 after it | PyTorch test top-1 after it | load averages before → after |\n")
	fmt.Fprintf(b, "|---:|---:|---:|---:|---:|---:|---|\n")
	for _, p := range pairs {
		ips, _, _ := p.ours.throughput()
		top := ""
		if len(p.torch.Epochs) > 0 {
			top = fmt.Sprintf("%.2f%%", p.torch.Epochs[0].TestTop1)
		}
		fmt.Fprintf(b, "| %d | %.0f | %.0f | **%.2f×** | %.2f%% | %s | %s |\n", p.threads, ips, p.torch.IPS, ips/p.torch.IPS,
			p.ours.last().TestTop1, top, p.load)
	}
	t0 := pairs[0]
	fmt.Fprintf(b, "\ncnnbench: %s, convolution %s, kernels %s. PyTorch %s from Debian (oneDNN), the network from "+
		"scripts/torchref (`torchref.build(\"lenet5\")`). Commands: `%s -epochs 1 -threads T`; "+
		"`/usr/bin/python3 scripts/train_lenet_torch.py -threads T -epochs 1`.\n\n",
		t0.ours.start.Go, t0.ours.start.Algo, t0.ours.start.Kernels, t0.torch.Torch,
		command(t0.ours.start.Command, "-threads", "-epochs"))
	return nil
}

type torchRun struct {
	Torch   string  `json:"torch"`
	Threads int     `json:"threads"`
	Batch   int     `json:"batch"`
	Images  int     `json:"images"`
	TrainS  float64 `json:"train_s"`
	IPS     float64 `json:"images_per_s"`
	Epochs  []struct {
		TestTop1 float64 `json:"test_top1"`
	} `json:"epochs"`
}

var loadRe = regexp.MustCompile(`load average: ([0-9.]+)`)

// loadAverages picks the 1-minute load averages out of uptime lines.
func loadAverages(s string) string {
	var out []string
	for _, m := range loadRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, " → ")
}

func lastLine(data []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	return lines[len(lines)-1]
}

func mean(xs []float64) float64 { m, _ := meanStd(xs); return m }

func dur(s float64) string {
	if math.IsNaN(s) {
		return "-"
	}
	if s < 60 {
		return fmt.Sprintf("%.0f s", s)
	}
	return fmt.Sprintf("%dm%02.0fs", int(s)/60, math.Mod(s, 60))
}

func src(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func seedList(rs []*run) string {
	var s []string
	for _, r := range rs {
		s = append(s, strconv.FormatUint(r.start.Seed, 10))
	}
	return strings.Join(s, ", ")
}

func logList(rs []*run) string {
	var s []string
	for _, r := range rs {
		s = append(s, "`"+filepath.Base(r.file)+"`")
	}
	return strings.Join(s, ", ")
}

// command shows a logged command line with the binary's base name and
// without the per-seed flags (-seed, -out, -resume) and the flags named in
// drop (each with its value).
func command(args []string, drop ...string) string {
	if len(args) == 0 {
		return ""
	}
	skip := map[string]bool{"-seed": true, "-out": true}
	for _, d := range drop {
		skip[d] = true
	}
	out := []string{"cnnbench"}
	for i := 1; i < len(args); i++ {
		switch {
		case skip[args[i]]:
			i++
			continue
		case args[i] == "-resume":
			continue
		}
		out = append(out, args[i])
	}
	return strings.Join(out, " ")
}

func threadsWord(n int) string {
	if n == 1 {
		return "1 thread"
	}
	return strconv.Itoa(n) + " threads"
}

func compactRecipe(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	delete(m, "source")
	b, _ := json.Marshal(m)
	return string(b)
}
