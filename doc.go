// Package cnnbench is the repository root. It holds no code of its own: its
// tests are the headline benchmarks, so that `go test -bench ./...` typed at
// the root (which Go reads as -bench='./...' on this package) runs whole
// models by algorithm, with benchstat-ready key=value names:
//
//	BenchmarkModel/net=resnet50/input=3x64x64/algo=im2col/kernels=avx2/batch=1/threads=1
//
// `go test -bench . ./...` runs these and every package's benchmarks.
// The default model set is small and at reduced input sizes so that it
// finishes quickly; CNNBENCH_BENCH=full runs every seed architecture at its
// paper resolution with every algorithm, kernel set and 1 and all threads,
// and CNNBENCH_BENCH=resnet50,vgg16 picks models (at paper resolution).
// The suite itself lives in cmd/cnnbench (`cnnbench bench`) and suite/; see
// results/README.md for comparing runs with benchstat.
package cnnbench
