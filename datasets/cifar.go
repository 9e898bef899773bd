package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CIFAR-10 binary format: records of 1 label byte and 3×32×32 pixel bytes
// (red plane, green plane, blue plane; rows top to bottom).
const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
	cifarRecord = 1 + cifarPixels // 3073 bytes
)

// CIFAR10Classes are the names of labels 0..9 (batches.meta.txt).
var CIFAR10Classes = []string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

// CIFAR10Files are the batch files of each split in the binary version
// (the folder cifar-10-batches-bin of cifar-10-binary.tar.gz).
var CIFAR10Files = map[string][]string{
	"train": {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
	"test":  {"test_batch.bin"},
}

// CIFAR10 loads the "train" (50,000 images) or "test" (10,000) split from
// dir, the cifar-10-batches-bin folder. Every file's SHA-256 is recorded in
// Files.
func CIFAR10(dir, split string) (*Images, error) {
	names, ok := CIFAR10Files[split]
	if !ok {
		return nil, fileErr(dir, ErrBadOption, nil, "unknown CIFAR-10 split %q (want train or test)", split)
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
	}
	d, err := ReadCIFAR10(paths...)
	if err != nil {
		return nil, err
	}
	d.Name = "cifar10/" + split
	return d, nil
}

// ReadCIFAR10 reads CIFAR-10 binary batch files into one Images set (3×32×32,
// 10 classes). A file whose size is not a whole number of 3073-byte records
// is truncated (ErrTruncated); a label above 9 is ErrLabelRange; both name
// the file, the record and its byte offset.
func ReadCIFAR10(paths ...string) (*Images, error) {
	if len(paths) == 0 {
		return nil, fileErr("cifar10", ErrBadOption, nil, "no files given")
	}
	d := &Images{Name: "cifar10", C: 3, H: cifarSide, W: cifarSide, NumClasses: 10, ClassNames: CIFAR10Classes}
	for _, p := range paths {
		px, lb, rec, err := readCIFARFile(p)
		if err != nil {
			return nil, err
		}
		d.Pixels = append(d.Pixels, px...)
		d.Labels = append(d.Labels, lb...)
		d.Files = append(d.Files, rec)
	}
	return d, nil
}

func readCIFARFile(path string) (pixels, labels []byte, rec FileRecord, err error) {
	rec.Path = path
	f, size, err := openFile(path)
	if err != nil {
		return nil, nil, rec, err
	}
	defer f.Close()
	if size == 0 {
		return nil, nil, rec, fileErr(path, ErrTruncated, nil, "empty file: want records of %d bytes", cifarRecord)
	}
	if rem := size % cifarRecord; rem != 0 {
		return nil, nil, rec, fileErr(path, ErrTruncated, io.ErrUnexpectedEOF,
			"truncated record: %d bytes is %d whole %d-byte records and %d bytes of record %d (byte %d)",
			size, size/cifarRecord, cifarRecord, rem, size/cifarRecord, size-rem)
	}
	if lim := MaxIDXBytes; size > lim {
		return nil, nil, rec, fileErr(path, ErrBadDims, nil, "file of %d bytes exceeds the %d-byte limit", size, lim)
	}
	n := int(size / cifarRecord)
	h := sha256.New()
	buf := make([]byte, size)
	if _, err := io.ReadFull(io.TeeReader(f, h), buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, nil, rec, fileErr(path, ErrTruncated, err, "file shrank while reading")
		}
		return nil, nil, rec, fileErr(path, ErrUnreadable, err, "reading")
	}
	rec.SHA256 = hex.EncodeToString(h.Sum(nil))
	pixels = make([]byte, n*cifarPixels)
	labels = make([]byte, n)
	for i := range n {
		r := buf[i*cifarRecord : (i+1)*cifarRecord]
		if r[0] > 9 {
			return nil, nil, rec, fileErr(path, ErrLabelRange, nil, "label %d in record %d (byte %d) is out of range [0, 10)",
				r[0], i, i*cifarRecord)
		}
		labels[i] = r[0]
		copy(pixels[i*cifarPixels:], r[1:])
	}
	return pixels, labels, rec, nil
}

// WriteCIFAR10 writes images (3×32×32 each, CHW) and labels in the CIFAR-10
// binary format; for tests and for users who convert their own data.
func WriteCIFAR10(path string, pixels, labels []byte) error {
	if len(pixels) != len(labels)*cifarPixels {
		return fmt.Errorf("cifar10: %d labels need %d pixel bytes, have %d", len(labels), len(labels)*cifarPixels, len(pixels))
	}
	buf := make([]byte, 0, len(labels)*cifarRecord)
	for i, l := range labels {
		buf = append(buf, l)
		buf = append(buf, pixels[i*cifarPixels:(i+1)*cifarPixels]...)
	}
	return os.WriteFile(path, buf, 0o644)
}
