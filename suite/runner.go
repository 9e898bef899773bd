package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cnnbench/cnnbench/architectures"
	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/graph"
	"github.com/cnnbench/cnnbench/engine/kernels"
	"github.com/cnnbench/cnnbench/engine/ops"
	"github.com/cnnbench/cnnbench/engine/tensor"
)

// Runner runs cases into one run folder.
type Runner struct {
	Dir      string
	Protocol Protocol
	Seed     uint64
	Command  []string // recorded in the machine record
	// Log receives one line per case and the run's messages (stderr).
	Log io.Writer
	// Bar draws a progress bar with ETA below the lines (stderr is a
	// terminal). It is redrawn only between cases, never while timing.
	Bar bool
	// Fresh discards finished cases already in Dir instead of resuming.
	Fresh bool
	// AfterCase, if set, is called after each case's row has been saved;
	// an error stops the run there (tests simulate a killed run with it).
	AfterCase func(done int, r Row) error
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Unfused runs the models as built, without graph.Fuse (BN folding and
	// the convolutions' fused epilogues): an ablation of the engine.
	Unfused bool
}

// Report is what a run did.
type Report struct {
	Dir                           string
	Rows                          []Row // every row of the folder, including earlier sessions'
	Resumed                       int   // cases found finished and skipped
	OK, Skipped, Dropped, Errored int   // outcomes of the cases run now
	Wall                          time.Duration
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// CheckWritable creates dir if needed and proves a file can be written there.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-out %s: %v", dir, cause(err))
	}
	f, err := os.CreateTemp(dir, ".write-test*")
	if err != nil {
		return fmt.Errorf("-out %s: cannot write there: %v", dir, cause(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// Run runs every case not already finished in r.Dir, saving both result
// files after each case. It stops early, with an error, when ctx is
// cancelled or AfterCase fails; the files then hold every finished case.
func (r *Runner) Run(ctx context.Context, cases []Case) (*Report, error) {
	start := r.now()
	proto := r.Protocol.Normalize()
	if err := proto.Validate(); err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, errors.New("no cases to run (empty selection)")
	}
	if err := CheckWritable(r.Dir); err != nil {
		return nil, err
	}
	m := DescribeMachine()
	file, err := Load(r.Dir)
	switch {
	case errors.Is(err, ErrNoRun) || (err == nil && r.Fresh):
		file = &File{Machine: m}
		file.Machine.Started = start.Format(time.RFC3339)
	case err != nil:
		return nil, err
	default:
		if err := compatible(file.Machine, m, r.Seed, r.Dir); err != nil {
			return nil, err
		}
		if old := file.Machine.Commit; old.Revision != m.Commit.Revision && old.Revision != "" {
			note := fmt.Sprintf("resumed at commit %s (started at %s)", short(m.Commit.Revision), short(old.Revision))
			file.Machine.Notes = append(file.Machine.Notes, note)
			r.logf("note: %s", note)
		}
		// Keep the first session's commit, start time, peaks and notes;
		// refresh the rest.
		m.Commit, m.Started, m.Peaks, m.Notes, m.Sessions = file.Machine.Commit, file.Machine.Started,
			file.Machine.Peaks, file.Machine.Notes, file.Machine.Sessions
		file.Machine = m
	}
	file.Machine.Sessions++
	file.Machine.Seed = r.Seed
	file.Machine.Protocol = proto
	file.Machine.Command = r.Command

	index := map[string]int{}
	for i, row := range file.Rows {
		index[row.Key] = i
	}
	var todo []Case
	resumed := 0
	used := map[string]bool{}
	for _, k := range file.Machine.Kernels.Used {
		used[k] = true
	}
	for _, c := range cases {
		used[c.Kernels] = true
		if i, ok := index[c.Key()]; ok && file.Rows[i].Done() {
			resumed++
			continue
		}
		todo = append(todo, c)
	}
	file.Machine.Kernels.Used = file.Machine.Kernels.Used[:0]
	for _, k := range kernels.Compiled() {
		if used[k] {
			file.Machine.Kernels.Used = append(file.Machine.Kernels.Used, k)
		}
	}
	if resumed > 0 {
		r.logf("resuming %s: %d of %d cases already finished there, skipping them (-fresh re-measures them)", r.Dir, resumed, len(cases))
	}
	rep := &Report{Dir: r.Dir, Resumed: resumed}
	if len(todo) == 0 {
		r.logf("nothing to run: every case is already in %s", filepath.Join(r.Dir, CSVName))
		file.Machine.Updated = r.now().Format(time.RFC3339)
		if err := file.Save(r.Dir); err != nil {
			return nil, err
		}
		rep.Rows = file.Rows
		return rep, nil
	}

	prev, prevErr := kernels.Current()
	defer func() {
		if prevErr == nil {
			kernels.Select(prev.Name)
		}
	}()

	est := newEstimator(proto)
	for _, p := range file.Machine.Peaks {
		est.peaks[peakKey(p.Kernels, p.Threads)] = p
	}
	for _, c := range todo {
		k := peakKey(c.Kernels, c.Threads)
		if _, ok := est.peaks[k]; ok {
			continue
		}
		p, err := MeasurePeak(c.Kernels, c.Threads)
		if err != nil {
			return nil, err
		}
		est.peaks[k] = p
		file.Machine.Peaks = append(file.Machine.Peaks, p)
		r.logf("peak %s, %d thread(s): %.1f GFLOP/s (%s)", p.Kernels, p.Threads, p.GFLOPS, p.Source)
	}
	// Accounting per model and input, for estimates and rows.
	acct := map[string]graph.Totals{}
	for _, c := range todo {
		k := c.Model + "@" + c.Input
		if _, ok := acct[k]; ok {
			continue
		}
		if g, err := buildModel(c); err == nil {
			acct[k] = g.Totals()
		}
	}
	flopsOf := func(c Case) float64 {
		return 2 * float64(acct[c.Model+"@"+c.Input].MACs) * float64(c.Batch)
	}

	prog := &progress{w: r.Log, bar: r.Bar, total: len(todo), start: start, budget: time.Duration(proto.Budget)}
	for i, c := range todo {
		if err := ctx.Err(); err != nil {
			prog.clear()
			return rep, r.interrupted(rep, i, len(todo))
		}
		caseStart := r.now()
		// Budget: what the remaining cases need at the full protocol and
		// at their floor decides how long this one may take.
		var need, floor float64
		for _, d := range todo[i:] {
			n, f := est.need(d, flopsOf(d))
			need += n
			floor += f
		}
		myNeed, myFloor := est.need(c, flopsOf(c))
		prog.eta = time.Duration(need * float64(time.Second))
		prog.caseStart(i, c)
		var deadline time.Time
		var row Row
		dropped := ""
		if proto.Budget > 0 {
			left := time.Duration(proto.Budget) - caseStart.Sub(start)
			l := left.Seconds()
			var alloc float64
			switch {
			case need <= l:
				alloc = l - (need - myNeed)
			case floor <= l:
				alloc = myFloor + (myNeed-myFloor)*(l-floor)/max(need-floor, 1e-9)
			case myFloor <= l:
				alloc = myFloor
			default:
				dropped = fmt.Sprintf("over budget: -budget %s has %s left, this case needs about %s even at %d runs",
					time.Duration(proto.Budget), left.Round(time.Second), secs(myFloor), proto.FloorRuns)
			}
			deadline = caseStart.Add(time.Duration(alloc * float64(time.Second)))
		}
		if proto.CaseBudget > 0 {
			cap := caseStart.Add(time.Duration(proto.CaseBudget))
			if deadline.IsZero() || cap.Before(deadline) {
				deadline = cap
			}
		}
		if dropped != "" {
			row = baseRow(c, acct)
			row.Status, row.Reason = StatusDropped, dropped
		} else {
			row = r.runCase(ctx, c, proto, deadline, est, acct)
		}
		if errors.Is(ctx.Err(), context.Canceled) && row.Status != StatusOK {
			prog.clear()
			return rep, r.interrupted(rep, i, len(todo))
		}
		row.CaseSeconds = fptr(r.now().Sub(caseStart).Seconds(), 2)
		row.Finished = r.now().Format(time.RFC3339)
		if j, ok := index[row.Key]; ok {
			file.Rows[j] = row
		} else {
			index[row.Key] = len(file.Rows)
			file.Rows = append(file.Rows, row)
		}
		switch row.Status {
		case StatusOK:
			rep.OK++
			est.observe(c, flopsOf(c), *row.MedianMs)
		case StatusSkipped:
			rep.Skipped++
		case StatusDropped:
			rep.Dropped++
		default:
			rep.Errored++
		}
		file.Machine.Updated = r.now().Format(time.RFC3339)
		if err := file.Save(r.Dir); err != nil {
			prog.clear()
			return rep, fmt.Errorf("saving results: %w", err)
		}
		prog.caseDone(i, row)
		if r.AfterCase != nil {
			if err := r.AfterCase(i+1, row); err != nil {
				prog.clear()
				rep.Rows = file.Rows
				return rep, err
			}
		}
	}
	prog.clear()
	rep.Rows = file.Rows
	rep.Wall = r.now().Sub(start)
	return rep, nil
}

func (r *Runner) interrupted(rep *Report, done, total int) error {
	return fmt.Errorf("interrupted after %d of %d cases; run the same command again to resume (results so far in %s)", done, total, r.Dir)
}

// compatible refuses to resume a run from another machine or seed.
func compatible(old, now Machine, seed uint64, dir string) error {
	if old.CPU.Brand != now.CPU.Brand || old.CPU.Family != now.CPU.Family || old.CPU.Model != now.CPU.Model {
		return fmt.Errorf("%s holds a run from another CPU (%s, family %d model %d); use another -out",
			dir, old.CPU.Brand, old.CPU.Family, old.CPU.Model)
	}
	if old.Sessions > 0 && old.Seed != seed {
		return fmt.Errorf("%s was run with -seed %d; use the same seed to resume, or another -out", dir, old.Seed)
	}
	return nil
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func secs(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond)
}

// buildModel builds the case's model at its input size.
func buildModel(c Case) (*graph.Graph, error) {
	shape, err := tensor.ParseDims(c.Input)
	if err != nil {
		return nil, err
	}
	return architectures.Build(c.Model, architectures.Options{Input: shape})
}

// baseRow fills what a row knows before running: the case and its
// accounting.
func baseRow(c Case, acct map[string]graph.Totals) Row {
	row := Row{Model: c.Model, InferBatchSize: c.Batch, Algo: c.Algo, Kernels: c.Kernels, Threads: c.Threads,
		Input: c.Input, Key: c.Key()}
	if spec, err := architectures.Lookup(c.Model); err == nil {
		row.Family, row.Variant = spec.Family, spec.Name
		if spec.AliasOf != "" {
			row.Variant = spec.AliasOf
		}
	}
	if s, err := tensor.ParseDims(c.Input); err == nil && len(s) == 3 {
		row.InferImgSize = s[1]
	}
	if t, ok := acct[c.Model+"@"+c.Input]; ok {
		setTotals(&row, t)
	}
	return row
}

func setTotals(row *Row, t graph.Totals) {
	row.Params, row.MACs, row.Activations = iptr(t.Params), iptr(t.MACs), iptr(t.Activations)
	row.ParamCount = fptr(float64(t.Params)/1e6, 6)
	row.InferGMACs = fptr(float64(t.MACs)/1e9, 9)
	row.InferMActs = fptr(float64(t.Activations)/1e6, 6)
}

// runCase measures one case. It never panics: engine panics become error
// rows, unsupported shapes skipped rows.
func (r *Runner) runCase(ctx context.Context, c Case, p Protocol, deadline time.Time, est *estimator,
	acct map[string]graph.Totals) (row Row) {
	row = baseRow(c, acct)
	fail := func(status, reason string) Row {
		row.Status, row.Reason = status, oneLine(reason)
		return row
	}
	defer func() {
		if v := recover(); v != nil {
			row = fail(StatusError, fmt.Sprintf("panic: %v", v))
		}
	}()
	flops := 2 * float64(acct[c.Model+"@"+c.Input].MACs) * float64(c.Batch)
	if p.MaxPass > 0 && flops > 0 {
		if d, known := est.pass(c, flops); known && d > time.Duration(p.MaxPass) {
			return fail(StatusDropped, fmt.Sprintf("estimated %s per pass exceeds -max-pass %s",
				d.Round(time.Millisecond), time.Duration(p.MaxPass)))
		}
	}
	runtime.GC()
	t0 := r.now()
	open := Open
	if r.Unfused {
		open = OpenUnfused
	}
	s, err := open(c, r.Seed)
	if err != nil {
		var se *selectError
		if errors.As(err, &se) {
			return fail(StatusError, err.Error())
		}
		return fail(StatusSkipped, err.Error())
	}
	row.SetupMs = fptr(float64(r.now().Sub(t0))/1e6, 3)
	setTotals(&row, s.Totals)
	flops = s.FLOPs
	forward := func() (time.Duration, error) {
		t := r.now()
		err := s.Pass()
		return r.now().Sub(t), err
	}
	// Warm-up: the cold pass builds the plans; memory is sampled after
	// every layer of every warm-up pass (never while timing).
	mem := newHeapSampler()
	s.ctx.Trace = func(string, time.Duration) { mem.sample() }
	first, err := forward()
	if err != nil {
		if errors.Is(err, conv.ErrUnsupported) {
			return fail(StatusSkipped, err.Error())
		}
		return fail(StatusError, err.Error())
	}
	row.FirstMs = fptr(ms(first), 4)
	row.AlgosUsed = s.AlgosUsed()
	row.Fused = s.Fused
	if why := s.Unsupported(); why != "" {
		return fail(StatusSkipped, why)
	}
	if p.MaxPass > 0 && first > time.Duration(p.MaxPass) {
		return fail(StatusDropped, fmt.Sprintf("the first pass took %s, over -max-pass %s",
			first.Round(time.Millisecond), time.Duration(p.MaxPass)))
	}
	warm, last := 1, first
	for warm < p.Warmup {
		if !deadline.IsZero() && r.now().Add(time.Duration(1+p.FloorRuns)*last).After(deadline) {
			break
		}
		if last, err = forward(); err != nil {
			return fail(StatusError, err.Error())
		}
		warm++
	}
	row.Warmup = iptr(warm)
	row.PeakMemBytes = iptr(int64(mem.peak))
	s.ctx.Trace = nil
	runtime.GC()
	ds, limited, err := Sample(ctx, p, deadline, r.now, forward)
	if err != nil {
		if ctx.Err() != nil {
			return fail(StatusError, "interrupted")
		}
		return fail(StatusError, err.Error())
	}
	st := Summarize(ds)
	row.Status = StatusOK
	row.BudgetLimited = limited
	row.Runs = iptr(st.N)
	row.MedianMs, row.P10Ms, row.P90Ms = fptr(st.Median, 4), fptr(st.P10, 4), fptr(st.P90, 4)
	row.MeanMs, row.MinMs, row.MaxMs = fptr(st.Mean, 4), fptr(st.Min, 4), fptr(st.Max, 4)
	row.Outliers = iptr(st.Outliers)
	row.InferStepTime = row.MedianMs
	row.InferSamplesPerSec = fptr(float64(c.Batch)/(st.Median/1e3), 2)
	row.BuildMs = fptr(max(ms(first)-st.Median, 0), 3)
	gf := flops / (st.Median / 1e3) / 1e9
	row.GFLOPSPerS = fptr(gf, 3)
	if pk, ok := est.peaks[peakKey(c.Kernels, c.Threads)]; ok && pk.GFLOPS > 0 {
		row.PeakGFLOPS = fptr(pk.GFLOPS, 2)
		row.PeakSource = pk.Source
		row.PeakFraction = fptr(gf/pk.GFLOPS, 4)
	}
	// The algorithms actually used (auto may choose differently per layer
	// once warm).
	row.AlgosUsed = algosUsed(s.Graph).String()
	return row
}

// Session is one case made ready to run: its kernel set selected, auto
// tuning for its thread count, the model built with generated weights
// (BatchNorm calibrated), fused for inference (unless opened unfused) and
// no convolution plans yet, so that the first Pass builds them.
type Session struct {
	Case   Case
	Graph  *graph.Graph
	Totals graph.Totals // batch-1 accounting, of the model as built
	FLOPs  float64      // 2·MACs·batch: nominal work of one pass
	// Fused says what graph.Fuse did, e.g. "bn=53;act=49;add=16", or
	// "off" for an unfused session.
	Fused string
	ctx   *ops.Context
	x     *tensor.Tensor
}

// selectError marks failures to select the kernel set or tuning (errors,
// not unsupported cases).
type selectError struct{ error }

func (e *selectError) Unwrap() error { return e.error }

// Open prepares c with weights and input generated from seed. An error
// from building the model (an input size it cannot take) means the case is
// unsupported.
func Open(c Case, seed uint64) (*Session, error) { return open(c, seed, true) }

// OpenUnfused is Open without graph.Fuse: every BatchNorm, activation and
// residual Add runs as its own layer.
func OpenUnfused(c Case, seed uint64) (*Session, error) { return open(c, seed, false) }

func open(c Case, seed uint64, fuse bool) (*Session, error) {
	if err := kernels.Select(c.Kernels); err != nil {
		return nil, &selectError{err}
	}
	// auto tunes (and caches) its choices for the thread count it runs at.
	tune := conv.Tuning()
	tune.Threads = c.Threads
	if err := conv.SetTuning(tune); err != nil {
		return nil, &selectError{err}
	}
	g, err := buildModel(c)
	if err != nil {
		return nil, err
	}
	g.Init(seed)
	tot := g.Totals()
	fused := "off"
	if fuse {
		bns, acts, adds := g.Fuse()
		fused = fmt.Sprintf("bn=%d;act=%d;add=%d", bns, acts, adds)
	}
	resetPlans(g)
	return &Session{Case: c, Graph: g, Totals: tot, FLOPs: 2 * float64(tot.MACs) * float64(c.Batch), Fused: fused,
		ctx: &ops.Context{Algo: c.Algo, Threads: c.Threads, Arena: new(tensor.Arena), Pool: new(tensor.Pool)},
		x:   architectures.RandomInput(seed, c.Batch, g.InputShape())}, nil
}

// Pass runs one forward pass.
func (s *Session) Pass() error {
	_, err := s.Graph.Forward(s.ctx, s.x)
	return err
}

// AlgosUsed summarises the algorithms the convolutions ran in the last
// pass, e.g. "winograd-f4x3=13;im2col=7".
func (s *Session) AlgosUsed() string { return algosUsed(s.Graph).String() }

// Unsupported says why the case's algorithm ran none of the model's
// convolutions (all fell back), or "" when it ran some (or is auto). Call
// it after a pass.
func (s *Session) Unsupported() string {
	u := algosUsed(s.Graph)
	if s.Case.Algo == AutoAlgo || u.count(s.Case.Algo) > 0 {
		return ""
	}
	return fmt.Sprintf("%s supports none of the %d convolutions of %s at %s (all fell back to %s)",
		s.Case.Algo, u.total(), s.Case.Model, s.Case.Input, u.String())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// resetPlans drops the plans Init's calibration made, so that the first
// timed case pass builds (and is charged for) its own.
func resetPlans(g *graph.Graph) {
	for _, n := range g.Nodes[1:] {
		if c, ok := n.Layer.(*ops.Conv2D); ok {
			c.Reset()
		}
	}
}

// usage counts conv layers per algorithm actually used.
type usage map[string]int

func algosUsed(g *graph.Graph) usage {
	u := usage{}
	for _, li := range g.Summary() {
		if li.IsConv {
			a := strings.TrimPrefix(li.Algo, AutoAlgo+":")
			if a == "" {
				a = "none"
			}
			u[a]++
		}
	}
	return u
}

func (u usage) count(a string) int { return u[a] }

func (u usage) total() int {
	n := 0
	for _, v := range u {
		n += v
	}
	return n
}

// String is e.g. "winograd-f4x3=13;im2col=7", most used first; auto's
// choices appear under the algorithm it chose.
func (u usage) String() string {
	names := make([]string, 0, len(u))
	for a := range u {
		names = append(names, a)
	}
	sort.Slice(names, func(i, j int) bool {
		if u[names[i]] != u[names[j]] {
			return u[names[i]] > u[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, a := range names {
		parts[i] = fmt.Sprintf("%s=%d", a, u[a])
	}
	return strings.Join(parts, ";")
}

// heapSampler tracks the high-water mark of the Go heap's object bytes
// (live plus not yet collected): weights, packed weights, activations,
// workspaces.
type heapSampler struct {
	s    []metrics.Sample
	peak uint64
}

func newHeapSampler() *heapSampler {
	h := &heapSampler{s: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
	h.sample()
	return h
}

func (h *heapSampler) sample() {
	metrics.Read(h.s)
	if h.s[0].Value.Kind() == metrics.KindUint64 {
		h.peak = max(h.peak, h.s[0].Value.Uint64())
	}
}

// estimator predicts pass times from the measured peaks and the
// efficiencies observed so far in the run, for the budget and -max-pass.
type estimator struct {
	p     Protocol
	peaks map[string]Peak
	eff   map[string][]float64 // algo → achieved/peak of finished cases
}

func newEstimator(p Protocol) *estimator {
	return &estimator{p: p, peaks: map[string]Peak{}, eff: map[string][]float64{}}
}

func peakKey(k string, t int) string { return fmt.Sprintf("%s/%d", k, t) }

// pass estimates one pass; known is false while nothing of this algorithm
// has been measured (a guess is returned).
func (e *estimator) pass(c Case, flops float64) (d time.Duration, known bool) {
	peak := 10.0 * float64(c.Threads)
	if p, ok := e.peaks[peakKey(c.Kernels, c.Threads)]; ok && p.GFLOPS > 0 {
		peak = p.GFLOPS
	}
	eff, known := 0.0, false
	if obs := e.eff[c.Algo]; len(obs) > 0 {
		s := slices.Clone(obs)
		slices.Sort(s)
		eff, known = Quantile(s, 0.5), true
	} else {
		var all []float64
		for _, o := range e.eff {
			all = append(all, o...)
		}
		if len(all) > 0 {
			slices.Sort(all)
			eff = Quantile(all, 0.5)
		} else {
			eff = 0.2
		}
		if c.Algo == "naive" {
			eff /= 20
		}
	}
	sec := flops / (max(eff, 1e-4) * peak * 1e9)
	return time.Duration(max(sec, 5e-5) * float64(time.Second)), known
}

// need estimates a case's wall time in seconds under the full protocol and
// at its floor: setup (build, weights, calibration ≈ 2 passes), the
// warm-ups, and the timed passes.
func (e *estimator) need(c Case, flops float64) (full, floor float64) {
	d, _ := e.pass(c, flops)
	pass := d.Seconds()
	setup := 0.05 + 2*pass/float64(c.Batch)
	timed := max(float64(e.p.MinRuns)*pass, time.Duration(e.p.MinTime).Seconds())
	full = setup + float64(e.p.Warmup)*pass + timed
	floor = setup + pass + float64(e.p.FloorRuns)*pass
	return full, min(floor, full)
}

func (e *estimator) observe(c Case, flops, medianMs float64) {
	pk, ok := e.peaks[peakKey(c.Kernels, c.Threads)]
	if !ok || pk.GFLOPS <= 0 || medianMs <= 0 {
		return
	}
	eff := flops / (medianMs / 1e3) / 1e9 / pk.GFLOPS
	if !math.IsNaN(eff) && eff > 0 {
		e.eff[c.Algo] = append(e.eff[c.Algo], eff)
	}
}

// cause strips the operation and path from a *PathError, whose text the
// caller already gives.
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
