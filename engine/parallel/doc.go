// Package parallel splits loops over output elements across goroutines.
//
// The engine only ever parallelises over independent outputs, never over a
// reduction, so a result is bitwise identical for any thread count.
package parallel
