package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/tensorio"
)

// runExport writes the deterministic weights (and optionally an input) that
// 'infer' generates from seeds, so that other frameworks can load exactly
// the same model; scripts/goldens.py uses it.
func runExport(args []string, stdout io.Writer) error {
	fs := newFlags("export", "-model M [-input CxHxW] [-seed N] [-weights-out F.safetensors] [-input-seed N] [-batch B] [-input-out X.npy]", stdout)
	model := fs.String("model", "", "model name (see 'cnnbench models')")
	input := fs.String("input", "", "input shape CxHxW (default: the model's)")
	classes := fs.Int("classes", 0, "number of classes (default: the model's)")
	seed := fs.Uint64("seed", 1, "weight seed (as infer's -weight-seed)")
	inputSeed := fs.Uint64("input-seed", 2, "input seed (as infer's -seed)")
	batch := fs.Int("batch", 1, "batch size of the exported input")
	wOut := fs.String("weights-out", "", "write the weights here (safetensors, torchvision keys)")
	xOut := fs.String("input-out", "", "write the input here (.npy)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *wOut == "" && *xOut == "" {
		return usageError{fmt.Errorf("nothing to do: give -weights-out and/or -input-out")}
	}
	if *batch < 1 {
		return usageError{fmt.Errorf("-batch %d: want ≥ 1", *batch)}
	}
	g, err := buildModel(*model, *input, *classes)
	if err != nil {
		return err
	}
	if *wOut != "" {
		g.Init(*seed)
		var named []tensorio.Named
		for _, e := range g.State() {
			named = append(named, tensorio.Named{Name: e.Key, T: e.T})
		}
		meta := map[string]string{"model": g.Name, "input": g.InputShape().Dims(),
			"seed": strconv.FormatUint(*seed, 10), "generator": "cnnbench export"}
		if err := tensorio.WriteSafetensors(*wOut, named, meta); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d tensors written to %s\n", g.Name, len(named), *wOut)
	}
	if *xOut != "" {
		x := architectures.RandomInput(*inputSeed, *batch, g.InputShape())
		if err := tensorio.WriteNPY(*xOut, x); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: input %v written to %s\n", g.Name, x.Shape, *xOut)
	}
	return nil
}
