package report

import (
	"fmt"
	"sync"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/graph"
)

// account is a model's spec and exact accounting at its default input.
type account struct {
	Spec   architectures.Spec
	Totals graph.Totals
}

var (
	acctMu    sync.Mutex
	acctCache = map[string]*account{}
)

// acct builds a zoo model once and returns its accounting.
func acct(model string) (*account, error) {
	acctMu.Lock()
	defer acctMu.Unlock()
	if a, ok := acctCache[model]; ok {
		return a, nil
	}
	s, err := architectures.Lookup(model)
	if err != nil {
		return nil, err
	}
	g, err := architectures.Build(model, architectures.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", model, err)
	}
	a := &account{Spec: s, Totals: g.Totals()}
	acctCache[model] = a
	return a, nil
}

// accts is acct for several models.
func accts(models ...string) (map[string]*account, error) {
	out := make(map[string]*account, len(models))
	for _, m := range models {
		a, err := acct(m)
		if err != nil {
			return nil, err
		}
		out[m] = a
	}
	return out, nil
}

// family of a zoo model, "" when unknown.
func family(model string) string {
	s, err := architectures.Lookup(model)
	if err != nil {
		return ""
	}
	return s.Family
}

// resolution is the default input height of a zoo model (0 when unknown).
func resolution(model string) int {
	s, err := architectures.Lookup(model)
	if err != nil || len(s.Input) != 3 {
		return 0
	}
	return s.Input[1]
}

// convLayer is one conv or linear layer's geometry, for intensities.
type convLayer struct {
	In, Out      []int // shapes at batch 1 (N first)
	Params, MACs int64
	Type         string
}

var (
	layerMu    sync.Mutex
	layerCache = map[string]map[string]convLayer{}
)

// layersOf returns the conv and linear layers of a zoo model by layer name.
func layersOf(model string) (map[string]convLayer, error) {
	layerMu.Lock()
	defer layerMu.Unlock()
	if m, ok := layerCache[model]; ok {
		return m, nil
	}
	g, err := architectures.Build(model, architectures.Options{})
	if err != nil {
		return nil, err
	}
	m := map[string]convLayer{}
	for _, n := range g.Nodes[1:] {
		switch n.Layer.Type() {
		case "Conv2D", "Dense":
		default:
			continue
		}
		var in []int
		if len(n.Inputs) > 0 {
			in = append(in, n.Inputs[0].Shape...)
		}
		m[n.Name] = convLayer{In: in, Out: append([]int(nil), n.Shape...), Type: n.Layer.Type()}
	}
	for _, li := range g.Summary() {
		if c, ok := m[li.Name]; ok {
			c.Params, c.MACs = li.Params, li.Cost.MACs
			m[li.Name] = c
		}
	}
	layerCache[model] = m
	return m, nil
}
