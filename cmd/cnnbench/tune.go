package main

import (
	"flag"
	"fmt"

	"github.com/cnnbench/cnnbench/engine/conv"
	"github.com/cnnbench/cnnbench/engine/graph"
)

// tuneFlags are the flags that steer the auto algorithm and per-layer plans.
type tuneFlags struct {
	mode     *string
	retune   *bool
	cache    *string
	plan     *string
	savePlan *string
}

func addTuneFlags(fs *flag.FlagSet) *tuneFlags {
	return &tuneFlags{
		mode:     fs.String("tune", "measure", "how auto chooses per layer: measure (time the candidates once, cache the winner) or model (cost model, no timing)"),
		retune:   fs.Bool("retune", false, "ignore auto's cached choices and measure again"),
		cache:    fs.String("tune-cache", conv.DefaultCachePath(), "auto's cache of measured choices (\"\" disables it)"),
		plan:     fs.String("plan", "", "per-layer algorithm plan (JSON, as written by -save-plan) to apply"),
		savePlan: fs.String("save-plan", "", "write the per-layer algorithms actually used to this JSON plan file"),
	}
}

// apply configures auto for threads; call it before building plans.
func (t *tuneFlags) apply(threads int) error {
	if err := conv.SetTuning(conv.TuneConfig{Mode: *t.mode, Threads: threads, CachePath: *t.cache, Retune: *t.retune}); err != nil {
		return usageError{err}
	}
	return nil
}

// applyPlan applies -plan to g.
func (t *tuneFlags) applyPlan(g *graph.Graph) error {
	if *t.plan == "" {
		return nil
	}
	pf, err := graph.ReadPlanFile(*t.plan)
	if err != nil {
		return err
	}
	if pf.Model != "" && pf.Model != g.Name {
		return fmt.Errorf("%s: plan is for model %s, not %s", *t.plan, pf.Model, g.Name)
	}
	if err := g.ApplyPlan(pf); err != nil {
		return fmt.Errorf("%s: %w", *t.plan, err)
	}
	return nil
}
