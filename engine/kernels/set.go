package kernels

import (
	"fmt"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Set is one family of micro-kernels sharing a register tile and packing format.
type Set struct {
	// Name is the registered name: "generic", "avx2", "avx512".
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
	// is added last (the assembly sets fuse each multiply-add, so they round
	// once per step instead of twice). k = 0 is allowed (C is zeroed or
	// kept). It panics on short buffers: only a programming error can cause
	// those.
	Sgemm func(k int, a, b, c []float32, ldc int, accumulate bool)

	// SgemmStrip, when not nil, is Sgemm over tiles tiles stacked down C
	// that share one B panel: tile t reads the A panel at a[t·aStride:] and
	// writes C at c[t·MR·ldc:]. It gives the same bits as tiles calls of
	// Sgemm and exists to save the per-call overhead in the driver's inner
	// loop.
	SgemmStrip func(k, tiles int, a []float32, aStride int, b, c []float32, ldc int, accumulate bool)

	// SgemmStripT, when not nil, is SgemmStrip with every tile stored
	// transposed: element (r, j) of tile t goes to c[j·ldc + t·MR + r]
	// (ldc ≥ tiles·MR). With it the driver computes a narrow C as
	// Cᵀ = op(B)ᵀ·op(A)ᵀ, which wastes less of the register tile when n is
	// small (ResNet's 7×7 layers: n = 49). The sums are the same FMA chains,
	// so the bits are those of SgemmStrip.
	SgemmStripT func(k, tiles int, a []float32, aStride int, b, c []float32, ldc int, accumulate bool)

	// SgemmEdge, when not nil, computes only the top-left mr×nr corner of
	// a tile (1 ≤ mr ≤ MR, 1 ≤ nr ≤ NR; ldc ≥ nr, c at least (mr−1)·ldc+nr)
	// and touches no other element of c. Every element it writes has the
	// bits Sgemm would give it, so edge tiles need no scratch copy. When nil,
	// the driver runs Sgemm on a scratch tile.
	SgemmEdge func(k int, a, b, c []float32, ldc int, accumulate bool, mr, nr int)

	// PackB, when not nil, packs panels full B panels of consecutive
	// columns from a row-major matrix (ld ≥ panels·NR): for q < panels and
	// p < kc, dst[q·kc·NR + p·NR : … + NR] = src[p·ld + q·NR : … + NR].
	// The driver packs partial and transposed panels itself.
	PackB func(dst, src []float32, ld, kc, panels int)

	// PackA, when not nil, packs one full A panel from a row-major matrix
	// (lda ≥ kc): dst[p·MR + i] = alpha·src[i·lda + p] for i < MR, p < kc.
	// The driver packs partial and transposed panels itself.
	PackA func(dst, src []float32, lda, kc int, alpha float32)

	// Epilogue computes dst[i] = act(src[i] + bias + res[i]) for i <
	// len(dst) (no residual term when res is nil; dst may be src). See
	// epilogue.go for the order of the sums and the tolerance of SiLU and
	// Sigmoid. Every set has one.
	Epilogue func(dst, src, res []float32, bias float32, act Act)

	// Sgemv sets y[r] = Σ_{i<len(x)} w[r·ldw + i]·x[i] for r < rows (w
	// row-major, ldw ≥ len(x) when rows > 1; len(y) ≥ rows): the
	// matrix-vector product of a batch-1 fully connected layer. Every set
	// sums in the order gemv.go defines (16 partial sums, then a fixed
	// tree), and a row's bits do not depend on rows, so callers may split
	// the rows anywhere. Every set has one.
	Sgemv func(rows int, w []float32, ldw int, x, y []float32)

	// DepthwiseRow computes one output row segment of a depthwise
	// convolution with the 3×3 or 5×5 kernel k (stride 1 or 2):
	// dst[x] = Σ_{i,j<K} w[i·K+j]·rows[i][x·S+j] + b for x < len(dst), each
	// rows[i] holding at least DWSpan(k, len(dst)) inputs. Every set sums in
	// the order depthwise.go defines, without FMA, so all sets give the
	// same bits wherever an output lies in a row. Every set has one.
	DepthwiseRow func(k DWKernel, dst []float32, rows [][]float32, w []float32, b float32)

	// Peak, when not nil, runs iters iterations of independent
	// register-only FMAs of the set's width and returns the flops done:
	// timing it measures this core's FMA peak (the denominator of a
	// kernel's peak fraction).
	Peak func(iters int) (flops float64)

	// Requires lists the CPU features the set needs, e.g. "AVX2 FMA3"
	// (empty for generic).
	Requires string

	features []cpuid.FeatureID // checked lazily by Supported

	// WinogradInput is the input transform V = Bᵀ d B of Winograd
	// F(m×m, 3×3), m = 2, 4 or 6 (α = m+2), for WinogradGroup tiles at
	// once: tile k is the α×α block d.Data[k][i·d.Stride[k] + j], and
	// element ξ = row·α + column of its V goes to v[ξ·vs + k] (vs ≥
	// WinogradGroup). WinogradOutput is the output transform Y = Aᵀ M A +
	// bias: element ξ of tile k's M is mm[ξ·ms + k], and Y (m×m) goes to
	// y.Data[k][i·y.Stride[k] + j]. The matrices and the order of the
	// operations are those of winograd.go, so every set gives the same
	// bits. Every set has them (set by init in winograd*.go).
	WinogradInput  func(m int, d *WinogradTiles, v []float32, vs int)
	WinogradOutput func(m int, mm []float32, ms int, bias float32, y *WinogradTiles)
}

// String returns e.g. "generic(2x4)".
func (s *Set) String() string { return fmt.Sprintf("%s(%dx%d)", s.Name, s.MR, s.NR) }

// Supported reports whether this CPU (and operating system: cpuid checks
// that the OS saves the vector state) can run the set.
func (s *Set) Supported() bool { return len(s.features) == 0 || cpu().Supports(s.features...) }

// missing explains why an unsupported set cannot run here.
func (s *Set) missing() error {
	var lack []string
	for _, f := range s.features {
		if !cpu().Supports(f) {
			lack = append(lack, f.String())
		}
	}
	brand := strings.TrimSpace(cpu().BrandName)
	if brand == "" {
		brand = "unknown"
	}
	return &setError{ErrUnsupportedSet, fmt.Sprintf("kernel set %s needs %s, which this CPU (%s) lacks",
		s.Name, strings.Join(lack, " and "), brand)}
}

// Generic is the pure-Go kernel set: always compiled, always available, and
// the reference every other set is tested against.
var Generic = &Set{Name: "generic", MR: 2, NR: 4, Sgemm: sgemm2x4Generic, Epilogue: epilogueGeneric,
	Sgemv: sgemvGeneric, DepthwiseRow: depthwiseRowGeneric}

// compiled lists every set built into this binary in order of preference
// (best last); archSets comes from sets_amd64.go or sets_other.go. The list
// is static: no CPU detection happens at package initialisation.
var compiled = append([]*Set{Generic}, archSets...)

// knownNames are the names the -kernels flag accepts on any build.
var knownNames = []string{"generic", "avx2", "avx512"}
