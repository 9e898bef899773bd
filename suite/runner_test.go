package suite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// fastProtocol keeps runner tests quick: one warm-up, three timed passes.
var fastProtocol = Protocol{Warmup: 1, MinRuns: 3}

func tinyCases(t *testing.T, models []string, threads, batches []int, algos []string) []Case {
	t.Helper()
	cs, err := Matrix{Models: models, Batches: batches, Threads: threads, Algos: algos,
		Kernels: []string{kernels.Best().Name}}.Cases()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

var errKilled = errors.New("killed")

// TestKilledRunResumesWithoutRedoingCases simulates a run killed after two
// of four cases (the hook fails right after the second case is saved), then
// runs the same cases again: only the two missing ones run, the finished
// rows are kept byte for byte, and the report says two were resumed.
func TestKilledRunResumesWithoutRedoingCases(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cases := tinyCases(t, []string{"lenet5"}, []int{1, 2}, []int{1, 2}, []string{"im2col"})
	if len(cases) != 4 {
		t.Fatalf("%d cases", len(cases))
	}
	r := &Runner{Dir: dir, Protocol: fastProtocol, Seed: 1,
		AfterCase: func(done int, _ Row) error {
			if done == 2 {
				return errKilled
			}
			return nil
		}}
	if _, err := r.Run(context.Background(), cases); !errors.Is(err, errKilled) {
		t.Fatalf("first run: %v, want the simulated kill", err)
	}
	f, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 2 {
		t.Fatalf("after the kill: %d rows saved, want 2", len(f.Rows))
	}
	before := CSV(f.Rows)

	var ran []string
	r = &Runner{Dir: dir, Protocol: fastProtocol, Seed: 1,
		AfterCase: func(_ int, row Row) error { ran = append(ran, row.Key); return nil }}
	rep, err := r.Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resumed != 2 || len(ran) != 2 {
		t.Fatalf("resumed %d, ran %v; want 2 resumed and the 2 missing cases run", rep.Resumed, ran)
	}
	for _, k := range ran {
		if k == cases[0].Key() || k == cases[1].Key() {
			t.Fatalf("finished case %s was run again", k)
		}
	}
	f, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 4 || f.Machine.Sessions != 2 {
		t.Fatalf("%d rows, %d sessions; want 4 and 2", len(f.Rows), f.Machine.Sessions)
	}
	if after := CSV(f.Rows[:2]); string(after) != string(before) {
		t.Fatalf("finished rows changed on resume:\n%s\nvs\n%s", before, after)
	}
	for _, row := range f.Rows {
		if row.Status != StatusOK || *row.Runs < 3 || row.MedianMs == nil || row.PeakFraction == nil {
			t.Fatalf("row %+v", row)
		}
	}
	// A third run has nothing to do.
	rep, err = (&Runner{Dir: dir, Protocol: fastProtocol, Seed: 1}).Run(context.Background(), cases)
	if err != nil || rep.Resumed != 4 {
		t.Fatalf("third run: %v, resumed %d", err, rep.Resumed)
	}
	// Another seed is not mixed into this run.
	if _, err := (&Runner{Dir: dir, Protocol: fastProtocol, Seed: 2}).Run(context.Background(), cases); err == nil ||
		!strings.Contains(err.Error(), "-seed 1") {
		t.Fatalf("resume with another seed: %v", err)
	}
}

// TestUnsupportedCombinationsAreSkippedWithReason: an algorithm that
// supports none of a model's convolutions, and an input a model cannot
// take, are recorded as skipped with the reason, not as errors; the run
// goes on.
func TestUnsupportedCombinationsAreSkippedWithReason(t *testing.T) {
	dir := t.TempDir()
	cases := tinyCases(t, []string{"lenet5"}, []int{1}, []int{1}, []string{"winograd-f4x3", "im2col"})
	vgg, err := Matrix{Models: []string{"vgg11"}, Input: "3x16x16", Batches: []int{1}, Threads: []int{1},
		Algos: []string{"im2col"}, Kernels: []string{"generic"}}.Cases()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&Runner{Dir: dir, Protocol: fastProtocol, Seed: 1}).Run(context.Background(), append(cases, vgg...))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 2 || rep.OK != 1 {
		t.Fatalf("ok %d skipped %d errors %d, want 1 ok and 2 skipped", rep.OK, rep.Skipped, rep.Errored)
	}
	for _, r := range rep.Rows {
		if r.Algo == "winograd-f4x3" && (r.Status != StatusSkipped || !strings.Contains(r.Reason, "supports none")) {
			t.Errorf("winograd on LeNet-5's 5x5 convolutions: %s %q", r.Status, r.Reason)
		}
		if r.Model == "vgg11" && (r.Status != StatusSkipped || !strings.Contains(r.Reason, "larger than")) {
			t.Errorf("vgg11 at 16x16: %s %q", r.Status, r.Reason)
		}
		if r.Status == StatusSkipped && (r.MedianMs != nil || r.Runs != nil) {
			t.Errorf("skipped row has timings: %+v", r)
		}
	}
}

// TestBudgetCutsToThreeRunsThenDrops: a per-case cap already exceeded
// still yields three timed runs (flagged budget_limited), and a spent
// total budget drops cases (status dropped, retried on resume) rather than
// running them.
func TestBudgetCutsToThreeRunsThenDrops(t *testing.T) {
	cases := tinyCases(t, []string{"resnet20"}, []int{1}, []int{1}, []string{"im2col"})
	p := Protocol{Warmup: 3, MinRuns: 50, MinTime: Duration(time.Minute), CaseBudget: Duration(time.Nanosecond)}
	rep, err := (&Runner{Dir: t.TempDir(), Protocol: p, Seed: 1}).Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Rows[0]
	if r.Status != StatusOK || *r.Runs != 3 || !r.BudgetLimited || *r.Warmup != 1 {
		t.Fatalf("case cap: status %s, %v runs, limited %v, warm-up %v; want ok, 3, true, 1", r.Status, *r.Runs, r.BudgetLimited, *r.Warmup)
	}
	dir := t.TempDir()
	p = Protocol{Warmup: 1, MinRuns: 3, Budget: Duration(time.Nanosecond)}
	rep, err = (&Runner{Dir: dir, Protocol: p, Seed: 1}).Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Rows[0]; r.Status != StatusDropped || !strings.Contains(r.Reason, "budget") {
		t.Fatalf("spent budget: %s %q, want dropped", r.Status, r.Reason)
	}
	rep, err = (&Runner{Dir: dir, Protocol: fastProtocol, Seed: 1}).Run(context.Background(), cases)
	if err != nil || rep.Resumed != 0 || rep.OK != 1 {
		t.Fatalf("dropped case not retried on resume: %v, %+v", err, rep)
	}
}

func TestUnwritableFolderIsAnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	_, err := (&Runner{Dir: filepath.Join(file, "run"), Protocol: fastProtocol}).Run(context.Background(),
		tinyCases(t, []string{"lenet5"}, []int{1}, []int{1}, []string{"im2col"}))
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("run under a file: %v", err)
	}
}

// TestMachineRecord: the record names the CPU, the toolchain and a commit
// (from build info, or git when `go test` builds without VCS stamps).
func TestMachineRecord(t *testing.T) {
	m := DescribeMachine()
	if m.CPU.Brand == "" && m.CPU.Vendor == "" {
		t.Error("no CPU brand or vendor")
	}
	if m.Go.Version == "" || m.Go.GOOS == "" || m.Go.GOARCH == "" || m.Go.GOMAXPROCS < 1 {
		t.Errorf("go info %+v", m.Go)
	}
	if m.Go.GOARCH == "amd64" && m.Go.GOAMD64 == "" {
		t.Error("no GOAMD64 level")
	}
	if m.Commit.Revision == "" || m.Commit.Source == "" {
		t.Errorf("commit %+v", m.Commit)
	}
	if len(m.Kernels.Available) == 0 || m.Kernels.Best == "" {
		t.Errorf("kernels %+v", m.Kernels)
	}
}

func TestListParsing(t *testing.T) {
	if _, err := ParseInts("-threads", "0,x", true); err == nil || !strings.Contains(err.Error(), `"0" is not a positive integer`) {
		t.Errorf("-threads 0,x: %v", err)
	}
	if _, err := ParseInts("-batch", "1,,2", false); err == nil || !strings.Contains(err.Error(), "empty element") {
		t.Errorf("-batch 1,,2: %v", err)
	}
	if got, err := ParseInts("-threads", "1, 2,1", true); err != nil || len(got) != 2 {
		t.Errorf("-threads '1, 2,1' = %v, %v", got, err)
	}
	if _, err := ResolveModels("resnet9000"); err == nil || !strings.Contains(err.Error(), "unknown model") {
		t.Errorf("unknown model: %v", err)
	}
	if got, err := ResolveModels("vgg1?,lenet5,vgg16"); err != nil || strings.Join(got, ",") != "vgg11,vgg13,vgg16,vgg19,lenet5" {
		t.Errorf("vgg1?,lenet5,vgg16 = %v, %v (want the four plain VGGs, then lenet5, no duplicate)", got, err)
	}
	if _, err := ResolveModels("zz*"); err == nil || !strings.Contains(err.Error(), "matches no model") {
		t.Errorf("zz*: %v", err)
	}
	if _, _, err := ResolveAlgos("im2col,fft"); err == nil || !strings.Contains(err.Error(), `unknown convolution algorithm "fft"`) {
		t.Errorf("unknown algo: %v", err)
	}
	if _, err := ResolveKernels("neon"); !errors.Is(err, kernels.ErrUnknownSet) {
		t.Errorf("unknown kernel set: %v", err)
	}
}
