package conv

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Algorithm is one way of computing a convolution.
type Algorithm interface {
	// Name is the registered name, e.g. "im2col".
	Name() string
	// Plan checks that the algorithm supports p and prepares the weights
	// (OIHW, p.WeightLen() elements) and optional bias (Cout elements or nil)
	// for repeated Forward calls. Unsupported shapes give an error wrapping
	// ErrUnsupported. The plan may keep references to weights and bias.
	Plan(p Params, weights, bias []float32) (Plan, error)
}

// Plan is a prepared convolution for one Params.
type Plan interface {
	// Forward computes out = conv(in) + bias. in holds p.InLen() elements,
	// out p.OutLen(); every element of out is written. ws must hold at least
	// Workspace() elements (it may be nil when Workspace is 0). threads ≤ 0
	// means GOMAXPROCS. The result does not depend on threads.
	Forward(out, in, ws []float32, threads int)
	// Workspace is the scratch size Forward needs, in float32 elements.
	Workspace() int
	// Params is the problem the plan was made for.
	Params() Params
}

var (
	regMu    sync.RWMutex
	registry = map[string]Algorithm{}
)

// Register adds an algorithm; registering a name twice is a programming error.
func Register(a Algorithm) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[a.Name()]; dup {
		panic("conv.Register: duplicate algorithm " + a.Name())
	}
	registry[a.Name()] = a
}

// Lookup returns the algorithm registered under name.
func Lookup(name string) (Algorithm, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	if a, ok := registry[name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("unknown convolution algorithm %q (have %s)", name, strings.Join(namesLocked(), ", "))
}

// Names lists the registered algorithms, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// checkPlanArgs validates the common Plan arguments.
func checkPlanArgs(p Params, weights, bias []float32) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(weights) != p.WeightLen() {
		return fmt.Errorf("conv: %d weights, want %d for %s", len(weights), p.WeightLen(), p)
	}
	if bias != nil && len(bias) != p.Cout {
		return fmt.Errorf("conv: %d biases, want %d", len(bias), p.Cout)
	}
	return nil
}

// checkForwardArgs panics on buffer sizes that only a programming error can cause.
func checkForwardArgs(name string, p Params, out, in, ws []float32, need int) {
	if len(in) < p.InLen() || len(out) < p.OutLen() || len(ws) < need {
		panic(fmt.Sprintf("conv.%s.Forward: buffers in=%d out=%d ws=%d, want %d %d %d for %s",
			name, len(in), len(out), len(ws), p.InLen(), p.OutLen(), need, p))
	}
}
