package gemm

import "github.com/cnnbench/cnnbench/engine/kernels"

// Blocking holds the cache-blocking sizes of the loop nest (see the package
// documentation). Fields ≤ 0 take the value of DefaultBlocking; MC is rounded
// up to a multiple of the kernel set's MR and NC to a multiple of NR.
type Blocking struct {
	MC int // rows of A per block: an MC×KC block of packed A stays in L2
	KC int // depth per block: a KC×NR panel of packed B stays in L1
	NC int // columns of B per block: a KC×NC block of packed B stays in L3
}

// DefaultBlocking is used for every zero field of a Config's Blocking. It is
// tuned for the generic kernel set (2×4 tile) on a core with 32–64 KiB L1 and
// ≥ 512 KiB L2. Change it only before any GEMM runs (it is not synchronised);
// prefer Config.Blocking for experiments.
var DefaultBlocking = Blocking{MC: 128, KC: 256, NC: 2048}

// Config selects the kernel set and blocking of a GEMM. The zero Config uses
// kernels.Active() and DefaultBlocking.
type Config struct {
	Kernels  *kernels.Set // nil: kernels.Active()
	Blocking Blocking     // zero fields: DefaultBlocking
}

// resolve fills the defaults in.
func (cfg Config) resolve() (*kernels.Set, Blocking) {
	s := cfg.Kernels
	if s == nil {
		s = kernels.Active()
	}
	b := cfg.Blocking
	if b.MC <= 0 {
		b.MC = DefaultBlocking.MC
	}
	if b.KC <= 0 {
		b.KC = DefaultBlocking.KC
	}
	if b.NC <= 0 {
		b.NC = DefaultBlocking.NC
	}
	// Guard against a DefaultBlocking set to nonsense.
	b.MC, b.KC, b.NC = max(b.MC, 1), max(b.KC, 1), max(b.NC, 1)
	b.MC = roundUp(b.MC, s.MR)
	b.NC = roundUp(b.NC, s.NR)
	return s, b
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// bPackSize is the packed-B block: KC×NC at most, shrunk to the problem.
func bPackSize(s *kernels.Set, b Blocking, n, k int) int {
	if n == 0 || k == 0 {
		return 0
	}
	return min(k, b.KC) * min(roundUp(n, s.NR), b.NC)
}

// aPackSize is the packed A of one KC block over all rows.
func aPackSize(s *kernels.Set, b Blocking, m, k int) int {
	if m == 0 || k == 0 {
		return 0
	}
	return min(k, b.KC) * roundUp(m, s.MR)
}
