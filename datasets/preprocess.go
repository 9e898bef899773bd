package datasets

import (
	"fmt"
	"math"
)

// Preprocess is torchvision's evaluation pipeline for PIL images:
//
//	Compose([Resize(Resize), CenterCrop(Crop), ToTensor(), Normalize(mean, std)])
//
// Resize scales the image so its shorter side is Resize pixels (the longer
// side becomes int(Resize·long/short), as torchvision computes it; an image
// already at that size is left alone). The resampling is Pillow's
// Image.resize(size, BILINEAR), which torchvision calls for PIL images: a
// separable triangle filter whose support widens by the scale factor when
// shrinking (so it antialiases), coefficients normalised and rounded to
// 22-bit fixed point, a horizontal pass then a vertical pass, each rounded
// and clipped to uint8 — reimplemented here step by step (Pillow's
// libImaging/Resample.c), so for a PNG the result equals torchvision's up to
// float32 rounding (see TestPreprocessMatchesTorchvision).
//
// CenterCrop takes the centred Crop×Crop window, its offset
// round((size−Crop)/2) with Python's round-half-to-even; a side shorter
// than Crop is padded with zeros first, as torchvision does. ToTensor and
// Normalize are float32: v/255, then (x−mean)/std.
type Preprocess struct {
	Resize int  // shorter side after resizing; 0: no resize
	Crop   int  // side of the centre crop (required for a folder data set)
	Norm   Norm // Mean/Std as in Normalize (Pad is ignored)
}

// ImageNetEval is torchvision's ImageNet evaluation preprocessing:
// Resize(256), CenterCrop(224), ImageNet mean/std.
var ImageNetEval = Preprocess{Resize: 256, Crop: 224, Norm: ImageNetNorm}

// ResizedSize returns the size torchvision's Resize(s) gives a w×h image.
func ResizedSize(w, h, s int) (int, int) {
	if s <= 0 {
		return w, h
	}
	if w <= h {
		return s, int(float64(s) * float64(h) / float64(w))
	}
	return int(float64(s) * float64(w) / float64(h)), s
}

// Apply preprocesses img into dst (3·Crop·Crop float32, CHW).
func (p Preprocess) Apply(img *RGB, dst []float32) error {
	if p.Crop <= 0 {
		return fmt.Errorf("preprocess: crop size %d, must be > 0", p.Crop)
	}
	if p.Resize < 0 {
		return fmt.Errorf("preprocess: resize %d, must be ≥ 0", p.Resize)
	}
	mean, std, err := p.Norm.channelParams(3)
	if err != nil {
		return fmt.Errorf("preprocess: %v", err)
	}
	c := p.Crop
	if len(dst) != 3*c*c {
		return fmt.Errorf("preprocess: dst has %d elements, want %d (3×%d×%d)", len(dst), 3*c*c, c, c)
	}
	ow, oh := ResizedSize(img.W, img.H, p.Resize)
	if ow <= 0 || oh <= 0 {
		return fmt.Errorf("preprocess: image %dx%d resizes to %dx%d", img.W, img.H, ow, oh)
	}
	left, top := cropOffset(ow, c), cropOffset(oh, c)
	crop := make([]uint8, c*c)
	hc := pilCoeffs(img.W, ow)
	vc := pilCoeffs(img.H, oh)
	for ch := range 3 {
		pilResizeCrop(img.Pix[ch], img.W, img.H, hc, vc, left, top, c, crop)
		out := dst[ch*c*c : (ch+1)*c*c]
		for i, v := range crop {
			out[i] = (float32(v)/255 - mean[ch]) / std[ch]
		}
	}
	return nil
}

// cropOffset is torchvision's center_crop offset along one side of length
// n: round((n−c)/2) half to even, or −(c−n)//2 when the side is padded.
func cropOffset(n, c int) int {
	if n < c {
		return -((c - n) / 2)
	}
	d := n - c
	if d%2 == 0 {
		return d / 2
	}
	h := d / 2 // (d/2.0) = h + 0.5: round to the even neighbour
	if h%2 == 0 {
		return h
	}
	return h + 1
}

// Pillow's fixed-point precision for 8-bit images.
const pilPrecision = 32 - 8 - 2

// resampleCoeffs are one axis's Pillow coefficients: output i reads
// inputs start[i] .. start[i]+len(k[i])-1 with integer weights k[i].
type resampleCoeffs struct {
	start []int
	k     [][]int32
}

// pilCoeffs is Pillow's precompute_coeffs (bilinear filter, support 1)
// followed by normalize_coeffs_8bpc.
func pilCoeffs(in, out int) resampleCoeffs {
	scale := float64(in) / float64(out)
	filterscale := max(scale, 1.0)
	support := 1.0 * filterscale
	ss := 1.0 / filterscale
	rc := resampleCoeffs{start: make([]int, out), k: make([][]int32, out)}
	ksize := int(math.Ceil(support))*2 + 1
	w := make([]float64, 0, ksize)
	back := make([]int32, 0, out*ksize) // one allocation for all rows of k
	for xx := range out {
		center := (float64(xx) + 0.5) * scale
		xmin := int(center - support + 0.5) // C (int) truncates toward zero, as Go does
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > in {
			xmax = in
		}
		xmax -= xmin
		w = w[:0]
		ww := 0.0
		for x := range max(xmax, 0) {
			t := math.Abs((float64(x+xmin) - center + 0.5) * ss)
			v := 0.0
			if t < 1 {
				v = 1 - t
			}
			w = append(w, v)
			ww += v
		}
		k := back[len(back) : len(back)+len(w)]
		back = back[:len(back)+len(w)]
		for x, v := range w {
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<pilPrecision))
			} else {
				k[x] = int32(0.5 + v*(1<<pilPrecision))
			}
		}
		rc.start[xx], rc.k[xx] = xmin, k
	}
	return rc
}

func pilClip8(v int64) uint8 {
	if v >= 1<<pilPrecision<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> pilPrecision)
}

// pilResizeCrop resizes one w×h plane with Pillow's two passes (horizontal,
// then vertical, each rounded to uint8) and keeps only the c×c window at
// (left, top) of the resized plane, computing only what that window needs;
// outside the resized plane the window is 0. Every kept pixel is computed
// with exactly Pillow's arithmetic, so the window equals Pillow's resize
// followed by the crop.
func pilResizeCrop(src []uint8, w, h int, hc, vc resampleCoeffs, left, top, c int, dst []uint8) {
	ow, oh := len(hc.start), len(vc.start)
	clear(dst)
	// Input rows the kept output rows read.
	y0, y1 := h, 0
	for yy := max(top, 0); yy < min(top+c, oh); yy++ {
		y0 = min(y0, vc.start[yy])
		y1 = max(y1, vc.start[yy]+len(vc.k[yy]))
	}
	if y0 >= y1 {
		return
	}
	x0, x1 := max(left, 0), min(left+c, ow)
	if x0 >= x1 {
		return
	}
	tw := x1 - x0
	tmp := make([]uint8, (y1-y0)*tw)
	for y := y0; y < y1; y++ {
		row := src[y*w : (y+1)*w]
		trow := tmp[(y-y0)*tw:]
		for xx := x0; xx < x1; xx++ {
			s := int64(1) << (pilPrecision - 1)
			st := hc.start[xx]
			for x, k := range hc.k[xx] {
				s += int64(row[st+x]) * int64(k)
			}
			trow[xx-x0] = pilClip8(s)
		}
	}
	for yy := max(top, 0); yy < min(top+c, oh); yy++ {
		st := vc.start[yy] - y0
		out := dst[(yy-top)*c:]
		for xx := x0; xx < x1; xx++ {
			s := int64(1) << (pilPrecision - 1)
			for y, k := range vc.k[yy] {
				s += int64(tmp[(st+y)*tw+xx-x0]) * int64(k)
			}
			out[xx-left] = pilClip8(s)
		}
	}
}
