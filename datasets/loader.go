package datasets

import (
	"context"
	"fmt"
	"iter"
	"sync"
)

// Batch is a mini-batch: X holds Shape[0] images in NCHW order (Shape is
// N, C, H, W) and Labels their classes. Indices are the items' indices in
// the Dataset.
type Batch struct {
	X       []float32
	Shape   [4]int
	Labels  []int
	Indices []int
	Epoch   int
	Step    int // batch number within the epoch
}

// Augment is the random data augmentation a Loader applies per item, drawn
// from the loader's seed, the epoch and the item's index, so it is the same
// for every run with that seed whatever the number of workers.
type Augment struct {
	// CropPad > 0: pad each side by CropPad pixels (with the data set's
	// PadValue) and crop a random window of the original size, as
	// torchvision's RandomCrop(size, padding=CropPad).
	CropPad int
	// FlipH: mirror left-right with probability 1/2 (RandomHorizontalFlip()).
	FlipH bool
}

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	BatchSize int    // items per batch (required, > 0)
	Shuffle   bool   // a new permutation per epoch, from Seed and the epoch
	Seed      uint64 // seeds the shuffle and the augmentation
	DropLast  bool   // drop the last batch if it is short
	Augment   Augment
	// Workers is the number of goroutines that fill one batch (default 1;
	// more helps only when Get is expensive, as for ImageFolder).
	Workers int
	// Prefetch is how many batches are made ahead of the consumer by the
	// background goroutine of Epoch (default 2).
	Prefetch int
}

// Loader cuts a Dataset into mini-batches.
type Loader struct {
	ds      Dataset
	opt     LoaderOptions
	c, h, w int
	fill    []float32 // pad value per channel for CropPad

	mu        sync.Mutex
	permEpoch int
	perm      []int

	free chan *Batch // recycled batches
}

// NewLoader checks the options against the data set.
func NewLoader(ds Dataset, opt LoaderOptions) (*Loader, error) {
	sh := ds.Shape()
	if len(sh) != 3 || sh[0] <= 0 || sh[1] <= 0 || sh[2] <= 0 {
		return nil, fmt.Errorf("loader: data set shape %v is not C,H,W", sh)
	}
	if opt.BatchSize <= 0 {
		return nil, fmt.Errorf("loader: batch size %d, must be > 0", opt.BatchSize)
	}
	if opt.Augment.CropPad < 0 {
		return nil, fmt.Errorf("loader: crop padding %d, must be ≥ 0", opt.Augment.CropPad)
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	if opt.Prefetch <= 0 {
		opt.Prefetch = 2
	}
	l := &Loader{ds: ds, opt: opt, c: sh[0], h: sh[1], w: sh[2], permEpoch: -1}
	l.fill = make([]float32, l.c)
	if p, ok := ds.(PadValuer); ok {
		for c := range l.fill {
			l.fill[c] = p.PadValue(c)
		}
	}
	l.free = make(chan *Batch, opt.Prefetch+2)
	return l, nil
}

// Dataset returns the loader's data set.
func (l *Loader) Dataset() Dataset { return l.ds }

// Steps is the number of batches in one epoch.
func (l *Loader) Steps() int {
	n, b := l.ds.Len(), l.opt.BatchSize
	if l.opt.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the order in which epoch visits the items: a permutation
// that depends only on Seed and epoch if Shuffle is set, else 0..Len-1.
// The caller must not change it.
func (l *Loader) Order(epoch int) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perm == nil || l.permEpoch != epoch {
		if l.opt.Shuffle {
			r := newRNG(l.opt.Seed, 0x5f5f, uint64(epoch))
			l.perm = r.perm(l.ds.Len())
		} else {
			l.perm = make([]int, l.ds.Len())
			for i := range l.perm {
				l.perm[i] = i
			}
		}
		l.permEpoch = epoch
	}
	return l.perm
}

// Fill makes batch step of epoch into b (reusing its buffers when large
// enough), synchronously. Any error names the item's file where the data
// set has one.
func (l *Loader) Fill(epoch, step int, b *Batch) error {
	if step < 0 || step >= l.Steps() {
		return fmt.Errorf("loader: step %d out of range [0, %d)", step, l.Steps())
	}
	order := l.Order(epoch)
	lo := step * l.opt.BatchSize
	hi := min(lo+l.opt.BatchSize, len(order))
	n, item := hi-lo, l.c*l.h*l.w
	b.Shape = [4]int{n, l.c, l.h, l.w}
	b.Epoch, b.Step = epoch, step
	b.X = grow(b.X, n*item)
	b.Labels = grow(b.Labels, n)
	b.Indices = grow(b.Indices, n)
	copy(b.Indices, order[lo:hi])

	workers := min(l.opt.Workers, n)
	errs := make([]error, workers)
	work := func(w int) {
		var tmp []float32
		if l.opt.Augment.CropPad > 0 || l.opt.Augment.FlipH {
			tmp = make([]float32, item)
		}
		for k := w; k < n; k += workers {
			idx := b.Indices[k]
			dst := b.X[k*item : (k+1)*item]
			get := dst
			if tmp != nil {
				get = tmp
			}
			label, err := l.ds.Get(idx, get)
			if err != nil {
				errs[w] = err
				return
			}
			if label < 0 || label >= l.ds.Classes() {
				errs[w] = fmt.Errorf("loader: item %d has label %d, out of range [0, %d)", idx, label, l.ds.Classes())
				return
			}
			b.Labels[k] = label
			if tmp != nil {
				r := newRNG(l.opt.Seed, 0xa06, uint64(epoch), uint64(idx))
				l.augment(dst, tmp, &r)
			}
		}
	}
	if workers == 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { work(w) })
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// augment writes the augmented src into dst.
func (l *Loader) augment(dst, src []float32, r *rng) {
	p := l.opt.Augment.CropPad
	dy, dx := 0, 0
	if p > 0 {
		dy, dx = r.intn(2*p+1)-p, r.intn(2*p+1)-p
	}
	flip := l.opt.Augment.FlipH && r.next()&1 == 1
	h, w := l.h, l.w
	for c := range l.c {
		in, out := src[c*h*w:(c+1)*h*w], dst[c*h*w:(c+1)*h*w]
		for y := range h {
			sy := y + dy
			row := out[y*w : (y+1)*w]
			if sy < 0 || sy >= h {
				for x := range row {
					row[x] = l.fill[c]
				}
				continue
			}
			srow := in[sy*w : (sy+1)*w]
			for x := range row {
				sx := x
				if flip {
					sx = w - 1 - x
				}
				sx += dx
				if sx < 0 || sx >= w {
					row[x] = l.fill[c]
				} else {
					row[x] = srow[sx]
				}
			}
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Epoch yields the batches of one epoch in order, made ahead by a
// background goroutine (Prefetch batches buffered) so that loading overlaps
// with whatever the consumer does with the previous batch. The first error
// is yielded with a nil batch and ends the epoch. Breaking out of the loop,
// or cancelling ctx, stops the goroutine. A consumer done with a batch may
// hand it back with Release so its memory is reused.
//
//	for b, err := range loader.Epoch(ctx, e) {
//		if err != nil { return err }
//		train(b)
//		loader.Release(b)
//	}
func (l *Loader) Epoch(ctx context.Context, epoch int) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		type result struct {
			b   *Batch
			err error
		}
		ch := make(chan result, l.opt.Prefetch)
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		steps := l.Steps()
		l.Order(epoch) // compute the permutation once, before the goroutine starts
		wg.Go(func() {
			defer close(ch)
			for s := range steps {
				var b *Batch
				select {
				case b = <-l.free:
				default:
					b = new(Batch)
				}
				err := l.Fill(epoch, s, b)
				if err != nil {
					b = nil
				}
				select {
				case ch <- result{b, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		})
		for {
			select {
			case r, ok := <-ch:
				if !ok {
					return
				}
				if !yield(r.b, r.err) || r.err != nil {
					return
				}
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
		}
	}
}

// Release hands a batch the consumer no longer uses back to the loader.
func (l *Loader) Release(b *Batch) {
	if b == nil {
		return
	}
	select {
	case l.free <- b:
	default:
	}
}
