package parallel

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestForCoversEveryIndexOnce: for many n and thread counts (below, at and
// above GOMAXPROCS), every index is visited exactly once, in the documented
// chunks, through the pool and through plain goroutines alike.
func TestForCoversEveryIndexOnce(t *testing.T) {
	defer SetSpinTime(DefaultSpinTime)
	for _, spin := range []time.Duration{0, 50 * time.Microsecond} {
		SetSpinTime(spin)
		for n := 0; n < 40; n++ {
			for threads := 0; threads <= 9; threads++ {
				seen := make([]atomic.Int32, n)
				var chunks sync.Map
				For(n, threads, func(lo, hi int) {
					chunks.Store(lo, hi)
					for i := lo; i < hi; i++ {
						seen[i].Add(1)
					}
				})
				for i := range seen {
					if c := seen[i].Load(); c != 1 {
						t.Fatalf("spin=%s n=%d threads=%d: index %d visited %d times", spin, n, threads, i, c)
					}
				}
				if n == 0 {
					continue
				}
				T := min(Threads(threads), n)
				for c := 0; c < T; c++ {
					hi, ok := chunks.Load(c * n / T)
					if !ok || hi.(int) != (c+1)*n/T {
						t.Fatalf("n=%d threads=%d: chunk %d is not [%d, %d)", n, threads, c, c*n/T, (c+1)*n/T)
					}
				}
			}
		}
	}
}

// TestForNestedAndConcurrent: For called from inside For bodies and from
// several goroutines at once still covers every index once (the pool is
// taken by one caller; the others fall back to goroutines).
func TestForNestedAndConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	var total atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 50; r++ {
				For(8, 2, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						For(16, 2, func(lo, hi int) { total.Add(int64(hi - lo)) })
					}
				})
			}
		}()
	}
	wg.Wait()
	if got, want := total.Load(), int64(4*50*8*16); got != want {
		t.Fatalf("visited %d indices, want %d", got, want)
	}
}

// BenchmarkForOverhead times an empty two-way For: the fixed cost every
// parallel layer pays.
func BenchmarkForOverhead(b *testing.B) {
	for b.Loop() {
		For(2, 2, func(lo, hi int) {})
	}
}

// BenchmarkForOverheadGoroutines is the same call on fresh goroutines (the
// pool held busy), the path For took before it had workers.
func BenchmarkForOverheadGoroutines(b *testing.B) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for b.Loop() {
		For(2, 2, func(lo, hi int) {})
	}
}
