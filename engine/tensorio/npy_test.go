package tensorio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// npyFile builds a .npy file from a literal header (used as is: no padding,
// no newline added) and data.
func npyFile(major byte, header string, data []byte) []byte {
	out := append([]byte("\x93NUMPY"), major, 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(header)))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(header)))
	}
	out = append(out, header...)
	return append(out, data...)
}

// The bytes numpy >= 1.23 writes for np.save(f, np.arange(6, dtype='<f4').reshape(2, 3) + 0.5),
// derived by hand from the format description (numpy/lib/format.py):
//   - magic "\x93NUMPY", version 1.0, uint16 header length;
//   - dict "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" (59 bytes);
//   - 21-len("2") = 20 spaces of room to grow the first axis;
//   - spaces and a final '\n' so that magic+length+header is a multiple of
//     64: 10 + 59 + 20 + 1 = 90, so 38 more spaces and 128 bytes in all,
//     header length 118 = 0x76;
//   - data in C order.
func TestEncodeNPYMatchesNumpyBytes(t *testing.T) {
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	want := concat(
		[]byte("\x93NUMPY\x01\x00\x76\x00"),
		[]byte(dict),
		[]byte(strings.Repeat(" ", 20+38)),
		[]byte("\n"),
		f32le(0.5, 1.5, 2.5, 3.5, 4.5, 5.5),
	)
	if len(dict) != 59 || len(want) != 128+24 {
		t.Fatalf("test golden miscounted: dict %d, file %d", len(dict), len(want))
	}
	var buf bytes.Buffer
	if err := EncodeNPY(&buf, seq(2, 3)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("encoded\n%q\nwant\n%q", buf.Bytes(), want)
	}
}

// np.save(f, np.float32(1.5)): shape (), no growth room; 10 + 55 + 1 = 66,
// so 62 spaces, again 128 bytes and header length 118.
func TestEncodeNPYScalarMatchesNumpyBytes(t *testing.T) {
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"
	want := concat([]byte("\x93NUMPY\x01\x00\x76\x00"), []byte(dict), []byte(strings.Repeat(" ", 62)+"\n"), f32le(1.5))
	var buf bytes.Buffer
	if err := EncodeNPY(&buf, tensor.FromData([]float32{1.5})); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("encoded\n%q\nwant\n%q", buf.Bytes(), want)
	}
}

func TestEncodeNPYAlignsDataTo64(t *testing.T) {
	for _, shape := range [][]int{{}, {1}, {7}, {1, 1000}, {123456789, 0}, {1, 3, 224, 224}, make([]int, MaxDims)} {
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, tensor.New(shape...)); err != nil {
			t.Fatal(err)
		}
		hlen := int(binary.LittleEndian.Uint16(buf.Bytes()[8:]))
		if (10+hlen)%64 != 0 || buf.Bytes()[10+hlen-1] != '\n' {
			t.Errorf("shape %v: data starts at byte %d", shape, 10+hlen)
		}
	}
}

func TestNPYRoundTrip(t *testing.T) {
	odd := tensor.New(5)
	odd.Data[0] = float32(math.NaN())
	odd.Data[1] = float32(math.Inf(1))
	odd.Data[2] = float32(math.Inf(-1))
	odd.Data[3] = float32(math.Copysign(0, -1))
	odd.Data[4] = math.SmallestNonzeroFloat32
	for _, in := range []*tensor.Tensor{seq(), seq(0), seq(5), seq(2, 0, 3), seq(1, 3, 4, 4), seq(1, 1000), odd} {
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, in); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeNPY(buf.Bytes(), "mem.npy")
		if err != nil {
			t.Fatalf("shape %v: %v", in.Shape, err)
		}
		if !sameTensor(got, in) {
			t.Errorf("shape %v: got %v %v, want %v", in.Shape, got.Shape, got.Data, in.Data)
		}
	}
}

func TestWriteReadNPYFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logits.npy")
	want := seq(2, 1000)
	if err := WriteNPY(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTensor(got, want) {
		t.Error("read back a different tensor")
	}
	// Overwrite, and fail to overwrite: the file stays whole, no temp files.
	if err := WriteNPY(path, seq(3)); err != nil {
		t.Fatal(err)
	}
	if err := WriteNPY(path, nil); err == nil {
		t.Fatal("writing nil succeeded")
	}
	if got, err = ReadNPY(path); err != nil || !sameTensor(got, seq(3)) {
		t.Fatalf("after overwrite: %v %v", got, err)
	}
	noTempFiles(t, dir, "logits.npy")
}

// Files other writers produce: older numpy (16-byte alignment, no growth
// room), Python 2 long integers, versions 2.0 and 3.0, float64, and headers
// written by hand with double quotes, odd spacing or no trailing comma.
func TestDecodeNPYAcceptsOtherWriters(t *testing.T) {
	d6 := f32le(0.5, 1.5, 2.5, 3.5, 4.5, 5.5)
	old := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	old += strings.Repeat(" ", 80-10-len(old)-1) + "\n" // total 80: 16-byte aligned
	var f64 []byte
	for _, v := range []float64{0.5, 1.5, 2.5, 3.5, 4.5, 5.5} {
		f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(v))
	}
	want := seq(2, 3)
	cases := []struct {
		name string
		data []byte
	}{
		{"numpy 1.x, 16-byte aligned", npyFile(1, old, d6)},
		{"python 2 longs", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n", d6)},
		{"version 2.0", npyFile(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", d6)},
		{"version 3.0", npyFile(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", d6)},
		{"float64 converted", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", f64)},
		{"keys in any order, double quotes", npyFile(1, `{"shape":(2,3),"fortran_order":False,"descr":"<f4"}`, d6)},
		{"spacing and newlines, no trailing newline", npyFile(1, "{ 'descr' :'<f4' ,\n 'fortran_order':False,'shape':( 2 , 3 , ) }", d6)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeNPY(c.data, "x.npy")
			if err != nil {
				t.Fatal(err)
			}
			if !sameTensor(got, want) {
				t.Errorf("got %v %v, want %v %v", got.Shape, got.Data, want.Shape, want.Data)
			}
		})
	}
}

func TestDecodeNPYShapes(t *testing.T) {
	for _, c := range []struct {
		shape string
		want  tensor.Shape
	}{{"()", nil}, {"(5,)", tensor.Shape{5}}, {"(0,)", tensor.Shape{0}}, {"(1, 3, 2, 2)", tensor.Shape{1, 3, 2, 2}}, {"(3, 0, 2000000000)", tensor.Shape{3, 0, 2000000000}}} {
		n := 1
		for _, d := range c.want {
			n *= d
		}
		data := npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': "+c.shape+", }\n", make([]byte, 4*n))
		got, err := DecodeNPY(data, "x.npy")
		if err != nil {
			t.Fatalf("shape %s: %v", c.shape, err)
		}
		if !got.Shape.Equal(c.want) || len(got.Data) != n {
			t.Errorf("shape %s: got %v with %d elements", c.shape, got.Shape, len(got.Data))
		}
	}
}

func TestDecodeNPYRejects(t *testing.T) {
	const file = "x.npy"
	hdr := func(descr, fortran, shape string) string {
		return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n"
	}
	good := hdr("'<f4'", "False", "(2,)")
	tooLong := append([]byte("\x93NUMPY\x02\x00"), binary.LittleEndian.AppendUint32(nil, MaxNPYHeader+1)...)
	tooLong = append(tooLong, make([]byte, MaxNPYHeader+1)...)
	cases := []struct {
		name      string
		data      []byte
		want      string
		truncated bool
	}{
		{"empty file", nil, "file is 0 bytes, too short for a .npy header", true},
		{"short file", []byte("\x93NUMPY\x01"), "file is 7 bytes, too short for a .npy header", true},
		{"bad magic", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00more"), `not a .npy file: starts with "PK\x03\x04\x14\x00", want "\x93NUMPY"`, false},
		{"version 4.0", npyFile(4, good, f32le(1, 2)), "unsupported .npy format version 4.0, want 1.0, 2.0 or 3.0", false},
		{"version 1.1", append([]byte("\x93NUMPY\x01\x01"), npyFile(1, good, f32le(1, 2))[8:]...), "unsupported .npy format version 1.1", false},
		{"version 2.0 cut in its length", []byte("\x93NUMPY\x02\x00\x10\x00"), "file is 10 bytes, too short for a version 2.0 .npy header", true},
		{"truncated header", npyFile(1, good, nil)[:40], "truncated header: header length 58 but only 30 bytes follow", true},
		{"header over the limit", tooLong, "header length 1048577 exceeds the limit of 1048576 bytes", false},
		{"header not a dict", npyFile(1, "(1, 2)\n", nil), "malformed header: want '{', found '(' at byte 0", false},
		{"header empty", npyFile(1, "", nil), "malformed header: want '{', found end of header at byte 0", false},
		{"missing colon", npyFile(1, "{'descr' '<f4'}", nil), "malformed header: want ':' after key 'descr', found '\\'' at byte 9", false},
		{"missing comma", npyFile(1, "{'descr': '<f4' 'shape': ()}", nil), "malformed header: want ',' or '}' after the value of 'descr'", false},
		{"unclosed string", npyFile(1, "{'descr: '<f4'}", nil), "malformed header", false},
		{"unclosed dict", npyFile(1, "{'descr': '<f4', ", nil), "want a value, found end of header", false},
		{"data after dict", npyFile(1, good[:len(good)-1]+" x\n", f32le(1, 2)), "malformed header: unexpected 'x' after the dict", false},
		{"escape in string", npyFile(1, `{'descr': '\x3cf4'}`, nil), "escape sequences in strings are not supported", false},
		{"float dimension", npyFile(1, hdr("'<f4'", "False", "(2.0,)"), nil), "malformed header: unsupported number", false},
		{"huge integer", npyFile(1, hdr("'<f4'", "False", "(99999999999999999999,)"), nil), "integer 99999999999999999999 out of range", false},
		{"unknown name", npyFile(1, hdr("'<f4'", "false", "(2,)"), nil), `unsupported name "false"`, false},
		{"non-string key", npyFile(1, "{1: 2}", nil), "dict key 1 is not a string", false},
		{"nesting too deep", npyFile(1, "{'shape': "+strings.Repeat("(", 40)+"}", nil), "nesting deeper than 16", false},
		{"missing key", npyFile(1, "{'descr': '<f4', 'shape': (2,), }", f32le(1, 2)), "header is missing key 'fortran_order'", false},
		{"extra key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", f32le(1, 2)),
			"header has unexpected key 'x' (want 'descr', 'fortran_order', 'shape')", false},
		{"repeated key", npyFile(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", f32le(1, 2)), "header repeats key 'descr'", false},
		{"int64 data", npyFile(1, hdr("'<i8'", "False", "(2,)"), make([]byte, 16)), "dtype '<i8' not supported, want '<f4' (float32)", false},
		{"float16 data", npyFile(1, hdr("'<f2'", "False", "(2,)"), make([]byte, 4)), "dtype '<f2' not supported, want '<f4' (float32)", false},
		{"big-endian float32", npyFile(1, hdr("'>f4'", "False", "(2,)"), make([]byte, 8)), "dtype '>f4' is big-endian, not supported; want '<f4' (float32)", false},
		{"big-endian float64", npyFile(1, hdr("'>f8'", "False", "(2,)"), make([]byte, 16)), "dtype '>f8' is big-endian", false},
		{"structured dtype", npyFile(1, hdr("[('x', '<f4'), ('y', '<f4')]", "False", "(2,)"), make([]byte, 16)),
			"dtype [('x', '<f4'), ('y', '<f4')] not supported, want '<f4' (float32)", false},
		{"fortran order", npyFile(1, hdr("'<f4'", "True", "(2, 2)"), make([]byte, 16)), "fortran_order True not supported, want C order", false},
		{"fortran_order not a bool", npyFile(1, hdr("'<f4'", "0", "(2,)"), make([]byte, 8)), "fortran_order 0 is not True or False", false},
		{"shape a list", npyFile(1, hdr("'<f4'", "False", "[2]"), make([]byte, 8)), "shape [2] is not a tuple of integers", false},
		{"shape without comma is an int", npyFile(1, hdr("'<f4'", "False", "(2)"), make([]byte, 8)), "shape 2 is not a tuple of integers", false},
		{"shape of strings", npyFile(1, hdr("'<f4'", "False", "('2',)"), make([]byte, 8)), "shape ('2',) is not a tuple of integers", false},
		{"negative dimension", npyFile(1, hdr("'<f4'", "False", "(-2, 3)"), nil), "negative dimension -2 in shape (-2, 3)", false},
		{"too many dimensions", npyFile(1, hdr("'<f4'", "False", "("+strings.Repeat("1, ", 65)+")"), f32le(1)), "shape has 65 dimensions, limit 64", false},
		{"shape too large", npyFile(1, hdr("'<f4'", "False", "(4611686018427387904, 4)"), nil), "shape (4611686018427387904, 4) is too large", false},
		{"truncated data", npyFile(1, hdr("'<f4'", "False", "(2, 3)"), make([]byte, 20)),
			"truncated: shape (2, 3) of '<f4' needs 24 bytes of data, file has 20", true},
		{"truncated float64 data", npyFile(1, hdr("'<f8'", "False", "(2,)"), make([]byte, 8)),
			"truncated: shape (2,) of '<f8' needs 16 bytes of data, file has 8", true},
		{"trailing data", npyFile(1, good, make([]byte, 9)), "1 trailing bytes after the data of shape (2,) of '<f4' (8 bytes)", false},
		{"control bytes quoted", npyFile(1, hdr("'<f4\x00\x85'", "False", "(2,)"), nil), `dtype "<f4\x00\x85" not supported`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeNPY(c.data, file)
			if got != nil {
				t.Errorf("returned a tensor along with the error")
			}
			checkErr(t, err, file, c.want)
			t.Log(err)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FormatError", err)
			}
			if is := errors.Is(err, io.ErrUnexpectedEOF); is != c.truncated {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", is, c.truncated)
			}
		})
	}
}

func TestReadNPYErrorsNameThePath(t *testing.T) {
	path := writeRaw(t, "in.npy", npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 8)))
	_, err := ReadNPY(path)
	checkErr(t, err, path, "dtype '<i8' not supported, want '<f4' (float32)")

	missing := filepath.Join(t.TempDir(), "missing.npy")
	if _, err := ReadNPY(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v does not name %s", err, missing)
	}
	dir := t.TempDir()
	if _, err := ReadNPY(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: error %v does not name %s", err, dir)
	}
}

func TestEncodeNPYRejects(t *testing.T) {
	cases := []struct {
		name string
		t    *tensor.Tensor
		want string
	}{
		{"nil", nil, "tensor: nil tensor"},
		{"data shorter than shape", &tensor.Tensor{Shape: tensor.Shape{3}, Data: make([]float32, 2)}, "tensor: shape [3] holds 3 elements but Data has 2"},
		{"negative dimension", &tensor.Tensor{Shape: tensor.Shape{2, -1}}, "tensor: negative dimension in shape [2 -1]"},
		{"too many dimensions", &tensor.Tensor{Shape: make(tensor.Shape, 65)}, "tensor: 65 dimensions, limit 64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			checkErr(t, EncodeNPY(&buf, c.t), "npy", c.want)
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "out.npy")
			checkErr(t, WriteNPY(path, c.t), path, c.want)
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("failed write left %s behind", path)
			}
			noTempFiles(t, dir)
		})
	}
}
