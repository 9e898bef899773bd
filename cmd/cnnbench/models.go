package main

import (
	"io"

	"github.com/cnnbench/cnnbench/architectures"
)

func runModels(args []string, stdout io.Writer) error {
	fs := newFlags("models", "[-format table|csv|json] [-family F]", stdout)
	format := fs.String("format", "table", "output format: table, csv or json")
	family := fs.String("family", "", "only this family (e.g. ResNet)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	t := &table{header: []string{"model", "family", "input", "params", "macs", "flops", "activations",
		"paper_params", "paper_macs", "alias_of"}}
	for _, s := range architectures.All() {
		if *family != "" && s.Family != *family {
			continue
		}
		g, err := architectures.Build(s.Name, architectures.Options{})
		if err != nil {
			return err
		}
		tot := g.Totals()
		t.add(s.Name, s.Family, s.Input.Dims(), tot.Params, tot.MACs, tot.FLOPs(), tot.Activations,
			reported(s.PaperParams.Value), reported(s.PaperMACs.Value), orNil(s.AliasOf))
	}
	return t.write(stdout, *format)
}

func reported(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
