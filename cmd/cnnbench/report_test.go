package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small synthetic run: timm's columns first, ours after, one extra column
// the report must ignore, and empty cells it must show as missing.
const reportCSV = `model,infer_img_size,infer_samples_per_sec,infer_step_time,infer_batch_size,param_count,infer_gmacs,infer_macts,algo,kernels,threads,median_ms,p10_ms,p90_ms,runs,gflops_per_s,peak_fraction,top1,top5,dataset,status
resnet152,224,2,500,1,60.19,11.51,,auto,generic,1,500,490,520,5,46,,,,,ok
efficientnet_b1,240,10,100,1,7.79,0.687,,auto,generic,1,100,95,110,5,13.7,,,,,ok
efficientnet_b1,240,18,55,1,7.79,0.687,,auto,generic,2,55,54,57,5,25,,,,,ok
shufflenet_v1_g3_1.0x,224,50,20,1,1.87,0.137,,auto,generic,1,20,19,21,5,13.7,,,,,ok
vgg19,224,,,1,,,,winograd-f4x3,generic,2,,,,,,,,,,dropped
`

func TestReportWritesTablesAndFigures(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "run")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "results.csv"), []byte(reportCSV), 0o644)
	out := filepath.Join(dir, "tables")
	figs := filepath.Join(dir, "figs")
	code, stdout, stderr := cli(t, "report", "-in", in, "-out", out, "-figures", figs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"tables.md", "alexnet_layers.md", "vgg_table2.md", "resnet_table1.md", "densenet.md",
		"mobilenet_tables4_6_7.md", "shufflenet_table2.md", "efficientnet_tables2_4.md", "conv_algorithms.md", "results.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("no %s", f)
		}
	}
	// Figures whose data exist are drawn and decode; the others are
	// skipped with a reason, never drawn empty.
	for _, f := range []string{"accuracy_vs_macs", "efficientnet_accuracy", "latency_vs_macs", "thread_scaling"} {
		fh, err := os.Open(filepath.Join(figs, f+".png"))
		if err != nil {
			t.Errorf("figure %s: %v", f, err)
			continue
		}
		if _, err := png.Decode(fh); err != nil {
			t.Errorf("%s.png: %v", f, err)
		}
		fh.Close()
		if _, err := os.Stat(filepath.Join(figs, f+".svg")); err != nil {
			t.Errorf("figure %s has no SVG", f)
		}
	}
	for _, f := range []string{"roofline", "cross_machine"} {
		if _, err := os.Stat(filepath.Join(figs, f+".png")); err == nil {
			t.Errorf("%s drawn without its data", f)
		}
		if !strings.Contains(stdout, "skipped: "+f) {
			t.Errorf("stdout does not say %s was skipped:\n%s", f, stdout)
		}
	}
	vgg, _ := os.ReadFile(filepath.Join(out, "vgg_table2.md"))
	if !strings.Contains(string(vgg), "| D | `vgg16` | 138 | 138,357,544 |") {
		t.Errorf("VGG D row wrong:\n%s", vgg)
	}
	res, _ := os.ReadFile(filepath.Join(out, "results.md"))
	if !strings.Contains(string(res), "| efficientnet_b1 | 240 | 1 | 1 | auto | generic | 100.0 | 95.00–110.0 | 10.00 | 13.70 | – | – | – | – |") {
		t.Errorf("results row with missing cells:\n%s", res)
	}
	if !strings.Contains(string(res), "| vgg19 | 224 | 2 | 1 | winograd-f4x3 | generic | dropped |") {
		t.Errorf("dropped case not listed:\n%s", res)
	}
	eff, _ := os.ReadFile(filepath.Join(out, "efficientnet_tables2_4.md"))
	if !strings.Contains(string(eff), "**5.0×**") {
		t.Error("EfficientNet Table 4 lacks the measured speedup 500/100 = 5.0×")
	}
}

func TestReportReference(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := cli(t, "report", "-reference", "-out", dir, "-no-figures")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	idx, err := os.ReadFile(filepath.Join(dir, "tables.md"))
	if err != nil || !strings.Contains(string(idx), "accounting-only report") {
		t.Errorf("index: %v\n%s", err, idx)
	}
}

func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	noModel := filepath.Join(dir, "nomodel")
	os.MkdirAll(noModel, 0o755)
	os.WriteFile(filepath.Join(noModel, "results.csv"), []byte("name,median_ms\nresnet50,3\n"), 0o644)
	garbled := filepath.Join(dir, "garbled")
	os.MkdirAll(garbled, 0o755)
	os.WriteFile(filepath.Join(garbled, "results.csv"), []byte("model,median_ms\n\"resnet50,3\n"), 0o644)
	unreadable := filepath.Join(dir, "unreadable")
	os.MkdirAll(filepath.Join(unreadable, "results.csv"), 0o755) // a folder where the file should be
	out := filepath.Join(dir, "out")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing-in", []string{"report", "-out", out}, 2, "-in DIR is required"},
		{"missing-out", []string{"report", "-in", noModel}, 2, "-out DIR is required"},
		{"reference-and-in", []string{"report", "-reference", "-in", noModel, "-out", out}, 2, "do not combine"},
		{"bad-format", []string{"report", "-in", noModel, "-out", out, "-format", "html"}, 2, "only md"},
		{"no-such-folder", []string{"report", "-in", filepath.Join(dir, "nope"), "-out", out}, 1, "nope"},
		{"no-results-csv", []string{"report", "-in", dir, "-out", out}, 1, "no results.csv"},
		{"no-model-column", []string{"report", "-in", noModel, "-out", out}, 1, `no "model" column`},
		{"garbled-csv", []string{"report", "-in", garbled, "-out", out}, 1, "not a readable CSV"},
		{"unreadable-csv", []string{"report", "-in", unreadable, "-out", out}, 1, "results.csv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := cli(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q lacks %q", stderr, c.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed report created its output folder")
	}
}
