package ops

import "math"

// exp32 is e^x in float32 arithmetic for x clamped to [−87, 88] (outside it
// the result saturates near 0 or near 2^127), within 3e-7 relative of the
// correctly rounded value: x = n·ln2 + r with |r| ≤ ln2/2 (n rounded with
// the 1.5·2^23 trick), e^r by a degree-6 Taylor polynomial (truncation
// < 3e-8 relative), 2^n from the exponent bits. It is small enough to
// inline, with no float64 and no branches but the clamp: SiLU and Sigmoid
// spend most of their time here, and math.Exp made EfficientNet's
// activations cost more than its convolutions.
func exp32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125     // ln 2 with its low 12 bits of mantissa zero
		ln2lo = 1.428606765330187e-06 // ln 2 − ln2hi
		round = 12582912              // 1.5·2^23: adding it rounds to an integer
	)
	x = min(max(x, -87), 88)
	fn := (x*log2e + round) - round
	r := (x - fn*ln2hi) - fn*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(fn)+127)<<23)
}
