package main

import (
	"fmt"
	"os"
	"runtime"
)

// kernelSets lists the kernel sets this build and CPU can run, and the
// active one. Only the pure-Go generic set exists so far.
func kernelSets() (available []string, active string) {
	return []string{"generic"}, "generic"
}

// selectKernels applies -kernels (or $CNNBENCH_KERNELS when flag is empty).
func selectKernels(flag string) error {
	name := flag
	if name == "" {
		name = os.Getenv("CNNBENCH_KERNELS")
	}
	switch name {
	case "", "auto", "generic":
		return nil
	case "avx2", "avx512":
		return fmt.Errorf("kernel set %q is not available in this build (have generic)", name)
	}
	return usageError{fmt.Errorf("unknown kernel set %q (want generic, avx2, avx512 or auto)", name)}
}

func effectiveThreads(t int) int {
	if t > 0 {
		return t
	}
	return runtime.GOMAXPROCS(0)
}
