package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cnnbench/cnnbench/architectures"
)

// measure answers "what did the primary run measure for this model".
type measure struct {
	run *Run // nil: accounting-only report
}

// latencyRule states how a latency cell is chosen; it goes in every table
// that shows one.
const latencyRule = "*Measured* latency: median ms of one batch-1 forward pass from the results, at the model's paper " +
	"resolution, preferring algo `auto` (else the fastest algorithm measured, named in brackets)."

// threadCounts are the distinct thread counts of the run, ascending.
func (m *measure) threadCounts() []int {
	if m.run == nil {
		return nil
	}
	seen := map[int]bool{}
	var out []int
	for _, r := range m.run.Rows {
		if t, ok := r.Int("threads"); ok && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Ints(out)
	return out
}

// maxThreads is the largest thread count of the run (0 when none).
func (m *measure) maxThreads() int {
	ts := m.threadCounts()
	if len(ts) == 0 {
		return 0
	}
	return ts[len(ts)-1]
}

// latency finds the batch-1 row of model at threads, at its default
// resolution, preferring algo auto, else the fastest.
func (m *measure) latency(model string, threads int) (Row, bool) {
	if m.run == nil {
		return Row{}, false
	}
	return pickLatency(m.run.Rows, model, threads)
}

func pickLatency(rows []Row, model string, threads int) (Row, bool) {
	res := resolution(model)
	var best Row
	found := false
	bestMS := math.Inf(1)
	for _, r := range rows {
		if r.Str("model") != model || !r.measured() {
			continue
		}
		if b, ok := r.Int("infer_batch_size"); !ok || b != 1 {
			continue
		}
		if t, ok := r.Int("threads"); !ok || t != threads {
			continue
		}
		if sz, ok := r.Int("infer_img_size"); ok && res > 0 && sz != res {
			continue
		}
		ms, ok := r.Float("median_ms")
		if !ok || ms <= 0 {
			continue
		}
		if r.Str("algo") == "auto" {
			if !found || best.Str("algo") != "auto" || ms < bestMS {
				best, bestMS, found = r, ms, true
			}
			continue
		}
		if found && best.Str("algo") == "auto" {
			continue
		}
		if ms < bestMS {
			best, bestMS, found = r, ms, true
		}
	}
	return best, found
}

// latencyCell is the measured median in ms, "–" when not measured.
func (m *measure) latencyCell(model string, threads int) string {
	if threads <= 0 {
		return Missing
	}
	r, ok := m.latency(model, threads)
	if !ok {
		return Missing
	}
	ms, _ := r.Float("median_ms")
	s := fnum(ms)
	if a := r.Str("algo"); a != "auto" && a != "" {
		s += " (" + a + ")"
	}
	return s
}

// latencyHeaders are the column titles for 1 and N threads.
func (m *measure) latencyHeaders() (one, many string, nThreads int) {
	n := m.maxThreads()
	one = "measured ms, 1 thread"
	if n > 1 {
		return one, fmt.Sprintf("measured ms, %d threads", n), n
	}
	return one, "", n
}

// resultsTable lists every row of every run.
func resultsTable(runs []*Run) *Table {
	t := &Table{File: "results.md", Title: "Measured results"}
	t.Intro = append(t.Intro, "One row per case of each run given with -in, as written by `cnnbench bench` (columns of DESIGN.md §6, "+
		"read by name). Times are per batch; img/s = batch / median time; GFLOP/s = 2·MACs·batch / median time; "+
		"% peak is against the machine's FMA peak at that thread count as recorded by the run. "+
		"Top-1/top-5 are *measured* accuracies on the dataset named (empty when the case measured no accuracy).")
	if len(runs) == 0 {
		t.Intro = append(t.Intro, "No results given: this is an accounting-only report (`cnnbench report -reference`). "+
			"Run `make bench` (or `cnnbench bench`) and then `cnnbench report -in results/<run>` for measured numbers.")
		return t
	}
	for _, r := range runs {
		s := Section{Heading: "Run " + r.Name,
			Header: []string{"model", "input", "threads", "batch", "algo", "kernels", "median ms", "p10–p90 ms", "img/s", "GFLOP/s", "% peak", "top-1 %", "top-5 %", "dataset"},
			Align:  "lrrrllrrrrrrrl"}
		s.Text = append(s.Text, fmt.Sprintf("From `%s` (%d rows).", r.CSV, len(r.Rows)))
		if d := machineSummary(r); d != "" {
			s.Text = append(s.Text, d)
		}
		var rows, other []Row
		for _, row := range r.Rows {
			if row.measured() || row.Str("status") == "" || row.Str("status") == "ok" {
				rows = append(rows, row)
			} else {
				other = append(other, row)
			}
		}
		sort.SliceStable(rows, func(i, j int) bool { return rowLess(rows[i], rows[j]) })
		sort.SliceStable(other, func(i, j int) bool { return rowLess(other[i], other[j]) })
		for _, row := range rows {
			s.Rows = append(s.Rows, []string{
				row.Str("model"), imgCell(row), intCell(row, "threads"), intCell(row, "infer_batch_size"),
				row.Str("algo"), row.Str("kernels"), floatCell(row, "median_ms"), spreadCell(row),
				floatCell(row, "infer_samples_per_sec"), floatCell(row, "gflops_per_s"), pctCell(row, "peak_fraction"),
				floatCell(row, "top1"), floatCell(row, "top5"), row.Str("dataset"),
			})
		}
		if len(rows) == 0 {
			s.Text = append(s.Text, "No measured rows in this results file.")
			s.Header = nil
		}
		t.Sections = append(t.Sections, s)
		if len(other) > 0 {
			o := Section{Heading: "Run " + r.Name + ": cases not measured",
				Header: []string{"model", "input", "threads", "batch", "algo", "kernels", "status", "reason"}, Align: "lrrrllll"}
			for _, row := range other {
				o.Rows = append(o.Rows, []string{row.Str("model"), imgCell(row), intCell(row, "threads"), intCell(row, "infer_batch_size"),
					row.Str("algo"), row.Str("kernels"), row.Str("status"), row.Str("reason")})
			}
			t.Sections = append(t.Sections, o)
		}
	}
	return t
}

// rowLess orders rows by family (zoo order), model, threads, batch, algo.
func rowLess(a, b Row) bool {
	fa, fb := familyRank(a.Str("model")), familyRank(b.Str("model"))
	if fa != fb {
		return fa < fb
	}
	if a.Str("model") != b.Str("model") {
		return a.Str("model") < b.Str("model")
	}
	ta, _ := a.Int("threads")
	tb, _ := b.Int("threads")
	if ta != tb {
		return ta < tb
	}
	ba, _ := a.Int("infer_batch_size")
	bb, _ := b.Int("infer_batch_size")
	if ba != bb {
		return ba < bb
	}
	return a.Str("algo") < b.Str("algo")
}

var zooRank = func() map[string]int {
	m := map[string]int{}
	for i, s := range architectures.All() {
		m[s.Name] = i
	}
	return m
}()

func familyRank(model string) int {
	if r, ok := zooRank[model]; ok {
		return r
	}
	return len(zooRank)
}

func imgCell(r Row) string {
	if v := r.Str("infer_img_size"); v != "" {
		return v
	}
	return Missing
}

func intCell(r Row, col string) string {
	if v, ok := r.Int(col); ok {
		return strconv.Itoa(v)
	}
	return Missing
}

func floatCell(r Row, col string) string {
	if v, ok := r.Float(col); ok {
		return fnum(v)
	}
	return Missing
}

func pctCell(r Row, col string) string {
	if v, ok := r.Float(col); ok {
		return fmt.Sprintf("%.1f", 100*v)
	}
	return Missing
}

func spreadCell(r Row) string {
	lo, ok1 := r.Float("p10_ms")
	hi, ok2 := r.Float("p90_ms")
	if !ok1 || !ok2 {
		return Missing
	}
	return fnum(lo) + "–" + fnum(hi)
}

// machineSummary is one line about the machine record of a run.
func machineSummary(r *Run) string {
	if r.Machine == nil {
		return "No machine record found beside the results (results.json or machine.json)."
	}
	m := r.Machine
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	cpu := mstr(m, "cpu", "brand")
	if cpu == "" {
		cpu = machineString(m, "brand")
	}
	if c := mstr(m, "cpu", "physical_cores"); c != "" && cpu != "" {
		cpu += " (" + c + " cores"
		if l := mstr(m, "cpu", "logical_cores"); l != "" && l != c {
			cpu += ", " + l + " threads"
		}
		cpu += ")"
	}
	add("CPU ", cpu)
	goV := mstr(m, "go", "version")
	if goV != "" {
		goV += " " + mstr(m, "go", "goos") + "/" + mstr(m, "go", "goarch")
		if v := mstr(m, "go", "goamd64"); v != "" {
			goV += " GOAMD64=" + v
		}
	}
	add("Go ", goV)
	if rev := mstr(m, "commit", "revision"); rev != "" && rev != "unknown" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if mstr(m, "commit", "modified") == "true" {
			rev += " (modified)"
		}
		add("commit ", rev)
	}
	add("kernel sets used ", mstr(m, "kernels", "used"))
	add("auto kernel set ", mstr(m, "kernels", "best"))
	if len(parts) == 0 {
		return "Machine record: `" + r.MachineFile + "`."
	}
	return "Machine (from `" + r.MachineFile + "`): " + strings.Join(parts, "; ") + "."
}

// algorithmsTable is the per-layer convolution-algorithm comparison.
func algorithmsTable(runs []*Run) *Table {
	t := &Table{File: "conv_algorithms.md", Title: "Convolution algorithms per layer"}
	t.Intro = append(t.Intro, "For each measured conv layer: every algorithm that supports its shape, its median time, "+
		"achieved GFLOP/s (2·MACs of the direct convolution / time, so Winograd's saved multiplies show as a higher rate), "+
		"fraction of the FMA peak, worst error against the naive float64-accumulating oracle, which one `auto` picked (✓) "+
		"and which was fastest (★). All *measured*.")
	any := false
	for _, r := range runs {
		if len(r.Layers) == 0 {
			continue
		}
		any = true
		s := Section{Heading: "Run " + r.Name, Text: []string{fmt.Sprintf("From `%s` (%d rows).", r.LayersFile, len(r.Layers))}}
		shapeCol := firstColumn(r.Layers, "shape", "desc", "params")
		s.Header = []string{"net", "layer"}
		s.Align = "ll"
		if shapeCol != "" {
			s.Header = append(s.Header, shapeCol)
			s.Align += "l"
		}
		s.Header = append(s.Header, "algo", "kernels", "threads", "median ms", "GFLOP/s", "% peak", "max err", "auto", "fastest")
		s.Align += "llrrrrrcc"
		groups, order := groupLayers(r.Layers)
		for _, key := range order {
			rows := groups[key]
			fastest := -1
			best := math.Inf(1)
			for i, row := range rows {
				if ms, ok := row.Float("median_ms"); ok && ms < best && row.Str("algo") != "auto" {
					best, fastest = ms, i
				}
			}
			for i, row := range rows {
				c := []string{layerNet(row), row.Str("layer")}
				if shapeCol != "" {
					c = append(c, row.Str(shapeCol))
				}
				star := blank
				if i == fastest {
					star = "★"
				}
				c = append(c, row.Str("algo"), row.Str("kernels"), intCell(row, "threads"), floatCell(row, "median_ms"),
					floatCell(row, "gflops_per_s"), pctCell(row, "peak_fraction"), errCell(row), autoCell(row), star)
				s.Rows = append(s.Rows, c)
			}
		}
		t.Sections = append(t.Sections, s)
	}
	if !any {
		t.Intro = append(t.Intro, "No per-layer results in this run (looked for "+strings.Join(layerFiles, ", ")+
			" beside results.csv). Run `cnnbench layers` (part of `make bench`) to produce them.")
	}
	return t
}

func firstColumn(rows []Row, cols ...string) string {
	for _, c := range cols {
		for _, r := range rows {
			if r.Str(c) != "" {
				return c
			}
		}
	}
	return ""
}

func layerNet(r Row) string {
	if n := r.Str("net"); n != "" {
		return n
	}
	return r.Str("model")
}

// groupLayers groups per-layer rows by (net, layer, threads, batch) in
// file order.
func groupLayers(rows []Row) (map[string][]Row, []string) {
	groups := map[string][]Row{}
	var order []string
	for _, r := range rows {
		k := layerNet(r) + "\x00" + r.Str("layer") + "\x00" + r.Str("threads") + "\x00" + r.Str("batch") + "\x00" + r.Str("kernels")
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	return groups, order
}

func errCell(r Row) string {
	if v, ok := r.Float("max_err"); ok {
		return strconv.FormatFloat(v, 'e', 1, 64)
	}
	return Missing
}

// autoCell reads auto_pick as a boolean or as the name of the algorithm
// auto chose.
func autoCell(r Row) string {
	v := strings.ToLower(r.Str("auto_pick"))
	switch v {
	case "":
		return Missing
	case "true", "1", "yes", "y", "✓", "x", "*":
		return "✓"
	case "false", "0", "no", "n":
		return blank
	}
	if v == strings.ToLower(r.Str("algo")) {
		return "✓"
	}
	return blank
}
