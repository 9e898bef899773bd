package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/suite"
)

// benchStderr receives bench's progress and log lines; tests replace it.
var benchStderr io.Writer = os.Stderr

// AccountingName is the per-variant params/MACs table a bench run writes
// beside its results (the columns of 'cnnbench models -format csv').
const AccountingName = "accounting.csv"

// profile is a named default matrix and protocol.
type profile struct {
	groups []benchGroup
	batch  []int
	algos  string // -algos value
	proto  suite.Protocol
}

// benchGroup is a set of models with its own default thread counts.
type benchGroup struct {
	models  []string
	threads []int
}

// quickCore represents every family at its paper resolution; each runs at
// 1 thread and at all cores. The sweeps after it feed the multiplier tables
// (MobileNet Tables 6/7, ShuffleNet Table 2) at one thread, and
// EfficientNet-B7 (Table 4) comes last: under the budget it is the first
// to be cut.
var quickCore = []string{"lenet5", "resnet20", "alexnet", "vgg16", "resnet18", "resnet50", "resnet152",
	"densenet121", "densenet_bc_100_12", "mobilenet_v1", "shufflenet_v1", "efficientnet_b0", "efficientnet_b1"}

func profiles() map[string]profile {
	maxT := runtime.GOMAXPROCS(0)
	coreThreads := suite.Dedup([]int{1, maxT})
	var sweep []string
	inCore := map[string]bool{}
	for _, m := range quickCore {
		inCore[m] = true
		if s, err := architectures.Lookup(m); err == nil && s.AliasOf != "" {
			inCore[s.AliasOf] = true
		}
	}
	for _, s := range architectures.All() {
		if s.AliasOf != "" || inCore[s.Name] {
			continue
		}
		if s.Family == "MobileNet v1" || s.Family == "ShuffleNet v1" {
			sweep = append(sweep, s.Name)
		}
	}
	var every []string
	for _, s := range architectures.All() {
		if s.AliasOf == "" {
			every = append(every, s.Name)
		}
	}
	var allThreads []int
	for t := 1; t <= maxT; t++ {
		allThreads = append(allThreads, t)
	}
	return map[string]profile{
		"quick": {
			groups: []benchGroup{{quickCore, coreThreads}, {sweep, []int{1}}, {[]string{"efficientnet_b7"}, []int{1}}},
			batch:  []int{1},
			algos:  "auto",
			proto: suite.Protocol{Warmup: 2, MinRuns: 5, MinTime: suite.Duration(time.Second),
				Budget: suite.Duration(12 * time.Minute), CaseBudget: suite.Duration(90 * time.Second)},
		},
		"full": {
			groups: []benchGroup{{every, allThreads}},
			batch:  []int{1, 8, 32},
			algos:  "all",
			proto: suite.Protocol{Warmup: 2, MinRuns: 10, MinTime: suite.Duration(2 * time.Second),
				CaseBudget: suite.Duration(3 * time.Minute), MaxPass: suite.Duration(time.Minute)},
		},
	}
}

const benchSynopsis = `[-profile quick|full] [-models LIST|all] [-algos LIST|auto|all] [-kernels LIST|auto|all]
       [-threads LIST] [-batch LIST] [-input CxHxW] [-out DIR] [-link PATH]
       [-warmup N] [-min-runs N] [-min-time D] [-budget D] [-case-budget D] [-max-pass D] [-seed N] [-fresh] [-list]
       [-tune measure|model] [-retune] [-tune-cache F] [-accounting=false]

Runs the benchmark matrix (models × algorithms × kernel sets × threads × batch sizes) and writes
DIR/results.csv and DIR/results.json (rows + machine record) after every case, plus
DIR/accounting.csv (params/MACs of every variant). Running the same command with the same -out
again resumes: finished cases are skipped. LISTs are comma-separated; -models takes names,
shell patterns ('resnet*') or all; -threads takes numbers, max (all cores) or all (1..N).

Profiles: quick (the default; every family at its paper resolution, 1 thread and all cores,
batch 1, the best algorithm; MobileNet/ShuffleNet multiplier sweeps and EfficientNet-B7 at
1 thread; -budget 12m) and full (every variant × every algorithm × threads 1..N × batch 1,8,32).
Flags override the profile's choices.`

func runBench(args []string, stdout io.Writer) error {
	fs := newFlags("bench", benchSynopsis, stdout)
	prof := fs.String("profile", "quick", "default matrix and protocol: quick or full")
	models := fs.String("models", "", "models: comma-separated names, patterns ('resnet*') or all (default: the profile's)")
	algos := fs.String("algos", "", "convolution algorithms: names, auto (the automatic choice, else im2col) or all (default: the profile's)")
	kernelsFlag := fs.String("kernels", "", "kernel sets: names, auto (the best here) or all (default: $CNNBENCH_KERNELS or auto)")
	threads := fs.String("threads", "", "thread counts, e.g. 1,2; max = all cores; all = 1..all cores (default: the profile's)")
	batch := fs.String("batch", "", "batch sizes, e.g. 1,8,32 (default: the profile's)")
	input := fs.String("input", "", "input CxHxW (or HxW) for every model instead of its paper resolution")
	out := fs.String("out", "", "run folder (default results/<date>_<cpu>_<kernelsets>, with _full for -profile full); an existing run there is resumed")
	link := fs.String("link", "", "also make PATH a symlink to the run folder (e.g. results/latest)")
	warmup := fs.Int("warmup", 0, "warm-up passes per case, the cold plan-building pass included (default: the profile's)")
	minRuns := fs.Int("min-runs", 0, "minimum timed passes per case, ≥ 3 (default: the profile's)")
	minTime := fs.Duration("min-time", 0, "minimum timed work per case (default: the profile's)")
	budget := fs.Duration("budget", 0, "total wall-time budget; cases are cut down to 3 runs, then dropped, to keep it (default: the profile's; quick 12m, full none)")
	caseBudget := fs.Duration("case-budget", 0, "wall-time cap per case, never below 3 runs (default: the profile's)")
	maxPass := fs.Duration("max-pass", 0, "drop cases whose single pass would take longer (default: the profile's; full 1m)")
	seed := fs.Uint64("seed", 1, "seed of the generated weights and inputs")
	fresh := fs.Bool("fresh", false, "re-measure every case instead of resuming the run in -out")
	list := fs.Bool("list", false, "print the cases (one key per line) and exit without running")
	tune := fs.String("tune", "measure", "how the auto algorithm chooses per layer: measure (time the candidates at plan time, counted in build_ms, cached) or model (cost model)")
	retune := fs.Bool("retune", false, "ignore auto's cached choices and measure again")
	tuneCache := fs.String("tune-cache", conv.DefaultCachePath(), "auto's cache of measured choices (\"\" disables it)")
	fuse := fs.Bool("fuse", true, "benchmark the inference graph (BatchNorm folded, activations and residual adds fused into the convolutions); -fuse=false runs every layer as built (the column fused says which)")
	accounting := fs.Bool("accounting", true, "write "+AccountingName+" (params/MACs of every variant) into the run folder")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	p, ok := profiles()[*prof]
	if !ok {
		return usageError{fmt.Errorf("-profile %q: want quick or full", *prof)}
	}
	groups := p.groups
	if set["models"] {
		names, err := suite.ResolveModels(*models)
		if err != nil {
			return usageError{err}
		}
		groups = []benchGroup{{names, nil}}
	}
	var threadList []int
	if set["threads"] {
		var err error
		if threadList, err = suite.ParseInts("-threads", *threads, true); err != nil {
			return usageError{err}
		}
	}
	batches := p.batch
	if set["batch"] {
		var err error
		if batches, err = suite.ParseInts("-batch", *batch, false); err != nil {
			return usageError{err}
		}
	}
	algoValue := p.algos
	if set["algos"] {
		algoValue = *algos
	}
	algoList, note, err := suite.ResolveAlgos(algoValue)
	if err != nil {
		return usageError{err}
	}
	kv := *kernelsFlag
	if kv == "" {
		kv = os.Getenv(kernels.EnvVar)
	}
	kernelList, err := suite.ResolveKernels(kv)
	if err != nil {
		if errors.Is(err, kernels.ErrUnknownSet) {
			return usageError{err}
		}
		return err
	}
	if set["input"] {
		if _, err := suite.ResolveInput(architectures.Spec{Input: []int{3, 1, 1}}, *input); err != nil {
			return usageError{err}
		}
	}

	var cases []suite.Case
	seen := map[string]bool{}
	for _, g := range groups {
		ts := g.threads
		if threadList != nil || ts == nil {
			ts = threadList
		}
		if ts == nil {
			ts = suite.Dedup([]int{1, runtime.GOMAXPROCS(0)})
		}
		cs, err := suite.Matrix{Models: g.models, Input: *input, Batches: batches, Threads: ts,
			Algos: algoList, Kernels: kernelList}.Cases()
		if err != nil {
			return usageError{err}
		}
		for _, c := range cs {
			if !seen[c.Key()] {
				seen[c.Key()] = true
				cases = append(cases, c)
			}
		}
	}
	if len(cases) == 0 {
		return usageError{errors.New("the selection is empty: no cases to run")}
	}

	proto := p.proto
	if set["warmup"] {
		proto.Warmup = *warmup
	}
	if set["min-runs"] {
		proto.MinRuns = *minRuns
	}
	if set["min-time"] {
		proto.MinTime = suite.Duration(*minTime)
	}
	if set["budget"] {
		proto.Budget = suite.Duration(*budget)
	}
	if set["case-budget"] {
		proto.CaseBudget = suite.Duration(*caseBudget)
	}
	if set["max-pass"] {
		proto.MaxPass = suite.Duration(*maxPass)
	}
	if err := proto.Validate(); err != nil {
		return usageError{err}
	}
	if err := conv.SetTuning(conv.TuneConfig{Mode: *tune, CachePath: *tuneCache, Retune: *retune}); err != nil {
		return usageError{fmt.Errorf("-tune: %v", err)}
	}
	if slices.Contains(algoList, suite.AutoAlgo) {
		proto.AutoTuning = *tune
		if *tune == "measure" {
			switch {
			case *tuneCache == "":
				proto.AutoTuning += ", no cache"
			case *retune:
				proto.AutoTuning += ", retuned, cache " + *tuneCache
			default:
				proto.AutoTuning += ", cache " + *tuneCache
			}
		}
	}

	if *list {
		for _, c := range cases {
			fmt.Fprintln(stdout, c.Key())
		}
		return nil
	}
	if note != "" {
		fmt.Fprintf(benchStderr, "note: %s\n", note)
	}

	dir := *out
	if dir == "" {
		dir = filepath.Join("results", suite.RunName(time.Now(), suite.DescribeMachine(), kernelList))
		if *prof != "quick" {
			dir += "_" + *prof // another protocol: never resumed into a quick run
		}
	}
	if err := suite.CheckWritable(dir); err != nil {
		return err
	}
	if *link != "" {
		if err := symlink(dir, *link); err != nil {
			return err
		}
	}
	if *accounting {
		if err := writeAccounting(dir, *fresh); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &suite.Runner{Dir: dir, Protocol: proto, Seed: *seed, Log: benchStderr, Bar: isTerminal(benchStderr),
		Fresh: *fresh, Command: append([]string{"cnnbench", "bench"}, args...), AfterCase: benchAfterCase, Unfused: !*fuse}
	fmt.Fprintf(benchStderr, "bench: %d cases into %s (budget %s)\n", len(cases), dir, budgetText(proto))
	rep, err := r.Run(ctx, cases)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d cases: %d run now (%d ok, %d skipped, %d dropped, %d errors), %d already done; %s\n",
		len(cases), rep.OK+rep.Skipped+rep.Dropped+rep.Errored, rep.OK, rep.Skipped, rep.Dropped, rep.Errored,
		rep.Resumed, rep.Wall.Round(100*time.Millisecond))
	fmt.Fprintf(stdout, "results: %s, %s", filepath.Join(dir, suite.CSVName), filepath.Join(dir, suite.JSONName))
	if *accounting {
		fmt.Fprintf(stdout, ", %s", filepath.Join(dir, AccountingName))
	}
	fmt.Fprintln(stdout)
	if rep.Errored > 0 {
		return fmt.Errorf("%d case(s) failed (status error in %s); re-running the command retries them", rep.Errored, filepath.Join(dir, suite.CSVName))
	}
	return nil
}

// benchAfterCase is the runner's hook; tests replace it to simulate a kill.
var benchAfterCase func(done int, r suite.Row) error

func budgetText(p suite.Protocol) string {
	if p.Budget == 0 {
		return "none"
	}
	return time.Duration(p.Budget).String()
}

// writeAccounting writes the params/MACs table of every variant, unless a
// resumed run already has it.
func writeAccounting(dir string, fresh bool) error {
	path := filepath.Join(dir, AccountingName)
	if _, err := os.Stat(path); err == nil && !fresh {
		return nil
	}
	var b bytes.Buffer
	if err := runModels([]string{"-format", "csv"}, &b); err != nil {
		return err
	}
	return suite.WriteAtomic(path, b.Bytes())
}

// symlink points link at dir (relative when both are relative), replacing
// an older symlink atomically but never a real file or folder.
func symlink(dir, link string) error {
	if st, err := os.Lstat(link); err == nil && st.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("-link %s: exists and is not a symlink; remove it or choose another path", link)
	}
	target, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if absLink, err := filepath.Abs(link); err == nil {
		if rel, err := filepath.Rel(filepath.Dir(absLink), target); err == nil {
			target = rel
		}
	}
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("-link %s: %v", link, cause(err))
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("-link %s: %v", link, cause(err))
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// cause strips the operation and path from a *PathError or *LinkError,
// whose text the caller already gives.
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
