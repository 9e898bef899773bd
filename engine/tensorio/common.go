package tensorio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// MaxDims is the largest number of dimensions a decoded or encoded tensor may
// have (NumPy 2's limit).
const MaxDims = 64

// Named is a tensor with its state-dict key, e.g. "features.0.weight".
type Named struct {
	Name string
	T    *tensor.Tensor
}

// FormatError reports a malformed or unsupported file, or a tensor that
// cannot be written. Its text is "<file>: <problem>" on one line.
type FormatError struct {
	File    string // the name given to the decoder or encoder
	Problem string // what is wrong, e.g. "dtype F64 not supported, want F32"
	// Truncated is set when the file ends before its header says it should;
	// the error then matches io.ErrUnexpectedEOF.
	Truncated bool
}

func (e *FormatError) Error() string { return e.File + ": " + e.Problem }

// Unwrap returns io.ErrUnexpectedEOF for truncated files, otherwise nil.
func (e *FormatError) Unwrap() error {
	if e.Truncated {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func formatErr(file, format string, args ...any) error {
	return &FormatError{File: file, Problem: fmt.Sprintf(format, args...)}
}

func truncatedErr(file, format string, args ...any) error {
	return &FormatError{File: file, Problem: fmt.Sprintf(format, args...), Truncated: true}
}

// ioErr wraps an error from the underlying reader or writer. A short read of
// a file whose size was checked beforehand means the file changed under us.
func ioErr(file, what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return truncatedErr(file, "%s: file ended early (changed while reading?)", what)
	}
	return fmt.Errorf("%s: %s: %w", file, what, err)
}

// CheckFinite returns an error naming the tensor and the position of its
// first NaN or ±Inf element, e.g.
//
//	weight "features.0.weight": NaN at index 17 ([0 0 2 2])
//
// and nil when every element is finite.
func CheckFinite(named Named) error {
	t := named.T
	if t == nil {
		return fmt.Errorf("weight %q: nil tensor", named.Name)
	}
	i := tensor.FirstNonFinite(t.Data)
	if i < 0 {
		return nil
	}
	v := float64(t.Data[i])
	what := "NaN"
	switch {
	case math.IsInf(v, 1):
		what = "+Inf"
	case math.IsInf(v, -1):
		what = "-Inf"
	}
	if idx, ok := unravel(i, t.Shape, len(t.Data)); ok {
		return fmt.Errorf("weight %q: %s at index %d (%v)", named.Name, what, i, idx)
	}
	return fmt.Errorf("weight %q: %s at index %d", named.Name, what, i)
}

// unravel turns a flat C-order index into a multi-dimensional one. It fails
// when the shape does not describe n elements.
func unravel(flat int, shape tensor.Shape, n int) (tensor.Shape, bool) {
	if numel, ok := checkedNumel(shape, math.MaxInt); !ok || numel != int64(n) {
		return nil, false
	}
	idx := make(tensor.Shape, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = flat % shape[d]
		flat /= shape[d]
	}
	return idx, true
}

// checkedNumel returns the element count of shape, or false if a dimension
// is negative or the count exceeds limit (which must be positive).
func checkedNumel(shape []int, limit int64) (int64, bool) {
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			return 0, true
		}
	}
	n := int64(1)
	for _, d := range shape {
		if int64(d) > limit/n {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

// checkTensor validates a tensor about to be written.
func checkTensor(file, what string, t *tensor.Tensor) error {
	if t == nil {
		return formatErr(file, "%s: nil tensor", what)
	}
	if len(t.Shape) > MaxDims {
		return formatErr(file, "%s: %d dimensions, limit %d", what, len(t.Shape), MaxDims)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return formatErr(file, "%s: negative dimension in shape %v", what, t.Shape)
		}
	}
	n, ok := checkedNumel(t.Shape, math.MaxInt64/8)
	if !ok {
		return formatErr(file, "%s: shape %v is too large", what, t.Shape)
	}
	if n != int64(len(t.Data)) {
		return formatErr(file, "%s: shape %v holds %d elements but Data has %d", what, t.Shape, n, len(t.Data))
	}
	return nil
}

// chunkBytes is the size of the conversion buffer between the file's
// little-endian bytes and float32 values.
const chunkBytes = 64 << 10

// readFloat32s fills dst with little-endian float32 values read from r.
func readFloat32s(r io.Reader, dst []float32, buf []byte) error {
	for len(dst) > 0 {
		n := min(len(dst), len(buf)/4)
		b := buf[:4*n]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		for i := range dst[:n] {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		dst = dst[n:]
	}
	return nil
}

// readFloat64sAs32 fills dst with little-endian float64 values read from r,
// rounded to float32.
func readFloat64sAs32(r io.Reader, dst []float32, buf []byte) error {
	for len(dst) > 0 {
		n := min(len(dst), len(buf)/8)
		b := buf[:8*n]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		for i := range dst[:n] {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
		dst = dst[n:]
	}
	return nil
}

// writeFloat32s writes src to w as little-endian float32 values.
func writeFloat32s(w io.Writer, src []float32, buf []byte) error {
	for len(src) > 0 {
		n := min(len(src), len(buf)/4)
		b := buf[:4*n]
		for i, v := range src[:n] {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		src = src[n:]
	}
	return nil
}

// openSized opens path for a streaming decode and returns its size. Files
// that are not regular (pipes, devices) are read into memory first.
func openSized(path string) (r io.Reader, size int64, closeFn func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, nil, fmt.Errorf("%s: is a directory", path)
	}
	if !st.Mode().IsRegular() {
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, 0, nil, fmt.Errorf("%s: %w", path, err)
		}
		return bytes.NewReader(data), int64(len(data)), func() {}, nil
	}
	return bufio.NewReaderSize(f, chunkBytes), st.Size(), func() { f.Close() }, nil
}

// writeFileAtomic writes path through a temporary file in the same directory
// that is synced and renamed over path, so readers see the old file or the
// complete new one. Errors name path.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("%s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, chunkBytes)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
