package kernels

// Tests of Sgemv, y[r] = Σ_i w[r·ldw + i]·x[i]: every usable set against a
// float64 reference within the error bound of its summation order and
// against the generic oracle, over every column count up to 70 and a few
// large ones (every remainder of the 16- and 32-float blocks), row counts
// around the 4-row groups, a padded ldw, y inside NaN guard bands and w and
// x ending at an inaccessible page; then that a row's bits do not depend on
// how the rows are split, the argument checks and the benchmark.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemvTol is the tolerance of an n-column row, in units of 2⁻²³·Σ|w·x|: a
// partial sum of ⌈n/16⌉ terms and a 4-level tree, rounding at most twice per
// multiply-add (generic) and once per tree node, each within 2⁻²⁴ relative,
// with a margin of 2.
func gemvTol(n int) float64 { return float64((n+15)/16 + 6) }

var gemvCols = func() []int {
	var n []int
	for i := 0; i <= 70; i++ {
		n = append(n, i)
	}
	return append(n, 127, 128, 129, 255, 256, 1000, 4099, 9216)
}()

var gemvRowCounts = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 13}

// gemvRef returns Σ w·x and Σ|w·x| of row r in float64.
func gemvRef(w []float32, ldw int, x []float32, r int) (sum, abs float64) {
	for i, xi := range x {
		p := float64(w[r*ldw+i]) * float64(xi)
		sum += p
		abs += math.Abs(p)
	}
	return sum, abs
}

func TestSgemvMatchesReference(t *testing.T) {
	const guard = 7
	worst := map[string]float64{}
	for _, s := range sets(t) {
		for _, n := range gemvCols {
			for _, rows := range gemvRowCounts {
				if n > 1000 && rows > 5 {
					continue
				}
				for _, ldw := range []int{n, n + 3} {
					r := rand.New(rand.NewPCG(uint64(n), uint64(rows*100+ldw)))
					lw := 0
					if rows > 0 {
						lw = (rows-1)*ldw + n
					}
					w, x := endOfPage(t, lw), endOfPage(t, n)
					for i := range w {
						w[i] = 2*r.Float32() - 1
					}
					for i := range x {
						x[i] = 2*r.Float32() - 1
					}
					buf := nanSlice(rows + 2*guard)
					y := buf[guard : guard+rows]
					s.Sgemv(rows, w, ldw, x, y)
					oracle := make([]float32, rows)
					Generic.Sgemv(rows, w, ldw, x, oracle)
					tol := gemvTol(n) * 0x1p-23
					for i := 0; i < rows; i++ {
						want, abs := gemvRef(w, ldw, x, i)
						got := float64(y[i])
						if math.IsNaN(got) || math.Abs(got-want) > tol*abs {
							t.Fatalf("%s n=%d rows=%d ldw=%d: y[%d] = %v, want %v (tolerance %.3g)", s.Name, n, rows, ldw, i, got, want, tol*abs)
						}
						if o := float64(oracle[i]); math.Abs(got-o) > 2*tol*abs {
							t.Fatalf("%s n=%d rows=%d ldw=%d: y[%d] = %v, generic gives %v", s.Name, n, rows, ldw, i, got, o)
						}
						if abs > 0 {
							worst[s.Name] = max(worst[s.Name], math.Abs(got-want)/(0x1p-23*abs))
						}
					}
					for i, v := range buf {
						if (i < guard || i >= guard+rows) && !math.IsNaN(float64(v)) {
							t.Fatalf("%s n=%d rows=%d: wrote outside y at offset %d", s.Name, n, rows, i-guard)
						}
					}
				}
			}
		}
	}
	for name, e := range worst {
		t.Logf("%s: worst error %.2f·2⁻²³·Σ|w·x|", name, e)
	}
}

// TestSgemvRowsIndependent checks that a row gets the same bits whether it
// is computed alone or in a group of any size starting anywhere: the
// property that makes a threaded GEMV independent of the thread count.
func TestSgemvRowsIndependent(t *testing.T) {
	for _, s := range sets(t) {
		for _, n := range []int{1, 15, 16, 17, 33, 100, 1000} {
			const rows = 23
			r := rand.New(rand.NewPCG(uint64(n), 1))
			w, x := randSlice(r, rows*n), randSlice(r, n)
			alone := make([]float32, rows)
			for i := range rows {
				s.Sgemv(1, w[i*n:], n, x, alone[i:i+1])
			}
			for lo := 0; lo < rows; lo++ {
				for _, cnt := range []int{1, 2, 3, 4, 5, 8, 9, rows - lo} {
					if lo+cnt > rows {
						continue
					}
					y := make([]float32, cnt)
					s.Sgemv(cnt, w[lo*n:], n, x, y)
					if !bitsEqual(y, alone[lo:lo+cnt]) {
						t.Fatalf("%s n=%d rows %d..%d: %v, alone %v", s.Name, n, lo, lo+cnt, y, alone[lo:lo+cnt])
					}
				}
			}
		}
	}
}

func TestSgemvPanicsOnShortSlices(t *testing.T) {
	for _, s := range sets(t) {
		for _, c := range []struct {
			name              string
			rows, ldw, lw, lx int
			ly                int
		}{
			{"short w", 3, 10, 29, 10, 3},
			{"short y", 3, 10, 30, 10, 2},
			{"ldw < n", 3, 9, 30, 10, 3},
			{"negative rows", -1, 10, 30, 10, 3},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: %s did not panic", s.Name, c.name)
					}
				}()
				s.Sgemv(c.rows, make([]float32, c.lw), c.ldw, make([]float32, c.lx), make([]float32, c.ly))
			}()
		}
	}
}

// BenchmarkSgemv reports the weight bandwidth of a matrix-vector product
// (AlexNet's and VGG's classifier shapes: 4096×9216 is 151 MB, 4096×4096
// 67 MB, 4096×25088 411 MB; 1000×4096 16 MB).
func BenchmarkSgemv(b *testing.B) {
	for _, s := range sets(b) {
		for _, sh := range [][2]int{{4096, 9216}, {4096, 4096}, {1000, 4096}, {4096, 25088}, {256, 1024}} {
			rows, cols := sh[0], sh[1]
			b.Run(fmt.Sprintf("kernels=%s/rows=%d/cols=%d", s.Name, rows, cols), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				w, x, y := randSlice(r, rows*cols), randSlice(r, cols), make([]float32, rows)
				b.SetBytes(int64(4 * rows * cols))
				for b.Loop() {
					s.Sgemv(rows, w, cols, x, y)
				}
				b.ReportMetric(float64(4*rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
