package suite

import (
	"fmt"
	"sync"
	"time"

	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/kernels"
)

// MeasurePeak measures the FP32 rate of a kernel set on threads cores.
// Sets with an FMA probe (kernels.Set.Peak: register-only independent FMAs)
// run it on threads goroutines at once, best of ten ~40 ms rounds; sets
// without one (generic) time a 256×256×256 SGEMM instead, best of ten, and
// say so in Source. The result is a measured ceiling, not a datasheet value.
func MeasurePeak(set string, threads int) (Peak, error) {
	s, err := kernels.Lookup(set)
	if err != nil {
		return Peak{}, err
	}
	if threads < 1 {
		threads = 1
	}
	if s.Peak != nil {
		return fmaPeak(s, threads), nil
	}
	return gemmPeak(s, threads), nil
}

func fmaPeak(s *kernels.Set, threads int) Peak {
	// Calibrate iterations to ~40 ms on one core.
	iters := 1 << 16
	for {
		t0 := time.Now()
		s.Peak(iters)
		if d := time.Since(t0); d > 10*time.Millisecond || iters > 1<<30 {
			iters = int(float64(iters) * float64(40*time.Millisecond) / float64(max(d, time.Microsecond)))
			break
		}
		iters *= 4
	}
	best := 0.0
	for range 10 {
		var wg sync.WaitGroup
		flops := make([]float64, threads)
		t0 := time.Now()
		for t := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				flops[t] = s.Peak(iters)
			}()
		}
		wg.Wait()
		d := time.Since(t0).Seconds()
		var sum float64
		for _, f := range flops {
			sum += f
		}
		best = max(best, sum/d/1e9)
	}
	return Peak{Kernels: s.Name, Threads: threads, GFLOPS: round(best, 2),
		Source: fmt.Sprintf("FMA probe (%s, register-only), %d thread(s), best of 10", s.Name, threads)}
}

func gemmPeak(s *kernels.Set, threads int) Peak {
	const n = 256
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(i%7)*0.25, float32(i%5)*0.5
	}
	cfg := gemm.Config{Kernels: s}
	ws := make([]float32, cfg.WorkspaceSize(n, n, n))
	best := 0.0
	for range 10 {
		t0 := time.Now()
		cfg.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n, ws, threads)
		best = max(best, 2*n*n*n/time.Since(t0).Seconds()/1e9)
	}
	return Peak{Kernels: s.Name, Threads: threads, GFLOPS: round(best, 2),
		Source: fmt.Sprintf("best SGEMM 256x256x256 (%s has no FMA probe), %d thread(s), best of 10", s.Name, threads)}
}

func round(v float64, decimals int) float64 { return *fptr(v, decimals) }
