package tensor

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// Shape is a list of dimensions, outermost first (N, C, H, W for activations,
// O, I, KH, KW for convolution weights).
type Shape []int

// Numel is the number of elements a tensor of this shape holds (1 for a scalar).
func (s Shape) Numel() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether two shapes have the same dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy that does not share memory with s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// String prints the shape as "[1 3 224 224]".
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Dims prints the shape as "3x224x224", the form the CLI uses.
func (s Shape) Dims() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

// ParseDims reads "3x224x224" (or "3,224,224") into a Shape.
func ParseDims(text string) (Shape, error) {
	f := strings.FieldsFunc(text, func(r rune) bool { return r == 'x' || r == 'X' || r == ',' })
	if len(f) == 0 {
		return nil, fmt.Errorf("shape %q: want dimensions like 3x224x224", text)
	}
	s := make(Shape, len(f))
	for i, p := range f {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("shape %q: dimension %q is not a positive integer", text, p)
		}
		s[i] = v
	}
	return s, nil
}

// Tensor is a dense float32 tensor. Data has exactly Shape.Numel() elements.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// New returns a zeroed tensor of the given shape on a 64-byte aligned buffer.
func New(shape ...int) *Tensor {
	s := Shape(shape).Clone()
	for _, d := range s {
		if d < 0 {
			panic(fmt.Sprintf("tensor.New: negative dimension in %v", s))
		}
	}
	return &Tensor{Shape: s, Data: Aligned(s.Numel())}
}

// FromData wraps data (not copied) as a tensor of the given shape.
// It panics if the length does not match: that is a programming error.
func FromData(data []float32, shape ...int) *Tensor {
	s := Shape(shape).Clone()
	if s.Numel() != len(data) {
		panic(fmt.Sprintf("tensor.FromData: %d elements for shape %v", len(data), s))
	}
	return &Tensor{Shape: s, Data: data}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := New(t.Shape...)
	copy(c.Data, t.Data)
	return c
}

// Reshape returns a tensor sharing t's data with a new shape of the same size.
func (t *Tensor) Reshape(shape ...int) *Tensor { return FromData(t.Data, shape...) }

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// FirstNonFinite returns the index of the first NaN or Inf element, or -1.
func (t *Tensor) FirstNonFinite() int { return FirstNonFinite(t.Data) }

// FirstNonFinite returns the index of the first NaN or Inf in x, or -1.
func FirstNonFinite(x []float32) int {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

// Alignment is the byte alignment of buffers from Aligned: one cache line,
// and the width of an AVX-512 register.
const Alignment = 64

// Aligned returns a zeroed []float32 of length n whose first element sits on
// an Alignment-byte boundary.
func Aligned(n int) []float32 {
	if n == 0 {
		return []float32{}
	}
	const pad = Alignment / 4
	raw := make([]float32, n+pad)
	off := 0
	if r := uintptr(unsafe.Pointer(&raw[0])) % Alignment; r != 0 {
		off = int((Alignment - r) / 4)
	}
	return raw[off : off+n : off+n]
}
