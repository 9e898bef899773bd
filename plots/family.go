package plots

// The measured family comparison (issue 5): models trained here under one
// budget, their test accuracy against MACs and against measured latency.

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// TrainedPoint is one model trained and measured here.
type TrainedPoint struct {
	Label     string
	Family    string  // colour (the paper family the model stands for)
	MMACs     float64 // million MACs per image, batch 1
	ParamsM   float64 // trainable parameters, millions
	Top1      float64 // test top-1, percent
	LatencyMS float64 // median latency per image at batch 1; ≤ 0: not measured
}

// smallBubble gives marker area ∝ parameters for nets of 0.05–2M params:
// 1M → 11 pt radius, clamped below at 3 pt.
func smallBubble(paramsM float64) vg.Length {
	return vg.Points(max(3, 11*math.Sqrt(paramsM)))
}

// FamilyComparison draws the papers' accuracy-vs-cost comparison as
// measured here: test top-1 against MACs and, in a second panel, against the
// measured batch-1 latency (both log scale), one colour per family and
// marker area proportional to parameters. dataset names the accuracy axis;
// notes go under the legend. Without a measured latency the second panel is
// left out.
func FamilyComparison(title, dataset string, pts []TrainedPoint, notes []string) (*Figure, error) {
	var macs, lat []TrainedPoint
	for _, a := range pts {
		if a.MMACs <= 0 || math.IsNaN(a.Top1) {
			continue
		}
		macs = append(macs, a)
		if a.LatencyMS > 0 {
			lat = append(lat, a)
		}
	}
	if len(macs) == 0 {
		return nil, ErrNoData
	}
	yLabel := dataset + " test top-1 accuracy (%)"
	panel := func(xLabel, panelTitle string, pts []TrainedPoint, x func(TrainedPoint) float64) *plot.Plot {
		p := NewPlot(panelTitle, xLabel, yLabel)
		LogX(p)
		l := newPointLayer()
		for _, a := range pts {
			col := FamilyColor(a.Family)
			l.add(point{X: x(a), Y: a.Top1, R: smallBubble(a.ParamsM), Label: a.Label, Anchor: true,
				Mark: mark{shape: circle, fill: fade(col, 0xa0), stroke: darker(col), width: vg.Points(0.8)}})
		}
		p.Add(l)
		padRange(p, 0.08, 1.6)
		return p
	}
	f := &Figure{Title: title, Panels: []*plot.Plot{
		panel("M-MACs per image (conv + linear, batch 1; log scale)", "accuracy vs compute", macs,
			func(a TrainedPoint) float64 { return a.MMACs }),
	}}
	if len(lat) > 0 {
		f.Panels = append(f.Panels, panel("median latency per image, batch 1 (ms; log scale)", "accuracy vs measured latency", lat,
			func(a TrainedPoint) float64 { return a.LatencyMS }))
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Family"})
	seen := map[string]bool{}
	for _, a := range macs {
		if seen[a.Family] {
			continue
		}
		seen[a.Family] = true
		col := FamilyColor(a.Family)
		f.Legend = append(f.Legend, LegendItem{Label: a.Family,
			Thumb: glyphThumb{mark{shape: circle, fill: fade(col, 0xa0), stroke: darker(col), width: vg.Points(0.8)}, vg.Points(5)}})
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Parameters (area)"})
	for _, m := range []float64{0.1, 0.5, 1.5} {
		r := smallBubble(m)
		f.Legend = append(f.Legend, LegendItem{Label: fmt.Sprintf("%gM", m), Height: 2 * r,
			Thumb: glyphThumb{mark{shape: circle, fill: color.Gray{Y: 215}, stroke: color.Gray{Y: 90}, width: vg.Points(0.8)}, r}})
	}
	if len(lat) < len(macs) {
		notes = append(notes, fmt.Sprintf("%d of %d models have no measured latency and are missing from the right panel.",
			len(macs)-len(lat), len(macs)))
	}
	f.Notes = notes
	return f, nil
}
