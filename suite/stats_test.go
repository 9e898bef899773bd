package suite

import (
	"context"
	"math"
	"testing"
	"time"
)

func msDurations(ms ...float64) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m * float64(time.Millisecond))
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestSummarizeSyntheticDurations checks median, p10/p90 (R-7 linear
// interpolation, NumPy's default) and Tukey-fence outliers on durations
// whose statistics are known by hand.
func TestSummarizeSyntheticDurations(t *testing.T) {
	// 1..10 ms, shuffled: numpy.percentile(range(1,11), [10,25,50,75,90])
	// = 1.9, 3.25, 5.5, 7.75, 9.1; fences -3.5 and 14.5: no outliers.
	s := Summarize(msDurations(7, 3, 10, 1, 5, 9, 2, 8, 4, 6))
	want := Stats{N: 10, Min: 1, Max: 10, Mean: 5.5, Median: 5.5, P10: 1.9, P90: 9.1, Q1: 3.25, Q3: 7.75,
		FenceLo: -3.5, FenceHigh: 14.5}
	if !statsEqual(s, want) {
		t.Fatalf("Summarize(1..10 ms) = %+v\nwant %+v", s, want)
	}
	// One 100 ms straggler (a GC or a neighbour's burst): the median moves
	// by half a rank, the straggler is counted as a high outlier.
	s = Summarize(msDurations(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100))
	if !near(s.Median, 6) || !near(s.P10, 2) || !near(s.P90, 10) || s.Outliers != 1 || s.HighOut != 1 || s.LowOut != 0 {
		t.Fatalf("with a straggler: %+v, want median 6, p10 2, p90 10, one high outlier", s)
	}
	// A fast outlier (e.g. a pass that hit a warm cache) is counted as low.
	s = SummarizeMs([]float64{50, 50, 51, 51, 52, 52, 53, 53, 10})
	if s.LowOut != 1 || s.HighOut != 0 || s.Min != 10 {
		t.Fatalf("low outlier: %+v", s)
	}
	// Identical durations: zero spread, nothing is an outlier.
	s = SummarizeMs([]float64{4, 4, 4})
	if s.Median != 4 || s.P10 != 4 || s.P90 != 4 || s.Outliers != 0 {
		t.Fatalf("constant: %+v", s)
	}
}

func statsEqual(a, b Stats) bool {
	return a.N == b.N && near(a.Min, b.Min) && near(a.Max, b.Max) && near(a.Mean, b.Mean) &&
		near(a.Median, b.Median) && near(a.P10, b.P10) && near(a.P90, b.P90) && near(a.Q1, b.Q1) &&
		near(a.Q3, b.Q3) && a.Outliers == b.Outliers && near(a.FenceLo, b.FenceLo) && near(a.FenceHigh, b.FenceHigh)
}

func TestQuantileEndpointsAndInterpolation(t *testing.T) {
	x := []float64{10, 20, 30, 40}
	for _, c := range []struct{ p, want float64 }{{0, 10}, {1, 40}, {0.5, 25}, {0.1, 13}, {0.9, 37}, {1.0 / 3, 20}} {
		if got := Quantile(x, c.p); !near(got, c.want) {
			t.Errorf("Quantile(%v, %v) = %v, want %v", x, c.p, got, c.want)
		}
	}
	if got := Quantile([]float64{7}, 0.9); got != 7 {
		t.Errorf("one value: %v", got)
	}
}

// fakeClock advances only when a pass "runs".
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) pass(d time.Duration) func() (time.Duration, error) {
	return func() (time.Duration, error) { c.t = c.t.Add(d); return d, nil }
}

// TestSampleMeetsMinRunsAndMinTime: without a budget, timing continues
// until both the minimum count and the minimum time are reached.
func TestSampleMeetsMinRunsAndMinTime(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	p := Protocol{MinRuns: 5, MinTime: Duration(100 * time.Millisecond)}
	ds, limited, err := Sample(context.Background(), p, time.Time{}, clk.now, clk.pass(10*time.Millisecond))
	if err != nil || limited || len(ds) != 10 {
		t.Fatalf("10 ms passes, min 5 runs and 100 ms: %d runs (limited %v, err %v), want 10", len(ds), limited, err)
	}
	ds, _, _ = Sample(context.Background(), p, time.Time{}, clk.now, clk.pass(time.Second))
	if len(ds) != 5 {
		t.Fatalf("1 s passes: %d runs, want min-runs 5", len(ds))
	}
}

// TestSampleBudgetNeverCutsBelowThreeRuns: a deadline already past still
// gets the floor of three timed passes (never a single run), and says it
// was limited; a deadline in the middle stops as soon as the floor is met
// and the next pass would overrun.
func TestSampleBudgetNeverCutsBelowThreeRuns(t *testing.T) {
	clk := &fakeClock{t: time.Unix(100, 0)}
	p := Protocol{MinRuns: 20, MinTime: Duration(time.Minute)}
	ds, limited, err := Sample(context.Background(), p, time.Unix(0, 0), clk.now, clk.pass(time.Second))
	if err != nil || !limited || len(ds) != 3 {
		t.Fatalf("past deadline: %d runs, limited %v, err %v; want 3, true", len(ds), limited, err)
	}
	clk = &fakeClock{t: time.Unix(0, 0)}
	ds, limited, _ = Sample(context.Background(), p, time.Unix(7, 500), clk.now, clk.pass(time.Second))
	if !limited || len(ds) != 7 {
		t.Fatalf("deadline after 7 s of 1 s passes: %d runs (limited %v), want 7", len(ds), limited)
	}
	p.FloorRuns = 1 // asking for fewer than three is raised to three
	ds, _, _ = Sample(context.Background(), p, time.Unix(0, 0), clk.now, clk.pass(time.Second))
	if len(ds) != 3 {
		t.Fatalf("FloorRuns 1: %d runs, want 3", len(ds))
	}
}

func TestSampleStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := &fakeClock{t: time.Unix(0, 0)}
	n := 0
	_, _, err := Sample(ctx, Protocol{MinRuns: 100}, time.Time{}, clk.now, func() (time.Duration, error) {
		if n++; n == 4 {
			cancel()
		}
		return time.Millisecond, nil
	})
	if err == nil || n != 4 {
		t.Fatalf("cancelled after 4 passes: err %v after %d passes", err, n)
	}
}
