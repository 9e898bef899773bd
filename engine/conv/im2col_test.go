package conv

import (
	"fmt"
	"testing"

	"github.com/cnnbench/cnnbench/engine/gemm"
	"github.com/cnnbench/cnnbench/engine/kernels"
)

func gemmConfig(s *kernels.Set) gemm.Config { return gemm.Config{Kernels: s} }

// TestIm2colColumnLayout checks the column matrix element by element against
// its definition cols[(c·KH+i)·KW+j, y·Wo+x] = in[c, y·sH−pT+i·dH, x·sW−pL+j·dW].
func TestIm2colColumnLayout(t *testing.T) {
	for name, p := range edgeShapes() {
		t.Run(name, func(t *testing.T) {
			cinG := p.Cin / p.Groups
			ho, wo := p.OutH(), p.OutW()
			k := cinG * p.KH * p.KW
			in, _, _ := randomOperands(p, 3)
			src := in[:cinG*p.H*p.W] // image 0, group 0
			buf, cols := nanBuffer(k * ho * wo)
			im2col(p, cols, src, 2)
			if !guardsIntact(buf) {
				t.Fatal("im2col wrote outside the column matrix")
			}
			for c := 0; c < cinG; c++ {
				for i := 0; i < p.KH; i++ {
					for j := 0; j < p.KW; j++ {
						for y := 0; y < ho; y++ {
							for x := 0; x < wo; x++ {
								iy, ix := y*p.StrideH-p.PadT+i*p.DilH, x*p.StrideW-p.PadL+j*p.DilW
								want := float32(0)
								if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
									want = src[(c*p.H+iy)*p.W+ix]
								}
								r := (c*p.KH+i)*p.KW + j
								if got := cols[r*ho*wo+y*wo+x]; got != want {
									t.Fatalf("cols[%d, %d·%d+%d] = %v, want %v", r, y, wo, x, got, want)
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestIm2colPointwiseSkipsCopy checks that 1×1 stride-1 unpadded convolutions
// need no column workspace (the input feeds the GEMM directly) and that every
// other shape reserves exactly K·Ho·Wo columns plus the GEMM's packing block.
func TestIm2colPointwiseSkipsCopy(t *testing.T) {
	for name, p := range map[string]Params{
		"1x1":         conv2d(2, 32, 9, 9, 48, 1, 1, 0),
		"1x1-stride2": conv2d(1, 32, 9, 9, 48, 1, 2, 0),
		"1x1-pad1":    conv2d(1, 32, 9, 9, 48, 1, 1, 1),
		"3x3":         conv2d(1, 32, 9, 9, 48, 3, 1, 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, w, _ := randomOperands(p, 1)
			plan, err := Im2col{}.Plan(p, w, nil)
			if err != nil {
				t.Fatal(err)
			}
			pl := plan.(*im2colPlan)
			hw := p.OutH() * p.OutW()
			wantDirect := name == "1x1"
			cols := (p.Cin / p.Groups) * p.KH * p.KW * hw
			if wantDirect {
				cols = 0
			}
			if pl.direct != wantDirect || plan.Workspace() != cols+pl.w[0].WorkspaceSize(hw) {
				t.Fatalf("direct=%t workspace=%d, want direct=%t workspace=%d",
					pl.direct, plan.Workspace(), wantDirect, cols+pl.w[0].WorkspaceSize(hw))
			}
		})
	}
}

// TestIm2colWithoutBias checks the beta = 0 path: with no bias the output is
// only written, so its NaN prefill must be fully overwritten.
func TestIm2colWithoutBias(t *testing.T) {
	for name, p := range edgeShapes() {
		t.Run(name, func(t *testing.T) {
			in, w, _ := randomOperands(p, 5)
			got, _ := runPlan(t, Im2col{}, p, in, w, nil, 2)
			want, scale := naiveReference(t, p, in, w, nil)
			tol := gemmTolerance(p)
			for i := range want {
				d := float64(got[i] - want[i])
				if got[i] != got[i] || d*d > tol*tol*float64(scale[i])*float64(scale[i]) {
					t.Fatalf("out[%d] = %v, naive %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestIm2colEveryKernelSetAndBlocking runs im2col pinned to each kernel set,
// and with a tiny blocking that splits every GEMM into many KC, MC and NC
// blocks, against the oracle.
func TestIm2colEveryKernelSetAndBlocking(t *testing.T) {
	shapes := map[string]Params{
		"3x3-pad1":  conv2d(2, 13, 9, 11, 21, 3, 1, 1),
		"1x1":       conv2d(1, 40, 7, 7, 24, 1, 1, 0),
		"depthwise": func() Params { p := conv2d(1, 6, 9, 9, 12, 3, 2, 1); p.Groups = 6; return p }(),
	}
	var configs []gemm.Config
	var names []string
	for _, name := range kernels.Names() {
		set, _ := kernels.Lookup(name)
		configs = append(configs, gemmConfig(set), gemm.Config{Kernels: set, Blocking: gemm.Blocking{MC: 4, KC: 5, NC: 8}})
		names = append(names, "kernels="+name, "kernels="+name+"/blocking=4-5-8")
	}
	for i, cfg := range configs {
		for name, p := range shapes {
			t.Run(fmt.Sprintf("%s/%s", names[i], name), func(t *testing.T) {
				checkAlgorithmAgainstNaive(t, Im2col{Config: cfg}, p, uint64(i+1))
			})
		}
	}
}
