package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// KnownFile is a data file whose SHA-256 this package records, so a result
// can say exactly which data it was computed on, and a loader can refuse
// other data under the same name. MNIST and Fashion-MNIST have the same file
// names and format: only the hash tells them apart.
type KnownFile struct {
	Dataset string // "mnist" or "fashion-mnist"
	Split   string // "train" or "test"
	Kind    string // "images" or "labels"
	Name    string // file name as shipped
	// SHA256 is the hash of the file as shipped (gzip-compressed).
	SHA256 string
	// ContentSHA256 is the hash of the decompressed IDX file. A copy that
	// was recompressed or unpacked still matches it.
	ContentSHA256 string
	Source        string // where this copy comes from
}

// String names the file for messages: "mnist train images (train-images-idx3-ubyte.gz)".
func (k KnownFile) String() string {
	return fmt.Sprintf("%s %s %s (%s)", k.Dataset, k.Split, k.Kind, k.Name)
}

// Known lists the eight MNIST and Fashion-MNIST files this package loads,
// hashed after `make data` (scripts/setup_data.sh). The MNIST files are
// LeCun's originals (their MD5s equal torchvision's: f68b3c2d..., d53e105e...,
// 9fb629c4..., ec29112d...). Debian recompressed the Fashion-MNIST files, so
// their .gz hashes differ from Zalando's; the decompressed content is the
// data set itself.
var Known = []KnownFile{
	{"mnist", "train", "images", "train-images-idx3-ubyte.gz",
		"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
		"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", goMNISTSource},
	{"mnist", "train", "labels", "train-labels-idx1-ubyte.gz",
		"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
		"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", goMNISTSource},
	{"mnist", "test", "images", "t10k-images-idx3-ubyte.gz",
		"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
		"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", goMNISTSource},
	{"mnist", "test", "labels", "t10k-labels-idx1-ubyte.gz",
		"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
		"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", goMNISTSource},
	{"fashion-mnist", "train", "images", "train-images-idx3-ubyte.gz",
		"b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
		"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", fashionSource},
	{"fashion-mnist", "train", "labels", "train-labels-idx1-ubyte.gz",
		"0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
		"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", fashionSource},
	{"fashion-mnist", "test", "images", "t10k-images-idx3-ubyte.gz",
		"cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
		"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", fashionSource},
	{"fashion-mnist", "test", "labels", "t10k-labels-idx1-ubyte.gz",
		"8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
		"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", fashionSource},
}

const (
	goMNISTSource = "Go module " + GoMNISTModule + "@" + GoMNISTVersion + " (data/)"
	fashionSource = "Debian package dataset-fashion-mnist 0.0~git20200523.55506a9-1 (" + FashionMNISTDir + ")"
)

// KnownFileFor returns the known file of a data set ("mnist", "fashion-mnist"),
// split ("train", "test") and kind ("images", "labels").
func KnownFileFor(dataset, split, kind string) (KnownFile, bool) {
	for _, k := range Known {
		if k.Dataset == dataset && k.Split == split && k.Kind == kind {
			return k, true
		}
	}
	return KnownFile{}, false
}

// LookupHash finds the known file with this SHA-256 (of the file as
// shipped, or of its decompressed content).
func LookupHash(sha string) (KnownFile, bool) {
	for _, k := range Known {
		if k.SHA256 == sha || k.ContentSHA256 == sha {
			return k, true
		}
	}
	return KnownFile{}, false
}

// FileRecord is what a result records about one data file it used.
type FileRecord struct {
	Path          string `json:"path"`
	SHA256        string `json:"sha256"`                   // of the file's bytes
	ContentSHA256 string `json:"content_sha256,omitempty"` // of the decompressed content, if gzip
	Known         string `json:"known,omitempty"`          // the KnownFile it matches, e.g. "mnist test images (...)"
	Verified      bool   `json:"verified"`                 // it matches the known hash it was checked against
}

// Hash returns the hex SHA-256 of the file at path.
func Hash(path string) (string, error) {
	f, _, err := openFile(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fileErr(path, ErrUnreadable, err, "reading for hash")
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// HashCheck says what a loader does when a file's hash is not the known one.
type HashCheck int

const (
	HashStrict HashCheck = iota // fail with ErrHashMismatch (the default)
	HashWarn                    // load, and record Verified=false and a warning
	HashSkip                    // do not compare (hashes are still recorded)
)

// Verify hashes the file at path and checks it against want: the file's own
// SHA-256 or, for a recompressed or unpacked copy, the SHA-256 of its
// decompressed content must match. A mismatch is an ErrHashMismatch naming
// the file, both hashes and, if the hash is of another known file, which.
func Verify(path string, want KnownFile) (FileRecord, error) {
	rec, err := hashRecord(path)
	if err != nil {
		return rec, err
	}
	return rec, checkRecord(&rec, want)
}

// hashRecord hashes a file, and its decompressed content if it is gzip.
func hashRecord(path string) (FileRecord, error) {
	rec := FileRecord{Path: path}
	sum, err := Hash(path)
	if err != nil {
		return rec, err
	}
	rec.SHA256 = sum
	f, _, err := openFile(path)
	if err != nil {
		return rec, err
	}
	defer f.Close()
	var head [2]byte
	if n, _ := io.ReadFull(f, head[:]); n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return rec, fileErr(path, ErrUnreadable, err, "seeking")
		}
		h := sha256.New()
		if err := gunzipTo(h, f, path); err != nil {
			return rec, err
		}
		rec.ContentSHA256 = hex.EncodeToString(h.Sum(nil))
	}
	return rec, nil
}

func checkRecord(rec *FileRecord, want KnownFile) error {
	if rec.SHA256 == want.SHA256 || (rec.ContentSHA256 != "" && rec.ContentSHA256 == want.ContentSHA256) ||
		(rec.ContentSHA256 == "" && rec.SHA256 == want.ContentSHA256) {
		rec.Known, rec.Verified = want.String(), true
		return nil
	}
	got := rec.SHA256
	if rec.ContentSHA256 != "" {
		got += " (content " + rec.ContentSHA256 + ")"
	}
	other := ""
	for _, s := range []string{rec.SHA256, rec.ContentSHA256} {
		if k, ok := LookupHash(s); ok && s != "" {
			other = "; it is " + k.String()
			rec.Known = k.String()
			break
		}
	}
	return fileErr(rec.Path, ErrHashMismatch, nil, "SHA-256 %s does not match %s: want %s (content %s)%s",
		got, want, want.SHA256, want.ContentSHA256, other)
}
