package parallel

import (
	"runtime"
	"sync"
)

// Threads returns t if positive, otherwise GOMAXPROCS.
func Threads(t int) int {
	if t > 0 {
		return t
	}
	return runtime.GOMAXPROCS(0)
}

// For runs body over [0, n) split into at most threads contiguous chunks, each
// on its own goroutine (the first on the caller's). Chunk boundaries depend
// only on n and threads; body must write only outputs indexed by its range.
func For(n, threads int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	threads = Threads(threads)
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(threads - 1)
	for t := 1; t < threads; t++ {
		lo, hi := t*n/threads, (t+1)*n/threads
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	body(0, n/threads)
	wg.Wait()
}
