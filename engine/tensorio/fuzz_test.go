package tensorio

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/cnnbench/cnnbench/engine/tensor"
)

// checkFuzzErr asserts the decoder error contract: one line, file name first.
func checkFuzzErr(t *testing.T, err error, file string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, file+": ") || strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("error %q is not one line starting with %q", msg, file+": ")
	}
}

func FuzzDecodeSafetensors(f *testing.F) {
	var valid bytes.Buffer
	if err := EncodeSafetensors(&valid, roundTripTensors(), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	v := valid.Bytes()
	f.Add(v)
	f.Add(v[:len(v)-3]) // truncated data
	f.Add(v[:20])       // truncated header
	f.Add(append(v, 0)) // trailing byte
	f.Add([]byte{})     // empty
	f.Add(stFile("{}", nil))
	f.Add(stFile(`{"__metadata__":null}`, nil))
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, make([]byte, 16)))
	f.Add(stFile(`{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}`, make([]byte, 12)))
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[0,4611686018427387904],"data_offsets":[0,0]}}`, nil))
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 12)))
	f.Add(stFile(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<63))

	f.Fuzz(func(t *testing.T, data []byte) {
		got, meta, err := DecodeSafetensors(data, "fuzz.safetensors")
		if err != nil {
			checkFuzzErr(t, err, "fuzz.safetensors")
			return
		}
		for _, nt := range got {
			if n, ok := checkedNumel(nt.T.Shape, 1<<62); !ok || n != int64(len(nt.T.Data)) {
				t.Fatalf("tensor %q: shape %v with %d elements", nt.Name, nt.T.Shape, len(nt.T.Data))
			}
		}
		var buf bytes.Buffer
		if err := EncodeSafetensors(&buf, got, meta); err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		again, meta2, err := DecodeSafetensors(buf.Bytes(), "again")
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v", err)
		}
		if len(again) != len(got) {
			t.Fatalf("re-decoded %d tensors, want %d", len(again), len(got))
		}
		for i := range got {
			if again[i].Name != got[i].Name || !sameTensor(again[i].T, got[i].T) {
				t.Fatalf("tensor %d changed in the round trip: %q -> %q", i, got[i].Name, again[i].Name)
			}
		}
		if len(meta) != len(meta2) {
			t.Fatalf("metadata %v became %v", meta, meta2)
		}
		for k, v := range meta {
			if meta2[k] != v {
				t.Fatalf("metadata %v became %v", meta, meta2)
			}
		}
		// Encoding is deterministic: a second round gives the same bytes.
		var buf2 bytes.Buffer
		if err := EncodeSafetensors(&buf2, again, meta2); err != nil || !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Fatalf("re-encoding is not stable (%v)", err)
		}
	})
}

func FuzzDecodeNPY(f *testing.F) {
	for _, t := range []*tensor.Tensor{seq(), seq(0), seq(3), seq(2, 3), seq(1, 2, 2, 2)} {
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, t); err != nil {
			f.Fatal(err)
		}
		b := buf.Bytes()
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(b[:12])
	}
	hdr := func(descr, fortran, shape string) string {
		return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n"
	}
	f.Add(npyFile(1, hdr("'<f8'", "False", "(2L, 1L)"), make([]byte, 16)))
	f.Add(npyFile(2, hdr("'<f4'", "False", "(1,)"), make([]byte, 4)))
	f.Add(npyFile(3, `{"descr":"<f4","fortran_order":False,"shape":()}`, make([]byte, 4)))
	f.Add(npyFile(1, hdr("'<f4'", "True", "(2, 2)"), make([]byte, 16)))
	f.Add(npyFile(1, hdr("'>f4'", "False", "(1,)"), make([]byte, 4)))
	f.Add(npyFile(1, hdr("[('a', '<f4')]", "False", "(1,)"), make([]byte, 4)))
	f.Add(npyFile(1, hdr("'<f4'", "False", "(0, 4611686018427387904)"), nil))
	f.Add(npyFile(1, hdr("'<f4'", "False", "((((1,),),),)"), nil))
	f.Add([]byte("\x93NUMPY\x01\x00\xff\xff"))

	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeNPY(data, "fuzz.npy")
		if err != nil {
			checkFuzzErr(t, err, "fuzz.npy")
			return
		}
		if n, ok := checkedNumel(got.Shape, 1<<62); !ok || n != int64(len(got.Data)) {
			t.Fatalf("shape %v with %d elements", got.Shape, len(got.Data))
		}
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, got); err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		again, err := DecodeNPY(buf.Bytes(), "again")
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v", err)
		}
		if !sameTensor(again, got) {
			t.Fatalf("round trip changed the tensor: %v -> %v", got.Shape, again.Shape)
		}
		// Encoding is deterministic: a second round gives the same bytes.
		var buf2 bytes.Buffer
		if err := EncodeNPY(&buf2, again); err != nil || !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Fatalf("re-encoding is not stable (%v)", err)
		}
	})
}
