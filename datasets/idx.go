package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX data type bytes (the third byte of the magic number).
const (
	IDXUint8   byte = 0x08
	IDXInt8    byte = 0x09
	IDXInt16   byte = 0x0B
	IDXInt32   byte = 0x0C
	IDXFloat32 byte = 0x0D
	IDXFloat64 byte = 0x0E
)

// MaxIDXBytes is the largest payload (product of the dimensions times the
// element size) the IDX decoder accepts. It is checked on the header, before
// anything is allocated. The MNIST training images are 47,040,000 bytes.
var MaxIDXBytes int64 = 1 << 30

// IDX is a decoded IDX file: the format of MNIST and Fashion-MNIST.
type IDX struct {
	Type byte   // IDXUint8, IDXInt8, ...
	Dims []int  // sizes, outermost first; none is zero
	Data []byte // payload as stored (big-endian for multi-byte types)
}

// idxTypeName returns the element type's name and size, or size 0 if the
// byte is not an IDX type.
func idxTypeName(t byte) (string, int) {
	switch t {
	case IDXUint8:
		return "uint8", 1
	case IDXInt8:
		return "int8", 1
	case IDXInt16:
		return "int16", 2
	case IDXInt32:
		return "int32", 4
	case IDXFloat32:
		return "float32", 4
	case IDXFloat64:
		return "float64", 8
	}
	return "unknown", 0
}

// idxWant is what a caller expects of an IDX file; it is checked on the
// header, before the payload is read.
type idxWant struct {
	what  string // "images" or "labels", for messages
	typ   byte
	ndims int
}

var (
	wantImages = &idxWant{what: "images", typ: IDXUint8, ndims: 3}
	wantLabels = &idxWant{what: "labels", typ: IDXUint8, ndims: 1}
)

func (w *idxWant) magic() string {
	return fmt.Sprintf("00 00 %02x %02x", w.typ, w.ndims)
}

// ReadIDX reads the IDX file at path, gzip-compressed or not (told by its
// first two bytes, whatever the file name). Every problem is an error
// naming the file: see DecodeIDX.
func ReadIDX(path string) (*IDX, error) { return readIDXFile(path, nil) }

// ReadIDXImages reads an IDX file of uint8 images (magic 00 00 08 03:
// count, rows, cols).
func ReadIDXImages(path string) (*IDX, error) { return readIDXFile(path, wantImages) }

// ReadIDXLabels reads an IDX file of uint8 labels (magic 00 00 08 01) and
// checks every label is in [0, classes).
func ReadIDXLabels(path string, classes int) (*IDX, error) {
	x, err := readIDXFile(path, wantLabels)
	if err != nil {
		return nil, err
	}
	if err := checkLabels(path, x.Data, classes, 8); err != nil {
		return nil, err
	}
	return x, nil
}

// checkLabels reports the first label outside [0, classes); offset is the
// byte offset of the first label in the (uncompressed) file.
func checkLabels(name string, labels []byte, classes int, offset int64) error {
	if classes <= 0 || classes > 256 {
		return fileErr(name, ErrBadOption, nil, "class count %d is not in [1, 256]", classes)
	}
	for i, l := range labels {
		if int(l) >= classes {
			return fileErr(name, ErrLabelRange, nil, "label %d at index %d (byte %d) is out of range [0, %d)", l, i, offset+int64(i), classes)
		}
	}
	return nil
}

func readIDXFile(path string, want *idxWant) (*IDX, error) {
	f, size, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeIDX(f, path, size, want)
}

// openFile opens a regular file for reading and returns its size; a missing
// file, a directory or an unreadable file is an error naming the path.
func openFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, fileErr(path, ErrNotFound, nil, "no such file")
		}
		return nil, 0, fileErr(path, ErrUnreadable, err, "cannot open")
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fileErr(path, ErrUnreadable, err, "cannot stat")
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, fileErr(path, ErrUnreadable, nil, "is a directory, not a file")
	}
	return f, st.Size(), nil
}

// DecodeIDX decodes an IDX file from r; name stands for the file in error
// messages. Gzip input is detected by its magic (1f 8b) and decompressed.
// The decoder is strict; each of these is an error naming the file:
//   - a header shorter than 4 + 4·ndims bytes (ErrTruncated, with the offset);
//   - first two bytes not zero (ErrBadMagic, showing the bytes found);
//   - an unknown type byte (ErrBadType);
//   - zero dimensions, a zero size, or a payload over MaxIDXBytes (ErrBadDims);
//   - a payload shorter than the dimensions say (ErrTruncated, expected and
//     actual bytes) or bytes after it (ErrTrailingBytes);
//   - a damaged gzip stream: bad header, bad checksum, corrupt or cut short
//     compressed data, garbage after the stream (ErrBadGzip).
func DecodeIDX(r io.Reader, name string) (*IDX, error) { return decodeIDX(r, name, -1, nil) }

// EncodeIDX writes x as an uncompressed IDX file. Decoding the result gives
// x back; for any valid uncompressed input, DecodeIDX then EncodeIDX gives
// the same bytes.
func EncodeIDX(w io.Writer, x *IDX) error {
	_, size := idxTypeName(x.Type)
	if size == 0 {
		return fmt.Errorf("idx: unknown type byte 0x%02x", x.Type)
	}
	if len(x.Dims) == 0 || len(x.Dims) > 255 {
		return fmt.Errorf("idx: %d dimensions, want 1..255", len(x.Dims))
	}
	n := size
	hdr := make([]byte, 4+4*len(x.Dims))
	hdr[2], hdr[3] = x.Type, byte(len(x.Dims))
	for i, d := range x.Dims {
		if d <= 0 || int64(d) > 0xFFFFFFFF {
			return fmt.Errorf("idx: dimension %d is %d", i, d)
		}
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		n *= d
	}
	if n != len(x.Data) {
		return fmt.Errorf("idx: dimensions %v need %d bytes of data, have %d", x.Dims, n, len(x.Data))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(x.Data)
	return err
}

// countingReader counts the bytes read through it, so errors can give the
// offset in the (decompressed) stream.
type countingReader struct {
	r   io.Reader
	n   int64
	err error     // first error the source returned
	h   io.Writer // if set, sees every byte read (content hash)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.h != nil && n > 0 {
		c.h.Write(p[:n])
	}
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

func decodeIDX(src io.Reader, name string, size int64, want *idxWant) (*IDX, error) {
	x, _, err := decodeIDXHashed(src, name, size, want, nil)
	return x, err
}

// decodeIDXHashed is decodeIDX that also writes the decompressed stream to
// content (if not nil) and reports whether the input was gzip.
func decodeIDXHashed(src io.Reader, name string, size int64, want *idxWant, content io.Writer) (*IDX, bool, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	var r io.Reader = br
	compressed := false
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := newGzipMembers(br)
		if err != nil {
			return nil, true, gzipErr(name, "reading gzip header", err)
		}
		r, compressed, size = zr, true, -1
	}
	cr := &countingReader{r: r, h: content}
	// ioErr turns an error met while reading `what` (which needs `need`
	// bytes from the start) into a FileError. The source's own error tells a
	// clean end of data (the IDX content is short) from a damaged gzip stream.
	ioErr := func(what string, need int64, err error) error {
		src := cr.err
		if src == nil {
			src = err
		}
		switch {
		case errors.Is(src, io.EOF) || (!compressed && errors.Is(src, io.ErrUnexpectedEOF)):
			return fileErr(name, ErrTruncated, io.ErrUnexpectedEOF,
				"truncated %s: data ends at byte %d, need %d bytes", what, cr.n, need)
		case compressed:
			return gzipErr(name, "decompressing "+what, src)
		}
		return fileErr(name, ErrUnreadable, src, "reading %s at byte %d", what, cr.n)
	}

	var magic [4]byte
	if _, err := io.ReadFull(cr, magic[:]); err != nil {
		return nil, compressed, ioErr("header", 4, err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		exp := "00 00 <type> <ndims>"
		if want != nil {
			exp = want.magic()
		}
		return nil, compressed, fileErr(name, ErrBadMagic, nil, "not an IDX file: magic is % x, want %s", magic[:], exp)
	}
	typ, ndims := magic[2], int(magic[3])
	tname, esize := idxTypeName(typ)
	if esize == 0 {
		return nil, compressed, fileErr(name, ErrBadType, nil, "unknown IDX data type byte 0x%02x (magic % x)", typ, magic[:])
	}
	if want != nil && typ != want.typ {
		wname, _ := idxTypeName(want.typ)
		return nil, compressed, fileErr(name, ErrBadType, nil, "IDX data type is 0x%02x (%s), want 0x%02x (%s) for %s (magic % x, want %s)",
			typ, tname, want.typ, wname, want.what, magic[:], want.magic())
	}
	if ndims == 0 {
		return nil, compressed, fileErr(name, ErrBadDims, nil, "IDX header has 0 dimensions")
	}
	if want != nil && ndims != want.ndims {
		return nil, compressed, fileErr(name, ErrBadDims, nil, "IDX file has %d dimensions, want %d for %s (magic % x, want %s)",
			ndims, want.ndims, want.what, magic[:], want.magic())
	}
	hdrLen := int64(4 + 4*ndims)
	dimBytes := make([]byte, 4*ndims)
	if _, err := io.ReadFull(cr, dimBytes); err != nil {
		return nil, compressed, ioErr("header", hdrLen, err)
	}
	dims := make([]int, ndims)
	payload := int64(esize)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(dimBytes[4*i:]))
		if d == 0 {
			return nil, compressed, fileErr(name, ErrBadDims, nil, "IDX dimension %d of %d is zero", i, ndims)
		}
		if payload > MaxIDXBytes/d {
			return nil, compressed, fileErr(name, ErrBadDims, nil, "IDX dimensions %s need more than the %d-byte limit (MaxIDXBytes)",
				fmtDims(dimBytes), MaxIDXBytes)
		}
		payload *= d
		dims[i] = int(d)
	}
	if size >= 0 && hdrLen+payload > size {
		// A plain file whose size we know: no need to allocate to find out.
		return nil, compressed, fileErr(name, ErrTruncated, io.ErrUnexpectedEOF,
			"truncated data: dimensions %v need %d bytes after the %d-byte header, file has %d",
			dims, payload, hdrLen, size-hdrLen)
	}
	data, err := readPayload(cr, payload, size >= 0)
	if err != nil {
		return nil, compressed, ioErr(fmt.Sprintf("data (dimensions %v, %d-byte header)", dims, hdrLen), hdrLen+payload, err)
	}
	// Anything after the payload is an error. For gzip, reading to the end
	// also verifies the CRC and length in the gzip trailer.
	extra, err := io.Copy(io.Discard, cr)
	if err != nil {
		if compressed {
			return nil, compressed, gzipErr(name, fmt.Sprintf("after the %d-byte IDX payload", payload), err)
		}
		return nil, compressed, fileErr(name, ErrUnreadable, err, "reading after the data")
	}
	if extra > 0 {
		return nil, compressed, fileErr(name, ErrTrailingBytes, nil, "%d trailing bytes after the %d-byte payload (dimensions %v) at byte %d",
			extra, payload, dims, hdrLen+payload)
	}
	return &IDX{Type: typ, Dims: dims, Data: data}, compressed, nil
}

func fmtDims(b []byte) string {
	var s bytes.Buffer
	for i := 0; i+4 <= len(b); i += 4 {
		if i > 0 {
			s.WriteByte('x')
		}
		fmt.Fprint(&s, binary.BigEndian.Uint32(b[i:]))
	}
	return s.String()
}

// readPayload reads exactly n bytes. When the size is not known in advance
// (gzip), the buffer grows with the data actually read, so a header that
// claims a huge payload cannot make the decoder allocate it.
func readPayload(r io.Reader, n int64, sized bool) ([]byte, error) {
	const chunk = 1 << 20
	c := n
	if !sized && c > chunk {
		c = chunk
	}
	buf := make([]byte, 0, c)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			nc := min(n, 2*int64(cap(buf)))
			nb := make([]byte, len(buf), nc)
			copy(nb, buf)
			buf = nb
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if int64(len(buf)) == n {
				break // a sticky error (gzip) shows again on the check for trailing bytes
			}
			return buf, err
		}
	}
	return buf, nil
}

func gzipErr(name, what string, err error) error {
	msg := "bad gzip data (" + what + ")"
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = "gzip stream is cut short (" + what + ")"
	case errors.Is(err, gzip.ErrChecksum):
		msg = "gzip checksum mismatch (" + what + ")"
	case errors.Is(err, errGzipGarbage):
		msg = "garbage after the gzip stream (" + what + ")"
	case errors.Is(err, gzip.ErrHeader):
		msg = "bad gzip header (" + what + ")"
	}
	return fileErr(name, ErrBadGzip, err, "%s", msg)
}

var errGzipGarbage = errors.New("bytes after the end of the gzip stream are not another gzip member")

// gzipMembers reads a gzip file member by member (as gzip -d does), so it
// can tell a stream cut short from garbage after a complete stream.
type gzipMembers struct {
	br *bufio.Reader
	zr *gzip.Reader
}

func newGzipMembers(br *bufio.Reader) (*gzipMembers, error) {
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	return &gzipMembers{br: br, zr: zr}, nil
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		// The member ended and its CRC and length checked out.
		head, perr := g.br.Peek(2)
		if len(head) == 0 && perr == io.EOF {
			return n, io.EOF
		}
		if len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
			return n, errGzipGarbage
		}
		if err := g.zr.Reset(g.br); err != nil {
			return n, err
		}
		g.zr.Multistream(false)
		if n > 0 {
			return n, nil
		}
	}
}

// gunzipTo decompresses a whole gzip stream into w.
func gunzipTo(w io.Writer, r io.Reader, name string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return gzipErr(name, "reading gzip header", err)
	}
	defer zr.Close()
	if _, err := io.Copy(w, zr); err != nil {
		return gzipErr(name, "decompressing", err)
	}
	return nil
}
