package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// kernelSets lists the kernel sets this build and CPU can run, and the
// active one. When $CNNBENCH_KERNELS names a set that cannot run here, active
// says so instead of naming a set.
func kernelSets() (available []string, active string) {
	available = kernels.Available()
	s, err := kernels.Current()
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), kernels.EnvVar+"="+os.Getenv(kernels.EnvVar)+": ")
		return available, "none: " + msg
	}
	return available, s.Name
}

// selectKernels applies -kernels (or $CNNBENCH_KERNELS when flag is empty):
// generic, avx2, avx512 or auto. An unknown name is a usage error; a set
// this CPU or build lacks is a plain error that says what is missing.
func selectKernels(flag string) error {
	name, from := flag, "-kernels"
	if name == "" {
		name, from = os.Getenv(kernels.EnvVar), kernels.EnvVar
	}
	err := kernels.Select(strings.TrimSpace(name))
	if err == nil {
		return nil
	}
	if errors.Is(err, kernels.ErrUnknownSet) {
		return usageError{fmt.Errorf("%s: %v", from, err)}
	}
	return fmt.Errorf("%s: %v", from, err)
}

func effectiveThreads(t int) int {
	if t > 0 {
		return t
	}
	return runtime.GOMAXPROCS(0)
}
