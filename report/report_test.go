package report

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rowOf finds the Markdown table line whose first cells match.
func rowOf(t *testing.T, md string, prefix string) []string {
	t.Helper()
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, prefix) {
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			return cells
		}
	}
	t.Fatalf("no table row starting %q in:\n%s", prefix, md)
	return nil
}

func TestVGGTable2ReproducesExactCounts(t *testing.T) {
	tab, err := vggTable()
	if err != nil {
		t.Fatal(err)
	}
	md := tab.Markdown()
	want := map[string][2]string{
		"| A | `vgg11`":         {"133", "132,863,336"},
		"| A-LRN | `vgg11_lrn`": {"133", "132,863,336"},
		"| B | `vgg13`":         {"133", "133,047,848"},
		"| C | `vgg16_c`":       {"134", "133,638,952"},
		"| D | `vgg16`":         {"138", "138,357,544"},
		"| E | `vgg19`":         {"144", "143,667,240"},
	}
	for prefix, w := range want {
		c := rowOf(t, md, prefix)
		if c[2] != w[0] || c[3] != w[1] || c[5] != "✓" {
			t.Errorf("%s: paper %q ours %q match %q; want %s, %s, ✓", prefix, c[2], c[3], c[5], w[0], w[1])
		}
	}
	if !strings.Contains(md, "15,346,630,656") {
		t.Error("VGG table does not explain the 15.3 G quote with the conv-only MACs")
	}
	if !strings.Contains(md, "**Counting rules**") {
		t.Error("table header lacks the counting rules")
	}
}

func TestResNetTable1ExplainsV1AndV15(t *testing.T) {
	tab, err := resnetTable()
	if err != nil {
		t.Fatal(err)
	}
	md := tab.Markdown()
	c := rowOf(t, md, "| ResNet-50 |")
	if c[1] != "3.8" || c[2] != "3,857,973,248" || c[5] != "4,089,184,256" || c[6] != "4.089" || c[7] != "✓" {
		t.Errorf("ResNet-50 row %q", c)
	}
	c = rowOf(t, md, "| ResNet-152 |")
	if c[2] != "11,282,415,616" || c[4] != "✓" {
		t.Errorf("ResNet-152 row %q", c)
	}
	if !strings.Contains(md, "231,211,008") {
		t.Error("the v1 / v1.5 difference is not stated")
	}
}

func TestAlexNetVolumesFromTheGraph(t *testing.T) {
	tab, err := alexnetTable()
	if err != nil {
		t.Fatal(err)
	}
	md := tab.Markdown()
	for _, v := range []string{"227×227×3", "55×55×96", "27×27×96", "27×27×256", "13×13×256", "13×13×384", "6×6×256", "| 4096 |", "| 1000 |"} {
		if !strings.Contains(md, v) {
			t.Errorf("AlexNet table lacks %s", v)
		}
	}
	c := rowOf(t, md, "| CONV2 |")
	if c[5] != "307,456" || c[6] != "223,948,800" || c[7] != "✓" {
		t.Errorf("CONV2 row %q", c)
	}
	if !strings.Contains(md, "**60,965,224**") || !strings.Contains(md, "**724,406,816**") {
		t.Error("AlexNet totals missing")
	}
}

func TestEfficientNetAndDenseNetTables(t *testing.T) {
	m := &measure{}
	tab, err := efficientnetTable(m)
	if err != nil {
		t.Fatal(err)
	}
	md := tab.Markdown()
	c := rowOf(t, md, "| `efficientnet_b0` |")
	if c[3] != "5.3M" || c[4] != "5,288,548" || c[5] != "✓" || c[6] != "0.39B" || c[7] != "0.386" {
		t.Errorf("B0 row %q", c)
	}
	if c := rowOf(t, md, "| **speedup** ResNet-152 / B1"); c[2] != "**5.7×**" || c[4] != "**–**" {
		t.Errorf("speedup row without results %q", c)
	}
	if !strings.Contains(md, "not measured (no results given)") {
		t.Error("missing latency not said")
	}
	tab, err = densenetTable()
	if err != nil {
		t.Fatal(err)
	}
	md = tab.Markdown()
	if c := rowOf(t, md, "| `densenet201` | `resnet101`"); !strings.HasPrefix(c[3], "0.45×") {
		t.Errorf("DenseNet-201 vs ResNet-101 params ratio %q", c[3])
	}
}

// writeRun writes a small synthetic run folder.
func writeRun(t *testing.T, dir, csvText, layers, machine string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "results.csv"), []byte(csvText), 0o644)
	if layers != "" {
		os.WriteFile(filepath.Join(dir, "layers.csv"), []byte(layers), 0o644)
	}
	if machine != "" {
		os.WriteFile(filepath.Join(dir, "results.json"), []byte(machine), 0o644)
	}
}

const synthCSV = `model,infer_img_size,infer_samples_per_sec,infer_step_time,infer_batch_size,param_count,infer_gmacs,infer_macts,algo,kernels,threads,median_ms,p10_ms,p90_ms,runs,gflops_per_s,peak_fraction,top1,top5,dataset,extra_column
resnet152,224,2,500,1,60.19,11.51,,auto,generic,1,500,490,520,5,46,0.5,,,,x
efficientnet_b1,240,10,100,1,7.79,0.687,,auto,generic,1,100,95,110,5,13.7,,,,,y
efficientnet_b1,240,18,55,1,7.79,0.687,,auto,generic,2,55,54,57,5,25,,,,,
mobilenet_v1_1.0_224,224,,,1,,,,im2col,generic,1,40,,,,,,,,,
mobilenet_v1_1.0_224,224,,,1,,,,im2col,generic,2,22,,,,,,,,,
resnet50,224,,,1,,,,auto,generic,1,,,,,,,76.1,92.9,imagenet-val,
`

const synthLayers = `net,layer,algo,kernels,threads,median_ms,gflops_per_s,peak_fraction,max_err,auto_pick
vgg16,features.2,im2col,generic,1,30,123,0.5,1e-6,false
vgg16,features.2,winograd-f4x3,generic,1,15,246,1.0,2e-5,true
vgg16,features.5,im2col,generic,1,20,116,0.47,1e-6,true
`

const synthMachine = `{"schema":"cnnbench.results/1","machine":{"cpu":{"brand":"Test CPU","physical_cores":2},"peaks":[{"kernels":"generic","threads":1,"gflops_per_s":246,"source":"test"}]},"rows":[]}`

func TestReportOnSyntheticRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "run")
	writeRun(t, in, synthCSV, synthLayers, synthMachine)
	out := filepath.Join(dir, "out")
	res, err := Generate(Options{In: []string{in}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tables.md", "alexnet_layers.md", "vgg_table2.md", "resnet_table1.md", "densenet.md",
		"mobilenet_tables4_6_7.md", "shufflenet_table2.md", "efficientnet_tables2_4.md", "conv_algorithms.md", "results.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing table file %s", f)
		}
	}
	drawn := map[string]bool{}
	for _, f := range res.Figures {
		if len(f.Files) == 0 {
			continue
		}
		drawn[f.Name] = true
		for _, p := range f.Files {
			if strings.HasSuffix(p, ".png") {
				fh, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(fh)
				fh.Close()
				if err != nil {
					t.Errorf("%s does not decode: %v", p, err)
				} else if b := img.Bounds(); b.Dx() != 1200 || b.Dy() < 800 {
					t.Errorf("%s is %dx%d, want 1200x800", p, b.Dx(), b.Dy())
				}
			} else if _, err := os.Stat(p); err != nil {
				t.Error(err)
			}
		}
	}
	for _, want := range []string{"accuracy_vs_macs", "efficientnet_accuracy", "latency_vs_macs", "layer_algorithms_vgg16", "roofline", "thread_scaling"} {
		if !drawn[want] {
			t.Errorf("figure %s not drawn", want)
		}
	}
	if drawn["cross_machine"] {
		t.Error("cross-machine chart drawn from one run")
	}
	idx, _ := os.ReadFile(filepath.Join(out, "tables.md"))
	if !strings.Contains(string(idx), "needs two -in result folders") {
		t.Error("the index does not say why the cross-machine chart is missing")
	}

	eff, _ := os.ReadFile(filepath.Join(out, "efficientnet_tables2_4.md"))
	if c := rowOf(t, string(eff), "| **speedup** ResNet-152 / B1"); c[4] != "**5.0×**" {
		t.Errorf("measured speedup %q, want 5.0× (500 ms / 100 ms)", c[4])
	}
	if c := rowOf(t, string(eff), "| EfficientNet-B7"); c[4] != "not measured" {
		t.Errorf("B7 latency %q, want not measured", c[4])
	}
	mob, _ := os.ReadFile(filepath.Join(out, "mobilenet_tables4_6_7.md"))
	c := rowOf(t, string(mob), "| `mobilenet_v1_1.0_224` | MobileNet |")
	if c[9] != "40.00 (im2col)" || c[10] != "22.00 (im2col)" {
		t.Errorf("MobileNet latency cells %q %q", c[9], c[10])
	}
	if c := rowOf(t, string(mob), "| `mobilenet_v1_conv` |"); c[9] != Missing {
		t.Errorf("unmeasured latency shows %q, want %s", c[9], Missing)
	}
	results, _ := os.ReadFile(filepath.Join(out, "results.md"))
	c = rowOf(t, string(results), "| efficientnet_b1 | 240 | 1 |")
	if c[10] != Missing || c[11] != Missing {
		t.Errorf("missing peak_fraction/top1 render as %q %q, want %s", c[10], c[11], Missing)
	}
	c = rowOf(t, string(results), "| resnet50 | 224 | 1 |")
	if c[11] != "76.10" || c[13] != "imagenet-val" {
		t.Errorf("measured accuracy row %q", c)
	}
	algos, _ := os.ReadFile(filepath.Join(out, "conv_algorithms.md"))
	c = rowOf(t, string(algos), "| vgg16 | features.2 | winograd-f4x3 |")
	if c[9] != "✓" || c[10] != "★" {
		t.Errorf("winograd row %q: want auto ✓ and fastest ★", c)
	}
}

func TestTwoRunsDrawTheCrossMachineChart(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writeRun(t, a, synthCSV, "", "")
	writeRun(t, b, strings.ReplaceAll(synthCSV, ",500,", ",250,"), "", "")
	res, err := Generate(Options{In: []string{a, b}, Out: filepath.Join(dir, "out"), Figures: filepath.Join(dir, "fig")})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Figures {
		if f.Name == "cross_machine" && len(f.Files) != 2 {
			t.Errorf("cross-machine chart not drawn: %s", f.Skipped)
		}
		if f.Name == "roofline" && len(f.Files) != 0 {
			t.Error("roofline drawn without per-layer results")
		}
	}
	algos, _ := os.ReadFile(filepath.Join(dir, "out", "conv_algorithms.md"))
	if !strings.Contains(string(algos), "No per-layer results in this run") {
		t.Error("conv_algorithms.md does not say there are no per-layer results")
	}
}

func TestReferenceReportNeedsNoResults(t *testing.T) {
	dir := t.TempDir()
	res, err := Generate(Options{Reference: true, Out: dir, NoFigures: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 9 {
		t.Errorf("%d tables", len(res.Tables))
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	noModel := filepath.Join(dir, "nomodel")
	writeRun(t, noModel, "name,median_ms\nresnet50,3\n", "", "")
	badNum := filepath.Join(dir, "badnum")
	writeRun(t, badNum, "model,median_ms\nresnet50,fast\n", "", "")
	empty := filepath.Join(dir, "empty")
	writeRun(t, empty, "", "", "")
	badJSON := filepath.Join(dir, "badjson")
	writeRun(t, badJSON, synthCSV, "", "{not json")
	badLayers := filepath.Join(dir, "badlayers")
	writeRun(t, badLayers, synthCSV, "net,algo\nvgg16,im2col\n", "")
	out := filepath.Join(dir, "out")
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Out: out}, "give -in"},
		{Options{In: []string{filepath.Join(dir, "nope")}, Out: out}, "no such file"},
		{Options{In: []string{dir}, Out: out}, "no results.csv"},
		{Options{In: []string{noModel}, Out: out}, `no "model" column`},
		{Options{In: []string{badNum}, Out: out}, `column median_ms: "fast" is not a number`},
		{Options{In: []string{empty}, Out: out}, "empty file"},
		{Options{In: []string{badJSON}, Out: out}, "not valid JSON"},
		{Options{In: []string{badLayers}, Out: out}, "need the columns net (or model), layer and algo"},
	}
	for _, c := range cases {
		_, err := Generate(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.o.In, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("bad input still created the output folder")
	}
}

func TestMissingCellsAreMissing(t *testing.T) {
	r := NewRow(map[string]string{"a": "", "b": "NaN", "c": "–", "d": "1.5", "e": "224x224"})
	for _, k := range []string{"a", "b", "c", "zz"} {
		if _, ok := r.Float(k); ok {
			t.Errorf("%s parsed as a number", k)
		}
	}
	if v, ok := r.Float("d"); !ok || v != 1.5 {
		t.Error("d")
	}
	if v, ok := r.Int("e"); !ok || v != 224 {
		t.Error("e")
	}
	if floatCell(r, "a") != Missing || floatCell(r, "zz") != Missing {
		t.Error("missing cells must render as –")
	}
}
