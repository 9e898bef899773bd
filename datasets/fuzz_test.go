package datasets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeIDX checks the IDX decoder on arbitrary input: it never panics,
// every failure is a *FileError naming the input, never allocates past
// MaxIDXBytes, and every success is consistent (payload size = product of
// the dimensions × element size) and re-encodes to the input's
// (decompressed) bytes.
//
// Seeds: the small valid and broken files in testdata/idx plus generated
// ones. Run with: go test -run '^$' -fuzz FuzzDecodeIDX ./datasets
func FuzzDecodeIDX(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/idx/*")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	valid := tinyImages()
	f.Add(valid)
	f.Add(tinyLabels())
	f.Add(gz(f, valid))
	f.Add(gz(f, tinyLabels()))
	f.Add(valid[:7])
	f.Add(append(bytes.Clone(valid), 0))
	f.Add(idxBytes(IDXFloat64, []int{1, 2}, make([]byte, 16)))
	f.Add(idxBytes(IDXUint8, []int{1 << 20, 1 << 20}, nil))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})

	old := MaxIDXBytes
	MaxIDXBytes = 1 << 20
	defer func() { MaxIDXBytes = old }()

	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := DecodeIDX(bytes.NewReader(in), "fuzz.idx")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "fuzz.idx" || fe.Kind == nil {
				t.Fatalf("error %v (%T) is not a FileError naming the input", err, err)
			}
			return
		}
		_, size := idxTypeName(x.Type)
		n := int64(size)
		for _, d := range x.Dims {
			if d <= 0 {
				t.Fatalf("dimension %d in %v", d, x.Dims)
			}
			n *= int64(d)
		}
		if n != int64(len(x.Data)) || n > MaxIDXBytes {
			t.Fatalf("dims %v type %x but %d bytes of data", x.Dims, x.Type, len(x.Data))
		}
		want := in
		if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
			var plain bytes.Buffer
			if err := gunzipTo(&plain, bytes.NewReader(in), "fuzz"); err != nil {
				t.Fatalf("decoded a gzip input that does not decompress: %v", err)
			}
			want = plain.Bytes()
		}
		var out bytes.Buffer
		if err := EncodeIDX(&out, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("re-encoding differs from the input")
		}
	})
}
