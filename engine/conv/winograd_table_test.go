package conv

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cnnbench/cnnbench/engine/kernels"
)

// TestWinogradBeforeAfterTable prints, for the 3×3 stride-1 layers of
// VGG-16 and ResNet-18/34, the single-thread time of im2col and of each
// Winograd variant before (the driver and scalar transforms of commit
// 0948f10, winograd_old_test.go) and after the vectorised transforms, with
// the active kernel set. The variants are timed in interleaved rounds
// (best of WINOGRAD_TABLE_ROUNDS, default 7) so that load from other jobs
// hits them alike; WINOGRAD_TABLE_LAYERS=resnet18 keeps the layers whose
// name contains that. Run it with
//
//	WINOGRAD_TABLE=1 go test -run TestWinogradBeforeAfterTable -v ./engine/conv/
//
// GFLOP/s is effective: 2·MACs of the direct convolution per second.
func TestWinogradBeforeAfterTable(t *testing.T) {
	if os.Getenv("WINOGRAD_TABLE") == "" {
		t.Skip("set WINOGRAD_TABLE=1 to print the table")
	}
	rounds := 7
	if s := os.Getenv("WINOGRAD_TABLE_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	layers := []struct {
		name string
		p    Params
	}{
		{"vgg16 features.0 3→64@224", conv2d(1, 3, 224, 224, 64, 3, 1, 1)},
		{"vgg16 features.2 64→64@224", conv2d(1, 64, 224, 224, 64, 3, 1, 1)},
		{"vgg16 features.5 64→128@112", conv2d(1, 64, 112, 112, 128, 3, 1, 1)},
		{"vgg16 features.7 128→128@112", conv2d(1, 128, 112, 112, 128, 3, 1, 1)},
		{"vgg16 features.10 128→256@56", conv2d(1, 128, 56, 56, 256, 3, 1, 1)},
		{"vgg16 features.12 256→256@56", conv2d(1, 256, 56, 56, 256, 3, 1, 1)},
		{"vgg16 features.17 256→512@28", conv2d(1, 256, 28, 28, 512, 3, 1, 1)},
		{"vgg16 features.19 512→512@28", conv2d(1, 512, 28, 28, 512, 3, 1, 1)},
		{"vgg16 features.24 512→512@14", conv2d(1, 512, 14, 14, 512, 3, 1, 1)},
		{"resnet18 layer1 64→64@56", conv2d(1, 64, 56, 56, 64, 3, 1, 1)},
		{"resnet18 layer2 128→128@28", conv2d(1, 128, 28, 28, 128, 3, 1, 1)},
		{"resnet18 layer3 256→256@14", conv2d(1, 256, 14, 14, 256, 3, 1, 1)},
		{"resnet18 layer4 512→512@7", conv2d(1, 512, 7, 7, 512, 3, 1, 1)},
	}
	set := kernels.Active()
	cfg := gemmConfig(set)
	algos := []Algorithm{Im2col{Config: cfg},
		OldWinograd{M: 2, Config: cfg}, Winograd{M: 2, Config: cfg},
		OldWinograd{M: 4, Config: cfg}, Winograd{M: 4, Config: cfg},
		OldWinograd{M: 6, Config: cfg}, Winograd{M: 6, Config: cfg}}
	fmt.Printf("kernels=%s threads=1, best of %d interleaved rounds: ms (effective GFLOP/s)\n", set.Name, rounds)
	fmt.Printf("%-30s %16s", "layer", "im2col")
	for _, a := range algos[1:] {
		fmt.Printf(" %17s", a.Name())
	}
	fmt.Printf(" %9s %9s\n", "f4 new/old", "im2col/f4")
	for _, l := range layers {
		if f := os.Getenv("WINOGRAD_TABLE_LAYERS"); f != "" && !strings.Contains(l.name, f) {
			continue
		}
		in, w, bias := randomOperands(l.p, 1)
		type run struct {
			plan    Plan
			out, ws []float32
			best    time.Duration
		}
		runs := make([]*run, len(algos))
		for i, a := range algos {
			pl, err := a.Plan(l.p, w, bias)
			if err != nil {
				t.Fatal(err)
			}
			runs[i] = &run{plan: pl, out: make([]float32, l.p.OutLen()), ws: make([]float32, pl.Workspace()), best: time.Hour}
			pl.Forward(runs[i].out, in, runs[i].ws, 1) // warm up
		}
		for r := 0; r < rounds; r++ {
			for _, x := range runs {
				s := time.Now()
				x.plan.Forward(x.out, in, x.ws, 1)
				x.best = min(x.best, time.Since(s))
			}
		}
		gf := func(d time.Duration) float64 { return 2 * float64(l.p.MACs()) / d.Seconds() / 1e9 }
		fmt.Printf("%-30s", l.name)
		for _, x := range runs {
			fmt.Printf(" %7.2f (%6.1f)", x.best.Seconds()*1e3, gf(x.best))
		}
		fmt.Printf(" %9.2f× %9.2f×\n", runs[3].best.Seconds()/runs[4].best.Seconds(), runs[0].best.Seconds()/runs[4].best.Seconds())
	}
}

// TestWinogradMatchesOldDriver checks that the vectorised transforms and
// the new driver give the bits of the scalar code they replaced
// (winograd_old_test.go) with every kernel set, on the edge shapes and on
// scaled-down real layers: the same operations in the same order, so the
// measured errors in winogradTolerance's comment still hold.
func TestWinogradMatchesOldDriver(t *testing.T) {
	shapes := winogradEdgeShapes()
	for _, l := range winogradLayerShapes(true) {
		shapes[l.name] = l.p
	}
	for _, name := range sortedKeys(shapes) {
		p := shapes[name]
		in, w, bias := randomOperands(p, 11)
		for _, kname := range kernels.Names() {
			set, _ := kernels.Lookup(kname)
			cfg := gemmConfig(set)
			for _, m := range []int{2, 4, 6} {
				want, _ := runPlan(t, OldWinograd{M: m, Config: cfg}, p, in, w, bias, 1)
				got, _ := runPlan(t, Winograd{M: m, Config: cfg}, p, in, w, bias, 2)
				if !bitwiseEqual(got, want) {
					t.Fatalf("%s F(%dx%d) kernels=%s: differs from the old driver", name, m, m, kname)
				}
			}
		}
	}
}
