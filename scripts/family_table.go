//go:build ignore

// family_table turns the runs of the family comparison on Fashion-MNIST
// (issue 5; make accuracy's family stage, scripts/accuracy.sh) into
// <name>.csv, <name>.md and the figure <name>.png/.svg: for every model of
// architectures.FashionMNISTComparison that has a run, its family, params,
// MACs, test top-1 and error on the full test set, median latency at batch 1,
// training wall time and images/s, beside the Fashion-MNIST README's
// submitted benchmark for the same family. Run by scripts/accuracy.sh:
//
//	go run scripts/family_table.go -runs DIR -out results/accuracy [-name fashion_mnist_family]
//	    [-latency DIR] [-load "uptime output"] [-wall SECONDS] [-workers N]
//
// DIR holds, per model M, M.jsonl (the cnnbench train log) and M.eval.json
// (cnnbench eval -format json on the test set); -latency is a cnnbench bench
// run folder (results.csv) of the same models at batch 1.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/plots"
	"github.com/cnnbench/cnnbench/report"
)

// anchor is a submitted result of the Fashion-MNIST README's benchmark table
// (zalandoresearch/fashion-mnist README.md, "Benchmark": "we haven't yet
// tested these results"), quoted for the family it stands beside.
type anchor struct {
	top1                float64
	what, preprocessing string
}

var readmeAnchors = map[string]anchor{
	"LeNet-5":        {87.6, "2 Conv Layers with max pooling (Keras)", "none"},
	"AlexNet":        {89.9, "AlexNet with Triplet loss", "none"},
	"VGG":            {93.5, "VGG16 26M parameters", "none"},
	"ResNet-CIFAR":   {94.9, "ResNet18", "normalization, flips, translation, rotation"},
	"DenseNet-CIFAR": {95.4, "DenseNet-BC 768K params", "mean/std, random crops and flips"},
	"MobileNet v1":   {95.0, "MobileNet", "horizontal flips"},
}

// fileRecord is a data file and its hash, as train and eval log them.
type fileRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Known  string `json:"known"`
}

// trainLog is what the table needs of a cnnbench train log: the fields of
// its start (or resume) line, and sums over its epoch lines.
type trainLog struct {
	Model       string          `json:"model"`
	Seed        uint64          `json:"seed"`
	Threads     int             `json:"threads"`
	Algo        string          `json:"algo"`
	Kernels     string          `json:"kernels"`
	Recipe      json.RawMessage `json:"recipe"`
	TrainImages int             `json:"train_images"`
	TestImages  int             `json:"test_images"`
	TrainFiles  []fileRecord    `json:"train_files"`
	Command     []string        `json:"command"`
	CPU         string          `json:"cpu"`
	Go          string          `json:"go"`
	Commit      string          `json:"commit"`

	Epochs           int     `json:"-"` // finished epochs
	TrainS, ElapsedS float64 `json:"-"` // training seconds; wall seconds incl. per-epoch evaluation
	Images           float64 `json:"-"` // training images processed
	Done             string  `json:"-"` // time of the done event, "" if unfinished
}

func readTrainLog(path string) (*trainLog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l := &trainLog{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var ev struct {
			Event, Time string
			Epoch       int
			TrainS      float64 `json:"train_s"`
			IPS         float64 `json:"images_per_s"`
			ElapsedS    float64 `json:"elapsed_s"`
		}
		err := json.Unmarshal(sc.Bytes(), &ev)
		if err == nil && (ev.Event == "start" || ev.Event == "resume") {
			err = json.Unmarshal(sc.Bytes(), l)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		switch ev.Event {
		case "epoch":
			l.Epochs = max(l.Epochs, ev.Epoch)
			l.TrainS += ev.TrainS
			l.Images += ev.IPS * ev.TrainS
			l.ElapsedS = ev.ElapsedS
		case "done":
			l.Done = ev.Time
		}
	}
	if l.Model == "" || l.Epochs == 0 {
		return nil, fmt.Errorf("%s: no start event or no finished epoch", path)
	}
	return l, nil
}

// evalResult is cnnbench eval -format json.
type evalResult struct {
	Model         string       `json:"model"`
	WeightsSHA256 string       `json:"weights_sha256"`
	Dataset       string       `json:"dataset"`
	Split         string       `json:"split"`
	Images        int          `json:"images"`
	Top1          float64      `json:"top1"`
	Top5          float64      `json:"top5"`
	Error         float64      `json:"error"`
	Loss          float64      `json:"loss"`
	Files         []fileRecord `json:"files"`
}

// latency is one batch-1 row of a cnnbench bench run.
type latency struct{ median, p10, p90 float64 }

// readLatency returns the median/p10/p90 ms of every model measured at
// batch 1 on one thread in a bench run folder.
func readLatency(dir string) (map[string]latency, string, error) {
	out := map[string]latency{}
	fh, err := os.Open(filepath.Join(dir, "results.csv"))
	if err != nil {
		return nil, "", err
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, "", fmt.Errorf("%s/results.csv: %v", dir, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, need := range []string{"model", "median_ms", "p10_ms", "p90_ms", "infer_batch_size", "threads", "status", "algo", "kernels"} {
		if _, ok := col[need]; !ok {
			return nil, "", fmt.Errorf("%s/results.csv: no %s column", dir, need)
		}
	}
	how := ""
	for _, r := range recs[1:] {
		if r[col["status"]] != "ok" || r[col["infer_batch_size"]] != "1" || r[col["threads"]] != "1" {
			continue
		}
		num := func(c string) float64 { v, _ := strconv.ParseFloat(r[col[c]], 64); return v }
		out[r[col["model"]]] = latency{num("median_ms"), num("p10_ms"), num("p90_ms")}
		how = fmt.Sprintf("algorithm %s, kernels %s", r[col["algo"]], r[col["kernels"]])
	}
	return out, how, nil
}

// row is one model of the comparison.
type row struct {
	name, family string
	params, macs int64
	log          *trainLog
	eval         evalResult
	lat          latency
	note         string
}

func main() {
	runs := flag.String("runs", "", "folder of the runs: M.jsonl and M.eval.json per model M")
	out := flag.String("out", "", "folder for <name>.csv, <name>.md, <name>.png and <name>.svg")
	name := flag.String("name", "fashion_mnist_family", "base name of the outputs")
	latDir := flag.String("latency", "", "cnnbench bench run folder with the batch-1 latencies")
	load := flag.String("load", "", "machine load during the runs (uptime), for the notes")
	wall := flag.Float64("wall", 0, "wall time of the stage in seconds (0: not known)")
	workers := flag.Int("workers", 0, "trainings run at a time (for the notes)")
	flag.Parse()
	if *runs == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/family_table.go -runs DIR -out DIR [-name N] [-latency DIR] [-load S] [-wall S] [-workers N]")
		os.Exit(2)
	}
	if err := write(*runs, *out, *name, *latDir, *load, *wall, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "family_table:", err)
		os.Exit(1)
	}
}

func write(dir, out, name, latDir, load string, wall float64, workers int) error {
	var rows []row
	var missing []string
	for _, m := range architectures.FashionMNISTComparison() {
		l, err := readTrainLog(filepath.Join(dir, m.Name+".jsonl"))
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, m.Name)
			continue
		}
		if err != nil {
			return err
		}
		if l.Done == "" {
			return fmt.Errorf("%s: the run of %s did not finish", dir, m.Name)
		}
		data, err := os.ReadFile(filepath.Join(dir, m.Name+".eval.json"))
		if err != nil {
			return fmt.Errorf("%s was trained but not evaluated: %v", m.Name, err)
		}
		r := row{name: m.Name, family: m.Family, log: l}
		if err := json.Unmarshal(data, &r.eval); err != nil || r.eval.Images == 0 {
			return fmt.Errorf("%s.eval.json: not a cnnbench eval result (%v)", m.Name, err)
		}
		spec, err := architectures.Lookup(m.Name)
		if err != nil {
			return err
		}
		g, err := architectures.Build(m.Name, architectures.Options{})
		if err != nil {
			return err
		}
		t := g.Totals()
		r.params, r.macs, r.note = t.Params, t.MACs, spec.Note
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: no run of any comparison model (M.jsonl)", dir)
	}
	latHow := ""
	if latDir != "" {
		lat, how, err := readLatency(latDir)
		if err != nil {
			return err
		}
		latHow = how
		for i := range rows {
			rows[i].lat = lat[rows[i].name]
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(out, name+".csv"), rows); err != nil {
		return err
	}
	figNotes := []string{budgetLine(rows), "Latency: median of a batch-1 forward pass at 1 thread (cnnbench bench)."}
	var pts []plots.TrainedPoint
	for _, r := range rows {
		pts = append(pts, plots.TrainedPoint{Label: strings.TrimSuffix(r.name, "_fmnist"), Family: r.family,
			MMACs: float64(r.macs) / 1e6, ParamsM: float64(r.params) / 1e6, Top1: r.eval.Top1, LatencyMS: r.lat.median})
	}
	fig, err := plots.FamilyComparison("Fashion-MNIST, one training budget: test accuracy vs compute and vs measured latency",
		"Fashion-MNIST", pts, figNotes)
	if err != nil {
		return err
	}
	if _, err := fig.Save(filepath.Join(out, name)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, name+".md"), []byte(markdown(name, rows, missing, latHow, load, wall, workers)), 0o644)
}

func writeCSV(path string, rows []row) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"model", "family", "params", "macs", "test_top1", "test_top5", "test_error", "test_loss", "test_images",
		"latency_ms", "latency_p10_ms", "latency_p90_ms", "train_wall_s", "train_s", "images_per_s", "train_images", "epochs",
		"seed", "threads", "kernels", "algo", "recipe", "weights_sha256", "train_images_sha256", "train_labels_sha256",
		"test_images_sha256", "test_labels_sha256", "finished", "commit", "cpu", "go", "readme_anchor_top1", "readme_anchor"})
	for _, r := range rows {
		l := r.log
		a, ok := readmeAnchors[r.family]
		at, aw := "", ""
		if ok {
			at, aw = num(a.top1, 1), a.what+"; preprocessing: "+a.preprocessing
		}
		w.Write([]string{r.name, r.family, strconv.FormatInt(r.params, 10), strconv.FormatInt(r.macs, 10),
			num(r.eval.Top1, 2), num(r.eval.Top5, 2), num(r.eval.Error, 2), num(r.eval.Loss, 4), strconv.Itoa(r.eval.Images),
			opt(r.lat.median, 3), opt(r.lat.p10, 3), opt(r.lat.p90, 3), num(l.ElapsedS, 1), num(l.TrainS, 1), num(l.ips(), 0),
			strconv.Itoa(l.TrainImages), strconv.Itoa(l.Epochs), strconv.FormatUint(l.Seed, 10), strconv.Itoa(l.Threads),
			l.Kernels, l.Algo, string(l.Recipe), r.eval.WeightsSHA256, sum(l.TrainFiles, 0), sum(l.TrainFiles, 1),
			sum(r.eval.Files, 0), sum(r.eval.Files, 1), l.Done, l.Commit, l.CPU, l.Go, at, aw})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func (l *trainLog) ips() float64 {
	if l.TrainS == 0 {
		return math.NaN()
	}
	return l.Images / l.TrainS
}

func markdown(name string, rows []row, missing []string, latHow, load string, wall float64, workers int) string {
	var b strings.Builder
	r0 := rows[0]
	fmt.Fprintf(&b, "# Family comparison on Fashion-MNIST, trained by cnnbench under one budget\n\n")
	best := rows[0]
	for _, r := range rows {
		if r.eval.Top1 > best.eval.Top1 {
			best = r
		}
	}
	families := map[string]bool{}
	for _, r := range rows {
		families[r.family] = true
	}
	fmt.Fprintf(&b, "%d models of %d families, trained here under one fixed budget (%s) and evaluated on "+
		"the %s %s-image test set: best **%.2f%%** top-1 (%s, %s params, %s MACs). Seed %d; the numbers are from one run each.\n\n",
		len(rows), len(families), budgetLine(rows), r0.eval.Dataset, report.Commas(int64(r0.eval.Images)), best.eval.Top1, best.name,
		report.Commas(best.params), report.Commas(best.macs), r0.log.Seed)
	fmt.Fprintf(&b, "| model | family | params | MACs | test top-1 | test error | latency, batch 1 | train wall time | images/s (train) | Fashion-MNIST README, same family |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		lat := "-"
		if r.lat.median > 0 {
			lat = fmt.Sprintf("%s ms", num(r.lat.median, prec(r.lat.median)))
		}
		anc := "-"
		if a, ok := readmeAnchors[r.family]; ok {
			anc = fmt.Sprintf("%.1f%% (%s)", a.top1, a.what)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | **%.2f%%** | %.2f%% | %s | %s | %.0f | %s |\n", r.name, r.family, report.Commas(r.params),
			report.Commas(r.macs), r.eval.Top1, r.eval.Error, lat, dur(r.log.ElapsedS), r.log.ips(), anc)
	}
	fmt.Fprintf(&b, "\n![test accuracy vs MACs and vs latency](%s.png)\n\n", name)

	fmt.Fprintf(&b, "## What the numbers are\n\n")
	fmt.Fprintf(&b, "- **Budget** (the same for every model; `cnnbench train -print-recipe` shows it for any of them): %s. "+
		"Recipe: `%s`.\n", budgetLine(rows), compact(r0.log.Recipe))
	for _, r := range rows {
		if !bytes.Equal(compactBytes(r.log.Recipe), compactBytes(r0.log.Recipe)) || r.log.TrainImages != r0.log.TrainImages || r.log.Seed != r0.log.Seed {
			fmt.Fprintf(&b, "  - **%s ran under another budget**: %d training images, seed %d, recipe `%s`\n",
				r.name, r.log.TrainImages, r.log.Seed, compact(r.log.Recipe))
		}
	}
	fmt.Fprintf(&b, "- **Accuracy**: `cnnbench eval` of the trained weights on the %s %s split (%d images), top-1 in percent; "+
		"test error = 100 − top-1. During training only the first %d test images were evaluated, to follow progress.\n",
		r0.eval.Dataset, r0.eval.Split, r0.eval.Images, r0.log.TestImages)
	fmt.Fprintf(&b, "- **Params, MACs**: trainable parameters and conv + linear multiply-accumulates per image at the model's input "+
		"(1x28x28; lenet5 1x32x32, the images centred in its field), as `cnnbench models` counts them.\n")
	if latHow != "" {
		fmt.Fprintf(&b, "- **Latency**: median time of one forward pass at batch 1 on 1 thread (`cnnbench bench`, %s; "+
			"warm-up, then repeated passes), measured after the trainings.\n", latHow)
	} else {
		fmt.Fprintf(&b, "- **Latency**: not measured in this run.\n")
	}
	fmt.Fprintf(&b, "- **Training**: %s, convolution %s, kernels %s", threads(r0.log.Threads), r0.log.Algo, r0.log.Kernels)
	if workers > 1 {
		fmt.Fprintf(&b, ", %d trainings at a time on the machine's cores (each one slows the other a little)", workers)
	}
	fmt.Fprintf(&b, ". Wall time is training plus the per-epoch test evaluation; images/s counts training images over training time only.")
	var trainSum float64
	for _, r := range rows {
		trainSum += r.log.ElapsedS
	}
	fmt.Fprintf(&b, " Training wall times add up to %s", dur(trainSum))
	if wall > 0 {
		fmt.Fprintf(&b, "; the stage (training, evaluation, latency) took %s of wall time in its last session", dur(wall))
	}
	fmt.Fprintf(&b, ".\n")
	fmt.Fprintf(&b, "- **Anchor**: the last column quotes the submitted benchmarks of the Fashion-MNIST README "+
		"(zalandoresearch/fashion-mnist, \"Benchmark\"; its maintainers note they have not tested them) for a network of the same family, "+
		"trained for many epochs on all 60,000 images, mostly with augmentation. Small CNNs there reach 87.6-92.6%% "+
		"(2 Conv layers with max pooling 87.6%%, <100K parameters 92.5%%, 3 Conv+pooling and 2 FC+dropout 92.6%%), "+
		"ResNet18 94.9%%, WRN-28-10 95.9%%; crowd-sourced human performance is 83.5%%. The budget here (%s) lands below "+
		"those: it measures the families against each other, not their best.\n", budgetLine(rows))
	if len(missing) > 0 {
		fmt.Fprintf(&b, "- Not run here: %s (ACCURACY_FAMILY_MODELS).\n", strings.Join(missing, ", "))
	}
	fmt.Fprintf(&b, "\n## The models\n\nEach is its family's builder in `architectures/`, adapted to 1x28x28; `cnnbench models -family %s` "+
		"lists them, `cnnbench summary -model M` shows their layers.\n\n", architectures.FashionMNISTFamily)
	for _, r := range rows {
		fmt.Fprintf(&b, "- `%s` (%s): %s\n", r.name, r.family, r.note)
	}
	fmt.Fprintf(&b, "\n## Run\n\n")
	fmt.Fprintf(&b, "- Command per model M: `%s -model M -out M.safetensors`, then `cnnbench eval -model M -dataset %s -weights M.safetensors`\n",
		command(r0.log.Command), r0.eval.Dataset)
	fmt.Fprintf(&b, "- Data files and SHA-256:\n")
	for _, fr := range append(append([]fileRecord{}, r0.log.TrainFiles...), r0.eval.Files...) {
		fmt.Fprintf(&b, "  - `%s` %s (%s)\n", filepath.Base(fr.Path), fr.SHA256, fr.Known)
	}
	fmt.Fprintf(&b, "- Machine: %s, %s; commit %s\n", r0.log.CPU, r0.log.Go, r0.log.Commit)
	if load != "" {
		fmt.Fprintf(&b, "- Load at the end: %s (the machine is shared: times, images/s and latency vary with it; accuracy does not)\n",
			strings.TrimSpace(load))
	}
	fmt.Fprintf(&b, "- Per-model logs and weights: `%s/` (M.jsonl: the training log with the data set hashes; "+
		"M.eval.json: the evaluation; M.safetensors: the weights); `%s.csv` has every column above and more.\n", name, name)
	return b.String()
}

// budgetLine describes the shared budget from the first run.
func budgetLine(rows []row) string {
	l := rows[0].log
	var r struct {
		Epochs    int     `json:"epochs"`
		Batch     int     `json:"batch"`
		Optimizer string  `json:"optimizer"`
		LR        float64 `json:"lr"`
		WD        float64 `json:"weight_decay"`
		Schedule  string  `json:"schedule"`
		Augment   string  `json:"augment"`
		Smoothing float64 `json:"label_smoothing"`
	}
	json.Unmarshal(l.Recipe, &r)
	aug := "no augmentation"
	if r.Augment != "" && r.Augment != "none" {
		aug = "augmentation " + r.Augment
	}
	pass := "one pass"
	if r.Epochs != 1 {
		pass = fmt.Sprintf("%d passes", r.Epochs)
	}
	return fmt.Sprintf("%s over the first %s training images, batch %d, %s lr %g weight decay %g, %s schedule, %s",
		pass, report.Commas(int64(l.TrainImages)), r.Batch, r.Optimizer, r.LR, r.WD, r.Schedule, aug)
}

func num(v float64, p int) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', p, 64)
}

// opt is num for a measurement that may be missing (≤ 0).
func opt(v float64, p int) string {
	if v <= 0 {
		return ""
	}
	return num(v, p)
}

// prec is the number of decimals that shows a latency to 3 digits.
func prec(ms float64) int {
	switch {
	case ms < 1:
		return 3
	case ms < 10:
		return 2
	case ms < 100:
		return 1
	}
	return 0
}

func sum(fs []fileRecord, i int) string {
	if i < len(fs) {
		return fs[i].SHA256
	}
	return ""
}

func dur(s float64) string {
	if s < 60 {
		return fmt.Sprintf("%.0f s", s)
	}
	if s < 3600 {
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%dh%02dm", int(s)/3600, int(s)%3600/60)
}

func threads(n int) string {
	if n == 1 {
		return "1 thread"
	}
	return strconv.Itoa(n) + " threads"
}

// compactBytes is a recipe without its prose source, as JSON.
func compactBytes(raw json.RawMessage) []byte {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	delete(m, "source")
	b, _ := json.Marshal(m)
	return b
}

func compact(raw json.RawMessage) string { return string(compactBytes(raw)) }

// command shows a logged train command with the binary's base name, without
// -model, -out and -resume.
func command(args []string) string {
	if len(args) == 0 {
		return ""
	}
	out := []string{"cnnbench"}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-out", "-model":
			i++
			continue
		case "-resume":
			continue
		}
		out = append(out, args[i])
	}
	return strings.Join(out, " ")
}
