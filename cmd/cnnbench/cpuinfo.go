package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

func runCPUInfo(args []string, stdout io.Writer) error {
	fs := newFlags("cpuinfo", "", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	c := cpuid.CPU
	fmt.Fprintf(stdout, "brand:      %s\n", c.BrandName)
	fmt.Fprintf(stdout, "vendor:     %s, family %d, model %d, stepping %d\n", c.VendorString, c.Family, c.Model, c.Stepping)
	fmt.Fprintf(stdout, "cores:      %d physical, %d logical, GOMAXPROCS %d\n", c.PhysicalCores, c.LogicalCores, runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "caches:     L1d %s, L2 %s, L3 %s, line %d B\n", kib(c.Cache.L1D), kib(c.Cache.L2), kib(c.Cache.L3), c.CacheLine)
	var feats []string
	for _, f := range []cpuid.FeatureID{cpuid.SSE4, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ, cpuid.AVX512VNNI, cpuid.AVX512BF16} {
		if c.Supports(f) {
			feats = append(feats, f.String())
		}
	}
	fmt.Fprintf(stdout, "features:   %s\n", strings.Join(feats, " "))
	fmt.Fprintf(stdout, "go:         %s %s/%s GOAMD64=%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, goamd64())
	avail, active := kernelSets()
	fmt.Fprintf(stdout, "kernels:    available %s; active %s", strings.Join(avail, ", "), active)
	if v := os.Getenv("CNNBENCH_KERNELS"); v != "" {
		fmt.Fprintf(stdout, " (CNNBENCH_KERNELS=%s)", v)
	}
	fmt.Fprintln(stdout)
	return nil
}

func kib(b int) string {
	if b <= 0 {
		return "?"
	}
	if b >= 1<<20 {
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return fmt.Sprintf("%d KiB", b>>10)
}

func goamd64() string {
	if v := os.Getenv("GOAMD64"); v != "" {
		return v
	}
	return "v1 (default)"
}
