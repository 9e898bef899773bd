// Package graph holds a model: a DAG of named layers in topological order,
// with shapes inferred as it is built, a state dict whose keys are
// torchvision's, per-layer accounting, and a forward pass that frees each
// intermediate tensor after its last use.
package graph
