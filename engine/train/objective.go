package train

import (
	"fmt"
	"math"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Objective turns a graph's output into a training loss with its gradient,
// and into class scores (higher is better) for accuracy.
type Objective interface {
	// Loss returns the batch-mean loss and ∂loss/∂out.
	Loss(out *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error)
	// Scores returns out as scores, higher meaning more likely (out itself
	// for logits).
	Scores(out *tensor.Tensor) *tensor.Tensor
}

// CrossEntropy is softmax cross-entropy on logits with label smoothing
// (SoftmaxCrossEntropy), the objective of every modern net of the zoo.
type CrossEntropy struct{ Smoothing float64 }

// Loss implements Objective.
func (c CrossEntropy) Loss(out *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error) {
	return SoftmaxCrossEntropy(out, labels, c.Smoothing)
}

// Scores implements Objective: logits are scores.
func (CrossEntropy) Scores(out *tensor.Tensor) *tensor.Tensor { return out }

// RBFMAP is LeNet-5's criterion for its RBF output layer (LeCun et al.
// 1998, eq. 9): the outputs are squared distances d_i to the class
// prototypes (lower is better) and each sample costs
//
//	E = d_y + log(e^−J + Σ_i e^−d_i),
//
// the distance of the right class plus a soft minimum over all classes and
// a rejection class at distance J, which keeps the prototypes from
// collapsing. It is the cross-entropy of logits −d with an extra fixed
// logit −J. Scores are −d.
type RBFMAP struct{ J float64 }

// Loss implements Objective.
func (r RBFMAP) Loss(out *tensor.Tensor, labels []int) (float64, *tensor.Tensor, error) {
	n, k, err := checkLogits(out, labels)
	if err != nil {
		return 0, nil, err
	}
	if math.IsNaN(r.J) || math.IsInf(r.J, 0) {
		return 0, nil, fmt.Errorf("RBF MAP criterion: J = %v", r.J)
	}
	grad := tensor.New(n, k)
	var total float64
	for b := 0; b < n; b++ {
		d := out.Data[b*k : (b+1)*k]
		m := -r.J
		for _, v := range d {
			m = max(m, -float64(v))
		}
		sum := math.Exp(-r.J - m)
		for _, v := range d {
			sum += math.Exp(-float64(v) - m)
		}
		total += float64(d[labels[b]]) + m + math.Log(sum)
		for i, v := range d {
			g := -math.Exp(-float64(v)-m) / sum
			if i == labels[b] {
				g++
			}
			grad.Data[b*k+i] = float32(g / float64(n))
		}
	}
	return total / float64(n), grad, nil
}

// Scores implements Objective: the negated distances.
func (RBFMAP) Scores(out *tensor.Tensor) *tensor.Tensor {
	s := tensor.New(out.Shape...)
	for i, v := range out.Data {
		s.Data[i] = -v
	}
	return s
}
