package plots

import (
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Tests of the measured family comparison figure (family.go).

// TestFamilyComparisonRefusesNoData proves a comparison without a point that
// has MACs is refused with ErrNoData rather than drawn empty.
func TestFamilyComparisonRefusesNoData(t *testing.T) {
	for _, pts := range [][]TrainedPoint{nil, {{Label: "x", Family: "VGG", Top1: 90}}} {
		if _, err := FamilyComparison("t", "Fashion-MNIST", pts, nil); !errors.Is(err, ErrNoData) {
			t.Errorf("%v: %v, want ErrNoData", pts, err)
		}
	}
}

// TestFamilyComparisonPanels proves the figure has an accuracy-vs-latency
// panel only when a latency was measured, says which models lack one, and
// saves as 1200×800 PNG and SVG with sub-millisecond latencies and tiny nets.
func TestFamilyComparisonPanels(t *testing.T) {
	pts := []TrainedPoint{
		{Label: "lenet5", Family: "LeNet-5", MMACs: 0.42, ParamsM: 0.062, Top1: 88.1, LatencyMS: 0.08},
		{Label: "resnet56", Family: "ResNet-CIFAR", MMACs: 95.8, ParamsM: 0.85, Top1: 90.2, LatencyMS: 21},
		{Label: "alexnet", Family: "AlexNet", MMACs: 9.7, ParamsM: 1.48, Top1: 87.5},
	}
	f, err := FamilyComparison("Fashion-MNIST", "Fashion-MNIST", pts, []string{"budget"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 {
		t.Errorf("%d panels, want 2 (MACs, latency)", len(f.Panels))
	}
	if len(f.Notes) != 2 {
		t.Errorf("notes %q: want the caller's and one naming the model without latency", f.Notes)
	}
	files, err := f.Save(filepath.Join(t.TempDir(), "family"))
	if err != nil || len(files) != 2 {
		t.Fatalf("%v %v", files, err)
	}
	fh, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 800 {
		t.Errorf("%dx%d, want 1200x800", b.Dx(), b.Dy())
	}
	for i := range pts {
		pts[i].LatencyMS = 0
	}
	f, err = FamilyComparison("Fashion-MNIST", "Fashion-MNIST", pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 1 {
		t.Errorf("%d panels without any latency, want 1", len(f.Panels))
	}
}
