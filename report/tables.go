package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cnnbench/cnnbench/architectures"
)

// Missing is how a value that is not available is shown.
const Missing = "–"

// blank is a cell deliberately left empty (a "no" in a ✓ column); an empty
// string would render as Missing.
const blank = " "

// CountingRules heads every table (DESIGN.md §4).
const CountingRules = "**Counting rules** (DESIGN.md §4), batch 1: **params** = trainable parameters " +
	"(conv/linear weights and biases, BatchNorm γ/β; BN running statistics are buffers and are not counted). " +
	"**MACs** = multiply-accumulates of conv and linear layers, padding taps included, bias excluded " +
	"(conv = Cout·Ho·Wo·(Cin/groups)·Kh·Kw, linear = in·out); this is what ResNet, MobileNet, ShuffleNet and " +
	"EfficientNet call \"FLOPs\"/\"mult-adds\" and what torchvision prints as \"GFLOPS\". **FLOPs** = 2·MACs. " +
	"BN, activations, pooling, residual adds and SE scaling are not in MACs (`cnnbench summary` lists them as `other_ops`). " +
	"*Reported* numbers are the papers' (or torchvision's) with their source; *measured* numbers come from the results " +
	"given to `cnnbench report`; " + Missing + " means not available (never estimated)."

// Table is one Markdown file of the report.
type Table struct {
	File     string // file name in the output folder
	Title    string
	Intro    []string // paragraphs under the title
	Sections []Section
	Notes    []Note // per-model explanations, printed at the end
}

// Section is a heading, text and one Markdown table.
type Section struct {
	Heading string
	Text    []string
	Header  []string
	Align   string // one of 'l', 'r', 'c' per column; default left
	Rows    [][]string
	After   []string
}

// Note is a keyed footnote.
type Note struct{ Key, Text string }

// Markdown renders the table file.
func (t *Table) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", t.Title)
	fmt.Fprintf(&b, "> %s\n\n", CountingRules)
	for _, p := range t.Intro {
		fmt.Fprintf(&b, "%s\n\n", p)
	}
	for _, s := range t.Sections {
		if s.Heading != "" {
			fmt.Fprintf(&b, "## %s\n\n", s.Heading)
		}
		for _, p := range s.Text {
			fmt.Fprintf(&b, "%s\n\n", p)
		}
		if len(s.Header) > 0 {
			writeMDTable(&b, s.Header, s.Align, s.Rows)
			b.WriteString("\n")
		}
		for _, p := range s.After {
			fmt.Fprintf(&b, "%s\n\n", p)
		}
	}
	if len(t.Notes) > 0 {
		b.WriteString("## Notes\n\n")
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "- **%s**: %s\n", n.Key, oneLine(n.Text))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func writeMDTable(b *strings.Builder, header []string, align string, rows [][]string) {
	b.WriteString("|")
	for _, h := range header {
		fmt.Fprintf(b, " %s |", cell(h))
	}
	b.WriteString("\n|")
	for i := range header {
		a := byte('l')
		if i < len(align) {
			a = align[i]
		}
		switch a {
		case 'r':
			b.WriteString("---:|")
		case 'c':
			b.WriteString(":---:|")
		default:
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("|")
		for i := range header {
			v := Missing
			if i < len(r) && r[i] != "" {
				v = r[i]
			}
			fmt.Fprintf(b, " %s |", cell(v))
		}
		b.WriteString("\n")
	}
}

func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", "\\|")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Commas prints an integer with thousands separators: 138357544 → "138,357,544".
func Commas(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// scaled prints v/unit with the given number of decimals.
func scaled(v, unit float64, decimals int) string {
	return strconv.FormatFloat(v/unit, 'f', decimals, 64)
}

// decimalsFor is the number of decimals that shows precision in unit.
func decimalsFor(precision, unit float64) int {
	if precision <= 0 {
		return 0
	}
	d := -math.Floor(math.Log10(precision/unit) + 1e-9)
	if d < 0 {
		return 0
	}
	return int(d)
}

// reportedIn prints a reported number in unit at its own precision
// ("138" for 138e6 at precision 1e6 in millions), or Missing.
func reportedIn(r architectures.Reported, unit float64) string {
	if r.Value == 0 {
		return Missing
	}
	return scaled(r.Value, unit, decimalsFor(r.Precision, unit))
}

// diffIn prints ours − reported in unit (suffix names it), with the
// relative difference.
func diffIn(ours int64, r architectures.Reported, unit float64, decimals int, suffix string) string {
	if r.Value == 0 {
		return Missing
	}
	d := float64(ours) - r.Value
	rel := 100 * d / r.Value
	s := strconv.FormatFloat(d/unit, 'f', decimals, 64)
	if d >= 0 {
		s = "+" + s
	}
	return fmt.Sprintf("%s%s (%+.1f%%)", s, suffix, rel)
}

// matchCell says whether the exact count rounds to the reported value at
// its printed precision.
func matchCell(ours int64, r architectures.Reported) string {
	switch {
	case r.Value == 0:
		return Missing
	case r.Matches(ours):
		return "✓"
	default:
		return "✗"
	}
}

// fnum prints a measured float with 4 significant digits.
func fnum(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.01:
		return strconv.FormatFloat(v, 'f', 3, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// mfmt prints an exact count in millions with 2 decimals and the exact
// integer ("138.36M (138,357,544)").
func millions(v int64) string {
	return fmt.Sprintf("%s (%.2fM)", Commas(v), float64(v)/1e6)
}
