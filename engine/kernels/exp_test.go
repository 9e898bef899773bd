package kernels

import (
	"math"
	"testing"
)

// TestExp32MatchesMathExp proves Exp32 stays within 3e-7 relative error of
// math.Exp on [−87, 88] and saturates (finite, no NaN) outside it.
func TestExp32MatchesMathExp(t *testing.T) {
	worst := 0.0
	for x := -87.0; x <= 88; x += 0.000731 {
		want := math.Exp(float64(float32(x)))
		got := float64(Exp32(float32(x)))
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	t.Logf("worst relative error %.3g", worst)
	if worst > 3e-7 {
		t.Errorf("worst relative error %.3g > 3e-7", worst)
	}
	for _, x := range []float32{-1e30, -200, 200, 1e30} {
		if v := Exp32(x); math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Errorf("Exp32(%g) = %v", x, v)
		}
	}
	if Exp32(0) != 1 {
		t.Errorf("Exp32(0) = %v", Exp32(0))
	}
}
