//go:build !amd64 || purego

package kernels

// archSets is empty without assembly: only the generic set is compiled.
var archSets []*Set
