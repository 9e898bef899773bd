package conv

// Pointwise: 1×1 convolution as a matrix product without im2col (the
// "pointwise" half of depthwise-separable convolutions, Howard et al.,
// "MobileNets", arXiv 1704.04861; the grouped 1×1 of ShuffleNet, Zhang et al.,
// arXiv 1707.01083; the bottleneck 1×1s of ResNet, He et al., arXiv 1512.03385).
//
// Computes out[n,o,y,x] = bias[o] + Σ_c in[n, g·Cin/G + c, y·sH, x·sW] · w[o,c,0,0],
// g = o / (Cout/G): for each image n and group g the product
//
//	out[n, g·Cout/G : (g+1)·Cout/G] (Cout/G × Ho·Wo) = W_g (Cout/G × Cin/G) · X_g (Cin/G × Ho·Wo)
//
// With stride 1 the NCHW input slab of a group already is X_g (row c is the
// H·W plane of channel c), so it feeds engine/gemm as it is: no copy besides
// the GEMM's own packing. With stride > 1 the strided pixels of each channel
// are first gathered into the workspace (Cin/G × Ho·Wo, 1/s² of the input,
// or one column chunk of it per task), still in cache when the GEMM packs it.
//
// Supports: 1×1 kernels (dilation is then irrelevant), padding 0, any stride,
// any groups (ShuffleNet's g = 2..8 grouped 1×1, depthwise 1×1), batch > 1.
// Other shapes are ErrUnsupported.
//
// Work split. The weights of each group are packed once at Plan into GEMM
// panels (gemm.PackA). With fewer than 2·slots images × groups (batch 1,
// G ≤ 3) Forward runs one gemm.SgemmPacked per image and group, threaded
// inside (the GEMM splits its output over threads). With more (ShuffleNet
// g = 4, 8, batches) it runs a grid of tasks (image, group, column chunk of
// Ho·Wo), fixed at Plan time from the shape alone, each a single-threaded
// GEMM on its own workspace slot, dealt to at most min(threads, slots)
// workers: whole small GEMMs per core, no barrier inside any of them.
// Splitting one wide GEMM into column chunks instead was measured to cost
// more (A panels reused over fewer columns) than it gains.
//
// Bias: with stride 1 it is added to each GEMM's block of the output right
// after the GEMM wrote it (in cache); with a gather it is one more reduction
// step (a bias column in the packed weights against a row of ones under the
// gathered block), so it costs no pass over the output. Either way an output
// is Σ_c x·w + bias in the GEMM's fixed summation order: bitwise identical
// for any thread count.
//
// Cost: N·Cout·Ho·Wo·Cin/G multiply-adds; packed weights Cout·(Cin/G + 1)
// rounded up to the kernel tile; workspace slots × (gathered block
// (Cin/G + 1) × columns, stride > 1 only, + the GEMM's packing scratch), slots
// = 1 when one GEMM per image and group, else GOMAXPROCS at Plan time.
//
// Against im2col, whose 1×1 stride-1 path is the same GEMM on the same
// operands, it measures the same at one thread (the GEMM dominates: within
// ±3% on ResNet-50, MobileNet and ShuffleNet 1×1s, avx2 set); it saves the
// bias pass and keeps the strided gather per chunk in cache with a stride.

import (
	"runtime"

	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/parallel"
)

// Pointwise is the 1×1 algorithm. The zero value uses the active kernel set
// and default blocking; set Config to pin a kernel set (tests, benchmarks).
type Pointwise struct {
	Config gemm.Config
}

func init() { Register(Pointwise{}) }

// Name implements Algorithm.
func (Pointwise) Name() string { return "pointwise" }

// Tiling targets of the task grid.
const (
	pwMaxChunk = 512 // columns per task at most: a Cin/G × 512 gathered block
	pwMinChunk = 64  // columns per task at least, when splitting for threads
	pwMinRows  = 32  // output channels per task at least, when splitting rows
	// tasksPerSlot is how many tasks per worker slot the grid aims for, so that
	// the last tasks do not leave a core idle for long.
	tasksPerSlot = 4
)

// Plan implements Algorithm.
func (a Pointwise) Plan(p Params, weights, bias []float32) (Plan, error) {
	return a.plan(p, weights, bias, workerSlots())
}

// plan is Plan with the number of workspace slots given (tests vary it to
// exercise other task grids).
func (a Pointwise) plan(p Params, weights, bias []float32, slots int) (Plan, error) {
	if err := checkPlanArgs(p, weights, bias); err != nil {
		return nil, err
	}
	if p.KH != 1 || p.KW != 1 {
		return nil, Unsupported("pointwise", "kernel %dx%d is not 1x1", p.KH, p.KW)
	}
	if p.PadT != 0 || p.PadB != 0 || p.PadL != 0 || p.PadR != 0 {
		return nil, Unsupported("pointwise", "padding %d,%d,%d,%d is not 0", p.PadT, p.PadB, p.PadL, p.PadR)
	}
	cinG, coutG := p.Cin/p.Groups, p.Cout/p.Groups
	hw := p.OutH() * p.OutW()
	pl := &pointwisePlan{p: p, bias: bias, slots: slots}
	pl.gather = p.StrideH != 1 || p.StrideW != 1

	// One GEMM per image and group, threaded inside (the GEMM splits its
	// output over threads, as for im2col), unless there are enough images
	// and groups (ShuffleNet's, batches) to give every slot whole GEMMs of
	// its own: then a grid of single-threaded tasks over images, groups and
	// column chunks. Splitting one wide GEMM into column chunks costs more
	// in A-panel reuse than it gains in balance.
	if units := p.N * p.Groups; units >= 2*slots {
		set := a.Config.PackA(false, 1, 1, 1, []float32{0}, 1).Kernels() // the tile gemm will use
		pl.chunk, pl.chunks, _, _ = taskGrid(units, hw, 1, set.NR, 1, slots, pwMaxChunk)
	} else {
		pl.chunk, pl.chunks, pl.slots = hw, 1, 1
		pl.inner = true
	}

	// With a gather, the bias becomes one more reduction step: a column of
	// biases in W_g against a row of ones appended to the gathered block.
	// The GEMM then adds it as its last product (exactly the value of adding
	// it last) and no pass over the output is needed.
	pl.k = cinG
	if pl.gather && bias != nil {
		pl.k++
		pl.onesRow = true
	}
	pl.w = make([]*gemm.PackedA, p.Groups)
	wk := make([]float32, coutG*pl.k)
	for g := range pl.w {
		for i := 0; i < coutG; i++ {
			o := g*coutG + i
			copy(wk[i*pl.k:i*pl.k+cinG], weights[o*cinG:(o+1)*cinG])
			if pl.onesRow {
				wk[i*pl.k+cinG] = bias[o]
			}
		}
		pl.w[g] = a.Config.PackA(false, coutG, pl.k, 1, wk, pl.k)
	}
	if pl.gather {
		pl.gatherLen = pl.k * pl.chunk
	}
	// The GEMM's scratch depends on both operand shapes (and not
	// monotonically): take the larger of the two chunk widths used.
	last := hw - (pl.chunks-1)*pl.chunk
	pl.slotLen = pl.gatherLen + max(pl.w[0].WorkspaceSize(pl.chunk), pl.w[0].WorkspaceSize(last))
	return pl, nil
}

// taskGrid splits units independent problems of cols output columns and rows
// output rows (rows of C) into column chunks (a multiple of nr wide, at most
// about maxChunk) and row blocks (a multiple of mr tall), aiming at
// tasksPerSlot·slots tasks. It depends on the shape and slots only, never on
// the threads of a Forward call.
func taskGrid(units, cols, rows, nr, mr, slots, maxChunk int) (chunk, chunks, rowBlock, rowBlocks int) {
	want := tasksPerSlot * slots
	chunks = divUp(cols, maxChunk)
	if units*chunks < want {
		chunks = max(chunks, min(divUp(want, units), cols/pwMinChunk))
	}
	chunk = roundUpMul(divUp(cols, chunks), nr)
	chunks = divUp(cols, chunk)
	rowBlocks = 1
	if t := units * chunks; t < want {
		rowBlocks = max(1, min(divUp(want, t), rows/pwMinRows))
	}
	rowBlock = roundUpMul(divUp(rows, rowBlocks), mr)
	rowBlocks = divUp(rows, rowBlock)
	return chunk, chunks, rowBlock, rowBlocks
}

func divUp(a, b int) int      { return (a + b - 1) / b }
func roundUpMul(a, b int) int { return divUp(a, b) * b }

type pointwisePlan struct {
	p     Params
	w     []*gemm.PackedA // per group: Cout/G × k panels
	bias  []float32
	slots int // worker slots in the workspace

	inner              bool // one GEMM per image and group, threaded inside
	gather             bool // stride > 1: gather strided pixels per chunk
	onesRow            bool // the gathered block ends with a row of ones for the bias
	k                  int  // GEMM depth: Cin/G, + 1 with onesRow
	chunk, chunks      int  // output columns per task, and tasks per image·group
	gatherLen, slotLen int
}

func (pl *pointwisePlan) Workspace() int { return pl.slots * pl.slotLen }
func (pl *pointwisePlan) Params() Params { return pl.p }

func (pl *pointwisePlan) Forward(out, in, ws []float32, threads int) {
	pl.ForwardEpilogue(out, in, ws, threads, Epilogue{})
}

// ForwardEpilogue implements EpiloguePlan: the bias (unless it is a row of
// the product), residual and activation are applied to blocks of the output
// as the GEMM finishes them.
func (pl *pointwisePlan) ForwardEpilogue(out, in, ws []float32, threads int, e Epilogue) {
	p := pl.p
	checkForwardArgs("Pointwise", p, out, in, ws, pl.Workspace())
	hw := p.OutH() * p.OutW()
	if pl.inner {
		for ng := 0; ng < p.N*p.Groups; ng++ {
			pl.block(out, in, ws[:pl.slotLen], ng, 0, hw, threads, e)
		}
		return
	}
	coutG, cinG := p.Cout/p.Groups, p.Cin/p.Groups
	work := int64(coutG) * int64(cinG) * int64(hw) * int64(p.N*p.Groups)
	forSlotTasks(p.N*p.Groups*pl.chunks, threads, pl.slots, work, func(t, w int, _ *int) {
		c0 := t % pl.chunks * pl.chunk
		pl.block(out, in, ws[w*pl.slotLen:(w+1)*pl.slotLen], t/pl.chunks, c0, min(pl.chunk, hw-c0), 1, e)
	})
}

// block computes output columns [c0, c0+cols) of image and group ng (n·G + g)
// with one GEMM on threads threads, using slot as its workspace.
func (pl *pointwisePlan) block(out, in, slot []float32, ng, c0, cols, threads int, e Epilogue) {
	p := pl.p
	hw, hwIn := p.OutH()*p.OutW(), p.H*p.W
	cinG, coutG := p.Cin/p.Groups, p.Cout/p.Groups
	n, g := ng/p.Groups, ng%p.Groups
	gbuf, gws := slot[:pl.gatherLen], slot[pl.gatherLen:]
	src := in[(n*p.Cin+g*cinG)*hwIn : (n*p.Cin+(g+1)*cinG)*hwIn]
	b, ldb := src[c0:], hwIn
	if pl.gather {
		gatherStrided(p, gbuf[:cinG*cols], src, c0, cols)
		if pl.onesRow {
			ones := gbuf[cinG*cols : (cinG+1)*cols]
			for i := range ones {
				ones[i] = 1
			}
		}
		b, ldb = gbuf, cols
	}
	off := (n*p.Cout+g*coutG)*hw + c0
	c := out[off:]
	// Σ + bias (when the bias is not a row of the product), then the
	// residual and the activation, on each block as the GEMM finishes it.
	var bias, res []float32
	if pl.bias != nil && !pl.onesRow {
		bias = pl.bias[g*coutG : (g+1)*coutG]
	}
	if e.Residual != nil {
		res = e.Residual[off:]
	}
	fin := rowFinisher(pl.w[g].Kernels(), c, hw, bias, res, e.Act)
	gemm.SgemmPackedFinish(pl.w[g], false, cols, b, ldb, 0, c, hw, gws, threads, fin)
}

// gatherStrided copies output columns [c0, c0+cols) of the 1×1 strided
// convolution, for every channel of src (C × H×W planes), into dst
// (C × cols): dst[c, k] = src[c, y·sH, x·sW] with y·Wo + x = c0 + k.
func gatherStrided(p Params, dst, src []float32, c0, cols int) {
	wo := p.OutW()
	hwIn := p.H * p.W
	chans := len(dst) / cols
	for c := 0; c < chans; c++ {
		plane := src[c*hwIn : (c+1)*hwIn]
		d := dst[c*cols : (c+1)*cols]
		k := 0
		for k < cols {
			y, x := (c0+k)/wo, (c0+k)%wo
			n := min(wo-x, cols-k)
			line := plane[y*p.StrideH*p.W:]
			seg := d[k : k+n]
			ix := x * p.StrideW
			for i := range seg {
				seg[i] = line[ix]
				ix += p.StrideW
			}
			k += n
		}
	}
}

// workerSlots is the number of per-worker workspace slots a plan reserves:
// GOMAXPROCS when the plan is made. Forward never runs more workers than
// slots, so the workspace does not depend on the threads argument.
func workerSlots() int { return max(1, runtime.GOMAXPROCS(0)) }

// slotMinWork (multiply-adds) keeps tiny problems on few goroutines.
const slotMinWork = 1 << 16

// forSlotTasks runs task(t, w, last) for every t in [0, tasks) on
// min(threads, slots, work/slotMinWork) workers, each taking a
// contiguous range of tasks in order; w is the worker's slot and *last is
// worker-local state (initially −1) the task may use to skip repeated work.
// Which worker runs a task never changes what the task computes.
func forSlotTasks(tasks, threads, slots int, work int64, task func(t, w int, last *int)) {
	workers := min(parallel.Threads(threads), slots, tasks)
	if lim := work / slotMinWork; lim < int64(workers) {
		workers = int(max(lim, 1))
	}
	if workers < 1 {
		return
	}
	parallel.For(workers, workers, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			last := -1
			for t := w * tasks / workers; t < (w+1)*tasks/workers; t++ {
				task(t, w, &last)
			}
		}
	})
}
