package main

import (
	"fmt"
	"io"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

func runSummary(args []string, stdout io.Writer) error {
	fs := newFlags("summary", "-model M [-input CxHxW] [-classes K] [-format table|csv|json]", stdout)
	model := fs.String("model", "", "model name (see 'cnnbench models')")
	input := fs.String("input", "", "input shape CxHxW (default: the model's)")
	classes := fs.Int("classes", 0, "number of classes (default: the model's)")
	format := fs.String("format", "table", "output format: table, csv or json")
	algo := fs.String("algo", "", "show the convolution algorithm each layer would run with this choice (e.g. auto); preparing plans may tune")
	threads := fs.Int("threads", 0, "threads the choice is made for (0: all cores)")
	tune := addTuneFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if *algo != "" {
		if _, err := conv.Lookup(*algo); err != nil {
			return usageError{err}
		}
	}
	if err := tune.apply(*threads); err != nil {
		return err
	}
	g, err := buildModel(*model, *input, *classes)
	if err != nil {
		return err
	}
	if err := tune.applyPlan(g); err != nil {
		return err
	}
	if *algo != "" || *tune.plan != "" {
		pf, err := g.ResolvePlan(&ops.Context{Algo: *algo, Threads: *threads})
		if err != nil {
			return err
		}
		if *tune.savePlan != "" {
			if err := graph.WritePlanFile(*tune.savePlan, pf); err != nil {
				return err
			}
		}
	}
	t := &table{header: []string{"layer", "type", "output_shape", "params", "macs", "other_ops", "algo"}}
	for _, li := range g.Summary() {
		t.add(li.Name, li.Type, li.Shape.Dims(), li.Params, li.Cost.MACs, li.Cost.OtherOps, orNil(li.Algo))
	}
	tot := g.Totals()
	if *format == "table" {
		t.add("total", "", "", tot.Params, tot.MACs, tot.OtherOps, nil)
	}
	if err := t.write(stdout, *format); err != nil {
		return err
	}
	if *format == "table" {
		fmt.Fprintf(stdout, "\n%s, input %s: params %s (+%s buffers), MACs %s (FLOPs = 2·MACs = %s), activations %s\n",
			g.Name, g.InputShape().Dims(), commas(tot.Params), commas(tot.Buffers), commas(tot.MACs),
			commas(tot.FLOPs()), commas(tot.Activations))
		fmt.Fprintln(stdout, "params: trainable (BN running stats are buffers); MACs: conv+linear multiply-accumulates, padding taps in, bias out; other_ops: BN, activations, pooling, adds (DESIGN.md §4)")
	}
	return nil
}

// buildModel builds a model by name with an optional CxHxW input override.
func buildModel(name, input string, classes int) (*graph.Graph, error) {
	if name == "" {
		return nil, usageError{fmt.Errorf("-model is required (see 'cnnbench models')")}
	}
	var o architectures.Options
	if input != "" {
		s, err := tensor.ParseDims(input)
		if err != nil {
			return nil, usageError{fmt.Errorf("-input: %v", err)}
		}
		o.Input = s
	}
	o.Classes = classes
	return architectures.Build(name, o)
}
