package train

import (
	"fmt"
	"math"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// checkLogits validates a [N, K] logits tensor against its labels.
func checkLogits(logits *tensor.Tensor, labels []int) (n, k int, err error) {
	if len(logits.Shape) != 2 {
		return 0, 0, fmt.Errorf("logits of shape %v, want [N classes]", logits.Shape)
	}
	n, k = logits.Shape[0], logits.Shape[1]
	if len(labels) != n {
		return 0, 0, fmt.Errorf("%d labels for a batch of %d", len(labels), n)
	}
	for i, l := range labels {
		if l < 0 || l >= k {
			return 0, 0, fmt.Errorf("label %d of sample %d outside [0, %d)", l, i, k)
		}
	}
	return n, k, nil
}

// SoftmaxCrossEntropy is PyTorch's F.cross_entropy(logits, labels,
// label_smoothing=smoothing) with mean reduction: for each sample,
// −Σ_k q_k·log softmax(z)_k with q = (1 − ε)·onehot(label) + ε/K, averaged
// over the batch. It returns the loss and its gradient with respect to the
// logits, (softmax(z) − q)/N. Computed in float64 per sample; a non-finite
// logit gives a NaN or Inf loss (the Trainer stops on it).
func SoftmaxCrossEntropy(logits *tensor.Tensor, labels []int, smoothing float64) (float64, *tensor.Tensor, error) {
	n, k, err := checkLogits(logits, labels)
	if err != nil {
		return 0, nil, err
	}
	if smoothing < 0 || smoothing > 1 {
		return 0, nil, fmt.Errorf("label smoothing %v outside [0, 1]", smoothing)
	}
	grad := tensor.New(n, k)
	var total float64
	p := make([]float64, k)
	for b := 0; b < n; b++ {
		z := logits.Data[b*k : (b+1)*k]
		m := math.Inf(-1)
		for _, v := range z {
			m = max(m, float64(v))
		}
		var sum float64
		for i, v := range z {
			p[i] = math.Exp(float64(v) - m)
			sum += p[i]
		}
		logSum := m + math.Log(sum)
		var loss float64
		for i, v := range z {
			q := smoothing / float64(k)
			if i == labels[b] {
				q += 1 - smoothing
			}
			if q != 0 {
				loss -= q * (float64(v) - logSum)
			}
			grad.Data[b*k+i] = float32((p[i]/sum - q) / float64(n))
		}
		total += loss
	}
	return total / float64(n), grad, nil
}

// Correct counts the samples whose label is among the k highest logits
// (top-k accuracy's numerator). A label ranks by the number of classes with
// a strictly higher logit, so ties count in its favour; a NaN logit of the
// label never counts.
func Correct(logits *tensor.Tensor, labels []int, k int) (int, error) {
	n, c, err := checkLogits(logits, labels)
	if err != nil {
		return 0, err
	}
	count := 0
	for b := 0; b < n; b++ {
		z := logits.Data[b*c : (b+1)*c]
		v := z[labels[b]]
		if v != v {
			continue
		}
		higher := 0
		for _, u := range z {
			if u > v || u != u {
				higher++
			}
		}
		if higher < k {
			count++
		}
	}
	return count, nil
}

// Accuracy returns the top-1 and top-5 correct counts of a batch.
func Accuracy(logits *tensor.Tensor, labels []int) (top1, top5 int, err error) {
	if top1, err = Correct(logits, labels, 1); err != nil {
		return 0, 0, err
	}
	top5, err = Correct(logits, labels, 5)
	return top1, top5, err
}
