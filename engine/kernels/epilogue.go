package kernels

// Epilogues: the elementwise tail of a layer, applied to a row of output
// while it is still in cache — bias, residual and activation in one pass:
//
//	dst[i] = act(src[i] + bias + res[i])   (res nil: no residual term)
//
// The sums are taken in that order, (src + bias) + res, in float32, so every
// set gives the same bits for ActNone, ActReLU and ActReLU6. ActSiLU and
// ActSigmoid need e^x: the generic set uses Exp32 (within 3e-7 relative of
// e^x); the assembly sets use the same reduction with FMAs and a minimax
// polynomial (_gen/epilogue.go). epilogue_test.go states and checks the
// tolerance of each against float64. Cost: one read of src (and res) and
// one write of dst per element; a few flops for ReLU, about 20 for SiLU and
// Sigmoid.

import (
	"fmt"
	"math"
)

// Act names an activation an epilogue applies.
type Act uint8

// The activations an epilogue can apply.
const (
	ActNone    Act = iota // identity
	ActReLU               // max(v, 0)
	ActReLU6              // min(max(v, 0), 6)
	ActSiLU               // v·σ(v) = v / (1 + e^−v); numerator clamped at −88 (within 6e-37)
	ActSigmoid            // σ(v) = 1 / (1 + e^−v)
	numActs
)

var actNames = [numActs]string{"none", "relu", "relu6", "silu", "sigmoid"}

// String returns the activation's lower-case name ("relu").
func (a Act) String() string {
	if a < numActs {
		return actNames[a]
	}
	return fmt.Sprintf("Act(%d)", uint8(a))
}

// Exp32 is e^x in float32 arithmetic for x clamped to [−87, 88] (outside it
// the result saturates near 0 or near 2^127), within 3e-7 relative of the
// correctly rounded value: x = n·ln2 + r with |r| ≤ ln2/2 (n rounded with
// the 1.5·2^23 trick), e^r by a degree-6 Taylor polynomial (truncation
// < 3e-8 relative), 2^n from the exponent bits. It is small enough to
// inline, with no float64 and no branches but the clamp.
func Exp32(x float32) float32 {
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

// checkEpilogue panics on arguments only a programming error can produce.
func checkEpilogue(name string, dst, src, res []float32, act Act) {
	if len(src) < len(dst) || (res != nil && len(res) < len(dst)) || act >= numActs {
		panic(fmt.Sprintf("kernels.%s: len dst=%d src=%d res=%d, act %d", name, len(dst), len(src), len(res), act))
	}
}

// epilogueGeneric is the pure-Go epilogue, the oracle of the assembly ones.
func epilogueGeneric(dst, src, res []float32, bias float32, act Act) {
	checkEpilogue("epilogueGeneric", dst, src, res, act)
	src = src[:len(dst)]
	if res != nil {
		res = res[:len(dst)]
		for i, v := range src {
			dst[i] = v + bias + res[i]
		}
		src = dst
	} else {
		for i, v := range src {
			dst[i] = v + bias
		}
		src = dst
	}
	switch act {
	case ActNone:
	case ActReLU:
		for i, v := range src {
			dst[i] = max(v, 0)
		}
	case ActReLU6:
		for i, v := range src {
			dst[i] = min(max(v, 0), 6)
		}
	case ActSiLU:
		// Below −88 the exponential saturates (Exp32(88)), so the
		// numerator is clamped too: v·σ(v) there is under 6e-37 in
		// magnitude, and v / (1 + Exp32(−v)) would grow with |v| instead
		// (−2 at −3.4e38).
		for i, v := range src {
			dst[i] = max(v, -88) / (1 + Exp32(-v))
		}
	case ActSigmoid:
		for i, v := range src {
			dst[i] = 1 / (1 + Exp32(-v))
		}
	}
}
