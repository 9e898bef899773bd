package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

// TestKernelsMatchReference runs every registered set's micro-kernel against
// the float64 contract, over depths that hit every remainder of the unrolled
// loop, with and without accumulation, a strided C, guard bands around C and a
// NaN-prefilled C when not accumulating.
func TestKernelsMatchReference(t *testing.T) {
	const guard = 16
	for _, name := range Names() {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 257} {
			for _, acc := range []bool{false, true} {
				for _, ldc := range []int{s.NR, s.NR + 5} {
					t.Run(fmt.Sprintf("%s/k=%d/accumulate=%t/ldc=%d", s.Name, k, acc, ldc), func(t *testing.T) {
						r := rand.New(rand.NewPCG(uint64(k), uint64(ldc)))
						a, b := randSlice(r, k*s.MR), randSlice(r, k*s.NR)
						n := (s.MR-1)*ldc + s.NR
						buf := make([]float32, n+2*guard)
						for i := range buf {
							buf[i] = float32(math.NaN())
						}
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
						s.Sgemm(k, a, b, c, ldc, acc)
						tol := float64(k+1) * 0x1p-23
						for i := 0; i < s.MR; i++ {
							for j := 0; j < s.NR; j++ {
								got := float64(c[i*ldc+j])
								w, sc := want[i*s.NR+j], scale[i*s.NR+j]
								if math.IsNaN(got) || math.Abs(got-w) > tol*sc {
									t.Fatalf("C[%d,%d] = %v, want %v (tolerance %.3g)", i, j, got, w, tol*sc)
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

// TestKernelsPanicOnShortPanels checks the named panic for programmer errors.
func TestKernelsPanicOnShortPanels(t *testing.T) {
	for _, name := range Names() {
		s, _ := Lookup(name)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic for a short A panel", s.Name)
				}
			}()
			s.Sgemm(4, make([]float32, 4*s.MR-1), make([]float32, 4*s.NR), make([]float32, s.MR*s.NR), s.NR, false)
		}()
	}
}

func TestLookupAndNames(t *testing.T) {
	if got := Names(); len(got) == 0 || got[0] != "generic" {
		t.Fatalf("Names() = %v, want generic first", got)
	}
	if s, err := Lookup("generic"); err != nil || s != Generic {
		t.Fatalf("Lookup(generic) = %v, %v", s, err)
	}
	if _, err := Lookup("avx9000"); err == nil {
		t.Fatal("Lookup of an unknown set gave no error")
	}
	if Active() == nil || Active().Sgemm == nil {
		t.Fatal("Active() returned no kernel")
	}
}

// BenchmarkSgemmKernel times one micro-kernel call on L1-resident panels.
func BenchmarkSgemmKernel(b *testing.B) {
	for _, name := range Names() {
		s, _ := Lookup(name)
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
		}
	}
}
