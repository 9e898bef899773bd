package tensorio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// MaxNPYHeader is the largest .npy header (the Python dict literal) the
// decoder accepts. numpy itself refuses more than 10000 bytes by default.
const MaxNPYHeader = 1 << 20

// npyAlign is the alignment numpy gives the start of the data.
const npyAlign = 64

// npyGrowthDigits is numpy's GROWTH_AXIS_MAX_DIGITS: numpy leaves room in
// the header for the first dimension to grow to this many digits.
const npyGrowthDigits = 21

// ReadNPY reads the .npy file at path: a C-order little-endian float32
// ('<f4') array, or float64 ('<f8') rounded to float32.
func ReadNPY(path string) (*tensor.Tensor, error) {
	r, size, closeFn, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return decodeNPY(r, size, path)
}

// DecodeNPY decodes a .npy file held in data; name stands for the file in
// error messages. Results are as for ReadNPY.
func DecodeNPY(data []byte, name string) (*tensor.Tensor, error) {
	return decodeNPY(bytes.NewReader(data), int64(len(data)), name)
}

func decodeNPY(r io.Reader, size int64, name string) (*tensor.Tensor, error) {
	const fixed = len(npyMagic) + 2 // magic and version
	if size < int64(fixed)+2 {
		return nil, truncatedErr(name, "file is %d bytes, too short for a .npy header", size)
	}
	var pre [fixed + 4]byte
	if _, err := io.ReadFull(r, pre[:fixed]); err != nil {
		return nil, ioErr(name, "reading magic", err)
	}
	if string(pre[:len(npyMagic)]) != npyMagic {
		return nil, formatErr(name, "not a .npy file: starts with %q, want %q", pre[:len(npyMagic)], npyMagic)
	}
	major, minor := pre[6], pre[7]
	lenSize := 4
	switch {
	case major == 1 && minor == 0:
		lenSize = 2
	case (major == 2 || major == 3) && minor == 0:
	default:
		return nil, formatErr(name, "unsupported .npy format version %d.%d, want 1.0, 2.0 or 3.0", major, minor)
	}
	prefix := int64(fixed + lenSize)
	if size < prefix {
		return nil, truncatedErr(name, "file is %d bytes, too short for a version %d.0 .npy header", size, major)
	}
	lb := pre[fixed : fixed+lenSize]
	if _, err := io.ReadFull(r, lb); err != nil {
		return nil, ioErr(name, "reading header length", err)
	}
	var hlen int64
	if lenSize == 2 {
		hlen = int64(binary.LittleEndian.Uint16(lb))
	} else {
		hlen = int64(binary.LittleEndian.Uint32(lb))
	}
	if hlen > size-prefix {
		return nil, truncatedErr(name, "truncated header: header length %d but only %d bytes follow", hlen, size-prefix)
	}
	if hlen > MaxNPYHeader {
		return nil, formatErr(name, "header length %d exceeds the limit of %d bytes", hlen, MaxNPYHeader)
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, ioErr(name, "reading header", err)
	}
	h, err := parseNPYHeader(name, header)
	if err != nil {
		return nil, err
	}
	dataLen := size - prefix - hlen
	numel, ok := checkedNumel(h.shape, math.MaxInt64/int64(h.itemSize))
	if !ok || numel > math.MaxInt {
		return nil, formatErr(name, "shape %s is too large", pyShape(h.shape))
	}
	need := numel * int64(h.itemSize)
	if dataLen < need {
		return nil, truncatedErr(name, "truncated: shape %s of '%s' needs %d bytes of data, file has %d",
			pyShape(h.shape), h.descr, need, dataLen)
	}
	if dataLen > need {
		return nil, formatErr(name, "%d trailing bytes after the data of shape %s of '%s' (%d bytes)",
			dataLen-need, pyShape(h.shape), h.descr, need)
	}
	t := tensor.New(h.shape...)
	buf := make([]byte, chunkBytes)
	if h.itemSize == 8 {
		err = readFloat64sAs32(r, t.Data, buf)
	} else {
		err = readFloat32s(r, t.Data, buf)
	}
	if err != nil {
		return nil, ioErr(name, "reading data", err)
	}
	return t, nil
}

// npyHeader is the validated content of a .npy header dict.
type npyHeader struct {
	descr    string
	itemSize int
	shape    []int
}

// parseNPYHeader parses the Python dict literal of a .npy header and checks
// it describes an array this package reads.
func parseNPYHeader(name string, header []byte) (npyHeader, error) {
	var h npyHeader
	p := &pyParser{s: header}
	keys, vals, err := p.parseDict()
	if err != nil {
		return h, formatErr(name, "malformed header: %v in %s", err, quoteHeader(header))
	}
	var descr, fortran, shape *pyValue
	for i, k := range keys {
		var dst **pyValue
		switch k {
		case "descr":
			dst = &descr
		case "fortran_order":
			dst = &fortran
		case "shape":
			dst = &shape
		default:
			return h, formatErr(name, "header has unexpected key %s (want 'descr', 'fortran_order', 'shape')", pyValue{kind: pyStr, str: k})
		}
		if *dst != nil {
			return h, formatErr(name, "header repeats key '%s'", k)
		}
		*dst = &vals[i]
	}
	for _, need := range []struct {
		key string
		v   *pyValue
	}{{"descr", descr}, {"fortran_order", fortran}, {"shape", shape}} {
		if need.v == nil {
			return h, formatErr(name, "header is missing key '%s'", need.key)
		}
	}

	if descr.kind != pyStr {
		return h, formatErr(name, "dtype %s not supported, want '<f4' (float32)", descr)
	}
	h.descr = descr.str
	switch h.descr {
	case "<f4":
		h.itemSize = 4
	case "<f8":
		h.itemSize = 8
	case ">f4", ">f8":
		return h, formatErr(name, "dtype '%s' is big-endian, not supported; want '<f4' (float32)", h.descr)
	default:
		return h, formatErr(name, "dtype %s not supported, want '<f4' (float32)", descr)
	}

	if fortran.kind != pyBool {
		return h, formatErr(name, "fortran_order %s is not True or False", fortran)
	}
	if fortran.b {
		return h, formatErr(name, "fortran_order True not supported, want C order (fortran_order False)")
	}

	if shape.kind != pyTuple {
		return h, formatErr(name, "shape %s is not a tuple of integers", shape)
	}
	if len(shape.items) > MaxDims {
		return h, formatErr(name, "shape has %d dimensions, limit %d", len(shape.items), MaxDims)
	}
	h.shape = make([]int, len(shape.items))
	for i, d := range shape.items {
		if d.kind != pyInt {
			return h, formatErr(name, "shape %s is not a tuple of integers", shape)
		}
		if d.num < 0 {
			return h, formatErr(name, "negative dimension %d in shape %s", d.num, shape)
		}
		if d.num > math.MaxInt {
			return h, formatErr(name, "dimension %d too large in shape %s", d.num, shape)
		}
		h.shape[i] = int(d.num)
	}
	return h, nil
}

// quoteHeader quotes a header for an error message, shortened if long.
func quoteHeader(header []byte) string {
	s := strings.TrimRight(string(header), " \t\r\n\f")
	const limit = 120
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}

// pyShape formats dims as Python writes a shape tuple: (), (5,), (1, 3).
func pyShape(dims []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range dims {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(dims) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// EncodeNPY writes t to w as a version 1.0 .npy file of '<f4' in C order,
// byte for byte as numpy.save writes it.
func EncodeNPY(w io.Writer, t *tensor.Tensor) error {
	header, err := npyFileHeader("npy", t)
	if err != nil {
		return err
	}
	return writeNPYBody(w, header, t)
}

// WriteNPY writes t as EncodeNPY does to path, replacing it atomically.
func WriteNPY(path string, t *tensor.Tensor) error {
	header, err := npyFileHeader(path, t)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		return writeNPYBody(w, header, t)
	})
}

func writeNPYBody(w io.Writer, header []byte, t *tensor.Tensor) error {
	if _, err := w.Write(header); err != nil {
		return err
	}
	return writeFloat32s(w, t.Data, make([]byte, min(chunkBytes, 4*len(t.Data))))
}

// npyFileHeader validates t and returns everything before its data: magic,
// version 1.0, header length and the padded header dict.
func npyFileHeader(file string, t *tensor.Tensor) ([]byte, error) {
	if err := checkTensor(file, "tensor", t); err != nil {
		return nil, err
	}
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': " + pyShape(t.Shape) + ", }"
	if len(t.Shape) > 0 {
		// numpy's spare room for growing the first axis in place.
		dict += strings.Repeat(" ", max(0, npyGrowthDigits-len(strconv.Itoa(t.Shape[0]))))
	}
	const prefix = len(npyMagic) + 2 + 2
	hlen := len(dict) + 1 // the final '\n'
	pad := npyAlign - (prefix+hlen)%npyAlign
	hlen += pad
	if hlen > math.MaxUint16 { // impossible with MaxDims dimensions
		return nil, formatErr(file, "tensor: header of %d bytes too long for .npy version 1.0", hlen)
	}
	out := make([]byte, 0, prefix+hlen)
	out = append(out, npyMagic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	out = append(out, dict...)
	for range pad {
		out = append(out, ' ')
	}
	return append(out, '\n'), nil
}

// The header of a .npy file is a Python dict literal. pyParser reads the
// subset numpy writes (and Python 2 numpy wrote): a dict with string keys
// whose values are strings, integers (with an optional L suffix), True,
// False, None, tuples and lists of those.

type pyKind int

const (
	pyStr pyKind = iota
	pyInt
	pyBool
	pyNone
	pyTuple
	pyList
)

type pyValue struct {
	kind  pyKind
	str   string    // pyStr
	num   int64     // pyInt
	b     bool      // pyBool
	items []pyValue // pyTuple, pyList
}

// String formats v the way Python's repr would.
func (v pyValue) String() string {
	switch v.kind {
	case pyStr:
		for _, c := range []byte(v.str) {
			if c < 0x20 || c >= 0x7f || c == '\\' || c == '\'' {
				return strconv.Quote(v.str) // keeps messages printable and on one line
			}
		}
		return "'" + v.str + "'"
	case pyInt:
		return strconv.FormatInt(v.num, 10)
	case pyBool:
		if v.b {
			return "True"
		}
		return "False"
	case pyNone:
		return "None"
	}
	open, close := "(", ")"
	if v.kind == pyList {
		open, close = "[", "]"
	}
	parts := make([]string, len(v.items))
	for i, it := range v.items {
		parts[i] = it.String()
	}
	s := open + strings.Join(parts, ", ")
	if v.kind == pyTuple && len(v.items) == 1 {
		s += ","
	}
	return s + close
}

// pyMaxDepth bounds nesting of tuples and lists.
const pyMaxDepth = 16

type pyParser struct {
	s     []byte
	pos   int
	depth int
}

func (p *pyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s at byte %d", fmt.Sprintf(format, args...), p.pos)
}

func (p *pyParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r', '\f':
			p.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (p *pyParser) peek() byte {
	p.skipSpace()
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// describe names the next byte for an error message.
func (p *pyParser) describe() string {
	if p.pos >= len(p.s) {
		return "end of header"
	}
	return strconv.QuoteRune(rune(p.s[p.pos]))
}

// parseDict parses the whole header: one dict and nothing but whitespace
// after it. Keys come back in the order written.
func (p *pyParser) parseDict() (keys []string, vals []pyValue, err error) {
	if p.peek() != '{' {
		return nil, nil, p.errorf("want '{', found %s", p.describe())
	}
	p.pos++
	for {
		if p.peek() == '}' {
			p.pos++
			break
		}
		k, err := p.parseValue()
		if err != nil {
			return nil, nil, err
		}
		if k.kind != pyStr {
			return nil, nil, p.errorf("dict key %s is not a string", k)
		}
		if p.peek() != ':' {
			return nil, nil, p.errorf("want ':' after key %s, found %s", k, p.describe())
		}
		p.pos++
		v, err := p.parseValue()
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, k.str)
		vals = append(vals, v)
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
		default:
			return nil, nil, p.errorf("want ',' or '}' after the value of %s, found %s", k, p.describe())
		}
	}
	if p.peek() != 0 {
		return nil, nil, p.errorf("unexpected %s after the dict", p.describe())
	}
	return keys, vals, nil
}

func (p *pyParser) parseValue() (pyValue, error) {
	c := p.peek()
	switch {
	case c == '\'' || c == '"':
		return p.parseString(c)
	case c == '(' || c == '[':
		return p.parseSequence(c)
	case c == '-' || c == '+' || isDigit(c):
		return p.parseInt()
	case isIdentStart(c):
		start := p.pos
		for p.pos < len(p.s) && isIdentChar(p.s[p.pos]) {
			p.pos++
		}
		switch word := string(p.s[start:p.pos]); word {
		case "True":
			return pyValue{kind: pyBool, b: true}, nil
		case "False":
			return pyValue{kind: pyBool}, nil
		case "None":
			return pyValue{kind: pyNone}, nil
		default:
			p.pos = start
			return pyValue{}, p.errorf("unsupported name %q", word)
		}
	}
	return pyValue{}, p.errorf("want a value, found %s", p.describe())
}

func (p *pyParser) parseString(quote byte) (pyValue, error) {
	start := p.pos
	p.pos++
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; c {
		case quote:
			p.pos++
			return pyValue{kind: pyStr, str: string(p.s[start+1 : p.pos-1])}, nil
		case '\\':
			return pyValue{}, p.errorf("escape sequences in strings are not supported")
		case '\n', '\r':
			return pyValue{}, p.errorf("string not closed")
		}
		p.pos++
	}
	return pyValue{}, p.errorf("string not closed")
}

// parseSequence parses a tuple or a list. As in Python, "(x)" without a
// comma is just x.
func (p *pyParser) parseSequence(open byte) (pyValue, error) {
	if p.depth >= pyMaxDepth {
		return pyValue{}, p.errorf("nesting deeper than %d", pyMaxDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	kind, close := pyTuple, byte(')')
	if open == '[' {
		kind, close = pyList, ']'
	}
	p.pos++
	v := pyValue{kind: kind, items: []pyValue{}}
	sawComma := false
	for {
		if p.peek() == close {
			p.pos++
			break
		}
		item, err := p.parseValue()
		if err != nil {
			return pyValue{}, err
		}
		v.items = append(v.items, item)
		switch p.peek() {
		case ',':
			p.pos++
			sawComma = true
		case close:
		default:
			return pyValue{}, p.errorf("want ',' or %q, found %s", close, p.describe())
		}
	}
	if kind == pyTuple && len(v.items) == 1 && !sawComma {
		return v.items[0], nil
	}
	return v, nil
}

func (p *pyParser) parseInt() (pyValue, error) {
	start := p.pos
	if c := p.s[p.pos]; c == '-' || c == '+' {
		p.pos++
		p.skipSpace()
	}
	digits := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == digits {
		return pyValue{}, p.errorf("want digits, found %s", p.describe())
	}
	text := string(p.s[digits:p.pos])
	if p.s[start] == '-' {
		text = "-" + text
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') {
		p.pos++ // Python 2 long integer
	}
	if p.pos < len(p.s) && (isIdentChar(p.s[p.pos]) || p.s[p.pos] == '.') {
		return pyValue{}, p.errorf("unsupported number")
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		p.pos = start
		return pyValue{}, p.errorf("integer %s out of range", text)
	}
	return pyValue{kind: pyInt, num: n}, nil
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }
