package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// cifarBatch makes n CIFAR-10 records: image i has label i%10 and pixel
// bytes (i + plane·7 + position) mod 256.
func cifarBatch(n, offset int) (pixels, labels []byte) {
	pixels = make([]byte, n*cifarPixels)
	labels = make([]byte, n)
	for i := range n {
		labels[i] = byte((i + offset) % 10)
		for j := range cifarPixels {
			pixels[i*cifarPixels+j] = byte(i + offset + (j/1024)*7 + j)
		}
	}
	return pixels, labels
}

func TestCIFAR10ReadsGeneratedBatches(t *testing.T) {
	dir := t.TempDir()
	for i, name := range CIFAR10Files["train"] {
		px, lb := cifarBatch(4, 4*i)
		if err := WriteCIFAR10(filepath.Join(dir, name), px, lb); err != nil {
			t.Fatal(err)
		}
	}
	px, lb := cifarBatch(3, 100)
	if err := WriteCIFAR10(filepath.Join(dir, "test_batch.bin"), px, lb); err != nil {
		t.Fatal(err)
	}
	train, err := CIFAR10(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 20 || train.Classes() != 10 || len(train.Files) != 5 || train.Files[4].SHA256 == "" {
		t.Fatalf("train: %d items, %d classes, files %+v", train.Len(), train.Classes(), train.Files)
	}
	// Item 13 is record 1 of data_batch_4: label 3, CHW bytes as written.
	dst := make([]float32, cifarPixels)
	label, err := train.Get(13, dst)
	if err != nil || label != 3 {
		t.Fatalf("Get(13) = %d, %v", label, err)
	}
	for _, j := range []int{0, 1023, 1024, 2048, 3071} { // first and last of each plane
		if want := float32(byte(13+(j/1024)*7+j)) / 255; dst[j] != want {
			t.Errorf("pixel %d = %v, want %v", j, dst[j], want)
		}
	}
	test, err := CIFAR10(dir, "test")
	if err != nil || test.Len() != 3 || test.Label(2) != 2 {
		t.Fatalf("test: %v, %v", test, err)
	}
	n, err := test.WithNorm(CIFAR10Norm)
	if err != nil {
		t.Fatal(err)
	}
	n.Get(0, dst)
	if want := (float32(px[2048])/255 - 0.4465) / 0.2616; dst[2048] != want {
		t.Errorf("normalised blue = %v, want %v", dst[2048], want)
	}
}

func TestCIFAR10RejectsTruncatedRecord(t *testing.T) {
	dir := t.TempDir()
	px, lb := cifarBatch(2, 0)
	p := filepath.Join(dir, "data_batch_1.bin")
	if err := WriteCIFAR10(p, px, lb); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-100], 0o644)
	_, err := ReadCIFAR10(p)
	wantFileErr(t, err, ErrTruncated, p, "1 whole 3073-byte records", "2973 bytes of record 1", "byte 3073")

	empty := writeFile(t, dir, "empty.bin", nil)
	_, err = ReadCIFAR10(empty)
	wantFileErr(t, err, ErrTruncated, empty, "empty file")
}

func TestCIFAR10RejectsLabelAboveNine(t *testing.T) {
	dir := t.TempDir()
	px, lb := cifarBatch(3, 0)
	lb[2] = 10
	p := filepath.Join(dir, "test_batch.bin")
	if err := WriteCIFAR10(p, px, lb); err != nil {
		t.Fatal(err)
	}
	_, err := ReadCIFAR10(p)
	wantFileErr(t, err, ErrLabelRange, p, "label 10 in record 2", "byte 6146")
}

func TestCIFAR10MissingFileAndSplit(t *testing.T) {
	dir := t.TempDir()
	_, err := CIFAR10(dir, "test")
	wantFileErr(t, err, ErrNotFound, filepath.Join(dir, "test_batch.bin"), "no such file")
	_, err = CIFAR10(dir, "val")
	wantFileErr(t, err, ErrBadOption, dir, "unknown CIFAR-10 split")
}
