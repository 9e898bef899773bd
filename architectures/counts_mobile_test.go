package architectures

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Accounting of the mobile families (MobileNet v1, ShuffleNet v1,
// EfficientNet) against the exact counts of /work/shared/reference
// (paper_reference.csv "derived", osmr/imgclsmob weight_count, torchvision
// num_params and GFLOPS) and against the papers' rounded numbers.

var mobileFamilies = map[string]bool{"MobileNet v1": true, "ShuffleNet v1": true, "EfficientNet": true}

// mobileExact lists params and MACs at the default input of every
// registered variant of the three families, and where each number comes from.
var mobileExact = []struct {
	name         string
	params, macs int64
	source       string
}{
	{"mobilenet_v1_1.0_224", 4231976, 568740352, "CSV derived = osmr mobilenet_w1"},
	{"mobilenet_v1_1.0_192", 4231976, 418121728, "CSV derived"},
	{"mobilenet_v1_1.0_160", 4231976, 290675200, "CSV derived"},
	{"mobilenet_v1_1.0_128", 4231976, 186400768, "CSV derived"},
	{"mobilenet_v1_0.75_224", 2585560, 325400448, "CSV derived = osmr mobilenet_w3d4"},
	{"mobilenet_v1_0.75_192", 2585560, 239273472, "ours (params as 0.75_224)"},
	{"mobilenet_v1_0.75_160", 2585560, 166396800, "ours"},
	{"mobilenet_v1_0.75_128", 2585560, 106770432, "ours"},
	{"mobilenet_v1_0.5_224", 1331592, 149497088, "CSV derived = osmr mobilenet_wd2"},
	{"mobilenet_v1_0.5_192", 1331592, 109970432, "ours"},
	{"mobilenet_v1_0.5_160", 1331592, 76524800, "CSV derived (Table 9 row)"},
	{"mobilenet_v1_0.5_128", 1331592, 49160192, "ours"},
	{"mobilenet_v1_0.25_224", 470072, 41030272, "CSV derived = osmr mobilenet_wd4"},
	{"mobilenet_v1_0.25_192", 470072, 30212608, "ours"},
	{"mobilenet_v1_0.25_160", 470072, 21059200, "ours"},
	{"mobilenet_v1_0.25_128", 470072, 13570048, "ours"},
	{"mobilenet_v1", 4231976, 568740352, "alias of mobilenet_v1_1.0_224"},
	{"mobilenet_v1_conv", 29294088, 4867293184, "ours (Table 4 Conv MobileNet)"},
	{"mobilenet_v1_shallow", 2887976, 307323392, "ours (Table 5 Shallow MobileNet)"},

	{"shufflenet_v1_g1_1.0x", 1531936, 143078976, "CSV derived = osmr shufflenet_g1_w1"},
	{"shufflenet_v1_g2_1.0x", 1733848, 140836512, "CSV derived = osmr shufflenet_g2_w1"},
	{"shufflenet_v1_g3_1.0x", 1865728, 137460672, "CSV derived = osmr shufflenet_g3_w1"},
	{"shufflenet_v1_g4_1.0x", 1968344, 134339776, "CSV derived = osmr shufflenet_g4_w1"},
	{"shufflenet_v1_g8_1.0x", 2434768, 138365952, "CSV derived = osmr shufflenet_g8_w1"},
	{"shufflenet_v1", 1865728, 137460672, "alias of shufflenet_v1_g3_1.0x"},
	{"shufflenet_v1_g1_0.5x", 534484, 38517408, "CSV derived = osmr shufflenet_g1_wd2"},
	{"shufflenet_v1_g3_0.5x", 718324, 37589856, "CSV derived = osmr shufflenet_g3_wd2"},
	{"shufflenet_v1_g1_0.25x", 209746, 11003184, "CSV derived = osmr shufflenet_g1_wd4"},
	{"shufflenet_v1_g3_0.25x", 305902, 11009808, "CSV derived = osmr shufflenet_g3_wd4"},
	{"shufflenet_v1_g3_2.0x", 5450776, 524045184, "CSV derived (Table 5 row)"},
	{"shufflenet_v1_g3_1.5x", 3442168, 292443552, "ours, authors' conv1 24 (CSV's 3443212/299612448 is conv1 36)"},
	{"shufflenet_v1_g8_1.5x", 4269952, 290188800, "ours, authors' conv1 24"},
	{"shufflenet_v1_g8_2.0x", 6522232, 521942016, "ours"},
	{"shufflenet_v1_g1_1.5x", 2993032, 308096352, "ours"},
	{"shufflenet_v1_g1_2.0x", 4918744, 550334592, "ours"},
	{"shufflenet_v1_g2_1.5x", 3270084, 300353232, "ours"},
	{"shufflenet_v1_g2_2.0x", 5257896, 539138624, "ours"},
	{"shufflenet_v1_g4_1.5x", 3570896, 283133472, "ours"},
	{"shufflenet_v1_g4_2.0x", 5593528, 510289536, "ours"},
	// Buildable roundings where g does not divide int(c*s) channels; the
	// CSV's derived counts for these (mobileUnrealisable) are not networks.
	{"shufflenet_v1_g2_0.5x", 643116, 37899504, "ours (bottleneck 24 not 25)"},
	{"shufflenet_v1_g4_0.5x", 776844, 36468448, "ours (bottleneck 32 not 34)"},
	{"shufflenet_v1_g8_0.5x", 1011448, 40469760, "ours (conv1 16 = authors')"},
	{"shufflenet_v1_g2_0.25x", 265318, 10804972, "ours (bottleneck 24 not 25)"},
	{"shufflenet_v1_g4_0.25x", 336088, 11318168, "ours (conv1 8, bottlenecks 16/32)"},
	{"shufflenet_v1_g8_0.25x", 454504, 12426240, "ours (conv1 8)"},

	{"efficientnet_b0", 5288548, 385814752, "torchvision num_params, GFLOPS 0.386"},
	{"efficientnet_b1", 7794184, 686802832, "torchvision num_params, GFLOPS 0.687"},
	{"efficientnet_b2", 9109994, 993561872, "torchvision num_params; CSV derived MACs at 260"},
	{"efficientnet_b3", 12233232, 1827141392, "torchvision num_params, GFLOPS 1.827"},
	{"efficientnet_b4", 19341616, 4393771024, "torchvision num_params, GFLOPS 4.394"},
	{"efficientnet_b5", 30389784, 10266384752, "torchvision num_params, GFLOPS 10.266"},
	{"efficientnet_b6", 43040704, 19067593536, "torchvision num_params, GFLOPS 19.068"},
	{"efficientnet_b7", 66347960, 37745884192, "torchvision num_params, GFLOPS 37.746"},
}

// mobileUnrealisable are the reference CSV's derived params and MACs for the
// ShuffleNet variants whose int(c*s) channels g does not divide; each Note
// must quote them and say why ours differ.
var mobileUnrealisable = map[string][2]int64{
	"shufflenet_v1_g2_0.5x":  {643330, 38082960},
	"shufflenet_v1_g4_0.5x":  {777176, 36760096},
	"shufflenet_v1_g8_0.5x":  {1011172, 38531712},
	"shufflenet_v1_g2_0.25x": {265797, 10907284},
	"shufflenet_v1_g4_0.25x": {336837, 10781912},
	"shufflenet_v1_g8_0.25x": {454408, 11603040},
}

var (
	mobileTotalsMu    sync.Mutex
	mobileTotalsCache = map[string]graph.Totals{}
)

// mobileTotals builds a model at its default input (once) and returns its accounting.
func mobileTotals(t *testing.T, name string) graph.Totals {
	t.Helper()
	mobileTotalsMu.Lock()
	defer mobileTotalsMu.Unlock()
	if tt, ok := mobileTotalsCache[name]; ok {
		return tt
	}
	g, err := Build(name, Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tt := g.Totals()
	mobileTotalsCache[name] = tt
	return tt
}

func TestMobileFamiliesExactParamsAndMACs(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range mobileExact {
		listed[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			tt := mobileTotals(t, c.name)
			if tt.Params != c.params || tt.MACs != c.macs {
				t.Errorf("params %d, MACs %d; want %d, %d (%s)", tt.Params, tt.MACs, c.params, c.macs, c.source)
			}
			if tt.FLOPs() != 2*c.macs {
				t.Errorf("FLOPs %d, want 2·MACs", tt.FLOPs())
			}
		})
	}
	for _, s := range All() {
		if mobileFamilies[s.Family] && !listed[s.Name] {
			t.Errorf("%s (%s) has no exact-count row", s.Name, s.Family)
		}
	}
}

// TestMobileNotesQuoteTheExactCounts keeps every Note truthful: it names the
// variant's exact params and MACs, and for ShuffleNet roundings the CSV's
// unrealisable derived counts it departs from.
func TestMobileNotesQuoteTheExactCounts(t *testing.T) {
	for _, c := range mobileExact {
		s, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int64{c.params, c.macs} {
			if !strings.Contains(s.Note, mobileCommas(n)) {
				t.Errorf("%s: Note does not state %s: %q", c.name, mobileCommas(n), s.Note)
			}
		}
		if d, ok := mobileUnrealisable[c.name]; ok {
			if !strings.Contains(s.Note, mobileCommas(d[0])) || !strings.Contains(s.Note, mobileCommas(d[1])) ||
				!strings.Contains(s.Note, "floor(Cin/g)") {
				t.Errorf("%s: Note does not explain the CSV's derived %d/%d: %q", c.name, d[0], d[1], s.Note)
			}
		}
	}
}

// mobilePaperGaps lists every published number that does not round to our
// exact count, with a phrase its Note must contain to explain it.
var mobilePaperGaps = map[string]map[string]string{
	"mobilenet_v1_1.0_160":   {"macs": "290 million mult-adds"},
	"mobilenet_v1_0.5_160":   {"params": "1.32M equals our count without the BN", "macs": "76 million mult-adds"},
	"mobilenet_v1_conv":      {"macs": "4866 million"},
	"shufflenet_v1_g1_0.25x": {"macs": "13 MFLOPs"},
	"shufflenet_v1_g2_0.25x": {"macs": "13 MFLOPs"},
	"shufflenet_v1_g3_0.25x": {"macs": "13 MFLOPs"},
	"shufflenet_v1_g4_0.25x": {"macs": "13 MFLOPs"},
	"shufflenet_v1_g8_0.25x": {"macs": "13 MFLOPs"},
	"shufflenet_v1_g1_0.5x":  {"macs": "nominal complexity"},
	"shufflenet_v1_g4_0.5x":  {"macs": "nominal complexity"},
	"shufflenet_v1_g8_0.5x":  {"macs": "nominal complexity"},
	"shufflenet_v1_g2_1.0x":  {"macs": "leaves out the final FC layer"},
	"shufflenet_v1_g4_1.0x":  {"macs": "leaves out the final FC layer"},
	"shufflenet_v1_g8_1.0x":  {"macs": "leaves out the final FC layer"},
	"shufflenet_v1_g3_2.0x":  {"params": "FC has no bias"},
	"efficientnet_b1":        {"macs": "0.70B"},
	"efficientnet_b2":        {"params": "9.2M"},
	"efficientnet_b4":        {"macs": "4.2B"},
	"efficientnet_b5":        {"macs": "9.9B"},
	"efficientnet_b7":        {"macs": "37B"},
}

func TestMobilePaperNumbersMatchTheirRoundingOrNoteExplainsGap(t *testing.T) {
	for _, s := range All() {
		if !mobileFamilies[s.Family] || s.AliasOf != "" {
			continue
		}
		tt := mobileTotals(t, s.Name)
		for _, q := range []struct {
			what  string
			r     Reported
			exact int64
		}{{"params", s.PaperParams, tt.Params}, {"macs", s.PaperMACs, tt.MACs}} {
			if q.r.Value == 0 {
				continue
			}
			if q.r.Source == "" || q.r.Precision <= 0 {
				t.Errorf("%s %s: reported %g without source or precision", s.Name, q.what, q.r.Value)
			}
			phrase, known := mobilePaperGaps[s.Name][q.what]
			switch {
			case q.r.Matches(q.exact) && known:
				t.Errorf("%s %s: %d now rounds to the reported %g; drop the gap entry", s.Name, q.what, q.exact, q.r.Value)
			case !q.r.Matches(q.exact) && !known:
				t.Errorf("%s %s: %d does not round to the reported %g±%g (%s) and no gap is recorded",
					s.Name, q.what, q.exact, q.r.Value, q.r.Precision/2, q.r.Source)
			case !q.r.Matches(q.exact) && !strings.Contains(s.Note, phrase):
				t.Errorf("%s %s: Note does not explain the gap (%q): %q", s.Name, q.what, phrase, s.Note)
			}
		}
	}
	for name := range mobilePaperGaps {
		if _, err := Lookup(name); err != nil {
			t.Errorf("gap entry for unknown model: %v", err)
		}
	}
}

// TestMobileNetV1Tables6And7Reproduced checks the width (Table 6) and
// resolution (Table 7) trade-offs: million mult-adds and params as printed.
// All but 1.0-160 round to the paper's digits; 1.0-160's 290.68M is printed
// truncated as 290, within one printed unit.
func TestMobileNetV1Tables6And7Reproduced(t *testing.T) {
	rows := []struct {
		table, name string
		macsM       float64 // million mult-adds as printed
		paramsM     float64 // million params as printed (0.1M digits)
	}{
		{"6", "mobilenet_v1_1.0_224", 569, 4.2},
		{"6", "mobilenet_v1_0.75_224", 325, 2.6},
		{"6", "mobilenet_v1_0.5_224", 149, 1.3},
		{"6", "mobilenet_v1_0.25_224", 41, 0.5},
		{"7", "mobilenet_v1_1.0_224", 569, 4.2},
		{"7", "mobilenet_v1_1.0_192", 418, 4.2},
		{"7", "mobilenet_v1_1.0_160", 290, 4.2},
		{"7", "mobilenet_v1_1.0_128", 186, 4.2},
	}
	for _, r := range rows {
		tt := mobileTotals(t, r.name)
		macs := float64(tt.MACs) / 1e6
		rounded := math.Round(macs)
		if r.name == "mobilenet_v1_1.0_160" {
			rounded = math.Floor(macs)
		}
		if rounded != r.macsM || math.Abs(macs-r.macsM) >= 1 {
			t.Errorf("Table %s %s: %.3f million mult-adds, paper %g", r.table, r.name, macs, r.macsM)
		}
		if p := math.Round(float64(tt.Params)/1e5) / 10; p != r.paramsM {
			t.Errorf("Table %s %s: %.1f million params, paper %g", r.table, r.name, p, r.paramsM)
		}
	}
}

// TestMobileNetV1Tables4And5Ablations checks Conv MobileNet (Table 4: 29.3M
// params, 4866M mult-adds) and Shallow MobileNet (Table 5: 2.9M, 307M).
func TestMobileNetV1Tables4And5Ablations(t *testing.T) {
	conv := mobileTotals(t, "mobilenet_v1_conv")
	if p := math.Round(float64(conv.Params)/1e5) / 10; p != 29.3 {
		t.Errorf("Conv MobileNet: %.1fM params, paper 29.3M", p)
	}
	if rel := math.Abs(float64(conv.MACs)-4866e6) / 4866e6; rel > 5e-4 {
		t.Errorf("Conv MobileNet: %d MACs, %.2g off the paper's 4866M", conv.MACs, rel)
	}
	sep := mobileTotals(t, "mobilenet_v1_1.0_224")
	if ratio := float64(conv.MACs) / float64(sep.MACs); ratio < 8 || ratio > 9 {
		t.Errorf("full/separable mult-adds ratio %.2f, paper 4866/569 = 8.55", ratio)
	}
	sh := mobileTotals(t, "mobilenet_v1_shallow")
	if p, m := math.Round(float64(sh.Params)/1e5)/10, math.Round(float64(sh.MACs)/1e6); p != 2.9 || m != 307 {
		t.Errorf("Shallow MobileNet: %.1fM params, %gM mult-adds; paper 2.9M, 307M", p, m)
	}
}

// TestShuffleNetV1Table1ComplexityExcludesFC reproduces Table 1's per-g
// complexity (143, 140, 137, 133, 137 MFLOPs): the paper leaves out the
// final FC layer.
func TestShuffleNetV1Table1ComplexityExcludesFC(t *testing.T) {
	for g, want := range map[string]float64{"1": 143, "2": 140, "3": 137, "4": 133, "8": 137} {
		name := "shufflenet_v1_g" + g + "_1.0x"
		gr, err := Build(name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var fc int64
		for _, li := range gr.Summary() {
			if li.IsLinear {
				fc += li.Cost.MACs
			}
		}
		if m := math.Round(float64(gr.Totals().MACs-fc) / 1e6); m != want {
			t.Errorf("%s: %gM mult-adds without the FC, Table 1 %g", name, m, want)
		}
	}
}

// TestShuffleNetV1Table5Reproduced: 2x (g=3) 524M and 1.5x (g=3) 292M
// mult-adds, the latter with the authors' 24-channel conv1.
func TestShuffleNetV1Table5Reproduced(t *testing.T) {
	for name, want := range map[string]float64{"shufflenet_v1_g3_2.0x": 524, "shufflenet_v1_g3_1.5x": 292} {
		if m := math.Round(float64(mobileTotals(t, name).MACs) / 1e6); m != want {
			t.Errorf("%s: %gM mult-adds, Table 5 %g", name, m, want)
		}
	}
}

// TestEfficientNetB2At288MatchesTorchvisionGFLOPS: torchvision reports B2's
// GFLOPS 1.088 at its 288 evaluation size; the builder honours -input.
func TestEfficientNetB2At288MatchesTorchvisionGFLOPS(t *testing.T) {
	g, err := Build("efficientnet_b2", Options{Input: tensor.Shape{3, 288, 288}})
	if err != nil {
		t.Fatal(err)
	}
	if m := g.Totals().MACs; m != 1087529456 {
		t.Errorf("B2 at 288: %d MACs, want 1,087,529,456 (torchvision 1.088 GFLOPS)", m)
	}
}

// TestEfficientNetCompoundScalingRules checks the helper against
// torchvision's _make_divisible and the stage depths ceil(d·L).
func TestEfficientNetCompoundScalingRules(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want int
	}{{32, 32}, {16 * 1.1, 16}, {24 * 1.1, 24}, {40 * 1.1, 48}, {320 * 1.1, 352}, {32 * 1.4, 48}, {24 * 1.4, 32}, {3, 8}, {11, 16}} {
		if got := efficientNetDivisible(c.v); got != c.want {
			t.Errorf("_make_divisible(%g, 8) = %d, want %d", c.v, got, c.want)
		}
	}
	// B7 (w 2.0, d 3.1): stage depths 4, 7, 7, 10, 10, 13, 4 → 55 MBConv blocks.
	g, err := Build("efficientnet_b7", Options{Input: tensor.Shape{3, 32, 32}})
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, n := range g.Nodes {
		if strings.HasSuffix(n.Name, ".block.2.scale") || strings.HasSuffix(n.Name, ".block.1.scale") {
			blocks++
		}
	}
	if blocks != 55 {
		t.Errorf("B7 has %d MBConv blocks, want 55", blocks)
	}
}
