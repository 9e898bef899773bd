package architectures

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Options adjusts a model as it is built. Zero values mean the variant's
// defaults.
type Options struct {
	// Input overrides the input shape (C, H, W); only H and W may differ
	// from the default, and only for models that allow it.
	Input tensor.Shape
	// Classes overrides the number of output classes.
	Classes int
}

// Reported is a number as a paper (or library) prints it: Value with the
// precision of its printed digits (e.g. 138e6 printed as "138M" has
// Precision 1e6). Zero Value means not reported.
type Reported struct {
	Value     float64
	Precision float64
	Source    string
}

// Matches reports whether exact rounds to the reported value at its precision.
func (r Reported) Matches(exact int64) bool {
	if r.Value == 0 {
		return false
	}
	p := r.Precision
	if p == 0 {
		p = 1
	}
	d := float64(exact) - r.Value
	return d >= -p/2 && d < p/2
}

// Spec describes one registered variant.
type Spec struct {
	Name    string
	Family  string // "LeNet-5", "AlexNet", "VGG", "ResNet", "ResNet-CIFAR", "DenseNet", "DenseNet-CIFAR", "MobileNet v1", "ShuffleNet v1", "EfficientNet", "Fashion-MNIST"
	AliasOf string // non-empty for aliases (vgg_a → vgg11)
	Input   tensor.Shape
	Classes int
	// FixedInput is set for models whose head only fits the default input
	// (no adaptive pooling before a dense layer).
	FixedInput bool
	// Torchvision names the torchvision builder with the same architecture
	// and state-dict keys ("" when torchvision lacks the model).
	Torchvision string
	// PaperParams and PaperMACs are the paper's (or, where it reports none,
	// torchvision's) numbers; Note explains variant and counting differences.
	PaperParams, PaperMACs Reported
	Note                   string
	// Build constructs the graph for resolved options (Input and Classes set).
	Build func(o Options) (*graph.Graph, error)
}

var (
	mu    sync.RWMutex
	specs = map[string]*Spec{}
	order []string
)

// Register adds a variant; a duplicate name is a programming error.
func Register(s Spec) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := specs[s.Name]; dup {
		panic("architectures.Register: duplicate model " + s.Name)
	}
	if s.AliasOf == "" && (s.Build == nil || len(s.Input) != 3 || s.Classes < 1) {
		panic("architectures.Register: incomplete spec " + s.Name)
	}
	specs[s.Name] = &s
	order = append(order, s.Name)
}

// Alias registers name as another name for target.
func Alias(name, target string) {
	mu.RLock()
	t, ok := specs[target]
	mu.RUnlock()
	if !ok {
		panic("architectures.Alias: unknown target " + target)
	}
	a := *t
	a.Name, a.AliasOf = name, target
	Register(a)
}

// Lookup returns the spec registered under name.
func Lookup(name string) (Spec, error) {
	mu.RLock()
	defer mu.RUnlock()
	if s, ok := specs[name]; ok {
		return *s, nil
	}
	return Spec{}, fmt.Errorf("unknown model %q (see 'cnnbench models'%s)", name, suggest(name))
}

func suggest(name string) string {
	var close []string
	for _, n := range order {
		if strings.HasPrefix(n, name) || strings.HasPrefix(name, n) {
			close = append(close, n)
		}
	}
	if len(close) == 0 || len(close) > 6 {
		return ""
	}
	return "; did you mean " + strings.Join(close, ", ") + "?"
}

var familyOrder = map[string]int{"LeNet-5": 0, "AlexNet": 1, "VGG": 2, "ResNet": 3, "ResNet-CIFAR": 4,
	"DenseNet": 5, "DenseNet-CIFAR": 6, "MobileNet v1": 7, "ShuffleNet v1": 8, "EfficientNet": 9,
	FashionMNISTFamily: 10}

// All lists every spec, aliases included, by family then registration order.
func All() []Spec {
	mu.RLock()
	defer mu.RUnlock()
	idx := map[string]int{}
	out := make([]Spec, 0, len(order))
	for i, n := range order {
		idx[n] = i
		out = append(out, *specs[n])
	}
	sort.SliceStable(out, func(i, j int) bool {
		fi, fj := familyOrder[out[i].Family], familyOrder[out[j].Family]
		if fi != fj {
			return fi < fj
		}
		return idx[out[i].Name] < idx[out[j].Name]
	})
	return out
}

// Build constructs the named model with options, checking the overrides.
func Build(name string, o Options) (*graph.Graph, error) {
	s, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if o.Input == nil {
		o.Input = s.Input.Clone()
	} else {
		if len(o.Input) != 3 || o.Input[0] != s.Input[0] {
			return nil, fmt.Errorf("%s: input %s: want %dxHxW", name, o.Input.Dims(), s.Input[0])
		}
		if s.FixedInput && !o.Input.Equal(s.Input) {
			return nil, fmt.Errorf("%s: input is fixed at %s by its classifier", name, s.Input.Dims())
		}
	}
	if o.Classes == 0 {
		o.Classes = s.Classes
	}
	if o.Classes < 1 {
		return nil, fmt.Errorf("%s: %d classes", name, o.Classes)
	}
	g, err := s.Build(o)
	if err != nil {
		return nil, err
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	g.Name = name
	return g, nil
}

// RandomInput returns a batch of n deterministic pseudo-random inputs,
// uniform in [-1, 1), for the given sample shape.
func RandomInput(seed uint64, n int, sample tensor.Shape) *tensor.Tensor {
	t := tensor.New(append(tensor.Shape{n}, sample...)...)
	r := rand.New(rand.NewPCG(seed, 0x696e707574)) // "input"
	for i := range t.Data {
		t.Data[i] = float32(2*r.Float64() - 1)
	}
	return t
}
