// Package ops holds the layers of the zoo as nouns: Conv2D, Dense,
// BatchNorm2D, activations, pooling, LRN, Dropout, Concat, Add, Mul,
// ChannelShuffle, Flatten, Softmax and the two LeNet-5 paper layers
// (Subsample, RBF).
//
// Every layer implements Layer: it infers its output shape from its input
// shapes (batch included), lists its parameters under torchvision's local
// names ("weight", "bias", "running_mean", ...), counts its cost by the rules
// of DESIGN.md §4 and runs a forward pass. Convolutions delegate to the
// algorithms of package conv. Backward passes come with training; layers
// keep what they need for them.
//
// Counting rules. MACs: multiply-accumulates of conv and linear layers only,
// padding taps included, bias excluded. OtherOps: every other arithmetic
// operation, one per output element per elementary step: bias add 1,
// BatchNorm 2 (scale and shift after folding its statistics), each activation
// 1 (transcendentals are not weighted), pooling K·K per output (compares or
// adds) plus 1 for the average's division, global average H·W per output,
// Add and Mul 1 per output (per extra input for Add), LRN size+3 per element,
// Softmax 3 per element. Pure data movement (Concat, ChannelShuffle,
// Flatten, Dropout in eval) costs 0.
package ops
