package suite

import (
	"math"
	"slices"
	"time"
)

// Stats summarises the timed passes of one case, in milliseconds.
type Stats struct {
	N                  int
	Min, Max, Mean     float64
	Median, P10, P90   float64
	Q1, Q3             float64
	Outliers           int // passes outside Tukey's fences [Q1 − 1.5·IQR, Q3 + 1.5·IQR]
	LowOut, HighOut    int // how many of those are below / above
	FenceLo, FenceHigh float64
}

// Summarize computes Stats from pass durations. It needs at least one
// duration; the protocol never reports fewer than three.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	ms := make([]float64, len(ds))
	for i, d := range ds {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	return SummarizeMs(ms)
}

// SummarizeMs is Summarize on values already in milliseconds.
func SummarizeMs(v []float64) Stats {
	if len(v) == 0 {
		return Stats{}
	}
	x := slices.Clone(v)
	slices.Sort(x)
	s := Stats{N: len(x), Min: x[0], Max: x[len(x)-1]}
	var sum float64
	for _, t := range x {
		sum += t
	}
	s.Mean = sum / float64(len(x))
	s.Median = Quantile(x, 0.5)
	s.P10 = Quantile(x, 0.1)
	s.P90 = Quantile(x, 0.9)
	s.Q1 = Quantile(x, 0.25)
	s.Q3 = Quantile(x, 0.75)
	iqr := s.Q3 - s.Q1
	s.FenceLo, s.FenceHigh = s.Q1-1.5*iqr, s.Q3+1.5*iqr
	for _, t := range x {
		switch {
		case t < s.FenceLo:
			s.LowOut++
		case t > s.FenceHigh:
			s.HighOut++
		}
	}
	s.Outliers = s.LowOut + s.HighOut
	return s
}

// Quantile returns the p-quantile (0 ≤ p ≤ 1) of sorted values by linear
// interpolation between order statistics (Hyndman & Fan type 7, NumPy's
// default): h = (n−1)·p, q = x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	if lo < 0 {
		return sorted[0]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
