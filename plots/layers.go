package plots

import (
	"hash/fnv"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// palette is Tableau 10: distinct, colour-blind tolerant, dark enough for
// text on white.
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, // blue
	{0xf2, 0x8e, 0x2b, 0xff}, // orange
	{0xe1, 0x57, 0x59, 0xff}, // red
	{0x76, 0xb7, 0xb2, 0xff}, // teal
	{0x59, 0xa1, 0x4f, 0xff}, // green
	{0xed, 0xc9, 0x48, 0xff}, // yellow
	{0xb0, 0x7a, 0xa1, 0xff}, // purple
	{0xff, 0x9d, 0xa7, 0xff}, // pink
	{0x9c, 0x75, 0x5f, 0xff}, // brown
	{0x79, 0x70, 0x6e, 0xff}, // grey
}

// familyColors fixes one colour per architecture family across figures.
var familyColors = map[string]int{
	"AlexNet": 8, "VGG": 9, "ResNet": 0, "DenseNet": 3, "MobileNet v1": 1,
	"ShuffleNet v1": 6, "EfficientNet": 2, "LeNet-5": 5, "ResNet-CIFAR": 0, "DenseNet-CIFAR": 3,
}

// FamilyColor is the colour of a family (or any other series name): fixed
// for the zoo's families, a stable hash otherwise.
func FamilyColor(name string) color.RGBA {
	if i, ok := familyColors[name]; ok {
		return palette[i]
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return palette[int(h.Sum32()%uint32(len(palette)))]
}

// SeriesColor is the i-th colour of the palette.
func SeriesColor(i int) color.RGBA { return palette[i%len(palette)] }

func fade(c color.RGBA, a uint8) color.NRGBA { return color.NRGBA{c.R, c.G, c.B, a} }

func darker(c color.RGBA) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * 0.7), uint8(float64(c.G) * 0.7), uint8(float64(c.B) * 0.7), 0xff}
}

func newGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical = draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.6)}
	g.Horizontal = g.Vertical
	return g
}

// Marker shapes, by index: circle, triangle, square, diamond, cross.
type shape int

const (
	circle shape = iota
	triangle
	square
	diamond
	ring
)

// mark is a filled glyph with an outline, optionally hollow.
type mark struct {
	shape  shape
	fill   color.Color // nil: hollow
	stroke color.Color
	width  vg.Length
}

func (m mark) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	var path vg.Path
	switch m.shape {
	case triangle:
		h := r * vg.Length(math.Sqrt(3)) / 2
		path.Move(vg.Point{X: pt.X, Y: pt.Y + r})
		path.Line(vg.Point{X: pt.X - h, Y: pt.Y - r/2})
		path.Line(vg.Point{X: pt.X + h, Y: pt.Y - r/2})
		path.Close()
	case square:
		s := r * 0.85
		path.Move(vg.Point{X: pt.X - s, Y: pt.Y - s})
		path.Line(vg.Point{X: pt.X + s, Y: pt.Y - s})
		path.Line(vg.Point{X: pt.X + s, Y: pt.Y + s})
		path.Line(vg.Point{X: pt.X - s, Y: pt.Y + s})
		path.Close()
	case diamond:
		path.Move(vg.Point{X: pt.X, Y: pt.Y + r})
		path.Line(vg.Point{X: pt.X + r, Y: pt.Y})
		path.Line(vg.Point{X: pt.X, Y: pt.Y - r})
		path.Line(vg.Point{X: pt.X - r, Y: pt.Y})
		path.Close()
	default:
		path.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		path.Arc(pt, r, 0, 2*math.Pi)
		path.Close()
	}
	if m.fill != nil {
		c.SetColor(m.fill)
		c.Fill(path)
	}
	if m.stroke != nil {
		w := m.width
		if w == 0 {
			w = vg.Points(1)
		}
		c.SetLineStyle(draw.LineStyle{Color: m.stroke, Width: w})
		c.Stroke(path)
	}
}

// point is one glyph of a pointLayer.
type point struct {
	X, Y   float64
	R      vg.Length
	Mark   mark
	Label  string
	Prio   int // higher-priority labels are placed first
	Anchor bool
}

// pointLayer draws glyphs and places their labels where they overlap
// neither other labels nor glyph centres, dropping a label that fits
// nowhere (the legend and the tables still name every point).
type pointLayer struct {
	pts   []point
	style text.Style
}

func newPointLayer() *pointLayer {
	st := textStyle(pointSize)
	st.Color = color.Gray{Y: 30}
	return &pointLayer{style: st}
}

func (l *pointLayer) add(p point) { l.pts = append(l.pts, p) }

func (l *pointLayer) minX() float64 {
	m := math.Inf(1)
	for _, p := range l.pts {
		m = math.Min(m, p.X)
	}
	return m
}

func (l *pointLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, p := range l.pts {
		xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
		ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
	}
	return
}

func (l *pointLayer) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	var boxes []plot.GlyphBox
	for _, pt := range l.pts {
		r := pt.R + vg.Points(2)
		boxes = append(boxes, plot.GlyphBox{X: p.X.Norm(pt.X), Y: p.Y.Norm(pt.Y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}})
	}
	return boxes
}

func (l *pointLayer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var occupied []vg.Rectangle
	pos := make([]vg.Point, len(l.pts))
	// Draw large glyphs first so that small ones stay visible on top.
	order := make([]int, len(l.pts))
	for i := range order {
		order[i] = i
	}
	sortBy(order, func(a, b int) bool { return l.pts[a].R > l.pts[b].R })
	for _, i := range order {
		pt := l.pts[i]
		pos[i] = vg.Point{X: trX(pt.X), Y: trY(pt.Y)}
		if !c.Contains(pos[i]) {
			continue
		}
		pt.Mark.DrawGlyph(&c, draw.GlyphStyle{Radius: pt.R}, pos[i])
		core := min(pt.R, vg.Points(3.5))
		occupied = append(occupied, vg.Rectangle{Min: vg.Point{X: pos[i].X - core, Y: pos[i].Y - core},
			Max: vg.Point{X: pos[i].X + core, Y: pos[i].Y + core}})
	}
	// Labels: by priority, then small glyphs first (they sit in crowds).
	lorder := make([]int, len(l.pts))
	for i := range lorder {
		lorder[i] = i
	}
	sortBy(lorder, func(a, b int) bool {
		if l.pts[a].Prio != l.pts[b].Prio {
			return l.pts[a].Prio > l.pts[b].Prio
		}
		return l.pts[a].X < l.pts[b].X
	})
	for _, i := range lorder {
		pt := l.pts[i]
		if pt.Label == "" || !c.Contains(pos[i]) {
			continue
		}
		w := l.style.Width(pt.Label)
		h := l.style.Height(pt.Label)
		d := pt.R*0.75 + vg.Points(3)
		if pt.Anchor {
			d = pt.R + vg.Points(2)
		}
		x, y := pos[i].X, pos[i].Y
		// candidate lower-left corners: right, left, above, below, diagonals
		cands := []vg.Point{
			{X: x + d, Y: y - h/2}, {X: x - d - w, Y: y - h/2},
			{X: x - w/2, Y: y + d}, {X: x - w/2, Y: y - d - h},
			{X: x + d*0.7, Y: y + d*0.7}, {X: x + d*0.7, Y: y - d*0.7 - h},
			{X: x - d*0.7 - w, Y: y + d*0.7}, {X: x - d*0.7 - w, Y: y - d*0.7 - h},
		}
		own := vg.Rectangle{Min: vg.Point{X: x - pt.R*0.7, Y: y - pt.R*0.7}, Max: vg.Point{X: x + pt.R*0.7, Y: y + pt.R*0.7}}
		for _, ll := range cands {
			r := vg.Rectangle{Min: ll, Max: vg.Point{X: ll.X + w, Y: ll.Y + h}}
			if !inside(c.Rectangle, r) || overlaps(r, own) || overlapsAny(r, occupied) {
				continue
			}
			st := l.style
			st.XAlign, st.YAlign = draw.XLeft, draw.YBottom
			c.FillText(st, ll, pt.Label)
			occupied = append(occupied, r)
			break
		}
	}
}

func inside(outer, r vg.Rectangle) bool {
	return r.Min.X >= outer.Min.X && r.Max.X <= outer.Max.X && r.Min.Y >= outer.Min.Y && r.Max.Y <= outer.Max.Y
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

func overlapsAny(r vg.Rectangle, rs []vg.Rectangle) bool {
	for _, o := range rs {
		if overlaps(r, o) {
			return true
		}
	}
	return false
}

// sortBy is a stable insertion sort (the slices are small).
func sortBy(idx []int, less func(a, b int) bool) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && less(idx[j], idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

// glyphThumb is a legend sample showing one glyph.
type glyphThumb struct {
	m mark
	r vg.Length
}

func (g glyphThumb) Thumbnail(c *draw.Canvas) {
	g.m.DrawGlyph(c, draw.GlyphStyle{Radius: g.r}, c.Center())
}

// lineThumb is a legend sample showing a line, optionally with a glyph.
type lineThumb struct {
	style draw.LineStyle
	g     *glyphThumb
}

func (l lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
	if l.g != nil {
		l.g.Thumbnail(c)
	}
}

// boxThumb is a legend sample showing a filled box.
type boxThumb struct{ fill color.Color }

func (b boxThumb) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	r.Min.X += vg.Points(3)
	r.Max.X -= vg.Points(3)
	c.SetColor(b.fill)
	c.Fill(r.Path())
}

// refLine is a horizontal or vertical reference line across the data area,
// with an optional label at its end.
type refLine struct {
	value    float64
	vertical bool
	style    draw.LineStyle
	label    string
}

func (r refLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	st := textStyle(pointSize + 1)
	st.Color = r.style.Color
	if r.vertical {
		x := trX(r.value)
		if x < c.Min.X || x > c.Max.X {
			return
		}
		c.StrokeLine2(r.style, x, c.Min.Y, x, c.Max.Y)
		if r.label != "" {
			st.XAlign, st.YAlign = draw.XLeft, draw.YTop
			c.FillText(st, vg.Point{X: x + vg.Points(3), Y: c.Max.Y - vg.Points(2)}, r.label)
		}
		return
	}
	y := trY(r.value)
	if y < c.Min.Y || y > c.Max.Y {
		return
	}
	c.StrokeLine2(r.style, c.Min.X, y, c.Max.X, y)
	if r.label != "" {
		st.XAlign, st.YAlign = draw.XRight, draw.YBottom
		c.FillText(st, vg.Point{X: c.Max.X - vg.Points(3), Y: y + vg.Points(2)}, r.label)
	}
}

// funcLine draws y = f(x) over the visible x range (log-aware: sampled in
// the axis' normalised coordinate).
type funcLine struct {
	f     func(float64) float64
	style draw.LineStyle
	label string
	at    float64 // x of the label (data units); 0 = none
}

func (l funcLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	_, isLogX := p.X.Scale.(plot.LogScale)
	var pts []vg.Point
	const n = 200
	for i := 0; i <= n; i++ {
		t := float64(i) / n
		x := p.X.Min + t*(p.X.Max-p.X.Min)
		if isLogX {
			x = math.Exp(math.Log(p.X.Min) + t*(math.Log(p.X.Max)-math.Log(p.X.Min)))
		}
		y := l.f(x)
		if math.IsNaN(y) || math.IsInf(y, 0) || y <= 0 && isLog(p.Y.Scale) {
			continue
		}
		pts = append(pts, vg.Point{X: trX(x), Y: trY(y)})
	}
	c.StrokeLines(l.style, c.ClipLinesXY(pts)...)
	if l.label != "" && l.at > 0 {
		pt := vg.Point{X: trX(l.at), Y: trY(l.f(l.at))}
		if c.Contains(pt) {
			st := textStyle(pointSize + 1)
			st.Color = l.style.Color
			st.XAlign, st.YAlign = draw.XLeft, draw.YBottom
			c.FillText(st, vg.Point{X: pt.X + vg.Points(3), Y: pt.Y + vg.Points(3)}, l.label)
		}
	}
}

func isLog(n plot.Normalizer) bool { _, ok := n.(plot.LogScale); return ok }
