package tensor

import "math"

// Pool recycles the buffers of intermediate tensors: a forward pass returns
// each activation to the pool after its last reader has run and takes the
// next layer's output from it, so a pass allocates only as much as its
// largest set of simultaneously live activations, once, instead of one new
// tensor per layer per pass. A buffer is reused for any request of at most
// its size and at least half of it (best fit), so results never depend on
// which buffer is picked.
//
// A Pool is not safe for concurrent use. The zero value is ready.
type Pool struct {
	free [][]float32
	// Poison fills every reused buffer with NaN before handing it out, so
	// that a layer reading its output before writing it shows up in tests.
	Poison bool
	// held is the capacity, in elements, of the buffers in free.
	held int
}

// Get returns a tensor of the shape whose contents are undefined (zero
// when newly allocated, NaN when Poison is set).
func (p *Pool) Get(shape ...int) *Tensor {
	n := Shape(shape).Numel()
	best := -1
	for i, b := range p.free {
		if c := cap(b); c >= n && c <= 2*n+64 && (best < 0 || c < cap(p.free[best])) {
			best = i
		}
	}
	if best < 0 {
		return New(shape...)
	}
	buf := p.free[best][:n]
	p.held -= cap(buf)
	p.free[best] = p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	if p.Poison {
		nan := float32(math.NaN())
		for i := range buf {
			buf[i] = nan
		}
	}
	return &Tensor{Shape: Shape(shape).Clone(), Data: buf}
}

// Put hands t's buffer back; t must not be used afterwards.
func (p *Pool) Put(t *Tensor) {
	if t == nil || cap(t.Data) == 0 {
		return
	}
	p.free = append(p.free, t.Data[:cap(t.Data)])
	p.held += cap(t.Data)
}

// Bytes is the memory the pool holds for reuse.
func (p *Pool) Bytes() int { return 4 * p.held }
