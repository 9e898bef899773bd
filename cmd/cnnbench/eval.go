package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/datasets"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/tensorio"
	"github.com/cnnbench/cnnbench/suite"
)

const evalSynopsis = "-model M -weights F.safetensors -dataset D [-split test] [-data DIR] [-format table|json] [-out DIR]\n\n" +
	"Top-1 and top-5 accuracy (percent) of weights on a data set split. The weights are a state dict in\n" +
	"safetensors (torchvision keys), e.g. written by 'cnnbench train' (its .ckpt file works too). The input\n" +
	"normalisation is the one the weights were trained with (from their metadata), else the model/data-set\n" +
	"recipe's. With -out DIR the result is added as a row to DIR/results.csv and DIR/results.json."

// evalResult is what eval prints with -format json.
type evalResult struct {
	Model         string                `json:"model"`
	Weights       string                `json:"weights"`
	WeightsSHA256 string                `json:"weights_sha256"`
	Dataset       string                `json:"dataset"`
	Split         string                `json:"split"`
	Images        int                   `json:"images"`
	Top1          float64               `json:"top1"`
	Top5          float64               `json:"top5"`
	Error         float64               `json:"error"`
	Loss          float64               `json:"loss"`
	Seconds       float64               `json:"seconds"`
	ImagesPerSec  float64               `json:"images_per_s"`
	Threads       int                   `json:"threads"`
	Algo          string                `json:"algo"`
	Kernels       string                `json:"kernels"`
	Files         []datasets.FileRecord `json:"files,omitempty"`
	TrainedEpochs int                   `json:"trained_epochs,omitempty"`
}

func runEval(args []string, stdout io.Writer) error {
	fs := newFlags("eval", evalSynopsis, stdout)
	model := fs.String("model", "", "model name (see 'cnnbench models')")
	weights := fs.String("weights", "", "weights file (safetensors)")
	dataset := fs.String("dataset", "", "data set: mnist, fashion-mnist, cifar10, folder or synthetic")
	split := fs.String("split", "test", "split: test or train (folder: val or train)")
	dataDir := fs.String("data", "", "folder of the data set files (default: where 'make data' puts MNIST and Fashion-MNIST; required for cifar10 and folder)")
	normFlag := fs.String("norm", "", "input normalisation: "+strings.Join(normNames(), ", ")+" (default: the weights' metadata, else the recipe's)")
	batch := fs.Int("batch", 500, "images per forward pass")
	limit := fs.Int("subset", 0, "evaluate on the first N images only (0: all)")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	algo := fs.String("algo", ops.DefaultAlgo, "convolution algorithm: "+strings.Join(conv.Names(), ", "))
	kernelsFlag := fs.String("kernels", "", "kernel set (generic, avx2, avx512, auto); default $CNNBENCH_KERNELS or auto")
	format := fs.String("format", "table", "output: table, csv or json")
	out := fs.String("out", "", "also add the result as a row to DIR/results.{csv,json}")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	switch {
	case *model == "":
		return usageError{fmt.Errorf("-model is required (see 'cnnbench models')")}
	case *weights == "":
		return usageError{fmt.Errorf("-weights F.safetensors is required")}
	case *dataset == "":
		return usageError{fmt.Errorf("-dataset is required (mnist, fashion-mnist, cifar10, folder, synthetic)")}
	case *batch < 1 || *limit < 0 || *threads < 0:
		return usageError{fmt.Errorf("-batch wants ≥ 1, -subset and -threads ≥ 0")}
	}
	if _, err := conv.Lookup(*algo); err != nil {
		return usageError{err}
	}
	if *normFlag != "" {
		if _, ok := norms[*normFlag]; !ok {
			return usageError{fmt.Errorf("-norm %q: want one of %s", *normFlag, strings.Join(normNames(), ", "))}
		}
	}
	spec, err := architectures.Lookup(*model)
	if err != nil {
		return err
	}
	dsName, err := canonicalDataset(*dataset)
	if err != nil {
		return err
	}
	if err := checkData(dsName, *dataDir, spec); err != nil {
		return err
	}
	if err := selectKernels(*kernelsFlag); err != nil {
		return err
	}
	kset, err := kernels.Current()
	if err != nil {
		return err
	}

	state, info, sum, err := readWeights(*weights)
	if err != nil {
		return err
	}
	if info != nil && info.Model != "" && info.Model != spec.Name {
		return fmt.Errorf("%s: weights of model %s (trained by cnnbench train), not %s", *weights, info.Model, spec.Name)
	}
	rc := defaultRecipe(spec.Name, dsName)
	if info != nil && info.Recipe.Norm != "" {
		rc = info.Recipe
	}
	if *normFlag != "" {
		rc.Norm = *normFlag
	}
	splitName := *split
	if dsName != "folder" && splitName == "val" {
		splitName = "test"
	}
	data, err := openData(dsName, splitName, *dataDir, spec, rc.Norm, *limit)
	if err != nil {
		return err
	}
	g, err := architectures.Build(spec.Name, architectures.Options{Input: data.input, Classes: data.ds.Classes()})
	if err != nil {
		return err
	}
	if err := g.Load(state); err != nil {
		return fmt.Errorf("%s: not weights for %s with %d classes: %w", *weights, spec.Name, data.ds.Classes(), err)
	}
	loader, err := datasets.NewLoader(data.ds, datasets.LoaderOptions{BatchSize: *batch})
	if err != nil {
		return err
	}
	ctx := &ops.Context{Algo: *algo, Threads: effectiveThreads(*threads), Pool: new(tensor.Pool)}
	start := time.Now()
	st, err := evaluate(context.Background(), ctx, g, rc.objective(), loader)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	res := evalResult{Model: spec.Name, Weights: *weights, WeightsSHA256: sum, Dataset: dsName, Split: splitName,
		Images: st.N, Top1: st.Top1, Top5: st.Top5, Error: st.Error, Loss: st.Loss, Seconds: round3(secs),
		ImagesPerSec: float64(int64(float64(st.N) / secs)), Threads: ctx.Threads, Algo: *algo, Kernels: kset.Name,
		Files: data.files}
	if info != nil {
		res.TrainedEpochs = info.Epoch
	}
	if *out != "" {
		if err := writeEvalRow(*out, res, g.Totals(), data.input, *batch); err != nil {
			return err
		}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	default:
		t := table{header: []string{"model", "dataset", "images", "top1", "top5", "error", "loss", "img/s"}}
		t.add(res.Model, res.Dataset+"/"+res.Split, res.Images, fmt.Sprintf("%.2f%%", res.Top1), fmt.Sprintf("%.2f%%", res.Top5),
			fmt.Sprintf("%.2f%%", res.Error), fmt.Sprintf("%.4f", res.Loss), int64(res.ImagesPerSec))
		if *format == "csv" {
			t = table{header: []string{"model", "dataset", "split", "images", "top1", "top5", "error", "loss", "images_per_s", "weights"}}
			t.add(res.Model, res.Dataset, res.Split, res.Images, res.Top1, res.Top5, res.Error, res.Loss, res.ImagesPerSec, res.Weights)
		}
		return t.write(stdout, *format)
	}
}

// readWeights reads a state dict from a safetensors file: a weights file or
// a training checkpoint (whose optimizer tensors are dropped). It returns
// the run description when cnnbench train wrote the file, and the file's
// SHA-256.
func readWeights(path string) (map[string]*tensor.Tensor, *runInfo, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, "", fmt.Errorf("%s: no such file", path)
		}
		return nil, nil, "", err
	}
	named, meta, err := tensorio.DecodeSafetensors(data, path)
	if err != nil {
		return nil, nil, "", err
	}
	h := sha256.Sum256(data)
	state := make(map[string]*tensor.Tensor, len(named))
	ckpt := meta["format"] == checkpointFormat
	for _, n := range named {
		if ckpt && strings.HasPrefix(n.Name, optimizerPrefix) {
			continue
		}
		state[n.Name] = n.T
	}
	var info *runInfo
	if desc, ok := meta["cnnbench"]; ok && (ckpt || meta["format"] == weightsFormat) {
		info = new(runInfo)
		if err := json.Unmarshal([]byte(desc), info); err != nil {
			return nil, nil, "", fmt.Errorf("%s: bad run description in the metadata: %v", path, err)
		}
	}
	return state, info, hex.EncodeToString(h[:]), nil
}

// writeEvalRow adds (or replaces) the result's row in dir/results.{csv,json}.
func writeEvalRow(dir string, res evalResult, tot graph.Totals, input tensor.Shape, batch int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := suite.Load(dir)
	switch {
	case errors.Is(err, suite.ErrNoRun):
		f = &suite.File{Machine: suite.DescribeMachine()}
		f.Machine.Started = now()
		f.Machine.Sessions = 1
	case err != nil:
		return err
	}
	f.Machine.Updated = now()
	f.Machine.Command = os.Args
	if !contains(f.Machine.Kernels.Used, res.Kernels) {
		f.Machine.Kernels.Used = append(f.Machine.Kernels.Used, res.Kernels)
	}
	key := fmt.Sprintf("model=%s/input=%s/dataset=%s/split=%s/weights=%s", res.Model, input.Dims(), res.Dataset, res.Split, res.WeightsSHA256[:12])
	var files []string
	for _, r := range res.Files {
		files = append(files, fmt.Sprintf("%s sha256 %s", r.Path, r.SHA256))
	}
	note := fmt.Sprintf("%s: weights %s (sha256 %s) on %s/%s", key, res.Weights, res.WeightsSHA256, res.Dataset, res.Split)
	if len(files) > 0 {
		note += ": " + strings.Join(files, "; ")
	}
	if !contains(f.Machine.Notes, note) {
		f.Machine.Notes = append(f.Machine.Notes, note)
	}
	row := evalRow(res, tot, input, batch)
	row.Key = key
	replaced := false
	for i := range f.Rows {
		if f.Rows[i].Key == key {
			f.Rows[i], replaced = row, true
		}
	}
	if !replaced {
		f.Rows = append(f.Rows, row)
	}
	return f.Save(dir)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// evalRow is the suite row of an evaluation: the case's accounting, the
// accuracy and the data set; the latency columns stay empty (eval is not
// timed by the benchmark protocol).
func evalRow(res evalResult, tot graph.Totals, input tensor.Shape, batch int) suite.Row {
	top1, top5 := res.Top1, res.Top5
	secs := res.Seconds
	row := suite.Row{Model: res.Model, InferImgSize: input[1], InferBatchSize: batch, Algo: res.Algo,
		Kernels: res.Kernels, Threads: res.Threads, Top1: &top1, Top5: &top5, Dataset: res.Dataset + "/" + res.Split,
		Status: suite.StatusOK, Input: input.Dims(), CaseSeconds: &secs, Finished: now()}
	if spec, err := architectures.Lookup(res.Model); err == nil {
		row.Family, row.Variant = spec.Family, spec.Name
		if spec.AliasOf != "" {
			row.Variant = spec.AliasOf
		}
	}
	params, macs, acts := tot.Params, tot.MACs, tot.Activations
	pc, gm, ma := float64(params)/1e6, float64(macs)/1e9, float64(acts)/1e6
	row.Params, row.MACs, row.Activations = &params, &macs, &acts
	row.ParamCount, row.InferGMACs, row.InferMActs = &pc, &gm, &ma
	return row
}
