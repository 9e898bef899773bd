package kernels

// Tests of DepthwiseRow: every usable set bitwise against the generic
// oracle (they run the same operations in the same order), and the generic
// against float64 within (K²+1)·2⁻²³·(Σ|w·a| + |b|), for every kernel over
// every output count up to 40 and a few long rows (each remainder of the
// 8-output vectors and the zero-padded tail), each input row ending at an
// inaccessible page and dst inside NaN guard bands; then that an output's
// bits do not depend on where in a row it is computed, the argument checks
// and the benchmark (ns per output).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var dwKernels = []DWKernel{DW3x3S1, DW3x3S2, DW5x5S1, DW5x5S2}

var dwLens = func() []int {
	var n []int
	for i := 0; i <= 40; i++ {
		n = append(n, i)
	}
	return append(n, 55, 56, 57, 112, 113)
}()

// dwCase returns K rows of DWSpan(k, n) random inputs, each ending at a
// guard page, and K² weights.
func dwCase(t testing.TB, k DWKernel, n int, seed uint64) (rows [][]float32, w []float32) {
	kk, _ := k.Size()
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	for range kk {
		row := endOfPage(t, DWSpan(k, n))
		for i := range row {
			row[i] = 2*r.Float32() - 1
		}
		rows = append(rows, row)
	}
	return rows, randSlice(r, kk*kk)
}

func TestDepthwiseRowMatchesGeneric(t *testing.T) {
	const guard = 9
	worst := 0.0
	for _, s := range sets(t) {
		for _, k := range dwKernels {
			kk, st := k.Size()
			for _, n := range dwLens {
				rows, w := dwCase(t, k, n, uint64(k))
				const b = 0.375
				buf := nanSlice(n + 2*guard)
				dst := buf[guard : guard+n]
				s.DepthwiseRow(k, dst, rows, w, b)
				want := make([]float32, n)
				Generic.DepthwiseRow(k, want, rows, w, b)
				if !bitsEqual(dst, want) {
					t.Fatalf("%s %s n=%d: %v, generic %v", s.Name, k, n, dst, want)
				}
				for i, v := range buf {
					if (i < guard || i >= guard+n) && !math.IsNaN(float64(v)) {
						t.Fatalf("%s %s n=%d: wrote outside dst at %d", s.Name, k, n, i-guard)
					}
				}
				if s != Generic {
					continue
				}
				tol := float64(kk*kk+1) * 0x1p-23
				for x := range n {
					sum, abs := float64(b), float64(b)
					for i := range kk {
						for j := range kk {
							p := float64(w[i*kk+j]) * float64(rows[i][x*st+j])
							sum, abs = sum+p, abs+math.Abs(p)
						}
					}
					d := math.Abs(float64(dst[x]) - sum)
					if d > tol*abs {
						t.Fatalf("%s n=%d: dst[%d] = %v, want %v (tolerance %.3g)", k, n, x, dst[x], sum, tol*abs)
					}
					worst = max(worst, d/(0x1p-23*abs))
				}
			}
		}
	}
	t.Logf("generic: worst error %.2f·2⁻²³·(Σ|w·a| + |b|)", worst)
}

// TestDepthwiseRowPositionIndependent computes a row whole and in pieces
// [x0, x1) (rows advanced by x0·S): every output must keep its bits, whether
// it lands in a full vector or in a padded tail.
func TestDepthwiseRowPositionIndependent(t *testing.T) {
	for _, s := range sets(t) {
		for _, k := range dwKernels {
			_, st := k.Size()
			const n = 37
			rows, w := dwCase(t, k, n, 7)
			whole := make([]float32, n)
			s.DepthwiseRow(k, whole, rows, w, -1.5)
			for x0 := 0; x0 < n; x0++ {
				for _, m := range []int{1, 3, 7, 8, 9, 16, 17} {
					x1 := min(x0+m, n)
					sub := make([][]float32, len(rows))
					for i, r := range rows {
						sub[i] = r[x0*st:]
					}
					got := make([]float32, x1-x0)
					s.DepthwiseRow(k, got, sub, w, -1.5)
					if !bitsEqual(got, whole[x0:x1]) {
						t.Fatalf("%s %s [%d,%d): %v, whole row gives %v", s.Name, k, x0, x1, got, whole[x0:x1])
					}
				}
			}
		}
	}
}

func TestDepthwiseRowPanicsOnShortSlices(t *testing.T) {
	for _, s := range sets(t) {
		for _, k := range dwKernels {
			kk, _ := k.Size()
			for _, c := range []struct {
				name     string
				rows, lw int
				short    int // row made one input short
			}{
				{"short row", kk, kk * kk, 1},
				{"few rows", kk - 1, kk * kk, -1},
				{"few weights", kk, kk*kk - 1, -1},
			} {
				func() {
					defer func() {
						if recover() == nil {
							t.Errorf("%s %s: %s did not panic", s.Name, k, c.name)
						}
					}()
					const n = 9
					rows := make([][]float32, c.rows)
					for i := range rows {
						l := DWSpan(k, n)
						if i == c.short {
							l--
						}
						rows[i] = make([]float32, l)
					}
					s.DepthwiseRow(k, make([]float32, n), rows, make([]float32, c.lw), 0)
				}()
			}
		}
	}
}

// BenchmarkDepthwiseRow times one row of the MobileNet and EfficientNet
// widths (112, 56 and 14 outputs, and 7: the partial vector alone) per
// kernel, in ns per output.
func BenchmarkDepthwiseRow(b *testing.B) {
	for _, s := range sets(b) {
		for _, k := range dwKernels {
			for _, n := range []int{112, 56, 14, 7} {
				b.Run(fmt.Sprintf("kernels=%s/kernel=%s/n=%d", s.Name, k, n), func(b *testing.B) {
					// Rows on the heap, not at a guard page: a masked load
					// whose masked-off lanes reach an unmapped page takes a
					// slow path (hundreds of cycles on Zen 4).
					kk, _ := k.Size()
					r := rand.New(rand.NewPCG(1, uint64(n)))
					rows := make([][]float32, kk)
					for i := range rows {
						rows[i] = randSlice(r, DWSpan(k, n))
					}
					w := randSlice(r, kk*kk)
					dst := make([]float32, n)
					for b.Loop() {
						s.DepthwiseRow(k, dst, rows, w, 0.5)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/output")
				})
			}
		}
	}
}
