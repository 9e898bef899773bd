package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ErrNoData is returned by a chart constructor given nothing to draw; the
// caller skips the figure (and says so) instead of drawing an empty one.
var ErrNoData = errors.New("no data")

// AccuracyPoint is one model on an accuracy chart.
type AccuracyPoint struct {
	Label  string  // short name printed beside the glyph
	Family string  // colour
	GMACs  float64 // per image, batch 1
	Params float64 // millions
	Top1   float64 // percent
	// Measured marks our measured accuracy (hollow glyph); otherwise the
	// value is a reported one.
	Measured bool
}

// bubbleRadius gives area ∝ params: 60M params → 24 pt radius, clamped
// below at 2.5 pt so that the smallest nets stay visible.
func bubbleRadius(paramsM float64) vg.Length {
	r := 24 * math.Sqrt(paramsM/60)
	return vg.Points(max(r, 2.5))
}

// AccuracyVsMACs is the Canziani et al. (2016) chart: top-1 accuracy against
// G-MACs per image (log scale), bubble area proportional to parameters, one
// colour per family. reportedNote names where the reported numbers come from.
func AccuracyVsMACs(pts []AccuracyPoint, reportedNote string) (*Figure, error) {
	if len(pts) == 0 {
		return nil, ErrNoData
	}
	p := NewPlot("", "G-MACs per image (multiply-accumulates of conv + linear layers, batch 1; log scale)",
		"ImageNet top-1 accuracy (%)")
	LogX(p)
	l := newPointLayer()
	families := []string{}
	seen := map[string]bool{}
	anyMeasured := false
	for _, a := range pts {
		if a.GMACs <= 0 || math.IsNaN(a.Top1) {
			continue
		}
		col := FamilyColor(a.Family)
		m := mark{shape: circle, fill: fade(col, 0x8c), stroke: darker(col), width: vg.Points(0.8)}
		label := a.Label
		if a.Measured {
			m = mark{shape: diamond, fill: color.White, stroke: darker(col), width: vg.Points(2)}
			anyMeasured = true
		}
		r := bubbleRadius(a.Params)
		if a.Measured {
			r = vg.Points(6)
		}
		l.add(point{X: a.GMACs, Y: a.Top1, R: r, Mark: m, Label: label, Prio: prio(a)})
		if !seen[a.Family] {
			seen[a.Family] = true
			families = append(families, a.Family)
		}
	}
	if len(l.pts) == 0 {
		return nil, ErrNoData
	}
	p.Add(l)
	padRange(p, 0.04, 1.5)
	f := &Figure{Title: "ImageNet top-1 accuracy vs compute (bubble area proportional to parameters)", Panels: []*plot.Plot{p}}
	f.Legend = append(f.Legend, LegendItem{Label: "Family"})
	for _, fam := range families {
		col := FamilyColor(fam)
		f.Legend = append(f.Legend, LegendItem{Label: fam,
			Thumb: glyphThumb{mark{shape: circle, fill: fade(col, 0x8c), stroke: darker(col), width: vg.Points(0.8)}, vg.Points(6)}})
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Parameters"})
	for _, m := range []float64{1, 10, 100} {
		r := bubbleRadius(m)
		f.Legend = append(f.Legend, LegendItem{Label: fmt.Sprintf("%gM", m), Height: 2 * r,
			Thumb: glyphThumb{mark{shape: circle, fill: color.Gray{Y: 215}, stroke: color.Gray{Y: 90}, width: vg.Points(0.8)}, r}})
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Accuracy"},
		LegendItem{Label: "reported", Thumb: glyphThumb{mark{shape: circle, fill: color.Gray{Y: 170}, stroke: color.Gray{Y: 60}}, vg.Points(6)}})
	if anyMeasured {
		f.Legend = append(f.Legend, LegendItem{Label: "measured (this suite)",
			Thumb: glyphThumb{mark{shape: diamond, fill: color.White, stroke: color.Gray{Y: 40}, width: vg.Points(2)}, vg.Points(6)}})
	}
	f.Notes = append(f.Notes, reportedNote)
	if !anyMeasured {
		f.Notes = append(f.Notes, "No measured accuracy in these results: every point is a reported number.")
	}
	f.Notes = append(f.Notes, "x and bubble size are this suite's exact counts at each model's paper resolution. Radius clamped at 2.5 pt for nets under ~0.7M params.")
	return f, nil
}

func prio(a AccuracyPoint) int {
	if a.Measured {
		return 2
	}
	return 0
}

// padRange widens the axes a little so that glyphs and labels fit: frac of
// the linear range on y, factor on a log x.
func padRange(p *plot.Plot, yfrac, xfactor float64) {
	if !isLog(p.Y.Scale) { // a log axis is padded by its caller, by factors
		dy := (p.Y.Max - p.Y.Min) * yfrac
		if dy == 0 {
			dy = 1
		}
		p.Y.Min -= dy
		p.Y.Max += dy
	}
	if isLog(p.X.Scale) {
		p.X.Min /= xfactor
		p.X.Max *= xfactor
	}
}

// EfficientNetChart is the paper's Fig. 1 / Fig. 5 pair: top-1 against
// parameters and against FLOPs (mult-adds), the points of lineFamily joined
// in the given order, the others as comparison points.
func EfficientNetChart(pts []AccuracyPoint, lineFamily, note string) (*Figure, error) {
	var line []AccuracyPoint
	for _, a := range pts {
		if a.Family == lineFamily && !a.Measured {
			line = append(line, a)
		}
	}
	if len(line) < 2 {
		return nil, ErrNoData
	}
	mk := func(x func(AccuracyPoint) float64, xlabel, title string) *plot.Plot {
		p := NewPlot(title, xlabel, "ImageNet top-1 accuracy (%)")
		LogX(p)
		l := newPointLayer()
		var xys plotter.XYs
		for _, a := range line {
			xys = append(xys, plotter.XY{X: x(a), Y: a.Top1})
		}
		ln, _ := plotter.NewLine(xys)
		col := FamilyColor(lineFamily)
		ln.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(2)}
		p.Add(ln)
		shapes := map[string]shape{}
		next := triangle
		for _, a := range pts {
			col := FamilyColor(a.Family)
			m := mark{shape: circle, fill: col, stroke: darker(col), width: vg.Points(0.8)}
			r := vg.Points(5)
			if a.Family != lineFamily {
				s, ok := shapes[a.Family]
				if !ok {
					s = next
					shapes[a.Family] = s
					next++
					if next == ring {
						next = triangle
					}
				}
				m.shape = s
				r = vg.Points(6)
			}
			if a.Measured {
				m = mark{shape: diamond, fill: color.White, stroke: darker(col), width: vg.Points(2)}
			}
			l.add(point{X: x(a), Y: a.Top1, R: r, Mark: m, Label: a.Label, Anchor: true, Prio: boolInt(a.Family == lineFamily)})
		}
		p.Add(l)
		padRange(p, 0.05, 1.35)
		return p
	}
	params := mk(func(a AccuracyPoint) float64 { return a.Params }, "parameters (millions; log scale)", "Fig. 1: accuracy vs model size")
	macs := mk(func(a AccuracyPoint) float64 { return a.GMACs }, "FLOPs = G mult-adds per image (log scale)", "Fig. 5: accuracy vs FLOPs")
	f := &Figure{Title: "EfficientNet Fig. 1 / Fig. 5: accuracy vs parameters and vs FLOPs", Panels: []*plot.Plot{params, macs}}
	seen := map[string]bool{}
	for _, a := range pts {
		if seen[a.Family] {
			continue
		}
		seen[a.Family] = true
		col := FamilyColor(a.Family)
		if a.Family == lineFamily {
			f.Legend = append(f.Legend, LegendItem{Label: a.Family + " B0–B7",
				Thumb: lineThumb{draw.LineStyle{Color: col, Width: vg.Points(2)}, &glyphThumb{mark{shape: circle, fill: col, stroke: darker(col)}, vg.Points(5)}}})
			continue
		}
		s := triangle
		for i, b := range familiesInOrder(pts, lineFamily) {
			if b == a.Family {
				s = shape(int(triangle) + i%3)
			}
		}
		f.Legend = append(f.Legend, LegendItem{Label: a.Family, Thumb: glyphThumb{mark{shape: s, fill: col, stroke: darker(col), width: vg.Points(0.8)}, vg.Points(6)}})
	}
	f.Notes = []string{note}
	return f, nil
}

func familiesInOrder(pts []AccuracyPoint, except string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range pts {
		if a.Family != except && !seen[a.Family] {
			seen[a.Family] = true
			out = append(out, a.Family)
		}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// LatencyPoint is one measured model at one thread count.
type LatencyPoint struct {
	Label    string
	Family   string
	GMACs    float64 // per image
	MedianMS float64 // per batch-1 forward pass
	Threads  int
}

// LatencyVsMACs draws measured latency against MACs, log-log, one colour
// per family and one glyph per thread count.
func LatencyVsMACs(pts []LatencyPoint, note string) (*Figure, error) {
	var threads []int
	seenT := map[int]bool{}
	for _, a := range pts {
		if a.GMACs > 0 && a.MedianMS > 0 && !seenT[a.Threads] {
			seenT[a.Threads] = true
			threads = append(threads, a.Threads)
		}
	}
	if len(threads) == 0 {
		return nil, ErrNoData
	}
	sort.Ints(threads)
	shapeOf := map[int]shape{}
	for i, t := range threads {
		shapeOf[t] = []shape{circle, triangle, square, diamond}[i%4]
	}
	p := NewPlot("", "G-MACs per image (log scale)", "median latency per image, batch 1 (ms; log scale)")
	LogX(p)
	LogY(p)
	l := newPointLayer()
	var families []string
	seenF := map[string]bool{}
	for _, a := range pts {
		if a.GMACs <= 0 || a.MedianMS <= 0 {
			continue
		}
		col := FamilyColor(a.Family)
		lab := a.Label
		if len(threads) > 1 && a.Threads != threads[0] {
			lab = "" // label each model once, at its lowest thread count
		}
		l.add(point{X: a.GMACs, Y: a.MedianMS, R: vg.Points(5), Label: lab, Anchor: true,
			Mark: mark{shape: shapeOf[a.Threads], fill: fade(col, 0xd0), stroke: darker(col), width: vg.Points(0.8)}})
		if !seenF[a.Family] {
			seenF[a.Family] = true
			families = append(families, a.Family)
		}
	}
	p.Add(l)
	padRange(p, 0, 1.4)
	p.Y.Min /= 1.4
	p.Y.Max *= 1.4
	f := &Figure{Title: "Measured latency vs MACs", Panels: []*plot.Plot{p}}
	f.Legend = append(f.Legend, LegendItem{Label: "Family"})
	for _, fam := range families {
		col := FamilyColor(fam)
		f.Legend = append(f.Legend, LegendItem{Label: fam, Thumb: boxThumb{col}})
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Threads"})
	for _, t := range threads {
		f.Legend = append(f.Legend, LegendItem{Label: strconv.Itoa(t) + " thread" + plural(t),
			Thumb: glyphThumb{mark{shape: shapeOf[t], fill: color.Gray{Y: 160}, stroke: color.Gray{Y: 60}}, vg.Points(5)}})
	}
	f.Notes = []string{note}
	return f, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// LayerAlgorithms is a grouped bar chart: for each layer, one bar per
// algorithm with its achieved GFLOP/s (NaN = not run or unsupported); peak,
// when positive, is drawn as a dashed line.
func LayerAlgorithms(title string, layers, algos []string, gflops [][]float64, peak float64, note string) (*Figure, error) {
	if len(layers) == 0 || len(algos) == 0 {
		return nil, ErrNoData
	}
	any := false
	for _, row := range gflops {
		for _, v := range row {
			if v > 0 {
				any = true
			}
		}
	}
	if !any {
		return nil, ErrNoData
	}
	p := NewPlot("", "conv layer (state-dict name)", "achieved GFLOP/s (2·MACs / median time)")
	groupW := vg.Points(min(60, 520/float64(len(layers))))
	barW := groupW / vg.Length(len(algos))
	f := &Figure{Title: title}
	f.Legend = append(f.Legend, LegendItem{Label: "Algorithm"})
	for j, algo := range algos {
		vals := make(plotter.Values, len(layers))
		for i := range layers {
			if v := gflops[i][j]; v > 0 && !math.IsNaN(v) {
				vals[i] = v
			}
		}
		b, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil, err
		}
		col := SeriesColor(j)
		b.Color = col
		b.LineStyle = draw.LineStyle{Color: darker(col), Width: vg.Points(0.5)}
		b.Offset = barW*vg.Length(j) - groupW/2 + barW/2
		p.Add(b)
		f.Legend = append(f.Legend, LegendItem{Label: algo, Thumb: boxThumb{col}})
	}
	p.NominalX(layers...)
	p.X.Min, p.X.Max = -0.6, float64(len(layers))-0.4
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.Y.Min = 0
	if peak > 0 {
		p.Add(refLine{value: peak, style: draw.LineStyle{Color: color.RGBA{0xc0, 0x20, 0x20, 0xff}, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(4)}}})
		p.Y.Max = math.Max(p.Y.Max, peak*1.08)
		f.Legend = append(f.Legend, LegendItem{Label: fmt.Sprintf("FMA peak, %.4g GFLOP/s", peak), Thumb: lineThumb{style: draw.LineStyle{Color: color.RGBA{0xc0, 0x20, 0x20, 0xff}, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}}})
	}
	p.Y.Max *= 1.05
	f.Panels = []*plot.Plot{p}
	f.Notes = []string{note}
	return f, nil
}

// RooflinePoint is one layer × algorithm measurement.
type RooflinePoint struct {
	Label     string
	Series    string  // colour (the algorithm)
	Intensity float64 // FLOP per byte of compulsory traffic
	GFLOPs    float64 // achieved GFLOP/s
}

// Roofline draws achieved GFLOP/s against arithmetic intensity (log-log),
// with the compute roof (peak GFLOP/s) and the memory roof (bandwidth GB/s ×
// intensity) when they are known (> 0).
func Roofline(pts []RooflinePoint, peak, bandwidth float64, note string) (*Figure, error) {
	var series []string
	seen := map[string]bool{}
	n := 0
	for _, a := range pts {
		if a.Intensity > 0 && a.GFLOPs > 0 {
			n++
			if !seen[a.Series] {
				seen[a.Series] = true
				series = append(series, a.Series)
			}
		}
	}
	if n == 0 {
		return nil, ErrNoData
	}
	p := NewPlot("", "arithmetic intensity (FLOP per byte of input + weights + output; log scale)", "achieved GFLOP/s (log scale)")
	LogX(p)
	LogY(p)
	l := newPointLayer()
	for _, a := range pts {
		if a.Intensity <= 0 || a.GFLOPs <= 0 {
			continue
		}
		j := indexOf(series, a.Series)
		l.add(point{X: a.Intensity, Y: a.GFLOPs, R: vg.Points(4.5), Mark: seriesMark(j)})
	}
	p.Add(l)
	padRange(p, 0, 1.5)
	p.Y.Min /= 1.5
	p.Y.Max *= 1.5
	roof := color.RGBA{0x30, 0x30, 0x30, 0xff}
	f := &Figure{Title: "Roofline: every measured conv layer", Panels: []*plot.Plot{p}}
	f.Legend = append(f.Legend, LegendItem{Label: "Algorithm"})
	for j, s := range series {
		f.Legend = append(f.Legend, LegendItem{Label: s, Thumb: glyphThumb{seriesMark(j), vg.Points(4.5)}})
	}
	if peak > 0 {
		p.Y.Max = math.Max(p.Y.Max, peak*1.6)
		p.Add(refLine{value: peak, style: draw.LineStyle{Color: roof, Width: vg.Points(1.5)}})
	}
	if bandwidth > 0 {
		bw := bandwidth
		if peak > 0 {
			p.X.Min = math.Min(p.X.Min, peak/bw/3) // show the ridge point
		}
		p.Add(funcLine{f: func(x float64) float64 {
			y := bw * x
			if peak > 0 && y > peak {
				return math.NaN()
			}
			return y
		}, style: draw.LineStyle{Color: roof, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(4)}},
		})
	}
	if peak > 0 || bandwidth > 0 {
		f.Legend = append(f.Legend, LegendItem{Label: "Roofs"})
		if peak > 0 {
			f.Legend = append(f.Legend, LegendItem{Label: fmt.Sprintf("compute: %.4g GFLOP/s", peak), Thumb: lineThumb{style: draw.LineStyle{Color: roof, Width: vg.Points(1.5)}}})
		}
		if bandwidth > 0 {
			f.Legend = append(f.Legend, LegendItem{Label: fmt.Sprintf("memory: %.4g GB/s × intensity", bandwidth), Thumb: lineThumb{style: draw.LineStyle{Color: roof, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}}})
		}
	}
	f.Notes = []string{note}
	return f, nil
}

// seriesMark is the glyph of the j-th series: colour j, shape j mod 4,
// hollow from the fifth series on.
func seriesMark(j int) mark {
	col := SeriesColor(j)
	m := mark{shape: shape(j % 4), fill: fade(col, 0xc0), stroke: darker(col), width: vg.Points(0.7)}
	if j >= 4 {
		m.fill = color.White
		m.width = vg.Points(1.8)
		m.stroke = col
	}
	return m
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return 0
}

// ScalingSeries is one model's speedup over its 1-thread time.
type ScalingSeries struct {
	Label   string
	Family  string
	Threads []float64
	Speedup []float64
}

// ThreadScaling draws speedup against threads. With one thread count
// besides 1 (a 2-core machine) it is a dot plot, one row per model, with the
// ideal speedup marked; with more it is one line per model (at most 10)
// against the ideal line.
func ThreadScaling(series []ScalingSeries, note string) (*Figure, error) {
	var ok []ScalingSeries
	counts := map[float64]bool{}
	for _, s := range series {
		if len(s.Threads) >= 2 && len(s.Threads) == len(s.Speedup) {
			ok = append(ok, s)
			for _, t := range s.Threads {
				if t != 1 {
					counts[t] = true
				}
			}
		}
	}
	if len(ok) == 0 {
		return nil, ErrNoData
	}
	if len(counts) == 1 {
		var t float64
		for k := range counts {
			t = k
		}
		return scalingDots(ok, t, note)
	}
	maxT := 0.0
	for t := range counts {
		maxT = math.Max(maxT, t)
	}
	p := NewPlot("", "threads", "speedup over 1 thread (same model, algorithm, batch)")
	ideal := draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(4)}}
	p.Add(funcLine{f: func(x float64) float64 { return x }, style: ideal})
	f := &Figure{Title: "Thread scaling", Panels: []*plot.Plot{p}}
	f.Legend = append(f.Legend, LegendItem{Label: "Model"})
	l := newPointLayer()
	dropped := 0
	for i, s := range ok {
		if i >= 10 {
			dropped++
			continue
		}
		col := SeriesColor(i)
		var xys plotter.XYs
		for k := range s.Threads {
			xys = append(xys, plotter.XY{X: s.Threads[k], Y: s.Speedup[k]})
		}
		ln, _ := plotter.NewLine(xys)
		ln.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.8)}
		p.Add(ln)
		m := seriesMark(i)
		for k := range s.Threads {
			l.add(point{X: s.Threads[k], Y: s.Speedup[k], R: vg.Points(4), Mark: m})
		}
		f.Legend = append(f.Legend, LegendItem{Label: s.Label, Thumb: lineThumb{ln.LineStyle, &glyphThumb{m, vg.Points(4)}}})
	}
	p.Add(l)
	f.Legend = append(f.Legend, LegendItem{Label: "ideal (speedup = threads)", Thumb: lineThumb{style: ideal}})
	p.X.Min, p.X.Max = 0.8, maxT+0.2
	p.Y.Min = math.Min(p.Y.Min, 0.8)
	p.Y.Max = math.Max(p.Y.Max, maxT) + 0.2
	var ticks []plot.Tick
	for t := 1.0; t <= maxT; t++ {
		ticks = append(ticks, plot.Tick{Value: t, Label: strconv.Itoa(int(t))})
	}
	if len(ticks) <= 16 {
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	f.Notes = []string{note}
	if dropped > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d more models left out to keep the chart readable (see results.md).", dropped))
	}
	return f, nil
}

// scalingDots is the one-thread-count variant: speedup at t threads per
// model, with parity (1) and ideal (t) lines.
func scalingDots(series []ScalingSeries, t float64, note string) (*Figure, error) {
	p := NewPlot("", fmt.Sprintf("speedup at %g threads over 1 thread (same model, algorithm, batch)", t), "")
	l := newPointLayer()
	names := make([]string, len(series))
	hi := t
	for i := range series {
		s := series[len(series)-1-i] // first series on top
		names[i] = s.Label
		var sp float64
		for k, x := range s.Threads {
			if x == t {
				sp = s.Speedup[k]
			}
		}
		col := FamilyColor(s.Family)
		l.add(point{X: sp, Y: float64(i), R: vg.Points(5.5), Mark: mark{shape: circle, fill: col, stroke: darker(col)},
			Label: strconv.FormatFloat(sp, 'f', 2, 64) + "×", Anchor: true})
		hi = math.Max(hi, sp)
	}
	p.Add(refLine{value: 1, vertical: true, style: draw.LineStyle{Color: color.Gray{Y: 80}, Width: vg.Points(1.2)}, label: "no gain"})
	p.Add(refLine{value: t, vertical: true, style: draw.LineStyle{Color: color.Gray{Y: 80}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(4)}},
		label: fmt.Sprintf("ideal (%g×)", t)})
	p.Add(l)
	p.NominalY(names...)
	p.X.Min, p.X.Max = math.Min(0.8, l.minX()-0.1), hi*1.08
	p.Y.Min, p.Y.Max = -0.7, float64(len(series))-0.3
	h := Height
	if n := len(series); n > 26 {
		h = vg.Points(float64(n)*18 + 140)
	}
	f := &Figure{Title: "Thread scaling", Panels: []*plot.Plot{p}, Height: h}
	var fams []string
	seen := map[string]bool{}
	for _, s := range series {
		if !seen[s.Family] {
			seen[s.Family] = true
			fams = append(fams, s.Family)
		}
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Family"})
	for _, fam := range fams {
		f.Legend = append(f.Legend, LegendItem{Label: fam, Thumb: boxThumb{FamilyColor(fam)}})
	}
	f.Notes = []string{note}
	return f, nil
}

// Ratio is one case compared across two runs.
type Ratio struct {
	Label string
	Value float64 // time in run A / time in run B (> 1: B is faster)
}

// CrossMachine is a dot plot of per-case time ratios between two runs on a
// log axis with the parity line at 1.
func CrossMachine(ratios []Ratio, nameA, nameB, note string) (*Figure, error) {
	var rs []Ratio
	for _, r := range ratios {
		if r.Value > 0 && !math.IsInf(r.Value, 0) {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return nil, ErrNoData
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Value < rs[j].Value })
	p := NewPlot("", "time in A / time in B (log scale; > 1: B is faster)", "")
	LogX(p)
	l := newPointLayer()
	names := make([]string, len(rs))
	lo, hi := 1.0, 1.0
	for i, r := range rs {
		names[i] = r.Label
		col := SeriesColor(0)
		if r.Value < 1 {
			col = SeriesColor(1)
		}
		l.add(point{X: r.Value, Y: float64(i), R: vg.Points(5), Mark: mark{shape: circle, fill: col, stroke: darker(col)},
			Label: strconv.FormatFloat(r.Value, 'f', 2, 64) + "×", Anchor: true})
		lo, hi = math.Min(lo, r.Value), math.Max(hi, r.Value)
	}
	p.Add(refLine{value: 1, vertical: true, style: draw.LineStyle{Color: color.Gray{Y: 80}, Width: vg.Points(1.2)}, label: "parity"})
	p.Add(l)
	p.NominalY(names...)
	p.X.Min, p.X.Max = lo/1.3, hi*1.3
	p.Y.Min, p.Y.Max = -0.7, float64(len(rs))-0.3
	h := Height
	if n := len(rs); n > 24 {
		h = vg.Points(float64(n)*15 + 160)
	}
	f := &Figure{Title: "Cross-machine comparison", Panels: []*plot.Plot{p}, Height: h}
	f.Legend = []LegendItem{
		{Label: "Faster run"},
		{Label: "B faster", Thumb: glyphThumb{mark{shape: circle, fill: SeriesColor(0), stroke: darker(SeriesColor(0))}, vg.Points(5)}},
		{Label: "A faster", Thumb: glyphThumb{mark{shape: circle, fill: SeriesColor(1), stroke: darker(SeriesColor(1))}, vg.Points(5)}},
	}
	f.Notes = []string{"A = " + nameA + ".", "B = " + nameB + ".", note}
	return f, nil
}
