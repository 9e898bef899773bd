package tensorio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// stFile builds a safetensors file from a literal JSON header and a data
// buffer; the header is used as is, without padding.
func stFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func sameNamed(t *testing.T, got, want []Named) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name {
			t.Errorf("tensor %d: name %q, want %q", i, got[i].Name, want[i].Name)
		}
		if !sameTensor(got[i].T, want[i].T) {
			t.Errorf("tensor %q: got %v %v, want %v %v", want[i].Name,
				got[i].T.Shape, got[i].T.Data, want[i].T.Shape, want[i].T.Data)
		}
	}
}

func roundTripTensors() []Named {
	odd := tensor.New(3)
	odd.Data[0] = float32(math.NaN())
	odd.Data[1] = float32(math.Inf(-1))
	odd.Data[2] = float32(math.Copysign(0, -1))
	return []Named{
		{"features.0.weight", seq(4, 3, 3, 3)},
		{"features.0.bias", seq(4)},
		{"bn.running_mean", seq()},      // scalar, shape []
		{"empty", seq(0, 3)},            // zero-size
		{"zz.comes.before.a", seq(2)},   // order is not alphabetical
		{"empty.too", seq(5, 0)},        // zero-size right after another
		{`quote " and \ and é`, seq(1)}, // needs JSON escaping
		{"specials", odd},
	}
}

func TestSafetensorsRoundTripKeepsOrderShapesAndBits(t *testing.T) {
	want := roundTripTensors()
	meta := map[string]string{"format": "pt", "note": "line\nbreak"}
	var buf bytes.Buffer
	if err := EncodeSafetensors(&buf, want, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := DecodeSafetensors(buf.Bytes(), "mem")
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, want)
	if len(gotMeta) != len(meta) || gotMeta["format"] != "pt" || gotMeta["note"] != "line\nbreak" {
		t.Errorf("metadata %v, want %v", gotMeta, meta)
	}
}

func TestSafetensorsRoundTripWithoutTensorsOrMetadata(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeSafetensors(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, meta, err := DecodeSafetensors(buf.Bytes(), "mem")
	if err != nil || len(got) != 0 || meta != nil {
		t.Fatalf("got %v %v %v, want nothing", got, meta, err)
	}
}

func TestWriteReadSafetensorsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	want := roundTripTensors()
	if err := WriteSafetensors(path, want, nil); err != nil {
		t.Fatal(err)
	}
	got, meta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, want)
	if meta != nil {
		t.Errorf("metadata %v, want nil", meta)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", st.Mode().Perm())
	}
	noTempFiles(t, dir, "w.safetensors")
}

// A large tensor crosses many conversion chunks on the streaming path.
func TestReadSafetensorsLargeTensorSpansChunks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.safetensors")
	want := []Named{{"a", seq(3)}, {"big", seq(3*chunkBytes/4 + 5)}, {"c", seq(2, 2)}}
	if err := WriteSafetensors(path, want, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, want)
}

// The exact bytes: length prefix, header keys in the given order with
// __metadata__ first, space padding to a multiple of 8, contiguous data.
func TestEncodeSafetensorsGoldenBytes(t *testing.T) {
	tensors := []Named{
		{"w", tensor.FromData([]float32{1, 2}, 2)},
		{"b", tensor.FromData([]float32{-1}, 1)},
	}
	var buf bytes.Buffer
	if err := EncodeSafetensors(&buf, tensors, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"k":"v"},` +
		`"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`
	// 133 bytes of JSON, padded with 3 spaces to 136.
	if len(header) != 133 {
		t.Fatalf("test header is %d bytes, recount", len(header))
	}
	header += strings.Repeat(" ", 3)
	want := concat(
		[]byte{136, 0, 0, 0, 0, 0, 0, 0},
		[]byte(header),
		[]byte{0, 0, 0x80, 0x3f}, // 1.0
		[]byte{0, 0, 0x00, 0x40}, // 2.0
		[]byte{0, 0, 0x80, 0xbf}, // -1.0
	)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("encoded\n%q\nwant\n%q", buf.Bytes(), want)
	}
}

func TestDecodeSafetensorsSortsByDataOffset(t *testing.T) {
	header := `{"second":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},` +
		`"first":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	got, _, err := DecodeSafetensors(stFile(header, f32le(1, 2)), "x")
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, []Named{
		{"first", tensor.FromData([]float32{1}, 1)},
		{"second", tensor.FromData([]float32{2}, 1)},
	})
}

func TestDecodeSafetensorsSkipsNumBatchesTrackedI64(t *testing.T) {
	// As torch writes a BatchNorm2d state dict: the I64 counter sits
	// between the F32 tensors.
	header := `{"__metadata__":{"format":"pt"},` +
		`"bn1.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"bn1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[8,16]},` +
		`"bn1.bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}`
	data := concat(f32le(1, 2), binary.LittleEndian.AppendUint64(nil, 12345), f32le(3, 4))
	got, meta, err := DecodeSafetensors(stFile(header, data), "bn.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, []Named{
		{"bn1.weight", tensor.FromData([]float32{1, 2}, 2)},
		{"bn1.bias", tensor.FromData([]float32{3, 4}, 2)},
	})
	if meta["format"] != "pt" {
		t.Errorf("metadata %v", meta)
	}
}

func TestDecodeSafetensorsAcceptsNullMetadataAndWhitespace(t *testing.T) {
	header := " {\n\t\"__metadata__\" : null , \"a\" : {\"shape\":[1],\"data_offsets\":[0,4],\"dtype\":\"F32\"}}  \n "
	got, meta, err := DecodeSafetensors(stFile(header, f32le(7)), "x")
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil || len(got) != 1 || got[0].T.Data[0] != 7 {
		t.Errorf("got %v %v", got, meta)
	}
}

func TestDecodeSafetensorsRejects(t *testing.T) {
	const file = "bad.safetensors"
	f32 := func(name string, shape string, begin, end int) string {
		return `"` + name + `":{"dtype":"F32","shape":` + shape + `,"data_offsets":[` +
			strconv.Itoa(begin) + `,` + strconv.Itoa(end) + `]}`
	}
	ok := f32("a", "[2]", 0, 8)
	hugeLen := binary.LittleEndian.AppendUint64(nil, 200_000_000)
	cases := []struct {
		name      string
		data      []byte
		want      string
		truncated bool
	}{
		{"empty file", nil, "file is 0 bytes, shorter than the 8-byte header length", true},
		{"file shorter than 8 bytes", []byte{1, 2, 3}, "file is 3 bytes, shorter than the 8-byte header length", true},
		{"header longer than file", concat(binary.LittleEndian.AppendUint64(nil, 100), []byte("{}")),
			"header length 100 is larger than the rest of the file (2 bytes)", true},
		{"absurd header length", concat(hugeLen, []byte("{}")), "header length 200000000 exceeds the limit of 100000000 bytes", false},
		{"empty header", stFile("", nil), "header is not valid JSON: unexpected end of header", false},
		{"header not JSON", stFile("{nope}", nil), "header is not valid JSON: invalid character 'n'", false},
		{"header JSON cut short", stFile(`{"a":{"dtype":"F32"`, nil), "header is not valid JSON: unexpected end of header", false},
		{"header not an object", stFile(`[1,2]`, nil), "header is not a JSON object", false},
		{"header a string", stFile(`"x"`, nil), "header is not a JSON object", false},
		{"header not UTF-8", stFile("{\"\xff\":1}", nil), "header is not valid UTF-8", false},
		{"data after header object", stFile(`{} {}`, nil), "header has data after the JSON object", false},
		{"garbage after header object", stFile(`{}x`, nil), "header has data after the JSON object", false},
		{"entry not an object", stFile(`{"a":[1]}`, nil), `tensor "a": entry is not a JSON object`, false},
		{"missing dtype", stFile(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, f32le(1)), `tensor "a": missing "dtype"`, false},
		{"missing shape", stFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, f32le(1)), `tensor "a": missing "shape"`, false},
		{"missing data_offsets", stFile(`{"a":{"dtype":"F32","shape":[1]}}`, f32le(1)), `tensor "a": missing "data_offsets"`, false},
		{"unknown field", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, f32le(1)), `tensor "a": unknown field "x"`, false},
		{"duplicate field", stFile(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32le(1)), `tensor "a": duplicate field "dtype"`, false},
		{"dtype not a string", stFile(`{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, f32le(1)), `tensor "a": dtype is not a string`, false},
		{"shape not an array", stFile(`{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}`, f32le(1)), `tensor "a": shape: not a JSON array`, false},
		{"shape of strings", stFile(`{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, f32le(1)), `tensor "a": shape: element 0 is not a number`, false},
		{"fractional dimension", stFile(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, f32le(1)), `tensor "a": shape: 1.5 is not an integer`, false},
		{"negative dimension", stFile(`{`+f32("a", "[-1,2]", 0, 8)+`}`, f32le(1, 2)), `tensor "a": negative dimension -1 in shape [-1 2]`, false},
		{"too many dimensions", stFile(`{`+f32("a", "["+strings.Repeat("1,", 64)+"1]", 0, 4)+`}`, f32le(1)), `tensor "a": shape: more than 64 dimensions`, false},
		{"shape too large", stFile(`{`+f32("a", "[4611686018427387904,4]", 0, 4)+`}`, f32le(1)), `tensor "a": shape [4611686018427387904 4] is too large`, false},
		{"one offset", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, f32le(1)), `tensor "a": data_offsets has 1 of 2 numbers [begin, end]`, false},
		{"three offsets", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, f32le(1)), `tensor "a": data_offsets: more than 2 numbers`, false},
		{"negative offset", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, f32le(1)), `tensor "a": negative data_offsets [-4 0]`, false},
		{"end before begin", stFile(`{`+f32("a", "[1]", 8, 4)+`}`, f32le(1, 2)), `tensor "a": data_offsets [8, 4] end before they begin`, false},
		{"byte size not numel*4", stFile(`{`+f32("a", "[2,3]", 0, 20)+`}`, make([]byte, 20)),
			`tensor "a": shape [2 3] of F32 needs 24 bytes, data_offsets [0, 20] hold 20`, false},
		{"truncated data", stFile(`{`+ok+`,`+f32("b", "[2]", 8, 16)+`}`, f32le(1, 2, 3)),
			"truncated: header promises 16 bytes of data, file has 12", true},
		{"overlapping tensors", stFile(`{`+ok+`,`+f32("b", "[2]", 4, 12)+`}`, make([]byte, 12)),
			`tensor "b" (bytes 4..12) overlaps tensor "a" (bytes 0..8)`, false},
		{"same range twice", stFile(`{`+ok+`,`+f32("b", "[2]", 0, 8)+`}`, make([]byte, 8)),
			`tensor "b" (bytes 0..8) overlaps tensor "a" (bytes 0..8)`, false},
		{"gap between tensors", stFile(`{`+ok+`,`+f32("b", "[1]", 12, 16)+`}`, make([]byte, 16)),
			`gap: 4 unused bytes between tensors "a" and "b"`, false},
		{"gap before first tensor", stFile(`{`+f32("a", "[1]", 4, 8)+`}`, make([]byte, 8)),
			`gap: 4 unused bytes before the first tensor "a"`, false},
		{"trailing bytes", stFile(`{`+ok+`}`, make([]byte, 11)), "3 trailing bytes after the last tensor", false},
		{"data without tensors", stFile(`{}`, make([]byte, 4)), "4 trailing bytes after the last tensor", false},
		{"duplicate tensor names", stFile(`{`+ok+`,`+f32("a", "[2]", 8, 16)+`}`, make([]byte, 16)), `duplicate tensor name "a"`, false},
		{"duplicate names via escapes", stFile(`{`+ok+`,`+f32(`\u0061`, "[2]", 8, 16)+`}`, make([]byte, 16)), `duplicate tensor name "a"`, false},
		{"duplicate metadata", stFile(`{"__metadata__":{},"__metadata__":{}}`, nil), `header has duplicate key "__metadata__"`, false},
		{"metadata not an object", stFile(`{"__metadata__":[]}`, nil), "__metadata__ is not a JSON object", false},
		{"metadata value not a string", stFile(`{"__metadata__":{"epoch":3}}`, nil), `__metadata__ value of "epoch" is not a string`, false},
		{"metadata duplicate key", stFile(`{"__metadata__":{"k":"1","k":"2"}}`, nil), `__metadata__ has duplicate key "k"`, false},
		{"F64 tensor", stFile(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)),
			`tensor "a": dtype F64 not supported, want F32`, false},
		{"F16 tensor", stFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)),
			`tensor "a": dtype F16 not supported, want F32`, false},
		{"I64 tensor not num_batches_tracked", stFile(`{"fc.weight":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)),
			`tensor "fc.weight": dtype I64 not supported, want F32 (only *num_batches_tracked may be I64)`, false},
		{"num_batches_tracked with bad size", stFile(`{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)),
			`tensor "bn.num_batches_tracked": shape [] of I64 needs 8 bytes, data_offsets [0, 4] hold 4`, false},
		{"unknown dtype", stFile(`{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
			`tensor "a": unknown dtype "Q4", want F32`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := DecodeSafetensors(c.data, file)
			if got != nil {
				t.Errorf("returned tensors along with the error")
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

func TestReadSafetensorsErrorsNameThePath(t *testing.T) {
	path := writeRaw(t, "cut.safetensors", stFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, f32le(1, 2)))
	_, _, err := ReadSafetensors(path)
	checkErr(t, err, path, "truncated: header promises 16 bytes of data, file has 8")

	missing := filepath.Join(t.TempDir(), "missing.safetensors")
	if _, _, err := ReadSafetensors(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v does not name %s", err, missing)
	}
	dir := t.TempDir()
	if _, _, err := ReadSafetensors(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: error %v does not name %s", err, dir)
	}
}

func TestEncodeSafetensorsRejects(t *testing.T) {
	good := seq(2)
	cases := []struct {
		name    string
		tensors []Named
		meta    map[string]string
		want    string
	}{
		{"duplicate names", []Named{{"a", good}, {"b", good}, {"a", good}}, nil, `duplicate tensor name "a"`},
		{"reserved name", []Named{{"__metadata__", good}}, nil, `tensor name "__metadata__" is reserved`},
		{"nil tensor", []Named{{"a", nil}}, nil, `tensor "a": nil tensor`},
		{"data shorter than shape", []Named{{"a", &tensor.Tensor{Shape: tensor.Shape{2, 3}, Data: make([]float32, 5)}}}, nil,
			`tensor "a": shape [2 3] holds 6 elements but Data has 5`},
		{"negative dimension", []Named{{"a", &tensor.Tensor{Shape: tensor.Shape{-1}}}}, nil, `tensor "a": negative dimension in shape [-1]`},
		{"name not UTF-8", []Named{{"a\xff", good}}, nil, "name is not valid UTF-8"},
		{"metadata not UTF-8", nil, map[string]string{"k": "\xff"}, `metadata "k": key or value is not valid UTF-8`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := EncodeSafetensors(&buf, c.tensors, c.meta)
			checkErr(t, err, "safetensors", c.want)
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
			path := filepath.Join(t.TempDir(), "out.safetensors")
			checkErr(t, WriteSafetensors(path, c.tensors, c.meta), path, c.want)
			noTempFiles(t, filepath.Dir(path))
		})
	}
}

func TestWriteSafetensorsReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	first := []Named{{"a", seq(2)}}
	if err := WriteSafetensors(path, first, nil); err != nil {
		t.Fatal(err)
	}
	// A failed write leaves the old file untouched and no temporary file.
	if err := WriteSafetensors(path, []Named{{"a", nil}}, nil); err == nil {
		t.Fatal("writing a nil tensor succeeded")
	}
	got, _, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, first)
	second := []Named{{"b", seq(3, 1)}}
	if err := WriteSafetensors(path, second, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, err = ReadSafetensors(path); err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, second)
	noTempFiles(t, dir, "m.safetensors")

	bad := filepath.Join(dir, "no-such-dir", "x.safetensors")
	if err := WriteSafetensors(bad, first, nil); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("write into a missing directory: error %v does not start with the path", err)
	}
}

func TestCheckFiniteNamesTensorAndIndex(t *testing.T) {
	w := seq(2, 3, 3, 3)
	if err := CheckFinite(Named{"features.0.weight", w}); err != nil {
		t.Fatalf("finite tensor: %v", err)
	}
	w.Data[17] = float32(math.NaN())
	w.Data[20] = float32(math.Inf(1))
	err := CheckFinite(Named{"features.0.weight", w})
	if want := `weight "features.0.weight": NaN at index 17 ([0 1 2 2])`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	s := tensor.FromData([]float32{float32(math.Inf(-1))})
	if want := `weight "s": -Inf at index 0 ([])`; CheckFinite(Named{"s", s}).Error() != want {
		t.Errorf("scalar: got %v, want %s", CheckFinite(Named{"s", s}), want)
	}
	v := tensor.FromData([]float32{1, float32(math.Inf(1))}, 2)
	if want := `weight "v": +Inf at index 1 ([1])`; CheckFinite(Named{"v", v}).Error() != want {
		t.Errorf("got %v, want %s", CheckFinite(Named{"v", v}), want)
	}
	broken := &tensor.Tensor{Shape: tensor.Shape{5}, Data: []float32{float32(math.NaN())}}
	if want := `weight "x": NaN at index 0`; CheckFinite(Named{"x", broken}).Error() != want {
		t.Errorf("shape/data mismatch: got %v, want %s", CheckFinite(Named{"x", broken}), want)
	}
	if err := CheckFinite(Named{"n", nil}); err == nil {
		t.Error("nil tensor passed")
	}
}
