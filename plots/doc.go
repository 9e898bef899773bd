// Package plots draws the suite's figures with gonum.org/v1/plot: accuracy
// against MACs (bubble area ∝ parameters), the EfficientNet accuracy curves,
// latency against MACs, per-layer algorithm bars with the FMA peak, a
// roofline, thread scaling and a cross-machine comparison.
//
// It takes plain data (the structs below), never the engine's types, and
// refuses to draw a chart without data (ErrNoData) so that callers skip the
// figure and say so. Every Figure is written as PNG (1200×800 pixels at 96
// dpi) and SVG, with its legend in a strip beside the data so that it never
// covers a point, and point labels placed where they overlap nothing.
package plots
