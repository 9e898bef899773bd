package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/suite"
)

// tiny is a bench invocation that finishes in well under a second.
func tiny(out string, extra ...string) []string {
	return append([]string{"bench", "-models", "lenet5", "-algos", "im2col", "-threads", "1", "-batch", "1,2",
		"-min-runs", "3", "-min-time", "0s", "-warmup", "1", "-accounting=false", "-tune-cache", "", "-out", out}, extra...)
}

// captureStderr sends bench's log lines to a buffer for the test.
func captureStderr(t *testing.T) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	old := benchStderr
	benchStderr = &b
	t.Cleanup(func() { benchStderr = old })
	return &b
}

func TestBenchBadInputGivesOneLineErrorAndNonZeroExit(t *testing.T) {
	captureStderr(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	out := filepath.Join(dir, "run")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown-model", []string{"bench", "-models", "resnet9000", "-out", out}, `unknown model "resnet9000"`},
		{"pattern-matches-nothing", []string{"bench", "-models", "zz*", "-out", out}, "matches no model"},
		{"unknown-algo", []string{"bench", "-models", "lenet5", "-algos", "fft", "-out", out}, `unknown convolution algorithm "fft"`},
		{"bad-threads", []string{"bench", "-models", "lenet5", "-threads", "0,x", "-out", out}, `"0" is not a positive integer`},
		{"bad-threads-word", []string{"bench", "-models", "lenet5", "-threads", "1,x", "-out", out}, `"x" is not a positive integer`},
		{"empty-batch-element", []string{"bench", "-models", "lenet5", "-batch", "1,,8", "-out", out}, "empty element"},
		{"zero-batch", []string{"bench", "-models", "lenet5", "-batch", "0", "-out", out}, `"0" is not a positive integer`},
		{"empty-models", []string{"bench", "-models", "", "-out", out}, "empty list"},
		{"unknown-kernels", []string{"bench", "-models", "lenet5", "-kernels", "neon", "-out", out}, "unknown kernel set"},
		{"unknown-profile", []string{"bench", "-profile", "medium", "-out", out}, "want quick or full"},
		{"one-run", []string{"bench", "-models", "lenet5", "-min-runs", "1", "-out", out}, "-min-runs 1: want ≥ 3"},
		{"no-warmup", []string{"bench", "-models", "lenet5", "-warmup", "0", "-out", out}, "-warmup 0"},
		{"bad-input", []string{"bench", "-models", "lenet5", "-input", "3xAx2", "-out", out}, "not a positive integer"},
		{"bad-tune", []string{"bench", "-models", "lenet5", "-tune", "guess", "-out", out}, "-tune"},
		{"stray-argument", []string{"bench", "-models", "lenet5", "resnet50"}, "unexpected argument"},
		{"unwritable-out", tiny(filepath.Join(file, "run")), "not a directory"},
		{"link-over-a-folder", tiny(out, "-link", dir), "is not a symlink"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := cli(t, c.args...)
			if code == 0 {
				t.Fatalf("exit 0, want non-zero (stderr %q)", stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q does not mention %q", stderr, c.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 || strings.Contains(stderr, "goroutine") {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, suite.CSVName)); err == nil {
		t.Error("a failed invocation wrote results")
	}
}

// TestBenchWritesDesignColumnsAndResumes runs a tiny bench, checks the
// files and the CSV header, then runs the same command again: every case
// is reported as already done and nothing is re-measured.
func TestBenchWritesDesignColumnsAndResumes(t *testing.T) {
	log := captureStderr(t)
	out := filepath.Join(t.TempDir(), "run")
	link := filepath.Join(t.TempDir(), "latest")
	code, stdout, stderr := cli(t, tiny(out, "-link", link)...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, log)
	}
	if !strings.Contains(stdout, "2 ok") || !strings.Contains(stdout, filepath.Join(out, suite.CSVName)) {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(log.String(), "[1/2] lenet5 1x32x32 batch=1 threads=1 im2col/") {
		t.Errorf("no progress line per case on stderr:\n%s", log)
	}
	f, err := os.Open(filepath.Join(link, suite.CSVName))
	if err != nil {
		t.Fatalf("-link: %v", err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0][:len(suite.DesignColumns)], ","); got != strings.Join(suite.DesignColumns, ",") {
		t.Fatalf("header starts %s", got)
	}
	if len(recs) != 3 {
		t.Fatalf("%d rows, want 2 cases", len(recs)-1)
	}
	if _, err := suite.Load(out); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, suite.CSVName))

	log.Reset()
	code, stdout, stderr = cli(t, tiny(out)...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if !strings.Contains(log.String(), "2 of 2 cases already finished") || !strings.Contains(stdout, "2 already done") {
		t.Errorf("second run did not say it resumed: %q / %q", log, stdout)
	}
	after, _ := os.ReadFile(filepath.Join(out, suite.CSVName))
	if !bytes.Equal(before, after) {
		t.Error("results.csv changed although every case was done")
	}
}

// TestBenchKilledRunResumes kills a run (through the runner hook) after its
// first case, checks the non-zero exit and the saved row, and runs the same
// command again: only the second case runs.
func TestBenchKilledRunResumes(t *testing.T) {
	log := captureStderr(t)
	out := filepath.Join(t.TempDir(), "run")
	benchAfterCase = func(done int, _ suite.Row) error {
		if done == 1 {
			return errors.New("killed")
		}
		return nil
	}
	defer func() { benchAfterCase = nil }()
	if code, _, stderr := cli(t, tiny(out)...); code == 0 || !strings.Contains(stderr, "killed") {
		t.Fatalf("killed run: exit %d, %q", code, stderr)
	}
	benchAfterCase = nil
	log.Reset()
	code, stdout, stderr := cli(t, tiny(out)...)
	if code != 0 {
		t.Fatalf("resume: exit %d %s", code, stderr)
	}
	if !strings.Contains(log.String(), "1 of 2 cases already finished") || !strings.Contains(stdout, "1 run now") {
		t.Errorf("resume did not skip the finished case: %q / %q", log, stdout)
	}
	if strings.Contains(log.String(), "batch=1 threads=1 im2col") {
		t.Errorf("the finished case ran again:\n%s", log)
	}
}

func TestBenchListPrintsCaseKeys(t *testing.T) {
	code, stdout, _ := cli(t, "bench", "-models", "lenet5,resnet20", "-algos", "im2col,direct", "-threads", "1,2",
		"-batch", "1", "-kernels", "generic", "-list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 8 || lines[0] != "model=lenet5/input=1x32x32/batch=1/threads=1/algo=im2col/kernels=generic" {
		t.Fatalf("-list:\n%s", stdout)
	}
	// The quick profile covers every family at threads 1 and all cores.
	code, stdout, _ = cli(t, "bench", "-list")
	if code != 0 {
		t.Fatalf("quick -list: exit %d", code)
	}
	for _, m := range quickCore {
		if !strings.Contains(stdout, "model="+m+"/") {
			t.Errorf("quick profile lacks %s", m)
		}
	}
}
