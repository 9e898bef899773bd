package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// refTile computes the micro-kernel contract in float64 and returns the
// result and the normalisation Σ|a||b| (+|c|) per element.
func refTile(s *Set, k int, a, b, c []float32, ldc int, accumulate bool) (want, scale []float64) {
	want = make([]float64, s.MR*s.NR)
	scale = make([]float64, s.MR*s.NR)
	for i := 0; i < s.MR; i++ {
		for j := 0; j < s.NR; j++ {
			var sum, abs float64
			for p := 0; p < k; p++ {
				x, y := float64(a[p*s.MR+i]), float64(b[p*s.NR+j])
				sum += x * y
				abs += math.Abs(x * y)
			}
			if accumulate {
				sum += float64(c[i*ldc+j])
				abs += math.Abs(float64(c[i*ldc+j]))
			}
			want[i*s.NR+j], scale[i*s.NR+j] = sum, abs
		}
	}
	return want, scale
}

// genericTile computes the same MR×NR tile with the generic set's 2×4
// kernel (the oracle), repacking the panels into its layout.
func genericTile(s *Set, k int, a, b, c []float32, ldc int, accumulate bool) []float32 {
	g := Generic
	out := make([]float32, s.MR*s.NR)
	for i0 := 0; i0 < s.MR; i0 += g.MR {
		for j0 := 0; j0 < s.NR; j0 += g.NR {
			ga, gb := make([]float32, k*g.MR), make([]float32, k*g.NR)
			for p := 0; p < k; p++ {
				for i := 0; i < g.MR && i0+i < s.MR; i++ {
					ga[p*g.MR+i] = a[p*s.MR+i0+i]
				}
				for j := 0; j < g.NR && j0+j < s.NR; j++ {
					gb[p*g.NR+j] = b[p*s.NR+j0+j]
				}
			}
			gc := make([]float32, g.MR*g.NR)
			for i := 0; i < g.MR && i0+i < s.MR; i++ {
				for j := 0; j < g.NR && j0+j < s.NR; j++ {
					gc[i*g.NR+j] = c[(i0+i)*ldc+j0+j]
				}
			}
			g.Sgemm(k, ga, gb, gc, g.NR, accumulate)
			for i := 0; i < g.MR && i0+i < s.MR; i++ {
				for j := 0; j < g.NR && j0+j < s.NR; j++ {
					out[(i0+i)*s.NR+j0+j] = gc[i*g.NR+j]
				}
			}
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

func nanSlice(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// sets returns every set usable here; each compiled set this CPU lacks
// shows up as a skipped subtest saying why, so a run lists what it did not
// test (avx512 on CPUs without AVX-512F).
func sets(t testing.TB) []*Set {
	var out []*Set
	for _, name := range Compiled() {
		s, err := Lookup(name)
		if err != nil {
			switch t := t.(type) {
			case *testing.T:
				t.Run("kernels="+name, func(t *testing.T) { t.Skipf("not testing %s: %v", name, err) })
			case *testing.B:
				t.Run("kernels="+name, func(b *testing.B) { b.Skipf("not benchmarking %s: %v", name, err) })
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

var depths = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 257, 1000}

// TestKernelsMatchReference runs every usable set's micro-kernel against the
// float64 contract and against the generic oracle, over depths that hit every
// remainder of the unrolled loops, with and without accumulation, a strided
// C, guard bands around C and a NaN-prefilled C when not accumulating.
func TestKernelsMatchReference(t *testing.T) {
	const guard = 16
	for _, s := range sets(t) {
		for _, k := range depths {
			for _, acc := range []bool{false, true} {
				for _, ldc := range []int{s.NR, s.NR + 5} {
					t.Run(fmt.Sprintf("%s/k=%d/accumulate=%t/ldc=%d", s.Name, k, acc, ldc), func(t *testing.T) {
						r := rand.New(rand.NewPCG(uint64(k), uint64(ldc)))
						a, b := randSlice(r, k*s.MR), randSlice(r, k*s.NR)
						n := (s.MR-1)*ldc + s.NR
						buf := nanSlice(n + 2*guard)
						c := buf[guard : guard+n]
						for i := 0; i < s.MR; i++ {
							for j := 0; j < s.NR; j++ {
								if acc {
									c[i*ldc+j] = 2*r.Float32() - 1
								}
							}
						}
						c0 := slices.Clone(c)
						want, scale := refTile(s, k, a, b, c0, ldc, acc)
						oracle := genericTile(s, k, a, b, c0, ldc, acc)
						s.Sgemm(k, a, b, c, ldc, acc)
						tol := float64(k+1) * 0x1p-23
						for i := 0; i < s.MR; i++ {
							for j := 0; j < s.NR; j++ {
								got := float64(c[i*ldc+j])
								w, sc := want[i*s.NR+j], scale[i*s.NR+j]
								if math.IsNaN(got) || math.Abs(got-w) > tol*sc {
									t.Fatalf("C[%d,%d] = %v, want %v (tolerance %.3g)", i, j, got, w, tol*sc)
								}
								if o := float64(oracle[i*s.NR+j]); math.Abs(got-o) > 2*tol*sc {
									t.Fatalf("C[%d,%d] = %v, generic gives %v (tolerance %.3g)", i, j, got, o, 2*tol*sc)
								}
							}
						}
						// Guard bands and the gaps between rows stay untouched.
						for i, v := range buf {
							inTile := i >= guard && i < guard+n && (i-guard)%ldc < s.NR
							if !inTile && !math.IsNaN(float64(v)) {
								t.Fatalf("wrote outside the tile at offset %d", i-guard)
							}
						}
					})
				}
			}
		}
	}
}

// TestStripMatchesSgemm checks that SgemmStrip gives the bits of one Sgemm
// call per tile, with a padded A stride and C guard bands.
func TestStripMatchesSgemm(t *testing.T) {
	const guard = 16
	for _, s := range sets(t) {
		if s.SgemmStrip == nil {
			continue
		}
		for _, k := range []int{0, 1, 5, 64, 131} {
			for _, tiles := range []int{0, 1, 2, 5} {
				for _, acc := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/k=%d/tiles=%d/accumulate=%t", s.Name, k, tiles, acc), func(t *testing.T) {
						r := rand.New(rand.NewPCG(uint64(k), uint64(tiles)))
						aStride := k*s.MR + 3
						ldc := s.NR + 7
						a := randSlice(r, tiles*aStride)
						b := randSlice(r, k*s.NR)
						n := tiles * s.MR * ldc
						buf := nanSlice(n + 2*guard)
						c := buf[guard : guard+n]
						for i := 0; i < tiles*s.MR; i++ {
							for j := 0; j < s.NR; j++ {
								if acc {
									c[i*ldc+j] = 2*r.Float32() - 1
								}
							}
						}
						want := slices.Clone(buf)
						for tt := 0; tt < tiles; tt++ {
							s.Sgemm(k, a[tt*aStride:], b, want[guard+tt*s.MR*ldc:], ldc, acc)
						}
						s.SgemmStrip(k, tiles, a, aStride, b, c, ldc, acc)
						if !bitsEqual(buf, want) {
							t.Fatal("SgemmStrip differs from Sgemm per tile (or wrote outside C)")
						}
					})
				}
			}
		}
	}
}

// TestStripTMatchesStrip checks the transposed-store strip against the
// plain strip, bit for bit, with guard bands and a padded ldc.
func TestStripTMatchesStrip(t *testing.T) {
	const guard = 16
	for _, s := range sets(t) {
		if s.SgemmStripT == nil {
			continue
		}
		for _, k := range []int{0, 1, 5, 64, 131} {
			for _, tiles := range []int{0, 1, 2, 5} {
				for _, acc := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/k=%d/tiles=%d/accumulate=%t", s.Name, k, tiles, acc), func(t *testing.T) {
						r := rand.New(rand.NewPCG(uint64(k), uint64(tiles)+100))
						aStride := k*s.MR + 5
						a, b := randSlice(r, tiles*aStride), randSlice(r, k*s.NR)
						cols := tiles * s.MR
						ldc := cols + 3
						n := (s.NR-1)*ldc + cols
						buf := nanSlice(n + 2*guard)
						c := buf[guard : guard+n]
						// plain: the transposed C as tiles·MR rows × NR.
						plain := make([]float32, cols*s.NR)
						for j := 0; j < s.NR; j++ {
							for i := 0; i < cols; i++ {
								if acc {
									v := 2*r.Float32() - 1
									c[j*ldc+i], plain[i*s.NR+j] = v, v
								}
							}
						}
						s.SgemmStrip(k, tiles, a, aStride, b, plain, s.NR, acc)
						s.SgemmStripT(k, tiles, a, aStride, b, c, ldc, acc)
						for i, v := range buf {
							off := i - guard
							if off >= 0 && off < n && off%ldc < cols {
								j, col := off/ldc, off%ldc
								if want := plain[col*s.NR+j]; math.Float32bits(v) != math.Float32bits(want) {
									t.Fatalf("C[%d,%d] = %v, want %v", j, col, v, want)
								}
							} else if !math.IsNaN(float64(v)) {
								t.Fatalf("wrote outside C at offset %d", off)
							}
						}
					})
				}
			}
		}
	}
}

// TestEdgeMatchesSgemm checks every mr×nr corner: the written elements have
// the bits of the full tile and nothing else is touched.
func TestEdgeMatchesSgemm(t *testing.T) {
	const guard = 16
	for _, s := range sets(t) {
		if s.SgemmEdge == nil {
			continue
		}
		for _, k := range []int{0, 1, 3, 6, 37} {
			for _, acc := range []bool{false, true} {
				r := rand.New(rand.NewPCG(uint64(k), 7))
				a, b := randSlice(r, k*s.MR), randSlice(r, k*s.NR)
				cin := randSlice(r, s.MR*s.NR)
				full := slices.Clone(cin)
				s.Sgemm(k, a, b, full, s.NR, acc)
				for mr := 1; mr <= s.MR; mr++ {
					for nr := 1; nr <= s.NR; nr++ {
						ldc := nr + 2
						n := (mr-1)*ldc + nr
						buf := nanSlice(n + 2*guard)
						c := buf[guard : guard+n]
						for i := 0; i < mr; i++ {
							for j := 0; j < nr; j++ {
								if acc {
									c[i*ldc+j] = cin[i*s.NR+j]
								}
							}
						}
						s.SgemmEdge(k, a, b, c, ldc, acc, mr, nr)
						for i, v := range buf {
							off := i - guard
							if off >= 0 && off < n && off%ldc < nr {
								row, col := off/ldc, off%ldc
								if math.Float32bits(v) != math.Float32bits(full[row*s.NR+col]) {
									t.Fatalf("%s k=%d acc=%t edge %dx%d: C[%d,%d] = %v, full tile has %v",
										s.Name, k, acc, mr, nr, row, col, v, full[row*s.NR+col])
								}
							} else if !math.IsNaN(float64(v)) {
								t.Fatalf("%s k=%d acc=%t edge %dx%d: wrote outside at offset %d", s.Name, k, acc, mr, nr, off)
							}
						}
					}
				}
			}
		}
	}
}

// TestPackB checks the assembly B packers against a Go copy, with guard
// bands around dst.
func TestPackB(t *testing.T) {
	const guard = 8
	for _, s := range sets(t) {
		if s.PackB == nil {
			continue
		}
		for _, kc := range []int{0, 1, 2, 3, 7, 64} {
			for _, panels := range []int{0, 1, 2, 5} {
				ld := panels*s.NR + 3
				r := rand.New(rand.NewPCG(uint64(kc), 1))
				src := randSlice(r, max(kc*ld, 1))
				n := panels * kc * s.NR
				buf := nanSlice(n + 2*guard)
				s.PackB(buf[guard:guard+n], src, ld, kc, panels)
				for i, v := range buf {
					if i < guard || i >= guard+n {
						if !math.IsNaN(float64(v)) {
							t.Fatalf("%s kc=%d panels=%d: wrote outside dst at %d", s.Name, kc, panels, i-guard)
						}
						continue
					}
					q, p, j := (i-guard)/(kc*s.NR), (i-guard)%(kc*s.NR)/s.NR, (i-guard)%s.NR
					if want := src[p*ld+q*s.NR+j]; v != want {
						t.Fatalf("%s kc=%d panels=%d: panel %d dst[%d,%d] = %v, want %v", s.Name, kc, panels, q, p, j, v, want)
					}
				}
			}
		}
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "kernels.") {
					t.Errorf("%s: PackB on a short source: panic %q", s.Name, msg)
				}
			}()
			s.PackB(make([]float32, 4*s.NR), make([]float32, 2*s.NR+2*s.NR-1), 2*s.NR, 2, 2)
		}()
	}
}

// TestPackA checks the assembly A packers against the Go loop, bit for bit
// (alpha included), with guard bands around dst.
func TestPackA(t *testing.T) {
	const guard = 8
	for _, s := range sets(t) {
		if s.PackA == nil {
			continue
		}
		for _, kc := range []int{0, 1, 15, 16, 17, 33, 64, 100} {
			for _, alpha := range []float32{1, -0.37} {
				lda := kc + 5
				r := rand.New(rand.NewPCG(uint64(kc), 2))
				src := randSlice(r, s.MR*lda)
				buf := nanSlice(kc*s.MR + 2*guard)
				s.PackA(buf[guard:guard+kc*s.MR], src, lda, kc, alpha)
				for i, v := range buf {
					if i < guard || i >= guard+kc*s.MR {
						if !math.IsNaN(float64(v)) {
							t.Fatalf("%s kc=%d: wrote outside dst at %d", s.Name, kc, i-guard)
						}
						continue
					}
					p, row := (i-guard)/s.MR, (i-guard)%s.MR
					if want := alpha * src[row*lda+p]; math.Float32bits(v) != math.Float32bits(want) {
						t.Fatalf("%s kc=%d alpha=%g: dst[%d,%d] = %v, want %v", s.Name, kc, alpha, p, row, v, want)
					}
				}
			}
		}
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "kernels.") {
					t.Errorf("%s: PackA on a short source: panic %q", s.Name, msg)
				}
			}()
			s.PackA(make([]float32, 16*s.MR), make([]float32, 16*s.MR-1), 16, 16, 1)
		}()
	}
}

func bitsEqual(x, y []float32) bool {
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

// TestKernelsPanicOnShortPanels checks the named panic for programmer errors.
func TestKernelsPanicOnShortPanels(t *testing.T) {
	for _, s := range sets(t) {
		cases := map[string]func(){
			"short A": func() {
				s.Sgemm(4, make([]float32, 4*s.MR-1), make([]float32, 4*s.NR), make([]float32, s.MR*s.NR), s.NR, false)
			},
			"short C": func() {
				s.Sgemm(4, make([]float32, 4*s.MR), make([]float32, 4*s.NR), make([]float32, s.MR*s.NR-1), s.NR, false)
			},
		}
		if s.SgemmStrip != nil {
			cases["strip short C"] = func() {
				s.SgemmStrip(2, 2, make([]float32, 4*s.MR), 2*s.MR, make([]float32, 2*s.NR), make([]float32, 2*s.MR*s.NR-1), s.NR, false)
			}
			cases["strip short A"] = func() {
				s.SgemmStrip(2, 2, make([]float32, 4*s.MR-1), 2*s.MR, make([]float32, 2*s.NR), make([]float32, 2*s.MR*s.NR), s.NR, false)
			}
		}
		if s.SgemmStripT != nil {
			cases["stripT short ldc"] = func() {
				s.SgemmStripT(2, 2, make([]float32, 4*s.MR), 2*s.MR, make([]float32, 2*s.NR), make([]float32, s.NR*2*s.MR), 2*s.MR-1, false)
			}
		}
		if s.SgemmEdge != nil {
			cases["edge rows"] = func() {
				s.SgemmEdge(1, make([]float32, s.MR), make([]float32, s.NR), make([]float32, s.MR*s.NR+s.NR), s.NR, false, s.MR+1, 1)
			}
			cases["edge short C"] = func() {
				s.SgemmEdge(1, make([]float32, s.MR), make([]float32, s.NR), make([]float32, 2*s.NR), s.NR, false, 3, s.NR)
			}
		}
		for name, f := range cases {
			func() {
				defer func() {
					msg, _ := recover().(string)
					if !strings.HasPrefix(msg, "kernels.") {
						t.Errorf("%s %s: panic %q, want one starting with kernels.", s.Name, name, msg)
					}
				}()
				f()
			}()
		}
	}
}

func TestLookupAndNames(t *testing.T) {
	if got := Names(); len(got) == 0 || got[0] != "generic" {
		t.Fatalf("Names() = %v, want generic first", got)
	}
	if got := Compiled(); got[0] != "generic" || len(got) < len(Available()) {
		t.Fatalf("Compiled() = %v, Available() = %v", got, Available())
	}
	if s, err := Lookup("generic"); err != nil || s != Generic {
		t.Fatalf("Lookup(generic) = %v, %v", s, err)
	}
	if _, err := Lookup("avx9000"); !errors.Is(err, ErrUnknownSet) {
		t.Fatalf("Lookup(avx9000) error = %v, want ErrUnknownSet", err)
	}
	if Active() == nil || Active().Sgemm == nil {
		t.Fatal("Active() returned no kernel")
	}
	best := Best()
	if !best.Supported() || best.Name != Available()[len(Available())-1] {
		t.Fatalf("Best() = %v, available %v", best, Available())
	}
}

// TestSelect checks that Select switches Active at once, that "auto" picks
// Best, and that unknown or unavailable sets are errors that leave the
// active set alone.
func TestSelect(t *testing.T) {
	defer func() { _ = Select("auto") }()
	for _, name := range Available() {
		if err := Select(name); err != nil {
			t.Fatalf("Select(%s): %v", name, err)
		}
		if Active().Name != name {
			t.Fatalf("after Select(%s) Active() = %s", name, Active().Name)
		}
	}
	if err := Select("auto"); err != nil || Active() != Best() {
		t.Fatalf("Select(auto) = %v, Active() = %v, Best() = %v", err, Active(), Best())
	}
	before := Active()
	if err := Select("neon"); !errors.Is(err, ErrUnknownSet) || !strings.Contains(err.Error(), `"neon"`) {
		t.Fatalf("Select(neon) = %v, want ErrUnknownSet naming it", err)
	}
	if Active() != before {
		t.Fatal("a failed Select changed the active set")
	}
}

// TestSelectUnavailable checks the error for a set this binary has but this
// CPU cannot run (avx512 here on most machines); it is skipped where every
// compiled set runs.
func TestSelectUnavailable(t *testing.T) {
	tested := false
	for _, s := range compiled {
		if s.Supported() {
			continue
		}
		tested = true
		err := Select(s.Name)
		if !errors.Is(err, ErrUnsupportedSet) {
			t.Fatalf("Select(%s) = %v, want ErrUnsupportedSet", s.Name, err)
		}
		msg := err.Error()
		for _, want := range []string{"kernel set " + s.Name + " needs", "which this CPU", "lacks"} {
			if !strings.Contains(msg, want) {
				t.Errorf("Select(%s) error %q does not contain %q", s.Name, msg, want)
			}
		}
		t.Logf("Select(%s): %v", s.Name, err)
	}
	for _, name := range knownNames {
		if !slices.Contains(Compiled(), name) {
			tested = true
			if err := Select(name); !errors.Is(err, ErrUnsupportedSet) || !strings.Contains(err.Error(), "not compiled") {
				t.Fatalf("Select(%s) in a build without it = %v", name, err)
			}
		}
	}
	if !tested {
		t.Skip("every kernel set is available on this CPU and build")
	}
}

// TestEnvironment runs this test binary again with $CNNBENCH_KERNELS set and
// checks which set Active picks lazily, and that a set the CPU lacks is a
// panic naming the variable rather than a silent fallback.
func TestEnvironment(t *testing.T) {
	if name := os.Getenv("KERNELS_TEST_CHILD"); name != "" {
		s, err := Current()
		if err != nil {
			fmt.Printf("error: %v\n", err)
			return
		}
		fmt.Printf("active: %s\n", s.Name)
		return
	}
	cases := map[string]string{"": "active: " + Best().Name, "auto": "active: " + Best().Name, "neon": "error: CNNBENCH_KERNELS=neon: unknown kernel set"}
	for _, name := range Available() {
		cases[name] = "active: " + name
	}
	for _, s := range compiled {
		if !s.Supported() {
			cases[s.Name] = "error: CNNBENCH_KERNELS=" + s.Name + ": kernel set " + s.Name + " needs"
		}
	}
	for env, want := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvironment$", "-test.v=false")
		cmd.Env = append(os.Environ(), "KERNELS_TEST_CHILD=1", EnvVar+"="+env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s=%s: %v\n%s", EnvVar, env, err, out)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("%s=%q: got %q, want it to contain %q", EnvVar, env, out, want)
		}
	}
}

// BenchmarkSgemmKernel times one micro-kernel call on L1-resident panels,
// and a strip of tiles sharing the B panel as the driver calls it.
func BenchmarkSgemmKernel(b *testing.B) {
	for _, s := range sets(b) {
		for _, k := range []int{64, 256} {
			b.Run(fmt.Sprintf("kernels=%s/k=%d", s.Name, k), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				a, bp := randSlice(r, k*s.MR), randSlice(r, k*s.NR)
				c := make([]float32, s.MR*s.NR)
				for b.Loop() {
					s.Sgemm(k, a, bp, c, s.NR, true)
				}
				b.ReportMetric(2*float64(k*s.MR*s.NR)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			if s.SgemmStrip == nil {
				continue
			}
			const tiles = 16
			b.Run(fmt.Sprintf("kernels=%s/strip=%d/k=%d", s.Name, tiles, k), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				a, bp := randSlice(r, tiles*k*s.MR), randSlice(r, k*s.NR)
				c := make([]float32, tiles*s.MR*s.NR)
				for b.Loop() {
					s.SgemmStrip(k, tiles, a, k*s.MR, bp, c, s.NR, true)
				}
				b.ReportMetric(2*float64(tiles*k*s.MR*s.NR)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkPeak measures the FMA peak of each set's width on one core:
// the bound the kernel and GEMM benchmarks are compared with.
func BenchmarkPeak(b *testing.B) {
	for _, s := range sets(b) {
		if s.Peak == nil {
			continue
		}
		b.Run("kernels="+s.Name, func(b *testing.B) {
			var flops float64
			for b.Loop() {
				flops += s.Peak(1 << 16)
			}
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
