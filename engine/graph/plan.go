package graph

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/ops"
)

// PlanFile is a per-layer choice of convolution algorithm, as `auto` made it
// or as a user edited it: JSON a person can read, diff and change.
type PlanFile struct {
	Model  string      `json:"model"`
	Input  string      `json:"input"`
	Layers []LayerPlan `json:"layers"`
}

// LayerPlan is one convolution's choice. Problem is informational (the
// shape the choice was made for); Algo is what runs.
type LayerPlan struct {
	Layer   string `json:"layer"`
	Algo    string `json:"algo"`
	Problem string `json:"problem,omitempty"`
}

// ResolvePlan prepares every convolution for one sample with ctx's choices
// (running auto's tuning where asked) and returns the concrete per-layer
// algorithms: applying the result reproduces the choice without tuning.
func (g *Graph) ResolvePlan(ctx *ops.Context) (PlanFile, error) {
	pf := PlanFile{Model: g.Name, Input: g.InputShape().Dims()}
	for _, n := range g.Nodes[1:] {
		c, ok := n.Layer.(*ops.Conv2D)
		if !ok {
			continue
		}
		in := n.Inputs[0].Shape
		used, err := c.Resolve(ctx, in)
		if err != nil {
			return PlanFile{}, fmt.Errorf("%s: layer %s: %w", g.Name, n.Name, err)
		}
		if _, chosen, ok := strings.Cut(used, ":"); ok {
			used = chosen
		}
		pf.Layers = append(pf.Layers, LayerPlan{Layer: n.Name, Algo: used, Problem: c.Problem(in).String()})
	}
	return pf, nil
}

// ApplyPlan sets each listed layer's algorithm. Unknown layers, layers that
// are not convolutions and unknown algorithms are errors; layers the file
// does not list keep the context's choice.
func (g *Graph) ApplyPlan(pf PlanFile) error {
	byName := map[string]*Node{}
	for _, n := range g.Nodes[1:] {
		byName[n.Name] = n
	}
	for _, lp := range pf.Layers {
		n, ok := byName[lp.Layer]
		if !ok {
			return fmt.Errorf("plan: %s has no layer %q", g.Name, lp.Layer)
		}
		c, ok := n.Layer.(*ops.Conv2D)
		if !ok {
			return fmt.Errorf("plan: layer %q is a %s, not a convolution", lp.Layer, n.Layer.Type())
		}
		if _, err := conv.Lookup(lp.Algo); err != nil {
			return fmt.Errorf("plan: layer %q: %w", lp.Layer, err)
		}
		c.Algo = lp.Algo
		c.Reset()
	}
	return nil
}

// ReadPlanFile reads a plan written by WritePlanFile (or by hand).
func ReadPlanFile(path string) (PlanFile, error) {
	var pf PlanFile
	data, err := os.ReadFile(path)
	if err != nil {
		return pf, err
	}
	if err := json.Unmarshal(data, &pf); err != nil {
		return pf, fmt.Errorf("%s: not a plan file: %v", path, err)
	}
	return pf, nil
}

// WritePlanFile writes pf as indented JSON.
func WritePlanFile(path string, pf PlanFile) error {
	data, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
