//go:build !linux

package kernels

import "testing"

// endOfPage returns a slice of n float32 (no guard page off Linux).
func endOfPage(t testing.TB, n int) []float32 { return make([]float32, n) }
