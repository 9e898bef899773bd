package main

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
	"github.com/cnnbench/cnnbench/engine/tensorio"
)

// cli runs one command in-process and returns its exit status and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestBadInputGivesOneLineErrorAndNonZeroExit(t *testing.T) {
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.safetensors")
	os.WriteFile(trunc, []byte{1, 2, 3}, 0o644)
	badNPY := filepath.Join(dir, "bad.npy")
	os.WriteFile(badNPY, []byte("not numpy at all"), 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no-command", nil, 2, ""},
		{"unknown-command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown-flag", []string{"models", "-bogus"}, 2, "flag provided but not defined"},
		{"bad-format", []string{"models", "-format", "xml"}, 2, "want table, csv or json"},
		{"stray-argument", []string{"models", "extra"}, 2, "unexpected argument"},
		{"missing-model-flag", []string{"summary"}, 2, "-model is required"},
		{"unknown-model", []string{"summary", "-model", "resnet9000"}, 1, `unknown model "resnet9000"`},
		{"bad-input-shape", []string{"summary", "-model", "resnet18", "-input", "3xAx224"}, 2, "not a positive integer"},
		{"wrong-input-channels", []string{"summary", "-model", "resnet18", "-input", "1x224x224"}, 1, "want 3xHxW"},
		{"input-too-small", []string{"summary", "-model", "vgg11", "-input", "3x16x16"}, 1, "larger than"},
		{"fixed-input", []string{"summary", "-model", "alexnet_paper", "-input", "3x224x224"}, 1, "fixed at 3x227x227"},
		{"unknown-algo", []string{"infer", "-model", "lenet5", "-algo", "fft"}, 2, "unknown convolution algorithm"},
		{"unknown-kernels", []string{"infer", "-model", "lenet5", "-kernels", "neon"}, 2, "unknown kernel set"},
		{"missing-weights-file", []string{"infer", "-model", "lenet5", "-weights", filepath.Join(dir, "nope.safetensors")}, 1, "nope.safetensors"},
		{"truncated-weights", []string{"infer", "-model", "lenet5", "-weights", trunc}, 1, "trunc.safetensors"},
		{"missing-input-file", []string{"infer", "-model", "lenet5", "-input", filepath.Join(dir, "nope.npy")}, 1, "nope.npy"},
		{"bad-npy-header", []string{"infer", "-model", "lenet5", "-input", badNPY}, 1, "bad.npy"},
		{"bad-batch", []string{"infer", "-model", "lenet5", "-batch", "0"}, 2, "-batch 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := cli(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if c.want != "" && !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q does not mention %q", stderr, c.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 || strings.Contains(stderr, "goroutine") {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, c := range commands {
		if code, out, _ := cli(t, c.name, "-h"); code != 0 || !strings.Contains(out, "usage: cnnbench "+c.name) {
			t.Errorf("%s -h: exit %d, output %q", c.name, code, out)
		}
	}
}

// TestModelsListsEveryDesignVariant proves `models -format csv` lists every
// name DESIGN.md §3 requires, with the contract's columns.
func TestModelsListsEveryDesignVariant(t *testing.T) {
	code, out, stderr := cli(t, "models", "-format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := "model,family,input,params,macs,flops,activations,paper_params,paper_macs"
	if got := strings.Join(recs[0], ","); !strings.HasPrefix(got, want) {
		t.Fatalf("header %q, want prefix %q", got, want)
	}
	have := map[string]bool{}
	for _, r := range recs[1:] {
		have[r[0]] = true
		if r[3] == "" || r[3] == "0" {
			t.Errorf("%s: no params", r[0])
		}
	}
	names := []string{"lenet5", "lenet5_paper", "alexnet", "alexnet_paper",
		"vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
		"vgg_a", "vgg_a_lrn", "vgg_b", "vgg_c", "vgg_d", "vgg_e",
		"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnet50_v1", "resnet101_v1", "resnet152_v1",
		"resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
		"densenet121", "densenet169", "densenet201", "densenet264", "densenet_bc_100_12",
		"mobilenet_v1", "shufflenet_v1"}
	for _, w := range []string{"1.0", "0.75", "0.5", "0.25"} {
		for _, r := range []string{"224", "192", "160", "128"} {
			names = append(names, "mobilenet_v1_"+w+"_"+r)
		}
	}
	for _, g := range []string{"1", "2", "3", "4", "8"} {
		for _, s := range []string{"0.25", "0.5", "1.0", "1.5", "2.0"} {
			names = append(names, "shufflenet_v1_g"+g+"_"+s+"x")
		}
	}
	for i := 0; i <= 7; i++ {
		names = append(names, "efficientnet_b"+string(rune('0'+i)))
	}
	for _, n := range names {
		if !have[n] {
			t.Errorf("models does not list %s", n)
		}
	}
}

func TestSummaryTotalsMatchModels(t *testing.T) {
	code, out, stderr := cli(t, "summary", "-model", "resnet50", "-format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, _ := csv.NewReader(strings.NewReader(out)).ReadAll()
	var params, macs int64
	for _, r := range recs[1:] {
		params += atoi(t, r[3])
		macs += atoi(t, r[4])
	}
	if params != 25557032 || macs != 4089184256 {
		t.Errorf("resnet50 summary sums to %d params, %d MACs; want 25557032, 4089184256", params, macs)
	}
}

func atoi(t *testing.T, s string) int64 {
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not an integer: %q", s)
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

// TestExportThenInferReproducesLogits proves weights exported to safetensors
// and an input exported to .npy reproduce infer's own seeded run exactly.
func TestExportThenInferReproducesLogits(t *testing.T) {
	dir := t.TempDir()
	w, x := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "x.npy")
	y1, y2 := filepath.Join(dir, "y1.npy"), filepath.Join(dir, "y2.npy")
	if code, _, e := cli(t, "export", "-model", "lenet5", "-seed", "7", "-input-seed", "9", "-weights-out", w, "-input-out", x); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := cli(t, "infer", "-model", "lenet5", "-weight-seed", "7", "-seed", "9", "-out", y1); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := cli(t, "infer", "-model", "lenet5", "-weights", w, "-input", x, "-out", y2); code != 0 {
		t.Fatal(e)
	}
	a, err := tensorio.ReadNPY(y1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tensorio.ReadNPY(y2)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Shape.Equal(tensor.Shape{1, 10}) || !b.Shape.Equal(a.Shape) {
		t.Fatalf("shapes %v %v", a.Shape, b.Shape)
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("logit %d: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
}

// TestBadWeightsAreNamed proves a weight file with a missing, misshaped,
// extra or non-finite tensor is refused with the tensor's name.
func TestBadWeightsAreNamed(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "w.safetensors")
	if code, _, e := cli(t, "export", "-model", "lenet5", "-weights-out", good); code != 0 {
		t.Fatal(e)
	}
	named, _, err := tensorio.ReadSafetensors(good)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(name string, f func([]tensorio.Named) []tensorio.Named) string {
		cp := make([]tensorio.Named, len(named))
		for i, n := range named {
			cp[i] = tensorio.Named{Name: n.Name, T: n.T.Clone()}
		}
		p := filepath.Join(dir, name+".safetensors")
		if err := tensorio.WriteSafetensors(p, f(cp), nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := named[0].Name
	cases := map[string]struct {
		path string
		want []string
	}{
		"missing": {mutate("missing", func(n []tensorio.Named) []tensorio.Named { return n[1:] }),
			[]string{"missing tensor", first}},
		"misshaped": {mutate("misshaped", func(n []tensorio.Named) []tensorio.Named {
			n[0].T = tensor.New(1, 2, 3)
			return n
		}), []string{first, "[1 2 3]", "want"}},
		"extra": {mutate("extra", func(n []tensorio.Named) []tensorio.Named {
			return append(n, tensorio.Named{Name: "head.extra", T: tensor.New(2)})
		}), []string{"unexpected tensor", "head.extra"}},
		"nan": {mutate("nan", func(n []tensorio.Named) []tensorio.Named {
			n[0].T.Data[5] = float32(math.NaN())
			return n
		}), []string{first, "NaN", "index 5"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := cli(t, "infer", "-model", "lenet5", "-weights", c.path)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
		})
	}
}
