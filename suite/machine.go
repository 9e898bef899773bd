package suite

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/klauspost/cpuid/v2"
)

// Machine is the record stored with every run (DESIGN.md §6): what ran,
// where, from which commit, under which protocol.
type Machine struct {
	CPU      CPU      `json:"cpu"`
	Go       GoInfo   `json:"go"`
	Commit   Commit   `json:"commit"`
	Kernels  KernInfo `json:"kernels"`
	Seed     uint64   `json:"seed"`
	Protocol Protocol `json:"protocol"`
	// Peaks are the FP32 peaks measured in this run, one per kernel set and
	// thread count: the denominators of peak_fraction.
	Peaks    []Peak   `json:"peaks"`
	Command  []string `json:"command,omitempty"`
	Started  string   `json:"started"`  // RFC 3339, first session
	Updated  string   `json:"updated"`  // RFC 3339, last write
	Sessions int      `json:"sessions"` // 1 + times the run was resumed
	Notes    []string `json:"notes,omitempty"`
}

// CPU is what cpuid reports.
type CPU struct {
	Brand          string `json:"brand"`
	Vendor         string `json:"vendor"`
	Family         int    `json:"family"`
	Model          int    `json:"model"`
	Stepping       int    `json:"stepping"`
	PhysicalCores  int    `json:"physical_cores"`
	LogicalCores   int    `json:"logical_cores"`
	ThreadsPerCore int    `json:"threads_per_core"`
	L1D            int    `json:"l1d_bytes"`
	L1I            int    `json:"l1i_bytes"`
	L2             int    `json:"l2_bytes"`
	L3             int    `json:"l3_bytes"`
	CacheLine      int    `json:"cache_line_bytes"`
	BaseHz         int64  `json:"base_hz,omitempty"`
	BoostHz        int64  `json:"boost_hz,omitempty"`
	Hypervisor     string `json:"hypervisor,omitempty"`
	// Features are the cpuid features kernel dispatch looks at that this
	// CPU (and OS) supports.
	Features []string `json:"features"`
}

// GoInfo describes the toolchain and runtime.
type GoInfo struct {
	Version    string `json:"version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GOAMD64    string `json:"goamd64,omitempty"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	Tags       string `json:"tags,omitempty"`
}

// Commit identifies the source: from the binary's build info when it has
// VCS stamps, else from `git` in the working directory, else unknown.
type Commit struct {
	Revision string `json:"revision"`
	Modified *bool  `json:"modified"` // uncommitted changes; null when unknown
	Time     string `json:"time,omitempty"`
	Source   string `json:"source"` // "buildinfo", "git" or "unknown"
}

// KernInfo lists the kernel sets.
type KernInfo struct {
	Used      []string `json:"used"`      // sets this run's cases use
	Available []string `json:"available"` // sets this binary and CPU can run
	Best      string   `json:"best"`      // what "auto" picks here
}

// Peak is one measured FP32 peak.
type Peak struct {
	Kernels string  `json:"kernels"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops_per_s"`
	Source  string  `json:"source"`
}

// dispatchFeatures are the cpuid features the kernel sets require or that
// matter for reading results.
var dispatchFeatures = []cpuid.FeatureID{cpuid.SSE4, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C,
	cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512VNNI, cpuid.AVX512BF16}

// DescribeMachine fills the CPU, Go, commit and kernel-set parts of a
// machine record.
func DescribeMachine() Machine {
	c := cpuid.CPU
	cpu := CPU{Brand: strings.TrimSpace(c.BrandName), Vendor: c.VendorString, Family: c.Family, Model: c.Model,
		Stepping: c.Stepping, PhysicalCores: c.PhysicalCores, LogicalCores: c.LogicalCores,
		ThreadsPerCore: c.ThreadsPerCore, L1D: c.Cache.L1D, L1I: c.Cache.L1I, L2: c.Cache.L2, L3: c.Cache.L3,
		CacheLine: c.CacheLine, BaseHz: c.Hz, BoostHz: c.BoostFreq, Hypervisor: c.HypervisorVendorString}
	for _, f := range dispatchFeatures {
		if c.Supports(f) {
			cpu.Features = append(cpu.Features, f.String())
		}
	}
	g := GoInfo{Version: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU()}
	bi, haveBI := debug.ReadBuildInfo()
	if haveBI {
		for _, s := range bi.Settings {
			switch s.Key {
			case "GOAMD64":
				g.GOAMD64 = s.Value
			case "-tags":
				g.Tags = s.Value
			}
		}
	}
	if g.GOAMD64 == "" && runtime.GOARCH == "amd64" {
		g.GOAMD64 = os.Getenv("GOAMD64")
		if g.GOAMD64 == "" {
			g.GOAMD64 = "v1"
		}
	}
	best := kernels.Best().Name
	return Machine{CPU: cpu, Go: g, Commit: commitOf(bi, haveBI),
		Kernels: KernInfo{Available: kernels.Available(), Best: best}}
}

// commitOf reads vcs.revision and vcs.modified from the build info; `go
// run`, `go test` and builds with -buildvcs=false lack them, so it falls
// back to git in the working directory.
func commitOf(bi *debug.BuildInfo, ok bool) Commit {
	if ok {
		var c Commit
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				c.Revision = s.Value
			case "vcs.modified":
				m := s.Value == "true"
				c.Modified = &m
			case "vcs.time":
				c.Time = s.Value
			}
		}
		if c.Revision != "" {
			c.Source = "buildinfo"
			return c
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rev, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return Commit{Revision: "unknown", Source: "unknown"}
	}
	c := Commit{Revision: strings.TrimSpace(string(rev)), Source: "git"}
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain").Output(); err == nil {
		m := len(strings.TrimSpace(string(st))) > 0
		c.Modified = &m
	}
	if t, err := exec.CommandContext(ctx, "git", "log", "-1", "--format=%cI").Output(); err == nil {
		c.Time = strings.TrimSpace(string(t))
	}
	return c
}

var (
	cpuNoise = regexp.MustCompile(`(?i)\((r|tm)\)|\b(cpu|processor|\d+-core)\b|@.*$`)
	nonSlug  = regexp.MustCompile(`[^a-z0-9.]+`)
)

// Slug makes a string safe for a folder name: lower case, [a-z0-9.-] only.
func Slug(s string) string {
	s = nonSlug.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-.")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-.")
	}
	if s == "" {
		return "unknown"
	}
	return s
}

// CPUSlug is the CPU part of a run folder name, e.g. "amd-epyc" or
// "intel-core-i9-10940x".
func (m Machine) CPUSlug() string {
	b := cpuNoise.ReplaceAllString(m.CPU.Brand, " ")
	if strings.TrimSpace(b) == "" {
		b = m.CPU.Vendor
	}
	return Slug(b)
}

// RunName is the default folder name of a run: <date>_<cpu>_<kernelsets>.
func RunName(date time.Time, m Machine, kernelSets []string) string {
	return date.Format("2006-01-02") + "_" + m.CPUSlug() + "_" + Slug(strings.Join(kernelSets, "-"))
}
