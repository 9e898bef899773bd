package suite

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestCSVHeaderStartsWithDesignColumns: results.csv begins with exactly
// DESIGN.md §6's columns (timm's names, then ours), in order, and the JSON
// rows use the same names in the same order.
func TestCSVHeaderStartsWithDesignColumns(t *testing.T) {
	const design = "model,infer_img_size,infer_samples_per_sec,infer_step_time,infer_batch_size,param_count,infer_gmacs,infer_macts," +
		"algo,kernels,threads,median_ms,p10_ms,p90_ms,runs,gflops_per_s,peak_fraction,top1,top5,dataset"
	if got := strings.Join(DesignColumns, ","); got != design {
		t.Fatalf("DesignColumns = %s\nwant %s", got, design)
	}
	header, _, _ := strings.Cut(string(CSV(nil)), "\n")
	if !strings.HasPrefix(header, design+",") {
		t.Fatalf("CSV header = %s\nwant it to start with %s", header, design)
	}
	if len(Columns) != len(Dedup(Columns)) {
		t.Fatalf("duplicate column names: %v", Columns)
	}
	// JSON keys: same names, same order.
	b, err := json.Marshal(Row{})
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.Token()
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v json.RawMessage
		dec.Decode(&v)
	}
	if !slices.Equal(keys, Columns) {
		t.Fatalf("JSON keys %v\ndiffer from CSV columns %v", keys, Columns)
	}
}

// TestMissingValuesAreEmptyNotMadeUp: a skipped case has no timings, and no
// row has top1/top5 or peak_fraction unless measured: CSV cells are empty
// and JSON values null.
func TestMissingValuesAreEmptyNotMadeUp(t *testing.T) {
	r := Row{Model: "lenet5", InferImgSize: 32, InferBatchSize: 1, Algo: "winograd-f4x3", Kernels: "generic",
		Threads: 1, Status: StatusSkipped, Reason: "no 3x3 convolutions", Input: "1x32x32"}
	recs, err := csv.NewReader(bytes.NewReader(CSV([]Row{r}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cell := map[string]string{}
	for i, h := range recs[0] {
		cell[h] = recs[1][i]
	}
	for _, c := range []string{"infer_samples_per_sec", "median_ms", "p10_ms", "p90_ms", "runs", "gflops_per_s",
		"peak_fraction", "top1", "top5", "dataset", "build_ms", "peak_mem_bytes"} {
		if cell[c] != "" {
			t.Errorf("%s = %q, want empty", c, cell[c])
		}
	}
	if cell["status"] != "skipped" || cell["threads"] != "1" || cell["model"] != "lenet5" {
		t.Errorf("cells %v", cell)
	}
	b, _ := json.Marshal(r)
	var m map[string]any
	json.Unmarshal(b, &m)
	if v, ok := m["top1"]; !ok || v != nil {
		t.Errorf("JSON top1 = %v (present %v), want null", v, ok)
	}
}

// TestWriteAtomicReadersNeverSeePartialFiles: while one goroutine rewrites
// a file over and over, readers only ever see a complete old or new
// version, and no temporary file is left behind.
func TestWriteAtomicReadersNeverSeePartialFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.csv")
	versions := [][]byte{bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 1<<19)}
	if err := WriteAtomic(path, versions[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := WriteAtomic(path, versions[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 200 {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
			t.Fatalf("reader saw a partial file of %d bytes", len(got))
		}
	}
	close(stop)
	wg.Wait()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("files left in the folder: %v", ents)
	}
	// A write that cannot happen leaves the old file as it was.
	if err := WriteAtomic(filepath.Join(dir, "missing", "x.csv"), []byte("x")); err == nil {
		t.Fatal("write into a missing folder succeeded")
	}
}

// TestLoadRejectsForeignAndOtherSchemaFiles: a results folder written by
// another schema version, or a JSON file that is not ours, is refused with
// an error naming the file, so nothing gets mixed.
func TestLoadRejectsForeignAndOtherSchemaFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err != ErrNoRun {
		t.Fatalf("empty folder: %v, want ErrNoRun", err)
	}
	for _, c := range []struct{ body, want string }{
		{`{"schema":"cnnbench.results/0","rows":[]}`, `schema "cnnbench.results/0"`},
		{`{"rows":[]}`, "not a cnnbench results file"},
		{`[1,2,3]`, "not a cnnbench results file"},
		{`{"schema":"cnnbench.results/1","rows":[{"model":""}]}`, "lacks model"},
		{`{"schema":"cnnbench.results/1","rows":`, "results.json"},
	} {
		os.WriteFile(filepath.Join(dir, JSONName), []byte(c.body), 0o644)
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), JSONName) {
			t.Errorf("Load(%s) = %v, want an error naming the file and %q", c.body, err, c.want)
		}
	}
}

func TestRunNameIsSanitised(t *testing.T) {
	m := Machine{CPU: CPU{Brand: "Intel(R) Core(TM) i9-10940X CPU @ 3.30GHz"}}
	if got := m.CPUSlug(); got != "intel-core-i9-10940x" {
		t.Errorf("CPUSlug = %q", got)
	}
	m.CPU.Brand = "AMD EPYC 9R14 96-Core Processor"
	if got := m.CPUSlug(); got != "amd-epyc-9r14" {
		t.Errorf("CPUSlug = %q", got)
	}
	m.CPU.Brand, m.CPU.Vendor = "", "GenuineIntel"
	if got := m.CPUSlug(); got != "genuineintel" {
		t.Errorf("CPUSlug without brand = %q", got)
	}
	if got := Slug("../../etc/passwd x"); strings.ContainsAny(got, "/ ") || strings.HasPrefix(got, ".") {
		t.Errorf("Slug kept path characters: %q", got)
	}
}
