// Package tensor holds the engine's one data type: a dense float32 tensor in
// NCHW order (row-major, C order), its Shape, 64-byte aligned buffers and a
// scratch Arena for workspaces that are reused across layers.
//
// Tensors are plain values: Data is the backing slice and Shape says how to
// read it. Nothing in this package allocates behind the caller's back.
package tensor
