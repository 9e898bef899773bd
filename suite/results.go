package suite

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// Schema names the layout of results.json; a folder written under another
// schema is refused rather than mixed.
const Schema = "cnnbench.results/1"

// File names inside a run folder.
const (
	CSVName  = "results.csv"
	JSONName = "results.json"
)

// Row statuses.
const (
	StatusOK = "ok"
	// StatusSkipped: the case cannot run (the algorithm supports none of the
	// model's convolutions, the model does not accept the input size). A
	// resumed run does not retry it.
	StatusSkipped = "skipped"
	// StatusDropped: not run for lack of time (the total budget was spent,
	// or one pass would exceed -max-pass). A resumed run retries it.
	StatusDropped = "dropped"
	// StatusError: the case failed; a resumed run retries it.
	StatusError = "error"
)

// Row is one case's result: one line of results.csv and one object of
// results.json. The field order is the column order: DESIGN.md §6's columns
// first (timm's names, then ours), then extras. Pointer fields are optional:
// nil is an empty CSV cell and a JSON null, never a made-up value.
//
// Units: infer_img_size is the input height in pixels; infer_samples_per_sec
// images/s; infer_step_time and *_ms milliseconds per batch (median);
// param_count millions of trainable parameters; infer_gmacs 1e9 MACs and
// infer_macts 1e6 conv+linear output elements, both at batch 1 (timm);
// gflops_per_s = 2·MACs·batch / median (nominal direct-convolution work, so
// Winograd can exceed the peak); peak_fraction = gflops_per_s over the
// measured peak of this kernel set at this thread count (peak_gflops,
// peak_source); params and macs are exact integers at batch 1.
type Row struct {
	Model              string   `json:"model"`
	InferImgSize       int      `json:"infer_img_size"`
	InferSamplesPerSec *float64 `json:"infer_samples_per_sec"`
	InferStepTime      *float64 `json:"infer_step_time"`
	InferBatchSize     int      `json:"infer_batch_size"`
	ParamCount         *float64 `json:"param_count"`
	InferGMACs         *float64 `json:"infer_gmacs"`
	InferMActs         *float64 `json:"infer_macts"`
	Algo               string   `json:"algo"`
	Kernels            string   `json:"kernels"`
	Threads            int      `json:"threads"`
	MedianMs           *float64 `json:"median_ms"`
	P10Ms              *float64 `json:"p10_ms"`
	P90Ms              *float64 `json:"p90_ms"`
	Runs               *int     `json:"runs"`
	GFLOPSPerS         *float64 `json:"gflops_per_s"`
	PeakFraction       *float64 `json:"peak_fraction"`
	Top1               *float64 `json:"top1"`
	Top5               *float64 `json:"top5"`
	Dataset            string   `json:"dataset"`

	Status        string   `json:"status"`
	Reason        string   `json:"reason"`
	Family        string   `json:"family"`
	Variant       string   `json:"variant"`
	Input         string   `json:"input"`
	Params        *int64   `json:"params"`
	MACs          *int64   `json:"macs"`
	Activations   *int64   `json:"activations"`
	Warmup        *int     `json:"warmup"`
	Outliers      *int     `json:"outliers"`
	MeanMs        *float64 `json:"mean_ms"`
	MinMs         *float64 `json:"min_ms"`
	MaxMs         *float64 `json:"max_ms"`
	BudgetLimited bool     `json:"budget_limited"`
	FirstMs       *float64 `json:"first_ms"`
	BuildMs       *float64 `json:"build_ms"`
	SetupMs       *float64 `json:"setup_ms"`
	PeakMemBytes  *int64   `json:"peak_mem_bytes"`
	AlgosUsed     string   `json:"algos_used"`
	Fused         string   `json:"fused"`
	PeakGFLOPS    *float64 `json:"peak_gflops"`
	PeakSource    string   `json:"peak_source"`
	CaseSeconds   *float64 `json:"case_s"`
	Finished      string   `json:"finished"`
	Key           string   `json:"key"`
}

// Columns is the CSV header, in Row's field order.
var Columns = func() []string {
	t := reflect.TypeFor[Row]()
	out := make([]string, t.NumField())
	for i := range out {
		out[i] = strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
	}
	return out
}()

// DesignColumns are the columns DESIGN.md §6 fixes, in order; Columns
// starts with them.
var DesignColumns = []string{"model", "infer_img_size", "infer_samples_per_sec", "infer_step_time",
	"infer_batch_size", "param_count", "infer_gmacs", "infer_macts",
	"algo", "kernels", "threads", "median_ms", "p10_ms", "p90_ms", "runs", "gflops_per_s",
	"peak_fraction", "top1", "top5", "dataset"}

// Case returns the case a row measured.
func (r Row) Case() Case {
	return Case{Model: r.Model, Input: r.Input, Batch: r.InferBatchSize, Threads: r.Threads, Algo: r.Algo, Kernels: r.Kernels}
}

// Done reports whether a resumed run may skip the row's case (ok or skipped).
func (r Row) Done() bool { return r.Status == StatusOK || r.Status == StatusSkipped }

// cells renders the row for CSV: integers exact, floats in the shortest
// form that reads back to the same value, nil as empty.
func (r Row) cells() []string {
	v := reflect.ValueOf(r)
	out := make([]string, v.NumField())
	for i := range out {
		out[i] = cell(v.Field(i))
	}
	return out
}

func cell(f reflect.Value) string {
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return ""
		}
		f = f.Elem()
	}
	switch f.Kind() {
	case reflect.String:
		return f.String()
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(f.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(f.Uint(), 10)
	case reflect.Float64:
		x := f.Float()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case reflect.Bool:
		return strconv.FormatBool(f.Bool())
	}
	panic("suite: unsupported column kind " + f.Kind().String())
}

// CSV renders rows as results.csv.
func CSV(rows []Row) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(Columns)
	for _, r := range rows {
		w.Write(r.cells())
	}
	w.Flush()
	return b.Bytes()
}

// File is results.json.
type File struct {
	Schema  string   `json:"schema"`
	Columns []string `json:"columns"`
	Machine Machine  `json:"machine"`
	Rows    []Row    `json:"rows"`
}

// JSON renders the file, indented.
func (f *File) JSON() ([]byte, error) {
	f.Schema, f.Columns = Schema, Columns
	if f.Rows == nil {
		f.Rows = []Row{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save writes results.json and results.csv into dir, each atomically.
func (f *File) Save(dir string) error {
	j, err := f.JSON()
	if err != nil {
		return err
	}
	if err := WriteAtomic(filepath.Join(dir, JSONName), j); err != nil {
		return err
	}
	return WriteAtomic(filepath.Join(dir, CSVName), CSV(f.Rows))
}

// WriteAtomic writes data to path through a temporary file in the same
// folder and a rename, so readers (and a killed run) see either the old
// file or the new one, never a partial one.
func WriteAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ErrNoRun: the folder holds no results.json yet.
var ErrNoRun = errors.New("no results yet")

// Load reads dir/results.json. A missing file is ErrNoRun; a file of
// another schema or a malformed one is an error naming the file.
func Load(dir string) (*File, error) { return LoadFile(filepath.Join(dir, JSONName)) }

// LoadFile reads a results.json file (see Load).
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoRun
	}
	if err != nil {
		return nil, err
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a cnnbench results file: %v", path, err)
	}
	if head.Schema != Schema {
		if head.Schema == "" {
			return nil, fmt.Errorf("%s: not a cnnbench results file (no schema field)", path)
		}
		return nil, fmt.Errorf("%s: schema %q, this cnnbench reads %q", path, head.Schema, Schema)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, r := range f.Rows {
		if r.Model == "" || r.Status == "" {
			return nil, fmt.Errorf("%s: row %d lacks model or status", path, i+1)
		}
		if r.Key == "" {
			f.Rows[i].Key = r.Case().Key()
		}
	}
	return &f, nil
}

// helpers for optional cells, rounding to what the clock can resolve.
func fptr(v float64, decimals int) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	p := math.Pow(10, float64(decimals))
	r := math.Round(v*p) / p
	return &r
}

// sig rounds to n significant digits.
func sig(v float64, n int) *float64 {
	if v == 0 {
		z := 0.0
		return &z
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	d := n - int(math.Ceil(math.Log10(math.Abs(v))))
	return fptr(v, d)
}

func iptr[T any](v T) *T { return &v }
