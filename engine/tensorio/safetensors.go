package tensorio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// MaxSafetensorsHeader is the largest JSON header a safetensors file may
// declare (the limit of the reference implementation).
const MaxSafetensorsHeader = 100_000_000

// metadataKey is the reserved header key holding string metadata.
const metadataKey = "__metadata__"

// skippableSuffix names the only non-F32 tensors the loader tolerates:
// torchvision's BatchNorm batch counters, stored as I64 scalars.
const skippableSuffix = "num_batches_tracked"

// dtypeSize lists the dtypes of the safetensors format and their element
// sizes in bytes; only F32 is loaded.
var dtypeSize = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// ReadSafetensors reads the safetensors file at path. It returns the F32
// tensors in file order (by data offset) and the "__metadata__" map (nil when
// the file has none). See the package documentation for what is rejected.
func ReadSafetensors(path string) ([]Named, map[string]string, error) {
	r, size, closeFn, err := openSized(path)
	if err != nil {
		return nil, nil, err
	}
	defer closeFn()
	return decodeSafetensors(r, size, path)
}

// DecodeSafetensors decodes a safetensors file held in data; name stands for
// the file in error messages. Results are as for ReadSafetensors.
func DecodeSafetensors(data []byte, name string) ([]Named, map[string]string, error) {
	return decodeSafetensors(bytes.NewReader(data), int64(len(data)), name)
}

// stEntry is one tensor entry of a safetensors header.
type stEntry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
	skip       bool // an I64 num_batches_tracked buffer
}

func decodeSafetensors(r io.Reader, size int64, name string) ([]Named, map[string]string, error) {
	if size < 8 {
		return nil, nil, truncatedErr(name, "file is %d bytes, shorter than the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, nil, ioErr(name, "reading header length", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	rest := size - 8
	if n > MaxSafetensorsHeader {
		return nil, nil, formatErr(name, "header length %d exceeds the limit of %d bytes", n, MaxSafetensorsHeader)
	}
	if n > uint64(rest) {
		return nil, nil, truncatedErr(name, "header length %d is larger than the rest of the file (%d bytes)", n, rest)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, nil, ioErr(name, "reading header", err)
	}
	entries, meta, err := parseSafetensorsHeader(name, header, rest-int64(n))
	if err != nil {
		return nil, nil, err
	}
	out := make([]Named, 0, len(entries))
	buf := make([]byte, chunkBytes)
	for _, e := range entries {
		if e.skip {
			if _, err := io.CopyN(io.Discard, r, e.end-e.begin); err != nil {
				return nil, nil, ioErr(name, "reading tensor "+strconv.Quote(e.name), err)
			}
			continue
		}
		t := tensor.New(e.shape...)
		if err := readFloat32s(r, t.Data, buf); err != nil {
			return nil, nil, ioErr(name, "reading tensor "+strconv.Quote(e.name), err)
		}
		out = append(out, Named{Name: e.name, T: t})
	}
	return out, meta, nil
}

// parseSafetensorsHeader parses and validates the JSON header against a data
// buffer of bufLen bytes. Entries come back sorted by data offset.
func parseSafetensorsHeader(name string, header []byte, bufLen int64) ([]stEntry, map[string]string, error) {
	if !utf8.Valid(header) {
		return nil, nil, formatErr(name, "header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	jsonErr := func(err error) error {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return formatErr(name, "header is not valid JSON: %v (at byte %d)", err, se.Offset)
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return formatErr(name, "header is not valid JSON: unexpected end of header")
		}
		return formatErr(name, "header is not valid JSON: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, jsonErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, formatErr(name, "header is not a JSON object")
	}
	var (
		entries []stEntry
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, jsonErr(err)
		}
		key, ok := tok.(string)
		if !ok { // cannot happen: Token only returns strings as object keys
			return nil, nil, formatErr(name, "header has a non-string key")
		}
		if seen[key] && key == metadataKey {
			return nil, nil, formatErr(name, "header has duplicate key %q", key)
		}
		if seen[key] {
			return nil, nil, formatErr(name, "duplicate tensor name %q", key)
		}
		seen[key] = true
		if key == metadataKey {
			if meta, err = parseMetadata(name, dec, jsonErr); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := parseEntry(name, key, dec, jsonErr)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, jsonErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, formatErr(name, "header has data after the JSON object")
	}

	var maxEnd int64
	for i := range entries {
		if err := checkEntry(name, &entries[i]); err != nil {
			return nil, nil, err
		}
		maxEnd = max(maxEnd, entries[i].end)
	}
	if maxEnd > bufLen {
		return nil, nil, truncatedErr(name, "truncated: header promises %d bytes of data, file has %d", maxEnd, bufLen)
	}
	// Stable, so that zero-size tensors sharing an offset keep header order.
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		return a.end < b.end
	})
	var pos int64
	for i, e := range entries {
		switch {
		case e.begin < pos:
			p := entries[i-1]
			return nil, nil, formatErr(name, "tensor %q (bytes %d..%d) overlaps tensor %q (bytes %d..%d)",
				e.name, e.begin, e.end, p.name, p.begin, p.end)
		case e.begin > pos && i == 0:
			return nil, nil, formatErr(name, "gap: %d unused bytes before the first tensor %q", e.begin-pos, e.name)
		case e.begin > pos:
			return nil, nil, formatErr(name, "gap: %d unused bytes between tensors %q and %q",
				e.begin-pos, entries[i-1].name, e.name)
		}
		pos = e.end
	}
	if pos < bufLen {
		return nil, nil, formatErr(name, "%d trailing bytes after the last tensor", bufLen-pos)
	}
	return entries, meta, nil
}

// checkEntry validates one header entry on its own: dtype, shape, offsets.
func checkEntry(name string, e *stEntry) error {
	size, known := dtypeSize[e.dtype]
	switch {
	case e.dtype == "F32":
	case e.dtype == "I64" && strings.HasSuffix(e.name, skippableSuffix):
		e.skip = true
	case e.dtype == "I64":
		return formatErr(name, "tensor %q: dtype I64 not supported, want F32 (only *%s may be I64)", e.name, skippableSuffix)
	case known:
		return formatErr(name, "tensor %q: dtype %s not supported, want F32", e.name, e.dtype)
	default:
		return formatErr(name, "tensor %q: unknown dtype %q, want F32", e.name, e.dtype)
	}
	if e.end < e.begin {
		return formatErr(name, "tensor %q: data_offsets [%d, %d] end before they begin", e.name, e.begin, e.end)
	}
	numel, ok := checkedNumel(e.shape, math.MaxInt64/size)
	if !ok || numel > math.MaxInt {
		return formatErr(name, "tensor %q: shape %v is too large", e.name, tensor.Shape(e.shape))
	}
	if want := numel * size; e.end-e.begin != want {
		return formatErr(name, "tensor %q: shape %v of %s needs %d bytes, data_offsets [%d, %d] hold %d",
			e.name, tensor.Shape(e.shape), e.dtype, want, e.begin, e.end, e.end-e.begin)
	}
	return nil
}

// parseMetadata reads the "__metadata__" value: an object of strings, or null.
func parseMetadata(name string, dec *json.Decoder, jsonErr func(error) error) (map[string]string, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err)
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, formatErr(name, "%s is not a JSON object", metadataKey)
	}
	meta := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err)
		}
		key, _ := tok.(string)
		if _, dup := meta[key]; dup {
			return nil, formatErr(name, "%s has duplicate key %q", metadataKey, key)
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, jsonErr(err)
		}
		v, ok := tok.(string)
		if !ok {
			return nil, formatErr(name, "%s value of %q is not a string", metadataKey, key)
		}
		meta[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(err)
	}
	return meta, nil
}

// parseEntry reads one tensor entry {"dtype": .., "shape": [..], "data_offsets": [b, e]}.
func parseEntry(name, key string, dec *json.Decoder, jsonErr func(error) error) (stEntry, error) {
	e := stEntry{name: key}
	bad := func(format string, args ...any) (stEntry, error) {
		return e, formatErr(name, "tensor %q: "+format, append([]any{key}, args...)...)
	}
	tok, err := dec.Token()
	if err != nil {
		return e, jsonErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return bad("entry is not a JSON object")
	}
	var hasDtype, hasShape, hasOffsets bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return e, jsonErr(err)
		}
		field, _ := tok.(string)
		dup := false
		switch field {
		case "dtype":
			dup, hasDtype = hasDtype, true
			if dup {
				break
			}
			tok, err := dec.Token()
			if err != nil {
				return e, jsonErr(err)
			}
			s, ok := tok.(string)
			if !ok {
				return bad("dtype is not a string")
			}
			e.dtype = s
		case "shape":
			dup, hasShape = hasShape, true
			if dup {
				break
			}
			dims, problem, err := parseIntArray(dec, jsonErr, MaxDims, "dimensions")
			if err != nil {
				return e, err
			}
			if problem != "" {
				return bad("shape: %s", problem)
			}
			e.shape = make([]int, len(dims))
			for i, d := range dims {
				if d < 0 {
					return bad("negative dimension %d in shape %v", d, dims)
				}
				if d > math.MaxInt {
					return bad("dimension %d too large", d)
				}
				e.shape[i] = int(d)
			}
		case "data_offsets":
			dup, hasOffsets = hasOffsets, true
			if dup {
				break
			}
			offs, problem, err := parseIntArray(dec, jsonErr, 2, "numbers")
			if err != nil {
				return e, err
			}
			if problem != "" {
				return bad("data_offsets: %s", problem)
			}
			if len(offs) != 2 {
				return bad("data_offsets has %d of 2 numbers [begin, end]", len(offs))
			}
			if offs[0] < 0 || offs[1] < 0 {
				return bad("negative data_offsets %v", offs)
			}
			e.begin, e.end = offs[0], offs[1]
		default:
			return bad("unknown field %q (want dtype, shape, data_offsets)", field)
		}
		if dup {
			return bad("duplicate field %q", field)
		}
	}
	if _, err := dec.Token(); err != nil {
		return e, jsonErr(err)
	}
	switch {
	case !hasDtype:
		return bad("missing \"dtype\"")
	case !hasShape:
		return bad("missing \"shape\"")
	case !hasOffsets:
		return bad("missing \"data_offsets\"")
	}
	return e, nil
}

// parseIntArray reads a JSON array of at most limit integers (noun names
// them in the message when there are more). A JSON syntax
// error comes back as err, already formatted by jsonErr; a well-formed value
// that is not such an array comes back as a non-empty problem.
func parseIntArray(dec *json.Decoder, jsonErr func(error) error, limit int, noun string) (vals []int64, problem string, err error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, "", jsonErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, "not a JSON array", nil
	}
	vals = []int64{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", jsonErr(err)
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Sprintf("element %d is not a number", len(vals)), nil
		}
		v, err := strconv.ParseInt(num.String(), 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("%s is not an integer in the int64 range", num), nil
		}
		if len(vals) == limit {
			return nil, fmt.Sprintf("more than %d %s", limit, noun), nil
		}
		vals = append(vals, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, "", jsonErr(err)
	}
	return vals, "", nil
}

// EncodeSafetensors writes tensors as an F32 safetensors file to w: header
// keys and data in the order given, metadata (may be nil) first with sorted
// keys. Names must be unique, valid UTF-8 and not "__metadata__".
func EncodeSafetensors(w io.Writer, tensors []Named, metadata map[string]string) error {
	header, err := safetensorsHeader("safetensors", tensors, metadata)
	if err != nil {
		return err
	}
	return writeSafetensorsBody(w, header, tensors)
}

// WriteSafetensors writes tensors and metadata as EncodeSafetensors does to
// path, replacing it atomically.
func WriteSafetensors(path string, tensors []Named, metadata map[string]string) error {
	header, err := safetensorsHeader(path, tensors, metadata)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		return writeSafetensorsBody(w, header, tensors)
	})
}

func writeSafetensorsBody(w io.Writer, header []byte, tensors []Named) error {
	if _, err := w.Write(header); err != nil {
		return err
	}
	buf := make([]byte, chunkBytes)
	for _, nt := range tensors {
		if err := writeFloat32s(w, nt.T.Data, buf); err != nil {
			return err
		}
	}
	return nil
}

// safetensorsHeader validates the tensors and returns the 8-byte length
// prefix followed by the padded JSON header.
func safetensorsHeader(file string, tensors []Named, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.Write(make([]byte, 8)) // length, filled in below
	b.WriteByte('{')
	comma := false
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, formatErr(file, "metadata %q: key or value is not valid UTF-8", k)
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		writeJSONString(&b, metadataKey)
		b.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, metadata[k])
		}
		b.WriteByte('}')
		comma = true
	}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for _, nt := range tensors {
		what := "tensor " + strconv.Quote(nt.Name)
		switch {
		case nt.Name == metadataKey:
			return nil, formatErr(file, "tensor name %q is reserved", metadataKey)
		case !utf8.ValidString(nt.Name):
			return nil, formatErr(file, "%s: name is not valid UTF-8", what)
		case seen[nt.Name]:
			return nil, formatErr(file, "duplicate tensor name %q", nt.Name)
		}
		seen[nt.Name] = true
		if err := checkTensor(file, what, nt.T); err != nil {
			return nil, err
		}
		size := 4 * int64(len(nt.T.Data))
		if comma {
			b.WriteByte(',')
		}
		comma = true
		writeJSONString(&b, nt.Name)
		b.WriteString(`:{"dtype":"F32","shape":[`)
		for i, d := range nt.T.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		b.WriteString(`],"data_offsets":[`)
		b.WriteString(strconv.FormatInt(off, 10))
		b.WriteByte(',')
		b.WriteString(strconv.FormatInt(off+size, 10))
		b.WriteString("]}")
		off += size
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	out := b.Bytes()
	n := len(out) - 8
	if n > MaxSafetensorsHeader {
		return nil, formatErr(file, "header would be %d bytes, limit %d", n, MaxSafetensorsHeader)
	}
	binary.LittleEndian.PutUint64(out, uint64(n))
	return out, nil
}

// writeJSONString writes s (valid UTF-8) as a JSON string literal.
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
