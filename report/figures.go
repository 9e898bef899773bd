package report

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnnbench/cnnbench/plots"
)

// FigureResult is one figure of the report: written, or skipped with the
// reason.
type FigureResult struct {
	Name    string // file base name
	Title   string
	Files   []string
	Skipped string
	fig     *plots.Figure
}

const reportedAccNote = "Reported ImageNet top-1 (not measured here): torchvision's single-crop acc@1 for AlexNet, VGG, " +
	"ResNet and DenseNet-121/169/201; the papers' for DenseNet-264, MobileNet (Tables 6/7), ShuffleNet (g=3, Tables 2/5) " +
	"and EfficientNet (Table 2)."

func skip(name, title, why string) FigureResult {
	return FigureResult{Name: name, Title: title, Skipped: why}
}

func figOrSkip(name, title string, f *plots.Figure, err error, why string) FigureResult {
	if errors.Is(err, plots.ErrNoData) {
		return skip(name, title, why)
	}
	if err != nil {
		return skip(name, title, "could not draw: "+err.Error())
	}
	return FigureResult{Name: name, Title: title, fig: f}
}

// measuredImageNet are rows with a measured top-1 on an ImageNet dataset.
func measuredImageNet(runs []*Run) []Row {
	var out []Row
	for _, r := range runs {
		for _, row := range r.Rows {
			if _, ok := row.Float("top1"); ok && (row.Str("status") == "" || row.Str("status") == "ok") && strings.Contains(strings.ToLower(row.Str("dataset")), "imagenet") {
				out = append(out, row)
			}
		}
	}
	return out
}

func rowGMACs(row Row) float64 {
	if g, ok := row.Float("infer_gmacs"); ok && g > 0 {
		return g
	}
	if sz, ok := row.Int("infer_img_size"); ok && sz != resolution(row.Str("model")) {
		return 0 // another resolution: do not guess
	}
	if a, err := acct(row.Str("model")); err == nil {
		return float64(a.Totals.MACs) / 1e9
	}
	return 0
}

func rowParamsM(row Row) float64 {
	if a, err := acct(row.Str("model")); err == nil {
		return float64(a.Totals.Params) / 1e6
	}
	if p, ok := row.Float("param_count"); ok {
		return p
	}
	return 0
}

func familyOr(model string) string {
	if f := family(model); f != "" {
		return f
	}
	return "other"
}

func accuracyFigures(runs []*Run) ([]FigureResult, error) {
	var pts []plots.AccuracyPoint
	for _, b := range bubbleModels {
		a, err := acct(b.model)
		if err != nil {
			return nil, err
		}
		ra, ok := reportedTop1[b.model]
		if !ok {
			continue
		}
		pts = append(pts, plots.AccuracyPoint{Label: b.label, Family: a.Spec.Family, GMACs: float64(a.Totals.MACs) / 1e9,
			Params: float64(a.Totals.Params) / 1e6, Top1: ra.Top1})
	}
	measured := measuredImageNet(runs)
	for _, row := range measured {
		top1, _ := row.Float("top1")
		g := rowGMACs(row)
		if g <= 0 {
			continue
		}
		pts = append(pts, plots.AccuracyPoint{Label: shortLabel(row.Str("model")) + " (measured)", Family: familyOr(row.Str("model")),
			GMACs: g, Params: rowParamsM(row), Top1: top1, Measured: true})
	}
	bubble, err := plots.AccuracyVsMACs(pts, reportedAccNote)
	out := []FigureResult{figOrSkip("accuracy_vs_macs", "ImageNet top-1 vs G-MACs, bubble area ∝ params", bubble, err, "no accuracy data")}

	var eff []plots.AccuracyPoint
	for i := 0; i <= 7; i++ {
		m := fmt.Sprintf("efficientnet_b%d", i)
		a, err := acct(m)
		if err != nil {
			return nil, err
		}
		eff = append(eff, plots.AccuracyPoint{Label: fmt.Sprintf("B%d", i), Family: "EfficientNet",
			GMACs: float64(a.Totals.MACs) / 1e9, Params: float64(a.Totals.Params) / 1e6, Top1: reportedTop1[m].Top1})
	}
	for _, q := range effQuoted {
		a, err := acct(q.model)
		if err != nil {
			return nil, err
		}
		eff = append(eff, plots.AccuracyPoint{Label: q.label, Family: a.Spec.Family, GMACs: float64(a.Totals.MACs) / 1e9,
			Params: float64(a.Totals.Params) / 1e6, Top1: q.top1})
	}
	for _, row := range measured {
		f := family(row.Str("model"))
		if f != "EfficientNet" && f != "ResNet" && f != "DenseNet" {
			continue
		}
		top1, _ := row.Float("top1")
		if g := rowGMACs(row); g > 0 {
			eff = append(eff, plots.AccuracyPoint{Label: shortLabel(row.Str("model")) + " (measured)", Family: f, GMACs: g,
				Params: rowParamsM(row), Top1: top1, Measured: true})
		}
	}
	effFig, err := plots.EfficientNetChart(eff, "EfficientNet",
		"Reported top-1: EfficientNet Table 2 for B0–B7 and for its comparison rows (ResNet-50 76.0, DenseNet-169 76.2, "+
			"ResNet-152 77.8, DenseNet-264 77.9). x: this suite's exact params and MACs at the paper resolutions "+
			"(ResNet = torchvision v1.5).")
	out = append(out, figOrSkip("efficientnet_accuracy", "EfficientNet Fig. 1/5: accuracy vs params and vs FLOPs", effFig, err, "no EfficientNet data"))
	return out, nil
}

// latencyFigure plots the primary run's batch-1 latencies.
func latencyFigure(m *measure) FigureResult {
	const name, title = "latency_vs_macs", "Measured latency vs MACs (log-log), per family, 1 and N threads"
	if m.run == nil {
		return skip(name, title, "no results given (accounting-only report)")
	}
	var pts []plots.LatencyPoint
	models := distinct(m.run.Rows, "model")
	for _, model := range models {
		for _, t := range m.threadCounts() {
			row, ok := pickLatency(m.run.Rows, model, t)
			if !ok {
				continue
			}
			ms, _ := row.Float("median_ms")
			g := rowGMACs(row)
			if g <= 0 {
				continue
			}
			pts = append(pts, plots.LatencyPoint{Label: shortLabel(model), Family: familyOr(model), GMACs: g, MedianMS: ms, Threads: t})
		}
	}
	f, err := plots.LatencyVsMACs(pts, "Measured (run "+m.run.Name+"): median of repeated batch-1 forward passes at the "+
		"paper resolution, algo auto (else the fastest measured). MACs are this suite's exact counts.")
	return figOrSkip(name, title, f, err, "no batch-1 rows with threads and median_ms in the results")
}

func distinct(rows []Row, col string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if v := r.Str(col); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// peakAndBandwidth resolves the FP32 peak and the memory bandwidth for
// rows measured at one thread count: flags first, then the run's recorded
// peaks (the best kernel set among the rows), then the peak implied by the
// peak_fraction column; with sentences saying where each came from.
func peakAndBandwidth(run *Run, rows []Row, peakFlag, bwFlag float64) (peak, bw float64, why []string) {
	threads := -1
	for _, r := range rows {
		if t, ok := r.Int("threads"); ok {
			threads = t
			break
		}
	}
	switch {
	case peakFlag > 0:
		peak = peakFlag
		why = append(why, fmt.Sprintf("FMA peak %.4g GFLOP/s from -peak-gflops.", peak))
	case threads > 0:
		src := ""
		for _, k := range distinct(rows, "kernels") {
			if g, where, ok := recordedPeak(run, append(rows, run.Rows...), k, threads); ok && g > peak {
				peak, src = g, where
			}
		}
		if peak == 0 {
			if g, where, ok := recordedPeak(run, append(rows, run.Rows...), "", threads); ok {
				peak, src = g, where
			}
		}
		if peak > 0 {
			why = append(why, fmt.Sprintf("Peak %.4g GFLOP/s measured by the run, from %s.", peak, src))
		}
	}
	if peak == 0 && peakFlag == 0 {
		var implied []float64
		for _, r := range rows {
			g, ok1 := r.Float("gflops_per_s")
			f, ok2 := r.Float("peak_fraction")
			if ok1 && ok2 && f > 0 && g > 0 {
				implied = append(implied, g/f)
			}
		}
		if len(implied) > 0 {
			sort.Float64s(implied)
			peak = implied[len(implied)-1]
			why = append(why, fmt.Sprintf("Peak %.4g GFLOP/s implied by the gflops_per_s / peak_fraction columns.", peak))
		} else {
			why = append(why, "Peak unknown (not in the machine record, no peak_fraction, no -peak-gflops): not drawn.")
		}
	}
	switch {
	case bwFlag > 0:
		bw = bwFlag
		why = append(why, fmt.Sprintf("Memory bandwidth %.4g GB/s from -bandwidth-gbs.", bw))
	case run != nil && run.Machine != nil:
		if v, k, ok := machineNumber(run.Machine, "bandwidth"); ok {
			bw = v
			why = append(why, fmt.Sprintf("Memory bandwidth %.4g GB/s from the machine record (%s).", bw, k))
		}
	}
	if bw == 0 {
		why = append(why, "Memory bandwidth not recorded by the run and no -bandwidth-gbs given: memory roof not drawn.")
	}
	return peak, bw, why
}

// layerSelection keeps the per-layer rows at one thread count (the
// largest present) so that one chart compares like with like.
func layerSelection(rows []Row) ([]Row, string) {
	maxT := -1
	for _, r := range rows {
		if t, ok := r.Int("threads"); ok && t > maxT {
			maxT = t
		}
	}
	if maxT < 0 {
		return rows, "thread count not recorded"
	}
	var out []Row
	for _, r := range rows {
		if t, ok := r.Int("threads"); ok && t == maxT {
			out = append(out, r)
		}
	}
	return out, fmt.Sprintf("%d thread%s", maxT, map[bool]string{true: "", false: "s"}[maxT == 1])
}

func seriesKey(r Row, multiKernels bool) string {
	if multiKernels && r.Str("kernels") != "" {
		return r.Str("algo") + " / " + r.Str("kernels")
	}
	return r.Str("algo")
}

func layerFigures(m *measure, peakFlag, bwFlag float64) []FigureResult {
	const algoTitle = "Per-layer algorithm comparison (GFLOP/s per algorithm, FMA peak drawn)"
	const roofTitle = "Roofline of every measured layer"
	if m.run == nil {
		return []FigureResult{skip("layer_algorithms", algoTitle, "no results given (accounting-only report)"),
			skip("roofline", roofTitle, "no results given (accounting-only report)")}
	}
	if len(m.run.Layers) == 0 {
		why := "no per-layer results in this run (no " + layerFiles[0] + " beside results.csv)"
		return []FigureResult{skip("layer_algorithms", algoTitle, why), skip("roofline", roofTitle, why)}
	}
	rows, sel := layerSelection(m.run.Layers)
	multiK := len(distinct(rows, "kernels")) > 1
	peak, bw, why := peakAndBandwidth(m.run, rows, peakFlag, bwFlag)
	var out []FigureResult
	for _, net := range distinctFn(rows, layerNet) {
		var layers, series []string
		li, si := map[string]int{}, map[string]int{}
		for _, r := range rows {
			if layerNet(r) != net {
				continue
			}
			if _, ok := li[r.Str("layer")]; !ok {
				li[r.Str("layer")] = len(layers)
				layers = append(layers, r.Str("layer"))
			}
			k := seriesKey(r, multiK)
			if _, ok := si[k]; !ok {
				si[k] = len(series)
				series = append(series, k)
			}
		}
		vals := make([][]float64, len(layers))
		for i := range vals {
			vals[i] = make([]float64, len(series))
			for j := range vals[i] {
				vals[i][j] = math.NaN()
			}
		}
		for _, r := range rows {
			if layerNet(r) != net {
				continue
			}
			if g, ok := r.Float("gflops_per_s"); ok {
				vals[li[r.Str("layer")]][si[seriesKey(r, multiK)]] = g
			}
		}
		name := "layer_algorithms_" + safeName(net)
		f, err := plots.LayerAlgorithms(fmt.Sprintf("%s: convolution algorithms per layer (%s)", net, sel), layers, series, vals, peak,
			"Measured (run "+m.run.Name+"). GFLOP/s = 2·MACs of the direct convolution / median time. A missing bar: the "+
				"algorithm does not support the layer or was not run. "+strings.Join(why[:1], " "))
		out = append(out, figOrSkip(name, net+": "+algoTitle, f, err, "no gflops_per_s values for "+net))
	}
	var pts []plots.RooflinePoint
	noGeom := 0
	for _, r := range rows {
		g, ok := r.Float("gflops_per_s")
		if !ok || g <= 0 {
			continue
		}
		ai, ok := intensity(r)
		if !ok {
			noGeom++
			continue
		}
		pts = append(pts, plots.RooflinePoint{Label: layerNet(r) + ":" + r.Str("layer"), Series: seriesKey(r, multiK), Intensity: ai, GFLOPs: g})
	}
	note := "Measured (run " + m.run.Name + ", " + sel + "). Intensity = 2·MACs / bytes of input + weights + output (float32, " +
		"compulsory traffic of the direct convolution). " + strings.Join(why, " ")
	if noGeom > 0 {
		note += fmt.Sprintf(" %d rows left out: their layer is not in the zoo and the file gives no intensity.", noGeom)
	}
	f, err := plots.Roofline(pts, peak, bw, note)
	out = append(out, figOrSkip("roofline", roofTitle, f, err, "no per-layer rows with gflops_per_s and a known layer geometry"))
	return out
}

func distinctFn(rows []Row, key func(Row) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if v := key(r); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// intensity is a layer row's arithmetic intensity in FLOP/byte: from the
// file when it gives it, else from the zoo's geometry of net:layer.
func intensity(r Row) (float64, bool) {
	for _, c := range []string{"intensity", "arith_intensity"} {
		if v, ok := r.Float(c); ok && v > 0 {
			return v, true
		}
	}
	if fl, ok := r.Float("flops"); ok {
		if by, ok := r.Float("bytes"); ok && by > 0 {
			return fl / by, true
		}
	}
	ls, err := layersOf(layerNet(r))
	if err != nil {
		return 0, false
	}
	l, ok := ls[r.Str("layer")]
	if !ok {
		return 0, false
	}
	b := 1.0
	if v, ok := r.Int("batch"); ok && v > 0 {
		b = float64(v)
	}
	in, out := 1.0, 1.0
	for _, d := range l.In[1:] {
		in *= float64(d)
	}
	for _, d := range l.Out[1:] {
		out *= float64(d)
	}
	bytes := 4 * (b*in + float64(l.Params) + b*out)
	return 2 * float64(l.MACs) * b / bytes, true
}

func scalingFigure(m *measure) FigureResult {
	const name, title = "thread_scaling", "Thread scaling: speedup over 1 thread per model"
	if m.run == nil {
		return skip(name, title, "no results given (accounting-only report)")
	}
	type key struct{ model, algo, kernels, img string }
	groups := map[key]map[int]float64{}
	var order []key
	for _, r := range m.run.Rows {
		if b, ok := r.Int("infer_batch_size"); !ok || b != 1 {
			continue
		}
		t, ok := r.Int("threads")
		ms, ok2 := r.Float("median_ms")
		if !ok || !ok2 || ms <= 0 || !r.measured() {
			continue
		}
		k := key{r.Str("model"), r.Str("algo"), r.Str("kernels"), r.Str("infer_img_size")}
		if groups[k] == nil {
			groups[k] = map[int]float64{}
			order = append(order, k)
		}
		groups[k][t] = ms
	}
	sort.SliceStable(order, func(i, j int) bool { return familyRank(order[i].model) < familyRank(order[j].model) })
	var series []plots.ScalingSeries
	algos := map[string]int{}
	for _, k := range order {
		algos[k.model]++
	}
	for _, k := range order {
		g := groups[k]
		base, ok := g[1]
		if !ok || len(g) < 2 {
			continue
		}
		if algos[k.model] > 1 && k.algo != "auto" {
			continue // one line per model: auto when there is a choice
		}
		var ts []int
		for t := range g {
			ts = append(ts, t)
		}
		sort.Ints(ts)
		s := plots.ScalingSeries{Label: shortLabel(k.model), Family: familyOr(k.model)}
		if k.algo != "auto" && k.algo != "" {
			s.Label += " (" + k.algo + ")"
		}
		for _, t := range ts {
			s.Threads = append(s.Threads, float64(t))
			s.Speedup = append(s.Speedup, base/g[t])
		}
		series = append(series, s)
	}
	note := "Measured (run " + m.run.Name + "): median batch-1 time at 1 thread / at t threads, same algorithm and kernels; algo auto where the model was run with several."
	f, err := plots.ThreadScaling(series, note)
	return figOrSkip(name, title, f, err, "the results have no model measured at 1 thread and at another thread count (batch 1)")
}

func crossFigure(runs []*Run) FigureResult {
	const name, title = "cross_machine", "Cross-machine comparison: time ratio per case"
	if len(runs) < 2 {
		return skip(name, title, "needs two -in result folders")
	}
	a, b := runs[0], runs[1]
	match := func(withKernels bool) []plots.Ratio {
		key := func(r Row) string {
			k := strings.Join([]string{r.Str("model"), r.Str("infer_img_size"), r.Str("infer_batch_size"), r.Str("threads"), r.Str("algo")}, "|")
			if withKernels {
				k += "|" + r.Str("kernels")
			}
			return k
		}
		bm := map[string]float64{}
		for _, r := range b.Rows {
			if ms, ok := r.Float("median_ms"); ok && ms > 0 && r.measured() {
				bm[key(r)] = ms
			}
		}
		// One ratio per model, thread count and batch: algo auto when both
		// runs have it, else the first algorithm both measured.
		type group struct {
			label string
			ratio float64
			auto  bool
		}
		groups := map[string]*group{}
		var order []string
		for _, r := range a.Rows {
			ms, ok := r.Float("median_ms")
			if !ok || ms <= 0 || !r.measured() {
				continue
			}
			msb, ok := bm[key(r)]
			if !ok {
				continue
			}
			gk := strings.Join([]string{r.Str("model"), r.Str("infer_img_size"), r.Str("infer_batch_size"), r.Str("threads")}, "|")
			auto := r.Str("algo") == "auto"
			g, seen := groups[gk]
			if seen && (g.auto || !auto) {
				continue
			}
			lab := fmt.Sprintf("%s, %s thr", shortLabel(r.Str("model")), r.Str("threads"))
			if b, _ := r.Int("infer_batch_size"); b != 1 {
				lab += ", batch " + r.Str("infer_batch_size")
			}
			if !auto {
				lab += " (" + r.Str("algo") + ")"
			}
			if !seen {
				order = append(order, gk)
			}
			groups[gk] = &group{lab, ms / msb, auto}
		}
		var out []plots.Ratio
		for _, gk := range order {
			out = append(out, plots.Ratio{Label: groups[gk].label, Value: groups[gk].ratio})
		}
		return out
	}
	rs := match(true)
	how := "Cases matched on model, input, batch, threads, algo and kernels."
	if len(rs) == 0 {
		rs = match(false)
		how = "No case matched with the same kernel set, so cases are matched on model, input, batch, threads and algo."
	}
	if len(runs) > 2 {
		how += fmt.Sprintf(" Only the first two of the %d runs are compared.", len(runs))
	}
	f, err := plots.CrossMachine(rs, a.Name, b.Name, "Measured. "+how)
	return figOrSkip(name, title, f, err, "no case appears in both runs with a median_ms")
}

func relPath(from, to string) string {
	r, err := filepath.Rel(from, to)
	if err != nil {
		return to
	}
	return filepath.ToSlash(r)
}
