package suite

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// progress prints one line per finished case and, on a terminal, a bar with
// the ETA below them. It draws only between cases, so it never competes
// with a timed pass for a core.
type progress struct {
	w      io.Writer
	bar    bool
	total  int
	start  time.Time
	budget time.Duration
	eta    time.Duration // estimated time for the cases left, set by the runner
	drawn  bool
	cur    string
}

func (p *progress) caseStart(i int, c Case) {
	p.cur = c.String()
	p.draw(i)
}

func (p *progress) caseDone(i int, r Row) {
	if p.w == nil {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "[%*d/%d] %s\n", len(fmt.Sprint(p.total)), i+1, p.total, describe(r))
	p.cur = ""
	p.draw(i + 1)
}

// describe is the one-line summary of a finished case.
func describe(r Row) string {
	head := r.Case().String()
	switch r.Status {
	case StatusOK:
		s := fmt.Sprintf("%s: %.4g ms (p10 %.4g, p90 %.4g; %d runs", head, *r.MedianMs, *r.P10Ms, *r.P90Ms, *r.Runs)
		if r.Outliers != nil && *r.Outliers > 0 {
			s += fmt.Sprintf(", %d outlier(s)", *r.Outliers)
		}
		if r.BudgetLimited {
			s += ", cut by the budget"
		}
		s += fmt.Sprintf(") %.4g img/s, %.4g GFLOP/s", *r.InferSamplesPerSec, *r.GFLOPSPerS)
		if r.PeakFraction != nil {
			s += fmt.Sprintf(" (%.0f%% of peak)", 100**r.PeakFraction)
		}
		return s
	default:
		return fmt.Sprintf("%s: %s: %s", head, r.Status, r.Reason)
	}
}

func (p *progress) draw(done int) {
	if !p.bar || p.w == nil {
		return
	}
	const width = 24
	fill := 0
	if p.total > 0 {
		fill = done * width / p.total
	}
	elapsed := time.Since(p.start).Round(time.Second)
	eta := p.eta
	if p.budget > 0 {
		eta = min(eta, max(p.budget-elapsed, 0))
	}
	line := fmt.Sprintf("[%s%s] %d/%d cases, %s elapsed, ETA ~%s", strings.Repeat("=", fill),
		strings.Repeat(" ", width-fill), done, p.total, elapsed, eta.Round(time.Second))
	if p.cur != "" {
		line += ": " + p.cur
	}
	// Stay on one terminal line, or "\r" cannot redraw it.
	cols := 80
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		cols = n
	}
	if r := []rune(line); len(r) > cols-1 {
		line = string(r[:cols-2]) + "…"
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

func (p *progress) clear() {
	if p.drawn && p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
