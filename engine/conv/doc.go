// Package conv computes 2-D convolutions (cross-correlation, as in PyTorch)
// on NCHW activations with OIHW weights, through interchangeable algorithms.
//
// Every algorithm lives in its own file and registers itself under a name
// (naive, im2col, ...). An Algorithm turns a problem description (Params) and
// the layer's weights into a Plan: weights are repacked once there, so the
// repacking cost never hides in latency. A Plan then runs Forward as often as
// needed. An algorithm that cannot handle a shape returns an error wrapping
// ErrUnsupported that names the constraint.
//
// The naive algorithm accumulates in float64 and is the oracle every other
// algorithm is tested against.
package conv
