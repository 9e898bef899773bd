package datasets

import (
	"fmt"
)

// Dataset is a finite, indexable set of labelled images of one shape.
//
// Get writes item i as float32 CHW (len(dst) must be C·H·W) and returns its
// label in [0, Classes()). It must be safe to call from several goroutines
// at once (the Loader does). Get fails only for sources that read files
// lazily (ImageFolder): the error names the file.
type Dataset interface {
	Len() int
	Shape() []int // C, H, W of what Get writes
	Classes() int
	Get(i int, dst []float32) (label int, err error)
}

// PadValuer is implemented by data sets whose "zero" pixel is not 0.0 after
// normalisation: PadValue(c) is the value of a raw 0 pixel in channel c.
// The Loader pads random crops with it, as torchvision's RandomCrop(padding)
// pads the image before ToTensor and Normalize.
type PadValuer interface {
	PadValue(c int) float32
}

// Norm says how raw uint8 pixels become float32: x = v/255, then, if Mean
// is set, (x − Mean[c]) / Std[c] — torchvision's ToTensor() then
// Normalize(mean, std), computed in float32 the same way. Pad adds Pad
// zero pixels (raw value 0, normalised like any other) on each side, as
// torchvision's Pad(Pad) before ToTensor does.
type Norm struct {
	Pad  int
	Mean []float32 // one value, or one per channel; nil for [0,1] only
	Std  []float32 // same length as Mean
}

// Normalisations with their sources.
var (
	// UnitRange maps pixels to [0, 1] (torchvision ToTensor()).
	UnitRange = Norm{}
	// MNISTNorm is the mean/std of the MNIST training pixels in [0,1]
	// (PyTorch examples/mnist: 0.1307, 0.3081).
	MNISTNorm = Norm{Mean: []float32{0.1307}, Std: []float32{0.3081}}
	// FashionMNISTNorm is the mean/std of the Fashion-MNIST training pixels
	// in [0,1] (0.2860, 0.3530; recomputed by TestFashionMNISTNormMatchesData).
	FashionMNISTNorm = Norm{Mean: []float32{0.2860}, Std: []float32{0.3530}}
	// LeNetPaperNorm is LeCun et al. 1998's input: the 28×28 digit centred
	// in a 32×32 field, background (0) at −0.1 and foreground (255) at
	// 1.175, "so that the mean input is roughly 0 and the variance roughly 1".
	LeNetPaperNorm = Norm{Pad: 2, Mean: []float32{0.1 / 1.275}, Std: []float32{1 / 1.275}}
	// CIFAR10Norm is the per-channel mean/std of the CIFAR-10 training
	// pixels in [0,1] (the values commonly used with torchvision).
	CIFAR10Norm = Norm{Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.2470, 0.2435, 0.2616}}
	// ImageNetNorm is torchvision's ImageNet mean/std.
	ImageNetNorm = Norm{Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
)

// channelParams expands Mean/Std to c channels.
func (n Norm) channelParams(c int) (mean, std []float32, err error) {
	if n.Pad < 0 || n.Pad > 1<<12 {
		return nil, nil, fmt.Errorf("padding %d out of range", n.Pad)
	}
	if len(n.Mean) != len(n.Std) {
		return nil, nil, fmt.Errorf("%d means but %d stds", len(n.Mean), len(n.Std))
	}
	mean, std = make([]float32, c), make([]float32, c)
	switch len(n.Mean) {
	case 0:
		for i := range std {
			std[i] = 1
		}
		return mean, std, nil
	case 1:
		for i := range mean {
			mean[i], std[i] = n.Mean[0], n.Std[0]
		}
	case c:
		copy(mean, n.Mean)
		copy(std, n.Std)
	default:
		return nil, nil, fmt.Errorf("%d means/stds for %d channels", len(n.Mean), c)
	}
	for i, s := range std {
		if !(s > 0) {
			return nil, nil, fmt.Errorf("std[%d] = %v, must be > 0", i, s)
		}
	}
	return mean, std, nil
}

// Images is an in-memory set of uint8 images (CHW each) with labels: what
// MNIST, Fashion-MNIST and CIFAR-10 load into. Get turns an image into
// float32 with the set's Norm (UnitRange unless WithNorm was used).
type Images struct {
	Name       string
	Pixels     []byte // Len()·C·H·W raw pixels, image after image, CHW
	Labels     []byte // one per image
	C, H, W    int    // raw image shape (before Norm.Pad)
	NumClasses int
	ClassNames []string     // optional
	Files      []FileRecord // the files it came from, with their hashes
	Warnings   []string     // e.g. a hash mismatch loaded with HashWarn

	pad       int
	mean, std []float32 // nil: [0,1]
	lut       [][256]float32
}

// WithNorm returns a view of d (sharing its pixels) whose Get applies n.
func (d *Images) WithNorm(n Norm) (*Images, error) {
	mean, std, err := n.channelParams(d.C)
	if err != nil {
		return nil, fileErr(d.Name, ErrBadOption, nil, "normalisation: %v", err)
	}
	v := *d
	v.pad, v.mean, v.std = n.Pad, mean, std
	v.lut = make([][256]float32, d.C)
	for c := range v.lut {
		for p := range 256 {
			v.lut[c][p] = (float32(p)/255 - mean[c]) / std[c]
		}
	}
	return &v, nil
}

// Len is the number of images.
func (d *Images) Len() int { return len(d.Labels) }

// Classes is the number of classes.
func (d *Images) Classes() int { return d.NumClasses }

// Shape is C, H+2·Pad, W+2·Pad.
func (d *Images) Shape() []int { return []int{d.C, d.H + 2*d.pad, d.W + 2*d.pad} }

// PadValue is the float value of a raw 0 pixel in channel c.
func (d *Images) PadValue(c int) float32 {
	if d.lut == nil {
		return 0
	}
	return d.lut[c][0]
}

// Label returns the label of image i.
func (d *Images) Label(i int) int { return int(d.Labels[i]) }

// Get writes image i (normalised, padded) into dst and returns its label.
func (d *Images) Get(i int, dst []float32) (int, error) {
	if i < 0 || i >= len(d.Labels) {
		return 0, fmt.Errorf("%s: index %d out of range [0, %d)", d.Name, i, len(d.Labels))
	}
	hp, wp := d.H+2*d.pad, d.W+2*d.pad
	if len(dst) != d.C*hp*wp {
		return 0, fmt.Errorf("%s: dst has %d elements, want %d (%d×%d×%d)", d.Name, len(dst), d.C*hp*wp, d.C, hp, wp)
	}
	plane := d.H * d.W
	src := d.Pixels[i*d.C*plane : (i+1)*d.C*plane]
	for c := range d.C {
		out := dst[c*hp*wp : (c+1)*hp*wp]
		in := src[c*plane : (c+1)*plane]
		if d.lut == nil {
			if d.pad == 0 {
				for j, p := range in {
					out[j] = float32(p) / 255
				}
				continue
			}
			clear(out)
		} else if d.pad > 0 {
			v := d.lut[c][0]
			for j := range out {
				out[j] = v
			}
		}
		for y := range d.H {
			row := out[(y+d.pad)*wp+d.pad:]
			for x, p := range in[y*d.W : (y+1)*d.W] {
				if d.lut == nil {
					row[x] = float32(p) / 255
				} else {
					row[x] = d.lut[c][p]
				}
			}
		}
	}
	return int(d.Labels[i]), nil
}

// Subset is the view of a Dataset restricted to the given indices, in order.
type Subset struct {
	Dataset
	Indices []int
}

// Head returns the first n items of d (all of them if n ≥ d.Len()).
func Head(d Dataset, n int) *Subset {
	n = max(0, min(n, d.Len()))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return &Subset{Dataset: d, Indices: idx}
}

// Len is the number of indices.
func (s *Subset) Len() int { return len(s.Indices) }

// Get returns item s.Indices[i] of the underlying set.
func (s *Subset) Get(i int, dst []float32) (int, error) {
	if i < 0 || i >= len(s.Indices) {
		return 0, fmt.Errorf("subset: index %d out of range [0, %d)", i, len(s.Indices))
	}
	return s.Dataset.Get(s.Indices[i], dst)
}

// PadValue forwards to the underlying set (0 if it has none).
func (s *Subset) PadValue(c int) float32 {
	if p, ok := s.Dataset.(PadValuer); ok {
		return p.PadValue(c)
	}
	return 0
}
