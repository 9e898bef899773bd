package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// TestSelectKernels checks the -kernels flag: known sets switch the active
// set, an unknown name is a usage error (exit 2), and a set this CPU or
// build cannot run is a plain error naming what is missing.
func TestSelectKernels(t *testing.T) {
	defer func() { _ = kernels.Select("auto") }()
	for _, name := range append(kernels.Available(), "auto") {
		if err := selectKernels(name); err != nil {
			t.Fatalf("selectKernels(%s): %v", name, err)
		}
		if avail, active := kernelSets(); len(avail) == 0 || (name != "auto" && active != name) {
			t.Fatalf("after selectKernels(%s): kernelSets() = %v, %s", name, avail, active)
		}
	}
	var ue usageError
	if err := selectKernels("neon"); !errors.As(err, &ue) {
		t.Fatalf("selectKernels(neon) = %v, want a usage error", err)
	}
	for _, name := range kernels.Compiled() {
		if _, err := kernels.Lookup(name); err == nil {
			continue
		}
		err := selectKernels(name)
		if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "lacks") {
			t.Fatalf("selectKernels(%s) on a CPU without it = %v, want a plain error saying what it lacks", name, err)
		}
	}
}
