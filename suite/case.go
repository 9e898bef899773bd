package suite

import (
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Case is one benchmark: a model at an input resolution, batch size and
// thread count, with a convolution algorithm and a kernel set. Every field
// is concrete (Input is the resolved CxHxW, Kernels a real set name), so the
// Key of a case does not depend on defaults that might change.
type Case struct {
	Model   string
	Input   string // CxHxW of one sample
	Batch   int
	Threads int
	Algo    string // a registered conv algorithm ("auto" once registered)
	Kernels string // generic, avx2, avx512
}

// Key names the case uniquely; resumed runs and compare match on it. It
// uses the key=value scheme of the Go benchmark names (DESIGN.md §7).
func (c Case) Key() string {
	return fmt.Sprintf("model=%s/input=%s/batch=%d/threads=%d/algo=%s/kernels=%s",
		c.Model, c.Input, c.Batch, c.Threads, c.Algo, c.Kernels)
}

// String is a short human label for progress lines.
func (c Case) String() string {
	return fmt.Sprintf("%s %s batch=%d threads=%d %s/%s", c.Model, c.Input, c.Batch, c.Threads, c.Algo, c.Kernels)
}

// Matrix is a cross product of choices; Cases expands it in a fixed order
// (model, input, batch, kernels, algo, threads), so that cases of one
// model run together and small batches before large ones.
type Matrix struct {
	Models  []string
	Input   string // CxHxW override for every model; "" = each model's own
	Batches []int
	Threads []int
	Algos   []string
	Kernels []string
}

// Cases expands the matrix. Models must exist (see ResolveModels); the
// input override is applied per model, keeping each model's channel count
// when the override gives only HxW.
func (m Matrix) Cases() ([]Case, error) {
	var out []Case
	for _, name := range m.Models {
		spec, err := architectures.Lookup(name)
		if err != nil {
			return nil, err
		}
		in := spec.Input.Dims()
		if m.Input != "" {
			in, err = ResolveInput(spec, m.Input)
			if err != nil {
				return nil, err
			}
		}
		for _, b := range m.Batches {
			for _, k := range m.Kernels {
				for _, a := range m.Algos {
					for _, t := range m.Threads {
						out = append(out, Case{Model: name, Input: in, Batch: b, Threads: t, Algo: a, Kernels: k})
					}
				}
			}
		}
	}
	return out, nil
}

// ResolveInput turns an -input override (CxHxW, or HxW meaning the model's
// channels) into CxHxW for one model. It does not check that the model
// accepts it: a model that cannot run at that size is a skipped case, not a
// usage error.
func ResolveInput(spec architectures.Spec, override string) (string, error) {
	s, err := tensor.ParseDims(override)
	if err != nil {
		return "", fmt.Errorf("-input: %v", err)
	}
	switch len(s) {
	case 2:
		s = tensor.Shape{spec.Input[0], s[0], s[1]}
	case 3:
	default:
		return "", fmt.Errorf("-input %q: want CxHxW or HxW", override)
	}
	return s.Dims(), nil
}

// Dedup removes repeated values, keeping the first of each.
func Dedup[T comparable](xs []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// SplitList splits a comma-separated flag value, trimming spaces; an empty
// element is an error naming the flag.
func SplitList(flag, v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("%s: empty list", flag)
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("%s %q: empty element", flag, v)
		}
		out = append(out, p)
	}
	return Dedup(out), nil
}

// ParseInts reads a list of positive integers ("1,2,4"). Words: "max" is
// GOMAXPROCS, and for threads "all" is 1..GOMAXPROCS.
func ParseInts(flag, v string, words bool) ([]int, error) {
	items, err := SplitList(flag, v)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, it := range items {
		if words {
			switch it {
			case "max":
				out = append(out, runtime.GOMAXPROCS(0))
				continue
			case "all":
				for t := 1; t <= runtime.GOMAXPROCS(0); t++ {
					out = append(out, t)
				}
				continue
			}
		}
		n, err := strconv.Atoi(it)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s %q: %q is not a positive integer", flag, v, it)
		}
		out = append(out, n)
	}
	return Dedup(out), nil
}

// ResolveModels expands a -models value: "all" (every variant, aliases
// excluded), names, and shell patterns such as "resnet*" (path.Match).
// Unknown names and patterns matching nothing are errors.
func ResolveModels(v string) ([]string, error) {
	items, err := SplitList("-models", v)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, s := range architectures.All() {
		if s.AliasOf == "" {
			all = append(all, s.Name)
		}
	}
	var out []string
	for _, it := range items {
		switch {
		case it == "all":
			out = append(out, all...)
		case strings.ContainsAny(it, "*?["):
			n := len(out)
			for _, name := range all {
				if ok, err := path.Match(it, name); err != nil {
					return nil, fmt.Errorf("-models: bad pattern %q: %v", it, err)
				} else if ok {
					out = append(out, name)
				}
			}
			if len(out) == n {
				return nil, fmt.Errorf("-models: pattern %q matches no model (see 'cnnbench models')", it)
			}
		default:
			if _, err := architectures.Lookup(it); err != nil {
				return nil, err
			}
			out = append(out, it)
		}
	}
	return Dedup(out), nil
}

// AutoAlgo is the name of the per-layer automatic algorithm choice.
const AutoAlgo = "auto"

// BestAlgo is the algorithm a default run uses: "auto" when registered,
// otherwise im2col.
func BestAlgo() string {
	if _, err := conv.Lookup(AutoAlgo); err == nil {
		return AutoAlgo
	}
	return "im2col"
}

// ResolveAlgos expands an -algos value: "all" (every registered algorithm),
// "auto" (the automatic choice, or im2col while none is registered: note
// says so) and registered names. Unknown names are errors listing the
// registered ones, so algorithms added later need no change here.
func ResolveAlgos(v string) (algos []string, note string, err error) {
	items, err := SplitList("-algos", v)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		switch it {
		case "all":
			algos = append(algos, conv.Names()...)
		case AutoAlgo:
			if b := BestAlgo(); b != AutoAlgo {
				note = "no 'auto' algorithm is registered in this build: using " + b
				algos = append(algos, b)
			} else {
				algos = append(algos, AutoAlgo)
			}
		default:
			if _, err := conv.Lookup(it); err != nil {
				return nil, "", err
			}
			algos = append(algos, it)
		}
	}
	return Dedup(algos), note, nil
}

// ResolveKernels expands a -kernels value: "auto" (the best set this CPU
// runs), "all" (every set available here) and set names. A set this CPU or
// build lacks is an error saying what is missing.
func ResolveKernels(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		v = "auto"
	}
	items, err := SplitList("-kernels", v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		switch it {
		case "auto":
			out = append(out, kernels.Best().Name)
		case "all":
			out = append(out, kernels.Available()...)
		default:
			s, err := kernels.Lookup(it)
			if err != nil {
				return nil, fmt.Errorf("-kernels: %w", err)
			}
			out = append(out, s.Name)
		}
	}
	return Dedup(out), nil
}
