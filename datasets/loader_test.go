package datasets

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// indexSet is a data set whose item i is the constant image i (every pixel
// i) with label i % classes: batches show exactly which items they hold.
type indexSet struct {
	n, c, h, w, classes int
	gets                atomic.Int64
	failAt              int // Get(failAt) fails; -1: never
	delay               time.Duration
}

func newIndexSet(n, c, h, w int) *indexSet {
	return &indexSet{n: n, c: c, h: h, w: w, classes: 10, failAt: -1}
}
func (s *indexSet) Len() int             { return s.n }
func (s *indexSet) Shape() []int         { return []int{s.c, s.h, s.w} }
func (s *indexSet) Classes() int         { return s.classes }
func (s *indexSet) PadValue(int) float32 { return -1 }
func (s *indexSet) Get(i int, dst []float32) (int, error) {
	s.gets.Add(1)
	time.Sleep(s.delay)
	if i == s.failAt {
		return 0, fmt.Errorf("item-%d.png: unreadable image", i)
	}
	for k := range dst {
		dst[k] = float32(i)
	}
	return i % s.classes, nil
}

func collect(t *testing.T, l *Loader, epoch int) (order []int, batches []Batch) {
	t.Helper()
	for b, err := range l.Epoch(context.Background(), epoch) {
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, b.Indices...)
		c := *b
		c.X, c.Labels, c.Indices = slices.Clone(b.X), slices.Clone(b.Labels), slices.Clone(b.Indices)
		batches = append(batches, c)
	}
	return order, batches
}

func TestLoaderShuffleIsDeterministicForASeedAndReshufflesPerEpoch(t *testing.T) {
	ds := newIndexSet(103, 1, 2, 2)
	mk := func(seed uint64, workers int) *Loader {
		l, err := NewLoader(ds, LoaderOptions{BatchSize: 10, Shuffle: true, Seed: seed, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a0, ba := collect(t, mk(42, 1), 0)
	b0, bb := collect(t, mk(42, 3), 0) // same seed, other worker count
	if !slices.Equal(a0, b0) {
		t.Fatal("same seed and epoch gave different orders")
	}
	for i := range ba {
		if !slices.Equal(ba[i].X, bb[i].X) || !slices.Equal(ba[i].Labels, bb[i].Labels) {
			t.Fatalf("batch %d differs between 1 and 3 workers", i)
		}
	}
	a1, _ := collect(t, mk(42, 1), 1)
	c0, _ := collect(t, mk(43, 1), 0)
	if slices.Equal(a0, a1) || slices.Equal(a0, c0) {
		t.Error("epoch 1 or seed 43 gave the same order as epoch 0, seed 42")
	}
	// Each epoch is a permutation: every item once.
	for _, o := range [][]int{a0, a1, c0} {
		s := slices.Clone(o)
		slices.Sort(s)
		for i, v := range s {
			if v != i {
				t.Fatalf("epoch order is not a permutation of 0..102: %v", o)
			}
		}
	}
	// The order of epoch 1 does not depend on having run epoch 0 (resume).
	fresh, _ := collect(t, mk(42, 1), 1)
	if !slices.Equal(fresh, a1) {
		t.Error("epoch 1 order depends on what ran before")
	}
	// Pixels and labels follow the indices; the last batch is short.
	last := ba[len(ba)-1]
	if len(ba) != 11 || last.Shape != [4]int{3, 1, 2, 2} || len(last.X) != 12 {
		t.Fatalf("%d batches, last shape %v", len(ba), last.Shape)
	}
	for _, b := range ba {
		for k, idx := range b.Indices {
			if b.Labels[k] != idx%10 || b.X[k*4] != float32(idx) || b.X[k*4+3] != float32(idx) {
				t.Fatalf("batch %d item %d: label %d x %v for index %d", b.Step, k, b.Labels[k], b.X[k*4:k*4+4], idx)
			}
		}
	}
}

func TestLoaderWithoutShuffleKeepsOrderAndDropLast(t *testing.T) {
	ds := newIndexSet(25, 1, 1, 1)
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 10, DropLast: true})
	order, batches := collect(t, l, 7)
	if len(batches) != 2 || l.Steps() != 2 || !slices.Equal(order, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}) {
		t.Errorf("order %v", order)
	}
}

func TestLoaderFlipTwiceIsIdentityAndCropKeepsShape(t *testing.T) {
	s, err := NewSynthetic(8, 3, 5, 7, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := NewLoader(s, LoaderOptions{BatchSize: 8, Augment: Augment{FlipH: true}})
	src := make([]float32, 3*5*7)
	s.Get(0, src)
	once, twice := make([]float32, len(src)), make([]float32, len(src))
	// A stream whose draw flips (with CropPad 0 the flip is the only draw).
	seed := uint64(0)
	for r := (rng{s: seed}); r.next()&1 == 0; r = (rng{s: seed}) {
		seed++
	}
	l.augment(once, src, &rng{s: seed})
	l.augment(twice, once, &rng{s: seed})
	if !slices.Equal(twice, src) {
		t.Error("flip twice is not the identity")
	}
	if slices.Equal(once, src) {
		t.Error("flip did not change an asymmetric image")
	}
	// Flip mirrors each row.
	for c := range 3 {
		for y := range 5 {
			for x := range 7 {
				if once[(c*5+y)*7+x] != src[(c*5+y)*7+6-x] {
					t.Fatalf("flip at c%d y%d x%d", c, y, x)
				}
			}
		}
	}

	// Random crop with padding: same shape; every pixel is a source pixel
	// shifted by one (dy, dx) in [-p, p] or the pad value.
	ds := newIndexSet(64, 2, 6, 6)
	const p = 2
	lc, _ := NewLoader(&gradientSet{ds}, LoaderOptions{BatchSize: 64, Seed: 3, Augment: Augment{CropPad: p, FlipH: true}})
	_, batches := collect(t, lc, 0)
	b := batches[0]
	if b.Shape != [4]int{64, 2, 6, 6} {
		t.Fatalf("shape %v", b.Shape)
	}
	shifts := map[[3]int]bool{}
	for k := range 64 {
		img := b.X[k*72 : (k+1)*72]
		found := false
		for dy := -p; dy <= p && !found; dy++ {
			for dx := -p; dx <= p && !found; dx++ {
				for _, flip := range []bool{false, true} {
					if matchesShift(img, dy, dx, flip) {
						found = true
						f := 0
						if flip {
							f = 1
						}
						shifts[[3]int{dy, dx, f}] = true
						break
					}
				}
			}
		}
		if !found {
			t.Fatalf("item %d is not a shifted/flipped crop: %v", k, img)
		}
	}
	if len(shifts) < 10 {
		t.Errorf("only %d distinct crops in 64 items", len(shifts))
	}
}

// gradientSet is a 2×6×6 set whose pixel (c, y, x) is 100c + 10y + x.
type gradientSet struct{ *indexSet }

func (g *gradientSet) Get(i int, dst []float32) (int, error) {
	for c := range 2 {
		for y := range 6 {
			for x := range 6 {
				dst[(c*6+y)*6+x] = float32(100*c + 10*y + x)
			}
		}
	}
	return i % 10, nil
}

func matchesShift(img []float32, dy, dx int, flip bool) bool {
	for c := range 2 {
		for y := range 6 {
			for x := range 6 {
				sx := x
				if flip {
					sx = 5 - x
				}
				sy, sx := y+dy, sx+dx
				want := float32(-1) // PadValue
				if sy >= 0 && sy < 6 && sx >= 0 && sx < 6 {
					want = float32(100*c + 10*sy + sx)
				}
				if img[(c*6+y)*6+x] != want {
					return false
				}
			}
		}
	}
	return true
}

func TestLoaderAugmentationIsDeterministicForASeed(t *testing.T) {
	s, _ := NewSynthetic(40, 3, 8, 8, 5, 1)
	run := func(seed uint64, workers int) []float32 {
		l, _ := NewLoader(s, LoaderOptions{BatchSize: 16, Shuffle: true, Seed: seed, Workers: workers,
			Augment: Augment{CropPad: 2, FlipH: true}})
		_, bs := collect(t, l, 2)
		var all []float32
		for _, b := range bs {
			all = append(all, b.X...)
		}
		return all
	}
	a, b, c := run(5, 1), run(5, 4), run(6, 1)
	if !slices.Equal(a, b) {
		t.Error("augmentation depends on the worker count")
	}
	if slices.Equal(a, c) {
		t.Error("augmentation does not depend on the seed")
	}
}

func TestLoaderErrorNamesTheFileAndStopsTheEpoch(t *testing.T) {
	ds := newIndexSet(50, 1, 1, 1)
	ds.failAt = 23
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 10, Workers: 2})
	var n int
	var got error
	for b, err := range l.Epoch(context.Background(), 0) {
		if err != nil {
			got = err
			break
		}
		n += b.Shape[0]
	}
	if got == nil || n != 20 || got.Error() != "item-23.png: unreadable image" {
		t.Errorf("after %d items: err %v", n, got)
	}
}

func TestLoaderOverlapsLoadingWithConsumerAndStopsOnBreak(t *testing.T) {
	ds := newIndexSet(1000, 1, 1, 1)
	ds.delay = time.Millisecond
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 4, Prefetch: 3})
	before := runtime.NumGoroutine()
	steps := 0
	for b, err := range l.Epoch(context.Background(), 0) {
		if err != nil {
			t.Fatal(err)
		}
		steps++
		if steps == 1 {
			// While the consumer works on batch 0, the producer fills the
			// buffer ahead: prefetch 3 plus the one being made.
			time.Sleep(100 * time.Millisecond)
			if got := ds.gets.Load(); got < 4*4 {
				t.Errorf("only %d items loaded while the consumer was busy: no overlap", got)
			}
		}
		l.Release(b)
		if steps == 3 {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after break, %d before: producer leaked", g, before)
	}
	// The bound holds: the producer never ran far ahead.
	if got := ds.gets.Load(); got > 4*(3+3+2) {
		t.Errorf("%d items loaded for 3 consumed batches with prefetch 3", got)
	}
}

func TestLoaderCancelledContext(t *testing.T) {
	ds := newIndexSet(100, 1, 1, 1)
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got error
	for _, err := range l.Epoch(ctx, 0) {
		if err != nil {
			got = err
		}
	}
	if !errors.Is(got, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", got)
	}
}

func TestLoaderRejectsBadOptions(t *testing.T) {
	ds := newIndexSet(10, 1, 1, 1)
	for _, o := range []LoaderOptions{{BatchSize: 0}, {BatchSize: 2, Augment: Augment{CropPad: -1}}} {
		if _, err := NewLoader(ds, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 3})
	if err := l.Fill(0, 4, &Batch{}); err == nil {
		t.Error("step 4 of 4 accepted")
	}
}

func TestSyntheticIsDeterministicAndLearnable(t *testing.T) {
	a, _ := NewSynthetic(100, 3, 4, 5, 7, 11)
	b, _ := NewSynthetic(100, 3, 4, 5, 7, 11)
	c, _ := NewSynthetic(100, 3, 4, 5, 7, 12)
	x, y, z := make([]float32, 60), make([]float32, 60), make([]float32, 60)
	counts := make([]int, 7)
	for i := range 100 {
		la, _ := a.Get(i, x)
		lb, _ := b.Get(i, y)
		lc, _ := c.Get(i, z)
		if la != lb || !slices.Equal(x, y) {
			t.Fatalf("item %d differs for the same seed", i)
		}
		if la < 0 || la >= 7 {
			t.Fatalf("label %d", la)
		}
		counts[la]++
		_ = lc
	}
	if slices.Equal(x, z) {
		t.Error("seed does not change the data")
	}
	for cl, n := range counts {
		if n == 0 {
			t.Errorf("class %d never drawn in 100 items", cl)
		}
	}
	if _, err := NewSynthetic(1, 0, 1, 1, 1, 0); err == nil {
		t.Error("0 channels accepted")
	}
	if _, err := a.Get(100, x); err == nil {
		t.Error("index 100 of 100 accepted")
	}
}

func TestSubsetHead(t *testing.T) {
	ds := newIndexSet(10, 1, 1, 1)
	h := Head(ds, 3)
	dst := make([]float32, 1)
	if h.Len() != 3 || h.PadValue(0) != -1 {
		t.Fatal(h.Len())
	}
	if l, _ := h.Get(2, dst); l != 2 || dst[0] != 2 {
		t.Errorf("Get(2) = %d %v", l, dst)
	}
	if _, err := h.Get(3, dst); err == nil {
		t.Error("index 3 of 3 accepted")
	}
}
