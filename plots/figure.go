package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution of the PNG files: Width×Height points at 96 dpi
// give 1200×800 pixels.
const DPI = 96

// Default figure size: 1200×800 pixels at DPI.
var (
	Width  = vg.Points(900)
	Height = vg.Points(600)
)

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Font sizes, in points (at 96 dpi a point is 4/3 pixel).
const (
	titleSize  = 17
	labelSize  = 13
	tickSize   = 11
	legendSize = 11
	noteSize   = 9.5
	pointSize  = 9
)

func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: font.From(sans, size), Handler: plot.DefaultTextHandler}
}

// LegendItem is one line of a figure's legend, drawn in a strip to the right
// of the panels so that it never covers data.
type LegendItem struct {
	Label string
	// Thumb draws the sample; nil makes the item a heading.
	Thumb plot.Thumbnailer
	// Height is the room the sample needs (a large bubble); 0 means one line.
	Height vg.Length
}

// Figure is one chart, possibly of several panels side by side, with its
// legend and notes in a strip on the right.
type Figure struct {
	Title  string
	Panels []*plot.Plot
	Legend []LegendItem
	// Notes are short sentences printed under the legend (what the data
	// are, what is missing).
	Notes         []string
	Width, Height vg.Length
}

// NewPlot returns a panel with the suite's fonts, a light grid and labelled
// axes; units belong in the labels.
func NewPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = textStyle(labelSize)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(labelSize)
		a.Tick.Label = textStyle(tickSize)
		a.Padding = vg.Points(4)
	}
	p.Y.Label.TextStyle.XAlign = draw.XCenter
	p.X.Label.TextStyle.XAlign = draw.XCenter
	p.X.Label.TextStyle.YAlign = draw.YBottom
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Tick.Marker = linTicks{}
	p.Y.Tick.Marker = linTicks{}
	p.Add(newGrid())
	return p
}

// LogX and LogY switch an axis to a log scale with 1-2-5 labels.
func LogX(p *plot.Plot) { p.X.Scale = plot.LogScale{}; p.X.Tick.Marker = logTicks{} }

// LogY switches the vertical axis to a log scale.
func LogY(p *plot.Plot) { p.Y.Scale = plot.LogScale{}; p.Y.Tick.Marker = logTicks{} }

// linTicks puts 5 to 10 labelled ticks on a 1-2-5 step, with one minor
// tick between labels.
type linTicks struct{}

func (linTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	span := max - min
	step := math.Pow(10, math.Floor(math.Log10(span)))
	for _, m := range []float64{0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10} {
		if span/(step*m) <= 10 {
			step *= m
			break
		}
	}
	var ticks []plot.Tick
	first := math.Ceil(min/step*2) / 2
	for k := first; k*step <= max+step*1e-9; k += 0.5 {
		v := k * step
		t := plot.Tick{Value: v}
		if math.Abs(k-math.Round(k)) < 1e-9 {
			dec := int(math.Max(0, -math.Floor(math.Log10(step)+1e-9)))
			if math.Abs(step/math.Pow(10, math.Floor(math.Log10(step)+1e-9))-2.5) < 1e-9 {
				dec++
			}
			t.Label = strconv.FormatFloat(v, 'f', dec, 64)
			if math.Abs(v) < step*1e-9 {
				t.Label = "0"
			}
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// logTicks labels 1, 2 and 5 of every decade (all of 1..9 when the range
// spans less than a decade), with minor ticks in between.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= 0 || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	lo := math.Floor(math.Log10(min))
	hi := math.Ceil(math.Log10(max))
	span := math.Log10(max / min)
	labelled := map[int]bool{1: true, 2: true, 5: true}
	switch {
	case span <= 1:
		labelled = map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true}
	case span <= 2.2:
		labelled = map[int]bool{1: true, 2: true, 3: true, 5: true}
	case span > 4:
		labelled = map[int]bool{1: true}
	}
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		base := math.Pow(10, e)
		for i := 1; i < 10; i++ {
			v := base * float64(i)
			if v < min*0.999 || v > max*1.001 {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled[i] {
				t.Label = tickLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func tickLabel(v float64) string {
	switch {
	case v >= 1e4 || v < 1e-3:
		return strings.Replace(fmt.Sprintf("%.0e", v), "e+0", "e", 1)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
	}
}

// Save writes the figure as base.png and base.svg (each atomically) and
// returns the two paths.
func (f *Figure) Save(base string) ([]string, error) {
	w, h := f.Width, f.Height
	if w == 0 {
		w = Width
	}
	if h == 0 {
		h = Height
	}
	png := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	f.Draw(draw.New(png))
	svg := vgsvg.New(w, h)
	f.Draw(draw.New(svg))
	var out []string
	if err := writeAtomic(base+".png", vgimg.PngCanvas{Canvas: png}); err != nil {
		return nil, err
	}
	out = append(out, base+".png")
	if err := writeAtomic(base+".svg", svg); err != nil {
		return out, err
	}
	return append(out, base+".svg"), nil
}

func writeAtomic(path string, c io.WriterTo) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, werr := c.WriteTo(tmp)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %v", path, werr)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Draw renders the figure: title on top, panels side by side, legend and
// notes in a strip on the right.
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	pad := vg.Points(10)
	c = draw.Crop(c, pad, -pad, pad, -pad)
	if f.Title != "" {
		ts := textStyle(titleSize)
		ts.XAlign = draw.XCenter
		ts.YAlign = draw.YTop
		c.FillText(ts, vg.Point{X: c.Center().X, Y: c.Max.Y}, f.Title)
		c.Max.Y -= ts.Height(f.Title) + vg.Points(8)
	}
	if strip := f.stripWidth(c); strip > 0 {
		legend := c
		legend.Min.X = c.Max.X - strip
		f.drawLegend(legend)
		c.Max.X -= strip + vg.Points(22)
	}
	n := len(f.Panels)
	if n == 0 {
		return
	}
	gap := vg.Points(18)
	w := (c.Size().X - gap*vg.Length(n-1)) / vg.Length(n)
	for i, p := range f.Panels {
		pc := c
		pc.Min.X = c.Min.X + vg.Length(i)*(w+gap)
		pc.Max.X = pc.Min.X + w
		drawPanel(p, pc)
	}
}

// drawPanel draws the axis labels itself (gonum/plot centres the label's
// glyph box at the linear midpoint of the range, which on a log axis
// shrinks the data area) and the plot inside them.
func drawPanel(p *plot.Plot, c draw.Canvas) {
	xl, yl := p.X.Label.Text, p.Y.Label.Text
	p.X.Label.Text, p.Y.Label.Text = "", ""
	defer func() { p.X.Label.Text, p.Y.Label.Text = xl, yl }()
	st := textStyle(labelSize)
	gap := vg.Points(6)
	if yl != "" {
		ys := st
		ys.Rotation = math.Pi / 2
		ys.XAlign, ys.YAlign = draw.XCenter, draw.YTop
		h := st.Height(yl)
		inner := c
		inner.Min.X += h + gap
		if p.Title.Text != "" {
			inner.Max.Y -= p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
		}
		if xl != "" {
			inner.Min.Y += st.Height(xl) + gap
		}
		c.FillText(ys, vg.Point{X: c.Min.X, Y: (inner.Min.Y + inner.Max.Y) / 2}, yl)
		c.Min.X += h + gap
	}
	if xl != "" {
		xs := st
		xs.XAlign, xs.YAlign = draw.XCenter, draw.YBottom
		c.FillText(xs, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Min.Y}, xl)
		c.Min.Y += st.Height(xl) + gap
	}
	p.Draw(c)
}

const thumbW = vg.Length(22)

// stripWidth is the width of the legend strip: the widest legend item,
// at least room for readable notes, at most 30% of the figure.
func (f *Figure) stripWidth(c draw.Canvas) vg.Length {
	if len(f.Legend) == 0 && len(f.Notes) == 0 {
		return 0
	}
	ls := textStyle(legendSize)
	var w vg.Length
	for _, it := range f.Legend {
		iw := ls.Width(it.Label)
		if it.Thumb != nil {
			iw += f.thumbWidth() + vg.Points(6)
		}
		w = max(w, iw)
	}
	if len(f.Notes) > 0 {
		w = max(w, vg.Points(170))
	}
	return min(w, c.Size().X*0.3)
}

func (f *Figure) thumbWidth() vg.Length {
	w := thumbW
	for _, it := range f.Legend {
		w = max(w, it.Height)
	}
	return w
}

func (f *Figure) drawLegend(c draw.Canvas) {
	ls := textStyle(legendSize)
	ls.YAlign = draw.YCenter
	hs := ls
	hs.Font = font.From(font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}, legendSize)
	line := ls.Height("Mg") * 1.35
	y := c.Max.Y - vg.Points(30)
	tw := f.thumbWidth()
	for i, it := range f.Legend {
		h := max(line, it.Height+vg.Points(4))
		if it.Thumb == nil {
			if i > 0 {
				y -= line * 0.5
			}
			c.FillText(hs, vg.Point{X: c.Min.X, Y: y - h/2}, it.Label)
			y -= h
			continue
		}
		tc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: c.Min.X + (tw-thumbW)/2, Y: y - h/2 - line/3},
			Max: vg.Point{X: c.Min.X + (tw+thumbW)/2, Y: y - h/2 + line/3}}}
		it.Thumb.Thumbnail(&tc)
		c.FillText(ls, vg.Point{X: c.Min.X + tw + vg.Points(6), Y: y - h/2}, it.Label)
		y -= h
	}
	if len(f.Notes) == 0 {
		return
	}
	ns := textStyle(noteSize)
	ns.Color = color.Gray{Y: 60}
	ns.YAlign = draw.YTop
	y -= line
	nl := ns.Height("Mg") * 1.25
	for _, note := range f.Notes {
		for _, l := range wrap(ns, note, c.Size().X) {
			c.FillText(ns, vg.Point{X: c.Min.X, Y: y}, l)
			y -= nl
		}
		y -= nl * 0.4
	}
}

// wrap splits s into lines no wider than w.
func wrap(st text.Style, s string, w vg.Length) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if cur != "" && st.Width(try) > w {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = try
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
