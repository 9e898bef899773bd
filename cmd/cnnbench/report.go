package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cnnbench/cnnbench/report"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty value")
	}
	*m = append(*m, v)
	return nil
}

func runReport(args []string, stdout io.Writer) error {
	fs := newFlags("report", "-in DIR [-in DIR2 ...] -out DIR [-figures DIR] [-format md]\n"+
		"       cnnbench report -reference -out DIR [-figures DIR]   (accounting only, no results)\n\n"+
		"Writes the paper tables (paper value, ours, difference, reason), the results and per-layer algorithm\n"+
		"tables as Markdown with an index (tables.md), and the figures as PNG + SVG. The first -in is the\n"+
		"primary run; a second -in adds the cross-machine chart.", stdout)
	var in multiFlag
	fs.Var(&in, "in", "results folder written by 'cnnbench bench' (results.csv [+ results.json, layers.csv]) or a results CSV; repeatable")
	out := fs.String("out", "", "folder for the Markdown tables and the index tables.md")
	figures := fs.String("figures", "", "folder for the PNG and SVG figures (default: <out>/figures)")
	format := fs.String("format", "md", "table format: md (Markdown)")
	reference := fs.Bool("reference", false, "accounting-only report without results: the zoo's exact counts against the papers")
	peak := fs.Float64("peak-gflops", 0, "FMA peak in GFLOP/s for the roofline and algorithm charts (default: from the machine record)")
	bw := fs.Float64("bandwidth-gbs", 0, "memory bandwidth in GB/s for the roofline (default: from the machine record)")
	noFig := fs.Bool("no-figures", false, "write the tables only")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "md" {
		return usageError{fmt.Errorf("-format %q: only md (Markdown) is supported", *format)}
	}
	switch {
	case len(in) == 0 && !*reference:
		return usageError{fmt.Errorf("-in DIR is required (a results folder from 'cnnbench bench'), or -reference for an accounting-only report")}
	case len(in) > 0 && *reference:
		return usageError{fmt.Errorf("-reference is an accounting-only report: do not combine it with -in")}
	case *out == "":
		return usageError{fmt.Errorf("-out DIR is required")}
	case *peak < 0 || *bw < 0:
		return usageError{fmt.Errorf("-peak-gflops and -bandwidth-gbs must be positive")}
	}
	cmd := "cnnbench report"
	for _, d := range in {
		cmd += " -in " + d
	}
	if *reference {
		cmd += " -reference"
	}
	cmd += " -out " + *out
	if *figures != "" {
		cmd += " -figures " + *figures
	}
	res, err := report.Generate(report.Options{In: in, Reference: *reference, Out: *out, Figures: *figures,
		PeakGFLOPS: *peak, BandwidthGBs: *bw, NoFigures: *noFig, Command: cmd})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tables:  %s (index) and %d table files in %s\n", res.Index, len(res.Tables), *out)
	for _, f := range res.Figures {
		if len(f.Files) > 0 {
			fmt.Fprintf(stdout, "figure:  %s\n", strings.Join(f.Files, ", "))
		}
	}
	for _, f := range res.Figures {
		if len(f.Files) == 0 {
			fmt.Fprintf(stdout, "skipped: %s: %s\n", f.Name, f.Skipped)
		}
	}
	return nil
}
