package graph

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/ops"
)

// TestPlanRoundTrip proves a plan resolved with auto names a concrete
// algorithm per convolution and, written and read back, reproduces it.
func TestPlanRoundTrip(t *testing.T) {
	old := conv.Tuning()
	if err := conv.SetTuning(conv.TuneConfig{Mode: "model"}); err != nil {
		t.Fatal(err)
	}
	defer conv.SetTuning(old)
	g := tiny()
	g.Init(1)
	pf, err := g.ResolvePlan(&ops.Context{Algo: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Layers) != 2 || pf.Layers[0].Layer != "conv" || pf.Layers[1].Layer != "skip" {
		t.Fatalf("plan layers %+v", pf.Layers)
	}
	for _, l := range pf.Layers {
		if l.Algo == "auto" || strings.Contains(l.Algo, ":") {
			t.Errorf("layer %s: plan keeps %q, want a concrete algorithm", l.Layer, l.Algo)
		}
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := WritePlanFile(path, pf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	back.Layers[0].Algo = "naive" // a hand edit
	h := tiny()
	h.Init(1)
	if err := h.ApplyPlan(back); err != nil {
		t.Fatal(err)
	}
	again, err := h.ResolvePlan(&ops.Context{Algo: "im2col"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Layers[0].Algo != "naive" || again.Layers[1].Algo != pf.Layers[1].Algo {
		t.Errorf("applied plan gives %+v, want naive then %s", again.Layers, pf.Layers[1].Algo)
	}
}

func TestApplyPlanRejectsBadEntries(t *testing.T) {
	for _, c := range []struct {
		lp   LayerPlan
		want string
	}{
		{LayerPlan{Layer: "nope", Algo: "im2col"}, `no layer "nope"`},
		{LayerPlan{Layer: "bn", Algo: "im2col"}, "not a convolution"},
		{LayerPlan{Layer: "conv", Algo: "fft"}, "unknown convolution algorithm"},
	} {
		err := tiny().ApplyPlan(PlanFile{Layers: []LayerPlan{c.lp}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.lp, err, c.want)
		}
	}
}
