package conv

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// Helpers shared by the pointwise, depthwise and direct tests, and the
// grouped-convolution coverage test.

// depthwise2d is a square depthwise layer (channel multiplier 1, batch 1)
// with PyTorch's "same" padding k/2.
func depthwise2d(c, hw, k, stride int) Params {
	p := conv2d(1, c, hw, hw, c, k, stride, k/2)
	p.Groups = c
	return p
}

// grouped2d returns p with g groups.
func grouped2d(p Params, g int) Params {
	p.Groups = g
	return p
}

// planFunc adapts a plan constructor (e.g. one with a fixed number of
// workspace slots) to the Algorithm interface for runPlan.
type planFunc struct {
	name string
	plan func(p Params, w, b []float32) (Plan, error)
}

func (a planFunc) Name() string                                { return a.name }
func (a planFunc) Plan(p Params, w, b []float32) (Plan, error) { return a.plan(p, w, b) }

// kernelSets returns every kernel set this CPU can run, by name.
func kernelSets(t testing.TB) map[string]*kernels.Set {
	m := map[string]*kernels.Set{}
	for _, name := range kernels.Names() {
		s, err := kernels.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = s
	}
	return m
}

// sortedNames returns the keys of m in order, so that test output and seeds
// are stable.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkShapes runs checkAlgorithmAgainstNaive on every shape as a subtest and
// returns the worst normalised error and the shape it came from.
func checkShapes(t *testing.T, a Algorithm, shapes map[string]Params) (worst float64, where string) {
	t.Helper()
	for i, name := range sortedNames(shapes) {
		t.Run(name, func(t *testing.T) {
			if e := checkAlgorithmAgainstNaive(t, a, shapes[name], uint64(100+i)); e > worst {
				worst, where = e, name
			}
		})
	}
	return worst, where
}

// checkInvariance checks that threads 1, 2 and 3 give bitwise identical
// outputs (each run with NaN-prefilled, guard-banded buffers).
func checkInvariance(t *testing.T, a Algorithm, p Params) {
	t.Helper()
	in, w, bias := randomOperands(p, 11)
	ref, ok := runPlan(t, a, p, in, w, bias, 1)
	if !ok {
		return
	}
	for _, threads := range []int{2, 3} {
		got, _ := runPlan(t, a, p, in, w, bias, threads)
		if !bitwiseEqual(got, ref) {
			t.Fatalf("%s %s: threads=%d differs from threads=1", a.Name(), p, threads)
		}
	}
}

// wantUnsupported checks that a refuses p with ErrUnsupported and a message
// naming the constraint.
func wantUnsupported(t *testing.T, a Algorithm, p Params, constraint string) {
	t.Helper()
	w := make([]float32, p.WeightLen())
	_, err := a.Plan(p, w, nil)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), constraint) {
		t.Fatalf("%s.Plan(%s) = %v, want ErrUnsupported naming %q", a.Name(), p, err, constraint)
	}
}

// TestGroupedConvolutionCoverage checks that every grouped layer of the zoo
// has a fast path besides im2col — pointwise for ShuffleNet's grouped 1×1
// (g = 2, 3, 4, 8), depthwise for its 3×3 depthwise layers, direct (as well
// as im2col, one GEMM per group) for AlexNet's two-GPU grouped 5×5 and 3×3 —
// and that each of them matches naive there.
func TestGroupedConvolutionCoverage(t *testing.T) {
	s := func(full, small int) int {
		if testing.Short() {
			return small
		}
		return full
	}
	type layer struct {
		p    Params
		algo string
	}
	layers := map[string]layer{
		// ShuffleNet v1 1.0x stage 2, grouped 1×1 (channels per group as in
		// Table 1 of the paper: 144/200/240/272/384 output channels for
		// g = 1/2/3/4/8, bottleneck a quarter of that).
		"shufflenet_v1_g2-stage2.1.conv1": {grouped2d(conv2d(1, 200, s(28, 14), s(28, 14), 50, 1, 1, 0), 2), "pointwise"},
		"shufflenet_v1_g3-stage2.1.conv1": {grouped2d(conv2d(1, 240, s(28, 14), s(28, 14), 60, 1, 1, 0), 3), "pointwise"},
		"shufflenet_v1_g3-stage2.1.conv3": {grouped2d(conv2d(1, 60, s(28, 14), s(28, 14), 240, 1, 1, 0), 3), "pointwise"},
		"shufflenet_v1_g4-stage2.1.conv1": {grouped2d(conv2d(1, 272, s(28, 14), s(28, 14), 68, 1, 1, 0), 4), "pointwise"},
		"shufflenet_v1_g8-stage2.1.conv1": {grouped2d(conv2d(1, 384, s(28, 14), s(28, 14), 96, 1, 1, 0), 8), "pointwise"},
		"shufflenet_v1_g8-stage4.1.conv3": {grouped2d(conv2d(1, s(384, 96), 7, 7, s(1536, 384), 1, 1, 0), 8), "pointwise"},
		"shufflenet_v1_g3-stage2.0.conv2": {depthwise2d(60, s(56, 20), 3, 2), "depthwise"},
		"shufflenet_v1_g3-stage3.1.conv2": {depthwise2d(120, 14, 3, 1), "depthwise"},
		// AlexNet (paper, two GPUs): conv2 5×5 96→256 and conv4/conv5 3×3 at 13×13, 2 groups.
		"alexnet_paper-features.4":  {grouped2d(conv2d(1, s(96, 24), 27, 27, s(256, 32), 5, 1, 2), 2), "direct"},
		"alexnet_paper-features.10": {grouped2d(conv2d(1, s(384, 64), 13, 13, s(384, 64), 3, 1, 1), 2), "direct"},
		"alexnet_paper-features.12": {grouped2d(conv2d(1, s(384, 64), 13, 13, s(256, 32), 3, 1, 1), 2), "direct"},
	}
	for _, name := range sortedNames(layers) {
		l := layers[name]
		for _, algo := range []string{l.algo, "im2col"} {
			t.Run(fmt.Sprintf("%s/%s", algo, name), func(t *testing.T) {
				a, err := Lookup(algo)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := a.Plan(l.p, make([]float32, l.p.WeightLen()), nil); err != nil {
					t.Fatalf("%s does not take %s: %v", algo, l.p, err)
				}
				checkAlgorithmAgainstNaive(t, a, l.p, 5)
			})
		}
	}
}
