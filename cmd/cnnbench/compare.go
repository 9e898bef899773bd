package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cnnbench/cnnbench/suite"
)

const compareSynopsis = `[-ignore-impl] [-format table|csv|json] A B [C ...]

Matches the cases of result sets B, C, ... against the baseline A and prints, per case, both
medians, the ratio other/baseline (< 1: the other is faster) and its spread (other p10 / baseline
p90 .. other p90 / baseline p10), then the geometric mean of the ratios and the cases missing on
either side. Each argument is a run folder (its results.csv), a results.csv or results.json
file, or a CSV in the same columns from another framework (model, infer_img_size,
infer_batch_size, threads, algo, kernels, median_ms or infer_step_time, optional p10_ms/p90_ms);
write label=PATH to name a column (e.g. zen4=results/a icx=results/b).
Cases match on model, image size, batch, threads, algo and kernels; -ignore-impl drops algo and
kernels from the match (cross-framework comparisons) and takes each side's fastest row per case.`

// cmpRow is one case of one result set, as compare sees it.
type cmpRow struct {
	model, img, batch, threads, algo, kernels string
	median, p10, p90                          float64 // NaN when missing
	status, reason                            string
	line                                      int
}

func (r cmpRow) ok() bool { return r.status == "" || r.status == suite.StatusOK }

func (r cmpRow) key(ignoreImpl bool) string {
	k := fmt.Sprintf("model=%s/img=%s/batch=%s/threads=%s", r.model, r.img, r.batch, r.threads)
	if !ignoreImpl {
		k += fmt.Sprintf("/algo=%s/kernels=%s", r.algo, r.kernels)
	}
	return k
}

func (r cmpRow) impl() string { return r.algo + "/" + r.kernels }

// resultSet is one argument of compare.
type resultSet struct {
	label, path string
	rows        []cmpRow
}

func runCompare(args []string, stdout io.Writer) error {
	fs := newFlags("compare", compareSynopsis, stdout)
	ignoreImpl := fs.Bool("ignore-impl", false, "match cases ignoring algo and kernels (cross-framework comparisons)")
	format := fs.String("format", "table", "output format: table, csv or json")
	// Flags may come before, between or after the files.
	var paths []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
				return err
			}
			return usageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if len(paths) < 2 {
		return usageError{fmt.Errorf("want at least two result sets (run folders or results files), got %d", len(paths))}
	}
	var sets []resultSet
	labels := map[string]int{}
	for _, p := range paths {
		s, err := loadResultSet(p, *ignoreImpl)
		if err != nil {
			return err
		}
		if n := labels[s.label]; n > 0 {
			labels[s.label]++
			s.label = fmt.Sprintf("%s#%d", s.label, n+1)
		} else {
			labels[s.label] = 1
		}
		sets = append(sets, s)
	}
	res, err := compareSets(sets, *ignoreImpl)
	if err != nil {
		return err
	}
	return res.write(stdout, benchStderr, *format, *ignoreImpl)
}

// loadResultSet reads one argument: [label=]folder|file.csv|file.json.
func loadResultSet(arg string, ignoreImpl bool) (resultSet, error) {
	label, path := "", arg
	if _, err := os.Stat(arg); err != nil {
		if i := strings.Index(arg, "="); i > 0 {
			label, path = arg[:i], arg[i+1:]
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return resultSet{}, fmt.Errorf("%s: %v", path, cause(err))
	}
	file := path
	if st.IsDir() {
		file = filepath.Join(path, suite.CSVName)
		if _, err := os.Stat(file); err != nil {
			return resultSet{}, fmt.Errorf("%s: no %s in this folder (not a cnnbench run folder)", path, suite.CSVName)
		}
	}
	if label == "" {
		base := path
		if st.IsDir() {
			if r, err := filepath.EvalSymlinks(path); err == nil && filepath.Base(path) == "latest" {
				base = r
			}
		} else if n := filepath.Base(path); n == suite.CSVName || n == suite.JSONName {
			base = filepath.Dir(path)
		} else {
			base = strings.TrimSuffix(path, filepath.Ext(path))
		}
		label = filepath.Base(base)
	}
	var rows []cmpRow
	if strings.HasSuffix(file, ".json") {
		f, err := suite.LoadFile(file)
		if err != nil {
			return resultSet{}, err
		}
		for i, r := range f.Rows {
			rows = append(rows, cmpRow{model: r.Model, img: strconv.Itoa(r.InferImgSize),
				batch: strconv.Itoa(r.InferBatchSize), threads: strconv.Itoa(r.Threads), algo: r.Algo,
				kernels: r.Kernels, median: val(r.MedianMs), p10: val(r.P10Ms), p90: val(r.P90Ms),
				status: r.Status, reason: r.Reason, line: i + 1})
		}
	} else {
		rows, err = readResultsCSV(file)
		if err != nil {
			return resultSet{}, err
		}
	}
	if len(rows) == 0 {
		return resultSet{}, fmt.Errorf("%s: no result rows", file)
	}
	return resultSet{label: label, path: file, rows: rows}, nil
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// readResultsCSV reads a results.csv (ours or a peer's in the same columns).
func readResultsCSV(path string) ([]cmpRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, cause(err))
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: malformed CSV: %v", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	_, hasMedian := col["median_ms"]
	_, hasStep := col["infer_step_time"]
	if _, ok := col["model"]; !ok || (!hasMedian && !hasStep) {
		return nil, fmt.Errorf("%s: not a results file: want columns model and median_ms (or infer_step_time), have %s",
			path, strings.Join(recs[0], ","))
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	num := func(rec []string, name string, line int) (float64, error) {
		s := get(rec, name)
		if s == "" {
			return math.NaN(), nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%s:%d: %s %q is not a non-negative number", path, line, name, s)
		}
		return v, nil
	}
	var rows []cmpRow
	for i, rec := range recs[1:] {
		line := i + 2
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		r := cmpRow{model: get(rec, "model"), img: get(rec, "infer_img_size"), batch: get(rec, "infer_batch_size"),
			threads: get(rec, "threads"), algo: get(rec, "algo"), kernels: get(rec, "kernels"),
			status: get(rec, "status"), reason: get(rec, "reason"), line: line}
		if r.model == "" {
			return nil, fmt.Errorf("%s:%d: empty model", path, line)
		}
		if r.img == "" {
			if s, err := parseImg(get(rec, "input")); err == nil {
				r.img = s
			}
		}
		if r.batch == "" {
			r.batch = "1"
		}
		var err error
		if r.median, err = num(rec, "median_ms", line); err != nil {
			return nil, err
		}
		if math.IsNaN(r.median) {
			if r.median, err = num(rec, "infer_step_time", line); err != nil {
				return nil, err
			}
		}
		if r.p10, err = num(rec, "p10_ms", line); err != nil {
			return nil, err
		}
		if r.p90, err = num(rec, "p90_ms", line); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// parseImg returns H of "CxHxW".
func parseImg(s string) (string, error) {
	p := strings.Split(s, "x")
	if len(p) != 3 {
		return "", fmt.Errorf("bad input %q", s)
	}
	return p[1], nil
}

// comparison is compare's result.
type comparison struct {
	base  resultSet
	pairs []cmpPair
	// per other set: geometric mean of the ratios, matched count, missing
	summaries []cmpSummary
}

type cmpPair struct {
	other          string
	base, againstR cmpRow
	ratio, lo, hi  float64
}

type cmpSummary struct {
	Other       string    `json:"other"`
	Matched     int       `json:"matched"`
	GeoMean     float64   `json:"geomean_ratio"`
	MissingIn   []cmpMiss `json:"missing_in_other"`
	MissingBase []cmpMiss `json:"missing_in_baseline"`
	baseLabel   string
}

type cmpMiss struct {
	Case   string `json:"case"`
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// index keys a set's usable rows; with ignoreImpl the fastest row of each
// case wins, otherwise a repeated case is an error.
func index(s resultSet, ignoreImpl bool) (map[string]cmpRow, map[string]cmpRow, error) {
	ok, bad := map[string]cmpRow{}, map[string]cmpRow{}
	for _, r := range s.rows {
		k := r.key(ignoreImpl)
		if !r.ok() || math.IsNaN(r.median) || r.median <= 0 {
			if _, done := ok[k]; !done {
				bad[k] = r
			}
			continue
		}
		if prev, dup := ok[k]; dup {
			if !ignoreImpl {
				return nil, nil, fmt.Errorf("%s: case %s appears twice (lines %d and %d)", s.path, k, prev.line, r.line)
			}
			if prev.median <= r.median {
				continue
			}
		}
		ok[k] = r
		delete(bad, k)
	}
	return ok, bad, nil
}

func compareSets(sets []resultSet, ignoreImpl bool) (*comparison, error) {
	base, baseBad, err := index(sets[0], ignoreImpl)
	if err != nil {
		return nil, err
	}
	c := &comparison{base: sets[0]}
	for _, s := range sets[1:] {
		other, otherBad, err := index(s, ignoreImpl)
		if err != nil {
			return nil, err
		}
		sum := cmpSummary{Other: s.label, baseLabel: sets[0].label}
		var logSum float64
		for _, k := range sortedKeys(base) {
			a := base[k]
			b, ok := other[k]
			if !ok {
				m := cmpMiss{Case: k}
				if r, ok := otherBad[k]; ok {
					m.Status, m.Reason = r.status, r.reason
				}
				sum.MissingIn = append(sum.MissingIn, m)
				continue
			}
			p := cmpPair{other: s.label, base: a, againstR: b, ratio: b.median / a.median,
				lo: b.p10 / a.p90, hi: b.p90 / a.p10}
			c.pairs = append(c.pairs, p)
			sum.Matched++
			logSum += math.Log(p.ratio)
		}
		for _, k := range sortedKeys(other) {
			if _, ok := base[k]; !ok {
				m := cmpMiss{Case: k}
				if r, ok := baseBad[k]; ok {
					m.Status, m.Reason = r.status, r.reason
				}
				sum.MissingBase = append(sum.MissingBase, m)
			}
		}
		if sum.Matched == 0 {
			how := "model, image size, batch, threads, algo and kernels"
			if ignoreImpl {
				how = "model, image size, batch and threads"
			}
			hint := ""
			if !ignoreImpl {
				hint = "; -ignore-impl matches across algorithms and kernel sets"
			}
			return nil, fmt.Errorf("no case of %s matches %s (matching on %s%s)", s.label, sets[0].label, how, hint)
		}
		sum.GeoMean = math.Exp(logSum / float64(sum.Matched))
		c.summaries = append(c.summaries, sum)
	}
	return c, nil
}

func sortedKeys(m map[string]cmpRow) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func nanNil(v float64, decimals int) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}

func (c *comparison) table(ignoreImpl bool) *table {
	h := []string{"model", "img_size", "batch", "threads", "algo", "kernels"}
	if ignoreImpl {
		h = append(h, "other_algo", "other_kernels")
	}
	h = append(h, "baseline", "other", "baseline_ms", "other_ms", "ratio", "ratio_lo", "ratio_hi")
	t := &table{header: h}
	for _, p := range c.pairs {
		a, b := p.base, p.againstR
		cells := []any{a.model, a.img, a.batch, a.threads, orNil(a.algo), orNil(a.kernels)}
		if ignoreImpl {
			cells = append(cells, orNil(b.algo), orNil(b.kernels))
		}
		cells = append(cells, c.base.label, p.other, nanNil(a.median, 4), nanNil(b.median, 4),
			nanNil(p.ratio, 4), nanNil(p.lo, 4), nanNil(p.hi, 4))
		t.add(cells...)
	}
	return t
}

func (c *comparison) write(stdout, stderr io.Writer, format string, ignoreImpl bool) error {
	t := c.table(ignoreImpl)
	switch format {
	case "json":
		var buf strings.Builder
		if err := t.write(&buf, "json"); err != nil {
			return err
		}
		out := struct {
			Baseline string          `json:"baseline"`
			Cases    json.RawMessage `json:"cases"`
			Summary  []cmpSummary    `json:"summary"`
		}{c.base.label, json.RawMessage(buf.String()), c.summaries}
		for i := range out.Summary {
			out.Summary[i].GeoMean = math.Round(out.Summary[i].GeoMean*1e4) / 1e4
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		if err := t.write(stdout, "csv"); err != nil {
			return err
		}
		c.writeSummary(stderr)
		return nil
	default:
		if err := t.write(stdout, "table"); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		c.writeSummary(stdout)
		return nil
	}
}

func (c *comparison) writeSummary(w io.Writer) {
	fmt.Fprintln(w, "ratio = other median / baseline median (< 1: other is faster); spread = other p10/baseline p90 .. other p90/baseline p10")
	for _, s := range c.summaries {
		verdict := "same speed"
		switch {
		case s.GeoMean < 1:
			verdict = fmt.Sprintf("%s is %.2fx faster", s.Other, 1/s.GeoMean)
		case s.GeoMean > 1:
			verdict = fmt.Sprintf("%s is %.2fx slower", s.Other, s.GeoMean)
		}
		fmt.Fprintf(w, "%s vs %s: geometric-mean ratio %.4g over %d matched case(s) (%s)\n",
			s.Other, s.baseLabel, s.GeoMean, s.Matched, verdict)
		printMissing(w, fmt.Sprintf("missing in %s", s.Other), s.MissingIn)
		printMissing(w, fmt.Sprintf("missing in %s (baseline)", s.baseLabel), s.MissingBase)
	}
}

func printMissing(w io.Writer, title string, ms []cmpMiss) {
	if len(ms) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s: %d case(s)\n", title, len(ms))
	const show = 20
	for i, m := range ms {
		if i == show {
			fmt.Fprintf(w, "    ... and %d more (-format json lists them all)\n", len(ms)-show)
			break
		}
		if m.Status != "" {
			fmt.Fprintf(w, "    %s (%s: %s)\n", m.Case, m.Status, m.Reason)
		} else {
			fmt.Fprintf(w, "    %s\n", m.Case)
		}
	}
}
