package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// problem is one Sgemm call with its operands stored with padded leading
// dimensions, and C wrapped in guard bands.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b           []float32
	lda, ldb       int
	cbuf           []float32 // guard | C (m rows of ldc) | guard
	ldc            int
}

const guard = 32

func (p *problem) c() []float32 { return p.cbuf[guard : len(p.cbuf)-guard] }

func (p *problem) opA(i, l int) float32 {
	if p.transA {
		return p.a[l*p.lda+i]
	}
	return p.a[i*p.lda+l]
}

func (p *problem) opB(l, j int) float32 {
	if p.transB {
		return p.b[j*p.ldb+l]
	}
	return p.b[l*p.ldb+j]
}

func randFill(r *rand.Rand, x []float32) {
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
}

// newProblem makes random operands; when nanC, C starts as NaN (only valid
// with beta = 0), otherwise random. Everything outside C's m×n elements
// (guard bands, row gaps when ldc > n) is NaN.
func newProblem(seed uint64, transA, transB bool, m, n, k int, alpha, beta float32, pad int, nanC bool) *problem {
	r := rand.New(rand.NewPCG(seed, uint64(m*1_000_003+n*1009+k)))
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	p.lda, p.ldb, p.ldc = max(ac, 1)+pad, max(bc, 1)+pad, max(n, 1)+pad
	p.a = make([]float32, ar*p.lda)
	p.b = make([]float32, br*p.ldb)
	randFill(r, p.a)
	randFill(r, p.b)
	p.cbuf = make([]float32, m*p.ldc+2*guard)
	for i := range p.cbuf {
		p.cbuf[i] = float32(math.NaN())
	}
	c := p.c()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if !nanC {
				c[i*p.ldc+j] = 2*r.Float32() - 1
			}
		}
	}
	return p
}

// reference returns alpha·op(A)·op(B) + beta·C in float64 and, per element,
// the error scale Σ|alpha·a·b| + |beta·c| (0·C counts as 0 when beta is 0).
func (p *problem) reference() (want, scale []float64) {
	want, scale = make([]float64, p.m*p.n), make([]float64, p.m*p.n)
	c := p.c()
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			var s, abs float64
			for l := 0; l < p.k; l++ {
				t := float64(p.alpha) * float64(p.opA(i, l)) * float64(p.opB(l, j))
				s += t
				abs += math.Abs(t)
			}
			if p.beta != 0 {
				t := float64(p.beta) * float64(c[i*p.ldc+j])
				s += t
				abs += math.Abs(t)
			}
			want[i*p.n+j], scale[i*p.n+j] = s, abs
		}
	}
	return want, scale
}

// check compares C with the reference under |c−ref| ≤ (k+1)·2⁻²³·scale and
// checks that nothing outside C's m×n elements was written. It returns the
// worst normalised error |c−ref|/scale.
func (p *problem) check(t *testing.T, want, scale []float64) float64 {
	t.Helper()
	tol := float64(p.k+1) * 0x1p-23
	c := p.c()
	worst := 0.0
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			got := float64(c[i*p.ldc+j])
			w, s := want[i*p.n+j], scale[i*p.n+j]
			diff := math.Abs(got - w)
			if math.IsNaN(got) || diff > tol*s {
				t.Fatalf("C[%d,%d] = %v, want %v (|diff| %.3g > tolerance %.3g)", i, j, got, w, diff, tol*s)
			}
			if s > 0 {
				worst = max(worst, diff/s)
			}
		}
	}
	for i, v := range p.cbuf {
		off := i - guard
		inC := off >= 0 && off < p.m*p.ldc && off%p.ldc < p.n
		if !inC && !math.IsNaN(float64(v)) {
			t.Fatalf("wrote outside C at offset %d", off)
		}
	}
	return worst
}

func (p *problem) run(cfg Config, ws []float32, threads int) {
	cfg.Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c(), p.ldc, ws, threads)
}

// forEachSet runs f as a subtest for every kernel set this CPU can run, so
// the whole suite covers generic and every assembly set; sets the CPU lacks
// are logged as not tested.
func forEachSet(t *testing.T, f func(t *testing.T, s *kernels.Set)) {
	for _, name := range kernels.Compiled() {
		s, err := kernels.Lookup(name)
		t.Run("kernels="+name, func(t *testing.T) {
			if err != nil {
				t.Skipf("not testing %s: %v", name, err)
			}
			f(t, s)
		})
	}
}

// smallBlocking forces several jc, pc and ic blocks on small problems, so the
// block loops, beta on the first block only and panel offsets are exercised.
var smallBlocking = Blocking{MC: 6, KC: 7, NC: 12}

var shapes = [][3]int{
	{1, 1, 1}, {1, 1, 2}, {2, 4, 1}, {1, 7, 3}, {5, 1, 4}, {3, 5, 7},
	{2, 4, 8}, {4, 8, 9}, {7, 11, 13}, {13, 17, 19}, {16, 16, 16},
	{17, 15, 33}, {31, 37, 41}, {33, 65, 17}, {64, 49, 72}, {67, 5, 300},
}

// TestSgemmMatchesReference checks every transpose combination, alpha and
// beta, padded leading dimensions, default and tiny blockings, against a
// float64 triple loop, for every kernel set.
func TestSgemmMatchesReference(t *testing.T) {
	forEachSet(t, func(t *testing.T, set *kernels.Set) {
		worst := 0.0
		for _, blk := range []Blocking{{}, smallBlocking} {
			cfg := Config{Kernels: set, Blocking: blk}
			for _, s := range shapes {
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 0.75}} {
						m, n, k := s[0], s[1], s[2]
						name := fmt.Sprintf("blocking=%d-%d-%d/m=%d/n=%d/k=%d/transA=%t/transB=%t/alpha=%g/beta=%g",
							blk.MC, blk.KC, blk.NC, m, n, k, tr[0], tr[1], ab[0], ab[1])
						t.Run(name, func(t *testing.T) {
							for pad := range 2 {
								p := newProblem(1, tr[0], tr[1], m, n, k, ab[0], ab[1], pad*3, ab[1] == 0)
								a0, b0 := slices.Clone(p.a), slices.Clone(p.b)
								want, scale := p.reference()
								p.run(cfg, nil, 2)
								worst = max(worst, p.check(t, want, scale))
								if !slices.Equal(a0, p.a) || !slices.Equal(b0, p.b) {
									t.Fatal("Sgemm modified A or B")
								}
							}
						})
					}
				}
			}
		}
		t.Logf("worst normalised error %.3g (bound for k=300: %.3g)", worst, 301*0x1p-23)
	})
}

// TestSgemmLarge runs shapes big enough for several KC, MC and NC blocks
// of the default blocking, full strips and edge tiles on both sides.
func TestSgemmLarge(t *testing.T) {
	large := [][3]int{{97, 200, 600}, {64, 49, 1200}, {301, 45, 263}, {7, 1100, 70}}
	if testing.Short() {
		large = [][3]int{{97, 100, 300}, {13, 500, 40}}
	}
	forEachSet(t, func(t *testing.T, set *kernels.Set) {
		for _, blk := range []Blocking{{}, {MC: 3 * set.MR, KC: 100, NC: 3 * set.NR}} {
			for _, s := range large {
				m, n, k := s[0], s[1], s[2]
				t.Run(fmt.Sprintf("blocking=%d-%d-%d/m=%d/n=%d/k=%d", blk.MC, blk.KC, blk.NC, m, n, k), func(t *testing.T) {
					for _, beta := range []float32{0, 0.5} {
						p := newProblem(5, false, false, m, n, k, 1, beta, 3, beta == 0)
						want, scale := p.reference()
						p.run(Config{Kernels: set, Blocking: blk}, nil, 2)
						p.check(t, want, scale)
					}
				})
			}
		}
	})
}

// TestSgemmZeroK checks that k = 0 (and alpha = 0) gives C = beta·C exactly,
// overwriting NaN when beta is 0, and leaves everything else alone.
func TestSgemmZeroK(t *testing.T) {
	forEachSet(t, func(t *testing.T, set *kernels.Set) { testSgemmZeroK(t, Config{Kernels: set}) })
}

func testSgemmZeroK(t *testing.T, cfg Config) {
	for _, beta := range []float32{0, 1, 2.5} {
		for _, k := range []int{0, 5} {
			t.Run(fmt.Sprintf("beta=%g/k=%d", beta, k), func(t *testing.T) {
				p := newProblem(2, false, false, 3, 5, k, 0, beta, 2, beta == 0)
				c0 := slices.Clone(p.c())
				want, scale := p.reference()
				p.run(cfg, nil, 1)
				c := p.c()
				for i := 0; i < p.m; i++ {
					for j := 0; j < p.n; j++ {
						want := float32(0)
						if beta != 0 {
							want = beta * c0[i*p.ldc+j]
						}
						if got := c[i*p.ldc+j]; got != want {
							t.Fatalf("C[%d,%d] = %v, want %v", i, j, got, want)
						}
					}
				}
				p.check(t, want, scale)
			})
		}
	}
}

// TestSgemmThreadInvariance checks bitwise-identical results for 1–5 threads
// and for prepacked A, with blockings that split the problem many ways.
func TestSgemmThreadInvariance(t *testing.T) {
	forEachSet(t, testSgemmThreadInvariance)
}

func testSgemmThreadInvariance(t *testing.T, set *kernels.Set) {
	sizes := [][3]int{{67, 71, 73}, {5, 301, 97}, {129, 7, 260}, {64, 3136 / 4, 576 / 4}, {512, 49, 700}}
	if testing.Short() {
		sizes = [][3]int{{67, 71, 73}, {5, 301, 97}, {129, 7, 60}, {256, 49, 50}}
	}
	for _, blk := range []Blocking{{}, smallBlocking, {MC: 16, KC: 64, NC: 40}} {
		for _, s := range sizes {
			m, n, k := s[0], s[1], s[2]
			t.Run(fmt.Sprintf("blocking=%d-%d-%d/m=%d/n=%d/k=%d", blk.MC, blk.KC, blk.NC, m, n, k), func(t *testing.T) {
				cfg := Config{Kernels: set, Blocking: blk}
				var first []float32
				for _, threads := range []int{1, 2, 3, 4, 5, 8, 13} {
					p := newProblem(3, false, false, m, n, k, 1, 0, 1, true)
					p.run(cfg, make([]float32, cfg.WorkspaceSize(m, n, k)), threads)
					if threads == 1 {
						first = slices.Clone(p.c())
						want, scale := p.reference() // beta = 0: C is not read
						p.check(t, want, scale)
						continue
					}
					if !bitwiseEqual(first, p.c()) {
						t.Fatalf("threads=%d differs from threads=1", threads)
					}
				}
				// Prepacked B (and A) too, when SgemmPacked keeps the
				// orientation (it gives the same bits either way).
				{
					p := newProblem(3, false, false, m, n, k, 1, 0, 1, true)
					pa := cfg.PackA(false, m, k, 1, p.a, p.lda)
					pb := make([]float32, pa.PackedBLen(n))
					pa.PackB(false, n, p.b, p.ldb, pb)
					SgemmPrepacked(pa, pb, n, 0, p.c(), p.ldc, 3)
					if !bitwiseEqual(first, p.c()) {
						t.Fatal("SgemmPrepacked differs from Sgemm")
					}
				}
				// Prepacked A multiplies in the same order: bitwise equal too.
				for threads := 1; threads <= 3; threads++ {
					p := newProblem(3, false, false, m, n, k, 1, 0, 1, true)
					pa := cfg.PackA(false, m, k, 1, p.a, p.lda)
					SgemmPacked(pa, false, n, p.b, p.ldb, 0, p.c(), p.ldc, make([]float32, pa.WorkspaceSize(n)), threads)
					if !bitwiseEqual(first, p.c()) {
						t.Fatalf("SgemmPacked threads=%d differs from Sgemm", threads)
					}
				}
			})
		}
	}
}

func bitwiseEqual(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return true
}

// TestSgemmPackedMatchesReference covers PackA with transposes and alpha,
// SgemmPacked with transB, beta, k = 0 and tiny blockings.
func TestSgemmPackedMatchesReference(t *testing.T) {
	forEachSet(t, testSgemmPackedMatchesReference)
}

func testSgemmPackedMatchesReference(t *testing.T, set *kernels.Set) {
	for _, blk := range []Blocking{{}, smallBlocking} {
		cfg := Config{Kernels: set, Blocking: blk}
		for _, s := range append(shapes, [3]int{4, 6, 0}) {
			for _, tr := range [][2]bool{{false, false}, {true, true}} {
				for _, beta := range []float32{0, 1, -2} {
					m, n, k := s[0], s[1], s[2]
					t.Run(fmt.Sprintf("blocking=%d-%d-%d/m=%d/n=%d/k=%d/transA=%t/transB=%t/beta=%g",
						blk.MC, blk.KC, blk.NC, m, n, k, tr[0], tr[1], beta), func(t *testing.T) {
						p := newProblem(4, tr[0], tr[1], m, n, k, 0.5, beta, 1, beta == 0)
						want, scale := p.reference()
						pa := cfg.PackA(p.transA, m, k, p.alpha, p.a, p.lda)
						if pa.M() != m || pa.K() != k || pa.Kernels() == nil || pa.Len() < m*k {
							t.Fatalf("PackedA reports m=%d k=%d len=%d", pa.M(), pa.K(), pa.Len())
						}
						SgemmPacked(pa, p.transB, n, p.b, p.ldb, beta, p.c(), p.ldc, nil, 3)
						p.check(t, want, scale)
						q := newProblem(4, tr[0], tr[1], m, n, k, 0.5, beta, 1, beta == 0)
						pb := make([]float32, pa.PackedBLen(n)+1)
						pa.PackB(q.transB, n, q.b, q.ldb, pb)
						SgemmPrepacked(pa, pb, n, beta, q.c(), q.ldc, 2)
						q.check(t, want, scale)
					})
				}
			}
		}
	}
}

// TestSgemmPanics checks that programming errors panic with a named message.
func TestSgemmPanics(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 9)
	cases := map[string]func(){
		"negative m":      func() { Sgemm(false, false, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3, nil, 1) },
		"bad lda":         func() { Sgemm(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3, nil, 1) },
		"short B":         func() { Sgemm(false, false, 3, 3, 5, 1, make([]float32, 15), 5, b, 3, 0, c, 3, nil, 1) },
		"short C":         func() { Sgemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c[:8], 3, nil, 1) },
		"short workspace": func() { Sgemm(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c, 3, make([]float32, 1), 1) },
		"packed nil":      func() { SgemmPacked(nil, false, 3, b, 3, 0, c, 3, nil, 1) },
		"packed short C":  func() { SgemmPacked(PackA(false, 3, 4, 1, a, 4), false, 3, b, 3, 0, c[:5], 3, nil, 1) },
		"PackA bad lda":   func() { PackA(true, 3, 4, 1, a, 2) },
		"prepacked short B": func() {
			SgemmPrepacked(PackA(false, 3, 4, 1, a, 4), make([]float32, 3), 3, 0, c, 3, 1)
		},
		"PackB short dst": func() { PackA(false, 3, 4, 1, a, 4).PackB(false, 3, b, 3, make([]float32, 2)) },
	}
	for name, f := range cases {
		t.Run(strings.ReplaceAll(name, " ", "-"), func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "gemm.") {
					t.Fatalf("panic %v, want a message starting with gemm.", r)
				}
			}()
			f()
		})
	}
}

// TestWorkspaceSize checks the reported size (the exact size is used above,
// and nil workspaces elsewhere), which is independent of the thread count by
// construction.
func TestWorkspaceSize(t *testing.T) {
	if got := WorkspaceSize(0, 5, 5); got != 0 {
		t.Errorf("WorkspaceSize(0,5,5) = %d, want 0", got)
	}
	forEachSet(t, func(t *testing.T, set *kernels.Set) {
		cfg := Config{Kernels: set}
		s, blk := cfg.resolve()
		for _, d := range [][3]int{{100, 5000, 1000}, {3, 2, 1}, {64, 49, 4608}} {
			m, n, k := d[0], d[1], d[2]
			bPanels := max(min(ceilDiv(n, s.NR), blk.NC/s.NR), minBPanels)
			want := min(k, blk.KC)*s.NR*bPanels + k*roundUp(m, s.MR)
			if got := cfg.WorkspaceSize(m, n, k); got != want {
				t.Errorf("WorkspaceSize(%d,%d,%d) = %d, want %d", m, n, k, got, want)
			}
			wantPacked := want - k*roundUp(m, s.MR)
			if swapped(s, m, n) {
				wantPacked = k * roundUp(n, s.MR)
			}
			if got, want := cfg.PackA(false, m, k, 1, make([]float32, m*k), k).WorkspaceSize(n), wantPacked; got != want {
				t.Errorf("PackedA.WorkspaceSize(%d) = %d, want %d", n, got, want)
			}
		}
	})
}

// TestSwapped checks the orientation choice: narrow products of SgemmPacked
// run as Cᵀ when the set has a transposed-store strip; TestSgemmThreadInvariance
// checks that both orientations give the same bits (SgemmPacked swaps
// 512×49, Sgemm never does).
func TestSwapped(t *testing.T) {
	forEachSet(t, func(t *testing.T, set *kernels.Set) {
		if set.SgemmStripT == nil {
			for _, d := range [][2]int{{512, 49}, {1000, 1}} {
				if swapped(set, d[0], d[1]) {
					t.Errorf("%s has no transposed strip but swapped(%d, %d)", set.Name, d[0], d[1])
				}
			}
			return
		}
		for _, c := range []struct {
			m, n int
			want bool
		}{{512, 49, true}, {512, 7, true}, {512, 512, false}, {64, 3136, false}, {256, 196, false}, {49, 512, false}} {
			if got := swapped(set, c.m, c.n); got != c.want {
				t.Errorf("swapped(%s, m=%d, n=%d) = %t, want %t", set.Name, c.m, c.n, got, c.want)
			}
		}
	})
}

// TestSwappedBitwise runs SgemmPacked on narrow shapes in both
// orientations: the results must be the same bits (and match the reference).
func TestSwappedBitwise(t *testing.T) {
	forEachSet(t, func(t *testing.T, set *kernels.Set) {
		for _, blk := range []Blocking{{}, {MC: 2 * set.MR, KC: 37, NC: 2 * set.NR}} {
			sizes := [][3]int{{512, 49, 300}, {100, 7, 64}, {37, 1, 20}, {160, 13, 9}}
			if testing.Short() {
				sizes[0] = [3]int{128, 49, 40}
			}
			for _, d := range sizes {
				m, n, k := d[0], d[1], d[2]
				for _, beta := range []float32{0, 1, 0.5} {
					cfg := Config{Kernels: set, Blocking: blk}
					var got [2][]float32
					for i, off := range []bool{false, true} {
						noSwap = off
						p := newProblem(6, false, false, m, n, k, 1.5, beta, 2, beta == 0)
						pa := cfg.PackA(false, m, k, p.alpha, p.a, p.lda)
						var want, scale []float64
						if i == 0 {
							want, scale = p.reference()
						}
						SgemmPacked(pa, false, n, p.b, p.ldb, beta, p.c(), p.ldc, nil, 2)
						if i == 0 {
							p.check(t, want, scale)
						}
						got[i] = slices.Clone(p.cbuf)
					}
					noSwap = false
					if !bitwiseEqual(got[0], got[1]) {
						t.Fatalf("%s m=%d n=%d k=%d beta=%g: swapped and normal orientations differ", set.Name, m, n, k, beta)
					}
				}
			}
		}
	})
}

// TestBlocking checks the cpuid-derived blocking and the defaults.
func TestBlocking(t *testing.T) {
	forEachSet(t, func(t *testing.T, set *kernels.Set) {
		b := CacheBlocking(set)
		if b.KC < 32 || b.KC%8 != 0 || b.MC < set.MR || b.MC%set.MR != 0 || b.NC < set.NR || b.NC%set.NR != 0 {
			t.Fatalf("CacheBlocking(%s) = %+v", set.Name, b)
		}
		s, r := Config{Kernels: set}.Resolve()
		if s != set || r != b {
			t.Fatalf("zero Config resolves to %v %+v, want %v %+v", s, r, set, b)
		}
		_, r = Config{Kernels: set, Blocking: Blocking{MC: 1, KC: 5, NC: 1}}.Resolve()
		if r != (Blocking{MC: set.MR, KC: 5, NC: set.NR}) {
			t.Fatalf("explicit blocking resolves to %+v", r)
		}
		t.Logf("%s: %+v", set.Name, b)
	})
}

// TestActiveAtCallTime checks that the zero Config follows kernels.Select.
func TestActiveAtCallTime(t *testing.T) {
	defer func() { _ = kernels.Select("auto") }()
	for _, name := range kernels.Available() {
		if err := kernels.Select(name); err != nil {
			t.Fatal(err)
		}
		if s, _ := (Config{}).Resolve(); s.Name != name {
			t.Fatalf("after Select(%s) the zero Config uses %s", name, s.Name)
		}
		if pa := PackA(false, 3, 3, 1, make([]float32, 9), 3); pa.Kernels().Name != name {
			t.Fatalf("after Select(%s) PackA packs for %s", name, pa.Kernels().Name)
		}
	}
}
