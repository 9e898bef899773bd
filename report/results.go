package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cnnbench/cnnbench/architectures"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Row is one result row, read by column name. A column that is absent and
// a cell that is empty (or "NaN", "-", "–", "n/a") are both missing.
type Row struct {
	cells map[string]string
	Line  int // line in the CSV file, for messages
}

// NewRow builds a row from column → value (for tests and callers that hold
// rows in memory).
func NewRow(cells map[string]string) Row { return Row{cells: cells} }

// Str is the trimmed cell, "" when missing.
func (r Row) Str(col string) string {
	v := strings.TrimSpace(r.cells[col])
	if isMissing(v) {
		return ""
	}
	return v
}

// Float is the cell as a number; ok is false when it is missing.
func (r Row) Float(col string) (v float64, ok bool) {
	s := r.Str(col)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// measured reports whether the row holds a measurement: its status (when
// the file has one) is ok and it has a median time.
func (r Row) measured() bool {
	if st := r.Str("status"); st != "" && st != "ok" {
		return false
	}
	ms, ok := r.Float("median_ms")
	return ok && ms > 0
}

// Int is the cell as an integer (a leading integer such as "224" in
// "224x224" counts); ok is false when it is missing.
func (r Row) Int(col string) (int, bool) {
	s := r.Str(col)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:end])
	return n, err == nil
}

func isMissing(v string) bool {
	switch strings.ToLower(v) {
	case "", "nan", "-", "–", "n/a", "na", "null", "none":
		return true
	}
	return false
}

// numericColumns are the columns of DESIGN.md §6 that must hold numbers
// when they are not empty; a malformed one is an error naming the cell.
var numericColumns = []string{
	"infer_img_size", "infer_samples_per_sec", "infer_step_time", "infer_batch_size", "param_count",
	"infer_gmacs", "infer_macts", "threads", "median_ms", "p10_ms", "p90_ms", "runs", "gflops_per_s",
	"peak_fraction", "top1", "top5",
}

// layerNumeric are the per-layer columns read as numbers.
var layerNumeric = []string{"median_ms", "p10_ms", "p90_ms", "gflops_per_s", "peak_fraction", "max_err", "threads",
	"macs", "flops", "bytes", "intensity", "arith_intensity", "batch"}

// Run is one results folder: its rows, its machine record and its
// per-layer algorithm rows when present.
type Run struct {
	Dir     string
	Name    string // short name for tables and legends
	CSV     string // path of results.csv
	Rows    []Row
	Columns []string
	Machine map[string]any // nil when the folder has no machine record
	// MachineFile is where Machine came from.
	MachineFile string
	Layers      []Row
	LayersFile  string
}

// layerFiles are the names looked for beside results.csv, in order.
var layerFiles = []string{"layers.csv", "results_layers.csv", "layers/results.csv", "layers/layers.csv"}

// Load reads a results folder (or a results CSV file directly): the CSV is
// required and must have a model column; results.json (or machine.json)
// and a per-layer file are read when present.
func Load(path string) (*Run, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("-in %s: %v", path, unwrapPath(err))
	}
	r := &Run{Dir: path, CSV: path}
	if st.IsDir() {
		r.CSV = filepath.Join(path, "results.csv")
		if _, err := os.Stat(r.CSV); err != nil {
			return nil, fmt.Errorf("-in %s: no results.csv in this folder (give a results folder written by 'cnnbench bench', or a CSV file)", path)
		}
	} else {
		r.Dir = filepath.Dir(path)
	}
	r.Name = filepath.Base(filepath.Clean(r.Dir))
	r.Rows, r.Columns, err = readCSV(r.CSV, []string{"model"}, numericColumns)
	if err != nil {
		return nil, err
	}
	canonicalModels(r.Rows)
	for _, name := range []string{"results.json", "machine.json"} {
		p := filepath.Join(r.Dir, name)
		m, err := readMachine(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m != nil {
			r.Machine, r.MachineFile = m, p
			break
		}
	}
	for _, name := range layerFiles {
		p := filepath.Join(r.Dir, name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		rows, cols, err := readCSV(p, nil, layerNumeric)
		if err != nil {
			return nil, err
		}
		if !has(cols, "layer") || !has(cols, "algo") || !(has(cols, "net") || has(cols, "model")) {
			return nil, fmt.Errorf("%s: per-layer results need the columns net (or model), layer and algo; have %s", p, strings.Join(cols, ","))
		}
		r.Layers, r.LayersFile = rows, p
		break
	}
	return r, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func has(cols []string, c string) bool {
	for _, x := range cols {
		if x == c {
			return true
		}
	}
	return false
}

// readCSV reads a header-first CSV into rows, checking required columns and
// that numeric columns hold numbers.
func readCSV(path string, required, numeric []string) ([]Row, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: empty file (want a CSV with a header line)", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a readable CSV: %v", path, err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = strings.TrimSpace(h)
	}
	for _, c := range required {
		if !has(cols, c) {
			return nil, nil, fmt.Errorf("%s: no %q column (have %s); is this a cnnbench results file?", path, c, abbreviate(cols))
		}
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: not a readable CSV: %v", path, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > len(cols) {
			return nil, nil, fmt.Errorf("%s line %d: %d fields for %d columns", path, line, len(rec), len(cols))
		}
		row := Row{cells: make(map[string]string, len(cols)), Line: line}
		for i, v := range rec {
			row.cells[cols[i]] = v
		}
		for _, c := range numeric {
			s := row.Str(c)
			if s == "" {
				continue
			}
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				if _, ok := row.Int(c); ok && c == "infer_img_size" {
					continue
				}
				return nil, nil, fmt.Errorf("%s line %d: column %s: %q is not a number", path, line, c, s)
			}
		}
		rows = append(rows, row)
	}
	return rows, cols, nil
}

func abbreviate(cols []string) string {
	if len(cols) > 8 {
		return strings.Join(cols[:8], ",") + ",…"
	}
	if len(cols) == 0 {
		return "none"
	}
	return strings.Join(cols, ",")
}

// readMachine reads the machine record from a results.json (the object
// under "machine", or the top-level object's scalar fields) or a
// machine.json. A file that does not parse is an error; a JSON array (rows
// only) gives nil.
func readMachine(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil
	}
	for _, k := range []string{"machine", "Machine", "machine_record"} {
		if m, ok := obj[k].(map[string]any); ok {
			return m, nil
		}
	}
	out := map[string]any{}
	for k, x := range obj {
		switch x.(type) {
		case string, json.Number, bool:
			out[k] = x
		case map[string]any:
			out[k] = x
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// machineNumber finds a number in the machine record whose key (at any
// depth, case-insensitive) contains every one of parts; it returns the
// key path for the message.
func machineNumber(m map[string]any, parts ...string) (float64, string, bool) {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		match := true
		for _, p := range parts {
			if !strings.Contains(lk, p) {
				match = false
			}
		}
		if match {
			if f, ok := toFloat(m[k]); ok && f > 0 {
				return f, k, true
			}
		}
	}
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok {
			if f, p, ok := machineNumber(sub, parts...); ok {
				return f, k + "." + p, true
			}
		}
	}
	return 0, "", false
}

func toFloat(x any) (float64, bool) {
	switch v := x.(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

// machineString finds a string field whose key contains every part.
func machineString(m map[string]any, parts ...string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		match := true
		for _, p := range parts {
			if !strings.Contains(lk, p) {
				match = false
			}
		}
		if s, ok := m[k].(string); ok && match && s != "" {
			return s
		}
	}
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok {
			if s := machineString(sub, parts...); s != "" {
				return s
			}
		}
	}
	return ""
}

// mpath follows keys through nested objects of the machine record.
func mpath(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}

func mstr(m map[string]any, keys ...string) string {
	switch v := mpath(m, keys...).(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		var parts []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ",")
	}
	return ""
}

// recordedPeak finds the run's measured FP32 peak for a kernel set and
// thread count: machine.peaks first, then a peak_gflops column of rows.
func recordedPeak(r *Run, rows []Row, kernels string, threads int) (float64, string, bool) {
	if r != nil && r.Machine != nil {
		if ps, ok := r.Machine["peaks"].([]any); ok {
			for _, p := range ps {
				obj, ok := p.(map[string]any)
				if !ok {
					continue
				}
				k, _ := obj["kernels"].(string)
				t, _ := toFloat(obj["threads"])
				g, ok := toFloat(obj["gflops_per_s"])
				if ok && g > 0 && int(t) == threads && (kernels == "" || k == kernels) {
					src, _ := obj["source"].(string)
					where := "machine record peaks (" + k + ", " + strconv.Itoa(threads) + " threads"
					if src != "" {
						where += "; " + src
					}
					return g, where + ")", true
				}
			}
		}
	}
	for _, row := range rows {
		t, ok := row.Int("threads")
		if !ok || t != threads || (kernels != "" && row.Str("kernels") != kernels) {
			continue
		}
		if g, ok := row.Float("peak_gflops"); ok && g > 0 {
			return g, "the peak_gflops column", true
		}
	}
	return 0, "", false
}

// canonicalModels rewrites aliases (bench records `mobilenet_v1`, the
// profile's name) to the variant they stand for, so that tables keyed by
// canonical names (mobilenet_v1_1.0_224) find the measurement.
func canonicalModels(rows []Row) {
	for _, r := range rows {
		if spec, err := architectures.Lookup(r.Str("model")); err == nil && spec.AliasOf != "" {
			r.cells["model"] = spec.AliasOf
		}
	}
}
