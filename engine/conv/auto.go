package conv

// Auto: per-problem choice among the other algorithms.
//
// Computes what the chosen algorithm computes. Supports every shape some
// registered algorithm supports (im2col and naive support all). In "measure"
// mode Plan builds every candidate's plan, times a few forward passes on
// random input and keeps the fastest (the planning cost is reported by the
// harness as build time, never as latency); choices are cached on disk keyed
// by CPU, kernel set, thread count and problem, so a model is tuned once per
// machine. In "model" mode a cost model written from measurements on AVX2
// hardware picks without running anything. naive (the oracle) and
// winograd-f6x3 (looser tolerance, 1e-4) are never candidates. The idea of
// measuring candidates at plan time is FFTW's (Frigo & Johnson 2005) and
// oneDNN's/TVM's autotuning.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/parallel"
	"github.com/klauspost/cpuid/v2"
)

// TuneConfig controls the auto algorithm.
type TuneConfig struct {
	// Mode is "measure" (time the candidates once, cache the winner) or
	// "model" (cost model only, no timing).
	Mode string
	// Threads is the thread count the choice is tuned for (≤ 0: GOMAXPROCS).
	Threads int
	// CachePath is the JSON file holding measured choices; "" disables it.
	CachePath string
	// Retune ignores cached choices (and overwrites them).
	Retune bool
	// Runs is the number of timed passes per candidate (after one warm-up).
	Runs int
}

// DefaultCachePath is where measured choices are kept:
// $XDG_CACHE_HOME/cnnbench/autotune.json (or the OS equivalent).
func DefaultCachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "cnnbench", "autotune.json")
}

var (
	tuneMu sync.Mutex
	tuning = TuneConfig{Mode: "measure", CachePath: DefaultCachePath(), Runs: 3}
	cache  map[string]string // loaded lazily from tuning.CachePath
)

// SetTuning replaces the auto configuration (and forgets the loaded cache).
func SetTuning(c TuneConfig) error {
	if c.Mode != "measure" && c.Mode != "model" {
		return fmt.Errorf("auto: tuning mode %q: want measure or model", c.Mode)
	}
	if c.Runs < 1 {
		c.Runs = 3
	}
	tuneMu.Lock()
	defer tuneMu.Unlock()
	tuning, cache = c, nil
	return nil
}

// Tuning returns the current auto configuration.
func Tuning() TuneConfig {
	tuneMu.Lock()
	defer tuneMu.Unlock()
	return tuning
}

// Auto is the per-problem choosing algorithm.
type Auto struct{}

func init() { Register(Auto{}) }

// Name implements Algorithm.
func (Auto) Name() string { return "auto" }

// Chooser is implemented by plans that delegate to another algorithm.
type Chooser interface {
	// Chosen is the name of the algorithm actually running.
	Chosen() string
}

type autoPlan struct {
	Plan
	chosen string
}

func (a *autoPlan) Chosen() string { return a.chosen }

// ForwardEpilogue implements EpiloguePlan through the chosen plan.
func (a *autoPlan) ForwardEpilogue(out, in, ws []float32, threads int, e Epilogue) {
	Forward(a.Plan, out, in, ws, threads, e)
}

// candidates are the algorithms auto may pick.
func candidates() []string {
	var out []string
	for _, n := range Names() {
		if n != "auto" && n != "naive" && n != "winograd-f6x3" {
			out = append(out, n)
		}
	}
	return out
}

// Plan implements Algorithm.
func (Auto) Plan(p Params, weights, bias []float32) (Plan, error) {
	if err := checkPlanArgs(p, weights, bias); err != nil {
		return nil, err
	}
	cfg := Tuning()
	key := tuneKey(p, cfg.Threads)
	if cfg.Mode == "measure" && !cfg.Retune {
		if name, ok := cachedChoice(key); ok {
			if pl, err := planWith(name, p, weights, bias); err == nil {
				return &autoPlan{pl, name}, nil
			}
		}
	}
	if cfg.Mode == "model" {
		name := ModelChoice(p)
		pl, err := planWith(name, p, weights, bias)
		if err != nil {
			return nil, err
		}
		return &autoPlan{pl, name}, nil
	}
	best, bestName, bestTime := Plan(nil), "", time.Duration(1<<62)
	for _, name := range candidates() {
		pl, err := planWith(name, p, weights, bias)
		if errors.Is(err, ErrUnsupported) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if d := timePlan(pl, cfg); d < bestTime {
			best, bestName, bestTime = pl, name, d
		}
	}
	if best == nil {
		return nil, Unsupported("auto", "no registered algorithm supports %s", p)
	}
	storeChoice(key, bestName)
	return &autoPlan{best, bestName}, nil
}

func planWith(name string, p Params, w, b []float32) (Plan, error) {
	a, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return a.Plan(p, w, b)
}

// timePlan returns the fastest of cfg.Runs forward passes after a warm-up.
func timePlan(pl Plan, cfg TuneConfig) time.Duration {
	p := pl.Params()
	r := rand.New(rand.NewPCG(1, 2))
	in := make([]float32, p.InLen())
	for i := range in {
		in[i] = 2*r.Float32() - 1
	}
	out := make([]float32, p.OutLen())
	ws := make([]float32, pl.Workspace())
	pl.Forward(out, in, ws, cfg.Threads)
	best := time.Duration(1 << 62)
	for i := 0; i < cfg.Runs; i++ {
		start := time.Now()
		pl.Forward(out, in, ws, cfg.Threads)
		best = min(best, time.Since(start))
	}
	return best
}

// ModelChoice is auto's cost model: the algorithm that measurements on
// AVX2 hardware found fastest for each kind of layer.
func ModelChoice(p Params) string {
	has := func(n string) bool { return slices.Contains(Names(), n) }
	k := (p.Cin / p.Groups) * p.KH * p.KW
	switch {
	case p.Depthwise() && p.Cout == p.Cin && has("depthwise"):
		return "depthwise"
	case p.KH == 1 && p.KW == 1 && p.PadT+p.PadB+p.PadL+p.PadR == 0 && has("pointwise"):
		return "pointwise"
	case p.KH == 3 && p.KW == 3 && p.StrideH == 1 && p.StrideW == 1 && p.DilH == 1 && p.DilW == 1 &&
		p.Groups == 1 && p.Cin >= 16 && p.Cout >= 16 && p.H >= 8 && p.W >= 8 && has("winograd-f4x3"):
		return "winograd-f4x3"
	case k <= 600 && p.Cout/p.Groups >= 6 && has("direct"):
		return "direct"
	}
	return "im2col"
}

func tuneKey(p Params, threads int) string {
	return fmt.Sprintf("%s|%s|t%d|%s", cpuid.CPU.BrandName, kernels.Active().Name, threadsOrMax(threads), p)
}

func threadsOrMax(t int) int {
	if t > 0 {
		return t
	}
	return parallel.Threads(0)
}

func cachedChoice(key string) (string, bool) {
	tuneMu.Lock()
	defer tuneMu.Unlock()
	loadCacheLocked()
	name, ok := cache[key]
	return name, ok
}

func storeChoice(key, name string) {
	tuneMu.Lock()
	defer tuneMu.Unlock()
	loadCacheLocked()
	cache[key] = name
	if tuning.CachePath == "" {
		return
	}
	data, err := json.MarshalIndent(cache, "", "  ")
	if err != nil {
		return
	}
	// The cache is an optimisation: failing to write it costs a re-tune
	// next time, never a wrong result, so errors are dropped here.
	dir := filepath.Dir(tuning.CachePath)
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".autotune-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), tuning.CachePath) != nil {
		os.Remove(tmp.Name())
	}
}

func loadCacheLocked() {
	if cache != nil {
		return
	}
	cache = map[string]string{}
	if tuning.CachePath == "" {
		return
	}
	data, err := os.ReadFile(tuning.CachePath)
	if err != nil {
		return
	}
	// A corrupt cache is ignored (and rewritten on the next choice).
	if json.Unmarshal(data, &cache) != nil {
		cache = map[string]string{}
	}
}
