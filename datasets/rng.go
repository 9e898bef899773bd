package datasets

// rng is SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and fully
// specified here, so shuffles and augmentations for a seed are the same on
// every Go version and platform (math/rand's algorithms may change).
type rng struct{ s uint64 }

// newRNG derives an independent stream from a seed and any number of keys
// (epoch, item index, ...).
func newRNG(seed uint64, keys ...uint64) rng {
	r := rng{s: mix64(seed)}
	for _, k := range keys {
		r.s = mix64(r.s ^ mix64(k+0x9e3779b97f4a7c15))
	}
	return r
}

func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform int in [0, n), n > 0, without modulo bias
// (rejection sampling).
func (r *rng) intn(n int) int {
	un := uint64(n)
	lim := -un % un // 2^64 mod n
	for {
		v := r.next()
		if v >= lim {
			return int(v % un)
		}
	}
}

// float32 returns a uniform value in [0, 1) with 24 random bits.
func (r *rng) float32() float32 { return float32(r.next()>>40) / (1 << 24) }

// perm returns a Fisher–Yates permutation of [0, n).
func (r *rng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
