// Package report turns the zoo's accounting, the papers' reported numbers
// and a benchmark run's results into Markdown tables and figures: the
// papers' tables reproduced (paper value, ours, difference and the reason
// for any gap), the run's measurements, and the charts of package plots.
//
// Results are read by column name (DESIGN.md §6), so extra columns are
// ignored and missing ones show as "–"; nothing is estimated in their place.
package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options selects the inputs and outputs of a report.
type Options struct {
	// In are results folders (or results CSV files); the first is the
	// primary run whose measurements fill the paper tables.
	In []string
	// Reference makes an accounting-only report: no In, only the tables and
	// figures that need the zoo and the reported numbers.
	Reference bool
	// Out receives the Markdown files; Figures the PNG and SVG files
	// (default Out/figures).
	Out, Figures string
	// PeakGFLOPS and BandwidthGBs override the machine record for the
	// roofline and the algorithm charts (0 = from the record).
	PeakGFLOPS, BandwidthGBs float64
	// NoFigures writes the tables only.
	NoFigures bool
	// Command is the command line, printed in the index.
	Command string
}

// Result lists what a report wrote.
type Result struct {
	Index   string
	Tables  []string
	Figures []FigureResult
}

// Generate loads the runs, builds every table and figure in memory, and
// only then writes them (each file atomically), so bad input leaves the
// output folder untouched.
func Generate(o Options) (*Result, error) {
	if len(o.In) == 0 && !o.Reference {
		return nil, errors.New("no results: give -in DIR (a results folder), or -reference for an accounting-only report")
	}
	if len(o.In) > 0 && o.Reference {
		return nil, errors.New("-reference makes an accounting-only report: do not give -in with it")
	}
	if o.Out == "" {
		return nil, errors.New("-out DIR is required")
	}
	if o.Figures == "" {
		o.Figures = filepath.Join(o.Out, "figures")
	}
	var runs []*Run
	for _, in := range o.In {
		r, err := Load(in)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	names := map[string]int{}
	for _, r := range runs {
		names[r.Name]++
	}
	for i, r := range runs {
		if names[r.Name] > 1 {
			r.Name = fmt.Sprintf("%s#%d", r.Name, i+1)
		}
	}
	m := &measure{}
	if len(runs) > 0 {
		m.run = runs[0]
	}

	var tables []*Table
	for _, build := range []func() (*Table, error){
		alexnetTable, vggTable, resnetTable, densenetTable,
		func() (*Table, error) { return mobilenetTable(m) },
		func() (*Table, error) { return shufflenetTable(m) },
		func() (*Table, error) { return efficientnetTable(m) },
		func() (*Table, error) { return algorithmsTable(runs), nil },
		func() (*Table, error) { return resultsTable(runs), nil },
	} {
		t, err := build()
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}

	var figs []FigureResult
	if !o.NoFigures {
		acc, err := accuracyFigures(runs)
		if err != nil {
			return nil, err
		}
		figs = append(figs, acc...)
		figs = append(figs, latencyFigure(m))
		figs = append(figs, layerFigures(m, o.PeakGFLOPS, o.BandwidthGBs)...)
		figs = append(figs, scalingFigure(m), crossFigure(runs))
	}

	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	res := &Result{}
	for _, t := range tables {
		p := filepath.Join(o.Out, t.File)
		if err := writeFileAtomic(p, []byte(t.Markdown())); err != nil {
			return nil, err
		}
		res.Tables = append(res.Tables, p)
	}
	if !o.NoFigures {
		if err := os.MkdirAll(o.Figures, 0o755); err != nil {
			return nil, err
		}
	}
	for i := range figs {
		if figs[i].fig == nil {
			continue
		}
		files, err := figs[i].fig.Save(filepath.Join(o.Figures, figs[i].Name))
		if err != nil {
			return nil, err
		}
		figs[i].Files = files
	}
	res.Figures = figs
	res.Index = filepath.Join(o.Out, "tables.md")
	if err := writeFileAtomic(res.Index, []byte(index(o, runs, tables, figs))); err != nil {
		return nil, err
	}
	return res, nil
}

var tableBlurbs = map[string]string{
	"alexnet_layers.md":         "AlexNet layer volumes 227×227×3 → … → 1000, per-layer params and MACs, from the graph",
	"vgg_table2.md":             "VGG Table 2: params of A, A-LRN, B, C, D, E (133/133/133/134/138/144M)",
	"resnet_table1.md":          "ResNet Table 1 FLOPs of ResNet-18…152: paper v1 vs torchvision v1.5 (3.8 vs 4.1 G)",
	"densenet.md":               "DenseNet-121/169/201/264 params and MACs; parameter efficiency against ResNet",
	"mobilenet_tables4_6_7.md":  "MobileNet Tables 4, 6, 7: full vs separable conv, width and resolution multipliers, with latency",
	"shufflenet_table2.md":      "ShuffleNet Table 2: MFLOPs for g = 1, 2, 3, 4, 8 at 1×, 0.5×, 0.25×, with latency",
	"efficientnet_tables2_4.md": "EfficientNet Table 2 (B0–B7 params and FLOPs) and Table 4 (batch-1 single-core latency, speedup)",
	"conv_algorithms.md":        "per-layer convolution algorithms: time, GFLOP/s, % of peak, error, auto's pick",
	"results.md":                "every measured case of the run(s)",
}

func index(o Options, runs []*Run, tables []*Table, figs []FigureResult) string {
	var b strings.Builder
	b.WriteString("# cnnbench report\n\n")
	if o.Command != "" {
		fmt.Fprintf(&b, "Generated by `%s`.\n\n", o.Command)
	}
	fmt.Fprintf(&b, "> %s\n\n", CountingRules)
	b.WriteString("## Inputs\n\n")
	if len(runs) == 0 {
		b.WriteString("None: an accounting-only report (the zoo's exact counts against the papers' reported numbers). " +
			"Measured columns show " + Missing + " and the figures that need measurements are skipped.\n\n")
	}
	for i, r := range runs {
		role := ""
		if i == 0 {
			role = " (primary: its measurements fill the paper tables)"
		}
		fmt.Fprintf(&b, "- **%s**%s: `%s`, %d rows. %s", r.Name, role, r.CSV, len(r.Rows), machineSummary(r))
		if r.LayersFile != "" {
			fmt.Fprintf(&b, " Per-layer results: `%s` (%d rows).", r.LayersFile, len(r.Layers))
		} else {
			b.WriteString(" No per-layer results.")
		}
		b.WriteString("\n")
	}
	if len(runs) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("## Tables\n\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "- [%s](%s): %s\n", t.Title, t.File, tableBlurbs[t.File])
	}
	b.WriteString("\n## Figures\n\n")
	if o.NoFigures {
		b.WriteString("Not drawn (-no-figures).\n")
		return b.String()
	}
	var skipped []FigureResult
	for _, f := range figs {
		if len(f.Files) == 0 {
			skipped = append(skipped, f)
			continue
		}
		fmt.Fprintf(&b, "### %s\n\n", f.Title)
		var links []string
		for _, p := range f.Files {
			links = append(links, fmt.Sprintf("[%s](%s)", strings.ToUpper(strings.TrimPrefix(filepath.Ext(p), ".")), relPath(o.Out, p)))
		}
		fmt.Fprintf(&b, "![%s](%s)\n\n%s\n\n", f.Title, relPath(o.Out, f.Files[0]), strings.Join(links, " · "))
	}
	if len(skipped) > 0 {
		b.WriteString("### Not drawn\n\n")
		for _, f := range skipped {
			fmt.Fprintf(&b, "- %s: %s.\n", f.Title, f.Skipped)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %v", path, werr)
	}
	return nil
}
