package datasets

import "fmt"

// Synthetic is a deterministic stand-in data set for benchmarks and smoke
// tests: item i depends only on the seed and i, for any shape and class
// count, and nothing is stored per item.
//
// Item i has label l = a hash of (Seed, i) mod Classes and pixels
// Noise·U[−1, 1) plus Signal times a per-class pattern (an 8×8 tile of
// values in [−1, 1) per class and channel, repeated over the image), so a
// model can learn it when Signal > 0.
type Synthetic struct {
	N, C, H, W int
	NumClasses int
	Seed       uint64
	Noise      float32
	Signal     float32
	pattern    []float32 // NumClasses × C × 8 × 8
}

// NewSynthetic makes a synthetic set of n items of shape c×h×w with the
// given class count; noise amplitude 1 and signal 0.5.
func NewSynthetic(n, c, h, w, classes int, seed uint64) (*Synthetic, error) {
	if n < 0 || c <= 0 || h <= 0 || w <= 0 || classes <= 0 {
		return nil, fmt.Errorf("synthetic: bad size n=%d shape=%dx%dx%d classes=%d", n, c, h, w, classes)
	}
	if int64(classes)*int64(c) > 1<<24 {
		return nil, fmt.Errorf("synthetic: %d classes × %d channels is too many", classes, c)
	}
	s := &Synthetic{N: n, C: c, H: h, W: w, NumClasses: classes, Seed: seed, Noise: 1, Signal: 0.5}
	s.pattern = make([]float32, classes*c*64)
	r := newRNG(seed, 0x5157)
	for i := range s.pattern {
		s.pattern[i] = 2*r.float32() - 1
	}
	return s, nil
}

// Len is N.
func (s *Synthetic) Len() int { return s.N }

// Shape is C, H, W.
func (s *Synthetic) Shape() []int { return []int{s.C, s.H, s.W} }

// Classes is NumClasses.
func (s *Synthetic) Classes() int { return s.NumClasses }

// Get writes item i.
func (s *Synthetic) Get(i int, dst []float32) (int, error) {
	if i < 0 || i >= s.N {
		return 0, fmt.Errorf("synthetic: index %d out of range [0, %d)", i, s.N)
	}
	if len(dst) != s.C*s.H*s.W {
		return 0, fmt.Errorf("synthetic: dst has %d elements, want %d", len(dst), s.C*s.H*s.W)
	}
	r := newRNG(s.Seed, uint64(i))
	label := r.intn(s.NumClasses)
	k := 0
	for c := range s.C {
		pat := s.pattern[(label*s.C+c)*64:]
		for y := range s.H {
			row := pat[(y&7)*8:]
			for x := range s.W {
				dst[k] = s.Noise*(2*r.float32()-1) + s.Signal*row[x&7]
				k++
			}
		}
	}
	return label, nil
}
