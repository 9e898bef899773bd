package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes builds an IDX file: magic 00 00 typ len(dims), dims, payload.
func idxBytes(typ byte, dims []int, payload []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, payload...)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tinyImages is 3 images of 2×2; tinyLabels their 3 labels.
func tinyImages() []byte {
	return idxBytes(IDXUint8, []int{3, 2, 2}, []byte{0, 1, 2, 3, 10, 11, 12, 13, 250, 251, 252, 255})
}
func tinyLabels() []byte { return idxBytes(IDXUint8, []int{3}, []byte{7, 0, 9}) }

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantFileErr checks err is one error of the given kind whose message names
// the file and contains every fragment.
func wantFileErr(t *testing.T, err error, kind error, file string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, file+": ") {
		t.Errorf("error %q does not start with the file name %q", msg, file)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("error %q does not say %q", msg, f)
		}
	}
}

func TestIDXDecodesValidFileAndRoundTrips(t *testing.T) {
	for _, in := range [][]byte{tinyImages(), tinyLabels(),
		idxBytes(IDXFloat32, []int{2}, []byte{0x3f, 0x80, 0, 0, 0x40, 0, 0, 0}),
		idxBytes(IDXInt16, []int{1, 1, 1, 1}, []byte{0xff, 0xfe})} {
		x, err := DecodeIDX(bytes.NewReader(in), "mem")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := EncodeIDX(&out, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), in) {
			t.Errorf("round trip changed the bytes:\n got % x\nwant % x", out.Bytes(), in)
		}
	}
	x, _ := DecodeIDX(bytes.NewReader(tinyImages()), "mem")
	if x.Type != IDXUint8 || len(x.Dims) != 3 || x.Dims[0] != 3 || x.Dims[1] != 2 || x.Dims[2] != 2 || x.Data[11] != 255 {
		t.Errorf("decoded %+v", x)
	}
}

func TestIDXGzipIsDetectedByMagicNotByName(t *testing.T) {
	dir := t.TempDir()
	// A gzip file without .gz, and a plain file named .gz: both load.
	for name, data := range map[string][]byte{
		"images-no-extension": gz(t, tinyImages()),
		"plain-named.gz":      tinyImages(),
	} {
		p := writeFile(t, dir, name, data)
		x, err := ReadIDXImages(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if x.Dims[0] != 3 {
			t.Errorf("%s: dims %v", name, x.Dims)
		}
	}
}

func TestIDXRejectsBadInputNamingTheFile(t *testing.T) {
	dir := t.TempDir()
	valid := tinyImages()
	gzValid := gz(t, valid)
	badCRC := bytes.Clone(gzValid)
	badCRC[len(badCRC)-6] ^= 0xff // CRC-32 in the gzip trailer
	corrupt := bytes.Clone(gzValid)
	corrupt[10] |= 0x06 // first deflate block: reserved block type 11
	trailingGz := append(bytes.Clone(gzValid), 0, 0, 0, 0)

	cases := []struct {
		name      string
		data      []byte
		images    bool // read as images (else generic ReadIDX)
		kind      error
		fragments []string
	}{
		{"empty", nil, false, ErrTruncated, []string{"truncated header", "byte 0"}},
		{"short-header", []byte{0, 0, 8}, false, ErrTruncated, []string{"truncated header", "byte 3"}},
		{"short-dims", valid[:9], false, ErrTruncated, []string{"truncated header", "16 bytes"}},
		{"wrong-magic", append([]byte{0x12, 0x34}, valid[2:]...), true, ErrBadMagic, []string{"12 34 08 03", "want 00 00 08 03"}},
		{"png-as-idx", []byte("\x89PNG\r\n\x1a\n...."), false, ErrBadMagic, []string{"89 50 4e 47"}},
		{"unknown-type", idxBytes(0x07, []int{1}, []byte{0}), false, ErrBadType, []string{"0x07"}},
		{"float-images", idxBytes(IDXFloat32, []int{1, 1, 1}, []byte{0, 0, 0, 0}), true, ErrBadType, []string{"0x0d (float32)", "want 0x08 (uint8)"}},
		{"labels-as-images", tinyLabels(), true, ErrBadDims, []string{"1 dimensions, want 3"}},
		{"zero-ndims", []byte{0, 0, 8, 0}, false, ErrBadDims, []string{"0 dimensions"}},
		{"zero-dim", idxBytes(IDXUint8, []int{0, 28, 28}, nil), true, ErrBadDims, []string{"dimension 0 of 3 is zero"}},
		{"huge-dims", idxBytes(IDXUint8, []int{0xffffffff, 0xffffffff, 0xffffffff}, nil), true, ErrBadDims, []string{"limit"}},
		{"truncated-data", valid[:len(valid)-1], true, ErrTruncated, []string{"need 12 bytes", "file has 11"}},
		{"trailing-bytes", append(bytes.Clone(valid), 1, 2), true, ErrTrailingBytes, []string{"2 trailing bytes", "byte 28"}},
		{"gz-truncated-data", gz(t, valid[:len(valid)-3]), true, ErrTruncated, []string{"truncated data", "ends at byte 25", "need 28"}},
		{"gz-trailing-bytes", gz(t, append(bytes.Clone(valid), 9)), true, ErrTrailingBytes, []string{"1 trailing bytes"}},
		{"gz-cut-short", gzValid[:len(gzValid)-10], true, ErrBadGzip, []string{"gzip stream is cut short"}},
		{"gz-bad-crc", badCRC, true, ErrBadGzip, []string{"checksum"}},
		{"gz-corrupt", corrupt, true, ErrBadGzip, nil},
		{"gz-garbage-after-stream", trailingGz, true, ErrBadGzip, []string{"garbage after the gzip stream"}},
		{"gz-bad-header", []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0}, true, ErrBadGzip, []string{"gzip header"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, c.name, c.data)
			var err error
			if c.images {
				_, err = ReadIDXImages(p)
			} else {
				_, err = ReadIDX(p)
			}
			wantFileErr(t, err, c.kind, p, c.fragments...)
		})
	}
}

func TestIDXHugeHeaderInGzipDoesNotAllocateThePayload(t *testing.T) {
	// 255 × 2^24 × 255 bytes claimed, a few bytes present: the decoder must
	// fail on the missing data, not try to allocate the claimed size.
	old := MaxIDXBytes
	MaxIDXBytes = 1 << 40
	defer func() { MaxIDXBytes = old }()
	in := gz(t, idxBytes(IDXUint8, []int{255, 1 << 24, 255}, []byte{1, 2, 3}))
	allocs := testing.AllocsPerRun(1, func() {
		_, err := DecodeIDX(bytes.NewReader(in), "huge.gz")
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("err = %v, want ErrTruncated", err)
		}
	})
	_ = allocs
}

func TestIDXMissingFileAndDirectory(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.gz")
	_, err := ReadIDX(missing)
	wantFileErr(t, err, ErrNotFound, missing, "no such file")
	_, err = ReadIDX(dir)
	wantFileErr(t, err, ErrUnreadable, dir, "is a directory")
}

func TestIDXLabelsOutOfRange(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "labels", idxBytes(IDXUint8, []int{4}, []byte{1, 9, 10, 3}))
	_, err := ReadIDXLabels(p, 10)
	wantFileErr(t, err, ErrLabelRange, p, "label 10 at index 2", "byte 10", "[0, 10)")
	if _, err := ReadIDXLabels(p, 11); err != nil {
		t.Errorf("11 classes: %v", err)
	}
}

func TestIDXPairCountMismatchNamesBothFiles(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "img.gz", gz(t, tinyImages()))
	lbl := writeFile(t, dir, "lbl", idxBytes(IDXUint8, []int{2}, []byte{1, 2}))
	_, err := LoadIDXPair(img, lbl, 10)
	wantFileErr(t, err, ErrCountMismatch, img, "3 images", lbl, "2 labels")
}

func TestIDXPairLabelOutOfRange(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "img", tinyImages())
	lbl := writeFile(t, dir, "lbl", tinyLabels()) // labels 7, 0, 9
	_, err := LoadIDXPair(img, lbl, 8)
	wantFileErr(t, err, ErrLabelRange, lbl, "label 9 at index 2")
}

func TestIDXPairLoadsAndRecordsHashes(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "img.gz", gz(t, tinyImages()))
	lbl := writeFile(t, dir, "lbl", tinyLabels())
	d, err := LoadIDXPair(img, lbl, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || d.Classes() != 10 || d.C != 1 || d.H != 2 || d.W != 2 {
		t.Fatalf("got %d items %d classes %dx%dx%d", d.Len(), d.Classes(), d.C, d.H, d.W)
	}
	dst := make([]float32, 4)
	label, err := d.Get(2, dst)
	if err != nil || label != 9 || dst[3] != 1 || dst[0] != 250.0/255 {
		t.Errorf("Get(2) = %d, %v, %v", label, dst, err)
	}
	for i, p := range []string{img, lbl} {
		sum, err := Hash(p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Files[i].Path != p || d.Files[i].SHA256 != sum {
			t.Errorf("file record %+v, want path %s sha %s", d.Files[i], p, sum)
		}
	}
	if d.Files[0].ContentSHA256 == "" || d.Files[1].ContentSHA256 != "" {
		t.Errorf("content hash should be set for the gzip file only: %+v", d.Files)
	}
}
