package datasets

import (
	"bytes"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG with image.Decode
	"io"
)

// MaxImagePixels is the largest image (width × height) DecodeRGB accepts;
// it is checked on the header before decoding. Pillow raises
// DecompressionBombError above twice its 89,478,485-pixel warning limit; so do we.
var MaxImagePixels = 2 * 89478485

// RGB is an 8-bit image in three planes (R, G, B), each W·H bytes, rows top
// to bottom: what Pillow's Image.convert("RGB") holds.
type RGB struct {
	W, H int
	Pix  [3][]uint8
}

// NewRGB allocates a w×h RGB image.
func NewRGB(w, h int) *RGB {
	m := &RGB{W: w, H: h}
	for c := range m.Pix {
		m.Pix[c] = make([]uint8, w*h)
	}
	return m
}

// ReadRGB decodes the JPEG or PNG file at path (told by content, not by the
// name) to RGB. Errors name the file.
func ReadRGB(path string) (*RGB, error) {
	f, _, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fileErr(path, ErrUnreadable, err, "reading")
	}
	return DecodeRGB(data, path)
}

// DecodeRGB decodes a JPEG or PNG image to RGB, the way torchvision's
// default loader (Pillow's Image.open(f).convert("RGB")) sees it:
//   - alpha is dropped (not composited), grey is replicated;
//   - 16-bit samples keep their high byte;
//   - JPEG chroma is upsampled with libjpeg's "fancy" (triangle) filter for
//     4:2:0, 4:2:2 and 4:4:0 and converted with libjpeg's fixed-point
//     YCbCr→RGB tables, as libjpeg-turbo does for Pillow. Go's inverse DCT
//     is not libjpeg's islow IDCT, so pixels of a JPEG may still differ by a
//     few levels (see TestJPEGDecodeCloseToPillow); PNG is exact.
//
// name stands for the file in errors.
func DecodeRGB(data []byte, name string) (*RGB, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fileErr(name, ErrBadImage, err, "not a readable JPEG or PNG image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fileErr(name, ErrBadImage, nil, "%s image has size %dx%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(MaxImagePixels) {
		return nil, fileErr(name, ErrBadImage, nil, "%s image of %dx%d pixels exceeds the %d-pixel limit (MaxImagePixels)",
			format, cfg.Width, cfg.Height, MaxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fileErr(name, ErrBadImage, err, "cannot decode %s image", format)
	}
	return toRGB(img), nil
}

// toRGB converts any decoded image to RGB planes.
func toRGB(img image.Image) *RGB {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	m := NewRGB(w, h)
	r, g, bl := m.Pix[0], m.Pix[1], m.Pix[2]
	switch src := img.(type) {
	case *image.YCbCr:
		ycbcrToRGB(src, m)
	case *image.Gray:
		for y := range h {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			copy(r[y*w:], row)
			copy(g[y*w:], row)
			copy(bl[y*w:], row)
		}
	case *image.RGBA: // the PNG decoder gives RGBA only for opaque images
		for y := range h {
			row := src.Pix[y*src.Stride:]
			for x := range w {
				r[y*w+x], g[y*w+x], bl[y*w+x] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := src.Pix[y*src.Stride:]
			for x := range w {
				r[y*w+x], g[y*w+x], bl[y*w+x] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.Paletted:
		pal := make([][3]uint8, len(src.Palette))
		for i, c := range src.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pal[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := range h {
			row := src.Pix[y*src.Stride:]
			for x := range w {
				var p [3]uint8
				if int(row[x]) < len(pal) {
					p = pal[row[x]]
				}
				r[y*w+x], g[y*w+x], bl[y*w+x] = p[0], p[1], p[2]
			}
		}
	default:
		for y := range h {
			for x := range w {
				c := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				r[y*w+x], g[y*w+x], bl[y*w+x] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
			}
		}
	}
	return m
}

// libjpeg's YCbCr→RGB tables (jdcolor.c, SCALEBITS 16).
var (
	crR, cbB, crG, cbG [256]int32
)

func init() {
	fix := func(x float64) int32 { return int32(x*65536 + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + 1<<15) >> 16
		cbB[i] = (fix(1.77200)*x + 1<<15) >> 16
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + 1<<15
	}
}

func clampByte(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ycbcrToRGB upsamples chroma like libjpeg-turbo (jdsample.c: fancy
// upsampling when the chroma width is > 2) and converts like jdcolor.c.
func ycbcrToRGB(src *image.YCbCr, m *RGB) {
	w, h := m.W, m.H
	// Chroma plane size and the upsampling factors.
	hs, vs := 1, 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	fancyH := hs == 2 && cw > 2
	fancyV := vs == 2 && (hs == 1 || fancyH)
	up := func(plane []uint8, dst []uint8) {
		at := func(cx, cy int) int32 { return int32(plane[cy*src.CStride+cx]) }
		colsum := make([]int32, cw)
		for y := range h {
			cy := y / vs
			out := dst[y*w : (y+1)*w]
			if fancyV {
				nb := cy - 1 // row above for the upper output row of a pair
				bias := int32(1)
				if y%2 == 1 {
					nb, bias = cy+1, 2
				}
				nb = max(0, min(nb, ch-1))
				for cx := range cw {
					colsum[cx] = 3*at(cx, cy) + at(cx, nb)
				}
				if !fancyH { // 4:4:0: h1v2_fancy_upsample
					for x := range w {
						out[x] = uint8((colsum[x] + bias) >> 2)
					}
					continue
				}
				// 4:2:0: h2v2_fancy_upsample
				for x := range w {
					cx := x / 2
					var v int32
					switch {
					case x%2 == 0 && cx == 0:
						v = (colsum[0]*4 + 8) >> 4
					case x%2 == 0:
						v = (colsum[cx]*3 + colsum[cx-1] + 8) >> 4
					case cx == cw-1:
						v = (colsum[cx]*4 + 7) >> 4
					default:
						v = (colsum[cx]*3 + colsum[cx+1] + 7) >> 4
					}
					out[x] = uint8(v)
				}
				continue
			}
			if fancyH && vs == 1 { // 4:2:2: h2v1_fancy_upsample
				for x := range w {
					cx := x / 2
					var v int32
					switch {
					case x%2 == 0 && cx == 0:
						v = at(0, cy)
					case x%2 == 0:
						v = (3*at(cx, cy) + at(cx-1, cy) + 1) >> 2
					case cx == cw-1:
						v = at(cx, cy)
					default:
						v = (3*at(cx, cy) + at(cx+1, cy) + 2) >> 2
					}
					out[x] = uint8(v)
				}
				continue
			}
			for x := range w { // 4:4:4, or plain replication
				out[x] = uint8(at(x/hs, cy))
			}
		}
	}
	cb, cr := make([]uint8, w*h), make([]uint8, w*h)
	up(src.Cb, cb)
	up(src.Cr, cr)
	for y := range h {
		yrow := src.Y[y*src.YStride:]
		for x := range w {
			i := y*w + x
			yy := int32(yrow[x])
			m.Pix[0][i] = clampByte(yy + crR[cr[i]])
			m.Pix[1][i] = clampByte(yy + (cbG[cb[i]]+crG[cr[i]])>>16)
			m.Pix[2][i] = clampByte(yy + cbB[cb[i]])
		}
	}
}
