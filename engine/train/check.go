package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/cnnbench/cnnbench/engine/graph"
)

// ErrDiverged is wrapped by every error that reports a non-finite loss,
// gradient or weight: training must stop and resume from the last good
// checkpoint.
var ErrDiverged = errors.New("training diverged")

// CheckGradients returns an error wrapping ErrDiverged that names the first
// parameter (in state-dict order) whose gradient holds a NaN or Inf, and the
// index of the first bad element; nil if all are finite.
func CheckGradients(params []graph.ParamRef) error {
	for _, p := range params {
		if i := p.Grad.FirstNonFinite(); i >= 0 {
			return fmt.Errorf("%w: gradient of %s is %v at index %d", ErrDiverged, p.Key, p.Grad.Data[i], i)
		}
	}
	return nil
}

// CheckWeights is CheckGradients for the parameters themselves.
func CheckWeights(params []graph.ParamRef) error {
	for _, p := range params {
		if i := p.T.FirstNonFinite(); i >= 0 {
			return fmt.Errorf("%w: weight %s is %v at index %d", ErrDiverged, p.Key, p.T.Data[i], i)
		}
	}
	return nil
}

// GradNorm is the L2 norm of all gradients together, summed in float64 in
// state-dict order.
func GradNorm(params []graph.ParamRef) float64 {
	var s float64
	for _, p := range params {
		for _, v := range p.Grad.Data {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm scales all gradients by maxNorm/(norm + 1e-6) when their
// global norm exceeds maxNorm (torch.nn.utils.clip_grad_norm_), and returns
// the norm before clipping.
func ClipGradNorm(params []graph.ParamRef, maxNorm float64) float64 {
	norm := GradNorm(params)
	if c := maxNorm / (norm + 1e-6); c < 1 {
		for _, p := range params {
			for i, v := range p.Grad.Data {
				p.Grad.Data[i] = float32(float64(v) * c)
			}
		}
	}
	return norm
}
