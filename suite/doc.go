// Package suite is the benchmark harness behind `cnnbench bench`: the case
// matrix, the timing protocol, the machine record and the result files
// (DESIGN.md §6).
//
// A Case is one model × input resolution × batch size × thread count ×
// convolution algorithm × kernel set; its Key names it uniquely and is what a
// resumed run matches on.
//
// Timing protocol (Protocol): each case builds its model, generates
// deterministic weights (graph.Init) and drops the plans calibration made, so
// the first ("cold") forward pass includes the weight repacking of the chosen
// algorithm; that pass is the first warm-up, and first-pass-minus-median is
// reported as build_ms, never folded into the latency. Further warm-up passes
// follow, then timed passes until both MinRuns passes and MinTime have
// elapsed. The median is reported with p10 and p90 (linear interpolation
// between order statistics, R-7/NumPy default) and the number of outliers
// beyond Tukey's fences (below Q1 − 1.5·IQR or above Q3 + 1.5·IQR). runtime.GC
// runs before each case and again before its first timed pass. A total budget
// (and a per-case cap) may shorten a case, but never below FloorRuns (≥ 3)
// timed passes; a case whose floor does not fit what is left of the budget is
// recorded as dropped, not run.
//
// Results: one folder per run holding results.csv (one row per case,
// Columns order: timm's column names first, then ours) and results.json (the
// same rows plus the Machine record and the schema version). Both are
// rewritten atomically (temporary file + rename) after every case, so a
// killed run loses at most the case in flight, and running the same command
// with the same folder again skips the finished cases.
//
// Missing values are empty in CSV and null in JSON, never made up: top1/top5
// stay empty until an accuracy run provides them, and peak_fraction uses a
// peak measured in the same run (the kernel set's FMA probe, or the best
// SGEMM rate for sets without one) or stays empty.
package suite
