package gemm

import (
	"sync"

	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/klauspost/cpuid/v2"
)

// Blocking holds the cache-blocking sizes of the loop nest (see the package
// documentation). Fields ≤ 0 take the value of DefaultBlocking, and where
// that is ≤ 0 too, the value derived from this CPU's caches and the kernel
// set's tile (CacheBlocking). MC is rounded up to a multiple of the kernel
// set's MR and NC to a multiple of NR.
//
// Only KC changes results: C is accumulated once per KC block, so two runs
// agree bitwise when they use the same kernel set and KC; MC, NC and the
// thread count only change the speed.
type Blocking struct {
	MC int // rows of A per block: an MC×KC block of packed A stays in L2
	KC int // depth per block: a KC×NR panel of packed B stays in L1
	NC int // columns of B per block: a KC×NC block of packed B stays in L3
}

// DefaultBlocking is used for every zero field of a Config's Blocking. Its
// own zero fields (the default) mean CacheBlocking(set). Change it only
// before any GEMM runs (it is not synchronised); prefer Config.Blocking for
// experiments.
var DefaultBlocking = Blocking{}

// Fallback cache sizes when cpuid reports none (e.g. some VMs).
const (
	fallbackL1D = 32 << 10
	fallbackL2  = 512 << 10
	fallbackL3  = 8 << 20
)

// caches returns the L1D, L2 and L3 sizes in bytes, read from cpuid once.
var caches = sync.OnceValue(func() [3]int {
	c := cpuid.CPU.Cache
	out := [3]int{c.L1D, c.L2, c.L3}
	for i, fb := range [3]int{fallbackL1D, fallbackL2, fallbackL3} {
		if out[i] <= 0 {
			out[i] = fb
		}
	}
	return out
})

// CacheBlocking derives the blocking of a kernel set from this CPU's cache
// sizes (cpuid), following Goto & van de Geijn and BLIS:
//
//	KC: a KC×NR panel of packed B fills half of L1D, leaving room for the
//	    streaming KC×MR A panel and the C tile;
//	MC: an MC×KC block of packed A fills a quarter of L2 (the B panels
//	    and C pass through L2 as well);
//	NC: a KC×NC block of packed B fills an eighth of L3 (shared by cores).
//
// On a Zen 4 core (L1D 32 KiB, L2 1 MiB, L3 32 MiB) with avx2 (6×16) this is
// MC=252 KC=256 NC=4096; with avx512 (14×32) MC=504 KC=128 NC=8192.
func CacheBlocking(s *kernels.Set) Blocking {
	sz := caches()
	l1, l2, l3 := sz[0], sz[1], sz[2]
	kc := l1 / 2 / (4 * s.NR)
	kc = max(kc/8*8, 32)
	kc = min(kc, 1024)
	mc := max(l2/4/(4*kc)/s.MR*s.MR, s.MR)
	nc := max(l3/8/(4*kc)/s.NR*s.NR, s.NR)
	return Blocking{MC: mc, KC: kc, NC: nc}
}

// Config selects the kernel set and blocking of a GEMM. The zero Config uses
// kernels.Active() (read at each call, so kernels.Select takes effect at
// once) and DefaultBlocking.
type Config struct {
	Kernels  *kernels.Set // nil: kernels.Active()
	Blocking Blocking     // zero fields: DefaultBlocking, then CacheBlocking
}

// resolve fills the defaults in.
func (cfg Config) resolve() (*kernels.Set, Blocking) {
	s := cfg.Kernels
	if s == nil {
		s = kernels.Active()
	}
	b := cfg.Blocking
	auto := Blocking{}
	if b.MC <= 0 || b.KC <= 0 || b.NC <= 0 {
		auto = CacheBlocking(s)
	}
	pick := func(v, dflt, derived int) int {
		if v > 0 {
			return v
		}
		if dflt > 0 {
			return dflt
		}
		return derived
	}
	b.MC = pick(b.MC, DefaultBlocking.MC, auto.MC)
	b.KC = pick(b.KC, DefaultBlocking.KC, auto.KC)
	b.NC = pick(b.NC, DefaultBlocking.NC, auto.NC)
	b.MC = roundUp(b.MC, s.MR)
	b.NC = roundUp(b.NC, s.NR)
	return s, b
}

// Resolve returns the kernel set and blocking that cfg stands for on this
// CPU, with every default filled in (for plans and result records).
func (cfg Config) Resolve() (*kernels.Set, Blocking) { return cfg.resolve() }

func ceilDiv(a, b int) int { return (a + b - 1) / b }
func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// minBPanels is the least number of KC×NR panels in the packed-B part of the
// workspace: each thread packs its own panels, so this many threads can work
// on a product of any width.
const minBPanels = 8

// bPackSize is the packed-B scratch: KC×NR panels for min(n, NC) columns
// (at least minBPanels panels), carved up between the threads.
func bPackSize(s *kernels.Set, b Blocking, n, k int) int {
	if n == 0 || k == 0 {
		return 0
	}
	return min(k, b.KC) * s.NR * max(min(ceilDiv(n, s.NR), b.NC/s.NR), minBPanels)
}

// aPackSize is the packed A over all of k (Sgemm packs it once per call).
func aPackSize(s *kernels.Set, m, k int) int {
	if m == 0 || k == 0 {
		return 0
	}
	return k * roundUp(m, s.MR)
}
