package plots

import (
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestEmptyChartsAreRefused(t *testing.T) {
	checks := []func() error{
		func() error { _, err := AccuracyVsMACs(nil, ""); return err },
		func() error { _, err := EfficientNetChart(nil, "EfficientNet", ""); return err },
		func() error { _, err := LatencyVsMACs(nil, ""); return err },
		func() error {
			_, err := LayerAlgorithms("t", []string{"a"}, []string{"x"}, [][]float64{{math.NaN()}}, 0, "")
			return err
		},
		func() error { _, err := Roofline(nil, 100, 10, ""); return err },
		func() error {
			_, err := ThreadScaling([]ScalingSeries{{Label: "m", Threads: []float64{1}, Speedup: []float64{1}}}, "")
			return err
		},
		func() error { _, err := CrossMachine(nil, "a", "b", ""); return err },
	}
	for i, c := range checks {
		if err := c(); !errors.Is(err, ErrNoData) {
			t.Errorf("chart %d: %v, want ErrNoData", i, err)
		}
	}
}

func TestChartsWritePNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	acc := []AccuracyPoint{{"A", "ResNet", 4.1, 25.6, 76.1, false}, {"B", "MobileNet v1", 0.57, 4.2, 70.6, false},
		{"A (measured)", "ResNet", 4.1, 25.6, 75.0, true}}
	lines := []ScalingSeries{{Label: "m1", Threads: []float64{1, 2, 4}, Speedup: []float64{1, 1.9, 3.5}},
		{Label: "m2", Threads: []float64{1, 2, 4}, Speedup: []float64{1, 1.5, 2}}}
	dots := []ScalingSeries{{Label: "m1", Family: "ResNet", Threads: []float64{1, 2}, Speedup: []float64{1, 1.8}}}
	figs := map[string]func() (*Figure, error){
		"acc": func() (*Figure, error) { return AccuracyVsMACs(acc, "note") },
		"eff": func() (*Figure, error) {
			return EfficientNetChart(append(acc, AccuracyPoint{"C", "ResNet", 1, 11, 70, false}), "ResNet", "n")
		},
		"lat": func() (*Figure, error) {
			return LatencyVsMACs([]LatencyPoint{{"a", "VGG", 15, 700, 1}, {"a", "VGG", 15, 400, 2}}, "n")
		},
		"algos": func() (*Figure, error) {
			return LayerAlgorithms("t", []string{"l1", "l2"}, []string{"x", "y"}, [][]float64{{10, 20}, {15, math.NaN()}}, 30, "n")
		},
		"roof": func() (*Figure, error) {
			return Roofline([]RooflinePoint{{"l", "x", 20, 10}, {"l", "y", 50, 25}}, 60, 10, "n")
		},
		"lines":  func() (*Figure, error) { return ThreadScaling(lines, "n") },
		"dots":   func() (*Figure, error) { return ThreadScaling(dots, "n") },
		"across": func() (*Figure, error) { return CrossMachine([]Ratio{{"a", 1.5}, {"b", 0.8}}, "A", "B", "n") },
	}
	for name, mk := range figs {
		f, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files, err := f.Save(filepath.Join(dir, name))
		if err != nil || len(files) != 2 {
			t.Fatalf("%s: %v %v", name, files, err)
		}
		fh, _ := os.Open(files[0])
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 800 {
			t.Errorf("%s: %dx%d", name, b.Dx(), b.Dy())
		}
	}
}

// TestLatencyVsMACsSubMillisecond proves a latency below 1 ms (LeNet-5)
// renders on the log axis (padding once pushed the axis below zero).
func TestLatencyVsMACsSubMillisecond(t *testing.T) {
	f, err := LatencyVsMACs([]LatencyPoint{
		{Label: "lenet5", Family: "LeNet-5", GMACs: 0.0004, MedianMS: 0.13, Threads: 1},
		{Label: "resnet50", Family: "ResNet", GMACs: 4.1, MedianMS: 60, Threads: 1},
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(filepath.Join(t.TempDir(), "latency")); err != nil {
		t.Fatal(err)
	}
}
