package suite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Protocol is the timing protocol of a run; it is stored in the machine
// record.
type Protocol struct {
	// Warmup is the number of untimed passes before timing; the first is
	// the cold pass that builds the plans (repacks weights). At least 1.
	Warmup int `json:"warmup"`
	// MinRuns and MinTime: timed passes continue until both are reached.
	MinRuns int      `json:"min_runs"`
	MinTime Duration `json:"min_time"`
	// FloorRuns is the fewest timed passes a budget may cut a case to (≥ 3).
	FloorRuns int `json:"floor_runs"`
	// Budget bounds the whole run's wall time (0: none); CaseBudget bounds
	// one case (0: none). Both shorten cases down to FloorRuns, never below:
	// a case whose floor does not fit is dropped.
	Budget     Duration `json:"budget"`
	CaseBudget Duration `json:"case_budget"`
	// MaxPass drops cases whose single pass would exceed it (0: none).
	MaxPass Duration `json:"max_pass"`
	// AutoTuning records how the auto algorithm chose per layer (mode, cache).
	AutoTuning string `json:"auto_tuning,omitempty"`
	// Statistic describes what is reported (documentation for readers).
	Statistic string `json:"statistic"`
}

// StatisticText is the Statistic of every protocol.
const StatisticText = "median of timed passes with p10/p90 (linear interpolation, R-7); outliers = passes beyond Tukey's fences Q1-1.5*IQR, Q3+1.5*IQR; runtime.GC before each case and before timing; clock: time.Now (monotonic)"

// Normalize fills defaults and enforces the invariants (≥ 1 warm-up, floor
// ≥ 3 and ≤ MinRuns).
func (p Protocol) Normalize() Protocol {
	if p.Warmup < 1 {
		p.Warmup = 1
	}
	if p.FloorRuns < 3 {
		p.FloorRuns = 3
	}
	if p.MinRuns < p.FloorRuns {
		p.MinRuns = p.FloorRuns
	}
	p.Statistic = StatisticText
	return p
}

// Validate reports protocol values a user could get wrong.
func (p Protocol) Validate() error {
	switch {
	case p.Warmup < 1:
		return fmt.Errorf("-warmup %d: want ≥ 1 (the first pass builds the plans and is never timed)", p.Warmup)
	case p.MinRuns < 3:
		return fmt.Errorf("-min-runs %d: want ≥ 3 (a median needs repeated runs)", p.MinRuns)
	case p.MinTime < 0 || p.Budget < 0 || p.CaseBudget < 0 || p.MaxPass < 0:
		return fmt.Errorf("durations must not be negative")
	}
	return nil
}

// Duration is a time.Duration that reads and writes JSON as "1.5s".
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "2m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "2m0s" (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return err
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Sample runs timed passes under protocol p: it stops once both MinRuns
// passes and MinTime of timed work are done; or, once FloorRuns passes are
// done, when another pass would end after deadline (limited is then true).
// A zero deadline means none. pass returns the duration of one pass.
func Sample(ctx context.Context, p Protocol, deadline time.Time, now func() time.Time,
	pass func() (time.Duration, error)) (ds []time.Duration, limited bool, err error) {
	p = p.Normalize()
	var total time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return ds, false, err
		}
		d, err := pass()
		if err != nil {
			return ds, false, err
		}
		ds = append(ds, d)
		total += d
		n := len(ds)
		if n >= p.MinRuns && total >= time.Duration(p.MinTime) {
			return ds, false, nil
		}
		if n >= p.FloorRuns && !deadline.IsZero() && now().Add(d).After(deadline) {
			return ds, true, nil
		}
	}
}
