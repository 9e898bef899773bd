package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Image file extensions (lower case) ImageFolder loads: JPEG and PNG.
var folderExtensions = []string{".jpg", ".jpeg", ".png"}

// Extensions torchvision's ImageFolder would load but this package cannot
// decode; meeting one is an error rather than a silently smaller data set
// whose indices differ from torchvision's.
var unsupportedExtensions = []string{".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"}

// ImageFolder is an ImageNet-style data set: Root/<class>/.../<image>, with
// classes numbered in sorted order of their folder names and images in
// sorted order of their paths, exactly as torchvision's
// datasets.ImageFolder(Root) numbers them. Images are read and preprocessed
// on each Get (see Preprocess), so Get may fail; its error names the file.
type ImageFolder struct {
	Root       string
	ClassNames []string // index → folder name
	Paths      []string // item → file
	Targets    []int    // item → class index
	Pre        Preprocess
}

// OpenImageFolder scans root. Like torchvision's ImageFolder it follows
// symbolic links, ignores files with other extensions, and fails if root
// has no class folder or a class folder has no image. Files it cannot
// decode only fail when read (Get) — or now, for all of them, with Check.
func OpenImageFolder(root string, pre Preprocess) (*ImageFolder, error) {
	if pre.Crop <= 0 {
		return nil, fileErr(root, ErrBadOption, nil, "image folder needs a crop size (Preprocess.Crop), got %d", pre.Crop)
	}
	if _, _, err := pre.Norm.channelParams(3); err != nil {
		return nil, fileErr(root, ErrBadOption, nil, "normalisation: %v", err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fileErr(root, ErrNotFound, nil, "no such folder")
		}
		return nil, fileErr(root, ErrUnreadable, err, "cannot list folder")
	}
	d := &ImageFolder{Root: root, Pre: pre}
	for _, e := range entries {
		if st, err := os.Stat(filepath.Join(root, e.Name())); err == nil && st.IsDir() {
			d.ClassNames = append(d.ClassNames, e.Name())
		}
	}
	sort.Strings(d.ClassNames)
	if len(d.ClassNames) == 0 {
		return nil, fileErr(root, ErrNotFound, nil, "no class folders (want %s/<class>/<image>)", root)
	}
	for ci, class := range d.ClassNames {
		var dirs []string
		if err := walkDirs(filepath.Join(root, class), 0, &dirs); err != nil {
			return nil, err
		}
		sort.Strings(dirs) // Python: sorted(os.walk(...)) orders by folder path
		n := 0
		for _, dir := range dirs {
			files, err := os.ReadDir(dir)
			if err != nil {
				return nil, fileErr(dir, ErrUnreadable, err, "cannot list folder")
			}
			names := make([]string, 0, len(files))
			for _, f := range files {
				p := filepath.Join(dir, f.Name())
				if st, err := os.Stat(p); err != nil || !st.IsDir() { // a broken link fails on Get, as in torchvision
					names = append(names, f.Name())
				}
			}
			sort.Strings(names)
			for _, name := range names {
				ext := strings.ToLower(filepath.Ext(name))
				p := filepath.Join(dir, name)
				if contains(unsupportedExtensions, ext) {
					return nil, fileErr(p, ErrBadImage, nil, "%s images are not supported (only %s); convert or remove it",
						ext, strings.Join(folderExtensions, ", "))
				}
				if contains(folderExtensions, ext) {
					d.Paths = append(d.Paths, p)
					d.Targets = append(d.Targets, ci)
					n++
				}
			}
		}
		if n == 0 {
			return nil, fileErr(filepath.Join(root, class), ErrNotFound, nil, "class folder %q has no image (%s)",
				class, strings.Join(folderExtensions, ", "))
		}
	}
	return d, nil
}

// walkDirs lists dir and every folder below it, following symbolic links
// (to a depth of 40, which also stops link cycles).
func walkDirs(dir string, depth int, out *[]string) error {
	if depth > 40 {
		return fileErr(dir, ErrUnreadable, nil, "folders nested more than 40 deep (a symbolic link cycle?)")
	}
	*out = append(*out, dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fileErr(dir, ErrUnreadable, err, "cannot list folder")
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if err := walkDirs(p, depth+1, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Len is the number of images.
func (d *ImageFolder) Len() int { return len(d.Paths) }

// Shape is 3, Crop, Crop.
func (d *ImageFolder) Shape() []int { return []int{3, d.Pre.Crop, d.Pre.Crop} }

// Classes is the number of class folders.
func (d *ImageFolder) Classes() int { return len(d.ClassNames) }

// PadValue is the normalised value of a raw 0 pixel.
func (d *ImageFolder) PadValue(c int) float32 {
	mean, std, err := d.Pre.Norm.channelParams(3)
	if err != nil {
		return 0
	}
	return (0 - mean[c]) / std[c]
}

// Get reads, decodes and preprocesses image i.
func (d *ImageFolder) Get(i int, dst []float32) (int, error) {
	if i < 0 || i >= len(d.Paths) {
		return 0, fmt.Errorf("%s: index %d out of range [0, %d)", d.Root, i, len(d.Paths))
	}
	img, err := ReadRGB(d.Paths[i])
	if err != nil {
		return 0, err
	}
	if err := d.Pre.Apply(img, dst); err != nil {
		return 0, fileErr(d.Paths[i], ErrBadImage, err, "preprocessing")
	}
	return d.Targets[i], nil
}

// Check decodes every image once and returns the first that fails (an
// error naming the file), so a long evaluation does not stop half way.
func (d *ImageFolder) Check() error {
	for _, p := range d.Paths {
		if _, err := ReadRGB(p); err != nil {
			return err
		}
	}
	return nil
}
