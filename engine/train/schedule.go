package train

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each optimizer step (counted from 0).
type Schedule interface {
	LR(step int) float64
}

// Constant is a fixed learning rate.
type Constant float64

// LR implements Schedule.
func (c Constant) LR(step int) float64 { return float64(c) }

// warm returns the linear warm-up factor of step: (step+1)/warmup during
// the first warmup steps, 1 after.
func warm(step, warmup int) float64 {
	if warmup > 0 && step < warmup {
		return float64(step+1) / float64(warmup)
	}
	return 1
}

// StepLR multiplies Base by Gamma at each milestone (PyTorch's MultiStepLR:
// the rate is Base·Gamma^(milestones ≤ step)), or, without milestones, every
// Every steps (StepLR). The first Warmup steps ramp linearly up to the
// scheduled rate. He et al.'s CIFAR recipe is {Base: 0.1, Gamma: 0.1,
// Milestones: 32k, 48k}.
type StepLR struct {
	Base, Gamma float64
	Every       int
	Milestones  []int
	Warmup      int
}

// LR implements Schedule.
func (s StepLR) LR(step int) float64 {
	k := 0
	if len(s.Milestones) > 0 {
		for _, m := range s.Milestones {
			if step >= m {
				k++
			}
		}
	} else if s.Every > 0 {
		k = step / s.Every
	}
	return s.Base * math.Pow(s.Gamma, float64(k)) * warm(step, s.Warmup)
}

// Cosine anneals from Base to Min over Total steps along a half cosine
// (PyTorch's CosineAnnealingLR, one cycle), after Warmup steps of linear
// ramp up to Base; steps past Total stay at Min.
type Cosine struct {
	Base, Min float64
	Total     int
	Warmup    int
}

// LR implements Schedule.
func (c Cosine) LR(step int) float64 {
	if c.Warmup > 0 && step < c.Warmup {
		return c.Base * warm(step, c.Warmup)
	}
	span := c.Total - c.Warmup
	if span <= 0 {
		return c.Min
	}
	t := min(float64(step-c.Warmup)/float64(span), 1)
	return c.Min + (c.Base-c.Min)*(1+math.Cos(math.Pi*t))/2
}

// Validate reports a schedule that cannot train: a negative or non-finite
// rate at some step of the first total.
func Validate(s Schedule, total int) error {
	for _, step := range []int{0, total / 2, max(total-1, 0)} {
		lr := s.LR(step)
		if lr < 0 || math.IsNaN(lr) || math.IsInf(lr, 0) {
			return fmt.Errorf("schedule: learning rate %v at step %d", lr, step)
		}
	}
	return nil
}
