package datasets

import (
	"testing"
)

func BenchmarkPreprocess(b *testing.B) {
	img := NewRGB(500, 375) // a typical ImageNet validation photo
	for c := range 3 {
		for i := range img.Pix[c] {
			img.Pix[c][i] = uint8(i*7 + c)
		}
	}
	dst := make([]float32, 3*224*224)
	b.ReportAllocs()
	for b.Loop() {
		if err := ImageNetEval.Apply(img, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "img/s")
}

func BenchmarkLoader(b *testing.B) {
	s, _ := NewSynthetic(1024, 1, 32, 32, 10, 1)
	l, _ := NewLoader(s, LoaderOptions{BatchSize: 64, Shuffle: true, Augment: Augment{CropPad: 2, FlipH: true}})
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for bt, err := range l.Epoch(b.Context(), n) {
			if err != nil {
				b.Fatal(err)
			}
			l.Release(bt)
		}
		n++
	}
	b.ReportMetric(float64(b.N*s.Len())/b.Elapsed().Seconds(), "img/s")
}
