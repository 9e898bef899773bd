package datasets

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readNPY reads a little-endian C-order .npy of float32 ('<f4') or uint8
// ('|u1'), as float64, with its shape: enough for the goldens here.
func readNPY(t *testing.T, path string) ([]float64, []int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("%s: not .npy", path)
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	hdr, data := string(b[10:10+hl]), b[10+hl:]
	descr := regexp.MustCompile(`'descr': '([^']+)'`).FindStringSubmatch(hdr)
	shape := regexp.MustCompile(`'shape': \(([^)]*)\)`).FindStringSubmatch(hdr)
	if descr == nil || shape == nil || strings.Contains(hdr, "'fortran_order': True") {
		t.Fatalf("%s: header %q", path, hdr)
	}
	var dims []int
	n := 1
	for _, f := range strings.Split(shape[1], ",") {
		if f = strings.TrimSpace(f); f != "" {
			d, _ := strconv.Atoi(f)
			dims = append(dims, d)
			n *= d
		}
	}
	out := make([]float64, n)
	switch descr[1] {
	case "<f4":
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
		}
	case "|u1":
		for i := range out {
			out[i] = float64(data[i])
		}
	default:
		t.Fatalf("%s: dtype %s", path, descr[1])
	}
	return out, dims
}

// TestPreprocessMatchesTorchvision compares ImageFolder + Preprocess with
// torchvision's ImageFolder + Compose([Resize(40), CenterCrop(32),
// ToTensor(), Normalize(ImageNet)]) on the images and goldens that
// scripts/check_preprocess.py wrote into testdata/preprocess.
func TestPreprocessMatchesTorchvision(t *testing.T) {
	const dir = "testdata/preprocess"
	var meta struct {
		Resize, Crop int
		Mean, Std    []float32
		Classes      []string
		Files        []string
		Labels       []int
	}
	b, err := os.ReadFile(filepath.Join(dir, "preprocess.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	pre := Preprocess{Resize: meta.Resize, Crop: meta.Crop, Norm: Norm{Mean: meta.Mean, Std: meta.Std}}
	root := filepath.Join(dir, "images")
	ds, err := OpenImageFolder(root, pre)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.ClassNames, meta.Classes) || !slices.Equal(ds.Targets, meta.Labels) {
		t.Fatalf("classes %v targets %v, torchvision %v %v", ds.ClassNames, ds.Targets, meta.Classes, meta.Labels)
	}
	for i, p := range ds.Paths {
		if rel, _ := filepath.Rel(root, p); filepath.ToSlash(rel) != meta.Files[i] {
			t.Fatalf("item %d is %s, torchvision's is %s", i, rel, meta.Files[i])
		}
	}
	gold, shape := readNPY(t, filepath.Join(dir, "preprocess.npy"))
	item := 3 * meta.Crop * meta.Crop
	if !slices.Equal(shape, []int{ds.Len(), 3, meta.Crop, meta.Crop}) {
		t.Fatalf("golden shape %v", shape)
	}
	// One raw level is 1/255/std ≈ 0.0174 after ImageNet normalisation.
	level := 1 / 255.0 / 0.225
	dst := make([]float32, item)
	for i, p := range ds.Paths {
		if _, err := ds.Get(i, dst); err != nil {
			t.Fatal(err)
		}
		maxd, sumd := 0.0, 0.0
		for k, v := range dst {
			d := math.Abs(float64(v) - gold[i*item+k])
			maxd = max(maxd, d)
			sumd += d
		}
		name := filepath.Base(p)
		t.Logf("%-22s max |Δ| %.3g (%.2f levels), mean |Δ| %.3g", name, maxd, maxd/level, sumd/float64(item))
		if strings.HasSuffix(name, ".png") {
			// PNG decoding is exact, and resize and crop are Pillow's
			// integer arithmetic: only float32 rounding of ToTensor and
			// Normalize can differ.
			if maxd > 1e-6 {
				t.Errorf("%s: max |Δ| %g vs torchvision, want ≤ 1e-6", name, maxd)
			}
		} else if maxd > 3*level {
			// JPEG: Go's IDCT differs from libjpeg's by a level or two.
			t.Errorf("%s: max |Δ| %g (%.1f levels) vs torchvision, want ≤ 3 levels", name, maxd, maxd/level)
		}
	}
}

// TestJPEGDecodeCloseToPillow compares DecodeRGB with Pillow's decoding
// (libjpeg-turbo) of the same JPEGs, before any resizing.
func TestJPEGDecodeCloseToPillow(t *testing.T) {
	files, _ := filepath.Glob("testdata/preprocess/*.jpg.rgb.npy")
	if len(files) == 0 {
		t.Fatal("no goldens; run scripts/check_preprocess.py")
	}
	for _, g := range files {
		name := strings.TrimSuffix(filepath.Base(g), ".rgb.npy")
		gold, shape := readNPY(t, g)
		img, err := ReadRGB(filepath.Join("testdata/preprocess/images/bees", name))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(shape, []int{img.H, img.W, 3}) {
			t.Fatalf("%s: golden shape %v, image %dx%d", name, shape, img.W, img.H)
		}
		maxd, sumd, diff := 0.0, 0.0, 0
		for y := range img.H {
			for x := range img.W {
				for c := range 3 {
					d := math.Abs(float64(img.Pix[c][y*img.W+x]) - gold[(y*img.W+x)*3+c])
					maxd, sumd = max(maxd, d), sumd+d
					if d > 0 {
						diff++
					}
				}
			}
		}
		n := float64(3 * img.W * img.H)
		t.Logf("%-18s vs Pillow: max |Δ| %.0f levels, mean %.3f, %.1f%% of samples differ", name, maxd, sumd/n, 100*float64(diff)/n)
		if maxd > 4 || sumd/n > 0.5 {
			t.Errorf("%s: decoded pixels differ from Pillow's by up to %.0f levels (mean %.3f)", name, maxd, sumd/n)
		}
	}
}

func TestCenterCropOffsetRoundsHalfToEven(t *testing.T) {
	// torchvision: int(round((n - c) / 2.0)) with Python's round.
	for _, c := range [][3]int{{256, 224, 16}, {257, 224, 16}, {259, 224, 18}, {293, 224, 34}, {225, 224, 0}, {227, 224, 2}, {224, 224, 0}, {220, 224, -2}, {219, 224, -2}} {
		if got := cropOffset(c[0], c[1]); got != c[2] {
			t.Errorf("cropOffset(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
	// Resize(256): shorter side 256, longer int(256·long/short).
	for _, c := range [][4]int{{500, 375, 341, 256}, {375, 500, 256, 341}, {256, 256, 256, 256}, {640, 427, 383, 256}} {
		if w, h := ResizedSize(c[0], c[1], 256); w != c[2] || h != c[3] {
			t.Errorf("ResizedSize(%d, %d) = %d×%d, want %d×%d", c[0], c[1], w, h, c[2], c[3])
		}
	}
}

func TestPreprocessIdentityResizeAndPaddedCrop(t *testing.T) {
	img := NewRGB(5, 4)
	for c := range 3 {
		for i := range img.Pix[c] {
			img.Pix[c][i] = uint8(10*c + i)
		}
	}
	// Resize to the same size and crop all: the pixels unchanged.
	dst := make([]float32, 3*4*4)
	if err := (Preprocess{Resize: 4, Crop: 4}).Apply(img, dst); err != nil {
		t.Fatal(err)
	}
	for c := range 3 {
		for y := range 4 {
			for x := range 4 {
				want := float32(10*c+y*5+x) / 255
				if got := dst[(c*4+y)*4+x]; got != want {
					t.Fatalf("c%d y%d x%d: %v, want %v", c, y, x, got, want)
				}
			}
		}
	}
	// Crop larger than the image: zero-padded as torchvision does (left
	// (6−5)//2 = 0, top (6−4)//2 = 1), pads normalised like a raw 0.
	big := make([]float32, 3*6*6)
	if err := (Preprocess{Crop: 6, Norm: ImageNetNorm}).Apply(img, big); err != nil {
		t.Fatal(err)
	}
	g := big[36:72] // green
	pad := (0 - float32(0.456)) / 0.224
	first := (float32(10)/255 - 0.456) / 0.224
	if g[0] != pad || g[5] != pad || g[1*6+0] != first || g[1*6+5] != pad || g[5*6+0] != pad {
		t.Errorf("padded crop rows %v", g)
	}
	if err := (Preprocess{Crop: 0}).Apply(img, big); err == nil {
		t.Error("crop 0 accepted")
	}
}

func writePNG(t *testing.T, path string, w, h int, seed uint8) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)*7 + seed
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJPEG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(4 * y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImageFolderNumbersClassesAndFilesLikeTorchvision(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "zebra", "1.png"), 20, 30, 1)
	writeJPEG(t, filepath.Join(root, "apple", "b.JPG"), 40, 20)
	writePNG(t, filepath.Join(root, "apple", "a.png"), 16, 16, 2)
	writePNG(t, filepath.Join(root, "apple", "sub", "c.png"), 16, 16, 3)
	writePNG(t, filepath.Join(root, "apple", "b2.jpeg"), 16, 16, 4) // PNG bytes under a JPEG name: told by content
	os.WriteFile(filepath.Join(root, "apple", "notes.txt"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(root, "README"), []byte("not a class"), 0o644)
	os.MkdirAll(filepath.Join(root, "Mango"), 0o755)
	writeJPEG(t, filepath.Join(root, "Mango", "m.jpeg"), 24, 24)

	ds, err := OpenImageFolder(root, Preprocess{Resize: 12, Crop: 8, Norm: ImageNetNorm})
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by name, byte order (upper case first), as Python's sorted().
	if !slices.Equal(ds.ClassNames, []string{"Mango", "apple", "zebra"}) {
		t.Fatalf("classes %v", ds.ClassNames)
	}
	var rel []string
	for _, p := range ds.Paths {
		r, _ := filepath.Rel(root, p)
		rel = append(rel, filepath.ToSlash(r))
	}
	// Files of a folder before those of its subfolders (sorted(os.walk)).
	want := []string{"Mango/m.jpeg", "apple/a.png", "apple/b.JPG", "apple/b2.jpeg", "apple/sub/c.png", "zebra/1.png"}
	if !slices.Equal(rel, want) || !slices.Equal(ds.Targets, []int{0, 1, 1, 1, 1, 2}) {
		t.Fatalf("files %v targets %v", rel, ds.Targets)
	}
	if s := ds.Shape(); !slices.Equal(s, []int{3, 8, 8}) || ds.Classes() != 3 {
		t.Fatalf("shape %v classes %d", s, ds.Classes())
	}
	l, err := NewLoader(ds, LoaderOptions{BatchSize: 4, Workers: 2, Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, batches := collect(t, l, 0)
	if len(batches) != 2 || batches[0].Shape != [4]int{4, 3, 8, 8} {
		t.Fatalf("%d batches, shape %v", len(batches), batches[0].Shape)
	}
	if err := ds.Check(); err != nil {
		t.Error(err)
	}
}

func TestImageFolderUnreadableImageNamesTheFile(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "a", "good.png"), 10, 10, 0)
	bad := filepath.Join(root, "a", "broken.jpg")
	os.WriteFile(bad, []byte("this is not a jpeg"), 0o644)
	var jb bytes.Buffer
	noise := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(i * 37 % 251)
	}
	jpeg.Encode(&jb, noise, nil)
	cut := filepath.Join(root, "b", "cut.jpg")
	os.MkdirAll(filepath.Dir(cut), 0o755)
	os.WriteFile(cut, jb.Bytes()[:jb.Len()/2], 0o644)

	ds, err := OpenImageFolder(root, ImageNetEval)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 3*224*224)
	_, err = ds.Get(0, dst) // a/broken.jpg sorts before a/good.png
	wantFileErr(t, err, ErrBadImage, bad, "not a readable JPEG or PNG image")
	_, err = ds.Get(2, dst)
	wantFileErr(t, err, ErrBadImage, cut, "cannot decode jpeg image")
	wantFileErr(t, ds.Check(), ErrBadImage, bad)
	if _, err := ds.Get(1, dst); err != nil {
		t.Errorf("good image: %v", err)
	}
	// The loader passes the error on, naming the file.
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 3})
	for _, err := range l.Epoch(t.Context(), 0) {
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("loader error %v does not name %s", err, bad)
		}
		break
	}
}

func TestImageFolderRejectsBadLayouts(t *testing.T) {
	empty := t.TempDir()
	_, err := OpenImageFolder(empty, ImageNetEval)
	wantFileErr(t, err, ErrNotFound, empty, "no class folders")

	missing := filepath.Join(empty, "nope")
	_, err = OpenImageFolder(missing, ImageNetEval)
	wantFileErr(t, err, ErrNotFound, missing, "no such folder")

	root := t.TempDir()
	writePNG(t, filepath.Join(root, "a", "x.png"), 4, 4, 0)
	os.MkdirAll(filepath.Join(root, "b"), 0o755)
	os.WriteFile(filepath.Join(root, "b", "x.txt"), nil, 0o644)
	_, err = OpenImageFolder(root, ImageNetEval)
	wantFileErr(t, err, ErrNotFound, filepath.Join(root, "b"), `class folder "b" has no image`)

	os.WriteFile(filepath.Join(root, "b", "y.webp"), []byte("RIFF"), 0o644)
	_, err = OpenImageFolder(root, ImageNetEval)
	wantFileErr(t, err, ErrBadImage, filepath.Join(root, "b", "y.webp"), ".webp images are not supported")

	_, err = OpenImageFolder(root, Preprocess{Resize: 256})
	wantFileErr(t, err, ErrBadOption, root, "crop size")
}

func TestDecodeRGBRejectsOversizedImageBeforeDecoding(t *testing.T) {
	old := MaxImagePixels
	MaxImagePixels = 100
	defer func() { MaxImagePixels = old }()
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 11, 10)))
	_, err := DecodeRGB(b.Bytes(), "big.png")
	wantFileErr(t, err, ErrBadImage, "big.png", "11x10", "limit")
}

func TestDecodeRGBDropsAlphaAndReplicatesGrey(t *testing.T) {
	nrgba := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	nrgba.Pix = []uint8{200, 100, 50, 10} // nearly transparent: colour kept as stored
	g := image.NewGray(image.Rect(0, 0, 1, 1))
	g.Pix[0] = 77
	for _, c := range []struct {
		img  image.Image
		want [3]uint8
	}{{nrgba, [3]uint8{200, 100, 50}}, {g, [3]uint8{77, 77, 77}}} {
		var b bytes.Buffer
		png.Encode(&b, c.img)
		m, err := DecodeRGB(b.Bytes(), "x.png")
		if err != nil {
			t.Fatal(err)
		}
		if got := [3]uint8{m.Pix[0][0], m.Pix[1][0], m.Pix[2][0]}; got != c.want {
			t.Errorf("%T: got %v want %v", c.img, got, c.want)
		}
	}
}

func ExamplePreprocess() {
	img := NewRGB(500, 375) // a typical ImageNet photo size
	dst := make([]float32, 3*224*224)
	if err := ImageNetEval.Apply(img, dst); err != nil {
		fmt.Println(err)
	}
	w, h := ResizedSize(500, 375, 256)
	fmt.Printf("resized to %dx%d, then the centre 224x224; a black pixel becomes %.4f in red\n", w, h, dst[0])
	// Output: resized to 341x256, then the centre 224x224; a black pixel becomes -2.1179 in red
}
