package cnnbench_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/suite"
)

// EnvBench widens (or narrows) the model benchmarks: unset or "quick" is
// the small default set; "full" is every seed architecture at its paper
// resolution × every algorithm × every kernel set × 1 and all threads; a
// comma-separated list of models runs those at paper resolution.
const EnvBench = "CNNBENCH_BENCH"

// quickNets are the default: one of each kind of network, at inputs small
// enough that every algorithm finishes a pass in milliseconds.
var quickNets = []struct{ model, input string }{
	{"lenet5", ""},
	{"resnet20", ""},
	{"resnet50", "3x64x64"},
	{"mobilenet_v1", "3x64x64"},
	{"efficientnet_b0", "3x64x64"},
}

// fullNets are the seed architectures at their paper resolutions.
var fullNets = []string{"lenet5", "alexnet", "vgg16", "resnet18", "resnet50", "resnet152", "densenet121",
	"mobilenet_v1", "shufflenet_v1", "efficientnet_b0", "efficientnet_b1"}

// benchAlgos are the registered algorithms except naive (the float64
// oracle: minutes per pass on a real model, and not a contender).
func benchAlgos() []string {
	var out []string
	for _, a := range conv.Names() {
		if a != "naive" {
			out = append(out, a)
		}
	}
	return out
}

// modelCases is the matrix BenchmarkModel runs, from $CNNBENCH_BENCH.
func modelCases() ([]suite.Case, error) {
	mode := strings.TrimSpace(os.Getenv(EnvBench))
	active := []string{kernels.Active().Name}
	one := []int{1}
	var out []suite.Case
	add := func(models []string, input string, ks []string, threads []int) error {
		cs, err := suite.Matrix{Models: models, Input: input, Batches: one, Threads: threads,
			Algos: benchAlgos(), Kernels: ks}.Cases()
		out = append(out, cs...)
		return err
	}
	switch mode {
	case "", "quick":
		for _, n := range quickNets {
			if err := add([]string{n.model}, n.input, active, one); err != nil {
				return nil, err
			}
		}
	case "full":
		threads := suite.Dedup([]int{1, runtime.GOMAXPROCS(0)})
		if err := add(fullNets, "", kernels.Available(), threads); err != nil {
			return nil, err
		}
	default:
		models, err := suite.ResolveModels(mode)
		if err != nil {
			return nil, fmt.Errorf("$%s: %v", EnvBench, err)
		}
		if err := add(models, "", active, one); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BenchmarkModel times whole models, one sub-benchmark per case, named
// net=…/input=…/algo=…/kernels=…/batch=…/threads=… (DESIGN.md §7), and
// reports img/s and GFLOP/s (2·MACs per image, nominal direct-convolution
// work). Building the model, its weights and the first (plan-building)
// pass happen before timing. An algorithm that supports none of a model's
// convolutions is skipped, not timed as its fallback.
func BenchmarkModel(b *testing.B) {
	cases, err := modelCases()
	if err != nil {
		b.Fatal(err)
	}
	if prev, err := kernels.Current(); err == nil {
		defer kernels.Select(prev.Name)
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("net=%s/input=%s/algo=%s/kernels=%s/batch=%d/threads=%d",
			c.Model, c.Input, c.Algo, c.Kernels, c.Batch, c.Threads), func(b *testing.B) {
			s, err := suite.Open(c, 1)
			if err != nil {
				b.Skip(err)
			}
			if err := s.Pass(); err != nil {
				b.Fatal(err)
			}
			if why := s.Unsupported(); why != "" {
				b.Skip(why)
			}
			for b.Loop() {
				if err := s.Pass(); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N*c.Batch)/sec, "img/s")
			b.ReportMetric(s.FLOPs*float64(b.N)/sec/1e9, "GFLOP/s")
		})
	}
}

// TestModelCasesExistAndAreBounded: the default set names real models and
// stays small; the full set covers every seed family.
func TestModelCasesExistAndAreBounded(t *testing.T) {
	t.Setenv(EnvBench, "")
	cs, err := modelCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 || len(cs) > 60 {
		t.Fatalf("%d default cases, want a bounded, non-empty set", len(cs))
	}
	for _, c := range cs {
		if s, _ := architectures.Lookup(c.Model); c.Input != s.Input.Dims() && !strings.HasSuffix(c.Input, "x64x64") {
			t.Errorf("default case %s is not at a small input", c.Key())
		}
	}
	t.Setenv(EnvBench, "full")
	full, err := modelCases()
	if err != nil {
		t.Fatal(err)
	}
	fams := map[string]bool{}
	for _, c := range full {
		s, _ := architectures.Lookup(c.Model)
		fams[s.Family] = true
	}
	for _, f := range []string{"LeNet-5", "AlexNet", "VGG", "ResNet", "DenseNet", "MobileNet v1", "ShuffleNet v1", "EfficientNet"} {
		if !fams[f] {
			t.Errorf("full set lacks family %s", f)
		}
	}
	t.Setenv(EnvBench, "resnet9000")
	if _, err := modelCases(); err == nil || !strings.Contains(err.Error(), EnvBench) {
		t.Errorf("bad $%s: %v", EnvBench, err)
	}
}
