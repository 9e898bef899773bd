package tensor

// Arena hands out scratch buffers that are reused from one call to the next.
// A layer asks for its workspace with Get; the buffer stays valid until the
// next Get of the same slot. Slots let a caller hold several workspaces at
// once (for example im2col columns and packed GEMM panels).
//
// The arena grows to the largest request seen and never shrinks, so after the
// first forward pass a whole model runs without allocating workspace memory.
// An Arena is not safe for concurrent use; give each goroutine its own.
type Arena struct {
	slots [][]float32
}

// Get returns a buffer of n float32 for the given slot. Its contents are
// whatever the previous user left there.
func (a *Arena) Get(slot, n int) []float32 {
	for len(a.slots) <= slot {
		a.slots = append(a.slots, nil)
	}
	if cap(a.slots[slot]) < n {
		a.slots[slot] = Aligned(n)
	}
	return a.slots[slot][:n]
}

// Bytes is the memory the arena currently holds.
func (a *Arena) Bytes() int {
	total := 0
	for _, s := range a.slots {
		total += 4 * cap(s)
	}
	return total
}
