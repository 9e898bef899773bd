package kernels

import (
	"fmt"
	"strings"
	"sync"
)

// Set is one family of micro-kernels sharing a register tile and packing format.
type Set struct {
	// Name is the registered name: "generic", later "avx2", "avx512".
	Name string
	// MR×NR is the register tile: rows of A per packed A panel and columns of
	// B per packed B panel.
	MR, NR int
	// Sgemm computes one MR×NR tile of C, row-major with leading dimension
	// ldc ≥ NR:
	//
	//	C[i·ldc+j] = (C[i·ldc+j] if accumulate) + Σ_{p<k} a[p·MR+i]·b[p·NR+j]
	//
	// a holds at least k·MR packed elements, b at least k·NR, c at least
	// (MR−1)·ldc+NR. The products are summed from zero in ascending p and C
	// is added last. k = 0 is allowed (C is zeroed or kept). It panics on
	// short buffers: only a programming error can cause those.
	Sgemm func(k int, a, b, c []float32, ldc int, accumulate bool)
}

// String returns e.g. "generic(2x4)".
func (s *Set) String() string { return fmt.Sprintf("%s(%dx%d)", s.Name, s.MR, s.NR) }

// Generic is the pure-Go kernel set: always compiled, always available, and
// the reference every other set is tested against.
var Generic = &Set{Name: "generic", MR: 2, NR: 4, Sgemm: sgemm2x4Generic}

var (
	setsMu sync.RWMutex
	sets   = []*Set{Generic}
)

// Lookup returns the kernel set registered under name.
func Lookup(name string) (*Set, error) {
	setsMu.RLock()
	defer setsMu.RUnlock()
	for _, s := range sets {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown kernel set %q (have %s)", name, strings.Join(namesLocked(), ", "))
}

// Names lists the registered kernel sets in registration order (generic first).
func Names() []string {
	setsMu.RLock()
	defer setsMu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = s.Name
	}
	return out
}

// Active returns the kernel set in use. Only the generic set exists so far;
// CPU detection (lazy, never in init) and the -kernels / CNNBENCH_KERNELS
// override will choose here once assembly sets are registered.
func Active() *Set { return Generic }
