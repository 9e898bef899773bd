package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/suite"
)

const cmpHeader = "model,infer_img_size,infer_samples_per_sec,infer_step_time,infer_batch_size,param_count,infer_gmacs,infer_macts,algo,kernels,threads,median_ms,p10_ms,p90_ms,runs,gflops_per_s,peak_fraction,top1,top5,dataset,status,reason\n"

// writeRun writes a results.csv into a run folder named name.
func writeRun(t *testing.T, root, name, body string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, suite.CSVName), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCompareMatchesCasesAndReportsMissing: two runs share two cases;
// each has one the other lacks (one of them skipped, with its reason).
// compare prints both medians, the ratio B/A with its p10/p90 spread, the
// geometric mean over the matched cases, and the missing cases per side.
func TestCompareMatchesCasesAndReportsMissing(t *testing.T) {
	root := t.TempDir()
	a := writeRun(t, root, "zen4", cmpHeader+
		"resnet50,224,,,1,,,,im2col,avx2,1,100,90,110,10,,,,,,ok,\n"+
		"vgg16,224,,,1,,,,im2col,avx2,1,400,380,420,5,,,,,,ok,\n"+
		"lenet5,32,,,1,,,,im2col,avx2,1,0.1,0.09,0.11,99,,,,,,ok,\n")
	b := writeRun(t, root, "icx", cmpHeader+
		"resnet50,224,,,1,,,,im2col,avx2,1,50,45,60,10,,,,,,ok,\n"+
		"vgg16,224,,,1,,,,im2col,avx2,1,800,700,900,5,,,,,,ok,\n"+
		"lenet5,32,,,1,,,,im2col,avx2,1,,,,,,,,,,skipped,too small to matter\n"+
		"alexnet,224,,,1,,,,im2col,avx2,1,30,29,31,10,,,,,,ok,\n")
	code, stdout, stderr := cli(t, "compare", "-format", "json", a, b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Baseline string           `json:"baseline"`
		Cases    []map[string]any `json:"cases"`
		Summary  []struct {
			Other     string    `json:"other"`
			Matched   int       `json:"matched"`
			GeoMean   float64   `json:"geomean_ratio"`
			MissingIn []cmpMiss `json:"missing_in_other"`
			MissingB  []cmpMiss `json:"missing_in_baseline"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if out.Baseline != "zen4" || len(out.Cases) != 2 || len(out.Summary) != 1 {
		t.Fatalf("%+v", out)
	}
	byModel := map[string]map[string]any{}
	for _, c := range out.Cases {
		byModel[c["model"].(string)] = c
	}
	r := byModel["resnet50"]
	if r["ratio"] != 0.5 || math.Abs(r["ratio_lo"].(float64)-45.0/110) > 1e-4 || math.Abs(r["ratio_hi"].(float64)-60.0/90) > 1e-4 ||
		r["baseline_ms"] != 100.0 || r["other_ms"] != 50.0 || r["other"] != "icx" {
		t.Errorf("resnet50: %v", r)
	}
	s := out.Summary[0]
	if s.Matched != 2 || math.Abs(s.GeoMean-1) > 1e-9 { // sqrt(0.5 · 2) = 1
		t.Errorf("summary %+v", s)
	}
	if len(s.MissingIn) != 1 || !strings.Contains(s.MissingIn[0].Case, "model=lenet5") ||
		s.MissingIn[0].Status != "skipped" || s.MissingIn[0].Reason != "too small to matter" {
		t.Errorf("missing in icx: %+v", s.MissingIn)
	}
	if len(s.MissingB) != 1 || !strings.Contains(s.MissingB[0].Case, "model=alexnet") {
		t.Errorf("missing in zen4: %+v", s.MissingB)
	}

	// The table says the same for people.
	code, stdout, _ = cli(t, "compare", a, b)
	if code != 0 || !strings.Contains(stdout, "geometric-mean ratio 1 over 2 matched case(s)") ||
		!strings.Contains(stdout, "missing in icx: 1 case(s)") || !strings.Contains(stdout, "missing in zen4 (baseline): 1 case(s)") {
		t.Errorf("table output:\n%s", stdout)
	}
}

// TestCompareIgnoreImplAgainstPeerRows matches our rows with a peer's
// (PyTorch-style rows with another algo and no kernels column) only with
// -ignore-impl, which takes our fastest algorithm per case; labels come
// from label=path.
func TestCompareIgnoreImplAgainstPeerRows(t *testing.T) {
	summary := captureStderr(t)
	root := t.TempDir()
	ours := writeRun(t, root, "go", cmpHeader+
		"resnet50,224,,,1,,,,im2col,avx2,1,100,90,110,10,,,,,,ok,\n"+
		"resnet50,224,,,1,,,,winograd-f4x3,avx2,1,80,75,85,10,,,,,,ok,\n")
	peer := filepath.Join(root, "torch.csv")
	os.WriteFile(peer, []byte("model,infer_img_size,infer_batch_size,threads,algo,median_ms\nresnet50,224,1,1,onednn,90.4\n"), 0o644)
	code, _, stderr := cli(t, "compare", ours, peer)
	if code == 0 || !strings.Contains(stderr, "no case of torch matches go") || !strings.Contains(stderr, "-ignore-impl") {
		t.Fatalf("without -ignore-impl: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := cli(t, "compare", "-format", "csv", "mine="+ours, "pytorch="+peer, "-ignore-impl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "resnet50,224,1,1,winograd-f4x3,avx2,onednn,,mine,pytorch,80,90.4,1.13,,") {
		t.Fatalf("csv:\n%s", stdout)
	}
	if !strings.Contains(summary.String(), "pytorch vs mine: geometric-mean ratio 1.13") {
		t.Errorf("csv summary on stderr: %q", summary)
	}
}

func TestCompareBadInput(t *testing.T) {
	root := t.TempDir()
	good := writeRun(t, root, "good", cmpHeader+"resnet50,224,,,1,,,,im2col,avx2,1,100,90,110,10,,,,,,ok,\n")
	foreign := filepath.Join(root, "foreign.csv")
	os.WriteFile(foreign, []byte("name,score\nx,1\n"), 0o644)
	badNum := filepath.Join(root, "badnum.csv")
	os.WriteFile(badNum, []byte("model,median_ms\nresnet50,fast\n"), 0o644)
	dup := writeRun(t, root, "dup", cmpHeader+"resnet50,224,,,1,,,,im2col,avx2,1,100,90,110,10,,,,,,ok,\n"+
		"resnet50,224,,,1,,,,im2col,avx2,1,101,90,110,10,,,,,,ok,\n")
	oldSchema := filepath.Join(root, "old.json")
	os.WriteFile(oldSchema, []byte(`{"schema":"cnnbench.results/0","rows":[]}`), 0o644)
	emptyDir := filepath.Join(root, "empty")
	os.Mkdir(emptyDir, 0o755)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"one-file", []string{"compare", good}, "at least two"},
		{"missing", []string{"compare", good, filepath.Join(root, "nope")}, "nope"},
		{"not-a-run-folder", []string{"compare", good, emptyDir}, "no results.csv"},
		{"foreign-csv", []string{"compare", good, foreign}, "not a results file"},
		{"bad-number", []string{"compare", good, badNum}, `median_ms "fast"`},
		{"duplicate-case", []string{"compare", good, dup}, "appears twice"},
		{"other-schema", []string{"compare", good, oldSchema}, `schema "cnnbench.results/0"`},
		{"bad-format", []string{"compare", "-format", "xml", good, good}, "want table, csv or json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := cli(t, c.args...)
			if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want non-zero and one line mentioning %q", code, stderr, c.want)
			}
		})
	}
}

// TestCompareReadsItsOwnRuns compares two real (tiny) bench runs through
// their folders and results.json.
func TestCompareReadsItsOwnRuns(t *testing.T) {
	captureStderr(t)
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		if code, _, stderr := cli(t, tiny(d)...); code != 0 {
			t.Fatalf("bench: %s", stderr)
		}
	}
	code, stdout, stderr := cli(t, "compare", a, filepath.Join(b, suite.JSONName))
	if code != 0 || !strings.Contains(stdout, "over 2 matched case(s)") {
		t.Fatalf("exit %d %s\n%s", code, stderr, stdout)
	}
}
