package architectures

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// classicFamilies are the families of lenet.go, alexnet.go, vgg.go,
// resnet.go and densenet.go.
var classicFamilies = map[string]bool{"LeNet-5": true, "AlexNet": true, "VGG": true, "ResNet": true,
	"ResNet-CIFAR": true, "DenseNet": true, "DenseNet-CIFAR": true}

// classicCounts are the exact trainable params and MACs (conv + linear,
// DESIGN.md §4) at the default input: derived numbers and torchvision's
// num_params/GFLOPS from shared/reference/paper_reference.{csv,md},
// cross-checked by counting the PyTorch definitions (torchvision and
// scripts/torchref) with forward hooks.
//
// gap names the paper values (PaperParams, PaperMACs) that the exact count
// does not reproduce at their printed precision; the Note must explain each.
var classicCounts = []struct {
	name   string
	params int64
	macs   int64
	gap    string // "", "params", "macs" or "params,macs"
}{
	{"lenet5", 61706, 416520, "params"},
	{"lenet5_paper", 60000, 325680, ""},
	{"alexnet", 61100840, 714188480, ""},
	{"alexnet_paper", 60965224, 724406816, "params,macs"},
	{"vgg11", 132863336, 7609090048, ""},
	{"vgg11_lrn", 132863336, 7609090048, ""},
	{"vgg13", 133047848, 11308466176, ""},
	{"vgg16_c", 133638952, 11770888192, ""},
	{"vgg16", 138357544, 15470264320, ""},
	{"vgg19", 143667240, 19632062464, ""},
	{"vgg11_bn", 132868840, 7609090048, ""},
	{"vgg13_bn", 133053736, 11308466176, ""},
	{"vgg16_bn", 138365992, 15470264320, ""},
	{"vgg19_bn", 143678248, 19632062464, ""},
	{"resnet18", 11689512, 1814073344, ""},
	{"resnet34", 21797672, 3663761408, "macs"},
	{"resnet50", 25557032, 4089184256, "macs"},
	{"resnet101", 44549160, 7801405440, "macs"},
	{"resnet152", 60192808, 11513626624, "macs"},
	{"resnet50_v1", 25557032, 3857973248, "macs"},
	{"resnet101_v1", 44549160, 7570194432, ""},
	{"resnet152_v1", 60192808, 11282415616, ""},
	{"resnet20", 269722, 40551040, ""},
	{"resnet32", 464154, 68862592, ""},
	{"resnet44", 658586, 97174144, ""},
	{"resnet56", 853018, 125485696, ""},
	{"resnet110", 1727962, 252887680, ""},
	{"densenet121", 7978856, 2834161664, ""},
	{"densenet169", 14149480, 3359843328, ""},
	{"densenet201", 20013928, 4291365888, ""},
	{"densenet264", 33337704, 5751653376, "params,macs"},
	{"densenet_bc_100_12", 769162, 287929692, ""},
}

// classicAliases are the VGG paper's configuration letters.
var classicAliases = map[string]string{"vgg_a": "vgg11", "vgg_a_lrn": "vgg11_lrn", "vgg_b": "vgg13",
	"vgg_c": "vgg16_c", "vgg_d": "vgg16", "vgg_e": "vgg19"}

// classicCommas formats n with thousands separators, as the Notes print
// exact counts.
func classicCommas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestClassicCountsMatchReference proves every classic variant has exactly
// the reference params and MACs at its default input, that every paper value
// either rounds to the exact count at its printed precision or is a known,
// explained gap (the Note quotes the exact count), and that the table covers
// every registered classic variant.
func TestClassicCountsMatchReference(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range classicCounts {
		listed[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			s, err := Lookup(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if !classicFamilies[s.Family] {
				t.Errorf("family %q is not a classic family", s.Family)
			}
			if _, ok := familyOrder[s.Family]; !ok {
				t.Errorf("family %q not in the registry's familyOrder", s.Family)
			}
			g, err := Build(c.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tot := g.Totals()
			if tot.Params != c.params {
				t.Errorf("params %d, want %d", tot.Params, c.params)
			}
			if tot.MACs != c.macs {
				t.Errorf("MACs %d, want %d", tot.MACs, c.macs)
			}
			out := g.Output.Shape
			if !out.Equal(tensor.Shape{1, s.Classes}) {
				t.Errorf("output %v, want [1 %d]", out, s.Classes)
			}
			for _, r := range []struct {
				what  string
				rep   Reported
				exact int64
			}{{"params", s.PaperParams, tot.Params}, {"macs", s.PaperMACs, tot.MACs}} {
				if r.rep.Value == 0 {
					continue
				}
				if r.rep.Precision <= 0 || r.rep.Source == "" {
					t.Errorf("paper %s %g: precision %g, source %q", r.what, r.rep.Value, r.rep.Precision, r.rep.Source)
				}
				gap := strings.Contains(c.gap, r.what)
				if m := r.rep.Matches(r.exact); m == gap {
					t.Errorf("paper %s %g (±%g) vs exact %d: matches=%v, table expects gap=%v",
						r.what, r.rep.Value, r.rep.Precision/2, r.exact, m, gap)
				}
				if gap && !strings.Contains(s.Note, classicCommas(r.exact)) {
					t.Errorf("paper %s %g differs from exact %d but the Note does not explain it (no %s in %q)",
						r.what, r.rep.Value, r.exact, classicCommas(r.exact), s.Note)
				}
			}
			if s.Note == "" {
				t.Error("no Note")
			}
		})
	}
	for _, s := range All() {
		if !classicFamilies[s.Family] {
			continue
		}
		if s.AliasOf != "" {
			if classicAliases[s.Name] != s.AliasOf {
				t.Errorf("alias %s → %s, want → %q", s.Name, s.AliasOf, classicAliases[s.Name])
			}
			continue
		}
		if !listed[s.Name] {
			t.Errorf("registered %s (%s) has no expected counts in classicCounts", s.Name, s.Family)
		}
	}
}

// TestVGGAliasesBuildTheirTargets proves vgg_a..vgg_e are the paper's
// configuration letters for the registered variants, with the same counts.
func TestVGGAliasesBuildTheirTargets(t *testing.T) {
	want := map[string][2]int64{}
	for _, c := range classicCounts {
		want[c.name] = [2]int64{c.params, c.macs}
	}
	for alias, target := range classicAliases {
		a, err := Lookup(alias)
		if err != nil {
			t.Fatal(err)
		}
		if a.AliasOf != target {
			t.Errorf("%s is an alias of %q, want %q", alias, a.AliasOf, target)
		}
		g, err := Build(alias, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if tot := g.Totals(); [2]int64{tot.Params, tot.MACs} != want[target] {
			t.Errorf("%s: %d params, %d MACs; %s has %v", alias, tot.Params, tot.MACs, target, want[target])
		}
	}
}

// TestAlexNetPaperLayerVolumes proves alexnet_paper reproduces the paper's
// per-layer volumes (CS231n's 227-input listing: 55x55x96 → 27x27x96 →
// 27x27x256 → 13x13x256 → 13x13x384 → 13x13x384 → 13x13x256 → 6x6x256 → 4096
// → 4096 → 1000) and the derived per-layer params and MACs of the two-GPU net.
func TestAlexNetPaperLayerVolumes(t *testing.T) {
	g, err := Build("alexnet_paper", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		node         string
		shape        tensor.Shape
		params, macs int64
	}{
		{"features.0", tensor.Shape{1, 96, 55, 55}, 34944, 105415200},    // conv1
		{"features.3", tensor.Shape{1, 96, 27, 27}, 0, 0},                // max pool 1 (after LRN 1)
		{"features.4", tensor.Shape{1, 256, 27, 27}, 307456, 223948800},  // conv2, 2 groups
		{"features.7", tensor.Shape{1, 256, 13, 13}, 0, 0},               // max pool 2 (after LRN 2)
		{"features.8", tensor.Shape{1, 384, 13, 13}, 885120, 149520384},  // conv3, all maps
		{"features.10", tensor.Shape{1, 384, 13, 13}, 663936, 112140288}, // conv4, 2 groups
		{"features.12", tensor.Shape{1, 256, 13, 13}, 442624, 74760192},  // conv5, 2 groups
		{"features.14", tensor.Shape{1, 256, 6, 6}, 0, 0},                // max pool 3
		{"classifier.1", tensor.Shape{1, 4096}, 37752832, 37748736},      // FC6
		{"classifier.4", tensor.Shape{1, 4096}, 16781312, 16777216},      // FC7
		{"classifier.6", tensor.Shape{1, 1000}, 4097000, 4096000},        // FC8
	}
	rows := map[string]int{}
	sum := g.Summary()
	for i, li := range sum {
		rows[li.Name] = i
	}
	for _, w := range want {
		i, ok := rows[w.node]
		if !ok {
			t.Errorf("no layer %s", w.node)
			continue
		}
		li := sum[i]
		if !li.Shape.Equal(w.shape) || li.Params != w.params || li.Cost.MACs != w.macs {
			t.Errorf("%s (%s): %v, %d params, %d MACs; want %v, %d, %d",
				w.node, li.Type, li.Shape, li.Params, li.Cost.MACs, w.shape, w.params, w.macs)
		}
	}
	for _, n := range []string{"features.2", "features.6"} {
		if i, ok := rows[n]; !ok || sum[i].Type != "LRN" {
			t.Errorf("%s is not the paper's LRN", n)
		}
	}
}

// TestLeNet5PaperLayerParams proves lenet5_paper has the paper's per-layer
// trainable parameters (Sec. II.B: C1 156, S2 12, C3 1,516, S4 32, C5
// 48,120, F6 10,164, output 0 with 840 fixed RBF weights) and counts only the
// 60 connected C3 map pairs as MACs.
func TestLeNet5PaperLayerParams(t *testing.T) {
	g, err := Build("lenet5_paper", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]int64{ // params, buffers, MACs
		"c1": {156, 0, 117600}, "s2": {12, 0, 0}, "c3": {1516, 0, 150000}, "s4": {32, 0, 0},
		"c5": {48120, 0, 48000}, "f6": {10164, 0, 10080}, "output": {0, 840, 0},
	}
	seen := 0
	for _, li := range g.Summary() {
		w, ok := want[li.Name]
		if !ok {
			continue
		}
		seen++
		if got := [3]int64{li.Params, li.Buffers, li.Cost.MACs}; got != w {
			t.Errorf("%s (%s): params, buffers, MACs = %v, want %v", li.Name, li.Type, got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the paper's %d layers", seen, len(want))
	}
	pairs := 0
	for _, ins := range lenetC3Table {
		pairs += len(ins)
	}
	if pairs != 60 {
		t.Errorf("Table I has %d connections, want 60", pairs)
	}
}

// TestResNetCIFARDepthIs6nPlus2 proves the CIFAR ResNets have 6n+2 weighted
// layers (convs and the fc; option A shortcuts have none).
func TestResNetCIFARDepthIs6nPlus2(t *testing.T) {
	for name, n := range map[string]int{"resnet20": 3, "resnet32": 5, "resnet44": 7, "resnet56": 9, "resnet110": 18} {
		g, err := Build(name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		layers, shortcuts := 0, 0
		for _, li := range g.Summary() {
			if li.IsConv || li.IsLinear {
				layers++
			}
			if li.Type == "ShortcutA" {
				shortcuts++
			}
		}
		if layers != 6*n+2 || shortcuts != 2 {
			t.Errorf("%s: %d weighted layers and %d option A shortcuts, want %d and 2", name, layers, shortcuts, 6*n+2)
		}
	}
}
